"""Ledger: a person's moves (park, retry, resolve, cancel) and complaints blocked by their IPR."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ledger_entries import IPR_KEY, complaint_entry, ipr_entry

from bot.errors import IllegalTransition, LedgerError
from bot.store.ledger import Ledger

pytestmark = pytest.mark.unit

T0 = datetime(2026, 3, 1, 22, 0, tzinfo=UTC)
ACCOUNT = "brand@example.com"


def later(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", clock=lambda: T0, max_attempts=2) as opened:
        yield opened


def used_up(ledger: Ledger, key: str) -> None:
    """The entry dies of transient errors, every attempt used."""
    for _ in range(2):
        assert ledger.claim_next(ACCOUNT) is not None
        ledger.retry_later(key, "HTTP 503", 0)


# Parked and cannot-tell: the two cases of needs_human -------------------------------------


def test_park_hands_a_claimed_entry_to_a_person_saying_so(ledger: Ledger) -> None:
    """A human check met before any click parks the entry: needs_human, parked, with the reason."""
    ledger.add([ipr_entry()])
    ledger.claim_next(ACCOUNT)
    record = ledger.park(IPR_KEY, "a slider check at log-in")
    assert (record.state, record.human_reason, record.error) == (
        "needs_human", "parked", "parked: a slider check at log-in")
    assert ledger.history(IPR_KEY)[-1].detail == "parked: a slider check at log-in"
    assert ledger.rows()[0].human_reason == "parked"


def test_retry_puts_a_parked_entry_back_with_its_attempts_counted_afresh(ledger: Ledger) -> None:
    """retry: parked -> pending, due now, no attempts, no error, and a history line saying what it was."""
    ledger.add([ipr_entry()])
    ledger.claim_next(ACCOUNT)
    ledger.park(IPR_KEY, "a slider check at log-in")
    record = ledger.retry(IPR_KEY, now=later(60))
    assert (record.state, record.attempts, record.error, record.human_reason) == ("pending", 0, None, None)
    assert record.next_attempt_at == later(60)
    last = ledger.history(IPR_KEY)[-1]
    assert (last.from_state, last.to_state, last.at) == ("needs_human", "pending", later(60))
    assert last.detail == ("retried by the operator (was needs_human after 1 attempts: parked: a slider check "
                           "at log-in); attempts counted afresh")


def test_retry_gives_a_dead_entry_all_its_attempts_again(ledger: Ledger) -> None:
    """A dead entry retried is claimed as attempt 1 and may use max_attempts again."""
    ledger.add([ipr_entry()])
    used_up(ledger, IPR_KEY)
    assert ledger.get(IPR_KEY).state == "dead"
    ledger.retry(IPR_KEY)
    again = ledger.claim_next(ACCOUNT)
    assert again is not None and again.attempts == 1
    assert ledger.retry_later(IPR_KEY, "HTTP 503", 0).state == "pending"


def test_an_entry_that_cannot_tell_is_resolved_not_retried(ledger: Ledger) -> None:
    """A needs_human the portal's records could not settle says so; retry refuses it and names resolve."""
    ledger.add([ipr_entry()])
    ledger.claim_next(ACCOUNT)
    ledger.mark_submitting(IPR_KEY)
    ledger.mark_unknown(IPR_KEY, "connection reset after the click")
    record = ledger.reconcile(IPR_KEY, None)
    assert record.human_reason == "cannot_tell"
    assert (record.error or "").startswith("cannot tell: ")
    with pytest.raises(IllegalTransition, match=f"ippbot resolve {IPR_KEY} --filed REF or --not-filed"):
        ledger.retry(IPR_KEY)
    resolved = ledger.resolve(IPR_KEY, "IPR-7")
    assert (resolved.state, resolved.portal_ref, resolved.error, resolved.human_reason) == (
        "confirmed", "IPR-7", None, None)
    assert ledger.history(IPR_KEY)[-1].detail == "resolved by the operator: on the portal as IPR-7"


def test_resolve_not_filed_puts_an_unknown_entry_back_in_line(ledger: Ledger) -> None:
    """resolve(None): unknown -> pending with attempts counted afresh, after a person looked on the portal."""
    ledger.add([ipr_entry()])
    ledger.claim_next(ACCOUNT)
    ledger.mark_submitting(IPR_KEY)
    ledger.mark_unknown(IPR_KEY, "timeout after the click")
    record = ledger.resolve(IPR_KEY, None)
    assert (record.state, record.attempts, record.error) == ("pending", 0, None)
    assert "not on the portal" in ledger.history(IPR_KEY)[-1].detail


def test_resolve_refuses_a_parked_entry_and_a_blank_reference(ledger: Ledger) -> None:
    """A parked entry sent nothing (retry it); a filed entry needs the portal's reference."""
    ledger.add([ipr_entry()])
    ledger.claim_next(ACCOUNT)
    ledger.park(IPR_KEY, "slider")
    with pytest.raises(IllegalTransition, match=f"nothing was sent: ippbot retry {IPR_KEY}"):
        ledger.resolve(IPR_KEY, "IPR-1")
    with pytest.raises(LedgerError, match="reference"):
        ledger.resolve(IPR_KEY, " ")
    assert ledger.get(IPR_KEY).state == "needs_human"


