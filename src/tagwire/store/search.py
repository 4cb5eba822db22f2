"""Article search: a parsed ``SearchQuery`` run against the full-text index, newest first.

SQLite reads the FTS5 table ``articles_fts`` (title, text); PostgreSQL the GIN index on
``to_tsvector('simple', title || ' ' || text)``, with the very expression the index was
built on so the planner uses it. Words reach FTS5 only inside double-quoted strings and
PostgreSQL only through ``phraseto_tsquery``, so no query can be a syntax error. Results
are the same ``ArticleView`` pages as a tag's, each matching article listed (a search
finds articles, so stories are not collapsed).

On SQLite the plain query (``search_articles_plain``) reads every article the words match
before it sorts them: thousands for a common word. ``newest_matches`` finds the same page
from the newest ids first, exactly:

1. Article ids follow storage order, close to publication order: search only the window
   of ids above ``lo`` (the newest ``WINDOW``; FTS5 reads just that end of its rowid-ordered
   doclists) with every other condition, for the page's ``n`` rows (page size + 1).
2. If the window holds ``n``, let ``t`` be the last one's (published_at, id). A row of the
   full answer missing from them has a key above ``t`` (it would rank before the last one)
   and an id at most ``lo`` (the window gave its best ``n``). Those ids, all articles
   published after ``t`` but stored before the window (backfilled, late), come cheaply from
   ix_articles_published as ``t`` is recent; checking them against the conditions and
   merging gives the plain query's ``n`` rows, as every row ranked before ``t`` is in one
   of the two lists.
3. If the window holds fewer than ``n``, or too many outsiders to check, the window grows
   ``WIDEN`` times and step 1 runs again, up to all ids (``lo = 0``, once the window would
   pass a quarter of them): the plain query's answer.

PostgreSQL keeps the plain query: its planner walks the published-at index itself.
"""

from __future__ import annotations

from collections.abc import Callable
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
    tuple_,
)
from sqlalchemy.engine import Connection

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
ORDER = (articles.c.published_at, articles.c.id)

WINDOW = 4_000  # newest ids searched first: 3 ms for a word in one article of five at 1M
WIDEN = 8  # the window's growth when it holds too few matches
MAX_OUTSIDERS = 1_000  # older ids published after the window's last match, checked by id

# Which ids a search reads, as a condition on an id column (articles.id, the FTS5 rowid).
Scope = Callable[[ColumnElement[Any]], ColumnElement[bool]]


def search_articles(engine: Engine, query: SearchQuery, cursor: Cursor | None, limit: int) -> Page:
    """One page of the articles matching ``query``, newest first; empty for an empty query
    or a ``#tag`` no tag answers to."""
    if engine.dialect.name != "sqlite" or not has_text(query):
        return search_articles_plain(engine, query, cursor, limit)
    conditions = filter_conditions(engine, query)
    if conditions is None:
        return Page([], None)
    before = [] if cursor is None else [tuple_(*ORDER) < (cursor.published_at, cursor.id)]
    with engine.connect() as conn:
        ids = newest_matches(conn, query, conditions + before, before, limit + 1)
    statement = article_select().where(articles.c.id.in_(ids))
    return articles_page(engine, statement, ORDER, None, limit)


def search_articles_plain(
    engine: Engine, query: SearchQuery, cursor: Cursor | None, limit: int
) -> Page:
    """The same page from one query over every match (PostgreSQL's, SQLite's reference)."""
    if query.is_empty():
        return Page([], None)
    conditions = filter_conditions(engine, query)
    if conditions is None:
        return Page([], None)
    conditions.extend(text_conditions(engine.dialect.name, query))
    statement = article_select().where(*conditions)
    return articles_page(engine, statement, ORDER, cursor, limit)


def has_text(query: SearchQuery) -> bool:
    return bool(query.terms or query.phrases or query.alternatives or query.excluded)


