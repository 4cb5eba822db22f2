"""Tag names: a clean name from an entity's surface text, its hashtag label
(``WagnerGroup``) and its URL slug (``wagner-group``).

Articles, dates and titles are stripped in the article's own language only: "Le Havre",
"Des Moines" and "M. Butcher" keep their first word in English text.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from functools import cache

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_CAMEL = re.compile(
    r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z\u00df-\u00ff]+|[A-Z\u00c0-\u00de]+|\d+|[^\W\d_]+"
)
_ARTICLES = {
    "en": r"(?:the|an?)\s+",
    "fr": r"(?:le|la|les|du|des|de la)\s+|(?:de )?l['’]\s*",
}
# Words before a person's name that are not part of it: titles, offices, sports positions.
# A qualifier ("Foreign", "Deputy") is dropped with the office that follows it.
_TITLES = {
    "en": (
        r"(?:(?:former|deputy|vice|acting|interim|foreign|finance|defence|defense|prime|chief"
        r"|state|senior)\s+)*"
        r"(?:president|minister|secretary|chancellor|premier|governor|gov\.|mayor|senator"
        r"|sen\.|rep\.|congressman|congresswoman|ambassador|chairman|chairwoman|spokesman"
        r"|spokeswoman|king|queen|prince|princess|pope|cardinal|archbishop|bishop|rev\."
        r"|reverend|judge|justice|general|gen\.|colonel|col\.|lieutenant|lt\.|major|maj\."
        r"|sergeant|sgt\.|captain|capt\.|admiral|commander|imam|sheikh|ayatollah|sir|lord"
        r"|lady|mr\.?|mrs\.?|ms\.?|dr\.?|prof\.|professor|coach|manager|skipper|striker"
        r"|goalkeepers?|defenders?|midfielders?|forwards?|centre|center|fullback|full-back"
        r"|winger|wing|flanker|prop|hooker|lock|scrum-half|fly-half|pitcher|quarterback"
        r"|broker|analyst|dealer|trader|economist|officials?|substitutes?|replacements?)"
    ),
    "fr": (
        r"(?:(?:l[ea]\s+|l['’]\s*)?(?:président|présidente|ministre|premier ministre|général"
        r"|colonel|capitaine|imam|cheikh|m\.|mme|mgr|dr|maître|me))"
    ),
}
# A date written before a name ("Sept Brent", "August Chicago NAPM") is not part of it.
_DATES = {
    "en": (
        r"(?:jan|feb|apr|jun|jul|aug|sept?|oct|nov|dec)\.?|january|february|april|june|july"
        r"|august|september|october|november|december|monday|tuesday|wednesday|thursday"
        r"|friday|saturday|sunday"
    ),
    "fr": (
        r"janvier|février|avril|juin|juillet|août|septembre|octobre|novembre|décembre|lundi"
        r"|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
    ),
}
_POSSESSIVE = re.compile(r"['’]s?$")
# "The Hague", "The Oval", "The Economist": a capitalised article before one word is part of
# the name (the tagger still finds "The Netherlands" under "Netherlands").
_THE_ONE_WORD = re.compile(r"^(?:The|THE) [^\W\d_][\w'’.-]*$")
_STRIP = ' \t"“”«»()[]{}.,;:!?-–—'


def clean_name(text: str, language: str | None = None, kind: str | None = None) -> str:
    """An entity's surface text without leading articles ("The" kept in a work's title and
    before a single word), dates ("Sept Brent"), possessives or stray punctuation, and, for
    a person (or a name of unknown ``kind``), without a leading title. Articles, dates and
    titles are those of ``language``; both English and French ones when it is unknown."""
    text = " ".join(text.split())
    text = text.strip(_STRIP)
    if kind != "work" and not _THE_ONE_WORD.match(text):  # "The Crying Game", "The Hague"
        text = _articles(language).sub("", text)
    # "mardi soir" leaves "soir", in lower case, which the tagger drops as no name.
    text = _leading(_DATES, language, repeat=True).sub("", text) or text
    if kind in (None, "person"):
        text = _without(_titles(language), text)
    text = _POSSESSIVE.sub("", text)
    return text.strip(" \"“”«»()[]{}.,;:!?-–—'’")


def _without(leading: re.Pattern[str], text: str) -> str:
    """``text`` less the ``leading`` words when a capitalised name remains: "Queen of the
    South" stays whole."""
    rest = leading.sub("", text)
    return rest if rest != text and rest[:1].isupper() else text


