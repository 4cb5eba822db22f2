"""Dates as readers see them: "4 days ago" under a week, ``DD-MM-YYYY`` after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from babel.dates import format_timedelta

RELATIVE_LIMIT = timedelta(days=7)
_UNITS = (
    ("year", timedelta(days=365)),
    ("month", timedelta(days=30)),
    ("week", timedelta(days=7)),
    ("day", timedelta(days=1)),
    ("hour", timedelta(hours=1)),
    ("minute", timedelta(minutes=1)),
    ("second", timedelta(seconds=1)),
)


def human_date(when: datetime, now: datetime | None = None, locale: str = "en") -> str:
    now = now or datetime.now(UTC)
    age = now - when
    if age < timedelta(0):
        age = timedelta(0)  # a little in the future (clock skew): "now"
    if age >= RELATIVE_LIMIT:
        return when.astimezone(UTC).strftime("%d-%m-%Y")
    return format_timedelta(
        -_truncate(age), add_direction=True, locale=locale, threshold=1.0, format="long"
    )


def _truncate(age: timedelta) -> timedelta:
    """Whole units only: 4 days 20 hours reads "4 days ago", not "5 days ago"."""
    for _, unit in _UNITS[3:]:
        if age >= unit:
            return unit * (age // unit)
    return timedelta(seconds=1) if age < timedelta(seconds=1) else age
