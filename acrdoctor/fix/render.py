"""How a fix plan, an applied run and a journal look: on the console (flutter-doctor style) and as JSON."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console

from acrdoctor import __version__
from acrdoctor.fix.apply import ApplyResult
from acrdoctor.fix.digest import plan_digest
from acrdoctor.fix.journal import JournalState
from acrdoctor.fix.model import FixPlan, Step, runs
from acrdoctor.fix.outcome import Outcome
from acrdoctor.fix.run import FixRun
from acrdoctor.snapshot_io import gc_paused
from acrdoctor.textsafe import markup
from acrdoctor.units import human_bytes, plural

#: 2: the plan inside is plan version 2 (manifest deletes grouped per repository; ``--expand`` lists each step).
FIX_SCHEMA_VERSION = 2
#: The console lists this many steps of each phase; a plan of 100,000 deletes stays readable.
SHOWN_PER_PHASE = 25
_MARK = {"done": "[green]✓[/]", "already": "[green]=[/]", "failed": "[red]✗[/]", "skipped": "[yellow]![/]",
         "not-run": "[yellow]-[/]"}

_VERIFIED = {"fixed": "[green]✓[/]", "improved": "[green]~[/]", "relocked": "[green]=[/]", "not fixed": "[red]✗[/]"}


def _freed(plan: FixPlan) -> str:
    if not plan.freed_bytes:
        return ""
    return ("" if plan.bytes_exact else "at least ") + human_bytes(plan.freed_bytes)


def render_plan(plan: FixPlan, console: Console, *, verbose: bool = False) -> None:
    rg = f" (resource group {plan.resource_group})" if plan.resource_group else ""
    console.print(f"[bold]Fix plan for {markup(plan.registry)}[/]{markup(rg)}: "
                  f"{plural(len(plan.steps), 'step')} for {plural(len(plan.findings), 'finding')}")
    console.print(f"  checks: {markup(', '.join(plan.checks))}", style="dim")
    console.print(f"  plan {plan_digest(plan)} (--plan-digest pins it for --yes)", style="dim")
    for slug, why in (plan.options.get("skipped_checks") or {}).items():
        console.print(f"  [yellow]![/] {markup(slug)} skipped: {markup(why)}")
    shown: dict[str, int] = {}
    groups = runs(plan.steps)
    for run in groups:
        phase = run[0].phase
        shown[phase] = shown.get(phase, 0) + 1
        if verbose or shown[phase] <= SHOWN_PER_PHASE:
            if len(run) == 1:
                _plan_step(run[0], console)
            else:
                _plan_group(run, console, verbose)
        elif shown[phase] == SHOWN_PER_PHASE + 1:
            rest = [r for r in groups if r[0].phase == phase][SHOWN_PER_PHASE:]
            console.print(f"\n  … and {sum(map(len, rest)):,} more {phase} steps in {plural(len(rest), 'group')} "
                          "(--verbose or -o json --expand lists every one)")
    freed = _freed(plan)
    if freed:
        billing = plan.options.get("after_delete")
        console.print(f"\nThe deletes free {freed} of blobs nothing else in the registry uses."
                      + (f" {markup(str(billing))}" if billing else ""))
    if plan.left_out:
        console.print(f"\n[yellow]Left out[/] ({len(plan.left_out)}):")
        for x in plan.left_out if verbose else plan.left_out[:20]:
            console.print(f"  [yellow]![/] {markup(x.subject)}: {markup(x.reason)}")
        if not verbose and len(plan.left_out) > 20:
            console.print(f"  … and {len(plan.left_out) - 20} more (--verbose lists them)")
    if plan.manual:
        console.print(f"\n[bold]Not applied by acrdoctor[/] ({len(plan.manual)}): run these yourself if you want "
                      "them")
        for m in plan.manual:
            console.print(f"  • {markup(m.finding)}: {markup(m.reason)}")
            for c in m.commands:
                console.print(f"      {markup(c)}", style="cyan", soft_wrap=True)


def _plan_step(step: Step, console: Console) -> None:
    console.print(f"\n  {step.number:>3}. [bold]{markup(step.action.describe())}[/]  [dim]({step.phase})[/]")
    for c in step.action.commands():
        console.print(f"       {markup(c)}", style="cyan", soft_wrap=True)
    if step.impact:
        console.print(f"       impact: {markup(step.impact)}", style="dim")
    if step.after:
        console.print(f"       runs only if step {', '.join(map(str, step.after))} succeeded", style="dim")


#: Commands shown under a group of deletes without --verbose.
SHOWN_PER_GROUP = 3


def _plan_group(run: list[Step], console: Console, verbose: bool) -> None:
    """Deletes of one repository: the repository once, then each step's command (the first few, or all)."""
    first, last = run[0], run[-1]
    repository = getattr(first.action, "repository", "")
    console.print(f"\n  {first.number:>3}–{last.number}. [bold]delete {len(run):,} manifests of "
                  f"{markup(repository)}[/]  [dim]({first.phase})[/]")
    for step in run if verbose else run[:SHOWN_PER_GROUP]:
        for c in step.action.commands():
            console.print(f"       {markup(c)}", style="cyan", soft_wrap=True)
    if not verbose and len(run) > SHOWN_PER_GROUP:
        console.print(f"       … and {len(run) - SHOWN_PER_GROUP:,} more, the same command for each digest "
                      "(--verbose lists them)", style="dim")
    if first.after:
        console.print(f"       each runs only if step {', '.join(map(str, first.after))} succeeded", style="dim")


