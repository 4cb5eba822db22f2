"""Tags: names and slugs, known aliases, NER routing, acronyms, demonyms, salience."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tagwire.enrich.gazetteer import load_gazetteer
from tagwire.enrich.language import detect_language, normalise_language
from tagwire.enrich.names import clean_name, make_label, slugify
from tagwire.enrich.tagging import Tagger, expansion_before

LEAD = (
    "Fighters of the Coalition for the Defence of the Oasis (CDO) clashed with Malian troops"
    " near Kidal on Sunday, officials in Bamako said. "
)
BODY = (
    "The CDO said its units withdrew after the fighting. Malian officers told reporters that"
    " Algerian mediators had offered to host talks in Algiers. The Azawad region has seen"
    " repeated clashes since 2012, and residents of Kidal fear a new siege. On 12 March 2024"
    " a convoy reached the town with 40 tonnes of food."
)


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("#WagnerGroup", "wagner-group"),
        ("Azawad", "azawad"),
        ("JNIM", "jnim"),
        ("Ibrahim Boubacar Keïta", "ibrahim-boubacar-keita"),
        ("AlQaeda", "al-qaeda"),
        ("FAMa", "fama"),
        ("الجزائر", "الجزائر"),
    ],
)
def test_slugs_are_lowercase_and_hyphenated(text, slug):
    assert slugify(text) == slug


@given(st.text(min_size=1, max_size=40))
def test_slugify_is_idempotent_and_clean(text):
    slug = slugify(text)
    assert slugify(slug) == slug
    assert slug == slug.lower() and " " not in slug and not slug.startswith("-")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("the Wagner Group", "Wagner Group"),
        ("Mali's", "Mali"),
        ("(MNLA", "MNLA"),
        ("l'Algérie", "Algérie"),
        ("al-Qaeda", "al-Qaeda"),
        ("Imam Mahmoud Dicko", "Mahmoud Dicko"),
    ],
)
def test_names_lose_articles_possessives_and_titles(raw, clean):
    assert clean_name(raw) == clean


def test_labels_are_camel_case_hashtags():
    assert make_label("Wagner Group") == "WagnerGroup"
    assert make_label("al-Qaeda") == "AlQaeda"


def test_acronym_expansion_is_found_through_connectors():
    text = "members of the National Movement for the Liberation of Azawad (MNLA)"
    assert (
        expansion_before(text, text.index("(")) == "National Movement for the Liberation of Azawad"
    )


def test_gazetteer_knows_countries_in_french_and_renames():
    gazetteer = load_gazetteer()
    assert gazetteer.lookup("Algérie").label == "Algeria"
    assert gazetteer.lookup("Kiev").label == "Kyiv"
    assert gazetteer.is_demonym("Malian")


def test_language_detection_and_hints():
    assert detect_language(LEAD + BODY) == "en"
    assert (
        detect_language("Les habitants de Kidal attendent toujours les convois de vivres.") == "fr"
    )
    assert detect_language("short", hint="fr-FR") == "fr"
    assert normalise_language("en_GB") == "en"


@pytest.mark.slow
def test_article_tags(tagger: Tagger):
    tags = {t.label: t for t in tagger.tag("Clashes near Kidal", LEAD + BODY, "en", "Oasis Times")}
    assert {"Kidal", "Mali", "Azawad", "CDO", "Algeria"} <= set(tags)
    assert "Coalition for the Defence of the Oasis" in tags["CDO"].aliases  # acronym merged
    assert tags["Kidal"].salience > tags["Azawad"].salience  # headline and lead weigh more
    assert not any(any(ch.isdigit() for ch in label) for label in tags)  # no dates, numbers
    assert all(0 < t.salience <= 1 for t in tags.values())


@pytest.mark.slow
def test_outlet_name_never_becomes_a_tag(tagger: Tagger):
    text = "Sahel Courier reporters in Gao saw the convoy. Sahel Courier confirmed it in Mali."
    labels = {t.label for t in tagger.tag("Convoy reaches Gao", text, "en", "Sahel Courier")}
    assert "SahelCourier" not in labels and "Gao" in labels


@pytest.mark.slow
def test_a_misread_label_does_not_split_an_entity(tagger: Tagger):
    text = "Mali said on Monday that Mali would reopen its border. Mali's army patrols the north."
    tags = [t for t in tagger.tag("Border news", text, "en") if t.slug == "mali"]
    assert len(tags) == 1 and tags[0].kind == "place"


@pytest.mark.slow
def test_french_articles_are_tagged(tagger: Tagger):
    text = (
        "Le gouvernement malien a annoncé lundi la réouverture de la route entre Gao et Kidal."
        " Les autorités de l'Algérie ont salué la décision, selon un communiqué publié à Alger."
    )
    labels = {t.label for t in tagger.tag("La route de Kidal rouverte", text, "fr")}
    assert {"Mali", "Kidal", "Algeria", "Gao"} <= labels


@pytest.mark.slow
def test_the_cap_limits_tags_per_article(recognizer):
    capped = Tagger(load_gazetteer(), recognizer, max_tags=3)
    assert len(capped.tag("Clashes near Kidal", LEAD + BODY, "en")) == 3


@pytest.mark.slow
def test_masking_the_outlet_keeps_other_words_whole(tagger: Tagger):
    labels = {
        t.label for t in tagger.tag("Trade news", "Japan and Mali signed a deal.", "en", "AP")
    }
    assert "Japan" in labels
