"""What every ``acrdoctor`` command shares: exit codes, the one-line error, error mapping, options and sources.

Owns the CLI's contract with scripts (exit codes, one line on stderr per error), the options that say where a
registry comes from (``--demo``, ``--snapshot``, ``--bundle``, the live options) and turning them into a
snapshot. It may import click and the library (``acrdoctor.*`` outside ``acrdoctor.cli``), never a command
module. ``acrdoctor --help`` imports it, so everything past click and :mod:`acrdoctor.errors` is imported inside
the function that needs it: start-up stays close to click's own (bench/startup_bench.py).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from acrdoctor.errors import InputError, ServiceUnavailable

if TYPE_CHECKING:
    from rich.console import Console

    from acrdoctor.check_api import Check
    from acrdoctor.collect.live import LiveResult
    from acrdoctor.model import Part, Snapshot

EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
EXIT_INTERRUPTED = 130
EXIT_INTERNAL = 70

#: The live options' keys, as click passes them to a command in ``**live``.
LIVE_KEYS = ("subscription", "resource_group", "repositories", "max_requests_per_minute", "concurrency", "no_cache",
             "cache_dir", "quiet", "arm_endpoint", "ca_file", "max_wait")


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """One line on stderr and the exit code: what scripts parse, so never a traceback or a multi-line usage."""
    from acrdoctor.textsafe import visible

    click.echo(f"acrdoctor: error: {visible(message)}", err=True)
    sys.exit(code)


def stdout_console() -> Console:
    """Wrap to the terminal's width on a terminal; on a pipe never break lines, so grep and copy work."""
    from rich.console import Console

    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, soft_wrap=True, width=240)
    return console


#: ``acrdoctor`` with no sub-command shows the help; click (8.2+) signals that as a usage error.
_NO_ARGS_IS_HELP: tuple[type[Exception], ...] = tuple(
    t for t in (getattr(click.exceptions, "NoArgsIsHelpError", None),) if t is not None)


def usage_line(exc: click.UsageError) -> str:
    """Click's usage errors span several lines (usage, hint, error); scripts and users want one."""
    if isinstance(exc, _NO_ARGS_IS_HELP):
        raise exc
    hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
    return exc.format_message().rstrip(".") + hint


@contextmanager
def sdk_logs_silenced() -> Iterator[None]:
    """Keep the Azure SDKs' log records off the terminal while a command runs.

    Unconfigured, Python prints warnings to stderr: DefaultAzureCredential alone writes a dozen lines, one per
    credential it tried, before acrdoctor's own one-line error. ``ACRDOCTOR_DEBUG=1`` lets them through.
    """
    if os.environ.get("ACRDOCTOR_DEBUG"):
        yield
        return
    import logging

    logger = logging.getLogger("azure")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)


@contextmanager
def errors_mapped() -> Iterator[None]:
    """Every failure of a running command as one line and the documented exit code (README).

    Input errors exit 2, an Azure that cannot answer or makes us wait too long exits 3 (data incomplete),
    Ctrl-C 130, anything unexpected 70 with a hint to ``ACRDOCTOR_DEBUG=1``, which re-raises it instead.
    """
    try:
        with sdk_logs_silenced():
            yield
    except InputError as exc:
        fail(str(exc))
    except ServiceUnavailable as exc:
        fail(str(exc), EXIT_INCOMPLETE)
    except click.UsageError as exc:
        fail(usage_line(exc))
    except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
        raise
    except KeyboardInterrupt:
        fail("interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:
        # Only a command that read a live registry can raise it; importing it up front would slow every start.
        from acrdoctor.azure.waits import WaitTooLong

        if isinstance(exc, WaitTooLong):
            fail(str(exc), EXIT_INCOMPLETE)
        if os.environ.get("ACRDOCTOR_DEBUG"):
            raise
        fail(f"internal error: {type(exc).__name__}: {exc} (set ACRDOCTOR_DEBUG=1 for a traceback)", EXIT_INTERNAL)


def severity_names() -> list[str]:
    """The ``--fail-on`` choices, lowest first (check_api's order)."""
    from acrdoctor.check_api import Severity

    return [s.value for s in Severity]


def demo_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--demo`` alone is the main demo registry; ``--demo=NAME`` one of its documented variants."""
    return click.option("--demo", "demo", is_flag=False, flag_value="contoso", default=None, metavar="[VARIANT]",
                        help=help_text)


def source_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--demo``, ``--snapshot`` and ``--bundle``: the offline ways in, for diagnose and preflight."""
    f = demo_option("Use the bundled demo registry, or one of its variants (acrdoctor checks demos).")(f)
    f = click.option("--snapshot", "snapshot_path", type=click.Path(dir_okay=False, path_type=Path),
                     help="Read a snapshot file (see docs/snapshot.md).")(f)
    f = click.option("--bundle", "bundle_path", type=click.Path(file_okay=False, path_type=Path),
                     help="Read a bundle directory written by the bundle-script script (docs/bundle.md).")(f)
    return f


def _checked_ca_file(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    if value is not None:
        from acrdoctor.user_files import check_ca_file

        check_ca_file(value)
    return value


def live_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Options that say how to reach and scan a live registry; shared by diagnose, collect, preflight and fix."""
    from acrdoctor.azure.waits import DEFAULT_MAX_WAIT

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
        click.option("--arm-endpoint", metavar="URL", envvar="ACRDOCTOR_ARM_ENDPOINT",
                     help="Azure Resource Manager URL, for sovereign clouds (default: $ACRDOCTOR_ARM_ENDPOINT, "
                          "else the public cloud)."),
        click.option("--ca-file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
                     callback=_checked_ca_file, envvar="ACRDOCTOR_CA_FILE",
                     help="CA bundle to trust, e.g. behind a TLS-inspecting proxy (default: $ACRDOCTOR_CA_FILE)."),
        click.option("--max-wait", type=click.FloatRange(min=0), default=DEFAULT_MAX_WAIT, show_default=True,
                     metavar="SECONDS", help="Longest wait for a throttled Azure (Retry-After); past it, stop."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def collect_live(registry: str, checks: Sequence[type[Check]], live: Mapping[str, Any],
                 parts: frozenset[Part] | None = None) -> LiveResult:
    """Collect what ``checks`` need (or ``parts``) from a live registry (library: acrdoctor.collect.live.collect)."""
    from acrdoctor.azure.waits import Waits
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
    try:
        result = collect(opts)
        cache.prune()
    finally:
        cache.close()  # writes what is still pending (the scanner flushes; a failed scan may not have)
    return result


def load_source(demo: str | bool | None, snapshot_path: Path | None, registry: str | None = None,
                bundle_path: Path | None = None) -> Snapshot:
    """The snapshot of an offline source; exactly one may be given (a live ``registry`` only counts against it)."""
    given = [x for x, on in (("--demo", demo), ("--snapshot", snapshot_path), ("--registry", registry),
                             ("--bundle", bundle_path)) if on]
    if len(given) > 1:
        sources = "--demo, --snapshot, --registry and --bundle" if bundle_path else "--demo, --snapshot and --registry"
        raise click.UsageError(f"give only one of {sources} (got {' and '.join(given)})")
    if demo:
        from acrdoctor.demo import load_demo

        return load_demo(demo if isinstance(demo, str) else None)
    if snapshot_path:
        from acrdoctor.snapshot_io import load_snapshot

        return load_snapshot(snapshot_path)
    if bundle_path:
        from acrdoctor.collect.bundle import load_bundle

        return load_bundle(bundle_path)
    raise click.UsageError("say what to diagnose: --registry NAME, --snapshot FILE or --demo (or --bundle DIR)")

