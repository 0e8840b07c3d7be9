"""Turns: several accounts worked in turn, a few entries each, so no catalogue starves another; one failing never
stops the others."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.errors import AccountBusy, ConfigError, Interrupted
from bot.run.artifacts import EntryResult, RunSummary
from bot.run.turns import take_turns
from bot.settings import Settings

pytestmark = pytest.mark.unit


class Portal:
    """Each account's line of due entries, worked `limit` at a time as a run does; the order of the runs."""

    def __init__(self, due: dict[str, int], parks: str = "") -> None:
        self.due = due
        self.parks = parks
        self.runs: list[tuple[str, int, str]] = []

    def work(self, settings: Settings, limit: int, run_id: str) -> RunSummary:
        email = settings.email
        self.runs.append((email, limit, run_id))
        if email == "busy@x.example":
            raise AccountBusy("busy@x.example")
        worked = min(limit, self.due[email])
        self.due[email] -= worked
        state = "needs_human" if email == self.parks else "confirmed"
        entries = [EntryResult(key=f"{email}-{i}", kind="ipr", state=state) for i in range(worked)]
        return RunSummary(run_id=run_id, started_at="", portal_url="", trace_mode="off", entries=entries)


def source(email: str) -> tuple[str, Callable[[], Settings]]:
    def settings_of() -> Settings:
        if email == "nosecret@x.example":
            raise ConfigError("account nosecret@x.example: its password variable NOSECRET_PW is not set")
        return Settings(email=email)
    return email, settings_of


def test_accounts_take_turns_until_each_line_is_empty() -> None:
    """A big catalogue is worked in turns with the small ones, which finish in their first turn."""
    portal = Portal({"big@x.example": 45, "small@x.example": 5})
    turns = take_turns([source("big@x.example"), source("small@x.example")], portal.work, "R", turn_entries=20)
    assert [(email, limit) for email, limit, _ in portal.runs] == [
        ("big@x.example", 20), ("small@x.example", 20), ("big@x.example", 20), ("big@x.example", 20)]
    assert [t.run_id for t in turns] == ["R-1", "R-2", "R-3", "R-4"]
    assert portal.due == {"big@x.example": 0, "small@x.example": 0}


def test_a_limit_counts_per_account() -> None:
    """`--limit N` is N entries of each account, over its turns."""
    portal = Portal({"big@x.example": 45, "small@x.example": 5})
    take_turns([source("big@x.example"), source("small@x.example")], portal.work, "R", limit=25, turn_entries=20)
    assert [(email, limit) for email, limit, _ in portal.runs] == [
        ("big@x.example", 20), ("small@x.example", 20), ("big@x.example", 5)]
    assert portal.due["big@x.example"] == 20


def test_one_account_that_cannot_run_never_stops_the_others() -> None:
    """A busy account, a missing secret and a parked account each end their own turns only."""
    portal = Portal({"ok@x.example": 30, "parked@x.example": 30}, parks="parked@x.example")
    turns = take_turns([source("busy@x.example"), source("nosecret@x.example"), source("parked@x.example"),
                        source("ok@x.example")], portal.work, "R", turn_entries=20)
    assert [t.account for t in turns] == ["busy@x.example", "nosecret@x.example", "parked@x.example",
                                          "ok@x.example", "ok@x.example"]
    assert isinstance(turns[0].problem, AccountBusy)
    assert turns[0].line.startswith("account busy@x.example: another ippbot run is working account busy@x.example")
    assert turns[1].line == "account nosecret@x.example: its password variable NOSECRET_PW is not set"
    assert portal.due == {"ok@x.example": 0, "parked@x.example": 10}


def test_a_stop_ends_every_turn() -> None:
    """Ctrl-C in one account's turn ends them all (the runner stopped it at a safe point)."""
    def stopped(settings: Settings, limit: int, run_id: str) -> RunSummary:
        raise Interrupted("SIGINT", 2)

    with pytest.raises(Interrupted):
        take_turns([source("a@x.example"), source("b@x.example")], stopped, "R")
