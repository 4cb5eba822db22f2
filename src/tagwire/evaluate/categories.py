"""``tagwire eval categories``: the category classifier on labelled news, with no publisher
section, so the classifier alone decides.

Sets: the MasakhaNEWS English and French test splits and all of BBC News (2,225 articles,
research-only: evaluation only; its five classes mapped onto ours). The classifier is
trained on the MasakhaNEWS dev splits only (``scripts/train_categories.py``). Scores:
accuracy and macro-F1 over the set's own classes with every guess taken, the coverage
(share with a confidence at or above the threshold) and the accuracy when an abstention
counts as wrong. The baseline, measured in the same run: TF-IDF word unigrams and bigrams
with a linear SVM trained on the 472 English dev articles alone (needs scikit-learn).
"""

from __future__ import annotations

import csv
import gzip
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import click

from tagwire.enrich.classify import CategoryGuess, load_category_model
from tagwire.errors import InvalidInput

MASAKHANEWS_EN_DEV = Path("categories/masakhanews-eng/dev.tsv.gz")
MASAKHANEWS_EN_TEST = Path("categories/masakhanews-eng/test.tsv.gz")
MASAKHANEWS_FR_DEV = Path("multilingual/masakhanews-fra/dev.tsv.gz")
MASAKHANEWS_FR_TEST = Path("multilingual/masakhanews-fra/test.tsv.gz")
BBC_NEWS = Path("categories/bbc-news.jsonl.gz")
TRAINING_SETS = (MASAKHANEWS_EN_DEV, MASAKHANEWS_FR_DEV)
EVALUATION_SETS = {
    "masakhanews_en_test": MASAKHANEWS_EN_TEST,
    "masakhanews_fr_test": MASAKHANEWS_FR_TEST,
    "bbc_news": BBC_NEWS,
}
DATASET_LABELS = {
    "business": "Business",
    "entertainment": "Arts & Entertainment",
    "health": "Health",
    "politics": "Politics",
    "sport": "Sport",
    "sports": "Sport",
    "tech": "Science & Tech",
    "technology": "Science & Tech",
}

Classifier = Callable[[Sequence["LabelledArticle"]], list[CategoryGuess]]


@dataclass(frozen=True, slots=True)
class LabelledArticle:
    headline: str
    text: str
    language: str
    category: str  # one of ours


@dataclass(frozen=True, slots=True)
class CategoryScore:
    articles: int
    accuracy: float
    macro_f1: float
    coverage: float
    accuracy_abstaining: float  # an article left without a category counts as wrong

    def as_dict(self) -> dict[str, float | int]:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in self._items()}

    def _items(self) -> list[tuple[str, float | int]]:
        return [(k, getattr(self, k)) for k in self.__slots__]


def read_masakhanews(path: Path, limit: int | None = None) -> list[LabelledArticle]:
    """A MasakhaNEWS TSV: category, headline, text, url (the url is never used)."""
    language = "fr" if "fra" in path.parent.name else "en"
    csv.field_size_limit(sys.maxsize)
    try:
        with gzip.open(path, "rt", encoding="utf-8", newline="") as rows:
            return [
                LabelledArticle(row["headline"], row["text"], language, label(row["category"]))
                for row in islice(csv.DictReader(rows, delimiter="\t"), limit)
            ]
    except (OSError, KeyError, csv.Error) as exc:
        raise InvalidInput(f"{path}: cannot read MasakhaNEWS articles ({exc})") from exc


def read_bbc_news(path: Path, limit: int | None = None) -> list[LabelledArticle]:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            records = [json.loads(line) for line in islice(lines, limit)]
        return [LabelledArticle(r["title"], r["body"], "en", label(r["category"])) for r in records]
    except (OSError, KeyError, ValueError) as exc:
        raise InvalidInput(f"{path}: cannot read BBC News articles ({exc})") from exc


def read_set(path: Path, limit: int | None) -> list[LabelledArticle]:
    return (read_bbc_news if path.suffixes[0] == ".jsonl" else read_masakhanews)(path, limit)


def label(dataset_label: str) -> str:
    try:
        return DATASET_LABELS[dataset_label.strip().lower()]
    except KeyError:
        raise InvalidInput(f"unknown dataset category {dataset_label!r}") from None


def classify_articles(articles: Sequence[LabelledArticle]) -> list[CategoryGuess]:
    model = load_category_model()
    return [model.guess(a.headline, a.text) for a in articles]


