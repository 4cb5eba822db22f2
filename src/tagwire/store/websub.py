"""WebSub state on the feed rows: a subscription asked for, verified, denied or left, and
the next check a subscription lets the scheduler put off. Every change names the
callback token it is about, so a stale answer from a hub changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, Update

from tagwire.models import Subscription
from tagwire.store.schema import feeds

CLEARED = {
    "websub_hub": None,
    "websub_topic": None,
    "websub_token": None,
    "websub_secret": None,
    "websub_state": None,
    "websub_requested_at": None,
    "websub_expires_at": None,
}


def ask_subscription(engine: Engine, feed_id: int, sub: Subscription) -> None:
    """A new subscription, pending until the hub verifies it (before the request goes out:
    a hub may verify before it answers)."""
    values = {
        "websub_hub": sub.hub,
        "websub_topic": sub.topic,
        "websub_token": sub.token,
        "websub_secret": sub.secret,
        "websub_state": sub.state,
        "websub_requested_at": sub.requested_at,
        "websub_expires_at": None,
    }
    with engine.begin() as conn:
        conn.execute(feeds.update().where(feeds.c.id == feed_id).values(**values))


def ask_renewal(engine: Engine, feed_id: int, token: str, now: datetime) -> None:
    _change(engine, feed_id, token, websub_requested_at=now)


def ask_unsubscription(engine: Engine, feed_id: int, token: str, now: datetime) -> None:
    _change(engine, feed_id, token, websub_state="unsubscribing", websub_requested_at=now)


def confirm_subscription(engine: Engine, feed_id: int, token: str, expires_at: datetime) -> None:
    _change(engine, feed_id, token, websub_state="active", websub_expires_at=expires_at)


def deny_subscription(engine: Engine, feed_id: int, token: str) -> None:
    """The hub refused (its answer, or a denial at the callback): the feed is polled."""
    _change(engine, feed_id, token, websub_state="denied", websub_expires_at=None)


def forget_subscription(engine: Engine, feed_id: int, token: str) -> None:
    _change(engine, feed_id, token, **CLEARED)


def put_off_check(engine: Engine, feed_id: int, until: datetime) -> None:
    """Move the feed's next check to ``until`` unless it is already later."""
    with engine.begin() as conn:
        conn.execute(
            feeds.update()
            .where(feeds.c.id == feed_id, feeds.c.next_check_at < until)
            .values(next_check_at=until)
        )


def check_now(engine: Engine, feed_id: int) -> None:
    """A push that no worker of this process takes: the feed is due at once instead."""
    with engine.begin() as conn:
        conn.execute(
            feeds.update().where(feeds.c.id == feed_id).values(next_check_at=datetime.now(UTC))
        )


def _change(engine: Engine, feed_id: int, token: str, **values: object) -> None:
    with engine.begin() as conn:
        conn.execute(_of_token(feed_id, token).values(**values))


def _of_token(feed_id: int, token: str) -> Update:
    return feeds.update().where(feeds.c.id == feed_id, feeds.c.websub_token == token)
