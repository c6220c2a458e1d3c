"""The usage report on a terminal: totals, a table of repositories with bars, the ranked candidates.

Everything from data goes into ``rich.text.Text`` objects (never parsed as markup) after
:func:`~acrdoctor.textsafe.visible`, so a repository named ``[red]x`` or holding an escape sequence prints as
written. Commands are printed on lines of their own, unwrapped, so they can be copied whole.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from acrdoctor.textsafe import visible
from acrdoctor.units import human_bytes, plural
from acrdoctor.usage.model import AGE_NAMES, RepositoryUsage, UsageReport

#: Repositories shown in the table (largest first); JSON and CSV hold all of them.
SHOWN = 25
BAR_WIDTH = 24
#: Bar segments: exclusive bytes a tag reaches, exclusive bytes only dangling manifests hold, shared bytes.
SEGMENTS = (("█", "green", "exclusive"), ("▓", "yellow", "dangling"), ("░", "cyan", "shared"))


def bar(r: RepositoryUsage, scale: int, width: int = BAR_WIDTH) -> Text:
    """A bar as long as the repository's bytes relative to ``scale``, split into its three kinds."""
    text = Text()
    if scale <= 0:
        return text
    parts = (r.in_use_exclusive_bytes, r.dangling_freed_bytes, r.shared_bytes)
    for (ch, style, _), n in zip(SEGMENTS, parts, strict=True):
        cells = round(width * n / scale)
        if n and not cells:
            cells = 1  # a kind that holds bytes is never invisible
        text.append(ch * cells, style=style)
    return text


def _legend() -> Text:
    text = Text("bars: ")
    for ch, style, name in SEGMENTS:
        text.append(ch, style=style)
        text.append(f" {name}  ")
    return text


def render_console(report: UsageReport, console: Console) -> None:
    t = report.totals
    console.print(Text(f"Storage of registry {visible(report.registry)}", style="bold"))
    console.print(Text(f"as collected at {visible(report.collected_at or 'an unknown time')}; ages from "
                       f"{report.now}"))
    if report.gaps:
        console.print(Text("Data incomplete: byte figures are lower bounds. " + visible("; ".join(report.gaps)),
                           style="yellow"))
    console.print()
    lines = [
        ("Stored, deduplicated (configs and layers)", t.deduplicated_bytes),
        ("Service's Size usage", t.service_bytes),
        ("Sum of imageSize (shared layers counted per manifest)", t.image_size_sum),
        ("Difference, service − deduplicated", t.unexplained_bytes),
        ("Shared by several repositories", t.shared_bytes),
        (f"Freed by deleting all {plural(t.dangling_manifests, 'dangling manifest')}", t.dangling_freed_bytes),
    ]
    totals = Table(show_header=False, box=None, pad_edge=False)
    totals.add_column()
    totals.add_column(justify="right")
    totals.add_column(justify="right", style="dim")
    for label, value in lines:
        totals.add_row(label, "not collected" if value is None else human_bytes(value),
                       "" if value is None else f"{value:,} B")
    console.print(totals)
    for e in t.explanations:
        amount = f" ({human_bytes(e.bytes)})" if e.bytes is not None else ""
        console.print(Text(f"  - {e.code}{amount}: {visible(e.text)}"))
    ages = "  ".join(f"{name} {human_bytes(t.age_bytes[name])}" for name in AGE_NAMES)
    console.print(Text(f"By last update: {ages}"))
    console.print()
    _repositories(report, console)
    console.print()
    _candidates(report, console)


def _repositories(report: UsageReport, console: Console) -> None:
    repos = sorted(report.repositories, key=lambda r: (-r.total_bytes, r.name))
    scale = max((r.total_bytes for r in repos), default=0)
    table = Table(title="Repositories, largest first", title_justify="left")
    for name, justify in (("repository", "left"), ("", "left"), ("total", "right"), ("exclusive", "right"),
                          ("shared", "right"), ("dangling frees", "right"), ("manifests", "right"),
                          ("tags", "right"), ("shares most with", "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in repos[:SHOWN]:
        most = f"{visible(r.shared_with[0][0])} ({human_bytes(r.shared_with[0][1])})" if r.shared_with else ""
        if r.shared_with_count > 1:
            most += f" +{r.shared_with_count - 1}"
        table.add_row(Text(visible(r.name)), bar(r, scale),
                      human_bytes(r.total_bytes) if r.collected else "not collected",
                      human_bytes(r.exclusive_bytes), human_bytes(r.shared_bytes),
                      human_bytes(r.dangling_freed_bytes), f"{r.manifests:,}", f"{r.tags:,}", Text(most))
    console.print(table)
    console.print(_legend())
    if len(repos) > SHOWN:
        console.print(Text(f"{len(repos) - SHOWN} smaller repositories not shown: --output json or csv lists all."))


def _candidates(report: UsageReport, console: Console) -> None:
    if not report.candidates:
        console.print(Text("No cleanup candidate frees any byte."))
        return
    table = Table(title=f"Cleanup candidates by exact bytes freed (older-than: {visible(report.older_than)})",
                  title_justify="left")
    for name, justify in (("#", "right"), ("kind", "left"), ("repository", "left"), ("frees", "right"),
                          ("manifests", "right"), ("tags", "right"), ("blockers", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for i, c in enumerate(report.candidates, 1):
        table.add_row(str(i), c.kind, Text(visible(c.repository)), human_bytes(c.freed_bytes),
                      f"{c.manifests_deleted:,}", f"{c.tags_deleted:,}", str(c.blocker_count) if c.blocker_count
                      else "")
    console.print(table)
    n = len(report.candidates)
    console.print(Text(
        f"All {n} together free {human_bytes(report.top_combined_bytes)} ({report.top_combined_bytes:,} B), "
        f"computed on what they delete together; their own figures add up to "
        f"{human_bytes(report.top_summed_bytes)}, because candidates overlap and shared layers are freed only "
        "when every holder goes."))
    console.print()
    for i, c in enumerate(report.candidates, 1):
        console.print(Text(f"#{i} {c.kind} {visible(c.repository)}: frees {human_bytes(c.freed_bytes)}",
                           style="bold"))
        console.print(Text("  check first: ") + Text(visible(c.preflight_command)), soft_wrap=True)
        console.print(Text("  then run:    ") + Text(visible(c.command)), soft_wrap=True)
        for b in c.blockers:
            console.print(Text(f"  blocker: {visible(b)}", style="yellow"), soft_wrap=True)
        if c.blocker_count > len(c.blockers):
            console.print(Text(f"  and {c.blocker_count - len(c.blockers)} more blockers (see the pre-flight)",
                               style="yellow"))
