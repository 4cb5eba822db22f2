"""Hostile documents through the real parsers and the real CLI, from loopback.

Entity expansion (billion laughs, quadratic blowup), external entities, parameter entities
and external DTDs (XXE), a feed body that names a local file, 100,000 items, 100,000 nested
tags, a 5 MB single line, in RSS, Atom, RDF, sitemaps, JSON Feed, OPML and article pages.
Each is refused with a clear recorded error or read within limits: nothing is expanded, no
local file's content is stored or shown anywhere, the external DTD is never requested, and
the other feeds of the same fetch are still ingested.

The documents are written here by ``hostile_documents``; ``bench/hostile.py`` runs the same
set in one process and reports its peak memory.
"""

from __future__ import annotations

import faulthandler
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import select

from tagwire.errors import ExtractError, FeedError, InvalidInput
from tagwire.extract import extract_page
from tagwire.feeds import limits, parse_feed, read_opml
from tagwire.feeds.limits import MAX_ENTRIES, MAX_ID_BYTES, MAX_TEXT_CHARS, MAX_TITLE_CHARS
from tagwire.feeds.opml import OpmlOutline
from tagwire.models import ParsedFeed
from tagwire.settings import Settings
from tagwire.store import open_store
from tagwire.store.feeds import list_feeds
from tagwire.store.schema import articles, metadata
from tagwire.store.schema import feeds as feeds_table

from .conftest import peak_rss_mb
from .pages import article_html, rss
from .test_bad_input import good_feed

pytestmark = pytest.mark.slow

HANG_GUARD_SECONDS = 300
PASSWD_LINE = "root:x:0:0"  # the first line of /etc/passwd on Linux
UNREACHABLE = "http://127.0.0.1:9"  # the discard port: connections are refused at once
QUADRATIC_VALUE_CHARS = 1_000
QUADRATIC_REFERENCES = 50_000  # 150 KB of references, 50 MB once expanded
MANY = 100_000


@dataclass(frozen=True, slots=True)
class Hostile:
    """One hostile document: a feed, an article page or an OPML list, and the outcome we
    require (``refused``: text of the recorded error; None: read within the limits)."""

    name: str
    kind: str  # "feed", "page" or "opml"
    body: bytes
    content_type: str = "application/xml"
    refused: str | None = None


@dataclass(frozen=True, slots=True)
class Bait:
    """What an attack would leak or fetch: a local file holding ``secret``, a local DTD
    declaring an entity whose text is the secret, and a DTD URL on the test's server."""

    secret: str
    secret_file: Path
    secret_dtd: Path
    dtd_url: str


def make_bait(folder: Path, dtd_url: str) -> Bait:
    secret = f"SECRET-{uuid.uuid4().hex}"
    secret_file = folder / "secret.txt"
    secret_file.write_text(secret)
    secret_dtd = folder / "secret.dtd"
    secret_dtd.write_text(f'<!ENTITY leak "{secret}">')
    return Bait(secret, secret_file, secret_dtd, dtd_url)


# --- documents -------------------------------------------------------------------------

FEED_TEMPLATES = {
    "rss": (
        "rss",
        '<rss version="2.0"><channel><title>Hostile {boom}</title><link>{site}/</link>'
        "<item><title>Item {boom}</title><link>{site}/{name}</link><guid>{name}-1</guid>"
        "<description>Text {boom}</description></item></channel></rss>",
    ),
    "atom": (
        "feed",
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>Hostile {boom}</title>'
        "<id>urn:hostile:{name}</id><updated>2026-01-01T00:00:00Z</updated>"
        "<entry><id>urn:hostile:{name}:1</id><title>Item {boom}</title>"
        '<updated>2026-01-01T00:00:00Z</updated><link href="{site}/{name}"/>'
        "<summary>Text {boom}</summary></entry></feed>",
    ),
    "rdf": (
        "rdf:RDF",
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns="http://purl.org/rss/1.0/"><channel rdf:about="{site}/">'
        "<title>Hostile {boom}</title><link>{site}/</link></channel>"
        '<item rdf:about="{site}/{name}"><title>Item {boom}</title><link>{site}/{name}</link>'
        "<description>Text {boom}</description></item></rdf:RDF>",
    ),
    "sitemap": (
        "urlset",
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>{site}/{name}/{boom}</loc></url></urlset>",
    ),
}
OPML_TEMPLATE = (
    "opml",
    '<opml version="2.0"><head><title>List {boom}</title></head><body>'
    '<outline text="Outlet {boom}" title="{boom}" xmlUrl="{site}/good/feed"/></body></opml>',
)


