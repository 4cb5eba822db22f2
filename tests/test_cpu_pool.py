"""Articles built by worker processes: the same drafts (tags included) as on the thread, a
worker process that dies is replaced and its articles built again or from the feed's text,
and no worker process outlives its pool."""

from __future__ import annotations

import asyncio
import os
import signal
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tagwire.cpu_pool import ArticleBuilder, ProcessBuilder, ThreadBuilder
from tagwire.drafts import ArticleJob
from tagwire.enrich.entities import EntityRecognizer
from tagwire.enrich.gazetteer import known, load_gazetteer
from tagwire.enrich.tagging import Tagger
from tagwire.errors import WorkerDied
from tagwire.models import ArticleDraft, Curation, FeedEntry, FetchResult, TagRef

from .pages import article_html

pytestmark = pytest.mark.slow
PUBLISHED = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
PAGES = [
    (
        "Drought talks open in Bamako",
        "en",
        [
            "Delegates from Mali and Niger met in Bamako on Tuesday with Amadou Toure, head of"
            " the Kidal Water Council, to plan an answer to the drought along the Niger River.",
            "The Azawad Front said the AWF tanker fleet would reach Gao before the dry season."
            " Fatoumata Diallo of the Sahel Relief Agency asked for pumps in Timbuktu.",
        ],
    ),
    (
        "Le Niger et le Mali surveillent le fleuve",
        "fr",
        [
            "Des ingénieurs du Niger et du Mali installeront douze stations sur le fleuve Niger,"
            " a annoncé à Niamey Ibrahim Maïga, directeur de l'Autorité du bassin du Niger.",
            "Les données seront publiées chaque matin pour les agriculteurs de Ségou et de Mopti,"
            " selon le Conseil de Kidal.",
        ],
    ),
]


def curated_tagger(recognizer: EntityRecognizer) -> Tagger:
    """A tagger with everything the parent builds from the store: tags and aliases people
    chose, a blocked tag, a renamed one, a version."""
    awf = known("Azawad Front", "organisation")
    council = known("Kidal Water Council", "organisation")
    gazetteer = load_gazetteer().extended(
        [(awf, ["AWF"])], chosen=[(council, ["Conseil de Kidal"])]
    )
    renamed = known("Bamako District", "place")
    curation = Curation(
        revision=4,
        blocked=frozenset({known("Gao", "place").slug}),
        redirects=((known("Bamako", "place").slug, TagRef(renamed.label, renamed.slug, "place")),),
    )
    return Tagger(gazetteer, recognizer, 15, curation=curation, version="test-version")


def jobs() -> list[ArticleJob]:
    made = []
    for n, (title, lang, paragraphs) in enumerate(PAGES):
        html = article_html(title, paragraphs, site="Sahel Wire", section="World", lang=lang)
        url = f"http://sahel.test/{n}.html"
        entry = FeedEntry(
            guid=url, url=url, title=title, summary=paragraphs[0], published_at=PUBLISHED
        )
        page = FetchResult(url, 200, "text/html; charset=utf-8", html.encode())
        made.append(ArticleJob(1, "http://sahel.test/feed", "Sahel Wire", lang, entry, page))
    fed = made[0].without_page("HTTP 503")  # the feed's text stands in
    return [*made, replace(fed, entry=replace(fed.entry, guid="g-3", url=""))]


def build(builder: ArticleBuilder, tagger: Tagger, work: list[ArticleJob]) -> list[ArticleDraft]:
    async def run() -> list[ArticleDraft]:
        return list(await asyncio.gather(*(builder.draft(tagger, job) for job in work)))

    try:
        return asyncio.run(run())
    finally:
        builder.close()


