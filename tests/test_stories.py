"""Stories and duplicates: the pure steps on small reports written here, and
``tagwire eval stories`` on the first documents of ../shared/datasets when it is there."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tagwire.enrich.duplicates import band_keys, is_duplicate, similarity, text_signature
from tagwire.enrich.stories import (
    ABSORBED_STORY,
    EVENT_NAME_ARTICLES,
    SMALL_STORY,
    STORY_THRESHOLD,
    STORY_WINDOW,
    CentroidCache,
    StoryCandidate,
    StoryFeatures,
    StoryIndex,
    absorbed_stories,
    choose_story,
    event_names,
    normalised,
    particulars,
    rival_leads,
    story_features,
    story_similarity,
    story_title,
)
from tagwire.evaluate.cli import eval_group
from tagwire.evaluate.stories import bcubed
from tagwire.models import TagScore

SHARED = Path(__file__).resolve().parents[2] / "shared"
MONDAY = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)


def tag(label: str, salience: float, kind: str = "place") -> TagScore:
    return TagScore(label, label.lower().replace(" ", "-"), kind, salience, 2)


FERRY_REPORTS = [
    (
        "Sahel Courier",
        "Ferry capsizes on Lake Kivu, 34 missing",
        "A passenger ferry capsized on Lake Kivu near Goma on Monday and 34 people are"
        " missing, the governor of North Kivu said. The MV Amani was carrying 112"
        " passengers from Bukavu when strong winds hit the lake.",
        [tag("Lake Kivu", 1.0), tag("Goma", 0.7), tag("North Kivu", 0.5), tag("Bukavu", 0.4)],
    ),
    (
        "Great Lakes Post",
        "Rescuers search Lake Kivu after the MV Amani sank",
        "Rescue boats searched Lake Kivu on Monday for 34 passengers missing after the MV"
        " Amani ferry capsized off Goma in a storm. The boat had left Bukavu with 112 people"
        " on board, officials in North Kivu said.",
        [tag("Lake Kivu", 1.0), tag("MV Amani", 0.8, "other"), tag("Goma", 0.6)],
    ),
    (
        "Radio Kivu",
        "Kivu ferry disaster: survivors describe the storm",
        "Survivors of the MV Amani ferry that capsized near Goma told of waves sweeping the"
        " deck before the boat overturned on Lake Kivu. Thirty-four passengers are still"
        " missing, North Kivu's governor said on Monday.",
        [tag("MV Amani", 1.0, "other"), tag("Lake Kivu", 0.9), tag("Goma", 0.6)],
    ),
]

EARTHQUAKES = [
    (
        "Andes Wire",
        "Magnitude 6.8 earthquake strikes Atacama in northern Chile",
        "An earthquake of magnitude 6.8 struck the Atacama region of northern Chile on"
        " Tuesday, damaging houses in Copiapo. Chile's seismological centre said the quake"
        " was 40 km deep; no tsunami warning was issued.",
        [tag("Atacama", 1.0), tag("Chile", 0.8), tag("Copiapo", 0.6)],
    ),
    (
        "Pacific Daily",
        "Magnitude 5.9 earthquake shakes Hokkaido in northern Japan",
        "An earthquake of magnitude 5.9 shook Hokkaido in northern Japan on Tuesday,"
        " damaging houses in Kushiro. Japan's meteorological agency said the quake was 60"
        " km deep; no tsunami warning was issued.",
        [tag("Hokkaido", 1.0), tag("Japan", 0.8), tag("Kushiro", 0.6)],
    ),
    (
        "Santiago Herald",
        "Atacama quake: Copiapo counts the damage",
        "Residents of Copiapo cleared rubble on Tuesday after the magnitude 6.8 earthquake"
        " that struck Atacama. Chile's interior ministry said 200 houses were damaged in the"
        " region.",
        [tag("Copiapo", 1.0), tag("Atacama", 0.9), tag("Chile", 0.7)],
    ),
]

AGADEZ = [tag("Agadez", 1.0), tag("Niger", 0.6), tag("Aïr", 0.4)]
# Three different events in one region, all under the same place tags and region words.
AGADEZ_EVENTS = [
    (
        "Desert Post",
        "Agadez maternity clinic opens its doors",
        "A maternity clinic opened in Agadez on Monday, the first in the Aïr region of Niger"
        " with an operating theatre. Midwives trained in Niamey will staff its twenty beds,"
        " and women from desert villages will be brought in by ambulance, the regional"
        " health director said.",
        AGADEZ,
    ),
    (
        "Sahara Wire",
        "Salt caravan reaches Agadez after forty days in the desert",
        "A caravan of two hundred camels loaded with salt from Bilma reached Agadez on"
        " Monday after forty days crossing the Ténéré. Traders in the Aïr region of Niger"
        " said the price of a salt cone had doubled since the last caravan in the desert.",
        [*AGADEZ, tag("Bilma", 0.5), tag("Ténéré", 0.3)],
    ),
    (
        "Niger Valley Times",
        "Agadez pupils get solar lamps for exam revision",
        "Pupils in Agadez received four thousand solar lamps on Monday so they can revise"
        " for their exams after dark. Teachers in the Aïr region of Niger said power cuts in"
        " the desert town had kept children from studying in the evening.",
        AGADEZ,
    ),
]
# One event reported in English and in French: few words in common beyond names and numbers.
ARLIT_STRIKE = [
    (
        "Desert Post",
        "Arlit uranium miners strike over fourteen months of unpaid wages",
        "Workers at the Somaïr uranium mine near Arlit stopped work on Tuesday to demand 14"
        " months of unpaid wages, union leader Moussa Idrissa said. About 1,200 miners"
        " joined the strike, and the company's management in Agadez said talks with the"
        " union of Niger's mine workers would resume on Thursday.",
        [tag("Arlit", 1.0), tag("Somaïr", 0.8, "organisation"), *AGADEZ],
    ),
    (
        "Le Courrier du Sahel",
        "Arlit : grève à la mine d'uranium de la Somaïr",
        "Les ouvriers de la mine d'uranium de la Somaïr, près d'Arlit, ont cessé le travail"
        " mardi pour réclamer 14 mois de salaires impayés, a déclaré le syndicaliste Moussa"
        " Idrissa. Quelque 1 200 mineurs suivent la grève ; la direction, à Agadez, promet"
        " de reprendre jeudi les discussions avec le syndicat.",
        [tag("Arlit", 1.0), tag("Somaïr", 0.9, "organisation"), *AGADEZ],
    ),
]

ARTICLE = (
    "The port authority of Mombasa said on Thursday that container traffic rose by eleven"
    " percent in the first quarter, helped by new berths opened last year and faster customs"
    " checks. Shipping lines from Asia added weekly calls, and rail freight to Nairobi and"
    " Kampala carried a record share of the boxes. The authority expects a further rise once"
    " the second terminal is dredged, although dock workers warned that overtime pay was"
    " still in dispute. Importers welcomed the shorter waiting times, which fell from five"
    " days to under three, and traders in Kisumu said goods now reached the lake region a"
    " week sooner than before. Officials plan to publish monthly figures from next year."
)


def features_of(
    report: tuple[str, str, str, list[TagScore]], hours: float = 0, language: str = "en"
) -> StoryFeatures:
    outlet, title, text, tags = report
    return story_features(title, text, language, tags, MONDAY + timedelta(hours=hours), outlet)


def test_one_event_from_three_outlets_is_one_story():
    index = StoryIndex()
    stories = [index.add(n, features_of(r, hours=n)) for n, r in enumerate(FERRY_REPORTS)]
    assert len(set(stories)) == 1


def test_two_earthquakes_are_two_stories():
    index = StoryIndex()
    chile, japan, chile_again = (index.add(n, features_of(r)) for n, r in enumerate(EARTHQUAKES))
    assert chile != japan
    assert chile_again == chile


def test_events_in_one_region_stay_apart_and_languages_meet():
    index = StoryIndex()
    events = [index.add(n, features_of(r, hours=n)) for n, r in enumerate(AGADEZ_EVENTS)]
    english, french = ARLIT_STRIKE
    strike = index.add(3, features_of(english, hours=24))
    assert len({*events, strike}) == 4
    assert index.add(4, features_of(french, hours=26, language="fr")) == strike


def region_features(weights: dict[str, float], outlet: str) -> StoryFeatures:
    """Features whose first two terms are the names of the region's place tags."""
    return StoryFeatures(
        normalised(weights.items()), normalised([("kidal", 1.0)]), MONDAY, outlet, (0, 1)
    )


