"""Tag rows: find or create tags by slug, keep their aliases, link them to articles."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, Row, delete, func, select, update

from tagwire.enrich.names import fold
from tagwire.models import TagScore
from tagwire.store.schema import article_tags, tag_aliases, tags

MAX_REDIRECTS = 10
MAX_LABEL = 200  # tags.label and tags.slug
MAX_ALIAS = 300  # tag_aliases.alias


@dataclass(frozen=True, slots=True)
class StoredTag:
    label: str
    kind: str
    aliases: tuple[str, ...]


def link_tags(
    conn: Connection, article_id: int, published_at: datetime, scores: Iterable[TagScore]
) -> None:
    """Replace the article's tag links with ``scores``; keep tag counts right. A score whose
    tag was renamed or merged goes to the tag it is now; a blocked tag is left out.

    The tags, their aliases and the links are read and written a statement for all the
    scores rather than a few for each: saving an article is the fetching process's own
    work, and four statements a tag were most of it."""
    previous = set(
        conn.execute(select(article_tags.c.tag_id).where(article_tags.c.article_id == article_id))
        .scalars()
        .all()
    )
    conn.execute(delete(article_tags).where(article_tags.c.article_id == article_id))
    kept = [score for score in scores if storable(score)]
    ids = tag_ids_for(conn, kept)
    current: dict[int, TagScore] = {}
    for score in kept:
        tag_id = ids[score.slug]
        if tag_id is not None and tag_id not in current:
            current[tag_id] = score
    if current:
        conn.execute(
            article_tags.insert(),
            [
                {
                    "article_id": article_id,
                    "tag_id": tag_id,
                    "salience": score.salience,
                    "mentions": score.mentions,
                    "published_at": published_at,
                }
                for tag_id, score in current.items()
            ],
        )
    refresh_counts(conn, previous | set(current))


def storable(score: TagScore) -> bool:
    """A tag the columns can hold and a URL can carry: never an empty or overlong label
    or slug, whatever a tagger or a hostile text produced."""
    return 0 < len(score.label) <= MAX_LABEL and 0 < len(score.slug) <= MAX_LABEL


def tag_id_for(conn: Connection, score: TagScore) -> int | None:
    """The id of the score's tag, created when new; None when the tag is blocked."""
    return tag_ids_for(conn, [score])[score.slug]


def tag_ids_for(conn: Connection, scores: Sequence[TagScore]) -> dict[str, int | None]:
    """slug -> the id of each score's tag, created when new (the first score of a slug
    names it), or None when the tag is blocked; each score's label and aliases are added to
    its tag's aliases."""
    if not scores:
        return {}
    slugs = list(dict.fromkeys(score.slug for score in scores))
    found = {row.slug: row for row in conn.execute(select(tags).where(tags.c.slug.in_(slugs)))}
    ids: dict[str, int | None] = {}
    names: dict[int, set[str]] = defaultdict(set)
    for score in scores:
        if score.slug not in ids:
            ids[score.slug] = _tag_id(conn, score, found.get(score.slug))
        tag_id = ids[score.slug]
        if tag_id is not None:
            names[tag_id] |= {n for n in (score.label, *score.aliases) if 0 < len(n) <= MAX_ALIAS}
    add_aliases_to_tags(conn, names, origin="text")
    return ids


def _tag_id(conn: Connection, score: TagScore, row: Row | None) -> int | None:
    """The id of the tag ``row`` (the score's slug's row, None when there is none) stands
    for, through renames and merges: created when missing, None when blocked."""
    if row is not None and row.canonical_id is not None:
        row = resolve_slug(conn, score.slug)
    if row is None:
        result = conn.execute(
            tags.insert().values(
                label=score.label,
                slug=score.slug,
                kind=score.kind,
                article_count=0,
                created_at=datetime.now(UTC),
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]
    return None if row.blocked else int(row.id)


def resolve_slug(conn: Connection, slug: str) -> Row | None:
    """The tag row a slug stands for, through renames and merges."""
    row = conn.execute(select(tags).where(tags.c.slug == slug)).first()
    for _ in range(MAX_REDIRECTS):
        if row is None or row.canonical_id is None:
            return row
        row = conn.execute(select(tags).where(tags.c.id == row.canonical_id)).first()
    return row


def add_aliases(conn: Connection, tag_id: int, aliases: Iterable[str], origin: str) -> set[str]:
    """Add the aliases the tag does not have yet; return those added."""
    return add_aliases_to_tags(conn, {tag_id: set(aliases)}, origin)[tag_id]


def add_aliases_to_tags(
    conn: Connection, aliases: Mapping[int, Iterable[str]], origin: str
) -> dict[int, set[str]]:
    """Add to each tag the aliases it does not have yet; return those added, by tag."""
    query = select(tag_aliases.c.tag_id, tag_aliases.c.alias).where(
        tag_aliases.c.tag_id.in_(list(aliases))
    )
    known: dict[int, set[str]] = defaultdict(set)
    for row in conn.execute(query) if aliases else ():
        known[row.tag_id].add(row.alias)
    added = {
        tag_id: {alias[:300] for alias in names} - known[tag_id]
        for tag_id, names in aliases.items()
    }
    rows = [
        {"tag_id": tag_id, "alias": alias, "origin": origin, "folded": fold(alias)[:300]}
        for tag_id, names in added.items()
        for alias in sorted(names)
    ]
    if rows:
        conn.execute(tag_aliases.insert(), rows)
    return added


def refresh_counts(conn: Connection, tag_ids: set[int]) -> None:
    """Each tag's ``article_count`` counted again from its links, in one statement."""
    if not tag_ids:
        return
    count = (
        select(func.count())
        .select_from(article_tags)
        .where(article_tags.c.tag_id == tags.c.id)
        .scalar_subquery()
    )
    conn.execute(update(tags).where(tags.c.id.in_(sorted(tag_ids))).values(article_count=count))


def stored_tags(engine: Engine, min_articles: int = 1) -> list[StoredTag]:
    """Tags already on articles, with their aliases, to extend the gazetteer."""
    query = (
        select(tags.c.id, tags.c.label, tags.c.kind, tag_aliases.c.alias)
        .join(tag_aliases, tag_aliases.c.tag_id == tags.c.id)
        .where(
            tags.c.article_count >= min_articles,
            tags.c.canonical_id.is_(None),
            tags.c.blocked.is_(False),
        )
        .order_by(tags.c.id)
    )
    grouped: dict[int, StoredTag] = {}
    with engine.connect() as conn:
        for row in conn.execute(query):
            tag = grouped.get(row.id) or StoredTag(row.label, row.kind, ())
            grouped[row.id] = StoredTag(tag.label, tag.kind, (*tag.aliases, row.alias))
    return list(grouped.values())
