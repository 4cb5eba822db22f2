"""Story and duplicate quality in numbers, for ``tagwire eval stories``.

- **Stories** (ECB+, ``clustering/ecbplus-documents.jsonl.gz``; gold story = ``subtopic``).
  Each document is tagged by the real ``Tagger`` (headline = first line), reduced to
  ``StoryFeatures`` and added one by one to a ``StoryIndex``: the online clustering the
  pipeline does. ECB+ has no publication dates, so every document is published at the same
  moment (the time window never separates anything: the harder case). Documents are fed
  in file order, then in ``SHUFFLES`` seeded shuffled orders (mean and min F1 reported).
  Scored with B-cubed precision, recall and F1, on the test split alone (topics 36-45) and
  on all documents. Parameters were chosen on train and dev only (and the demo sample).
  Baseline: batch TF-IDF (raw counts, smoothed IDF over the documents scored) with
  average-linkage clustering, its cosine threshold tuned on the documents it is scored on
  (an upper bound for it). ``--tag-cache FILE`` keeps the tagger's output between runs.
- **Stories in one region** (the bundled demo sample, ``tagwire/demo/sample.json``: 40
  English and French reports about the Sahel written for the project; gold events in
  ``demo_stories.json`` beside this module). A stream where most articles share place
  names (Mali, Kidal, Azawad) and one event is reported in two languages. Published at
  start-up minus each article's age, fed oldest first as a crawl would find them, then in
  the sample's order (feed by feed) and in shuffled orders.
- **Duplicates** (BBC News, evaluation only): every article's ``text_signature``, candidate
  pairs from shared LSH ``band_keys``, ``is_duplicate`` on those; compared with the listed
  exact-duplicate pairs. BBC also holds unlisted re-publications with small edits (a
  reworded headline): a pair accepted outside the list is false only when a word-level
  diff keeps under 95% of the words (``is_small_edit``). The estimated similarity of every
  pair (all pairs, from the signatures) shows where the listed pairs, the edited
  re-publications and the closest different articles lie: the measured threshold.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from difflib import SequenceMatcher
from importlib import resources
from itertools import combinations
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import numpy as np

from tagwire.demo.server import Sample
from tagwire.enrich import duplicates
from tagwire.enrich.stories import StoryFeatures, StoryIndex, story_features
from tagwire.enrich.tagging import Tagger
from tagwire.errors import InvalidInput, TagwireError
from tagwire.evaluate.cli import current_settings
from tagwire.evaluate.tags import build_tagger, warm_up
from tagwire.models import TagScore
from tagwire.pipeline import tagging_version

ECBPLUS = Path("clustering/ecbplus-documents.jsonl.gz")
BBC = Path("categories/bbc-news.jsonl.gz")
BBC_DUPLICATES = Path("categories/bbc-news.duplicates.json")
PUBLISHED = datetime(2025, 1, 1, tzinfo=UTC)  # ECB+ has no dates: one moment for all
SHUFFLES = 5
DEMO_STORIES = "demo_stories.json"  # gold events of the demo sample, beside this module
SMALL_EDIT_RATIO = 0.95
BASELINE_THRESHOLDS = tuple(round(0.02 * i, 2) for i in range(1, 40))

_BASELINE_TOKEN = re.compile(r"\b\w\w+\b")


@dataclass(frozen=True, slots=True)
class StoryDocument:
    doc_id: str
    topic: int
    story: str  # gold: ECB+ subtopic
    split: str
    outlet: str
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class BCubed:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_json(self) -> dict[str, float]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass(frozen=True, slots=True)
class OnlineRun:
    score: BCubed
    stories: int
    milliseconds: list[float]  # per article, ``StoryIndex.add`` alone


def read_story_documents(path: Path, limit: int | None = None) -> list[StoryDocument]:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            rows = [json.loads(line) for n, line in enumerate(lines) if limit is None or n < limit]
        return [story_document(row) for row in rows]
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"{path}: not a gzipped JSON-lines file ({exc})") from exc
    except (KeyError, TypeError) as exc:
        raise InvalidInput(f"{path}: not an ECB+ document record (missing {exc})") from exc


def story_document(row: dict[str, Any]) -> StoryDocument:
    title, _, text = str(row["text"]).strip().partition("\n")
    outlet = urlsplit(row["url"]).hostname or "ecb+" if row.get("url") else "ecb+"
    return StoryDocument(
        str(row["doc_id"]), int(row["topic"]), str(row["subtopic"]), str(row["split"]),
        outlet, title.strip(), text.strip(),
    )  # fmt: skip


def document_features(
    tagger: Tagger, documents: Sequence[StoryDocument], cache: TagCache | None = None
) -> tuple[list[StoryFeatures], float, float]:
    """Each document's features, the seconds spent tagging (none for tags found in the
    cache) and the seconds computing features from the tags."""
    features, tagging, computing = [], 0.0, 0.0
    for doc in documents:
        started = time.perf_counter()
        tags = cache.get(doc.doc_id) if cache else None
        if tags is None:
            tags = tagger.tag(doc.title, doc.text, "en", doc.outlet)
            if cache:
                cache.put(doc.doc_id, tags)
        tagged = time.perf_counter()
        features.append(story_features(doc.title, doc.text, "en", tags, PUBLISHED, doc.outlet))
        computing += time.perf_counter() - tagged
        tagging += tagged - started
    return features, tagging, computing


@dataclass(frozen=True, slots=True)
class TagCache:
    """The tagger's output by document id, kept in a JSON file for the tagger version it
    was made with (another version starts it afresh)."""

    path: Path
    version: str
    tags: dict[str, list[list[Any]]]

    @classmethod
    def open(cls, path: Path, version: str) -> TagCache:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            record = {}
        found = record.get("tags") if record.get("version") == version else None
        return cls(path, version, found if isinstance(found, dict) else {})

    def get(self, doc_id: str) -> tuple[TagScore, ...] | None:
        rows = self.tags.get(doc_id)
        if rows is None:
            return None
        return tuple(TagScore(r[0], r[1], r[2], r[3], r[4], tuple(r[5])) for r in rows)

    def put(self, doc_id: str, tags: Sequence[TagScore]) -> None:
        self.tags[doc_id] = [
            [t.label, t.slug, t.kind, t.salience, t.mentions, list(t.aliases)] for t in tags
        ]

    def save(self) -> None:
        try:
            self.path.write_text(json.dumps({"version": self.version, "tags": self.tags}))
        except OSError as exc:
            raise InvalidInput(f"{self.path}: cannot write the tag cache ({exc})") from exc


def cluster_online(
    features: Sequence[StoryFeatures], order: Sequence[int]
) -> tuple[list[int], list[float]]:
    """Story ids (by document index) after adding the documents in ``order``, and the
    milliseconds each ``add`` took."""
    index = StoryIndex()
    milliseconds = []
    for position in order:
        started = time.perf_counter()
        index.add(position, features[position])
        milliseconds.append((time.perf_counter() - started) * 1000)
    # Read at the end: a story absorbed by a later one is gone, its articles moved.
    return [index.story_of(position) for position in range(len(features))], milliseconds


def run_online(
    features: Sequence[StoryFeatures], gold: Sequence[str], order: Sequence[int]
) -> OnlineRun:
    labels, milliseconds = cluster_online(features, order)
    return OnlineRun(bcubed(labels, gold), len(set(labels)), milliseconds)


def shuffled_orders(size: int, count: int = SHUFFLES) -> list[list[int]]:
    orders = []
    for seed in range(1, count + 1):
        order = list(range(size))
        random.Random(seed).shuffle(order)
        orders.append(order)
    return orders


def bcubed(predicted: Sequence[Any], gold: Sequence[Any]) -> BCubed:
    """Mean over items of the share of its predicted cluster in its gold class (precision)
    and of its gold class in its predicted cluster (recall)."""
    if not gold:
        return BCubed(0.0, 0.0)
    both = Counter(zip(predicted, gold, strict=True))
    clusters, classes = Counter(predicted), Counter(gold)
    precision = sum(n * n / clusters[c] for (c, _), n in both.items()) / len(gold)
    recall = sum(n * n / classes[g] for (_, g), n in both.items()) / len(gold)
    return BCubed(precision, recall)


def tfidf_vectors(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised TF-IDF rows: raw counts of lower-cased words of 2+ characters, IDF
    ``ln((1 + n) / (1 + df)) + 1`` over these texts."""
    counts = [Counter(_BASELINE_TOKEN.findall(text.lower())) for text in texts]
    vocabulary = {w: i for i, w in enumerate(sorted({w for c in counts for w in c}))}
    matrix = np.zeros((len(texts), len(vocabulary)))
    for row, words in enumerate(counts):
        for word, n in words.items():
            matrix[row, vocabulary[word]] = n
    df = (matrix > 0).sum(axis=0)
    matrix *= np.log((1 + len(texts)) / (1 + df)) + 1
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