def test_a_story_of_several_articles_is_judged_on_its_centroid():
    # Each member shares the region's names and one word with the article: too little for
    # a story of a few articles, where the names could be all they share, but together
    # the members hold every word of it.
    names = {"kidal": 1.0, "azawad": 1.0}
    members = [
        region_features(
            {**names, f"event{n}": 1.0, **{f"own{n}{k}": 1.0 for k in range(5)}}, f"outlet {n}"
        )
        for n in range(SMALL_STORY)
    ]
    article = region_features({**names, **{f"event{n}": 0.5 for n in range(SMALL_STORY)}}, "new")
    assert story_similarity(article, members[: SMALL_STORY - 1]) == 0
    assert story_similarity(article, members) >= STORY_THRESHOLD


def test_a_member_lists_centroid_is_summed_once_and_kept_while_in_use():
    cache = CentroidCache(2)
    first = (region_features({"kidal": 1.0, "vote": 1.0}, "a"), vote_features(["vote"], "b"))
    second = (vote_features(["count"], "c"),)
    summed = cache(first)
    assert summed.weights == pytest.approx({"kidal": 0.7071, "vote": 1.7071})
    assert summed.norm == pytest.approx(math.hypot(0.7071, 1.7071))
    assert cache(first) is summed
    counted = cache(second)
    cache(first)  # used last: ``second`` is the one to go
    cache((vote_features(["seats"], "d"),))
    assert cache(first) is summed
    assert cache(second) is not counted
    # An equal list of other objects is summed again, to the same centroid.
    assert cache(tuple(reversed(first))).weights == pytest.approx(summed.weights)


