"""Scoring ``explain`` on a corpus of real cases: right failure mode first, never a wrong fix, never a crash.

A case is one JSON file (``tests/explain/corpus/cases/*.json``, format in docs/explain.md): the text a user pasted
or wrote, its source URL, and the failure mode the source established (``label``, plus ``also``: other answers the
text alone cannot tell apart). The corpus is split in two halves by a hash of the case id, so nobody chooses which
half a case lands in: recognisers are tuned on ``tune`` and the ``holdout`` half is scored only to report.

What counts:

* **right**: the top answer (highest confidence; the earliest on a tie) is the label or one of ``also``;
* **wrong fix**: the top answer is wrong *and* prints a command that changes something, or the cause is elsewhere
  (``elsewhere:*``) and any answer prints an ACR fix — telling a user to unlock, delete or grant for a problem
  that is not there is the one outcome worse than saying nothing;
* **abstained**: nothing recognised (not a wrong fix; it costs recall only);
* **crash**: explain raised.

Kept apart from the recognisers it judges, so tuning cannot quietly change the yardstick.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from acrdoctor.errors import InputError

from .core import explain, explain_ticket
from .model import Match

KINDS = ("error", "ticket")
#: ``fresh``, ``fresh2``: cases gathered after the two halves had both been looked at, by gatherers who never saw
#: the recognisers, each set scored once blind; a case says so with ``"half": "fresh"`` (no hash decides it).
HALVES = ("tune", "holdout", "fresh", "fresh2", "fresh3", "fresh4", "fresh5", "fresh6", "fresh7", "fresh8", "fresh9",
          "fresh10")
_LATER = ("fresh", "fresh2", "fresh3", "fresh4", "fresh5", "fresh6", "fresh7", "fresh8", "fresh9", "fresh10")
#: Prefix of the labels whose cause is not an ACR failure: explain must say so and print no ACR fix.
ELSEWHERE = "elsewhere:"
#: Those labels: the source registry of an import or cache rule, Docker Hub's pull limit, a Kubernetes pull secret
#: or AKS attachment, the client's own credentials, a mistyped name, a bug in the client, the client's network.
ELSEWHERE_LABELS = tuple(ELSEWHERE + x for x in (
    "source-registry", "docker-hub-rate-limit", "kubelet-pull-secret", "local-credentials", "typo", "client-bug",
    "network-client-side"))
#: Commands that only read: printing one for a wrong cause costs the user a minute, not a registry.
_READ_ONLY = (" show", " list", " check-health", " show-usage", " show-tags", " show-manifests", "acrdoctor ",
              "nslookup", "curl ", "az account", "az ad ", " login", "docker login", "kubectl get", "kubectl describe")


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    source: str
    kind: str
    label: str
    text: str
    also: tuple[str, ...] = ()
    names: dict[str, str] = field(default_factory=dict)
    note: str = ""
    later: str = ""

    @property
    def half(self) -> str:
        """``tune`` or ``holdout``, from the first byte of the id's SHA-256: fixed, and nobody's choice; or
        ``fresh``/``fresh2`` for a case gathered later as a new held-out set."""
        if self.later:
            return self.later
        return HALVES[hashlib.sha256(self.id.encode()).digest()[0] % 2]

    @property
    def accepted(self) -> frozenset[str]:
        return frozenset((self.label, *self.also))


def load_case(path: Path) -> Case:
    try:
        doc = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as err:
        raise InputError(f"{path}: not a corpus case ({err})") from None
    if not isinstance(doc, dict):
        raise InputError(f"{path}: not a corpus case (expected an object)")
    for key in ("id", "source", "kind", "label", "text"):
        if not isinstance(doc.get(key), str) or not doc[key]:
            raise InputError(f"{path}: missing or empty '{key}'")
    if doc["kind"] not in KINDS:
        raise InputError(f"{path}: kind must be one of {', '.join(KINDS)}")
    names = doc.get("names") or {}
    also = doc.get("also") or []
    if not isinstance(names, dict) or not isinstance(also, list):
        raise InputError(f"{path}: 'names' must be an object and 'also' an array")
    half = doc.get("half")
    if half is not None and half not in _LATER:
        raise InputError(f"{path}: 'half' may only be one of {', '.join(_LATER)} (the others come from the id's hash)")
    return Case(doc["id"], doc["source"], doc["kind"], doc["label"], doc["text"], tuple(map(str, also)),
                {str(k): str(v) for k, v in names.items()}, str(doc.get("note") or ""), half or "")


def load_cases(root: Path) -> list[Case]:
    cases = [load_case(p) for p in sorted(root.glob("*.json"))]
    seen = Counter(c.id for c in cases)
    dupes = [i for i, n in seen.items() if n > 1]
    if dupes:
        raise InputError(f"{root}: duplicate case ids: {', '.join(sorted(dupes))}")
    return cases


def changes_something(match: Match) -> bool:
    """Whether the match's fix prints a command that is not a read (an ACR fix, in the sense above)."""
    return any(not any(r in f" {c}" for r in _READ_ONLY) for c in match.fix.commands)


