"""Timestamps as publishers write them (ISO 8601, RFC 3339, W3C datetime) -> UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_timestamp(value: str | None) -> datetime | None:
    """A date or timestamp as an aware UTC datetime; a value without a zone is taken as UTC,
    anything unreadable as None."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 with an offset that takes it out of range
        return None
