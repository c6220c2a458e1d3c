"""Console and JSON output of ``acrdoctor explain`` (the JSON contract is in docs/explain.md)."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.text import Text

from acrdoctor import __version__
from acrdoctor.textsafe import visible

from .model import Explanation, Match, Step

#: Bumped on any incompatible change to the JSON below (docs/explain.md).
EXPLAIN_SCHEMA_VERSION = 1
NOTHING = ("No known ACR failure recognised in the text. Run `acrdoctor diagnose --registry NAME` to check the "
           "registry itself, or paste the whole error (the JSON body, the az or acr purge output).")


def _step(step: Step) -> dict[str, Any]:
    return {"summary": step.summary, "commands": list(step.commands), "notes": list(step.notes)}


def match_to_dict(m: Match) -> dict[str, Any]:
    return {
        "failure_mode": m.failure_mode,
        "in_catalogue": m.in_catalogue,
        "title": m.title,
        "message": m.message,
        "cause": m.cause,
        "occurrences": m.occurrences,
        "first_line": m.first_line,
        "evidence": m.evidence,
        "extracted": m.extracted.as_dict(),
        "variables": m.variables,
        "confirm": _step(m.confirm),
        "fix": _step(m.fix),
        "notes": [n for n in (m.variable_note(), *m.notes) if n],
        "docs": list(m.docs),
    }


def explanation_to_dict(e: Explanation) -> dict[str, Any]:
    return {
        "schema_version": EXPLAIN_SCHEMA_VERSION,
        "tool": {"name": "acrdoctor", "version": __version__},
        "recognised": e.recognised,
        "lines": e.lines,
        "matches": [match_to_dict(m) for m in e.matches],
        "suggestion": None if e.recognised else NOTHING,
    }


def render_json(e: Explanation, pretty: bool = True) -> str:
    return json.dumps(explanation_to_dict(e), indent=2 if pretty else None) + "\n"


def _commands(console: Console, commands: tuple[str, ...]) -> None:
    for cmd in commands:
        console.print(Text("        $ ", style="dim") + Text(visible(cmd), style="green"), soft_wrap=True)


def _match(console: Console, m: Match) -> None:
    head = Text()
    head.append("[✗] ", style="red")
    head.append(m.failure_mode, style="bold")
    head.append(visible(f" · {m.title}"))
    if m.occurrences > 1:
        head.append(f" (seen {m.occurrences} times)", style="red")
    console.print(head)
    console.print(Text("    what: ", style="dim") + Text(visible(m.message)))
    console.print(Text("    why: ", style="dim") + Text(visible(m.cause)))
    found = m.extracted.as_dict()
    if found:
        console.print(Text("    found: ", style="dim") + Text(visible(", ".join(f"{k}={v}" for k, v in found.items()))))
    console.print(Text("    confirm: ", style="dim") + Text(visible(m.confirm.summary)))
    _commands(console, m.confirm.commands)
    for note in m.confirm.notes:
        console.print(Text("      • ", style="dim") + Text(visible(note)))
    console.print(Text("    fix: ", style="dim") + Text(visible(m.fix.summary)))
    _commands(console, m.fix.commands)
    for note in (*m.fix.notes, *m.notes):
        console.print(Text("      • ", style="dim") + Text(visible(note)))
    note = m.variable_note()
    if note:
        console.print(Text("      ! ", style="yellow") + Text(note, style="yellow"))
    for url in m.docs:
        console.print(Text("    docs: ", style="dim") + Text(url, style="underline"), soft_wrap=True)
    if not m.in_catalogue:
        console.print(Text("    (explain-only failure mode; see docs/explain.md)", style="dim"))


def render_console(e: Explanation, console: Console) -> None:
    console.print(Text(f"acrdoctor explain · {e.lines} line{'s' if e.lines != 1 else ''} read", style="bold"))
    console.print()
    if not e.matches:
        console.print(Text("• " + NOTHING, style="bold yellow"))
        return
    for m in e.matches:
        _match(console, m)
        console.print()
    n = len(e.matches)
    total = sum(m.occurrences for m in e.matches)
    seen = f"{total} occurrence{'s' if total != 1 else ''}"
    console.print(Text(f"! Recognised {n} failure{'s' if n != 1 else ''} ({seen}): "
                       + ", ".join(m.failure_mode for m in e.matches), style="bold red"))
