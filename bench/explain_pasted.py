"""How many of explain's right answers survive the ways texts get pasted: ``python bench/explain_pasted.py``.

For every case of the corpus explain answers right as written (tests/explain/corpus), the text is changed the way a
CI log, a reply, a console, a web page or a mail client changes it (acrdoctor.explain.paste_forms) and judged again.
Prints one row per form: right answers kept, lost (with the first few case ids), wrong fixes and crashes.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from acrdoctor.explain.paste_forms import FORMS, composite  # noqa: E402
from acrdoctor.explain.scoring import judge, load_cases  # noqa: E402

CORPUS = ROOT / "tests" / "explain" / "corpus" / "cases"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("forms", nargs="*", help="only these forms (default: all, then all at once)")
    args = ap.parse_args(argv)
    forms = dict(FORMS, composite=composite)
    unknown = [f for f in args.forms if f not in forms]
    if unknown:
        ap.error(f"unknown form(s): {', '.join(unknown)}; known: {', '.join(forms)}")
    cases = load_cases(args.corpus)
    right = [c for c in cases if judge(c).right]
    print(f"{len(right)} of {len(cases)} cases answered right as written; each form applied to those:")
    print(f"{'form':28} {'kept':>9} {'errors':>9} {'tickets':>9} {'wrong fix':>9} {'crash':>5}  lost (first 4)")
    for name in args.forms or list(forms):
        outcomes = [(c, judge(replace(c, text=forms[name](c.text)))) for c in right]
        kept = [c for c, o in outcomes if o.right]
        per = {k: (sum(1 for c in kept if c.kind == k), sum(1 for c in right if c.kind == k))
               for k in ("error", "ticket")}
        lost = [c.id for c, o in outcomes if not o.right]
        print(f"{name:28} {len(kept):4d}/{len(right):<4d} {per['error'][0]:4d}/{per['error'][1]:<4d} "
              f"{per['ticket'][0]:4d}/{per['ticket'][1]:<4d} {sum(o.wrong_fix for _, o in outcomes):9d} "
              f"{sum(o.crashed for _, o in outcomes):5d}  {' '.join(lost[:4])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
