"""Feeds stage: every supported format into a ``ParsedFeed``, OPML in and out, feed discovery.

All fixtures are written inline; nothing is fetched.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tagwire.errors import FeedError, InvalidInput, NotAFeed
from tagwire.feeds import find_feed_links, parse_feed, read_opml, write_opml
from tagwire.feeds.opml import OpmlFeed, OpmlOutline

FEED_URL = "http://news.test/feeds/main.xml"

RSS2 = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
  <channel>
    <title>Harbour Gazette</title>
    <link>http://news.test/</link>
    <description>Tides, ferries and the town council.</description>
    <language>en-gb</language>
    <item>
      <title>Ferry timetable changes for the winter</title>
      <link>/stories/ferry-winter</link>
      <guid isPermaLink="false">gazette-1001</guid>
      <description>&lt;p&gt;The morning crossing moves to &lt;b&gt;seven&lt;/b&gt;.&lt;/p&gt;
        &lt;p&gt;Fares stay the same &amp;amp; season tickets remain valid.&lt;/p&gt;
        &lt;script&gt;document.write("tracking")&lt;/script&gt;</description>
      <category>Transport</category>
      <category>Harbour</category>
      <source url="http://wire.test/rss">Coastal Wire</source>
      <pubDate>Tue, 02 Apr 2024 10:15:00 +0200</pubDate>
    </item>
    <item>
      <title>Lighthouse keeper retires after thirty years</title>
      <link>http://news.test/stories/lighthouse</link>
      <guid isPermaLink="false">gazette-1002</guid>
      <description>A small party on the pier.</description>
    </item>
  </channel>
</rss>
"""

RDF = b"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="http://valley.test/">
    <title>Valley Notes</title>
    <link>http://valley.test/</link>
    <description>News from up the valley.</description>
    <items><rdf:Seq><rdf:li rdf:resource="http://valley.test/orchard"/></rdf:Seq></items>
  </channel>
  <item rdf:about="http://valley.test/orchard">
    <title>Orchard harvest starts early</title>
    <link>http://valley.test/orchard</link>
    <description>Pickers arrived a week before the usual date.</description>
    <dc:date>2024-09-03T08:30:00+02:00</dc:date>
  </item>
</rdf:RDF>
"""

RSS091 = b"""<?xml version="1.0"?>
<rss version="0.91">
  <channel>
    <title>Parish Bulletin</title>
    <link>http://parish.test/</link>
    <description>Notices from the parish office.</description>
    <language>en</language>
    <item>
      <title>Church bell repaired</title>
      <link>http://parish.test/bell</link>
      <description>The bell rings again on Sundays.</description>
    </item>
  </channel>
</rss>
"""

ATOM10 = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr">
  <title>Le Quai</title>
  <link href="http://quai.test/"/>
  <id>urn:quai:feed</id>
  <updated>2024-05-01T13:00:00Z</updated>
  <entry>
    <title type="html">Le pont &lt;em&gt;fermé&lt;/em&gt; pour travaux</title>
    <link rel="alternate" href="articles/pont"/>
    <id>urn:quai:pont</id>
    <published>2024-05-01T08:00:00-04:00</published>
    <updated>2024-05-01T09:00:00-04:00</updated>
    <author><name>Inès Roux</name></author>
    <category term="Travaux"/>
    <summary>Court résumé.</summary>
    <content type="html">&lt;p&gt;Le pont reste fermé jusqu'à lundi.&lt;/p&gt;</content>
  </entry>
</feed>
""".encode()

ATOM03 = b"""<?xml version="1.0" encoding="utf-8"?>
<feed version="0.3" xmlns="http://purl.org/atom/ns#">
  <title>Old Mill Journal</title>
  <link rel="alternate" type="text/html" href="http://mill.test/"/>
  <modified>2004-01-02T03:04:05Z</modified>
  <entry>
    <title>The wheel turns again</title>
    <link rel="alternate" type="text/html" href="http://mill.test/wheel"/>
    <id>tag:mill.test,2004:wheel</id>
    <issued>2004-01-02T03:04:05+01:00</issued>
    <modified>2004-01-02T03:04:05Z</modified>
    <summary>Millers restored the old wheel over the winter.</summary>
  </entry>
</feed>
"""


def json_feed(version: str, items: list[dict[str, object]], **extra: object) -> bytes:
    feed = {"version": f"https://jsonfeed.org/version/{version}", "title": "Night Desk"}
    return json.dumps({**feed, **extra, "items": items}).encode()


def rss_with_items(items: str, encoding: str = "utf-8") -> str:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel>'
        f"<title>Test Channel</title><link>http://news.test/</link>{items}</channel></rss>"
    )


