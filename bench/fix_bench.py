"""Benchmark ``acrdoctor fix``: ``python bench/fix_bench.py``.

1. Planning on the large synthetic snapshot (1,000 repositories / 200,000 manifests, the one ``bench/run.py``
   uses): ``python -m acrdoctor fix --snapshot FILE -o json`` in a subprocess, with the default checks and with
   every check whose fix acrdoctor applies; best wall time and peak resident memory.
2. Applying against the fake ACR in its own process (``bench/collect_bench.py``'s registry shape: every 20th
   build tagged, the rest dangling): collect, plan, apply every delete, verify nothing is left; then apply the
   same plan again (everything ``already``). Reports steps per second and HTTP requests per step.

Steps run one after the other (each reads its object, changes it and reads it back), so the apply rate is
bounded by round trips, not by ACR's documented delete limits; on a real registry over the internet expect
the per-step latency of three requests.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import collect_bench  # noqa: E402 - the fake in its own process
import run as diagnose_bench  # noqa: E402 - snapshot cache, subprocess timer, machine description
import synth  # noqa: E402

ALL_APPLIED = ("locked-artifacts", "network-access-denied", "private-endpoints-block-registry-delete",
               "empty-repository", "dangling-manifests", "broken-index-references")


def plan_rows(repeat: int) -> list[tuple[str, str, str, str]]:
    path, shape = diagnose_bench.ensure_snapshot(synth.SIZES["large"])
    rows = []
    for label, extra in (("default checks", []), ("every applied check", [a for c in ALL_APPLIED
                                                                          for a in ("--check", c)])):
        m = diagnose_bench.measure_command(["fix", "--snapshot", str(path), "-o", "json", *extra], repeat)
        rows.append((f"plan, {label}", f"{shape['manifests']:,} manifests", f"{m['seconds']:.2f} s",
                     f"{m['peak_mib']:.0f} MiB peak"))
    return rows


def apply_rows(repos: int, manifests: int) -> list[tuple[str, str, str, str]]:
    from acrdoctor.collect.live import LiveOptions, Target, collect
    from acrdoctor.engine import Catalogue
    from acrdoctor.fix.apply import apply_plan
    from acrdoctor.fix.journal import Journal
    from acrdoctor.fix.plan import make_plan
    from acrdoctor.fix.sdk import connect
    from acrdoctor.testing import AsyncFakeCredential, FakeCredential

    rows = []
    with collect_bench.FakeProcess(repos, manifests) as fake:
        info = fake.info
        target = Target(info["name"])
        opts = LiveOptions(target=target, subscription=info["subscription"], resource_group=info["resource_group"],
                           arm_endpoint=info["endpoint"], connection_verify=info["ca_pem"],
                           credential=FakeCredential(), async_credential=AsyncFakeCredential())
        snapshot = collect(opts).snapshot
        plan = make_plan(snapshot, Catalogue.load(plugins=False))
        clients = connect(target, subscription=info["subscription"], resource_group=info["resource_group"],
                          arm_endpoint=info["endpoint"], connection_verify=info["ca_pem"],
                          credential=FakeCredential(), polling_interval=0)
        for label in ("apply", "apply again (all already)"):
            fake.call("reset")
            t = time.perf_counter()
            result = apply_plan(plan, clients, Journal(None))
            seconds = time.perf_counter() - t
            log = fake.call("summary")
            results = sorted({o.result for o in result.outcomes.values()})
            steps = len(plan.steps)
            rows.append((label, f"{steps:,} steps ({'/'.join(results)})", f"{seconds:.1f} s, "
                         f"{steps / seconds:.0f} steps/s", f"{log['total'] / steps:.2f} requests/step"))
        clients.close()
        after = collect(opts).snapshot
        left = sum(1 for r in after.repositories or () for m in r.manifests or () if not m.tags)
        rows.append(("untagged manifests left", f"{left}", "", ""))
    return rows


def table(rows: list[tuple[str, str, str, str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--repos", type=int, default=10)
    ap.add_argument("--manifests", type=int, default=100, help="per repository")
    ap.add_argument("--skip-plan", action="store_true")
    args = ap.parse_args(argv)
    m = diagnose_bench.machine()
    print(f"machine: {m['nproc']} cores, {m['cpu']}, {m['memory']}, Python {m['python']}")
    rows: list[Any] = [] if args.skip_plan else plan_rows(args.repeat)
    rows += apply_rows(args.repos, args.manifests)
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
