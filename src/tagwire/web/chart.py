"""The tag page's chart of articles a day, laid out for an inline SVG: one bar a day on a
fixed canvas (the page never shifts as it loads), the heights scaled to the busiest day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tagwire.store.tag_stats import DayCount

WIDTH = 450  # the canvas, in SVG units: the page scales it to its column
HEIGHT = 90
STEP = 5  # a bar and its gap
BAR = 4
LEAST = 2  # the height of a day with one article when the busiest has many


@dataclass(frozen=True, slots=True)
class Bar:
    day: date
    count: int
    x: int
    y: float
    height: float


@dataclass(frozen=True, slots=True)
class DayChart:
    bars: tuple[Bar, ...]  # oldest first, days without articles included (height 0)
    total: int
    busiest: DayCount | None  # the first of the busiest days; None without any article
    first: date
    last: date
    width: int = WIDTH
    height: int = HEIGHT
    bar_width: int = BAR


def day_chart(counts: list[DayCount]) -> DayChart:
    """Bars for ``counts``: one a day, oldest first, at least one and at most WIDTH // STEP
    days (the 90 of the tag page fill the canvas)."""
    most = max(c.count for c in counts)
    busiest = next(c for c in counts if c.count == most) if most else None
    bars = []
    for n, c in enumerate(counts):
        tall = max(LEAST, HEIGHT * c.count / most) if c.count else 0.0
        bars.append(Bar(c.day, c.count, n * STEP, round(HEIGHT - tall, 2), round(tall, 2)))
    return DayChart(
        bars=tuple(bars),
        total=sum(c.count for c in counts),
        busiest=busiest,
        first=counts[0].day,
        last=counts[-1].day,
    )