def test_worker_processes_build_the_same_articles_and_tags_as_the_thread(recognizer):
    tagger = curated_tagger(recognizer)
    in_thread = build(ThreadBuilder(), tagger, jobs())
    in_processes = build(ProcessBuilder(2), tagger, jobs())
    assert in_processes == in_thread
    slugs = {t.slug for draft in in_thread for t in draft.tags}
    awf, bamako, gao = (known(n, "place").slug for n in ("Azawad Front", "Bamako", "Gao"))
    assert {awf, known("Bamako District", "place").slug} <= slugs  # the tagger's data travelled
    assert bamako not in slugs and gao not in slugs
    assert [d.extraction_status for d in in_thread] == ["full", "full", "feed"]
    assert {d.tagged_with for d in in_processes} == {"test-version"}


class TaggerThatKillsItsFirstWorker(Tagger):
    """Unpickled in a worker process, it ends that process, once (``marker`` remembers)."""

    marker: Path

    def __setstate__(self, state: dict[str, Any]) -> None:
        if not state["marker"].exists():
            state["marker"].touch()
            os._exit(1)
        self.__dict__.update(state)


class TaggerThatKillsEveryWorker(Tagger):
    def __setstate__(self, state: dict[str, Any]) -> None:
        os._exit(1)


def test_a_worker_process_that_dies_is_replaced_and_its_articles_built_again(
    recognizer, tmp_path: Path
):
    tagger = TaggerThatKillsItsFirstWorker(load_gazetteer(), recognizer, 15)
    tagger.marker = tmp_path / "died-once"
    builder = ProcessBuilder(2)
    drafts = build(builder, tagger, jobs())
    assert tagger.marker.exists()
    assert builder.replaced >= 1
    assert [d.extraction_status for d in drafts] == ["full", "full", "feed"]
    assert all(d.tags for d in drafts)


def test_an_article_that_kills_every_worker_process_fails_its_feed_update(recognizer):
    tagger = TaggerThatKillsEveryWorker(load_gazetteer(), recognizer, 15)
    builder = ProcessBuilder(1)
    with pytest.raises(WorkerDied):
        build(builder, tagger, jobs()[:1])
    assert builder.replaced == 1  # the shared pool once; then lone workers, ATTEMPTS of them


class TaggerThatDiesOnPoison(Tagger):
    """Ends its worker process when it tags an article titled "Poison ..."."""

    def tag(self, title, text, language, outlet=None):  # type: ignore[no-untyped-def]
        if title.startswith("Poison"):
            os._exit(1)
        return super().tag(title, text, language, outlet)


def test_an_article_that_kills_its_worker_takes_no_other_article_down(recognizer):
    tagger = TaggerThatDiesOnPoison(load_gazetteer(), recognizer, 15)
    work = jobs()
    poison = replace(work[0], entry=replace(work[0].entry, guid="poison", title="Poison pill"))
    builder = ProcessBuilder(2)

    async def run() -> list[Any]:
        every = [builder.draft(tagger, job) for job in [poison, *work]]
        return list(await asyncio.gather(*every, return_exceptions=True))

    try:
        results = asyncio.run(run())
    finally:
        builder.close()
    assert isinstance(results[0], WorkerDied)
    assert [d.extraction_status for d in results[1:]] == ["full", "full", "feed"]


def test_worker_processes_ignore_ctrl_c_and_end_with_their_pool(recognizer):
    tagger = Tagger(load_gazetteer(), recognizer, 15)
    builder = ProcessBuilder(2)

    async def run() -> list[int]:
        work = jobs()
        drafts = [asyncio.ensure_future(builder.draft(tagger, job)) for job in work]
        seen: set[int] = set()
        while not all(d.done() for d in drafts):  # Ctrl-C while they load and while they work
            for pid in builder.pids():
                seen.add(pid)
                os.kill(pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
            await asyncio.sleep(0.005)
        await asyncio.gather(*drafts)
        return sorted(seen)

    pids = asyncio.run(run())
    assert pids and builder.replaced == 0
    builder.close()
    assert not [pid for pid in pids if Path(f"/proc/{pid}").exists()]
