"""``tagwire eval extraction``: the benchmark metric and the command on a tiny data set."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tagwire.evaluate.extraction import Page, extraction_command, page_counts, score, shingles

from .pages import article_html

BODY = [
    "The river authority in Mopti opened two new landing stages for the fishing boats.",
    "Fishers said the stages would cut the time spent unloading the morning catch by half.",
    "The authority plans three more stages upstream before the next flood season begins.",
]


def test_shingles_and_page_counts():
    assert shingles("a b c d e") == {("a", "b", "c", "d"): 1, ("b", "c", "d", "e"): 1}
    assert shingles("two words") == {("two", "words"): 1}
    assert page_counts("a b c d e", "a b c d e") == (1.0, 0.0, 0.0)
    tp, fp, fn = page_counts("a b c d e", "x y z w v")
    assert tp == 0 and fp == fn == 0.5


def test_perfect_and_empty_extractors():
    pages = [Page("1", "http://a.test/", b"", " ".join(BODY))]
    assert score(pages, lambda _h, _u: " ".join(BODY)).f1 == 1.0
    assert score(pages, lambda _h, _u: "").f1 == 0.0


def test_the_command_prints_json_last(tmp_path: Path):
    folder = tmp_path / "extraction"
    (folder / "html").mkdir(parents=True)
    page = article_html("Landing stages in Mopti", BODY, site="River Desk")
    (folder / "html" / "p1.html.gz").write_bytes(gzip.compress(page.encode()))
    truth = {"p1": {"articleBody": "\n".join(BODY), "url": "http://river.test/p1"}}
    (folder / "ground-truth.json").write_text(json.dumps(truth))
    result = CliRunner().invoke(extraction_command, ["--data", str(tmp_path)])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output.strip().splitlines()[-1])
    assert metrics["pages"] == 1 and metrics["tagwire"]["f1"] > 0.9


def test_the_real_benchmark_when_present():
    data = Path(__file__).resolve().parents[2] / "shared" / "datasets"
    if not (data / "extraction" / "ground-truth.json").is_file():
        pytest.skip("../shared/datasets is absent")
    result = CliRunner().invoke(extraction_command, ["--data", str(data), "--limit", "10"])
    assert result.exit_code == 0, result.output
    assert 0.5 < json.loads(result.output.strip().splitlines()[-1])["tagwire"]["f1"] <= 1.0
