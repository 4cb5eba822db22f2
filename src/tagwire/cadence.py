"""When to check a feed next: pure functions of what the last check learned.

A healthy feed is checked as often as it publishes (entries of the last week spread over
the week), never sooner than its own TTL (``<ttl>``, ``<sy:updatePeriod>``) or the
server's Cache-Control / Expires allow, and always within the configured floor and
ceiling. A failing feed backs off exponentially, at least as long as the server's
Retry-After. A feed that is gone (410, or 404 again and again) is not checked any more.
A feed with an active WebSub subscription waits as long as the ceiling allows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from tagwire.settings import Settings

RHYTHM_WINDOW = timedelta(days=7)
NOT_FOUND_LIMIT = 5  # consecutive 404s before a feed is stopped


def after_success(
    settings: Settings,
    now: datetime,
    published: Iterable[datetime | None] = (),
    *,
    ttl_minutes: float | None = None,
    max_age_seconds: float | None = None,
) -> datetime:
    minutes = rhythm_minutes(settings, now, published)
    for hint in (ttl_minutes, (max_age_seconds or 0) / 60 or None):
        if hint is not None:
            minutes = max(minutes, hint)
    return now + timedelta(minutes=bounded(settings, minutes))


def with_pushes(settings: Settings, now: datetime, renew_at: datetime) -> datetime:
    """A feed whose hub pushes its entries is polled as seldom as the ceiling allows, but
    in time to renew the subscription."""
    minutes = (renew_at - now).total_seconds() / 60
    return now + timedelta(minutes=bounded(settings, minutes))


def rhythm_minutes(
    settings: Settings, now: datetime, published: Iterable[datetime | None]
) -> float:
    """The feed's own pace: a week over the entries it published that week."""
    recent = sum(1 for p in published if p is not None and now - RHYTHM_WINDOW <= p <= now)
    if recent == 0:
        return float(settings.poll_minutes)
    return RHYTHM_WINDOW.total_seconds() / 60 / recent


def after_failure(
    settings: Settings, now: datetime, error_count: int, retry_after: float | None = None
) -> datetime:
    backoff = settings.poll_minutes * 2 ** min(max(error_count, 1) - 1, 16)
    wait = max(backoff, (retry_after or 0.0) / 60)
    return now + timedelta(minutes=min(wait, settings.max_poll_minutes))


def should_stop(status: int | None, error_count: int) -> bool:
    """Gone for good: 410 at once, 404 after several checks in a row."""
    return status == 410 or (status == 404 and error_count >= NOT_FOUND_LIMIT)


def bounded(settings: Settings, minutes: float) -> float:
    return min(max(minutes, settings.min_poll_minutes), settings.max_poll_minutes)
