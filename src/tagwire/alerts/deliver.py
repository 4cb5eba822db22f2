"""Sending alerts, one round: file the new stories each alert matches, claim the deliveries
that are due, POST each through the guarded ``Fetcher``, record what came back.

A 2xx answer delivers; any other answer or a network error is retried after 1 minute,
5, 30, 2 hours and 12 hours (later if the receiver's Retry-After asks), then the delivery
has failed. An address the guard refuses fails at once: trying again would not change
the answer. One log line per attempt, with the alert and delivery ids, never the URL
(it may hold a key) nor the secret.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from tagwire.alerts.payload import delivery_headers, story_body
from tagwire.errors import BlockedAddress, FetchError, HTTPStatusError, InvalidInput
from tagwire.fetch import Fetcher
from tagwire.settings import Settings
from tagwire.store import alerts as alert_store
from tagwire.store.alerts import DELIVERED, FAILED, PENDING, DueDelivery

log = logging.getLogger("tagwire.alerts")
# The wait after the 1st, 2nd... failed attempt; the last attempt is the 6th.
BACKOFF = tuple(timedelta(minutes=m) for m in (1, 5, 30, 120, 720))
MAX_ATTEMPTS = len(BACKOFF) + 1
LONGEST_WAIT = timedelta(days=1)  # a Retry-After beyond this is not waited for
TIMEOUT_SECONDS = 10.0
SENDS_AT_ONCE = 8
# A round's deliveries must all be tried within the claim's lease (store.alerts.LEASE),
# even when they queue for one slow host: 50 / 2 at a time * 10 s is well inside it.
PER_ROUND = 50
IDLE_SECONDS = 15.0


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    delivery_id: int
    alert_id: int
    story_id: int
    status: str  # delivered, pending (to be retried), failed
    attempts: int
    status_code: int | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None


def next_attempt(attempts: int, now: datetime, retry_after: float | None) -> datetime | None:
    """When to try again after ``attempts`` failed ones; None: give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    wait = BACKOFF[attempts - 1]
    if retry_after is not None and math.isfinite(retry_after):  # a receiver's number: bounded
        asked = min(max(retry_after, 0.0), LONGEST_WAIT.total_seconds())
        wait = max(wait, timedelta(seconds=asked))
    return now + wait


def story_url(settings: Settings, story_id: int) -> str:
    """The story's page: absolute under ``PUBLIC_URL`` when it is set, else a path."""
    return settings.public_url.rstrip("/") + f"/stories/{story_id}"


async def send_alerts(
    settings: Settings, engine: Engine, now: datetime | None = None
) -> list[DeliveryOutcome]:
    """One round: queue the new stories' deliveries, then send those due at ``now``."""
    now = now or datetime.now(UTC)
    await asyncio.to_thread(alert_store.queue_new_stories, engine, now)
    due = await asyncio.to_thread(alert_store.claim_due_deliveries, engine, now, limit=PER_ROUND)
    if not due:
        return []
    limit = asyncio.Semaphore(SENDS_AT_ONCE)
    timeout = min(settings.fetch_timeout, TIMEOUT_SECONDS)
    async with Fetcher(settings.replace(fetch_timeout=timeout)) as fetcher:

        async def one(delivery: DueDelivery) -> DeliveryOutcome:
            async with limit:
                outcome = await attempt(settings, fetcher, delivery, now)
            await asyncio.to_thread(record, engine, outcome, now)
            return outcome

        # Every send is recorded whatever another one does: one raising must not leave
        # the others sent but unrecorded (they would be sent again after their lease).
        outcomes = await asyncio.gather(*(one(d) for d in due), return_exceptions=True)
    for failure in (o for o in outcomes if isinstance(o, BaseException)):
        log.error("an alert delivery failed unexpectedly", exc_info=failure)
    return [o for o in outcomes if isinstance(o, DeliveryOutcome)]


async def run_alert_rounds(settings: Settings, engine: Engine, stop: asyncio.Event) -> None:
    """Send alerts every few seconds until ``stop`` is set, beside the feed scheduler, so a
    slow receiver never holds up feed updates; a failing round is logged, not fatal."""
    while not stop.is_set():
        try:
            await send_alerts(settings, engine)
        except Exception:  # the loop must outlive any one round; the traceback is logged
            log.exception("alerts round failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=IDLE_SECONDS)
        except TimeoutError:
            continue


async def attempt(
    settings: Settings, fetcher: Fetcher, delivery: DueDelivery, now: datetime
) -> DeliveryOutcome:
    """POST the delivery once; what came of it (not yet recorded)."""
    sent_at = int(time.time())
    body = story_body(delivery, story_url(settings, delivery.story_id), sent_at)
    headers = delivery_headers(delivery, body, sent_at)
    code: int | None = None
    retry_after: float | None = None
    try:
        result = await fetcher.post_body(delivery.url, body, headers)
    except (BlockedAddress, InvalidInput) as exc:  # the same answer at every try
        return finished(delivery, FAILED, None, str(exc))
    except HTTPStatusError as exc:
        code, retry_after, error = exc.status, exc.retry_after, str(exc)
    except FetchError as exc:
        error = str(exc)
    else:
        if 200 <= result.status < 300:
            return finished(delivery, DELIVERED, result.status, None)
        code, error = result.status, f"HTTP {result.status}: not a 2xx answer"
    retry = next_attempt(delivery.attempts, now, retry_after)
    if retry is None:
        return finished(delivery, FAILED, code, f"{error} (gave up after {delivery.attempts})")
    return finished(delivery, PENDING, code, error, retry)


def finished(
    delivery: DueDelivery,
    status: str,
    code: int | None,
    error: str | None,
    retry: datetime | None = None,
) -> DeliveryOutcome:
    """The outcome of one attempt; the error never repeats the URL, which may hold a key."""
    if error:
        error = error.replace(delivery.url, "<webhook URL>")
    return DeliveryOutcome(
        delivery.id,
        delivery.alert_id,
        delivery.story_id,
        status,
        delivery.attempts,
        code,
        error,
        retry,
    )


def record(engine: Engine, outcome: DeliveryOutcome, now: datetime) -> None:
    alert_store.record_attempt(
        engine,
        outcome.delivery_id,
        status=outcome.status,
        status_code=outcome.status_code,
        error=outcome.error,
        next_attempt_at=outcome.next_attempt_at,
        now=now,
    )
    log.info(
        "alert_id=%s delivery_id=%s story_id=%s status=%s attempts=%s code=%s error=%s",
        outcome.alert_id,
        outcome.delivery_id,
        outcome.story_id,
        outcome.status,
        outcome.attempts,
        outcome.status_code or "-",
        outcome.error or "-",
    )
