"""The pure steps of a feed update: what changed, which date, when to check next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tagwire.models import FeedEntry
from tagwire.pipeline import decide, entry_hash, publication_date, strip_headline

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


def entry(guid: str, title: str = "t") -> FeedEntry:
    return FeedEntry(guid=guid, url=f"http://a.test/{guid}", title=title)


def test_decide_keeps_new_and_changed_entries_once():
    old, changed = entry("a"), entry("b", "new title")
    seen = {"a": entry_hash(old), "b": entry_hash(entry("b"))}
    chosen = decide([old, changed, entry("c"), entry("c")], seen)
    assert [e.guid for e in chosen] == ["b", "c"]


def test_publication_date_prefers_the_feed_and_distrusts_the_future():
    feed, page = NOW - timedelta(days=2), NOW - timedelta(days=3)
    assert publication_date(feed, page, NOW) == feed
    assert publication_date(NOW + timedelta(days=5), page, NOW) == page
    assert publication_date(NOW + timedelta(hours=20), None, NOW) == NOW + timedelta(hours=20)
    assert publication_date(None, None, NOW) == NOW


def test_the_headline_is_not_repeated_in_the_text():
    assert strip_headline("Big news\nThe text.", "Big  news") == "The text."
    assert strip_headline("Other line\nThe text.", "Big news") == "Other line\nThe text."
