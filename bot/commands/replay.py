"""`ippbot replay`: QA replay of a recorded entry (.har), or a trace's viewer (.zip)."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.run.replay import replay as replay_path
from bot.settings import Settings


def replay(settings: Settings, path: Path) -> int:
    """0 when the replay took the recorded steps to the recorded outcome, 1 otherwise."""
    return replay_path(path, settings, typer.echo)
