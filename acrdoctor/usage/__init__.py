"""``acrdoctor usage``: a du for the registry, and what each cleanup would free, in exact bytes.

Owns the usage report: where the bytes of a registry are (per repository exclusive, shared, dangling, by age),
how the deduplicated total compares with the service's figure and the sum of ``imageSize``, and cleanup candidates
ranked by the bytes their pre-flight says they free. Reads a :class:`~acrdoctor.model.Snapshot` only (live,
file, bundle or demo are the CLI's business), counts bytes with :class:`~acrdoctor.storage.StorageIndex` and
plans candidates with :mod:`acrdoctor.preflight`; renderers live in ``render_*`` modules of this package.
No click here.
"""

from __future__ import annotations

from datetime import datetime

from acrdoctor.clock import Clock, iso_stamp, system_clock
from acrdoctor.errors import InputError
from acrdoctor.model import Snapshot
from acrdoctor.preflight.commands import parse_ago
from acrdoctor.snapshot_io import gc_paused
from acrdoctor.storage import StorageIndex
from acrdoctor.times import parse_time
from acrdoctor.usage import figures
from acrdoctor.usage.candidates import candidates, combined_freed
from acrdoctor.usage.model import UsageReport

__all__ = ["DEFAULT_OLDER_THAN", "DEFAULT_TOP", "UsageReport", "build_usage", "parse_older_than"]

DEFAULT_OLDER_THAN = "90d"
DEFAULT_TOP = 10


def parse_older_than(text: str) -> float:
    """Days in an ``--older-than`` value; it becomes acr purge's ``--ago``, so it is read the way acr purge reads it.

    ``InputError`` (one line) for anything acr purge would reject or misread, and for zero, which is every image.
    """
    try:
        delta, capped = parse_ago(text)
    except InputError:
        raise InputError(f"invalid --older-than {text!r}: write days like 30d, or acr purge's form such as 1d12h "
                         "or 36h") from None
    if capped:
        raise InputError(f"invalid --older-than {text!r}: more than 150 years, older than anything in a registry")
    if delta.total_seconds() <= 0:
        raise InputError(f"invalid --older-than {text!r}: it must be more than zero (zero selects every image)")
    return delta.total_seconds() / 86400


def build_usage(snapshot: Snapshot, *, older_than: str = DEFAULT_OLDER_THAN, top: int = DEFAULT_TOP,
                clock: Clock = system_clock, now: datetime | None = None) -> UsageReport:
    """The usage report of ``snapshot``.

    Ages are measured from ``now``, else the snapshot's collection time (what a pre-flight of the same snapshot
    measures from, so candidate figures agree with it), else ``clock()``. ``InputError`` for a bad ``older_than``
    or ``top``.
    """
    days = parse_older_than(older_than)
    if top < 1:
        raise InputError(f"invalid --top {top}: it must be at least 1")
    moment = now or parse_time(snapshot.collected_at) or clock()
    with gc_paused():
        index = StorageIndex(snapshot, find_holders=False)
        dangling = index.dangling()
        ages = [figures.aged(r.manifests or (), moment) for r in index.repositories]
        held_freed = figures.dangling_figures(index, dangling)
        age_sets = [figures.age_sets(aged) for aged, _ in ages]
        repos = figures.repositories(index, ages, age_sets, dangling, held_freed)
        gaps = figures.gaps(snapshot, index)
        totals = figures.totals(snapshot, index, repos, age_sets, dangling, held_freed[2], gaps)
        bound = {r.name: r.exclusive_bytes for r in repos}
        chosen, planned = candidates(snapshot, index, moment, older_than, top, bound)
        combined = combined_freed(index, chosen)
    return UsageReport(
        registry=snapshot.registry.name, collected_at=snapshot.collected_at, now=iso_stamp(moment),
        complete=index.complete and not gaps, gaps=gaps, older_than_days=days, older_than=older_than, top=top,
        repositories=repos, totals=totals, candidates=tuple(chosen), plans_evaluated=planned,
        top_combined_bytes=combined,
        top_summed_bytes=sum(c.freed_bytes for c in chosen),
    )
