"""Webhook alerts against a real receiver on loopback: one signed POST per new story (not
per report, nor per duplicate), retries with backoff, a receiver that is down, saved
searches, the SSRF guard, the API behind its token, the /alerts page, the CLI and the
migration."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pytest_httpserver import HTTPServer
from sqlalchemy import Engine, inspect

from tagwire.alerts.deliver import BACKOFF, MAX_ATTEMPTS, next_attempt, send_alerts
from tagwire.alerts.subscribe import subscribe
from tagwire.drafts import describe_story
from tagwire.errors import InvalidInput
from tagwire.settings import Settings
from tagwire.store import open_store
from tagwire.store.alerts import (
    claim_due_deliveries,
    delivery_log,
    list_alerts,
    queue_new_stories,
)
from tagwire.store.articles import save_article
from tagwire.store.reads import get_article, story_page
from tagwire.web import create_app

from .factories import FLOOD, FLOOD_AGAIN, draft, feed, tag
from .test_workers import broker_env, start_worker, wait_until  # noqa: F401 - Celery fixtures

TOKEN = "alerts-test-token-0123456789"
FLOOD_TAGS = (tag("Ségou", "segou"), tag("Niger", "niger", salience=0.6))
HARVEST = (
    "Millet farmers around Mopti expect their best harvest in five years after steady rains,"
    " the regional agriculture office said, though storage sheds are already short."
)
ELECTION = (
    "Voters in Dakar queued from dawn to elect a new national assembly, with turnout reported"
    " above sixty percent at midday by the electoral commission of Senegal."
)


def stored(engine: Engine, number: int, text: str, *, outlet: str, tags=FLOOD_TAGS) -> int:
    """An article saved as the pipeline saves it: placed in its story (or as a duplicate)."""
    feed_id = feed(engine, f"http://{outlet.replace(' ', '-').lower()}.test/feed")
    base = replace(
        draft(feed_id, number, text=text, title=text.split(";")[0][:80], tags=tags),
        outlet_name=outlet,
        guid=f"{outlet}-{number}",
        url=f"http://{outlet.replace(' ', '-').lower()}.test/a/{number}",
        canonical_url=f"http://{outlet.replace(' ', '-').lower()}.test/a/{number}",
    )
    features, signature = describe_story(
        base.title, base.text, "en", base.tags, base.published_at, outlet
    )
    article_id, _ = save_article(
        engine, replace(base, story_features=features, signature=signature)
    )
    return article_id


def flood_and_election(engine: Engine) -> dict[str, int]:
    """Two reports of one flood, a third outlet's word-for-word copy, and an election."""
    return {
        "first": stored(engine, 3, FLOOD, outlet="Outlet A"),
        "second": stored(engine, 2, FLOOD_AGAIN, outlet="Outlet B"),
        "copy": stored(engine, 1, FLOOD, outlet="Outlet C"),
        "election": stored(
            engine, 4, ELECTION, outlet="Outlet D", tags=(tag("Senegal", "senegal"),)
        ),
    }


@pytest.fixture
def receiver() -> HTTPServer:
    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


def posts(server: HTTPServer) -> list:
    return [request for request, _ in server.log if request.method == "POST"]


def send(settings: Settings, engine: Engine, now: datetime | None = None) -> list:
    return asyncio.run(send_alerts(settings, engine, now))


def verify(secret: str, request) -> dict:
    """What a receiver does: the signature over the raw body, then the body."""
    expected = "sha256=" + hmac.new(secret.encode(), request.data, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["X-Tagwire-Signature"], expected)
    body = json.loads(request.data)
    assert request.headers["X-Tagwire-Timestamp"] == str(body["timestamp"])
    assert request.headers["X-Tagwire-Delivery"] == str(body["delivery"])
    assert request.headers["X-Tagwire-Event"] == "story" == body["event"]
    return body


