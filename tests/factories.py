"""Articles written straight into a store, for tests of the store and the web."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from tagwire.models import ArticleDraft, TagScore
from tagwire.store.articles import save_article
from tagwire.store.feeds import add_feed


def tag(label: str, slug: str, kind: str = "place", salience: float = 1.0) -> TagScore:
    return TagScore(label=label, slug=slug, kind=kind, salience=salience, mentions=1)


def draft(feed_id: int, number: int, **changes: object) -> ArticleDraft:
    values: dict[str, object] = {
        "feed_id": feed_id,
        "outlet_name": "Test Outlet",
        "guid": f"guid-{number}",
        "url": f"http://outlet.test/a/{number}",
        "canonical_url": f"http://outlet.test/a/{number}",
        "title": f"Headline {number}",
        "text": f"Text of article {number} about the Sahel.",
        "summary": "",
        "published_at": datetime.now(UTC) - timedelta(hours=number),
        "author": None,
        "language": "en",
        "section": "Politics",
        "category": "Politics",
        "publisher_tags": (),
        "extraction_status": "full",
        "extraction_error": None,
        "entry_hash": "h",
        "tags": (tag("Azawad", "azawad"), tag("Mali", "mali", salience=0.5)),
    }
    values.update(changes)
    return ArticleDraft(**values)  # type: ignore[arg-type]


def feed(engine: Engine, url: str = "http://outlet.test/feed") -> int:
    feed_id, _ = add_feed(
        engine, url, title="Test", site_url=None, kind="rss", outlet_name="Test Outlet"
    )
    return feed_id


def fill(engine: Engine, count: int) -> int:
    feed_id = feed(engine)
    for number in range(count):
        save_article(engine, draft(feed_id, number))
    return feed_id


# Two outlets' words for one flood: a story, not a duplicate.
FLOOD = (
    "The Niger burst its banks at Ségou on Friday, flooding four hundred homes in the"
    " Pelengana quarter; the mayor opened two schools as shelters and asked Bamako for tents."
)
FLOOD_AGAIN = (
    "Four hundred homes in Ségou's Pelengana quarter were under water on Friday after the"
    " Niger burst its banks; two schools became shelters and the mayor asked Bamako for tents."
)
