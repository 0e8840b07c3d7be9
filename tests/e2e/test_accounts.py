"""Several accounts in one data dir: each run files on its own account, never on another's stored session."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

from playwright.sync_api import Browser
from support import MockPortal, Operator, registered, write_batch

from bot.settings import session_file_name

FIRST = "first-brand@e2e.example"
SECOND = "second-brand@e2e.example"


def session_of(operator: Operator) -> Path:
    """Where an operator's account keeps its stored session in the operator's data dir."""
    return operator.data_dir / "session" / session_file_name(operator.email)


def filed_by(portal: MockPortal) -> Counter[str]:
    """How many IPRs the portal holds for each account, by login email."""
    state = portal.state()
    emails = {account["id"]: account["login_email"] for account in state["accounts"]}
    return Counter(emails[ipr["account_id"]] for ipr in state["iprs"])


def two_accounts(portal: MockPortal, browser: Browser, tmp_path: Path) -> tuple[Operator, Operator]:
    """The first account's session stored in a data dir; the second registered elsewhere, run on that dir."""
    first = registered(portal, browser, tmp_path / "data", FIRST)
    registered(portal, browser, tmp_path / "elsewhere", SECOND)
    return first, Operator(portal, first.data_dir, SECOND)


def test_second_account_never_files_on_the_first(portal: MockPortal, browser: Browser, tmp_path: Path) -> None:
    """With the first account's session stored, a run for the second files its entries on the second only."""
    first, second = two_accounts(portal, browser, tmp_path)
    stored = session_of(first).read_bytes()
    second.ippbot("enqueue", str(write_batch(tmp_path / "second.yaml", iprs=2, start=200)), check=True)
    second.ippbot("run", check=True)
    assert filed_by(portal) == {SECOND: 2}
    assert second.states() == {"confirmed": 2}
    assert session_of(second).is_file() and session_of(first).read_bytes() == stored
    first.ippbot("enqueue", str(write_batch(tmp_path / "first.yaml", iprs=1, start=100)), check=True)
    first.ippbot("run", check=True)  # the first account's stored session still works, for its own entries
    assert filed_by(portal) == {SECOND: 2, FIRST: 1}


def test_a_session_of_another_account_is_not_used(portal: MockPortal, browser: Browser, tmp_path: Path) -> None:
    """A stored session that is another account's (copied by hand) is caught by the pre-flight: log in again."""
    first, second = two_accounts(portal, browser, tmp_path)
    shutil.copy(session_of(first), session_of(second))
    second.ippbot("enqueue", str(write_batch(tmp_path / "second.yaml", iprs=2, start=200)), check=True)
    second.ippbot("run", check=True)
    assert filed_by(portal) == {SECOND: 2}
    [log] = (second.data_dir / "runs").glob("*/log.jsonl")
    assert '"session.other_account"' in log.read_text(encoding="utf-8")
    assert session_of(second).read_bytes() != session_of(first).read_bytes()
