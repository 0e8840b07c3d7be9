"""The report's plain words: an entry's error as a sentence an operator understands (`plain_error`)."""

from __future__ import annotations

import re

from bot.logs import mask_secrets
from bot.run.artifacts import EntryResult

__all__ = ["CONTEXT_SUFFIX", "PLAIN_ERRORS", "STATE_ERRORS", "error_class", "plain_error"]

# Error class -> a sentence an operator understands; `{detail}` is the error's own message.
PLAIN_ERRORS: dict[str, str] = {
    "SubmitOutcomeUnknown": "the portal did not confirm; checked its records",
    "PortalChanged": "the portal's pages changed: selector {detail}",
    "NeedsHuman": "waits for a person: {detail}",
    "PortalRejected": "the portal refused it: {detail}",
    "PortalTimeout": "the portal was too slow to answer",
    "PortalServerError": "the portal had a server error or dropped the connection",
    "RateLimited": "the portal asked us to slow down",
    "PortalMaintenance": "the portal was down for maintenance",
    "SessionExpired": "the portal's log-in session expired",
    "AccountBusy": "another run was working this account",
}
# States that say what went wrong whatever step failed last (a reconciling look-up may fail after).
STATE_ERRORS = {"unknown": "SubmitOutcomeUnknown", "needs_human": "NeedsHuman"}
CONTEXT_SUFFIX = re.compile(r"\s*\((?:entry|step|url)=[^()]*\)\s*$")
_GAVE_UP = re.compile(r"^(gave up after \d+ attempts?); last: (.*)$", re.DOTALL)
_NOT_FILED = "not filed: "  # the runner's words for a click the portal's records proved went nowhere

def error_class(entry: EntryResult) -> str | None:
    """The class of the error an entry ended with: as the runner recorded it, else from its state or steps."""
    if entry.error_class:
        return entry.error_class
    if entry.state in STATE_ERRORS:
        return STATE_ERRORS[entry.state]
    failed = [s.outcome for s in entry.steps if s.outcome not in ("", "ok")]
    return failed[-1] if failed else None


def plain_error(kind: str | None, message: str | None) -> str:
    """An error as a sentence for the operator, from its class name and its message."""
    if not message and not kind:
        return ""
    text = CONTEXT_SUFFIX.sub("", mask_secrets(message or ""))
    gave_up = _GAVE_UP.match(text)
    if gave_up:
        return f"{gave_up.group(1)}; last: {plain_error(kind, gave_up.group(2))}"
    if text.startswith(_NOT_FILED):
        return f"{_NOT_FILED}{plain_error(kind, text.removeprefix(_NOT_FILED))}"
    sentence = PLAIN_ERRORS.get(kind or "")
    if sentence is None:
        return text or f"failed with {kind}"
    return sentence.format(detail=_detail(kind, text))


def _detail(kind: str | None, text: str) -> str:
    if kind == "PortalChanged":  # "selectors/x.toml: key: matches no element" -> file/key (...)
        parts = text.split(": ", 2)
        if len(parts) == 3:
            return f"{parts[0]}/{parts[1]} ({parts[2]})"
    return text
