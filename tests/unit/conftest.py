"""Fixtures the unit tests share: no IPPBOT_* variables, and logging (and secrets) reset afterwards."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from bot.logs import clear_secrets


@pytest.fixture
def no_ippbot_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No IPPBOT_* variables set; the monkeypatch, to set some."""
    for name in [n for n in os.environ if n.startswith("IPPBOT_")]:
        monkeypatch.delenv(name)
    return monkeypatch


@pytest.fixture
def isolated(no_ippbot_env: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No IPPBOT_* variables, an empty working folder, and logging reset afterwards."""
    no_ippbot_env.chdir(tmp_path)
    yield
    structlog.reset_defaults()


@pytest.fixture
def cli_env(no_ippbot_env: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """No IPPBOT_* variables but JSON logs; logging and secrets reset after the command."""
    no_ippbot_env.setenv("IPPBOT_LOG_FORMAT", "json")
    yield no_ippbot_env
    clear_secrets()
    structlog.reset_defaults()
