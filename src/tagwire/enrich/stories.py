"""Stories: articles from different outlets about the same event, grouped online.

Each article is reduced once to ``StoryFeatures`` (its top weighted terms, its tags with
their salience, when and by whom it was published), persisted as small JSON. A new article
is compared with the recent stories that share a tag or a key term with it
(``choose_story``): the cosine of its terms with the story's centroid (the sum of its
members' term vectors), so a story told in many words by many outlets is judged on all of
them, not on its closest member (``story_similarity``). It joins the best story when that
reaches ``STORY_THRESHOLD``, else it starts a story. Nothing is ever re-clustered, but
a candidate story of one or two articles joins the story the new article joins when each
of its articles fits that story well (``absorbed_stories``): a report that started a
story of its own (its tags named the event's people as an organisation, the story it
belonged to was too small to tell) is brought back once its event's story has grown.

A story of a few articles is its members' own vocabulary, where the names of a region's
places and organisations weigh most (a stream about one region names Kidal and Mali in
every story): the article joins it only when a member shares enough words with it besides
those names (``MIN_CONTENT``) or the story has the article's people and numbers (a toll, a
sum, an age: ``PARTICULARS_SHARE``).
From ``SMALL_STORY`` members on, the centroid speaks for the event.

Two events of one kind share most words and often a name (one champion's two title
defences, one cabinet's two resignations): what tells them apart is whom each report is
mainly about. An article whose lead people (the people its top tag names, ties included)
go unmentioned, or named in passing only, in half the story's members or more, each led by
people the article does not mention, is about another event (``rival_leads``): a
challenger against another challenger.

Whether a place or an organisation names a region or the event is read from the recent
stream, as the candidate stories show it (``event_names``): a name whose recent articles
crowd into few stories (a company in every report of its takeover) is the event's and
counts as content; one spread over many stories of an article or two (Kidal in a stream
about northern Mali) stays a region's. A name seen in a few articles only stays a
region's: the stream does not know yet.

The parameters were chosen on the train and dev topics of ECB+ and on the demo sample
(English and French reports about the Sahel) with ``tagwire eval stories``, never on
ECB+ test.

Term weights need no corpus statistics: a word's weight is how rare it is in the language
(``wordfreq``'s Zipf frequency), so a feature computed today never changes. Numbers
(magnitudes, tolls, years) count as rare words: two earthquakes share "magnitude" and
"quake" but not "7.6" or the place's name.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache, partial

from wordfreq import available_languages, get_frequency_dict

from tagwire.enrich.names import strip_accents
from tagwire.models import TagScore

STORY_WINDOW = timedelta(days=3)
# Chosen on ECB+ train and dev (B-cubed F1 in file order and two shuffled orders) with the
# demo sample's precision at 1.0 in every order (``tagwire eval stories``).
STORY_THRESHOLD = 0.12
TAG_WEIGHT = 0.4  # how much a story without the article's tags lowers the similarity
KEY_TERM_WEIGHT = 0.4  # the same for the article's key terms
TOP_TERMS = 25
KEY_TERMS = 5  # an article's heaviest terms, looked up like tags to find candidate stories
TITLE_BOOST = 2.0
COMMON_ZIPF = 6.0  # a word this frequent (Zipf) or more weighs nothing ("said": 6.0)
RARE_ZIPF = 1.0  # rarer words (and unknown ones) weigh as much as a word at this Zipf
NUMBER_ZIPF = 3.0
# The words of these tags are names a whole region's news shares ("Kidal", "Mali", "UN"):
# a story needs a member at MIN_CONTENT of cosine on the other words (both without them).
NAME_KINDS = frozenset({"place", "organisation", "group"})
MIN_CONTENT = 0.22
SMALL_STORY = 4  # stories with fewer members within the window must pass MIN_CONTENT...
PARTICULARS_SHARE = 0.05  # ...or its people and numbers' part of the centroid cosine
# A name of ``NAME_KINDS`` is the event's (content, not a region's) when the candidate
# stories hold at least this many recent articles carrying it...
EVENT_NAME_ARTICLES = 5
EVENT_NAME_CROWDING = 2.5  # ...and this many of them per story carrying it, on average
CANDIDATE_STORIES = 20  # as the store fetches them (``store.stories``)
# A story is judged, and titled, on its most recent members in the window: bounds the cost
# of a story hundreds of outlets cover (a war, an election night) whatever its size.
MEMBERS_PER_STORY = 20
# A candidate story of fewer members joins the story the new article joins when each of
# its members fits that story (the article with it) at this similarity.
ABSORBED_STORY = 3
ABSORB_THRESHOLD = 0.2
# An article whose lead people are foreign to this share of the story's members, and theirs
# to it, does not join it. Chosen on ECB+ train and dev (0.34 and 1.0 measured: flat and
# lower); a lead is a person at the article's top salience (at 0.75 or 0.5 of it: lower).
RIVAL_SHARE = 0.5
LEAD_KINDS = frozenset({"person"})  # places are told at every scale (town, mountain, country)
# A report mentions a lead when one of its words is in a tag at this share of its top tag's
# salience or more, or among its heaviest terms. Chosen on ECB+ train and dev: all its tags
# and terms (0 and 25) kept more reports of two events of one kind together in shuffled
# orders (mean F1 0.918 against 0.923), file order alike (0.927).
MENTION_SALIENCE = 0.25
MENTION_TERMS = 15
FEATURES_VERSION = 3

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’][^\W\d_]+)*")
_DIGITS = re.compile(r"\d")
_YEAR = re.compile(r"(?:19|20)\d\d$")
# "Mali's" is "Mali", French "l'Azawad" is "Azawad": the name, as the tags spell it.
_CLITICS = re.compile(r"^(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)'|'s$")

Vector = tuple[tuple[str, float], ...]


@dataclass(frozen=True, slots=True)
class StoryFeatures:
    """What story assignment knows of one article; ``to_json`` is under ~2 KB."""

    terms: Vector  # top weighted terms, L2-normalised
    tags: Vector  # tag slug -> salience, L2-normalised
    published_at: datetime  # UTC
    outlet: str
    named: tuple[int, ...] = ()  # positions in ``terms`` of words of its ``NAME_KINDS`` tags
    leads: tuple[str, ...] = ()  # slugs of its tags of ``LEAD_KINDS`` at its top salience

    def to_json(self) -> str:
        return json.dumps(
            {
                "v": FEATURES_VERSION,
                "terms": [list(pair) for pair in self.terms],
                "tags": [list(pair) for pair in self.tags],
                "published_at": self.published_at.isoformat(),
                "outlet": self.outlet,
                "named": list(self.named),
                "leads": list(self.leads),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, data: str) -> StoryFeatures:
        record = json.loads(data)
        return cls(
            terms=tuple((str(t), float(w)) for t, w in record["terms"]),
            tags=tuple((str(s), float(w)) for s, w in record["tags"]),
            published_at=as_utc(datetime.fromisoformat(record["published_at"])),
            outlet=str(record["outlet"]),
            named=tuple(int(n) for n in record.get("named", ())),
            leads=tuple(str(s) for s in record.get("leads", ())),
        )

    @property
    def key_terms(self) -> tuple[str, ...]:
        """The heaviest terms: with the tags, how candidate stories are found."""
        return tuple(term for term, _ in self.terms[:KEY_TERMS])

    @property
    def tag_slugs(self) -> tuple[str, ...]:
        return tuple(slug for slug, _ in self.tags)


@dataclass(frozen=True, slots=True)
class StoryCandidate:
    """A recent story and its member articles' features, as the store fetches them."""

    story_id: int
    members: tuple[StoryFeatures, ...]


