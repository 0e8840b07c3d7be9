"""A paused worker: stopped (SIGSTOP) right before its final post, past its lease, then resumed; the fence keeps it
from filing a second copy of what the run that took over filed."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from support import Operator, assert_each_once, write_batch

LEASE_TTL_S = "3"  # short, so the run that takes over need not wait 300 s
BUSY = "another ippbot run is working account"


def test_a_worker_paused_before_its_post_sends_nothing_after_a_takeover(operator: Operator, tmp_path: Path) -> None:
    """Run A stops before its post; run B takes the lapsed lease and files the entry; A, resumed, files nothing."""
    operator.ippbot("enqueue", str(write_batch(tmp_path / "batch.yaml", iprs=1)), check=True)
    env = {"IPPBOT_LEASE_TTL_S": LEASE_TTL_S}
    paused = operator.start("run", extra_env=env | {"IPPBOT_TEST_SIGNAL_AT": "before_post:SIGSTOP"})
    try:
        _, status = os.waitpid(paused.pid, os.WUNTRACED)  # until it stops itself, right before its post
        assert os.WIFSTOPPED(status), status
        assert operator.states() == {"submitting": 1}
        for _ in range(60):  # B is refused while A's lease is live, and takes it once it lapsed
            taking_over = operator.ippbot("run", extra_env=env)
            if BUSY not in taking_over.stdout + taking_over.stderr and operator.states() == {"confirmed": 1}:
                break
        assert operator.states() == {"confirmed": 1}, taking_over.stdout + taking_over.stderr
    finally:
        os.kill(paused.pid, signal.SIGCONT)
    out, err = paused.communicate(timeout=120)
    assert len(operator.portal.state()["iprs"]) == 1, out + err  # without the fence: two
    assert paused.returncode == 1, out + err
    assert "lease not held" in out + err
    assert_each_once(operator.portal, operator)

