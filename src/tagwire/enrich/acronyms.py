"""Acronyms an article defines ("Coalition for the Defence of the Oasis (CDO)"): the
acronym becomes the tag's label, its expansion an alias, in a small gazetteer of the
article's own that the tagger matches beside the bundled one.
"""

from __future__ import annotations

import re

from tagwire.enrich.gazetteer import Gazetteer, known
from tagwire.enrich.names import clean_name
from tagwire.enrich.phrases import CONNECTORS

MAX_EXPANSION_WORDS = 10

_ACRONYM = re.compile(r"\(\s*([A-Z](?=[a-z]*[A-Z])[A-Za-z]{1,9})\s*\)")


def acronym_gazetteer(
    document: str, gazetteer: Gazetteer, language: str | None = None
) -> Gazetteer:
    """Acronyms defined in this text ("Expansion Words (EW)") as a small gazetteer."""
    local = Gazetteer()
    for match in _ACRONYM.finditer(document):
        acronym = match.group(1)
        expansion = expansion_before(document, match.start(), acronym)
        if not expansion or gazetteer.lookup(acronym, language) is not None:
            continue
        tag = gazetteer.lookup(expansion, language) or known(acronym, "organisation")
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
        if not capitalised and bare.lower() not in CONNECTORS:
            break
        phrase.insert(0, bare)
        if len(phrase) > MAX_EXPANSION_WORDS + 2:
            return None
    phrase = trim_to_initials(phrase, acronym)
    while phrase and phrase[0].lower() in CONNECTORS:
        phrase.pop(0)
    if not 2 <= len(phrase) <= MAX_EXPANSION_WORDS:
        return None
    return clean_name(" ".join(phrase), kind="organisation")


def trim_to_initials(phrase: list[str], acronym: str) -> list[str]:
    """ "Fighters of the Coalition for the Defence of the Oasis" + CDO -> from "Coalition"."""
    letters = "".join(c for c in acronym if c.isupper())
    content = [i for i, word in enumerate(phrase) if word.lower() not in CONNECTORS]
    for start in range(len(content)):
        initials = "".join(_initial(phrase[i]) for i in content[start:])
        if initials == letters:
            return phrase[content[start] :]
    return phrase


def _initial(word: str) -> str:
    capitalised = next((part for part in word.split("-") if part[:1].isupper()), word)
    return capitalised[:1].upper()