def story_features(
    title: str,
    text: str,
    language: str | None,
    tags: Sequence[TagScore],
    published_at: datetime,
    outlet: str,
) -> StoryFeatures:
    counts: dict[str, float] = defaultdict(float)
    for token in tokens(title):
        counts[token] += TITLE_BOOST
    for token in tokens(text):
        counts[token] += 1.0
    rarity = word_rarity(language)
    weights = {t: (1 + math.log(n)) * rarity(t) for t, n in counts.items()}
    top = sorted(((t, w) for t, w in weights.items() if w > 0), key=lambda tw: (-tw[1], tw[0]))
    top = top[:TOP_TERMS]
    names = {w for tag in tags if tag.kind in NAME_KINDS for w in words_of(tag)}
    tag_weights = {tag.slug: tag.salience for tag in tags}
    lead = max((tag.salience for tag in tags), default=0.0)
    leads = {
        tag.slug
        for tag in tags
        if tag.kind in LEAD_KINDS and tag.salience >= lead > 0 and name_words(tag.slug)
    }
    return StoryFeatures(
        terms=normalised(top),
        tags=normalised(sorted(tag_weights.items(), key=lambda sw: (-sw[1], sw[0]))),
        published_at=as_utc(published_at),
        outlet=outlet,
        named=tuple(n for n, (t, _) in enumerate(top) if folded(t) in names),
        leads=tuple(sorted(leads)),
    )


