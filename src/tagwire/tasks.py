"""Scale-out: feed updates as Celery tasks on a Redis broker.

``tagwire scheduler`` claims due feeds in the database (the schedule) and enqueues one
``tagwire.update_feed`` task per feed; ``tagwire worker`` runs them. A task is acknowledged
only when done (``acks_late``): a worker killed midway leaves its task to be handed to
another once the visibility timeout passes, and redoing it duplicates nothing, because
articles are identified by feed and guid and updated in place. The scheduler also hands
out ``tagwire.send_alerts`` while there are webhook alerts: deliveries are claimed in the
database, so tasks running at once never send one twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from celery import Celery
from celery.signals import worker_process_init
from sqlalchemy import Engine

from tagwire.alerts.deliver import send_alerts
from tagwire.enrich.tagging import Tagger
from tagwire.errors import ConfigError, StoreError
from tagwire.fetch.robots import RobotsCache
from tagwire.models import FeedState
from tagwire.pipeline import build_tagger
from tagwire.retag import ROUND, retag
from tagwire.schedule import IDLE_SECONDS, update_due_feeds
from tagwire.settings import Settings
from tagwire.store import open_store
from tagwire.store.alerts import has_active_alerts
from tagwire.store.articles import count_to_retag
from tagwire.store.curation import curation_revision
from tagwire.store.feeds import claim_due_feeds, feed_state, start_claimed_update

log = logging.getLogger("tagwire.tasks")
UPDATE_FEED = "tagwire.update_feed"
RETAG = "tagwire.retag"
RETAG_EVERY_SECONDS = 60.0
SEND_ALERTS = "tagwire.send_alerts"
ALERTS_EVERY_SECONDS = 20.0
TAGGER_REFRESH_SECONDS = 600.0


class WorkerState:
    """What one worker process keeps between tasks: its engine, its tagger and the
    robots.txt rules of the sites it fetched pages from."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.robots = RobotsCache()
        self._engine: Engine | None = None
        self._tagger: Tagger | None = None
        self._tagger_built = 0.0

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = open_store(self.settings.database_url)
        return self._engine

    def tagger(self) -> Tagger:
        # Rebuilt now and then, so tags other workers learned reach this one too, and at
        # once when someone changed a tag (merged, renamed, blocked, gave it an alias).
        tagger = self._tagger
        if (
            tagger is None
            or time.monotonic() - self._tagger_built > TAGGER_REFRESH_SECONDS
            or tagger.curation.revision != curation_revision(self.engine)
        ):
            tagger = self._tagger = build_tagger(self.settings, self.engine)
            self._tagger_built = time.monotonic()
        return tagger

    def forget_connections(self) -> None:
        """After a fork: connections belong to the parent; open new ones lazily."""
        if self._engine is not None:
            self._engine.dispose(close=False)
        self._engine = None


def make_celery(settings: Settings) -> Celery:
    if not settings.broker_url:
        raise ConfigError("set TAGWIRE_BROKER_URL (e.g. redis://127.0.0.1:6379/0) to use workers")
    app = Celery("tagwire", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        broker_transport_options=transport_options(settings),
        worker_hijack_root_logger=False,
        task_default_queue=settings.task_queue,
    )
    state = WorkerState(settings)
    worker_process_init.connect(lambda **_: state.forget_connections(), weak=False)

    @app.task(
        name=UPDATE_FEED,
        bind=True,
        autoretry_for=(StoreError,),
        retry_backoff=True,
        max_retries=5,
    )
    def update_feed(task: Any, feed_id: int, claimed_at: str | None = None) -> dict[str, Any]:
        # Handed back after its worker died, or retried after a store error: this task
        # itself may have begun the update, and it is done again.
        rerun = bool((task.request.delivery_info or {}).get("redelivered") or task.request.retries)
        feed = feed_to_update(state.engine, feed_id, claimed_at, rerun=rerun)
        if feed is None:
            return {"feed_id": feed_id, "status": "skipped"}
        outcomes = asyncio.run(
            update_due_feeds(
                settings,
                state.engine,
                feeds=[feed],
                tagger=state.tagger(),
                robots=state.robots,
            )
        )
        return asdict(outcomes[0])

    @app.task(name=RETAG, autoretry_for=(StoreError,), retry_backoff=True, max_retries=5)
    def retag_articles(limit: int = ROUND) -> dict[str, Any]:
        return {"retagged": retag(state.engine, state.tagger(), limit=limit)}

    @app.task(name=SEND_ALERTS, autoretry_for=(StoreError,), retry_backoff=True, max_retries=5)
    def send_due_alerts() -> dict[str, Any]:
        outcomes = asyncio.run(send_alerts(settings, state.engine))
        return {"sent": len(outcomes)}

    return app


