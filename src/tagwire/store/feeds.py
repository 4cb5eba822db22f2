"""Feed rows: subscribe, list, claim what is due, record each update's outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Row, case, func, select

from tagwire.models import FeedState, Subscription
from tagwire.store.outlets import outlet_id_for
from tagwire.store.schema import articles, feeds, outlets

LEASE = timedelta(minutes=15)
RATE_WINDOW = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class FeedRow:
    id: int
    url: str
    title: str | None
    outlet: str
    last_status: str | None
    last_error: str | None
    error_count: int
    last_checked_at: datetime | None
    next_check_at: datetime
    article_count: int
    articles_per_day: float  # over the last week
    active: bool


def add_feed(
    engine: Engine,
    url: str,
    *,
    title: str | None,
    site_url: str | None,
    kind: str | None,
    outlet_name: str,
    language: str | None = None,
) -> tuple[int, bool]:
    """Subscribe to ``url``; return its id and whether it is new. Due at once."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        existing = conn.execute(select(feeds.c.id).where(feeds.c.url == url)).scalar()
        if existing is not None:
            conn.execute(  # adding a stopped feed again resumes it
                feeds.update()
                .where(feeds.c.id == existing, feeds.c.active.is_(False))
                .values(active=True, error_count=0, next_check_at=now)
            )
            return int(existing), False
        outlet_id = outlet_id_for(conn, outlet_name, site_url, language, feed_url=url)
        result = conn.execute(
            feeds.insert().values(
                url=url,
                outlet_id=outlet_id,
                title=title,
                site_url=site_url,
                kind=kind,
                next_check_at=now,
                error_count=0,
                active=True,
                created_at=now,
            )
        )
        return int(result.inserted_primary_key[0]), True  # type: ignore[index]


