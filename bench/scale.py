"""Whether diagnose, preflight and usage stay linear past the target size: ``python bench/scale.py``.

Runs each command as a user would (``python -m acrdoctor ... --output json`` in a subprocess) on the large
(200,000 manifests) and xlarge (400,000) synthetic registries of ``bench/synth.py``, and prints one row per command
and size: the best wall time of ``--repeat`` runs, the mean CPU time (user + system) per run, CPU microseconds per
manifest, peak resident memory and a verdict. CPU time and peak memory are ``getrusage(RUSAGE_CHILDREN)`` read in a
fresh helper process per command and size, as ``bench/run.py`` does (the figures cover every child a process waited
for, so each measurement needs its own helper).

The verdict is taken on CPU time because wall time on a machine shared with other work moves by half and more between
runs of the same command (measured: 13.6 s and 22.8 s for one diagnose), CPU time much less. Each size after the first
is compared with the first: ``linear`` when its CPU µs per manifest is within ``--tolerance`` (default 15 %) of the
first size's and its peak memory is within 2 GiB; otherwise ``SUPERLINEAR`` or ``OVER 2 GiB``. The first size's row
is the reference (``-``).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run as diagnose_bench  # noqa: E402 - bench/run.py: snapshot cache, subprocess measurement, machine
import synth  # noqa: E402

LIMIT_MIB = 2048.0

#: The commands of issue 16, with ``FILE`` standing for the snapshot.
COMMANDS: dict[str, list[str]] = {
    "diagnose": ["diagnose", "--snapshot", "FILE", "--output", "json"],
    "preflight": ["preflight", "--snapshot", "FILE", "--output", "json", "--",
                  "acr", "purge", "--filter", ".*:.*", "--untagged", "--ago", "30d"],
    "usage": ["usage", "--snapshot", "FILE", "--output", "json"],
}


def measure_in_helper(name: str, path: Path, repeat: int) -> dict[str, Any]:
    """One command on one file, measured from a fresh process so its peak RSS is this command's alone."""
    helper = subprocess.run([sys.executable, __file__, "--measure", name, str(path), "--repeat", str(repeat)],
                            capture_output=True, text=True, check=False)
    if helper.returncode != 0:
        raise SystemExit(f"{name} on {path.name} failed:\n{helper.stdout}{helper.stderr}")
    return dict(json.loads(helper.stdout))


def verdict(row: dict[str, Any], reference: dict[str, Any] | None, tolerance: float) -> str:
    if row["peak_mib"] > LIMIT_MIB:
        return "OVER 2 GiB"
    if reference is None:
        return "-"
    ratio = row["us_per_manifest"] / reference["us_per_manifest"]
    return "linear" if ratio <= 1 + tolerance else f"SUPERLINEAR (x{ratio:.2f})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="large,xlarge", help=f"comma-separated, from: {', '.join(synth.SIZES)}")
    ap.add_argument("--commands", default=",".join(COMMANDS), help=f"comma-separated, from: {', '.join(COMMANDS)}")
    ap.add_argument("--repeat", type=int, default=1, help="runs per command and size; the best is kept")
    ap.add_argument("--tolerance", type=float, default=0.15, help="µs/manifest growth still called linear")
    ap.add_argument("--measure", nargs=2, metavar=("COMMAND", "FILE"), help=argparse.SUPPRESS)
    ap.add_argument("--json", action="store_true", help="print the rows as JSON too")
    args = ap.parse_args(argv)

    if args.measure:  # helper mode: one command, one file
        name, file = args.measure
        argv_ = [file if a == "FILE" else a for a in COMMANDS[name]]
        figures = diagnose_bench.measure_command(argv_, args.repeat)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        figures["cpu_seconds"] = round((usage.ru_utime + usage.ru_stime) / args.repeat, 2)
        print(json.dumps(figures))
        return 0

    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    commands = [c.strip() for c in args.commands.split(",") if c.strip()]
    unknown = [s for s in sizes if s not in synth.SIZES] + [c for c in commands if c not in COMMANDS]
    if unknown:
        ap.error(f"unknown size or command: {', '.join(unknown)}")
    files = {s: diagnose_bench.ensure_snapshot(synth.SIZES[s]) for s in sizes}

    rows: list[dict[str, Any]] = []
    for command in commands:
        reference: dict[str, Any] | None = None
        for size in sizes:
            path, shape = files[size]
            m = measure_in_helper(command, path, args.repeat)
            row = {"command": command, "size": size, "manifests": shape["manifests"], **m,
                   "us_per_manifest": round(m["cpu_seconds"] / shape["manifests"] * 1e6, 1)}
            row["verdict"] = verdict(row, reference, args.tolerance)
            reference = reference or row
            rows.append(row)
            print(f"  {command} {size}: {m['seconds']:.2f} s, {m['cpu_seconds']:.2f} s CPU", file=sys.stderr,
                  flush=True)

    header = ("command", "size", "manifests", "seconds", "cpu s", "cpu µs/manifest", "peak MiB", "report MB", "verdict")
    table = [header] + [
        (r["command"], r["size"], f"{r['manifests']:,}", f"{r['seconds']:.2f}", f"{r['cpu_seconds']:.2f}",
         f"{r['us_per_manifest']:.1f}",
         f"{r['peak_mib']:.0f}", f"{r['report_bytes'] / 1e6:.1f}", r["verdict"])
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for line in table:
        print("  ".join(c.rjust(w) if i > 1 else c.ljust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True))))
    info = diagnose_bench.machine()
    print(f"\nmachine: {info['nproc']} CPUs, {info['cpu']}, {info['memory']}, Python {info['python']}")
    if args.json:
        print(json.dumps({"rows": rows, "machine": info}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
