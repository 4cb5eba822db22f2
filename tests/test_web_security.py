"""Output safety, access and rate limits of the site.

Hostile strings (script tags, event handlers, SVG and iframe payloads, javascript: and
data: URLs) stored in every field a reader sees must come out inert on every page and
feed; every response carries the security headers; reading can need a login, changing
needs the API token or an admin session with its CSRF token; clients are rate limited.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest
from fastapi.testclient import TestClient
from lxml import etree

from tagwire.drafts import describe_story
from tagwire.settings import Settings
from tagwire.store import open_store
from tagwire.store.articles import save_article
from tagwire.store.feeds import add_feed, record_failure
from tagwire.web import create_app
from tagwire.web.ratelimit import RateLimiter
from tagwire.web.sanitise import clean_html, outbound_url, redact_url

from .factories import FLOOD, FLOOD_AGAIN, draft, fill, tag

TEMPLATES = Path(__file__).resolve().parents[1] / "src" / "tagwire" / "web" / "templates"
TOKEN = "an-api-token-of-some-length"
PASSWORD = "reading-password"
LINK_REL = {"noopener", "noreferrer", "nofollow"}
BAD_SCHEMES = ("javascript:", "data:", "vbscript:")
PAYLOADS = (
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(2)><circle/></svg>",
    '<iframe src="javascript:alert(3)"></iframe>',
    '"><body onload=alert(4)>',
    "<a href='data:text/html;base64,PHNjcmlwdD5hbGVydCg1KTwvc2NyaXB0Pg=='>x</a>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(6)>",
)
HOSTILE_TEXT = FLOOD + "\n" + "\n".join(PAYLOADS)
HOSTILE_TAGS = (
    tag("<script>alert('tag')</script>", "script-tag"),
    tag('"><svg onload=alert(7)>', "svg-tag", kind="group"),
    tag("Azawad", "azawad"),
)


# --- what "inert" means ------------------------------------------------------------------


def assert_inert_html(page: str) -> None:
    """No script but our own static ones, no event handler, no javascript:/data: URL, no
    embedded document, and every link to another site marked noopener noreferrer nofollow."""
    root = lxml.html.document_fromstring(page)
    for script in root.iter("script"):
        assert (script.get("src") or "").startswith("/static/"), etree.tostring(script)
        assert not (script.text or "").strip()
    embedded = {"iframe", "frame", "object", "embed", "svg", "math", "base", "img", "style"}
    assert not [
        el.tag
        for el in root.iter()
        if isinstance(el.tag, str) and el.tag in embedded and not is_own_chart(el)
    ]
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (name, value)
            if name.lower() in {"href", "src", "action", "formaction", "xlink:href", "data"}:
                squeezed = re.sub(r"[\x00-\x20]", "", value).lower()
                assert not squeezed.startswith(BAD_SCHEMES), (name, value)
        if element.tag == "meta":
            assert (element.get("http-equiv") or "").lower() != "refresh"
    for link in root.iter("a"):
        href = link.get("href") or ""
        if href.startswith(("http://", "https://")):
            assert set((link.get("rel") or "").split()) >= LINK_REL, etree.tostring(link)
        elif href:
            assert href.startswith("/") and not href.startswith("//"), href


def is_own_chart(element) -> bool:  # type: ignore[no-untyped-def]
    """The tag page's chart (templates/_chart.html): bars, lines and their titles only."""
    drawn = {"title", "desc", "line", "rect"}
    return (
        element.tag == "svg"
        and element.get("class") == "bars"
        and all(child.tag in drawn for child in element.iterdescendants())
    )


def assert_inert_atom(body: bytes) -> None:
    root = etree.fromstring(body)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        assert etree.QName(element).localname not in {"script", "iframe", "svg"}
        assert element.get("type") in (None, "text"), etree.tostring(element)
        href = re.sub(r"[\x00-\x20]", "", element.get("href") or "").lower()
        assert not href.startswith(BAD_SCHEMES), element.get("href")


def assert_inert_json_feed(feed_body: dict) -> None:
    for item in feed_body["items"]:
        assert "content_html" not in item
        urls = [item.get("url")]
        story = item["_tagwire"]["story"]
        urls += [c["url"] for c in story["also_covered_by"]] if story else []
        for url in filter(None, urls):
            assert url.startswith(("http://", "https://")), url


# --- a store full of hostile strings -----------------------------------------------------