def is_title(word: str, language: str | None = None) -> bool:
    """ "Goalkeepers", "President": a word that stands before a name but is none."""
    return _titles(language).fullmatch(word + " ") is not None


def _articles(language: str | None) -> re.Pattern[str]:
    return _leading(_ARTICLES, language)


def _titles(language: str | None) -> re.Pattern[str]:
    return _leading(_TITLES, language, repeat=True)


_PATTERNS: dict[tuple[str, bool], re.Pattern[str]] = {}


def _leading(
    table: dict[str, str], language: str | None, *, repeat: bool = False
) -> re.Pattern[str]:
    """The pattern of ``table``'s entries for ``language`` at the start of a name (all
    entries when it is unknown, none for a language without any)."""
    parts = list(table.values()) if language is None else [table.get(language, r"(?!)")]
    alternatives = "|".join(f"(?:{p})" for p in parts)
    source = rf"^(?:(?:{alternatives})\s+)+" if repeat else rf"^(?:{alternatives})"
    key = (source, repeat)
    if key not in _PATTERNS:
        _PATTERNS[key] = re.compile(source, re.IGNORECASE)
    return _PATTERNS[key]


def make_label(name: str) -> str:
    """Hashtag label of a name, without the hash: "Wagner Group" -> "WagnerGroup"."""
    words = _WORD.findall(name.replace("'", "").replace("’", ""))
    return "".join(w if w[:1].isupper() or w.isdigit() else w[:1].upper() + w[1:] for w in words)


def slugify(text: str) -> str:
    """Lowercase, hyphenated, ASCII where the script allows: "#WagnerGroup" -> "wagner-group"."""
    text = text.lstrip("#").replace("'", "").replace("’", "")
    words: list[str] = []
    for chunk in _WORD.findall(text):
        parts = _CAMEL.findall(chunk) if _has_camel(chunk) else [chunk]
        words.extend(parts)
    # Lowercasing can add a combining mark ("İ" -> "i̇"): only the word characters are
    # kept, and each part they make is folded on its own, as it would be read back.
    lowered = (part for w in words for part in _WORD.findall(_fold(w).lower()))
    folded = (_fold(part).lower() for part in lowered)  # "𝑨" folds to "A"
    return "-".join(piece for part in folded for piece in _WORD.findall(part))


def fold(text: str) -> str:
    """A name as search-as-you-type compares it: "Algérie" and "ALGERIE" -> "algerie"."""
    return " ".join(_fold(word).casefold() for word in text.split())


def _has_camel(word: str) -> bool:
    # A capital with no lower case ("𝜜") is no word boundary: the slug keeps it as it is.
    return any(a.islower() and b.isupper() and b.lower() != b for a, b in itertools.pairwise(word))


def strip_accents(text: str) -> str:
    """The text decomposed (NFKD) without its combining marks: "Ménaka" -> "Menaka"."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFKD", text).translate(_combining_marks())


# Every combining mark is in Unicode's first two planes (the last, in the Unicode 14 of
# Python 3.11's ``unicodedata``, is U+1E94A): scanning them costs 7 ms, not 90 ms.
COMBINING_PLANES_END = 0x20000


@cache
def _combining_marks() -> dict[int, None]:
    """Every combining code point, for ``str.translate`` to drop (~900, built once)."""
    return {cp: None for cp in range(COMBINING_PLANES_END) if unicodedata.combining(chr(cp))}


def _fold(word: str) -> str:
    if word.isascii():
        return word
    ascii_only = strip_accents(word)
    # Keep non-Latin scripts as they are rather than dropping them.
    return ascii_only if ascii_only.isascii() else unicodedata.normalize("NFC", word)
