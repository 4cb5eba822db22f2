"""``tagwire eval tags``: the scoring rules on hand-made cases, the command on a tiny data set
written here (in the formats of ../shared/datasets/tags), and on the real CoNLL-2003 test."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tagwire.enrich.tagging import Tagger
from tagwire.evaluate.cli import eval_group
from tagwire.evaluate.datasets import SeedArticle, detokenise, read_seed, split_title
from tagwire.evaluate.tags import Counts, match_names, tag_names
from tagwire.models import TagScore

SHARED = Path(__file__).resolve().parents[2] / "shared"

# (tokens, IOB2 tags) per sentence; the first sentence is the headline.
CONLL_DOCUMENTS = [
    [
        ("ELECTION - MALI VOTERS QUEUE IN THE CAPITAL .", "O O B-LOC O O O O O O"),
        ("BAMAKO 2025-03-02", "B-LOC O"),
        (
            "Voters in Mali queued outside schools in Bamako on Sunday , officials of the"
            " Independent Electoral Authority said .",
            "O O B-LOC O O O O B-LOC O O O O O O B-ORG I-ORG I-ORG O O",
        ),
        (
            "Observers from the African Union praised the calm and Assimi Goita thanked"
            " the Malian people .",
            "O O O B-ORG I-ORG O O O O B-PER I-PER O O B-MISC O O",
        ),
    ],
    [
        ("TENNIS - NOVAK DJOKOVIC WINS IN GENEVA .", "O O B-PER I-PER O O B-LOC O"),
        (
            "Novak Djokovic beat Carlos Alcaraz in Geneva on Sunday , the Swiss organisers said .",
            "B-PER I-PER O B-PER I-PER O B-LOC O O O O B-MISC O O O",
        ),
    ],
]
CONLL_GOLD_NAMES = 6 + 4  # distinct slugs: "MALI" and "Mali" are one name

KEYPHRASE_DOCUMENTS = {
    "wikinews-fr-keyphrases.jsonl.gz": [
        (
            "fr",
            "Mali : les électeurs aux urnes\n\nLes électeurs du Mali ont voté dimanche à Bamako"
            " et à Gao, selon la commission électorale. Les observateurs de l'Union africaine"
            " ont salué le calme du scrutin au Mali.",
            ["Mali", "élections", "Bamako", "Union africaine"],
        )
    ],
    "500N-KPCrowd-v1.1.jsonl.gz": [
        (
            "en",
            "Geneva hosts talks on Sahel security\nDiplomats from Mali, Niger and Algeria met"
            " in Geneva on Monday to discuss security in the Sahel, the Swiss foreign ministry"
            " said. Talks in Geneva will resume next month.",
            ["Geneva", "Sahel", "security", "talks", "Mali"],
        ),
        ("en", "Short headline only about Kenya", ["Kenya", "headline"]),
    ],
}

SEED_PAGE = """Latest news with #Azawad


Sahel Courier
2 days ago
- Politics
- Sahel Courier
Convoy reaches Kidal in northern Mali
A convoy of food trucks reached Kidal in northern Mali on Monday after weeks on the road
from Gao. Residents of the Azawad region said the Malian army escorted the trucks.