def stored(engine, feed_id, number, *, outlet, text, **changes) -> int:
    base = replace(draft(feed_id, number, text=text, **changes), outlet_name=outlet)
    features, signature = describe_story(
        base.title, base.text, "en", base.tags, base.published_at, outlet
    )
    article_id, _ = save_article(
        engine, replace(base, story_features=features, signature=signature)
    )
    return article_id


@pytest.fixture
def hostile(engine) -> dict[str, int]:
    """A story of three hostile articles (one a word-for-word copy) from hostile outlets,
    and a feed with a javascript: homepage and credentials in its URL and error."""
    feed_id, _ = add_feed(
        engine,
        "https://reader:s3cret-pass@private.example/feed?token=feed-key-123&format=rss",
        title="<script>alert('feed')</script>",
        site_url="javascript:alert('homepage')",
        kind="rss",
        outlet_name="<svg onload=alert('outlet')>",
    )
    record_failure(
        engine,
        feed_id,
        error="HTTP 403 at https://reader:s3cret-pass@private.example/feed?api_key=feed-key-123",
        next_check_at=datetime.now(UTC),
    )
    first = stored(
        engine,
        feed_id,
        3,
        outlet="<svg onload=alert('outlet')>",
        text=HOSTILE_TEXT,
        title="Ségou floods <script>alert('title')</script><img src=x onerror=alert(1)>",
        url="javascript:alert(document.cookie)",
        category="<svg/onload=alert('cat')>",
        author='" onmouseover="alert(8)',
        tags=HOSTILE_TAGS,
    )
    second = stored(
        engine,
        feed_id,
        2,
        outlet='"><iframe src=javascript:alert(9)>',
        text=FLOOD_AGAIN + "\n" + PAYLOADS[2],
        title='Ségou floods <a href="javascript:alert(10)">click</a>',
        url="data:text/html,<script>alert(11)</script>",
        tags=HOSTILE_TAGS,
    )
    copy = stored(
        engine,
        feed_id,
        1,
        outlet="Wire <script>alert(12)</script>",
        text=HOSTILE_TEXT,
        title="Ségou floods, the wire's copy",
        url="java\tscript:alert(13)",
        tags=HOSTILE_TAGS,
    )
    return {"first": first, "second": second, "copy": copy}


@pytest.fixture
def client(settings, engine) -> TestClient:
    return TestClient(create_app(settings, engine))


def story_of(client: TestClient, article_id: int) -> int:
    story_id = client.get(f"/api/v1/articles/{article_id}").json()["story_id"]
    assert story_id is not None
    return story_id