# RSS 2.0


def test_rss2_reads_channel_and_entries() -> None:
    feed = parse_feed(RSS2, url=FEED_URL, content_type="application/rss+xml")
    assert (feed.kind, feed.title, feed.site_url, feed.language) == (
        "rss",
        "Harbour Gazette",
        "http://news.test/",
        "en-gb",
    )
    assert [e.guid for e in feed.entries] == ["gazette-1001", "gazette-1002"]


def test_rss2_keeps_categories_and_source() -> None:
    entry = parse_feed(RSS2, url=FEED_URL).entries[0]
    assert entry.categories == ("Transport", "Harbour")
    assert entry.source == "Coastal Wire"


def test_rss2_resolves_relative_links_against_feed_url() -> None:
    entry = parse_feed(RSS2, url=FEED_URL).entries[0]
    assert entry.url == "http://news.test/stories/ferry-winter"


def test_rss2_description_html_becomes_plain_text() -> None:
    summary = parse_feed(RSS2, url=FEED_URL).entries[0].summary
    assert summary == (
        "The morning crossing moves to seven.\n\nFares stay the same & season tickets remain valid."
    )
    assert "<" not in summary
    assert "tracking" not in summary


def test_rss2_pubdate_is_utc_aware() -> None:
    published = parse_feed(RSS2, url=FEED_URL).entries[0].published_at
    assert published == datetime(2024, 4, 2, 8, 15, tzinfo=UTC)
    assert published is not None and published.utcoffset().total_seconds() == 0


def test_entry_without_date_has_no_published_at() -> None:
    assert parse_feed(RSS2, url=FEED_URL).entries[1].published_at is None


# RSS 1.0 / 0.91


def test_rss10_rdf_is_read_as_rdf() -> None:
    feed = parse_feed(RDF, url="http://valley.test/index.rdf")
    assert feed.kind == "rdf"
    assert feed.title == "Valley Notes"
    [entry] = feed.entries
    assert entry.url == "http://valley.test/orchard"
    assert entry.summary == "Pickers arrived a week before the usual date."
    assert entry.published_at == datetime(2024, 9, 3, 6, 30, tzinfo=UTC)


def test_rss091_is_read_as_rss() -> None:
    feed = parse_feed(RSS091, url="http://parish.test/rss")
    assert (feed.kind, feed.language) == ("rss", "en")
    [entry] = feed.entries
    assert entry.title == "Church bell repaired"
    assert entry.guid == entry.url == "http://parish.test/bell"


# Atom


def test_atom10_entry_fields() -> None:
    feed = parse_feed(ATOM10, url="http://quai.test/feeds/atom.xml")
    assert (feed.kind, feed.title, feed.language) == ("atom", "Le Quai", "fr")
    [entry] = feed.entries
    assert entry.guid == "urn:quai:pont"
    assert entry.author == "Inès Roux"
    assert entry.categories == ("Travaux",)


def test_atom10_prefers_content_over_summary() -> None:
    entry = parse_feed(ATOM10, url="http://quai.test/feeds/atom.xml").entries[0]
    assert entry.summary == "Le pont reste fermé jusqu'à lundi."


def test_atom10_html_title_becomes_plain_text() -> None:
    entry = parse_feed(ATOM10, url="http://quai.test/feeds/atom.xml").entries[0]
    assert entry.title == "Le pont fermé pour travaux"


def test_atom10_relative_link_and_published_date() -> None:
    entry = parse_feed(ATOM10, url="http://quai.test/feeds/atom.xml").entries[0]
    assert entry.url == "http://quai.test/feeds/articles/pont"
    assert entry.published_at == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_atom03_is_read_as_atom() -> None:
    feed = parse_feed(ATOM03, url="http://mill.test/atom.xml")
    assert (feed.kind, feed.title, feed.site_url) == (
        "atom",
        "Old Mill Journal",
        "http://mill.test/",
    )
    [entry] = feed.entries
    assert entry.guid == "tag:mill.test,2004:wheel"
    assert entry.url == "http://mill.test/wheel"
    assert entry.published_at == datetime(2004, 1, 2, 2, 4, 5, tzinfo=UTC)


# JSON Feed


