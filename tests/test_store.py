"""The store: migrations, identity of articles, updates in place, tag links and counts."""

from __future__ import annotations

from sqlalchemy import inspect, text

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
