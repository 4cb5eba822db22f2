"""Properties that must hold for any input, checked with hypothesis: URL checks and
normalisation, address classification, timestamps, slugs and the feed decision step.

Each test keeps ``max_examples`` modest (the file runs in seconds) and writes no example
database (the suite runs without caches)."""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tagwire.drafts import FUTURE_TOLERANCE, canonical_url, entry_hash, publication_date
from tagwire.enrich.names import slugify
from tagwire.errors import InvalidInput
from tagwire.feeds.text import web_link
from tagwire.fetch.guard import AddressPolicy, check_url, is_public_address, parse_address
from tagwire.models import FeedEntry
from tagwire.pipeline import decide
from tagwire.timestamps import parse_timestamp

QUICK = hypothesis_settings(max_examples=150, deadline=None, database=None)
SLUG = re.compile(r"[^\W_]+(-[^\W_]+)*")
ASCII_SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")

hosts = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\.[a-z]{2,6}){0,2}", fullmatch=True)
paths = st.text(alphabet="abc/%?=&#-_.~ ", max_size=20)
urlish = st.one_of(
    st.text(max_size=40),
    st.builds(
        "{}://{}{}{}".format,
        st.sampled_from(["http", "https", "HTTP", "ftp", "javascript", "file", ""]),
        hosts,
        st.sampled_from(["", ":80", ":99999", ":x", ":0"]),
        paths,
    ),
    st.builds("{}{}{}".format, st.sampled_from(["", " ", "\n\t"]), st.just("http://"), hosts),
)


# URLs


@QUICK
@given(urlish)
def test_check_url_refuses_only_with_invalid_input_and_is_idempotent(text: str) -> None:
    try:
        url = check_url(text)
    except InvalidInput:
        return
    assert check_url(url) == url
    assert url == url.strip() and url.lower().startswith(("http://", "https://"))


@QUICK
@given(urlish)
def test_web_link_is_an_http_link_or_empty_and_idempotent(text: str) -> None:
    link = web_link(text)
    assert link == "" or link.lower().startswith(("http://", "https://"))
    assert web_link(link) == link


@QUICK
@given(st.one_of(st.none(), urlish), urlish)
def test_canonical_url_is_one_of_the_two_and_stable(page: str | None, entry: str) -> None:
    chosen = canonical_url(page, entry)
    assert chosen in (page, entry)
    assert canonical_url(chosen, entry) == chosen


# Addresses (the SSRF guard)

ipv4 = st.integers(0, 2**32 - 1).map(ipaddress.IPv4Address)
ipv6 = st.integers(0, 2**128 - 1).map(ipaddress.IPv6Address)


@QUICK
@given(st.text(max_size=30))
def test_parse_address_never_raises(text: str) -> None:
    ip = parse_address(text)
    assert ip is None or isinstance(ip, ipaddress.IPv4Address | ipaddress.IPv6Address)


@QUICK
@given(ipv4)
def test_every_spelling_of_an_ipv4_address_is_that_address(ip: ipaddress.IPv4Address) -> None:
    number = int(ip)
    octets = ip.packed
    for spelling in (
        str(number),  # 2130706433
        hex(number),  # 0x7f000001
        ".".join(f"0{o:o}" for o in octets),  # 0177.00.00.01
        f"{octets[0]}.{int.from_bytes(octets[1:])}",  # 127.1
        f"{hex(octets[0])}.{octets[1]}.{int.from_bytes(octets[2:])}",  # 0x7f.0.1
    ):
        assert parse_address(spelling) == ip, spelling


@QUICK
@given(ipv4)
def test_an_ipv4_address_hidden_in_ipv6_is_no_more_public(ip: ipaddress.IPv4Address) -> None:
    n = int(ip)
    wrapped = [
        ipaddress.IPv6Address(0xFFFF << 32 | n),  # ::ffff:a.b.c.d
        ipaddress.IPv6Address(n),  # ::a.b.c.d
        ipaddress.IPv6Address(0x2002 << 112 | n << 80),  # 6to4
        ipaddress.IPv6Address(0x64FF9B << 96 | n),  # NAT64
    ]
    if not is_public_address(ip):
        assert not any(is_public_address(w) for w in wrapped)


