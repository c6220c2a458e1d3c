"""Benchmark ``acrdoctor preflight`` on the large synthetic registry: ``python bench/preflight_bench.py``.

Uses the snapshot ``bench/run.py`` uses (1,000 repositories / 200,000 manifests, cached in ``bench/out/``;
generated on first use), then:

1. times the pre-flight phases in this process: load the snapshot (read + ``json.loads`` + model), parse the
   command, select (what ``acr purge`` / ``az`` would pick), build the storage index, evaluate the plan
   (with the storage index already built), render the JSON report;
2. runs ``python -m acrdoctor preflight --snapshot FILE --output json -- <command>`` in a subprocess, the way a
   user or a pipeline would, for each command, and reports the best wall time of ``--repeat`` runs and the peak
   resident memory (``getrusage(RUSAGE_CHILDREN)`` read in a fresh helper process per command, as in
   ``bench/run.py``).

Target (issue): a purge plan over the 200,000-manifest snapshot in at most 5 s on this machine. The verdict is
taken on the end-to-end subprocess time of the ``--untagged`` purge, load included; the in-process plan time
(select + storage index + evaluate) is reported next to it.
"""

from __future__ import annotations

import argparse
import gc
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run as diagnose_bench  # noqa: E402 - bench/run.py: snapshot cache and machine description
import synth  # noqa: E402

TARGET_SECONDS = 5.0
PURGE = ["acr", "purge", "--filter", ".*:.*", "--ago", "30d", "--untagged"]
PURGE_UNTAGGED_ONLY = ["acr", "purge", "--untagged-only"]


def image_command(snapshot: Any) -> list[str]:
    """``az acr repository delete --image`` of the oldest release tag in the largest repository."""
    repo = max(snapshot.repositories, key=lambda r: (len(r.manifests or ()), r.name))
    tag = next(t.name for t in repo.tags if t.name != "latest")
    return ["az", "acr", "repository", "delete", "--name", snapshot.registry.name,
            "--image", f"{repo.name}:{tag}", "--yes"]


def phases(path: Path, commands: list[list[str]]) -> tuple[list[tuple[str, float]], dict[str, Any]]:
    """In-process timings of one load and, per command, of each pre-flight step."""
    from acrdoctor.preflight.azmap import select_az
    from acrdoctor.preflight.commands import parse_command
    from acrdoctor.preflight.model import PurgeRequest
    from acrdoctor.preflight.plan import evaluate
    from acrdoctor.preflight.purge import select_purge
    from acrdoctor.preflight.render import render_json
    from acrdoctor.snapshot_io import load_snapshot
    from acrdoctor.storage import StorageIndex

    out: list[tuple[str, float]] = []
    t = time.perf_counter()
    snapshot = load_snapshot(path)
    out.append(("load snapshot (read + json.loads + model)", time.perf_counter() - t))
    commands = [*commands, image_command(snapshot)]
    summaries: dict[str, Any] = {"image_command": commands[-1], "plans": []}
    for argv in commands:
        label = shlex.join(argv)
        if len(label) > 60:
            label = label[:57] + "..."
        t = time.perf_counter()
        request = parse_command(argv)
        t_parse = time.perf_counter() - t
        t = time.perf_counter()
        selection = (select_purge(request, snapshot) if isinstance(request, PurgeRequest)
                     else select_az(request, snapshot))
        t_select = time.perf_counter() - t
        t = time.perf_counter()
        storage = StorageIndex(snapshot)
        t_storage = time.perf_counter() - t
        t = time.perf_counter()
        plan = evaluate(selection, snapshot, storage=storage)
        t_eval = time.perf_counter() - t
        t = time.perf_counter()
        text = render_json(plan, snapshot, shlex.join(argv), pretty=False)
        t_render = time.perf_counter() - t
        out += [
            (f"[{label}] parse command", t_parse),
            (f"[{label}] select", t_select),
            (f"[{label}] storage index", t_storage),
            (f"[{label}] evaluate", t_eval),
            (f"[{label}] plan = select + storage index + evaluate", t_select + t_storage + t_eval),
            (f"[{label}] render json ({len(text) / 1e6:.1f} MB)", t_render),
        ]
        summaries["plans"].append({
            "command": shlex.join(argv), "plan_seconds": round(t_select + t_storage + t_eval, 2),
            "manifests": len(plan.delete_manifests), "tags": len(plan.delete_tags), "blocked": len(plan.blocked),
            "warnings": sorted({w.code for w in plan.warnings}), "reclaimable_bytes": plan.reclaimable_bytes,
        })
        del plan, selection, storage, text
        gc.collect()
    return out, summaries


