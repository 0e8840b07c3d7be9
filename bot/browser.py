"""Browser: finds a Chromium, launches it once per run, and hands out contexts and pages with assets blocked.

Shape chosen from ../shared/PERFORMANCE.md: one browser per run (a browser per entry costs
three times as much), a fresh page per entry (one long-lived page doubles its memory over a
night; the run's contexts are `bot.run.evidence`'s), and Debian's `chromium-headless-shell` for
headless runs, where a fresh context costs half what it costs in full Chromium. Headed runs
always use full Chromium. Assets the flows never read are blocked by Chromium itself, never
by a route, so its HTTP cache stays on (`block_assets`).

Discovery order (CONTRACT.md): `IPPBOT_BROWSER_PATH`; for headless runs a system
`chromium-headless-shell`; a system Chromium; Playwright's own downloaded browser.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, Playwright
from playwright.sync_api import Error as PlaywrightError

from bot.errors import EnvironmentProblem, first_line
from bot.settings import Settings

HEADLESS_SHELLS = ("/usr/bin/chromium-headless-shell", "chromium-headless-shell")
SYSTEM_CHROMIUMS = (
    "/usr/bin/chromium",
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
)
INSTALL_HINT = "apt-get install -y chromium (or set IPPBOT_BROWSER_PATH)"

# Flows never read images, fonts, media or analytics: Chromium drops them itself, before they leave the
# browser, by its own URL blocking over CDP (`block_assets`). Not a `route()`: any route turns Chromium's
# HTTP cache off for the context (playwright#7220), and the stylesheet was then fetched again on every
# page. Chromium matches these wildcards case-sensitively, so each extension is given in both cases.
BLOCKED_EXTENSIONS = ("png", "jpg", "jpeg", "gif", "webp", "avif", "svg", "ico", "bmp", "woff", "woff2", "ttf",
                      "otf", "eot", "mp3", "mp4", "webm", "ogg")
BLOCKED_URLS: tuple[str, ...] = (
    *(f"*.{ext}{tail}" for e in BLOCKED_EXTENSIONS for ext in (e, e.upper()) for tail in ("", "?*")),
    "*/analytics.js", "*/analytics.js?*",
)

_QUIET_ARGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
)


def find_browser(*, browser_path: Path | None, headless: bool, bundled: Path | None = None) -> Path:
    """The Chromium executable to launch, in the contract's order of preference.

    `bundled` is Playwright's own browser (`playwright.chromium.executable_path`), tried last.
    Raises `EnvironmentProblem` when `browser_path` is wrong or nothing is found.
    """
    if browser_path is not None:
        if not _is_executable(browser_path):
            raise EnvironmentProblem(
                f"IPPBOT_BROWSER_PATH={browser_path} is not an executable file",
                fix="point IPPBOT_BROWSER_PATH at a Chromium executable, or unset it",
            )
        return browser_path
    candidates = (HEADLESS_SHELLS if headless else ()) + SYSTEM_CHROMIUMS
    for candidate in candidates:
        found = _lookup(candidate)
        if found is not None:
            return found
    if bundled is not None and _is_executable(bundled):
        return bundled
    raise EnvironmentProblem("no Chromium found", fix=INSTALL_HINT)


def _lookup(candidate: str) -> Path | None:
    """An absolute path if it is executable, else the command's location on PATH."""
    if Path(candidate).is_absolute():
        return Path(candidate) if _is_executable(Path(candidate)) else None
    found = shutil.which(candidate)
    return Path(found) if found else None


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def launch_args(headless: bool) -> list[str]:
    """Chromium flags for an unattended run: no first-run, no background traffic.

    `--no-sandbox` only as root, where Chromium refuses to start with its sandbox.
    `--disable-gpu` only headless: a headed run on an operator's desktop may use the GPU.
    """
    args = list(_QUIET_ARGS)
    if os.geteuid() == 0:
        args.insert(0, "--no-sandbox")
    if headless:
        args.append("--disable-gpu")
    return args


