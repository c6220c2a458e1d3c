"""``preflight --tasks`` reports: the verdict and exit code, JSON (docs/preflight.md) and the console table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.console import Console
from rich.text import Text

from acrdoctor import __version__
from acrdoctor.check_api import Severity
from acrdoctor.clock import iso_stamp
from acrdoctor.model import Snapshot
from acrdoctor.preflight.render import dump_json, plan_body
from acrdoctor.preflight.run import data_missing, exit_code
from acrdoctor.preflight.tasks import TaskPreflight
from acrdoctor.textsafe import visible
from acrdoctor.units import human_bytes, plural

TASKS_SCHEMA_VERSION = 1
#: Verdict words, worst first; a run's verdict is its worst enabled task's.
_ORDER = ("blocked", "warnings", "incomplete", "safe")
_EXIT = {"blocked": 1, "warnings": 1, "incomplete": 3, "safe": 0}
_MARKS = {"safe": ("[✓]", "green"), "blocked": ("[✗]", "red"), "warnings": ("[!]", "yellow"),
          "incomplete": ("[-]", "yellow"), "disabled": ("[ ]", "dim")}


def task_verdict(t: TaskPreflight, snapshot: Snapshot, fail_on: Severity) -> str:
    """``blocked``, ``warnings``, ``incomplete`` or ``safe`` by the rules of ``preflight`` (blockers, warnings at or
    above ``fail_on``, data missing), with the identity and unreadable purges added; ``disabled`` when it never
    runs."""
    if not t.enabled:
        return "disabled"
    codes = [exit_code(p.plan, snapshot, fail_on) for p in t.purges if p.plan is not None]
    if t.identity.can_delete is False or any(p.plan is not None and p.plan.blocked for p in t.purges):
        return "blocked"
    if 1 in codes:
        return "warnings"
    if 3 in codes or t.identity.can_delete is None or any(p.plan is None for p in t.purges):
        return "incomplete"
    return "safe"


def run_verdict(results: tuple[TaskPreflight, ...], snapshot: Snapshot, fail_on: Severity) -> str:
    verdicts = {task_verdict(t, snapshot, fail_on) for t in results}
    return next((v for v in _ORDER if v in verdicts), "safe")


def tasks_exit_code(results: tuple[TaskPreflight, ...], snapshot: Snapshot, fail_on: Severity) -> int:
    """0 safe, 1 a blocker or warning at or above ``fail_on``, 3 something not known (disabled tasks do not count)."""
    return _EXIT[run_verdict(results, snapshot, fail_on)]


def _time(t: datetime | None) -> str | None:
    return iso_stamp(t) if t is not None else None


def tasks_to_dict(results: tuple[TaskPreflight, ...], snapshot: Snapshot, now: datetime,
                  fail_on: Severity = Severity.MEDIUM) -> dict[str, Any]:
    reg = snapshot.registry
    purging = {t.task.name for t in results}
    return {
        "schema_version": TASKS_SCHEMA_VERSION,
        "kind": "preflight-tasks",
        "tool": {"name": "acrdoctor", "version": __version__},
        "registry": {"name": reg.name, "login_server": reg.login_server, "sku": reg.sku, "source": snapshot.source,
                     "collected_at": snapshot.collected_at, "role_assignment_mode": reg.role_assignment_mode},
        "now": iso_stamp(now),
        "verdict": run_verdict(results, snapshot, fail_on),
        "tasks": [_task_dict(t, snapshot, fail_on) for t in results],
        "tasks_without_purge": [t.name for t in snapshot.tasks or () if t.name not in purging],
    }


def _task_dict(t: TaskPreflight, snapshot: Snapshot, fail_on: Severity) -> dict[str, Any]:
    purges = []
    for p in t.purges:
        doc: dict[str, Any] = {"command": p.command, "evaluated": p.plan is not None, "not_evaluated": p.not_evaluated}
        if p.plan is not None:
            doc["plan"] = plan_body(p.plan, snapshot, p.command, fail_on)
        purges.append(doc)
    return {
        "name": t.task.name, "status": t.task.status, "enabled": t.enabled,
        "timers": [{"name": x.name, "schedule": x.schedule, "enabled": x.enabled, "next_run": _time(x.next_run),
                    "error": x.error} for x in t.timers],
        "next_run": _time(t.next_run), "evaluated_at": iso_stamp(t.evaluated_at), "schedule_note": t.schedule_note,
        "identity": {"can_delete": t.identity.can_delete, "reason": t.identity.reason, "fix": list(t.identity.fix)},
        "verdict": task_verdict(t, snapshot, fail_on),
        "purges": purges,
    }


def render_tasks_json(results: tuple[TaskPreflight, ...], snapshot: Snapshot, now: datetime, pretty: bool = True,
                      fail_on: Severity = Severity.MEDIUM) -> str:
    doc = tasks_to_dict(results, snapshot, now, fail_on)
    return dump_json(doc, pretty)


def render_tasks_console(results: tuple[TaskPreflight, ...], snapshot: Snapshot, now: datetime, console: Console,
                         fail_on: Severity = Severity.MEDIUM) -> None:
    reg = snapshot.registry
    console.print(Text(visible(f"acrdoctor preflight --tasks · registry {reg.name} ({reg.login_server})"
                               + (f" · source: {snapshot.source}" if snapshot.source else "")
                               + f" · now {now:%Y-%m-%d %H:%M} UTC"), style="bold"))
    if not results:
        others = len(snapshot.tasks or ())
        console.print(Text(f"[✓] No ACR task runs acr purge ({plural(others, 'task')} read)."))
        return
    for t in results:
        outcome = task_verdict(t, snapshot, fail_on)
        mark, style = _MARKS[outcome]
        console.print()
        console.print(Text(f"{mark} task ", style=style) + Text(visible(t.task.name), style="bold")
                      + Text(visible(f" · {t.schedule_note}")))
        who = {True: "[✓]", False: "[✗]", None: "[-]"}[t.identity.can_delete]
        console.print(Text(visible(f"    {who} identity: {t.identity.reason}")))
        for command in t.identity.fix:
            console.print(Text("        $ ", style="dim") + Text(visible(command)), soft_wrap=True)
        for p in t.purges:
            console.print(Text("    $ ", style="dim") + Text(visible(p.command)), soft_wrap=True)
            if p.plan is None:
                console.print(Text(visible(f"      [-] not evaluated: {p.not_evaluated}"), style="yellow"))
                continue
            plan = p.plan
            exact = "exactly" if plan.bytes_exact else "at least"
            console.print(Text(visible(
                f"      deletes {plural(len(plan.delete_manifests), 'manifest')} and "
                f"{plural(len(plan.delete_tags), 'tag')} as of {t.evaluated_at:%Y-%m-%d %H:%M} UTC; frees {exact} "
                f"{human_bytes(plan.reclaimable_bytes)} ({plan.reclaimable_bytes:,} bytes)")))
            skipped = [b for b in plan.blocked if b.level.value == "tool"]
            refused = [b for b in plan.blocked if b.level.value != "tool"]
            if skipped:
                console.print(Text(visible(f"      [!] skips silently ({len(skipped)}): "
                                           + ", ".join(b.resource for b in skipped[:5])
                                           + (" …" if len(skipped) > 5 else "")), style="yellow"), soft_wrap=True)
            for b in refused[:5]:
                console.print(Text(visible(f"      [✗] {b.resource}: {b.reason}"), style="red"), soft_wrap=True)
            for w in plan.warnings:
                console.print(Text(visible(f"      [!] {w.code}: {w.message}"), style="yellow"), soft_wrap=True)
            for reason in data_missing(plan, snapshot):
                console.print(Text(visible(f"      [-] data incomplete: {reason}"), style="yellow"))
    others = [t.name for t in snapshot.tasks or () if t.name not in {r.task.name for r in results}]
    if others:
        console.print()
        console.print(Text(visible(f"    {plural(len(others), 'other task')} run no acr purge: {', '.join(others)}"),
                           style="dim"))
