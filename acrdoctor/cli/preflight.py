"""``acrdoctor preflight``: check a delete command against a registry before anyone runs it.

Imports :mod:`acrdoctor.cli.common` and the library (:mod:`acrdoctor.preflight`, user_files); no other command
module.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

import acrdoctor.cli.common as common
from acrdoctor.check_api import Severity
from acrdoctor.preflight.commands import parse_command
from acrdoctor.preflight.render import render_console, render_json, render_markdown
from acrdoctor.preflight.run import PREFLIGHT_PARTS, exit_code, plan_for, quoted, safe_plan_script
from acrdoctor.user_files import check_writable, read_text


@click.command("preflight", context_settings={"ignore_unknown_options": True})
@common.source_options
@common.live_options
@click.option("--in-use", "in_use", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Image references in use (one per line); the plan must not delete them.")
@click.option("--safe-plan-out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the plan without its blocked targets as a bash script of az commands.")
@click.option("--output", "-o", type=click.Choice(["table", "json", "markdown"]), default="table",
              show_default=True, help="Report format.")
@click.option("--fail-on", type=click.Choice(common.severity_names()), default="medium", show_default=True,
              help="Exit 1 when a warning is at or above this severity (blockers always exit 1).")
@click.option("--verbose", "-v", is_flag=True, help="List every deletion in the console.")
@click.argument("command", nargs=-1, type=click.UNPROCESSED, required=True)
def preflight_cmd(demo: str | None, snapshot_path: Path | None, registry: str | None, in_use: Path | None,
            safe_plan_out: Path | None, output: str, fail_on: str, verbose: bool, command: tuple[str, ...],
            bundle_path: Path | None = None, **live: Any) -> None:
    """Check a delete before running it: the exact plan, what blocks it and the bytes it frees.

    Put the command after --, verbatim: acr purge ..., az acr run --cmd "acr purge ..." /dev/null,
    az acr repository delete|untag ..., az acr manifest delete ..., az acr delete ...
    """
    request = parse_command(list(command))  # a malformed command fails before any registry is read
    if safe_plan_out:
        check_writable(safe_plan_out, "--safe-plan-out")
    in_use_text = read_text(in_use) if in_use else None
    if registry and not (demo or snapshot_path or bundle_path):
        snapshot = common.collect_live(registry, [], live, parts=PREFLIGHT_PARTS).snapshot
    else:
        snapshot = common.load_source(demo, snapshot_path, registry, bundle_path)
    plan = plan_for(request, snapshot, in_use=in_use_text)
    text = quoted(list(command))
    if safe_plan_out:
        safe_plan_out.write_text(safe_plan_script(plan, snapshot, text), "utf-8")
        safe_plan_out.chmod(0o755)
    gate = Severity(fail_on)
    if output == "json":
        click.echo(render_json(plan, snapshot, text, pretty=sys.stdout.isatty(), fail_on=gate), nl=False)
    elif output == "markdown":
        click.echo(render_markdown(plan, snapshot, text, fail_on=gate), nl=False)
    else:
        render_console(plan, snapshot, text, common.stdout_console(), verbose=verbose, fail_on=gate)
    sys.exit(exit_code(plan, snapshot, gate))
