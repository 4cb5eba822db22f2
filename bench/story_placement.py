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
    .venv/bin/python bench/story_placement.py --sizes 1000000 --samples 300

A table goes to stdout, then one JSON line. Target (issue 4): classification and story
assignment together <= 5 ms per article at 1,000,000 stored articles.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fill import END, OUTLETS, TAGS, Draws
from sqlalchemy import Engine, insert

from tagwire.enrich.classify import load_category_model
from tagwire.enrich.duplicates import band_keys
from tagwire.enrich.stories import StoryFeatures, lookup_keys, normalised
from tagwire.store import open_store
from tagwire.store.articles import save_article
from tagwire.store.feeds import add_feed
from tagwire.store.schema import article_bands, article_keys, articles, outlets, stories
from tagwire.store.stories import place_in_story

DEMO_SAMPLE = Path(__file__).resolve().parents[1] / "src" / "tagwire" / "demo" / "sample.json"
TERMS = 200_000
BATCH = 5_000


class Corpus(Draws):
    """Draws articles: Zipf-like tags and terms, stories of 1-8 articles close in time."""

    def features(self, published: datetime, outlet: str, theme: list[str]) -> StoryFeatures:
        tags = {f"tag-{self.zipf(TAGS)}": self.random.random() for _ in range(6)}
        tags.update({slug: 1.0 for slug in theme})
        terms = {f"term{self.zipf(TERMS)}": self.random.random() for _ in range(40)}
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
    return time.perf_counter() - started


def article_row(
    article_id: int, feed_id: int, story_id: int, features: StoryFeatures, signature: list[int]
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


def time_placements(engine: Engine, corpus: Corpus, samples: int) -> list[float]:
    """Milliseconds to place each of ``samples`` new articles (rolled back each time)."""
    from tagwire.models import ArticleDraft

    feed_id = 1
    took = []
    for n in range(samples):
        published = corpus.moment()
        features = corpus.features(published, "New Outlet", corpus.theme())
        draft = ArticleDraft(
            feed_id=feed_id,
            outlet_name="New Outlet",
            guid=f"new-{n}",
            url=f"http://bench.test/new/{n}",
            canonical_url=f"http://bench.test/new/{n}",
            title="New",
            text="",
            summary="",
            published_at=published,
            author=None,
            language="en",
            section=None,
            category=None,
            publisher_tags=(),
            extraction_status="full",
            extraction_error=None,
            entry_hash="",
        )
        article_id, _ = save_article(engine, draft)  # stored without a story, then placed
        with engine.connect() as conn:
            transaction = conn.begin()
            started = time.perf_counter()
            place_in_story(conn, article_id, features, tuple(corpus.signature()))
            took.append((time.perf_counter() - started) * 1000)
            transaction.rollback()
    return took


def classify_ms(samples: int) -> float:
    """Mean ms of the category classifier on the demo sample's articles (our own text)."""
    model = load_category_model()
    sample = json.loads(DEMO_SAMPLE.read_text())["articles"]
    texts = [(a["title"], " ".join(a["paragraphs"])) for a in sample]
    model.guess(*texts[0])
    started = time.perf_counter()
    for n in range(samples):
        model.guess(*texts[n % len(texts)])
    return (time.perf_counter() - started) * 1000 / samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="stored articles, comma-separated")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--db", help="a database URL to fill (default: a temporary SQLite file)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    results = []
    classify = classify_ms(args.samples)
    print(f"{'stored':>10} {'fill s':>8} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as folder:
            url = args.db or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
            engine = open_store(url)
            corpus = Corpus(args.seed)
            filled = fill(engine, size, corpus)
            took = sorted(time_placements(engine, corpus, args.samples))
            engine.dispose()
        row = {
            "stored": size,
            "fill_seconds": round(filled, 1),
            "p50_ms": round(statistics.median(took), 2),
            "p99_ms": round(took[int(len(took) * 0.99) - 1], 2),
            "mean_ms": round(statistics.fmean(took), 2),
        }
        results.append(row)
        print(
            f"{size:>10} {row['fill_seconds']:>8} {row['p50_ms']:>8} {row['p99_ms']:>8}"
            f" {row['mean_ms']:>8}"
        )
    print(f"category classifier: {classify:.2f} ms per article (the demo sample's)")
    print(
        json.dumps(
            {
                "bench": "tagwire-story-placement",
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "samples": args.samples,
                "classify_ms": round(classify, 2),
                "sizes": results,
            }
        )
    )


if __name__ == "__main__":
    main()