def attacks(bait: Bait) -> dict[str, tuple[list[str], str]]:
    """Attack name -> (declarations inside the DOCTYPE, the references put in the text)."""
    laughs = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    files = [
        '<!ENTITY passwd SYSTEM "file:///etc/passwd">',
        f'<!ENTITY local SYSTEM "{bait.secret_file.as_uri()}">',
    ]
    parameter = [
        f'<!ENTITY % local SYSTEM "{bait.secret_dtd.as_uri()}"> %local;',
        f'<!ENTITY % remote SYSTEM "{bait.dtd_url}"> %remote;',
    ]
    return {
        "billion-laughs": (laughs, "&lol9;"),
        "quadratic-blowup": (
            [f'<!ENTITY q "{"Q" * QUADRATIC_VALUE_CHARS}">'],
            "&q;" * QUADRATIC_REFERENCES,
        ),
        # feedparser's loose parser (its fallback) expands "&q" without the ";", and every
        # name-value pair of one declaration.
        "loose-blowup": (
            [f'<!ENTITY q "{"Q" * QUADRATIC_VALUE_CHARS}">'],
            "&q " * QUADRATIC_REFERENCES,
        ),
        "paired-blowup": (
            [f'<!ENTITY p "x" q "{"Q" * QUADRATIC_VALUE_CHARS}">'],
            "&q;" * QUADRATIC_REFERENCES,
        ),
        "external-entity": (files, "&passwd;&local;"),
        "parameter-entity": (parameter, "&leak;"),
    }


def xml_document(root_tag: str, template: str, doctype: str, layout: str, **fill: str) -> bytes:
    """``inline``: the DOCTYPE on the XML declaration's line, as the XML parser reads it;
    ``lines``: each declaration on a line of its own, which feedparser prunes first."""
    body = template.format(**fill)
    if layout == "inline":
        return f'<?xml version="1.0"?><!DOCTYPE {root_tag} {doctype}>{body}'.encode()
    return f'<?xml version="1.0"?>\n<!DOCTYPE {root_tag} {doctype}>\n{body}'.encode()


def internal_subset(declarations: list[str], layout: str) -> str:
    return (
        "[" + "".join(declarations) + "]"
        if layout == "inline"
        else "[\n" + "\n".join(declarations) + "\n]"
    )


# Feeds refused outright; the others must be read without expanding anything.
REFUSED = {
    "billion-laughs-inline": "refer to other entities",
    "quadratic-blowup-inline": "would add",
    "quadratic-blowup-lines": "would add",
    "loose-blowup-inline": "would add",
    "loose-blowup-lines": "would add",
    "paired-blowup-lines": "would add",
    "billion-laughs-sitemap": "expand too far",
    "quadratic-blowup-sitemap": "expand too far",
    "loose-blowup-sitemap": "not well-formed",  # lxml wants the ";"
    "paired-blowup-sitemap": "not well-formed",
}


def entity_feeds(bait: Bait) -> Iterator[Hostile]:
    for attack, (declarations, boom) in attacks(bait).items():
        for fmt, (root_tag, template) in FEED_TEMPLATES.items():
            for layout in ("inline",) if fmt == "sitemap" else ("inline", "lines"):
                name = f"{attack}-{fmt}-{layout}"
                doctype = internal_subset(declarations, layout)
                body = xml_document(
                    root_tag, template, doctype, layout, boom=boom, site=UNREACHABLE, name=name
                )
                key = f"{attack}-sitemap" if fmt == "sitemap" else f"{attack}-{layout}"
                yield Hostile(name, "feed", body, refused=REFUSED.get(key))
    # Costly to check, were the check not done in one pass.
    root_tag, template = FEED_TEMPLATES["rss"]
    floods = {
        "entity-declaration-flood": ["".join(f'<!ENTITY e{n} "x">' for n in range(MANY))],
        "unterminated-entity-literals": ['<!ENTITY a "' * MANY],
    }
    for name, declarations in floods.items():
        doctype = internal_subset(declarations, "inline")
        refs = "".join(f"&e{n};" for n in range(1_000))
        body = xml_document(
            root_tag, template, doctype, "inline", boom=refs, site=UNREACHABLE, name=name
        )
        yield Hostile(name, "feed", body)
    for fmt, (root_tag, template) in FEED_TEMPLATES.items():
        name = f"external-dtd-{fmt}"
        doctype = f'SYSTEM "{bait.dtd_url}"'
        body = xml_document(
            root_tag, template, doctype, "inline", boom="&leak;", site=UNREACHABLE, name=name
        )
        yield Hostile(name, "feed", body)


