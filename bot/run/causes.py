"""Causes: what an entry's error comes down to, in the words the ledger, the summary and the operator read.

`root_cause` looks through a submit left unknown to what answered the click; `plain_message` is an
error's own words without the entry, step and URL a `PortalError` carries; `wait_reason` says briefly
why the portal holds an account.
"""

from __future__ import annotations

from bot import logs
from bot.errors import PortalError, PortalMaintenance, RateLimited, SubmitOutcomeUnknown, first_line
from bot.retry import classify

__all__ = ["plain_message", "root_cause", "wait_reason"]


def root_cause(exc: BaseException) -> BaseException:
    """What really went wrong: for a submit left unknown, the error that answered the click (a 503, a
    dropped connection), when there is one; maintenance named as such (`bot.retry.classify`)."""
    cause = exc.__cause__
    if isinstance(exc, SubmitOutcomeUnknown) and isinstance(cause, PortalError):
        return classify(cause)
    return classify(exc)


def wait_reason(exc: RateLimited) -> str:
    """Why the portal holds an account, in short (the lines around it say that it asked us to wait):
    "429, Retry-After 3599 s", or "maintenance, Retry-After 600 s"."""
    what = "maintenance" if isinstance(classify(exc), PortalMaintenance) else "429"
    return f"{what}, Retry-After {exc.retry_after_s or 0:.0f} s"


def plain_message(exc: BaseException) -> str:
    """An error's own words, without the entry, step and URL a `PortalError` adds (secrets masked)."""
    text = exc.message if isinstance(exc, PortalError) else first_line(exc)
    return logs.mask_secrets(text)
