"""Errors: ippbot's one exception tree, and how each branch maps to retries and exit codes.

Every error ippbot raises on purpose is an `IppbotError`::

    IppbotError                      exit 1 unless a branch says otherwise
     +-- ConfigError                 exit 3: settings or selector files are wrong
     +-- EnvironmentProblem          exit 3: no browser, portal unreachable, data dir not writable
     +-- InputError                  exit 2: a batch file or entry is wrong; nothing was changed
     +-- Interrupted                 exit 130 (SIGINT, Ctrl-C) or 143 (SIGTERM): stopped at a safe point
     +-- LedgerError                 the ledger refused a change; the caller's view is out of date
     |    +-- UnknownEntry           no entry has that key
     |    +-- IllegalTransition      the state machine does not allow that move
     |    +-- StaleEntry             the entry changed since the caller read it (another worker)
     |    +-- LeaseNotHeld           the account's lease is not held (any more) by this worker, or its
     |    |                          fencing token is old: nothing more is sent
     |    +-- AccountBusy            another run holds the account's lease: this run did nothing
     |    +-- CopyRefused            exit 2: `ledger copy` wrote nothing (a live lease, a target with rows)
     |    `-- CopyFailed             `ledger copy` failed part-way: the target was rolled back, empty
     `-- PortalError                 something went wrong on the portal, for one entry
          +-- TransientPortalError   may succeed if tried again (`is_transient`)
          |    +-- PortalTimeout
          |    +-- PortalServerError
          |    +-- RateLimited
          |    |    `-- PortalMaintenance   a 503 maintenance page with Retry-After
          |    +-- SessionExpired
          |    +-- IprNotApproved         a complaint's IPR is still in review: it waits
          |    `-- SubmitOutcomeUnknown   reconcile first; never retried blindly
          `-- PermanentPortalError   trying again gives the same answer
               +-- PortalRejected
               +-- PortalChanged
               +-- IprNotOffered          the complaint form offers no such approved IPR
               `-- NeedsHuman

`PortalError`s carry the entry, step and URL they happened at. Playwright's own errors are
turned into them at the flow boundary (`flows.boundary.from_playwright`), so nothing above the
flows has to know Playwright's exception types, and this module imports no Playwright.
"""

# The class names are the team's contract (../shared) and read as outcomes, not "...Error".
# ruff: noqa: N818

from __future__ import annotations

from typing import Any, Self

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_ENVIRONMENT = 3



def _rebuild(cls: type[BaseException], args: tuple[Any, ...]) -> BaseException:
    return BaseException.__new__(cls, *args)


class IppbotError(Exception):
    """Base of every error ippbot raises on purpose; catch it to report one readable line."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only fields would be lost by the default reduce, which calls cls(*args).
        return (_rebuild, (type(self), self.args), self.__dict__)


class ConfigError(IppbotError):
    """Raised by `Settings` loading and the selectors loader when configuration is wrong.

    The operator fixes the setting (environment, `.env`) or the selector file; exit code 3.
    """


class EnvironmentProblem(IppbotError):
    """Raised at start-up when the machine cannot run ippbot: no browser, portal unreachable,
    data dir not writable. `fix` is one line telling the operator what to do; exit code 3.
    """

    def __init__(self, message: str, *, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message}; to fix: {self.fix}" if self.fix else self.message


class InputError(IppbotError):
    """Raised by batch validation: a file, entry or field is wrong. Nothing was changed;
    the operator corrects the batch and enqueues it again. Exit code 2.
    """

    def __init__(
        self,
        reason: str,
        *,
        file: str | None = None,
        entry: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.file = file
        self.entry = entry
        self.field = field

    def __str__(self) -> str:
        where = [self.file or ""]
        where += [f"entry {self.entry!r}"] if self.entry else []
        where += [f"field {self.field!r}"] if self.field else []
        prefix = ", ".join(w for w in where if w)
        return f"{prefix}: {self.reason}" if prefix else self.reason


class LedgerError(IppbotError):
    """Raised by `bot.store.ledger` when a change is refused. Nothing was written.

    A worker that gets one stops working that entry: someone else has it, or the code asked
    for a move the state machine forbids (a bug). Exit code 1.
    """


class UnknownEntry(LedgerError):
    """Raised when no entry has the key asked for."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no entry with key {key!r} in the ledger")
        self.key = key


