"""Alert rows: subscribe, list, remove; find the new stories each alert matches; claim the
deliveries that are due; record each attempt; the delivery log.

A story is new to an alert when it appeared after the alert was made, and it is matched
on the article that started it (never on a later report of it, nor on a duplicate). The
scan reads the stories past each alert's ``last_story_id`` and files one delivery per
alert and story, ``ON CONFLICT DO NOTHING``: scans may overlap, crash or repeat without
sending anything twice. It runs after each round of feed updates, in-process or in a
Celery worker alike, so no hook sits in the write path.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Row, case, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from tagwire.search.query import SearchQuery, parse_query
from tagwire.store.schema import (
    alert_deliveries,
    alerts,
    article_tags,
    articles,
    outlets,
    stories,
    tags,
)
from tagwire.store.search import filter_conditions, text_conditions

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
LEASE = timedelta(minutes=15)  # a claimed delivery whose sender died is tried again then
# Stories just below the high-water mark are read again whenever newer ones came: on
# PostgreSQL a story can commit after one with a higher id (two workers), and would be
# passed over.
RESCAN_STORIES = 200


@dataclass(frozen=True, slots=True)
class AlertView:
    """An alert as listed (never its secret), with how its deliveries stand."""

    id: int
    kind: str  # "tag" or "search"
    target: str  # the tag's slug, or the query
    url: str
    active: bool
    created_at: datetime
    pending: int = 0
    delivered: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True)
class DeliveryView:
    """One alert's POST of one story: where it stands and what the last attempt gave."""

    id: int
    alert_id: int
    story_id: int
    story_title: str
    status: str  # pending, delivered, failed
    attempts: int
    next_attempt_at: datetime | None  # None once delivered or failed
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoryArticle:
    """What a webhook is told of the story's first article."""

    title: str
    url: str
    outlet: str
    published_at: datetime
    language: str | None
    category: str | None
    tags: tuple[tuple[str, str], ...]  # (label, slug), most salient first


@dataclass(frozen=True, slots=True)
class DueDelivery:
    """A claimed delivery with everything its POST needs, so sending reads nothing."""

    id: int
    attempts: int  # this attempt included
    alert_id: int
    kind: str
    target: str
    url: str
    secret: str
    story_id: int
    story_title: str
    first_seen_at: datetime
    article: StoryArticle


def add_alert(engine: Engine, kind: str, target: str, url: str, secret: str) -> AlertView:
    """Subscribe ``url`` to a tag or a search (checked by the caller), from now on."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        top = conn.execute(select(func.max(stories.c.id))).scalar() or 0
        result = conn.execute(
            insert(alerts).values(
                kind=kind,
                target=target,
                url=url,
                secret=secret,
                active=True,
                created_at=now,
                last_story_id=top,
            )
        )
        alert_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    return AlertView(alert_id, kind, target, url, True, now)


def list_alerts(engine: Engine) -> list[AlertView]:
    counts = (
        select(
            alert_deliveries.c.alert_id,
            *(
                func.sum(case((alert_deliveries.c.status == status, 1), else_=0)).label(status)
                for status in (PENDING, DELIVERED, FAILED)
            ),
        )
        .group_by(alert_deliveries.c.alert_id)
        .subquery()
    )
    query = (
        select(alerts, counts.c.pending, counts.c.delivered, counts.c.failed)
        .outerjoin(counts, counts.c.alert_id == alerts.c.id)
        .order_by(alerts.c.id)
    )
    with engine.connect() as conn:
        return [
            AlertView(
                r.id,
                r.kind,
                r.target,
                r.url,
                r.active,
                r.created_at,
                int(r.pending or 0),
                int(r.delivered or 0),
                int(r.failed or 0),
            )
            for r in conn.execute(query)
        ]


def find_alert(engine: Engine, alert_id: int) -> AlertView | None:
    return next((a for a in list_alerts(engine) if a.id == alert_id), None)


def remove_alert(engine: Engine, alert_id: int) -> AlertView | None:
    """Delete the alert and its delivery log; the alert as it was, or None."""
    found = find_alert(engine, alert_id)
    if found is not None:
        with engine.begin() as conn:
            conn.execute(delete(alert_deliveries).where(alert_deliveries.c.alert_id == alert_id))
            conn.execute(delete(alerts).where(alerts.c.id == alert_id))
    return found


def has_active_alerts(engine: Engine) -> bool:
    with engine.connect() as conn:
        query = select(alerts.c.id).where(alerts.c.active.is_(True)).limit(1)
        return conn.execute(query).first() is not None


def queue_new_stories(engine: Engine, now: datetime) -> int:
    """File a pending delivery for each new story each active alert matches; how many."""
    with engine.connect() as conn:
        top = conn.execute(select(func.max(stories.c.id))).scalar() or 0
        active = list(conn.execute(select(alerts).where(alerts.c.active.is_(True))))
    queued = 0
    for alert in active:
        if alert.last_story_id >= top:  # nothing new: the rescan waits for the next story
            continue
        matched = matching_stories(engine, alert, top)
        with engine.begin() as conn:
            if matched:
                queued += file_deliveries(conn, alert.id, matched, now)
            conn.execute(
                update(alerts)
                .where(alerts.c.id == alert.id, alerts.c.last_story_id < top)
                .values(last_story_id=top)
            )
    return queued


def alert_query(kind: str, target: str) -> SearchQuery:
    """What an alert looks for, as a search: a tag alert is the search ``#slug``."""
    return SearchQuery(tags=(target,)) if kind == "tag" else parse_query(target)


