"""Fill a new database with N realistic articles, fast, for the reading benchmarks.

Rows go in by bulk insert through the store's schema, not through the pipeline, shaped like
what the pipeline stores: 2,000 outlets with a feed each; 50,000 tags (people, places,
organisations, ...) with their aliases, drawn for articles by a long-tailed (Zipf) law;
articles of 2-5 KB of English text drawn from wordfreq's word list, ~5 tags each, named in
the text; stories of 1-10 articles from different outlets within two days, a few of them
wire copies marked as duplicates; dates over five years, ids in publication order. SQLite's
full-text index is filled by its triggers; PostgreSQL's GIN index is dropped for the fill
and built again at the end (as the first migration makes it), which is 3x faster. Every page
of the site works on the result, and the pipeline can go on storing into it.

    .venv/bin/python bench/fill.py --db sqlite:////tmp/tw-100k.sqlite3 --articles 100000
    .venv/bin/python bench/fill.py --db postgresql://postgres@127.0.0.1:5432/tw --articles 100000

The database must be new (absent, or migrated and empty). Prints progress and the rows per
second, then one JSON line. ``Draws`` and the sizes are shared with ``story_placement.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import import_module
from itertools import accumulate
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, bindparam, func, insert, select, text, update
from sqlalchemy.engine import make_url
from wordfreq import top_n_list

from tagwire.enrich.names import fold, slugify
from tagwire.store import open_store
from tagwire.store.schema import article_tags, articles, feeds, outlets, stories, tag_aliases, tags

END = datetime(2026, 11, 1, tzinfo=UTC)
SPAN = timedelta(days=5 * 365)
START = END - SPAN
TAGS, OUTLETS = 50_000, 2_000
BATCH = 2_000  # articles per transaction
TAGS_PER_ARTICLE = (3, 4, 4, 5, 5, 5, 6, 6, 7)  # 5 on average
STORY_SIZES = range(1, 11)
STORY_WEIGHTS = [size**-1.5 for size in STORY_SIZES]  # most stories are one article; ~2.5
KINDS = {"place": 30, "person": 30, "organisation": 25, "group": 5, "event": 5, "other": 5}
SUFFIXES = {
    "organisation": ("Council", "Party", "Bank", "Union", "Front", "Agency"),
    "event": ("Summit", "Cup", "Accord", "Festival", "Talks"),
    "group": ("People", "Movement", "Brigades"),
}
CATEGORIES = ("Politics", "Business", "Sport", "Health", "Science & Tech", "Conflict")
SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"] + ["an", "el", "or", "is"]
WIRE_COPY = 0.05  # share of a story's later articles that repeat its first one
TABLES = (outlets, feeds, tags, tag_aliases, stories, articles, article_tags)
FIRST_MIGRATION = "tagwire.store.migrations.versions.0001_initial_schema"

Row = dict[str, Any]


class Draws:
    """Seeded draws: ranks with a long tail, moments over five years."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def zipf(self, size: int) -> int:
        # Inverse CDF of a 1/k law, cheap and heavy-tailed enough for tag frequencies.
        return min(size - 1, int(size ** self.random.random()) - 1)

    def moment(self) -> datetime:
        return END - SPAN * self.random.random()


@dataclass(frozen=True, slots=True)
class Tag:
    id: int
    label: str


@dataclass(slots=True)
class Rows:
    """Rows waiting for the next bulk insert, by table."""

    stories: list[Row] = field(default_factory=list)
    articles: list[Row] = field(default_factory=list)
    article_tags: list[Row] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.stories) + len(self.articles) + len(self.article_tags)


