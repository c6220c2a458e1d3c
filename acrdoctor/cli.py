"""The ``acrdoctor`` command: parse options, call the library, render, choose the exit code.

Nothing here decides what is wrong with a registry; that is the engine's and the checks' job, so
everything the CLI does can also be done from Python. Exit codes (README): 0 clean, 1 findings at or
above ``--fail-on``, 2 usage or input error, 3 data incomplete (checks skipped or errored).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from acrdoctor import __version__
from acrdoctor.check_api import Check, Severity
from acrdoctor.collect.waits import DEFAULT_MAX_WAIT, Waits, WaitTooLong
from acrdoctor.engine import Catalogue, Report, diagnose
from acrdoctor.errors import InputError, ServiceUnavailable
from acrdoctor.model import Part, Snapshot

if TYPE_CHECKING:
    from acrdoctor.collect.live import LiveResult
from acrdoctor.snapshot_io import dump_snapshot, load_snapshot, snapshot_from_dict
from acrdoctor.textsafe import visible
from acrdoctor.user_files import check_ca_file, check_writable, read_text

EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
OUTPUTS = ("table", "json", "sarif", "markdown")
SEVERITIES = [s.value for s in Severity]


def load_demo() -> Snapshot:
    """The bundled demo registry: a snapshot that exhibits every failure mode in the catalogue."""
    text = resources.files("acrdoctor.data").joinpath("demo-snapshot.json").read_text("utf-8")
    return snapshot_from_dict(json.loads(text))


def _stdout_console() -> Console:
    """Wrap to the terminal's width on a terminal; on a pipe never break lines, so grep and copy work."""
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, soft_wrap=True, width=240)
    return console


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    click.echo(f"acrdoctor: error: {visible(message)}", err=True)
    sys.exit(code)


def _render(report: Report, output: str, verbose: bool) -> str | None:
    """Render non-console formats to a string; the console format prints directly and returns None."""
    if output == "json":
        from acrdoctor.render.json_report import render_json

        return render_json(report, pretty=sys.stdout.isatty())
    if output == "sarif":
        from acrdoctor.render.sarif import render_sarif

        return render_sarif(report)
    if output == "markdown":
        from acrdoctor.render.markdown import render_markdown

        return render_markdown(report, verbose=verbose)
    from acrdoctor.render.console import render_console

    render_console(report, _stdout_console(), verbose=verbose)
    return None


#: ``acrdoctor`` with no sub-command shows the help; click (8.2+) signals that as a usage error.
_NO_ARGS_IS_HELP: tuple[type[Exception], ...] = tuple(
    t for t in (getattr(click.exceptions, "NoArgsIsHelpError", None),) if t is not None)


def _usage_line(exc: click.UsageError) -> str:
    """Click's usage errors span several lines (usage, hint, error); scripts and users want one."""
    if isinstance(exc, _NO_ARGS_IS_HELP):
        raise exc
    hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
    return exc.format_message().rstrip(".") + hint


@contextmanager
def _sdk_logs_silenced() -> Iterator[None]:
    """Keep the Azure SDKs' log records off the terminal while a command runs.

    Unconfigured, Python prints warnings to stderr: DefaultAzureCredential alone writes a dozen lines, one per
    credential it tried, before acrdoctor's own one-line error. ``ACRDOCTOR_DEBUG=1`` lets them through.
    """
    logger = logging.getLogger("azure")
    if os.environ.get("ACRDOCTOR_DEBUG"):
        yield
        return
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)


