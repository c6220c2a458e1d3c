"""Benchmark ``acrdoctor explain`` on whole build logs: ``python bench/explain_bench.py [--sizes 5,50]``.

For each size (MB) and shape (the registry named in the log, or masked as CI systems mask secrets, so that no
line names it) it generates a build log once (``bench/buildlog.py``, seeded; cached in ``bench/out/``, which
git ignores), then runs ``python -m acrdoctor explain FILE --output json`` in a subprocess, the way a support
engineer would, and reports wall time, CPU time (user + system: the machine is shared, so wall time alone
says little), peak resident memory and throughput. Each size is measured from a fresh helper process (this
script re-invoked with ``--measure``), because ``getrusage(RUSAGE_CHILDREN)`` reports the maximum RSS over all
children a process has waited for.

Target (issue #10): 50 MB in at most 10 s on this 2-core machine, with memory that does not grow with the input.
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

import buildlog  # noqa: E402 - the generator lives next to this script
import run as diagnose_bench  # noqa: E402 - bench/run.py: machine description

OUT = HERE / "out"
TARGET_MB = 50
TARGET_SECONDS = 10.0


#: The registry's name in the log: named, or masked the way CI systems print secrets (then no line names it).
SHAPES = {"named": "contosoreg", "masked": "***"}


def ensure_log(mb: float, shape: str) -> Path:
    """The cached log of ``mb`` megabytes, generated when missing."""
    path = OUT / f"buildlog-{mb:g}mb-{shape}-g{buildlog.GENERATOR_VERSION}.log"
    if not path.exists():
        print(f"generating {mb:g} MB {shape} log ...", file=sys.stderr, flush=True)
        tmp = path.with_suffix(".tmp")
        buildlog.write(tmp, int(mb * 1_000_000), registry=SHAPES[shape])
        tmp.replace(path)
    return path


def measure(args: list[str], repeat: int) -> dict[str, Any]:
    """Run ``python -m acrdoctor ARGS`` ``repeat`` times: best wall and CPU seconds, peak RSS, the report's shape."""
    cmd = [sys.executable, "-m", "acrdoctor", *args]
    best_wall = best_cpu = float("inf")
    report: dict[str, Any] = {}
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, check=False)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"acrdoctor explain failed with exit {proc.returncode}: {proc.stderr.decode()[-2000:]}")
        best_wall = min(best_wall, wall)
        best_cpu = min(best_cpu, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
        report = json.loads(proc.stdout) if proc.stdout.strip().startswith(b"{") else {}
    maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    mib = maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024
    return {
        "seconds": round(best_wall, 2), "cpu_seconds": round(best_cpu, 2), "peak_mib": round(mib, 1),
        "lines": report.get("lines"),
        "found": {m["failure_mode"]: m["occurrences"] for m in report.get("matches", [])},
    }


def helper(args: list[str], repeat: int) -> dict[str, Any]:
    """:func:`measure` in a fresh process, so that its peak RSS is this run's alone."""
    proc = subprocess.run([sys.executable, __file__, "--measure", json.dumps(args), "--repeat", str(repeat)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(proc.stdout + proc.stderr)
    return json.loads(proc.stdout)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="5,50", help="comma-separated log sizes in MB (default: 5,50)")
    ap.add_argument("--shapes", default="named,masked",
                    help="registry name in the log: named, masked (***, so no line names it), or both")
    ap.add_argument("--repeat", type=int, default=1, help="runs per size; the best times are reported")
    ap.add_argument("--measure", metavar="ARGS", help=argparse.SUPPRESS)
    ap.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = ap.parse_args(argv)

    if args.measure:  # helper mode
        print(json.dumps(measure(json.loads(args.measure), args.repeat)))
        return 0
    try:
        sizes = [float(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        ap.error(f"--sizes takes numbers of MB, not {args.sizes!r}")
    shapes = [s.strip() for s in args.shapes.split(",") if s.strip()]
    if not shapes or set(shapes) - set(SHAPES):
        ap.error(f"--shapes takes {', '.join(SHAPES)}")

    floor = helper(["explain", "Login Succeeded", "--output", "json"], args.repeat)
    rows = []
    for shape in shapes:
        for mb in sizes:
            path = ensure_log(mb, shape)
            m = helper(["explain", str(path), "--output", "json"], args.repeat)
            size = path.stat().st_size / 1e6
            met = m["seconds"] <= TARGET_SECONDS
            rows.append({"shape": shape, "mb": round(size, 1), **m, "mb_per_s": round(size / m["seconds"], 1),
                         "target": ("met" if met else "MISSED") if mb == TARGET_MB else "-"})

    header = ("registry", "log MB", "lines", "wall s", "CPU s", "peak RSS MiB", "MB/s", "target")
    table = [header] + [(r["shape"], f"{r['mb']:.1f}", f"{r['lines']:,}", f"{r['seconds']:.2f}",
                         f"{r['cpu_seconds']:.2f}", f"{r['peak_mib']:.0f}", f"{r['mb_per_s']:.1f}", r["target"])
                        for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))))
    print(f"\none-line input (interpreter + imports): {floor['seconds']:.2f} s wall, {floor['cpu_seconds']:.2f} s CPU, "
          f"{floor['peak_mib']:.0f} MiB peak RSS")
    print(f"target: {TARGET_MB} MB in <= {TARGET_SECONDS:.0f} s wall; peak RSS independent of the log's size")
    for r in rows:
        print(f"found in {r['mb']:.1f} MB {r['shape']}: " + ", ".join(f"{k} x{v}" for k, v in r["found"].items()))
    info = diagnose_bench.machine()
    print(f"machine: {info['nproc']} CPUs, {info['cpu']}, {info['memory']}, Python {info['python']}")
    if args.json:
        print(json.dumps({"rows": rows, "floor": floor, "machine": info}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
