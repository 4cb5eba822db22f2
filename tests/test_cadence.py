"""When a feed is checked next: rhythm, hints from the feed and server, back-off, stopping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tagwire import cadence
from tagwire.feeds import parse_feed
from tagwire.fetch.client import cache_lifetime
from tagwire.settings import Settings

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
SETTINGS = Settings(
    database_url="sqlite://", poll_minutes=30, min_poll_minutes=5, max_poll_minutes=240
)


def minutes(when: datetime) -> float:
    return (when - NOW).total_seconds() / 60


def test_an_unknown_rhythm_uses_the_default_interval():
    assert minutes(cadence.after_success(SETTINGS, NOW)) == 30


def test_a_feed_is_checked_as_often_as_it_publishes_within_bounds():
    busy = [NOW - timedelta(minutes=m) for m in range(0, 10080, 10)]  # every 10 minutes
    assert minutes(cadence.after_success(SETTINGS, NOW, busy)) == 10
    flood = [NOW - timedelta(seconds=s) for s in range(0, 100_000, 10)]
    assert minutes(cadence.after_success(SETTINGS, NOW, flood)) == 5  # the floor
    weekly = [NOW - timedelta(days=3)]
    assert minutes(cadence.after_success(SETTINGS, NOW, weekly)) == 240  # the ceiling


def test_ttl_and_cache_lifetime_are_respected():
    busy = [NOW - timedelta(minutes=m) for m in range(0, 10080, 10)]
    assert minutes(cadence.after_success(SETTINGS, NOW, busy, ttl_minutes=60)) == 60
    assert minutes(cadence.after_success(SETTINGS, NOW, busy, max_age_seconds=1800)) == 30


def test_failures_back_off_and_honour_retry_after():
    waits = [minutes(cadence.after_failure(SETTINGS, NOW, n)) for n in (1, 2, 3, 4, 10)]
    assert waits == [30, 60, 120, 240, 240]
    assert minutes(cadence.after_failure(SETTINGS, NOW, 1, retry_after=7200)) == 120
    assert minutes(cadence.after_failure(SETTINGS, NOW, 1, retry_after=10**9)) == 240


def test_gone_feeds_stop():
    assert cadence.should_stop(410, 1)
    assert not cadence.should_stop(404, 1) and cadence.should_stop(404, cadence.NOT_FOUND_LIMIT)
    assert not cadence.should_stop(500, 50)


def test_cache_headers():
    assert cache_lifetime(httpx.Headers({"Cache-Control": "public, max-age=600"})) == 600
    assert cache_lifetime(httpx.Headers({"Cache-Control": "no-cache, max-age=600"})) is None
    headers = {"Date": "Sat, 10 Jan 2026 12:00:00 GMT", "Expires": "Sat, 10 Jan 2026 13:00:00 GMT"}
    assert cache_lifetime(httpx.Headers(headers)) == 3600
    assert cache_lifetime(httpx.Headers({})) is None


def test_feeds_state_their_own_ttl():
    rss = (
        '<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel>'
        "<title>t</title>{}</channel></rss>"
    )
    ttl = parse_feed(rss.format("<ttl>90</ttl>").encode(), url="http://a.test/")
    assert ttl.ttl_minutes == 90
    sy = "<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency>"
    assert parse_feed(rss.format(sy).encode(), url="http://a.test/").ttl_minutes == 30
    assert parse_feed(rss.format("").encode(), url="http://a.test/").ttl_minutes is None
