"""The doctor-style terminal report: one line per check, then what, why and the fix.

Big registries produce thousands of findings, so the console shows at most ``max_findings`` per
check and ``max_commands`` per finding (a loop over the deletes of one repository counts as one command and shows
at most ``max_commands`` of its digests) and says how many it left out; ``--verbose`` lifts the caps
and the JSON output always has everything.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from acrdoctor.actions import shell_join
from acrdoctor.check_api import Finding, Status
from acrdoctor.engine import CheckResult, Report
from acrdoctor.grouping import ManifestDeletes, printed, shown_commands
from acrdoctor.render.json_report import summary
from acrdoctor.textsafe import visible

MARKS = {
    Status.PASSED: ("[✓]", "green"),
    Status.FAILED: ("[✗]", "red"),
    Status.SKIPPED: ("[-]", "yellow"),
    Status.ERRORED: ("[☠]", "magenta"),
    Status.INCOMPLETE: ("[?]", "yellow"),
}
SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "blue"}


def _header(report: Report) -> Text:
    s = report.snapshot
    reg = s.registry
    bits = [f"registry {reg.name} ({reg.login_server})"]
    if reg.sku:
        bits.append(reg.sku)
    if s.source:
        bits.append(f"source: {s.source}")
    if s.collected_at:
        bits.append(f"collected {s.collected_at}")
    return Text("acrdoctor diagnose · " + visible(" · ".join(bits)), style="bold")


def _commands(console: Console, items: Sequence[str | ManifestDeletes], max_commands: int | None) -> None:
    shown = shown_commands(items, max_commands)
    for (cmd,) in shown.commands:
        console.print(Text("        $ ", style="dim") + Text(visible(cmd), style="green"), soft_wrap=True)
    if shown.digests_left:
        console.print(Text(f"        … {shown.digests_left:,} more digest{'s' if shown.digests_left != 1 else ''} "
                           "to loop over (--verbose or --output json)", style="dim"))
    if shown.commands_left:
        console.print(Text(f"        … {shown.commands_left} more commands (--verbose or --output json)",
                           style="dim"))


def _finding(console: Console, f: Finding, show_cause: bool, show_docs: bool, max_commands: int | None,
             grouped: bool) -> None:
    line = Text("    ")
    line.append("✗ ", style=SEVERITY_STYLE.get(f.severity.value, ""))
    line.append(f"[{f.severity.value}] ", style=SEVERITY_STYLE.get(f.severity.value, ""))
    line.append(f"{f.resource.kind.value} ", style="dim")
    line.append(visible(f.resource.name), style="bold")
    line.append(visible(f": {f.message}"))
    console.print(line)
    if show_cause:
        console.print(Text("      why: ", style="dim") + Text(visible(f.cause)))
    if f.fix is None:
        return
    console.print(Text("      fix: ", style="dim") + Text(visible(f.fix.summary)))
    _commands(console, printed(f.fix.actions, f.fix.extra_commands, grouped), max_commands)
    for rel in f.fix.related:
        console.print(Text(visible(f"      {rel.label}: "), style="dim") + Text(visible(rel.summary)))
        _commands(console, printed(rel.actions, (), grouped), max_commands)
    for note in f.fix.notes:
        console.print(Text("      • ", style="dim") + Text(visible(note)))
    if show_docs:
        for url in f.fix.docs:
            console.print(Text("      docs: ", style="dim") + Text(url, style="underline"), soft_wrap=True)


def _result(console: Console, r: CheckResult, max_findings: int | None, max_commands: int | None,
            grouped: bool) -> None:
    mark, style = MARKS[r.status]
    line = Text()
    line.append(mark + " ", style=style)
    line.append(visible(r.slug), style="bold")
    line.append(visible(f" · {r.check.title}"))
    if r.status is Status.FAILED:
        n = len(r.findings)
        line.append(f" ({n} finding{'s' if n != 1 else ''})", style=style)
        if r.lower_bound:
            line.append(visible(f" ({r.reason})"), style="yellow")
    elif r.reason:
        line.append(visible(f" ({r.status.value}: {r.reason})"), style=style)
    console.print(line)
    if not r.findings:
        return
    shown = r.findings if max_findings is None else r.findings[:max_findings]
    causes = {f.cause for f in shown}
    shared_cause = len(causes) == 1
    if shared_cause:
        console.print(Text("    why: ", style="dim") + Text(visible(next(iter(causes)))))
    # Docs usually belong to the check, not the finding: print them once unless findings differ.
    docs = {f.fix.docs for f in shown if f.fix is not None}
    shared_docs = len(docs) <= 1
    if shared_docs and docs:
        for url in next(iter(docs)):
            console.print(Text("    docs: ", style="dim") + Text(url, style="underline"), soft_wrap=True)
    for f in shown:
        _finding(console, f, not shared_cause, not shared_docs, max_commands, grouped)
    if len(r.findings) > len(shown):
        console.print(Text(f"    … {len(r.findings) - len(shown)} more findings for {r.slug} "
                           "(--verbose shows all, --output json has every detail)", style="dim"))


def _collection_errors(console: Console, report: Report, max_errors: int | None) -> None:
    """What the service refused while collecting: the cause behind incomplete and skipped checks."""
    errors = report.snapshot.errors
    if not errors:
        return
    console.print()
    console.print(Text(f"Collection errors ({len(errors)}): what the service refused while the data was collected",
                       style="bold yellow"))
    shown = errors if max_errors is None else errors[:max_errors]
    for e in shown:
        console.print(Text("  ! ", style="yellow") + Text(visible(e.describe())))
    if len(errors) > len(shown):
        console.print(Text(f"  … {len(errors) - len(shown)} more (--verbose or --output json)", style="dim"))


def render_console(report: Report, console: Console, verbose: bool = False, max_findings: int = 5,
                   max_commands: int = 4, max_errors: int = 10, grouped: bool = True) -> None:
    """``grouped``: deletes of several manifests of one repository as one loop (:mod:`acrdoctor.grouping`), its
    digests capped like commands; false prints one command per manifest."""
    console.print(_header(report))
    console.print()
    for r in report.results:
        _result(console, r, None if verbose else max_findings, None if verbose else max_commands, grouped)
        if verbose and r.trace:
            for trace_line in r.trace.splitlines():
                console.print(Text(visible(trace_line), style="dim"))
    for w in report.plugin_warnings:
        console.print(Text(visible(f"! {w}"), style="yellow"))
    _collection_errors(console, report, None if verbose else max_errors)
    console.print()
    s = summary(report)
    sev = ", ".join(f"{n} {k}" for k, n in s["by_severity"].items() if n)
    if s["findings"]:
        text = Text(f"! Found {s['findings']} issue{'s' if s['findings'] != 1 else ''} in {s['failed']} "
                    f"check{'s' if s['failed'] != 1 else ''} ({sev})", style="bold red")
    elif not report.judged_everything:
        # Not a clean bill of health: some checks could not judge, and the exit code (3) says so too.
        text = Text("! No issues found in what could be judged", style="bold yellow")
    else:
        text = Text("• No issues found", style="bold green")
    incomplete = f", {s['incomplete']} incomplete" if s["incomplete"] else ""
    text.append(f"; {s['passed']} passed, {s['skipped']} skipped, {s['errored']} errored{incomplete}.")
    lower = [r.slug for r in report.results if r.lower_bound]
    if lower:
        text.append(f" Findings of {', '.join(lower)} are a lower bound: some data was not collected.")
    console.print(text)
    if s["findings"]:
        reg = report.snapshot.registry
        origin = report.snapshot.source or ""
        if origin == "demo":
            source = "--demo"
        elif origin.startswith("demo:"):
            source = visible(shell_join([f"--demo={origin.removeprefix('demo:')}"]))
        else:
            source = visible(shell_join(["--registry", reg.name]))
        console.print(Text(f"  acrdoctor fix {source} shows the fixes acrdoctor can apply for you, step by step; "
                           "nothing changes without --apply.", style="dim"))
