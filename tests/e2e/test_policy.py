"""The counter-notice policy, end to end: `ippbot sync` answers what no one answered as the policy says, only
within IPPBOT_COUNTER_NOTICE_POLICY_DAYS working days of the deadline, under the account's lease, and the
portal's records (`GET /__mock/state`) and the ledger agree at each step.

Each test files one trademark and two complaints (5 listings the portal counter-notices, 4 it does not),
then moves the portal's clock a day at a time until the counter-notices arrive, 3 working days before
their deadline.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from support import DOCS, MockPortal, Operator
from wait_support import NUMBER, portal_counts, portal_listings, urls, waiting_on_portal

from bot.settings import Settings
from bot.store.ledger import Ledger
from bot.store.listings import working_days_left


def policy_batch(path: Path, first: str | None = None) -> Path:
    """The wait's batch (3 counter-noticed + 2 plain listings, then 2 + 2), the first complaint with `first` as
    its own `counter_notice:` when given."""
    ipr = {"type": "trademark", "name": "MARKP", "registration_number": NUMBER, "registration_place": "CN",
           "rights_holder": "Demo Brand Ltd", "expiration_date": "2034-01-01", "classes": [9],
           "documents": [str(DOCS / "trademark-certificate.pdf")]}
    complaints: list[dict[str, Any]] = [
        {"platform": "aliexpress", "ipr": NUMBER, "reason": "trademark_misuse", "listings": urls(*n)}
        for n in ((3, 2, 7100000), (2, 2, 7200000))]
    if first is not None:
        complaints[0]["counter_notice"] = first
    path.write_text(yaml.safe_dump({"iprs": [ipr], "complaints": complaints}), encoding="utf-8")
    return path


def portal_today(portal: MockPortal) -> date:
    return date.fromisoformat(portal.state()["now"][:10])


def deadline(portal: MockPortal) -> date:
    """The one deadline of the waiting counter-notices (they all came on the same day)."""
    records = portal_listings(portal)
    [day] = {records[key]["response_due_at"][:10] for key in waiting_on_portal(portal)}
    return date.fromisoformat(day)


def left(portal: MockPortal) -> int:
    return working_days_left(portal_today(portal), deadline(portal))


def to_the_counter_notices(operator: Operator, batch: Path) -> Operator:
    """File the batch, then move the clock a day at a time until the counter-notices arrive (5 of them)."""
    operator.ippbot("enqueue", str(batch), check=True)
    operator.ippbot("run", check=True)
    operator.portal.advance(7)
    operator.ippbot("sync", check=True)
    operator.ippbot("run", check=True)
    assert operator.states() == {"confirmed": 3}
    for _ in range(10):
        if waiting_on_portal(operator.portal):
            break
        operator.portal.advance(1)
    assert len(waiting_on_portal(operator.portal)) == 5
    return operator


def until_left(operator: Operator, days: int) -> None:
    """Move the clock a day at a time until the deadline is `days` working days away (never past it)."""
    while left(operator.portal) > days:
        operator.portal.advance(1)
    assert left(operator.portal) == days



def ledger_counts(operator: Operator) -> dict[str, dict[str, int]]:
    return {row["portal_ref"]: row["listings"] for row in operator.status() if row["kind"] == "complaint"}


def answers_on_portal(portal: MockPortal) -> dict[str, set[str | None]]:
    """complaint reference -> the answers its counter-noticed listings carry on the portal."""
    found: dict[str, set[str | None]] = {}
    for (ref, _url), record in portal_listings(portal).items():
        if record.get("chance"):
            found.setdefault(ref, set()).add(record.get("response"))
    return found


def test_reject_acts_only_within_the_days_and_waits_for_a_run_holding_the_lease(operator: Operator,
                                                                                tmp_path: Path) -> None:
    """`reject`: nothing before the last working day; then, while a run holds the lease, sync says so and files
    nothing; the next sync rejects each once, and the ledger agrees with the portal."""
    to_the_counter_notices(operator, policy_batch(tmp_path / "b.yaml"))
    env = {"IPPBOT_COUNTER_NOTICE_POLICY": "reject"}
    assert left(operator.portal) > 1
    early = operator.ippbot("sync", extra_env=env, check=True)
    assert "policy" not in early.stdout and len(waiting_on_portal(operator.portal)) == 5
    until_left(operator, 1)
    settings = Settings(_env_file=None, data_dir=operator.data_dir)
    run = "run 20261201T000000-1 on another-host pid 1"
    with Ledger.open(settings) as ledger:
        assert ledger.acquire_lease(operator.email, run, 300)
        busy = operator.ippbot("sync", extra_env=env, check=True)
        assert "holds account" in busy.stdout and "wait for the next sync" in busy.stdout
        assert len(waiting_on_portal(operator.portal)) == 5
        ledger.release_lease(operator.email, run)
    done = operator.ippbot("sync", extra_env=env, check=True)
    assert done.stdout.count("policy reject: filed: answer of") == 5
    assert waiting_on_portal(operator.portal) == set()
    assert set().union(*answers_on_portal(operator.portal).values()) == {"reject"}
    first = {k: r["responded_at"] for k, r in portal_listings(operator.portal).items() if r.get("responded_at")}
    again = operator.ippbot("sync", extra_env=env, check=True)
    assert "policy" not in again.stdout
    assert {k: r["responded_at"] for k, r in portal_listings(operator.portal).items() if r.get("responded_at")} == first
    assert ledger_counts(operator) == portal_counts(operator.portal)
    with Ledger.open(settings) as ledger:
        assert {(a.decision, a.state) for a in ledger.actions()} == {("reject", "done")}
        assert len(ledger.actions()) == 5


def test_a_complaints_own_policy_wins_over_the_setting(operator: Operator, tmp_path: Path) -> None:
    """Setting `accept`, the first complaint's `counter_notice: reject`: its listings rejected, the other's accepted."""
    to_the_counter_notices(operator, policy_batch(tmp_path / "b.yaml", first="reject"))
    until_left(operator, 1)
    done = operator.ippbot("sync", extra_env={"IPPBOT_COUNTER_NOTICE_POLICY": "accept"}, check=True)
    assert done.stdout.count("policy reject: filed") == 3 and done.stdout.count("policy accept: filed") == 2
    answers = Counter((ref, r["response"]) for (ref, _), r in portal_listings(operator.portal).items()
                      if r.get("chance"))
    assert sorted((n, answer) for (_ref, answer), n in answers.items()) == [(2, "accept"), (3, "reject")]
    operator.ippbot("sync", check=True)
    assert ledger_counts(operator) == portal_counts(operator.portal)


def test_ask_reminds_before_the_deadline_and_leaves_it_listed(operator: Operator, tmp_path: Path) -> None:
    """`ask` (the default) files nothing: within the days, sync names each counter-notice due; `counter-notices`
    still lists them; once the deadline passes, the portal restores them."""
    to_the_counter_notices(operator, policy_batch(tmp_path / "b.yaml"))
    assert "reminder:" not in operator.ippbot("sync", check=True).stdout
    until_left(operator, 1)
    done = operator.ippbot("sync", check=True)
    reminders = [line for line in done.stdout.splitlines() if "reminder:" in line]
    assert len(reminders) == 5 and all("due in 1 working day" in line for line in reminders)
    assert all(any(url in line for line in reminders) for _, url in waiting_on_portal(operator.portal))
    assert len(waiting_on_portal(operator.portal)) == 5
    assert set().union(*answers_on_portal(operator.portal).values()) == {None}
    listed = operator.ippbot("counter-notices", "--json", check=True).stdout
    assert all(url in listed for _, url in waiting_on_portal(operator.portal))
    operator.portal.advance(3)
    operator.ippbot("sync", check=True)
    assert ledger_counts(operator) == portal_counts(operator.portal)
    assert sum(c.get("restored", 0) for c in ledger_counts(operator).values()) == 5