def average_linkage_merges(vectors: np.ndarray) -> list[tuple[int, int, float]]:
    """Agglomerative clustering by mean cosine (UPGMA): each merge (kept cluster, merged
    cluster, similarity), in order; the similarities only decrease."""
    size = len(vectors)
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -np.inf)
    members = np.ones(size)
    merges = []
    for _ in range(size - 1):
        a, b = np.unravel_index(int(np.argmax(similarity)), similarity.shape)
        merges.append((int(a), int(b), float(similarity[a, b])))
        merged = (members[a] * similarity[a] + members[b] * similarity[b]) / (
            members[a] + members[b]
        )
        similarity[a], similarity[:, a] = merged, merged
        similarity[a, a] = -np.inf
        similarity[b], similarity[:, b] = -np.inf, -np.inf
        members[a] += members[b]
    return merges


def cut(merges: Iterable[tuple[int, int, float]], size: int, threshold: float) -> list[int]:
    """Cluster labels after the merges at or above ``threshold``."""
    parent = list(range(size))

    def root(item: int) -> int:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for a, b, similarity in merges:
        if similarity < threshold:
            break
        parent[root(b)] = root(a)
    return [root(item) for item in range(size)]


def baseline(documents: Sequence[StoryDocument]) -> tuple[float, BCubed]:
    """The TF-IDF average-linkage threshold with the best F1 on these documents, and it."""
    texts = [f"{doc.title}\n{doc.text}" for doc in documents]
    merges = average_linkage_merges(tfidf_vectors(texts))
    gold = [doc.story for doc in documents]
    scored = [(bcubed(cut(merges, len(texts), t), gold), t) for t in BASELINE_THRESHOLDS]
    best, threshold = max(scored, key=lambda st: st[0].f1)
    return threshold, best


