"""Turns: `ippbot run` over several accounts, each worked in turn a few entries at a time.

An agency's accounts share one ledger and one command: `ippbot run` works every account of the
accounts file (`--account` narrows it), one entry at a time per account as always, in turns
of `TURN_ENTRIES` entries, round and round until each account's line is empty (or its
`--limit` is reached), so that a big catalogue does not starve the others. An account with
nothing a run could work (`Ledger.has_work`) gets no turn: no browser, no log-in, no run folder;
nor does one whose last turn left it nothing (a turn of exactly `TURN_ENTRIES`). Each turn is one
run of `bot.run.runner.Runner` for that account, with its own lease, session, run id and
report (`<run id>-<turn>`).

What stops one account never stops another: a run of that account holding its lease
(`AccountBusy`), a missing secret or a portal problem (`IppbotError`s but `Interrupted`) are
noted in its `Turn` and its turns end, the others go on. A human check parks that account's
remaining work (the runner does) and its turns end; one met at its log-in leaves its entries as they
were, and its line says how a person logs it in. Ctrl-C or SIGTERM ends them all, at the
running turn's safe point.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.errors import Interrupted, IppbotError, NeedsHuman, first_line
from bot.run.artifacts import RunSummary
from bot.settings import Settings

__all__ = ["TURN_ENTRIES", "Turn", "take_turns"]

TURN_ENTRIES = 20  # entries an account works before the next account's turn

WorkTurn = Callable[[Settings, int, str], RunSummary]  # (the account's settings, limit, run id) -> what it did


@dataclass(frozen=True)
class Turn:
    """One account's turn: what its run did, or why it could not run."""

    account: str
    run_id: str
    summary: RunSummary | None = None
    problem: IppbotError | None = None

    @property
    def line(self) -> str:
        """Why the account could not run, in one line (empty when it ran)."""
        if self.problem is None:
            return ""
        said = first_line(self.problem)
        said = said if said.startswith(f"account {self.account}") else f"account {self.account}: {said}"
        if isinstance(self.problem, NeedsHuman):  # at its log-in: a person logs in once, and its work goes on
            said += (f"; its entries wait: log in by hand with `ippbot account login --account {self.account} "
                     f"--headed --pause-on-failure`, then `ippbot run --account {self.account}`")
        return said


def take_turns(accounts: list[tuple[str, Callable[[], Settings]]], work: WorkTurn, run_id: str,
               limit: int | None = None, turn_entries: int = TURN_ENTRIES,
               has_work: Callable[[str], bool] = lambda _: True) -> list[Turn]:
    """Work each account `turn_entries` entries at a time, in the order given, until none has more
    (`has_work`, asked before each turn)."""
    left = {email: limit for email, _ in accounts}  # None: no limit
    line = [(email, settings_of) for email, settings_of in accounts if has_work(email)]
    turns: list[Turn] = []
    while line:
        again = []
        for email, settings_of in line:
            turn = _one_turn(email, settings_of, work, f"{run_id}-{len(turns) + 1}", _quota(left[email], turn_entries))
            turns.append(turn)
            if turn.summary is None:
                continue
            worked = len(turn.summary.entries)
            quota = left[email]
            left[email] = None if quota is None else quota - worked
            parked = any(e.state == "needs_human" for e in turn.summary.entries)
            if worked >= turn_entries and left[email] != 0 and not parked and has_work(email):
                again.append((email, settings_of))
        line = again
    return turns


def _quota(left: int | None, turn_entries: int) -> int:
    return turn_entries if left is None else min(left, turn_entries)


def _one_turn(email: str, settings_of: Callable[[], Settings], work: WorkTurn, run_id: str, quota: int) -> Turn:
    try:
        return Turn(email, run_id, summary=work(settings_of(), quota, run_id))
    except Interrupted:
        raise
    except IppbotError as exc:
        return Turn(email, run_id, problem=exc)
