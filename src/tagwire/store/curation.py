"""Tag curation: what a person decides about tags, kept in the store and logged.

``merge`` folds one tag into another (its articles and aliases move; its slug redirects),
``rename`` gives a tag a new label (the old slug redirects), ``add_aliases`` teaches a tag
new names, ``block`` takes a tag off every article for good. Each change is one
transaction and one row of ``tag_changes``, whose newest id is the curation's revision.

Merge, rename and block take effect on stored articles at once. New aliases and unblocked
tags can only be found by reading the articles again: the articles that mention them
(found through the full-text index) are marked for ``tagwire retag``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    Row,
    case,
    column,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.sql.selectable import TextualSelect

from tagwire.enrich.names import make_label, slugify
from tagwire.errors import InvalidInput, UnknownTag
from tagwire.models import Curation, TagRef
from tagwire.store.schema import article_tags, articles, tag_aliases, tag_changes, tags
from tagwire.store.tags import add_aliases, refresh_counts, resolve_slug

KINDS = ("person", "organisation", "place", "group", "event", "work", "product", "other")
MAX_LABEL = 200


@dataclass(frozen=True, slots=True)
class CurationResult:
    tag: TagRef  # the tag as it is after the change
    articles: int  # articles moved, untagged, or marked for re-tagging
    detail: str


def merge_tags(engine: Engine, source: str, target: str) -> CurationResult:
    """Fold tag ``source`` into ``target``: one tag, ``target``'s label, both names."""
    with engine.begin() as conn:
        old, new = find_tag_row(conn, source), find_tag_row(conn, target)
        if old.id == new.id:
            raise InvalidInput(f"#{old.label} and #{new.label} are already one tag")
        moved = move_links(conn, old.id, new.id)
        names = conn.execute(
            select(tag_aliases.c.alias).where(tag_aliases.c.tag_id == old.id)
        ).scalars()
        add_aliases(conn, new.id, {old.label, *names}, origin="user")
        conn.execute(delete(tag_aliases).where(tag_aliases.c.tag_id == old.id))
        redirect(conn, old.id, new.id)
        refresh_counts(conn, {old.id, new.id})
        detail = f"#{old.label} merged into #{new.label}"
        record_change(conn, "merge", old.slug, detail)
    return CurationResult(ref(new), moved, detail)


def rename_tag(engine: Engine, name: str, label: str) -> CurationResult:
    """A new label (and slug) for a tag; the old slug redirects and the old label stays an
    alias."""
    label = checked_label(label)
    slug = slugify(label)
    with engine.begin() as conn:
        tag = find_tag_row(conn, name)
        if slug != tag.slug:
            taken = conn.execute(select(tags).where(tags.c.slug == slug)).first()
            if taken is not None and taken.canonical_id is None:
                raise InvalidInput(
                    f"#{taken.label} exists already; merge the two instead:"
                    f" tagwire tags merge {tag.label} {taken.label}"
                )
            if taken is not None:
                conn.execute(delete(tags).where(tags.c.id == taken.id))
            conn.execute(update(tags).where(tags.c.id == tag.id).values(label=label, slug=slug))
            conn.execute(
                tags.insert().values(
                    label=tag.label,
                    slug=tag.slug,
                    kind=tag.kind,
                    article_count=0,
                    created_at=datetime.now(UTC),
                    canonical_id=tag.id,
                )
            )
        else:
            conn.execute(update(tags).where(tags.c.id == tag.id).values(label=label))
        add_aliases(conn, tag.id, {tag.label, label}, origin="user")
        detail = f"#{tag.label} renamed #{label}"
        record_change(conn, "rename", tag.slug, detail)
        count = tag.article_count
    return CurationResult(TagRef(label, slug, tag.kind), count, detail)


def add_tag_aliases(
    engine: Engine, name: str, aliases: Iterable[str], kind: str | None = None
) -> CurationResult:
    """Teach a tag new names (the tag is created when there is none yet, of ``kind``); the
    stored articles that mention them are marked for re-tagging."""
    names = sorted({checked_label(a, what="alias") for a in aliases})
    if not names:
        raise InvalidInput("give at least one alias")
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"unknown kind {kind!r}; one of: {', '.join(KINDS)}")
    with engine.begin() as conn:
        tag = find_tag_row(conn, name, create_as=kind or "other")
        if tag.blocked:
            raise InvalidInput(f"#{tag.label} is blocked; unblock it first")
        added = add_aliases(conn, tag.id, {tag.label, *names}, origin="user")
        # Names it already had as seen in text now count as chosen by a person too.
        conn.execute(
            update(tag_aliases)
            .where(tag_aliases.c.tag_id == tag.id, tag_aliases.c.alias.in_(names))
            .values(origin="user")
        )
        stale = mark_mentioning(conn, names)
        detail = f"#{tag.label} also named " + ", ".join(repr(n) for n in names)
        record_change(conn, "alias", tag.slug, detail + f" ({len(added)} new)")
    return CurationResult(ref(tag), stale, detail)


