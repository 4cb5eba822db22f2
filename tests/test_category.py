from __future__ import annotations

import pytest

from tagwire.enrich.category import TAXONOMY, categorise, category_of_section, category_of_url


@pytest.mark.parametrize(
    ("section", "category"),
    [
        ("Politics", "Politics"),
        ("Politique", "Politics"),
        ("Économie", "Business"),
        ("World > Africa", "World"),
        ("Tech", "Technology"),
        ("Santé", "Health"),
        ("Sports", "Sport"),
        ("Arts & Culture", "Culture"),
        ("Opinion", None),
        ("", None),
    ],
)
def test_sections_map_onto_the_taxonomy(section, category):
    assert category_of_section(section) == category


def test_url_path_gives_a_category_but_not_the_slug():
    assert category_of_url("https://news.test/politics/2025/04/talks") == "Politics"
    assert category_of_url("https://news.test/news/sport-results-today") is None


def test_feed_category_wins_over_page_and_url():
    assert categorise(["Sport"], "Politics", "https://a.test/business/x") == "Sport"
    assert categorise([], None, "https://a.test/business/x") == "Business"
    assert categorise(["Misc"], None, "https://a.test/x") is None


def test_every_category_is_in_the_taxonomy():
    from tagwire.enrich.category import SECTION_TO_CATEGORY

    assert set(SECTION_TO_CATEGORY.values()) <= set(TAXONOMY)
