"""The Good Faith standing as the report shows it: the last reading against the thresholds, and its chart.

The portal's Good Faith Program asks for a takedown rate of at least `TAKEDOWN_MIN` and a
counter-notice success rate of at most `COUNTER_NOTICE_MAX` (per cent), over the last 3 months.
The chart is inline SVG geometry (no script): one polyline per rate over the readings the sync
kept in the last `CHART_DAYS` days, on a 0-100 % scale, with the two thresholds as dashed lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.store.records import StandingRow

TAKEDOWN_MIN = 90.0
COUNTER_NOTICE_MAX = 5.0
CHART_DAYS = 92
WIDTH, HEIGHT, PAD = 600, 180, 30


@dataclass(frozen=True)
class StandingView:
    """The last reading, whether each rate is on the right side of its threshold, and the chart."""

    day: str  # "" when the sync never read the Good Faith page
    takedown_rate: float | None
    counter_notice_success_rate: float | None
    qualifies: bool | None
    listings: int | None
    takedown_ok: bool
    counter_notice_ok: bool
    readings: int
    takedown_points: str  # SVG polyline points
    counter_notice_points: str
    takedown_line_y: float
    counter_notice_line_y: float
    first_day: str
    width: int = WIDTH
    height: int = HEIGHT
    pad: int = PAD
    takedown_min: float = TAKEDOWN_MIN
    counter_notice_max: float = COUNTER_NOTICE_MAX


def standing_view(readings: Sequence[StandingRow]) -> StandingView:
    """The view of the account's readings (oldest first), the chart over the last `CHART_DAYS` days."""
    last = readings[-1] if readings else None
    shown = [r for r in readings if last is not None and r.day >= last.day - timedelta(days=CHART_DAYS)]
    return StandingView(
        day=last.day.isoformat() if last else "", takedown_rate=last.takedown_rate if last else None,
        counter_notice_success_rate=last.counter_notice_success_rate if last else None,
        qualifies=last.qualifies if last else None, listings=last.listings if last else None,
        takedown_ok=last is not None and last.takedown_rate >= TAKEDOWN_MIN,
        counter_notice_ok=last is not None and last.counter_notice_success_rate <= COUNTER_NOTICE_MAX,
        readings=len(shown), takedown_points=points(shown, "takedown_rate"),
        counter_notice_points=points(shown, "counter_notice_success_rate"),
        takedown_line_y=y_of(TAKEDOWN_MIN), counter_notice_line_y=y_of(COUNTER_NOTICE_MAX),
        first_day=shown[0].day.isoformat() if shown else "",
    )


def points(readings: Sequence[StandingRow], rate: str) -> str:
    """One rate's readings as SVG polyline points: x by day across the chart, y by per cent (one reading: level)."""
    if not readings:
        return ""
    first, span = readings[0].day, max((readings[-1].day - readings[0].day).days, 1)
    inner = WIDTH - 2 * PAD
    coords = [(PAD + inner * (r.day - first).days / span, y_of(float(getattr(r, rate)))) for r in readings]
    if len(coords) == 1:  # one reading: a level line across the chart, so it shows
        coords.append((WIDTH - PAD, coords[0][1]))
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)


def y_of(per_cent: float) -> float:
    """The chart's y for a rate in per cent (100 % at the top)."""
    clamped = min(max(per_cent, 0.0), 100.0)
    return round(PAD + (HEIGHT - 2 * PAD) * (100 - clamped) / 100, 1)
