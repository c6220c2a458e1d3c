"""Run every recogniser over a text and group what they find: one match per failure mode, with a count."""

from __future__ import annotations

import re
from collections import defaultdict

from .model import Explanation, Match
from .names import around, logical_lines, normalise
from .recognisers import RECOGNISERS, REGISTRY_LEVEL, Hit, Recogniser

#: How many lines before a hit classify it (the command that was run, "Deleting tags for repository: …").
CONTEXT_LINES = 8
EVIDENCE_CHARS = 400

#: A check-health title line ("An error occurred: CODE") and an SDK status line ("Operation returned an
#: invalid status 'Not Found'") belong with the line after them: one error, not two.
_JOIN_NEXT = re.compile(r"(?:An error occurred: [A-Z_]+|Operation returned an invalid status '[^']*'|"
                        r"Service request failed\.|Status: \d{3} \([^)]*\))\s*$")


def _lines(text: str) -> list[str]:
    out: list[str] = []
    for line in logical_lines(normalise(text)):
        if out and _JOIN_NEXT.search(out[-1]) and line:
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return out


def _catalogue_slugs() -> frozenset[str]:
    from acrdoctor.engine import builtin_checks

    return frozenset(c.slug for c in builtin_checks())


def explain(text: str) -> Explanation:
    """Find every known ACR failure in ``text`` (an error message, a log, a pasted command and its output)."""
    lines = _lines(text)
    whole = "\n".join(lines)
    found: list[tuple[int, Recogniser, str, str]] = []
    for i, line in enumerate(lines):
        if not line:
            continue
        context = "\n".join(lines[max(0, i - CONTEXT_LINES):i + 1])
        for rec in RECOGNISERS:
            mode = rec.detect(line, context, whole)
            if mode is not None:
                found.append((i, rec, mode, context))
    error_lines = frozenset(i for i, _, _, _ in found)
    hits: dict[tuple[Recogniser, str], list[Hit]] = defaultdict(list)
    for i, rec, mode, context in found:
        names = around(lines, i, CONTEXT_LINES, others=error_lines - {i}, objects_nearby=mode not in REGISTRY_LEVEL)
        hits[(rec, mode)].append(Hit(i, lines[i], names, context))
    catalogue = _catalogue_slugs()
    matches: list[Match] = []
    for (rec, mode), group in hits.items():
        built = rec.build(mode, group)
        first = group[0]
        evidence = first.line if len(first.line) <= EVIDENCE_CHARS else first.line[:EVIDENCE_CHARS] + "…"
        matches.append(Match(
            failure_mode=mode, title=built.title, message=built.message, cause=built.cause,
            extracted=built.extracted or first.names, confirm=built.confirm, fix=built.fix, docs=built.docs,
            occurrences=len(group), evidence=evidence, in_catalogue=mode in catalogue, notes=built.notes,
            first_line=first.index + 1, targets=tuple(h.names for h in group),
        ))
    matches.sort(key=lambda m: m.first_line)
    return Explanation(tuple(matches), len(lines))
