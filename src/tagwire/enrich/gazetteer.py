"""Known tags and their aliases, matched in one pass over an article's text.

Countries (English names, and pycountry's translations for text in fourteen other
languages, French and Arabic among them) come from pycountry; regions,
cities, groups, demonyms and the names readers actually use come from
``data/known_tags.json``, where an entry's ``local_aliases`` hold the names that are only
that entity's in one language. Tags the
store already holds are added at run time, so a tag seen once is found everywhere after.
"""

from __future__ import annotations

import gettext
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

import ahocorasick
import pycountry

from tagwire.enrich.names import make_label, slugify

# Country names from pycountry's translations, each matched in text of its own language
# only. Languages written without spaces between words (Chinese, Japanese) are left out:
# matching there needs word segmentation, not word boundaries.
COUNTRY_NAME_LANGUAGES = (
    "fr", "ar", "es", "pt", "de", "it", "nl", "pl", "ru", "uk", "tr", "fa", "ha", "sw",
)  # fmt: skip
_HARAKAT = re.compile("[\u064b-\u0652\u0670]")


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


@dataclass(frozen=True, slots=True)
class _Alias:
    tag: KnownTag
    demonym: bool
    language: str | None  # None: any language ("Maurice" is Mauritius in French only)


class Gazetteer:
    """Aliases -> known tags, with an Aho-Corasick automaton over all of them.

    An alias may belong to one language; matching and lookups in another language skip it
    (an unknown language skips none). Names that are not acronyms also match in capitals,
    as shouted headlines and datelines write them ("MALI", "ALGIERS").
    """

    def __init__(self) -> None:
        self._aliases: dict[str, list[_Alias]] = {}
        self._folded: dict[str, list[_Alias]] = {}
        self.never: frozenset[str] = frozenset()  # casefolded: "FRIDAY" is "Friday"
        self._automaton: ahocorasick.Automaton | None = None

    def __getstate__(self) -> dict[str, object]:
        # Pickled for worker processes: the tables travel, the automaton is built there.
        return {**self.__dict__, "_automaton": None}

    def add(
        self,
        tag: KnownTag,
        aliases: Iterable[str],
        *,
        demonym: bool = False,
        language: str | None = None,
    ) -> None:
        entry = _Alias(tag, demonym, language)
        for alias in aliases:
            alias = alias.strip()
            if len(alias) < 2:
                continue
            for form in _written_forms(alias):
                _append(self._aliases, form, entry)
            if not demonym and not _short_acronym(alias):
                _append(self._folded, alias.casefold(), entry)
        self._automaton = None

    def extended(
        self,
        tags: Iterable[tuple[KnownTag, Iterable[str]]],
        *,
        chosen: Iterable[tuple[KnownTag, Iterable[str]]] = (),
    ) -> Gazetteer:
        """A copy that also knows ``tags``; the bundled gazetteer itself stays as it is.
        Aliases people ``chosen`` come before every other reading of the same words."""
        copy = Gazetteer()
        for tag, aliases in chosen:
            copy.add(tag, aliases)
        for alias, entries in self._aliases.items():
            copy._aliases.setdefault(alias, []).extend(entries)
        for alias, entries in self._folded.items():
            copy._folded.setdefault(alias, []).extend(entries)
        copy.never = self.never
        for tag, aliases in tags:
            copy.add(tag, aliases)
        return copy

    def lookup(self, name: str, language: str | None = None) -> KnownTag | None:
        """The known tag for a name, by exact alias first, then ignoring case."""
        hit = _pick(self._aliases.get(name), language) or _pick(
            self._folded.get(name.casefold()), language
        )
        return hit.tag if hit else None

    def is_demonym(self, name: str, language: str | None = None) -> bool:
        hit = _pick(self._aliases.get(name), language)
        return hit is not None and hit.demonym

    def find(self, text: str, language: str | None = None) -> Iterator[AliasMatch]:
        """Every whole-word, case-exact alias occurrence; overlapping matches keep the longest."""
        if not self._aliases:
            return
        automaton = self._build()
        best: list[AliasMatch] = []
        for end_index, alias in automaton.iter(text):
            start = end_index - len(alias) + 1
            end = end_index + 1
            hit = _pick(self._aliases[alias], language)
            if hit is None or not _whole_word(text, start, end):
                continue
            match = AliasMatch(start, end, hit.tag, hit.demonym)
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