def big_feeds(bait: Bait, max_body_bytes: int) -> Iterator[Hostile]:
    # The body names a local file: feedparser, given bytes, opens a file of that name.
    yield Hostile("local-file-name", "feed", str(bait.secret_file).encode(), refused="not a")
    items = "".join(f"<item><title>{n}</title></item>" for n in range(MANY))  # no link, no page
    yield Hostile("100k-items", "feed", rss_bytes(items))
    yield Hostile("100k-nested-elements", "feed", rss_bytes(nested_item("<x>", "</x>")))
    html = "<![CDATA[" + "<div>" * MANY + "deep" + "</div>" * MANY + "]]>"
    yield Hostile("100k-nested-html", "feed", rss_bytes(nested_item(html, "")))
    yield Hostile("5mb-line-feed", "feed", long_line_feed(max_body_bytes))
    jsonfeed = '{"version": "https://jsonfeed.org/version/1.1", "items": ' + "[" * MANY
    yield Hostile(
        "json-nested", "feed", jsonfeed.encode(), "application/feed+json", "nested too deeply"
    )
    items_json = [{"id": f"j{n}", "content_text": "x"} for n in range(MANY)]
    jsonmany = {"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": items_json}
    yield Hostile("json-100k-items", "feed", json.dumps(jsonmany).encode(), "application/feed+json")


def rss_bytes(items: str) -> bytes:
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>'
        f"<link>{UNREACHABLE}/</link>{items}</channel></rss>"
    ).encode()


def nested_item(opening: str, closing: str) -> str:
    inner = opening * MANY + "deep" + closing * MANY if closing else opening
    return (
        f"<item><title>Nested</title><guid>nested</guid><description>{inner}</description></item>"
    )