class BrowserSession:
    """One launched browser for a run; `new_context()` gives a clean context, `new_page()` a page in it.

    Pages made by `new_page()` have their assets blocked before their first request; any other page of
    its contexts (a popup, or one made by `context.new_page()`) as soon as it appears (`context.on("page")`),
    which may come after its first request.
    """

    def __init__(self, browser: Browser, settings: Settings, *, block_assets: bool = True) -> None:
        self.browser = browser
        self._settings = settings
        self._block_assets = block_assets
        self._making_page = False  # `new_page()` blocks the page it makes itself: the hook leaves it

    def new_context(
        self, storage_state: Path | None = None, *, record_har_path: Path | None = None
    ) -> BrowserContext:
        """A fresh context, logged in when `storage_state` (a stored session) is given.

        Relative URLs resolve against the portal; every wait defaults to `timeout_ms`. No route is set
        on it, so Chromium's HTTP cache serves its pages. The caller closes it (or uses `context()`).
        """
        context = self.browser.new_context(
            storage_state=storage_state,
            base_url=self._settings.portal_url,
            ignore_https_errors=False,
            locale="en-US",  # the portal's language follows Accept-Language; selectors are English
            service_workers="block",  # so every request passes through our routes
            record_har_path=record_har_path,
            record_har_content="embed" if record_har_path else None,
        )
        context.set_default_timeout(self._settings.timeout_ms)
        if self._block_assets:
            context.on("page", self._block_other)
        return context

    def new_page(self, context: BrowserContext) -> Page:
        """A new page of `context`, its assets blocked (when this session blocks them) before it loads anything."""
        self._making_page = True
        try:
            page = context.new_page()
        finally:
            self._making_page = False
        if self._block_assets:
            block_assets(page)
        return page

    def _block_other(self, page: Page) -> None:
        """A page `new_page()` did not make: its assets blocked too. Best-effort, as all asset blocking: a
        page closed meanwhile is left alone, never an error in the flow."""
        if self._making_page:
            return
        with contextlib.suppress(PlaywrightError):  # an error here would surface in whatever call runs next
            block_assets(page)

    @contextmanager
    def context(self, storage_state: Path | None = None) -> Iterator[BrowserContext]:
        """`new_context()` closed when the block ends."""
        context = self.new_context(storage_state)
        try:
            yield context
        finally:
            context.close()


def block_assets(page: Page) -> None:
    """Have Chromium drop `page`'s requests for `BLOCKED_URLS`: its own URL blocking, over a CDP session of
    the page (which needs the Network domain on). The HTTP cache stays on."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setBlockedURLs", {"urls": list(BLOCKED_URLS)})


@contextmanager
def open_browser(
    settings: Settings, playwright: Playwright, *, block_assets: bool = True
) -> Iterator[BrowserSession]:
    """Find and launch the run's one browser; close it when the block ends.

    Raises `EnvironmentProblem` when no browser is found or it does not start.
    """
    executable = find_browser(
        browser_path=settings.browser_path,
        headless=settings.headless,
        bundled=Path(playwright.chromium.executable_path),
    )
    browser = _launch(playwright, executable, settings)
    try:
        yield BrowserSession(browser, settings, block_assets=block_assets)
    finally:
        browser.close()


def _launch(playwright: Playwright, executable: Path, settings: Settings) -> Browser:
    try:
        return playwright.chromium.launch(
            executable_path=executable,
            headless=settings.headless,
            slow_mo=settings.slow_mo_ms,
            args=launch_args(settings.headless),
        )
    except PlaywrightError as exc:
        fix = (
            "run headless, or under xvfb-run"
            if not settings.headless and not os.environ.get("DISPLAY")
            else f"check that {executable} starts, or set IPPBOT_BROWSER_PATH"
        )
        raise EnvironmentProblem(
            f"Chromium at {executable} did not start: {first_line(exc)}", fix=fix
        ) from exc
