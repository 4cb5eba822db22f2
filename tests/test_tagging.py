"""Tags: names and slugs, known aliases, NER routing, acronyms, demonyms, salience."""

from __future__ import annotations

import sys
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st
from spacy.lang.en.stop_words import STOP_WORDS

from tagwire.enrich.entities import (
    CONTEXT_WORDS,
    KINDS,
    Entity,
    EntityRecognizer,
    load_ner,
    name_bearing,
    recognised,
)
from tagwire.enrich.gazetteer import load_gazetteer
from tagwire.enrich.language import detect_language, normalise_language
from tagwire.enrich.names import (
    COMBINING_PLANES_END,
    clean_name,
    is_title,
    make_label,
    slugify,
    strip_accents,
)
from tagwire.enrich.phrases import capitalised_phrases, entity_parts, has_case, name_spans
from tagwire.enrich.tagging import ArticleText, Tagger, expansion_before
from tagwire.settings import Settings

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


# Names by their shape (enrich/phrases.py) and language-aware cleaning (enrich/names.py).


def spans(text: str) -> list[str]:
    return [text[p.start : p.end] for p in name_spans(text)]


@pytest.mark.parametrize(
    ("span", "names"),
    [
        ("Ghana - Kofi Mensah", ["Ghana", "Kofi Mensah"]),  # a line-up's " - "
        ("Djoliba 2 Stade Malien 1", ["Djoliba", "Stade Malien"]),  # a result
        ("Sikasso/Koutiala", ["Sikasso", "Koutiala"]),
        ("Ama Owusu (Ghana", ["Ama Owusu", "Ghana"]),
        ("Kestrel Bay v Marlow Point", ["Kestrel Bay", "Marlow Point"]),
        ("Hombori at Douentza", ["Hombori", "Douentza"]),  # a lower-case word ends a name
        ("Zinder region", ["Zinder"]),
        ("Amadou Diallo and Fatou Keita", ["Amadou Diallo", "Fatou Keita"]),
        ("Amina Sow\nTESSALIT", ["Amina Sow", "TESSALIT"]),  # a byline, then a dateline
        ("Amina Sow TESSALIT", ["Amina Sow", "TESSALIT"]),
        ("Russia's Gazprom", ["Russia's", "Gazprom"]),
        ("Bank of West Africa", ["Bank of West Africa"]),  # connectors stay inside
        ("Trinidad and Tobago", ["Trinidad and Tobago"]),
        ("van der Berg", ["van der Berg"]),  # a particle may open a name
        ("U.S. Open", ["U.S. Open"]),
    ],
)
def test_ner_spans_are_cut_into_the_names_they_hold(span, names):
    assert spans(span) == names


def test_french_names_keep_their_lower_case_words():
    text = "Assemblée nationale"
    assert [text[p.start : p.end] for p in name_spans(text, keep_lower=True)] == [text]


def test_a_persons_name_takes_in_the_initials_before_it():
    document = "The second goal came from M. Traore after the break."
    start = document.index("Traore")
    entity = Entity("Traore", "person", start, start + len("Traore"))
    assert [e.text for e in entity_parts(entity, document)] == ["M. Traore"]


def test_a_sentence_opener_ner_took_in_is_dropped():
    document = "Observers noted calm. Delegations from Gao arrived on Monday."
    start = document.index("Delegations")
    entity = Entity("Delegations from Gao", "organisation", start, start + 20)
    assert [e.text for e in entity_parts(entity, document)] == ["Gao"]


