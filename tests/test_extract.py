"""Extract stage: article text and publisher metadata out of pages written for the tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tagwire.errors import ExtractError
from tagwire.extract import extract_page
from tagwire.extract.article import decode_body
from tagwire.models import ExtractedPage
from tagwire.timestamps import parse_timestamp

PAGE_URL = "https://courier.test/environment/flood-gates-open-early?ref=front"

PARAGRAPHS = [
    "The river authority opened the new flood gates on Tuesday morning, three weeks ahead "
    "of the schedule it had promised the town council last spring.",
    "Engineers spent most of the winter pouring concrete for the twin sills, working in "
    "shifts whenever the water level dropped low enough to let the pumps keep up.",
    "Residents of the lower streets, who had sandbagged their doorways twice in the past two "
    "years, gathered on the embankment to watch the first test closure.",
    "The authority said the gates would be tested again in October, before the season of "
    "autumn storms, and that a public report would follow in the new year.",
]

ARTICLE_PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Flood gates open early | Riverside Courier</title>
  <meta property="og:site_name" content="Riverside Courier">
  <meta property="og:title" content="Flood gates open early">
  <meta property="article:published_time" content="2024-03-12T09:45:00+01:00">
  <meta property="article:section" content="Environment">
  <meta property="article:tag" content="flooding">
  <meta property="article:tag" content="river authority">
  <meta name="author" content="Morwenna Tidewell">
  <meta name="description" content="New flood gates opened three weeks early.">
  <link rel="canonical" href="/environment/flood-gates-open-early">
</head>
<body>
  <header>
    <nav><a href="/">Home</a> <a href="/environment">Environment</a>
      <a href="/sport">Sport</a> Subscribe to the morning newsletter</nav>
  </header>
  <main><article>
    <h1>Flood gates open early</h1>
    {"".join(f"<p>{p}</p>" for p in PARAGRAPHS)}
  </article></main>
  <footer>
    <p>The Riverside Courier is published by an imaginary press group. All rights reserved.</p>
    <p>Write to the newsroom to report a correction.</p>
  </footer>
</body>
</html>
""".encode()


@pytest.fixture(scope="module")
def article() -> ExtractedPage:
    return extract_page(ARTICLE_PAGE, url=PAGE_URL, content_type="text/html; charset=utf-8")


def test_text_keeps_every_paragraph(article: ExtractedPage) -> None:
    for paragraph in PARAGRAPHS:
        assert paragraph in article.text


def test_text_leaves_out_nav_and_footer(article: ExtractedPage) -> None:
    assert "newsletter" not in article.text
    assert "Sport" not in article.text
    assert "All rights reserved" not in article.text
    assert "correction" not in article.text


def test_metadata_fields_map(article: ExtractedPage) -> None:
    assert article.title == "Flood gates open early"
    assert article.author == "Morwenna Tidewell"
    assert article.sitename == "Riverside Courier"
    assert article.section == "Environment"
    assert article.tags == ("flooding", "river authority")
    assert article.description == "New flood gates opened three weeks early."


def test_relative_canonical_is_resolved_against_page_url(article: ExtractedPage) -> None:
    assert article.canonical_url == "https://courier.test/environment/flood-gates-open-early"


def test_published_time_with_offset_becomes_utc(article: ExtractedPage) -> None:
    assert article.published_at == datetime(2024, 3, 12, 8, 45, tzinfo=UTC)
    assert article.published_at.tzinfo is UTC


def test_news_keywords_are_split_into_tags() -> None:
    page = ARTICLE_PAGE.replace(
        b'<meta property="article:tag" content="flooding">',
        b'<meta name="news_keywords" content="levees, , storm season">',
    )
    extracted = extract_page(page, url=PAGE_URL)
    assert extracted.tags == ("levees", "storm season", "river authority")


