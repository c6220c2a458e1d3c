"""Start-up: ``acrdoctor --help`` imports click and the command table, not the machinery of every command.

Timing lives in bench/startup_bench.py (docs/benchmarks.md, "Start-up"); these tests check what makes it fast,
which does not depend on the machine: which modules a fresh interpreter holds after listing the commands.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from acrdoctor.cli import COMMANDS, cli

PACKAGE = Path(__file__).resolve().parent.parent / "acrdoctor"
#: What no listing of the commands needs: the fix, pre-flight and snapshot machinery, the SDKs, plug-in metadata.
HEAVY = ("acrdoctor.fix", "acrdoctor.preflight", "acrdoctor.snapshot_io", "azure", "importlib.metadata")


def modules_after(code: str) -> list[str]:
    """The modules a fresh interpreter has loaded after running ``code`` (output to stdout is discarded)."""
    script = ("import contextlib, io, json, sys\n"
              "with contextlib.redirect_stdout(io.StringIO()):\n"
              + "".join(f"    {line}\n" for line in code.splitlines())
              + "print(json.dumps(sorted(sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    loaded: list[str] = json.loads(done.stdout)
    return loaded


def heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]


def test_importing_the_cli_and_listing_its_commands_imports_no_command_machinery() -> None:
    loaded = modules_after(
        "import click\n"
        "import acrdoctor.cli\n"
        "ctx = click.Context(acrdoctor.cli.cli)\n"
        "assert acrdoctor.cli.cli.list_commands(ctx) == sorted(acrdoctor.cli.COMMANDS)\n"
    )
    assert heavy(loaded) == []
    assert not [m for m in loaded if m.startswith("acrdoctor.cli.") and m != "acrdoctor.cli.common"]


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["diagnos"]])
def test_the_group_help_version_and_a_typo_import_no_command_module(argv: list[str]) -> None:
    loaded = modules_after(f"from acrdoctor.cli import main\ntry:\n    main({argv!r})\nexcept SystemExit:\n    pass\n")
    assert heavy(loaded) == []
    assert not [m for m in loaded if m.startswith("acrdoctor.cli.") and m != "acrdoctor.cli.common"]


def test_a_command_imports_its_own_module_only() -> None:
    loaded = modules_after("from acrdoctor.cli import main\ntry:\n    main(['bundle-script', '-r', 'contoso'])\n"
                           "except SystemExit:\n    pass\n")
    commands = sorted(m for m in loaded if m.startswith("acrdoctor.cli.") and m != "acrdoctor.cli.common")
    assert commands == ["acrdoctor.cli.bundle_script"]


def test_the_table_lists_each_command_with_its_own_short_help() -> None:
    ctx = click.Context(cli)
    for name, (_, _, summary) in COMMANDS.items():
        command = cli.get_command(ctx, name)
        assert command is not None and command.name == name
        assert command.get_short_help_str(limit=10_000) == summary, name


def test_no_command_module_imports_another_nor_the_library_the_cli() -> None:
    """The CLI package is a fan: the group, one shared module, and command modules that know only the shared one.

    Only ``python -m acrdoctor`` (``acrdoctor.__main__``) enters the CLI from outside it.
    """
    commands = {f"acrdoctor.cli.{module}" for module, _, _ in COMMANDS.values()}
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            else:
                continue
            for target in targets:
                if name in commands and target != name and (target in commands or target == "acrdoctor.cli"):
                    wrong.append(f"{name} imports {target}")
                library = not name.startswith("acrdoctor.cli") and name != "acrdoctor.__main__"
                if library and target.startswith("acrdoctor.cli"):
                    wrong.append(f"{name} imports {target}")
    assert wrong == []