class IllegalTransition(LedgerError):
    """Raised when the state machine (drawn in `bot.store.states`) has no move from `current` to
    `target` for this call. A bug in the caller, or an entry a person has moved on.
    """

    def __init__(self, key: str, current: str, target: str, why: str = "") -> None:
        text = f"entry {key!r}: cannot go from {current} to {target}"
        super().__init__(f"{text}: {why}" if why else text)
        self.key = key
        self.current = current
        self.target = target


class StaleEntry(LedgerError):
    """Raised when the entry is no longer in the state or version the caller read: another
    worker (or `recover_stale`) moved it. The caller drops the entry and claims the next one.
    """

    def __init__(self, key: str, detail: str) -> None:
        super().__init__(f"entry {key!r} changed under this worker: {detail}")
        self.key = key


class LeaseNotHeld(LedgerError):
    """Raised when a worker acts for an account whose lease it does not hold (it expired or
    another run took it over). The worker stops at once: never click submit without it.
    """

    def __init__(self, account: str, holder: str | None) -> None:
        super().__init__(f"account {account!r}: lease not held by {holder or 'any live worker'}; it ran out or "
                         "another worker took the account over, so this one stopped and sent nothing more (the "
                         "account's next run settles what it left from the portal's records)")
        self.account = account
        self.holder = holder


