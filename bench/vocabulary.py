"""Build and measure the ticket vocabulary: ``python bench/vocabulary.py [--write]``.

``--write`` counts the words of every labelled ticket (the corpus's tickets and the wording tables of
``tests/explain``) into ``acrdoctor/data/ticket_vocabulary.json``. Without it, the vocabulary is measured the only
honest way, on tickets it was not built from: each wording table is scored with the counts of all the other
tickets, and the corpus's tickets in five folds (by the SHA-256 of the case's source, so two texts of one thread
stay together), each with the counts of the tables and the other four folds. The table prints, per set: the rules
alone, the vocabulary alone, and both (the vocabulary answering only where no rule did, as ``explain --ticket``
does), with the wrong fixes of both.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from acrdoctor.explain import explain_ticket, recognise_vocabulary, vocabulary  # noqa: E402
from acrdoctor.explain.scoring import Case, changes_something, load_cases  # noqa: E402
from bench.explain_wordings import half_of  # noqa: E402

EXPLAIN = ROOT / "tests" / "explain"
#: The wording tables the counts come from (every row a ticket with its label).
TABLES = tuple(sorted(EXPLAIN.glob("ticket_wordings*.jsonl")))
#: Tickets about something else (label "none"): what the vocabulary learns to leave unanswered.
OFF_TOPIC = EXPLAIN / "off_topic_tickets.jsonl"
OUT = ROOT / "acrdoctor" / "data" / vocabulary.DATA_FILE
FOLDS = 5


def table_rows(path: Path) -> list[tuple[str, str]]:
    return [(r["text"], r["label"]) for r in map(json.loads, path.read_text("utf-8").splitlines()) if r]


def corpus_tickets() -> list[Case]:
    return [c for c in load_cases(EXPLAIN / "corpus" / "cases") if c.kind == "ticket"]


def training_rows() -> list[tuple[str, str]]:
    """Every labelled ticket, in a fixed order: the tables', the off-topic ones, then the corpus's (by id)."""
    return [row for t in (*TABLES, OFF_TOPIC) for row in table_rows(t)] + [(c.text, c.label) for c in corpus_tickets()]


def fold_of(case: Case) -> int:
    return hashlib.sha256(case.source.encode()).digest()[0] % FOLDS


@contextlib.contextmanager
def counts(model: vocabulary.Model) -> Iterator[None]:
    """explain --ticket with these counts instead of the shipped ones (the scan asks vocabulary.shipped())."""
    shipped = vocabulary.shipped
    vocabulary.shipped = lambda: model  # type: ignore[assignment]
    try:
        yield
    finally:
        vocabulary.shipped = shipped  # type: ignore[assignment]


def judge(rows: list[tuple[str, frozenset[str]]], model: vocabulary.Model) -> dict[str, int]:
    """Right answers of the rules alone, the vocabulary alone and both, and the wrong fixes of both."""
    out = {"rows": len(rows), "rules": 0, "vocabulary": 0, "both": 0, "wrong fixes": 0, "guessed": 0}
    def right(said: str | None, accepted: frozenset[str]) -> bool:
        return said in accepted if said is not None else not accepted  # off topic: right when unanswered

    with counts(model):
        for text, accepted in rows:
            ranked = explain_ticket(text).ranked
            top = ranked[0] if ranked else None
            by_rules = top is not None and recognise_vocabulary.NOTE not in top.notes
            alone = vocabulary.guess(text, model)
            out["rules"] += right(top.failure_mode if top is not None and by_rules else None, accepted)
            out["vocabulary"] += right(alone.label if alone is not None else None, accepted)
            out["both"] += right(top.failure_mode if top is not None else None, accepted)
            out["guessed"] += top is not None and not by_rules
            out["wrong fixes"] += top is not None and top.failure_mode not in accepted and changes_something(top)
    return out


def measure() -> list[tuple[str, dict[str, int]]]:
    results = []
    tables = {t: table_rows(t) for t in (*TABLES, OFF_TOPIC)}
    cases = corpus_tickets()
    for held in TABLES:
        rest = [r for t, rows in tables.items() if t != held for r in rows] + [(c.text, c.label) for c in cases]
        rows = [(text, frozenset({label})) for text, label in tables[held]]
        results.append((held.name, judge(rows, vocabulary.train(rest))))
    # Off-topic tickets by halves (the SHA-256 of the text), each scored with the counts of the other half and all
    # the rest: with none of them counted, "none" is no label the words could lean to. Right is no answer at all.
    for half in ("tune", "holdout"):
        rest = [r for t, rows in tables.items() if t != OFF_TOPIC for r in rows] + [(c.text, c.label) for c in cases]
        rest += [r for r in tables[OFF_TOPIC] if half_of(r[0]) != half]
        rows = [(text, frozenset()) for text, _ in tables[OFF_TOPIC] if half_of(text) == half]
        results.append((f"{OFF_TOPIC.name}, {half} half", judge(rows, vocabulary.train(rest))))
    for k in range(FOLDS):
        rest = [r for rows in tables.values() for r in rows] + [(c.text, c.label) for c in cases if fold_of(c) != k]
        rows = [(c.text, frozenset(c.accepted)) for c in cases if fold_of(c) == k]
        results.append((f"corpus tickets, fold {k + 1}/{FOLDS}", judge(rows, vocabulary.train(rest))))
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help=f"write {OUT.relative_to(ROOT)} from the labelled tickets")
    args = ap.parse_args(argv)
    if args.write:
        model = vocabulary.train(training_rows())
        OUT.write_text(model.to_json(), "utf-8")
        print(f"wrote {OUT.relative_to(ROOT)}: {sum(model.rows.values())} tickets, {len(model.rows)} causes, "
              f"{len(model.counts)} words, {OUT.stat().st_size} bytes")
        return 0
    head = ("set", "rows", "rules", "vocabulary", "both", "guessed", "wrong fixes")
    print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    total = dict.fromkeys(head[1:], 0)
    for name, r in measure():
        print(f"| {name} | " + " | ".join(str(r[h]) for h in head[1:]) + " |")
        if name.startswith("corpus"):
            for h in head[1:]:
                total[h] += r[h]
    print("| corpus tickets, all folds | " + " | ".join(str(total[h]) for h in head[1:]) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