def test_a_name_crowded_into_one_story_is_the_events_not_the_regions():
    def stories(sizes: list[int]) -> list[StoryCandidate]:
        return [
            StoryCandidate(n, tuple(region_features({"kidal": 1.0}, "x") for _ in range(size)))
            for n, size in enumerate(sizes)
        ]

    article = region_features({"kidal": 1.0, "azawad": 1.0}, "new")
    assert event_names(article, stories([EVENT_NAME_ARTICLES])) == {"kidal"}
    assert event_names(article, stories([1] * EVENT_NAME_ARTICLES)) == set()
    assert event_names(article, stories([EVENT_NAME_ARTICLES - 1])) == set()
    # Two members sharing the names and one word each with the article: too little for a
    # region's names, enough for the event's.
    members = [
        region_features({"kidal": 1.0, "azawad": 1.0, f"event{n}": 1.0}, f"outlet {n}")
        for n in range(2)
    ]
    own = {f"own{k}": 1.0 for k in range(4)}
    article = region_features({"kidal": 1.0, "azawad": 1.0, "event0": 0.3, **own}, "new")
    assert story_similarity(article, members) == 0
    assert story_similarity(article, members, lambda: {"kidal", "azawad"}) >= STORY_THRESHOLD


def vote_features(words: list[str], outlet: str) -> StoryFeatures:
    return StoryFeatures(
        normalised((word, 1.0) for word in words), normalised([("vote", 1.0)]), MONDAY, outlet
    )


def test_an_article_bridging_a_lone_report_brings_it_into_its_story():
    # Two reports of one vote share one word: too little for a story of one article, so
    # the second starts its own. A third shares three words with each and joins the
    # first's story, and the second's story with it.
    index = StoryIndex()
    first = index.add(1, vote_features(["ballot", "recount", "turnout", "quorum", "annul"], "a"))
    lone = index.add(2, vote_features(["tally", "precinct", "abstain", "sworn", "annul"], "b"))
    assert lone != first
    bridge = ["ballot", "recount", "turnout", "tally", "precinct", "abstain", "annul"]
    story = index.add(3, vote_features(bridge, "c"))
    assert {index.story_of(n) for n in (1, 2, 3)} == {story}
    assert list(index.stories) == [story]


def test_only_small_stories_of_the_same_event_are_absorbed():
    ferry = [features_of(r, hours=n) for n, r in enumerate(FERRY_REPORTS)]
    chile, japan, chile_again = (features_of(r) for r in EARTHQUAKES)
    lone_ferry = StoryCandidate(2, (ferry[2],))
    candidates = [StoryCandidate(1, (ferry[0],)), lone_ferry, StoryCandidate(3, (japan,))]
    assert absorbed_stories(ferry[1], 1, candidates) == (2,)
    larger = StoryCandidate(2, (ferry[2],) * ABSORBED_STORY)
    assert absorbed_stories(ferry[1], 1, [candidates[0], larger]) == ()
    # Another earthquake's lone report stays apart.
    quakes = [StoryCandidate(1, (chile,)), StoryCandidate(2, (japan,))]
    assert choose_story(chile_again, quakes) == 1
    assert absorbed_stories(chile_again, 1, quakes) == ()