def test_json_feed_11_entry_fields() -> None:
    body = json_feed(
        "1.1",
        [
            {
                "id": "desk-7",
                "url": "/stories/owl-count",
                "title": "Volunteers count the owls",
                "content_html": "<p>Forty <b>owls</b> were counted.</p>",
                "date_published": "2024-06-01T22:00:00+02:00",
                "authors": [{"name": "Ada Quill"}, {"name": "Bo Lantern"}],
                "tags": ["birds", "census", ""],
            }
        ],
        home_page_url="https://night.test/",
        feed_url="https://night.test/feed.json",
        language="en",
    )
    feed = parse_feed(body, url="https://night.test/feed.json")
    assert (feed.kind, feed.title, feed.site_url, feed.language) == (
        "json",
        "Night Desk",
        "https://night.test/",
        "en",
    )
    [entry] = feed.entries
    assert entry.guid == "desk-7"
    assert entry.url == "https://night.test/stories/owl-count"
    assert entry.summary == "Forty owls were counted."
    assert entry.author == "Ada Quill, Bo Lantern"
    assert entry.categories == ("birds", "census")
    assert entry.published_at == datetime(2024, 6, 1, 20, 0, tzinfo=UTC)


def test_json_feed_10_single_author_and_content_text() -> None:
    body = json_feed(
        "1",
        [
            {
                "id": "desk-8",
                "url": "https://night.test/bats",
                "title": "Bats return to the bell tower",
                "content_text": "They came back in May.",
                "date_published": "2024-06-02T21:30:00Z",
                "author": {"name": "Cy Moth"},
            }
        ],
    )
    [entry] = parse_feed(body, url="https://night.test/feed.json").entries
    assert entry.author == "Cy Moth"
    assert entry.summary == "They came back in May."
    assert entry.published_at == datetime(2024, 6, 2, 21, 30, tzinfo=UTC)


def test_json_feed_naive_date_is_taken_as_utc() -> None:
    body = json_feed("1.1", [{"id": "n", "title": "t", "date_published": "2024-06-03T05:00:00"}])
    [entry] = parse_feed(body, url="https://night.test/feed.json").entries
    assert entry.published_at == datetime(2024, 6, 3, 5, 0, tzinfo=UTC)


def test_json_feed_numeric_id_is_coerced_to_string() -> None:
    body = json_feed("1.1", [{"id": 4021, "title": "Numbered"}])
    [entry] = parse_feed(body, url="https://night.test/feed.json").entries
    assert entry.guid == "4021"


@pytest.mark.parametrize(
    "odd",
    [
        {"authors": 5},
        {"authors": "Ada Quill"},
        {"authors": [{"name": 7}, "Ada", None]},
        {"url": 5},
        {"tags": "birds"},
    ],
)
def test_json_feed_item_with_odd_field_types_is_still_read(odd: dict[str, object]) -> None:
    body = json_feed("1.1", [{"id": "odd-1", "title": "Odd", **odd}])
    [entry] = parse_feed(body, url="https://night.test/feed.json").entries
    assert (entry.guid, entry.url, entry.author, entry.categories) == ("odd-1", "", None, ())


def test_json_without_jsonfeed_version_is_a_feed_error() -> None:
    body = json.dumps({"version": "2", "items": []}).encode()
    with pytest.raises(FeedError):
        parse_feed(body, url="https://night.test/x.json", content_type="application/feed+json")


# Encodings


def test_iso_8859_1_declared_in_prolog_is_decoded() -> None:
    body = rss_with_items(
        "<item><title>Résumé des débats</title><guid>d1</guid></item>", encoding="ISO-8859-1"
    ).encode("latin-1")
    [entry] = parse_feed(body, url=FEED_URL).entries
    assert entry.title == "Résumé des débats"


@pytest.mark.parametrize(
    "content_type",
    [
        "application/rss+xml; charset=us-ascii",
        "application/rss+xml; charset=iso-8859-1",
        "text/xml; charset=no-such-charset",
    ],
)
def test_wrong_charset_in_content_type_still_decodes_utf8(content_type: str) -> None:
    body = rss_with_items("<item><title>Déjà vu à l’écluse</title><guid>u1</guid></item>")
    [entry] = parse_feed(body.encode(), url=FEED_URL, content_type=content_type).entries
    assert entry.title == "Déjà vu à l’écluse"


# Not feeds


def test_html_page_is_not_a_feed() -> None:
    page = b"<!DOCTYPE html><html><head><title>Home</title></head><body><p>Hi</p></body></html>"
    with pytest.raises(NotAFeed):
        parse_feed(page, url="http://news.test/", content_type="text/html; charset=utf-8")


def test_html_page_without_content_type_is_not_a_feed() -> None:
    with pytest.raises(NotAFeed):
        parse_feed(b"<html><body><p>Welcome</p></body></html>", url="http://news.test/")


@pytest.mark.parametrize("body", [b"", b"   \n"])
def test_empty_body_is_a_feed_error(body: bytes) -> None:
    with pytest.raises(FeedError, match="empty"):
        parse_feed(body, url=FEED_URL)


