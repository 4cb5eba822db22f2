"""Named entities with spaCy: one NER pipeline per language, loaded once per process
(the French one takes seconds to load, so every run and every scheduler round shares it).

Only the NER component (and the token-to-vector layer it listens to) runs. Model names are
settings; spaCy's load errors become ``ConfigError`` here.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

import spacy

from tagwire.errors import ConfigError

MAX_NER_CHARS = 30_000

# spaCy's labels (OntoNotes for English, WikiNER for French) -> our tag kinds. The kinds:
#   person, organisation, place;
#   group    peoples, creeds, parties and armed groups (a nationality maps to its country
#            through the gazetteer's demonyms before it gets here);
#   event    named events: wars, tournaments, summits;
#   work     titled works: books, films, laws and treaties;
#   product  named products and vehicles;
#   other    a name of unknown kind: French MISC, a capitalised phrase found without NER.
KINDS = {
    "PERSON": "person",
    "PER": "person",
    "ORG": "organisation",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "NORP": "group",
    "LANGUAGE": "group",
    "EVENT": "event",
    "WORK_OF_ART": "work",
    "LAW": "work",
    "PRODUCT": "product",
    "MISC": "other",
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
        with _LOADING:
            return load_ner(self._names[language])


# Everything a stock pipeline carries besides NER. Not loading them matters: the French
# lemmatizer alone takes seconds to load.
NOT_NEEDED = ["tagger", "morphologizer", "parser", "attribute_ruler", "lemmatizer", "senter"]


_LOADING = threading.Lock()


@cache
def load_ner(name: str) -> Any:
    """The named pipeline with NER only, plus its shared tok2vec when NER listens to it."""
    for exclude in ([*NOT_NEEDED, "tok2vec"], NOT_NEEDED):
        try:
            nlp = spacy.load(name, exclude=exclude)
            nlp("Probe.")  # a NER that listens to an excluded tok2vec fails here
            return nlp
        except OSError as exc:
            raise ConfigError(
                f"spaCy model {name!r} is not installed (pip install the model's package,"
                " or set TAGWIRE_SPACY_MODEL_EN / TAGWIRE_SPACY_MODEL_FR)"
            ) from exc
        except (ValueError, KeyError):
            continue
    raise ConfigError(f"spaCy model {name!r} has no usable NER component")
