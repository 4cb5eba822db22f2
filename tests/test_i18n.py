"""The interface in English and French: every marked string has its French, the reader's
language is chosen by ?hl, cookie or Accept-Language, and feeds and the API stay English."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from tagwire.enrich.category import TAXONOMY
from tagwire.store.articles import save_article
from tagwire.store.curation import KINDS
from tagwire.web import create_app, i18n, labels, urls
from tagwire.web.language import preferred_languages, preferred_locale

from .factories import draft, feed, fill

ROOT = Path(__file__).resolve().parents[1]
FRENCH = {"accept-language": "fr-FR,fr;q=0.9,en;q=0.8"}


def extracted_messages() -> set[str]:
    """Every msgid that ``pybabel extract -F babel.cfg`` would find (plural: the singular)."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for _, _, message, _, _ in extract_from_dir(ROOT, method_map, options_map):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def french_catalog() -> Catalog:
    with i18n.catalog_path("fr").open("rb") as po:
        return read_po(po, locale="fr")


def untranslated(msgids: Iterable[str], catalog: Catalog) -> list[str]:
    """The msgids a reader of ``catalog``'s language would see in English."""
    missing = []
    for msgid in sorted(msgids):
        entry = catalog.get(msgid)
        strings = entry.string if entry is not None else ""
        forms = strings if isinstance(strings, tuple) else (strings,)
        if entry is None or entry.fuzzy or not all(forms):
            missing.append(msgid)
    return missing


def test_every_marked_string_has_its_french():
    messages = extracted_messages()
    assert "Latest news with #%(label)s" in messages and "Older news" in messages
    missing = untranslated(messages, french_catalog())
    assert not missing, (
        "No French for these strings; re-extract and translate (docs/translating.md): "
        + "; ".join(missing)
    )


def test_a_new_string_without_french_is_caught():
    assert untranslated({"Older news", "A string nobody translated"}, french_catalog()) == [
        "A string nobody translated"
    ]


def test_french_placeholders_match_the_english():
    assert [(m.id, errors) for m, errors in french_catalog().check()] == []


def test_the_stored_vocabularies_are_all_marked():
    assert set(labels.CATEGORY_NAMES) == {c.name for c in TAXONOMY}
    assert set(labels.KIND_NAMES) == set(KINDS)


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        ("fr-FR", "fr"),
        ("fr;q=0.9,en;q=0.8", "fr"),
        ("en;q=0.8, fr;q=0.9", "fr"),
        ("de-DE, fr-CA;q=0.5, en;q=0.1", "fr"),
        ("en-US,en;q=0.9,fr;q=0.8", "en"),
        ("FR", "fr"),
        ("fr;q=0", "en"),
        ("*", "en"),
        ("de", "en"),
        ("", "en"),
        ("fr;q=abc, ;;;, =,,", "en"),
        ("fr;q=2", "en"),
        ("\x00\xff; q=0.5", "en"),
        ("de," * 5000 + "fr", "en"),  # read only so far
    ],
)
def test_accept_language_chooses_the_interface_language(header, locale):
    assert preferred_locale(header) == locale


def test_q_values_order_the_ranges_and_ties_keep_the_header_order():
    assert preferred_languages("a;q=0.5, b, c;q=0.5, d;q=1.0") == ["b", "d", "a", "c"]


@pytest.fixture
def client(settings, engine) -> TestClient:
    return TestClient(create_app(settings, engine))


@pytest.fixture
def azawad(engine) -> None:
    """One article four days (and a few hours) old, another of last year."""
    feed_id = feed(engine)
    now = datetime.now(UTC)
    save_article(engine, draft(feed_id, 1, published_at=now - timedelta(days=4, hours=3)))
    save_article(engine, draft(feed_id, 2, published_at=datetime(2025, 4, 4, 12, tzinfo=UTC)))


def test_a_french_reader_gets_the_tag_page_in_french(client, azawad):
    page = client.get("/tags/azawad", headers=FRENCH)
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text
    assert "<title>Dernières actualités avec #Azawad</title>" in page.text
    assert "<h1>Dernières actualités avec #Azawad</h1>" in page.text
    assert ">il y a 4 jours</time>" in page.text
    assert ">04-04-2025</time>" in page.text  # the product's date format in every language
    assert "- Politique" in page.text and "Lieu</span> · 2 articles" in page.text
    assert page.headers["content-language"] == "fr"
    assert {"Accept-Language", "Cookie"} <= set(page.headers["vary"].split(", "))


