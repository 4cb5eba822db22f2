"""The body and headers of one webhook POST, made without I/O.

The body is JSON; ``X-Tagwire-Signature`` is ``sha256=`` and the hex HMAC-SHA256 of the
raw body under the alert's secret. The body carries the delivery's id and the time it
was sent (also in ``X-Tagwire-Delivery`` and ``X-Tagwire-Timestamp``), so both are
signed: a receiver refuses stale timestamps and ids it has seen (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from tagwire.store.alerts import DueDelivery

EVENT = "story"


def story_body(delivery: DueDelivery, story_url: str, sent_at: int) -> bytes:
    """The JSON body: the alert, the story and its first article."""
    article = delivery.article
    document: dict[str, Any] = {
        "event": EVENT,
        "delivery": delivery.id,
        "timestamp": sent_at,
        "alert": {"id": delivery.alert_id, "kind": delivery.kind, "target": delivery.target},
        "story": {
            "id": delivery.story_id,
            "title": delivery.story_title,
            "first_seen_at": iso(delivery.first_seen_at),
            "url": story_url,
        },
        "article": {
            "title": article.title,
            "url": article.url,
            "outlet": article.outlet,
            "published_at": iso(article.published_at),
            "language": article.language,
            "category": article.category,
            "tags": [{"label": label, "slug": slug} for label, slug in article.tags],
        },
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def delivery_headers(delivery: DueDelivery, body: bytes, sent_at: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Tagwire-Event": EVENT,
        "X-Tagwire-Delivery": str(delivery.id),
        "X-Tagwire-Timestamp": str(sent_at),
        "X-Tagwire-Signature": signature(delivery.secret, body),
    }


def iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")
