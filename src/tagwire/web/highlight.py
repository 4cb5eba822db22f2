"""A search result's excerpt with the searched words in ``<mark>``.

The stored text is escaped first, piece by piece; the only markup in the result is the
``<mark>`` tags added here around whole words, so a hostile text stays text.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from tagwire.enrich.names import fold
from tagwire.search.query import SearchQuery

_WORD = re.compile(r"[^\W_]+")
LEAD_CHARS = 60  # text kept before the first match, when the excerpt starts later


def highlighted_excerpt(text: str, query: SearchQuery, chars: int) -> Markup:
    """About ``chars`` characters of ``text`` around its first searched word, escaped,
    with every searched word (case and accents aside) wrapped in ``<mark>``."""
    wanted = {fold(word) for word in query.words()}
    text = " ".join(text.split())
    words = matches(text, wanted)
    start = excerpt_start(text, words[0][0] if words else 0)
    end = len(text) if len(text) - start <= chars else text.rfind(" ", start, start + chars)
    end = end if end > start else min(len(text), start + chars)
    pieces = [Markup("… ") if start else Markup("")]
    position = start
    for first, last in words:
        if first < start or last > end:
            continue
        pieces += [escape(text[position:first]), mark(text[first:last])]
        position = last
    pieces.append(escape(text[position:end]))
    pieces.append(Markup(" …") if end < len(text) else Markup(""))
    return Markup("").join(pieces)


def matches(text: str, wanted: set[str]) -> list[tuple[int, int]]:
    """Where the words of ``text`` that fold to one of ``wanted`` are. The whole text is
    folded once and searched by one expression; where folding changes a length ("ß" is
    "ss"), the positions would not carry over, so each word is folded alone instead."""
    if not wanted:
        return []
    folded = fold(text)
    if len(folded) != len(text):
        return [m.span() for m in _WORD.finditer(text) if fold(m.group()) in wanted]
    alternatives = "|".join(re.escape(word) for word in sorted(wanted, key=len, reverse=True))
    pattern = re.compile(rf"(?<![^\W_])(?:{alternatives})(?![^\W_])")
    return [m.span() for m in pattern.finditer(folded)]


def excerpt_start(text: str, first_match: int) -> int:
    """Where the excerpt starts: the text's start, or a word shortly before the match."""
    if first_match <= LEAD_CHARS:
        return 0
    space = text.find(" ", first_match - LEAD_CHARS, first_match)
    return space + 1 if space >= 0 else first_match


def mark(word: str) -> Markup:
    return Markup("<mark>") + escape(word) + Markup("</mark>")
