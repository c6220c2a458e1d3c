"""The last reading of a ticket that no rule recognised: which labelled tickets its words are most like.

The rules (error codes, client wordings, symptom cues) are precise but each meets only the situations it was
written from: measured blind, rules written from one table's misses answered almost none of the next table's
(docs/explain.md). What does carry from one customer to the next is vocabulary: a ticket about a refused delete
says "delete", "role", "pipeline" and "unauthorized" whatever else it says. So a ticket no rule recognises is
compared, word by word, with the labelled tickets of ``tests/explain`` (the corpus's tickets and the wording tables,
all written here): each word and word pair present votes with how much more often it occurs in one cause's tickets
than in the others' (a smoothed log-odds ratio, as in a Bernoulli naive Bayes). The answer is a guess: it ranks
below every rule's answer (:data:`CONFIDENCE`), never prints a command that changes anything, and says which words
decided it, so a support engineer can see why.

The counts live in ``acrdoctor/data/ticket_vocabulary.json``, built by ``bench/vocabulary.py --write`` from the
tables (a test keeps the file equal to what the tables give, so it cannot drift from them).
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import pairwise

#: Where the counts are kept (in the package, so an installed wheel has them).
DATA_FILE = "ticket_vocabulary.json"
#: A guess from words ranks below every rule's answer (the prose reader's lowest is 0.45).
CONFIDENCE = 0.35
#: A word seen in fewer labelled tickets than this is a name (a registry, a repository), not vocabulary.
MIN_ROWS = 2
#: How much the best cause must lead (in summed log-odds) for a guess to be given, and how far ahead of the
#: runner-up: below either, the words do not single out one cause.
MIN_SCORE = 6.0
MIN_MARGIN = 1.0
#: How much more (summed log-odds) a text's words must be like the tickets about a registry failure than like those
#: about something else for a guess (:func:`on_topic`): at 0, 16 of the 160 off-topic tickets were guessed, at 2, 8,
#: for 2 right guesses of 1,083 on-topic tickets (bench/vocabulary.py, 2026-12-04).
ON_TOPIC = 2.0
#: The fewest known words a text must hold: three words of a ticket are not a ticket.
MIN_KNOWN = 6
#: The label of tickets about something else (an App Service outage, a crashing pod whose image pulled fine, a
#: pricing question): when they are what a text is most like, there is no guess.
OTHER = "none"
#: How much of a ticket is read (the same beginning the whole-ticket reading uses).
MAX_CHARS = 16_384
#: Words only a text about a registry holds: its name or client, what it stores, the checks of ACR (a Cosmos DB or blob
#: "container" is not one; a "pull request" is not a pull).
_REGISTRY_WORDS = re.compile(
    r"registr|\bacr\b|azurecr|\bimages?\b|repositor|\brepos?\b|manifest|\bdocker|podman|\bhelm\b|\boras\b|skopeo|"
    r"\bcrane\b|purg|artifact|kubelet|\bpull(?!\s+requests?\b)|\bpush|\btags?\b|\bdigest|sha256:|\bcharts?\b|containerd|"
    r"nerdctl|buildah|kaniko|check-health|CONNECTIVITY_|show-usage|geo-?replicat|\bmirror|"
    r"cache rule|credential set|"
    r"from (?:Basic|Standard|Premium) to (?:Basic|Standard|Premium)\b", re.IGNORECASE)


def speaks_of_a_registry(text: str) -> bool:
    """Whether the text's beginning names a registry, an image or one of their clients: a ticket that does not is
    about something else, whatever error words it holds (a Cosmos DB 429, a storage account's firewall)."""
    return _REGISTRY_WORDS.search(text, 0, MAX_CHARS) is not None


_WORD = re.compile(r"[a-z][a-z0-9]+|\b[1-5]\d\d\b")
#: Words every ticket holds whatever its cause: they carry no vote and only cost a lookup.
_STOP = frozenset((
    "the", "and", "for", "that", "with", "this", "was", "are", "have", "has", "from", "but", "when", "our",
    "you", "your", "its", "can", "all", "any", "out", "get", "got", "how", "what", "why", "who", "which", "there",
    "their", "them", "they", "then", "than", "into", "also", "just", "been", "being", "were", "will", "would",
    "could", "should", "does", "did", "don't", "doesn't", "about", "after", "before",
    "some", "more", "most", "very",
))


def tokens(text: str) -> frozenset[str]:
    """The words of a text (lower case, three letters or more, and HTTP statuses) and each adjacent pair."""
    words = [w for w in _WORD.findall(text[:MAX_CHARS].lower()) if (len(w) > 2 and w not in _STOP)]
    return frozenset(words) | frozenset(f"{a} {b}" for a, b in pairwise(words))


@dataclass(frozen=True, slots=True)
class Model:
    """For each label, how many labelled tickets it has; for each word, in how many of each label's it occurs."""

    rows: dict[str, int]
    counts: dict[str, dict[str, int]]

    def to_json(self) -> str:
        return json.dumps({"rows": dict(sorted(self.rows.items())),
                           "counts": {w: dict(sorted(c.items())) for w, c in sorted(self.counts.items())}},
                          ensure_ascii=True, separators=(",", ":"), sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Model:
        data = json.loads(text)
        return cls({str(k): int(v) for k, v in data["rows"].items()},
                   {str(w): {str(k): int(v) for k, v in c.items()} for w, c in data["counts"].items()})


def train(rows: Iterable[tuple[str, str]]) -> Model:
    """Count each word's tickets per label over ``(text, label)`` rows; words in fewer than :data:`MIN_ROWS`
    tickets are dropped (names, typos), which also keeps the file small."""
    per_label: Counter[str] = Counter()
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for text, label in rows:
        per_label[label] += 1
        for word in tokens(text):
            counts[word][label] += 1
    kept = {w: dict(c) for w, c in counts.items() if sum(c.values()) >= MIN_ROWS}
    return Model(dict(per_label), kept)


@dataclass(frozen=True, slots=True)
class Guess:
    """The label the words lean to, how strongly, by how much over the next, and the words that voted most."""

    label: str
    score: float
    margin: float
    runner_up: str
    words: tuple[str, ...]


def _weights(model: Model, word: str, total_rows: int) -> dict[str, float]:
    """The word's vote for each label: log(P(word | label) / P(word | other labels)), add-half smoothed."""
    c = model.counts[word]
    total = sum(c.values())
    out = {}
    for label, n in model.rows.items():
        k = c.get(label, 0)
        out[label] = math.log((k + 0.5) / (n + 1)) - math.log((total - k + 0.5) / (total_rows - n + 1))
    return out


def _known(model: Model, text: str) -> list[str]:
    """The text's words and pairs that the counts hold, in a fixed order (the only ones that vote)."""
    return sorted(w for w in tokens(text) if w in model.counts)


def on_topic(model: Model, text: str) -> float:
    """How much more the text's words are like the tickets about a registry failure, all causes pooled, than like
    the tickets about something else (:data:`OTHER`): summed log-odds, above 0 when more like the former.

    Measured on the off-topic tickets of one half with the counts of the other: without this, the cause with the
    most registry words won for 49 of 160 of them (an App Service outage that names a container, a crashing pod);
    with it, for 6, at the cost of 3 of 42 right guesses on the wording tables (bench/vocabulary.py, four tables)."""
    return _on_topic(model, _known(model, text))


def _on_topic(model: Model, known: Sequence[str]) -> float:
    off_rows = model.rows.get(OTHER, 0)
    on_rows = sum(model.rows.values()) - off_rows
    if not off_rows:
        return math.inf  # nothing counted to tell a ticket about something else by
    total = 0.0
    for word in known:
        c = model.counts[word]
        off = c.get(OTHER, 0)
        on = sum(c.values()) - off
        total += math.log((on + 0.5) / (on_rows + 1)) - math.log((off + 0.5) / (off_rows + 1))
    return total


def scores(model: Model, text: str) -> tuple[dict[str, float], dict[str, list[tuple[float, str]]]]:
    """Each label's summed vote over the text's known words, and each label's words with their votes."""
    return _scores(model, _known(model, text))


def _scores(model: Model, known: Sequence[str]) -> tuple[dict[str, float], dict[str, list[tuple[float, str]]]]:
    total: dict[str, float] = dict.fromkeys(model.rows, 0.0)
    votes: dict[str, list[tuple[float, str]]] = defaultdict(list)
    total_rows = sum(model.rows.values())
    for word in known:
        for label, w in _weights(model, word, total_rows).items():
            total[label] += w
            if w > 0:
                votes[label].append((w, word))
    return total, votes


#: The last guess, with the counts and text it was made from: a ticket's scan guesses, then the answer's builder asks
#: again for the same text (about 60 ms on 16 KiB); one entry, replaced whole, so a reader never sees half of it.
_last: tuple[Model, str, Guess | None] | None = None


def guess(text: str, model: Model | None = None) -> Guess | None:
    """The cause whose labelled tickets the text's words are most like, or None when they single out none."""
    global _last
    model = model or shipped()
    last = _last
    if last is not None and last[0] is model and last[1] == text:
        return last[2]
    found = _guess(text, model)
    _last = (model, text, found)
    return found


def _guess(text: str, model: Model) -> Guess | None:
    if len(model.rows) < 2 or not speaks_of_a_registry(text):
        return None
    known = _known(model, text)
    if len(known) < MIN_KNOWN:
        return None
    total, votes = _scores(model, known)
    ranked = sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))
    (label, best), (second, next_best) = ranked[0], ranked[1]
    if label == OTHER or best < MIN_SCORE or best - next_best < MIN_MARGIN or _on_topic(model, known) < ON_TOPIC:
        return None
    words = tuple(w for _, w in sorted(votes[label], key=lambda v: (-v[0], v[1]))[:6])
    return Guess(label, round(best, 2), round(best - next_best, 2), second, words)


@lru_cache(maxsize=1)
def shipped() -> Model:
    """The counts in the package (read once, on the first ticket that needs them)."""
    return Model.from_json(resources.files("acrdoctor.data").joinpath(DATA_FILE).read_text("utf-8"))
