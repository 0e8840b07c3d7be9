"""The flow boundary: Playwright's errors turned into ippbot's (`bot.errors`), with the entry's context.

Only `flows/` uses Playwright's exception types; everything above them sees a `PortalError`
that names the entry, the step and the URL.
"""

from __future__ import annotations

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from bot.errors import PortalError, PortalServerError, PortalTimeout

_CONNECTION_MARKERS = (
    "net::err_",
    "econnrefused",
    "econnreset",
    "connection refused",
    "connection reset",
    "connection closed",
    "socket hang up",
)


def from_playwright(
    exc: BaseException, *, entry: str | None, step: str | None, url: str | None
) -> PortalError:
    """Turn a Playwright (or any) exception into a `PortalError` with the entry's context.

    Use at the flow boundary: ``raise from_playwright(e, entry=..., step=..., url=...)``;
    the original becomes the new error's ``__cause__``. A `PortalError` comes back as it
    is, with its missing context filled in.
    """
    if isinstance(exc, PortalError):
        return exc.with_context(entry=entry, step=step, url=url)
    message = str(exc).split("Call log:", 1)[0].strip() or type(exc).__name__
    converted: PortalError
    if isinstance(exc, PlaywrightTimeoutError):
        converted = PortalTimeout(message, entry=entry, step=step, url=url)
    elif isinstance(exc, PlaywrightError) and is_connection_error(message):
        converted = PortalServerError(message, status=None, entry=entry, step=step, url=url)
    else:
        converted = PortalError(message, entry=entry, step=step, url=url)
    converted.__cause__ = exc
    return converted


def is_connection_error(message: str) -> bool:
    """Whether a browser error's text says the connection failed (refused, reset, closed)."""
    lowered = message.lower()
    return any(marker in lowered for marker in _CONNECTION_MARKERS)