def block_tag(engine: Engine, name: str) -> CurationResult:
    """Never put the tag on an article again, and take it off every stored one."""
    with engine.begin() as conn:
        tag = find_tag_row(conn, name)
        linked = select(article_tags.c.article_id).where(article_tags.c.tag_id == tag.id)
        # Another tag may take the freed place under the cap: tag those articles again.
        count = conn.execute(
            update(articles).where(articles.c.id.in_(linked)).values(tagged_with=None)
        ).rowcount
        conn.execute(delete(article_tags).where(article_tags.c.tag_id == tag.id))
        conn.execute(update(tags).where(tags.c.id == tag.id).values(blocked=True, article_count=0))
        detail = f"#{tag.label} blocked"
        record_change(conn, "block", tag.slug, detail)
    return CurationResult(ref(tag), count, detail)


def unblock_tag(engine: Engine, name: str) -> CurationResult:
    with engine.begin() as conn:
        tag = find_tag_row(conn, name)
        if not tag.blocked:
            raise InvalidInput(f"#{tag.label} is not blocked")
        conn.execute(update(tags).where(tags.c.id == tag.id).values(blocked=False))
        names = conn.execute(
            select(tag_aliases.c.alias).where(tag_aliases.c.tag_id == tag.id)
        ).scalars()
        stale = mark_mentioning(conn, {tag.label, *names})
        detail = f"#{tag.label} unblocked"
        record_change(conn, "unblock", tag.slug, detail)
    return CurationResult(ref(tag), stale, detail)


def load_curation(engine: Engine) -> Curation:
    """Everything the tagger must apply: blocked slugs, redirects, aliases people added."""
    with engine.connect() as conn:
        revision = curation_revision_of(conn)
        blocked = frozenset(conn.execute(select(tags.c.slug).where(tags.c.blocked)).scalars())
        redirects = []
        for row in conn.execute(select(tags.c.slug).where(tags.c.canonical_id.is_not(None))):
            target = resolve_slug(conn, row.slug)
            if target is not None and target.canonical_id is None:
                redirects.append((row.slug, ref(target)))
        named: dict[int, list[str]] = defaultdict(list)
        rows: dict[int, TagRef] = {}
        query = (
            select(tags.c.id, tags.c.label, tags.c.slug, tags.c.kind, tag_aliases.c.alias)
            .join(tag_aliases, tag_aliases.c.tag_id == tags.c.id)
            .where(tag_aliases.c.origin == "user", tags.c.canonical_id.is_(None))
            .where(tags.c.blocked.is_(False))
            .order_by(tags.c.id, tag_aliases.c.alias)
        )
        for row in conn.execute(query):
            rows[row.id] = TagRef(row.label, row.slug, row.kind)
            named[row.id].append(row.alias)
    return Curation(
        revision=revision,
        blocked=blocked,
        redirects=tuple(redirects),
        aliases=tuple((rows[i], tuple(named[i])) for i in rows),
    )


def curation_revision(engine: Engine) -> int:
    with engine.connect() as conn:
        return curation_revision_of(conn)


def curation_revision_of(conn: Connection) -> int:
    return int(conn.execute(select(func.max(tag_changes.c.id))).scalar() or 0)


