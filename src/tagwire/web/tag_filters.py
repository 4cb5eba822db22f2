"""The tag page's filters as the URL carries them (``lang``, ``outlet``, ``category``,
``since``, ``until``), read and checked once for the page, its feeds and its pages of older
news. A value that cannot be one is a 400 that says which and why; an empty one (a form's
"any") is no filter."""

from __future__ import annotations

import re
from datetime import date

from fastapi import HTTPException, Query

from tagwire.enrich.language import normalise_language
from tagwire.store.tag_filters import TagFilters

CONTROL = re.compile(r"[\x00-\x1f\x7f]")
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAX_OUTLET = 300  # outlets.slug
MAX_CATEGORY = 32  # articles.category


def parse_tag_filters(
    lang: str | None = Query(None, description="article language, e.g. fr"),
    outlet: str | None = Query(None, description="outlet slug"),
    category: str | None = Query(None, description="category name, e.g. Politics"),
    since: str | None = Query(None, description="first day, YYYY-MM-DD"),
    until: str | None = Query(None, description="last day, YYYY-MM-DD"),
) -> TagFilters:
    """A FastAPI dependency: the query's filters, or a 400."""
    filters = TagFilters(
        language=language_filter(lang),
        outlet=text_filter("outlet", outlet, MAX_OUTLET),
        category=text_filter("category", category, MAX_CATEGORY),
        since=day_filter("since", since),
        until=day_filter("until", until),
    )
    if filters.since and filters.until and filters.since > filters.until:
        raise HTTPException(400, "Filter 'since' is after 'until'")
    return filters


def language_filter(value: str | None) -> str | None:
    if not value:
        return None
    code = normalise_language(value) if len(value) <= 16 else None
    if code is None or CONTROL.search(value):
        raise HTTPException(400, "Filter 'lang' must be a language code such as en or fr")
    return code


def text_filter(name: str, value: str | None, longest: int) -> str | None:
    value = value.strip() if value else None
    if not value:
        return None
    if len(value) > longest or CONTROL.search(value):
        raise HTTPException(400, f"Filter '{name}' must be at most {longest} printable characters")
    return value


def day_filter(name: str, value: str | None) -> date | None:
    if not value:
        return None
    try:
        if not DAY.fullmatch(value):
            raise ValueError(value)
        day = date.fromisoformat(value)
        if day == date.max:  # "until" reads up to the next day's start, which has no date
            raise ValueError(value)
        return day
    except ValueError:
        raise HTTPException(400, f"Filter '{name}' must be a day as YYYY-MM-DD") from None


def filter_params(filters: TagFilters | None) -> dict[str, str]:
    """The filters as URL query parameters, the unset ones left out."""
    if not filters:
        return {}
    values = {
        "lang": filters.language,
        "outlet": filters.outlet,
        "category": filters.category,
        "since": filters.since.isoformat() if filters.since else None,
        "until": filters.until.isoformat() if filters.until else None,
    }
    return {name: value for name, value in values.items() if value is not None}