@pytest.mark.parametrize(
    ("raw", "language", "kind", "clean"),
    [
        ("Le Havre", "en", "place", "Le Havre"),  # French articles only in French text
        ("Des Moines", "en", "place", "Des Moines"),
        ("le Havre", "fr", "place", "Havre"),
        ("M. Traore", "en", "person", "M. Traore"),  # an initial in English
        ("M. Traoré", "fr", "person", "Traoré"),  # "Monsieur" in French
        ("General Assembly", "en", "organisation", "General Assembly"),  # titles: people only
        ("General Amadou Toure", "en", "person", "Amadou Toure"),
        ("Goalkeeper Ama Owusu", "en", "person", "Ama Owusu"),  # sports positions
        ("Foreign Minister Awa Ndiaye", "en", "person", "Awa Ndiaye"),
        ("Queen of the South", "en", "organisation", "Queen of the South"),
        ("The Hague", "en", "place", "The Hague"),  # "The" before one word is the name's
        ("the Wagner Group", "en", "organisation", "Wagner Group"),
        ("Sept Brent", "en", "other", "Brent"),  # a date before a name
        ("mardi soir", "fr", "other", "soir"),
    ],
)
def test_articles_titles_and_dates_go_in_the_texts_language(raw, language, kind, clean):
    assert clean_name(raw, language, kind) == clean


def test_titles_and_positions_are_not_names():
    assert is_title("Forwards", "en") and is_title("President", "en")
    assert not is_title("Ghana", "en")


def test_ner_kinds_cover_events_works_products_and_groups():
    assert KINDS["EVENT"] == "event" and KINDS["WORK_OF_ART"] == "work"
    assert KINDS["PRODUCT"] == "product" and KINDS["NORP"] == "group"
    assert set(KINDS.values()) == {
        "person",
        "organisation",
        "place",
        "group",
        "event",
        "work",
        "product",
        "other",
    }


def test_table_lines_yield_capitalised_phrases_and_prose_does_not():
    document = (
        "Regatta results\n"
        "Results of the regional rowing regatta on Saturday were close this year.\n"
        "Kestrel Bay 4 Marlow Point 2\n"
        "KANSAS CITY 61 74 .452\n"
        "W L PCT GB\n"
        "Eagles Edge Closer To Title"
    )
    found = [
        document[p.start : p.end]
        for p in capitalised_phrases(document, tables_only=True, skip_first_line=True)
    ]
    assert found == ["Kestrel Bay", "Marlow Point", "KANSAS CITY"]


def test_scripts_without_case_have_no_capitalised_phrases():
    assert not has_case("الجزائر ومالي تتفقان على فتح الحدود")
    assert has_case("Argelia y Malí acuerdan abrir la frontera")
    assert capitalised_phrases("مالي والجزائر", tables_only=False, skip_first_line=False) == []


def test_gazetteer_aliases_of_one_language_and_in_capitals():
    gazetteer = load_gazetteer()
    assert gazetteer.lookup("Maurice", "fr").label == "Mauritius"
    assert gazetteer.lookup("Maurice", "en") is None  # a first name in English
    assert gazetteer.lookup("Alger", "en") is None and gazetteer.lookup("Alger", "fr")
    assert [m.tag.label for m in gazetteer.find("TROOPS LEAVE MALI", "en")] == ["Mali"]
    assert gazetteer.lookup("Eu", "pt") is None  # "EU" only as written
    assert gazetteer.is_demonym("Malians", "en")  # the people, in the plural
    assert gazetteer.lookup("West African", "en").label == "WestAfrica"


@pytest.mark.slow
def test_a_nationality_before_a_name_is_not_part_of_it(tagger: Tagger):
    text = "The West Indian captain praised Maurice Greene, who watched from the stand."
    tags = {t.label: t for t in tagger.candidates("Cricket", text, "en")}
    assert "WestIndian" in tags and "India" not in tags  # "West Indian" is a name of its own
    assert "Mauritius" not in tags  # "Maurice" is Mauritius in French only


@pytest.mark.slow
def test_groups_are_kept_and_nationalities_map_to_their_country(tagger: Tagger):
    text = "Fulani herders and Malian farmers met in Mopti on Tuesday to share the wells."
    tags = {t.label: t.kind for t in tagger.candidates("Herders meet", text, "en")}
    assert tags["Fulani"] == "group" and tags["Mali"] == "place"


