"""Labelled data for ``tagwire eval``, read into small records: CoNLL-2003 documents with
their gold entity names, news documents with human keyphrases, and the seed page's articles.

The formats are those of ``DIR/tags/README.md``; a file that does not follow them is an
``InvalidInput``. Gold names are kept as slugs, the form every comparison uses.
"""

from __future__ import annotations

import gzip
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tagwire.enrich.names import slugify
from tagwire.errors import InvalidInput

# Rules are tuned on dev (CoNLL's testa); test (testb) is only run to report.
CONLL_SPLITS = {
    "dev": Path("tags/conll2003-en/dev.documents.jsonl.gz"),
    "test": Path("tags/conll2003-en/test.documents.jsonl.gz"),
}
WIKINEWS_FR = Path("tags/wikinews-fr-keyphrases.jsonl.gz")
KPCROWD_EN = Path("tags/500N-KPCrowd-v1.1.jsonl.gz")
SEED = Path("../seed/latest-news-azawad.txt")

# Tokens written against the previous one ("Mali 's" -> "Mali's") or the next ("( FAMa").
_GLUED_LEFT = frozenset([*",.;:!?)]}%", "'s", "n't", "'re", "'ve", "'ll", "'d", "'m"])
_GLUED_RIGHT = frozenset("([{$")


@dataclass(frozen=True, slots=True)
class EntityDocument:
    doc_id: str
    title: str
    text: str
    gold: dict[str, str]  # slug of each distinct entity name -> its CoNLL type, first seen


@dataclass(frozen=True, slots=True)
class KeyphraseDocument:
    doc_id: str
    language: str
    title: str
    text: str
    keyphrases: frozenset[str]  # slugs


@dataclass(frozen=True, slots=True)
class SeedArticle:
    outlet: str
    headline: str
    text: str


def read_conll_documents(path: Path, limit: int | None = None) -> list[EntityDocument]:
    return [conll_document(row, path) for row in read_jsonl(path, limit)]


def read_keyphrase_documents(path: Path, limit: int | None = None) -> list[KeyphraseDocument]:
    return [keyphrase_document(row, path) for row in read_jsonl(path, limit)]


def read_jsonl(path: Path, limit: int | None) -> list[dict[str, Any]]:
    """The first ``limit`` records (all when ``None``) of a gzipped JSON-lines file."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            return [json.loads(line) for line in itertools.islice(lines, limit)]
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"{path}: not a gzipped JSON-lines file ({exc})") from exc


def conll_document(row: dict[str, Any], path: Path) -> EntityDocument:
    """One article: its first sentence (the headline) as title, the others one per line."""
    try:
        sentences = [detokenise(sentence["tokens"]) for sentence in row["sentences"]]
        gold: dict[str, str] = {}
        for entity in row["entities"]:
            gold.setdefault(slugify(entity["text"]), entity["type"])
        doc_id = str(row["doc_id"])
    except (KeyError, TypeError) as exc:
        raise InvalidInput(f"{path}: not a CoNLL document record (missing {exc})") from exc
    gold.pop("", None)
    title, *body = sentences or [""]
    return EntityDocument(doc_id, title, "\n".join(body), gold)


def keyphrase_document(row: dict[str, Any], path: Path) -> KeyphraseDocument:
    try:
        title, text = split_title(row["text"])
        slugs = frozenset(slugify(phrase) for phrase in row["keyphrases"]) - {""}
        return KeyphraseDocument(str(row["id"]), str(row["language"]), title, text, slugs)
    except (KeyError, TypeError, AttributeError) as exc:
        raise InvalidInput(f"{path}: not a keyphrase document record (missing {exc})") from exc


def split_title(text: str) -> tuple[str, str]:
    """The first non-empty line is the headline, the rest the body (may be empty)."""
    title, _, body = text.strip().partition("\n")
    return title.strip(), body.strip()


def detokenise(tokens: list[str]) -> str:
    """ "Mali 's army ( FAMa ) ," -> "Mali's army (FAMa),": closer to the text NER learnt on."""
    pieces: list[str] = []
    glued = True
    for token in tokens:
        if not glued and token.lower() not in _GLUED_LEFT:
            pieces.append(" ")
        pieces.append(token)
        glued = token in _GLUED_RIGHT
    return "".join(pieces)


def read_seed(path: Path) -> list[SeedArticle]:
    """The articles of a saved tag page: blocks apart by two blank lines, the first the page
    title, each other outlet / date / category / outlet / headline / text lines."""
    try:
        page = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot read the seed page ({exc})") from exc
    blocks = [block.strip() for block in page.split("\n\n\n") if block.strip()]
    articles = []
    for block in blocks[1:]:
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if len(lines) < 6:
            raise InvalidInput(f"{path}: an article needs outlet, date, category, headline, text")
        articles.append(SeedArticle(outlet=lines[0], headline=lines[4], text=" ".join(lines[5:])))
    return articles
