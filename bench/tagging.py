"""Tagging speed: language detection + ``Tagger.tag`` over articles of typical length.

The articles are the human-checked bodies of the extraction benchmark's pages
(``<data>/extraction``, read at run time), those of 600-800 words, longer ones cut to about
700 words at a sentence end. Without that folder, the demo sample's articles (our own
writing) are joined, within one language, to that length.

The articles are tagged as the pipeline tags them: each article's language detected, then
``Tagger.tag``, one article at a time; ``--batch N`` tags batches of N articles (a feed's new
entries) through ``Tagger.tag_many`` instead, which gives the same tags.

Measurements, each after its models are loaded and warmed up:
- this process, with every stage timed by wrappers installed here (nothing in ``src``):
  articles/s and each stage's share of the time;
- one run per ``--processes`` count: that many fresh processes, each loading its own models
  and tagging its share of the articles, timed from all loaded to all done, with each
  process's CPU seconds and peak RSS.

Other work on the machine slows the wall clock far more than the CPU clock, so each run
also gives its rate from CPU time: the articles over the CPU seconds of its busiest
process, what the run would reach with a core to each process ("cpu art/s"); "busy s" is
what the whole machine spent meanwhile. The last line says whether the run with as many
processes as cores reaches the target, by each clock. A table goes to stdout, then one
JSON line.

    .venv/bin/python bench/tagging.py
    .venv/bin/python bench/tagging.py --articles 600 --processes 1,2 --batch 16
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import multiprocessing
import os
import platform
import re
import resource
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lxml.html

from tagwire.enrich import entities, gazetteer, tagging
from tagwire.enrich.language import detect_language
from tagwire.enrich.tagging import ArticleText, Tagger
from tagwire.evaluate.tags import build_tagger, warm_up
from tagwire.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "datasets"
DEMO_SAMPLE = ROOT / "src" / "tagwire" / "demo" / "sample.json"
MIN_WORDS, TARGET_WORDS, MAX_WORDS = 600, 700, 800
TARGET_ARTICLES_PER_S = 30.0
WARM_ARTICLES = 5  # tagged untimed after the models load: first-call costs are not per-article
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)]*(?=\s)")

# Stage name -> what the table calls it. "ner" includes picking the stretches NER reads;
# "other" is Tagger.tag_many's own code (masking the outlet, matching names against
# aliases) less every stage it calls.
STAGES = {
    "language": "language detection (py3langid)",
    "ner": "spaCy NER (EntityRecognizer.entities_many)",
    "gazetteer": "gazetteer: Aho-Corasick find + acronyms",
    "names": "names: entity parts, capitalised phrases, clean names",
    "ranking": "ranking (salience.rank)",
    "other": "other (Tagger glue)",
}


@dataclass(frozen=True, slots=True)
class BenchArticle:
    title: str
    text: str
    outlet: str | None
    words: int
    language: str | None


# --- articles ---------------------------------------------------------------------------------


def load_articles(data: Path) -> tuple[str, list[BenchArticle]]:
    folder = data / "extraction"
    if (folder / "ground-truth.json").exists():
        return str(folder), extraction_articles(folder)
    return str(DEMO_SAMPLE), demo_articles(DEMO_SAMPLE)


def extraction_articles(folder: Path) -> list[BenchArticle]:
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    articles = []
    for page_id, entry in sorted(truth.items()):
        text = typical_length(entry["articleBody"])
        if text is not None:
            title, outlet = page_heading(folder / "html" / f"{page_id}.html.gz")
            articles.append(bench_article(title, text, outlet))
    return articles


def typical_length(text: str) -> str | None:
    """``text`` when it has 600-800 words; cut at the sentence end nearest 700 words when
    longer; ``None`` when shorter, or when no sentence ends within 600-800 words."""
    words = len(text.split())
    if words < MIN_WORDS:
        return None
    if words <= MAX_WORDS:
        return text
    best: tuple[int, int] | None = None  # (distance from the target, end)
    for match in _SENTENCE_END.finditer(text):
        count = len(text[: match.end()].split())
        if count > MAX_WORDS:
            break
        if count >= MIN_WORDS and (best is None or abs(count - TARGET_WORDS) < best[0]):
            best = (abs(count - TARGET_WORDS), match.end())
    return text[: best[1]] if best else None


def page_heading(path: Path) -> tuple[str, str | None]:
    """The page's <title> and its og:site_name (the outlet), when the page is there."""
    if not path.exists():
        return "", None
    page = lxml.html.fromstring(gzip.decompress(path.read_bytes()))
    title = " ".join((page.findtext(".//title") or "").split())
    site = page.xpath("string(//meta[@property='og:site_name']/@content)").strip()
    return title, site or None