def score(
    articles: Sequence[LabelledArticle], guesses: Sequence[CategoryGuess], threshold: float
) -> CategoryScore:
    gold = [a.category for a in articles]
    best = [g.category for g in guesses]
    kept = [g.confidence >= threshold for g in guesses]
    right = [g == b for g, b in zip(gold, best, strict=True)]
    return CategoryScore(
        articles=len(gold),
        accuracy=sum(right) / len(gold),
        macro_f1=macro_f1(gold, best),
        coverage=sum(kept) / len(gold),
        accuracy_abstaining=sum(r and k for r, k in zip(right, kept, strict=True)) / len(gold),
    )


def macro_f1(gold: Sequence[str], guessed: Sequence[str]) -> float:
    """Mean F1 over the set's own classes (a guess outside them only costs precision)."""
    scores = []
    for category in sorted(set(gold)):
        tp = sum(g == b == category for g, b in zip(gold, guessed, strict=True))
        predicted, actual = guessed.count(category), gold.count(category)
        scores.append(2 * tp / (predicted + actual) if predicted + actual else 0.0)
    return sum(scores) / len(scores)


def baseline_classifier(data: Path) -> Classifier | None:
    """TF-IDF + linear SVM on the English dev split, or None without scikit-learn."""
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC
    except ImportError:
        return None
    train = read_masakhanews(data / MASAKHANEWS_EN_DEV)
    vectoriser = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2))
    model = LinearSVC(C=1.0).fit(
        vectoriser.fit_transform([f"{a.headline}\n{a.text}" for a in train]),
        [a.category for a in train],
    )

    def classify(articles: Sequence[LabelledArticle]) -> list[CategoryGuess]:
        texts = vectoriser.transform([f"{a.headline}\n{a.text}" for a in articles])
        return [CategoryGuess(str(c), 1.0) for c in model.predict(texts)]

    return classify


def evaluate_set(
    name: str, path: Path, limit: int | None, baseline: Classifier | None
) -> dict[str, Any]:
    articles = read_set(path, limit)
    threshold = load_category_model().threshold
    started = time.perf_counter()
    ours = score(articles, classify_articles(articles), threshold)
    speed = len(articles) / max(time.perf_counter() - started, 1e-9)
    click.echo(
        f"{name}: {ours.articles} articles, accuracy {ours.accuracy:.4f}, macro-F1"
        f" {ours.macro_f1:.4f}; coverage {ours.coverage:.3f} at confidence >= {threshold},"
        f" accuracy with abstentions wrong {ours.accuracy_abstaining:.4f};"
        f" {speed:.0f} articles/s"
    )
    result: dict[str, Any] = {**ours.as_dict(), "articles_per_second": round(speed, 1)}
    if baseline is not None:
        theirs = score(articles, baseline(articles), 0.0)
        click.echo(
            f"  baseline (TF-IDF + linear SVM, English dev only): accuracy"
            f" {theirs.accuracy:.4f}, macro-F1 {theirs.macro_f1:.4f}"
        )
        result["baseline"] = {
            "accuracy": round(theirs.accuracy, 4),
            "macro_f1": round(theirs.macro_f1, 4),
        }
    return result


@click.command("categories")
@click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("../shared/datasets"),
    show_default=True,
    help="Folder holding categories/ and multilingual/ (MasakhaNEWS, BBC News).",
)
@click.option("--limit", type=click.IntRange(min=1), help="Only the first N articles of a set.")
@click.option("--no-baseline", is_flag=True, help="Skip the TF-IDF baseline.")
def categories_command(data: Path, limit: int | None, no_baseline: bool) -> None:
    """Accuracy, macro-F1 and coverage of the category classifier."""
    started = time.perf_counter()
    missing = [str(data / p) for p in EVALUATION_SETS.values() if not (data / p).is_file()]
    if missing:
        raise click.BadParameter(f"{', '.join(missing)} missing", param_hint="--data")
    try:
        baseline = None if no_baseline else baseline_classifier(data)
        metrics: dict[str, Any] = {
            name: evaluate_set(name, data / path, limit, baseline)
            for name, path in EVALUATION_SETS.items()
        }
    except InvalidInput as exc:
        raise click.ClickException(str(exc)) from exc
    metrics["threshold"] = load_category_model().threshold
    metrics["seconds"] = round(time.perf_counter() - started, 1)
    click.echo(f"total {metrics['seconds']}s")
    click.echo(json.dumps(metrics, ensure_ascii=False))