@dataclass(frozen=True, slots=True)
class Outcome:
    case: Case
    predicted: str | None
    right: bool
    wrong_fix: bool
    crashed: bool = False
    error: str = ""
    names_found: int = 0


def judge(case: Case) -> Outcome:
    try:
        # A ticket is read as support reads it, in ticket mode (explain --ticket); an error text as pasted.
        read = explain_ticket if case.kind == "ticket" else explain
        matches = list(read(case.text).ranked)
    except Exception as err:  # noqa: BLE001 - a crash is a measured outcome, not the end of the run
        return Outcome(case, None, False, False, True, f"{type(err).__name__}: {err}")
    top = matches[0] if matches else None
    predicted = top.failure_mode if top else None
    right = predicted in case.accepted
    if case.label.startswith(ELSEWHERE):
        wrong_fix = any(not m.failure_mode.startswith(ELSEWHERE) and changes_something(m) for m in matches)
    else:
        wrong_fix = top is not None and not right and changes_something(top)
    found = 0
    if top is not None:
        extracted = top.extracted.as_dict()
        found = sum(1 for k, v in case.names.items() if extracted.get(k) == v)
    return Outcome(case, predicted, right, wrong_fix, names_found=found)


@dataclass(frozen=True, slots=True)
class Score:
    outcomes: tuple[Outcome, ...]

    def of(self, kind: str | None = None) -> list[Outcome]:
        return [o for o in self.outcomes if kind is None or o.case.kind == kind]

    def accuracy(self, kind: str | None = None) -> float:
        got = self.of(kind)
        return sum(o.right for o in got) / len(got) if got else 0.0

    @property
    def wrong_fixes(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.wrong_fix]

    @property
    def crashes(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.crashed]

    def per_label(self) -> dict[str, dict[str, float]]:
        """Precision and recall per failure mode (a case counts for its label; a prediction for what it said)."""
        support: Counter[str] = Counter(o.case.label for o in self.outcomes)
        hits: Counter[str] = Counter(o.case.label for o in self.outcomes if o.right)
        said: Counter[str] = Counter(o.predicted for o in self.outcomes if o.predicted)
        said_right: Counter[str] = Counter(o.predicted for o in self.outcomes if o.predicted and o.right)
        wrong: dict[str, int] = defaultdict(int)
        for o in self.wrong_fixes:
            wrong[o.case.label] += 1
        out: dict[str, dict[str, float]] = {}
        for label in sorted(set(support) | set(said)):
            out[label] = {
                "cases": support[label],
                "recall": hits[label] / support[label] if support[label] else 0.0,
                "predicted": said[label],
                "precision": said_right[label] / said[label] if said[label] else 0.0,
                "wrong_fixes": wrong.get(label, 0),
            }
        return out


def score(cases: Iterable[Case]) -> Score:
    return Score(tuple(judge(c) for c in cases))


def select(cases: Sequence[Case], half: str | None) -> list[Case]:
    return [c for c in cases if half in (None, "all") or c.half == half]