# One champion's two title defences, each report led by its challenger.
TITLE_DEFENCES = [
    (
        "Ring Weekly",
        "Vell stops Mensah in the ninth to keep his heavyweight belts",
        "Darius Vell retained his heavyweight belts on Saturday, stopping challenger Koffi"
        " Mensah in the ninth round in Rotterdam. Mensah was down twice before the referee"
        " waved it off; Vell has now defended the titles eleven times.",
        [tag("Koffi Mensah", 1.0, "person"), tag("Darius Vell", 0.8, "person")],
    ),
    (
        "Boxing Desk",
        "Vell knocks out Ostberg in the fourth to retain heavyweight titles",
        "Darius Vell kept his heavyweight titles on Saturday, knocking out challenger Lars"
        " Ostberg in the fourth round in Gothenburg. Ostberg went down from a left hook; Vell"
        " has now defended the belts twelve times.",
        [tag("Lars Ostberg", 1.0, "person"), tag("Darius Vell", 0.8, "person")],
    ),
    (
        "Sports Hour",
        "Mensah stopped by Vell in the ninth round in Rotterdam",
        "Koffi Mensah's title challenge ended in the ninth round in Rotterdam on Saturday,"
        " when the referee stopped his fight with Darius Vell, who retained his heavyweight"
        " belts.",
        [tag("Koffi Mensah", 1.0, "person"), tag("Darius Vell", 0.9, "person")],
    ),
]


def test_reports_led_by_rival_people_are_other_events():
    first, second, first_again = (features_of(r) for r in TITLE_DEFENCES)
    assert first.leads == ("koffi-mensah",)
    assert rival_leads(second, [first])
    assert not rival_leads(first_again, [first])
    index = StoryIndex()
    mensah, ostberg = index.add(1, first), index.add(2, second)
    assert ostberg != mensah
    assert index.add(3, first_again) == mensah
    # Without lead people, the two defences share enough to make one story.
    unled = [replace(features_of(r), leads=()) for r in TITLE_DEFENCES[:2]]
    assert not rival_leads(unled[1], [unled[0]])
    assert story_similarity(unled[1], [unled[0]]) >= STORY_THRESHOLD


def test_a_lead_is_mentioned_however_the_report_spells_the_name():
    # The slug is "ines-obrien"; the report writes "Inès O'Brien" and tags her in passing.
    led = StoryFeatures(
        normalised([("budget", 1.0)]), normalised([("ines-obrien", 1.0)]), MONDAY, "a"
    )
    led = replace(led, leads=("ines-obrien",))
    spelt = StoryFeatures(
        normalised([("budget", 1.0), ("inès", 0.9), ("o'brien", 0.9)]),
        normalised([("tomas-reyes", 1.0), ("ines-obrien", 0.1)]),
        MONDAY,
        "b",
        leads=("tomas-reyes",),
    )
    assert not rival_leads(led, [spelt])
    # A lead no word of could be found ("x") is no lead: it would be everyone's rival.
    unnamed = features_of(("Outlet", "X speaks", "X spoke.", [tag("X", 1.0, "person")]))
    assert unnamed.leads == ()


def test_people_and_numbers_are_particulars_places_and_years_are_not():
    strike = features_of(
        (
            "Desert Post",
            "Arlit miners strike in 2025",
            "Union leader Moussa Idrissa said 1,200 miners at Arlit joined the strike in 2025.",
            [tag("Arlit", 1.0), tag("Moussa Idrissa", 0.8, "person")],
        )
    )
    assert {"moussa", "idrissa", "1,200"} <= particulars(strike)
    assert not {"arlit", "2025", "miners"} & particulars(strike)