def claim_due_feeds(
    engine: Engine, now: datetime, *, limit: int | None = None, lease: timedelta = LEASE
) -> list[FeedState]:
    """Take the feeds whose check is due, so that no other scheduler takes them too.

    Claiming moves ``next_check_at`` a lease ahead: a worker that dies mid-update leaves
    the feed to be retried when the lease runs out. On PostgreSQL, ``FOR UPDATE SKIP
    LOCKED`` lets any number of schedulers claim at once without waiting on each other.
    """
    due = (
        select(feeds.c.id)
        .where(feeds.c.active.is_(True), feeds.c.next_check_at <= now)
        .order_by(feeds.c.next_check_at, feeds.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    # One UPDATE ... RETURNING: atomic on SQLite (one writer) as on PostgreSQL.
    claim = (
        feeds.update()
        .where(feeds.c.id.in_(due))
        .values(next_check_at=now + lease)
        .returning(feeds.c.id)
    )
    with engine.begin() as conn:
        ids = list(conn.execute(claim).scalars())
        if not ids:
            return []
        rows = conn.execute(
            select(feeds, outlets.c.name.label("outlet_name"))
            .join(outlets, outlets.c.id == feeds.c.outlet_id)
            .where(feeds.c.id.in_(ids))
            .order_by(feeds.c.id)
        )
        return [_state(row) for row in rows]


def start_claimed_update(
    engine: Engine,
    feed_id: int,
    claimed_at: datetime,
    now: datetime,
    *,
    lease: timedelta = LEASE,
    rerun: bool = False,
) -> FeedState | None:
    """The feed, for a worker about to update it under the claim made at ``claimed_at``;
    None when it is gone, stopped, or its check has begun or ended since that claim.

    A task that waits in the queue past its lease is claimed and enqueued again: of the
    copies, the first to start wins and the others are skipped. Starting stamps
    ``last_checked_at`` and moves ``next_check_at`` a lease ahead, so no scheduler claims a
    feed that is being updated. ``rerun``: the same task again (the broker handed it back
    when its worker died, or it is retried), which is redone whatever it had begun.
    """
    start = feeds.update().where(feeds.c.id == feed_id, feeds.c.active.is_(True))
    if not rerun:
        start = start.where(
            feeds.c.last_checked_at.is_(None) | (feeds.c.last_checked_at < claimed_at)
        )
    start = start.values(last_checked_at=now, next_check_at=now + lease).returning(feeds.c.id)
    with engine.begin() as conn:
        if conn.execute(start).first() is None:
            return None
    return feed_state(engine, feed_id)


def feed_state(engine: Engine, feed_id: int) -> FeedState | None:
    """One active feed as the pipeline needs it (for a worker handed its id)."""
    query = (
        select(feeds, outlets.c.name.label("outlet_name"))
        .join(outlets, outlets.c.id == feeds.c.outlet_id)
        .where(feeds.c.id == feed_id, feeds.c.active.is_(True))
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else _state(row)


def _state(row: Row[Any]) -> FeedState:
    return FeedState(
        id=row.id,
        url=row.url,
        outlet_id=row.outlet_id,
        outlet_name=row.outlet_name,
        etag=row.etag,
        last_modified=row.last_modified,
        error_count=row.error_count,
        subscription=_subscription(row),
    )


def _subscription(row: Row[Any]) -> Subscription | None:
    if not (row.websub_hub and row.websub_topic and row.websub_token and row.websub_state):
        return None
    return Subscription(
        hub=row.websub_hub,
        topic=row.websub_topic,
        token=row.websub_token,
        secret=row.websub_secret or "",
        state=row.websub_state,
        requested_at=row.websub_requested_at,
        expires_at=row.websub_expires_at,
    )


def record_success(
    engine: Engine,
    feed_id: int,
    *,
    status: str,
    next_check_at: datetime,
    etag: str | None = None,
    last_modified: str | None = None,
    title: str | None = None,
    site_url: str | None = None,
    kind: str | None = None,
) -> None:
    values: dict[str, object] = {
        "last_status": status,
        "last_error": None,
        "error_count": 0,
        "last_checked_at": datetime.now(UTC),
        "next_check_at": next_check_at,
    }
    if status != "not-modified":
        values.update(etag=etag, last_modified=last_modified)
    values.update(
        {k: v for k, v in (("title", title), ("site_url", site_url), ("kind", kind)) if v}
    )
    with engine.begin() as conn:
        conn.execute(feeds.update().where(feeds.c.id == feed_id).values(**values))


def record_failure(
    engine: Engine, feed_id: int, *, error: str, next_check_at: datetime, stop: bool = False
) -> None:
    """Count the failure; with ``stop`` the feed is not checked again until re-added."""
    with engine.begin() as conn:
        conn.execute(
            feeds.update()
            .where(feeds.c.id == feed_id)
            .values(
                active=not stop,
                last_status="stopped" if stop else "error",
                last_error=error[:2000],
                error_count=feeds.c.error_count + 1,
                last_checked_at=datetime.now(UTC),
                next_check_at=next_check_at,
            )
        )


def recent_publication_dates(engine: Engine, feed_id: int, since: datetime) -> list[datetime]:
    query = select(articles.c.published_at).where(
        articles.c.feed_id == feed_id, articles.c.published_at >= since
    )
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())


def make_all_due(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(feeds.update().values(next_check_at=datetime.now(UTC) - timedelta(seconds=1)))


def list_feeds(engine: Engine, outlet_id: int | None = None) -> list[FeedRow]:
    """Every feed (or the outlet's) with its state, its articles and how many a day it
    published lately."""
    week_ago = datetime.now(UTC) - RATE_WINDOW
    recent = func.sum(case((articles.c.published_at >= week_ago, 1), else_=0))
    counts = (
        select(articles.c.feed_id, func.count().label("n"), recent.label("recent"))
        .group_by(articles.c.feed_id)
        .subquery()
    )
    query = (
        select(feeds, outlets.c.name.label("outlet"), counts.c.n, counts.c.recent)
        .join(outlets, outlets.c.id == feeds.c.outlet_id)
        .outerjoin(counts, counts.c.feed_id == feeds.c.id)
        .order_by(feeds.c.id)
    )
    if outlet_id is not None:
        query = query.where(feeds.c.outlet_id == outlet_id)
    with engine.connect() as conn:
        return [
            FeedRow(
                id=r.id,
                url=r.url,
                title=r.title,
                outlet=r.outlet,
                last_status=r.last_status,
                last_error=r.last_error,
                error_count=r.error_count,
                last_checked_at=r.last_checked_at,
                next_check_at=r.next_check_at,
                article_count=r.n or 0,
                articles_per_day=round((r.recent or 0) / RATE_WINDOW.days, 1),
                active=r.active,
            )
            for r in conn.execute(query)
        ]
