"""``acrdoctor usage``: where a registry's bytes are, and what each cleanup would free.

Imports :mod:`acrdoctor.cli.common` and the library (:mod:`acrdoctor.usage`, user_files); no other command module.
Exit codes: 0 the report is complete, 2 usage or input error, 3 data incomplete (figures are lower bounds).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

import acrdoctor.cli.common as common
from acrdoctor.model import Part
from acrdoctor.usage import DEFAULT_OLDER_THAN, DEFAULT_TOP, UsageReport, build_usage, parse_older_than
from acrdoctor.user_files import check_writable

OUTPUTS = ("table", "json", "csv", "html")

#: What usage reads from a live registry: the pre-flight's parts (candidates are pre-flighted) and the soft-deleted
#: artifacts that explain part of the service's figure.
USAGE_PARTS = frozenset({Part.REGISTRY, Part.USAGE, Part.PRIVATE_ENDPOINT_CONNECTIONS, Part.REPLICATIONS,
                         Part.REPOSITORIES, Part.MANIFESTS, Part.TAGS, Part.MANIFEST_BODIES, Part.LISTINGS,
                         Part.DELETED_ARTIFACTS})


def candidates_path(out: Path) -> Path:
    """Where ``--output csv --out FILE`` writes the candidate table: next to FILE, ``NAME.candidates.csv``."""
    return out.with_name(f"{out.stem}.candidates.csv")


def _render(report: UsageReport, output: str, out: Path | None) -> None:
    if output == "table":
        from acrdoctor.usage.render_console import render_console

        if out is None:
            render_console(report, common.stdout_console())
            return
        from rich.console import Console

        with out.open("w", encoding="utf-8") as f:
            render_console(report, Console(file=f, highlight=False, soft_wrap=True, width=200, color_system=None))
        return
    if output == "json":
        from acrdoctor.usage.render_data import render_json

        text = render_json(report, pretty=out is not None or sys.stdout.isatty())
    elif output == "csv":
        from acrdoctor.usage.render_data import candidate_csv, repository_csv

        if out is not None:
            candidates_path(out).write_text(candidate_csv(report), "utf-8")
            text = repository_csv(report)
        else:
            text = repository_csv(report) + "\n" + candidate_csv(report)
    else:
        from acrdoctor.usage.render_html import render_html

        text = render_html(report)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, "utf-8")


@click.command("usage")
@common.source_options
@common.live_options
@click.option("--output", "-o", type=click.Choice(OUTPUTS), default="table", show_default=True,
              help="Report format: console table, JSON, CSV or a self-contained HTML page.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to this file instead of stdout (csv: FILE and FILE's stem.candidates.csv).")
@click.option("--top", type=int, default=DEFAULT_TOP, show_default=True, metavar="N",
              help="How many cleanup candidates to list and combine.")
@click.option("--older-than", "older_than", default=DEFAULT_OLDER_THAN, show_default=True, metavar="AGE",
              help="Age of the older-than candidates, as acr purge's --ago reads it: 30d, 36h, 1d12h.")
def usage_cmd(demo: str | None, snapshot_path: Path | None, registry: str | None, output: str, out: Path | None,
              top: int, older_than: str, bundle_path: Path | None = None, **live: Any) -> None:
    """Show where a registry's bytes are and rank cleanups by the exact bytes they free.

    Per repository: exclusive bytes (what deleting it frees), shared bytes and with whom, dangling bytes, bytes by
    age; registry totals against the service's usage figure; cleanup candidates with the command that does each
    and the acrdoctor preflight command that checks it first.
    """
    # Bad values fail before a registry or a large snapshot is read.
    parse_older_than(older_than)
    if top < 1:
        raise click.UsageError(f"invalid --top {top}: it must be at least 1")
    if out is not None:
        check_writable(out, "--out")
        if output == "csv":
            check_writable(candidates_path(out), "--out (candidates)")
    if registry and not (demo or snapshot_path or bundle_path):
        snapshot = common.collect_live(registry, [], live, parts=USAGE_PARTS).snapshot
    else:
        snapshot = common.load_source(demo, snapshot_path, registry, bundle_path)
    report = build_usage(snapshot, older_than=older_than, top=top)
    _render(report, output, out)
    sys.exit(0 if report.complete else common.EXIT_INCOMPLETE)