class NewsCorpus(Draws):
    """Outlets, tags and stories of articles, as rows of the store's tables."""

    def __init__(self, seed: int, tagged_with: str | None = None) -> None:
        super().__init__(seed)
        self.tagged_with = tagged_with  # the tagger's version: up to date, nothing to retag
        self.outlet_slugs: list[str] = []
        self.words = [w for w in top_n_list("en", 20_000) if w.isalpha() and w.isascii()]
        self.weights = list(accumulate(1 / rank for rank in range(1, len(self.words) + 1)))
        self.tags: list[Tag] = []  # by rank: the first is the most used

    def name(self, words: int = 1) -> str:
        """An invented proper name: "Tessaro", "Kalima Ruvendo"."""
        return " ".join(
            "".join(self.random.choices(SYLLABLES, k=self.random.randint(2, 4))).capitalize()
            for _ in range(words)
        )

    def phrase(self, low: int, high: int) -> list[str]:
        size = self.random.randint(low, high)
        return self.random.choices(self.words, cum_weights=self.weights, k=size)

    def outlet_rows(self) -> tuple[list[Row], list[Row]]:
        """The outlets and one feed each (checked, next due in ten years)."""
        named = unique_names(OUTLETS, lambda _: self.name(self.random.randint(1, 2)) + " News")
        outlet_rows, feed_rows = [], []
        for number, (name, slug) in enumerate(named, start=1):
            site = f"https://www.{slug}.example/"
            self.outlet_slugs.append(slug)
            outlet_rows.append(
                {"id": number, "name": name, "slug": slug, "homepage": site}
                | {"language": "en", "created_at": START}
            )
            feed_rows.append(
                {"id": number, "url": site + "feed", "outlet_id": number, "title": name}
                | {"site_url": site, "kind": "rss", "next_check_at": END + 10 * SPAN / 5}
                | {"last_checked_at": END, "last_status": "ok", "error_count": 0, "active": True}
                | {"created_at": START}
            )
        return outlet_rows, feed_rows

    def tag_rows(self) -> tuple[list[Row], list[Row]]:
        """The tags, the most used first, each with its label as alias and a fifth with a
        second name (an acronym, another spelling)."""
        kinds = self.random.choices(list(KINDS), weights=list(KINDS.values()), k=TAGS)
        named = unique_names(TAGS, lambda number: self.tag_label(kinds[number]))
        tag_rows, alias_rows = [], []
        for number, ((label, slug), kind) in enumerate(zip(named, kinds, strict=True), start=1):
            self.tags.append(Tag(number, label))
            tag_rows.append(
                {"id": number, "label": label, "slug": slug, "kind": kind, "article_count": 0}
                | {"created_at": START, "blocked": False}
            )
            names = [label]
            if self.random.random() < 0.2:
                words = label.split()
                names.append("".join(w[0] for w in words) if len(words) > 1 else label + "e")
            alias_rows.extend(
                {"tag_id": number, "alias": name, "origin": "text", "folded": fold(name)}
                for name in names
            )
        return tag_rows, alias_rows

    def tag_label(self, kind: str) -> str:
        if kind == "person":
            return self.name(2)
        if kind in SUFFIXES:
            return f"{self.name()} {self.random.choice(SUFFIXES[kind])}"
        return self.name(self.random.choice((1, 1, 1, 2)))

    def story(self, story_id: int, first_id: int, total: int, rows: Rows) -> int:
        """A story of 1-10 articles from ``first_id`` on, added to ``rows``; its size."""
        size = min(total - first_id + 1, self.random.choices(STORY_SIZES, STORY_WEIGHTS)[0])
        start = START + SPAN * (first_id / total) + timedelta(hours=self.random.uniform(-6, 6))
        theme = {self.zipf(TAGS) for _ in range(2)}
        headline = " ".join(self.phrase(4, 9))
        members: list[Row] = []
        for n, outlet_id in enumerate(self.random.sample(range(1, OUTLETS + 1), size)):
            published = start + timedelta(hours=self.random.uniform(0, 48) if n else 0)
            chosen = self.tags_for(theme)
            if n and self.random.random() < WIRE_COPY:
                content = {k: members[0][k] for k in ("title", "summary", "text")}
                content["duplicate_of"] = members[0]["id"]
            else:
                content = self.content(chosen, headline)
            content |= {"story_id": story_id, "tagged_with": self.tagged_with}
            site = self.outlet_slugs[outlet_id - 1]
            article = article_row(first_id + n, outlet_id, site, published, content)
            members.append(article)
            rows.article_tags.extend(
                {"article_id": article["id"], "tag_id": tag.id, "salience": 1 / (rank + 1)}
                | {"mentions": self.random.randint(1, 4), "published_at": published}
                for rank, tag in enumerate(chosen)
            )
        dates = [a["published_at"] for a in members]
        rows.articles.extend(members)
        rows.stories.append(
            {"id": story_id, "title": members[0]["title"], "first_seen_at": min(dates)}
            | {"last_seen_at": max(dates), "article_count": size, "outlet_count": size}
        )
        return size

    def tags_for(self, theme: set[int]) -> list[Tag]:
        """The story's two theme tags and others, ~5 in all, most salient first."""
        picked = set(theme)
        count = self.random.choice(TAGS_PER_ARTICLE)
        while len(picked) < count:
            picked.add(self.zipf(TAGS))
        return [self.tags[rank] for rank in picked]

    def content(self, chosen: list[Tag], headline: str) -> Row:
        """Title, summary and 2-5 KB of text that names each tag one to three times."""
        title = f"{chosen[0].label} {headline} {' '.join(self.phrase(1, 3))}"
        mentions = [t.label for t in chosen for _ in range(self.random.randint(1, 3))]
        self.random.shuffle(mentions)
        target = self.random.randint(2_000, 5_000)
        paragraphs: list[str] = []
        size = 0
        while size < target:
            paragraph = " ".join(
                self.sentence(mentions.pop() if mentions else None)
                for _ in range(self.random.randint(2, 6))
            )
            paragraphs.append(paragraph)
            size += len(paragraph) + 2
        first = paragraphs[0].split(". ")[0].rstrip(".") + "."
        return {
            "title": title[:1].upper() + title[1:],
            "summary": first[:400],
            "text": "\n\n".join(paragraphs),
        }

    def sentence(self, mention: str | None) -> str:
        words = self.phrase(8, 24)
        if mention:
            words.insert(self.random.randrange(len(words)), mention)
        text_ = " ".join(words)
        return text_[:1].upper() + text_[1:] + "."


