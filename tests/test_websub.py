"""WebSub: a fake hub on loopback, the callback served by the app. Discovery, the
subscription request, intent verification, signed pushes stored like polled entries, and
polling as before when the hub fails."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from html import escape
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tagwire.feeds import parse_feed
from tagwire.models import FetchResult, Subscription
from tagwire.schedule import update_due_feeds
from tagwire.settings import Settings
from tagwire.store.feeds import add_feed, feed_state, list_feeds
from tagwire.store.reads import count_articles
from tagwire.web import create_app
from tagwire.websub.decide import (
    NOTHING,
    RENEW,
    SUBSCRIBE,
    UNSUBSCRIBE,
    plan_subscription,
    verify_intent,
)
from tagwire.websub.discover import HubLinks, find_hub
from tagwire.websub.signature import sign, signature_matches

from .conftest import allow_robots
from .pages import article_html

PUBLIC_URL = "http://testserver"  # TestClient's host: the hub "reaches" the app there
NOW = datetime.now(UTC)
STORY = (
    "Drought talks open in Bamako",
    [
        "Delegates from Mali and Niger met in Bamako on Tuesday to plan a shared answer to the"
        " drought that has emptied wells along the Niger River.",
        "The Malian minister of water said the two governments would pool their tanker fleets"
        " before the dry season reaches its peak in the north.",
        "Herders from Gao told the meeting that grazing land had shrunk by a third.",
    ],
)


def atom(entries: list[tuple[str, str]], *, hub: str | None, self_url: str | None) -> str:
    links = "".join(
        f'<link rel="{rel}" href="{escape(url)}"/>'
        for rel, url in (("hub", hub), ("self", self_url))
        if url
    )
    items = "".join(
        f"<entry><id>{escape(link)}</id><title>{escape(title)}</title>"
        f'<link href="{escape(link)}"/><updated>{NOW.isoformat()}</updated>'
        f"<summary>{escape(title)}</summary></entry>"
        for title, link in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Hub Outlet</title><id>urn:hub-outlet</id><updated>{NOW.isoformat()}</updated>"
        f'<link href="http://example.test/"/>{links}{items}</feed>'
    )


class FakeHub:
    """Records each subscription request and answers with ``status``."""

    def __init__(self, server: HTTPServer, status: int = 202) -> None:
        self.requests: list[dict[str, str]] = []
        self.status = status
        self.url = server.url_for("/hub")
        server.expect_request("/hub", method="POST").respond_with_handler(self.answer)

    def answer(self, request: Request) -> Response:
        self.requests.append(dict(request.form))
        return Response("", status=self.status)

    def callback_path(self) -> str:
        return urlsplit(self.requests[-1]["hub.callback"]).path


@pytest.fixture
def hub_settings(settings: Settings) -> Settings:
    return settings.replace(public_url=PUBLIC_URL)


def serve_feed(site: HTTPServer, hub: FakeHub | None, entries: list[tuple[str, str]]) -> str:
    url = site.url_for("/feed.atom")
    body = atom(entries, hub=hub.url if hub else None, self_url=url)
    site.expect_request("/feed.atom").respond_with_data(body, content_type="application/atom+xml")
    return url


def serve_story(site: HTTPServer) -> str:
    title, paragraphs = STORY
    page = article_html(title, paragraphs, site="Hub Outlet", section="Environment")
    site.expect_request("/world/drought").respond_with_data(page, content_type="text/html")
    return site.url_for("/world/drought")


def subscribe_feed(settings, engine, tagger, feed_url: str) -> int:
    feed_id, _ = add_feed(
        engine, feed_url, title=None, site_url=None, kind=None, outlet_name="Hub Outlet"
    )
    update(settings, engine, tagger)
    return feed_id


def update(settings, engine, tagger, feed_id: int | None = None) -> None:
    feeds = None if feed_id is None else [feed_state(engine, feed_id)]
    asyncio.run(update_due_feeds(settings, engine, feeds=feeds, tagger=tagger))


def verify(client: TestClient, path: str, topic: str, mode: str = "subscribe"):
    params = {
        "hub.mode": mode,
        "hub.topic": topic,
        "hub.challenge": "challenge-42",
        "hub.lease_seconds": "86400",
    }
    return client.get(path, params=params)


# Pure steps


def test_hub_and_topic_come_from_the_link_header_first_then_the_feed():
    body = atom([], hub="https://hub.example/", self_url="https://outlet.example/feed").encode()
    fetched = FetchResult("https://outlet.example/atom", 200, "application/atom+xml", body)
    parsed = parse_feed(body, url=fetched.url, content_type=fetched.content_type)
    assert find_hub(fetched, parsed) == HubLinks(
        "https://hub.example/", "https://outlet.example/feed"
    )
    header = '<https://other-hub.example/>; rel="hub", </canonical>; rel=self'
    linked = FetchResult(fetched.url, 200, fetched.content_type, body, link_header=header)
    assert find_hub(linked, parsed) == HubLinks(
        "https://other-hub.example/", "https://outlet.example/canonical"
    )
    hostile = atom([], hub="javascript:alert(1)", self_url=None).encode()
    assert find_hub(fetched, parse_feed(hostile, url=fetched.url)) is None
    plain = atom([], hub=None, self_url=None).encode()
    assert find_hub(fetched, parse_feed(plain, url=fetched.url)) is None


def test_json_feed_hubs_are_discovered():
    body = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [],'
        b' "feed_url": "https://j.example/feed.json",'
        b' "hubs": [{"type": "rssCloud", "url": "https://c.example/"},'
        b' {"type": "WebSub", "url": "https://hub.example/"}]}'
    )
    parsed = parse_feed(body, url="https://j.example/feed.json")
    fetched = FetchResult("https://j.example/feed.json", 200, "application/feed+json", body)
    assert find_hub(fetched, parsed) == HubLinks(
        "https://hub.example/", "https://j.example/feed.json"
    )


@pytest.mark.parametrize("method", ["sha1", "sha256", "sha384", "sha512"])
def test_every_signature_method_of_the_spec_is_checked(method):
    body = b"<feed/>"
    assert signature_matches("s3cret", body, sign("s3cret", body, method))
    assert not signature_matches("other", body, sign("s3cret", body, method))
    assert not signature_matches("s3cret", body + b" ", sign("s3cret", body, method))
    assert not signature_matches("s3cret", body, None)
    assert not signature_matches("s3cret", body, "md5=" + "0" * 32)


def test_subscription_plan_subscribes_renews_retries_and_leaves():
    links = HubLinks("https://hub.example/", "https://outlet.example/feed")
    active = Subscription(
        links.hub, links.topic, "tok", "sec", "active", NOW, NOW + timedelta(days=5)
    )
    assert plan_subscription(None, links, NOW) == SUBSCRIBE
    assert plan_subscription(None, None, NOW) == NOTHING
    assert plan_subscription(active, links, NOW) == NOTHING
    assert plan_subscription(active, links, NOW + timedelta(days=5)) == RENEW  # lease ended
    assert plan_subscription(active, None, NOW) == UNSUBSCRIBE
    moved = HubLinks("https://new-hub.example/", links.topic)
    assert plan_subscription(active, moved, NOW) == UNSUBSCRIBE
    denied = Subscription(links.hub, links.topic, "tok", "sec", "denied", NOW)
    assert plan_subscription(denied, links, NOW + timedelta(hours=1)) == NOTHING
    assert plan_subscription(denied, links, NOW + timedelta(days=2)) == SUBSCRIBE


def test_intent_is_confirmed_only_for_our_topic_and_token():
    pending = Subscription("https://hub.example/", "https://o.example/f", "tok", "s", "pending")
    right = {"hub.mode": "subscribe", "hub.topic": pending.topic, "hub.challenge": "c"}
    assert verify_intent(pending, "tok", right, NOW).body == "c"
    assert verify_intent(pending, "tok", right, NOW).change == "activate"
    assert verify_intent(pending, "bad", right, NOW).status == 404
    assert verify_intent(None, "tok", right, NOW).status == 404
    wrong = {**right, "hub.topic": "https://o.example/other"}
    assert verify_intent(pending, "tok", wrong, NOW).status == 404
    never_asked = {**right, "hub.mode": "unsubscribe"}
    assert verify_intent(pending, "tok", never_asked, NOW).status == 404


# Against the fake hub, on both databases


def test_a_feed_with_a_hub_is_subscribed_with_the_spec_fields(site, hub_settings, engine, tagger):
    hub = FakeHub(site)
    feed_url = serve_feed(site, hub, [])
    feed_id = subscribe_feed(hub_settings, engine, tagger, feed_url)

    (request,) = hub.requests
    assert request["hub.mode"] == "subscribe"
    assert request["hub.topic"] == feed_url
    assert request["hub.callback"].startswith(f"{PUBLIC_URL}/websub/{feed_id}/")
    assert int(request["hub.lease_seconds"]) > 0
    assert 16 <= len(request["hub.secret"]) < 200
    sub = feed_state(engine, feed_id).subscription
    assert sub is not None and sub.state == "pending" and sub.hub == hub.url
    assert sub.secret == request["hub.secret"]


def test_without_a_public_url_feeds_are_only_polled(site, settings, engine, tagger):
    hub = FakeHub(site)
    feed_id = subscribe_feed(settings, engine, tagger, serve_feed(site, hub, []))
    assert hub.requests == []
    assert feed_state(engine, feed_id).subscription is None


def test_verification_echoes_the_challenge_only_for_the_right_topic(
    site, hub_settings, engine, tagger
):
    hub = FakeHub(site)
    feed_url = serve_feed(site, hub, [])
    feed_id = subscribe_feed(hub_settings, engine, tagger, feed_url)
    client = TestClient(create_app(hub_settings, engine))
    path = hub.callback_path()

    assert verify(client, path, "http://elsewhere.test/feed").status_code == 404
    assert verify(client, f"/websub/{feed_id}/not-the-token", feed_url).status_code == 404
    assert feed_state(engine, feed_id).subscription.state == "pending"
    answer = verify(client, path, feed_url)
    assert answer.status_code == 200 and answer.text == "challenge-42"
    sub = feed_state(engine, feed_id).subscription
    assert sub.state == "active" and sub.expires_at > datetime.now(UTC)

    # With pushes arriving, the next poll waits until the lease asks for renewal.
    update(hub_settings, engine, tagger, feed_id)
    polled = feed_state(engine, feed_id)
    assert polled.subscription.state == "active" and len(hub.requests) == 1
    next_check = next_check_at(engine, feed_id)
    assert next_check > datetime.now(UTC) + timedelta(minutes=hub_settings.poll_minutes)
    assert next_check <= sub.expires_at


def test_a_signed_push_is_stored_like_a_polled_entry(site, hub_settings, engine, tagger):
    hub = FakeHub(site)
    feed_url = serve_feed(site, hub, [])
    feed_id = subscribe_feed(hub_settings, engine, tagger, feed_url)
    story_url = serve_story(site)
    secret = hub.requests[-1]["hub.secret"]
    body = atom([(STORY[0], story_url)], hub=hub.url, self_url=feed_url).encode()

    with TestClient(create_app(hub_settings, engine, workers=True)) as client:
        assert verify(client, hub.callback_path(), feed_url).status_code == 200
        pushed = client.post(
            hub.callback_path(),
            content=body,
            headers={
                "Content-Type": "application/atom+xml",
                "X-Hub-Signature": sign(secret, body),
            },
        )
        assert pushed.status_code == 202
        for _ in range(600):  # the inbox stores it in the background; wait for it, not a time
            if count_articles(engine) == 1:
                break
            time.sleep(0.1)
        page = client.get("/tags/bamako")
    assert page.status_code == 200
    assert STORY[0] in page.text and "Hub Outlet" in page.text
    assert feed_state(engine, feed_id).subscription.state == "active"


def test_a_wrongly_signed_push_stores_nothing(site, hub_settings, engine, tagger):
    hub = FakeHub(site)
    feed_url = serve_feed(site, hub, [])
    feed_id = subscribe_feed(hub_settings, engine, tagger, feed_url)
    body = atom([(STORY[0], serve_story(site))], hub=hub.url, self_url=feed_url).encode()
    client = TestClient(create_app(hub_settings, engine))  # no workers: a push makes it due
    assert verify(client, hub.callback_path(), feed_url).status_code == 200
    scheduled = next_check_at(engine, feed_id)

    for signature in (sign("not-the-secret", body), None, "sha256=zz"):
        headers = {"Content-Type": "application/atom+xml"}
        if signature:
            headers["X-Hub-Signature"] = signature
        answer = client.post(hub.callback_path(), content=body, headers=headers)
        assert answer.status_code == 202  # acknowledged, as the spec allows, and dropped
    assert next_check_at(engine, feed_id) == scheduled
    assert count_articles(engine) == 0

    good = sign(hub.requests[-1]["hub.secret"], body, "sha512")
    answer = client.post(hub.callback_path(), content=body, headers={"X-Hub-Signature": good})
    assert answer.status_code == 202
    assert next_check_at(engine, feed_id) < scheduled  # taken up by the next poll


def test_pushes_for_unknown_subscriptions_are_refused(site, hub_settings, engine, tagger):
    hub = FakeHub(site)
    feed_id = subscribe_feed(hub_settings, engine, tagger, serve_feed(site, hub, []))
    client = TestClient(create_app(hub_settings, engine))
    assert client.post("/websub/999/whatever", content=b"x").status_code == 404
    assert client.post(f"/websub/{feed_id}/stale-token", content=b"x").status_code == 410
    too_big = b"x" * (hub_settings.max_body_bytes + 1)
    assert client.post(hub.callback_path(), content=too_big).status_code == 413


def test_a_failing_hub_leaves_the_feed_polled(site, hub_settings, engine, tagger):
    hub = FakeHub(site, status=500)
    feed_url = serve_feed(site, hub, [])
    feed_id = subscribe_feed(hub_settings, engine, tagger, feed_url)
    assert len(hub.requests) == 1
    assert feed_state(engine, feed_id).subscription.state == "denied"
    normal = datetime.now(UTC) + timedelta(minutes=hub_settings.poll_minutes)
    assert next_check_at(engine, feed_id) <= normal  # not put off: nothing will be pushed

    reset(site)
    hub = FakeHub(site, status=500)
    serve_feed(site, hub, [(STORY[0], serve_story(site))])
    update(hub_settings, engine, tagger, feed_id)
    assert count_articles(engine) == 1  # polled as usual
    assert hub.requests == []  # a denied subscription is asked for again a day later


def test_a_hub_may_deny_and_a_dropped_hub_is_left(site, hub_settings, engine, tagger):
    hub = FakeHub(site)
    feed_url = serve_feed(site, hub, [])
    feed_id = subscribe_feed(hub_settings, engine, tagger, feed_url)
    client = TestClient(create_app(hub_settings, engine))
    assert verify(client, hub.callback_path(), feed_url).status_code == 200

    reset(site)  # the outlet stops advertising its hub
    hub = FakeHub(site)
    serve_feed(site, None, [])
    update(hub_settings, engine, tagger, feed_id)
    assert hub.requests[-1]["hub.mode"] == "unsubscribe"
    assert feed_state(engine, feed_id).subscription.state == "unsubscribing"
    answer = verify(client, hub.callback_path(), feed_url, mode="unsubscribe")
    assert answer.status_code == 200 and answer.text == "challenge-42"
    assert feed_state(engine, feed_id).subscription is None

    reset(site)
    hub = FakeHub(site)
    serve_feed(site, hub, [])
    update(hub_settings, engine, tagger, feed_id)
    denial = {"hub.mode": "denied", "hub.topic": feed_url, "hub.reason": "not today"}
    assert client.get(hub.callback_path(), params=denial).status_code == 200
    assert feed_state(engine, feed_id).subscription.state == "denied"


def next_check_at(engine, feed_id: int) -> datetime:
    return next(f.next_check_at for f in list_feeds(engine) if f.id == feed_id)


def reset(site: HTTPServer) -> None:
    site.clear()
    allow_robots(site)


def test_malformed_hub_values_are_refused_not_crashed_on():
    from tagwire.websub.decide import REQUESTED_LEASE, lease
    from tagwire.websub.signature import signature_matches

    assert not signature_matches("secret", b"body", "sha256=é")
    assert lease("²") == REQUESTED_LEASE and lease("9" * 5000) == REQUESTED_LEASE
