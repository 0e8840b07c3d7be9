"""Pre-flight: checks that the machine can do the work before a browser is started.

Each check raises `EnvironmentProblem` (exit code 3) with one line saying what to do, so a
command fails in a second with a fix instead of a minute later with a browser error.
Commands call them first: `ippbot run`, `sync`, `account ...` and `selectors check` check the
portal; a run checks the data dir too.
"""

from __future__ import annotations

import tempfile
from urllib.parse import urlsplit

import httpx

from bot.errors import EnvironmentProblem
from bot.settings import Settings

PORTAL_TIMEOUT_S = 5.0
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def check_portal(settings: Settings, *, timeout_s: float = PORTAL_TIMEOUT_S) -> None:
    """The portal answers at `settings.portal_url` (any HTTP answer counts, even a 503)."""
    url = settings.portal_url
    try:
        httpx.get(url, timeout=timeout_s)
    except httpx.HTTPError:
        raise EnvironmentProblem(f"portal at {url} is unreachable", fix=unreachable_fix(url)) from None


def unreachable_fix(url: str) -> str:
    """What to do about a portal that does not answer: on this machine, start the mock portal on the
    port the URL names (so the configured URL is right as it is); elsewhere, check the URL."""
    parts = urlsplit(url)
    if parts.hostname in LOCAL_HOSTS:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return f"start it: ippbot portal serve --port {port}, or set IPPBOT_PORTAL_URL"
    return "check IPPBOT_PORTAL_URL and that this machine reaches that address"


def check_data_dir(settings: Settings) -> None:
    """The data dir exists (it is created if need be) and ippbot can write files in it."""
    folder = settings.data_dir
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder, prefix=".ippbot-write-check-"):
            pass
    except OSError as exc:
        raise EnvironmentProblem(
            f"data dir {folder} is not writable ({exc.strerror or type(exc).__name__})",
            fix="set IPPBOT_DATA_DIR to a folder this user can write, or fix its permissions",
        ) from None
