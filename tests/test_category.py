"""Categories: publisher sections onto the IPTC-aligned taxonomy, the classifier when there is
none, its threshold, French articles, the seed articles and ``tagwire eval categories``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tagwire.enrich import category as category_module
from tagwire.enrich.category import (
    CATEGORY_NAMES,
    RENAMED,
    SECTION_TO_CATEGORY,
    TAXONOMY,
    CategoryChoice,
    categorise,
    category_of_section,
    category_of_url,
)
from tagwire.enrich.classify import load_category_model
from tagwire.evaluate.categories import DATASET_LABELS, categories_command, macro_f1
from tagwire.evaluate.datasets import read_seed

SHARED = Path(__file__).resolve().parents[2] / "shared"

POLITICS_EN = (
    "Parliament rejects the government's budget",
    "Opposition MPs voted against the prime minister's budget on Tuesday, and the cabinet"
    " will meet to discuss an early election, the president's spokesman said.",
)
SPORT_FR = (
    "Les Lions de l'Atlas qualifiés pour la finale de la Coupe d'Afrique",
    "L'équipe du Maroc a battu le Sénégal deux buts à un samedi soir au stade. L'entraîneur a"
    " salué ses joueurs, et l'attaquant a marqué le but de la victoire après la mi-temps.",
)


@pytest.mark.parametrize(
    ("section", "category"),
    [
        ("Politics", "Politics"),
        ("Politique", "Politics"),
        ("Économie", "Business"),
        ("World > Africa", None),
        ("Tech", "Science & Tech"),
        ("Santé", "Health"),
        ("Sports", "Sport"),
        ("Arts & Culture", "Arts & Entertainment"),
        ("Faits-divers", "Crime & Law"),
        ("Météo", "Weather"),
        ("Opinion", None),
        ("", None),
    ],
)
def test_sections_map_onto_the_taxonomy(section, category):
    assert category_of_section(section) == category


def test_the_taxonomy_has_plain_names_and_iptc_codes():
    assert "Politics" in CATEGORY_NAMES
    assert all(c.iptc.startswith("medtop:") and len(c.name) <= 20 for c in TAXONOMY)
    assert len({c.iptc for c in TAXONOMY}) == len(TAXONOMY)
    assert set(SECTION_TO_CATEGORY.values()) <= CATEGORY_NAMES
    assert set(RENAMED.values()) <= CATEGORY_NAMES
    assert set(DATASET_LABELS.values()) <= CATEGORY_NAMES
    assert set(load_category_model().categories) <= CATEGORY_NAMES


def test_url_path_gives_a_category_but_not_the_slug():
    assert category_of_url("https://news.test/politics/2025/04/talks") == "Politics"
    assert category_of_url("https://news.test/news/sport-results-today") is None


def test_the_publisher_wins_over_the_classifier():
    sport = categorise(["Sport"], "Politics", "https://a.test/business/x", *POLITICS_EN, "en")
    assert sport == CategoryChoice("Sport", "publisher")
    assert categorise([], None, "https://a.test/business/x").name == "Business"
    assert categorise(["Misc"], None, "https://a.test/x") == CategoryChoice()


def test_the_classifier_decides_without_a_section():
    choice = categorise(["Opinion"], None, "https://a.test/x", *POLITICS_EN, "en")
    assert choice.name == "Politics" and choice.source == "classifier"
    assert choice.confidence is not None and choice.confidence >= load_category_model().threshold


def test_a_french_article_is_classified():
    choice = categorise([], None, "https://a.test/x", *SPORT_FR, "fr")
    assert (choice.name, choice.source) == ("Sport", "classifier")


def test_other_languages_are_left_without_a_category():
    assert categorise([], None, "https://a.test/x", *POLITICS_EN, "ar") == CategoryChoice()


def test_below_the_threshold_there_is_no_category(monkeypatch):
    unsure = load_category_model().guess(*POLITICS_EN).confidence + 0.01
    model = category_module.load_category_model()
    monkeypatch.setattr(
        category_module,
        "load_category_model",
        lambda: type(model)(**{**_fields(model), "threshold": unsure}),
    )
    choice = categorise([], None, "https://a.test/x", *POLITICS_EN, "en")
    assert choice.name is None and choice.source is None
    assert choice.confidence is not None and choice.confidence < unsure


def _fields(model):
    return {name: getattr(model, name) for name in model.__slots__}


def test_macro_f1_counts_the_sets_own_classes():
    assert macro_f1(["a", "a", "b"], ["a", "a", "b"]) == 1.0
    assert macro_f1(["a", "b"], ["a", "c"]) == pytest.approx((1.0 + 0.0) / 2)


@pytest.mark.skipif(not (SHARED / "seed").is_dir(), reason="../shared is absent")
def test_the_seed_articles_are_politics_without_a_section():
    articles = read_seed(SHARED / "seed" / "latest-news-azawad.txt")
    assert len(articles) == 2
    for article in articles:
        choice = categorise([], None, "https://seed.test/news/1", article.headline, article.text)
        assert (choice.name, choice.source) == ("Politics", "classifier"), article.headline


@pytest.mark.skipif(
    not (SHARED / "datasets" / "categories").is_dir(), reason="../shared/datasets is absent"
)
def test_eval_categories_on_the_first_articles():
    data = SHARED / "datasets"
    result = CliRunner().invoke(
        categories_command, ["--data", str(data), "--limit", "12", "--no-baseline"]
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout.strip().splitlines()[-1])
    for name in ("masakhanews_en_test", "masakhanews_fr_test", "bbc_news"):
        scores = metrics[name]
        assert scores["articles"] == 12
        assert 0 <= scores["accuracy_abstaining"] <= scores["accuracy"] <= 1
        assert 0 <= scores["macro_f1"] <= 1 and 0 <= scores["coverage"] <= 1
    assert 0 < metrics["threshold"] < 1


def test_migration_renames_stored_categories(tmp_path: Path):
    from alembic import command
    from sqlalchemy import create_engine, text

    from tagwire.store.db import alembic_config, migrate

    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
        connection.execute(
            text(
                "INSERT INTO outlets (id, name, slug, created_at)"
                " VALUES (1, 'Old', 'old', '2025-01-01')"
            )
        )
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO feeds (id, outlet_id, url, next_check_at, error_count, active,"
                " created_at) VALUES (1, 1, 'http://old.test/rss', '2025-01-01', 0, 1,"
                " '2025-01-01')"
            )
        )
        for number, name in enumerate(["Technology", "World", "Politics", None]):
            connection.execute(
                text(
                    "INSERT INTO articles (feed_id, outlet_id, guid, url, canonical_url, title,"
                    " summary, text, category, publisher_tags, extraction_status, entry_hash,"
                    " published_at, fetched_at, updated_at) VALUES (1, 1, :guid, 'u', 'u', 't',"
                    " '', '', :category, '[]', 'feed', '', '2025-01-01', '2025-01-01',"
                    " '2025-01-01')"
                ),
                {"guid": f"g{number}", "category": name},
            )
    migrate(engine)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT category, category_source FROM articles ORDER BY guid")
        ).all()
    assert [tuple(r) for r in rows] == [
        ("Science & Tech", "publisher"),
        (None, None),
        ("Politics", "publisher"),
        (None, None),
    ]