def demo_articles(path: Path) -> list[BenchArticle]:
    """The demo's articles joined in order, within one language, to 600-800 words."""
    sample = json.loads(path.read_text(encoding="utf-8"))
    outlets = {o["key"]: o for o in sample["outlets"]}
    by_language: dict[str, list[dict[str, Any]]] = {}
    for item in sample["articles"]:
        by_language.setdefault(outlets[item["outlet"]]["language"], []).append(item)
    articles = []
    for items in by_language.values():
        for title, outlet, paragraphs in joined(items, outlets):
            text = typical_length("\n".join(paragraphs))
            if text is not None:
                articles.append(bench_article(title, text, outlet))
    return articles


def joined(
    items: list[dict[str, Any]], outlets: dict[str, dict[str, Any]]
) -> Iterator[tuple[str, str, list[str]]]:
    """(first title, its outlet, paragraphs) of runs of articles of at least 700 words."""
    paragraphs: list[str] = []
    first: dict[str, Any] | None = None
    for item in items:
        first = first or item
        paragraphs += item["paragraphs"]
        if len(" ".join(paragraphs).split()) >= TARGET_WORDS:
            yield first["title"], outlets[first["outlet"]]["name"], paragraphs
            paragraphs, first = [], None


def bench_article(title: str, text: str, outlet: str | None) -> BenchArticle:
    return BenchArticle(title, text, outlet, len(text.split()), detect_language(text))


def workload(articles: list[BenchArticle], count: int | None) -> list[BenchArticle]:
    """``count`` articles, going round the set as often as needed (all once when None)."""
    if count is None:
        return list(articles)
    return [articles[i % len(articles)] for i in range(count)]


# --- tagging ----------------------------------------------------------------------------------


def tag_articles(tagger: Tagger, articles: list[BenchArticle], batch: int) -> int:
    """The tagging stage as the pipeline runs it, ``batch`` articles at a time; the number
    of tags."""
    tags = 0
    for i in range(0, len(articles), batch):
        texts = [
            ArticleText(a.title, a.text, detect_language(a.text), a.outlet)
            for a in articles[i : i + batch]
        ]
        if batch == 1:
            t = texts[0]
            tags += len(tagger.tag(t.title, t.text, t.language, t.outlet))
        else:
            tags += sum(len(tagged) for tagged in tagger.tag_many(texts))
    return tags


