"""Named entities with spaCy: one NER pipeline per language, loaded once per process.

Only the NER component (and the token-to-vector layer it listens to) runs. Model names are
settings; spaCy's load errors become ``ConfigError`` here.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import spacy

from tagwire.errors import ConfigError

MAX_NER_CHARS = 30_000

# spaCy's labels (OntoNotes for English, WikiNER for French) -> our tag kinds.
KINDS = {
    "PERSON": "person",
    "PER": "person",
    "ORG": "organisation",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "NORP": "group",
}


@dataclass(frozen=True, slots=True)
class Entity:
    text: str
    kind: str
    start: int
    end: int


class EntityRecognizer:
    """Routes text to the NER pipeline of its language; other languages get none."""

    def __init__(self, models: dict[str, str]) -> None:
        self._names = models
        self._loaded: dict[str, Any] = {}
        self._lock = threading.Lock()

    def supports(self, language: str | None) -> bool:
        return language in self._names

    def entities(self, text: str, language: str | None) -> list[Entity]:
        if language is None or not self.supports(language):
            return []
        nlp = self._pipeline(language)
        doc = nlp(text[:MAX_NER_CHARS])
        return [
            Entity(ent.text, KINDS[ent.label_], ent.start_char, ent.end_char)
            for ent in doc.ents
            if ent.label_ in KINDS
        ]

    def _pipeline(self, language: str) -> Any:
        with self._lock:
            if language not in self._loaded:
                self._loaded[language] = load_ner(self._names[language])
            return self._loaded[language]


def load_ner(name: str) -> Any:
    try:
        nlp = spacy.load(name)
    except OSError as exc:
        raise ConfigError(
            f"spaCy model {name!r} is not installed (pip install the model's package,"
            " or set TAGWIRE_SPACY_MODEL_EN / TAGWIRE_SPACY_MODEL_FR)"
        ) from exc
    keep = {"ner", *_listened_to(nlp)}
    nlp.select_pipes(enable=[name for name in nlp.pipe_names if name in keep])
    return nlp


def _listened_to(nlp: Any) -> set[str]:
    ner = nlp.get_pipe("ner")
    listened = set()
    for name, component in nlp.pipeline:
        listeners = getattr(component, "listening_components", None) or []
        if "ner" in listeners or (component is not ner and name in ("tok2vec", "transformer")):
            listened.add(name)
    return listened