@dataclass(frozen=True, slots=True)
class DuplicateScore:
    articles: int
    listed: int  # exact-duplicate pairs listed with the data
    listed_found: int  # of those, found by band lookup and accepted by ``is_duplicate``
    unlisted_found: int  # other pairs accepted
    edited_found: int  # of those, re-publications with small edits (``is_small_edit``)
    edited: int  # unlisted re-publications with small edits in the data
    candidate_pairs: int  # pairs sharing a band key
    listed_similarity: tuple[float, ...]  # estimated Jaccard of each listed pair, lowest first
    edited_similarity: tuple[float, ...]
    closest_others: tuple[float, ...]  # the highest estimates among all other pairs
    seconds: float  # signatures, band lookup and ``is_duplicate`` for every article

    @property
    def false_pairs(self) -> int:
        return self.unlisted_found - self.edited_found


def score_duplicates(
    articles: Sequence[tuple[str, str]], listed: set[frozenset[str]]
) -> DuplicateScore:
    started = time.perf_counter()
    signatures = [duplicates.text_signature(text) for _, text in articles]
    candidates = lsh_candidates(signatures)
    found = {
        pair_of(articles, a, b)
        for a, b in candidates
        if duplicates.is_duplicate(signatures[a], signatures[b])
    }
    seconds = time.perf_counter() - started
    similar = similar_pairs(signatures)
    edited = {
        pair: value
        for (a, b), value in similar.items()
        if (pair := pair_of(articles, a, b)) not in listed
        and is_small_edit(articles[a][1], articles[b][1])
    }
    others = [
        v for (a, b), v in similar.items() if pair_of(articles, a, b) not in listed | set(edited)
    ]
    return DuplicateScore(
        len(articles), len(listed), len(found & listed), len(found - listed),
        len(found & set(edited)), len(edited), len(candidates),
        tuple(sorted(v for (a, b), v in similar.items() if pair_of(articles, a, b) in listed)),
        tuple(sorted(edited.values())), tuple(sorted(others, reverse=True)[:10]), seconds,
    )  # fmt: skip