def loaded_tagger(languages: set[str]) -> tuple[Tagger, float]:
    """The evaluation's tagger (bundled gazetteer, settings from the environment) with its
    models loaded, and the seconds that took."""
    started = time.perf_counter()
    tagger = build_tagger(Settings.from_env())
    warm_up(tagger, sorted(languages) or ["en"])
    return tagger, time.perf_counter() - started


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (all cores, /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


# --- stage clock ------------------------------------------------------------------------------


class StageClock:
    """Exclusive seconds per stage: a stage's time less that of the stages it calls."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self._inner: list[float] = []  # per open stage: seconds spent in stages it called

    def wrap(self, stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._inner.append(0.0)
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                self.seconds[stage] += elapsed - self._inner.pop()
                if self._inner:
                    self._inner[-1] += elapsed

        return timed


def install_clock(clock: StageClock) -> Callable[[], None]:
    """Wrap the stages' functions in ``clock``; returns what puts them back."""

    def find_all(self: gazetteer.Gazetteer, text: str, language: str | None = None) -> Any:
        return iter(list(original_find(self, text, language)))  # a generator: run it here

    original_find = gazetteer.Gazetteer.find
    patches: list[tuple[Any, str, str, Callable[..., Any]]] = [
        (tagging.Tagger, "tag_many", "other", tagging.Tagger.tag_many),
        (
            entities.EntityRecognizer,
            "entities_many",
            "ner",
            entities.EntityRecognizer.entities_many,
        ),
        (gazetteer.Gazetteer, "find", "gazetteer", find_all),
        (tagging, "acronym_gazetteer", "gazetteer", tagging.acronym_gazetteer),
        (tagging.Tagger, "names", "names", tagging.Tagger.names),
        (tagging.Tagger, "name_mention", "names", tagging.Tagger.name_mention),
        (tagging, "merge_short_names", "names", tagging.merge_short_names),
        (tagging, "rank", "ranking", tagging.rank),
        (sys.modules[__name__], "detect_language", "language", detect_language),
    ]
    saved = [(target, name, getattr(target, name)) for target, name, _, _ in patches]
    for target, name, stage, function in patches:
        setattr(target, name, clock.wrap(stage, function))

    def restore() -> None:
        for target, name, function in saved:
            setattr(target, name, function)

    return restore


def run_timed(articles: list[BenchArticle], languages: set[str], batch: int) -> dict[str, Any]:
    """Tag ``articles`` in this process with the stage clock on."""
    tagger, load_seconds = loaded_tagger(languages)
    tag_articles(tagger, articles[:WARM_ARTICLES], batch)
    clock = StageClock()
    restore = install_clock(clock)
    busy = machine_busy_seconds()
    cpu, started = time.process_time(), time.perf_counter()
    try:
        tags = tag_articles(tagger, articles, batch)
    finally:
        seconds = time.perf_counter() - started
        restore()
    cpu = time.process_time() - cpu
    return {
        "load_seconds": round(load_seconds, 2),
        "articles": len(articles),
        "seconds": round(seconds, 2),
        "articles_per_second": round(len(articles) / seconds, 1),
        "cpu_seconds": round(cpu, 2),
        "cpu_seconds_per_article": round(cpu / len(articles), 4),
        "machine_busy_seconds": round(machine_busy_seconds() - busy, 2),
        "tags_per_article": round(tags / len(articles), 1),
        "stages": stage_shares(clock.seconds, seconds),
        "ner_words_per_second": round(
            sum(a.words for a in articles) / clock.seconds["ner"] if clock.seconds["ner"] else 0
        ),
        "peak_rss_mb": round(peak_rss_mb()),
    }


def stage_shares(seconds: Mapping[str, float], total: float) -> dict[str, dict[str, float]]:
    return {
        stage: {"seconds": round(seconds[stage], 3), "share": round(seconds[stage] / total, 3)}
        for stage in STAGES
    }


# --- processes --------------------------------------------------------------------------------


def tag_share(
    articles: list[BenchArticle], languages: set[str], batch: int, barrier: Any, results: Any
) -> None:
    """One worker process: load, wait for the others, tag, report."""
    tagger, load_seconds = loaded_tagger(languages)
    tag_articles(tagger, articles[:WARM_ARTICLES], batch)
    barrier.wait()
    cpu, started = time.process_time(), time.perf_counter()
    tag_articles(tagger, articles, batch)
    results.put(
        {
            "articles": len(articles),
            "seconds": round(time.perf_counter() - started, 2),
            "cpu_seconds": round(time.process_time() - cpu, 2),
            "load_seconds": round(load_seconds, 2),
            "peak_rss_mb": round(peak_rss_mb()),
        }
    )


def run_processes(
    articles: list[BenchArticle], languages: set[str], count: int, batch: int
) -> dict[str, Any]:
    """``count`` fresh processes share ``articles``; wall time from all loaded to all done,
    and the rate from CPU time: the articles over the CPU seconds of the busiest process."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(count + 1), context.Queue()
    workers = [
        context.Process(
            target=tag_share, args=(articles[i::count], languages, batch, barrier, results)
        )
        for i in range(count)
    ]
    for worker in workers:
        worker.start()
    barrier.wait()
    busy, started = machine_busy_seconds(), time.perf_counter()
    reports = [results.get() for _ in workers]
    seconds = time.perf_counter() - started
    busy = machine_busy_seconds() - busy
    for worker in workers:
        worker.join()
    cpu = sum(r["cpu_seconds"] for r in reports)
    return {
        "processes": count,
        "articles": len(articles),
        "seconds": round(seconds, 2),
        "articles_per_second": round(len(articles) / seconds, 1),
        "cpu_seconds_per_article": round(cpu / len(articles), 4),
        "cpu_articles_per_second": round(len(articles) / max(r["cpu_seconds"] for r in reports), 1),
        "machine_busy_seconds": round(busy, 2),
        "workers": reports,
    }


# --- report -----------------------------------------------------------------------------------


def describe(source: str, articles: list[BenchArticle]) -> dict[str, Any]:
    words = [a.words for a in articles]
    return {
        "source": source,
        "count": len(articles),
        "mean_words": round(statistics.mean(words)),
        "min_words": min(words),
        "max_words": max(words),
        "languages": dict(Counter(a.language or "?" for a in articles).most_common()),
    }


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {"cores": os.cpu_count(), "cpu": cpu, "python": platform.python_version()}


def print_report(summary: dict[str, Any]) -> None:
    a, single = summary["article_set"], summary["single"]
    languages = ", ".join(f"{k} {v}" for k, v in a["languages"].items())
    print(f"articles: {a['count']} from {a['source']}")
    print(f"  words: mean {a['mean_words']}, {a['min_words']}-{a['max_words']}")
    print(f"  languages: {languages}")
    print(f"machine: {summary['machine']['cores']} cores, {summary['machine']['cpu']}")
    print(f"model load + warm-up: {single['load_seconds']:.1f} s")
    print()
    print(f"this process, stages timed ({single['articles']} articles, {single['seconds']} s):")
    for stage, label in STAGES.items():
        s = single["stages"][stage]
        print(f"  {label:56} {s['seconds']:7.2f} s {s['share']:6.1%}")
    print(f"  {'whole stage':56} {single['seconds']:7.2f} s  {single['articles_per_second']} art/s")
    print(
        f"  CPU {single['cpu_seconds_per_article'] * 1000:.1f} ms/article;"
        f" NER: {single['ner_words_per_second']} words/s; peak RSS {single['peak_rss_mb']} MB"
    )
    print()
    head = (
        f"{'processes':>9} {'articles':>8} {'wall s':>7} {'art/s':>6} {'cpu ms/art':>10}"
        f" {'cpu art/s':>9} {'busy s':>7}  per process"
    )
    print(head)
    print("-" * len(head))
    for run in summary["processes"]:
        workers = "; ".join(
            f"cpu {w['cpu_seconds']} s, load {w['load_seconds']} s, RSS {w['peak_rss_mb']} MB"
            for w in run["workers"]
        )
        print(
            f"{run['processes']:9d} {run['articles']:8d} {run['seconds']:7.2f}"
            f" {run['articles_per_second']:6.1f} {run['cpu_seconds_per_article'] * 1000:10.1f}"
            f" {run['cpu_articles_per_second']:9.1f} {run['machine_busy_seconds']:7.1f}  {workers}"
        )
    print()
    met = summary["target_met"]
    print(
        f"target {TARGET_ARTICLES_PER_S:.0f} art/s with every core ({summary['batch']} a batch):"
        f" wall clock {met['wall']}, CPU time {met['cpu']}"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared datasets folder")
    parser.add_argument(
        "--articles", type=int, default=300, help="articles per run (round the set; 0: once)"
    )
    parser.add_argument(
        "--processes",
        type=lambda s: [int(n) for n in s.split(",")],
        default=[1, 2],
        help="process counts, e.g. 1,2",
    )
    parser.add_argument(
        "--batch", type=int, default=1, help="articles a Tagger.tag_many call (1: Tagger.tag)"
    )
    args = parser.parse_args(argv)
    if args.articles < 0 or any(n < 1 for n in args.processes) or args.batch < 1:
        parser.error("--articles >= 0, --processes >= 1, --batch >= 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    source, found = load_articles(args.data)
    if not found:
        sys.exit(f"bench: no article of {MIN_WORDS}-{MAX_WORDS} words in {source}")
    articles = workload(found, args.articles or None)
    languages = {a.language for a in found if a.language}
    single = run_timed(articles, languages, args.batch)
    runs = [run_processes(articles, languages, n, args.batch) for n in args.processes]
    every_core = [r for r in runs if r["processes"] == os.cpu_count()] or runs
    summary = {
        "bench": "tagwire-tagging",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "article_set": describe(source, found),
        "single": single,
        "processes": runs,
        "batch": args.batch,
        "target_articles_per_second": TARGET_ARTICLES_PER_S,
        "target_met": {
            clock: max(r[key] for r in every_core) >= TARGET_ARTICLES_PER_S
            for clock, key in (("wall", "articles_per_second"), ("cpu", "cpu_articles_per_second"))
        },
    }
    print_report(summary)
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
