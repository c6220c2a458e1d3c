"""``acrdoctor collect``: read a live registry once and write the snapshot file every other way in can read.

Imports :mod:`acrdoctor.cli.common` and the library (engine, snapshot_io, user_files); no other command module.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

import acrdoctor.cli.common as common
from acrdoctor.engine import Catalogue
from acrdoctor.snapshot_io import dump_snapshot
from acrdoctor.user_files import check_writable


@click.command("collect")
@common.live_options
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
    result = common.collect_live(registry, selected, live)
    dump_snapshot(result.snapshot, out)
    s = result.stats
    repos = len(result.snapshot.repositories or ())
    click.echo(f"wrote {out}: {repos} repositories, {s.manifests} manifests, {s.bodies_fetched} manifest bodies "
               f"fetched ({s.bodies_cached} from cache), {s.requests} data-plane requests, {s.throttled} throttled, "
               f"{len(result.snapshot.errors)} collection errors", err=True)
