"""Tagging stored articles again, after what their tags depend on changed: the alias data,
the rules or the models (the tagger's ``version`` differs from the one stored), or curation
(a new alias or an unblocked tag marks the articles that mention it).

Articles stored before stories existed are placed in their story on the way.

Incremental: only those articles are read, in batches that each commit, so a run that is
stopped resumes where it was, and the pages show each batch as soon as it is stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from sqlalchemy import Engine

from tagwire.drafts import describe_story
from tagwire.enrich.tagging import Tagger
from tagwire.models import TagScore
from tagwire.pipeline import build_tagger, tagging_version
from tagwire.settings import Settings
from tagwire.store.articles import (
    StoredText,
    StoryPlacement,
    articles_to_retag,
    count_to_retag,
    save_tags,
)

log = logging.getLogger("tagwire.retag")
BATCH = 100
ROUND = 200  # articles a scheduler round tags again, so that it stays short

Progress = Callable[[int], None]


def retag(
    engine: Engine,
    tagger: Tagger,
    *,
    everything: bool = False,
    limit: int | None = None,
    on_batch: Progress | None = None,
) -> int:
    """Tag again the articles that are out of date (``everything``: all of them), at most
    ``limit``; return how many. ``on_batch`` hears how many each stored batch held."""
    done = after = 0
    while limit is None or done < limit:
        size = BATCH if limit is None else min(BATCH, limit - done)
        batch = articles_to_retag(engine, tagger.version, after, size, everything)
        if not batch:
            break
        tagged = [(a, tagger.tag(a.title, a.text, a.language, a.outlet)) for a in batch]
        save_tags(engine, tagged, tagger.version, story_placements(tagged))
        done += len(batch)
        after = batch[-1].id
        if on_batch is not None:
            on_batch(len(batch))
    if done:
        log.info("retagged=%s version=%s", done, tagger.version)
    return done


def story_placements(
    tagged: Sequence[tuple[StoredText, Sequence[TagScore]]],
) -> dict[int, StoryPlacement]:
    """For the articles stored before stories existed: what places each in its story."""
    placements = {}
    for article, tags in tagged:
        if article.story_id is None:
            features, signature = describe_story(
                article.title,
                article.text,
                article.language,
                tags,
                article.published_at,
                article.outlet,
            )
            placements[article.id] = StoryPlacement(features, signature)
    return placements


def pending(engine: Engine, tagger: Tagger, everything: bool = False) -> int:
    return count_to_retag(engine, tagger.version, everything)


def retag_pending(settings: Settings, engine: Engine, limit: int = ROUND) -> int:
    """One scheduler round's share of re-tagging; the tagger is built only when needed."""
    if count_to_retag(engine, tagging_version(settings)) == 0:
        return 0
    return retag(engine, build_tagger(settings, engine), limit=limit)
