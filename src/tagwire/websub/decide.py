"""What to do about a feed's subscription, and how to answer the hub: pure functions of
the stored ``Subscription``, what the feed advertises now and the time, so tests pin them.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from tagwire.models import Subscription
from tagwire.websub.discover import HubLinks

PENDING, ACTIVE, DENIED, UNSUBSCRIBING = "pending", "active", "denied", "unsubscribing"
LIVE = frozenset({PENDING, ACTIVE})  # states in which the hub may push
REQUESTED_LEASE = timedelta(days=7)
LONGEST_LEASE = timedelta(days=365)
RENEW_BEFORE = timedelta(hours=12)  # re-subscribe this long before the lease ends
RETRY_AFTER = timedelta(days=1)  # ask again after a denial or a hub that never verified

SUBSCRIBE, RENEW, UNSUBSCRIBE, NOTHING = "subscribe", "renew", "unsubscribe", "nothing"


def plan_subscription(sub: Subscription | None, links: HubLinks | None, now: datetime) -> str:
    """``subscribe`` (a new callback), ``renew`` (the same one), ``unsubscribe`` or
    ``nothing``. A hub that went or changed is left first; a new one is taken next time."""
    if sub is None or sub.state == UNSUBSCRIBING:
        return SUBSCRIBE if links is not None else NOTHING
    if links is None or (sub.hub, sub.topic) != (links.hub, links.topic):
        if sub.state in LIVE:
            return UNSUBSCRIBE
        return SUBSCRIBE if links is not None else NOTHING
    if sub.state == ACTIVE:
        return RENEW if sub.expires_at is None or renew_at(sub.expires_at) <= now else NOTHING
    asked_long_ago = sub.requested_at is None or now - sub.requested_at >= RETRY_AFTER
    return SUBSCRIBE if asked_long_ago else NOTHING


def renew_at(expires_at: datetime) -> datetime:
    """When to ask for the subscription again: a while before its lease ends."""
    return expires_at - RENEW_BEFORE


def pushes_until(sub: Subscription | None, now: datetime) -> datetime | None:
    """Until when pushes stand in for polling (an active lease not yet due for renewal)."""
    if sub is None or sub.state != ACTIVE or sub.expires_at is None:
        return None
    until = renew_at(sub.expires_at)
    return until if until > now else None


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer to a hub's GET at the callback, and what it changes in the store."""

    status: int
    body: str = ""
    change: str = NOTHING  # "activate", "deny", "forget" or NOTHING
    expires_at: datetime | None = None


NOT_OURS = Verdict(404, "no such subscription")


def verify_intent(
    sub: Subscription | None, token: str, params: Mapping[str, str], now: datetime
) -> Verdict:
    """Echo ``hub.challenge`` only for a subscription we asked for, on its own topic
    (WebSub 5.3); anything else is a 404, which tells the hub we do not agree."""
    if sub is None or not hmac.compare_digest(token.encode(), sub.token.encode()):
        return NOT_OURS
    if params.get("hub.topic") != sub.topic:
        return NOT_OURS
    mode, challenge = params.get("hub.mode", ""), params.get("hub.challenge", "")
    if mode == "denied" and sub.state in LIVE:
        return Verdict(200, change="deny")
    if not challenge:
        return NOT_OURS
    if mode == "subscribe" and sub.state in LIVE:
        return Verdict(200, challenge, "activate", now + lease(params.get("hub.lease_seconds")))
    if mode == "unsubscribe" and sub.state == UNSUBSCRIBING:
        return Verdict(200, challenge, "forget")
    return NOT_OURS


def lease(value: str | None) -> timedelta:
    """The lease the hub granted (``hub.lease_seconds``), within sane bounds."""
    value = (value or "").strip()
    if not (value.isascii() and value.isdigit() and len(value) < 12):  # "²" is a digit too
        return REQUESTED_LEASE
    seconds = min(int(value), int(LONGEST_LEASE.total_seconds()))
    return timedelta(seconds=seconds)