def matching_stories(engine: Engine, alert: Row[Any], top: int) -> list[tuple[int, int]]:
    """(story, its first article) for the stories up to ``top`` the alert has not had
    yet, started by an article stored since the alert was made, that its query matches."""
    query = alert_query(alert.kind, alert.target)
    conditions = filter_conditions(engine, query)
    if query.is_empty() or conditions is None:  # a tag not seen yet matches nothing
        return []
    conditions.extend(text_conditions(engine.dialect.name, query))
    low = max(0, alert.last_story_id - RESCAN_STORIES)
    first = (
        select(articles.c.story_id, func.min(articles.c.id).label("article_id"))
        .where(
            articles.c.story_id > low,
            articles.c.story_id <= top,
            articles.c.duplicate_of.is_(None),
        )
        .group_by(articles.c.story_id)
        .subquery()
    )
    statement = (
        select(first.c.story_id, first.c.article_id)
        .join(articles, articles.c.id == first.c.article_id)
        .join(outlets, outlets.c.id == articles.c.outlet_id)
        .where(articles.c.fetched_at >= alert.created_at, *conditions)
        .order_by(first.c.story_id)
    )
    with engine.connect() as conn:
        return [(int(r.story_id), int(r.article_id)) for r in conn.execute(statement)]


def file_deliveries(
    conn: Connection, alert_id: int, matched: Iterable[tuple[int, int]], now: datetime
) -> int:
    """Insert the pending deliveries that are not there yet (either engine)."""
    # Locks the alert's row on PostgreSQL: a removal waits, rather than break the key.
    if conn.execute(select(alerts.c.id).where(alerts.c.id == alert_id).with_for_update()).first():
        rows = [
            {
                "alert_id": alert_id,
                "story_id": story_id,
                "article_id": article_id,
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for story_id, article_id in matched
        ]
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(alert_deliveries).on_conflict_do_nothing(
            index_elements=["alert_id", "story_id"]
        )
        return len(conn.execute(statement.returning(alert_deliveries.c.id), rows).all())
    return 0


def claim_due_deliveries(
    engine: Engine, now: datetime, *, limit: int = 50, lease: timedelta = LEASE
) -> list[DueDelivery]:
    """Take the pending deliveries that are due, counting the attempt, as feeds are
    claimed: moved a lease ahead in one UPDATE, with ``FOR UPDATE SKIP LOCKED`` on
    PostgreSQL so that several senders never take the same one."""
    live = select(alerts.c.id).where(alerts.c.active.is_(True))
    due = (
        select(alert_deliveries.c.id)
        .where(
            alert_deliveries.c.status == PENDING,
            alert_deliveries.c.next_attempt_at <= now,
            alert_deliveries.c.alert_id.in_(live),
        )
        .order_by(alert_deliveries.c.next_attempt_at, alert_deliveries.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    claim = (
        update(alert_deliveries)
        .where(alert_deliveries.c.id.in_(due))
        .values(next_attempt_at=now + lease, attempts=alert_deliveries.c.attempts + 1)
        .returning(alert_deliveries.c.id)
    )
    with engine.begin() as conn:
        ids = list(conn.execute(claim).scalars())
        return due_deliveries(conn, ids) if ids else []


def due_deliveries(conn: Connection, ids: list[int]) -> list[DueDelivery]:
    query = (
        select(
            alert_deliveries.c.id,
            alert_deliveries.c.attempts,
            alert_deliveries.c.article_id,
            alerts.c.id.label("alert_id"),
            alerts.c.kind,
            alerts.c.target,
            alerts.c.url.label("webhook"),
            alerts.c.secret,
            stories.c.id.label("story_id"),
            stories.c.title.label("story_title"),
            stories.c.first_seen_at,
            articles.c.title,
            articles.c.url,
            articles.c.published_at,
            articles.c.language,
            articles.c.category,
            outlets.c.name.label("outlet"),
        )
        .join(alerts, alerts.c.id == alert_deliveries.c.alert_id)
        .join(stories, stories.c.id == alert_deliveries.c.story_id)
        .join(articles, articles.c.id == alert_deliveries.c.article_id)
        .join(outlets, outlets.c.id == articles.c.outlet_id)
        .where(alert_deliveries.c.id.in_(ids))
        .order_by(alert_deliveries.c.id)
    )
    rows = list(conn.execute(query))
    labels = article_tag_labels(conn, [r.article_id for r in rows])
    return [
        DueDelivery(
            id=r.id,
            attempts=r.attempts,
            alert_id=r.alert_id,
            kind=r.kind,
            target=r.target,
            url=r.webhook,
            secret=r.secret,
            story_id=r.story_id,
            story_title=r.story_title,
            first_seen_at=r.first_seen_at,
            article=StoryArticle(
                r.title,
                r.url,
                r.outlet,
                r.published_at,
                r.language,
                r.category,
                tuple(labels.get(r.article_id, ())),
            ),
        )
        for r in rows
    ]


def article_tag_labels(conn: Connection, ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    query = (
        select(article_tags.c.article_id, tags.c.label, tags.c.slug)
        .join(tags, tags.c.id == article_tags.c.tag_id)
        .where(article_tags.c.article_id.in_(ids))
        .order_by(article_tags.c.article_id, article_tags.c.salience.desc(), tags.c.slug)
    )
    found: dict[int, list[tuple[str, str]]] = {}
    for row in conn.execute(query):
        found.setdefault(row.article_id, []).append((row.label, row.slug))
    return found


def record_attempt(
    engine: Engine,
    delivery_id: int,
    *,
    status: str,
    status_code: int | None,
    error: str | None,
    next_attempt_at: datetime | None,
    now: datetime,
) -> None:
    """What an attempt gave: delivered, failed for good, or pending until
    ``next_attempt_at``."""
    values: dict[str, object] = {
        "status": status,
        "last_status_code": status_code,
        "last_error": error[:2000] if error else None,
        "next_attempt_at": next_attempt_at or now,
    }
    if status == DELIVERED:
        values["delivered_at"] = now
    with engine.begin() as conn:
        conn.execute(
            update(alert_deliveries).where(alert_deliveries.c.id == delivery_id).values(**values)
        )


def delivery_log(
    engine: Engine, alert_id: int | None = None, limit: int = 100
) -> list[DeliveryView]:
    """The latest deliveries, newest first: of one alert, or of all."""
    query = (
        select(alert_deliveries, stories.c.title.label("story_title"))
        .outerjoin(stories, stories.c.id == alert_deliveries.c.story_id)
        .order_by(alert_deliveries.c.id.desc())
        .limit(limit)
    )
    if alert_id is not None:
        query = query.where(alert_deliveries.c.alert_id == alert_id)
    with engine.connect() as conn:
        return [
            DeliveryView(
                id=r.id,
                alert_id=r.alert_id,
                story_id=r.story_id,
                story_title=r.story_title or "",
                status=r.status,
                attempts=r.attempts,
                next_attempt_at=r.next_attempt_at if r.status == PENDING else None,
                last_status_code=r.last_status_code,
                last_error=r.last_error,
                created_at=r.created_at,
                delivered_at=r.delivered_at,
            )
            for r in conn.execute(query)
        ]
