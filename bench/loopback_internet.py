"""A loopback "internet" for the scale benchmark: one process serving N feeds across H hosts.

Each host is its own loopback address (127.42.x.y, all routed to ``lo`` on Linux), so
per-host politeness applies per host. Each feed has ``--items`` entries (RSS 2.0, every
fifth one Atom, every tenth one in French), each entry an article page of 300-600 words of
templated text about invented places, with a little site furniture around it. Feeds carry
an ETag and a Last-Modified and answer conditional requests with 304.

Every request waits 50-500 ms (1.5-4 s on a few slow hosts), 5% of requests fail with a
500 or 503, all drawn from a seeded generator keyed by (host, path, n-th request of that
path), so two runs with the same seed see the same latencies and errors. Every request is
logged, tab-separated, to ``--log``: start and end time, host, path, status, the requests
in flight on that host when it arrived (itself included), whether it was conditional, and
the body size.

    python bench/loopback_internet.py --feeds 1000 --log server.tsv --opml feeds.opml

prints one JSON line when it listens, and stops by itself after ``--max-seconds``, when
its parent process goes away, or on SIGTERM / SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import random
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import TextIO
from xml.sax.saxutils import quoteattr

ADDRESS_PREFIX = "127.42"
IDLE_SECONDS = 30.0
MAX_HEADER_BYTES = 16_384
LOG_COLUMNS = ("start", "end", "host", "path", "status", "inflight", "conditional", "bytes")

# --- invented words ----------------------------------------------------------------------

_SYLLABLES_TEXT = (
    "val bren dor ost mar kel tav lin sor quen hal rud vess orm ard pel zan cor fen mir "
    "tol gar nes bal wen thar ul isk ber mon"
)
SYLLABLES = tuple(_SYLLABLES_TEXT.split())
PLACE_ENDINGS = ("mere", "ford", "holm", "vale", "stad", "wick", "port", "mouth", "gate", "by")
_GIVEN_TEXT = (
    "Ada Bram Cato Dina Elio Fenna Goran Hesper Ines Jory Kasia Lior Mabel Nils Oona Piet "
    "Quilla Rafe Sunniva Tamsin Ugo Vesna Wilmer Xenia Yara Zeno"
)
GIVEN = tuple(_GIVEN_TEXT.split())
ROLES = (
    "mayor",
    "harbour master",
    "council treasurer",
    "head of the water board",
    "school inspector",
    "union spokesperson",
    "chief engineer",
    "district judge",
)
BODIES = (
    "Water Board",
    "Rail Company",
    "Farmers' Cooperative",
    "Harbour Authority",
    "Chamber of Trades",
    "Regional Assembly",
    "Weavers' Guild",
    "Ferry Service",
)
TOPICS = (
    ("the repair of the old sea wall", "construction", "local"),
    ("a new timetable for the valley railway", "transport", "local"),
    ("the grain harvest", "farming", "economy"),
    ("the reopening of the north school", "education", "local"),
    ("a dispute over fishing quotas", "fisheries", "economy"),
    ("the spring river festival", "culture", "culture"),
    ("the budget for the coming year", "politics", "politics"),
    ("flooding in the lower districts", "weather", "environment"),
    ("a strike at the ferry terminal", "labour", "economy"),
    ("the election of a new council", "politics", "politics"),
)
COUNTRIES = ("Norway", "Chile", "Mali", "Portugal", "Canada", "Kenya", "Japan", "Peru")
SENTENCES = (
    "Officials in {place} said on {day} that {topic} would go ahead despite objections.",
    "{person}, the {role} of {place}, told reporters that the plan had been years in the making.",
    "Residents of {place2} gathered outside the town hall to hear the latest on {topic}.",
    "The {place} {body} published figures showing a rise of {n} per cent since last spring.",
    "According to {person}, talks with the {place2} {body} are expected to continue next week.",
    "Shopkeepers along the harbour road said business had slowed while {topic} dragged on.",
    "A delegation from {country} visited {place} to study how the town handled {topic}.",
    "The debate over {topic} has divided opinion between {place} and neighbouring {place2}.",
    "{person} said the costs, estimated at {n} million crowns, would be shared by the region.",
    "Critics argue that the {body} in {place2} was not consulted early enough.",
    "Work is due to resume on {day} if the weather holds, the {role} added.",
    "Local newspapers in {place} have followed {topic} closely since it was first proposed.",
    "Farmers from the hills above {place2} travelled down to voice their concerns.",
    "The council of {place} will vote on the matter at its meeting on {day}.",
    "Visitors from {country} were among the crowd that lined the quay on {day}.",
    "{person} thanked volunteers from {place2} for their help over the past {n} days.",
)
FR_SENTENCES = (
    "Les autorités de {place} ont annoncé {day} que {topic} se poursuivrait malgré tout.",
    "{person}, responsable du port de {place}, a déclaré que le projet avançait bien.",
    "Des habitants de {place2} se sont réunis devant la mairie pour en savoir plus.",
    "Le conseil de {place} votera sur ce dossier lors de sa prochaine séance.",
    "Une délégation venue du {country} a visité {place} pour étudier la situation.",
    "Selon {person}, les discussions avec {place2} reprendront la semaine prochaine.",
    "Les commerçants du quai affirment que leurs ventes ont baissé de {n} pour cent.",
    "Le coût total, estimé à {n} millions de couronnes, sera partagé par la région.",
    "Les agriculteurs des collines de {place2} sont descendus pour exprimer leurs craintes.",
    "Les travaux doivent reprendre {day} si la météo le permet, a précisé {person}.",
)
FR_TOPICS = ("la réparation de la digue", "le nouvel horaire du train", "la récolte de blé")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
FR_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi")
SECTIONS = ("World", "Region", "Economy", "Culture", "Politics")


def invented_word(rng: random.Random, parts: int = 2) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


def invented_place(rng: random.Random) -> str:
    return invented_word(rng) + rng.choice(PLACE_ENDINGS)


# --- the world: hosts, feeds, articles -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Article:
    feed: int
    item: int
    title: str
    summary: str
    paragraphs: tuple[str, ...]
    published: datetime
    section: str
    french: bool


@dataclass(frozen=True, slots=True)
class World:
    """Everything served, as pure functions of the seed and the sizes."""

    seed: int
    feeds: int
    hosts: int
    items: int
    port: int
    epoch: datetime  # "now" for the dates in the feeds, fixed for the server's lifetime

    def address(self, host: int) -> str:
        return f"{ADDRESS_PREFIX}.{host // 250}.{host % 250 + 1}"

    def host_of_address(self, address: str) -> int:
        third, fourth = address.split(".")[2:4]
        return int(third) * 250 + int(fourth) - 1

    def base_url(self, host: int) -> str:
        return f"http://{self.address(host)}:{self.port}"

    def host_of_feed(self, feed: int) -> int:
        return feed % self.hosts

    def feed_url(self, feed: int) -> str:
        return f"{self.base_url(self.host_of_feed(feed))}/feeds/{feed}.xml"

    def article_url(self, feed: int, item: int) -> str:
        return f"{self.base_url(self.host_of_feed(feed))}/articles/{feed}/{item}.html"

    def is_atom(self, feed: int) -> bool:
        return feed % 5 == 4

    def is_french(self, feed: int) -> bool:
        return feed % 10 == 9

    @lru_cache(maxsize=1024)  # noqa: B019 - one World per process, lives as long as it
    def outlet(self, host: int) -> str:
        rng = random.Random(f"{self.seed}:outlet:{host}")
        return f"The {invented_place(rng)} {rng.choice(('Courier', 'Gazette', 'Herald'))}"

    @lru_cache(maxsize=64)  # noqa: B019
    def slow_hosts(self) -> frozenset[int]:
        rng = random.Random(f"{self.seed}:slow")
        count = max(1, self.hosts * 3 // 100)
        return frozenset(rng.sample(range(self.hosts), min(count, self.hosts)))

    def article(self, feed: int, item: int) -> Article:
        rng = random.Random(f"{self.seed}:article:{feed}:{item}")
        french = self.is_french(feed)
        words = {
            "place": invented_place(rng),
            "place2": invented_place(rng),
            "person": f"{rng.choice(GIVEN)} {invented_word(rng)}",
            "role": rng.choice(ROLES),
            "body": rng.choice(BODIES),
            "country": rng.choice(COUNTRIES),
        }
        topic, _, section_hint = rng.choice(TOPICS)
        title = f"{words['place']}: {topic[0].upper()}{topic[1:]} divides the {words['body']}"
        if french:
            topic = rng.choice(FR_TOPICS)
            title = f"{words['place']} : débat sur {topic}"
        paragraphs = write_paragraphs(rng, words, topic, french, target=rng.randint(300, 600))
        hours = item * 7 + rng.random() * 5 + 1  # 20 items span about six days
        return Article(
            feed=feed,
            item=item,
            title=title,
            summary=paragraphs[0],
            paragraphs=paragraphs,
            published=(self.epoch - timedelta(hours=hours)).replace(microsecond=0),
            section=section_hint.capitalize() if rng.random() < 0.8 else rng.choice(SECTIONS),
            french=french,
        )


def write_paragraphs(
    rng: random.Random, words: dict[str, str], topic: str, french: bool, target: int
) -> tuple[str, ...]:
    """Paragraphs of 3-5 templated sentences until about ``target`` words."""
    templates, days = (FR_SENTENCES, FR_DAYS) if french else (SENTENCES, DAYS)
    paragraphs: list[str] = []
    count = 0
    while count < target:
        sentences = []
        for _ in range(rng.randint(3, 5)):
            fill = {**words, "topic": topic, "day": rng.choice(days), "n": rng.randint(2, 90)}
            sentences.append(rng.choice(templates).format(**fill))
        paragraph = " ".join(sentences)
        paragraphs.append(paragraph)
        count += len(paragraph.split())
    return tuple(paragraphs)


# --- documents -----------------------------------------------------------------------------


def http_date(when: datetime) -> str:
    return format_datetime(when.astimezone(UTC), usegmt=True)


def rss_feed(world: World, feed: int) -> str:
    host = world.host_of_feed(feed)
    items = []
    for item in range(world.items):
        a = world.article(feed, item)
        url = world.article_url(feed, item)
        items.append(
            f"<item><title>{escape(a.title)}</title><link>{url}</link>"
            f'<guid isPermaLink="false">bench-{feed}-{item}</guid>'
            f"<pubDate>{http_date(a.published)}</pubDate><category>{a.section}</category>"
            f"<description>{escape(a.summary)}</description></item>"
        )
    language = "fr" if world.is_french(feed) else "en"
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(world.outlet(host))} feed {feed}</title>"
        f"<link>{world.base_url(host)}/</link><language>{language}</language>"
        f"<description>Invented news for a benchmark</description>{''.join(items)}"
        "</channel></rss>"
    )


def atom_feed(world: World, feed: int) -> str:
    host = world.host_of_feed(feed)
    entries = []
    for item in range(world.items):
        a = world.article(feed, item)
        url = world.article_url(feed, item)
        stamp = a.published.isoformat()
        entries.append(
            f"<entry><title>{escape(a.title)}</title><link href={quoteattr(url)}/>"
            f"<id>urn:bench:{feed}:{item}</id><updated>{stamp}</updated>"
            f"<published>{stamp}</published><category term={quoteattr(a.section)}/>"
            f"<summary>{escape(a.summary)}</summary></entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(world.outlet(host))} feed {feed}</title>"
        f"<id>urn:bench:{feed}</id><updated>{world.epoch.isoformat()}</updated>"
        f"<link href={quoteattr(world.base_url(host) + '/')}/>{''.join(entries)}</feed>"
    )


def article_page(world: World, feed: int, item: int) -> str:
    host = world.host_of_feed(feed)
    a = world.article(feed, item)
    outlet = escape(world.outlet(host))
    others = "".join(
        f"<li><a href='/articles/{feed}/{(item + k) % max(world.items, 1)}.html'>"
        f"{escape(world.article(feed, (item + k) % max(world.items, 1)).title)}</a></li>"
        for k in (1, 2, 3)
    )
    body = "".join(f"<p>{escape(p)}</p>" for p in a.paragraphs)
    return (
        f'<!doctype html><html lang="{"fr" if a.french else "en"}"><head><meta charset="utf-8">'
        f"<title>{escape(a.title)} | {outlet}</title>"
        f'<meta property="og:site_name" content="{outlet}">'
        f'<meta property="article:published_time" content="{a.published.isoformat()}">'
        f'<meta property="article:section" content="{escape(a.section)}">'
        f'<link rel="canonical" href="{world.article_url(feed, item)}"></head><body>'
        f"<header><a href='/'>{outlet}</a><nav><a href='/world'>World</a> "
        "<a href='/region'>Region</a> <a href='/economy'>Economy</a> "
        "<a href='/subscribe'>Subscribe</a></nav></header>"
        f"<main><article><h1>{escape(a.title)}</h1>"
        f"<p class='byline'>By staff reporters · {a.section}</p>{body}</article>"
        f"<aside><h2>Most read</h2><ul>{others}</ul></aside></main>"
        f"<footer><p>© {outlet}. Invented for a benchmark; all text is generated.</p>"
        "<p><a href='/about'>About us</a> · <a href='/privacy'>Privacy</a></p></footer>"
        "</body></html>"
    )


ROBOTS = "User-agent: *\nDisallow: /private/\n"


# --- HTTP ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()


REASONS = {200: "OK", 304: "Not Modified", 404: "Not Found", 500: "Internal Server Error"}
REASONS[503] = "Service Unavailable"


class Site:
    """Routes, validators, injected latency and errors for every host."""

    def __init__(self, world: World, error_rate: float) -> None:
        self.world = world
        self.error_rate = error_rate
        self._requests: Counter[tuple[int, str]] = Counter()

    def draw(self, host: int, path: str) -> tuple[float, int | None]:
        """Latency and injected error status of the n-th request of ``path`` on ``host``."""
        n = self._requests[host, path]
        self._requests[host, path] += 1
        rng = random.Random(f"{self.world.seed}:req:{host}:{path}:{n}")
        slow = host in self.world.slow_hosts()
        latency = rng.uniform(1.5, 4.0) if slow else rng.uniform(0.05, 0.5)
        error = rng.choice((500, 503)) if rng.random() < self.error_rate else None
        return latency, error

    def reply(self, host: int, path: str, headers: dict[str, str]) -> Reply:
        parts = [p for p in path.split("?")[0].split("/") if p]
        try:
            if parts == ["robots.txt"]:
                return Reply(200, ROBOTS.encode())
            if len(parts) == 2 and parts[0] == "feeds" and parts[1].endswith(".xml"):
                return self.feed_reply(host, int(parts[1][:-4]), headers)
            if len(parts) == 3 and parts[0] == "articles" and parts[2].endswith(".html"):
                return self.page_reply(host, int(parts[1]), int(parts[2][:-5]))
        except ValueError:
            pass
        return Reply(404, b"not found")

    def feed_reply(self, host: int, feed: int, headers: dict[str, str]) -> Reply:
        if not (0 <= feed < self.world.feeds and self.world.host_of_feed(feed) == host):
            return Reply(404, b"no such feed")
        body, etag, modified = feed_document(self.world, feed)
        validators = (("ETag", etag), ("Last-Modified", modified))
        if not_modified(headers, etag, modified):
            return Reply(304, headers=validators)
        kind = "application/atom+xml" if self.world.is_atom(feed) else "application/rss+xml"
        return Reply(200, body, f"{kind}; charset=utf-8", validators)

    def page_reply(self, host: int, feed: int, item: int) -> Reply:
        if not (0 <= feed < self.world.feeds and self.world.host_of_feed(feed) == host):
            return Reply(404, b"no such page")
        if not 0 <= item < self.world.items:
            return Reply(404, b"no such page")
        html = article_page(self.world, feed, item).encode()
        return Reply(200, html, "text/html; charset=utf-8")


@lru_cache(maxsize=20_000)
def feed_document(world: World, feed: int) -> tuple[bytes, str, str]:
    text = atom_feed(world, feed) if world.is_atom(feed) else rss_feed(world, feed)
    body = text.encode()
    etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
    newest = world.epoch - timedelta(hours=1)
    return body, etag, http_date(newest)


def not_modified(headers: dict[str, str], etag: str, modified: str) -> bool:
    """RFC 9110: If-None-Match wins; If-Modified-Since only without it."""
    if "if-none-match" in headers:
        tags = [t.strip() for t in headers["if-none-match"].split(",")]
        return etag in tags or "*" in tags
    since = headers.get("if-modified-since")
    if not since:
        return False
    try:
        return parsedate_to_datetime(since) >= parsedate_to_datetime(modified)
    except (TypeError, ValueError):
        return False


def encode_reply(reply: Reply, keep_alive: bool) -> bytes:
    lines = [f"HTTP/1.1 {reply.status} {REASONS.get(reply.status, 'Status')}"]
    lines.append(f"Date: {http_date(datetime.now(UTC))}")
    lines.append("Server: loopback-internet")
    if reply.status != 304:
        lines.append(f"Content-Type: {reply.content_type}")
        lines.append(f"Content-Length: {len(reply.body)}")
    if reply.status == 503:
        lines.append("Retry-After: 120")
    lines.extend(f"{k}: {v}" for k, v in reply.headers)
    lines.append(f"Connection: {'keep-alive' if keep_alive else 'close'}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head if reply.status == 304 else head + reply.body


def parse_head(raw: bytes) -> tuple[str, str, dict[str, str]]:
    text = raw.decode("latin-1")
    request_line, *header_lines = text.split("\r\n")
    method, path, _version = request_line.split(" ", 2)
    headers: dict[str, str] = {}
    for line in header_lines:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return method, path, headers


class RequestLog:
    """Tab-separated lines, buffered and flushed every second (and at exit)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.out.write("\t".join(LOG_COLUMNS) + "\n")
        self._lines: list[str] = []

    def add(self, *fields: object) -> None:
        self._lines.append("\t".join(str(f) for f in fields) + "\n")

    def flush(self) -> None:
        if self._lines:
            self.out.writelines(self._lines)
            self._lines.clear()
        self.out.flush()


