"""Serve the bundled sample (``sample.json``) as real feeds and article pages on loopback.

Each sample outlet gets a feed in its own format (RSS 2.0, Atom 1.0 or JSON Feed 1.1) and
a page per article with ordinary site furniture around it, so the demo goes through the
same HTTP, parsing and extraction as any real outlet. Dates are relative to start-up.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import cached_property
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Sample:
    notice: str
    outlets: dict[str, dict[str, Any]]
    articles: list[dict[str, Any]]
    started: datetime

    @classmethod
    def load(cls) -> Sample:
        data = json.loads(
            resources.files("tagwire.demo").joinpath("sample.json").read_text("utf-8")
        )
        return cls(
            notice=data["notice"],
            outlets={o["key"]: o for o in data["outlets"]},
            articles=data["articles"],
            started=datetime.now(UTC).replace(microsecond=0),
        )

    def published(self, article: dict[str, Any]) -> datetime:
        return self.started - timedelta(hours=float(article["age_hours"]))

    def of_outlet(self, key: str) -> list[dict[str, Any]]:
        chosen = [a for a in self.articles if a["outlet"] == key]
        return sorted(chosen, key=lambda a: float(a["age_hours"]))


class SampleSite:
    """A threaded HTTP server with the sample; ``with SampleSite() as site: site.feed_urls``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.sample = Sample.load()
        handler = type("Handler", (SampleHandler,), {"sample": self.sample})
        self.server = ThreadingHTTPServer((host, port), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @cached_property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.server.server_port}"

    @property
    def feed_urls(self) -> list[str]:
        return [f"{self.base_url}/{key}/feed" for key in self.sample.outlets]

    def __enter__(self) -> SampleSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class SampleHandler(BaseHTTPRequestHandler):
    sample: Sample

    def do_GET(self) -> None:
        parts = [p for p in self.path.split("?")[0].split("/") if p]
        outlet = self.sample.outlets.get(parts[0]) if parts else None
        if outlet is None:
            return self._send(404, "text/plain", b"not found")
        base = "http://" + str(self.headers.get("Host", "localhost"))
        if len(parts) == 1:
            return self._send(200, "text/html; charset=utf-8", homepage(self.sample, outlet, base))
        if parts[1:] == ["feed"]:
            content_type, body = render_feed(self.sample, outlet, base)
            return self._send(200, content_type, body)
        article = next(
            (a for a in self.sample.of_outlet(outlet["key"]) if a["slug"] == parts[-1]), None
        )
        if article is None:
            return self._send(404, "text/plain", b"not found")
        return self._send(
            200, "text/html; charset=utf-8", article_page(self.sample, outlet, article, base)
        )

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the demo's own output is enough


def article_path(article: dict[str, Any]) -> str:
    section = (article.get("section") or "news").lower().replace(" ", "-")
    section = "".join(c for c in section if c.isascii() and (c.isalnum() or c == "-")) or "news"
    return f"/{article['outlet']}/{section}/{article['slug']}"


def render_feed(sample: Sample, outlet: dict[str, Any], base: str) -> tuple[str, bytes]:
    articles = sample.of_outlet(outlet["key"])
    fmt = outlet["feed_format"]
    if fmt == "jsonfeed":
        return "application/feed+json", json_feed(sample, outlet, articles, base)
    if fmt == "atom":
        return "application/atom+xml; charset=utf-8", atom_feed(sample, outlet, articles, base)
    return "application/rss+xml; charset=utf-8", rss_feed(sample, outlet, articles, base)


def rss_feed(
    sample: Sample, outlet: dict[str, Any], articles: list[dict[str, Any]], base: str
) -> bytes:
    items = []
    for a in articles:
        url = base + article_path(a)
        category = f"<category>{escape(a['section'])}</category>" if a.get("section") else ""
        items.append(
            f"<item><title>{escape(a['title'])}</title><link>{url}</link>"
            f'<guid isPermaLink="true">{url}</guid>'
            f"<pubDate>{format_datetime(sample.published(a))}</pubDate>{category}"
            f"<description>{escape(a['summary'])}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(outlet['name'])}</title><link>{base}/{outlet['key']}/</link>"
        f"<description>{escape(outlet['description'])} ({escape(sample.notice)})</description>"
        f"<language>{outlet['language']}</language>{''.join(items)}</channel></rss>"
    ).encode()


