"""Secrets: a canary password, session cookie and code never reach an artifact; .env stays out of git."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from support import PASSWORD, ROOT, Operator, every_file, write_batch

from bot.settings import session_file_name


def test_canaries_appear_only_in_the_stored_session(operator: Operator, tmp_path: Path) -> None:
    """After a run with traces, HARs, the duplicate trap and lost sessions, only the session file holds a secret."""
    operator.ippbot("enqueue", str(write_batch(tmp_path / "b.yaml", iprs=3)), check=True)
    operator.portal.faults(commit_then_fail=0.5, session_expiry=9, seed=3)
    operator.ippbot("run", "--trace", "on", "--har")
    session_file = operator.data_dir / "session" / session_file_name(operator.email)
    cookies = [c["value"] for c in json.loads(session_file.read_text())["cookies"]]
    codes = [m["code"] for m in operator.portal.mailbox(operator.email) if m["code"]]
    canaries = [PASSWORD, *cookies, *codes]
    assert len(canaries) >= 3
    leaks = [(name, secret[:4]) for name, data in every_file(operator.data_dir, skip=session_file)
             for secret in canaries if secret.encode() in data]
    assert not leaks, leaks
    assert session_file.stat().st_mode & 0o777 == 0o600
    assert session_file.parent.stat().st_mode & 0o777 == 0o700


def test_env_file_is_ignored_by_git() -> None:
    """A .env holding the password is never committed: git ignores it."""
    assert subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT, check=False).returncode == 0