def test_page_without_article_text_is_extract_error() -> None:
    page = b"""<html><head><title>Sections</title></head><body>
        <nav><a href="/">Home</a> <a href="/world">World</a></nav>
        <p>Coming soon.</p><footer>All rights reserved.</footer></body></html>"""
    with pytest.raises(ExtractError):
        extract_page(page, url="https://courier.test/sections")


@pytest.mark.parametrize("body", [b"", b"\x00\x01"])
def test_unparseable_body_is_extract_error(body: bytes) -> None:
    with pytest.raises(ExtractError):
        extract_page(body, url="https://courier.test/blank")


# Character sets

CAFE_PARAGRAPHS = [
    "Le café de la place a rouvert ses portes après l’été, avec une terrasse agrandie et "
    "une carte qui change chaque semaine selon le marché.",
    "La patronne raconte qu’elle a repeint elle-même les volets pendant les vacances, et "
    "qu’elle a gardé le vieux comptoir en zinc que tout le quartier connaît.",
    "Les habitués ont déjà repris leurs places près de la fenêtre, où l’on voit passer le bus "
    "du matin et les enfants qui partent à l’école.",
]

CAFE_PAGE = (
    "<html><head><title>Le café rouvre</title></head><body><article>"
    + "".join(f"<p>{p}</p>" for p in CAFE_PARAGRAPHS)
    + "</article></body></html>"
).encode("cp1252")


def test_windows_1252_page_with_charset_in_content_type_decodes() -> None:
    extracted = extract_page(
        CAFE_PAGE, url="https://cafe.test/", content_type="text/html; charset=windows-1252"
    )
    assert "Le café de la place" in extracted.text
    assert "après l’été" in extracted.text
    assert "qu’elle a gardé" in extracted.text


def test_decode_body_uses_declared_charset() -> None:
    decoded = decode_body(CAFE_PAGE, 'text/html; charset="windows-1252"')
    assert isinstance(decoded, str)
    assert "l’été" in decoded


def test_decode_body_falls_back_to_bytes_on_unknown_charset() -> None:
    assert decode_body(CAFE_PAGE, "text/html; charset=no-such-charset") is CAFE_PAGE


def test_decode_body_falls_back_to_bytes_when_charset_does_not_fit() -> None:
    assert decode_body(CAFE_PAGE, "text/html; charset=utf-8") is CAFE_PAGE


def test_decode_body_without_charset_returns_bytes() -> None:
    assert decode_body(CAFE_PAGE, "text/html") is CAFE_PAGE


# Timestamps


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-05", datetime(2024, 3, 5, tzinfo=UTC)),
        ("2024-03-05T10:00:00Z", datetime(2024, 3, 5, 10, tzinfo=UTC)),
        ("2024-03-05T10:00:00", datetime(2024, 3, 5, 10, tzinfo=UTC)),
        ("2024-03-05T10:00:00-05:00", datetime(2024, 3, 5, 15, tzinfo=UTC)),
        (" 2024-03-05T10:00:00+02:00 ", datetime(2024, 3, 5, 8, tzinfo=UTC)),
    ],
)
def test_parse_timestamp_returns_utc(value: str, expected: datetime) -> None:
    parsed = parse_timestamp(value)
    assert parsed == expected
    assert parsed is not None and parsed.tzinfo is UTC


@pytest.mark.parametrize("value", [None, "", "yesterday", "12/03/2024"])
def test_parse_timestamp_rejects_unreadable_values(value: str | None) -> None:
    assert parse_timestamp(value) is None


def test_utf8_mislabelled_as_latin1_is_read_as_utf8():
    page = (
        "<html><head><meta charset='utf-8'></head><body><article><h1>Café à Bamako</h1>"
        + "<p>Le café du marché de Bamako a rouvert ses portes après des travaux. " * 4
        + "</p></article></body></html>"
    ).encode()
    extracted = extract_page(
        page, url="https://cafe.test/x", content_type="text/html; charset=iso-8859-1"
    )
    assert "Le café du marché" in extracted.text
