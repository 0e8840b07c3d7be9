"""The operator's batch end to end: `ippbot enqueue`, `run`, `sync` and `status` as processes.

The faults tried on purpose (kill -9, the duplicate trap, lost sessions, two runs at once)
are in tests/reliability/.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

from support import Operator, assert_each_once, write_batch


def test_fifty_entry_batch_completes(operator: Operator, tmp_path: Path) -> None:
    """10 IPRs and 40 complaints: IPRs filed, reviews pass, complaints filed after sync, each exactly once."""
    batch = write_batch(tmp_path / "batch.yaml", iprs=10, complaints_per_ipr=4)
    assert "enqueued 50 entries" in operator.ippbot("enqueue", str(batch), check=True).stdout
    assert "enqueued 0 entries, skipped 50" in operator.ippbot("enqueue", str(batch), check=True).stdout
    operator.ippbot("run", check=True)
    assert operator.states() == {"confirmed": 10, "waiting": 40}
    operator.portal.advance(7)
    operator.ippbot("sync", check=True)
    operator.ippbot("run", check=True)
    assert operator.states() == {"confirmed": 50}
    assert len(operator.portal.state()["complaints"]) == 40
    assert_each_once(operator.portal, operator)


def png_size(path: Path) -> tuple[int, int]:
    """A PNG's width and height, from its header."""
    width, height = struct.unpack(">II", path.read_bytes()[16:24])
    return width, height


def test_a_confirmation_screenshot_shows_every_listing(operator: Operator, tmp_path: Path) -> None:
    """A complaint of 60 listings: its confirmation screenshot is the whole page, far taller than the window."""
    batch = write_batch(tmp_path / "batch.yaml", iprs=1, complaints_per_ipr=1, listings=60)
    operator.ippbot("enqueue", str(batch), check=True)
    operator.ippbot("run", check=True)
    operator.portal.advance(7)
    operator.ippbot("sync", check=True)
    done = operator.ippbot("run", check=True)
    report = Path(done.stdout.split("report: ")[1].splitlines()[0])
    [entry] = json.loads((report.parent / "summary.json").read_text(encoding="utf-8"))["entries"]
    width, height = png_size(report.parent / entry["screenshot"])
    assert entry["kind"] == "complaint" and width == 1280 and height > 3 * 720
