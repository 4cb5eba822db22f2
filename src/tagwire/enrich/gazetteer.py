"""Known tags and their aliases, matched in one pass over an article's text.

Countries (English and French names) come from pycountry; regions, cities, groups,
demonyms and the names readers actually use come from ``data/known_tags.json``. Tags the
store already holds are added at run time, so a tag seen once is found everywhere after.
"""

from __future__ import annotations

import gettext
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

import ahocorasick
import pycountry

from tagwire.enrich.names import make_label, slugify


@dataclass(frozen=True, slots=True)
class KnownTag:
    label: str
    kind: str
    slug: str
    broad: bool = False  # a country: common, so a passing mention says little


@dataclass(frozen=True, slots=True)
class AliasMatch:
    start: int
    end: int
    tag: KnownTag
    demonym: bool


class Gazetteer:
    """Aliases -> known tags, with an Aho-Corasick automaton over all of them."""

    def __init__(self) -> None:
        self._aliases: dict[str, tuple[KnownTag, bool]] = {}
        self._folded: dict[str, KnownTag] = {}
        self.never: frozenset[str] = frozenset()
        self._automaton: ahocorasick.Automaton | None = None

    def add(self, tag: KnownTag, aliases: Iterable[str], *, demonym: bool = False) -> None:
        for alias in aliases:
            alias = alias.strip()
            if len(alias) < 2 or alias in self._aliases:
                continue
            self._aliases[alias] = (tag, demonym)
            if not demonym:
                self._folded.setdefault(alias.casefold(), tag)
        self._automaton = None

    def extended(self, tags: Iterable[tuple[KnownTag, Iterable[str]]]) -> Gazetteer:
        """A copy that also knows ``tags``; the bundled gazetteer itself stays as it is."""
        copy = Gazetteer()
        copy._aliases = dict(self._aliases)
        copy._folded = dict(self._folded)
        copy.never = self.never
        for tag, aliases in tags:
            copy.add(tag, aliases)
        return copy

    def lookup(self, name: str) -> KnownTag | None:
        """The known tag for a name, by exact alias first, then ignoring case."""
        hit = self._aliases.get(name)
        if hit is not None:
            return hit[0]
        return self._folded.get(name.casefold())

    def is_demonym(self, name: str) -> bool:
        hit = self._aliases.get(name)
        return hit is not None and hit[1]

    def find(self, text: str) -> Iterator[AliasMatch]:
        """Every whole-word, case-exact alias occurrence; overlapping matches keep the longest."""
        if not self._aliases:
            return
        automaton = self._build()
        best: list[AliasMatch] = []
        for end_index, alias in automaton.iter(text):
            start = end_index - len(alias) + 1
            end = end_index + 1
            if not _whole_word(text, start, end):
                continue
            tag, demonym = self._aliases[alias]
            match = AliasMatch(start, end, tag, demonym)
            while best and best[-1].end > start:
                if best[-1].end - best[-1].start >= end - start:
                    break
                best.pop()
            else:
                best.append(match)
        yield from best

    def _build(self) -> ahocorasick.Automaton:
        if self._automaton is None:
            automaton = ahocorasick.Automaton()
            for alias in self._aliases:
                automaton.add_word(alias, alias)
            automaton.make_automaton()
            self._automaton = automaton
        return self._automaton


def _whole_word(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    # "al-Qaeda-linked" still names al-Qaeda; "Mali-based" Mali; "anti-France" France.
    return not before.isalnum() and not after.isalnum()


@cache
def load_gazetteer() -> Gazetteer:
    """The bundled gazetteer (countries + reviewed data file), built once per process."""
    data = json.loads(
        resources.files("tagwire.enrich").joinpath("data/known_tags.json").read_text()
    )
    gazetteer = Gazetteer()
    for entry in data["tags"]:
        gazetteer.add(known(entry["label"], entry["kind"]), entry["aliases"])
    countries = _add_countries(gazetteer, data["country_labels"], data["country_aliases"])
    for names in data["demonyms"].values():
        for demonym, code in names.items():
            if code in countries:
                # French writes the adjective in lower case, the people capitalised: "les Maliens".
                forms = {demonym, demonym[:1].upper() + demonym[1:]}
                gazetteer.add(countries[code], forms, demonym=True)
    gazetteer.never = frozenset(data["never_tags"])
    return gazetteer


def known(label: str, kind: str, *, broad: bool = False) -> KnownTag:
    return KnownTag(label=label, kind=kind, slug=slugify(label), broad=broad)


def _add_countries(
    gazetteer: Gazetteer, labels: dict[str, str], extra: dict[str, list[str]]
) -> dict[str, KnownTag]:
    french = gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=["fr"], fallback=True
    )
    countries: dict[str, KnownTag] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        common = getattr(country, "common_name", None)
        label = labels.get(code) or make_label(common or country.name)
        tag = known(label, "place", broad=True)
        countries[code] = tag
        names = [common or country.name, country.name, *extra.get(code, [])]
        official = getattr(country, "official_name", None)
        if official:
            names.append(official)
        names.append(french.gettext(country.name))
        gazetteer.add(tag, [n for n in names if "," not in n])
    return countries
