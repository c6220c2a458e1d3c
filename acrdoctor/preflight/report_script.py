"""``preflight --script`` reports: the verdict and exit code, JSON (docs/preflight.md) and the console listing."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text

from acrdoctor import __version__
from acrdoctor.check_api import Severity
from acrdoctor.preflight.render import dump_json, plan_body
from acrdoctor.preflight.run import VERDICT_TEXT, data_missing
from acrdoctor.preflight.script import ScriptReport
from acrdoctor.preflight.warnings import severity_of
from acrdoctor.storage import StorageIndex
from acrdoctor.textsafe import visible
from acrdoctor.units import human_bytes, plural

SCRIPT_SCHEMA_VERSION = 1
_EXIT = {"blocked": 1, "warnings": 1, "incomplete": 3, "safe": 0}
_MARKS = {"safe": ("[✓]", "green"), "blocked": ("[✗]", "red"), "warnings": ("[!]", "yellow"),
          "incomplete": ("[-]", "yellow")}
_STATUS = {"evaluated": "", "not-executed": "not executed: ", "not-evaluated": "not evaluated: ",
           "state-change": ""}


def script_verdict(report: ScriptReport, fail_on: Severity = Severity.MEDIUM) -> str:
    """As for one command (blockers, then warnings at or above ``fail_on``), then anything not evaluated or not
    collected makes it ``incomplete``: a script is never a pass on what acrdoctor could not read."""
    plans = report.plans
    if any(p.blocked for p in plans):
        return "blocked"
    if any(severity_of(w.code).at_least(fail_on) for p in plans for w in p.warnings):
        return "warnings"
    if report.not_evaluated or not report.bytes_exact or any(data_missing(p, report.before) for p in plans):
        return "incomplete"
    return "safe"


def script_exit_code(report: ScriptReport, fail_on: Severity = Severity.MEDIUM) -> int:
    return _EXIT[script_verdict(report, fail_on)]


def script_to_dict(report: ScriptReport, script: str, fail_on: Severity = Severity.MEDIUM) -> dict[str, Any]:
    snapshot = report.before
    reg = snapshot.registry
    steps = []
    for s in report.steps:
        doc: dict[str, Any] = {"line": s.line, "end_line": s.end_line, "context": s.context, "text": s.text,
                               "status": s.status, "reason": s.reason, "commands": s.commands, "plan": None}
        if s.plan is not None:
            doc["plan"] = plan_body(s.plan, snapshot, s.text, fail_on)
        steps.append(doc)
    return {
        "schema_version": SCRIPT_SCHEMA_VERSION,
        "kind": "preflight-script",
        "tool": {"name": "acrdoctor", "version": __version__},
        "registry": {"name": reg.name, "login_server": reg.login_server, "sku": reg.sku, "source": snapshot.source,
                     "collected_at": snapshot.collected_at},
        "script": script,
        "overrides": dict(report.overrides),
        "verdict": script_verdict(report, fail_on),
        "steps": steps,
        "total": {
            "manifests": report.deleted_manifests, "tags": report.deleted_tags,
            "freed_bytes": report.freed_bytes, "bytes_exact": report.bytes_exact,
            "stored_bytes_before": StorageIndex(report.before).deduplicated_total(),
            "stored_bytes_after": StorageIndex(report.after).deduplicated_total(),
            "emptied_repositories": sorted(_emptied(report)),
        },
        "not_evaluated": len(report.not_evaluated),
        "ignored_statements": report.ignored,
    }


def _emptied(report: ScriptReport) -> set[str]:
    """Repositories that had manifests before and none after (still listed: the NAME_UNKNOWN trap)."""
    before = {r.name for r in report.before.repositories or () if r.manifests}
    return {r.name for r in report.after.repositories or () if r.name in before and r.manifests == ()}


def render_script_json(report: ScriptReport, script: str, pretty: bool = True,
                       fail_on: Severity = Severity.MEDIUM) -> str:
    doc = script_to_dict(report, script, fail_on)
    return dump_json(doc, pretty)


def render_script_console(report: ScriptReport, script: str, console: Console,
                          fail_on: Severity = Severity.MEDIUM) -> None:
    snapshot = report.before
    reg = snapshot.registry
    console.print(Text(visible(f"acrdoctor preflight --script {script} · registry {reg.name} ({reg.login_server})"
                               + (f" · source: {snapshot.source}" if snapshot.source else "")), style="bold"))
    if report.overrides:
        shown = ", ".join(f"{k}={v}" for k, v in report.overrides.items())
        console.print(Text(visible(f"with --set {shown}"), style="dim"))
    console.print()
    outcome = script_verdict(report, fail_on)
    mark, style = _MARKS[outcome]
    evaluated = [s for s in report.steps if s.plan is not None]
    exact = "exactly" if report.bytes_exact else "at least"
    one = len(evaluated) == 1
    console.print(Text(f"{mark} {VERDICT_TEXT[outcome]}. ", style=style) + Text(
        f"{plural(len(evaluated), 'statement')} delete{'s' if one else ''} "
        f"{plural(report.deleted_manifests, 'manifest')} and {plural(report.deleted_tags, 'tag')}; "
        f"{'it frees' if one else 'together they free'} {exact} {human_bytes(report.freed_bytes)} "
        f"({report.freed_bytes:,} bytes, counted on the registry as the script leaves it)", style="bold"))
    for s in report.steps:
        console.print(Text(visible(f"  {s.where}: "), style="dim") + Text(visible(s.text)), soft_wrap=True)
        if s.plan is None:
            line_style = "yellow" if s.status == "not-evaluated" else "dim"
            console.print(Text(visible(f"      {_STATUS[s.status]}{s.reason}"), style=line_style), soft_wrap=True)
            continue
        p = s.plan
        runs = f"{plural(s.commands, 'command')}: " if s.commands > 1 else ""
        console.print(Text(visible(
            f"      {runs}deletes {plural(len(p.delete_manifests), 'manifest')} and {plural(len(p.delete_tags), 'tag')}"
            f", frees {human_bytes(p.reclaimable_bytes)} ({p.reclaimable_bytes:,} bytes) on the registry as the "
            "statements before it left it")))
        for b in p.blocked[:5]:
            console.print(Text(visible(f"      [✗] [{b.level.value}] {b.resource}: {b.reason}"), style="red"),
                          soft_wrap=True)
        if len(p.blocked) > 5:
            console.print(Text(f"      … {len(p.blocked) - 5:,} more blocked", style="dim"))
        for w in p.warnings:
            console.print(Text(visible(f"      [!] {w.code} ({severity_of(w.code).value}): {w.message}"),
                               style="yellow"), soft_wrap=True)
    emptied = sorted(_emptied(report))
    if emptied:
        console.print(Text(visible("[!] Left empty (deleting them later answers NAME_UNKNOWN): " + ", ".join(emptied)),
                           style="yellow"))
    if report.not_evaluated:
        console.print(Text(f"[-] {plural(len(report.not_evaluated), 'statement')} could not be evaluated, so this is "
                           "not a pass (exit 3 unless something blocks).", style="yellow"))
    if not report.bytes_exact:
        console.print(Text("[-] Some manifest bodies were not collected: byte figures are lower bounds.",
                           style="yellow"))
