"""``acrdoctor diagnose``: run the checks over one registry and render every finding with its fix.

Imports :mod:`acrdoctor.cli.common` and the library (engine, renderers); no other command module.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

import acrdoctor.cli.common as common
from acrdoctor.check_api import Severity
from acrdoctor.engine import Catalogue, Report, diagnose

OUTPUTS = ("table", "json", "sarif", "markdown")
#: How deletes of many manifests of one repository are printed (acrdoctor.grouping, docs/output.md).
COMMAND_FORMS = ("grouped", "full")


def render(report: Report, output: str, verbose: bool, grouped: bool = True) -> str | None:
    """Render non-console formats to a string; the console format prints directly and returns None."""
    if output == "json":
        from acrdoctor.render.json_report import render_json

        return render_json(report, pretty=sys.stdout.isatty(), grouped=grouped)
    if output == "sarif":
        from acrdoctor.render.sarif import render_sarif

        return render_sarif(report, grouped=grouped)
    if output == "markdown":
        from acrdoctor.render.markdown import render_markdown

        return render_markdown(report, verbose=verbose, grouped=grouped)
    from acrdoctor.render.console import render_console

    render_console(report, common.stdout_console(), verbose=verbose, grouped=grouped)
    return None


@click.command("diagnose")
@common.source_options
@common.live_options
@click.option("--check", "checks", multiple=True, metavar="SLUG", help="Run only this check (repeatable).")
@click.option("--skip", "skips", multiple=True, metavar="SLUG", help="Do not run this check (repeatable).")
@click.option("--output", "-o", type=click.Choice(OUTPUTS), default="table", show_default=True,
              help="Report format.")
@click.option("--fail-on", type=click.Choice(common.severity_names()), default="medium", show_default=True,
              help="Exit 1 when a finding is at or above this severity.")
@click.option("--verbose", "-v", is_flag=True, help="Show every finding and command in the console.")
@click.option("--commands", "commands_form", type=click.Choice(COMMAND_FORMS), default="grouped", show_default=True,
              help="grouped: the deletes of several manifests of one repository as one group (JSON) or loop; "
                   "full: one command per manifest.")
@click.option("--no-plugins", is_flag=True, help="Ignore checks installed by other packages.")
def diagnose_cmd(demo: str | None, snapshot_path: Path | None, registry: str | None, checks: Sequence[str],
            skips: Sequence[str], output: str, fail_on: str, verbose: bool, commands_form: str, no_plugins: bool,
            bundle_path: Path | None = None, **live: Any) -> None:
    """Run the checks over a registry (live, a snapshot file or the demo) and explain every finding with its fix."""
    catalogue = Catalogue.load(plugins=not no_plugins)
    # Validate slugs before reading a possibly large snapshot, so typos fail fast.
    selected = catalogue.select(checks or None, skips)
    if registry and not (demo or snapshot_path or bundle_path):
        snapshot = common.collect_live(registry, selected, live).snapshot
    else:
        snapshot = common.load_source(demo, snapshot_path, registry, bundle_path)
    report = diagnose(snapshot, checks or None, skips, catalogue=catalogue)
    text = render(report, output, verbose, grouped=commands_form == "grouped")
    if text is not None:
        click.echo(text, nl=False)
    sys.exit(report.exit_code(Severity(fail_on)))
