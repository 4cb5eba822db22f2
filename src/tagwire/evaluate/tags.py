"""Tag quality in numbers: tagwire's ``Tagger`` run over labelled news and scored.

Names on both sides are compared as slugs (``tagwire.enrich.names.slugify``). A predicted
tag answers to its own slug and to the slugs of its aliases, i.e. the surfaces it was found
under in that document, so a gold "Malian" matches the ``#Mali`` tag found through the
demonym and a gold "S. Korea" the tag found as "S. Korea".

- **Entity sets** (CoNLL-2003 English; rules are tuned on dev, test is run to report).
  Gold: the distinct slugs of a document's PER/ORG/LOC/MISC entity strings ("JAPAN" and
  "Japan" are one). Predicted: every candidate of ``Tagger.candidates`` (before the
  salience threshold and the cap), English, with the bundled gazetteer only. A tag is right
  when one of its slugs is a gold slug (precision); a gold name is found when some tag
  answers to its slug (recall). Counts are summed over documents (micro-average) before P,
  R and F1 are taken. The baseline is spaCy's English
  NER alone: the distinct slugs of its raw ``doc.ents`` with a name label (``NAME_LABELS``),
  scored the same way; a second baseline first passes each span through tagwire's
  ``clean_name`` (no leading "the", possessive or title), as the tagger does.
- **Keyphrases** (French WikiNews, English 500N-KPCrowd). The first five tags ``Tagger.tag``
  keeps (threshold and cap on), in the data's language; a tag is right when it answers to
  the slug of one of the human keyphrases. ``precision_at_5`` divides by the tags returned
  (at most five a document), ``precision_at_5_strict`` by five a document.
- **Seed articles**: the tags of each, to be read.

Each score carries the seconds spent in the tagging calls alone (NER included, models
loaded beforehand by ``warm_up``), hence articles/s.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from tagwire.enrich.entities import EntityRecognizer
from tagwire.enrich.gazetteer import load_gazetteer
from tagwire.enrich.language import detect_language
from tagwire.enrich.names import clean_name, slugify
from tagwire.enrich.tagging import Tagger
from tagwire.evaluate.datasets import EntityDocument, KeyphraseDocument, SeedArticle
from tagwire.models import TagScore
from tagwire.settings import Settings

TOP_K = 5
NAME_LABELS = frozenset(
    "PERSON ORG GPE LOC NORP FAC EVENT PRODUCT WORK_OF_ART LAW LANGUAGE".split()  # noqa: SIM905
)

Names = frozenset[str]
Predict = Callable[[EntityDocument], list[Names]]


@dataclass(frozen=True, slots=True)
class Counts:
    predicted: int = 0
    right: int = 0  # predictions that match a gold name
    gold: int = 0
    found: int = 0  # gold names that some prediction matches

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.predicted + other.predicted,
            self.right + other.right,
            self.gold + other.gold,
            self.found + other.found,
        )

    @property
    def precision(self) -> float:
        return self.right / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.found / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True, slots=True)
class EntityMatch:
    """One document compared: the predictions that match nothing, the gold names missed."""

    wrong: tuple[Names, ...]
    missed: frozenset[str]
    counts: Counts


@dataclass(frozen=True, slots=True)
class EntityScore:
    matches: tuple[EntityMatch, ...]  # in document order
    counts: Counts
    seconds: float


@dataclass(frozen=True, slots=True)
class KeyphraseScore:
    documents: int
    returned: int  # tags among the first five, over all documents
    right: int
    seconds: float

    @property
    def precision_at_5(self) -> float:
        return self.right / self.returned if self.returned else 0.0

    @property
    def precision_at_5_strict(self) -> float:
        return self.right / (TOP_K * self.documents) if self.documents else 0.0


@dataclass(frozen=True, slots=True)
class SeedTags:
    article: SeedArticle
    language: str | None
    tags: tuple[TagScore, ...]


def build_tagger(settings: Settings) -> Tagger:
    """The pipeline's tagger on the bundled gazetteer only: no stored tags, reproducible."""
    recognizer = EntityRecognizer({"en": settings.spacy_model_en, "fr": settings.spacy_model_fr})
    return Tagger(load_gazetteer(), recognizer, settings.max_tags_per_article)


def warm_up(tagger: Tagger, languages: Collection[str]) -> None:
    """Load the gazetteer automaton and each NER model before any clock starts."""
    for language in languages:
        tagger.tag("Warm-up", "Models load before the clock starts in Paris.", language)


def tag_names(tag: TagScore) -> Names:
    """The slugs a tag answers to: its own and its aliases' in this document."""
    return frozenset({tag.slug, *(slugify(alias) for alias in tag.aliases)}) - {""}


def match_names(predicted: Sequence[Names], gold: Collection[str]) -> EntityMatch:
    gold_names = frozenset(gold)
    wrong = tuple(names for names in predicted if not names & gold_names)
    found = frozenset(name for names in predicted for name in names) & gold_names
    counts = Counts(len(predicted), len(predicted) - len(wrong), len(gold_names), len(found))
    return EntityMatch(wrong, gold_names - found, counts)


def tagger_predictions(tagger: Tagger) -> Predict:
    """Each candidate tag of an English document, before threshold and cap."""
    return lambda doc: [tag_names(t) for t in tagger.candidates(doc.title, doc.text, "en")]


def spacy_predictions(nlp: Any, *, clean: bool = False) -> Predict:
    """The distinct slugs of spaCy's named entities (``clean``: of their ``clean_name``),
    one prediction each."""
    normalise = (lambda text: slugify(clean_name(text))) if clean else slugify

    def predict(doc: EntityDocument) -> list[Names]:
        ents = nlp(f"{doc.title}\n\n{doc.text}").ents
        slugs = {normalise(e.text) for e in ents if e.label_ in NAME_LABELS} - {""}
        return [frozenset([slug]) for slug in sorted(slugs)]

    return predict


def score_entities(predict: Predict, documents: Sequence[EntityDocument]) -> EntityScore:
    matches: list[EntityMatch] = []
    seconds = 0.0
    for doc in documents:
        started = time.perf_counter()
        predicted = predict(doc)
        seconds += time.perf_counter() - started
        matches.append(match_names(predicted, doc.gold))
    total = sum((m.counts for m in matches), Counts())
    return EntityScore(tuple(matches), total, seconds)


def score_keyphrases(tagger: Tagger, documents: Sequence[KeyphraseDocument]) -> KeyphraseScore:
    returned = right = 0
    seconds = 0.0
    for doc in documents:
        started = time.perf_counter()
        top = tagger.tag(doc.title, doc.text, doc.language)[:TOP_K]
        seconds += time.perf_counter() - started
        returned += len(top)
        right += sum(1 for tag in top if tag_names(tag) & doc.keyphrases)
    return KeyphraseScore(len(documents), returned, right, seconds)


def tag_seed(tagger: Tagger, articles: Sequence[SeedArticle]) -> tuple[list[SeedTags], float]:
    """Each article's tags as the pipeline would keep them, and the seconds spent tagging."""
    tagged: list[SeedTags] = []
    seconds = 0.0
    for article in articles:
        language = detect_language(article.text)
        started = time.perf_counter()
        tags = tagger.tag(article.headline, article.text, language, article.outlet)
        seconds += time.perf_counter() - started
        tagged.append(SeedTags(article, language, tags))
    return tagged, seconds


def per_second(items: int, seconds: float) -> float:
    return items / seconds if seconds > 0 else 0.0