def unique_names(count: int, make: Callable[[int], str]) -> list[tuple[str, str]]:
    """``count`` names from ``make`` (given the number of the name), with their slugs, no
    slug twice."""
    seen: set[str] = set()
    named: list[tuple[str, str]] = []
    while len(named) < count:
        name = make(len(named))
        slug = slugify(name)
        if slug and slug not in seen:
            seen.add(slug)
            named.append((name, slug))
    return named


def article_row(
    article_id: int, outlet_id: int, site: str, published: datetime, content: Row
) -> Row:
    url = f"https://www.{site}.example/{published:%Y/%m/%d}/{article_id}"
    fetched = published + timedelta(minutes=7)
    category = CATEGORIES[article_id % len(CATEGORIES)]
    return {
        "id": article_id,
        "outlet_id": outlet_id,
        "feed_id": outlet_id,
        "guid": url,
        "url": url,
        "canonical_url": url,
        "author": None,
        "language": "en",
        "section": category,
        "category": category,
        "category_source": "publisher",
        "publisher_tags": [category],
        "extraction_status": "full",
        "entry_hash": hashlib.sha256(url.encode()).hexdigest(),
        "duplicate_of": None,
        "published_at": published,
        "fetched_at": fetched,
        "updated_at": fetched,
    } | content


