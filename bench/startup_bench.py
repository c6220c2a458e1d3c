"""Benchmark how long ``acrdoctor --help`` takes to start: ``python bench/startup_bench.py [--runs 30]``.

Start-up is what every invocation pays, and ``--help``, a typo or ``checks list`` in a pipeline should not wait
for the fix, pre-flight and snapshot machinery. Three commands run as subprocesses, alternating so that load
from other work on the machine falls on all of them alike, and the median wall and CPU (user + system) times
are reported: ``acrdoctor --help`` (the console script), the floor ``python -c "import click, rich"`` and
``python -c "import acrdoctor.cli"``. Then one ``python -X importtime`` run of ``--help`` lists acrdoctor's own
modules by cumulative import time, which names the module to look at when the figure regresses.

Target (issue #11): ``acrdoctor --help`` within 1.3× of ``python -c "import click, rich"``.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_RATIO = 1.3


def console_script() -> list[str]:
    """The installed ``acrdoctor`` next to this interpreter (the venv's), else the one on PATH."""
    beside = Path(sys.executable).parent / "acrdoctor"
    found = str(beside) if beside.exists() else shutil.which("acrdoctor")
    if found is None:
        sys.exit("startup_bench: no acrdoctor console script found; pip install -e . first")
    return [found]


def commands() -> dict[str, list[str]]:
    return {
        "acrdoctor --help": [*console_script(), "--help"],
        'python -c "import click, rich"': [sys.executable, "-c", "import click, rich"],
        'python -c "import acrdoctor.cli"': [sys.executable, "-c", "import acrdoctor.cli"],
    }


def timed(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run; CPU from the children's rusage, which grows by exactly this child."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def import_times(top: int) -> list[tuple[str, int, int]]:
    """acrdoctor's own modules imported by ``--help``: (name, self µs, cumulative µs), slowest first."""
    code = "import sys; from acrdoctor.cli import main; sys.argv = ['acrdoctor', '--help']; main()"
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True,
                          check=False)
    rows: list[tuple[str, int, int]] = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        fields = [f.strip() for f in line.removeprefix("import time:").split("|")]
        if len(fields) != 3 or not fields[0].isdigit():
            continue
        name = fields[2]
        if name.strip().startswith("acrdoctor"):
            rows.append((name.strip(), int(fields[0]), int(fields[1])))
    return sorted(rows, key=lambda r: -r[2])[:top]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=30, help="runs of each command (default 30)")
    ap.add_argument("--top", type=int, default=12, help="acrdoctor modules to list from -X importtime")
    args = ap.parse_args()
    cmds = commands()
    for argv in cmds.values():  # warm the page cache and the .pyc files; not measured
        timed(argv)
    walls: dict[str, list[float]] = {name: [] for name in cmds}
    cpus: dict[str, list[float]] = {name: [] for name in cmds}
    for _ in range(args.runs):
        for name, argv in cmds.items():
            wall, cpu = timed(argv)
            walls[name].append(wall)
            cpus[name].append(cpu)
    floor = statistics.median(walls['python -c "import click, rich"'])
    print(f"median of {args.runs} runs, Python {sys.version.split()[0]}")
    print(f"{'command':34} {'wall ms':>8} {'CPU ms':>8} {'× floor':>8}")
    for name in cmds:
        wall = statistics.median(walls[name])
        print(f"{name:34} {wall * 1000:8.0f} {statistics.median(cpus[name]) * 1000:8.0f} {wall / floor:8.2f}")
    ratio = statistics.median(walls["acrdoctor --help"]) / floor
    print(f"\ntarget: acrdoctor --help within {TARGET_RATIO}× of the floor: "
          f"{'met' if ratio <= TARGET_RATIO else 'NOT met'} ({ratio:.2f}×)")
    print(f"\nacrdoctor modules imported by --help (python -X importtime, one run; top {args.top}):")
    print(f"{'module':40} {'self ms':>8} {'cumul. ms':>10}")
    for name, self_us, cumulative_us in import_times(args.top):
        print(f"{name:40} {self_us / 1000:8.1f} {cumulative_us / 1000:10.1f}")


if __name__ == "__main__":
    main()
