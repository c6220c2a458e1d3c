"""Where ``diagnose`` spends its time on one snapshot: ``python bench/phases.py FILE [--cprofile OUT]``.

Times the phases in one process, the way ``acrdoctor diagnose --output json`` runs them: read and
parse the JSON, build the model, build the shared storage index, run each check, render the report.
With ``--cprofile`` it also writes a cProfile dump of the whole run for ``python -m pstats``.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import time
from pathlib import Path

from acrdoctor.check_api import Context
from acrdoctor.engine import Catalogue, Report, run_checks
from acrdoctor.render.json_report import render_json
from acrdoctor.snapshot_io import _gc_paused, snapshot_from_dict


def phases(path: Path) -> list[tuple[str, float]]:
    out: list[tuple[str, float]] = []
    t = time.perf_counter()
    with _gc_paused():
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
        list(cls().run(ctx))
        out.append((f"check {cls.slug}", time.perf_counter() - t))
    t = time.perf_counter()
    report = Report(snapshot, run_checks(snapshot, list(catalogue)))
    out.append(("engine run (all checks, fresh context)", time.perf_counter() - t))
    t = time.perf_counter()
    text = render_json(report)
    out.append((f"render json ({len(text) / 1e6:.1f} MB)", time.perf_counter() - t))
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
