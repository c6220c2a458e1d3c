"""Score ``acrdoctor explain`` on a table of wordings: ``python bench/explain_wordings.py [FILE] [--misses]``.

A wordings table is JSON lines, one text per line with the failure it shows: ``tests/explain/ticket_wordings.jsonl``
(the default: customers' symptom descriptions per failure mode, read in ticket mode) has ``label``, ``text`` and
``style``; ``tests/explain/client_wordings.jsonl`` (each client's printed wording, read as an error text) has
``expect``. The table is the same as ``bench/explain_corpus.py``'s (per failure mode: cases, recall, how often explain
said it, precision, wrong fixes), then recall per writing style (or client). ``--half tune|holdout`` keeps the
rows whose text's SHA-256 starts with an even (tune) or odd (holdout) byte: rules are widened from the tune half's
misses only, and the holdout half is scored to report (docs/explain.md).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from acrdoctor.explain.scoring import Case, score  # noqa: E402
from bench.explain_corpus import table  # noqa: E402

TICKETS = ROOT / "tests" / "explain" / "ticket_wordings.jsonl"


def half_of(text: str) -> str:
    """Fixed by the text and nobody's choice, as the corpus halves are by the case id."""
    return ("tune", "holdout")[hashlib.sha256(text.encode()).digest()[0] % 2]


def load(path: Path, kind: str, half: str = "all") -> list[Case]:
    cases = []
    for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if half != "all" and half_of(row["text"]) != half:
            continue
        label = row.get("label") or row["expect"]
        extra = row.get("style") or row.get("client") or ""
        cases.append(Case(f"{path.stem}:{n}", row.get("basis") or row.get("evidence") or "", kind, label,
                          row["text"], note=extra))
    return cases


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", type=Path, default=TICKETS)
    ap.add_argument("--kind", choices=["ticket", "error"], default=None,
                    help="how to read the texts (default: ticket for a table with 'label', error for 'expect')")
    ap.add_argument("--half", choices=["tune", "holdout", "all"], default="all")
    ap.add_argument("--misses", action="store_true", help="list the rows not answered right")
    args = ap.parse_args(argv)
    first = json.loads(next(line for line in args.file.read_text("utf-8").splitlines() if line.strip()))
    kind = args.kind or ("ticket" if "label" in first else "error")
    cases = load(args.file, kind, args.half)
    result = score(cases)
    print(table(result, f"explain on {args.file.name}, {args.half} ({len(cases)} rows, read as {kind}s)"))
    styles: Counter[str] = Counter(c.note for c in cases)
    right: Counter[str] = Counter(o.case.note for o in result.outcomes if o.right)
    if len(styles) > 1:
        print("by " + ("style" if kind == "ticket" else "client") + ": " + ", ".join(
            f"{s or '-'} {right[s]}/{n}" for s, n in sorted(styles.items())))
    if args.misses:
        for o in result.outcomes:
            if not o.right:
                mark = "WRONG FIX " if o.wrong_fix else ("CRASH " if o.crashed else "")
                print(f"- {mark}{o.case.id} label={o.case.label} said={o.predicted} {o.error}\n    "
                      + o.case.text.replace("\n", " | ")[:400])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