class Server:
    """One listening socket per host address, one event loop for all of them."""

    def __init__(self, site: Site, log: RequestLog) -> None:
        self.site = site
        self.log = log
        self.inflight: Counter[int] = Counter()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host = self.site.world.host_of_address(writer.get_extra_info("sockname")[0])
        try:
            while await self.one_request(host, reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except TimeoutError:
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def one_request(
        self, host: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Serve one request; return whether the connection stays open."""
        async with asyncio.timeout(IDLE_SECONDS):
            raw = await reader.readuntil(b"\r\n\r\n")
        method, path, headers = parse_head(raw)
        keep_alive = headers.get("connection", "").lower() != "close"
        conditional = int("if-none-match" in headers or "if-modified-since" in headers)
        started = time.time()
        self.inflight[host] += 1
        inflight = self.inflight[host]
        status, size = 0, 0
        try:
            latency, error = self.site.draw(host, path)
            await asyncio.sleep(latency)
            if method != "GET":
                reply = Reply(405, b"GET only")
            elif error is not None:
                reply = Reply(error, b"injected error")
            else:
                reply = self.site.reply(host, path, headers)
            status, size = reply.status, len(reply.body)
            writer.write(encode_reply(reply, keep_alive))
            await writer.drain()
        finally:
            self.inflight[host] -= 1
            address = self.site.world.address(host)
            end = f"{time.time():.4f}"
            self.log.add(f"{started:.4f}", end, address, path, status, inflight, conditional, size)
        return keep_alive


# --- running -------------------------------------------------------------------------------


def write_opml(world: World, path: Path) -> None:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<opml version="2.0">']
    lines.append("<head><title>loopback internet</title></head><body>")
    for feed in range(world.feeds):
        title = f"{world.outlet(world.host_of_feed(feed))} feed {feed}"
        lines.append(
            f'<outline type="rss" text={quoteattr(title)} xmlUrl="{world.feed_url(feed)}"/>'
        )
    lines.append("</body></opml>\n")
    path.write_text("\n".join(lines), encoding="utf-8")


async def serve(world: World, site: Site, log: RequestLog, max_seconds: float) -> None:
    server = Server(site, log)
    listeners = [
        await asyncio.start_server(
            server.handle, world.address(h), world.port, limit=MAX_HEADER_BYTES, backlog=256
        )
        for h in range(world.hosts)
    ]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(json.dumps({"ready": True, "pid": os.getpid(), "hosts": world.hosts}), flush=True)
    parent = os.getppid()
    deadline = time.monotonic() + max_seconds
    while not stop.is_set() and time.monotonic() < deadline and os.getppid() == parent:
        log.flush()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.0)
    for listener in listeners:
        listener.close()
    log.flush()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=1000, help="feeds served (try 10000)")
    parser.add_argument("--hosts", type=int, default=200, help="host addresses, 127.42.x.y")
    parser.add_argument("--items", type=int, default=20, help="entries (and pages) per feed")
    parser.add_argument("--port", type=int, default=8642)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--error-rate", type=float, default=0.05)
    parser.add_argument("--log", type=Path, default=Path("loopback-requests.tsv"))
    parser.add_argument("--opml", type=Path, help="write the feed list here as OPML")
    parser.add_argument("--max-seconds", type=float, default=3 * 3600, help="stop after this")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if not 1 <= args.hosts <= 250 * 250:
        sys.exit("--hosts must be between 1 and 62500")
    epoch = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    world = World(args.seed, args.feeds, min(args.hosts, args.feeds), args.items, args.port, epoch)
    if args.opml:
        write_opml(world, args.opml)
    with args.log.open("w", encoding="utf-8") as out:
        asyncio.run(serve(world, Site(world, args.error_rate), RequestLog(out), args.max_seconds))


if __name__ == "__main__":
    main()