def read_bbc(path: Path) -> list[tuple[str, str]]:
    """(id, "title\\nbody") of every BBC article."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            rows = [json.loads(line) for line in lines]
        return [(str(r["id"]), f"{r['title']}\n{r['body']}") for r in rows]
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"{path}: not a gzipped JSON-lines file ({exc})") from exc
    except (KeyError, TypeError) as exc:
        raise InvalidInput(f"{path}: not a BBC News record (missing {exc})") from exc


def read_duplicate_pairs(path: Path) -> set[frozenset[str]]:
    try:
        groups = json.loads(path.read_text(encoding="utf-8"))["groups"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise InvalidInput(f"{path}: not a duplicates file ({exc})") from exc
    return {frozenset(pair) for group in groups for pair in combinations(group, 2)}


def pair_of(articles: Sequence[tuple[str, str]], a: int, b: int) -> frozenset[str]:
    return frozenset((articles[a][0], articles[b][0]))


def lsh_candidates(signatures: Sequence[tuple[int, ...]]) -> set[tuple[int, int]]:
    """Pairs of articles sharing a band key, as the store's lookup table finds them."""
    by_key: dict[str, list[int]] = defaultdict(list)
    pairs: set[tuple[int, int]] = set()
    for position, signature in enumerate(signatures):
        for key in duplicates.band_keys(signature):
            pairs.update((earlier, position) for earlier in by_key[key])
            by_key[key].append(position)
    return pairs


def similar_pairs(
    signatures: Sequence[tuple[int, ...]], floor: float = 0.3
) -> dict[tuple[int, int], float]:
    """Every pair whose signatures estimate a Jaccard of ``floor`` or more (all pairs
    compared, not only band candidates: this is the measurement)."""
    matrix = np.array(signatures, dtype=np.uint32)
    pairs = {}
    for row in range(len(matrix) - 1):
        same = (matrix[row + 1 :] == matrix[row]).mean(axis=1)
        for offset in np.flatnonzero(same >= floor):
            pairs[(row, row + 1 + int(offset))] = float(same[offset])
    return pairs


def is_small_edit(text: str, other: str) -> bool:
    """Whether two texts differ by small edits: a word-level diff keeps 95% of the words
    (a reworded headline or a trimmed sentence, not an added paragraph). The reference
    the threshold is measured against, independent of shingles and MinHash."""
    matcher = SequenceMatcher(None, text.lower().split(), other.lower().split(), autojunk=False)
    return matcher.ratio() >= SMALL_EDIT_RATIO


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def timing_json(milliseconds: Sequence[float]) -> dict[str, float]:
    return {
        "mean_ms": round(statistics.fmean(milliseconds), 3) if milliseconds else 0.0,
        "p50_ms": round(percentile(milliseconds, 0.5), 3),
        "p99_ms": round(percentile(milliseconds, 0.99), 3),
        "max_ms": round(max(milliseconds, default=0.0), 3),
    }


@click.command("stories")
@click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("../shared/datasets"),
    show_default=True,
    help="Folder holding clustering/ (ECB+) and categories/ (BBC News duplicates).",
)
@click.option("--limit", type=click.IntRange(min=1), help="Only the first N documents of a set.")
@click.option(
    "--shuffles", type=click.IntRange(min=0), default=SHUFFLES, show_default=True,
    help="Shuffled orders the online clustering is also run in.",
)  # fmt: skip
@click.option(
    "--tag-cache",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON file keeping the tagger's output for ECB+ between runs (made if absent).",
)
@click.pass_context
def stories_command(
    ctx: click.Context, data: Path, limit: int | None, shuffles: int, tag_cache: Path | None
) -> None:
    """B-cubed P/R/F1 of online story clustering on ECB+ and on the demo sample,
    duplicates found on BBC News."""
    started = time.perf_counter()
    ecbplus = data / ECBPLUS
    if not ecbplus.is_file():
        raise click.BadParameter(f"{ecbplus} is missing", param_hint="--data")
    settings = current_settings(ctx)
    tagger = build_tagger(settings)
    warm_up(tagger, ["en", "fr"])
    cache = TagCache.open(tag_cache, tagging_version(settings)) if tag_cache else None
    try:
        metrics: dict[str, Any] = {
            "ecbplus": evaluate_ecbplus(tagger, ecbplus, limit, shuffles, cache),
            "demo": evaluate_demo(tagger, shuffles),
        }
        metrics["bbc_duplicates"] = evaluate_duplicates(data, limit)
    except TagwireError as exc:
        raise click.ClickException(str(exc)) from exc
    metrics["seconds"] = round(time.perf_counter() - started, 1)
    click.echo(f"total {metrics['seconds']}s")
    click.echo(json.dumps(metrics, ensure_ascii=False))