def fill(engine: Engine, total: int, corpus: NewsCorpus, report: Callable[[str], None]) -> Row:
    """``total`` articles and all they hang on, in batches; figures of the fill."""
    started = time.perf_counter()
    refuse_unless_new(engine)
    if engine.dialect.name == "postgresql":  # built once at the end: 3x faster than row by row
        with engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_articles_fts"))
    outlet_rows, feed_rows = corpus.outlet_rows()
    tag_rows, alias_rows = corpus.tag_rows()
    with engine.begin() as conn:
        for table, batch in (
            (outlets, outlet_rows),
            (feeds, feed_rows),
            (tags, tag_rows),
            (tag_aliases, alias_rows),
        ):
            conn.execute(insert(table), batch)
    written = len(outlet_rows) + len(feed_rows) + len(tag_rows) + len(alias_rows)
    used: Counter[int] = Counter()
    rows = Rows()
    next_id, story_id, reported = 1, 0, 0
    while next_id <= total:
        story_id += 1
        next_id += corpus.story(story_id, next_id, total, rows)
        if len(rows.articles) >= BATCH or next_id > total:
            used.update(link["tag_id"] for link in rows.article_tags)
            written += flush(engine, rows)
            if next_id - 1 - reported >= total / 10 or next_id > total:
                reported = next_id - 1
                seconds = time.perf_counter() - started
                report(
                    f"{reported:>10,} articles {seconds:8.1f} s {reported / seconds:8,.0f}"
                    f" articles/s {written / seconds:9,.0f} rows/s"
                )
    finishing = time.perf_counter()
    written += count_articles_per_tag(engine, used)
    finish(engine)
    report(f"{'':>10} tag counts, indexes, statistics {time.perf_counter() - finishing:.1f} s")
    seconds = time.perf_counter() - started
    return {
        "articles": total,
        "stories": story_id,
        "tags_used": len(used),
        "rows": written,
        "seconds": round(seconds, 1),
        "rows_per_s": round(written / seconds),
        "articles_per_s": round(total / seconds),
        "top_tags": [corpus.tags[rank].label for rank in range(3)],
    }


def refuse_unless_new(engine: Engine) -> None:
    with engine.connect() as conn:
        for table in (outlets, tags, articles):
            if conn.execute(select(func.count()).select_from(table)).scalar():
                raise SystemExit(f"the database already has {table.name}: give a new one")


def flush(engine: Engine, rows: Rows) -> int:
    """One transaction: the stories, their articles, their tag links; rows written."""
    written = len(rows)
    with engine.begin() as conn:
        conn.execute(insert(stories), rows.stories)
        conn.execute(insert(articles), rows.articles)
        conn.execute(insert(article_tags), rows.article_tags)
    rows.stories.clear()
    rows.articles.clear()
    rows.article_tags.clear()
    return written


def count_articles_per_tag(engine: Engine, used: Counter[int]) -> int:
    counts = update(tags).where(tags.c.id == bindparam("tag")).values(article_count=bindparam("n"))
    with engine.begin() as conn:
        conn.execute(counts, [{"tag": tag_id, "n": n} for tag_id, n in used.items()])
    return len(used)


def finish(engine: Engine) -> None:
    """PostgreSQL: the full-text index as the first migration makes it, sequences past the
    ids given, statistics as autovacuum would gather them; SQLite: the write-ahead log
    folded into the file."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for statement in import_module(FIRST_MIGRATION).POSTGRES_FTS:
                conn.execute(text(statement))
            move_sequences(conn, [table for table in TABLES if "id" in table.c])
            conn.execute(text("ANALYZE"))
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def move_sequences(conn: Connection, tables: Iterable[Table]) -> None:
    """PostgreSQL: each table's id sequence past the ids the fill gave, so a row added
    later (a story started) takes a new one."""
    for table in tables:
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'),"
                f" (SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false)"
            )
        )


def database_size_mb(url: str) -> float | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return round(Path(parsed.database).expanduser().stat().st_size / 1e6, 1)


def current_tagging_version() -> str | None:
    """The version ``tagwire`` stamps on the articles it tags, so nothing is to be retagged."""
    from tagwire.pipeline import tagging_version
    from tagwire.settings import Settings

    return tagging_version(Settings.from_env())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="database URL (SQLite or PostgreSQL), new")
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    engine = open_store(args.db)
    corpus = NewsCorpus(args.seed, current_tagging_version())
    figures = fill(engine, args.articles, corpus, report=print)
    engine.dispose()
    figures["size_mb"] = database_size_mb(args.db)
    print(
        f"filled {figures['articles']:,} articles, {figures['stories']:,} stories,"
        f" {figures['rows']:,} rows in {figures['seconds']} s: {figures['rows_per_s']:,} rows/s"
        f" ({figures['articles_per_s']:,} articles/s); most used tags:"
        f" {', '.join(figures['top_tags'])}"
    )
    stamp = {"bench": "tagwire-fill", "date": datetime.now(UTC).isoformat(timespec="seconds")}
    print(
        json.dumps(
            stamp | {"db": make_url(args.db).get_backend_name(), "seed": args.seed} | figures
        )
    )


if __name__ == "__main__":
    main()