def long_line_feed(max_body_bytes: int) -> bytes:
    """One line just under the body cap: a megabyte title, id and link, the rest text."""
    noise = "".join(f"{n:x}" for n in range(200_000))  # a megabyte that does not compress
    head = (
        f"<item><title>{noise}</title><guid>{noise}</guid><link>{UNREACHABLE}/{noise}</link>"
        f"<category>{noise[:100_000]}</category><description>"
    )
    frame = rss_bytes(head + "</description></item>")
    text = "Gao " * ((max_body_bytes - len(frame) - 1_000) // 4)
    return rss_bytes(head + text + "</description></item>")


def pages(bait: Bait, max_body_bytes: int) -> Iterator[Hostile]:
    paragraph = "<p>" + "Farmers near Mopti in Mali planted rice early this year. " * 5 + "</p>"
    nested = "<div>" * MANY + paragraph + "</div>" * MANY
    yield Hostile("100k-nested-tags-page", "page", page_bytes(nested), "text/html")
    words = "Bamako " * ((max_body_bytes - 500) // 7)
    yield Hostile("5mb-line-page", "page", page_bytes(f"<p>{words}</p>"), "text/html")
    doctype = (
        f'<!DOCTYPE html [<!ENTITY local SYSTEM "{bait.secret_file.as_uri()}">'
        f'<!ENTITY % remote SYSTEM "{bait.dtd_url}"> %remote;]>'
    )
    canonical = f'<link rel="canonical" href="{UNREACHABLE}/{"c" * (MAX_ID_BYTES * 2)}">'
    xxe = article_html("Entities", ["Rice in Mopti, Mali. &local; &leak;"] * 4, site="S")
    xxe = xxe.replace("<!doctype html>", doctype).replace("</head>", canonical + "</head>")
    yield Hostile("xxe-page", "page", xxe.encode(), "text/html")


def page_bytes(body: str) -> bytes:
    return (
        f"<!doctype html><html><head><title>Page</title></head><body>{body}</body></html>".encode()
    )


OPML_REFUSED = {
    "billion-laughs": "expand too far",
    "quadratic-blowup": "expand too far",
    "external-entity": "external entity",
    "paired-blowup": "not well-formed",  # two names in one declaration is not XML
}


def opml_lists(bait: Bait, good_feed_url: str) -> Iterator[Hostile]:
    site = good_feed_url.removesuffix("/good/feed")
    root_tag, template = OPML_TEMPLATE
    for attack, (declarations, boom) in attacks(bait).items():
        doctype = internal_subset(declarations, "inline")
        body = xml_document(root_tag, template, doctype, "inline", boom=boom, site=site)
        refused = OPML_REFUSED.get(attack)
        yield Hostile(f"{attack}-opml", "opml", body, refused=refused)
    body = xml_document(
        root_tag, template, f'SYSTEM "{bait.dtd_url}"', "inline", boom="&leak;", site=site
    )
    yield Hostile("external-dtd-opml", "opml", body)
    nested = "<outline>" * MANY + f'<outline xmlUrl="{good_feed_url}"/>' + "</outline>" * MANY
    body = f'<opml version="2.0"><body>{nested}</body></opml>'.encode()
    yield Hostile("100k-nested-opml", "opml", body, refused="not well-formed")
    title = "T" * 5_000_000
    body = f'<opml version="2.0"><body><outline title="{title}" xmlUrl="{good_feed_url}"/>'
    yield Hostile("5mb-line-opml", "opml", (body + "</body></opml>").encode())


def hostile_documents(bait: Bait, good_feed_url: str, max_body_bytes: int) -> list[Hostile]:
    """The whole hostile set (also run by bench/hostile.py)."""
    return [
        *entity_feeds(bait),
        *big_feeds(bait, max_body_bytes),
        *pages(bait, max_body_bytes),
        *opml_lists(bait, good_feed_url),
    ]


# --- checks ------------------------------------------------------------------------------


@contextmanager
def hang_guard(seconds: float = HANG_GUARD_SECONDS) -> Iterator[None]:
    """A hang ends the test run with every thread's traceback (also inside C code)."""
    faulthandler.dump_traceback_later(seconds, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


def leaks(bait: Bait, text: str) -> list[str]:
    """What ``text`` shows that it must not: local files' content or expanded entities."""
    found = [bait.secret] if bait.secret in text else []
    found += [PASSWD_LINE] if PASSWD_LINE in text else []
    found += ["billion laughs"] if "lollol" in text else []
    found += ["quadratic blowup"] if "Q" * (2 * QUADRATIC_VALUE_CHARS) in text else []
    return found


def requested(server: HTTPServer, path: str) -> bool:
    return any(request.path == path for request, _ in server.log)


@pytest.fixture
def bait(site: HTTPServer, tmp_path: Path) -> Bait:
    """The bait, with the DTD URL served: an attack that fetched it would show the secret."""
    bait = make_bait(tmp_path, site.url_for("/evil.dtd"))
    site.expect_request("/evil.dtd").respond_with_data(
        f'<!ENTITY leak "{bait.secret}">', content_type="application/xml-dtd"
    )
    return bait


@pytest.fixture
def documents(bait: Bait, site: HTTPServer) -> list[Hostile]:
    return hostile_documents(bait, site.url_for("/good/feed"), Settings.from_env({}).max_body_bytes)


def read_document(doc: Hostile) -> str:
    """The document through its parser: what it yields, or the error it raises."""
    url = "http://127.0.0.1:9/hostile"
    try:
        if doc.kind == "feed":
            return repr(
                check_feed_limits(parse_feed(doc.body, url=url, content_type=doc.content_type))
            )
        if doc.kind == "opml":
            return repr(read_opml(doc.body))
        return repr(extract_page(doc.body, url=url, content_type=doc.content_type))
    except (FeedError, InvalidInput, ExtractError) as exc:
        return f"error: {exc}"


def check_feed_limits(parsed: ParsedFeed) -> ParsedFeed:
    assert len(parsed.entries) <= MAX_ENTRIES
    assert len(parsed.title) <= MAX_TITLE_CHARS
    for entry in parsed.entries:
        assert len(entry.title) <= MAX_TITLE_CHARS
        assert len(entry.guid.encode()) <= MAX_ID_BYTES
        assert len(entry.url.encode()) <= MAX_ID_BYTES
    return parsed


def test_each_hostile_document_is_refused_or_read_within_limits(
    documents: list[Hostile], bait: Bait, site: HTTPServer, report
) -> None:
    before = peak_rss_mb()
    problems = []
    with hang_guard():
        for doc in documents:
            outcome = read_document(doc)
            if doc.refused is not None and not outcome.startswith("error:"):
                problems.append(f"{doc.name}: read, expected refused ({doc.refused})")
            elif doc.refused is not None and doc.refused not in outcome:
                problems.append(f"{doc.name}: {outcome[:200]}")
            problems += [f"{doc.name} shows {what}" for what in leaks(bait, outcome)]
    report(
        f"hostile documents: {len(documents)} through the parsers; peak RSS of the test"
        f" process {before:.0f} MB before, {peak_rss_mb():.0f} MB after"
    )
    assert not problems
    assert not requested(site, "/evil.dtd")


# --- end to end: tagwire add, tagwire fetch ----------------------------------------------

# Parsed above; left out of the fetch below only to keep it short (seconds of parsing each).
PARSER_ONLY = {"100k-nested-elements", "100k-nested-html", "json-100k-items"}
SQLITE_ONLY = {"100k-items"}  # the entry cap does not depend on the database


def serve_hostile_feed(site: HTTPServer, doc: Hostile) -> str:
    """Fine when the user subscribed, hostile at the next fetch."""
    path = f"/hostile/{doc.name}"
    site.expect_oneshot_request(path).respond_with_data(
        rss("Was fine", []), content_type="application/rss+xml"
    )
    site.expect_request(path).respond_with_data(doc.body, content_type=doc.content_type)
    return site.url_for(path)


def serve_pages(site: HTTPServer, docs: list[Hostile]) -> str:
    """A plain feed whose entries link to the hostile pages."""
    items = []
    for doc in docs:
        path = f"/page/{doc.name}"
        site.expect_request(path).respond_with_data(doc.body, content_type=doc.content_type)
        text = f"The feed's own text for {doc.name}, about Mopti in Mali."
        items.append({"title": doc.name, "link": site.url_for(path), "summary": text})
    site.expect_request("/pages/feed").respond_with_data(
        rss("Pages", items), content_type="application/rss+xml"
    )
    return site.url_for("/pages/feed")


def stored_text(db_url: str) -> str:
    """Every value of every table, as text."""
    engine = open_store(db_url)
    with engine.connect() as conn:
        return "\n".join(
            str(tuple(row))
            for table in metadata.sorted_tables
            for row in conn.execute(select(table))
        )


def articles_of(db_url: str, feed_url: str) -> list[Any]:
    query = select(articles).join(feeds_table).where(feeds_table.c.url == feed_url)
    with open_store(db_url).connect() as conn:
        return list(conn.execute(query))


def test_hostile_feeds_and_pages_are_recorded_and_the_good_feed_ingested(
    site: HTTPServer,
    tagwire,
    settings: Settings,
    documents: list[Hostile],
    bait: Bait,
    monkeypatch: pytest.MonkeyPatch,
    report,
) -> None:
    before = peak_rss_mb()
    # The newest 20 of 100,000 entries, not 1,000: building 1,000 articles takes a minute.
    monkeypatch.setattr(limits, "MAX_ENTRIES", 20)
    good = good_feed(site)
    skip = PARSER_ONLY | (set() if settings.database_url.startswith("sqlite") else SQLITE_ONLY)
    feeds = [d for d in documents if d.kind == "feed" and d.name not in skip]
    urls = {serve_hostile_feed(site, doc): doc for doc in feeds}
    pages_feed = serve_pages(site, [d for d in documents if d.kind == "page"])
    fast = {"TAGWIRE_PER_HOST_SPACING": "0", "TAGWIRE_FETCH_TIMEOUT": "60"}
    with hang_guard():
        assert tagwire("add", good, pages_feed, *urls, env=fast).exit_code == 0
        result = tagwire("fetch", "--all", env=fast)
    assert result.exit_code == 0

    engine = open_store(settings.database_url)
    rows = {row.url: row for row in list_feeds(engine)}
    assert rows[good].last_status == "ok" and rows[good].article_count == 1
    assert rows[pages_feed].article_count == 3
    for url, doc in urls.items():
        row = rows[url]
        if doc.refused is not None:
            assert row.last_status == "error" and doc.refused in row.last_error, doc.name
        else:
            assert row.last_status == "ok", (doc.name, row.last_error)
    many = rows.get(site.url_for("/hostile/100k-items"))
    assert many is None or many.article_count == limits.MAX_ENTRIES
    pages = {a.title: a for a in articles_of(settings.database_url, pages_feed)}
    assert pages["100k-nested-tags-page"].extraction_status == "feed"
    assert "no article text" in pages["100k-nested-tags-page"].extraction_error
    assert pages["5mb-line-page"].extraction_status == "full"
    assert len(pages["5mb-line-page"].text) <= MAX_TEXT_CHARS
    assert pages["xxe-page"].canonical_url == site.url_for("/page/xxe-page")
    (line,) = articles_of(settings.database_url, site.url_for("/hostile/5mb-line-feed"))
    assert len(line.title) <= MAX_TITLE_CHARS and line.guid.startswith("sha1:")
    everything = stored_text(settings.database_url) + result.output
    assert not leaks(bait, everything)
    assert "internal error" not in everything and "Traceback" not in everything
    assert not requested(site, "/evil.dtd")
    report(
        f"hostile feeds and pages through tagwire add + fetch"
        f" ({settings.database_url.split(':')[0]}): {len(feeds)} feeds, peak RSS of the"
        f" test process {before:.0f} MB before, {peak_rss_mb():.0f} MB after"
    )


def test_hostile_opml_lists_are_refused_or_read_by_tagwire_add(
    site: HTTPServer, tagwire, settings: Settings, documents: list[Hostile], bait: Bait, tmp_path
) -> None:
    good = good_feed(site)
    outputs = []
    for doc in (d for d in documents if d.kind == "opml"):
        path = tmp_path / f"{doc.name}.opml"
        path.write_bytes(doc.body)
        with hang_guard():
            result = tagwire("add", str(path))
        outputs.append(result.output)
        if doc.refused is not None:
            assert result.exit_code == 2 and doc.refused in result.output, doc.name
            assert len(result.output.strip().splitlines()) == 1, doc.name
        else:
            assert result.exit_code == 0 and good in result.output, (doc.name, result.output)
    assert [row.url for row in list_feeds(open_store(settings.database_url))] == [good]
    assert not leaks(bait, stored_text(settings.database_url) + "".join(outputs))
    assert not requested(site, "/evil.dtd")


def test_an_opml_list_with_bare_ampersands_is_read_and_still_guarded(tmp_path: Path) -> None:
    listed = (
        '<opml version="1.0"><body><outline text="News & Politics">'
        '<outline text="A & B" xmlUrl="http://a.test/rss?x=1&y=2"/></outline></body></opml>'
    )
    assert read_opml(listed.encode()) == [OpmlOutline("http://a.test/rss?x=1&y=2", "A & B")]
    secret = tmp_path / "secret.txt"
    secret.write_text("top-secret-token")
    hostile = listed.replace(
        "<opml", f'<!DOCTYPE opml [<!ENTITY s SYSTEM "{secret.as_uri()}">]><opml'
    )
    with pytest.raises(InvalidInput, match="external entity") as caught:
        read_opml(hostile.replace('text="A & B"', 'text="&s;"').encode())
    assert "top-secret-token" not in str(caught.value)


def test_a_feed_with_a_few_plain_entities_is_still_read() -> None:
    feed = (
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY co "AT&amp;T &#169;">]>'
        '<rss version="2.0"><channel><title>&co;</title><item><title>By &co;</title>'
        f"<link>{UNREACHABLE}/1</link></item></channel></rss>"
    )
    parsed = parse_feed(feed.encode(), url=f"{UNREACHABLE}/feed")
    assert parsed.title == "AT&T ©" and parsed.entries[0].title == "By AT&T ©"
