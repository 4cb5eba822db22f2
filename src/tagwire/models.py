"""Small typed records passed between the pipeline's stages.

fetch -> ``FetchResult``; feeds -> ``ParsedFeed`` of ``FeedEntry``; extract ->
``ExtractedPage``; enrich -> ``TagScore``; the pipeline assembles an ``ArticleDraft`` that
the store writes. ``FeedState`` is what the store hands the pipeline about one feed, and
``FeedOutcome`` what one feed update reports back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class FetchResult:
    url: str  # after redirects
    status: int
    content_type: str
    body: bytes
    etag: str | None = None
    last_modified: str | None = None
    max_age_seconds: float | None = None  # Cache-Control max-age or Expires
    link_header: str | None = None  # HTTP Link (WebSub discovery: rel="hub", rel="self")

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True, slots=True)
class FeedEntry:
    guid: str
    url: str
    title: str
    summary: str = ""  # plain text
    published_at: datetime | None = None  # UTC
    author: str | None = None
    categories: tuple[str, ...] = ()
    source: str | None = None  # the outlet named by RSS <source>, for aggregated feeds


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    kind: str  # rss, atom, rdf, json
    title: str
    site_url: str | None
    language: str | None
    entries: tuple[FeedEntry, ...]
    ttl_minutes: float | None = None  # <ttl> or <sy:updatePeriod>/<sy:updateFrequency>
    children: tuple[str, ...] = ()  # a sitemap index: the sitemaps to read next
    hub_url: str | None = None  # WebSub hub the feed advertises (<link rel="hub">)
    self_url: str | None = None  # the feed's own URL as it states it (<link rel="self">)


@dataclass(frozen=True, slots=True)
class ExtractedPage:
    text: str
    title: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    sitename: str | None = None
    section: str | None = None
    tags: tuple[str, ...] = ()
    language: str | None = None
    canonical_url: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class TagScore:
    label: str  # "#WagnerGroup" without the hash: "WagnerGroup"
    slug: str
    kind: str  # person, organisation, place, group, event, work, product, other
    salience: float
    mentions: int
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TagRef:
    label: str
    slug: str
    kind: str


@dataclass(frozen=True, slots=True)
class Curation:
    """What people decided about tags, applied when tagging: tags never to use, slugs that
    now stand for another tag (renamed or merged away), and aliases people added."""

    revision: int = 0
    blocked: frozenset[str] = frozenset()  # slugs
    redirects: tuple[tuple[str, TagRef], ...] = ()  # (old slug, the tag it is now)
    aliases: tuple[tuple[TagRef, tuple[str, ...]], ...] = ()


@dataclass(frozen=True, slots=True)
class ArticleDraft:
    feed_id: int
    outlet_name: str
    guid: str
    url: str
    canonical_url: str
    title: str
    text: str
    summary: str
    published_at: datetime
    author: str | None
    language: str | None
    section: str | None
    category: str | None
    publisher_tags: tuple[str, ...]
    extraction_status: str  # "full" or "feed"
    extraction_error: str | None
    entry_hash: str
    tags: tuple[TagScore, ...] = field(default=())
    tagged_with: str | None = None  # the tagger's version (``Tagger.version``)
    category_source: str | None = None  # "publisher" or "classifier"
    category_confidence: float | None = None  # the classifier's probability
    story_features: str | None = None  # enrich.stories.StoryFeatures as JSON
    signature: tuple[int, ...] = ()  # MinHash of the text, for duplicates


@dataclass(frozen=True, slots=True)
class Subscription:
    """A feed's WebSub subscription as stored (``state``: pending, active, denied,
    unsubscribing); ``token`` names the callback, ``secret`` signs the pushes."""

    hub: str
    topic: str
    token: str
    secret: str
    state: str
    requested_at: datetime | None = None
    expires_at: datetime | None = None  # end of the lease the hub granted


@dataclass(frozen=True, slots=True)
class FeedState:
    id: int
    url: str
    outlet_id: int
    outlet_name: str
    etag: str | None
    last_modified: str | None
    error_count: int
    subscription: Subscription | None = None  # WebSub, when the feed has a hub


@dataclass(frozen=True, slots=True)
class FeedOutcome:
    feed_id: int
    url: str
    status: str  # "ok", "not-modified", "error"
    new: int = 0
    updated: int = 0
    error: str | None = None