@QUICK
@given(st.one_of(ipv4, ipv6), hosts)
def test_the_default_policy_permits_exactly_the_public_addresses(
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address, host: str
) -> None:
    public = is_public_address(ip)
    assert AddressPolicy().permits(host, ip) is public
    assert AddressPolicy(allow_private=True).permits(host, ip) or not public
    if public:
        assert not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast)


# Timestamps

aware = st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(2200, 1, 1),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-11))]
    ),
)


@QUICK
@given(st.one_of(st.none(), st.text(max_size=40), aware.map(datetime.isoformat)))
def test_parse_timestamp_is_utc_or_none_and_never_raises(text: str | None) -> None:
    moment = parse_timestamp(text)
    assert moment is None or moment.utcoffset() == timedelta(0)


@QUICK
@given(st.datetimes(timezones=st.just(UTC)), st.sampled_from(["T", " "]))
def test_parse_timestamp_edge_of_range_never_raises(moment: datetime, sep: str) -> None:
    for offset in ("+14:00", "-14:00", "Z", ""):
        parse_timestamp(moment.replace(tzinfo=None).isoformat(sep) + offset)


@QUICK
@given(aware)
def test_parse_timestamp_reads_back_what_isoformat_wrote(moment: datetime) -> None:
    assert parse_timestamp(moment.isoformat()) == moment
    assert parse_timestamp(moment.isoformat().replace("+00:00", "Z")) == moment


@QUICK
@given(st.one_of(st.none(), aware), st.one_of(st.none(), aware), aware)
def test_a_publication_date_is_never_in_the_future(
    feed: datetime | None, page: datetime | None, now: datetime
) -> None:
    chosen = publication_date(feed, page, now)
    assert chosen.tzinfo is not None and chosen <= now + FUTURE_TOLERANCE


# Slugs

names = st.one_of(
    st.text(max_size=30),
    st.text(alphabet="#'’ -_.abcXYZéÉçßøĞİ0123456789", max_size=30),
    st.from_regex(r"#?([A-Z][a-z]+){1,3}", fullmatch=True),
)


@QUICK
@given(names)
@example("ÀİØ").via("found by hypothesis: a part folded only on the second pass")
@example("Ƣİ𝑨").via("found by hypothesis: a letter folding to a capital")
@example("A𝜜").via("found by hypothesis: a capital without a lower case")
def test_a_slug_is_lowercase_words_joined_by_hyphens_and_idempotent(name: str) -> None:
    slug = slugify(name)
    assert slug == "" or SLUG.fullmatch(slug), slug
    assert slugify(slug) == slug
    if slug.isascii():
        assert slug == "" or ASCII_SLUG.fullmatch(slug), slug


# The feed decision step

entries = st.builds(
    FeedEntry,
    guid=st.sampled_from(["a", "b", "c", "d"]),
    url=st.sampled_from(["http://x.test/1", "http://x.test/2"]),
    title=st.text(max_size=8),
    summary=st.text(max_size=8),
    published_at=st.one_of(st.none(), aware),
)


@st.composite
def feeds_and_seen(draw: st.DrawFn) -> tuple[list[FeedEntry], dict[str, str]]:
    """A feed's entries (guids repeat, as in real feeds) and what the store has seen."""
    listed = draw(st.lists(entries, max_size=8))
    earlier = draw(st.lists(entries, max_size=4))
    if listed:
        earlier += draw(st.lists(st.sampled_from(listed), max_size=8))
    return listed, {e.guid: entry_hash(e) for e in earlier}


@QUICK
@given(feeds_and_seen())
def test_decide_is_deterministic_and_never_emits_an_entry_twice(
    case: tuple[list[FeedEntry], dict[str, str]],
) -> None:
    listed, seen = case
    chosen = decide(listed, dict(seen))
    assert chosen == decide(listed, dict(seen))
    assert len({e.guid for e in chosen}) == len(chosen)
    assert all(e in listed and seen.get(e.guid) != entry_hash(e) for e in chosen)


@QUICK
@given(feeds_and_seen())
def test_storing_what_decide_chose_leaves_nothing_to_decide(
    case: tuple[list[FeedEntry], dict[str, str]],
) -> None:
    """The next poll of an unchanged feed finds nothing new or updated."""
    listed, seen = case
    stored = seen | {e.guid: entry_hash(e) for e in decide(listed, seen)}
    assert decide(listed, stored) == []
