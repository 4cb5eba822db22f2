"""The reader's language for one request (chosen by ``web.layers.ReaderLanguage``), and the
headers that say which it was.

The switch ``?hl=fr`` wins and is remembered in a cookie; then the cookie; then the
browser's Accept-Language (q-values honoured); then English. Anything unknown or malformed
is passed over, never an error. Feeds, JSON and the API are always English: their readers
are programs, and one URL gives one body."""

from __future__ import annotations

import re

from babel.core import negotiate_locale
from fastapi import Response
from starlette.datastructures import MutableHeaders

from tagwire.web import i18n

SWITCH = "hl"
COOKIE = "tagwire_hl"
COOKIE_SECONDS = 365 * 24 * 3600
ENGLISH_ONLY_SUFFIXES = (".json", ".jsonl", ".atom", ".rss", ".xml", ".opml")
MAX_RANGES = 20  # a longer Accept-Language is read only this far
_QUALITY = re.compile(r"\s*q\s*=\s*(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)\s*", re.IGNORECASE)


def switch_cookie(locale: str, scheme: str) -> str:
    """The ``Set-Cookie`` value that remembers the switch's choice for a year."""
    response = Response()
    response.set_cookie(
        COOKIE, locale, max_age=COOKIE_SECONDS, httponly=True, samesite="lax",
        secure=scheme == "https",
    )  # fmt: skip
    return response.headers["set-cookie"]


def english_only(path: str) -> bool:
    """Feeds, the API and its docs: one body per URL, whoever asks."""
    return path.startswith(("/api/", "/static/", "/docs")) or path.endswith(ENGLISH_ONLY_SUFFIXES)


def supported(value: str | None) -> str | None:
    """``value`` if it names a language of the interface (any case), else None."""
    value = (value or "").strip().lower()
    return value if value in i18n.LANGUAGES else None


def preferred_locale(accept_language: str) -> str:
    """The interface language that best fits an Accept-Language header, else English."""
    chosen = negotiate_locale(preferred_languages(accept_language), list(i18n.LANGUAGES), "-")
    return supported(chosen) or i18n.DEFAULT_LOCALE


def preferred_languages(accept_language: str) -> list[str]:
    """The header's language tags, most wanted first; q=0 and malformed ranges are left
    out, equal q-values keep the header's order."""
    ranked = []
    for position, item in enumerate(accept_language.split(",")[:MAX_RANGES]):
        tag, _, parameters = item.partition(";")
        tag = tag.strip()
        quality = parse_quality(parameters) if parameters else 1.0
        if tag and tag != "*" and quality:
            ranked.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(ranked)]


def parse_quality(parameters: str) -> float:
    """The q-value of one range; 0 (refused) when it is not one."""
    match = _QUALITY.fullmatch(parameters)
    return float(match.group(1)) if match else 0.0


def add_vary(headers: MutableHeaders, *names: str) -> None:
    present = [v.strip() for v in headers.get("Vary", "").split(",") if v.strip()]
    missing = [n for n in names if n.lower() not in {p.lower() for p in present}]
    if missing:
        headers["Vary"] = ", ".join(present + missing)
