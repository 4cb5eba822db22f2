"""``tagwire eval extraction``: article-body extraction on the Article Extraction Benchmark
(181 pages with a checked body), scored with the benchmark's own metric.

The metric, as its README describes it: ``\\w+`` tokens; multisets of 4-token shingles of
truth and prediction; per page TP, FP and FN (multiset overlap, excess, shortfall),
normalised so every page weighs the same; precision and recall are means over pages, F1
the harmonic mean of those means; accuracy the share of pages whose token lists are equal.

tagwire is scored on what it stores (extraction, then the headline line removed), next to
trafilatura alone with ``favor_precision=True``, measured in the same run.
"""

from __future__ import annotations

import gzip
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import trafilatura

from tagwire.drafts import strip_headline
from tagwire.errors import ExtractError, InvalidInput
from tagwire.extract import extract_page

_TOKEN = re.compile(r"\w+")
SHINGLE = 4

Extractor = Callable[[bytes, str], str]


@dataclass(frozen=True, slots=True)
class Page:
    id: str
    url: str
    html: bytes
    truth: str


@dataclass(frozen=True, slots=True)
class Score:
    precision: float
    recall: float
    f1: float
    accuracy: float
    pages_per_second: float

    def as_dict(self) -> dict[str, float]:
        return {k: round(getattr(self, k), 4) for k in self.__slots__}


def load_pages(folder: Path, limit: int | None = None) -> list[Page]:
    truth_file = folder / "ground-truth.json"
    if not truth_file.is_file():
        raise InvalidInput(f"no ground-truth.json in {folder}")
    truth: dict[str, Any] = json.loads(truth_file.read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth)[:limit]:
        html = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes())
        pages.append(
            Page(page_id, truth[page_id].get("url", ""), html, truth[page_id]["articleBody"])
        )
    return pages


def tagwire_body(html: bytes, url: str) -> str:
    try:
        page = extract_page(html, url=url, content_type="text/html; charset=utf-8")
    except ExtractError:
        return ""
    return strip_headline(page.text, page.title or "")


def trafilatura_body(html: bytes, url: str) -> str:
    # The peer as the benchmark's 0.964 was measured: precision mode, no comments.
    return trafilatura.extract(html, url=url, favor_precision=True, include_comments=False) or ""


def shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text)
    if len(tokens) < SHINGLE:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i : i + SHINGLE]) for i in range(len(tokens) - SHINGLE + 1))


def page_counts(truth: str, predicted: str) -> tuple[float, float, float]:
    """TP, FP, FN of one page, normalised to sum to 1."""
    expected, got = shingles(truth), shingles(predicted)
    tp = sum((expected & got).values())
    fp = sum((got - expected).values())
    fn = sum((expected - got).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def score(pages: list[Page], extractor: Extractor) -> Score:
    started = time.perf_counter()
    predictions = [extractor(p.html, p.url) for p in pages]
    seconds = time.perf_counter() - started
    precisions, recalls, exact = [], [], 0
    for page, predicted in zip(pages, predictions, strict=True):
        tp, fp, fn = page_counts(page.truth, predicted)
        if fp == fn == 0:
            precisions.append(1.0)
            recalls.append(1.0)
        else:
            if tp + fp > 0:
                precisions.append(tp / (tp + fp))
            if tp + fn > 0:
                recalls.append(tp / (tp + fn))
        exact += _TOKEN.findall(page.truth) == _TOKEN.findall(predicted)
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(precision, recall, f1, exact / len(pages), len(pages) / seconds)


@click.command("extraction")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path),
    default=Path("../shared/datasets"),
    show_default=True,
    help="Folder holding extraction/ (html/ and ground-truth.json).",
)
@click.option("--limit", type=int, help="Only the first N pages.")
def extraction_command(data_dir: Path, limit: int | None) -> None:
    """Article-body F1 on the extraction benchmark, tagwire next to trafilatura alone."""
    try:
        pages = load_pages(data_dir / "extraction", limit)
    except InvalidInput as exc:
        raise click.UsageError(str(exc)) from None
    results = {"pages": len(pages)}
    for name, extractor in (("tagwire", tagwire_body), ("trafilatura", trafilatura_body)):
        result = score(pages, extractor)
        click.echo(
            f"{name:12} F1 {result.f1:.3f}  P {result.precision:.3f}  R {result.recall:.3f}"
            f"  exact {result.accuracy:.3f}  {result.pages_per_second:.1f} pages/s"
        )
        results[name] = result.as_dict()  # type: ignore[assignment]
    click.echo(json.dumps(results))
