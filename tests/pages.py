"""Feeds and article pages written for the tests, rendered as real documents."""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime
from html import escape


def rss(
    title: str, items: list[dict[str, str | datetime | None]], link: str = "http://example.test/"
) -> str:
    rendered = []
    for item in items:
        published = item.get("published")
        date = (
            f"<pubDate>{format_datetime(published)}</pubDate>"
            if isinstance(published, datetime)
            else ""
        )
        category = (
            f"<category>{escape(str(item['category']))}</category>" if item.get("category") else ""
        )
        rendered.append(
            f"<item><title>{escape(str(item['title']))}</title><link>{item['link']}</link>"
            f"<guid>{item.get('guid') or item['link']}</guid>{date}{category}"
            f"<description>{escape(str(item.get('summary') or ''))}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>{link}</link><description>test feed</description>"
        f"{''.join(rendered)}</channel></rss>"
    )


def article_html(
    title: str,
    paragraphs: list[str],
    *,
    site: str,
    published: str | None = None,
    section: str | None = None,
    lang: str = "en",
) -> str:
    meta = [f'<meta property="og:site_name" content="{escape(site)}">']
    if published:
        meta.append(f'<meta property="article:published_time" content="{published}">')
    if section:
        meta.append(f'<meta property="article:section" content="{escape(section)}">')
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        f"{''.join(meta)}</head><body><header><nav><a href='/'>Home</a> <a href='/world'>World</a>"
        f"</nav></header><main><article><h1>{escape(title)}</h1>{body}</article></main>"
        "<footer><p>Copyright notice of the test site. All rights reserved.</p></footer>"
        "</body></html>"
    )
