"""Category classifier: an article's headline and text -> a category with a confidence.

Used when the publisher gives no section that maps onto the taxonomy. A linear model
(multinomial logistic regression) over three blocks of features, each scaled to unit
length: hashed word unigrams and bigrams, hashed character 3-5-grams of each word (shared
by English and French, and robust to inflection), and the share of the article's words in
tagwire's own per-category word lists (``data/category_words.json``), the same feature
in both languages. The headline counts twice.

The weights ship in ``data/categories.npz``, built by ``scripts/train_categories.py``;
only numpy is needed here. Features are hashed with CRC-32, so no vocabulary is stored.
"""

from __future__ import annotations

import json
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from itertools import pairwise

import numpy as np

from tagwire.enrich.names import strip_accents

WORD_BUCKETS = 1 << 20
CHAR_BUCKETS = 1 << 20
CHAR_GRAMS = (3, 4, 5)
HEADLINE_WEIGHT = 2
TEXT_CHARS = 6000  # the opening carries the topic; the rest costs time, not accuracy
MODEL_FILE = "data/categories.npz"
WORDS_FILE = "data/category_words.json"
_TOKEN = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


@dataclass(frozen=True, slots=True)
class CategoryGuess:
    """The classifier's best category and its probability."""

    category: str
    confidence: float


@dataclass(frozen=True, slots=True)
class ArticleFeatures:
    """Hashed feature ids with their weights (one unit-length block each) and word-list
    shares, one per category of ``CategoryWords.categories``."""

    ids: np.ndarray
    values: np.ndarray
    lexicon: np.ndarray


def fold(text: str) -> str:
    return strip_accents(text.lower())


def article_words(title: str, text: str) -> list[str]:
    headline = _TOKEN.findall(fold(title))
    body = _TOKEN.findall(fold(text[:TEXT_CHARS]))
    return headline * HEADLINE_WEIGHT + body


