"""`ippbot status`: a header, aligned columns, keys exactly as typed, the root cause, and a word for an empty ledger."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ledger_entries import complaint_entry

from bot.commands import cli
from bot.models import ComplaintStatus, Entry, Ipr, ListingStatus
from bot.settings import Settings
from bot.store.ledger import Ledger

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("cli_env")]  # tests/unit/conftest.py

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
ACCOUNT = "brand@example.com"
TYPED = "ipr:copyright:CN:2020SR[bold]1:smile:"  # an emoji code and markup, as a person may type them


def entry(key: str, number: str) -> Entry:
    ipr = Ipr(type="copyright", name="Catalogue", registration_number=number, registration_place="CN",
              rights_holder="Demo Brand Ltd", work_type="photo", documents=(Path("/docs/c.pdf"),))
    return Entry(key=key, kind="ipr", payload=ipr, source="b.yaml:iprs[0]")


@pytest.fixture
def data_dir(tmp_path: Path, cli_env: pytest.MonkeyPatch) -> Path:
    cli_env.setenv("IPPBOT_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def ledger_in(data_dir: Path) -> Ledger:
    return Ledger.open(Settings(_env_file=None, data_dir=data_dir))


def status(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as ended:
        cli.main(["status", *args])
    assert ended.value.code == 0
    return capsys.readouterr().out


def test_an_empty_ledger_says_how_to_fill_it(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With nothing enqueued, status says so and names the command that adds entries."""
    assert status(capsys) == "no entries; run `ippbot enqueue FILE...` to add some\n"


def test_the_table_has_a_header_and_aligned_columns(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A header row names the columns, and every row's key starts under the header's KEY."""
    with ledger_in(data_dir) as ledger:
        ledger.add([entry("ipr:short", "2020SR1"), entry("ipr:a-much-longer-key-than-the-other", "2020SR2")],
                   account=ACCOUNT, now=T0)
    lines = status(capsys).splitlines()
    assert lines[0].split() == ["STATE", "KIND", "ATTEMPTS", "KEY", "PORTAL", "REF", "LAST", "ERROR"]
    column = lines[0].index("KEY")
    assert [line[column:].split()[0] for line in lines[1:]] == ["ipr:short", "ipr:a-much-longer-key-than-the-other"]


def test_keys_print_exactly_as_typed(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A key with an emoji code and markup in it prints as typed, not as an emoji or in bold."""
    with ledger_in(data_dir) as ledger:
        ledger.add([entry(TYPED, "2020SR1")], account=ACCOUNT, now=T0)
    assert TYPED in status(capsys)


def test_the_json_is_the_ledgers_rows_as_they_are(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--json` prints one array of the rows, with the contract's fields, and no header or message."""
    assert json.loads(status(capsys, "--json")) == []
    with ledger_in(data_dir) as ledger:
        ledger.add([entry(TYPED, "2020SR1")], account=ACCOUNT, now=T0)
    [row] = json.loads(status(capsys, "--json"))
    assert {"key", "kind", "state", "attempts", "portal_ref", "error"} <= row.keys()
    assert (row["key"], row["state"], row["error"]) == (TYPED, "pending", None)


def test_the_last_error_is_what_answered_the_click(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An entry proven absent after an unanswered click shows the 503 that answered it, not the reconciliation."""
    with ledger_in(data_dir) as ledger:
        ledger.add([entry("ipr:503", "2020SR1")], account=ACCOUNT, now=T0)
        assert ledger.acquire_lease(ACCOUNT, "run", 300, now=T0)
        ledger.claim_next(ACCOUNT, now=T0, holder="run")
        ledger.mark_submitting("ipr:503", now=T0)
        ledger.mark_unknown("ipr:503", "no confirmation after the submit: the portal answered 503 "
                            "(entry=ipr:503, step=ipr_form.submit, url=http://127.0.0.1:8765/ipr/submit)", now=T0)
        ledger.reconcile("ipr:503", None, proof_absent=True, now=T0 + timedelta(seconds=1))
    out = status(capsys)
    assert "not filed: no confirmation after the submit: the portal answered 503\n" in out
    assert "reconciled" not in out
    assert json.loads(status(capsys, "--json"))[0]["error"] == "reconciled: not on the portal"


def test_each_complaint_shows_its_listings_per_state(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """After a sync kept listings, status counts each complaint's listings per state, in the table and in --json."""
    def listed(n: int, state: str) -> list[ListingStatus]:
        return [ListingStatus(url=f"https://www.aliexpress.com/item/{state}{i}.html", status=state, state=state)
                for i in range(n)]

    with ledger_in(data_dir) as ledger:
        ledger.add([complaint_entry("complaint:one", depends_on="none")], account=ACCOUNT, now=T0)
        ledger.move("complaint:one", "claimed", now=T0)
        ledger.move("complaint:one", "submitting", now=T0)
        ledger.confirm("complaint:one", "CP-000001", now=T0)
        ledger.keep_listings(ACCOUNT, [
            ComplaintStatus(reference="CP-000001", ipr_reference="IPR-1", status="awaiting_seller",
                            listings=(*listed(3, "removed"), *listed(1, "counter_noticed"))),
            ComplaintStatus(reference="CP-000009", ipr_reference="IPR-1", status="closed",
                            listings=tuple(listed(2, "restored")))], now=T0)
    lines = status(capsys).splitlines()
    assert lines[lines.index("") + 1].split() == ["COMPLAINT", "KEY", "LISTINGS"]
    assert lines[-2].split() == ["CP-000001", "complaint:one", "counter_noticed", "1,", "removed", "3"]
    assert lines[-1].split() == ["CP-000009", "-", "restored", "2"]
    [row] = json.loads(status(capsys, "--json"))
    assert row["listings"] == {"removed": 3, "counter_noticed": 1} and row["portal_ref"] == "CP-000001"


def test_the_fleet_shows_each_live_worker_and_what_it_works(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`status --fleet` (and `--json`): the workers alive by their heartbeat with the accounts their runs hold, and
    entries per state per account; plain `status` shows the workers above its table; a silent worker is gone."""
    with ledger_in(data_dir) as ledger:
        ledger.add([entry("ipr:a", "1"), entry("ipr:b", "2")], account=ACCOUNT)
        ledger.beat("host-a pid 7", host="host-a", pid=7, concurrency=2, queue="the queue")
        ledger.beat("host-b pid 8", host="host-b", pid=8, concurrency=1, queue="the queue",
                    now=datetime.now(UTC) - timedelta(hours=1))
        ledger.acquire_lease(ACCOUNT, "run r1 on host-a pid 7", 300)
        assert ledger.claim_next(ACCOUNT, holder="run r1 on host-a pid 7") is not None
    fleet = json.loads(status(capsys, "--fleet", "--json"))
    assert [(w["name"], w["concurrency"], w["accounts"]) for w in fleet["workers"]] == [("host-a pid 7", 2, [ACCOUNT])]
    assert fleet["accounts"] == {ACCOUNT: {"claimed": 1, "pending": 1}}
    text = status(capsys, "--fleet")
    assert text.splitlines()[0].split() == ["WORKER", "HOST", "PID", "CONCURRENCY", "LAST", "HEARTBEAT", "WORKING"]
    assert f"{ACCOUNT}: 1 claimed, 1 pending" in text
    assert status(capsys).splitlines()[1].endswith(ACCOUNT)  # the worker's line, above the entries