def render_applied(run: FixRun, console: Console, *, verbose: bool = False) -> None:
    a = run.applied
    if a.stopped:
        render_changes(a, console)
        return
    s = run.summary()
    console.print(f"\n[bold]Applied[/]: {s['done']} done, {s['already']} already so, {s['failed']} failed, "
                  f"{s['skipped']} skipped, {s['not_run']} not run")
    quiet = 0
    for step in run.plan.steps:
        o = a.outcomes.get(step.number)
        if o is None:
            continue
        if o.result in ("done", "already") and not verbose and len(a.outcomes) > SHOWN_PER_PHASE * 2:
            quiet += 1  # a long run lists what went wrong, not every success
            continue
        _outcome(step, o, console)
    if quiet:
        console.print(f"  … and {quiet:,} steps done or already so (--verbose lists them; the journal has all)")
    if run.verification or run.verify_error:
        console.print(f"\n[bold]Verification[/] (read back and checked again): {s['fixed']} fixed, "
                      f"{s['improved']} improved, {s['relocked']} locked again (--relock), "
                      f"{s['not_fixed']} not fixed, {s['unknown']} unknown")
        for v in run.verification:
            mark = _VERIFIED.get(v.status, "[yellow]?[/]")
            now = f" — {markup(v.now)}" if v.now else ""
            console.print(f"  {mark} {markup(v.status)}: {markup(v.key)}{now}")
        if run.verify_error:
            console.print(f"  [yellow]?[/] could not read the registry back: {markup(run.verify_error)}")


def _outcome(step: Step, o: Outcome, console: Console) -> None:
    console.print(f"  {_MARK.get(o.result, '?')} {step.number:>3}. {markup(step.action.describe())}: "
                  f"{markup(o.result)}{' — ' + markup(o.detail) if o.detail else ''}")


def render_changes(a: ApplyResult, console: Console) -> None:
    console.print(f"\n[red bold]Stopped[/]: the registry changed since the plan was made "
                  f"({plural(len(a.changes), 'object')}); nothing after this point was changed.")
    for c in a.changes:
        console.print(f"  [red]✗[/] step {c.number}, {markup(c.subject)}: {markup('; '.join(c.differences))}")
    if a.outcomes:
        applied = ", ".join(f"step {n} ({o.result})" for n, o in sorted(a.outcomes.items()))
        console.print(f"  Already applied before the check: {applied}")
    console.print("  Make a new plan (run acrdoctor fix again) and review it.")


def render_journal(state: JournalState, console: Console) -> None:
    plan = state.plan
    console.print(f"[bold]Journal of a fix for {markup(plan.registry)}[/], planned {markup(plan.created_at)}: "
                  f"{plural(len(plan.steps), 'step')}")
    digest = plan_digest(plan)
    if state.plan_digest is None:
        console.print(f"  plan {digest} (no digest was recorded)", style="dim")
    elif state.plan_digest == digest:
        console.print(f"  plan {digest}, as recorded at confirmation", style="dim")
    else:
        console.print(f"  [red]✗ plan {digest}: the plan was changed after confirmation (recorded "
                      f"{markup(state.plan_digest)}); --resume refuses it[/]")
    for step in plan.steps:
        r = state.results.get(step.number)
        if r is not None:
            result, detail = str(r.get("result")), str(r.get("detail") or "")
        elif step.number in state.started:
            result, detail = "interrupted", "started, no result recorded: --resume reads it again and finishes it"
        else:
            result, detail = "pending", ""
        mark = _MARK.get(result, "[yellow]…[/]")
        console.print(f"  {mark} {step.number:>3}. {markup(step.action.describe())}: {markup(result)}"
                      f"{' — ' + markup(detail) if detail else ''}")
    if state.torn_lines:
        console.print(f"  [yellow]![/] {plural(state.torn_lines, 'line')} cut short by a killed run "
                      "(skipped; the steps around it are whole)")
    state_word = "finished" if state.finished else "did not finish (--resume finishes it)"
    console.print(f"The run {state_word}; {len(state.succeeded())} of {len(plan.steps)} steps succeeded.")


def to_dict(plan: FixPlan, run: FixRun | None = None, journal: str | None = None, *,
            expand: bool = False) -> dict[str, Any]:
    doc: dict[str, Any] = {"schema_version": FIX_SCHEMA_VERSION, "tool": {"name": "acrdoctor", "version": __version__},
                           "plan": plan.to_dict(expand=expand), "plan_digest": plan_digest(plan), "applied": None,
                           "journal": journal}
    if run is not None:
        doc["applied"] = {
            "summary": run.summary(),
            "steps": [{"number": o.number, "result": o.result, "detail": o.detail, "error": o.error}
                      for o in sorted(run.applied.outcomes.values(), key=lambda o: o.number)],
            "changes": [c.__dict__ for c in run.applied.changes],
            "verification": [v.to_dict() for v in run.verification],
            "verify_error": run.verify_error,
        }
    return doc


def render_json(plan: FixPlan, run: FixRun | None = None, journal: str | None = None, pretty: bool = True, *,
                expand: bool = False) -> str:
    with gc_paused():  # a large plan's document is hundreds of thousands of acyclic lists and dicts
        doc = to_dict(plan, run, journal, expand=expand)
        return (json.dumps(doc, indent=2) if pretty else json.dumps(doc, separators=(",", ":"))) + "\n"
