"""``acrdoctor bundle-script``: the az script that writes a bundle, for someone who can run az but not acrdoctor.

Imports click and :mod:`acrdoctor.collect.bundle_script`; no other command module.
"""

from __future__ import annotations

from collections.abc import Sequence

import click

from acrdoctor.collect.bundle_script import bundle_script


@click.command("bundle-script")
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
    click.echo(bundle_script(registry, repositories, resource_group), nl=False)
