"""The store: migrations, identity of articles, updates in place, tag links and counts."""

from __future__ import annotations

from sqlalchemy import inspect, text

from tagwire.models import TagScore
from tagwire.store import open_store
from tagwire.store.articles import save_article, seen_entries
from tagwire.store.reads import Cursor, find_tag, latest_articles, tag_articles, top_tags

from .factories import draft, feed, fill, tag


def test_migrations_create_the_schema_and_full_text_index(engine, settings):
    names = set(inspect(engine).get_table_names())
    assert {"outlets", "feeds", "articles", "tags", "tag_aliases", "article_tags"} <= names
    if engine.dialect.name == "sqlite":
        assert "articles_fts" in names
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    else:
        indexes = {i["name"] for i in inspect(engine).get_indexes("articles")}
        assert "ix_articles_fts" in indexes
    open_store(settings.database_url)  # migrating twice is a no-op


def test_the_same_guid_updates_in_place(engine):
    feed_id = feed(engine)
    first, created = save_article(engine, draft(feed_id, 1))
    again, created_again = save_article(engine, draft(feed_id, 1, title="Corrected headline"))
    assert created and not created_again and first == again
    page = latest_articles(engine, None, 10)
    assert [a.title for a in page.articles] == ["Corrected headline"]


def test_the_same_canonical_url_from_another_feed_is_one_article(engine):
    one, two = feed(engine), feed(engine, "http://other.test/feed")
    save_article(engine, draft(one, 1))
    _, created = save_article(engine, draft(two, 1, guid="other-guid"))
    assert not created
    assert len(latest_articles(engine, None, 10).articles) == 1


def test_tag_links_and_counts_follow_retagging(engine):
    feed_id = feed(engine)
    save_article(engine, draft(feed_id, 1))
    save_article(engine, draft(feed_id, 1, tags=(tag("Mali", "mali"),)))
    assert find_tag(engine, "azawad").article_count == 0
    assert find_tag(engine, "mali").article_count == 1
    assert [t.slug for t in top_tags(engine)] == ["mali"]


def test_seen_entries_reports_hashes_by_guid(engine):
    feed_id = feed(engine)
    save_article(engine, draft(feed_id, 1, entry_hash="abc"))
    assert seen_entries(engine, feed_id, ["guid-1", "guid-9"]) == {"guid-1": "abc"}


def test_cursor_pages_cover_every_article_once_newest_first(engine):
    fill(engine, 25)
    tag_id = find_tag(engine, "azawad").id
    seen, cursor = [], None
    while True:
        page = tag_articles(engine, tag_id, cursor, 10)
        seen += [a.id for a in page.articles]
        if page.next_cursor is None:
            break
        cursor = Cursor.decode(page.next_cursor.encode())
    assert len(seen) == len(set(seen)) == 25
    dates = [a.published_at for a in latest_articles(engine, None, 25).articles]
    assert dates == sorted(dates, reverse=True)


def test_a_garbled_cursor_decodes_to_none():
    assert Cursor.decode("not-a-cursor") is None


def test_claimed_feeds_are_not_claimed_again_until_the_lease_ends(engine):
    from datetime import UTC, datetime, timedelta

    from tagwire.store.feeds import claim_due_feeds

    feed(engine)
    now = datetime.now(UTC)
    assert len(claim_due_feeds(engine, now)) == 1
    assert claim_due_feeds(engine, now) == []
    assert len(claim_due_feeds(engine, now + timedelta(hours=1))) == 1  # its worker died


def test_of_two_claims_of_one_feed_only_the_first_task_to_start_updates_it(engine):
    """A claim's task waited past its lease, so the feed was claimed and enqueued again."""
    from datetime import UTC, datetime, timedelta

    from tagwire.store.feeds import claim_due_feeds, start_claimed_update

    feed_id = feed(engine)
    first = datetime.now(UTC)
    assert len(claim_due_feeds(engine, first)) == 1
    second = first + timedelta(minutes=16)
    assert len(claim_due_feeds(engine, second)) == 1
    started = second + timedelta(minutes=5)

    state = start_claimed_update(engine, feed_id, first, started)  # the older copy runs
    assert state is not None and state.id == feed_id
    assert start_claimed_update(engine, feed_id, second, started) is None  # the copy does not
    assert claim_due_feeds(engine, started + timedelta(minutes=1)) == []  # being updated
    # The broker hands back the task of a worker that died: it is done again.
    assert start_claimed_update(engine, feed_id, first, started, rerun=True) is not None


def test_a_task_claimed_before_the_feed_was_last_checked_is_skipped(engine):
    from datetime import UTC, datetime, timedelta

    from tagwire.store.feeds import claim_due_feeds, record_success, start_claimed_update

    feed_id = feed(engine)
    claimed = datetime.now(UTC) - timedelta(minutes=1)
    claim_due_feeds(engine, claimed)
    record_success(engine, feed_id, status="ok", next_check_at=claimed + timedelta(hours=1))
    assert start_claimed_update(engine, feed_id, claimed, datetime.now(UTC)) is None


def test_migrations_build_exactly_the_declared_schema(engine):
    """Alembic's comparison of the migrated database with ``schema.py`` finds nothing: a
    column added to one and not the other fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from tagwire.store.schema import metadata

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        differences = [d for d in compare_metadata(context, metadata) if not _is_full_text_index(d)]
    assert differences == []


def _is_full_text_index(difference) -> bool:
    """The full-text index (FTS5 table, GIN index) is made by raw SQL, not declared."""
    text_of = repr(difference)
    return "fts" in text_of


def test_tags_no_column_or_url_can_hold_are_left_out(engine):
    """A 300-character or an empty label (a hostile text, a tagger's slip) is not stored;
    the article and its other tags are."""
    feed_id = feed(engine)
    hostile = (
        tag("A" * 300, "a" * 300),
        tag("", ""),
        TagScore("Mali", "mali", "place", 1.0, 1, aliases=("M" * 400, "Mali")),
    )
    article_id, _ = save_article(engine, draft(feed_id, 1, tags=hostile))
    assert [t.slug for t in top_tags(engine)] == ["mali"]
    assert find_tag(engine, "mali").aliases == ()
    assert article_id