def measure(snapshot: Path, argv: list[str], repeat: int) -> dict[str, Any]:
    """Time ``preflight --output json -- ARGV`` on a snapshot (best of ``repeat`` subprocess runs)."""
    return diagnose_bench.measure_command(
        ["preflight", "--snapshot", str(snapshot), "--output", "json", "--", *argv], repeat)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="large", choices=sorted(synth.SIZES), help="synthetic registry size")
    ap.add_argument("--repeat", type=int, default=3, help="subprocess runs per command; the best is reported")
    ap.add_argument("--json", action="store_true", help="print the results as JSON too")
    ap.add_argument("--measure", metavar="FILE", help=argparse.SUPPRESS)
    ap.add_argument("--argv", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.measure:  # helper mode: one command, this process's only children are its runs
        print(json.dumps(measure(Path(args.measure), json.loads(args.argv), args.repeat)))
        return 0

    path, shape = diagnose_bench.ensure_snapshot(synth.SIZES[args.size])
    print(f"snapshot: {path} ({shape['repositories']:,} repositories, {shape['manifests']:,} manifests, "
          f"{shape['layer_refs']:,} layer refs, {path.stat().st_size / 1e6:.1f} MB)\n")

    timings, summary = phases(path, [PURGE, PURGE_UNTAGGED_ONLY])
    print("in-process phases (one run each):")
    for name, seconds in timings:
        print(f"  {seconds:7.2f} s  {name}")
    print()

    rows = []
    for command in (PURGE, PURGE_UNTAGGED_ONLY, summary["image_command"]):
        helper = subprocess.run([sys.executable, __file__, "--measure", str(path), "--argv", json.dumps(command),
                                 "--repeat", str(args.repeat)], capture_output=True, text=True, check=False)
        if helper.returncode != 0:
            print(helper.stdout, helper.stderr, file=sys.stderr)
            return 1
        rows.append({"command": shlex.join(command), **json.loads(helper.stdout)})

    plans = {p["command"]: p for p in summary["plans"]}
    header = ("command", "seconds", "peak MiB", "exit", "report MB", "plan s", "manifests", "tags", "blocked")
    table = [header] + [
        (r["command"], f"{r['seconds']:.2f}", f"{r['peak_mib']:.0f}", str(r["exit"]),
         f"{r['report_bytes'] / 1e6:.1f}", f"{plans[r['command']]['plan_seconds']:.2f}",
         f"{plans[r['command']]['manifests']:,}", f"{plans[r['command']]['tags']:,}",
         f"{plans[r['command']]['blocked']:,}")
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    print(f"subprocess: python -m acrdoctor preflight --snapshot FILE --output json -- <command> "
          f"(best of {args.repeat}); plan s = in-process select + storage index + evaluate")
    for row in table:
        print("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))))

    end_to_end = rows[0]["seconds"]
    plan_only = plans[rows[0]["command"]]["plan_seconds"]
    load = timings[0][1]
    verdict = "met" if end_to_end <= TARGET_SECONDS else "MISSED"
    print(f"\ntarget: purge plan over {shape['manifests']:,} manifests in <= {TARGET_SECONDS:.0f} s end to end: "
          f"{verdict} ({end_to_end:.2f} s; of which loading the snapshot {load:.2f} s in-process, "
          f"plan {plan_only:.2f} s)")
    info = diagnose_bench.machine()
    print(f"machine: {info['nproc']} CPUs, {info['cpu']}, {info['memory']}, Python {info['python']}")
    for p in summary["plans"]:
        print(f"warnings of {p['command']}: {', '.join(p['warnings']) or 'none'}")
    if args.json:
        print(json.dumps({"rows": rows, "phases": timings, "plans": summary["plans"], "machine": info,
                          "verdict": verdict}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
