"""Salience: an article's mentions -> its tags, best first.

Each tag's score weighs where its mentions are (headline, lead, body); a known tag counts
double; the weakest are dropped and the rest capped. A name's kind is the one NER gave it
most often.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from tagwire.enrich.gazetteer import KnownTag
from tagwire.enrich.names import make_label, slugify
from tagwire.models import TagScore

LEAD_CHARS = 400
TITLE_WEIGHT = 3.0
LEAD_WEIGHT = 2.0
BODY_WEIGHT = 1.0
KNOWN_FACTOR = 2.0  # a reviewed or already-seen tag beats a one-off NER guess
MIN_SCORE = 1.5
UNKNOWN_KIND = "other"  # a capitalised phrase: NER did not say what it names


@dataclass(frozen=True, slots=True)
class Mention:
    """One occurrence of a tag in the article, at character offsets of title + body."""

    start: int
    end: int
    tag: KnownTag
    known: bool
    surface: str
    weight: float = 1.0


@dataclass(slots=True)
class Candidate:
    tag: KnownTag
    known: bool
    score: float = 0.0
    mentions: int = 0
    first: int = 0
    in_body: bool = False
    kinds: dict[str, int] = field(default_factory=dict)
    aliases: set[str] = field(default_factory=set)


def rank(
    mentions: list[Mention],
    *,
    title_end: int,
    lead_end: int,
    limit: int | None,
    threshold: bool = True,
) -> tuple[TagScore, ...]:
    """The candidates best first, at most ``limit`` of them (``None``: all); ``threshold``
    drops the weak ones and unknown names seen only in the headline."""
    candidates: dict[str, Candidate] = {}
    for m in sorted(mentions, key=lambda m: m.start):
        c = candidates.setdefault(m.tag.slug, Candidate(m.tag, m.known, first=m.start))
        c.known = c.known or m.known
        position = (
            TITLE_WEIGHT
            if m.start < title_end
            else (LEAD_WEIGHT if m.start < lead_end else BODY_WEIGHT)
        )
        c.score += position * m.weight
        c.mentions += 1
        c.in_body = c.in_body or m.start >= title_end
        c.kinds[m.tag.kind] = c.kinds.get(m.tag.kind, 0) + 1
        c.aliases.add(m.surface)
    for c in candidates.values():
        if c.known and not c.tag.broad:
            c.score *= KNOWN_FACTOR
        if not c.known:
            c.tag = replace(c.tag, label=written_label(c))
            # NER's word on the kind beats a capitalised phrase's lack of one.
            named = {k: n for k, n in c.kinds.items() if k != UNKNOWN_KIND} or c.kinds
            c.tag = replace(c.tag, kind=max(named, key=lambda k: named[k]))
    kept = sorted(
        # An unknown name seen only in a Title Case headline is too often the headline itself.
        (
            c
            for c in candidates.values()
            if not threshold or (c.score >= MIN_SCORE and (c.known or c.in_body))
        ),
        key=lambda c: (-c.score, c.first),
    )[:limit]
    top = kept[0].score if kept else 1.0
    return tuple(
        TagScore(
            label=c.tag.label,
            slug=c.tag.slug,
            kind=c.tag.kind,
            salience=round(c.score / top, 3),
            mentions=c.mentions,
            aliases=tuple(
                sorted(a for a in c.aliases if slugify(a) != c.tag.slug or a != c.tag.label)
            ),
        )
        for c in kept
    )


def written_label(c: Candidate) -> str:
    """ "Tessalit" rather than "TESSALIT" when the text also writes the name in lower case."""
    label = c.tag.label
    if not label.isupper() or len(label) <= 4:
        return label
    written = sorted(a for a in c.aliases if not a.isupper() and slugify(a) == c.tag.slug)
    return make_label(written[0]) if written else label
