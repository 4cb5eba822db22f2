"""Who may read and who may change things: sessions, the API token, CSRF, feed keys.

Reading is public unless ``TAGWIRE_READ_PASSWORD`` is set; then a page, feed or API read
needs a session (from /login), the API token as a bearer token, or, for feeds and
exports only (``FEED_SUFFIXES``: a tag's or a search's feeds, the subscriptions' OPML, a
tag's archive), the read-only feed key in ``?key=`` (feed readers cannot send headers or
log in).

Changing things needs ``TAGWIRE_API_TOKEN``: as a bearer token, or an admin session (a
login with the API token as password) that sends its CSRF token in ``X-CSRF-Token``.
Without the setting, changing is off.

A session cookie is ``role.expiry.nonce.signature``, signed with HMAC-SHA256 under
``TAGWIRE_SECRET_KEY`` (or a key derived from the password and token); its CSRF token
and the feed key are HMACs under the same key, so nothing is kept on the server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tagwire.settings import Settings

SESSION_COOKIE = "tagwire_session"
LOGIN_COOKIE = "tagwire_login"  # the login form's double-submit CSRF token
SESSION_SECONDS = 14 * 24 * 3600
READER, ADMIN = "reader", "admin"
OPEN_PAGES = frozenset({"/login", "/logout"})
OPEN_PREFIXES = ("/static/", "/websub/")  # WebSub callbacks carry their own secrets
FEED_SUFFIXES = (".json", ".atom", ".rss", ".opml", ".jsonl")
bearer = HTTPBearer(auto_error=False, description="The API token of TAGWIRE_API_TOKEN")


@dataclass(frozen=True, slots=True)
class Session:
    role: str
    expires: int
    nonce: str


def signing_key(settings: Settings) -> bytes:
    if settings.secret_key:
        return settings.secret_key.encode()
    material = f"tagwire-session\0{settings.api_token}\0{settings.read_password}"
    return hashlib.sha256(material.encode()).digest()


def sign(settings: Settings, message: str) -> str:
    digest = hmac.new(signing_key(settings), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def same(given: str | None, expected: str) -> bool:
    """Constant-time comparison; nothing matches an empty secret."""
    return bool(expected) and hmac.compare_digest((given or "").encode(), expected.encode())


def login_enabled(settings: Settings) -> bool:
    return bool(settings.read_password or settings.api_token)


def role_for_password(settings: Settings, given: str) -> str | None:
    """ADMIN for the API token, READER for the read password, else None (both compared)."""
    admin, reader = same(given, settings.api_token), same(given, settings.read_password)
    return ADMIN if admin else READER if reader else None


def new_session_cookie(settings: Settings, role: str) -> str:
    payload = f"{role}.{int(time.time()) + SESSION_SECONDS}.{secrets.token_urlsafe(16)}"
    return f"{payload}.{sign(settings, payload)}"


def session_of(request: Request) -> Session | None:
    """The request's valid, unexpired session, if it has one."""
    settings: Settings = request.app.state.settings
    cookie = request.cookies.get(SESSION_COOKIE, "")
    payload, _, signature = cookie.rpartition(".")
    if not login_enabled(settings) or not same(signature, sign(settings, payload)):
        return None
    role, expires, nonce = [*payload.split("."), "", "", ""][:3]
    if not expires.isdigit() or int(expires) < time.time():
        return None
    if (role == ADMIN and settings.api_token) or (role == READER and settings.read_password):
        return Session(role, int(expires), nonce)
    return None


def csrf_token(settings: Settings, session: Session) -> str:
    return sign(settings, "csrf." + session.nonce)


def feed_key(settings: Settings) -> str | None:
    """The read-only key that opens feeds and exports when reading needs a login."""
    return sign(settings, "feeds")[:32] if settings.read_password else None


def has_api_token(request: Request) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and same(given, request.app.state.settings.api_token)


def may_read(request: Request) -> bool:
    """Whether this request may read: always when reading is public."""
    settings: Settings = request.app.state.settings
    path = request.url.path
    if not settings.read_password or path in OPEN_PAGES or path.startswith(OPEN_PREFIXES):
        return True
    if session_of(request) is not None or has_api_token(request):
        return True
    key = feed_key(settings) or ""
    return path.endswith(FEED_SUFFIXES) and same(request.query_params.get("key"), key)


def require_admin(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> None:
    """Dependency of everything that changes things: the API token, or an admin session
    with its CSRF token."""
    settings: Settings = request.app.state.settings
    if not settings.api_token:
        raise HTTPException(403, "changing tags through the API is off: set TAGWIRE_API_TOKEN")
    if credentials is not None and same(credentials.credentials, settings.api_token):
        return
    session = session_of(request)
    if session is not None and session.role == ADMIN:
        if same(request.headers.get("x-csrf-token"), csrf_token(settings, session)):
            return
        raise HTTPException(403, "an admin session must send its CSRF token in X-CSRF-Token")
    raise HTTPException(
        401,
        "a valid API token is required (Authorization: Bearer ...)",
        headers={"WWW-Authenticate": "Bearer"},
    )


def safe_next(target: str | None) -> str:
    """A local path to go to after logging in; anything else (another site) is home."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith(("//", "/\\"))
        or any(ord(c) < 32 or c == "\\" for c in target)
        or len(target) > 2000
    ):
        return "/"
    return target


def is_admin(request: Request) -> bool:
    """Whether the request may see admin pages: the API token, or an admin session (a
    page that only shows needs no CSRF token)."""
    if has_api_token(request):
        return True
    session = session_of(request)
    return session is not None and session.role == ADMIN
