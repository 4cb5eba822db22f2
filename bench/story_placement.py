"""Story placement (and categorisation) cost per article as the store grows.

A generator fills a fresh SQLite database (or a PostgreSQL one, ``--db``) with N stored
articles spread over five years and 2,000 outlets: each with story features drawn from a
long-tailed vocabulary of 50,000 tags and 200,000 terms, a random MinHash signature, its
keys (``article_keys``) and LSH bands (``article_bands``), in stories of one to eight
articles. Rows go in by bulk insert, not through the pipeline: the corpus is scaffolding,
what is timed is the real ``store.stories.place_in_story`` (duplicate lookup, candidate
stories, choice, story refresh) for new articles inside a transaction that is rolled
back, and the category classifier on the demo sample's articles.

    .venv/bin/python bench/story_placement.py --sizes 10000,100000
    .venv/bin/python bench/story_placement.py --sizes 1000000 --keep /tmp/tw-placement

``--keep DIR`` keeps each filled SQLite database in DIR (``placement-<size>-<seed>.sqlite3``)
and uses it again on the next run, migrated to the current schema: filling 1,000,000 takes
a quarter of an hour. The placements are drawn from a generator of their own, so a kept
and a fresh corpus are timed on the same new articles, and nothing placed is committed.

A table goes to stdout (wall and CPU milliseconds: the machine is shared), then one JSON
line, with ``choices``: a digest of the story each new article went to (an existing one's
id, or a new one), equal before and after a change that must not change the results.
Target (issue 4): classification and story assignment together <= 5 ms per article at
1,000,000 stored articles.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fill import END, OUTLETS, TAGS, Draws, move_sequences
from sqlalchemy import Engine, func, insert, select, text

from tagwire.enrich.classify import load_category_model
from tagwire.enrich.duplicates import band_keys
from tagwire.enrich.stories import (
    STORY_WINDOW,
    TOP_TERMS,
    StoryFeatures,
    lookup_keys,
    normalised,
)
from tagwire.store import open_store
from tagwire.store.feeds import add_feed
from tagwire.store.schema import article_bands, article_keys, articles, outlets, stories
from tagwire.store.stories import parsed_features, place_in_story

DEMO_SAMPLE = Path(__file__).resolve().parents[1] / "src" / "tagwire" / "demo" / "sample.json"
TERMS = 200_000
BATCH = 5_000


class Corpus(Draws):
    """Draws articles: Zipf-like tags and terms, stories of 1-8 articles close in time."""

    def features(self, published: datetime, outlet: str, theme: list[str]) -> StoryFeatures:
        tags = {f"tag-{self.zipf(TAGS)}": self.random.random() for _ in range(6)}
        tags.update({slug: 1.0 for slug in theme})
        # As many terms as the pipeline keeps (fewer when a draw repeats one).
        terms = {f"term{self.zipf(TERMS)}": self.random.random() for _ in range(TOP_TERMS)}
        return StoryFeatures(
            terms=normalised(sorted(terms.items(), key=lambda kv: -kv[1])),
            tags=normalised(sorted(tags.items(), key=lambda kv: -kv[1])),
            published_at=published,
            outlet=outlet,
        )

    def signature(self) -> list[int]:
        return [self.random.getrandbits(32) for _ in range(128)]

    def theme(self) -> list[str]:
        return [f"tag-{self.zipf(TAGS)}" for _ in range(2)]


def fill(engine: Engine, size: int, corpus: Corpus) -> float:
    """``size`` stored articles in stories, by bulk insert; seconds taken."""
    started = time.perf_counter()
    feed_id, _ = add_feed(
        engine, "http://bench.test/feed", title="b", site_url=None, kind="rss", outlet_name="o0"
    )
    with engine.begin() as conn:
        conn.execute(
            insert(outlets),
            [
                {"id": i + 2, "name": f"Outlet {i}", "slug": f"outlet-{i}", "created_at": END}
                for i in range(OUTLETS)
            ],
        )
    article_id = story_id = 0
    rows: dict[str, list[dict[str, Any]]] = {"a": [], "k": [], "b": [], "s": []}
    while article_id < size:
        story_id += 1
        first = corpus.moment()
        theme = corpus.theme()
        members = min(size - article_id, corpus.random.randint(1, 8))
        for n in range(members):
            article_id += 1
            published = first + timedelta(hours=corpus.random.uniform(0, 48) if n else 0)
            features = corpus.features(published, f"Outlet {article_id % OUTLETS}", theme)
            signature = corpus.signature()
            rows["a"].append(article_row(article_id, feed_id, story_id, features, signature))
            rows["k"].extend(
                {"key": k, "article_id": article_id, "published_at": published}
                | {"story_id": story_id}
                for k in dict.fromkeys(lookup_keys(features))
            )
            rows["b"].extend({"band": b, "article_id": article_id} for b in band_keys(signature))
        rows["s"].append(
            {
                "id": story_id,
                "title": f"Story {story_id}",
                "first_seen_at": first,
                "last_seen_at": first,
                "article_count": members,
                "outlet_count": members,
            }
        )
        if len(rows["a"]) >= BATCH or article_id >= size:
            flush(engine, rows)
    settle(engine)
    return time.perf_counter() - started


def settle(engine: Engine) -> None:
    """PostgreSQL: sequences past the ids given (a story started must not take one) and
    statistics; SQLite: the write-ahead log folded into the file."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            move_sequences(conn, (articles, stories))
            conn.execute(text("ANALYZE"))
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def article_row(
    article_id: int,
    feed_id: int,
    story_id: int | None,
    features: StoryFeatures,
    signature: list[int],
) -> dict[str, Any]:
    url = f"http://bench.test/a/{article_id}"
    return {
        "id": article_id,
        "outlet_id": article_id % OUTLETS + 2,
        "feed_id": feed_id,
        "guid": url,
        "url": url,
        "canonical_url": url,
        "title": f"Article {article_id}",
        "summary": "",
        "text": "",
        "publisher_tags": [],
        "extraction_status": "full",
        "entry_hash": "",
        "published_at": features.published_at,
        "fetched_at": END,
        "updated_at": END,
        "story_id": story_id,
        "story_features": features.to_json(),
        "signature": signature,
    }