Desert Post
04-04-2025
- Politics
- Desert Post
Algeria and Mali trade accusations over border
Algeria accused Mali of violating its airspace near Tinzaouaten, and Mali recalled its
ambassador from Algiers, officials in Bamako said.
"""


def conll_record(number: int, sentences: list[tuple[str, str]]) -> dict[str, Any]:
    rows, entities = [], []
    for text, iob in sentences:
        tokens, tags = text.split(), iob.split()
        assert len(tokens) == len(tags), text
        rows.append({"tokens": tokens, "ner_iob2": tags})
        for i, tag in enumerate(tags):
            if tag.startswith("B-"):
                end = i + 1
                while end < len(tags) and tags[end] == "I-" + tag[2:]:
                    end += 1
                entities.append({"text": " ".join(tokens[i:end]), "type": tag[2:]})
    entity_set = sorted({(e["type"], e["text"]) for e in entities})
    return {
        "doc_id": f"test-{number:03d}",
        "split": "test",
        "sentences": rows,
        "entities": entities,
        "entity_set": [list(pair) for pair in entity_set],
    }


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.writelines(json.dumps(record, ensure_ascii=False) + "\n" for record in records)


@pytest.fixture
def tiny_data(tmp_path: Path) -> Path:
    data = tmp_path / "datasets"
    conll = [conll_record(n, doc) for n, doc in enumerate(CONLL_DOCUMENTS)]
    write_jsonl(data / "tags" / "conll2003-en" / "test.documents.jsonl.gz", conll)
    for name, documents in KEYPHRASE_DOCUMENTS.items():
        records = [
            {"id": f"doc-{n}", "language": lang, "text": text, "keyphrases": keys}
            for n, (lang, text, keys) in enumerate(documents)
        ]
        write_jsonl(data / "tags" / name, records)
    (tmp_path / "seed").mkdir()
    (tmp_path / "seed" / "latest-news-azawad.txt").write_text(SEED_PAGE, encoding="utf-8")
    return data


def run_eval(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(eval_group, ["tags", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_scores_count_tags_and_gold_names_apart():
    predicted = [frozenset({"mali", "malian"}), frozenset({"bamako"}), frozenset({"sunday"})]
    match = match_names(predicted, {"mali", "malian", "gao"})
    assert match.counts == Counts(predicted=3, right=1, gold=3, found=2)
    assert match.missed == {"gao"} and match.wrong == (frozenset({"bamako"}), frozenset({"sunday"}))
    total = match.counts + Counts(predicted=1, right=1, gold=1, found=1)
    assert (total.precision, total.recall) == (0.5, 0.75)
    assert total.f1 == pytest.approx(0.6)
    assert Counts().f1 == 0.0


def test_a_tag_answers_to_its_aliases():
    tag = TagScore("Mali", "mali", "place", 1.0, 3, aliases=("Malian", "S. Korea"))
    assert tag_names(tag) == {"mali", "malian", "s-korea"}


def test_documents_are_rebuilt_readably():
    assert detokenise(
        ["Mali", "'s", "army", "(", "FAMa", ")", "said", ",", "on", "Monday", "."]
    ) == ("Mali's army (FAMa) said, on Monday.")
    assert split_title("\n\n\tHeadline here\n\n\tBody text.") == ("Headline here", "Body text.")


def test_seed_page_is_read_into_articles(tmp_path: Path):
    page = tmp_path / "seed.txt"
    page.write_text(SEED_PAGE, encoding="utf-8")
    articles = read_seed(page)
    assert [a.outlet for a in articles] == ["Sahel Courier", "Desert Post"]
    assert articles[0] == SeedArticle(
        "Sahel Courier",
        "Convoy reaches Kidal in northern Mali",
        "A convoy of food trucks reached Kidal in northern Mali on Monday after weeks on the"
        " road from Gao. Residents of the Azawad region said the Malian army escorted the"
        " trucks.",
    )


def test_a_missing_data_folder_is_a_usage_error(tmp_path: Path):
    result = CliRunner().invoke(eval_group, ["tags", "--data", str(tmp_path)])
    assert result.exit_code == 2 and "is missing" in result.output


@pytest.mark.slow
def test_candidates_are_everything_tag_chooses_from(tagger: Tagger, recognizer):
    title = "Convoy reaches Kidal"
    text = (
        "Sahel Courier reporters saw a convoy reach Kidal from Gao on Monday. The Malian army"
        " escorted it, Colonel Amadou Traore said, and residents of Azawad cheered."
    )
    tags = tagger.tag(title, text, "en", "Sahel Courier")
    candidates = tagger.candidates(title, text, "en", "Sahel Courier")
    assert [t.slug for t in candidates][: len(tags)] == [t.slug for t in tags]
    assert len(candidates) > len(
        Tagger(tagger.gazetteer, recognizer, max_tags=2).tag(title, text, "en")
    )
    assert "sahel-courier" not in {t.slug for t in candidates}
    assert all(0 < t.salience <= 1 for t in candidates)


@pytest.mark.slow
def test_eval_tags_prints_the_metrics_as_json_last(tiny_data: Path):
    metrics = run_eval("--data", str(tiny_data))
    assert set(metrics) == {"conll2003_en_test", "wikinews_fr", "kpcrowd_en", "seed", "seconds"}
    conll = metrics["conll2003_en_test"]
    assert conll["documents"] == 2
    for system in ("tagwire", "spacy", "spacy_clean_name"):
        scores = conll[system]
        assert scores["gold"] == CONLL_GOLD_NAMES
        assert 0 < scores["recall"] <= 1 and 0 < scores["precision"] <= 1
        assert 0 < scores["f1"] <= 1
    assert conll["articles_per_second"] > 0
    for name, documents in (("wikinews_fr", 1), ("kpcrowd_en", 2)):
        keyphrases = metrics[name]
        assert keyphrases["documents"] == documents
        assert 0 < keyphrases["precision_at_5"] <= 1
        assert keyphrases["precision_at_5_strict"] <= keyphrases["precision_at_5"]
        assert 1 <= keyphrases["tags_returned"] <= 5 * documents
    seed = metrics["seed"]["articles"]
    assert [a["outlet"] for a in seed] == ["Sahel Courier", "Desert Post"]
    assert all("Mali" in {t["label"] for t in a["tags"]} for a in seed)
    assert all(set(t) == {"label", "kind", "salience"} for a in seed for t in a["tags"])


@pytest.mark.slow
def test_eval_tags_tunes_on_the_dev_split(tiny_data: Path):
    conll = tiny_data / "tags" / "conll2003-en"
    (conll / "test.documents.jsonl.gz").rename(conll / "dev.documents.jsonl.gz")
    metrics = run_eval("--data", str(tiny_data), "--split", "dev")
    assert "conll2003_en_test" not in metrics
    assert metrics["conll2003_en_dev"]["tagwire"]["gold"] == CONLL_GOLD_NAMES
    result = CliRunner().invoke(eval_group, ["tags", "--data", str(tiny_data)])
    assert result.exit_code == 2 and "test.documents.jsonl.gz is missing" in result.output


@pytest.mark.slow
def test_eval_tags_on_the_first_conll_documents():
    data = SHARED / "datasets"
    if not (data / "tags" / "conll2003-en" / "test.documents.jsonl.gz").is_file():
        pytest.skip("../shared/datasets is absent")
    conll = run_eval("--data", str(data), "--limit", "20")["conll2003_en_test"]
    assert conll["documents"] == 20
    assert 0 < conll["tagwire"]["f1"] < 1 and 0 < conll["spacy"]["f1"] < 1