def test_hostile_strings_render_inert_on_every_page(client, hostile):
    story = story_of(client, hostile["first"])
    assert story == story_of(client, hostile["second"]) == story_of(client, hostile["copy"])
    pages = [
        "/",
        "/tags/azawad",
        "/tags/script-tag",
        "/tags/svg-tag",
        "/tags",
        "/tags?q=%3Cscript%3Ealert(1)%3C/script%3E",
        "/tags?q=%22%3E%3Csvg%20onload%3Dalert(1)%3E",
        "/tags/%3Cscript%3Ealert(1)%3C%2Fscript%3E",  # the 404 page repeats the slug
        "/feeds",
        f"/stories/{story}",
        *(f"/articles/{article_id}" for article_id in hostile.values()),
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code in (200, 404), path
        assert_inert_html(response.text)
    # The strings are shown, as text: escaped, not dropped.
    article = lxml.html.document_fromstring(client.get(f"/articles/{hostile['first']}").text)
    shown = article.text_content()
    assert "<script>alert('title')</script>" in shown and PAYLOADS[1] in shown
    assert "<svg onload=alert('outlet')>" in shown and "<img src=x onerror" in shown
    home = lxml.html.document_fromstring(client.get("/").text).text_content()
    assert "Wire <script>alert(12)</script>" in home  # the copy's outlet, "same text"


def test_a_link_that_is_not_http_becomes_text(client, hostile):
    page = lxml.html.document_fromstring(client.get(f"/articles/{hostile['first']}").text)
    headline = page.find_class("headline")[0]
    assert headline.find("a") is None and "Ségou floods" in headline.text_content()


def test_hostile_strings_stay_inert_in_the_feeds(client, hostile):
    for slug in ("azawad", "script-tag", "svg-tag"):
        atom = client.get(f"/tags/{slug}.atom")
        assert atom.status_code == 200
        assert_inert_atom(atom.content)
        feed_body = client.get(f"/tags/{slug}.json")
        assert feed_body.headers["content-type"].startswith("application/feed+json")
        assert_inert_json_feed(feed_body.json())
    api = client.get(f"/api/v1/articles/{hostile['first']}")
    assert api.headers["content-type"] == "application/json"
    assert api.headers["x-content-type-options"] == "nosniff"


def test_the_feeds_page_masks_credentials_in_feed_urls(client, hostile):
    page = client.get("/feeds").text
    api = json.dumps(client.get("/api/v1/feeds").json())
    for shown in (page, api):
        assert "s3cret-pass" not in shown and "feed-key-123" not in shown
        assert "private.example/feed" in shown and "HTTP 403" in shown


def test_every_response_carries_the_security_headers(client, hostile):
    paths = [
        "/",
        "/tags/azawad",
        "/tags/azawad.json",
        "/tags/azawad.atom",
        "/tags",
        "/feeds",
        "/api/v1/tags",
        "/api/v1/articles/999999",
        "/openapi.json",
        "/static/style.css",
        "/nowhere",
        "/login",
    ]
    for path in paths:
        headers = client.get(path).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy, path
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert client.post("/api/v1/tags").headers["x-frame-options"] == "DENY"  # 405
    assert client.get("/redoc").status_code == 404  # ReDoc needs inline scripts: not served


def test_the_api_docs_allow_only_their_own_inline_script(client):
    response = client.get("/docs")
    policy = response.headers["content-security-policy"]
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    inline = re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy
    assert client.get("/docs/oauth2-redirect").status_code == 404


def test_control_characters_in_names_are_refused_not_crashed_on(client, hostile):
    """PostgreSQL refuses NUL in text: the site refuses it first, on both stores."""
    for path in ("/tags/a%00", "/tags/a%00.json", "/tags?q=a%00", "/tags/a%01b"):
        assert client.get(path).status_code == 404, path
    for path in ("/api/v1/tags/a%00", "/api/v1/tags/suggest?q=a%00", "/api/v1/tags/a%00/related"):
        assert client.get(path).status_code == 422, path


# --- the sanitiser -----------------------------------------------------------------------


def test_the_sanitiser_keeps_structure_and_http_links_only():
    dirty = (
        "<h2 onclick=x>Title</h2><p style='color:red'>One <em>two</em> <b>three</b>"
        "<br><a href='https://example.org/a' target=_blank>ok</a>"
        " <a href='javascript:alert(1)'>js</a> <a href=' data:text/html,x'>data</a></p>"
        "<ul><li>item</li></ul><blockquote>quote</blockquote>" + "".join(PAYLOADS)
    )
    clean = clean_html(dirty)
    assert_inert_html(f"<html><body>{clean}</body></html>")
    root = lxml.html.fragment_fromstring(clean, create_parent="div")
    assert {el.tag for el in root.iter()} <= {
        "div", "h2", "p", "em", "b", "br", "a", "ul", "li", "blockquote"
    }  # fmt: skip
    links = root.findall(".//a")
    assert [a.get("href") for a in links if a.get("href")] == ["https://example.org/a"]
    assert all(a.get("rel") == "noopener noreferrer nofollow" for a in links)
    assert not any(a.get("target") or a.get("style") for a in root.iter())
    assert "alert" not in clean.replace("js", "")  # script content dropped with the tag


def test_only_http_urls_leave_the_site():
    assert outbound_url("https://example.org/x") == "https://example.org/x"
    for url in (
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/x",
        "/relative",
        "http:///no-host",
        "",
        None,
    ):
        assert outbound_url(url) is None, url


def test_credentials_are_masked_in_shown_urls():
    assert redact_url("https://u:p@host.example:8443/f?key=1&x=2") == (
        "https://host.example:8443/f?key=***&x=2"
    )
    assert redact_url("https://host.example/f?q=a%20b") == "https://host.example/f?q=a%20b"


def test_no_template_marks_stored_content_safe():
    for template in TEMPLATES.glob("*.html"):
        source = template.read_text()
        assert "|safe" not in source.replace(" ", "") and "autoescape false" not in source


# --- access ------------------------------------------------------------------------------


@pytest.fixture
def site(tmp_path):
    """An app factory on one SQLite store with a few articles."""
    engine = open_store(f"sqlite:///{tmp_path / 'tagwire.sqlite3'}")
    fill(engine, 3)

    def make(base_url: str = "http://testserver", client=("testclient", 50000), **changes):
        settings = Settings.from_env(
            {}, database_url=f"sqlite:///{tmp_path / 'tagwire.sqlite3'}", **changes
        )
        return TestClient(create_app(settings, engine), base_url=base_url, client=client)

    return make


def log_in(client: TestClient, password: str, next_page: str = "/"):
    form = client.get("/login", params={"next": next_page})
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    data = {"csrf_token": token, "password": password, "next": next_page}
    return client.post("/login", data=data, follow_redirects=False)


def csrf_of(client: TestClient) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text).group(1)