def test_one_signed_post_per_new_story_not_per_report_or_copy(engine, settings, receiver):
    receiver.expect_request("/hook", method="POST").respond_with_data("thanks")
    made = subscribe(settings, engine, "tag", "Ségou", receiver.url_for("/hook"))
    assert made.alert.target == "segou" and len(made.secret) == 64
    ids = flood_and_election(engine)
    story_id = get_article(engine, ids["first"]).story_id
    assert get_article(engine, ids["copy"]).story_id == story_id  # the copy: same story

    outcomes = send(settings, engine)
    assert [(o.story_id, o.status) for o in outcomes] == [(story_id, "delivered")]
    (request,) = posts(receiver)
    body = verify(made.secret, request)
    assert body["alert"] == {"id": made.alert.id, "kind": "tag", "target": "segou"}
    assert body["story"]["id"] == story_id and body["story"]["url"] == f"/stories/{story_id}"
    assert body["story"]["first_seen_at"].endswith("Z")
    article = body["article"]
    assert article["outlet"] == "Outlet A" and article["url"] == "http://outlet-a.test/a/3"
    assert article["title"] == FLOOD.split(";")[0][:80]
    assert article["language"] == "en" and article["category"] == "Politics"
    assert {"label": "Ségou", "slug": "segou"} in article["tags"]

    stored(engine, 5, FLOOD_AGAIN, outlet="Outlet E")  # a later report: no new alert
    assert send(settings, engine) == [] and len(posts(receiver)) == 1
    (logged,) = delivery_log(engine, made.alert.id)
    assert (logged.status, logged.attempts, logged.last_status_code) == ("delivered", 1, 200)
    assert logged.delivered_at is not None and logged.next_attempt_at is None


def test_stories_from_before_the_alert_are_not_sent(engine, settings, receiver):
    stored(engine, 3, FLOOD, outlet="Outlet A")
    made = subscribe(settings, engine, "tag", "segou", receiver.url_for("/hook"))
    stored(engine, 2, FLOOD_AGAIN, outlet="Outlet B")  # joins the old story
    assert queue_new_stories(engine, datetime.now(UTC)) == 0
    assert delivery_log(engine, made.alert.id) == []


def test_scans_that_repeat_or_overlap_file_each_story_once(engine, settings):
    subscribe(settings, engine, "tag", "segou", "http://127.0.0.1:9/hook")
    flood_and_election(engine)
    now = datetime.now(UTC)
    assert queue_new_stories(engine, now) == 1
    assert queue_new_stories(engine, now) == 0  # scanned again: the high-water mark, and
    assert len(delivery_log(engine)) == 1  # below it the unique (alert, story) key
    first = claim_due_deliveries(engine, now)
    assert len(first) == 1 and first[0].attempts == 1
    assert claim_due_deliveries(engine, now) == []  # claimed: no other sender takes it


def test_a_saved_search_alert(engine, settings, receiver):
    receiver.expect_request("/search-hook", method="POST").respond_with_data("")
    made = subscribe(
        settings,
        engine,
        "search",
        '"national assembly" lang:en -flood',
        receiver.url_for("/search-hook"),
    )
    ids = flood_and_election(engine)
    (outcome,) = send(settings, engine)
    assert outcome.status == "delivered"
    body = verify(made.secret, posts(receiver)[0])
    assert body["story"]["id"] == get_article(engine, ids["election"]).story_id
    assert body["alert"]["kind"] == "search"


def test_a_failing_receiver_is_retried_with_backoff_then_delivered(engine, settings, receiver):
    receiver.expect_oneshot_request("/hook").respond_with_data("busy", status=500)
    receiver.expect_request("/hook").respond_with_data("ok", status=204)
    made = subscribe(settings, engine, "tag", "segou", receiver.url_for("/hook"))
    flood_and_election(engine)
    now = datetime.now(UTC)

    (failed,) = send(settings, engine, now)
    assert (failed.status, failed.attempts, failed.status_code) == ("pending", 1, 500)
    (logged,) = delivery_log(engine, made.alert.id)
    assert logged.next_attempt_at == now + BACKOFF[0] and "HTTP 500" in (logged.last_error or "")
    assert send(settings, engine, now + timedelta(seconds=30)) == []  # not due yet

    (retried,) = send(settings, engine, now + BACKOFF[0])
    assert (retried.status, retried.attempts, retried.status_code) == ("delivered", 2, 204)
    first, second = posts(receiver)
    assert verify(made.secret, first)["delivery"] == verify(made.secret, second)["delivery"]
    assert list_alerts(engine)[0].delivered == 1


def test_retry_after_is_honoured(engine, settings, receiver):
    receiver.expect_request("/hook").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "3600"}
    )
    subscribe(settings, engine, "tag", "segou", receiver.url_for("/hook"))
    flood_and_election(engine)
    now = datetime.now(UTC)
    (outcome,) = send(settings, engine, now)
    assert outcome.status_code == 429 and outcome.next_attempt_at == now + timedelta(hours=1)


