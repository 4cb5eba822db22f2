"""Checks of the outlet facts a user gives: a country code (ISO 3166-1 alpha-2) and an
ownership in a few words. A bad value is refused with the reason."""

from __future__ import annotations

import pycountry

from tagwire.errors import InvalidInput

MAX_OWNERSHIP = 300


def country_code(text: str) -> str:
    """A country as stored: its ISO 3166-1 alpha-2 code in capitals."""
    code = text.strip().upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise InvalidInput(f"country must be a two-letter ISO 3166-1 code such as ML, not {text!r}")
    if pycountry.countries.get(alpha_2=code) is None:
        raise InvalidInput(f"{code} is no ISO 3166-1 country code")
    return code


def ownership_text(text: str) -> str:
    """Who owns an outlet, on one line of at most ``MAX_OWNERSHIP`` characters."""
    words = " ".join(text.split())
    if any(not c.isprintable() for c in words):
        raise InvalidInput("ownership must be plain text, without control characters")
    if len(words) > MAX_OWNERSHIP:
        raise InvalidInput(f"ownership is {len(words)} characters long; at most {MAX_OWNERSHIP}")
    return words
