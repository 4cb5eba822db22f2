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
    words = [m for m in _WORD.finditer(text) if fold(m.group()) in wanted]
    start = excerpt_start(text, words[0].start() if words else 0)
    end = len(text) if len(text) - start <= chars else text.rfind(" ", start, start + chars)
    end = end if end > start else min(len(text), start + chars)
    pieces = [Markup("… ") if start else Markup("")]
    position = start
    for match in words:
        if match.start() < start or match.end() > end:
            continue
        pieces += [escape(text[position : match.start()]), mark(match.group())]
        position = match.end()
    pieces.append(escape(text[position:end]))
    pieces.append(Markup(" …") if end < len(text) else Markup(""))
    return Markup("").join(pieces)


def excerpt_start(text: str, first_match: int) -> int:
    """Where the excerpt starts: the text's start, or a word shortly before the match."""
    if first_match <= LEAD_CHARS:
        return 0
    space = text.find(" ", first_match - LEAD_CHARS, first_match)
    return space + 1 if space >= 0 else first_match


def mark(word: str) -> Markup:
    return Markup("<mark>") + escape(word) + Markup("</mark>")
