"""Named entities with spaCy: one NER pipeline per language, loaded once per process
(the French one takes seconds to load, so every run and every scheduler round shares it).

Only the NER component (and the token-to-vector layer it listens to) runs, and only over the
words around those that may be names (``name_bearing``), offsets mapped back to the whole
text; a batch of texts goes through the pipeline once per language, NER decoded here
(``decode_entities``). Model names are settings; spaCy's load errors become
``ConfigError`` here.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import spacy
from spacy.util import minibatch
from thinc.api import use_ops
from threadpoolctl import threadpool_limits

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
        return self.entities_many([text], [language])[0]

    def entities_many(
        self, texts: Sequence[str], languages: Sequence[str | None]
    ) -> list[list[Entity]]:
        """``entities`` of each text (``languages[i]`` is that of ``texts[i]``): the
        stretches that can hold a name, of all the texts of one language, go through the
        pipeline as one batch, and their entities come back at the text's offsets."""
        found: list[list[Entity]] = [[] for _ in texts]
        by_language: dict[str, list[int]] = defaultdict(list)
        for i, language in enumerate(languages):
            if language is not None and self.supports(language):
                by_language[language].append(i)
        for language, indexes in by_language.items():
            nlp = self._pipeline(language)
            stop_words = nlp.Defaults.stop_words
            stretches = [
                (i, start, texts[i][start:end])
                for i in indexes
                for start, end in name_bearing(texts[i][:MAX_NER_CHARS], stop_words)
            ]
            docs = recognised(nlp, [text for _, _, text in stretches])
            for (i, start, _), doc in zip(stretches, docs, strict=True):
                found[i] += entities_of(doc, start)
        return found

    def _pipeline(self, language: str) -> Any:
        with _LOADING:
            return load_ner(self._names[language])


def recognised(nlp: Any, texts: list[str]) -> Iterator[Any]:
    """``nlp.pipe(texts)``, with NER decoded by ``decode_entities``."""
    ner = nlp.get_pipe("ner")
    for batch in minibatch(texts, size=nlp.batch_size):
        docs = [nlp.make_doc(text) for text in batch]
        for _, component in nlp.pipeline:
            docs = decode_entities(ner, docs) if component is ner else list(component.pipe(docs))
        yield from docs


def decode_entities(ner: Any, docs: list[Any]) -> list[Any]:
    """``ner.pipe(docs)``, but the greedy search runs here, with the GIL held: spaCy's own
    loop releases the GIL, then takes it back in each check of a parse state (Cython's
    exception checks, several per move considered), 40% of NER's CPU time under perf;
    held, those checks cost next to nothing. Same entities, NER 27 -> 18 ms of CPU an
    article (2026-12-07, bench/tagging.py's articles). A beam search keeps spaCy's loop."""
    if ner.cfg.get("beam_width", 1) != 1 or not any(len(doc) for doc in docs):
        return list(ner.pipe(docs))
    steps = ner.model.predict(docs)
    states = ner.moves.init_batch(docs)
    unfinished = [state for state in states if not state.is_final()]
    while unfinished:
        unfinished = ner.transition_states(unfinished, steps.predict(unfinished))
    steps.clear_memory()
    ner.set_annotations(docs, states)
    return docs


def entities_of(doc: Any, offset: int) -> list[Entity]:
    """The named entities of a spaCy ``doc`` read from ``offset`` of the text."""
    return [
        Entity(ent.text, KINDS[ent.label_], offset + ent.start_char, offset + ent.end_char)
        for ent in doc.ents
        if ent.label_ in KINDS
    ]


# A sentence ends at a line's end or at an end mark after a word that is not an initial or
# an abbreviation ("U.S.", "Mr.", "I."); a wrong guess only joins two sentences.
_END_MARK = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s)|\n")
_LAST_WORD = re.compile(r"\w+$")
_WORD = re.compile(r"[^\W\d_]\w*")  # "l'Acadie", "al-Qaeda": two words each
_TOKEN = re.compile(r"\S+")
CONTEXT_WORDS = 3