def words_of(tag: TagScore) -> set[str]:
    """The tag's words, without accents: "#Ménaka" is also written "Menaka"."""
    names = (tag.slug.replace("-", " "), tag.label, *tag.aliases)
    return {folded(word) for name in names for word in tokens(name)}


def folded(word: str) -> str:
    return strip_accents(word)


def tokens(text: str) -> list[str]:
    """Lower-cased words of two letters or more, and numbers of two characters or more."""
    found = (_CLITICS.sub("", t.lower().replace("’", "'")) for t in _TOKEN.findall(text))
    return [token for token in found if len(token) > 1]


@cache
def word_rarity(language: str | None) -> Callable[[str], float]:
    """How much a word says about a story: ``COMMON_ZIPF`` minus its Zipf frequency."""
    frequencies = language_frequencies(language)
    floor = 10 ** (RARE_ZIPF - 9)

    def rarity(token: str) -> float:
        if _DIGITS.match(token):
            return COMMON_ZIPF - NUMBER_ZIPF
        frequency = max(frequencies.get(token, 0.0), floor)
        return max(0.0, COMMON_ZIPF - (math.log10(frequency) + 9))

    return rarity


@cache
def language_frequencies(language: str | None) -> Mapping[str, float]:
    """wordfreq's frequencies for the language, English's when it has none for it."""
    code = (language or "en").split("-")[0].lower()
    if code not in available_languages():
        code = "en"
    return get_frequency_dict(code)


def normalised(weights: Iterable[tuple[str, float]]) -> Vector:
    pairs = tuple(weights)
    norm = math.sqrt(sum(w * w for _, w in pairs))
    # Rounded as stored, so features read back from JSON equal the ones computed.
    return tuple((k, round(w / norm, 4)) for k, w in pairs) if norm else ()


def as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def choose_story(article: StoryFeatures, candidates: Sequence[StoryCandidate]) -> int | None:
    """The story the article belongs to, or ``None`` when it starts a new one."""
    best_id, best_score = None, STORY_THRESHOLD
    # Counted once, and only when a small story comes to the region gate: most never do.
    event_words = cache(partial(event_names, article, candidates))
    for candidate in candidates:
        score = story_similarity(article, candidate.members, event_words)
        if score >= best_score:
            best_id, best_score = candidate.story_id, score
    return best_id


def absorbed_stories(
    article: StoryFeatures, story_id: int, candidates: Sequence[StoryCandidate]
) -> tuple[int, ...]:
    """The candidate stories of fewer than ``ABSORBED_STORY`` members that join the story
    the article joined (``story_id``): each of their members fits that story, the article
    with it, at ``ABSORB_THRESHOLD`` (stricter than ``STORY_THRESHOLD``). A member that could not
    join a story of a few articles (the region gate, a tagger's mistake) is judged again
    on more of them; a report of another event of the same kind rarely fits that well."""
    joined = next((c.members for c in candidates if c.story_id == story_id), ())
    target = (*joined, article)
    return tuple(
        candidate.story_id
        for candidate in candidates
        if candidate.story_id != story_id
        and len(candidate.members) < ABSORBED_STORY
        and all(story_similarity(m, target) >= ABSORB_THRESHOLD for m in candidate.members)
    )


