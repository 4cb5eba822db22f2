"""The search box's syntax, parsed without I/O into a ``SearchQuery`` the store runs.

``"exact phrase"``, ``-word`` or ``-"phrase"`` (exclude), ``a OR b``, plain words (all
required), ``#tag``, ``outlet:``, ``lang:``, ``category:``, ``since:``/``until:`` (dates,
both inclusive). Nothing is refused: an unknown ``key:value`` or a bad date is read as
words, an unclosed quote closes at the end, an ``OR`` with nothing to join is ignored, and
a word is only ever letters and digits, so no character of the engines' own query
languages gets through.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

Phrase = tuple[str, ...]  # words that must appear in this order; one word is a phrase too

MAX_CLAUSES = 32  # words, phrases and filters read from one query; the rest is ignored
MAX_WORDS = 16  # words kept of one phrase
FILTER_KEYS = ("outlet", "lang", "category", "since", "until")
_WORD = re.compile(r"[^\W_]+")
_TOKEN = re.compile(r'(-?)(?:"([^"]*)"?|(\S+?)(?::"([^"]*)"?|(?=\s|$)))')
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{1,8})*")


@dataclass(frozen=True, slots=True)
class SearchQuery:
    terms: tuple[str, ...] = ()  # words every result contains
    phrases: tuple[Phrase, ...] = ()  # phrases every result contains
    excluded: tuple[Phrase, ...] = ()  # words and phrases no result contains
    alternatives: tuple[tuple[Phrase, ...], ...] = ()  # each: a result contains one of them
    tags: tuple[str, ...] = ()  # as typed, without "#": every result carries each tag
    outlets: tuple[str, ...] = ()  # slugs or names: a result is from one of them
    languages: tuple[str, ...] = ()  # lowercase codes: a result is in one of them
    categories: tuple[str, ...] = ()  # lowercase names: a result is in one of them
    since: date | None = None
    until: date | None = None

    def is_empty(self) -> bool:
        return self == EMPTY

    def words(self) -> tuple[str, ...]:
        """Every word a result is searched for (none of the excluded), for highlighting."""
        found = list(self.terms)
        for phrase in (*self.phrases, *(p for group in self.alternatives for p in group)):
            found.extend(phrase)
        return tuple(dict.fromkeys(found))


EMPTY = SearchQuery()


@dataclass(slots=True)
class _Builder:
    terms: list[str] = field(default_factory=list)
    phrases: list[Phrase] = field(default_factory=list)
    excluded: list[Phrase] = field(default_factory=list)
    alternatives: list[tuple[Phrase, ...]] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)
    since: date | None = None
    until: date | None = None


def parse_query(text: str) -> SearchQuery:
    """The query a reader typed, as a record; never fails, whatever the text."""
    text = unicodedata.normalize("NFC", text.replace("\x00", " "))
    built = _Builder()
    group: list[Phrase] = []  # the positive clauses joined by OR so far
    pending_or = False
    for match in list(_TOKEN.finditer(text))[: MAX_CLAUSES * 2]:
        negated, quoted, bare, value = (
            match.group(1),
            match.group(2),
            match.group(3),
            match.group(4),
        )
        if bare == "OR" and not negated and value is None:
            pending_or = bool(group)
            continue
        clause = _read_token(built, negated, quoted, bare, value)
        if clause is None:
            pending_or = False
            continue
        if pending_or and group:
            group.append(clause)
        else:
            _close_group(built, group)
            group = [clause]
        pending_or = False
    _close_group(built, group)
    return _finish(built)


def _read_token(
    built: _Builder, negated: str, quoted: str | None, bare: str | None, value: str | None
) -> Phrase | None:
    """A positive clause to place (maybe in an OR group), or None when the token was a
    filter, an exclusion or nothing searchable."""
    if quoted is not None:
        phrase = words_of(quoted)
    elif value is not None or (bare and ":" in bare.lstrip(":")):
        key, _, rest = (bare or "").partition(":")
        rest = value if value is not None else rest
        if not negated and _read_filter(built, key.lower(), rest.strip()):
            return None
        phrase = words_of(f"{key} {rest}")
    elif bare and bare.startswith("#") and not negated and words_of(bare):
        built.filters.setdefault("tag", []).append(bare.lstrip("#"))
        return None
    else:
        phrase = words_of(bare or "")
    if not phrase:
        return None
    if negated:
        built.excluded.append(phrase)
        return None
    return phrase


def _read_filter(built: _Builder, key: str, value: str) -> bool:
    """Take ``key:value`` as a filter; False when it is not one (then it is words)."""
    if key not in FILTER_KEYS or not value:
        return False
    if key in ("since", "until"):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return False
        if key == "since":
            built.since = day
        else:
            built.until = day
        return True
    if key == "lang":
        value = value.lower()
        if not _LANGUAGE.fullmatch(value):
            return False
    built.filters.setdefault(key, []).append(value if key == "outlet" else value.lower())
    return True


def _close_group(built: _Builder, group: list[Phrase]) -> None:
    if len(group) > 1:
        built.alternatives.append(tuple(dict.fromkeys(group)))
    elif group and len(group[0]) == 1:
        built.terms.append(group[0][0])
    elif group:
        built.phrases.append(group[0])


def _finish(built: _Builder) -> SearchQuery:
    def unique(items: list) -> tuple:
        return tuple(dict.fromkeys(items))

    return SearchQuery(
        terms=unique(built.terms),
        phrases=unique(built.phrases),
        excluded=unique(built.excluded),
        alternatives=unique(built.alternatives),
        tags=unique(built.filters.get("tag", [])),
        outlets=unique(built.filters.get("outlet", [])),
        languages=unique(built.filters.get("lang", [])),
        categories=unique(built.filters.get("category", [])),
        since=built.since,
        until=built.until,
    )


def words_of(text: str) -> Phrase:
    """The words of ``text``, lowercased: runs of letters and digits, nothing else."""
    return tuple(w.lower() for w in _WORD.findall(text))[:MAX_WORDS]
