"""The counter-notice policy's choice (`bot.run.policy.plan`): which unanswered counter-notices, which answer."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml

from bot.models import Complaint
from bot.run.policy import plan
from bot.settings import Settings
from bot.store.batch import load_batch
from bot.store.ledger import Ledger
from bot.store.records import ListingRow

pytestmark = pytest.mark.unit

MONDAY = date(2026, 3, 2)


def row(url: str, deadline: date | None, *, state: str = "counter_noticed", answer: str | None = None,
        complaint: str = "CP-000001") -> ListingRow:
    return ListingRow(account="brand@example.com", complaint=complaint, url=f"https://www.aliexpress.com/item/{url}",
                      complaint_status="awaiting_seller", state=state, changed_on=None,
                      seen_at=datetime(2026, 3, 1, tzinfo=UTC), deadline=deadline, chance=1, answer=answer)


def urls(rows: list[ListingRow]) -> list[str]:
    return [r.url.rsplit("/", 1)[-1] for r in rows]


def test_only_those_within_the_days_of_their_deadline_are_answered() -> None:
    """Due today or within POLICY_DAYS working days: answered; later, passed or unknown deadlines: left alone."""
    rows = [row("today", MONDAY), row("tue", date(2026, 3, 3)), row("wed", date(2026, 3, 4)),
            row("passed", date(2026, 2, 27)), row("unknown", None)]
    chosen = plan(rows, MONDAY, default="reject", days=1, overrides={})
    assert [(urls([r])[0], d) for r, d in chosen.answers] == [("today", "reject"), ("tue", "reject")]
    assert chosen.reminders == []


def test_working_days_skip_the_weekend() -> None:
    """On a Friday, one working day ahead is Monday: a Monday deadline is due, a Tuesday one is not."""
    friday = date(2026, 2, 27)
    chosen = plan([row("mon", MONDAY), row("tue", date(2026, 3, 3))], friday, default="accept", days=1, overrides={})
    assert [(urls([r])[0], d) for r, d in chosen.answers] == [("mon", "accept")]


def test_ask_answers_none_and_reminds() -> None:
    """`ask` files nothing: the counter-notices due within the days are reminders."""
    chosen = plan([row("tue", date(2026, 3, 3)), row("fri", date(2026, 3, 6))], MONDAY, default="ask", days=1,
                  overrides={})
    assert chosen.answers == [] and urls(chosen.reminders) == ["tue"]


def test_a_complaints_own_policy_wins_over_the_setting() -> None:
    """A complaint's `counter_notice:` decides for its listings; the others follow the setting."""
    rows = [row("a", MONDAY, complaint="CP-000001"), row("b", MONDAY, complaint="CP-000002"),
            row("c", MONDAY, complaint="CP-000003")]
    chosen = plan(rows, MONDAY, default="ask", days=0, overrides={"CP-000001": "reject", "CP-000002": "accept"})
    assert [(r.complaint, d) for r, d in chosen.answers] == [("CP-000001", "reject"), ("CP-000002", "accept")]
    assert [r.complaint for r in chosen.reminders] == ["CP-000003"]


def test_answered_or_closed_listings_are_never_chosen() -> None:
    """A counter-notice answered already, or a listing no longer counter-noticed, gets nothing and no reminder."""
    rows = [row("answered", MONDAY, answer="reject"), row("removed", MONDAY, state="removed")]
    for policy in ("ask", "reject"):
        chosen = plan(rows, MONDAY, default=policy, days=5, overrides={})  # type: ignore[arg-type]
        assert chosen.answers == [] and chosen.reminders == []


def test_a_batch_complaint_may_carry_its_policy(tmp_path: Path) -> None:
    """`counter_notice:` on a complaint is read into its entry; any other value is refused with the field."""
    assert Complaint(platform="aliexpress", ipr="1", reason="other", note="n", listings=("u",),
                     counter_notice="reject").counter_notice == "reject"
    doc = {"complaints": [{"platform": "aliexpress", "ipr": "40000001", "reason": "trademark_misuse",
                           "listings": ["https://www.aliexpress.com/item/1.html"], "counter_notice": "never"}]}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(Exception, match="counter_notice"):
        load_batch(path, today=MONDAY)


def test_the_ledger_gives_each_filed_complaint_its_policy(tmp_path: Path) -> None:
    """`complaint_policies` maps a filed complaint's reference to its batch's `counter_notice:`, none for the rest."""
    from bot.models import Entry

    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    made = [Complaint(platform="aliexpress", ipr="1", reason="other", note="n", listings=(f"u{n}",),
                      counter_notice=policy) for n, policy in enumerate(("accept", None))]
    with Ledger.open(settings) as ledger:
        ledger.add([Entry(key=f"c{n}", kind="complaint", payload=c, source="t") for n, c in enumerate(made)])
        for n in range(2):
            record = ledger.claim_next(settings.email)
            assert record is not None
            ledger.mark_submitting(record.key)
            ledger.confirm(record.key, f"CP-00000{n + 1}")
        refs = {r.key: r.portal_ref for r in ledger.rows()}
        assert ledger.complaint_policies() == {refs["c0"]: "accept"}
