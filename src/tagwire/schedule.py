"""The database is the schedule: claim the feeds whose ``next_check_at`` has passed and
update them with a bounded pool; ``serve`` runs the same loop in the background, and
tags stored articles again, a share each round, when their tags are out of date."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine

from tagwire.enrich.tagging import Tagger
from tagwire.fetch import Fetcher
from tagwire.fetch.robots import RobotsCache
from tagwire.models import FeedOutcome, FeedState
from tagwire.pipeline import Pipeline, build_tagger
from tagwire.retag import retag_pending
from tagwire.settings import Settings
from tagwire.store.feeds import claim_due_feeds

log = logging.getLogger("tagwire.schedule")
IDLE_SECONDS = 30.0

Progress = Callable[[FeedOutcome], None]


async def update_due_feeds(
    settings: Settings,
    engine: Engine,
    on_done: Progress | None = None,
    feeds: list[FeedState] | None = None,
    tagger: Tagger | None = None,
    robots: RobotsCache | None = None,
) -> list[FeedOutcome]:
    """Update every due feed (or ``feeds``) once, at most ``settings.concurrency`` at a time;
    ``robots``: the process's robots.txt cache, kept from one round (or task) to the next."""
    due = claim_due_feeds(engine, datetime.now(UTC)) if feeds is None else feeds
    if not due:
        return []
    tagger = tagger or build_tagger(settings, engine)
    limit = asyncio.Semaphore(settings.concurrency)
    async with Fetcher(settings, robots=robots) as fetcher:
        pipeline = Pipeline(settings, engine, fetcher, tagger)

        async def one(feed: FeedState) -> FeedOutcome:
            async with limit:
                outcome = await update_isolated(pipeline, feed)
            if on_done is not None:
                on_done(outcome)
            return outcome

        try:
            return list(await asyncio.gather(*(one(f) for f in due)))
        finally:
            pipeline.close()


async def update_isolated(pipeline: Pipeline, feed: FeedState) -> FeedOutcome:
    """One feed's update; a bug it hits is logged and recorded on that feed alone."""
    try:
        return await pipeline.update_feed(feed)
    except Exception as exc:  # the boundary for the unexpected: keep the other feeds going
        log.exception("feed_id=%s url=%s status=crash", feed.id, feed.url)
        return pipeline.record_crash(feed, exc)


async def run_scheduler(settings: Settings, engine: Engine, stop: asyncio.Event) -> None:
    """Poll due feeds until ``stop`` is set; a failing round is logged, not fatal."""
    robots = RobotsCache()
    while not stop.is_set():
        try:
            await update_due_feeds(settings, engine, robots=robots)
            await asyncio.to_thread(retag_pending, settings, engine)
        except Exception:  # the loop must outlive any one round; the traceback is logged
            log.exception("scheduler round failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=IDLE_SECONDS)
        except TimeoutError:
            continue
