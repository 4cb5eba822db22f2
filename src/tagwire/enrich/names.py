"""Tag names: hashtag labels (``WagnerGroup``) and URL slugs (``wagner-group``)."""

from __future__ import annotations

import itertools
import re
import unicodedata

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_CAMEL = re.compile(
    r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z\u00df-\u00ff]+|[A-Z\u00c0-\u00de]+|\d+|[^\W\d_]+"
)
_LEADING_ARTICLES = re.compile(
    r"^(?:(?:the|an?|le|la|les|du|des|de la)\s+|(?:de )?l['’]\s*)", re.IGNORECASE
)
_HONORIFICS = re.compile(
    r"^(?:(?:president|prime minister|imam|sheikh|cheikh|general|gen\.|colonel|col\.|"
    r"mr\.?|mrs\.?|ms\.?|dr\.?|m\.|mme|président|ministre|le président)\s+)+",
    re.IGNORECASE,
)
_POSSESSIVE = re.compile(r"['’]s?$")


def clean_name(text: str) -> str:
    """An entity's surface text without leading articles, possessives or stray punctuation."""
    text = " ".join(text.split())
    text = text.strip(' \t"“”«»()[]{}.,;:!?-–—')
    text = _LEADING_ARTICLES.sub("", text)
    text = _HONORIFICS.sub("", text) if len(text.split()) > 1 else text
    text = _POSSESSIVE.sub("", text)
    return text.strip(" \"“”«»()[]{}.,;:!?-–—'’")


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
    folded = [_fold(w).lower() for w in words]
    return "-".join(w for w in folded if w)


def _has_camel(word: str) -> bool:
    return any(a.islower() and b.isupper() for a, b in itertools.pairwise(word))


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    # Keep non-Latin scripts as they are rather than dropping them.
    return ascii_only if ascii_only.isascii() else unicodedata.normalize("NFC", word)
