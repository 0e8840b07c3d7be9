"""`ippbot worker --concurrency N`: several accounts at once, each in a browser of its own, never two on one account."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import yaml
from support import MockPortal, Operator, assert_each_once, write_batch

ACCOUNTS = ["north@agency.example", "south@agency.example"]
ENTRIES = 4


def agency(portal: MockPortal, tmp_path: Path) -> Operator:
    """One data dir for two accounts of an accounts file, each registered, each with its batch enqueued."""
    accounts = tmp_path / "accounts.toml"
    accounts.write_text("".join(f'[[account]]\nemail = "{email}"\npassword_env = "PW_{n}"\n\n'
                                for n, email in enumerate(ACCOUNTS)), encoding="utf-8")
    operator = Operator(portal, tmp_path / "data")
    operator.env.update({"IPPBOT_ACCOUNTS_FILE": str(accounts), **{f"PW_{n}": f"Pw-{n}-Worker-2231"
                                                                   for n in range(len(ACCOUNTS))}})
    for n, email in enumerate(ACCOUNTS):
        operator.ippbot("account", "register", "--account", email, check=True)
        batch = write_batch(tmp_path / f"b{n}.yaml", iprs=ENTRIES, start=100 * n)
        content = yaml.safe_load(batch.read_text(encoding="utf-8"))
        batch.write_text(yaml.safe_dump({"account": email, **content}), encoding="utf-8")
        operator.ippbot("enqueue", str(batch), check=True)  # each enqueue triggers its account
    return operator


def test_two_accounts_at_once_each_once(portal: MockPortal, tmp_path: Path) -> None:
    """Two triggered accounts, `--concurrency 2`: their runs overlap in time, every entry lands once on its own
    account, at most one submission in flight per account, each run's log and step timings are its own; SIGTERM
    then stops the idle worker."""
    operator = agency(portal, tmp_path)
    worker = operator.start("worker", "--concurrency", "2")
    assert worker.stdout is not None and worker.stderr is not None
    assert "2 accounts at once" in worker.stdout.readline()
    worked: dict[str, str] = {}
    for line in worker.stderr:  # the worker's JSON log, until both accounts' runs are done
        event = json.loads(line) if line.startswith("{") else {}
        if event.get("event") == "worker.worked":
            worked[event["account"]] = event["run"]
        if len(worked) == len(ACCOUNTS):
            break
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=60) in (0, 143)
    assert operator.states() == {"confirmed": ENTRIES * len(ACCOUNTS)}
    assert_each_once(portal, operator)
    assert all(peak <= 1 for peak in portal.state()["max_submissions_in_flight"].values())
    spans = [json.loads((operator.data_dir / "runs" / run / "summary.json").read_text(encoding="utf-8"))
             for run in worked.values()]
    assert {s["account"] for s in spans} == set(ACCOUNTS)
    assert max(s["started_at"] for s in spans) < min(s["finished_at"] for s in spans)  # both browsers at once
    assert all(entry["steps"] for s in spans for entry in s["entries"])  # each run's step timer saw its steps
    whose = {row["key"]: row["account"] for row in operator.status()}
    for account, run in worked.items():  # each run's log holds its own account's entries, none of the other's
        lines = (operator.data_dir / "runs" / run / "log.jsonl").read_text(encoding="utf-8").splitlines()
        logged = {event["entry"] for event in map(json.loads, lines) if event.get("entry") in whose}
        assert logged and {whose[key] for key in logged} == {account}, (account, logged)
