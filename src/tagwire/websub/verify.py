"""Answering the hub's GET at the callback (WebSub 5.2 and 5.3): the challenge echoed for
a subscription we asked for, the lease it grants recorded, a denial noted; 404 otherwise."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import Engine

from tagwire.store import websub as websub_store
from tagwire.store.feeds import feed_state
from tagwire.websub.decide import Verdict, verify_intent

log = logging.getLogger("tagwire.websub")


def answer_verification(
    engine: Engine, feed_id: int, token: str, params: Mapping[str, str]
) -> Verdict:
    feed = feed_state(engine, feed_id)
    verdict = verify_intent(feed.subscription if feed else None, token, params, datetime.now(UTC))
    record_verdict(engine, feed_id, token, verdict)
    log.info(
        "feed_id=%s websub=%r status=%s reason=%r",
        feed_id,
        params.get("hub.mode", "")[:20],
        verdict.change if verdict.status == 200 else "refused",
        params.get("hub.reason", "")[:200],
    )
    return verdict


def record_verdict(engine: Engine, feed_id: int, token: str, verdict: Verdict) -> None:
    if verdict.change == "activate" and verdict.expires_at is not None:
        websub_store.confirm_subscription(engine, feed_id, token, verdict.expires_at)
    elif verdict.change == "deny":
        websub_store.deny_subscription(engine, feed_id, token)
    elif verdict.change == "forget":
        websub_store.forget_subscription(engine, feed_id, token)
