"""What the tag page shows above its articles: how many articles carried the tag each day,
and who covered it (outlets, their countries, the articles' languages and categories).

Both read ``article_tags`` through its (tag, published) index: the daily counts over a
range of days, the coverage over the tag's latest ``COVERAGE_WINDOW`` articles, so a tag
on 50,000 articles costs the same as one on 2,000.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, Engine, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from tagwire.store.schema import article_tags, articles, outlets
from tagwire.store.tag_filters import day_start

CHART_DAYS = 90
COVERAGE_WINDOW = 2000  # a tag's most recent articles read for its coverage
MAX_OUTLETS_SHOWN = 20


@dataclass(frozen=True, slots=True)
class DayCount:
    day: date
    count: int


@dataclass(frozen=True, slots=True)
class Share:
    """One value of a coverage list (a country code, a language, a category) and how many
    articles had it."""

    value: str
    count: int


@dataclass(frozen=True, slots=True)
class OutletShare:
    name: str
    slug: str
    country: str | None
    count: int


@dataclass(frozen=True, slots=True)
class TagCoverage:
    """Who wrote the tag's latest ``articles`` articles, most first."""

    articles: int
    outlets: tuple[OutletShare, ...]  # at most MAX_OUTLETS_SHOWN
    more_outlets: int  # outlets left out of ``outlets``
    countries: tuple[Share, ...]
    languages: tuple[Share, ...]
    categories: tuple[Share, ...]


class utc_day(FunctionElement[date]):
    """The UTC calendar day of a stored datetime, as SQL."""

    type = Date()
    inherit_cache = True


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element: utc_day, compiler: Any, **kw: Any) -> str:
    # SQLite holds the UTC time as naive text (schema.UTCDateTime): its date is the day.
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(utc_day)
def _utc_day_default(element: utc_day, compiler: Any, **kw: Any) -> str:
    # PostgreSQL's timestamptz takes the session's time zone when cast: name UTC.
    return f"CAST(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC' AS DATE)"


def tag_daily_counts(
    engine: Engine, tag_id: int, days: int = CHART_DAYS, today: date | None = None
) -> list[DayCount]:
    """Articles carrying the tag on each UTC day of the ``days`` up to ``today``, oldest
    first; days without any are there with 0."""
    last = today or datetime.now(UTC).date()
    first = last - timedelta(days=days - 1)
    day = utc_day(article_tags.c.published_at)
    query = (
        select(day, func.count())
        .where(
            article_tags.c.tag_id == tag_id,
            article_tags.c.published_at >= day_start(first),
            article_tags.c.published_at < day_start(last + timedelta(days=1)),
        )
        .group_by(day)
    )
    with engine.connect() as conn:
        found = {day: int(n) for day, n in conn.execute(query)}
    return [
        DayCount(first + timedelta(days=n), found.get(first + timedelta(days=n), 0))
        for n in range(days)
    ]


def tag_coverage(engine: Engine, tag_id: int, window: int = COVERAGE_WINDOW) -> TagCoverage:
    """The outlets, countries, languages and categories of the tag's latest ``window``
    articles, counted in one grouped read."""
    recent = (
        select(article_tags.c.article_id)
        .where(article_tags.c.tag_id == tag_id)
        .order_by(article_tags.c.published_at.desc())
        .limit(window)
        .subquery()
    )
    grouped = (
        select(
            articles.c.outlet_id,
            articles.c.language,
            articles.c.category,
            func.count().label("count"),
        )
        .where(articles.c.id.in_(select(recent.c.article_id)))
        .group_by(articles.c.outlet_id, articles.c.language, articles.c.category)
        .subquery()
    )
    query = select(
        outlets.c.name,
        outlets.c.slug,
        outlets.c.country,
        grouped.c.language,
        grouped.c.category,
        grouped.c.count,
    ).join(outlets, outlets.c.id == grouped.c.outlet_id)
    with engine.connect() as conn:
        rows = list(conn.execute(query))
    return count_coverage(rows)


def count_coverage(rows: list[Any]) -> TagCoverage:
    """Totals per outlet, country, language and category of the grouped rows."""
    by_outlet: Counter[tuple[str, str, str | None]] = Counter()
    countries: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    for name, slug, country, language, category, n in rows:
        by_outlet[(name, slug, country)] += n
        if country:
            countries[country] += n
        if language:
            languages[language] += n
        if category:
            categories[category] += n
    ranked = sorted(by_outlet.items(), key=lambda item: (-item[1], item[0][0].casefold()))
    return TagCoverage(
        articles=sum(by_outlet.values()),
        outlets=tuple(
            OutletShare(name, slug, country, n)
            for (name, slug, country), n in ranked[:MAX_OUTLETS_SHOWN]
        ),
        more_outlets=max(0, len(ranked) - MAX_OUTLETS_SHOWN),
        countries=shares(countries),
        languages=shares(languages),
        categories=shares(categories),
    )


def shares(counter: Counter[str]) -> tuple[Share, ...]:
    """Most first, then by value."""
    return tuple(Share(v, n) for v, n in sorted(counter.items(), key=lambda i: (-i[1], i[0])))