def flush(engine: Engine, rows: dict[str, list[dict[str, Any]]]) -> None:
    with engine.begin() as conn:
        for table, key in ((articles, "a"), (stories, "s"), (article_keys, "k")):
            if rows[key]:
                conn.execute(insert(table), rows[key])
        if rows["b"]:
            conn.execute(insert(article_bands), rows["b"])
    for batch in rows.values():
        batch.clear()


@dataclass(frozen=True, slots=True)
class Timings:
    """What placing the samples took, and where each went."""

    wall_ms: list[float]
    cpu_ms: list[float]
    choices: list[int]  # the story joined, 0 for a new one


def time_placements(
    engine: Engine, corpus: Corpus, dates: Iterable[datetime], *, warm: bool = False
) -> Timings:
    """Milliseconds to place a new article published at each of ``dates``, each stored and
    placed in a transaction that is rolled back, so the corpus stays as it was filled. The
    cache of parsed features starts empty, as in a process just started, or (``warm``, for
    dates known in advance) holding what a running process holds (``warm_features``)."""
    with engine.connect() as conn:
        last_story = conn.execute(select(func.max(stories.c.id))).scalar() or 0
        last_article = conn.execute(select(func.max(articles.c.id))).scalar() or 0
    parsed_features.cache_clear()
    if warm:
        dates = list(dates)
        warm_features(engine, min(dates) - STORY_WINDOW, max(dates) + STORY_WINDOW)
    timings = Timings([], [], [])
    for n, published in enumerate(dates):
        features = corpus.features(published, "New Outlet", corpus.theme())
        signature = corpus.signature()
        row = article_row(last_article + 1, 1, None, features, signature)
        row |= {"outlet_id": 1, "guid": f"new-{n}", "url": f"http://bench.test/new/{n}"}
        with engine.connect() as conn:
            transaction = conn.begin()
            conn.execute(insert(articles), row)
            wall, cpu = time.perf_counter(), time.process_time()
            story_id = place_in_story(conn, row["id"], features, tuple(signature))
            timings.wall_ms.append((time.perf_counter() - wall) * 1000)
            timings.cpu_ms.append((time.process_time() - cpu) * 1000)
            transaction.rollback()
        timings.choices.append(story_id if story_id <= last_story else 0)
    return timings


def warm_features(engine: Engine, start: datetime, end: datetime) -> None:
    """Parse the features of the articles published from ``start`` to ``end`` into the
    placement's cache, as a running aggregator has them: it parses a stored article's
    features once, when a placement first reads them (one article an article placed), not
    the whole window's at once as a process just started does."""
    published = articles.c.published_at
    query = select(articles.c.story_features).where(
        published >= start, published <= end, articles.c.story_features.is_not(None)
    )
    with engine.connect() as conn:
        for stored in conn.execute(query).scalars():
            parsed_features(stored)


