"""Benchmark ``acrdoctor fix``: ``python bench/fix_bench.py``.

1. Planning on the large synthetic snapshot (1,000 repositories / 200,000 manifests, the one ``bench/run.py``
   uses): ``python -m acrdoctor fix --snapshot FILE -o json`` in a subprocess, with the default checks and with
   every check whose fix acrdoctor applies; best wall time and peak resident memory.
2. Applying against the fake ACR in its own process (``bench/collect_bench.py``'s registry shape: every 20th
   build tagged, the rest dangling), once as a Standard and once as a Premium registry: collect and plan
   (unthrottled), then the fake adds ``--latency`` (20 ms) to every response and enforces the SKU's documented
   per-identity buckets, and ``execute`` applies the plan with ``--concurrency`` workers paced at the same
   documented limits. Reports deletes a minute against the limit, requests per step (everything the apply sent:
   tokens, challenges, listings, deletes), 429s, deletes outside the plan and manifests deleted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
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


def plan_rows(repeat: int) -> list[tuple[str, ...]]:
    """``fix --snapshot FILE -o json`` on the large snapshot: best wall time, CPU of all runs, JSON size, peak RSS.

    CPU seconds (user + system of the children, per run) move less than wall time on a shared machine.
    """
    import resource

    path, shape = diagnose_bench.ensure_snapshot(synth.SIZES["large"])
    rows: list[tuple[str, ...]] = [("command", "manifests", "seconds", "CPU s/run", "JSON MB", "peak MiB")]
    for label, extra in (("plan, default checks", []), ("plan, every applied check", [a for c in ALL_APPLIED
                                                                                       for a in ("--check", c)])):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        m = diagnose_bench.measure_command(["fix", "--snapshot", str(path), "-o", "json", *extra], repeat)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / repeat
        rows.append((label, f"{shape['manifests']:,}", f"{m['seconds']:.2f}", f"{cpu:.2f}",
                     f"{m['report_bytes'] / 1e6:.1f}", f"{m['peak_mib']:.0f}"))
    return rows


def _fake_main(conn: Any, repos: int, per_repo: int, latency: float, sku: str) -> None:
    """The fake in its own process: every response 20 ms late, its buckets at the SKU's documented limits."""
    from acrdoctor.limits import Category, limits_for
    from acrdoctor.testing import Faults, Throttle, serve_fake_acr

    state = collect_bench.build_state(repos, per_repo)
    state.sku = sku
    limits = limits_for(sku)
    with serve_fake_acr(state, port=0) as srv:
        conn.send({"arm_endpoint": srv.arm_endpoint, "ca_pem": srv.ca_pem, "name": state.name,
                   "subscription": state.subscription_id, "resource_group": state.resource_group})
        while True:
            cmd = conn.recv()
            if cmd == "go":
                srv.reset_log()
                state.faults = Faults(slow_seconds=latency)
                state.throttle = Throttle(read_per_minute=limits[Category.DATAPLANE_READ].per_identity,
                                          write_per_minute=limits[Category.DATAPLANE_WRITE].per_identity,
                                          delete_per_minute=limits[Category.DATAPLANE_DELETE].per_identity)
                conn.send(True)
            elif cmd == "log":
                conn.send([(r.method, r.path, r.status, r.time) for r in srv.requests])
            elif cmd == "left":
                conn.send(sorted((r.name, d) for r in state.repositories.values() for d in r.manifests))
            else:
                conn.send(True)
                return


