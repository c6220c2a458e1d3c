"""A Markdown report meant to be pasted into a support ticket or a pull request comment.

The reader is usually not the person who ran acrdoctor, so the header says which registry, which
data and when, the table gives the whole picture in one screen, and each failed check repeats the
why and the runnable fix. Names come from the registry and may contain characters Markdown treats
specially, so every piece of registry text is escaped or put in code spans; a big registry is
capped per check (``--verbose`` lifts the cap, the JSON report always has everything).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from acrdoctor import __version__
from acrdoctor.check_api import Finding, Status
from acrdoctor.engine import CheckResult, Report
from acrdoctor.grouping import printed, shown_commands
from acrdoctor.render.json_report import summary
from acrdoctor.textsafe import visible
from acrdoctor.units import plural

MAX_FINDINGS = 20
MAX_COMMANDS = 20

EMOJI = {
    Status.PASSED: "✅",
    Status.FAILED: "❌",
    Status.SKIPPED: "⏭️",
    Status.ERRORED: "💥",
    Status.INCOMPLETE: "❔",
}

# Characters that start Markdown/HTML constructs inline. ``_`` only matters at word edges (GFM does
# not emphasise inside words), so NAME_UNKNOWN stays readable when the ticket shows raw text.
_INLINE = re.compile(r"([\\`*\[\]<>#]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")


_CODE_SPAN = re.compile(r"(`[^`]+`)")


def escape(text: str) -> str:
    """Escape text for inline Markdown, keeping the `code spans` check authors write on purpose.

    Newlines are folded because they would break the list or table the text sits in; other control
    characters are shown as escapes, since the report is also read in a terminal.
    """
    parts = _CODE_SPAN.split(visible(" ".join(text.split())))
    return "".join(p if i % 2 else _INLINE.sub(r"\\\1", p) for i, p in enumerate(parts))


_BULLET_START = re.compile(r"^([-+=])(?=\s|$)")
_NUMBER_START = re.compile(r"^(\d+)([.)])(?=\s|$)")


def paragraph(text: str) -> str:
    """Escaped text that starts a line: also stop a leading ``-``/``1.`` from turning into a list."""
    return _NUMBER_START.sub(r"\1\\\2", _BULLET_START.sub(r"\\\1", escape(text)))


def cell(text: str) -> str:
    """Escape for a table cell: inline escaping plus ``|``, which would split the cell."""
    return escape(text).replace("|", "\\|")


def code(text: str) -> str:
    """A code span that survives backticks inside the text (CommonMark: use a longer fence)."""
    text = visible(" ".join(text.split()))
    runs = [len(m) for m in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def fenced(lines: Iterable[str], lang: str) -> list[str]:
    """A fenced block whose fence is longer than any backtick run in the content; control characters visible."""
    lines = [visible(line) for line in lines]
    longest = max((len(m) for line in lines for m in re.findall(r"`{3,}", line)), default=2)
    fence = "`" * (longest + 1)
    return [fence + lang, *lines, fence]


def _header(report: Report) -> list[str]:
    s = report.snapshot
    reg = s.registry
    registry = f"{code(reg.name)} ({code(reg.login_server)})"
    extra = [x for x in (reg.sku, f"resource group {code(reg.resource_group)}" if reg.resource_group else None) if x]
    if extra:
        registry += ", " + ", ".join(extra)
    return [
        f"## acrdoctor report for {code(reg.name)}",
        "",
        f"- **Registry:** {registry}",
        f"- **Source:** {escape(s.source) if s.source else 'unknown'}",
        f"- **Collected:** {escape(s.collected_at) if s.collected_at else 'unknown'}",
        f"- **acrdoctor:** {__version__}",
        "",
    ]


def _verdict(report: Report) -> str:
    s = summary(report)
    rest = f"{s['passed']} passed, {s['skipped']} skipped, {s['errored']} errored"
    if s["incomplete"]:
        rest += f", {s['incomplete']} incomplete"
    if not s["findings"]:
        scope = "" if report.judged_everything else " in what could be judged"
        return f"**No issues found{scope}** ({rest})."
    sev = ", ".join(f"{n} {k}" for k, n in s["by_severity"].items() if n)
    return f"**{plural(s['findings'], 'issue')} in {plural(s['failed'], 'check')}** ({sev}); {rest}."


def _status_cell(r: CheckResult) -> str:
    if r.status is Status.FAILED:
        worst = r.worst()
        text = f"{len(r.findings)} ({worst.value})" if worst else str(len(r.findings))
        return f"{text}, lower bound" if r.lower_bound else text
    if r.status is Status.PASSED:
        return "0"
    return cell(f"{r.status.value}: {r.reason or 'no reason given'}")


def _table(report: Report) -> list[str]:
    lines = ["| | Check | Title | Findings |", "|---|---|---|---|"]
    for r in report.results:
        lines.append(f"| {EMOJI[r.status]} | {code(r.slug)} | {cell(r.check.title)} | {_status_cell(r)} |")
    return [*lines, ""]


def _finding(n: int, f: Finding, show_cause: bool, max_commands: int | None, grouped: bool) -> list[str]:
    out = [
        f"#### {n}. {escape(f.resource.kind.value)} {code(f.resource.name)} ({f.severity.value})",
        "",
        paragraph(f.message),
        "",
    ]
    if show_cause:
        out += [f"**Why:** {escape(f.cause)}", ""]
    if f.fix is None:
        return out
    out += [f"**Fix:** {escape(f.fix.summary)}", ""]
    shown = shown_commands(printed(f.fix.actions, f.fix.extra_commands, grouped), max_commands, multiline=True)
    if shown.commands:
        out += [*fenced([line for cmd in shown.commands for line in cmd], "bash"), ""]
    left = [plural(n, what) for n, what in ((shown.commands_left, "more command"),
                                            (shown.digests_left, "more digest")) if n]
    if left:
        out += [f"_{' and '.join(left)} not shown; `--verbose` or `--output json` lists them all._", ""]
    for rel in f.fix.related:
        out += [f"**{escape(rel.label.capitalize())}:** {escape(rel.summary)}", ""]
        related = shown_commands(printed(rel.actions, (), grouped), None, multiline=True).commands
        if related:
            out += [*fenced([line for cmd in related for line in cmd], "bash"), ""]
    for note in f.fix.notes:
        out.append(f"- {escape(note)}")
    for url in f.fix.docs:
        out.append(f"- Docs: <{url}>")
    if f.fix.notes or f.fix.docs:
        out.append("")
    return out


def _section(r: CheckResult, max_findings: int | None, max_commands: int | None, grouped: bool) -> list[str]:
    out = [f"### {EMOJI[r.status]} {code(r.slug)}: {escape(r.check.title)}", ""]
    shown = r.findings if max_findings is None else r.findings[:max_findings]
    causes = {f.cause for f in r.findings}
    shared = len(causes) == 1
    if r.lower_bound:
        out += [f"**Lower bound:** there may be more: {escape(r.reason or '')}", ""]
    if shared:
        out += [f"**Why:** {escape(next(iter(causes)))}", ""]
    for i, f in enumerate(shown, 1):
        out += _finding(i, f, not shared, max_commands, grouped)
    left = len(r.findings) - len(shown)
    if left:
        out += [f"_{plural(left, 'more finding')} for {code(r.slug)} left out of this report "
                f"(showing {len(shown)} of {len(r.findings)}); `acrdoctor diagnose --output json` "
                "has every finding, `--verbose` shows them all here._", ""]
    return out


def _incomplete(report: Report, verbose: bool) -> list[str]:
    broken = [r for r in report.results if r.status in (Status.SKIPPED, Status.ERRORED, Status.INCOMPLETE)]
    if not broken:
        return []
    out = ["### Checks that could not judge", "",
           "These are not passes: the data they need was missing or partial, or the check failed.", ""]
    for r in broken:
        out.append(f"- {EMOJI[r.status]} {code(r.slug)} {r.status.value}: {escape(r.reason or 'no reason given')}")
    out.append("")
    if verbose:
        for r in broken:
            if r.trace:
                out += [f"Traceback of {code(r.slug)}:", "", *fenced(r.trace.rstrip("\n").splitlines(), "text"), ""]
    return out


def _collection_errors(report: Report, max_errors: int | None) -> list[str]:
    errors = report.snapshot.errors
    if not errors:
        return []
    shown = errors if max_errors is None else errors[:max_errors]
    out = ["### Collection errors", "", "What the service refused while the data was collected.", ""]
    out += [f"- {escape(e.describe())}" for e in shown]
    if len(errors) > len(shown):
        out.append(f"- _{plural(len(errors) - len(shown), 'more error')} not shown; `--verbose` or "
                   "`--output json` lists them all._")
    return [*out, ""]


def render_markdown(report: Report, verbose: bool = False, max_findings: int = MAX_FINDINGS,
                    max_commands: int = MAX_COMMANDS, grouped: bool = True) -> str:
    """``grouped``: deletes of several manifests of one repository as one ``for`` loop, one digest a line, capped
    like commands (:mod:`acrdoctor.grouping`); false prints one command per manifest."""
    lines = _header(report)
    lines += [_verdict(report), ""]
    lines += _table(report)
    for r in report.results:
        if r.status is Status.FAILED:
            lines += _section(r, None if verbose else max_findings, None if verbose else max_commands, grouped)
    lines += _incomplete(report, verbose)
    lines += _collection_errors(report, None if verbose else max_findings)
    if report.plugin_warnings:
        lines += ["### Warnings", "", *(f"- {escape(w)}" for w in report.plugin_warnings), ""]
    return "\n".join(lines).rstrip("\n") + "\n"
