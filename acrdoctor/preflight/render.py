"""Pre-flight reports: console (capped samples), JSON (everything, documented in docs/preflight.md), markdown."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.text import Text

from acrdoctor import __version__
from acrdoctor.check_api import Severity
from acrdoctor.model import Snapshot
from acrdoctor.preflight.model import Plan
from acrdoctor.preflight.run import VERDICT_TEXT, data_missing, verdict
from acrdoctor.preflight.warnings import severity_of
from acrdoctor.render.markdown import cell, code, escape
from acrdoctor.textsafe import visible
from acrdoctor.units import human_bytes, plural

PREFLIGHT_SCHEMA_VERSION = 2
SAMPLE = 10


def plan_to_dict(plan: Plan, snapshot: Snapshot, command: str, fail_on: Severity = Severity.MEDIUM
                 ) -> dict[str, Any]:
    reg = snapshot.registry
    return {
        "schema_version": PREFLIGHT_SCHEMA_VERSION,
        "tool": {"name": "acrdoctor", "version": __version__},
        "registry": {"name": reg.name, "login_server": reg.login_server, "sku": reg.sku, "source": snapshot.source,
                     "collected_at": snapshot.collected_at},
        "command": command,
        "safe": plan.safe,
        "verdict": verdict(plan, snapshot, fail_on),
        "reclaimable_bytes": plan.reclaimable_bytes,
        "retained_shared_bytes": plan.retained_shared_bytes,
        "bytes_exact": plan.bytes_exact,
        "shared_holders": [{"repository": r, "bytes": b} for r, b in plan.shared_holders.items()],
        "delete": {
            "manifests": [{"repository": m.repository, "digest": m.digest} for m in plan.delete_manifests],
            "tags": [{"repository": t.repository, "tag": t.tag} for t in plan.delete_tags],
            "repositories": list(plan.deleted_repositories),
            "registry": plan.registry_deleted,
        },
        "co_deleted_tags": [{"repository": t.repository, "tag": t.tag} for t in plan.co_deleted_tags],
        "cascaded_referrers": [{"repository": m.repository, "digest": m.digest} for m in plan.cascaded_referrers],
        "blocked": [{"resource": b.resource, "reason": b.reason, "level": b.level.value, "check": b.check}
                    for b in plan.blocked],
        "warnings": [{"code": w.code, "message": w.message, "severity": severity_of(w.code).value}
                     for w in plan.warnings],
        "emptied_repositories": list(plan.emptied_repositories),
        "broken_indexes": [{"repository": b.index.repository, "digest": b.index.digest, "tags": list(b.tags),
                            "lost_children": list(b.lost_children)} for b in plan.broken_indexes],
        "left_dangling": [{"repository": m.repository, "digest": m.digest} for m in plan.left_dangling],
        "notes": list(plan.notes),
        "estimate": {"delete_requests": plan.delete_requests, "seconds": round(plan.estimated_seconds, 1)},
        "data_missing": data_missing(plan, snapshot),
    }


def plan_body(plan: Plan, snapshot: Snapshot, command: str, fail_on: Severity = Severity.MEDIUM) -> dict[str, Any]:
    """The plan's fields without the report's envelope, for reports that hold several plans (--tasks, --script)."""
    doc = plan_to_dict(plan, snapshot, command, fail_on)
    for key in ("schema_version", "tool", "registry", "command"):
        del doc[key]
    return doc


def dump_json(doc: dict[str, Any], pretty: bool) -> str:
    """Indented on a terminal, compact on a pipe, one trailing newline."""
    return (json.dumps(doc, indent=2) if pretty else json.dumps(doc, separators=(",", ":"))) + "\n"


def render_json(plan: Plan, snapshot: Snapshot, command: str, pretty: bool = True,
                fail_on: Severity = Severity.MEDIUM) -> str:
    return dump_json(plan_to_dict(plan, snapshot, command, fail_on), pretty)


def _duration(seconds: float) -> str:
    if seconds < 1:
        return "under a second"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _headline(plan: Plan) -> str:
    repos = {m.repository for m in plan.delete_manifests} | {t.repository for t in plan.delete_tags}
    parts = [f"{plural(len(plan.delete_manifests), 'manifest')} and {plural(len(plan.delete_tags), 'tag')}"]
    if plan.co_deleted_tags:
        parts.append(f"({len(plan.co_deleted_tags):,} of the tags not named by the command)")
    where = f" in {plural(len(repos), 'repository', 'repositories')}" if repos else ""
    return "Would delete " + " ".join(parts) + where


def _bytes_line(plan: Plan) -> str:
    exact = "exactly" if plan.bytes_exact else "at least"
    line = f"Frees {exact} {human_bytes(plan.reclaimable_bytes)} ({plan.reclaimable_bytes:,} bytes nothing else uses)"
    if plan.retained_shared_bytes:
        holders = ", ".join(f"{r} ({human_bytes(b)})" for r, b in plan.shared_holders.items())
        line += f"; {human_bytes(plan.retained_shared_bytes)} stay because other manifests share them"
        if holders:
            line += f": {holders}"
    return line


_MARKS = {"safe": ("[✓]", "green"), "blocked": ("[✗]", "red"), "warnings": ("[!]", "yellow"),
          "incomplete": ("[-]", "yellow")}


def render_console(plan: Plan, snapshot: Snapshot, command: str, console: Console, verbose: bool = False,
                   fail_on: Severity = Severity.MEDIUM) -> None:
    reg = snapshot.registry
    console.print(Text(visible(f"acrdoctor preflight · registry {reg.name} ({reg.login_server})"
                               + (f" · {reg.sku}" if reg.sku else "")
                               + (f" · source: {snapshot.source}" if snapshot.source else "")), style="bold"))
    console.print(Text("command: ", style="dim") + Text(visible(command)), soft_wrap=True)
    console.print()
    outcome = verdict(plan, snapshot, fail_on)
    mark, style = _MARKS[outcome]
    console.print(Text(f"{mark} {VERDICT_TEXT[outcome]}. ", style=style) + Text(_headline(plan), style="bold"))
    console.print(Text("    " + visible(_bytes_line(plan))))
    if plan.registry_deleted:
        console.print(Text("    The whole registry would be deleted."))
    elif plan.selection.delete_registry:
        console.print(Text("    The registry delete would be refused (see Blocked)."))
    limit = None if verbose else SAMPLE
    for label, items in (("manifests", [str(m) for m in plan.delete_manifests]),
                         ("tags", [str(t) for t in plan.delete_tags])):
        shown = items if limit is None else items[:limit]
        for item in shown:
            console.print(Text(f"      - {label[:-1]} ", style="dim") + Text(visible(item)), soft_wrap=True)
        if len(items) > len(shown):
            console.print(Text(f"      … {len(items) - len(shown):,} more {label} (--verbose or --output json)",
                               style="dim"))
    if plan.co_deleted_tags:
        console.print(Text(f"[!] Tags removed although the command did not name them ({len(plan.co_deleted_tags):,}):",
                           style="yellow"))
        for t in plan.co_deleted_tags[:limit] if limit else plan.co_deleted_tags:
            console.print(Text(visible(f"      - {t}")), soft_wrap=True)
    if plan.blocked:
        console.print(Text(f"[✗] Blocked: {plural(len(plan.blocked), 'target')} would be skipped or refused",
                           style="red"))
        for b in plan.blocked[:limit] if limit else plan.blocked:
            console.print(Text(f"      - [{b.level.value}] ", style="dim") + Text(visible(f"{b.resource}: {b.reason}")),
                          soft_wrap=True)
        if limit and len(plan.blocked) > limit:
            console.print(Text(f"      … {len(plan.blocked) - limit:,} more", style="dim"))
    for w in plan.warnings:
        sev = severity_of(w.code)
        console.print(Text(f"[!] {w.code} ({sev.value}): ", style="yellow") + Text(visible(w.message)), soft_wrap=True)
    if plan.emptied_repositories:
        console.print(Text("[!] Left empty (deleting them later answers NAME_UNKNOWN; delete the repositories "
                           "instead): ", style="yellow") + Text(visible(", ".join(plan.emptied_repositories))))
    for bi in plan.broken_indexes:
        console.print(Text("[!] Index would lose children: ", style="yellow")
                      + Text(visible(f"{bi.index} (tags {', '.join(bi.tags) or 'none'})")
                             + f" loses {len(bi.lost_children)}"),
                      soft_wrap=True)
    if plan.cascaded_referrers:
        console.print(Text(f"    {plural(len(plan.cascaded_referrers), 'referrer')} (signatures, SBOMs) go with "
                           "their subject."))
    if plan.left_dangling:
        console.print(Text(f"    {plural(len(plan.left_dangling), 'manifest')} would be left untagged and still "
                           "stored (their bytes are not freed)."))
    for note in plan.notes:
        console.print(Text("    • ", style="dim") + Text(visible(note)))
    for reason in data_missing(plan, snapshot):
        console.print(Text(visible(f"[-] Data incomplete: {reason}"), style="yellow"))


def render_markdown(plan: Plan, snapshot: Snapshot, command: str, fail_on: Severity = Severity.MEDIUM) -> str:
    reg = snapshot.registry
    outcome = VERDICT_TEXT[verdict(plan, snapshot, fail_on)]
    out = [f"## acrdoctor preflight: {code(reg.name)}", "", f"Command checked: {code(command)}", "",
           f"**{outcome}.** {_headline(plan)}. {escape(_bytes_line(plan))}.", ""]
    if plan.blocked:
        out += ["| Level | Resource | Why |", "|---|---|---|"]
        out += [f"| {b.level.value} | {code(b.resource)} | {cell(b.reason)} |" for b in plan.blocked[:50]]
        out.append("")
    if plan.warnings:
        out += [f"- **{w.code}** ({severity_of(w.code).value}): {escape(w.message)}" for w in plan.warnings]
        out.append("")
    if plan.co_deleted_tags:
        out += [f"Tags removed although not named: {', '.join(code(str(t)) for t in plan.co_deleted_tags[:30])}", ""]
    if plan.emptied_repositories:
        out += [f"Repositories left empty: {', '.join(code(r) for r in plan.emptied_repositories)}", ""]
    out += [f"- {escape(n)}" for n in plan.notes]
    out += ["", f"Estimate: {plural(plan.delete_requests, 'DELETE request')}, about "
            f"{_duration(plan.estimated_seconds)}.", ""]
    return "\n".join(out)
