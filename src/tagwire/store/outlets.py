"""Outlets: the publishers behind feeds and articles, found or created by name."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from sqlalchemy import Connection, select

from tagwire.enrich.names import slugify
from tagwire.store.schema import outlets


def outlet_id_for(
    conn: Connection, name: str, homepage: str | None = None, language: str | None = None
) -> int:
    """The outlet called ``name``, created on first sight."""
    name = name.strip()[:300] or "Unknown outlet"
    slug = slugify(name) or "outlet"
    found = conn.execute(select(outlets.c.id).where(outlets.c.slug == slug)).scalar()
    if found is not None:
        return int(found)
    result = conn.execute(
        outlets.insert().values(
            name=name,
            slug=slug,
            homepage=homepage,
            language=language,
            created_at=datetime.now(UTC),
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
