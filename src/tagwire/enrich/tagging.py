"""Hashtags for one article: known aliases + spaCy entities -> ranked ``TagScore``s.

Known tags (gazetteer) are found everywhere in one pass and are authoritative about their
kind, so a misread NER label ("Mali" as a person) cannot split one entity into two tags.
NER adds entities nobody has seen yet. An acronym defined in the text
("Jama'at ... (JNIM)") becomes the label, its expansion an alias. Each tag's salience
weighs where its mentions are (headline, lead, body); the weakest are dropped and the rest
capped.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field, replace

from tagwire.enrich.entities import Entity, EntityRecognizer
from tagwire.enrich.gazetteer import AliasMatch, Gazetteer, KnownTag, known
from tagwire.enrich.names import clean_name, make_label, slugify
from tagwire.models import TagScore

LEAD_CHARS = 400
TITLE_WEIGHT = 3.0
LEAD_WEIGHT = 2.0
BODY_WEIGHT = 1.0
DEMONYM_WEIGHT = 0.75
KNOWN_FACTOR = 2.0  # a reviewed or already-seen tag beats a one-off NER guess
MIN_SCORE = 1.5
MAX_NAME_WORDS = 6
MAX_EXPANSION_WORDS = 10

_ACRONYM = re.compile(r"\(\s*([A-Z](?=[a-z]*[A-Z])[A-Za-z]{1,9})\s*\)")
_CONNECTORS = frozenset(
    "of for the and al el wal de du des la le et d' l' y van von bin ibn".split()  # noqa: SIM905
)
_DIGITS = re.compile(r"\d{2,}")


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


@dataclass(frozen=True, slots=True)
class Mention:
    start: int
    end: int
    tag: KnownTag
    known: bool
    surface: str
    weight: float = 1.0


class Tagger:
    """Holds the gazetteer and the NER router; ``tag`` is called once per article."""

    def __init__(self, gazetteer: Gazetteer, recognizer: EntityRecognizer, max_tags: int):
        self.gazetteer = gazetteer
        self.recognizer = recognizer
        self.max_tags = max_tags

    def tag(
        self, title: str, text: str, language: str | None, outlet: str | None = None
    ) -> tuple[TagScore, ...]:
        return self._ranked(title, text, language, outlet, limit=self.max_tags, threshold=True)

    def candidates(
        self, title: str, text: str, language: str | None, outlet: str | None = None
    ) -> tuple[TagScore, ...]:
        """Every candidate tag ``tag`` chooses from, best first: no threshold, no cap."""
        return self._ranked(title, text, language, outlet, limit=None, threshold=False)

    def _ranked(
        self,
        title: str,
        text: str,
        language: str | None,
        outlet: str | None,
        *,
        limit: int | None,
        threshold: bool,
    ) -> tuple[TagScore, ...]:
        document = mask(f"{title}\n\n{text}", outlet)
        mentions = self.mentions(document, language)
        return rank(
            mentions,
            title_end=len(title),
            lead_end=len(title) + 2 + LEAD_CHARS,
            limit=limit,
            threshold=threshold,
        )

    def mentions(self, document: str, language: str | None) -> list[Mention]:
        local = acronym_gazetteer(document, self.gazetteer)
        matches = sorted(
            [*self.gazetteer.find(document), *local.find(document)],
            key=lambda m: (m.start, -(m.end - m.start)),
        )
        matches = drop_nested(matches)
        entities = self.recognizer.entities(document, language)
        kept_entities = []
        for entity in entities:
            inside = [m for m in matches if m.start < entity.end and entity.start < m.end]
            if any(m.start <= entity.start and entity.end <= m.end for m in inside):
                continue  # a known alias covers the entity
            covered = sum(m.end - m.start for m in inside)
            if inside and covered * 2 >= entity.end - entity.start:
                continue  # "Mali-Algeria": the known parts say it better
            kept_entities.append(entity)
            matches = [m for m in matches if m not in inside]
        mentions = [alias_mention(m, document) for m in matches]
        mentions += [
            m for m in (self.entity_mention(e, local, document) for e in kept_entities) if m
        ]
        return merge_short_names(mentions)

    def entity_mention(self, entity: Entity, local: Gazetteer, document: str) -> Mention | None:
        name = clean_name(entity.text)
        if not usable_name(name, self.gazetteer):
            return None
        hit = self.gazetteer.lookup(name) or local.lookup(name)
        if hit is not None:
            return Mention(entity.start, entity.end, hit, True, name)
        if entity.kind == "group":
            return None  # nationalities and creeds not in the data file are mostly noise
        if is_common_word(name, document):
            return None
        return Mention(entity.start, entity.end, known(make_label(name), entity.kind), False, name)


def mask(document: str, outlet: str | None) -> str:
    """Blank out the outlet's own name so it never becomes a tag (offsets are kept)."""
    if not outlet or len(outlet) < 2:
        return document
    pattern = rf"(?<!\w){re.escape(outlet)}(?!\w)"
    return re.sub(pattern, lambda m: " " * len(m.group(0)), document, flags=re.I)