@pytest.mark.slow
def test_results_tables_are_tagged(tagger: Tagger):
    text = (
        "TESSALIT 2025-03-01\n"
        "Results of the regional football league on Saturday:\n"
        "Djoliba 2 Stade Malien 1\n"
        "Real Bamako 0 Onze Createurs 0\n"
        "Attendance: 42,000\n"
        "The final in Tessalit drew a crowd."
    )
    tags = {t.label: t for t in tagger.candidates("FOOTBALL - LEAGUE RESULTS", text, "en")}
    assert {"Djoliba", "StadeMalien", "RealBamako", "OnzeCreateurs", "Tessalit"} <= set(tags)
    assert "TESSALIT" in tags["Tessalit"].aliases  # the dateline, labelled as written
    assert "Attendance" not in tags  # a field's label
    assert not {"FOOTBALL", "LeagueResults", "LEAGUERESULTS", "Bamako"} & set(tags)


@pytest.mark.slow
def test_line_up_positions_and_offices_are_not_names(tagger: Tagger):
    text = (
        "Goalkeepers - Ama Owusu, Kofi Mensah. Defenders - Yaw Boateng.\n"
        "Centre Kwame Asante will lead the attack, said Sports Minister Awa Ndiaye."
    )
    labels = {t.label for t in tagger.candidates("Squad named", text, "en")}
    assert {"AmaOwusu", "KofiMensah", "YawBoateng", "KwameAsante", "AwaNdiaye"} <= labels
    assert not {"Goalkeepers", "Defenders", "Centre", "Sports"} & labels


@pytest.mark.slow
def test_languages_without_ner_are_tagged_from_capitalised_phrases(tagger: Tagger):
    text = (
        "El ministro habló el martes en Gao con la Organización Mundial de la Salud."
        " Según Aminata Traoré, el acuerdo con Argelia se firmará pronto."
        " Aminata Traoré viajará a Bamako. Varios médicos llegaron ayer."
    )
    labels = {t.label for t in tagger.candidates("Acuerdo sanitario", text, "es")}
    assert {"OrganizaciónMundialDeLaSalud", "AminataTraoré", "Gao", "Bamako"} <= labels
    assert "Varios" not in labels and "Según" not in labels  # sentence openers


# NER reads only the stretches of text that can hold a name (enrich/entities.py).

FILLER = "the talks went on for hours and nobody said much about what would come next. "


def read_by_ner(text: str) -> list[str]:
    return [text[start:end] for start, end in name_bearing(text, STOP_WORDS)]


def test_ner_reads_the_words_around_each_capitalised_word():
    text = f"{FILLER * 3}Talks resumed in Kidal that day. {FILLER * 3}"
    (stretch,) = read_by_ner(text)
    words = stretch.split()
    assert "Kidal" in words and len(words) == 2 * CONTEXT_WORDS + 1  # centred on the name
    assert read_by_ner(FILLER * 5) == []


def test_capitalised_sentence_openers_are_names_unless_common():
    assert read_by_ner(f"The {FILLER}") == []  # a stop word
    assert read_by_ner(f"Officials said {FILLER}officials left.") == []  # lower case elsewhere
    assert read_by_ner(f"Kidal {FILLER}")[0].startswith("Kidal")
    assert read_by_ner(f"US {FILLER}")[0].startswith("US")  # capitals: an acronym


def test_stretches_near_each_other_are_read_as_one():
    text = "Troops left Gao on Monday and reached Kidal on the morning of Tuesday."
    assert read_by_ner(text) == [text]