def test_reading_is_public_and_login_off_by_default(site):
    client = site()
    assert client.get("/").status_code == 200 and client.get("/api/v1/tags").status_code == 200
    closed = client.get("/login")
    assert closed.status_code == 403 and "TAGWIRE_READ_PASSWORD" in closed.text
    assert client.post("/api/v1/tags/azawad/block").json()["error"]["status"] == 403


def test_a_read_password_closes_pages_feeds_and_api(site):
    client = site(read_password=PASSWORD, api_token=TOKEN)
    page = client.get("/tags/azawad?cursor=x", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Ftags%2Fazawad%3Fcursor%3Dx"
    for path in ("/tags/azawad.json", "/tags/azawad.atom", "/api/v1/tags", "/openapi.json"):
        response = client.get(path)
        assert response.status_code == 401 and response.json()["error"]["status"] == 401
    assert client.get("/docs", follow_redirects=False).status_code == 303
    assert client.get("/static/style.css").status_code == 200
    assert client.get("/login").status_code == 200
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/api/v1/tags", headers=bearer).status_code == 200
    assert client.get("/", headers=bearer).status_code == 200


def test_logging_in_gives_a_signed_http_only_session(site):
    client = site(read_password=PASSWORD)
    assert log_in(client, "not the password").status_code == 401
    response = log_in(client, PASSWORD, "/tags/azawad")
    assert response.status_code == 303 and response.headers["location"] == "/tags/azawad"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    assert client.get("/tags/azawad").status_code == 200
    assert client.get("/api/v1/tags").status_code == 200
    assert client.get("/").headers["cache-control"] == "private"

    forged = client.cookies["tagwire_session"].replace("reader.", "admin.", 1)
    client.cookies.set("tagwire_session", forged)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_the_session_cookie_is_secure_over_https(site):
    client = site("https://testserver", read_password=PASSWORD)
    assert "secure" in log_in(client, PASSWORD).headers["set-cookie"].lower()


def test_the_login_form_needs_its_own_token_and_goes_nowhere_else(site):
    client = site(read_password=PASSWORD)
    forged = client.post("/login", data={"password": PASSWORD}, follow_redirects=False)
    assert forged.status_code == 403 and "tagwire_session" not in forged.headers.get(
        "set-cookie", ""
    )
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:x"):
        assert log_in(site(read_password=PASSWORD), PASSWORD, target).headers["location"] == "/"


def test_logging_out_needs_the_sessions_csrf_token(site):
    client = site(read_password=PASSWORD)
    log_in(client, PASSWORD)
    assert client.post("/logout", data={"csrf_token": "guess"}).status_code == 403
    out = client.post("/logout", data={"csrf_token": csrf_of(client)}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303


def test_feed_readers_open_tag_feeds_with_the_feed_key(site):
    client = site(read_password=PASSWORD)
    log_in(client, PASSWORD)
    atom = re.search(r'href="(/tags/azawad\.atom\?key=[^"]+)"', client.get("/tags/azawad").text)
    assert atom is not None
    reader = site(read_password=PASSWORD)  # no cookie: a feed reader
    assert reader.get(atom.group(1).replace("&amp;", "&")).status_code == 200
    key = atom.group(1).split("key=")[1]
    assert reader.get(f"/tags/azawad.json?key={key}").status_code == 200
    assert reader.get("/tags/azawad.json?key=wrong").status_code == 401
    assert reader.get(f"/tags/azawad?key={key}", follow_redirects=False).status_code == 303
    assert reader.get(f"/api/v1/tags?key={key}").status_code == 401


def test_an_admin_session_changes_tags_only_with_its_csrf_token(site):
    client = site(api_token=TOKEN)
    log_in(client, TOKEN)
    assert client.post("/api/v1/tags/mali/block").status_code == 403
    headers = {"X-CSRF-Token": csrf_of(client)}
    assert client.post("/api/v1/tags/mali/block", headers=headers).status_code == 200
    reader = site(api_token=TOKEN, read_password=PASSWORD)
    log_in(reader, PASSWORD)
    headers = {"X-CSRF-Token": csrf_of(reader)}
    assert reader.post("/api/v1/tags/azawad/block", headers=headers).status_code == 401


# --- rate limits -------------------------------------------------------------------------


def test_too_many_api_requests_get_429_with_retry_after(site):
    client = site(api_rate_limit=3)
    client.app.state.rate_limiter.clock = lambda: 1000.0
    assert [client.get("/api/v1/tags").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/v1/tags")
    assert refused.status_code == 429 and refused.json()["error"]["status"] == 429
    assert int(refused.headers["retry-after"]) >= 1
    neighbour = TestClient(client.app, client=("192.0.2.7", 40000))
    assert neighbour.get("/api/v1/tags").status_code == 200
    assert client.get("/").status_code == 200  # pages are not the API
    client.app.state.rate_limiter.clock = lambda: 1060.0
    assert client.get("/api/v1/tags").status_code == 200


def test_searches_have_their_own_smaller_allowance(site):
    client = site(search_rate_limit=2)
    client.app.state.rate_limiter.clock = lambda: 1000.0
    assert client.get("/tags", params={"q": "az"}).status_code == 200
    assert client.get("/api/v1/tags/suggest", params={"q": "az"}).status_code == 200
    page = client.get("/tags", params={"q": "ma"})
    assert page.status_code == 429 and "retry-after" in page.headers
    assert "<h1>429</h1>" in page.text  # through the one error handler, as a page
    assert client.get("/api/v1/tags/suggest", params={"q": "az"}).status_code == 429


def test_login_attempts_count_like_searches(site):
    client = site(read_password=PASSWORD, search_rate_limit=2)
    client.app.state.rate_limiter.clock = lambda: 1000.0
    assert [log_in(client, "guess-number-x").status_code for _ in range(2)] == [401, 401]
    assert log_in(client, PASSWORD).status_code == 429


def test_rate_limits_are_off_at_zero(site):
    client = site(api_rate_limit=0, search_rate_limit=0)
    answers = {client.get("/api/v1/tags/suggest", params={"q": "a"}) for _ in range(80)}
    assert {answer.status_code for answer in answers} == {200}


def test_forwarded_addresses_count_only_from_trusted_proxies(site):
    proxied = site(api_rate_limit=1, trusted_proxies="10.0.0.0/8", client=("10.1.2.3", 5000))
    proxied.app.state.rate_limiter.clock = lambda: 1000.0
    one = {"X-Forwarded-For": "198.51.100.1"}
    assert proxied.get("/api/v1/tags", headers=one).status_code == 200
    assert proxied.get("/api/v1/tags", headers=one).status_code == 429
    spoofed = {"X-Forwarded-For": "198.51.100.1, 198.51.100.2"}  # the proxy saw .2
    assert proxied.get("/api/v1/tags", headers=spoofed).status_code == 200

    direct = site(api_rate_limit=1, trusted_proxies="10.0.0.0/8", client=("192.0.2.9", 5000))
    direct.app.state.rate_limiter.clock = lambda: 1000.0
    assert direct.get("/api/v1/tags", headers=one).status_code == 200
    other = {"X-Forwarded-For": "203.0.113.5"}  # not a proxy of ours: the header is ignored
    assert direct.get("/api/v1/tags", headers=other).status_code == 429


def test_an_ipv6_client_is_its_whole_64(site):
    first = site(api_rate_limit=1, client=("2001:db8:1:2::1", 5000))
    first.app.state.rate_limiter.clock = lambda: 1000.0
    assert first.get("/api/v1/tags").status_code == 200
    second = TestClient(first.app, client=("2001:db8:1:2:ffff::9", 5000))
    assert second.get("/api/v1/tags").status_code == 429  # same /64, same allowance
    third = TestClient(first.app, client=("2001:db8:1:3::1", 5000))
    assert third.get("/api/v1/tags").status_code == 200


def test_a_500_carries_the_security_headers(site):
    client = site()

    @client.app.get("/boom")
    def boom() -> None:
        raise RuntimeError("unexpected")

    raising = TestClient(client.app, raise_server_exceptions=False)
    answer = raising.get("/boom")
    assert answer.status_code == 500
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["x-frame-options"] == "DENY"


def test_the_limiter_forgets_idle_clients_and_keeps_a_bounded_number():
    now = [0.0]
    limiter = RateLimiter(max_buckets=100, clock=lambda: now[0])
    for number in range(1000):
        limiter.take("api", f"client-{number}", 10)
    assert len(limiter.buckets) <= 100
    now[0] = 61.0
    limiter.take("api", "late", 10)
    assert list(limiter.buckets) == [("api", "late")]
