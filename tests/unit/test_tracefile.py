"""Trace zips: scrubbed of secrets and private to the owner (0600), as HAR files are."""

from __future__ import annotations

import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.logs import clear_secrets, register_secret
from bot.run.tracefile import scrub_trace

pytestmark = pytest.mark.unit

SECRET = "canary-Trace-0042"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


@pytest.fixture
def trace(tmp_path: Path) -> Iterator[Path]:
    """A trace zip as Playwright writes it (0644), with the password in an action and a screenshot."""
    path = tmp_path / "entry.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("trace.trace", f'{{"method": "fill", "params": {{"value": "{SECRET}"}}}}\n')
        archive.writestr("resources/page.png", PNG)
    path.chmod(0o644)
    register_secret(SECRET)
    yield path
    clear_secrets()


def test_a_scrubbed_trace_is_the_owners_alone(trace: Path) -> None:
    """Once scrubbed, a trace zip is readable by its owner only, like a HAR: both hold page content."""
    scrub_trace(trace)
    assert stat.S_IMODE(trace.stat().st_mode) == 0o600


def test_a_scrubbed_trace_keeps_no_secret_and_every_image(trace: Path) -> None:
    """Text members lose registered secrets; binary members (screenshots) are kept byte for byte."""
    scrub_trace(trace)
    with zipfile.ZipFile(trace) as archive:
        assert SECRET not in archive.read("trace.trace").decode()
        assert archive.read("resources/page.png") == PNG
