"""Authenticated content distribution (WebSub 8): ``X-Hub-Signature: method=hexdigest``,
the HMAC of the pushed body with the subscription's secret."""

from __future__ import annotations

import hashlib
import hmac

ALGORITHMS = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}


def sign(secret: str, body: bytes, method: str = "sha256") -> str:
    """The header value a hub sends (used by the tests' fake hub)."""
    digest = hmac.new(secret.encode(), body, ALGORITHMS[method]).hexdigest()
    return f"{method}={digest}"


def signature_matches(secret: str, body: bytes, header: str | None) -> bool:
    """True when ``header`` is a valid signature of ``body``; compared in constant time."""
    method, _, given = (header or "").strip().partition("=")
    algorithm = ALGORITHMS.get(method.strip().lower())
    if not secret or algorithm is None or not given:
        return False
    expected = hmac.new(secret.encode(), body, algorithm).hexdigest().encode()
    # Bytes: a header may carry any Latin-1 character, which compare_digest refuses in str.
    return hmac.compare_digest(expected, given.strip().lower().encode("latin-1", "replace"))