def test_articles_outside_the_window_start_a_new_story():
    index = StoryIndex()
    first = index.add(1, features_of(FERRY_REPORTS[0]))
    late = STORY_WINDOW.total_seconds() / 3600 + 1
    assert index.add(2, features_of(FERRY_REPORTS[1], hours=late)) != first
    candidate = StoryCandidate(first, (features_of(FERRY_REPORTS[0]),))
    assert choose_story(features_of(FERRY_REPORTS[2], hours=late), [candidate]) is None
    assert choose_story(features_of(FERRY_REPORTS[2], hours=2), [candidate]) == first


def test_no_candidate_starts_a_story():
    assert choose_story(features_of(FERRY_REPORTS[0]), []) is None


def test_features_survive_json_and_stay_small():
    features = features_of(FERRY_REPORTS[1], hours=5)
    data = features.to_json()
    assert StoryFeatures.from_json(data) == features
    assert len(data.encode()) < 2048
    assert features.published_at.tzinfo is not None
    assert dict(features.tags)["lake-kivu"] > dict(features.tags)["goma"]
    assert abs(sum(w * w for _, w in features.terms) - 1) < 1e-3


def test_naive_times_are_read_as_utc():
    outlet, title, text, tags = FERRY_REPORTS[0]
    naive = story_features(title, text, "en", tags, datetime(2025, 3, 3, 8), outlet)
    assert naive.published_at == MONDAY


def test_rare_words_and_numbers_outweigh_common_ones():
    weights = dict(features_of(EARTHQUAKES[0]).terms)
    assert weights["atacama"] > weights["houses"]
    assert "6.8" in weights
    assert "the" not in weights and "on" not in weights


def test_story_title_is_the_most_representative_headline():
    members = [(r[1], features_of(r)) for r in FERRY_REPORTS]
    assert story_title(members) in {r[1] for r in FERRY_REPORTS}
    assert story_title([]) == ""


def test_a_republished_text_with_small_edits_is_a_duplicate():
    original = f"Mombasa port traffic up eleven percent\n{ARTICLE}"
    edited = "Mombasa port traffic rises\n" + ARTICLE.replace("on Thursday", "on Friday")
    a, b = text_signature(original), text_signature(edited)
    assert len(a) == 128 and all(0 <= value < 2**32 for value in a)
    assert json.loads(json.dumps(a)) == list(a)
    assert is_duplicate(a, b) and similarity(a, b) < 1
    assert set(band_keys(a)) & set(band_keys(b))


def test_a_different_article_of_the_same_story_is_no_duplicate():
    half = ARTICLE[: len(ARTICLE) // 2]
    other = (
        f"{half} Kenya's transport minister told parliament that a new rail link to the"
        " border would open in June, and that tenders for the third terminal would be"
        " called before the rains, after a long dispute with contractors."
    )
    assert not is_duplicate(text_signature(ARTICLE), text_signature(other))
    assert not is_duplicate(text_signature(""), text_signature(""))
    assert band_keys(text_signature("")) == []


def test_bcubed_scores_precision_and_recall_per_article():
    one_split = bcubed([1, 1, 2], ["a", "a", "a"])
    assert one_split.precision == 1.0 and one_split.recall == pytest.approx(5 / 9)
    assert bcubed([1, 1, 1], ["a", "a", "b"]).precision == pytest.approx(5 / 9)
    assert bcubed([7, 8], ["a", "b"]).f1 == 1.0


def run_eval(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(eval_group, ["stories", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_missing_data_folder_is_a_usage_error(tmp_path: Path):
    result = CliRunner().invoke(eval_group, ["stories", "--data", str(tmp_path)])
    assert result.exit_code == 2 and "is missing" in result.output


@pytest.mark.slow
def test_eval_stories_on_the_first_documents():
    data = SHARED / "datasets"
    if not (data / "clustering" / "ecbplus-documents.jsonl.gz").is_file():
        pytest.skip("../shared/datasets is absent")
    metrics = run_eval("--data", str(data), "--limit", "40", "--shuffles", "1")
    ecbplus = metrics["ecbplus"]["all"]
    assert ecbplus["documents"] == 40
    assert 0 < ecbplus["online"]["f1"] <= 1
    assert ecbplus["shuffled_f1"]["orders"] == 1
    assert 0 < ecbplus["baseline_tfidf_average_linkage"]["f1"] <= 1
    assert ecbplus["assignment"]["mean_ms"] > 0
    assert metrics["bbc_duplicates"]["articles"] == 40
    assert metrics["bbc_duplicates"]["false_pairs"] == 0