def atom_feed(
    sample: Sample, outlet: dict[str, Any], articles: list[dict[str, Any]], base: str
) -> bytes:
    entries = []
    for a in articles:
        url = base + article_path(a)
        stamp = sample.published(a).isoformat()
        category = f'<category term="{escape(a["section"])}"/>' if a.get("section") else ""
        author = f"<author><name>{escape(a['author'])}</name></author>" if a.get("author") else ""
        entries.append(
            f"<entry><id>{url}</id><title>{escape(a['title'])}</title>"
            f'<link rel="alternate" href="{url}"/><published>{stamp}</published>'
            f"<updated>{stamp}</updated>{author}{category}"
            f"<summary>{escape(a['summary'])}</summary></entry>"
        )
    updated = sample.published(articles[0]).isoformat() if articles else sample.started.isoformat()
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{outlet["language"]}">'
        f"<id>{base}/{outlet['key']}/</id><title>{escape(outlet['name'])}</title>"
        f"<subtitle>{escape(sample.notice)}</subtitle>"
        f'<link rel="alternate" href="{base}/{outlet["key"]}/"/><updated>{updated}</updated>'
        f"{''.join(entries)}</feed>"
    ).encode()


def json_feed(
    sample: Sample, outlet: dict[str, Any], articles: list[dict[str, Any]], base: str
) -> bytes:
    items = [
        {
            "id": base + article_path(a),
            "url": base + article_path(a),
            "title": a["title"],
            "summary": a["summary"],
            "content_text": a["summary"],
            "date_published": sample.published(a).isoformat(),
            "authors": [{"name": a["author"]}] if a.get("author") else [],
            "tags": [a["section"]] if a.get("section") else [],
        }
        for a in articles
    ]
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": outlet["name"],
        "home_page_url": f"{base}/{outlet['key']}/",
        "feed_url": f"{base}/{outlet['key']}/feed",
        "description": sample.notice,
        "language": outlet["language"],
        "items": items,
    }
    return json.dumps(feed, ensure_ascii=False).encode()


def homepage(sample: Sample, outlet: dict[str, Any], base: str) -> bytes:
    links = "".join(
        f'<li><a href="{article_path(a)}">{escape(a["title"])}</a></li>'
        for a in sample.of_outlet(outlet["key"])
    )
    kind = {"rss": "application/rss+xml", "atom": "application/atom+xml"}.get(
        outlet["feed_format"], "application/feed+json"
    )
    return page_shell(
        outlet,
        f"<h1>{escape(outlet['name'])}</h1><ul>{links}</ul>",
        head=f'<link rel="alternate" type="{kind}" href="/{outlet["key"]}/feed">',
        title=outlet["name"],
        notice=sample.notice,
    )


def article_page(
    sample: Sample, outlet: dict[str, Any], article: dict[str, Any], base: str
) -> bytes:
    stamp = sample.published(article).isoformat()
    meta = [
        f'<meta property="og:site_name" content="{escape(outlet["name"])}">',
        f'<meta property="og:title" content="{escape(article["title"])}">',
        f'<meta property="article:published_time" content="{stamp}">',
        f'<link rel="canonical" href="{base}{article_path(article)}">',
    ]
    if article.get("section"):
        meta.append(f'<meta property="article:section" content="{escape(article["section"])}">')
    if article.get("author"):
        meta.append(f'<meta name="author" content="{escape(article["author"])}">')
    byline = (
        f'<p class="byline">By {escape(article["author"])}</p>' if article.get("author") else ""
    )
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in article["paragraphs"])
    body = (
        f"<article><h1>{escape(article['title'])}</h1>{byline}"
        f'<time datetime="{stamp}">{stamp[:10]}</time>'
        f'<p class="lead"><strong>{escape(article["summary"])}</strong></p>'
        f'<div class="article-body">{paragraphs}</div></article>'
        '<aside class="related"><h2>Most read</h2><ul>'
        + "".join(
            f'<li><a href="{article_path(a)}">{escape(a["title"])}</a></li>'
            for a in sample.of_outlet(outlet["key"])[:4]
            if a is not article
        )
        + "</ul></aside>"
    )
    return page_shell(
        outlet, body, head="".join(meta), title=article["title"], notice=sample.notice
    )


def page_shell(outlet: dict[str, Any], body: str, *, head: str, title: str, notice: str) -> bytes:
    return (
        f'<!doctype html><html lang="{outlet["language"]}"><head><meta charset="utf-8">'
        f"<title>{escape(title)} | {escape(outlet['name'])}</title>{head}</head><body>"
        f'<header><a href="/{outlet["key"]}/">{escape(outlet["name"])}</a>'
        '<nav><a href="#">Home</a> <a href="#">Politics</a> <a href="#">Business</a> '
        '<a href="#">Sport</a> '
        '<a href="#">Subscribe</a></nav></header>'
        f"<main>{body}</main>"
        f"<footer><p>{escape(notice)}</p><p>Contact · Privacy · Terms</p></footer></body></html>"
    ).encode()
