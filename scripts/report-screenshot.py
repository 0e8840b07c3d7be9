"""Make docs/report.png, the README's picture of the report: the top of a demo's last report, 1000 px wide.

    .venv/bin/python scripts/report-screenshot.py                     # a fresh `ippbot demo` first (about a minute)
    .venv/bin/python scripts/report-screenshot.py --data-dir DIR      # a demo already run with IPPBOT_DATA_DIR=DIR

The demo's last run is reported again, as `ippbot report` does, into a scratch folder (the demo's
own files are left as they are), so the page shows the account as the demo left it: the standing,
the funnel and the counter-notices all answered. The browser is the one ippbot finds
(`bot.browser.open_browser`), with images let through, as a person's browser would. The picture
is a crop, not the full page, to stay small (about 120 KB): the header down to the end of the
last section that ends within `MAX_HEIGHT` px.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import FloatRect, Page, ViewportSize, sync_playwright

from bot.browser import open_browser
from bot.settings import REPO_ROOT, load_settings

OUT = REPO_ROOT / "docs" / "report.png"
VIEWPORT: ViewportSize = {"width": 1000, "height": 800}
MAX_HEIGHT = 1500  # px: the crop ends below the last section that ends above this (the header down to the counts)
SECTION_MARGIN = 18  # px, as the report's stylesheet puts below each section
DEMO_EMAIL = "demo@brand.example"  # the account `ippbot demo` registers (bot/commands/demo.py)


def ippbot(args: list[str], data_dir: Path, **env: str) -> None:
    """Run `ippbot ARGS` with `data_dir` as IPPBOT_DATA_DIR; exit with its output if it fails."""
    done = subprocess.run([sys.executable, "-m", "bot.commands.cli", *args], cwd=REPO_ROOT,  # noqa: S603 - our interpreter, our CLI
                          env={**os.environ, "IPPBOT_DATA_DIR": str(data_dir), **env},
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"ippbot {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}")


def report_again(data_dir: Path, out_dir: Path) -> Path:
    """The demo's last run reported again into `out_dir`, with the ledger as the demo left it."""
    ippbot(["report", "--out", str(out_dir)], data_dir / "demo", IPPBOT_EMAIL=DEMO_EMAIL)
    return out_dir / "report.html"


def screenshot(report: Path, out: Path) -> None:
    """The top of `report`, 1000 px wide, down to the end of a section, as a PNG at `out`."""
    with sync_playwright() as playwright, open_browser(load_settings(), playwright, block_assets=False) as session:
        page = session.browser.new_page(viewport=VIEWPORT)
        page.goto(report.as_uri())
        clip: FloatRect = {"x": 0, "y": 0, "width": VIEWPORT["width"], "height": crop_height(page)}
        page.screenshot(path=str(out), full_page=True, clip=clip)
        page.close()


def crop_height(page: Page) -> float:
    """Down to the bottom of the last section that ends within `MAX_HEIGHT`, with the sections' margin."""
    boxes = (section.bounding_box() for section in page.locator("main > section").all())
    bottoms = [box["y"] + box["height"] for box in boxes if box is not None]
    return max((bottom for bottom in bottoms if bottom <= MAX_HEIGHT), default=MAX_HEIGHT) + SECTION_MARGIN


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="IPPBOT_DATA_DIR of a demo already run (default: run one)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"the PNG to write (default: {OUT})")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ippbot-report-png-") as scratch:
        data_dir = args.data_dir or Path(scratch) / "data"
        if args.data_dir is None:
            ippbot(["demo"], data_dir)
        screenshot(report_again(data_dir, Path(scratch) / "report"), args.out)
    print(f"{args.out}: {args.out.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