@pytest.mark.parametrize("body", [b"garbage \x00\x01 not xml", b"{}", b"<root><child/></root>"])
def test_garbage_is_a_feed_error(body: bytes) -> None:
    with pytest.raises(FeedError):
        parse_feed(body, url=FEED_URL)


def test_truncated_feed_without_entries_is_a_feed_error() -> None:
    with pytest.raises(FeedError, match="not a readable feed"):
        parse_feed(b"<rss><channel><title>Cut off</ti", url=FEED_URL)


def test_well_formed_feed_without_items_is_an_empty_feed() -> None:
    feed = parse_feed(rss_with_items("").encode(), url=FEED_URL)
    assert (feed.title, feed.entries) == ("Test Channel", ())


def test_empty_feed_with_wrong_charset_is_still_a_feed() -> None:
    body = rss_with_items("").replace("Test Channel", "Café").encode()
    feed = parse_feed(body, url=FEED_URL, content_type="application/rss+xml; charset=us-ascii")
    assert (feed.title, feed.entries) == ("Café", ())


def test_malformed_but_recoverable_xml_still_yields_entries() -> None:
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Broken & Co</title>
        <item><title>First</title><link>http://news.test/1</link></item>
        <item><title>Second <b>bold</title><link>http://news.test/2</link></item>
        </channel>"""
    feed = parse_feed(body, url=FEED_URL)
    assert [e.url for e in feed.entries] == ["http://news.test/1", "http://news.test/2"]


# Entry identity


def test_entry_without_guid_or_link_gets_stable_sha1_guid() -> None:
    body = rss_with_items(
        "<item><title>Market day moved</title><description>x</description></item>"
    )
    first = parse_feed(body.encode(), url=FEED_URL).entries[0]
    again = parse_feed(body.encode(), url=FEED_URL).entries[0]
    assert first.guid.startswith("sha1:")
    assert len(first.guid) == len("sha1:") + 40
    assert first.guid == again.guid
    assert first.url == ""


def test_sha1_guid_differs_between_titles() -> None:
    body = rss_with_items("<item><title>Alpha</title></item><item><title>Beta</title></item>")
    alpha, beta = parse_feed(body.encode(), url=FEED_URL).entries
    assert alpha.guid != beta.guid


def test_entry_without_guid_uses_its_link() -> None:
    body = rss_with_items("<item><title>A</title><link>http://news.test/a</link></item>")
    [entry] = parse_feed(body.encode(), url=FEED_URL).entries
    assert entry.guid == "http://news.test/a"


def test_entry_without_guid_link_or_title_is_dropped() -> None:
    body = rss_with_items("<item><description>orphan</description></item>")
    assert parse_feed(body.encode(), url=FEED_URL).entries == ()


# OPML

OPML_NESTED = b"""<?xml version="1.0" encoding="utf-8"?>
<opml version="2.0">
  <head><title>My subscriptions</title></head>
  <body>
    <outline text="Local">
      <outline text="Harbour Gazette" type="rss" xmlUrl="http://news.test/feed.xml"/>
      <outline text="Valley" title="Valley Notes" type="rss" xmlUrl="http://valley.test/index.rdf"/>
      <outline text="Deeper">
        <outline text="Parish" type="rss" xmlUrl="http://parish.test/rss"/>
      </outline>
    </outline>
    <outline text="Gazette again" type="rss" xmlUrl="http://news.test/feed.xml"/>
    <outline text="A plain link" type="link" url="http://elsewhere.test/"/>
  </body>
</opml>
"""


def test_read_opml_walks_nested_outlines() -> None:
    outlines = read_opml(OPML_NESTED)
    assert outlines == [
        OpmlOutline("http://news.test/feed.xml", "Harbour Gazette"),
        OpmlOutline("http://valley.test/index.rdf", "Valley Notes"),
        OpmlOutline("http://parish.test/rss", "Parish"),
    ]


def test_read_opml_drops_duplicate_urls() -> None:
    urls = [o.url for o in read_opml(OPML_NESTED)]
    assert urls.count("http://news.test/feed.xml") == 1


def test_ill_formed_opml_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="well-formed"):
        read_opml(b"<opml><body><outline xmlUrl='http://a.test/'></body>")


def test_non_opml_xml_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="not an OPML"):
        read_opml(RSS2)


def test_opml_external_entity_in_attribute_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top-secret-token")
    payload = f"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY leak SYSTEM "{secret.as_uri()}">]>
<opml version="2.0"><body><outline text="x" xmlUrl="http://a.test/&leak;"/></body></opml>"""
    with pytest.raises(InvalidInput) as caught:
        read_opml(payload.encode())
    assert "top-secret-token" not in str(caught.value)


