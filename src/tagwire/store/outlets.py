"""Outlets: the publishers behind feeds and articles, found or created by name, with the
facts readers see beside their name (country, ownership, state-affiliated): the bundled
ones (tagwire.outlets.facts) on first sight, the user's when set."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, Engine, Row, select

from tagwire.enrich.names import slugify
from tagwire.errors import InvalidInput
from tagwire.outlets.facts import OutletFacts, find_facts
from tagwire.store.schema import feeds, outlets

FACT_COLUMNS = ("country", "ownership", "state_affiliated")
BUNDLE, USER = "bundle", "user"  # who gave an outlet its facts (outlets.facts_source)


def outlet_id_for(
    conn: Connection,
    name: str,
    homepage: str | None = None,
    language: str | None = None,
    feed_url: str | None = None,
) -> int:
    """The outlet called ``name``, created on first sight with the bundled facts of its site
    or name; one with no facts yet is given them as soon as they are known."""
    name = name.strip()[:300] or "Unknown outlet"
    slug = slugify(name) or "outlet"
    query = select(outlets.c.id, outlets.c.homepage, *fact_columns()).where(outlets.c.slug == slug)
    found = conn.execute(query).first()
    if found is not None:
        if not has_facts(found):
            facts = find_facts(homepage, found.homepage, feed_url, name=name)
            _give_facts(conn, found.id, facts)
        return int(found.id)
    facts = find_facts(homepage, feed_url, name=name)
    result = conn.execute(
        outlets.insert().values(
            name=name,
            slug=slug,
            homepage=homepage,
            language=language,
            created_at=datetime.now(UTC),
            **fact_values(facts),
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def outlet_name_from(feed_title: str | None, url: str) -> str:
    """A readable outlet name from a feed's title, else the site's host name."""
    title = (feed_title or "").strip()
    for suffix in (" - RSS", " RSS", " - Atom", " feed", " Feed", " - Latest news", " - News"):
        if title.endswith(suffix):
            title = title[: -len(suffix)].strip()
    if title and not title.startswith(("http://", "https://")):
        return title
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")


def set_outlet_facts(engine: Engine, slug: str, changes: Mapping[str, Any]) -> None:
    """The user's word on an outlet: ``changes`` maps some of ``FACT_COLUMNS`` to values
    (None: not known). Raises InvalidInput for an unknown outlet."""
    unknown = set(changes) - set(FACT_COLUMNS)
    if unknown:
        raise ValueError(f"not outlet facts: {sorted(unknown)}")
    with engine.begin() as conn:
        changed = outlets.update().where(outlets.c.slug == slug)
        done = conn.execute(changed.values(**changes, facts_source=USER))
    if done.rowcount == 0:
        raise InvalidInput(f"no outlet {slug!r} (tagwire outlets lists them)")


def fill_outlet_facts(engine: Engine) -> int:
    """Give the bundled facts to every outlet that has none yet, found by its homepage, its
    feeds' URLs or its name; how many outlets were given facts."""
    given = 0
    with engine.begin() as conn:
        rows = conn.execute(
            select(outlets.c.id, outlets.c.name, outlets.c.homepage, *fact_columns())
        )
        for row in [r for r in rows if not has_facts(r)]:
            sites = conn.execute(
                select(feeds.c.site_url, feeds.c.url).where(feeds.c.outlet_id == row.id)
            )
            urls = [row.homepage, *(u for site in sites for u in site)]
            given += _give_facts(conn, row.id, find_facts(*urls, name=row.name))
    return given


def fact_columns() -> tuple:
    return (*(outlets.c[name] for name in FACT_COLUMNS), outlets.c.facts_source)


def has_facts(row: Row[Any]) -> bool:
    """Whether anyone, the bundle or the user, has said anything about the outlet (a user
    who cleared its facts has: the bundle does not fill them again)."""
    return row.facts_source is not None


def fact_values(facts: OutletFacts | None) -> dict[str, Any]:
    if facts is None:
        return {}
    return {
        "country": facts.country,
        "ownership": facts.ownership,
        "state_affiliated": facts.state_affiliated,
        "facts_source": BUNDLE,
    }


def _give_facts(conn: Connection, outlet_id: int, facts: OutletFacts | None) -> bool:
    if facts is None:
        return False
    conn.execute(outlets.update().where(outlets.c.id == outlet_id).values(**fact_values(facts)))
    return True
