"""The ``acrdoctor`` command: parse options, call the library, render, choose the exit code.

Nothing here decides what is wrong with a registry; that is the engine's and the checks' job, so everything the
CLI does can also be done from Python. Exit codes (README): 0 clean, 1 findings at or above ``--fail-on``, 2 usage
or input error, 3 data incomplete (checks skipped or errored).

This package owns the command line only. This module holds the group and its table of commands; each command
lives in its own module (:mod:`~acrdoctor.cli.diagnose`, ``collect``, ``preflight``, ``bundle_script``,
``explain``, ``checks``, ``fix``, ``usage``), imported only when that command runs, so ``acrdoctor --help`` pays
for click and nothing else. Command modules may import :mod:`acrdoctor.cli.common` and the library, never each other nor
this module; the library never imports ``acrdoctor.cli``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping, Sequence
from typing import Any

import click

from acrdoctor import __version__
from acrdoctor.cli import common

#: Every command: its module in this package, the command's name there and the first sentence of its help, which
#: ``acrdoctor --help`` lists without importing the module (tests/test_cli_startup.py keeps the two equal).
COMMANDS: dict[str, tuple[str, str, str]] = {
    "bundle-script": ("bundle_script", "bundle_script_cmd",
                      "Print a bash script of read-only az commands that writes a bundle for 'diagnose --bundle DIR'."),
    "checks": ("checks", "checks_group", "Describe the catalogue of checks."),
    "collect": ("collect", "collect_cmd",
                "Read a live registry (read-only) and write a snapshot file to diagnose later or attach to a ticket."),
    "diagnose": ("diagnose", "diagnose_cmd",
                 "Run the checks over a registry (live, a snapshot file or the demo) and explain every finding with "
                 "its fix."),
    "explain": ("explain", "explain_cmd",
                "Explain ACR errors in TEXT, in a log FILE or on stdin (-): what failed, why, how to confirm and fix "
                "it."),
    "fix": ("fix", "fix_cmd",
            "Show the fix plan for the findings; with --apply, apply it, journal it and check the result."),
    "preflight": ("preflight", "preflight_cmd",
                  "Check a delete before running it: the exact plan, what blocks it and the bytes it frees."),
    "usage": ("usage", "usage_cmd",
              "Show where a registry's bytes are and rank cleanups by the exact bytes they free."),
    "whoami": ("whoami", "whoami_cmd",
               "Print the object id and principal type az is signed in as (from its ARM token; no Graph call)."),
}


class LazyCommands(MutableMapping[str, click.Command]):
    """The group's ``commands``: every name in :data:`COMMANDS`, each module imported on first access.

    Click and tools that walk a CLI read ``group.commands``; names come from the table, so listing them or
    suggesting a close one for a typo imports nothing, and looking one up imports only its module.
    """

    def __init__(self) -> None:
        self._loaded: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._loaded:
            if name not in COMMANDS:
                raise KeyError(name)
            module, attribute, _ = COMMANDS[name]
            self._loaded[name] = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
        return self._loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        raise TypeError(f"add {name!r} to acrdoctor.cli.COMMANDS: the help lists commands from that table")

    def __delitem__(self, name: str) -> None:
        raise TypeError(f"remove {name!r} from acrdoctor.cli.COMMANDS: the help lists commands from that table")

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(COMMANDS))

    def __len__(self) -> int:
        return len(COMMANDS)


class LazyGroup(click.Group):
    """Loads a command's module only when it runs; turns every error into one line and its exit code.

    Sub-command options are parsed inside ``invoke``, so mapping errors there covers every command; the group's
    own options are parsed in ``parse_args``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = LazyCommands()

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The table's names, sorted as click sorts them; imports nothing."""
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command, its module imported now (once); None for a name not in the table, as click expects."""
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Click's own listing, but from the table: listing the commands must not import them."""
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, click.Command(name, help=COMMANDS[name][2]).get_short_help_str(limit))
                for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            common.fail(common.usage_line(exc))

    def invoke(self, ctx: click.Context) -> Any:
        with common.errors_mapped():
            return super().invoke(ctx)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="acrdoctor")
def cli() -> None:
    """Diagnose why deleting things in Azure Container Registry fails or frees less storage than expected."""


def main(argv: Sequence[str] | None = None) -> None:
    cli.main(args=list(argv) if argv is not None else None, prog_name="acrdoctor")
