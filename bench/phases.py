"""Where ``diagnose`` spends its time on one snapshot: ``python bench/phases.py FILE [--cprofile OUT]``.

Times the phases in one process, the way ``acrdoctor diagnose --output json`` runs them: read and
parse the JSON, build the model, build the shared storage index, run each check, render the report (compact as on a
pipe and indented as on a terminal, with grouped deletes; and compact with ``--commands full``).
With ``--cprofile`` it also writes a cProfile dump of the whole run for ``python -m pstats``.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import json
import time
from pathlib import Path

from acrdoctor.check_api import Context, SkipCheck
from acrdoctor.engine import Catalogue, Report, run_checks
from acrdoctor.render.json_report import render_json
from acrdoctor.snapshot_io import gc_paused, snapshot_from_dict


def phases(path: Path) -> list[tuple[str, float]]:
    out: list[tuple[str, float]] = []
    t = time.perf_counter()
    with gc_paused():
        doc = json.loads(path.read_bytes())
        t1 = time.perf_counter()
        out.append(("read + json.loads", t1 - t))
        snapshot = snapshot_from_dict(doc)
        del doc
    t2 = time.perf_counter()
    out.append(("build model", t2 - t1))
    catalogue = Catalogue.load()
    ctx = Context(snapshot)
    t = time.perf_counter()
    _ = ctx.storage
    out.append(("storage index", time.perf_counter() - t))
    for cls in catalogue:  # each check alone, sharing one context as the engine does
        t = time.perf_counter()
        with contextlib.suppress(SkipCheck):  # a check that cannot judge this snapshot says so by raising
            list(cls().run(ctx))
        out.append((f"check {cls.slug}", time.perf_counter() - t))
    t = time.perf_counter()
    report = Report(snapshot, run_checks(snapshot, list(catalogue)))
    out.append(("engine run (all checks, fresh context)", time.perf_counter() - t))
    # What a pipe gets (compact) and a terminal (indented); grouped deletes (the default) and --commands full.
    for pretty, grouped in ((False, True), (True, True), (False, False)):
        gc.collect()
        t = time.perf_counter()
        text = render_json(report, pretty=pretty, grouped=grouped)
        label = f"{'indented' if pretty else 'compact'}, {'grouped' if grouped else '--commands full'}"
        out.append((f"render json {label} ({len(text.encode()) / 1e6:.1f} MB)", time.perf_counter() - t))
        del text
    gc.collect()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("snapshot", type=Path)
    ap.add_argument("--cprofile", type=Path, help="also write a cProfile dump of a full run here")
    args = ap.parse_args()
    for name, seconds in phases(args.snapshot):
        print(f"{seconds:8.2f} s  {name}")
    if args.cprofile:
        cProfile.runctx("phases(path)", globals(), {"path": args.snapshot}, str(args.cprofile))
        print(f"cProfile written to {args.cprofile}")


if __name__ == "__main__":
    main()