def test_opml_external_entity_in_text_is_not_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top-secret-token")
    payload = f"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY leak SYSTEM "{secret.as_uri()}">]>
<opml version="2.0"><head><title>&leak;</title></head>
<body><outline text="Gazette" xmlUrl="http://news.test/feed.xml"/></body></opml>"""
    outlines = read_opml(payload.encode())
    assert outlines == [OpmlOutline("http://news.test/feed.xml", "Gazette")]
    assert "top-secret-token" not in repr(outlines)


def test_opml_entity_expansion_bomb_is_invalid_input() -> None:
    entities = '<!ENTITY e0 "boom">' + "".join(
        f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 10)
    )
    payload = f"""<?xml version="1.0"?><!DOCTYPE opml [{entities}]>
<opml version="2.0"><body><outline text="&e9;" xmlUrl="http://a.test/&e9;"/></body></opml>"""
    with pytest.raises(InvalidInput):
        read_opml(payload.encode())


def test_write_opml_round_trips_through_read_opml() -> None:
    feeds = [
        OpmlFeed(
            "http://news.test/feed.xml?a=1&b=2", 'Harbour "Gazette" & Co', "http://news.test/"
        ),
        OpmlFeed("http://valley.test/index.rdf", group="<Valley> & Hills"),
    ]
    text = write_opml(feeds, title="Mine & yours")
    assert read_opml(text.encode()) == [
        OpmlOutline("http://news.test/feed.xml?a=1&b=2", 'Harbour "Gazette" & Co'),
        OpmlOutline("http://valley.test/index.rdf", "http://valley.test/index.rdf"),
    ]


# Feed discovery

PAGE_WITH_FEEDS = b"""<!DOCTYPE html>
<html><head>
  <title>Harbour Gazette</title>
  <link rel="stylesheet" href="/style.css">
  <link rel="alternate" hreflang="fr" type="text/html" href="/fr/">
  <link rel="alternate" type="application/feed+json" href="/feed.json">
  <link rel="alternate" type="application/atom+xml" href="atom.xml">
  <link rel="icon" type="application/rss+xml" href="/not-a-feed.xml">
  <link rel="alternate" type="application/rss+xml; charset=utf-8" href="/rss.xml">
</head><body><p>Front page</p></body></html>
"""


def test_find_feed_links_orders_rss_atom_json_and_resolves_hrefs() -> None:
    links = find_feed_links(PAGE_WITH_FEEDS, "http://news.test/section/")
    assert links == [
        "http://news.test/rss.xml",
        "http://news.test/section/atom.xml",
        "http://news.test/feed.json",
    ]


def test_find_feed_links_ignores_non_feed_links() -> None:
    page = b'<html><head><link rel="alternate" type="text/html" href="/m/"></head></html>'
    assert find_feed_links(page, "http://news.test/") == []


def test_find_feed_links_drops_duplicates() -> None:
    page = b"""<html><head>
        <link rel="alternate" type="application/rss+xml" href="/rss.xml">
        <link rel="alternate" type="application/rss+xml" href="http://news.test/rss.xml">
        </head></html>"""
    assert find_feed_links(page, "http://news.test/") == ["http://news.test/rss.xml"]


@pytest.mark.parametrize("html", [b"", b"   ", b"\x00\x00", b"<<<>>>"])
def test_find_feed_links_on_broken_html_returns_empty(html: bytes) -> None:
    assert find_feed_links(html, "http://news.test/") == []


def test_read_opml_compares_each_url_once_not_with_every_earlier_one(monkeypatch) -> None:
    """10,000 outlines were 50 million comparisons; count them through the kept URLs."""
    from tagwire.feeds import opml

    compared = [0]

    class CountingUrl(str):
        __hash__ = str.__hash__

        def __eq__(self, other: object) -> bool:
            compared[0] += 1
            return str.__eq__(self, other)

        def __ne__(self, other: object) -> bool:
            compared[0] += 1
            return str.__ne__(self, other)

    monkeypatch.setattr(
        opml, "OpmlOutline", lambda url, title: OpmlOutline(CountingUrl(url), title)
    )
    count = 2_000
    body = "".join(
        f'<outline text="F{n}" xmlUrl="http://f{n % 1500}.test/"/>' for n in range(count)
    )
    outlines = read_opml(f'<opml version="2.0"><body>{body}</body></opml>'.encode())
    assert compared[0] < count  # linear; it was 2,000 x 1,500 / 2 and more
    assert [o.url for o in outlines] == [f"http://f{n}.test/" for n in range(1500)]
