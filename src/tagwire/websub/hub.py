"""Asking hubs: after each feed update, subscribe to the hub the feed advertises, renew the
lease in time, or leave a hub the feed dropped (WebSub 5.1). Requests go through the
guarded, capped fetcher, since a hub URL is whatever the feed says. While pushes stand in
for polling the feed's next check is put off, up to the ceiling and never past renewal."""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime

from sqlalchemy import Engine

from tagwire import cadence
from tagwire.errors import FetchError, InvalidInput
from tagwire.fetch import Fetcher
from tagwire.models import FeedState, Subscription
from tagwire.settings import Settings
from tagwire.store import websub as websub_store
from tagwire.websub.decide import (
    PENDING,
    RENEW,
    REQUESTED_LEASE,
    SUBSCRIBE,
    UNSUBSCRIBE,
    UNSUBSCRIBING,
    plan_subscription,
    pushes_until,
)
from tagwire.websub.discover import HubLinks

log = logging.getLogger("tagwire.websub")


async def follow_hub(
    settings: Settings, engine: Engine, fetcher: Fetcher, feed: FeedState, links: HubLinks | None
) -> None:
    """Act on what the feed just advertised (``links``: None when it names no hub)."""
    if not settings.public_url:
        return
    now = datetime.now(UTC)
    sub = feed.subscription
    step = plan_subscription(sub, links, now)
    if step == SUBSCRIBE and links is not None:
        sub = await subscribe(settings, engine, fetcher, feed.id, links, now)
    elif step == RENEW and sub is not None:
        websub_store.ask_renewal(engine, feed.id, sub.token, now)
        await ask_hub(settings, fetcher, feed.id, sub, "subscribe")
    elif step == UNSUBSCRIBE and sub is not None:
        await unsubscribe(settings, engine, fetcher, feed.id, sub, now)
        sub = None
    put_off_polling(settings, engine, feed.id, sub, now)


async def keep_subscription(
    settings: Settings, engine: Engine, fetcher: Fetcher, feed: FeedState
) -> None:
    """After a 304 (nothing to discover): renew or retry the subscription the feed has."""
    sub = feed.subscription
    if sub is not None and sub.state != UNSUBSCRIBING:
        await follow_hub(settings, engine, fetcher, feed, HubLinks(sub.hub, sub.topic))


async def subscribe(
    settings: Settings,
    engine: Engine,
    fetcher: Fetcher,
    feed_id: int,
    links: HubLinks,
    now: datetime,
) -> Subscription | None:
    """A new subscription with its own callback token and secret; None if the hub refused."""
    sub = new_subscription(links, now)
    websub_store.ask_subscription(engine, feed_id, sub)
    if await ask_hub(settings, fetcher, feed_id, sub, "subscribe"):
        return sub
    websub_store.deny_subscription(engine, feed_id, sub.token)
    return None


async def unsubscribe(
    settings: Settings,
    engine: Engine,
    fetcher: Fetcher,
    feed_id: int,
    sub: Subscription,
    now: datetime,
) -> None:
    """Ask the hub to stop; the hub's verification then clears the row (a hub that refuses
    is forgotten at once, and its pushes are answered 410)."""
    websub_store.ask_unsubscription(engine, feed_id, sub.token, now)
    if not await ask_hub(settings, fetcher, feed_id, sub, "unsubscribe"):
        websub_store.forget_subscription(engine, feed_id, sub.token)


def new_subscription(links: HubLinks, now: datetime) -> Subscription:
    return Subscription(
        hub=links.hub,
        topic=links.topic,
        token=secrets.token_urlsafe(24),
        secret=secrets.token_urlsafe(32),  # the spec wants under 200 bytes
        state=PENDING,
        requested_at=now,
    )


async def ask_hub(
    settings: Settings, fetcher: Fetcher, feed_id: int, sub: Subscription, mode: str
) -> bool:
    """Send one request to the hub; True when it accepted it for verification."""
    try:
        result = await fetcher.post_form(sub.hub, hub_request(settings, feed_id, sub, mode))
    except (FetchError, InvalidInput) as exc:
        log.warning(
            "feed_id=%s hub=%s websub=%s status=refused error=%s", feed_id, sub.hub, mode, exc
        )
        return False
    log.info("feed_id=%s hub=%s websub=%s status=%s", feed_id, sub.hub, mode, result.status)
    return True


def hub_request(settings: Settings, feed_id: int, sub: Subscription, mode: str) -> dict[str, str]:
    """The form of a (un)subscription request (WebSub 5.1)."""
    form = {
        "hub.mode": mode,
        "hub.topic": sub.topic,
        "hub.callback": callback_url(settings.public_url, feed_id, sub.token),
    }
    if mode == "subscribe":
        form["hub.lease_seconds"] = str(int(REQUESTED_LEASE.total_seconds()))
        form["hub.secret"] = sub.secret
    return form


def callback_path(feed_id: int, token: str) -> str:
    return f"/websub/{feed_id}/{token}"


def callback_url(public_url: str, feed_id: int, token: str) -> str:
    return public_url.rstrip("/") + callback_path(feed_id, token)


def put_off_polling(
    settings: Settings, engine: Engine, feed_id: int, sub: Subscription | None, now: datetime
) -> None:
    until = pushes_until(sub, now)
    if until is not None:
        websub_store.put_off_check(engine, feed_id, cadence.with_pushes(settings, now, until))
