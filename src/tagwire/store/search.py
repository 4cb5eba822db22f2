"""Article search: a parsed ``SearchQuery`` run against the full-text index, newest first.

SQLite reads the FTS5 table ``articles_fts`` (title, text); PostgreSQL the GIN index on
``to_tsvector('simple', title || ' ' || text)``, with the very expression the index was
built on so the planner uses it. Words reach FTS5 only inside double-quoted strings and
PostgreSQL only through ``phraseto_tsquery``, so no query can be a syntax error. Results
are the same ``ArticleView`` pages as a tag's, each matching article listed (a search
finds articles, so stories are not collapsed).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    column,
    false,
    func,
    literal_column,
    not_,
    or_,
    select,
    table,
)

from tagwire.enrich.names import slugify
from tagwire.search.query import Phrase, SearchQuery
from tagwire.store.reads import Cursor, Page, article_select, articles_page, resolve_tag
from tagwire.store.schema import article_tags, articles, outlets

# The expression of ix_articles_fts (migration 0001), character for character in meaning.
PG_DOCUMENT: ColumnElement[Any] = literal_column(
    "to_tsvector('simple', coalesce(articles.title, '') || ' ' || coalesce(articles.text, ''))"
)
PG_CONFIG: ColumnElement[Any] = literal_column("'simple'")
FTS5_TABLE = table("articles_fts", column("rowid"))  # migration 0001, kept by triggers


def search_articles(engine: Engine, query: SearchQuery, cursor: Cursor | None, limit: int) -> Page:
    """One page of the articles matching ``query``, newest first; empty for an empty query
    or a ``#tag`` no tag answers to."""
    if query.is_empty():
        return Page([], None)
    conditions = filter_conditions(engine, query)
    if conditions is None:
        return Page([], None)
    conditions.extend(text_conditions(engine.dialect.name, query))
    statement = article_select().where(*conditions)
    return articles_page(engine, statement, (articles.c.published_at, articles.c.id), cursor, limit)


def text_conditions(dialect: str, query: SearchQuery) -> list[ColumnElement[bool]]:
    """The words, phrases, alternatives and exclusions, on the engine's full-text index."""
    required: list[tuple[Phrase, ...]] = [((term,),) for term in query.terms]
    required += [(phrase,) for phrase in query.phrases] + list(query.alternatives)
    matches = fts5_matches if dialect == "sqlite" else tsquery_matches
    found = [matches(required)] if required else []
    if query.excluded:
        found.append(not_(matches([query.excluded])))
    return found


def fts5_matches(groups: list[tuple[Phrase, ...]]) -> ColumnElement[bool]:
    """Articles whose title or text has, for each group, one of its phrases."""
    expression = " AND ".join(
        "(" + " OR ".join(fts5_phrase(p) for p in group) + ")" for group in groups
    )
    matching = select(FTS5_TABLE.c.rowid).where(
        literal_column(FTS5_TABLE.name).op("MATCH")(expression)
    )
    return articles.c.id.in_(matching)


def fts5_phrase(phrase: Phrase) -> str:
    """An FTS5 string: whatever the words hold, only a doubled quote could end it early."""
    return '"' + " ".join(phrase).replace('"', '""') + '"'


def tsquery_matches(groups: list[tuple[Phrase, ...]]) -> ColumnElement[bool]:
    """The same on PostgreSQL: ``||`` joins a group's phrases, ``&&`` the groups."""
    combined: ColumnElement[Any] | None = None
    for group in groups:
        alternatives: ColumnElement[Any] | None = None
        for phrase in group:
            one = func.phraseto_tsquery(PG_CONFIG, " ".join(phrase))
            alternatives = one if alternatives is None else alternatives.op("||")(one)
        combined = alternatives if combined is None else combined.op("&&")(alternatives)
    return PG_DOCUMENT.op("@@")(combined)


def filter_conditions(engine: Engine, query: SearchQuery) -> list[ColumnElement[bool]] | None:
    """The tag, outlet, language, category and date filters; None when a tag is unknown."""
    found: list[ColumnElement[bool]] = []
    for name in query.tags:
        tag = resolve_tag(engine, name)
        if tag is None:
            return None
        tagged = select(article_tags.c.article_id).where(article_tags.c.tag_id == tag.id)
        found.append(articles.c.id.in_(tagged))
    if query.outlets:
        found.append(outlet_condition(query.outlets))
    if query.languages:
        language = func.lower(articles.c.language)
        found.append(
            or_(*(or_(language == code, language.like(code + "-%")) for code in query.languages))
        )
    if query.categories:
        found.append(func.lower(articles.c.category).in_(query.categories))
    if query.since is not None:
        found.append(articles.c.published_at >= start_of(query.since))
    if query.until is not None:
        found.append(
            articles.c.published_at < start_of(query.until + timedelta(days=1))
            if query.until < date.max
            else articles.c.published_at.is_not(None)
        )
    return found


def outlet_condition(names: tuple[str, ...]) -> ColumnElement[bool]:
    """An outlet by slug or by name, as the outlet's own slug is made from its name."""
    slugs = [s for s in (slugify(n) for n in names) if s]
    folded = [n.strip().lower() for n in names]
    if not slugs and not folded:
        return false()
    return or_(outlets.c.slug.in_(slugs), func.lower(outlets.c.name).in_(folded))


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)
