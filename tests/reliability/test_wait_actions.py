"""Answers and withdrawals under the duplicate trap and connection resets: each lands on the portal exactly once.

Under `commit_then_fail=1` every answer and withdrawal is stored and its reply lost (a 502, or a
connection dropped before one byte). ippbot must read the portal's records and find it there,
never click again on a guess: one final click per target (its `answers` step in the log), one
record each on the portal, and the ledger's actions all `done`.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from reset_proxy import ResetProxy
from support import Operator, assert_each_once, size, write_batch
from wait_support import counter_notices, portal_counts, portal_listings, through_the_sellers_windows


@pytest.fixture
def waiting(operator: Operator, tmp_path: Path) -> Operator:
    """The registered operator with 5 counter-notices waiting and the ledger synced."""
    through_the_sellers_windows(operator, tmp_path)
    operator.ippbot("sync", check=True)
    return operator


def clicks(stderr: str) -> Counter[str]:
    """How many final clicks of each kind the command's log shows (`step.end` of flow `answers`)."""
    events = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    return Counter(e["step"] for e in events if e.get("flow") == "answers" and e.get("event") == "step.end")


def actions(operator: Operator) -> list[tuple[str, str, str]]:
    """(kind, url, state) of every answer and withdrawal in the operator's ledger."""
    with sqlite3.connect(operator.data_dir / "ledger.sqlite3") as raw:
        return raw.execute("SELECT kind, url, state FROM portal_actions ORDER BY id").fetchall()


def test_answers_and_withdrawals_under_the_duplicate_trap_land_once(waiting: Operator, tmp_path: Path) -> None:
    """Every reply lost after the portal stored it: each answer and withdrawal is found on the portal, clicked once."""
    operator = waiting
    by_ref: dict[str, list[str]] = {}
    for notice in counter_notices(operator):
        by_ref.setdefault(notice["complaint"], []).append(notice["url"])
    (big, (a, b, c)), (small, (d, e)) = sorted(by_ref.items(), key=lambda kv: -len(kv[1]))
    decisions = tmp_path / "decisions.csv"
    decisions.write_text(f"url,decision,note\n{a},reject,Fake\n{b},accept,\n", encoding="utf-8")
    operator.portal.faults(commit_then_fail=1, seed=21)
    done = [operator.ippbot("respond", "--file", str(decisions)),
            operator.ippbot("respond", c, d, "--reject"),
            operator.ippbot("withdraw", small, "--listing", e),
            operator.ippbot("withdraw", big)]
    fired = operator.portal.fired().get("commit_then_fail", 0)
    operator.portal.faults()
    for result in done:
        assert result.returncode == 0, result.stdout + result.stderr
        assert all(line.startswith("filed: ") for line in result.stdout.splitlines()), result.stdout
    assert sum((clicks(r.stderr) for r in done), Counter()) == Counter(answer=4, withdraw=2)
    assert fired == 6  # each stored once, each reply lost
    records = portal_listings(operator.portal)
    assert [records[(big, u)]["response"] for u in (a, b, c)] == ["reject", "accept", "reject"]
    assert records[(small, d)]["response"] == "reject" and records[(small, e)]["status"] == "withdrawn"
    assert next(x for x in operator.portal.state()["complaints"] if x["ref"] == big)["status"] == "withdrawn"
    assert {state for _kind, _url, state in actions(operator)} == {"done"} and len(actions(operator)) == 6


@pytest.fixture
def proxied(waiting: Operator) -> Iterator[Operator]:
    """The operator's portal behind a proxy that resets half of the form posts after the portal got them."""
    with ResetProxy.for_url(waiting.portal.url, reset_share=0.5, seed=13, reset_when="any") as proxy:
        waiting.env["IPPBOT_PORTAL_URL"] = proxy.url
        yield waiting
        assert proxy.stats.resets >= 1


def test_answers_through_connection_resets_land_once(proxied: Operator) -> None:
    """Resets before the reply's first byte: the browser never re-sends, and every answer lands once."""
    operator = proxied
    waiting_now = counter_notices(operator)
    result = operator.ippbot("respond", *(n["url"] for n in waiting_now), "--reject")
    assert result.returncode == 0, result.stdout + result.stderr
    assert clicks(result.stderr) == {"answer": len(waiting_now)}
    records = portal_listings(operator.portal)
    assert {records[(n["complaint"], n["url"])]["response"] for n in waiting_now} == {"reject"}
    assert Counter(state for _k, _u, state in actions(operator)) == {"done": len(waiting_now)}


