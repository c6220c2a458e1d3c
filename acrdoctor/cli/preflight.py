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
from acrdoctor.clock import system_clock
from acrdoctor.model import Part, Snapshot
from acrdoctor.preflight.commands import parse_command
from acrdoctor.preflight.render import render_console, render_json, render_markdown
from acrdoctor.preflight.report_script import render_script_console, render_script_json, script_exit_code
from acrdoctor.preflight.report_tasks import render_tasks_console, render_tasks_json, tasks_exit_code
from acrdoctor.preflight.run import PREFLIGHT_PARTS, exit_code, plan_for, quoted, safe_plan_script
from acrdoctor.preflight.script import evaluate_script
from acrdoctor.preflight.tasks import preflight_tasks
from acrdoctor.user_files import check_writable, read_text


def _overrides(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        name, eq, value = item.partition("=")
        if not eq or not name.isidentifier():
            raise click.UsageError(f"--set takes NAME=VALUE (a shell variable name), got {item!r}")
        out[name] = value
    return out


def _mode(command: tuple[str, ...], tasks: bool, script: Path | None, output: str, safe_plan_out: Path | None,
          overrides: tuple[str, ...]) -> str:
    given = [m for m, on in (("a command after --", bool(command)), ("--tasks", tasks), ("--script", script)) if on]
    if len(given) != 1:
        raise click.UsageError("say what to pre-flight: a command after --, --tasks or --script FILE"
                               + (f" (got {' and '.join(given)})" if given else ""))
    mode = "command" if command else "tasks" if tasks else "script"
    if mode != "command" and (output == "markdown" or safe_plan_out):
        what = "--output markdown" if output == "markdown" else "--safe-plan-out"
        raise click.UsageError(f"{what} is for one command, not for --{mode}")
    if overrides and mode != "script":
        raise click.UsageError("--set is for --script")
    return mode


def _source(registry: str | None, demo: str | None, snapshot_path: Path | None, bundle_path: Path | None,
            live: dict[str, Any], parts: frozenset[Part]) -> Snapshot:
    if registry and not (demo or snapshot_path or bundle_path):
        return common.collect_live(registry, [], live, parts=parts).snapshot
    return common.load_source(demo, snapshot_path, registry, bundle_path)


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
@click.option("--tasks", is_flag=True,
              help="Pre-flight every acr purge the registry's ACR tasks run, as of their next scheduled run.")
@click.option("--script", "script", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Pre-flight every delete of a cleanup shell script, in order, on the registry as each leaves it.")
@click.option("--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="With --script: give a script variable this value, over the script's own (e.g. ENABLE_DELETE=true).")
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
def preflight_cmd(demo: str | None, snapshot_path: Path | None, registry: str | None, in_use: Path | None,
            safe_plan_out: Path | None, output: str, fail_on: str, verbose: bool, command: tuple[str, ...],
            tasks: bool = False, script: Path | None = None, overrides: tuple[str, ...] = (),
            bundle_path: Path | None = None, **live: Any) -> None:
    """Check a delete before running it: the exact plan, what blocks it and the bytes it frees.

    Put the command after --, verbatim: acr purge ..., az acr run --cmd "acr purge ..." /dev/null,
    az acr repository delete|untag ..., az acr manifest delete ..., az acr delete ...
    Or --tasks (the scheduled purges of the registry's ACR tasks) or --script FILE (a whole cleanup script).
    """
    mode = _mode(command, tasks, script, output, safe_plan_out, overrides)
    gate = Severity(fail_on)
    in_use_text = read_text(in_use) if in_use else None
    if mode == "tasks":
        snapshot = _source(registry, demo, snapshot_path, bundle_path, live, PREFLIGHT_PARTS | {Part.TASKS})
        now = system_clock()
        results = preflight_tasks(snapshot, now, in_use=in_use_text)
        if output == "json":
            click.echo(render_tasks_json(results, snapshot, now, pretty=sys.stdout.isatty(), fail_on=gate), nl=False)
        else:
            render_tasks_console(results, snapshot, now, common.stdout_console(), fail_on=gate)
        sys.exit(tasks_exit_code(results, snapshot, gate))
    if mode == "script":
        assert script is not None
        text = read_text(script)  # a binary or undecodable file fails before any registry is read
        values = _overrides(overrides)
        snapshot = _source(registry, demo, snapshot_path, bundle_path, live, PREFLIGHT_PARTS)
        report = evaluate_script(text, snapshot, overrides=values, in_use=in_use_text)
        if output == "json":
            click.echo(render_script_json(report, str(script), pretty=sys.stdout.isatty(), fail_on=gate), nl=False)
        else:
            render_script_console(report, str(script), common.stdout_console(), fail_on=gate)
        sys.exit(script_exit_code(report, gate))
    request = parse_command(list(command))  # a malformed command fails before any registry is read
    if safe_plan_out:
        check_writable(safe_plan_out, "--safe-plan-out")
    snapshot = _source(registry, demo, snapshot_path, bundle_path, live, PREFLIGHT_PARTS)
    plan = plan_for(request, snapshot, in_use=in_use_text)
    text = quoted(list(command))
    if safe_plan_out:
        safe_plan_out.write_text(safe_plan_script(plan, snapshot, text), "utf-8")
        safe_plan_out.chmod(0o755)
    if output == "json":
        click.echo(render_json(plan, snapshot, text, pretty=sys.stdout.isatty(), fail_on=gate), nl=False)
    elif output == "markdown":
        click.echo(render_markdown(plan, snapshot, text, fail_on=gate), nl=False)
    else:
        render_console(plan, snapshot, text, common.stdout_console(), verbose=verbose, fail_on=gate)
    sys.exit(exit_code(plan, snapshot, gate))