def event_names(article: StoryFeatures, candidates: Sequence[StoryCandidate]) -> frozenset[str]:
    """The words of the article's tags that name the event rather than a region: carried
    by ``EVENT_NAME_ARTICLES`` or more recent articles of the candidate stories (the
    recent stories sharing the article's keys, as the store finds them), at least
    ``EVENT_NAME_CROWDING`` to each story carrying them. Counted online, over the
    articles seen so far."""
    own = set(article.tag_slugs)
    carried: dict[str, int] = defaultdict(int)
    stories: dict[str, int] = defaultdict(int)
    for candidate in candidates:
        held = Counter(
            slug
            for member in candidate.members
            if within_window(article, member)
            for slug, _ in member.tags
            if slug in own
        )
        for slug, count in held.items():
            carried[slug] += count
            stories[slug] += 1
    crowded = (
        slug
        for slug, count in carried.items()
        if count >= EVENT_NAME_ARTICLES and count >= EVENT_NAME_CROWDING * stories[slug]
    )
    return frozenset(folded(word) for slug in crowded for word in slug.split("-"))


def within_window(article: StoryFeatures, other: StoryFeatures) -> bool:
    return abs(other.published_at - article.published_at) <= STORY_WINDOW


def story_similarity(
    article: StoryFeatures,
    members: Sequence[StoryFeatures],
    event_words: Callable[[], Set[str]] = frozenset,
) -> float:
    """How well the article fits the story's members published within ``STORY_WINDOW`` of
    it: the cosine of its terms with their centroid, scaled down when the article's tags
    or its key terms are new to the story. Two events of one kind (two boxing title
    defences of one champion) share most words, but not the opponent's name, the venue,
    the round; a story led by other people than the article (``rival_leads``) scores 0. A
    small story must also pass ``region_gate``, where the words ``event_words()`` returns
    are not a region's names. A cosine below ``STORY_THRESHOLD`` is returned as it is:
    the rest could only lower it."""
    recent = tuple(m for m in members if within_window(article, m))
    if not recent:
        return 0.0
    middle = story_centroid(recent)
    score = middle.cosine(article.terms)
    if score < STORY_THRESHOLD:
        return score
    if len(recent) < SMALL_STORY and not region_gate(article, recent, middle, event_words()):
        return 0.0
    if rival_leads(article, recent):
        return 0.0
    tags = coverage(article.tags, {slug for m in recent for slug, _ in m.tags})
    key_terms = coverage(article.terms[:KEY_TERMS], middle.weights.keys())
    return score * gate(tags, TAG_WEIGHT) * gate(key_terms, KEY_TERM_WEIGHT)


def region_gate(
    article: StoryFeatures,
    recent: Sequence[StoryFeatures],
    middle: Centroid,
    event_words: Set[str] = frozenset(),
) -> bool:
    """Whether a small story shares more than a region's names with the article: a member
    at ``MIN_CONTENT`` of cosine with it on the words other than the names of places and
    organisations (an English and a French report share the numbers and the people), or
    ``particulars`` of the article that are particulars of a member too (a tagger may take
    a village for a person in one article: the other must agree) carrying
    ``PARTICULARS_SHARE`` of its cosine with the story."""
    if max(content_similarity(article, m, event_words) for m in recent) >= MIN_CONTENT:
        return True
    theirs = set().union(*(particulars(m) for m in recent))
    shared = particulars(article) & theirs
    # Those terms alone: their part of the article's cosine with the centroid.
    return middle.cosine(tuple(tw for tw in article.terms if tw[0] in shared)) >= PARTICULARS_SHARE


def rival_leads(article: StoryFeatures, recent: Sequence[StoryFeatures]) -> bool:
    """Whether ``RIVAL_SHARE`` of the members or more are led by people the article does
    not mention while it is led by people they do not mention: two title defences of one
    champion, each report led by its challenger; two resignations from one cabinet, by
    the minister who left. A member without lead people, or mentioning the article's, says
    nothing against it; nor does one stored before features held lead people (version 3),
    until it leaves the window."""
    if not article.leads:
        return False
    words = mentioned(article)
    rivals = [
        member
        for member in recent
        if member.leads
        and not mentions_any(words, member.leads)
        and not mentions_any(mentioned(member), article.leads)
    ]
    return bool(rivals) and len(rivals) >= RIVAL_SHARE * len(recent)


