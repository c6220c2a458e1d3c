"""Console and JSON output of ``acrdoctor explain`` (the JSON contract is in docs/explain.md)."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.text import Text

from acrdoctor import __version__
from acrdoctor.textsafe import visible

from .model import Explanation, Match, Step

#: Bumped on any incompatible change to the JSON below (docs/explain.md). 2: ``matches`` in rank order (most likely
#: first) with ``rank`` and ``confidence``; ``evidence`` a list of ``{line, text}``; ``next_step``; ``mode``.
EXPLAIN_SCHEMA_VERSION = 2
NOTHING = ("No known ACR failure recognised in the text. Run `acrdoctor diagnose --registry NAME` to check the "
           "registry itself, or paste the whole error (the JSON body, the az or acr purge output).")


def _step(step: Step) -> dict[str, Any]:
    return {"summary": step.summary, "commands": list(step.commands), "notes": list(step.notes)}


def match_to_dict(m: Match, rank: int = 1) -> dict[str, Any]:
    return {
        "rank": rank,
        "failure_mode": m.failure_mode,
        "confidence": round(m.confidence, 2),
        "cause_elsewhere": m.failure_mode.startswith("elsewhere:"),
        "in_catalogue": m.in_catalogue,
        "title": m.title,
        "message": m.message,
        "cause": m.cause,
        "occurrences": m.occurrences,
        "first_line": m.first_line,
        "evidence": [{"line": n, "text": t} for n, t in (m.evidence_lines or ((m.first_line, m.evidence),))],
        "extracted": m.extracted.as_dict(),
        "variables": m.variables,
        "confirm": _step(m.confirm),
        "fix": _step(m.fix),
        "notes": [n for n in (m.variable_note(), *m.notes) if n],
        "docs": list(m.docs),
        "next_step": _step(m.next_step) if m.next_step else None,
    }


def explanation_to_dict(e: Explanation, ticket: bool = False) -> dict[str, Any]:
    return {
        "schema_version": EXPLAIN_SCHEMA_VERSION,
        "mode": "ticket" if ticket else "errors",
        "tool": {"name": "acrdoctor", "version": __version__},
        "recognised": e.recognised,
        "lines": e.lines,
        "matches": [match_to_dict(m, i) for i, m in enumerate(e.ranked, 1)],
        "suggestion": None if e.recognised else NOTHING,
        "next_step": _step(e.next_step) if e.next_step else None,
    }


def render_json(e: Explanation, pretty: bool = True, ticket: bool = False) -> str:
    return json.dumps(explanation_to_dict(e, ticket), indent=2 if pretty else None) + "\n"


def _percent(m: Match) -> str:
    return f"{round(m.confidence * 100)} %"


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
    head.append(f" · confidence {_percent(m)}", style="dim")
    console.print(head)
    if m.failure_mode.startswith("elsewhere:"):
        console.print(Text("    cause elsewhere: not an ACR failure; nothing in the registry needs changing",
                           style="yellow"))
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
    for n, line in m.evidence_lines:
        console.print(Text(f"    evidence (line {n}): ", style="dim") + Text(visible(line)), soft_wrap=True)
    if m.next_step:
        console.print(Text("    next: ", style="dim") + Text(visible(m.next_step.summary)))
        _commands(console, m.next_step.commands)
    for url in m.docs:
        console.print(Text("    docs: ", style="dim") + Text(url, style="underline"), soft_wrap=True)
    if not m.in_catalogue:
        console.print(Text("    (explain-only failure mode; see docs/explain.md)", style="dim"))


def _nothing(console: Console, e: Explanation) -> None:
    console.print(Text("• " + NOTHING, style="bold yellow"))
    if e.next_step:
        console.print(Text("    next: ", style="dim") + Text(visible(e.next_step.summary)))
        _commands(console, e.next_step.commands)
        for note in e.next_step.notes:
            console.print(Text("      ! ", style="yellow") + Text(visible(note), style="yellow"))


def render_console(e: Explanation, console: Console) -> None:
    console.print(Text(f"acrdoctor explain · {e.lines} line{'s' if e.lines != 1 else ''} read", style="bold"))
    console.print()
    if not e.matches:
        _nothing(console, e)
        return
    for m in e.ranked:
        _match(console, m)
        console.print()
    n = len(e.matches)
    total = sum(m.occurrences for m in e.matches)
    seen = f"{total} occurrence{'s' if total != 1 else ''}"
    console.print(Text(f"! Recognised {n} failure{'s' if n != 1 else ''} ({seen}): "
                       + ", ".join(m.failure_mode for m in e.ranked), style="bold red"))


def render_ticket(e: Explanation, console: Console) -> None:
    """A whole ticket, one answer: the most likely cause in full, then the other possible causes in a line each."""
    console.print(Text(f"acrdoctor explain --ticket · {e.lines} line{'s' if e.lines != 1 else ''} read", style="bold"))
    console.print()
    top = e.most_likely
    if top is None:
        _nothing(console, e)
        return
    console.print(Text(f"Most likely: {top.failure_mode} ({_percent(top)}) · ", style="bold")
                  + Text(visible(top.title), style="bold"))
    _match(console, top)
    others = e.ranked[1:]
    if others:
        console.print()
        console.print(Text("Also possible:", style="bold"))
        for m in others:
            console.print(Text(f"  • {m.failure_mode} ({_percent(m)}) · ") + Text(visible(m.title))
                          + Text(f" — line {m.first_line}", style="dim"))
