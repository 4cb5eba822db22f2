"""The tables, declared once with SQLAlchemy Core. Migrations create them; queries use them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every engine (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use UTC-aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

outlets = Table(
    "outlets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(300), nullable=False),
    Column("slug", String(300), nullable=False, unique=True),
    Column("homepage", Text),
    Column("language", String(16)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("country", String(2)),  # ISO 3166-1 alpha-2, upper case
    Column("ownership", Text),  # who owns it, in a few words
    Column("state_affiliated", Boolean),  # None: not known
    Column("facts_source", String(16)),  # "bundle" or "user"; None: nobody said anything yet
)

feeds = Table(
    "feeds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", Text, nullable=False, unique=True),
    Column("outlet_id", Integer, ForeignKey("outlets.id"), nullable=False),
    Column("title", Text),
    Column("site_url", Text),
    Column("kind", String(16)),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("next_check_at", UTCDateTime(), nullable=False),
    Column("last_checked_at", UTCDateTime()),
    Column("last_status", String(32)),
    Column("last_error", Text),
    Column("error_count", Integer, nullable=False, default=0),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime(), nullable=False),
    # WebSub (tagwire.websub): the hub the feed advertises, the topic (its self URL), the
    # callback's path token and HMAC secret, and where the subscription stands.
    Column("websub_hub", Text),
    Column("websub_topic", Text),
    Column("websub_token", String(64)),
    Column("websub_secret", String(64)),
    Column("websub_state", String(16)),  # pending, active, denied, unsubscribing
    Column("websub_requested_at", UTCDateTime()),
    Column("websub_expires_at", UTCDateTime()),  # the lease the hub granted
    Index("ix_feeds_next_check_at", "next_check_at"),
)

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("outlet_id", Integer, ForeignKey("outlets.id"), nullable=False),
    Column("feed_id", Integer, ForeignKey("feeds.id"), nullable=False),
    Column("guid", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("canonical_url", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("author", Text),
    Column("summary", Text, nullable=False, default=""),
    Column("text", Text, nullable=False, default=""),
    Column("language", String(16)),
    Column("section", Text),
    Column("category", String(32)),
    Column("category_source", String(16)),  # "publisher", "classifier" or None
    Column("category_confidence", Float),  # the classifier's probability
    Column("publisher_tags", JSON, nullable=False, default=list),
    Column("extraction_status", String(16), nullable=False),
    Column("extraction_error", Text),
    Column("entry_hash", String(64), nullable=False, default=""),
    Column("tagged_with", String(32)),  # the tagger's version; None: to be tagged again
    Column("story_id", Integer),  # the story it belongs to (store.stories)
    Column("duplicate_of", Integer),  # the article whose text this one repeats
    Column("story_features", Text),  # enrich.stories.StoryFeatures as JSON
    Column("signature", JSON),  # MinHash of the text (enrich.duplicates)
    Column("published_at", UTCDateTime(), nullable=False),
    Column("fetched_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("feed_id", "guid", name="uq_articles_feed_guid"),
    Index("ix_articles_canonical_url", "canonical_url"),
    Index("ix_articles_published", "published_at", "id"),
    Index("ix_articles_tagged_with", "tagged_with"),
    Index("ix_articles_story", "story_id", "published_at", "id"),
    Index("ix_articles_story_outlet", "story_id", "outlet_id"),
    Index("ix_articles_outlet_published", "outlet_id", "published_at", "id"),
)

# The same news across outlets: its articles point here through ``articles.story_id``.
stories = Table(
    "stories",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", Text, nullable=False),
    Column("first_seen_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False),
    Column("article_count", Integer, nullable=False, default=1),
    Column("outlet_count", Integer, nullable=False, default=1),
    # Set when a later article showed this story to be part of another, which took its
    # articles: its address leads there.
    Column("merged_into", Integer),
    Index("ix_stories_last_seen", "last_seen_at"),
)

# The keys (tags, key terms) under which an article's story is found by later articles
# published near it: candidate stories come through this index, not a scan. The index
# holds the story too, so finding them reads no article row.
article_keys = Table(
    "article_keys",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("published_at", UTCDateTime(), nullable=False),
    Column("story_id", Integer),  # the article's (set when filed; moves when its story is absorbed)
    Index("ix_article_keys_window", "key", "published_at", "article_id", "story_id"),
    Index("ix_article_keys_article", "article_id"),  # an article's keys, when it changes
)

# Locality-sensitive hashing bands of each article's MinHash: articles sharing a band are
# the candidates for duplicates, found through the index instead of comparing all pairs.
article_bands = Table(
    "article_bands",
    metadata,
    Column("band", String(40), primary_key=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_article_bands_article", "article_id"),  # an article's bands, when it changes
)

tags = Table(
    "tags",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("label", String(200), nullable=False),
    Column("slug", String(200), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("article_count", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("blocked", Boolean, nullable=False, default=False),  # never put on an article
    # Set on a tag renamed or merged away: its slug now stands for that tag (no foreign key,
    # so a copy between databases may insert the rows in any order).
    Column("canonical_id", Integer),
)

tag_aliases = Table(
    "tag_aliases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tag_id", Integer, ForeignKey("tags.id", ondelete="CASCADE"), nullable=False),
    Column("alias", String(300), nullable=False),
    Column("origin", String(16), nullable=False, default="text"),  # "text" or "user"
    Column("folded", String(300), nullable=False, default=""),  # names.fold(alias)
    UniqueConstraint("tag_id", "alias", name="uq_tag_aliases_tag_alias"),
    Index("ix_tag_aliases_folded", "folded"),
)

tag_changes = Table(
    "tag_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("action", String(16), nullable=False),  # merge, rename, alias, block, unblock
    Column("tag_slug", String(200), nullable=False),
    Column("detail", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

article_tags = Table(
    "article_tags",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", Integer, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    Column("salience", Float, nullable=False),
    Column("mentions", Integer, nullable=False),
    Column("published_at", UTCDateTime(), nullable=False),
    Index("ix_article_tags_tag_published", "tag_id", "published_at", "article_id"),
)

# Webhook alerts (tagwire.alerts): a tag or a saved search whose new stories are POSTed to
# ``url``, signed with ``secret``. ``last_story_id``: the stories scanned so far.
alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),  # "tag" or "search"
    Column("target", Text, nullable=False),  # the tag's slug, or the query text
    Column("url", Text, nullable=False),
    Column("secret", String(64), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_story_id", Integer, nullable=False, default=0),
)

# One row per alert and story ("one alert per story"): the schedule of its POSTs and
# what the last one gave.
alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    Column("story_id", Integer, nullable=False),
    Column("article_id", Integer, nullable=False),  # the story's first article, sent with it
    Column("status", String(16), nullable=False),  # pending, delivered, failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("delivered_at", UTCDateTime()),
    UniqueConstraint("alert_id", "story_id", name="uq_alert_deliveries_alert_story"),
    Index("ix_alert_deliveries_due", "status", "next_attempt_at"),
)
