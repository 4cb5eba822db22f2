"""What the outlet pages read: an outlet and its facts, its feeds' health, how much it
published and how well its pages were extracted over the last days, its articles newest
first (paged by cursor like a tag's), and the list of every outlet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Connection, Engine, and_, case, func, select

from tagwire.store.feeds import FeedRow, list_feeds
from tagwire.store.reads import Cursor, Page, article_select, articles_page
from tagwire.store.schema import articles, outlets

ACTIVITY_DAYS = 30
FAILURES_SHOWN = 10


@dataclass(frozen=True, slots=True)
class OutletInfo:
    id: int
    name: str
    slug: str
    homepage: str | None
    language: str | None
    country: str | None
    ownership: str | None
    state_affiliated: bool | None
    article_count: int


@dataclass(frozen=True, slots=True)
class DayCount:
    day: date
    articles: int


@dataclass(frozen=True, slots=True)
class ExtractionFailure:
    """An article whose page gave no text, and why."""

    article_id: int
    title: str
    url: str
    error: str
    fetched_at: datetime


@dataclass(frozen=True, slots=True)
class OutletActivity:
    days: tuple[DayCount, ...]  # oldest first
    articles: int  # published over those days
    full_text: int  # of which the page's whole text was extracted
    languages: tuple[str, ...]  # of those articles, the most used first
    failures: tuple[ExtractionFailure, ...]  # newest first

    @property
    def per_day(self) -> float:
        return round(self.articles / len(self.days), 1) if self.days else 0.0

    @property
    def full_text_percent(self) -> int | None:
        return round(100 * self.full_text / self.articles) if self.articles else None


@dataclass(frozen=True, slots=True)
class OutletPage:
    outlet: OutletInfo
    page: Page
    feeds: list[FeedRow]  # left empty without details
    activity: OutletActivity | None  # None without details


def outlet_page(
    engine: Engine,
    slug: str,
    cursor: Cursor | None,
    limit: int,
    *,
    details: bool = True,
    now: datetime | None = None,
) -> OutletPage | None:
    """An outlet and one page of its articles, newest first, with (``details``) its feeds
    and its activity over the last ``ACTIVITY_DAYS`` days; None when no such outlet."""
    outlet = find_outlet(engine, slug)
    if outlet is None:
        return None
    query = article_select().where(articles.c.outlet_id == outlet.id)
    page = articles_page(engine, query, (articles.c.published_at, articles.c.id), cursor, limit)
    if not details:
        return OutletPage(outlet, page, [], None)
    with engine.connect() as conn:
        activity = outlet_activity(conn, outlet.id, now or datetime.now(UTC))
    return OutletPage(outlet, page, list_feeds(engine, outlet.id), activity)


def find_outlet(engine: Engine, slug: str) -> OutletInfo | None:
    with engine.connect() as conn:
        found = _outlet_infos(conn, outlets.c.slug == slug)
    return found[0] if found else None


def list_outlets(engine: Engine) -> list[OutletInfo]:
    """Every outlet, by name."""
    with engine.connect() as conn:
        return _outlet_infos(conn, None)


def _outlet_infos(conn: Connection, condition: ColumnElement[bool] | None) -> list[OutletInfo]:
    counts = (
        select(articles.c.outlet_id, func.count().label("n"))
        .group_by(articles.c.outlet_id)
        .subquery()
    )
    query = select(outlets, counts.c.n).outerjoin(counts, counts.c.outlet_id == outlets.c.id)
    if condition is not None:
        query = query.where(condition)
    query = query.order_by(outlets.c.name, outlets.c.id)
    return [
        OutletInfo(
            id=r.id,
            name=r.name,
            slug=r.slug,
            homepage=r.homepage,
            language=r.language,
            country=r.country,
            ownership=r.ownership,
            state_affiliated=r.state_affiliated,
            article_count=r.n or 0,
        )
        for r in conn.execute(query)
    ]


def outlet_activity(conn: Connection, outlet_id: int, now: datetime) -> OutletActivity:
    """The outlet's articles per day (UTC) over the last ``ACTIVITY_DAYS`` days, today
    included, how many of them have the page's whole text, their languages, and the
    newest extraction failures of that time."""
    first = now.astimezone(UTC).date() - timedelta(days=ACTIVITY_DAYS - 1)
    starts = [
        datetime.combine(first + timedelta(days=i), time(), UTC) for i in range(ACTIVITY_DAYS)
    ]
    published = articles.c.published_at
    one_day = timedelta(days=1)
    window = and_(
        articles.c.outlet_id == outlet_id, published >= starts[0], published < starts[-1] + one_day
    )
    per_day = [
        func.coalesce(func.sum(case((and_(published >= s, published < s + one_day), 1))), 0)
        for s in starts
    ]
    full = func.coalesce(func.sum(case((articles.c.extraction_status == "full", 1))), 0)
    counts = conn.execute(select(full, *per_day).where(window)).one()
    days = tuple(DayCount(s.date(), int(n)) for s, n in zip(starts, counts[1:], strict=True))
    used = func.count()
    languages = conn.execute(
        select(articles.c.language)
        .where(window, articles.c.language.is_not(None))
        .group_by(articles.c.language)
        .order_by(used.desc(), articles.c.language)
    ).scalars()
    failures = conn.execute(
        select(
            articles.c.id,
            articles.c.title,
            articles.c.url,
            articles.c.extraction_error,
            articles.c.fetched_at,
        )
        .where(window, articles.c.extraction_error.is_not(None))
        .order_by(articles.c.fetched_at.desc(), articles.c.id.desc())
        .limit(FAILURES_SHOWN)
    )
    return OutletActivity(
        days=days,
        articles=sum(d.articles for d in days),
        full_text=int(counts[0]),
        languages=tuple(languages),
        failures=tuple(
            ExtractionFailure(r.id, r.title, r.url, r.extraction_error, r.fetched_at)
            for r in failures
        ),
    )