def test_an_english_reader_gets_the_page_as_before(client, azawad):
    page = client.get("/tags/azawad")
    assert '<html lang="en">' in page.text
    assert "<h1>Latest news with #Azawad</h1>" in page.text
    assert ">4 days ago</time>" in page.text and "- Politics" in page.text
    assert page.headers["content-language"] == "en"
    assert "Accept-Language" in page.headers["vary"]


def test_the_switch_wins_and_is_remembered(client, azawad):
    switched = client.get("/tags/azawad?hl=fr", headers={"accept-language": "en"})
    assert "Dernières actualités" in switched.text
    cookie = switched.headers["set-cookie"]
    assert cookie.startswith("tagwire_hl=fr;")
    for attribute in ("Max-Age=31536000", "HttpOnly", "SameSite=lax", "Path=/"):
        assert attribute in cookie
    assert "Secure" not in cookie
    assert "Dernières actualités" in client.get("/", headers={"accept-language": "en"}).text
    back = client.get("/tags/azawad?hl=en", headers=FRENCH)
    assert "Latest news with #Azawad" in back.text
    assert "Latest news with #Azawad" in client.get("/tags/azawad", headers=FRENCH).text


def test_the_switch_cookie_is_secure_over_https(settings, engine, azawad):
    client = TestClient(create_app(settings, engine), base_url="https://testserver")
    assert "Secure" in client.get("/?hl=fr").headers["set-cookie"]


@pytest.mark.parametrize("value", ["de", "", "fr-FR-x", "<script>", "fr\x00"])
def test_unknown_choices_fall_back_without_an_error(client, azawad, value):
    page = client.get("/tags/azawad", params={"hl": value})
    assert page.status_code == 200 and '<html lang="en">' in page.text
    assert "set-cookie" not in page.headers
    client.cookies.set("tagwire_hl", value or "zz")
    assert '<html lang="en">' in client.get("/tags/azawad").text


def test_the_footer_switch_keeps_the_page_and_its_query(client, engine):
    fill(engine, 2)
    page = client.get("/search?q=sahel+mali&hl=fr")
    assert page.status_code == 200
    english = 'href="/search?q=sahel+mali&amp;hl=en" hreflang="en" lang="en">English</a>'
    assert english in page.text
    assert 'hreflang="fr" lang="fr" aria-current="true">Français</a>' in page.text


def test_switch_urls_stay_on_this_site():
    assert urls.language_url("//evil.example/x", "", "fr") == "/evil.example/x?hl=fr"
    assert urls.language_url("/tags/a?b", "hl=en&q=1", "fr") == "/tags/a%3Fb?q=1&hl=fr"


def test_error_pages_speak_the_readers_language(client):
    missing = client.get("/tags/nowhere", headers=FRENCH)
    assert missing.status_code == 404
    assert "Aucun article n’est encore tagué #nowhere" in missing.text
    assert "Retour aux dernières actualités" in missing.text
    assert "Page introuvable" in client.get("/no/such/path?hl=fr").text


def test_feeds_json_and_the_api_stay_english(client, azawad):
    for path in ("/tags/azawad.json", "/tags/azawad.atom", "/api/v1/tags/azawad/articles"):
        response = client.get(path + "?hl=fr", headers=FRENCH)
        assert response.status_code == 200, path
        assert "set-cookie" not in response.headers and "content-language" not in response.headers
        assert "Dernières" not in response.text and "Politique" not in response.text
    assert client.get("/tags/azawad.json", headers=FRENCH).json()["title"] == (
        "Latest news with #Azawad"
    )
    error = client.get("/tags/nowhere.json?hl=fr", headers=FRENCH).json()["error"]
    assert error["message"] == "No articles are tagged #nowhere yet"


def test_other_pages_in_french(client, azawad):
    assert "Les tags de l’actualité" in client.get("/?hl=fr").text
    assert "Aucun article ne correspond." in client.get("/search?q=zzzz&hl=fr").text
    feeds = client.get("/feeds?hl=fr").text
    assert "Prochaine vérification" in feeds and "nouveau" in feeds


def test_languages_and_countries_are_named_in_the_readers_language():
    i18n.use_locale("fr")
    try:
        assert labels.language_name("en") == "anglais"
        assert labels.country_name("ml") == "Mali"
        assert labels.category_name("Business") == "Économie"
        assert labels.category_name("Not a category") == "Not a category"
    finally:
        i18n.use_locale("en")
    assert labels.language_name("fr") == "French" and labels.country_name("CI") == "Côte d’Ivoire"
    assert labels.language_name("fr-CA") == "Canadian French"
    assert labels.language_name("fr-ML") == "French"
    assert labels.language_name("qqq") == "qqq" and labels.country_name(None) is None
