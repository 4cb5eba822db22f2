"""Which of a tag's articles a reader asked for: a language, an outlet, a category, a range
of days. The tag page, its feeds and its pages of older news all read through the same
filters, turned here into SQL conditions on an article row."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, FromClause, select

from tagwire.store.schema import outlets


@dataclass(frozen=True, slots=True)
class TagFilters:
    """None is "any"; ``since`` and ``until`` are UTC days, both included."""

    language: str | None = None
    outlet: str | None = None  # the outlet's slug
    category: str | None = None
    since: date | None = None
    until: date | None = None

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) is not None for f in fields(self))

    def without(self, name: str) -> TagFilters:
        """The same filters but one, for a "remove this filter" link."""
        return replace(self, **{name: None})


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def article_conditions(
    filters: TagFilters, article: FromClause, published: ColumnElement | None = None
) -> list[ColumnElement[bool]]:
    """The filters as conditions on ``article`` (the articles table or an alias of it);
    ``published`` is the date column to range over, when one with a better index than
    ``article.published_at`` is at hand (``article_tags.published_at``)."""
    when = article.c.published_at if published is None else published
    conditions: list[ColumnElement[bool]] = []
    if filters.language is not None:
        conditions.append(article.c.language == filters.language)
    if filters.category is not None:
        conditions.append(article.c.category == filters.category)
    if filters.outlet is not None:
        outlet_id = select(outlets.c.id).where(outlets.c.slug == filters.outlet)
        conditions.append(article.c.outlet_id == outlet_id.scalar_subquery())
    if filters.since is not None:
        conditions.append(when >= day_start(filters.since))
    if filters.until is not None and filters.until < date.max:
        conditions.append(when < day_start(filters.until + timedelta(days=1)))
    return conditions