def test_a_receiver_that_is_down_backs_off_and_the_log_says_why(engine, settings, tagwire):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    made = subscribe(settings, engine, "tag", "segou", f"http://user:pw@127.0.0.1:{port}/hook")
    flood_and_election(engine)
    now = datetime.now(UTC)
    (outcome,) = send(settings, engine, now)
    assert outcome.status == "pending" and outcome.status_code is None
    assert outcome.next_attempt_at == now + BACKOFF[0]
    (logged,) = delivery_log(engine, made.alert.id)
    assert logged.attempts == 1 and logged.last_error and "pw" not in logged.last_error

    shown = tagwire("alerts", "log", str(made.alert.id))
    assert shown.exit_code == 0 and "pending" in shown.output
    assert logged.last_error.split()[0] in shown.output
    listed = tagwire("alerts", "list")
    assert "pw" not in listed.output and f"127.0.0.1:{port}/hook" in listed.output


def test_the_last_attempt_gives_up():
    now = datetime.now(UTC)
    waits = [next_attempt(n, now, None) for n in range(1, MAX_ATTEMPTS + 1)]
    assert waits[:-1] == [now + wait for wait in BACKOFF] and waits[-1] is None
    assert MAX_ATTEMPTS == 6
    assert next_attempt(1, now, 10.0) == now + BACKOFF[0]  # sooner than the backoff: no
    assert next_attempt(1, now, 10 * 86400.0) == now + timedelta(days=1)  # capped
    for hostile in (1e20, float("inf"), float("nan"), -5.0):  # a receiver's Retry-After
        assert now + BACKOFF[0] <= next_attempt(1, now, hostile) <= now + timedelta(days=1)


def test_a_2xx_is_delivered_whatever_body_follows_it(engine, settings, receiver):
    broken = {"Content-Encoding": "gzip"}  # a body that cannot be decoded
    receiver.expect_oneshot_request("/hook").respond_with_data("x" * 100, headers=broken)
    receiver.expect_request("/hook").respond_with_data("y" * 6_000_000)  # over the cap
    subscribe(settings, engine, "tag", "segou", receiver.url_for("/hook"))
    subscribe(settings, engine, "tag", "segou", receiver.url_for("/hook"))
    flood_and_election(engine)
    outcomes = send(settings, engine)
    assert [o.status for o in outcomes] == ["delivered", "delivered"]


def test_private_addresses_are_refused_without_the_setting(engine, receiver):
    guarded = Settings.from_env({}, database_url=str(engine.url), fetch_timeout=5.0)
    with pytest.raises(InvalidInput, match="loopback"):
        subscribe(guarded, engine, "tag", "segou", receiver.url_for("/hook"))  # 127.0.0.1

    receiver.expect_request("/hook").respond_with_data("")
    hook = f"http://localhost:{receiver.port}/hook"  # a name: refused when resolved
    made = subscribe(guarded, engine, "tag", "segou", hook)
    flood_and_election(engine)
    (outcome,) = send(guarded, engine)
    assert outcome.status == "failed" and outcome.attempts == 1
    (logged,) = delivery_log(engine, made.alert.id)
    assert "refused" in (logged.last_error or "") and "loopback" in (logged.last_error or "")
    assert posts(receiver) == []

    allowlisted = guarded.replace(allowed_networks="127.0.0.0/8")
    subscribe(allowlisted, engine, "tag", "niger", receiver.url_for("/hook"))
    stored(engine, 9, HARVEST, outlet="Outlet F", tags=(tag("Niger", "niger"),))
    assert [o.status for o in send(allowlisted, engine)] == ["delivered"]


@pytest.mark.parametrize(
    ("kind", "target", "url", "why"),
    [
        ("tag", "segou", "ftp://example.org/hook", "http"),
        ("tag", "segou", "http:///hook", "host"),
        ("tag", "segou", "https://example.org/" + "x" * 2000, "2000"),
        ("tag", "###", "https://example.org/hook", "not a tag"),
        ("search", '"?!" OR', "https://example.org/hook", "nothing to look for"),
        ("feed", "segou", "https://example.org/hook", "tag or a search"),
    ],
)
def test_what_cannot_be_an_alert(engine, settings, kind, target, url, why):
    with pytest.raises(InvalidInput, match=why):
        subscribe(settings, engine, kind, target, url)


@pytest.fixture
def api(settings: Settings, engine: Engine) -> TestClient:
    guarded = settings.replace(api_token=TOKEN, allow_private_networks=False)
    return TestClient(create_app(guarded, engine))


