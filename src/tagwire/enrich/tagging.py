"""Hashtags for one article: known aliases + names -> mentions -> ranked ``TagScore``s.

Known tags (gazetteer) are found everywhere in one pass and are authoritative about their
kind, so a misread NER label ("Mali" as a person) cannot split one entity into two tags.
Names nobody has seen yet come from spaCy's entities, cut into the names they hold, and
from capitalised phrases where NER is absent (a language without a model) or reads badly
(table-like lines). An acronym defined in the text ("Jama'at ... (JNIM)") becomes the
label, its expansion an alias. ``salience`` ranks the mentions. ``Tagger.tag_many`` tags
a batch of articles (a feed's new entries), with NER run once over the batch per language.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from tagwire.enrich.acronyms import acronym_gazetteer, expansion_before
from tagwire.enrich.entities import Entity, EntityRecognizer
from tagwire.enrich.gazetteer import AliasMatch, Gazetteer, KnownTag, known
from tagwire.enrich.names import clean_name, is_title, make_label
from tagwire.enrich.phrases import (
    Phrase,
    capitalised_phrases,
    entity_parts,
    is_capitalised,
    phrase_around,
)
from tagwire.enrich.salience import LEAD_CHARS, UNKNOWN_KIND, Mention, rank
from tagwire.models import Curation, TagScore

__all__ = ["ArticleText", "Tagger", "expansion_before"]

# Raise it whenever a change to the rules here changes which tags articles get: stored
# articles tagged by an older version are then tagged again by ``tagwire retag``.
RULES_VERSION = 1
DEMONYM_WEIGHT = 0.75
MAX_NAME_WORDS = 6
MAX_SPAN = 300  # characters: no name found is longer

_DIGITS = re.compile(r"\d{2,}")
_WORD = re.compile(r"\w+")
_THE = re.compile(r"^(?:The|THE) ")
_OFFICE = re.compile(r" (?:Minister|Secretary|Commissioner)\b")
_LABEL = re.compile(r"\s?:\s*[-+$€£(]?\d")


@dataclass(frozen=True, slots=True)
class ArticleText:
    """What tagging reads of an article."""

    title: str
    text: str
    language: str | None
    outlet: str | None = None


class Tagger:
    """Holds the gazetteer, the NER router and the curation people made (blocked tags,
    renames and merges); ``tag`` tags one article, ``tag_many`` a batch with the same
    result. ``version`` names what the tags depend on besides curation, so stored articles
    know when to be tagged again."""

    def __init__(
        self,
        gazetteer: Gazetteer,
        recognizer: EntityRecognizer,
        max_tags: int,
        *,
        curation: Curation | None = None,
        version: str = "",
    ):
        self.gazetteer = gazetteer
        self.recognizer = recognizer
        self.max_tags = max_tags
        self.curation = curation or Curation()
        self.version = version
        self._redirects = {
            slug: KnownTag(tag.label, tag.kind, tag.slug, is_broad(gazetteer, tag.label))
            for slug, tag in self.curation.redirects
        }

    def tag(
        self, title: str, text: str, language: str | None, outlet: str | None = None
    ) -> tuple[TagScore, ...]:
        return self.tag_many([ArticleText(title, text, language, outlet)])[0]

    def tag_many(self, articles: Sequence[ArticleText]) -> list[tuple[TagScore, ...]]:
        """``tag`` of each article, NER reading the batch at once: a feed's new entries.
        Measured no faster than ``tag`` one article at a time, and it holds more memory."""
        return self._ranked(articles, limit=self.max_tags, threshold=True)

    def candidates(
        self, title: str, text: str, language: str | None, outlet: str | None = None
    ) -> tuple[TagScore, ...]:
        """Every candidate tag ``tag`` chooses from, best first: no threshold, no cap."""
        article = ArticleText(title, text, language, outlet)
        return self._ranked([article], limit=None, threshold=False)[0]

    def _ranked(
        self, articles: Sequence[ArticleText], *, limit: int | None, threshold: bool
    ) -> list[tuple[TagScore, ...]]:
        documents = [mask(f"{a.title}\n\n{a.text}", a.outlet) for a in articles]
        found = self.recognizer.entities_many(documents, [a.language for a in articles])
        return [
            rank(
                self.curated(self.mentions(document, article.language, entities)),
                title_end=len(article.title),
                lead_end=len(article.title) + 2 + LEAD_CHARS,
                limit=limit,
                threshold=threshold,
            )
            for article, document, entities in zip(articles, documents, found, strict=True)
        ]

    def curated(self, mentions: list[Mention]) -> list[Mention]:
        """Mentions of renamed or merged tags count for the tag they are now; mentions of
        blocked tags are dropped before ranking, so they take no place under the cap."""
        if not self._redirects and not self.curation.blocked:
            return mentions
        kept = []
        for m in mentions:
            tag = self._redirects.get(m.tag.slug, m.tag)
            if tag.slug in self.curation.blocked:
                continue
            kept.append(m if tag is m.tag else replace(m, tag=tag))
        return kept

    def mentions(
        self, document: str, language: str | None, entities: list[Entity]
    ) -> list[Mention]:
        """The document's mentions of tags, from known aliases and from names: NER's
        ``entities`` (found beforehand, so that a batch goes through NER at once) and
        capitalised phrases."""
        local = acronym_gazetteer(document, self.gazetteer, language)
        matches = sorted(
            [*self.gazetteer.find(document, language), *local.find(document)],
            key=lambda m: (m.start, -(m.end - m.start)),
        )
        matches = drop_nested(matches)
        kept_names = []
        for name in self.names(document, language, entities):
            inside = [m for m in matches if m.start < name.end and name.start < m.end]
            if any(m.start <= name.start and name.end <= m.end for m in inside):
                continue  # a known alias covers the name
            if inside and not uncovered_words(name, inside, document):
                continue  # "Mali-Algeria": the known parts say it all
            kept_names.append(name)
            if name.kind != UNKNOWN_KIND or self.recognizer.supports(language):
                # The name replaces the known parts it holds, unless it is a phrase found
                # without NER, whose bounds are too rough ("Conselho de Segurança da ONU").
                matches = [m for m in matches if m not in inside]
        mentions = [alias_mention(m, document) for m in matches]
        words = frozenset(_WORD.findall(document))
        for name in kept_names:
            mention = self.name_mention(name, local, document, words, language)
            if mention is not None:
                mentions.append(mention)
        return merge_short_names(mentions)

    def names(self, document: str, language: str | None, entities: list[Entity]) -> list[Entity]:
        """Names in the text: NER's ``entities`` cut into names, then capitalised phrases
        where no entity is: every line in a language without NER, table-like lines in
        English (the title aside: English headlines are often in Title Case), where a
        phrase also completes the one entity it holds ("Mikael" -> "Mikael Tillstrom")."""
        if not self.recognizer.supports(language):
            phrases = capitalised_phrases(document, tables_only=False, skip_first_line=False)
            return with_phrases([], phrases, document)
        found = [
            part
            for entity in entities
            for part in entity_parts(entity, document, keep_lower=language != "en")
            if not self.is_heading(part.text, language)
        ]
        if language == "en":
            found = [completed(name, document) for name in found]
            phrases = capitalised_phrases(document, tables_only=True, skip_first_line=True)
            found = with_phrases(found, phrases, document)
        return [self.without_demonym(name, language) for name in found]

    def without_demonym(self, name: Entity, language: str | None) -> Entity:
        """ "Australian Rodney Eyles": a nationality before a name of two words or more is
        not part of it (the alias matcher tags the nationality itself)."""
        first, _, rest = name.text.partition(" ")
        if len(rest.split()) < 2 or not self.gazetteer.is_demonym(first, language):
            return name
        start = name.end - len(rest)
        return Entity(rest, name.kind, start, name.end)

    def is_heading(self, text: str, language: str | None) -> bool:
        """ "BASKETBALL - INTERNATIONAL TOURNAMENT RESULT": several words in capitals are a
        headline or a table header, rarely one name, unless a known one."""
        return text.isupper() and " " in text and self.gazetteer.lookup(text, language) is None

    def name_mention(
        self,
        entity: Entity,
        local: Gazetteer,
        document: str,
        words: frozenset[str],
        language: str | None,
    ) -> Mention | None:
        name = clean_name(
            entity.text, language, None if entity.kind == UNKNOWN_KIND else entity.kind
        )
        if not usable_name(name, self.gazetteer):
            return None
        bare = _THE.sub("", name)  # "The Netherlands" is "Netherlands"
        hit = (
            self.gazetteer.lookup(name, language)
            or local.lookup(name)
            or (self.gazetteer.lookup(bare, language) if bare != name else None)
        )
        if hit is not None:
            return Mention(entity.start, entity.end, hit, True, name)
        if is_title(name, language) or is_common_word(name, document, words):
            return None
        if _LABEL.match(document, entity.end):
            return None  # "Attendance: 42,000", "Fax: 555 0199": a field's label
        if " " not in name and _OFFICE.match(document, entity.end):
            return None  # "Energy" of "Energy Minister Ivan Petrov" names an office
        return Mention(entity.start, entity.end, known(make_label(name), entity.kind), False, name)


def is_broad(gazetteer: Gazetteer, label: str) -> bool:
    hit = gazetteer.lookup(label)
    return hit is not None and hit.broad


def completed(name: Entity, document: str) -> Entity:
    """A person's one-word name NER cut short ("Tom" of "Tom Seaver") grown to the
    capitalised words right next to it, three words at most."""
    if name.kind != "person" or " " in name.text:
        return name
    phrase = phrase_around(document, name.start, name.end)
    if phrase is None or (phrase.start, phrase.end) == (name.start, name.end):
        return name
    text = document[phrase.start : phrase.end]
    words = text.split()
    if len(words) > 3 or not all(w[:1].isupper() and not is_title(w) for w in words):
        return name
    return Entity(text, name.kind, phrase.start, phrase.end)


def with_phrases(found: list[Entity], phrases: list[Phrase], document: str) -> list[Entity]:
    """``found`` plus the phrases that overlap none of it, each a name of unknown kind; a
    phrase that holds exactly one found name (and cuts none) replaces it, kind kept."""
    names = sorted(found, key=lambda e: e.start)
    starts = [e.start for e in names]
    added: list[Entity] = []
    for phrase in phrases:
        text = document[phrase.start : phrase.end]
        near = names[bisect_left(starts, phrase.start - MAX_SPAN) : bisect_left(starts, phrase.end)]
        hit = [e for e in near if e.start < phrase.end and phrase.start < e.end]
        if not hit:
            if phrase.sentence_start and document.count(text) < 2:
                continue  # a capital that opens a sentence says little unless repeated
            added.append(Entity(text, UNKNOWN_KIND, phrase.start, phrase.end))
        elif len(hit) == 1 and phrase.start <= hit[0].start and hit[0].end <= phrase.end:
            names[names.index(hit[0])] = Entity(text, hit[0].kind, phrase.start, phrase.end)
    return sorted(names + added, key=lambda e: e.start)


def uncovered_words(name: Entity, inside: list[AliasMatch], document: str) -> bool:
    """Whether a capitalised word of ``name`` lies wholly outside the known aliases within
    it: "West Indian" is a name of its own; "Mali-Algeria" and "Dakar-Bamako" are words
    made of places, said better by the known ones."""
    text = list(document[name.start : name.end])
    for match in inside:
        for i in range(max(match.start, name.start), min(match.end, name.end)):
            text[i - name.start] = "\0"
    words = re.split(r"[\s,;:()/]+", "".join(text))
    return any(
        "\0" not in word and is_capitalised(word) and word not in ("The", "THE") for word in words
    )


def mask(document: str, outlet: str | None) -> str:
    """Blank out the outlet's own name so it never becomes a tag (offsets are kept)."""
    if not outlet or len(outlet) < 2:
        return document
    pattern = rf"(?<!\w){re.escape(outlet)}(?!\w)"
    return re.sub(pattern, lambda m: " " * len(m.group(0)), document, flags=re.I)


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
    """Not a number, a date or a listed generic word."""
    if len(name) < 2 or not any(c.isalpha() for c in name) or _DIGITS.search(name):
        return False
    if name.casefold() in gazetteer.never or name.islower():
        return False
    return len(name.split()) <= MAX_NAME_WORDS


def is_common_word(name: str, document: str, words: frozenset[str] | None = None) -> bool:
    """A capitalised sentence opener ("Annoncée") or a shouted word ("SOCCER") that the text
    also writes in lower case (``words``: the text's words, when already at hand). Acronyms
    of four letters or fewer are names."""
    if " " in name or (name.isupper() and len(name) <= 4):
        return False
    lower = name.lower()
    if words is not None and _WORD.fullmatch(lower):
        return lower in words
    return re.search(rf"(?<!\w){re.escape(lower)}(?!\w)", document) is not None


def merge_short_names(mentions: list[Mention]) -> list[Mention]:
    """ "Dicko" after "Mahmoud Dicko", "Wagner" after "Wagner Group": one tag, the long name."""
    long_names: dict[str, set[str]] = defaultdict(set)
    for m in mentions:
        words = m.surface.split()
        if len(words) > 1 and not m.known:
            key = words[-1] if m.tag.kind in ("person", UNKNOWN_KIND) else words[0]
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
