"""The pure steps of a feed update (what changed, which date, when to check next), the
order in which an article page takes its host's turn and a page slot, and a feed's
articles stored as they are built."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx

from tagwire.drafts import ArticleJob, entry_hash, publication_date, strip_headline
from tagwire.errors import WorkerDied
from tagwire.fetch import Fetcher
from tagwire.models import FeedEntry, FeedState, ParsedFeed
from tagwire.pipeline import Pipeline, decide
from tagwire.settings import Settings
from tagwire.store import articles as article_store

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


def test_pages_waiting_for_a_busy_host_leave_the_page_slots_to_other_hosts():
    """Four pages of one host, whose answers wait until another host's page is served,
    must not hold all three page slots while they queue for their host's two."""

    async def run() -> list[tuple[object, object]]:
        other_served = asyncio.Event()

        async def handler(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/robots.txt":
                return httpx.Response(404)
            if request.url.host == "busy.test":
                await other_served.wait()
            else:
                other_served.set()
            return httpx.Response(200, html="<html><body><p>A page.</p></body></html>")

        settings = Settings(
            database_url="sqlite://",
            allow_private_networks=True,
            page_concurrency=3,
            per_host_concurrency=2,
            per_host_spacing=0.0,
            fetch_timeout=30.0,  # before the fix, the busy host's pages ran into it
        )
        transport = httpx.MockTransport(handler)
        async with Fetcher(settings, transport=transport) as fetcher:
            pipeline = Pipeline(settings, None, fetcher, None)  # type: ignore[arg-type]
            try:
                urls = [f"http://busy.test/{n}" for n in range(4)] + ["http://other.test/1"]
                pages = asyncio.gather(*(pipeline.fetch_article_page(url) for url in urls))
                # Not a timing: before the fix this never finished (the guard stops it).
                return await asyncio.wait_for(pages, timeout=60)
            finally:
                pipeline.close()

    errors = [error or "" for _, error in asyncio.run(run())]
    assert len(errors) == 5
    assert not [e for e in errors if "timed out" in e or "robots" in e]


def test_a_feeds_articles_are_stored_as_they_are_built_in_feed_order(monkeypatch):
    """The first article is stored before the last one is built (the last one waits for
    it), in feed order; an article whose worker died is left out of this update."""

    class GatedBuilder:
        def __init__(self) -> None:
            self.first_stored = asyncio.Event()

        async def draft(self, _tagger: object, job: ArticleJob) -> str:
            if job.entry.guid == "last":
                await self.first_stored.wait()
            if job.entry.guid == "dies":
                raise WorkerDied("a worker process died building it")
            return job.entry.guid  # stands in for the draft

        def close(self) -> None:
            pass

    builder = GatedBuilder()
    stored: list[str] = []

    def save_article(_engine: object, draft: str) -> tuple[int, bool]:
        stored.append(draft)
        builder.first_stored.set()
        return len(stored), True

    monkeypatch.setattr(article_store, "seen_entries", lambda *_args: {})
    monkeypatch.setattr(article_store, "save_article", save_article)
    feed = FeedState(1, "http://a.test/feed", 1, "A", etag=None, last_modified=None, error_count=0)
    entries = tuple(FeedEntry(guid=g, url="", title=g) for g in ("first", "dies", "last"))
    parsed = ParsedFeed(kind="rss", title="A", site_url=None, language="en", entries=entries)
    pipeline = Pipeline(Settings(database_url="sqlite://"), None, None, None, builder)  # type: ignore[arg-type]

    async def run() -> tuple[int, int]:
        # Not a timing: storing after the whole feed was built never finished here.
        return await asyncio.wait_for(pipeline.store_entries(feed, parsed), timeout=60)

    assert asyncio.run(run()) == (2, 0)
    assert stored == ["first", "last"]
