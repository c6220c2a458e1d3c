"""Benchmark ``acrdoctor usage`` on the large synthetic registry: ``python bench/usage.py``.

Uses the snapshot ``bench/run.py`` uses (1,000 repositories / 200,000 manifests / ~2,000,000 layer references,
cached in ``bench/out/``; generated on first use), then:

1. times the phases in this process: load the snapshot, then ``build_usage`` (storage index, per-repository figures,
   totals, cleanup candidates planned by the pre-flight) and each renderer;
2. runs ``python -m acrdoctor usage --snapshot FILE --output FORMAT`` in a subprocess per format, the way a user or
   a pipeline would, and reports the best wall time of ``--repeat`` runs and the peak resident memory
   (``getrusage(RUSAGE_CHILDREN)`` read in a fresh helper process per format, as ``bench/run.py`` does).

Target (issue 14): within the diagnose budget, 10 s and 2 GiB end to end on the large registry.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run as diagnose_bench  # noqa: E402 - bench/run.py: snapshot cache, subprocess measurement, machine
import synth  # noqa: E402

FORMATS = ("json", "table", "csv", "html")


def phases(path: Path) -> list[tuple[str, float]]:
    """In-process timings of one load, one report and each renderer."""
    import io

    from rich.console import Console

    from acrdoctor.snapshot_io import load_snapshot
    from acrdoctor.usage import build_usage
    from acrdoctor.usage.render_console import render_console
    from acrdoctor.usage.render_data import render_csv, render_json
    from acrdoctor.usage.render_html import render_html

    out: list[tuple[str, float]] = []
    t = time.perf_counter()
    snapshot = load_snapshot(path)
    out.append(("load snapshot (read + json.loads + model)", time.perf_counter() - t))
    t = time.perf_counter()
    report = build_usage(snapshot)
    out.append((f"build_usage ({report.plans_evaluated} candidate plans)", time.perf_counter() - t))
    for name, render in (("json", lambda: render_json(report)), ("csv", lambda: render_csv(report)),
                         ("html", lambda: render_html(report)),
                         ("table", lambda: render_console(report, Console(file=io.StringIO(), width=200)))):
        t = time.perf_counter()
        render()
        out.append((f"render {name}", time.perf_counter() - t))
    return out


def measure(snapshot: Path, output: str, repeat: int, command: str = "usage") -> dict[str, Any]:
    """Best wall time and peak RSS (bench/run.py), plus CPU seconds per run: on a shared machine the wall time
    varies with the other load, the CPU time much less."""
    m = diagnose_bench.measure_command([command, "--snapshot", str(snapshot), "--output", output], repeat)
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    m["cpu_seconds"] = round((used.ru_utime + used.ru_stime) / repeat, 2)
    return m


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="large", choices=sorted(synth.SIZES), help="synthetic registry size")
    ap.add_argument("--repeat", type=int, default=1, help="subprocess runs per format; the best is reported")
    ap.add_argument("--formats", default=",".join(FORMATS), help=f"comma-separated, from: {', '.join(FORMATS)}")
    ap.add_argument("--measure", metavar="FILE", help=argparse.SUPPRESS)
    ap.add_argument("--output", help=argparse.SUPPRESS)
    ap.add_argument("--command", default="usage", help=argparse.SUPPRESS)
    ap.add_argument("--diagnose", action="store_true",
                    help="also run diagnose --output json on the same file, for a comparison on the same machine")
    args = ap.parse_args(argv)

    if args.measure:  # helper mode: one format, this process's only children are its runs
        print(json.dumps(measure(Path(args.measure), args.output, args.repeat, args.command)))
        return 0

    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    if any(f not in FORMATS for f in formats):
        ap.error(f"unknown format in {args.formats!r}; known: {', '.join(FORMATS)}")
    path, shape = diagnose_bench.ensure_snapshot(synth.SIZES[args.size])
    print(f"snapshot: {path} ({shape['repositories']:,} repositories, {shape['manifests']:,} manifests, "
          f"{shape['layer_refs']:,} layer refs, {path.stat().st_size / 1e6:.1f} MB)\n")
    print("in-process phases (one run each):")
    for name, seconds in phases(path):
        print(f"  {seconds:7.2f} s  {name}")
    print()

    rows = []
    runs = [("usage", output) for output in formats] + ([("diagnose", "json")] if args.diagnose else [])
    for command, output in runs:
        helper = subprocess.run([sys.executable, __file__, "--measure", str(path), "--output", output,
                                 "--command", command, "--repeat", str(args.repeat)],
                                capture_output=True, text=True, check=False)
        if helper.returncode != 0:
            print(helper.stdout, helper.stderr, file=sys.stderr)
            return 1
        m = json.loads(helper.stdout)
        ok = m["seconds"] <= diagnose_bench.TARGET_SECONDS and m["peak_mib"] <= diagnose_bench.TARGET_MIB
        rows.append((f"{command} -o {output}", f"{m['seconds']:.2f}", f"{m['cpu_seconds']:.2f}",
                     f"{m['peak_mib']:.0f}", str(m["exit"]), f"{m['report_bytes'] / 1e6:.1f}",
                     ("met" if ok else "MISSED") if command == "usage" else "-"))
    header = ("command", "seconds", "cpu s", "peak MiB", "exit", "report MB", "target")
    table = [header, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    print(f"subprocess: python -m acrdoctor COMMAND --snapshot FILE --output FORMAT (best wall time of {args.repeat}; "
          "cpu s = user + system per run)")
    for row in table:
        print("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))))
    print(f"\ntarget: <= {diagnose_bench.TARGET_SECONDS:.0f} s and <= {diagnose_bench.TARGET_MIB:.0f} MiB peak RSS "
          "(the diagnose budget)")
    info = diagnose_bench.machine()
    print(f"machine: {info['nproc']} CPUs, {info['cpu']}, {info['memory']}, Python {info['python']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
