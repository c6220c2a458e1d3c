"""``acrdoctor checks list|show|demos``: describe the catalogue of checks (built-in and plug-in) and the demos.

Imports :mod:`acrdoctor.cli.common`, the engine's catalogue and rich; no other command module.
"""

from __future__ import annotations

import json
from typing import Any

import click
from rich.table import Table
from rich.text import Text

import acrdoctor.cli.common as common
from acrdoctor.check_api import Check
from acrdoctor.engine import Catalogue


@click.group("checks")
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
    console = common.stdout_console()
    console.print(table)
    for w in catalogue.warnings:
        console.print(Text(f"! {w}", style="yellow"))


def check_to_dict(c: type[Check]) -> dict[str, Any]:
    """A check's description as JSON data: the catalogue's public face, shared by ``list`` and ``show``."""
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
    console = common.stdout_console()
    console.print(Text(f"{c.slug}: {c.title}", style="bold"))
    console.print(f"severity:     {d['severity']}")
    if c.failure_mode:
        console.print(Text("symptom:      " + c.failure_mode))
    console.print(Text("cause:        " + c.cause))
    console.print(Text("needs:        " + (", ".join(p.label for p in c.needs) or "nothing")))
    for url in c.docs:
        console.print(Text("docs:         " + url), soft_wrap=True)
    console.print(Text("defined in:   " + c.__module__, style="dim"))


@checks_group.command("demos")
def checks_demos() -> None:
    """List the demo registries: the main demo and the variants (``--demo=NAME``) that show what it cannot."""
    from acrdoctor.demo.variants import variant_names

    table = Table(box=None, show_edge=False, pad_edge=False)
    table.add_column("--demo=NAME", style="bold")
    table.add_column("what it shows")
    for name, description in variant_names().items():
        table.add_row(Text(name), Text(description))
    common.stdout_console().print(table)