class PortalError(IppbotError):
    """Raised by flows and page objects when the portal did not do what an entry needed.

    Carries `entry` (its key), `step` (the flow step) and `url`. A bare `PortalError` is one
    we cannot classify: the entry fails and a human reads the log.
    """

    def __init__(
        self,
        message: str,
        *,
        entry: str | None = None,
        step: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.entry = entry
        self.step = step
        self.url = url

    def __str__(self) -> str:
        context = (("entry", self.entry), ("step", self.step), ("url", self.url))
        where = ", ".join(f"{name}={value}" for name, value in context if value)
        return f"{self.message} ({where})" if where else self.message

    def with_context(
        self, *, entry: str | None = None, step: str | None = None, url: str | None = None
    ) -> Self:
        """Fill in the context fields that are still empty (the flow boundary knows them)."""
        self.entry = self.entry or entry
        self.step = self.step or step
        self.url = self.url or url
        return self


class TransientPortalError(PortalError):
    """The portal may do it if asked again. The retry policy retries these (but see
    `SubmitOutcomeUnknown`); the ledger schedules the entry again once retries run out.
    """


class PortalTimeout(TransientPortalError):
    """Raised when a navigation or an element took longer than `timeout_ms`. Retry."""


class PortalServerError(TransientPortalError):
    """Raised on a 5xx answer or a dropped connection (`status` is None then). Retry."""

    def __init__(self, message: str, *, status: int | None = None, **context: str | None) -> None:
        super().__init__(message, **context)
        self.status = status


class RateLimited(TransientPortalError):
    """Raised on a 429 answer. Retry, waiting at least `retry_after_s` when the portal said."""

    def __init__(
        self,
        message: str = "rate limited",
        *,
        retry_after_s: float | None = None,
        **context: str | None,
    ) -> None:
        super().__init__(message, **context)
        self.retry_after_s = retry_after_s


class SessionExpired(TransientPortalError):
    """Raised when the portal sends us back to log-in. Log in again, then retry the step."""


class SubmitOutcomeUnknown(TransientPortalError):
    """Raised when the final submit was clicked but no confirmation came back.

    The portal may or may not have stored the submission. The caller must reconcile (look
    the record up on the portal) before anything else; the retry policy never retries it.
    """


class PermanentPortalError(PortalError):
    """The portal will give the same answer however often we ask. Never retried; the entry
    fails and waits for a human.
    """


class PortalRejected(PermanentPortalError):
    """Raised when the portal refused a submission; `field_errors` maps field to message.
    The operator corrects the entry.
    """

    def __init__(
        self,
        reason: str,
        *,
        field_errors: dict[str, str] | None = None,
        **context: str | None,
    ) -> None:
        super().__init__(reason, **context)
        self.reason = reason
        self.field_errors = dict(field_errors or {})


class PortalChanged(PermanentPortalError):
    """Raised by the selectors loader when a selector matches no element or several: the
    portal's pages differ from `selectors/`. A developer updates the selector file.
    """

    def __init__(self, selector_file: str, key: str, detail: str, **context: str | None) -> None:
        super().__init__(f"{selector_file}: {key}: {detail}", **context)
        self.selector_file = selector_file
        self.key = key
        self.detail = detail


class NeedsHuman(PermanentPortalError):
    """Raised when only a person can go on (a captcha, a question the bot cannot answer).
    The entry waits; a headed run with `--pause-on-failure` lets the operator step in.
    """

    def __init__(self, reason: str, **context: str | None) -> None:
        super().__init__(reason, **context)
        self.reason = reason


class IprNotApproved(TransientPortalError):
    """Raised by the complaint flow when the complaint's IPR is on the portal but not approved yet
    (its review takes 3 working days). The complaint waits: run `ippbot sync` once it is approved.
    """


class IprNotOffered(PermanentPortalError):
    """Raised by the complaint flow when the complaint form offers no approved IPR by that number
    or name: it was never filed on this account, or it was rejected or has expired. The operator
    checks `ippbot status` and IPR management, files or corrects the IPR, then retries the complaint.
    """


def is_transient(exc: BaseException) -> bool:
    """True for errors that may go away if the same step is tried again."""
    return isinstance(exc, TransientPortalError)


def exit_code_for(exc: BaseException) -> int:
    """The process exit code for an error that ends a command (see CONTRACT.md)."""
    if isinstance(exc, InputError):
        return EXIT_USAGE
    if isinstance(exc, ConfigError | EnvironmentProblem):
        return EXIT_ENVIRONMENT
    return EXIT_FAILED


def first_line(exc: BaseException) -> str:
    """An exception as one line for an operator: what comes before Playwright's call log, its
    first line; the class name when the message is empty. The one helper for it in ippbot."""
    lines = str(exc).split("Call log:", 1)[0].strip().splitlines()
    return lines[0].strip() if lines else type(exc).__name__


class AccountBusy(LedgerError):
    """Raised by the runner when another run holds the account's lease (one run per account).

    Nothing was done; the other run carries on. Exit code 1.
    """

    def __init__(self, account: str) -> None:
        super().__init__(f"another ippbot run is working account {account}; this run did nothing")
        self.account = account


class CopyRefused(LedgerError):
    """Raised by `ippbot ledger copy` before anything is written: a worker holds a lease in the source, or the
    target holds rows. The operator stops the worker, or names an empty database; exit code 2."""


class CopyFailed(LedgerError):
    """Raised by `ippbot ledger copy` when a row could not be written: the target's transaction was rolled back, so
    it holds no row (its tables stay, at the newest revision). Exit code 1."""


class Interrupted(IppbotError):
    """Raised when a signal (Ctrl-C's SIGINT, or SIGTERM) stops a command at a safe point
    (`bot.run.interrupts`). The ledger is as the state machine expects (an entry cut off before
    its submit click is `claimed`, after it `submitting` or `unknown`), so the next run settles
    it. The command prints one line and exits `exit_code`: 128 + the signal's number (130, 143).
    """

    def __init__(self, signal_name: str, signal_number: int, detail: str = "") -> None:
        super().__init__(f"interrupted by {signal_name}" + (f" {detail}" if detail else ""))
        self.signal_name = signal_name
        self.signal_number = signal_number
        self.detail = detail

    @property
    def exit_code(self) -> int:
        """The shell's convention for a process ended by a signal: 128 + its number."""
        return 128 + self.signal_number


class PortalMaintenance(RateLimited):
    """Raised when the portal shows its maintenance page (503 with `Retry-After`): nothing is
    wrong with the entry. Retried as a `RateLimited`, waiting at least `retry_after_s`.
    """