def mentions_any(words: Set[str], leads: Iterable[str]) -> bool:
    """Whether the words hold one of the leads' ``name_words``."""
    return any(word in words for lead in leads for word in name_words(lead))


def name_words(slug: str) -> list[str]:
    """The words of a person's slug that name them: two letters or more ("o" of
    "jim-o-brien" names no one). A lead without any is none: it could never be mentioned,
    and would make a rival of every report."""
    return [word for word in slug.split("-") if len(word) > 1]


def mentioned(article: StoryFeatures) -> set[str]:
    """The words the article is about, not those it names in passing: the words of its
    tags at ``MENTION_SALIENCE`` of its top one or more and its ``MENTION_TERMS`` heaviest
    terms (a report of one injured player recalls the one injured last year), spelt as
    slugs spell them: "mbappé" is "mbappe", "o'brien" is "obrien"."""
    least = MENTION_SALIENCE * article.tags[0][1] if article.tags else 0.0
    words = {word for slug, weight in article.tags if weight >= least for word in slug.split("-")}
    words.update(folded(term).replace("'", "") for term, _ in article.terms[:MENTION_TERMS])
    return words


def particulars(article: StoryFeatures) -> set[str]:
    """The article's terms that a whole region's news does not share: the words of its
    tags other than places and organisations (people, works, events) and its numbers
    other than years."""
    words = {word for slug, _ in article.tags for word in slug.split("-") if len(word) > 1}
    named = {article.terms[n][0] for n in article.named}
    return {
        term
        for term, _ in article.terms
        if (term in words and term not in named) or (_DIGITS.match(term) and not _YEAR.match(term))
    }


def content_similarity(
    article: StoryFeatures, member: StoryFeatures, event_words: Set[str] = frozenset()
) -> float:
    """Term cosine of two articles on the terms other than the names of either's tags of
    ``NAME_KINDS`` that are not ``event_words`` (both vectors renormalised without them)."""
    other = dict(member.terms)
    named = [article.terms[n][0] for n in article.named]
    named.extend(member.terms[n][0] for n in member.named)
    names = {term for term in named if folded(term) not in event_words}
    content = sum(w * other[t] for t, w in article.terms if t in other and t not in names)
    if not content:
        return 0.0
    return content / math.sqrt(
        unnamed_weight(article.terms, names) * unnamed_weight(member.terms, names)
    )


def unnamed_weight(vector: Vector, names: Set[str]) -> float:
    """The squared weight of the vector off the names."""
    return sum(w * w for term, w in vector if term not in names)


def coverage(vector: Vector, seen: Set[str]) -> float:
    """The share of the vector's squared weight on keys the story has (0.5 when empty)."""
    total = sum(w * w for _, w in vector)
    if not total:
        return 0.5
    return sum(w * w for key, w in vector if key in seen) / total


def gate(share: float, weight: float) -> float:
    return 1 - weight + weight * share


@dataclass(frozen=True, slots=True)
class Centroid:
    """The sum of a story's member term vectors, and its length. Shared by every placement
    that reads the same members (``CentroidCache``): read it, never change it."""

    weights: dict[str, float]
    norm: float

    def cosine(self, vector: Vector) -> float:
        """Cosine of an L2-normalised vector with the centroid (of part of one: that
        part's share of the whole vector's cosine)."""
        if not self.norm:
            return 0.0
        get = self.weights.get
        return sum(w * get(k, 0.0) for k, w in vector) / self.norm


def centroid(vectors: Iterable[Vector]) -> Centroid:
    total: dict[str, float] = {}
    get = total.get  # the hottest loop of story placement
    for vector in vectors:
        for key, weight in vector:
            total[key] = get(key, 0.0) + weight
    return Centroid(total, math.hypot(*total.values()))