def test_the_api_needs_the_token(api, settings, engine):
    body = {"kind": "tag", "target": "segou", "url": "https://example.org/hook"}
    assert api.post("/api/v1/alerts", json=body).status_code == 401
    assert api.get("/api/v1/alerts").status_code == 401
    assert api.get("/api/v1/alerts/1/deliveries").status_code == 401
    assert api.delete("/api/v1/alerts/1").status_code == 401
    wrong = {"Authorization": "Bearer not-the-token-at-all"}
    assert api.get("/api/v1/alerts", headers=wrong).status_code == 401
    off = TestClient(create_app(settings, engine))  # no TAGWIRE_API_TOKEN: changing is off
    assert off.post("/api/v1/alerts", json=body).status_code == 403
    assert off.get("/alerts").status_code == 403


def test_the_api_makes_lists_logs_and_removes_alerts(api, engine):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    hook = "https://hooks.example.org/in?token=abc123"
    made = api.post(
        "/api/v1/alerts", json={"kind": "tag", "target": "#Ségou", "url": hook}, headers=auth
    )
    assert made.status_code == 201
    alert, secret = made.json()["alert"], made.json()["secret"]
    assert alert["target"] == "segou" and len(secret) == 64 and "abc123" not in alert["url"]

    listed = api.get("/api/v1/alerts", headers=auth)
    assert listed.status_code == 200 and secret not in listed.text and "abc123" not in listed.text
    assert [a["id"] for a in listed.json()] == [alert["id"]]
    flood_and_election(engine)
    queue_new_stories(engine, datetime.now(UTC))
    log = api.get(f"/api/v1/alerts/{alert['id']}/deliveries", headers=auth).json()
    assert [(d["status"], d["attempts"]) for d in log] == [("pending", 0)]

    bad = {"kind": "tag", "target": "segou", "url": "ftp://example.org/hook"}
    assert api.post("/api/v1/alerts", json=bad, headers=auth).status_code == 422  # schema
    private = {"kind": "tag", "target": "segou", "url": "http://10.1.2.3/hook"}
    refused = api.post("/api/v1/alerts", json=private, headers=auth)
    assert refused.status_code == 400 and "private" in refused.json()["error"]["message"]

    assert api.delete(f"/api/v1/alerts/{alert['id']}", headers=auth).status_code == 200
    assert api.delete(f"/api/v1/alerts/{alert['id']}", headers=auth).status_code == 404
    assert api.get(f"/api/v1/alerts/{alert['id']}/deliveries", headers=auth).status_code == 404
    assert delivery_log(engine) == []

    paths = api.get("/openapi.json").json()["paths"]
    assert {"post", "get"} <= set(paths["/api/v1/alerts"])
    assert "delete" in paths["/api/v1/alerts/{alert_id}"]
    assert "get" in paths["/api/v1/alerts/{alert_id}/deliveries"]


def test_the_alerts_page_is_for_admins(api, settings, engine):
    made = subscribe(settings, engine, "tag", "segou", "https://u:secretpw@example.org/hook")
    assert api.get("/alerts", follow_redirects=False).headers["location"].startswith("/login")
    page = api.get("/alerts", headers={"Authorization": f"Bearer {TOKEN}"})
    assert page.status_code == 200
    assert "#segou" in page.text and "example.org/hook" in page.text
    assert "secretpw" not in page.text and made.secret not in page.text

    login = api.get("/login")
    form = {"password": TOKEN, "csrf_token": login.cookies["tagwire_login"], "next": "/alerts"}
    assert api.post("/login", data=form).status_code == 200  # followed to /alerts
    assert "Latest deliveries" in api.get("/alerts").text


def test_the_cli_adds_lists_and_removes_alerts(tagwire, db_url):
    added = tagwire("alerts", "add", "--tag", "segou", "https://example.org/hook")
    assert added.exit_code == 0, added.output
    assert "secret (shown this once): " in added.output
    secret = added.output.split("secret (shown this once): ")[1].split()[0]
    assert "example.org" in tagwire("alerts", "list").output
    assert secret not in tagwire("alerts", "list").output
    assert tagwire("alerts", "add", "https://example.org/hook").exit_code == 2
    both = tagwire("alerts", "add", "--tag", "a", "--search", "b", "https://example.org/hook")
    assert both.exit_code == 2
    assert tagwire("alerts", "remove", "1").exit_code == 0
    assert tagwire("alerts", "remove", "1").exit_code == 2
    assert "No alerts yet" in tagwire("alerts", "list").output


