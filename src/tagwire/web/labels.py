"""Readable names, in the reader's language, of the codes outlet facts use: countries
(ISO 3166-1 alpha-2) and languages (ISO 639-1)."""

from __future__ import annotations

from babel import Locale, UnknownLocaleError

from tagwire.web.i18n import current_locale


def country_name(code: str | None) -> str:
    """``ML`` -> "Mali"; a code with no name stays as it is."""
    if not code:
        return ""
    return str(reader_locale().territories.get(code.upper(), code))


def language_name(code: str | None) -> str:
    """``fr`` -> "French"; a code with no name stays as it is."""
    if not code:
        return ""
    return str(reader_locale().languages.get(code.lower(), code))


def reader_locale() -> Locale:
    try:
        return Locale.parse(current_locale())
    except (ValueError, UnknownLocaleError):
        return Locale("en")