def evaluate_ecbplus(
    tagger: Tagger, path: Path, limit: int | None, shuffles: int, cache: TagCache | None
) -> dict:
    documents = read_story_documents(path, limit)
    features, tagging, computing = document_features(tagger, documents, cache)
    if cache:
        cache.save()
    click.echo(
        f"ecb+: {len(documents)} documents tagged in {tagging:.1f}s, features in"
        f" {1000 * computing / max(1, len(documents)):.2f} ms/article"
    )
    results: dict[str, Any] = {
        "features_ms_per_article": round(1000 * computing / max(1, len(documents)), 3)
    }
    for name, wanted in (("test", {"test"}), ("train_dev", {"train", "dev"}), ("all", None)):
        chosen = [n for n, doc in enumerate(documents) if wanted is None or doc.split in wanted]
        if chosen:
            results[name] = evaluate_split(
                name, [documents[n] for n in chosen], [features[n] for n in chosen], shuffles
            )
    return results


def evaluate_split(
    name: str, documents: Sequence[StoryDocument], features: Sequence[StoryFeatures], shuffles: int
) -> dict[str, Any]:
    """Online clustering in file order and in shuffled orders, and the batch baseline."""
    gold = [doc.story for doc in documents]
    run = run_online(features, gold, range(len(documents)))
    shuffled = [
        run_online(features, gold, order).score.f1 for order in shuffled_orders(len(gold), shuffles)
    ]
    threshold, best = baseline(documents)
    click.echo(
        f"  {name}: {len(documents)} documents, {len(set(gold))} stories; online"
        f" {scores_line(run.score)} ({run.stories} stories)"
    )
    if shuffled:
        mean, low = statistics.fmean(shuffled), min(shuffled)
        click.echo(f"    {len(shuffled)} shuffled orders: F1 mean {mean:.3f} min {low:.3f}")
    click.echo(f"    baseline TF-IDF average linkage at {threshold}: {scores_line(best)}")
    click.echo(f"    assignment {run_timing_line(run.milliseconds)}")
    return {
        "documents": len(documents),
        "gold_stories": len(set(gold)),
        "online": {**run.score.as_json(), "stories": run.stories},
        "shuffled_f1": {
            "orders": len(shuffled),
            "mean": round(statistics.fmean(shuffled), 4) if shuffled else None,
            "min": round(min(shuffled), 4) if shuffled else None,
        },
        "baseline_tfidf_average_linkage": {**best.as_json(), "threshold": threshold},
        "assignment": timing_json(run.milliseconds),
    }


@dataclass(frozen=True, slots=True)
class DemoArticle:
    slug: str
    title: str
    text: str
    language: str
    outlet: str
    published_at: datetime


def read_demo_articles() -> list[DemoArticle]:
    """The demo sample's articles, in the sample's order (outlet by outlet)."""
    sample = Sample.load()
    articles = []
    for article in sample.articles:
        outlet = sample.outlets[article["outlet"]]
        text = "\n\n".join(article["paragraphs"])
        articles.append(
            DemoArticle(
                article["slug"], article["title"], text, outlet["language"], outlet["name"],
                sample.published(article),
            )
        )  # fmt: skip
    return articles


def read_demo_gold(articles: Sequence[DemoArticle]) -> list[str]:
    """Each article's gold story: its event's, or its own slug."""
    try:
        text = resources.files("tagwire.evaluate").joinpath(DEMO_STORIES).read_text("utf-8")
        events = json.loads(text)["events"]
        story = {slug: f"event-{n}" for n, event in enumerate(events) for slug in event}
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise InvalidInput(f"{DEMO_STORIES}: not a list of events ({exc})") from exc
    unknown = set(story) - {article.slug for article in articles}
    if unknown:
        raise InvalidInput(f"{DEMO_STORIES}: not in the demo sample: {sorted(unknown)}")
    return [story.get(article.slug, article.slug) for article in articles]