class CentroidCache:
    """The centroids of the member lists placement reads again and again (a story in the
    news is a candidate for most articles of its event), the ``size`` last used. A list is
    known by its members' identity: the store parses a stored article's features once
    (``store.stories.parsed_features``) and the evaluation's index holds its own, so the
    same members are the same objects. An entry holds its members, so while it is kept
    no other object can take one of their ids. An entry is 5-20 KB (a few hundred terms),
    and its members at most 20 features of ~4 KB each that the store's cache of parsed
    features may have let go: 10-100 MB for 1,024 entries at worst."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[tuple[int, ...], tuple[Sequence[StoryFeatures], Centroid]]
        self.entries = OrderedDict()
        self.lock = threading.Lock()  # a retag places articles in a thread of its own

    def __call__(self, members: Sequence[StoryFeatures]) -> Centroid:
        key = tuple(map(id, members))
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
                return entry[1]
        found = centroid(m.terms for m in members)
        with self.lock:
            self.entries[key] = (members, found)
            if len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return found


# An article has up to twenty candidates: the lists of some fifty placements.
story_centroid = CentroidCache(1024)


def story_title(members: Sequence[tuple[str, StoryFeatures]]) -> str:
    """The headline of the member closest to the story's centroid (the first on a tie)."""
    if not members:
        return ""
    middle = centroid(features.terms for _, features in members)
    scores = [middle.cosine(features.terms) for _, features in members]
    return members[scores.index(max(scores))][0]


@dataclass
class StoryIndex:
    """Online story assignment over features held in memory, retrieving candidates as the
    store does: the stories of articles within ``STORY_WINDOW`` sharing a tag or a key term."""

    articles: dict[int, tuple[StoryFeatures, int]] = field(default_factory=dict)
    stories: dict[int, list[int]] = field(default_factory=dict)
    by_key: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    started: int = 0  # stories started so far: absorbed ones leave ``stories``

    def add(self, article_id: int, features: StoryFeatures) -> int:
        """File the article under a story (an existing one or a new one), move the stories
        it absorbs into it, and return its id."""
        candidates = self.candidates(features)
        story_id = choose_story(features, candidates)
        if story_id is None:
            self.started += 1
            story_id = self.started
            self.stories[story_id] = []
        else:
            for absorbed in absorbed_stories(features, story_id, candidates):
                self.move(absorbed, story_id)
        self.stories[story_id].append(article_id)
        self.articles[article_id] = (features, story_id)
        for key in lookup_keys(features):
            self.by_key[key].append(article_id)
        return story_id

    def move(self, story_id: int, into: int) -> None:
        """The articles of one story join another, as the store moves them."""
        for article_id in self.stories.pop(story_id):
            self.articles[article_id] = (self.articles[article_id][0], into)
            self.stories[into].append(article_id)

    def candidates(self, features: StoryFeatures) -> list[StoryCandidate]:
        """The ``CANDIDATE_STORIES`` stories sharing the most keys with the article through
        their articles within the window (the most recent first on a tie), as the store
        ranks them."""
        shared: dict[int, int] = defaultdict(int)
        for key in lookup_keys(features):
            for article_id in self.by_key.get(key, ()):
                other, story_id = self.articles[article_id]
                if within_window(features, other):
                    shared[story_id] += 1
        ranked = sorted(shared, key=lambda sid: (-shared[sid], -sid))[:CANDIDATE_STORIES]
        return [StoryCandidate(sid, self.latest_members(sid, features)) for sid in sorted(ranked)]

    def latest_members(self, story_id: int, features: StoryFeatures) -> tuple[StoryFeatures, ...]:
        """The story's ``MEMBERS_PER_STORY`` latest articles within the window of the
        article's date, in the order they were added, as the store reads them."""
        near = [
            (self.articles[a][0].published_at, a)
            for a in self.stories[story_id]
            if within_window(features, self.articles[a][0])
        ]
        latest = sorted(a for _, a in sorted(near)[-MEMBERS_PER_STORY:])
        return tuple(self.articles[a][0] for a in latest)

    def story_of(self, article_id: int) -> int:
        return self.articles[article_id][1]


def lookup_keys(features: StoryFeatures) -> tuple[str, ...]:
    """The keys candidate stories are found under: ``tag:<slug>`` and ``term:<term>``."""
    return (
        *(f"tag:{slug}" for slug in features.tag_slugs),
        *(f"term:{term}" for term in features.key_terms),
    )
