"""Receiving pushes (WebSub 7 and 8): a body signed with the subscription's secret is
parsed like a polled feed and handed to ``Pipeline.store_entries``, so its articles are
fetched, tagged and stored the same way. The web app answers the hub at once; the
articles are made in the background, in batches, by the inbox."""

from __future__ import annotations

import asyncio
import hmac
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from tagwire.errors import FeedError
from tagwire.feeds import parse_feed
from tagwire.fetch import Fetcher
from tagwire.fetch.robots import RobotsCache
from tagwire.models import FeedState, ParsedFeed
from tagwire.settings import Settings
from tagwire.store import websub as websub_store
from tagwire.store.feeds import feed_state
from tagwire.websub.decide import LIVE
from tagwire.websub.signature import signature_matches

if TYPE_CHECKING:
    from tagwire.pipeline import Pipeline

log = logging.getLogger("tagwire.websub")
INBOX_CAPACITY = 200  # pushes waiting; past it the hub is told to come back (503)


@dataclass(frozen=True, slots=True)
class Push:
    feed: FeedState
    parsed: ParsedFeed


def find_subscriber(engine: Engine, feed_id: int, token: str) -> tuple[int, FeedState | None]:
    """The feed a push is for, or the status that refuses it: 404 for no such feed, 410
    (WebSub 7: the subscription is gone) for a callback we no longer answer."""
    feed = feed_state(engine, feed_id)
    if feed is None:
        return 404, None
    sub = feed.subscription
    if sub is None or sub.state not in LIVE:
        return 410, None
    if not hmac.compare_digest(token.encode(), sub.token.encode()):
        return 410, None
    return 202, feed


async def accept_push(
    engine: Engine,
    inbox: PushInbox | None,
    feed: FeedState,
    body: bytes,
    *,
    signature: str | None,
    content_type: str,
) -> int:
    """Check and parse one push, then queue it; the status to answer the hub with.

    A bad signature or an unreadable body is logged and dropped, yet answered 202, as
    the spec allows, so the hub learns nothing about the secret (WebSub 8)."""
    sub = feed.subscription
    if sub is None:
        return 410
    if not signature_matches(sub.secret, body, signature):
        log.warning("feed_id=%s url=%s status=push-refused error=bad signature", feed.id, feed.url)
        return 202
    try:
        parsed = await asyncio.to_thread(parse_feed, body, url=sub.topic, content_type=content_type)
    except FeedError as exc:
        log.warning("feed_id=%s url=%s status=push-refused error=%s", feed.id, feed.url, exc)
        return 202
    if inbox is None:  # no workers in this process: the feed's next poll takes it up
        await asyncio.to_thread(websub_store.check_now, engine, feed.id)
        return 202
    return 202 if inbox.offer(Push(feed, parsed)) else 503


class PushInbox:
    """Pushes waiting for the pipeline; ``run`` works through them until ``stop``."""

    def __init__(self, settings: Settings, engine: Engine, capacity: int = INBOX_CAPACITY):
        self.settings = settings
        self.engine = engine
        self.robots = RobotsCache()
        self._queue: asyncio.Queue[Push] = asyncio.Queue(capacity)

    def offer(self, push: Push) -> bool:
        try:
            self._queue.put_nowait(push)
        except asyncio.QueueFull:
            return False
        return True

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            batch = await self.next_batch(stop)
            if batch:
                await self.store(batch)

    async def next_batch(self, stop: asyncio.Event) -> list[Push]:
        """Every push waiting, once there is one; empty when ``stop`` is set first."""
        getter = asyncio.ensure_future(self._queue.get())
        stopper = asyncio.ensure_future(stop.wait())
        done, pending = await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        if getter not in done:
            return []
        batch = [getter.result()]
        while not self._queue.empty():
            batch.append(self._queue.get_nowait())
        return batch

    async def store(self, pushes: list[Push]) -> None:
        """One round, like the scheduler's: a tagger, a fetcher and a pipeline for all (the
        NLP stack is imported here: the web process that receives pushes needs none of it)."""
        from tagwire.pipeline import Pipeline, build_tagger

        tagger = await asyncio.to_thread(build_tagger, self.settings, self.engine)
        async with Fetcher(self.settings, robots=self.robots) as fetcher:
            pipeline = Pipeline(self.settings, self.engine, fetcher, tagger)
            try:
                for push in pushes:
                    await store_push(pipeline, push)
            finally:
                pipeline.close()


async def store_push(pipeline: Pipeline, push: Push) -> None:
    feed = push.feed
    try:
        new, updated = await pipeline.store_entries(feed, push.parsed)
    except Exception:  # the boundary for the unexpected: the other pushes still go in
        log.exception("feed_id=%s url=%s status=push-crash", feed.id, feed.url)
        return
    log.info("feed_id=%s url=%s status=pushed new=%s updated=%s", feed.id, feed.url, new, updated)
