"""Names by their shape: runs of capitalised words joined by connectors ("Bank of England",
"bin Laden"), ended by numbers, lower-case words and separators (" - ", "/", "(", ",",
quotes, a line break).

``name_spans`` cuts a span NER found into the names it holds ("Romania - Cosmin Contra",
"Pohang 3 Ulsan 2", "Yuri Kushko TAVILDARA"); ``capitalised_phrases`` finds names where
there is no NER: in texts of languages without a model, and in table-like lines (results,
line-ups) that a model trained on prose reads badly. Both hand on character offsets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from tagwire.enrich.entities import Entity

# Particles a name may start with: "van Schalkwyk", "bin Laden", "de Gaulle".
PARTICLES = frozenset(
    {"al", "el", "de", "du", "da", "di", "del", "della", "dos", "das", "do", "van", "von"}
    | {"der", "den", "ter", "bin", "ibn"}
)
# Lower-case words inside a name: "Bank of England", "Jama'at Nasr al-Islam wal-Muslimin".
CONNECTORS = PARTICLES | {"of", "for", "the", "and", "wal", "des", "la", "le", "et", "y", "&"}
CONNECTORS |= {"d'", "l'"}
# "A and B" is two names when both sides are names of two words or more.
_LISTING = frozenset({"and", "&", "et", "y"})
_TOKEN = re.compile(r"[\w.'’&-]*\w[\w.'’&-]*|[.'’&-]+")
_INITIALS_BEFORE = re.compile(r"(?<![\w.])(?:[A-Z]\.\s?){1,3}(?=$)")
_POSSESSIVE = re.compile(r"\w['’]s$")
_DIGIT = re.compile(r"\d")
_WORD_PARTS = re.compile(r"[-'’]")
_LETTER = re.compile(r"[^\W\d_]")
_CASED = re.compile(r"[A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u052f]")  # Latin, Greek, Cyrillic
_LOWER_START = re.compile(r"(?<!\S)[a-z]")
_SENTENCE_END = re.compile(r"[.!?…]['’\"”»)]*$")
_ABBREVIATION = re.compile(r"^(?:[A-Z]\.)+$|^[A-Z][a-z]{0,3}\.$")  # "J.", "U.S.", "St.", "Corp."
# Capitalised in a Title Case headline, rarely in a table ("The" starts names: "The Hague").
_FUNCTION_WORDS = frozenset(
    "of in on at to for from by with and or but as is are was were".split()  # noqa: SIM905
)
MAX_PHRASE_WORDS = 4  # a longer capitalised phrase found without NER is a header or a title
TABLE_MAX_LOWER = 0.2  # a line is table-like when at most this share of its words is lower case
_AROUND = 60  # characters looked at on each side of a name to complete it


@dataclass(frozen=True, slots=True)
class Phrase:
    start: int
    end: int
    sentence_start: bool  # the phrase opens a sentence, so its capital says little
    shouted: bool  # every word in capitals


@dataclass(frozen=True, slots=True)
class _Word:
    start: int
    end: int
    text: str


def name_spans(text: str, offset: int = 0, *, keep_lower: bool = False) -> list[Phrase]:
    """The names in a span of text NER found, as offsets (plus ``offset``) into the
    document. ``keep_lower`` keeps lower-case words within a name, as French writes them
    ("Assemblée nationale", "Cour pénale internationale")."""
    phrases = []
    for number, (piece_start, piece) in enumerate(_pieces(text)):
        words = _words(piece, offset + piece_start)
        phrases += _runs(words, keep_lower=keep_lower, particles_first=number == 0)
    return phrases


def entity_parts(entity: Entity, document: str, *, keep_lower: bool = False) -> list[Entity]:
    """The names an NER entity holds, each an entity of the same kind; a person's name takes
    in the initials before it ("M. Butcher"). See ``name_spans`` for ``keep_lower``."""
    start = entity.start
    if entity.kind == "person":
        initials = _INITIALS_BEFORE.search(document, max(0, start - 12), start)
        start = initials.start() if initials else start
    text = document[start : entity.end]
    parts = name_spans(text, start, keep_lower=keep_lower)
    if len(parts) > 1 and _lone_opener(parts[0], document, start):
        parts = parts[1:]  # "Delegations from Mali": a sentence's first word NER took in
    return [Entity(document[p.start : p.end], entity.kind, p.start, p.end) for p in parts]


def _lone_opener(part: Phrase, document: str, start: int) -> bool:
    one_word = " " not in document[part.start : part.end]
    return part.start == start and one_word and opens_sentence(document, start)


def opens_sentence(document: str, start: int) -> bool:
    """Whether ``start`` is where a line or a sentence begins."""
    before = document[max(0, start - 4) : start].rstrip(" \t\"“«'‘(")
    return not before or before.endswith("\n") or _SENTENCE_END.search(before) is not None


def phrase_around(document: str, start: int, end: int) -> Phrase | None:
    """The capitalised phrase that holds ``document[start:end]`` ("Tom" in "pitcher Tom
    Seaver"), unless it reaches further back to a sentence's first word."""
    line_start = document.rfind("\n", 0, start) + 1
    line_end = document.find("\n", end)
    line_end = len(document) if line_end < 0 else line_end
    window_start = max(line_start, start - _AROUND)
    window = document[window_start : min(line_end, end + _AROUND)]
    for piece_start, piece in _pieces(window):
        words = _words(piece, window_start + piece_start)
        opens = window_start == line_start and piece_start == 0
        for phrase in _runs(words, opens_sentence=opens):
            if phrase.start <= start and end <= phrase.end:
                moved = phrase.start < start
                return None if moved and phrase.sentence_start else phrase
    return None


def capitalised_phrases(document: str, *, tables_only: bool, skip_first_line: bool) -> list[Phrase]:
    """Capitalised phrases in ``document``; with ``tables_only``, in table-like lines only,
    where a line's start is a cell's, not a sentence's. Scripts without case have none."""
    if not tables_only and not has_case(document):
        return []
    phrases: list[Phrase] = []
    for number, (line_start, line) in enumerate(_lines(document)):
        if skip_first_line and number == 0:
            continue
        if tables_only and (_prose(line) or not is_table_like(_words(line, line_start))):
            continue
        for piece_number, (piece_start, piece) in enumerate(_pieces(line)):
            words = _words(piece, line_start + piece_start)
            runs = _runs(words, opens_sentence=piece_number == 0 and not tables_only)
            phrases += [p for p in runs if _cell_name(p, document, line_start)]
    return phrases


def _cell_name(phrase: Phrase, document: str, line_start: int) -> bool:
    """Not a column header: at most four capitalised words, and several in capitals only as
    a row's label ("KANSAS CITY 61 74 .452"), not further along ("LAST SALE")."""
    words = sum(map(is_capitalised, document[phrase.start : phrase.end].split()))
    if words > MAX_PHRASE_WORDS:
        return False
    return not phrase.shouted or words == 1 or phrase.start == line_start


def is_table_like(words: list[_Word]) -> bool:
    """Few lower-case words (numbers count as cells), and not a Title Case headline
    ("Eagles Edge Closer To Title"). A line in capitals is a table row or a dateline when it
    holds a number ("BOSTON 69 65 .515", "BONN 1996-08-30"), else a heading."""
    texts = [w.text for w in words]
    lettered = [t for t in texts if any(c.isalpha() for c in t)]
    if len(texts) < 2 or not lettered:
        return False
    if all(t.isupper() for t in lettered):
        return any(_has_digit(t) for t in texts)
    lower = sum(1 for t in texts if t[:1].islower())
    if lower > TABLE_MAX_LOWER * len(texts):
        return False
    return not any(t.lower() in _FUNCTION_WORDS and t[:1].isupper() for t in lettered[1:])


def has_case(text: str) -> bool:
    """Whether most letters of ``text`` come from a script with capitals (Latin, Cyrillic,
    Greek), rather than Arabic, Chinese, Hebrew..."""
    sample = text[:2000]
    letters = len(_LETTER.findall(sample))
    cased = len(_CASED.findall(sample))
    return letters > 0 and cased * 2 >= letters


def _prose(line: str) -> bool:
    """A quick look before the table test: many words start in lower case."""
    return len(_LOWER_START.findall(line)) > TABLE_MAX_LOWER * (line.count(" ") + 1)


def _lines(document: str) -> Iterator[tuple[int, str]]:
    start = 0
    for line in document.split("\n"):
        yield start, line
        start += len(line) + 1


# A line break, a spaced dash, punctuation, "v" (versus), a number.
_SEPARATOR = re.compile(
    r"\n|\s[-–—]+\s|[–—]|[,;:()\[\]{}\"“”«»/|+=*#]|\s(?:v|vs)\.?\s|\s\d[\d.,:/-]*(?=\s|$)"
)


def _pieces(text: str) -> Iterator[tuple[int, str]]:
    """``text`` cut at separators, with each piece's offset."""
    start = 0
    for match in _SEPARATOR.finditer(text):
        yield start, text[start : match.start()]
        start = match.end()
    yield start, text[start:]


def _words(text: str, offset: int) -> list[_Word]:
    return [_Word(offset + m.start(), offset + m.end(), m.group()) for m in _TOKEN.finditer(text)]


def _runs(
    words: list[_Word],
    *,
    keep_lower: bool = False,
    particles_first: bool = False,
    opens_sentence: bool = True,
) -> list[Phrase]:
    """Maximal runs of capitalised words through connectors, split where a listing joins
    two multi-word names or where capitals change ("Yuri Kushko TAVILDARA")."""
    phrases: list[Phrase] = []
    run: list[_Word] = []
    starts_sentence = opens_sentence
    for word in words:
        text = word.text
        if is_capitalised(text):
            if run and _case_changes(run[-1].text, text):
                phrases += _close(run, starts_sentence, keep_lower)
                run, starts_sentence = [], False
            if not run:
                starts_sentence = opens_sentence
            run.append(word)
            if _POSSESSIVE.search(text):  # "Russia's Gazprom": two names
                phrases += _close(run, starts_sentence, keep_lower)
                run = []
        elif run and (keep_lower or text.lower() in CONNECTORS) and not _has_digit(text):
            run.append(word)
        elif not run and particles_first and text in PARTICLES:
            run.append(word)
            starts_sentence = opens_sentence
        else:
            phrases += _close(run, starts_sentence, keep_lower)
            run = []
        particles_first = False
        opens_sentence = _ends_sentence(text)
        if opens_sentence and run:
            phrases += _close(run, starts_sentence, keep_lower)
            run = []
    phrases += _close(run, starts_sentence, keep_lower)
    return phrases


def _close(run: list[_Word], sentence_start: bool, keep_lower: bool = False) -> list[Phrase]:
    while run and not is_capitalised(run[-1].text):
        if keep_lower and run[-1].text.lower() not in CONNECTORS:
            break  # "Parlement européen"
        run = run[:-1]
    while run and run[0].text.lower() in _FUNCTION_WORDS:  # "At Hove", "In Kidal"
        run, sentence_start = run[1:], False
    if not run:
        return []
    cut = _listing_cut(run)
    if cut:
        return _close(run[: cut - 1], sentence_start, keep_lower) + _close(
            run[cut:], False, keep_lower
        )
    shouted = all(w.text.isupper() for w in run if is_capitalised(w.text))
    return [Phrase(run[0].start, _end(run[-1]), sentence_start, shouted)]


def _listing_cut(run: list[_Word]) -> int | None:
    """Index after an "and" that joins two names of two capitalised words or more."""
    for i, word in enumerate(run):
        if word.text.lower() in _LISTING:
            before = sum(is_capitalised(w.text) for w in run[:i])
            after = sum(is_capitalised(w.text) for w in run[i + 1 :])
            if before >= 2 and after >= 2:
                return i + 1
    return None


def _end(word: _Word) -> int:
    """A sentence's full stop is not part of the name; an abbreviation's is."""
    text = word.text
    if text.endswith(".") and not _ABBREVIATION.match(text):
        return word.end - (len(text) - len(text.rstrip(".")))
    return word.end


def is_capitalised(text: str) -> bool:
    """ "Kidal", "al-Qaeda", "O'Gorman", "U.S."; not "1996" or "Mali2"."""
    if _has_digit(text):
        return False
    if text[:1].isupper():
        return True
    return any(part[:1].isupper() for part in _WORD_PARTS.split(text)[1:])


def _has_digit(text: str) -> bool:
    return _DIGIT.search(text) is not None


def _case_changes(previous: str, word: str) -> bool:
    """A long word in capitals next to a written one: a dateline after a byline."""
    return previous.isupper() != word.isupper() and _long_shout(
        previous if previous.isupper() else word
    )


def _long_shout(word: str) -> bool:
    return sum(c.isalpha() for c in word) >= 5 or "-" in word.strip("-")


def _ends_sentence(text: str) -> bool:
    return bool(_SENTENCE_END.search(text)) and not _ABBREVIATION.match(text)