def name_bearing(text: str, stop_words: Collection[str]) -> list[tuple[int, int]]:
    """The stretches of ``text`` (start, end) NER has to read: ``CONTEXT_WORDS`` words on
    either side of each word that may be a name, stretches that meet joined. NER looks four
    tokens to each side of a word, so text farther from a capital yields no entity; leaving
    it out saves a third of NER's time on news articles, with the same tags on the
    evaluation sets. Three words, not four (2026-12-07): 11% fewer tokens through NER on
    the extraction benchmark's pages; the fourth word changes a name's entity so rarely
    that 1 article of 77 there, 2 of 500 in KPCrowd and 2 of 216 in CoNLL dev get other
    tags (two words: 5, 13 and 7, and CoNLL finds fewer names)."""
    tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
    starts = [start for start, _ in tokens]
    spans: list[tuple[int, int]] = []  # first and last token
    for start in name_starts(text, stop_words):
        i = bisect_right(starts, start) - 1
        first, last = max(0, i - CONTEXT_WORDS), min(len(tokens) - 1, i + CONTEXT_WORDS)
        if spans and first <= spans[-1][1] + 1:
            first = spans.pop()[0]
        spans.append((first, last))
    return [(tokens[first][0], tokens[last][1]) for first, last in spans]


def name_starts(text: str, stop_words: Collection[str]) -> Iterator[int]:
    """Where each word that may be a name starts: a word with a capital letter, unless it is
    one letter or opens a sentence in Title Case, and is a stop word or is written in lower
    case elsewhere in the text ("The", "I", "Officials"; not "US" or "Kidal")."""
    lower: set[str] | None = None
    for start, end in sentences(text):
        for n, match in enumerate(_WORD.finditer(text, start, end)):
            word = match.group()
            if word.islower():
                continue
            if (n == 0 and word[1:].islower()) or len(word) == 1:
                if lower is None:
                    lower = {w for w in _WORD.findall(text) if w.islower()}
                folded = word.lower()
                if folded in stop_words or folded in lower:
                    continue
            yield match.start()


def sentences(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each sentence of ``text``, white space between them included."""
    start = 0
    for mark in _END_MARK.finditer(text):
        if mark.group()[0] == "." and not ends_sentence(text, mark.start()):
            continue
        yield start, mark.end()
        start = mark.end()
    if start < len(text):
        yield start, len(text)


def ends_sentence(text: str, period: int) -> bool:
    """Whether the period at ``period`` closes a number, a lower-case word or a capitalised
    word of four letters or more ("Paris.", not "Gen." or "U.S.")."""
    word = _LAST_WORD.search(text, max(0, period - 40), period)
    if word is None:
        return True  # after a quote or a bracket
    w = word.group()
    return w.isdigit() or (len(w) > 1 and w[0].islower()) or (len(w) > 3 and not w.isupper())


# Everything a stock pipeline carries besides NER. Not loading them matters: the French
# lemmatizer alone takes seconds to load.
NOT_NEEDED = ["tagger", "morphologizer", "parser", "attribute_ruler", "lemmatizer", "senter"]


_LOADING = threading.Lock()


@cache
def load_ner(name: str) -> Any:
    """The named pipeline with NER only, plus its shared tok2vec when NER listens to it.

    Its matrix products go through numpy's BLAS rather than blis (three times faster on
    this machine, same entities), on one thread for the whole process: a process tags one
    article at a time and the pipeline scales with processes, where BLAS threads would
    fight over the cores (on a busy machine they made tagging three times slower)."""
    threadpool_limits(limits=1, user_api="blas")
    for exclude in ([*NOT_NEEDED, "tok2vec"], NOT_NEEDED):
        try:
            with use_ops("numpy", use_blis=False):
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
