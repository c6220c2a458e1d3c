"""How ``acrdoctor explain`` copes with hostile lines: ``python bench/explain_hostile.py [--length 16384]``.

A pasted log is input we do not control. A regular expression that rescans a long token from every position in it
turns one crafted line into seconds of work (quadratic) or worse. This bench builds lines of ``--length`` characters
(explain examines at most 16 KiB of a line) by repeating short units that the recognisers' patterns care about
(``a:``, ``a-``, ``/v2/a/``, ``x.azurecr.io/``, quotes, words of a sentence…), with and without a keyword that lets
the line through the prefilter, and prints:

* the slowest of the explain modules' own patterns on those lines (each pattern on each line), and
* ``explain`` itself on a text made of all of them, per unit, the slowest first.

Nothing is asserted: the numbers go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from acrdoctor.explain import explain, explain_ticket  # noqa: E402

MODULES = ("recognisers", "recognise_elsewhere", "recognise_prose", "recognise_access", "recognise_content",
           "recognise_locks", "recognise_policy", "names", "next_steps", "reading", "core", "pasted", "paragraphs")
UNITS = ("a:", "a ", "a.", "a-", "a/", "aa", "the registry ", "same registry works ", "azurecr.", "x.azurecr.io/",
         "/v2/a/", "sha256:", "map[a:b ", "fail ", "since we ", "docker push ", "401 ", "after we moved to 1.2 ",
         '{"a":', '\\"', "a=", "$A", "${A}", "'a'", '"a" ', "<a>", "our registry contoso ", "http://", "1.2.3.",
         "lookup a on ", "azure.cr.", "AADSTS12345 ", "x509: ", "unauthorized ", "not found ", "credential set ",
         "> ", ">", "##[error]", "#1 0.1 ", "&quot;", "&", "\x1b[0m", "\x1b]", "2024-05-01T10:00:00Z ", "- ", "--a ")
#: The hostile ticket: this many lines of this many characters.
TICKET_LINES, TICKET_WIDTH = 200, 1000
#: Words that open the keyword prefilter for many recognisers, appended to a hostile line.
OPENERS = ("", " not found", " unauthorized: authentication required", " denied", " 401", " we cannot push")


def patterns() -> list[tuple[str, re.Pattern[str]]]:
    found: list[tuple[str, re.Pattern[str]]] = []
    names = [f"acrdoctor.explain.{m}" for m in MODULES] + ["acrdoctor.checks.delete_permission"]
    for name in names:
        for key, value in vars(importlib.import_module(name)).items():
            if isinstance(value, re.Pattern):
                found.append((f"{name.rsplit('.', 1)[1]}.{key}", value))
    return found


def line_of(unit: str, length: int, opener: str) -> str:
    body = (unit * (length // len(unit) + 1))[: length - len(opener) - 1]
    return body + "!" + opener


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--length", type=int, default=16 * 1024, help="characters per hostile line")
    ap.add_argument("--top", type=int, default=8, help="rows per table")
    args = ap.parse_args(argv)

    worst: list[tuple[float, str, str]] = []
    for name, pattern in patterns():
        slowest = (0.0, "")
        for unit in UNITS:
            text = line_of(unit, args.length, "")
            start = time.perf_counter()
            pattern.search(text)
            took = time.perf_counter() - start
            slowest = max(slowest, (took, unit))
        worst.append((slowest[0], name, slowest[1]))
    worst.sort(reverse=True)
    print(f"one hostile line of {args.length:,} characters, each explain pattern (slowest {args.top}):")
    print(f"{'pattern':<48} {'unit':<24} {'ms':>8}")
    for took, name, unit in worst[: args.top]:
        print(f"{name:<48} {unit!r:<24} {took * 1000:>8.1f}")

    rows: list[tuple[float, str]] = []
    for unit in UNITS:
        text = "\n".join(line_of(unit, args.length, opener) for opener in OPENERS)
        start = time.perf_counter()
        explain(text)
        rows.append((time.perf_counter() - start, unit))
    rows.sort(reverse=True)
    total = sum(t for t, _ in rows)
    print()
    print(f"explain on {len(OPENERS)} hostile lines per unit ({len(OPENERS) * args.length / 1024:,.0f} KiB each), "
          f"slowest {args.top}; all {len(UNITS)} units: {total:.2f} s")
    print(f"{'unit':<24} {'s':>8} {'KiB/s':>10}")
    for took, unit in rows[: args.top]:
        print(f"{unit!r:<24} {took:>8.3f} {len(OPENERS) * args.length / 1024 / max(took, 1e-9):>10,.0f}")

    # Ticket mode reads 40 lines before each sentence and joins wrapped paragraphs: many long lines of sentence
    # words are its worst case (each line a sentence to score).
    ticket_rows: list[tuple[float, str]] = []
    for unit in (*UNITS, "We tried ", "unauthorized. The ", "our storage did not go down "):
        line = (unit * (TICKET_WIDTH // len(unit) + 1))[:TICKET_WIDTH]
        start = time.perf_counter()
        explain_ticket("\n".join([line] * TICKET_LINES))
        ticket_rows.append((time.perf_counter() - start, unit))
    ticket_rows.sort(reverse=True)
    size = TICKET_LINES * (TICKET_WIDTH + 1) / 1024
    print()
    print(f"explain --ticket on {TICKET_LINES} lines of {TICKET_WIDTH} characters per unit ({size:,.0f} KiB each), "
          f"slowest {args.top}")
    print(f"{'unit':<24} {'s':>8} {'KiB/s':>10}")
    for took, unit in ticket_rows[: args.top]:
        print(f"{unit!r:<24} {took:>8.3f} {size / max(took, 1e-9):>10,.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