def sample_dates(corpus: Corpus, samples: int) -> dict[str, Iterable[datetime]]:
    """ "scattered": anywhere in the five years, each placement near nothing the last one
    read (the worst case: every feature read is parsed anew, as after a restart or in a
    backfill); "live": over the corpus's last two days in order, as a running aggregator
    places what it fetches (timed with a warm cache: ``warm_features``)."""
    step = timedelta(days=2) / samples
    return {
        "scattered": (corpus.moment() for _ in range(samples)),  # drawn as they are placed
        "live": [END - timedelta(days=2) + step * n for n in range(samples)],
    }


def classify_ms(samples: int) -> tuple[float, float]:
    """Mean wall and CPU ms of the category classifier on the demo sample's articles (our
    own text)."""
    model = load_category_model()
    sample = json.loads(DEMO_SAMPLE.read_text())["articles"]
    texts = [(a["title"], " ".join(a["paragraphs"])) for a in sample]
    model.guess(*texts[0])
    wall, cpu = time.perf_counter(), time.process_time()
    for n in range(samples):
        model.guess(*texts[n % len(texts)])
    return (
        (time.perf_counter() - wall) * 1000 / samples,
        (time.process_time() - cpu) * 1000 / samples,
    )


def open_corpus(size: int, args: argparse.Namespace, folder: str) -> tuple[Engine, float | None]:
    """The database of ``size`` articles, filled now (seconds taken) or kept from a run
    before (``None``); a kept one is marked complete only once its fill has finished."""
    if args.db:
        engine = open_store(args.db)
        return engine, fill(engine, size, Corpus(args.seed))
    path = Path(args.keep or folder) / f"placement-{size}-{args.seed}.sqlite3"
    filled = path.with_name(path.name + ".filled")
    if args.keep and filled.exists():
        return open_store(f"sqlite:///{path}"), None
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(path.name + "*"):
        stale.unlink()
    engine = open_store(f"sqlite:///{path}")
    seconds = fill(engine, size, Corpus(args.seed))
    filled.touch()
    return engine, seconds


def summary(size: int, filled: float | None, dates: str, timings: Timings) -> dict[str, Any]:
    wall, cpu = sorted(timings.wall_ms), sorted(timings.cpu_ms)
    digest = hashlib.sha256(json.dumps(timings.choices).encode()).hexdigest()[:16]
    return {
        "stored": size,
        "dates": dates,
        "fill_seconds": round(filled, 1) if filled is not None else None,
        "p50_ms": round(statistics.median(wall), 2),
        "p99_ms": round(wall[int(len(wall) * 0.99) - 1], 2),
        "mean_ms": round(statistics.fmean(wall), 2),
        "cpu_p50_ms": round(statistics.median(cpu), 2),
        "cpu_mean_ms": round(statistics.fmean(cpu), 2),
        "joined": sum(1 for story in timings.choices if story),
        "choices": digest,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="stored articles, comma-separated")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--db", help="a database URL to fill (default: a temporary SQLite file)")
    parser.add_argument("--keep", help="a folder to keep the SQLite databases in, and reuse")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    results = []
    classify, classify_cpu = classify_ms(args.samples)
    print(
        f"{'stored':>10} {'dates':>9} {'fill s':>7} {'p50 ms':>7} {'p99 ms':>7} {'mean ms':>7}"
        f" {'cpu p50':>7} {'cpu mean':>8} {'joined':>6} {'choices':>16}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as folder:
            engine, filled = open_corpus(size, args, folder)
            draws = Corpus(args.seed + 1)
            for dates, moments in sample_dates(draws, args.samples).items():
                timings = time_placements(engine, draws, moments, warm=dates == "live")
                row = summary(size, filled, dates, timings)
                results.append(row)
                print(
                    f"{size:>10} {dates:>9} {row['fill_seconds'] or '-':>7} {row['p50_ms']:>7}"
                    f" {row['p99_ms']:>7} {row['mean_ms']:>7} {row['cpu_p50_ms']:>7}"
                    f" {row['cpu_mean_ms']:>8} {row['joined']:>6} {row['choices']:>16}"
                )
            engine.dispose()
    print(
        f"category classifier: {classify:.2f} ms per article, {classify_cpu:.2f} ms CPU"
        " (the demo sample's)"
    )
    for row in results:
        print(
            f"issue 4 at {row['stored']:,} ({row['dates']}): placement p50 + classifier"
            f" {row['p50_ms'] + classify:.1f} ms, CPU {row['cpu_p50_ms'] + classify_cpu:.1f} ms"
            " (budget 5 ms at 1,000,000)"
        )
    print(
        json.dumps(
            {
                "bench": "tagwire-story-placement",
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "samples": args.samples,
                "classify_ms": round(classify, 2),
                "classify_cpu_ms": round(classify_cpu, 2),
                "sizes": results,
            }
        )
    )


if __name__ == "__main__":
    main()
