"""Benchmark ``acrdoctor diagnose`` on synthetic registries: ``python bench/run.py [--sizes small,large]``.

For each size it generates a snapshot once (cached in ``bench/out/``, which git ignores), then runs
``acrdoctor diagnose --snapshot FILE --output json`` in a subprocess, the way a user or a pipeline
would, and reports wall time and peak resident memory against the target from the design brief:
1,000 repositories / 200,000 manifests / 2,000,000 layer references in at most 10 s and 2 GiB.

Peak memory comes from ``getrusage(RUSAGE_CHILDREN).ru_maxrss``. That figure is the maximum over
*all* children a process has waited for, so each measurement runs inside a fresh helper process
(this script re-invoked with ``--measure``) whose only child is the diagnose run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synth  # noqa: E402 - the generator lives next to this script

OUT = HERE / "out"
TARGET_SECONDS = 10.0
TARGET_MIB = 2048.0


def ensure_snapshot(size: synth.Size) -> tuple[Path, dict[str, Any]]:
    """The cached snapshot for ``size`` and its shape, generating both when missing or outdated."""
    path = OUT / f"{size.name}-g{synth.GENERATOR_VERSION}.json"
    meta_path = path.with_suffix(".meta.json")
    if path.exists() and meta_path.exists():
        return path, json.loads(meta_path.read_text())
    print(f"generating {size.name} snapshot ...", file=sys.stderr, flush=True)
    t = time.perf_counter()
    shape = synth.write(size, path)
    shape["generate_seconds"] = round(time.perf_counter() - t, 2)
    meta_path.write_text(json.dumps(shape))
    return path, shape


def measure_command(args: list[str], repeat: int) -> dict[str, Any]:
    """Run ``python -m acrdoctor ARGS`` ``repeat`` times in subprocesses: best wall time and peak RSS.

    Exit 0, 1 (findings or blockers) and 3 (data incomplete) are successful runs; anything else is a crash.
    Peak RSS is the maximum over every child this process has waited for, so call it from a fresh process
    per measurement when several are compared.
    """
    cmd = [sys.executable, "-m", "acrdoctor", *args]
    best = float("inf")
    report_bytes = 0
    code = None
    for _ in range(repeat):
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, check=False)
        best = min(best, time.perf_counter() - t)
        code = proc.returncode
        report_bytes = len(proc.stdout)
        if proc.returncode not in (0, 1, 3):
            raise SystemExit(f"acrdoctor {args[0]} failed with exit {proc.returncode}: "
                             f"{proc.stderr.decode()[-2000:]}")
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    mib = maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024
    return {"seconds": round(best, 2), "peak_mib": round(mib, 1), "exit": code, "report_bytes": report_bytes}


def measure(snapshot: Path, repeat: int) -> dict[str, Any]:
    """Time ``diagnose --output json`` on a snapshot."""
    return measure_command(["diagnose", "--snapshot", str(snapshot), "--output", "json"], repeat)


def checks_present() -> list[str]:
    out = subprocess.run([sys.executable, "-m", "acrdoctor", "checks", "list", "--output", "json"],
                         capture_output=True, text=True, check=True).stdout
    return [c["slug"] for c in json.loads(out)]


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "memory": mem, "python": platform.python_version()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="small,large", help=f"comma-separated, from: {', '.join(synth.SIZES)}")
    ap.add_argument("--repeat", type=int, default=1, help="runs per size; the best wall time is reported")
    ap.add_argument("--measure", metavar="FILE", help=argparse.SUPPRESS)
    ap.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = ap.parse_args(argv)

    if args.measure:  # helper mode: measure one file and print the figures as JSON
        print(json.dumps(measure(Path(args.measure), args.repeat)))
        return 0

    names = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [n for n in names if n not in synth.SIZES]
    if unknown:
        ap.error(f"unknown size(s) {', '.join(unknown)}; known: {', '.join(synth.SIZES)}")

    rows = []
    for name in names:
        size = synth.SIZES[name]
        path, shape = ensure_snapshot(size)
        helper = subprocess.run([sys.executable, __file__, "--measure", str(path), "--repeat", str(args.repeat)],
                                capture_output=True, text=True, check=False)
        if helper.returncode != 0:
            print(helper.stdout, helper.stderr, file=sys.stderr)
            return 1
        m = json.loads(helper.stdout)
        is_target = name == "large"
        ok = m["seconds"] <= TARGET_SECONDS and m["peak_mib"] <= TARGET_MIB
        rows.append({
            "size": name, "repositories": shape["repositories"], "manifests": shape["manifests"],
            "layer_refs": shape["layer_refs"], "blobs": shape["blobs"],
            "file_mb": round(path.stat().st_size / 1e6, 1), **m,
            "target": ("met" if ok else "MISSED") if is_target else "-",
        })

    header = ("size", "repos", "manifests", "layer refs", "file MB", "seconds", "peak MiB", "report MB", "target")
    table = [header] + [
        (r["size"], f"{r['repositories']:,}", f"{r['manifests']:,}", f"{r['layer_refs']:,}", f"{r['file_mb']:.1f}",
         f"{r['seconds']:.2f}", f"{r['peak_mib']:.0f}", f"{r['report_bytes'] / 1e6:.1f}", r["target"])
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        cells = (c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        print("  ".join(cells))
    print(f"\ntarget (large): <= {TARGET_SECONDS:.0f} s and <= {TARGET_MIB:.0f} MiB peak RSS")
    info = machine()
    print(f"machine: {info['nproc']} CPUs, {info['cpu']}, {info['memory']}, Python {info['python']}")
    print(f"checks: {', '.join(checks_present())}")
    if args.json:
        print(json.dumps({"rows": rows, "machine": info, "checks": checks_present()}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
