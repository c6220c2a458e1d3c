"""Score ``acrdoctor explain`` on the corpus of real cases: ``python bench/explain_corpus.py [--half tune]``.

Reads ``tests/explain/corpus/cases/*.json`` (docs/explain.md describes a case), runs explain on each text and
prints a table per failure mode (cases, recall, how often explain said it, precision, wrong fixes), then the
headline figures by kind (error texts, ticket descriptions), wrong fixes and crashes. ``--half tune`` scores the
half the recognisers are tuned on; ``--half holdout`` the half kept out of tuning, scored only to report;
``--half fresh``/``fresh2`` the sets gathered later, blind (``"half": "fresh"``); ``--half all`` every case.
``--misses`` lists every case not answered right, with what explain said (use it on the tune half only).
``--json`` prints the figures as JSON.

Targets (issue 13): at least 95 % of error texts and 85 % of ticket descriptions to the right failure mode, 0 wrong
fixes, 0 crashes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from acrdoctor.explain.scoring import HALVES, Score, load_cases, score, select  # noqa: E402

CORPUS = ROOT / "tests" / "explain" / "corpus" / "cases"


def figures(result: Score) -> dict[str, object]:
    return {
        "cases": len(result.outcomes),
        "errors": len(result.of("error")),
        "tickets": len(result.of("ticket")),
        "error_accuracy": round(result.accuracy("error"), 4),
        "ticket_accuracy": round(result.accuracy("ticket"), 4),
        "wrong_fixes": len(result.wrong_fixes),
        "crashes": len(result.crashes),
        "per_label": result.per_label(),
    }


def table(result: Score, title: str) -> str:
    rows = [f"{title}", f"{'failure mode':42} {'cases':>5} {'recall':>7} {'said':>5} {'precision':>9} {'wrong fix':>9}"]
    for label, f in result.per_label().items():
        rows.append(f"{label:42} {int(f['cases']):5d} {f['recall']:7.0%} {int(f['predicted']):5d} "
                    f"{f['precision']:9.0%} {int(f['wrong_fixes']):9d}")
    e, t = result.of("error"), result.of("ticket")
    rows.append(f"error texts: {sum(o.right for o in e)}/{len(e)} right ({result.accuracy('error'):.1%}); "
                f"ticket descriptions: {sum(o.right for o in t)}/{len(t)} right ({result.accuracy('ticket'):.1%}); "
                f"wrong fixes: {len(result.wrong_fixes)}; crashes: {len(result.crashes)}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--half", choices=[*HALVES, "all"], default="tune")
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--misses", action="store_true", help="list the cases not answered right")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    cases = select(load_cases(args.corpus), args.half)
    result = score(cases)
    if args.json:
        print(json.dumps(figures(result), indent=2))
        return 0
    print(table(result, f"explain on the {args.half} half of the corpus ({len(cases)} cases)"))
    if args.misses:
        for o in result.outcomes:
            if not o.right:
                mark = "WRONG FIX " if o.wrong_fix else ("CRASH " if o.crashed else "")
                print(f"- {mark}{o.case.id} [{o.case.kind}] label={o.case.label} said={o.predicted} {o.error}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
