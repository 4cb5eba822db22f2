"""The database is the schedule: claim the feeds whose ``next_check_at`` has passed and
update them with a bounded pool; ``serve`` runs the same loop in the background, and
tags stored articles again, a share each round, when their tags are out of date, and
sends the webhook alerts of the new stories beside it (``alerts.deliver``)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine

from tagwire.alerts.deliver import run_alert_rounds
from tagwire.cpu_pool import ArticleBuilder, open_builder
from tagwire.enrich.tagging import Tagger
from tagwire.errors import DatabaseUnavailable
from tagwire.fetch import Fetcher
from tagwire.fetch.politeness import LocalHostGate
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
    builder: ArticleBuilder | None = None,
) -> list[FeedOutcome]:
    """Update every due feed (or ``feeds``) once, at most ``settings.concurrency`` at a time;
    ``robots``: the process's robots.txt cache, kept from one round (or task) to the next;
    ``builder``: the process's article workers (``cpu_pool.open_builder``), else a thread."""
    due = claim_due_feeds(engine, datetime.now(UTC)) if feeds is None else feeds
    if not due:
        return []
    tagger = tagger or build_tagger(settings, engine)
    limit = asyncio.Semaphore(settings.concurrency)
    # A feed queues for its host before it takes a slot: the feeds of a slow host must not
    # hold the slots that other hosts' feeds could use (head-of-line blocking).
    hosts = LocalHostGate(settings.per_host_concurrency, spacing=0.0)
    async with Fetcher(settings, robots=robots) as fetcher:
        pipeline = Pipeline(settings, engine, fetcher, tagger, builder)

        async def one(feed: FeedState) -> FeedOutcome:
            async with hosts.slot(feed.url), limit:
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
    except DatabaseUnavailable:  # not this feed's fault: no use going on with the others
        raise
    except Exception as exc:  # the boundary for the unexpected: keep the other feeds going
        log.exception("feed_id=%s url=%s status=crash", feed.id, feed.url)
        return pipeline.record_crash(feed, exc)


async def run_scheduler(settings: Settings, engine: Engine, stop: asyncio.Event) -> None:
    """Poll due feeds until ``stop`` is set; a failing round is logged, not fatal."""
    robots = RobotsCache()
    builder = open_builder(settings)
    alerts = asyncio.create_task(run_alert_rounds(settings, engine, stop))
    try:
        while not stop.is_set():
            try:
                await update_due_feeds(settings, engine, robots=robots, builder=builder)
                await asyncio.to_thread(retag_pending, settings, engine)
            except Exception:  # the loop must outlive any one round; the traceback is logged
                log.exception("scheduler round failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=IDLE_SECONDS)
            except TimeoutError:
                continue
    finally:
        alerts.cancel()  # a delivery cut short is tried again when its claim runs out
        await asyncio.gather(alerts, return_exceptions=True)
        await asyncio.to_thread(builder.close)  # no worker process outlives the loop