def acronym_gazetteer(document: str, gazetteer: Gazetteer) -> Gazetteer:
    """Acronyms defined in this text ("Expansion Words (EW)") as a small gazetteer."""
    local = Gazetteer()
    for match in _ACRONYM.finditer(document):
        acronym = match.group(1)
        expansion = expansion_before(document, match.start(), acronym)
        if not expansion or gazetteer.lookup(acronym) is not None:
            continue
        tag = gazetteer.lookup(expansion) or known(acronym, "organisation")
        local.add(tag, [acronym, expansion])
    return local


def expansion_before(document: str, end: int, acronym: str = "") -> str | None:
    """The capitalised phrase right before ``end``, through connectors like "of the",
    trimmed to the words whose initials spell ``acronym`` when they do."""
    words = document[max(0, end - 120) : end].split()
    phrase: list[str] = []
    for word in reversed(words):
        bare = word.strip(",;:")
        if word != bare and phrase:
            break
        capitalised = any(part[:1].isupper() for part in bare.split("-"))
        if not capitalised and bare.lower() not in _CONNECTORS:
            break
        phrase.insert(0, bare)
        if len(phrase) > MAX_EXPANSION_WORDS + 2:
            return None
    phrase = trim_to_initials(phrase, acronym)
    while phrase and phrase[0].lower() in _CONNECTORS:
        phrase.pop(0)
    return clean_name(" ".join(phrase)) if 2 <= len(phrase) <= MAX_EXPANSION_WORDS else None


def trim_to_initials(phrase: list[str], acronym: str) -> list[str]:
    """ "Fighters of the Coalition for the Defence of the Oasis" + CDO -> from "Coalition"."""
    letters = "".join(c for c in acronym if c.isupper())
    content = [i for i, word in enumerate(phrase) if word.lower() not in _CONNECTORS]
    for start in range(len(content)):
        initials = "".join(_initial(phrase[i]) for i in content[start:])
        if initials == letters:
            return phrase[content[start] :]
    return phrase


def _initial(word: str) -> str:
    capitalised = next((part for part in word.split("-") if part[:1].isupper()), word)
    return capitalised[:1].upper()


def drop_nested(matches: list[AliasMatch]) -> list[AliasMatch]:
    kept: list[AliasMatch] = []
    for match in matches:
        if kept and match.start < kept[-1].end:
            continue
        kept.append(match)
    return kept


def alias_mention(match: AliasMatch, document: str) -> Mention:
    weight = DEMONYM_WEIGHT if match.demonym else 1.0
    surface = document[match.start : match.end]
    return Mention(match.start, match.end, match.tag, True, surface, weight)


def usable_name(name: str, gazetteer: Gazetteer) -> bool:
    if len(name) < 2 or not any(c.isalpha() for c in name) or _DIGITS.search(name):
        return False
    if name in gazetteer.never or name.islower():
        return False
    return len(name.split()) <= MAX_NAME_WORDS


def is_common_word(name: str, document: str) -> bool:
    """A capitalised sentence opener ("Annoncée") that the text also writes in lower case."""
    if " " in name or name.isupper():
        return False
    return re.search(rf"(?<!\w){re.escape(name.lower())}(?!\w)", document) is not None


def merge_short_names(mentions: list[Mention]) -> list[Mention]:
    """ "Dicko" after "Mahmoud Dicko", "Wagner" after "Wagner Group": one tag, the long name."""
    long_names: dict[str, set[str]] = defaultdict(set)
    for m in mentions:
        words = m.surface.split()
        if len(words) > 1 and not m.known:
            key = words[-1] if m.tag.kind == "person" else words[0]
            long_names[key].add(m.tag.slug)
    by_slug = {m.tag.slug: m.tag for m in mentions}
    merged = []
    for m in mentions:
        targets = long_names.get(m.surface, set())
        if not m.known and len(m.surface.split()) == 1 and len(targets) == 1:
            tag = by_slug[next(iter(targets))]
            m = Mention(m.start, m.end, tag, False, m.surface, m.weight)
        merged.append(m)
    return merged


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
            c.tag = replace(c.tag, kind=max(c.kinds, key=lambda k: c.kinds[k]))
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