def _hashed(grams: Counter[str], offset: int, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """The grams' buckets (sorted) with their summed sublinear counts."""
    keys = np.fromiter((_crc(gram) for gram in grams), np.int64, len(grams)) % buckets + offset
    weights = 1.0 + np.log(np.fromiter(grams.values(), float, len(grams)))
    ids, inverse = np.unique(keys, return_inverse=True)
    return ids, np.bincount(inverse, weights=weights)


@lru_cache(maxsize=1 << 18)
def _crc(gram: str) -> int:
    """A gram's hash; news reuses its words, so most grams were hashed before."""
    return zlib.crc32(gram.encode())


def word_grams(words: Sequence[str]) -> Counter[str]:
    grams = Counter(words)
    grams.update(f"{a} {b}" for a, b in pairwise(words))
    return grams


def char_block(words: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
    """Hashed character n-grams of the words with their sublinear counts, summed per
    bucket in numpy: each distinct word's grams are hashed once per process."""
    counts = Counter(words)
    if not counts:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    keys = [word_char_keys(word) for word in counts]
    weights = np.repeat(np.fromiter(counts.values(), float, len(counts)), [len(k) for k in keys])
    ids, inverse = np.unique(np.concatenate(keys), return_inverse=True)
    return ids, 1.0 + np.log(np.bincount(inverse, weights=weights))


@lru_cache(maxsize=1 << 16)
def word_char_keys(word: str) -> np.ndarray:
    padded = f" {word} "
    grams = [padded[i : i + n] for n in CHAR_GRAMS for i in range(len(padded) - n + 1)]
    return np.fromiter(
        (WORD_BUCKETS + zlib.crc32(g.encode()) % CHAR_BUCKETS for g in grams), np.int64, len(grams)
    )


@dataclass(frozen=True, slots=True)
class CategoryWords:
    """tagwire's hand-written words per category: exact words and word beginnings (by
    their length: a new word is looked up once per length, not against every beginning)."""

    categories: tuple[str, ...]
    exact: dict[str, tuple[int, ...]]
    prefixes: dict[str, tuple[int, ...]]
    prefix_lengths: tuple[int, ...]

    def share(self, words: Sequence[str]) -> np.ndarray:
        """Per category, the share of the words that belong to its list."""
        counts = np.zeros(len(self.categories))
        for word in words:
            for index in self._categories_of(word):
                counts[index] += 1
        return counts / (len(words) + 1)

    @lru_cache(maxsize=65536)  # noqa: B019 - one instance, loaded once per process
    def _categories_of(self, word: str) -> tuple[int, ...]:
        found = set(self.exact.get(word, ()))
        for length in self.prefix_lengths:
            found.update(self.prefixes.get(word[:length], ()))
        return tuple(sorted(found))

    def __hash__(self) -> int:
        return id(self)


@cache
def load_category_words() -> CategoryWords:
    data = json.loads(resources.files("tagwire.enrich").joinpath(WORDS_FILE).read_text())
    categories = tuple(sorted(data["categories"]))
    exact: dict[str, set[int]] = {}
    prefixes: dict[str, set[int]] = {}
    for index, name in enumerate(categories):
        for words in data["categories"][name].values():
            for word in words:
                if word.endswith("*"):
                    prefixes.setdefault(word[:-1], set()).add(index)
                else:
                    exact.setdefault(word, set()).add(index)
    return CategoryWords(
        categories,
        {w: tuple(sorted(i)) for w, i in exact.items()},
        {p: tuple(sorted(i)) for p, i in prefixes.items()},
        tuple(sorted({len(p) for p in prefixes})),
    )


def article_features(title: str, text: str) -> ArticleFeatures:
    words = article_words(title, text)
    word_ids, word_values = _hashed(word_grams(words), 0, WORD_BUCKETS)
    char_ids, char_values = char_block(words)
    return ArticleFeatures(
        np.concatenate([word_ids, char_ids]),
        np.concatenate([word_values, char_values]),
        load_category_words().share(words),
    )


@dataclass(frozen=True, slots=True)
class CategoryModel:
    """Weights of the linear model over the features seen in training (sorted ids)."""

    categories: tuple[str, ...]
    feature_ids: np.ndarray  # sorted hashed ids
    idf: np.ndarray
    weights: np.ndarray  # (features, categories)
    lexicon_weights: np.ndarray  # (word-list categories, categories)
    lexicon_scale: float
    bias: np.ndarray
    threshold: float

    def known_features(self, features: ArticleFeatures) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the article's features seen in training, and their tf-idf values."""
        rows = np.searchsorted(self.feature_ids, features.ids)
        rows = np.minimum(rows, len(self.feature_ids) - 1)
        known = self.feature_ids[rows] == features.ids
        rows, values = rows[known], features.values[known] * self.idf[rows[known]]
        return rows, values / _block_norms(features.ids[known], values)

    def probabilities(self, features: ArticleFeatures) -> np.ndarray:
        rows, values = self.known_features(features)
        scores = values @ self.weights[rows] + self.bias
        scores = scores + (features.lexicon * self.lexicon_scale) @ self.lexicon_weights
        scores = np.exp(scores - scores.max())
        return scores / scores.sum()

    def guess(self, title: str, text: str) -> CategoryGuess:
        probabilities = self.probabilities(article_features(title, text))
        best = int(np.argmax(probabilities))
        return CategoryGuess(self.categories[best], float(probabilities[best]))


def _block_norms(ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each value's block norm: words and characters are scaled to unit length apart."""
    in_chars = ids >= WORD_BUCKETS
    norms = np.ones_like(values)
    for mask in (~in_chars, in_chars):
        norm = float(np.sqrt(np.sum(values[mask] ** 2)))
        norms[mask] = norm or 1.0
    return norms


@cache
def load_category_model() -> CategoryModel:
    with resources.files("tagwire.enrich").joinpath(MODEL_FILE).open("rb") as raw:
        saved = np.load(raw)
        return CategoryModel(
            categories=tuple(json.loads(str(saved["categories"]))),
            feature_ids=saved["feature_ids"],
            idf=saved["idf"].astype(np.float64),
            weights=saved["weights"].astype(np.float64),
            lexicon_weights=saved["lexicon_weights"].astype(np.float64),
            lexicon_scale=float(saved["lexicon_scale"]),
            bias=saved["bias"].astype(np.float64),
            threshold=float(saved["threshold"]),
        )