def apply_row(sku: str, repos: int, per_repo: int, latency: float, concurrency: int) -> dict[str, Any]:
    """Collect and plan (unthrottled, no latency), then apply with the fake throttled and slowed; what it took."""
    import multiprocessing

    from acrdoctor.actions import DeleteManifest
    from acrdoctor.engine import Catalogue
    from acrdoctor.fix.journal import Journal
    from acrdoctor.fix.pace import Pace
    from acrdoctor.fix.run import execute, start_journal
    from acrdoctor.limits import delete_rate

    sys.path.insert(0, str(HERE.parent))
    from tests.fix.bulk_registry import clients_for, plan_for

    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.get_context("fork").Process(target=_fake_main,
                                                       args=(child, repos, per_repo, latency, sku), daemon=True)
    proc.start()
    try:
        info = parent.recv()
        plan = plan_for(info)
        planned = {f"/v2/{s.action.repository}/manifests/{s.action.digest}" for s in plan.steps
                   if isinstance(s.action, DeleteManifest)}
        parent.send("left")
        before = len(parent.recv())
        clients = clients_for(info, retry_total=3, pace=lambda s: Pace.for_sku(s))
        parent.send("go")
        parent.recv()
        with tempfile.TemporaryDirectory() as tmp:
            journal = Journal(Path(tmp) / "journal.jsonl")
            start_journal(journal, plan, "--yes", resumed=False)
            cpu, t = time.process_time(), time.perf_counter()
            run = execute(plan, clients, journal, Catalogue.load(plugins=False), concurrency=concurrency)
            seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
            journal.close()
        clients.close()
        parent.send("log")
        log = parent.recv()
        parent.send("left")
        left = len(parent.recv())
        parent.send("stop")
        parent.recv()
    finally:
        proc.join(timeout=10)
    deletes = [x for x in log if x[0] == "DELETE" and x[2] in (202, 404)]
    steps = len(plan.steps)
    limit = delete_rate(sku)
    return {"sku": sku, "steps": steps, "concurrency": concurrency, "latency_ms": latency * 1000,
            "seconds": seconds, "cpu": cpu, "deletes_per_min": len(deletes) / seconds * 60, "limit": limit,
            "share": len(deletes) / seconds * 60 / limit, "requests_per_step": len(log) / steps,
            "outside_plan": sum(1 for x in log if x[0] == "DELETE" and x[1] not in planned),
            "throttled": sum(1 for x in log if x[2] == 429), "deleted": before - left,
            "results": "/".join(sorted({o.result for o in run.applied.outcomes.values()}))}


def apply_table(rows: list[dict[str, Any]]) -> str:
    head = ("SKU", "steps", "workers", "latency", "seconds", "client CPU s", "deletes/min", "documented",
            "% of limit", "req/step", "429s", "outside plan", "results")
    body = [(r["sku"], f"{r['steps']:,}", str(r["concurrency"]), f"{r['latency_ms']:.0f} ms", f"{r['seconds']:.1f}",
             f"{r['cpu']:.1f}", f"{r['deletes_per_min']:,.0f}", f"{r['limit']:,}", f"{r['share']:.1%}",
             f"{r['requests_per_step']:.3f}", str(r["throttled"]), str(r["outside_plan"]), r["results"])
            for r in rows]
    widths = [max(len(x[i]) for x in (head, *body)) for i in range(len(head))]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(x, widths, strict=True)) for x in (head, *body))


def table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--skip-plan", action="store_true")
    ap.add_argument("--skip-apply", action="store_true")
    ap.add_argument("--latency", type=float, default=0.020, help="seconds added to every response of the fake")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--standard", default="12x100", help="REPOSxMANIFESTS for the Standard run (about 1,140 deletes)")
    ap.add_argument("--premium", default="30x110", help="REPOSxMANIFESTS for the Premium run (about 3,135 deletes)")
    args = ap.parse_args(argv)
    m = diagnose_bench.machine()
    print(f"machine: {m['nproc']} cores, {m['cpu']}, {m['memory']}, Python {m['python']}")
    if not args.skip_plan:
        print(table(plan_rows(args.repeat)))
    if not args.skip_apply:
        rows = []
        for sku, shape in (("Standard", args.standard), ("Premium", args.premium)):
            repos, per_repo = (int(x) for x in shape.split("x"))
            rows.append(apply_row(sku, repos, per_repo, args.latency, args.concurrency))
        print(apply_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