def _written_forms(alias: str) -> tuple[str, ...]:
    """The alias, and in capitals when it is a name of four letters or more rather than an
    acronym ("GAO" the office is not "Gao" the town shouted)."""
    letters = sum(c.isalpha() for c in alias)
    if alias.isupper() or letters < 4 or not alias[:1].isupper():
        return (alias,)
    return (alias, alias.upper())


def _short_acronym(alias: str) -> bool:
    """ "EU", "ONU": matched as written only, not as the word "Eu" or "onu"."""
    return alias.isupper() and sum(c.isalpha() for c in alias) <= 3


def _append(table: dict[str, list[_Alias]], alias: str, entry: _Alias) -> None:
    entries = table.setdefault(alias, [])
    if not any(e.tag == entry.tag and e.language in (None, entry.language) for e in entries):
        entries.append(entry)


def _pick(entries: list[_Alias] | None, language: str | None) -> _Alias | None:
    """The first entry (the first added) that holds in ``language``."""
    for entry in entries or ():
        if entry.language is None or language is None or entry.language == language:
            return entry
    return None


def _whole_word(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    # "al-Qaeda-linked" still names al-Qaeda; "Mali-based" Mali; "anti-France" France.
    return not before.isalnum() and not after.isalnum()


def data_file_text() -> str:
    return resources.files("tagwire.enrich").joinpath("data/known_tags.json").read_text()


@cache
def load_gazetteer() -> Gazetteer:
    """The bundled gazetteer (countries + reviewed data file), built once per process."""
    data = json.loads(data_file_text())
    gazetteer = Gazetteer()
    for entry in data["tags"]:
        tag = known(entry["label"], entry["kind"])
        gazetteer.add(tag, entry["aliases"])
        for language, aliases in entry.get("local_aliases", {}).items():
            gazetteer.add(tag, aliases, language=language)
        gazetteer.add(tag, _with_plurals(entry.get("demonyms", [])), demonym=True)
    countries = _add_countries(gazetteer, data["country_labels"], data["country_aliases"])
    for language, names in data["demonyms"].items():
        for demonym, code in names.items():
            if code in countries:
                # French writes the adjective in lower case, the people capitalised: "les Maliens".
                forms = [demonym, demonym[:1].upper() + demonym[1:]]
                if language == "en":
                    forms = _with_plurals(forms)
                gazetteer.add(countries[code], forms, demonym=True, language=language)
    gazetteer.never = frozenset(name.casefold() for name in data["never_tags"])
    return gazetteer


def _with_plurals(demonyms: list[str]) -> list[str]:
    """English demonyms and the plural that names the people: "Malians", "Iraqis"."""
    plurals = [d + "s" for d in demonyms if d.endswith(("an", "i", "o"))]
    return [*demonyms, *plurals]


def known(label: str, kind: str, *, broad: bool = False) -> KnownTag:
    return KnownTag(label=label, kind=kind, slug=slugify(label), broad=broad)


def without_harakat(name: str) -> list[str]:
    """An Arabic-script name as written with and without its short-vowel marks ("النّيجر"
    is mostly written "النيجر")."""
    bare = _HARAKAT.sub("", name)
    return [name, bare] if bare != name else [name]


def _add_countries(
    gazetteer: Gazetteer, labels: dict[str, str], extra: dict[str, list[str]]
) -> dict[str, KnownTag]:
    translations = {
        language: gettext.translation(
            "iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True
        )
        for language in COUNTRY_NAME_LANGUAGES
    }
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
        gazetteer.add(tag, [n for n in names if "," not in n])
        for language, translation in translations.items():
            name = translation.gettext(country.name)
            if name != country.name and "," not in name:
                gazetteer.add(tag, without_harakat(name), language=language)
    return countries