class _Group(click.Group):
    """Turns usage and input errors into one line and exit 2, and anything unexpected into one line too.

    Sub-command options are parsed inside ``invoke``, so catching there covers every command; the
    group's own options are parsed in ``parse_args``.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            fail(_usage_line(exc))

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with _sdk_logs_silenced():
                return super().invoke(ctx)
        except InputError as exc:
            fail(str(exc))
        except (WaitTooLong, ServiceUnavailable) as exc:
            fail(str(exc), EXIT_INCOMPLETE)
        except click.UsageError as exc:
            fail(_usage_line(exc))
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except BrokenPipeError:
            sys.exit(0)
        except Exception as exc:
            if os.environ.get("ACRDOCTOR_DEBUG"):
                raise
            fail(f"internal error: {type(exc).__name__}: {exc} (set ACRDOCTOR_DEBUG=1 for a traceback)", 70)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="acrdoctor")
def cli() -> None:
    """Diagnose why deleting things in Azure Container Registry fails or frees less storage than expected."""


def _source_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--demo", is_flag=True, help="Use the bundled demo registry.")(f)
    f = click.option("--snapshot", "snapshot_path", type=click.Path(dir_okay=False, path_type=Path),
                     help="Read a snapshot file (see docs/snapshot.md).")(f)
    f = click.option("--bundle", "bundle_path", type=click.Path(file_okay=False, path_type=Path),
                     help="Read a bundle directory written by the bundle-script script (docs/bundle.md).")(f)
    return f


def _checked_ca_file(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    if value is not None:
        check_ca_file(value)
    return value


def _live_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Options that say how to reach and scan a live registry; shared by diagnose and collect."""
    options = [
        click.option("--registry", "-r", "registry", metavar="NAME",
                     help="A live registry: its name, login server (NAME.azurecr.io) or ARM resource id."),
        click.option("--subscription", metavar="ID", help="Subscription of the registry (default: az's current one)."),
        click.option("--resource-group", "-g", metavar="GROUP",
                     help="Resource group of the registry (default: found through ARM)."),
        click.option("--repository", "repositories", multiple=True, metavar="REPO",
                     help="Scan only this repository (repeatable); registry-wide byte figures are then partial."),
        click.option("--max-requests-per-minute", type=click.FloatRange(min=1), metavar="N",
                     help="Client-side request limit (default: the documented per-identity read limit of the SKU)."),
        click.option("--concurrency", type=click.IntRange(1, 64), default=16, show_default=True,
                     help="Concurrent data-plane requests."),
        click.option("--no-cache", is_flag=True, help="Do not read or write the manifest body cache."),
        click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path),
                     help="Where to cache manifest bodies (default: the platform cache directory)."),
        click.option("--quiet", "-q", is_flag=True, help="No progress bar."),
        click.option("--arm-endpoint", metavar="URL",
                     help="Azure Resource Manager URL, for sovereign clouds (default: the public cloud)."),
        click.option("--ca-file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
                     callback=_checked_ca_file,
                     help="CA bundle to trust, e.g. behind a TLS-inspecting proxy."),
        click.option("--max-wait", type=click.FloatRange(min=0), default=DEFAULT_MAX_WAIT, show_default=True,
                     metavar="SECONDS", help="Longest wait for a throttled Azure (Retry-After); past it, stop."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _live(registry: str, checks: Sequence[type[Check]], live: dict[str, Any],
          parts: frozenset[Part] | None = None) -> LiveResult:
    """Collect what ``checks`` need (or ``parts``) from a live registry (library: acrdoctor.collect.live.collect)."""
    from acrdoctor.collect.cache import ManifestCache
    from acrdoctor.collect.live import LiveOptions, collect, parse_target, parts_for
    from acrdoctor.collect.progress import Progress

    target = parse_target(registry)
    cache = ManifestCache(live["cache_dir"], enabled=not live["no_cache"])
    opts = LiveOptions(
        target=target, subscription=live["subscription"], resource_group=live["resource_group"],
        repositories=tuple(live["repositories"]), parts=parts if parts is not None else parts_for(checks),
        max_requests_per_minute=live["max_requests_per_minute"], concurrency=live["concurrency"], cache=cache,
        progress=Progress.for_terminal(quiet=live["quiet"]), arm_endpoint=live["arm_endpoint"],
        connection_verify=str(live["ca_file"]) if live["ca_file"] else True, waits=Waits(live["max_wait"]),
    )
    result = collect(opts)
    cache.prune()
    return result


def _load_source(demo: bool, snapshot_path: Path | None, registry: str | None = None,
                 bundle_path: Path | None = None) -> Snapshot:
    given = [x for x, on in (("--demo", demo), ("--snapshot", snapshot_path), ("--registry", registry),
                             ("--bundle", bundle_path)) if on]
    if len(given) > 1:
        sources = "--demo, --snapshot, --registry and --bundle" if bundle_path else "--demo, --snapshot and --registry"
        raise click.UsageError(f"give only one of {sources} (got {' and '.join(given)})")
    if demo:
        return load_demo()
    if snapshot_path:
        return load_snapshot(snapshot_path)
    if bundle_path:
        from acrdoctor.collect.bundle import load_bundle

        return load_bundle(bundle_path)
    raise click.UsageError("say what to diagnose: --registry NAME, --snapshot FILE or --demo (or --bundle DIR)")


LIVE_KEYS = ("subscription", "resource_group", "repositories", "max_requests_per_minute", "concurrency", "no_cache",
             "cache_dir", "quiet", "arm_endpoint", "ca_file", "max_wait")


@cli.command("diagnose")
@_source_options
@_live_options
@click.option("--check", "checks", multiple=True, metavar="SLUG", help="Run only this check (repeatable).")
@click.option("--skip", "skips", multiple=True, metavar="SLUG", help="Do not run this check (repeatable).")
@click.option("--output", "-o", type=click.Choice(OUTPUTS), default="table", show_default=True,
              help="Report format.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="medium", show_default=True,
              help="Exit 1 when a finding is at or above this severity.")
@click.option("--verbose", "-v", is_flag=True, help="Show every finding and command in the console.")
@click.option("--no-plugins", is_flag=True, help="Ignore checks installed by other packages.")
def diagnose_cmd(demo: bool, snapshot_path: Path | None, registry: str | None, checks: Sequence[str],
                 skips: Sequence[str], output: str, fail_on: str, verbose: bool, no_plugins: bool,
                 bundle_path: Path | None = None, **live: Any) -> None:
    """Run the checks over a registry (live, a snapshot file or the demo) and explain every finding with its fix."""
    catalogue = Catalogue.load(plugins=not no_plugins)
    # Validate slugs before reading a possibly large snapshot, so typos fail fast.
    selected = catalogue.select(checks or None, skips)
    if registry and not (demo or snapshot_path or bundle_path):
        snapshot = _live(registry, selected, live).snapshot
    else:
        snapshot = _load_source(demo, snapshot_path, registry, bundle_path)
    report = diagnose(snapshot, checks or None, skips, catalogue=catalogue)
    text = _render(report, output, verbose)
    if text is not None:
        click.echo(text, nl=False)
    sys.exit(report.exit_code(Severity(fail_on)))


@cli.command("collect")
@_live_options
@click.option("--out", "-o", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the snapshot (JSON, see docs/snapshot.md).")
@click.option("--check", "checks", multiple=True, metavar="SLUG",
              help="Collect only what these checks need (repeatable; default: everything).")
@click.option("--no-plugins", is_flag=True, help="Ignore checks installed by other packages.")
def collect_cmd(registry: str | None, out: Path, checks: Sequence[str], no_plugins: bool, **live: Any) -> None:
    """Read a live registry (read-only) and write a snapshot file to diagnose later or attach to a ticket."""
    if not registry:
        raise click.UsageError("say which registry to collect: --registry NAME")
    check_writable(out, "--out")
    catalogue = Catalogue.load(plugins=not no_plugins)
    selected = catalogue.select(checks or None)
    result = _live(registry, selected, live)
    dump_snapshot(result.snapshot, out)
    s = result.stats
    repos = len(result.snapshot.repositories or ())
    click.echo(f"wrote {out}: {repos} repositories, {s.manifests} manifests, {s.bodies_fetched} manifest bodies "
               f"fetched ({s.bodies_cached} from cache), {s.requests} data-plane requests, {s.throttled} throttled, "
               f"{len(result.snapshot.errors)} collection errors", err=True)


@cli.command("preflight", context_settings={"ignore_unknown_options": True})
@_source_options
@_live_options
@click.option("--in-use", "in_use", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Image references in use (one per line); the plan must not delete them.")
@click.option("--safe-plan-out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the plan without its blocked targets as a bash script of az commands.")
@click.option("--output", "-o", type=click.Choice(["table", "json", "markdown"]), default="table",
              show_default=True, help="Report format.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="medium", show_default=True,
              help="Exit 1 when a warning is at or above this severity (blockers always exit 1).")
@click.option("--verbose", "-v", is_flag=True, help="List every deletion in the console.")
@click.argument("command", nargs=-1, type=click.UNPROCESSED, required=True)
def preflight_cmd(demo: bool, snapshot_path: Path | None, registry: str | None, in_use: Path | None,
                  safe_plan_out: Path | None, output: str, fail_on: str, verbose: bool, command: tuple[str, ...],
                  bundle_path: Path | None = None, **live: Any) -> None:
    """Check a delete before running it: the exact plan, what blocks it and the bytes it frees.

    Put the command after --, verbatim: acr purge ..., az acr run --cmd "acr purge ..." /dev/null,
    az acr repository delete|untag ..., az acr manifest delete ..., az acr delete ...
    """
    from acrdoctor.preflight.commands import parse_command
    from acrdoctor.preflight.render import render_console, render_json, render_markdown
    from acrdoctor.preflight.run import PREFLIGHT_PARTS, exit_code, plan_for, quoted, safe_plan_script

    request = parse_command(list(command))  # a malformed command fails before any registry is read
    if safe_plan_out:
        check_writable(safe_plan_out, "--safe-plan-out")
    in_use_text = read_text(in_use) if in_use else None
    if registry and not (demo or snapshot_path or bundle_path):
        snapshot = _live(registry, [], live, parts=PREFLIGHT_PARTS).snapshot
    else:
        snapshot = _load_source(demo, snapshot_path, registry, bundle_path)
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
        render_console(plan, snapshot, text, _stdout_console(), verbose=verbose, fail_on=gate)
    sys.exit(exit_code(plan, snapshot, gate))


@cli.command("bundle-script")
@click.option("--registry", "-r", "registry", required=True, metavar="NAME",
              help="The registry: its name, login server (NAME.azurecr.io) or ARM resource id.")
@click.option("--resource-group", "-g", metavar="GROUP",
              help="Resource group of the registry (default: az finds it).")
@click.option("--repository", "repositories", multiple=True, metavar="REPO",
              help="Collect only this repository (repeatable; default: every repository).")
def bundle_script_cmd(registry: str, resource_group: str | None, repositories: Sequence[str]) -> None:
    """Print a bash script of read-only az commands that writes a bundle for 'diagnose --bundle DIR'.

    For someone who can run az but not acrdoctor: run the script where az is signed in, send back the
    directory it writes (docs/bundle.md describes the layout).
    """
    from acrdoctor.collect.bundle_script import bundle_script

    click.echo(bundle_script(registry, repositories, resource_group), nl=False)


@cli.command("explain")
@click.argument("text", metavar="TEXT|-|FILE")
@click.option("--output", "-o", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Report format (json: docs/explain.md).")
@click.option("--text", "as_text", is_flag=True, help="TEXT is the error text, even if it looks like a file name.")
def explain_cmd(text: str, output: str, as_text: bool) -> None:
    """Explain ACR errors in TEXT, in a log FILE or on stdin (-): what failed, why, how to confirm and fix it.

    Exit 0 when something was recognised, 1 when nothing was, 2 when the input cannot be read (a file name
    that names no file, an empty argument).
    """
    from acrdoctor.explain import render_console, render_json
    from acrdoctor.explain.argument import explain_argument

    result = explain_argument(text, sys.stdin.buffer, sys.stderr, as_text=as_text)
    if output == "json":
        click.echo(render_json(result, pretty=sys.stdout.isatty()), nl=False)
    else:
        render_console(result, _stdout_console())
    sys.exit(result.exit_code())


@cli.group("checks")
def checks_group() -> None:
    """Describe the catalogue of checks."""


@checks_group.command("list")
@click.option("--output", "-o", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Catalogue format; json is a list of check descriptions.")
@click.option("--no-plugins", is_flag=True, help="Ignore checks installed by other packages.")
def checks_list(output: str, no_plugins: bool) -> None:
    """List every check with its slug, severity and title."""
    catalogue = Catalogue.load(plugins=not no_plugins)
    if output == "json":
        click.echo(json.dumps([check_to_dict(c) for c in catalogue], indent=2))
        # Keep stdout parseable, but never hide a broken or shadowed plug-in.
        for w in catalogue.warnings:
            click.echo(f"acrdoctor: warning: {w}", err=True)
        return
    table = Table(box=None, show_edge=False, pad_edge=False)
    table.add_column("slug", style="bold")
    table.add_column("severity")
    table.add_column("needs", style="dim")
    table.add_column("title")
    for c in catalogue:
        table.add_row(c.slug, c.severity.value, ", ".join(sorted(p.value for p in c.needs)), c.title)
    console = _stdout_console()
    console.print(table)
    for w in catalogue.warnings:
        console.print(Text(f"! {w}", style="yellow"))


def check_to_dict(c: type[Check]) -> dict[str, Any]:
    return {
        "slug": c.slug,
        "title": c.title,
        "severity": c.severity.value,
        "needs": sorted(p.value for p in c.needs),
        "failure_mode": c.failure_mode,
        "cause": c.cause,
        "docs": list(c.docs),
        "module": c.__module__,
    }


@checks_group.command("show")
@click.argument("slug")
@click.option("--output", "-o", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Description format.")
def checks_show(slug: str, output: str) -> None:
    """Describe one check: what it detects, why it happens and where to read more."""
    c = Catalogue.load().get(slug)
    d = check_to_dict(c)
    if output == "json":
        click.echo(json.dumps(d, indent=2))
        return
    console = _stdout_console()
    console.print(Text(f"{c.slug}: {c.title}", style="bold"))
    console.print(f"severity:     {d['severity']}")
    if c.failure_mode:
        console.print(Text("symptom:      " + c.failure_mode))
    console.print(Text("cause:        " + c.cause))
    console.print(Text("needs:        " + (", ".join(p.label for p in c.needs) or "nothing")))
    for url in c.docs:
        console.print(Text("docs:         " + url), soft_wrap=True)
    console.print(Text("defined in:   " + c.__module__, style="dim"))


def main(argv: Sequence[str] | None = None) -> None:
    cli.main(args=list(argv) if argv is not None else None, prog_name="acrdoctor")


# Registered last: the fix command reuses the option helpers above.
from acrdoctor.fix.command import fix_cmd  # noqa: E402

cli.add_command(fix_cmd)
