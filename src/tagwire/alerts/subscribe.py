"""What an alert is made of, checked before it is stored: a tag or a search that can
match something, and a webhook URL tagwire may POST to. The secret is made here, and
handed back once."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import Engine

from tagwire.enrich.names import slugify
from tagwire.errors import BlockedAddress, InvalidInput
from tagwire.fetch.guard import AddressPolicy, check_literal_host, check_url
from tagwire.search.query import parse_query
from tagwire.settings import Settings
from tagwire.store import alerts as alert_store
from tagwire.store.alerts import AlertView

KINDS = ("tag", "search")
MAX_URL = 2000
MAX_TARGET = 200  # as long as the search box allows


@dataclass(frozen=True, slots=True)
class NewAlert:
    """An alert just made, with the secret that signs its POSTs: shown this once."""

    alert: AlertView
    secret: str


def subscribe(settings: Settings, engine: Engine, kind: str, target: str, url: str) -> NewAlert:
    """Store an alert for ``url`` on the tag or search ``target``, with a new secret."""
    target = checked_target(kind, target)
    url = checked_webhook_url(url, AddressPolicy.from_settings(settings))
    secret = secrets.token_hex(32)
    return NewAlert(alert_store.add_alert(engine, kind, target, url, secret), secret)


def checked_target(kind: str, target: str) -> str:
    """A tag's slug, or the query as typed (stripped); InvalidInput when it matches nothing."""
    target = target.strip()
    if kind not in KINDS:
        raise InvalidInput(f"an alert is on a tag or a search, not {kind!r}")
    if len(target) > MAX_TARGET or any(ord(c) < 32 or c == "\x7f" for c in target):
        raise InvalidInput(f"a tag or search is at most {MAX_TARGET} printable characters")
    if kind == "tag":
        slug = slugify(target)
        if not slug:
            raise InvalidInput(f"{target!r} is not a tag")
        return slug
    if parse_query(target).is_empty():
        raise InvalidInput(f"the search {target!r} has nothing to look for")
    return target


def checked_webhook_url(url: str, policy: AddressPolicy) -> str:
    """An http(s) URL of reasonable length whose host, when it is an address, the policy
    allows (a host name is checked at each delivery, where its addresses are known)."""
    url = check_url(url)
    if len(url) > MAX_URL:
        raise InvalidInput(f"a webhook URL is at most {MAX_URL} characters")
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise InvalidInput("a webhook URL holds no spaces or control characters")
    try:
        check_literal_host(url, policy)
    except BlockedAddress as exc:
        raise InvalidInput(str(exc)) from None
    return url
