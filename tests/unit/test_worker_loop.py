"""The worker's night (run, sync, report), its morning sync and a missed night, on a controlled clock.

The task functions are called directly, as huey's consumer would at their hour; the run, the sync,
the report and the notice are stand-ins that note what was asked, so nothing waits and no browser
starts. The schedules are checked against huey's own periodic test, in the configured zone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from huey import MemoryHuey
from ledger_entries import ipr_entry
from structlog.testing import capture_logs

from bot.commands.worker import Loop, Marks, missed_night, queue
from bot.errors import EnvironmentProblem
from bot.run.artifacts import RunDir
from bot.run.notify import Notice
from bot.settings import Settings
from bot.store.ledger import Ledger
from bot.store.queue import Queue

pytestmark = pytest.mark.unit

NIGHT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings(_env_file=None, data_dir=tmp_path, email="brand@example.com")  # type: ignore[call-arg]
    with Ledger.open(settings) as ledger:
        ledger.add([ipr_entry()])
    return settings


def loop(settings: Settings, clock: Clock, calls: list[str], told: list[Notice]) -> Loop:
    def run(s: Settings, ledger: Ledger, stop: object) -> RunDir:
        calls.append("run")
        return RunDir(s.runs_dir, "r1")

    def report(s: Settings, ledger: Ledger, run: RunDir | None) -> Path:
        calls.append(f"report {run.run_id if run else 'latest'}")
        return s.runs_dir / "r1" / "report.html"

    return Loop(settings, clock=clock, run=run, sync=lambda s, ledger: calls.append("sync"), report=report,
                tell=lambda s, notice: told.append(notice))


def test_the_night_runs_then_syncs_then_reports(settings: Settings) -> None:
    """The nightly task works the entries, then syncs, then writes that run's report, and notes the night."""
    calls: list[str] = []
    loop(settings, Clock(NIGHT), calls, []).night()
    assert calls == ["run", "sync", "report r1"]
    assert Marks(settings).get("night") == NIGHT


def test_a_night_with_nothing_to_file_still_syncs_and_reports(settings: Settings) -> None:
    """With nothing to work, the night starts no run, but still syncs and writes the latest report."""
    with Ledger.open(settings) as ledger:
        ledger.cancel(ipr_entry().key)
    calls: list[str] = []
    loop(settings, Clock(NIGHT), calls, []).night()
    assert calls == ["sync", "report latest"]


def test_the_morning_after_a_night_syncs_and_reports_and_says_nothing(settings: Settings) -> None:
    """Night, morning, night, morning: each morning syncs and writes the report; no night was missed."""
    calls: list[str] = []
    told: list[Notice] = []
    clock = Clock(NIGHT - timedelta(hours=18))  # the previous morning
    worker = loop(settings, clock, calls, told)
    assert worker.morning() is False  # the first morning cannot tell
    for _ in range(2):
        clock.now += timedelta(hours=18)
        worker.night()
        clock.now += timedelta(hours=6)
        assert worker.morning() is False
    assert told == []
    assert calls[-2:] == ["sync", "report latest"]


def test_a_fleet_s_night_on_one_host_is_known_to_another_s_morning(tmp_path: Path) -> None:
    """Two hosts (data dirs of their own) on one ledger: host A's night of an account, then host B's morning: no
    missed night is said, as the marks are the ledger's."""
    shared = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    hosts = [Settings(_env_file=None, data_dir=tmp_path / name, email="brand@example.com",  # type: ignore[call-arg]
                      ledger_url=shared) for name in ("a", "b")]
    calls: list[str] = []
    told: list[Notice] = []
    clock = Clock(NIGHT - timedelta(hours=18))
    assert loop(hosts[1], clock, calls, told).morning() is False  # the first morning, on host B
    clock.now += timedelta(hours=18)
    loop(hosts[0], clock, calls, told).night_of("brand@example.com")  # the night's account dealt to host A
    clock.now += timedelta(hours=6)
    assert loop(hosts[1], clock, calls, told).morning() is False
    assert told == []


def test_a_missed_night_is_said_in_the_log_and_a_notice(settings: Settings) -> None:
    """No night finished since the previous morning sync: a warning line and a notice, then the sync as usual."""
    calls: list[str] = []
    told: list[Notice] = []
    clock = Clock(NIGHT)
    worker = loop(settings, clock, calls, told)
    worker.night()
    clock.now += timedelta(hours=6)
    assert worker.morning() is False
    clock.now += timedelta(days=1)  # the worker was down all night
    with capture_logs() as logs:
        assert worker.morning() is True
    [line] = [e for e in logs if e["event"] == "worker.missed_night"]
    assert line["log_level"] == "warning" and line["last_night"] == NIGHT.isoformat()
    [notice] = told
    assert "no nightly run finished" in notice.subject and notice.summary["event"] == "missed_night"
    assert calls[-2:] == ["sync", "report latest"]
    clock.now += timedelta(hours=18)
    worker.night()
    clock.now += timedelta(hours=6)
    assert worker.morning() is False


def test_a_night_whose_run_failed_is_not_a_night(settings: Settings) -> None:
    """A run that fails as a whole (the portal unreachable) still syncs and reports, but the morning says so."""
    def down(s: Settings, ledger: Ledger, stop: object) -> RunDir:
        raise EnvironmentProblem("the portal at http://127.0.0.1:9 does not answer")

    calls: list[str] = []
    told: list[Notice] = []
    clock = Clock(NIGHT - timedelta(hours=18))
    worker = loop(settings, clock, calls, told)
    worker.morning()
    worker.run = down
    clock.now += timedelta(hours=18)
    assert worker.night() is False
    assert calls[-2:] == ["sync", "report latest"]
    clock.now += timedelta(hours=6)
    assert worker.morning() is True


