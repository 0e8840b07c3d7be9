"""What a benchmark hands back: its table, its goals (met or not) and notes, as JSON and as Markdown."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Goal:
    """One goal of issue 5: what it asks, what was measured, whether it was met."""

    goal: str
    measured: str
    met: bool


@dataclass
class Result:
    """One benchmark's outcome; `rows[0]` is the table's header."""

    title: str
    rows: list[list[str]] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    measured_at: str = ""  # UTC, when the benchmark ended
    command: str = ""  # how to measure it again

    def save(self, path: Path) -> None:
        """Write as JSON (the parent `python -m bench` reads it back)."""
        path.write_text(json.dumps(self.as_dict(), indent=2), encoding="utf-8")

    def as_dict(self) -> dict[str, Any]:
        """The result as plain data."""
        return asdict(self)

    @classmethod
    def load(cls, path: Path) -> Result:
        """Read what `save` wrote."""
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        """Back from `as_dict`."""
        return cls(**{**data, "goals": [Goal(**g) for g in data["goals"]]})

    def markdown(self) -> str:
        """The benchmark's section of docs/BENCHMARKS.md."""
        lines = [f"## {self.title}", ""]
        if self.measured_at:
            lines += [f"_Measured {self.measured_at} by `{self.command}`._", ""]
        if self.rows:
            lines += [_row(self.rows[0]), _row(["---"] * len(self.rows[0]))]
            lines += [_row(r) for r in self.rows[1:]]
            lines.append("")
        for goal in self.goals:
            lines.append(f"- **{'met' if goal.met else 'not met'}**: {goal.goal} (measured: {goal.measured})")
        if self.goals:
            lines.append("")
        lines += [f"{note}\n" for note in self.notes]
        return "\n".join(lines)

    def text(self) -> str:
        """What the benchmark prints when it ends."""
        return self.markdown()


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def ms(value: float) -> str:
    """Milliseconds as the tables show them."""
    return f"{value:,.0f} ms"


def times(value: float) -> str:
    """A ratio as the tables show it."""
    return f"{value:.2f}×"
