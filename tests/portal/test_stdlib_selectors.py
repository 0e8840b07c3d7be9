"""The repo's `selectors/` folder (TOML data) must never shadow the standard library's `selectors`.

asyncio, and so uvicorn, Starlette's test client and Playwright, import `selectors`; a
`selectors/__init__.py` at the repo root would replace it for anything run from the checkout.
"""

from __future__ import annotations

import selectors
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STDLIB = Path(sysconfig.get_paths()["stdlib"]).resolve()


def test_selectors_is_the_standard_library() -> None:
    """`import selectors` gives the standard library's module, with DefaultSelector."""
    assert Path(selectors.__file__ or "").resolve().parent == STDLIB
    assert hasattr(selectors, "DefaultSelector")


def test_repo_selectors_folder_is_not_a_package() -> None:
    """The repo's selectors/ folder has no __init__.py."""
    assert not (ROOT / "selectors" / "__init__.py").exists()


def test_selectors_from_the_checkout_is_the_standard_library() -> None:
    """Run from the repo root (first on sys.path), Python still imports the standard library's selectors."""
    result = subprocess.run(
        [sys.executable, "-c", "import selectors, asyncio; print(selectors.__file__); "
                               "print(selectors.DefaultSelector.__name__)"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    path, name = result.stdout.split()
    assert Path(path).resolve().parent == STDLIB
    assert name.endswith("Selector")
