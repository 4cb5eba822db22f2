"""The bundled outlet facts (``facts.json``), found for an outlet by its homepage or feed
domain, else by its name. Read once per process."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from urllib.parse import urlsplit

from tagwire.enrich.names import fold


@dataclass(frozen=True, slots=True)
class OutletFacts:
    name: str
    country: str  # ISO 3166-1 alpha-2
    languages: tuple[str, ...]  # ISO 639-1, main language first
    ownership: str
    state_affiliated: bool


@dataclass(frozen=True, slots=True)
class FactsIndex:
    by_site: dict[str, OutletFacts]  # "bbc.com", or a section of a site: "bbc.com/afrique"
    by_name: dict[str, OutletFacts]  # folded names and aliases, less those of two outlets


@cache
def bundled_facts() -> FactsIndex:
    text = resources.files("tagwire.outlets").joinpath("facts.json").read_text("utf-8")
    return index_facts(json.loads(text)["outlets"])


def index_facts(entries: list[dict]) -> FactsIndex:
    """Each outlet under its domains and its folded names; a name two outlets share ("Le
    Matin" of Casablanca and of Lausanne) finds neither."""
    by_site: dict[str, OutletFacts] = {}
    by_name: dict[str, OutletFacts | None] = {}
    for entry in entries:
        facts = OutletFacts(
            name=entry["name"],
            country=entry["country"],
            languages=tuple(entry["languages"]),
            ownership=entry["ownership"],
            state_affiliated=entry["state_affiliated"],
        )
        for domain in entry["domains"]:
            by_site[domain.lower()] = facts
        for name in {fold(n) for n in (entry["name"], *entry["aliases"])}:
            by_name[name] = None if name in by_name else facts
    names = {name: facts for name, facts in by_name.items() if facts is not None}
    return FactsIndex(by_site, names)


def find_facts(*urls: str | None, name: str | None = None) -> OutletFacts | None:
    """The facts of the outlet at the first of ``urls`` that is a known site; else, when
    none of them is a public site (no URL, an address, a test domain), of the outlet called
    ``name``. Names are not unique ("The Herald" of Glasgow and of Harare): an outlet whose
    site is known and not in the bundle is not given another's facts by its name."""
    index = bundled_facts()
    for url in urls:
        found = facts_for_url(index, url) if url else None
        if found is not None:
            return found
    if not name or any(public_site(url) for url in urls if url):
        return None
    return index.by_name.get(fold(name))


PRIVATE_SUFFIXES = (".test", ".example", ".invalid", ".localhost", ".local", ".internal")


def public_site(url: str) -> bool:
    """Whether ``url`` names a site on the internet by name (not an IP address, not a
    reserved or local domain)."""
    try:
        host = (urlsplit(url if "//" in url else "//" + url).hostname or "").rstrip(".")
    except ValueError:
        return False
    if not host or "." not in host or host == "localhost":
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return not host.endswith(PRIVATE_SUFFIXES)
    return False


def facts_for_url(index: FactsIndex, url: str) -> OutletFacts | None:
    """A URL's site by suffix, so that ``feeds.bbci.co.uk`` and ``www.bbc.com`` are the
    BBC; a known section of the site (``bbc.com/afrique``) before the site itself."""
    url = url.strip()
    try:
        parts = urlsplit(url if "//" in url else "//" + url)
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        return None
    section = parts.path.strip("/").split("/", 1)[0].lower()
    labels = host.split(".")
    for start in range(len(labels) - 1):  # down to two labels, never a bare top-level domain
        domain = ".".join(labels[start:])
        found = (index.by_site.get(f"{domain}/{section}") if section else None) or (
            index.by_site.get(domain)
        )
        if found is not None:
            return found
    return None