def test_missed_night_rule() -> None:
    """A night counts when it finished after the previous morning sync."""
    assert missed_night(None, None) is False
    assert missed_night(None, NIGHT) is True
    assert missed_night(NIGHT, NIGHT + timedelta(hours=6)) is True
    assert missed_night(NIGHT + timedelta(hours=6), NIGHT) is False


def names_due(q: Queue, utc: datetime) -> set[str]:
    """The periodic tasks but the sweep that huey would start at `utc` (huey hands its tests naive UTC times)."""
    return {task.name for task in q.huey.read_periodic(utc.replace(tzinfo=None))} - {"sweep"}


def test_schedules_are_read_in_the_configured_zone(tmp_path: Path) -> None:
    """With IPPBOT_TIMEZONE=Asia/Shanghai, 0 1 and 0 7 are 17:00 and 23:00 UTC, not 01:00 and 07:00 UTC."""
    settings = Settings(_env_file=None, data_dir=tmp_path, timezone="Asia/Shanghai")  # type: ignore[call-arg]
    q = Queue(MemoryHuey("t"), settings, print, list, nightly=lambda: None, morning=lambda: None)
    assert names_due(q, datetime(2026, 3, 1, 17, 0, tzinfo=UTC)) == {"nightly"}
    assert names_due(q, datetime(2026, 3, 1, 23, 0, tzinfo=UTC)) == {"morning_sync"}
    assert names_due(q, datetime(2026, 3, 2, 7, 0, tzinfo=UTC)) == set()
    assert names_due(q, datetime(2026, 3, 2, 1, 0, tzinfo=UTC)) == set()


def test_the_worker_queue_schedules_the_night_and_the_morning(settings: Settings) -> None:
    """`ippbot worker`'s queue has the nightly task and the morning sync (default 0 7 * * *) besides the sweep."""
    settings = settings.model_copy(update={"timezone": "UTC"})
    q = queue(settings, loop=Loop(settings))
    assert settings.sync_schedule == "0 7 * * *"
    assert names_due(q, datetime(2026, 3, 2, 7, 0, tzinfo=UTC)) == {"morning_sync"}
    assert names_due(q, datetime(2026, 3, 2, 1, 0, tzinfo=UTC)) == {"nightly"}


def test_an_unknown_zone_is_refused() -> None:
    """IPPBOT_TIMEZONE must name a zone."""
    with pytest.raises(ValueError, match="not a known time zone"):
        Settings(_env_file=None, timezone="Mars/Olympus")  # type: ignore[call-arg]


def test_a_morning_that_finds_something_tells_the_operator(settings: Settings) -> None:
    """A sync that leaves an entry for a person sends a notice naming it and the command that settles it."""
    with Ledger.open(settings) as ledger:
        record = ledger.claim_next(settings.email)
        assert record is not None
        ledger.fail(record.key, "the portal refused the certificate")
    told: list[Notice] = []
    loop(settings, Clock(NIGHT), [], told).morning()
    [notice] = told
    assert notice.summary == {"event": "sync", "account": settings.email, "counter_notices": 0,
                              "needs_operator": 1, "expiring": 0}
    assert "ACME (30612345)" in notice.text and "ippbot retry KEY" in notice.text


def test_the_night_works_every_account_and_one_without_its_secret_never_stops_the_others(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With an accounts file the night runs, syncs and reports each account in turn with its own password; one
    whose password is not set is noted (the night does not count as finished) and the others go on; the
    sweeper triggers every account with entries left."""
    accounts_file = tmp_path / "accounts.toml"
    accounts_file.write_text("".join(f'[[account]]\nemail = "{name}@agency.example"\npassword_env = "PW_{name}"\n\n'
                                     for name in ("acme", "zeta", "omega")), encoding="utf-8")
    monkeypatch.setenv("PW_acme", "acme-secret")
    monkeypatch.setenv("PW_omega", "omega-secret")
    settings = Settings(_env_file=None, data_dir=tmp_path, accounts_file=accounts_file)  # type: ignore[call-arg]
    with Ledger.open(settings) as ledger:
        ledger.add([ipr_entry()], account="acme@agency.example")
        ledger.add([ipr_entry("zeta-tm", number="31234567")], account="zeta@agency.example")
    ran: list[tuple[str, str]] = []

    def run(s: Settings, ledger: Ledger, stop: object) -> RunDir:
        ran.append((s.email, s.password.get_secret_value()))
        return RunDir(s.runs_dir, "r1")

    night = Loop(settings, clock=Clock(NIGHT), run=run, sync=lambda s, ledger: None,
                 report=lambda s, ledger, r: None, tell=lambda s, notice: None)
    assert night.night() is False
    assert ran == [("acme@agency.example", "acme-secret")]  # omega has nothing to work; zeta has no password
    assert night.failed == ["account zeta@agency.example: its password variable PW_zeta is not set; "
                            "export PW_zeta=... (the accounts file names it)"]
    assert queue(settings, loop=night).unfinished() == ["acme@agency.example", "zeta@agency.example"]