@pytest.mark.slow
def test_entities_come_back_at_the_offsets_of_the_whole_text(recognizer: EntityRecognizer):
    text = f"{FILLER * 4}Talks resumed when John Smith flew from Bamako to Algiers. {FILLER * 4}"
    entities = recognizer.entities(text, "en")
    assert {e.text for e in entities} == {"John Smith", "Bamako", "Algiers"}
    assert all(text[e.start : e.end] == e.text for e in entities)
    assert recognizer.entities_many([text, "", text], ["en", "en", "fr"])[0] == entities


@pytest.mark.slow
@pytest.mark.parametrize(
    ("language", "texts"),
    [
        ("en", [LEAD, BODY, "", "Talks resumed when John Smith flew from Bamako to Algiers.", "."]),
        (
            "fr",
            [
                "Le président Emmanuel Macron a reçu lundi à Paris le ministre malien.",
                "La Banque mondiale et l'Union africaine se réunissent à Dakar.",
            ],
        ),
    ],
)
def test_ner_decoded_here_finds_what_spacy_finds(language: str, texts: list[str]):
    nlp = load_ner(getattr(Settings.from_env({}), f"spacy_model_{language}"))
    ours = [[(e.text, e.label_) for e in doc.ents] for doc in recognised(nlp, texts)]
    theirs = [[(e.text, e.label_) for e in doc.ents] for doc in nlp.pipe(texts)]
    assert ours == theirs and any(ours)


@pytest.mark.slow
def test_a_batch_is_tagged_as_each_article_alone(tagger: Tagger):
    french = (
        "Le gouvernement malien a annoncé lundi la réouverture de la route entre Gao et Kidal."
        " Les autorités de l'Algérie ont salué la décision, selon un communiqué publié à Alger."
    )
    articles = [
        ArticleText("Clashes near Kidal", LEAD + BODY, "en", "Oasis Times"),
        ArticleText("La route de Kidal rouverte", french, "fr"),
        ArticleText("Convoy", f"{FILLER * 3}A convoy reached Gao. {FILLER}", "en"),
        ArticleText("Acuerdo", "Argelia y Malí acuerdan abrir la frontera en Tessalit.", "es"),
        ArticleText("Empty", "", None),
        ArticleText("Trade news", "Japan and Mali signed a deal.", "en", "AP"),
    ]
    alone = [tagger.tag(a.title, a.text, a.language, a.outlet) for a in articles]
    assert tagger.tag_many(articles) == alone
    assert {"Kidal", "Algeria"} <= {t.label for t in alone[1]}
    assert "Gao" in {t.label for t in alone[2]}


@pytest.mark.parametrize(
    ("title", "text", "language"),
    [
        ("", "", "en"),
        ("", "   \n\n ", None),
        ("Long", "Delegates from Mali met in Bamako. " * 60_000, "en"),  # about 2 MB
        ("ᚠᚢᚦ", "ᚠᚢᚦᚨᚱᚲ ᚷᚹᚺᚾ ᛁᛃᛇᛈ " * 200, None),  # a script without a NER model or case rules
        (
            "<b>Mali</b>",
            "<div><script>alert(1)</script>Talks in <a href='/x'>Bamako</a></div>",
            "en",
        ),
        ("!!! ??? ...", "!!! ### @@@ *** — – … " * 50, "en"),
    ],
)
def test_hostile_text_gives_clean_tags_or_none(tagger: Tagger, title, text, language):
    tags = tagger.tag(title, text, language)
    for found in tags:
        assert found.label and found.slug and len(found.label) <= 200
        assert slugify(found.slug) == found.slug and "<" not in found.label


def test_accents_are_stripped_whatever_the_script():
    assert strip_accents("Ménaka, Tombouctou, Gao") == "Menaka, Tombouctou, Gao"
    assert strip_accents("Ḍḗ\u0301ja") == "Deja"
    assert strip_accents("الأزواد") == "الازواد"  # the hamza above is a combining mark
    beyond = range(COMBINING_PLANES_END, sys.maxunicode + 1)
    assert not any(unicodedata.combining(chr(cp)) for cp in beyond)
