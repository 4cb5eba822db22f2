"""``tagwire eval``: score tagwire on labelled data, print readable lines, then one line of
JSON with every metric (the last line, for scripts and CI).

The top-level ``tagwire`` group registers ``eval_group``; run alone, it reads the settings
from the environment itself.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click

from tagwire.enrich.entities import load_ner
from tagwire.enrich.tagging import Tagger
from tagwire.errors import ConfigError, TagwireError
from tagwire.evaluate import datasets
from tagwire.evaluate.tags import (
    Counts,
    EntityScore,
    build_tagger,
    per_second,
    score_entities,
    score_keyphrases,
    spacy_predictions,
    tag_seed,
    tagger_predictions,
    warm_up,
)
from tagwire.settings import Settings

KEYPHRASE_SETS = {"wikinews_fr": datasets.WIKINEWS_FR, "kpcrowd_en": datasets.KPCROWD_EN}


@click.group("eval")
def eval_group() -> None:
    """Measure tagwire's quality on labelled data."""


@eval_group.command("tags")
@click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("../shared/datasets"),
    show_default=True,
    help="Folder holding tags/ (CoNLL-2003 and the keyphrase sets).",
)
@click.option(
    "--seed",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Saved tag page whose articles are tagged. [default: DIR/../seed/latest-news-azawad.txt]",
)
@click.option(
    "--split",
    type=click.Choice(sorted(datasets.CONLL_SPLITS)),
    default="test",
    show_default=True,
    help="CoNLL-2003 split: tune rules on dev, run test only to report.",
)
@click.option("--limit", type=click.IntRange(min=1), help="Only the first N documents of a set.")
@click.pass_context
def tags(ctx: click.Context, data: Path, seed: Path | None, split: str, limit: int | None) -> None:
    """Entity-set P/R/F1 on CoNLL-2003, precision@5 on keyphrases, the seed's tags."""
    started = time.perf_counter()
    settings = current_settings(ctx)
    conll = data / datasets.CONLL_SPLITS[split]
    if not conll.is_file():
        raise click.BadParameter(f"{conll} is missing", param_hint="--data")
    try:
        tagger = build_tagger(settings)
        warm_up(tagger, ["en", "fr"])
        model = settings.spacy_model_en
        metrics: dict[str, Any] = {
            f"conll2003_en_{split}": evaluate_conll(tagger, model, conll, split, limit)
        }
        for name, path in KEYPHRASE_SETS.items():
            metrics[name] = evaluate_keyphrases(tagger, name, data / path, limit)
        metrics["seed"] = evaluate_seed(tagger, seed or data / datasets.SEED, seed is None)
    except TagwireError as exc:
        raise click.ClickException(str(exc)) from exc
    metrics["seconds"] = round(time.perf_counter() - started, 1)
    click.echo(f"total {metrics['seconds']}s")
    click.echo(json.dumps(metrics, ensure_ascii=False))


def current_settings(ctx: click.Context) -> Settings:
    """The settings of the ``tagwire`` group when registered there, else the environment's."""
    settings = getattr(ctx.obj, "settings", None)
    if isinstance(settings, Settings):
        return settings
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


def evaluate_conll(
    tagger: Tagger, model: str, path: Path, split: str, limit: int | None
) -> dict[str, Any]:
    """tagwire's candidates and, as the baseline, the ``model`` NER alone."""
    documents = datasets.read_conll_documents(path, limit)
    click.echo(f"conll2003-en {split}: {len(documents)} documents, entity sets")
    ours = score_entities(tagger_predictions(tagger), documents)
    spacy = score_entities(spacy_predictions(load_ner(model)), documents)
    cleaned = score_entities(spacy_predictions(load_ner(model), clean=True), documents)
    click.echo(f"  tagwire  {counts_line(ours.counts)}  (candidates, before threshold and cap)")
    click.echo(f"  spaCy    {counts_line(spacy.counts)}  ({model}, raw entities)")
    click.echo(f"  spaCy    {counts_line(cleaned.counts)}  ({model}, entities through clean_name)")
    click.echo(f"  tagging  {rate(ours, len(documents)):.1f} articles/s")
    return {
        "documents": len(documents),
        "tagwire": counts_json(ours.counts),
        "spacy": counts_json(spacy.counts),
        "spacy_clean_name": counts_json(cleaned.counts),
        "spacy_model": model,
        "articles_per_second": round(rate(ours, len(documents)), 1),
        "spacy_articles_per_second": round(rate(spacy, len(documents)), 1),
    }


def evaluate_keyphrases(
    tagger: Tagger, name: str, path: Path, limit: int | None
) -> dict[str, Any] | None:
    if not path.is_file():
        click.echo(f"{name}: skipped, {path} is missing")
        return None
    documents = datasets.read_keyphrase_documents(path, limit)
    score = score_keyphrases(tagger, documents)
    speed = per_second(score.documents, score.seconds)
    click.echo(
        f"{name}: {score.documents} documents, P@5 {score.precision_at_5:.3f}"
        f" ({score.right}/{score.returned} tags; {score.precision_at_5_strict:.3f} over 5 a"
        f" document), tagging {speed:.1f} articles/s"
    )
    return {
        "documents": score.documents,
        "precision_at_5": round(score.precision_at_5, 4),
        "precision_at_5_strict": round(score.precision_at_5_strict, 4),
        "tags_returned": score.returned,
        "tags_right": score.right,
        "articles_per_second": round(speed, 1),
    }


def evaluate_seed(tagger: Tagger, path: Path, optional: bool) -> dict[str, Any] | None:
    if optional and not path.is_file():
        click.echo(f"seed: skipped, {path} is missing")
        return None
    tagged, seconds = tag_seed(tagger, datasets.read_seed(path))
    click.echo(f"seed: {len(tagged)} articles")
    articles = []
    for item in tagged:
        click.echo(f"  {item.article.headline} ({item.article.outlet}, {item.language})")
        for tag in item.tags:
            click.echo(f"    #{tag.label:<28} {tag.kind:<13} {tag.salience:.3f}")
        articles.append(
            {
                "outlet": item.article.outlet,
                "headline": item.article.headline,
                "language": item.language,
                "tags": [
                    {"label": t.label, "kind": t.kind, "salience": t.salience} for t in item.tags
                ],
            }
        )
    return {"articles": articles, "articles_per_second": round(per_second(len(tagged), seconds), 1)}


def counts_line(counts: Counts) -> str:
    return f"P {counts.precision:.3f}  R {counts.recall:.3f}  F1 {counts.f1:.3f}"


def counts_json(counts: Counts) -> dict[str, float | int]:
    return {
        "precision": round(counts.precision, 4),
        "recall": round(counts.recall, 4),
        "f1": round(counts.f1, 4),
        "predicted": counts.predicted,
        "predicted_right": counts.right,
        "gold": counts.gold,
        "gold_found": counts.found,
    }


def rate(score: EntityScore, documents: int) -> float:
    return per_second(documents, score.seconds)


def _add_evaluators() -> None:
    """The other evaluators, each in its own module (they import ``current_settings`` from
    this one, so they are added once it is defined)."""
    from tagwire.evaluate.categories import categories_command
    from tagwire.evaluate.extraction import extraction_command
    from tagwire.evaluate.stories import stories_command

    for command in (categories_command, extraction_command, stories_command):
        eval_group.add_command(command)


_add_evaluators()
