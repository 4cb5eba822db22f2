"""Build ``src/tagwire/enrich/data/categories.npz``, the category classifier's weights.

Trains only on the dev splits of MasakhaNEWS English and French (AFL-3.0), never on a test
split and never on BBC News (research-only, evaluation only). The regularisation and the
confidence threshold are chosen by stratified 5-fold cross-validation on those dev splits.

    pip install -e '.[train]'
    python scripts/train_categories.py --data ../shared/datasets          # train and save
    python scripts/train_categories.py --data ../shared/datasets --cv     # choose C first
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from tagwire.enrich.classify import (
    MODEL_FILE,
    ArticleFeatures,
    CategoryModel,
    article_features,
    load_category_words,
)
from tagwire.evaluate.categories import TRAINING_SETS, LabelledArticle, read_masakhanews

OUTPUT = Path(__file__).resolve().parents[1] / "src" / "tagwire" / "enrich" / MODEL_FILE
MIN_DF = 2
LEXICON_SCALE = 3.0
C_GRID = (3.0, 10.0, 30.0, 100.0)
C_CHOSEN = 10.0  # from --cv on the dev splits (README, "Quality")
PRECISION_WANTED = 0.95  # the threshold keeps guesses at least this often right in CV


@dataclass(frozen=True, slots=True)
class Example:
    features: ArticleFeatures
    category: str
    language: str


def examples(articles: list[LabelledArticle]) -> list[Example]:
    return [Example(article_features(a.headline, a.text), a.category, a.language) for a in articles]


def fit(train: list[Example], c: float, threshold: float = 0.0) -> CategoryModel:
    """Logistic regression on the features seen in at least ``MIN_DF`` articles."""
    df: dict[int, int] = {}
    for example in train:
        for key in example.features.ids.tolist():
            df[key] = df.get(key, 0) + 1
    ids = np.array(sorted(k for k, n in df.items() if n >= MIN_DF), dtype=np.int64)
    idf = np.log((1 + len(train)) / (1 + np.array([df[k] for k in ids.tolist()]))) + 1
    categories = tuple(sorted({e.category for e in train}))
    lexicon = len(load_category_words().categories)
    empty = CategoryModel(
        categories,
        ids,
        idf,
        np.zeros((len(ids), len(categories))),
        np.zeros((lexicon, len(categories))),
        LEXICON_SCALE,
        np.zeros(len(categories)),
        threshold,
    )
    matrix = sparse.vstack([design_row(empty, e.features) for e in train]).tocsr()
    labels = [e.category for e in train]
    model = LogisticRegression(C=c, max_iter=5000).fit(matrix, labels)
    assert tuple(model.classes_) == categories
    coef = model.coef_.T
    return CategoryModel(
        categories,
        ids,
        idf.astype(np.float32),
        coef[: len(ids)].astype(np.float16),
        coef[len(ids) :].astype(np.float32),
        LEXICON_SCALE,
        model.intercept_.astype(np.float32),
        threshold,
    )


def design_row(model: CategoryModel, features: ArticleFeatures) -> sparse.csr_matrix:
    """One article as the model sees it: tf-idf of known features, then word-list shares."""
    rows, values = model.known_features(features)
    width = len(model.feature_ids) + len(features.lexicon)
    columns = np.concatenate([rows, len(model.feature_ids) + np.arange(len(features.lexicon))])
    data = np.concatenate([values, features.lexicon * model.lexicon_scale])
    return sparse.csr_matrix((data, (np.zeros(len(columns)), columns)), shape=(1, width))


def cross_validate(data: list[Example], c: float) -> list[tuple[str, str, str, float]]:
    """(language, gold, guess, confidence) for every dev article, from 5 folds."""
    strata = [f"{e.category}|{e.language}" for e in data]
    out: list[tuple[str, str, str, float]] = []
    for train, held in StratifiedKFold(5, shuffle=True, random_state=0).split(data, strata):
        model = fit([data[i] for i in train], c)
        for i in held:
            p = model.probabilities(data[i].features)
            best = int(np.argmax(p))
            out.append((data[i].language, data[i].category, model.categories[best], p[best]))
    return out


def choose_threshold(results: list[tuple[str, str, str, float]]) -> float:
    """The lowest confidence above which cross-validated guesses are right often enough."""
    for threshold in np.arange(0.0, 1.0, 0.01):
        kept = [gold == guess for _, gold, guess, conf in results if conf >= threshold]
        if kept and sum(kept) / len(kept) >= PRECISION_WANTED:
            return round(float(threshold), 2)
    return 0.99


def report(c: float, results: list[tuple[str, str, str, float]], threshold: float) -> None:
    for language in ("en", "fr"):
        rows = [r for r in results if r[0] == language]
        right = sum(gold == guess for _, gold, guess, _ in rows)
        kept = [gold == guess for _, gold, guess, conf in rows if conf >= threshold]
        print(
            f"C={c:<6} {language}: accuracy {right / len(rows):.4f}  coverage at"
            f" {threshold:.2f} {len(kept) / len(rows):.3f}, accuracy kept"
            f" {sum(kept) / max(len(kept), 1):.4f}"
        )


def save(model: CategoryModel, path: Path) -> None:
    np.savez_compressed(
        path,
        categories=np.array(json.dumps(model.categories)),
        feature_ids=model.feature_ids,
        idf=model.idf.astype(np.float32),
        weights=model.weights.astype(np.float16),
        lexicon_weights=model.lexicon_weights.astype(np.float32),
        lexicon_scale=np.array(model.lexicon_scale),
        bias=model.bias.astype(np.float32),
        threshold=np.array(model.threshold),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--cv", action="store_true", help="Cross-validate every C of the grid.")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    data = examples([a for path in TRAINING_SETS for a in read_masakhanews(args.data / path)])
    print(f"{len(data)} dev articles ({', '.join(str(p) for p in TRAINING_SETS)})")
    for c in C_GRID if args.cv else (C_CHOSEN,):
        results = cross_validate(data, c)
        threshold = choose_threshold(results)
        report(c, results, threshold)
    if args.cv:
        return 0
    model = fit(data, C_CHOSEN, threshold)
    save(model, args.output)
    print(f"saved {args.output} ({args.output.stat().st_size / 1e6:.1f} MB, threshold {threshold})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