def test_the_migration_goes_up_and_down(tmp_path: Path):
    from alembic import command

    from tagwire.store.db import alembic_config

    engine = open_store(f"sqlite:///{tmp_path / 'alerts.db'}")
    assert {"alerts", "alert_deliveries"} <= set(inspect(engine).get_table_names())
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")
    assert not {"alerts", "alert_deliveries"} & set(inspect(engine).get_table_names())
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    assert {"alerts", "alert_deliveries"} <= set(inspect(engine).get_table_names())


def test_the_celery_scheduler_hands_out_alert_rounds_only_when_there_are_alerts(engine, settings):
    from tagwire.tasks import SEND_ALERTS, enqueue_alerts

    class SentTasks:
        def __init__(self) -> None:
            self.sent: list[str] = []

        def send_task(self, name: str, args: list) -> None:
            self.sent.append(name)

    app = SentTasks()
    assert not enqueue_alerts(app, engine)  # type: ignore[arg-type]
    subscribe(settings, engine, "tag", "segou", "https://example.org/hook")
    assert enqueue_alerts(app, engine)  # type: ignore[arg-type]
    assert app.sent == [SEND_ALERTS]


@pytest.mark.slow
def test_through_the_real_pipeline_one_post_for_the_story(site, receiver, tagwire, db_url):
    """Three outlets report one bridge collapse, a fourth copies one report word for word,
    and another bridge falls elsewhere: ``tagwire fetch`` then ``tagwire alerts send``
    POST the story once to the subscriber of #mopti."""
    from .test_stories_e2e import BRIDGE, OTHER_BRIDGE, serve

    receiver.expect_request("/hook", method="POST").respond_with_data("ok")
    added = tagwire("alerts", "add", "--tag", "mopti", receiver.url_for("/hook"))
    secret = added.output.split("secret (shown this once): ")[1].split()[0]
    assert tagwire("add", *serve(site)).exit_code == 0
    fetched = tagwire("fetch")
    assert fetched.exit_code == 0, fetched.output

    sent = tagwire("alerts", "send")
    assert sent.exit_code == 0 and "1 sent, 1 delivered" in sent.output, sent.output
    (request,) = posts(receiver)
    body = verify(secret, request)
    assert body["article"]["title"] in [title for _, title, _, _ in BRIDGE]
    assert body["article"]["title"] != OTHER_BRIDGE[1]
    assert "mopti" in [t["slug"] for t in body["article"]["tags"]]
    engine = open_store(db_url)
    assert tagwire("alerts", "send").output.startswith("0 sent")
    (logged,) = delivery_log(engine)
    assert logged.story_id == body["story"]["id"] and logged.status == "delivered"
    story = story_page(engine, logged.story_id)
    assert story is not None and story.article_count == 4  # three reports and the copy
    assert tagwire("fetch", "--all").exit_code == 0  # the same articles again: nothing new
    assert tagwire("alerts", "send").output.startswith("0 sent") and len(posts(receiver)) == 1


def test_the_in_process_loop_sends_alerts_until_stopped(engine, settings, receiver):
    from tagwire.alerts.deliver import run_alert_rounds

    receiver.expect_request("/hook", method="POST").respond_with_data("ok")
    subscribe(settings, engine, "tag", "segou", receiver.url_for("/hook"))
    flood_and_election(engine)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.create_task(run_alert_rounds(settings, engine, stop))
        for _ in range(600):  # until the first round is done, however long it takes
            if posts(receiver):
                break
            await asyncio.sleep(0.05)
        stop.set()
        await loop

    asyncio.run(run())
    assert len(posts(receiver)) == 1
    assert [d.status for d in delivery_log(engine)] == ["delivered"]


@pytest.mark.slow
def test_a_celery_worker_sends_the_alerts_the_scheduler_hands_out(
    engine, settings, receiver, tagwire, request
):
    env = request.getfixturevalue("broker_env")  # Redis, as in tests/test_workers.py
    receiver.expect_request("/hook", method="POST").respond_with_data("ok")
    made = subscribe(settings, engine, "tag", "segou", receiver.url_for("/hook"))
    flood_and_election(engine)
    request.getfixturevalue("start_worker")()
    assert tagwire("scheduler", "--once", env=env).exit_code == 0
    assert wait_until(lambda: [d.status for d in delivery_log(engine)] == ["delivered"])
    verify(made.secret, posts(receiver)[0])