def evaluate_demo(tagger: Tagger, shuffles: int) -> dict[str, Any]:
    """Online clustering of the demo sample: oldest first, feed by feed, shuffled."""
    articles = read_demo_articles()
    gold = read_demo_gold(articles)
    features = [
        story_features(
            a.title, a.text, a.language, tagger.tag(a.title, a.text, a.language, a.outlet),
            a.published_at, a.outlet,
        )
        for a in articles
    ]  # fmt: skip
    oldest_first = sorted(range(len(articles)), key=lambda n: (articles[n].published_at, n))
    run = run_online(features, gold, oldest_first)
    by_feed = run_online(features, gold, range(len(articles)))
    shuffled = [run_online(features, gold, o).score for o in shuffled_orders(len(gold), shuffles)]
    click.echo(
        f"demo: {len(articles)} articles, {len(set(gold))} stories; oldest first"
        f" {scores_line(run.score)} ({run.stories} stories); feed by feed"
        f" {scores_line(by_feed.score)}"
    )
    if shuffled:
        mean, low = statistics.fmean(s.f1 for s in shuffled), min(s.f1 for s in shuffled)
        click.echo(
            f"  {len(shuffled)} shuffled orders: F1 mean {mean:.3f} min {low:.3f},"
            f" precision min {min(s.precision for s in shuffled):.3f}"
        )
    return {
        "articles": len(articles),
        "gold_stories": len(set(gold)),
        "online": {**run.score.as_json(), "stories": run.stories},
        "feed_order": {**by_feed.score.as_json(), "stories": by_feed.stories},
        "shuffled_f1": {
            "orders": len(shuffled),
            "mean": round(statistics.fmean(s.f1 for s in shuffled), 4) if shuffled else None,
            "min": round(min(s.f1 for s in shuffled), 4) if shuffled else None,
            "precision_min": round(min(s.precision for s in shuffled), 4) if shuffled else None,
        },
    }


def evaluate_duplicates(data: Path, limit: int | None) -> dict[str, Any] | None:
    bbc, listed_path = data / BBC, data / BBC_DUPLICATES
    if not bbc.is_file() or not listed_path.is_file():
        click.echo(f"bbc duplicates: skipped, {bbc} or {listed_path} is missing")
        return None
    articles = read_bbc(bbc)[:limit]
    ids = {article_id for article_id, _ in articles}
    listed = {pair for pair in read_duplicate_pairs(listed_path) if pair <= ids}
    score = score_duplicates(articles, listed)
    click.echo(
        f"bbc duplicates: {score.listed_found}/{score.listed} listed exact pairs found;"
        f" {score.unlisted_found} other pairs, {score.edited_found}/{score.edited} of them"
        f" re-published with small edits, {score.false_pairs} false"
        f" ({score.candidate_pairs} band candidates, {score.seconds:.1f}s)"
    )
    click.echo(f"  similarity of listed pairs: min {min(score.listed_similarity, default=0):.3f}")
    click.echo(f"  of edited re-publications: {similarity_line(score.edited_similarity)}")
    click.echo(f"  highest of the other pairs: {similarity_line(score.closest_others)}")
    return {
        "articles": score.articles,
        "threshold": duplicates.DUPLICATE_THRESHOLD,
        "listed_pairs": score.listed,
        "listed_found": score.listed_found,
        "unlisted_found": score.unlisted_found,
        "edited_pairs": score.edited,
        "edited_found": score.edited_found,
        "false_pairs": score.false_pairs,
        "band_candidate_pairs": score.candidate_pairs,
        "listed_similarity_min": min(score.listed_similarity, default=None),
        "edited_similarity": [round(v, 3) for v in score.edited_similarity],
        "other_similarity_top10": [round(v, 3) for v in score.closest_others],
        "ms_per_article": round(1000 * score.seconds / max(1, score.articles), 3),
    }


def scores_line(score: BCubed) -> str:
    return f"B3 P {score.precision:.3f}  R {score.recall:.3f}  F1 {score.f1:.3f}"


def similarity_line(values: Sequence[float]) -> str:
    return ", ".join(f"{v:.3f}" for v in values[:12]) or "none"


def run_timing_line(milliseconds: Sequence[float]) -> str:
    timing = timing_json(milliseconds)
    return f"{timing['mean_ms']:.3f} ms/article mean, p99 {timing['p99_ms']:.3f} ms"