def recent_changes(engine: Engine, limit: int = 50) -> list[tuple[datetime, str, str]]:
    query = select(tag_changes).order_by(tag_changes.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        return [(r.created_at, r.action, r.detail) for r in conn.execute(query)]


def find_tag_row(conn: Connection, name: str, create_as: str | None = None) -> Row:
    """The tag a user means by ``name``: its label or slug ("#JNIM", "jnim"), else one of
    its aliases, ignoring case. Unknown: created when ``create_as`` gives a kind."""
    bare = name.strip().lstrip("#").strip()
    row = resolve_slug(conn, slugify(bare)) if bare else None
    if row is None and bare:
        found = conn.execute(
            select(tag_aliases.c.tag_id)
            .join(tags, tags.c.id == tag_aliases.c.tag_id)
            .where(func.lower(tag_aliases.c.alias) == bare.lower())
            .order_by(tags.c.article_count.desc())
            .limit(1)
        ).scalar()
        row = conn.execute(select(tags).where(tags.c.id == found)).first() if found else None
    if row is not None:
        return row
    if create_as is None or not slugify(bare):
        raise UnknownTag(f"no tag named {name.strip()!r}")
    label = checked_label(bare if " " not in bare else make_label(bare))
    made = resolve_slug(conn, slugify(label))  # "kidal 0" is the "#Kidal0" there is
    if made is not None:
        return made
    result = conn.execute(
        tags.insert().values(
            label=label,
            slug=slugify(label),
            kind=create_as,
            article_count=0,
            created_at=datetime.now(UTC),
        )
    )
    tag_id = result.inserted_primary_key[0]  # type: ignore[index]
    return conn.execute(select(tags).where(tags.c.id == tag_id)).one()


def checked_label(value: str, what: str = "label") -> str:
    """A label or alias a person typed: trimmed, one line, some letters, not too long."""
    cleaned = " ".join(value.split()).lstrip("#") if what == "label" else " ".join(value.split())
    if not cleaned or not any(c.isalpha() for c in cleaned) or not slugify(cleaned):
        raise InvalidInput(f"{what} {value!r} has no letters")
    if len(cleaned) > MAX_LABEL:
        raise InvalidInput(f"{what} is {len(cleaned)} characters long; at most {MAX_LABEL}")
    if what == "label" and " " in cleaned:
        raise InvalidInput(f"a label is one word, like a hashtag: {make_label(cleaned)!r}")
    return cleaned


def move_links(conn: Connection, old_id: int, new_id: int) -> int:
    """Move ``old_id``'s article links to ``new_id``; an article with both keeps one link,
    with the higher salience and both mention counts."""
    theirs = article_tags.alias("theirs")
    on_both = select(theirs.c.article_id).where(theirs.c.tag_id == old_id)
    salience = (
        select(theirs.c.salience)
        .where(theirs.c.article_id == article_tags.c.article_id, theirs.c.tag_id == old_id)
        .scalar_subquery()
    )
    mentions = (
        select(theirs.c.mentions)
        .where(theirs.c.article_id == article_tags.c.article_id, theirs.c.tag_id == old_id)
        .scalar_subquery()
    )
    conn.execute(
        update(article_tags)
        .where(article_tags.c.tag_id == new_id, article_tags.c.article_id.in_(on_both))
        .values(
            salience=case(
                (salience > article_tags.c.salience, salience), else_=article_tags.c.salience
            ),
            mentions=article_tags.c.mentions + mentions,
        )
    )
    both = select(article_tags.c.article_id).where(article_tags.c.tag_id == new_id)
    merged = conn.execute(
        delete(article_tags).where(
            article_tags.c.tag_id == old_id, article_tags.c.article_id.in_(both)
        )
    ).rowcount
    moved = conn.execute(
        update(article_tags).where(article_tags.c.tag_id == old_id).values(tag_id=new_id)
    ).rowcount
    return int(merged + moved)


def redirect(conn: Connection, old_id: int, new_id: int) -> None:
    """``old_id`` now stands for ``new_id``, and so does every tag that stood for it."""
    conn.execute(update(tags).where(tags.c.canonical_id == old_id).values(canonical_id=new_id))
    conn.execute(
        update(tags).where(tags.c.id == old_id).values(canonical_id=new_id, article_count=0)
    )


def mark_mentioning(conn: Connection, names: Iterable[str]) -> int:
    """Mark for re-tagging the stored articles whose title or text holds one of ``names``
    as a phrase (through the full-text index); return how many."""
    marked = 0
    for name in names:
        found = articles_mentioning(conn, name)
        marked += conn.execute(
            update(articles)
            .where(articles.c.id.in_(found), articles.c.tagged_with.is_not(None))
            .values(tagged_with=None)
        ).rowcount
    return marked


def articles_mentioning(conn: Connection, phrase: str) -> TextualSelect:
    """A query for the ids of articles holding ``phrase``, on SQLite FTS5 or PostgreSQL's
    text search (the same index the schema creates)."""
    if conn.dialect.name == "sqlite":
        quoted = '"' + phrase.replace('"', '""') + '"'
        query = text("SELECT rowid AS id FROM articles_fts WHERE articles_fts MATCH :q")
        return query.bindparams(q=quoted).columns(column("id", Integer))
    query = text(
        "SELECT id FROM articles WHERE to_tsvector('simple', coalesce(title, '') || ' ' ||"
        " coalesce(text, '')) @@ phraseto_tsquery('simple', :q)"
    )
    return query.bindparams(q=phrase).columns(column("id", Integer))


def record_change(conn: Connection, action: str, slug: str, detail: str) -> None:
    conn.execute(
        tag_changes.insert().values(
            action=action, tag_slug=slug, detail=detail, created_at=datetime.now(UTC)
        )
    )


def ref(row: Row) -> TagRef:
    return TagRef(row.label, row.slug, row.kind)