def transport_options(settings: Settings) -> dict[str, int]:
    """Redis broker: a task a dead worker held goes back to the queue after the visibility
    timeout; sweep for such tasks often enough that the timeout is what counts."""
    visibility = settings.task_visibility_seconds
    return {
        "visibility_timeout": visibility,
        "unacked_restore_interval": min(60, max(1, visibility // 4)),
        "unacked_restore_throttle": 1,
    }


def enqueue_due_feeds(app: Celery, engine: Engine, limit: int | None = None) -> int:
    """Claim the due feeds and hand each to the workers, with the time of the claim;
    return how many."""
    now = datetime.now(UTC)
    due = claim_due_feeds(engine, now, limit=limit)
    for feed in due:
        app.send_task(UPDATE_FEED, args=[feed.id, now.isoformat()])
    return len(due)


def feed_to_update(
    engine: Engine, feed_id: int, claimed_at: str | None, *, rerun: bool
) -> FeedState | None:
    """The feed a task is to update now; None when it is gone or stopped, or when it was
    checked since the task's claim (a copy enqueued again when the lease ran out while the
    task waited in the queue)."""
    if claimed_at is None:  # a task enqueued by an older scheduler
        return feed_state(engine, feed_id)
    claimed = datetime.fromisoformat(claimed_at)
    return start_claimed_update(engine, feed_id, claimed, datetime.now(UTC), rerun=rerun)


def enqueue_retag(app: Celery, engine: Engine, version: str) -> bool:
    """Hand a share of re-tagging to the workers when stored articles are out of date."""
    if count_to_retag(engine, version) == 0:
        return False
    app.send_task(RETAG, kwargs={"limit": ROUND})
    return True


def enqueue_alerts(app: Celery, engine: Engine) -> bool:
    """Hand a round of webhook alerts to the workers, when there are alerts at all."""
    if not has_active_alerts(engine):
        return False
    app.send_task(SEND_ALERTS, args=[])
    return True


def run_scheduler_loop(
    app: Celery, engine: Engine, version: str, rounds: int | None = None
) -> None:
    """Enqueue due feeds every few seconds, re-tagging every minute while articles are out
    of date, and a round of alerts every 20 seconds; ``rounds`` bounds it (tests), None
    runs forever."""
    done = 0
    retagged = -RETAG_EVERY_SECONDS
    alerted = -ALERTS_EVERY_SECONDS
    while rounds is None or done < rounds:
        try:
            count = enqueue_due_feeds(app, engine)
            if count:
                log.info("enqueued=%s", count)
            if time.monotonic() - retagged >= RETAG_EVERY_SECONDS and enqueue_retag(
                app, engine, version
            ):
                retagged = time.monotonic()
            if time.monotonic() - alerted >= ALERTS_EVERY_SECONDS and enqueue_alerts(app, engine):
                alerted = time.monotonic()
        except StoreError:
            log.exception("scheduler round failed")
        done += 1
        if rounds is None or done < rounds:
            time.sleep(min(IDLE_SECONDS, 5.0))