def left_submitting(operator: Operator, complaint: str, url: str) -> None:
    """Put the answer's action back to `submitting`, as a respond killed right after its click leaves it."""
    with sqlite3.connect(operator.data_dir / "ledger.sqlite3") as raw:
        found = raw.execute("UPDATE portal_actions SET state = 'submitting' WHERE complaint = ? AND url = ?",
                            (complaint, url)).rowcount
        if not found:
            raw.execute("INSERT INTO portal_actions (account, kind, complaint, url, chance, decision, note, evidence,"
                        " state, detail, created_at, updated_at) VALUES (?, 'answer', ?, ?, 1, 'reject', '', '[]',"
                        " 'submitting', 'about to click submit', '2026-12-01 00:00:00', '2026-12-01 00:00:00')",
                        (operator.email, complaint, url))


def test_an_answer_left_in_doubt_is_looked_up_before_anything_is_filed(waiting: Operator) -> None:
    """A respond killed after its click leaves the answer `submitting`: the next respond reads the portal's records
    first: on the portal -> done with no click; not there -> filed once."""
    operator = waiting
    (first, second, *_) = counter_notices(operator)
    operator.ippbot("respond", first["url"], "--complaint", first["complaint"], "--reject", check=True)
    left_submitting(operator, first["complaint"], first["url"])  # clicked, and the portal has it
    left_submitting(operator, second["complaint"], second["url"])  # clicked, and the portal never got it
    again = operator.ippbot("respond", first["url"], second["url"], "--reject", check=True)
    assert again.stdout.splitlines()[0].startswith(f"already on the portal: answer of {first['complaint']}")
    assert again.stdout.splitlines()[1].startswith(f"filed: answer of {second['complaint']}")
    assert clicks(again.stderr) == {"answer": 1}
    records = portal_listings(operator.portal)
    assert {records[(n["complaint"], n["url"])]["response"] for n in (first, second)} == {"reject"}
    assert {state for _k, _u, state in actions(operator)} == {"done"}


def test_sync_beside_a_run_changes_nothing_of_the_run(waiting: Operator, tmp_path: Path) -> None:
    """`ippbot sync` while a run files a batch: both finish, each record is filed once, and the listings agree."""
    operator = waiting
    operator.ippbot("enqueue", str(write_batch(tmp_path / "more.yaml", iprs=size(4, 20), start=50)), check=True)
    run = operator.start("run")
    synced = [operator.ippbot("sync")]
    assert run.poll() is None  # the first sync was beside the run
    synced.append(operator.ippbot("sync"))
    out, err = run.communicate(timeout=600)
    assert run.returncode == 0, out + err
    assert [s.returncode for s in synced] == [0, 0], [s.stderr for s in synced]
    assert operator.states() == {"confirmed": 3 + size(4, 20)}
    assert_each_once(operator.portal, operator)
    operator.ippbot("sync", check=True)
    counts = {r["portal_ref"]: r["listings"] for r in operator.status() if r["kind"] == "complaint"}
    assert counts == portal_counts(operator.portal)


@pytest.mark.parametrize("step", ["after_submitting_committed", "after_click"])
def test_a_respond_killed_at_its_click_then_run_again_answers_once(waiting: Operator, step: str) -> None:
    """kill -9 right after `submitting` is committed, or right after the click: the next respond takes the dead
    process's lease over, reads the portal's records first, and the answer is on the portal once."""
    operator = waiting
    notice = counter_notices(operator)[0]
    killed = operator.ippbot("respond", notice["url"], "--reject", extra_env={"IPPBOT_TEST_KILL_AT": step})
    assert killed.returncode == -9
    assert [state for _k, _u, state in actions(operator)] == ["submitting"]
    again = operator.ippbot("respond", notice["url"], "--reject", check=True)
    if step == "after_submitting_committed":  # killed before the click: nothing reached the portal
        assert again.stdout.startswith("filed: ") and clicks(again.stderr) == {"answer": 1}
    else:  # the post may or may not have reached it: the records say which, and at most one more click
        assert again.stdout.startswith(("filed: ", "already on the portal: "))
        assert clicks(again.stderr)["answer"] <= 1
    assert portal_listings(operator.portal)[(notice["complaint"], notice["url"])]["response"] == "reject"
    assert [state for _k, _u, state in actions(operator)] == ["done"]