def newest_matches(
    conn: Connection,
    query: SearchQuery,
    conditions: list[ColumnElement[bool]],
    before: list[ColumnElement[bool]],
    n: int,
) -> list[int]:
    """The ids of the first ``n`` articles in (published_at, id) descending order that
    match ``query`` and ``conditions`` (``before``, the cursor's, among them), window by
    window: see the module's docstring."""
    top = conn.execute(select(func.max(articles.c.id))).scalar() or 0
    window = WINDOW
    while True:
        lo = max(top - window, 0)
        found = matching_keys(conn, query, conditions, above(lo), n)
        if lo == 0:
            return [ident for _, ident in found]
        if len(found) == n:
            outsiders = ranked_before(conn, found[-1], lo, before)
            if len(outsiders) <= MAX_OUTSIDERS:
                if outsiders:
                    found += matching_keys(conn, query, conditions, among(outsiders), n)
                return [ident for _, ident in sorted(found, reverse=True)[:n]]
        window *= WIDEN
        if window > top // 4:  # past a quarter of the ids, the last step costs about all
            window = top


def above(lo: int) -> Scope:
    return lambda ids: ids > lo


def among(chosen: list[int]) -> Scope:
    return lambda ids: ids.in_(chosen)


def matching_keys(
    conn: Connection,
    query: SearchQuery,
    conditions: list[ColumnElement[bool]],
    scope: Scope,
    n: int,
) -> list[tuple[datetime, int]]:
    """(published_at, id) of the first ``n`` matches among the ids in ``scope``."""
    statement = (
        select(*ORDER)
        .join_from(articles, outlets, outlets.c.id == articles.c.outlet_id)
        .where(scope(articles.c.id), *conditions, *text_conditions("sqlite", query, scope))
        .order_by(articles.c.published_at.desc(), articles.c.id.desc())
        .limit(n)
    )
    return [(row.published_at, row.id) for row in conn.execute(statement)]


def ranked_before(
    conn: Connection, key: tuple[datetime, int], lo: int, before: list[ColumnElement[bool]]
) -> list[int]:
    """Ids up to ``lo`` ranked before ``key`` (and after the cursor, ``before``), at most
    one more than ``MAX_OUTSIDERS``. In key order, so read from ix_articles_published: a
    range seek, short as ``key`` is recent."""
    statement = (
        select(articles.c.id)
        .where(tuple_(*ORDER) > key, articles.c.id <= lo, *before)
        .order_by(*ORDER)
        .limit(MAX_OUTSIDERS + 1)
    )
    return list(conn.execute(statement).scalars())


def text_conditions(
    dialect: str, query: SearchQuery, scope: Scope | None = None
) -> list[ColumnElement[bool]]:
    """The words, phrases, alternatives and exclusions, on the engine's full-text index;
    on SQLite, FTS5 reads only the ids in ``scope``."""
    required: list[tuple[Phrase, ...]] = [((term,),) for term in query.terms]
    required += [(phrase,) for phrase in query.phrases] + list(query.alternatives)
    if dialect == "sqlite":
        found = [fts5_matches(required, scope)] if required else []
        if query.excluded:
            found.append(not_(fts5_matches([query.excluded], scope)))
        return found
    found = [tsquery_matches(required)] if required else []
    if query.excluded:
        found.append(not_(tsquery_matches([query.excluded])))
    return found


def fts5_matches(groups: list[tuple[Phrase, ...]], scope: Scope | None) -> ColumnElement[bool]:
    """Articles whose title or text has, for each group, one of its phrases."""
    expression = " AND ".join(
        "(" + " OR ".join(fts5_phrase(p) for p in group) + ")" for group in groups
    )
    matching = select(FTS5_TABLE.c.rowid).where(
        literal_column(FTS5_TABLE.name).op("MATCH")(expression)
    )
    if scope is not None:
        matching = matching.where(scope(FTS5_TABLE.c.rowid))
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
