"""One feed update, top to bottom: conditional fetch, parse, decide what changed, fetch and
extract the new pages, enrich (language, tags, category), store, schedule the next check.

A failing feed is recorded state (``last_error``, ``error_count``, backoff), never a crash;
a page that cannot be fetched or extracted keeps the feed's own text and says why.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import Engine

from tagwire import cadence
from tagwire.cadence import RHYTHM_WINDOW
from tagwire.cpu_pool import ArticleBuilder, ThreadBuilder
from tagwire.drafts import ArticleJob, entry_hash
from tagwire.enrich.entities import EntityRecognizer
from tagwire.enrich.gazetteer import data_file_text, known, load_gazetteer
from tagwire.enrich.tagging import RULES_VERSION, Tagger
from tagwire.errors import FeedError, FetchError, InvalidInput, TagwireError, WorkerDied
from tagwire.feeds import parse_fetched_feed
from tagwire.feeds.limits import within_limits
from tagwire.fetch import Fetcher, check_url
from tagwire.fetch.politeness import LocalHostGate
from tagwire.models import (
    ArticleDraft,
    FeedEntry,
    FeedOutcome,
    FeedState,
    FetchResult,
    ParsedFeed,
)
from tagwire.settings import Settings
from tagwire.store import articles as article_store
from tagwire.store import feeds as feed_store
from tagwire.store.curation import load_curation
from tagwire.store.tags import stored_tags
from tagwire.websub.discover import find_hub
from tagwire.websub.hub import follow_hub, keep_subscription

log = logging.getLogger("tagwire.pipeline")
T = TypeVar("T")


def decide(entries: Iterable[FeedEntry], seen: dict[str, str]) -> list[FeedEntry]:
    """Entries that are new or changed since stored; no I/O, so tests can pin it."""
    chosen: dict[str, FeedEntry] = {}
    considered: set[str] = set()
    for entry in entries:
        # Only a guid's first listing counts: else two listings that differ would take
        # turns as the stored one, an "update" at every poll.
        if entry.guid not in considered and seen.get(entry.guid) != entry_hash(entry):
            chosen[entry.guid] = entry
        considered.add(entry.guid)
    return list(chosen.values())


async def cancel_all(tasks: Sequence[asyncio.Future[T]]) -> None:
    """Cancel the tasks still running and wait for them all, their errors taken and
    dropped (the caller is already raising one of its own, or has had every result)."""
    for task in tasks:
        task.cancel()  # does nothing to a task that is done
    await asyncio.gather(*tasks, return_exceptions=True)


class Pipeline:
    """Updates feeds with one fetcher, one tagger and one builder of articles: a thread
    (the default, closed with the pipeline) or the caller's pool of worker processes."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        fetcher: Fetcher,
        tagger: Tagger,
        builder: ArticleBuilder | None = None,
    ):
        self.settings = settings
        self.engine = engine
        self.fetcher = fetcher
        self.tagger = tagger
        self._pages = asyncio.Semaphore(settings.page_concurrency)
        # A page queues for its host before it takes one of the page slots above.
        self._page_hosts = LocalHostGate(settings.per_host_concurrency, spacing=0.0)
        self._own_builder = builder is None
        self.builder: ArticleBuilder = builder or ThreadBuilder()

    def close(self) -> None:
        if self._own_builder:
            self.builder.close()

    async def update_feed(self, feed: FeedState) -> FeedOutcome:
        now = datetime.now(UTC)
        try:
            result = await self.fetcher.fetch_feed(
                feed.url, etag=feed.etag, last_modified=feed.last_modified
            )
            if result.not_modified:
                feed_store.record_success(
                    self.engine,
                    feed.id,
                    status="not-modified",
                    next_check_at=self._next_check(feed, now, result.max_age_seconds),
                )
                await keep_subscription(self.settings, self.engine, self.fetcher, feed)
                return self._report(FeedOutcome(feed.id, feed.url, "not-modified"))
            parsed = await parse_fetched_feed(result)
            if parsed.children:
                parsed = await self.read_sitemap_index(parsed, feed.url)
        except (FetchError, FeedError) as exc:
            return self._fail(feed, exc, now)
        new, updated = await self.store_entries(feed, parsed)
        feed_store.record_success(
            self.engine,
            feed.id,
            status="ok",
            next_check_at=self._next_check(feed, now, result.max_age_seconds, parsed.ttl_minutes),
            etag=result.etag,
            last_modified=result.last_modified,
            title=parsed.title,
            site_url=parsed.site_url,
            kind=parsed.kind,
        )
        await follow_hub(self.settings, self.engine, self.fetcher, feed, find_hub(result, parsed))
        return self._report(FeedOutcome(feed.id, feed.url, "ok", new=new, updated=updated))

    async def read_sitemap_index(self, index: ParsedFeed, url: str) -> ParsedFeed:
        """The entries of an index's most recent sitemaps (one level deep), within the limits
        of one feed."""
        entries: list[FeedEntry] = []
        for child in index.children:
            result = await self.fetcher.fetch_feed(child)
            parsed = await parse_fetched_feed(result)
            entries.extend(parsed.entries)
        return within_limits(replace(index, entries=tuple(entries), children=()), url)

    async def store_entries(self, feed: FeedState, parsed: ParsedFeed) -> tuple[int, int]:
        """Build the new entries' articles at once and store each, in feed order, as soon as
        it and those before it are built. Storing only after the whole feed was built left
        every save to the end of a run: the article workers share their queue among all the
        feeds in flight, so each feed's last article is built late, and the saves (this
        process's work) then ran alone while the workers idled (a 60-feed first ingest spent
        its last 14 CPU seconds that way, 2026-11-29)."""
        seen = article_store.seen_entries(self.engine, feed.id, (e.guid for e in parsed.entries))
        entries = decide(parsed.entries, seen)
        builds = [asyncio.ensure_future(self.build_article(feed, parsed, e)) for e in entries]
        new = updated = 0
        try:
            for entry, build in zip(entries, builds, strict=True):
                try:
                    draft = await build
                except WorkerDied as exc:  # that entry alone; it stays new for next time
                    log.error("feed_id=%s entry=%s error=%s", feed.id, entry.guid, exc)
                    continue
                _, created = article_store.save_article(self.engine, draft)
                new, updated = (new + 1, updated) if created else (new, updated + 1)
        finally:
            await cancel_all(builds)  # only left running when a save or a build failed
        return new, updated

    async def build_article(
        self, feed: FeedState, parsed: ParsedFeed, entry: FeedEntry
    ) -> ArticleDraft:
        page, error = await self.fetch_article_page(entry.url)
        job = ArticleJob(feed.id, feed.url, feed.outlet_name, parsed.language, entry, page, error)
        return await self.builder.draft(self.tagger, job)

    async def fetch_article_page(self, url: str) -> tuple[FetchResult | None, str | None]:
        """The page as fetched, or why there is none (the feed's text is used instead)."""
        if not url:
            return None, "entry has no link"
        try:
            # Host first, then a page slot: pages waiting for a busy host must not hold the
            # slots that other hosts' pages could use (head-of-line blocking).
            async with self._page_hosts.slot(check_url(url)), self._pages:
                return await self.fetcher.fetch_page(url), None
        except (FetchError, InvalidInput) as exc:
            return None, str(exc)

    def record_crash(self, feed: FeedState, exc: Exception) -> FeedOutcome:
        """Record an unexpected failure like any other, so the feed backs off."""
        internal = TagwireError(f"internal error: {type(exc).__name__}: {exc}")
        return self._fail(feed, internal, datetime.now(UTC))

    def _next_check(
        self, feed: FeedState, now: datetime, max_age: float | None, ttl: float | None = None
    ) -> datetime:
        published = feed_store.recent_publication_dates(self.engine, feed.id, now - RHYTHM_WINDOW)
        return cadence.after_success(
            self.settings, now, published, ttl_minutes=ttl, max_age_seconds=max_age
        )

    def _fail(self, feed: FeedState, exc: Exception, now: datetime) -> FeedOutcome:
        errors = feed.error_count + 1
        status = getattr(exc, "status", None)
        stop = cadence.should_stop(status, errors)
        error = str(exc) + ("; stopped checking this feed (add it again to resume)" if stop else "")
        feed_store.record_failure(
            self.engine,
            feed.id,
            error=error,
            next_check_at=cadence.after_failure(
                self.settings, now, errors, getattr(exc, "retry_after", None)
            ),
            stop=stop,
        )
        return self._report(FeedOutcome(feed.id, feed.url, "error", error=error))

    @staticmethod
    def _report(outcome: FeedOutcome) -> FeedOutcome:
        log.info(
            "feed_id=%s url=%s status=%s new=%s updated=%s error=%s",
            outcome.feed_id,
            outcome.url,
            outcome.status,
            outcome.new,
            outcome.updated,
            outcome.error or "-",
        )
        return outcome


def build_tagger(settings: Settings, engine: Engine) -> Tagger:
    """The tagger for this run: bundled gazetteer, the aliases people chose, tags already
    on two or more articles, and the curation (blocked, renamed, merged tags)."""
    curation = load_curation(engine)
    stored = [(known(t.label, t.kind), t.aliases) for t in stored_tags(engine, min_articles=2)]
    chosen = [(known(t.label, t.kind), aliases) for t, aliases in curation.aliases]
    recognizer = EntityRecognizer({"en": settings.spacy_model_en, "fr": settings.spacy_model_fr})
    return Tagger(
        load_gazetteer().extended(stored, chosen=chosen),
        recognizer,
        settings.max_tags_per_article,
        curation=curation,
        version=tagging_version(settings),
    )


def tagging_version(settings: Settings) -> str:
    """What an article's tags depend on besides curation: the rules, the alias data, the
    models and the cap. Stored on each article; a change means ``tagwire retag``."""
    parts = (
        str(RULES_VERSION),
        data_file_text(),
        settings.spacy_model_en,
        settings.spacy_model_fr,
        str(settings.max_tags_per_article),
    )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]