# Cancelling ----------------------------------------------------------------------------------


def test_cancel_says_why_and_refuses_what_may_be_on_the_portal(ledger: Ledger) -> None:
    """cancel keeps its reason; an unknown or confirmed entry is refused with what to do instead."""
    ledger.add([ipr_entry(), ipr_entry("other", number="999")])
    ledger.claim_next(ACCOUNT)
    ledger.confirm(IPR_KEY, "IPR-1", existing=True)
    with pytest.raises(IllegalTransition, match="withdraw it there"):
        ledger.cancel(IPR_KEY, "not wanted")
    record = ledger.cancel("other", "the brand sold the mark")
    assert (record.state, record.error) == ("cancelled", "the brand sold the mark")
    assert ledger.history("other")[-1].detail == "the brand sold the mark"
    assert ledger.claim_next(ACCOUNT) is None


def test_cancelling_an_ipr_blocks_the_complaints_waiting_for_it(ledger: Ledger) -> None:
    """Its complaints are blocked at once, naming the cancelled IPR."""
    ledger.add([complaint_entry("c-1"), ipr_entry()])
    ledger.claim_next(ACCOUNT)  # c-1 waits; the IPR is claimed
    ledger.retry_later(IPR_KEY, "HTTP 503", 0)
    ledger.cancel(IPR_KEY, "filed by hand instead")
    blocked = ledger.get("c-1")
    assert blocked.state == "blocked"
    assert blocked.error == (f"blocked: IPR {IPR_KEY} was cancelled: enqueue it again, or ippbot cancel the "
                             "complaint")


# Blocked complaints ------------------------------------------------------------------------


def test_a_complaint_on_a_rejected_ipr_is_blocked_and_goes_on_once_it_is_approved(ledger: Ledger) -> None:
    """Rejected by the review: blocked with the reason, never claimed; approved later: claimed."""
    ledger.add([complaint_entry("c-1"), ipr_entry()])
    ledger.claim_next(ACCOUNT)
    ledger.confirm(IPR_KEY, "IPR-1", existing=True)
    ledger.set_portal_status(IPR_KEY, "rejected")
    blocked = ledger.get("c-1")
    assert blocked.state == "blocked"
    assert f"IPR {IPR_KEY} was rejected by the portal's review" in (blocked.error or "")
    assert f"corrects: {IPR_KEY}" in (blocked.error or "")
    assert ledger.claim_next(ACCOUNT) is None
    ledger.set_portal_status(IPR_KEY, "approved")
    claimed = ledger.claim_next(ACCOUNT)
    assert claimed is not None and claimed.key == "c-1"
    moves = [(t.from_state, t.to_state) for t in ledger.history("c-1")]
    assert moves == [(None, "pending"), ("pending", "waiting"), ("waiting", "blocked"),
                     ("blocked", "pending"), ("pending", "claimed")]


def test_a_complaint_whose_ipr_failed_is_blocked_instead_of_waiting_forever(ledger: Ledger) -> None:
    """An IPR that failed for good blocks its waiting complaint at the next claim; retried, it waits again."""
    ledger.add([complaint_entry("c-1"), ipr_entry()])
    ledger.claim_next(ACCOUNT)
    ledger.fail(IPR_KEY, "registration number unknown")
    assert ledger.claim_next(ACCOUNT) is None
    blocked = ledger.get("c-1")
    assert blocked.state == "blocked"
    assert blocked.error == (f"blocked: IPR {IPR_KEY} failed (registration number unknown): correct it, then "
                             f"ippbot retry {IPR_KEY}")
    with pytest.raises(IllegalTransition, match="goes on by itself once its IPR is approved"):
        ledger.retry("c-1")
    ledger.retry(IPR_KEY)
    assert [r.key for r in ledger.recheck()] == ["c-1"]
    assert ledger.get("c-1").state == "waiting"


def test_a_complaint_waits_while_any_record_of_its_ipr_may_still_be_approved(ledger: Ledger) -> None:
    """One record rejected and another in line: the complaint waits for the one in line."""
    ledger.add([ipr_entry("first"), ipr_entry("second"), complaint_entry("c-1", depends_on="30612345")])
    ledger.claim_next(ACCOUNT)
    ledger.confirm("first", "IPR-1", existing=True)
    ledger.set_portal_status("first", "rejected")
    ledger.claim_next(ACCOUNT)  # claims "second"
    assert ledger.claim_next(ACCOUNT) is None  # c-1 is held
    held = ledger.get("c-1")
    assert held.state == "waiting"
    assert held.error == "waiting for IPR second (claimed, review: not reviewed yet)"


def test_a_blocked_complaint_tells_the_reason_of_now(ledger: Ledger) -> None:
    """Its IPR failed, then was given up: the blocked complaint's reason follows, without a move."""
    ledger.add([complaint_entry("c-1"), ipr_entry()])
    ledger.claim_next(ACCOUNT)
    ledger.fail(IPR_KEY, "refused")
    ledger.recheck()
    ledger.retry(IPR_KEY)
    ledger.give_up(IPR_KEY, "the brand gave up")
    assert ledger.recheck() == []
    assert "was given up (the brand gave up)" in (ledger.get("c-1").error or "")
    assert [t.to_state for t in ledger.history("c-1")][-1] == "blocked"
