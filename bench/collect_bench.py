"""Benchmark the live collector against the fake ACR: ``python bench/collect_bench.py [--repos 500 --manifests 200]``.

What it measures (the issue's targets): HTTP requests per manifest (every kind: ARM, listings, 401
challenges, ``/oauth2`` token calls, manifest bodies), requests per manifest body fetched (target
<= 1.05, token traffic included), wall time, the achieved data-plane request rate as a share of the
allowed rate (target >= 90 %), the number of 429s, and a second scan with a warm manifest cache
(target: <= 2 % of the first scan's manifest-body requests).

How: the fake registry (``acrdoctor.testing``) is built and served in a **separate process**, so the
server and the collector each have their own interpreter and GIL (the machine's cores are still
shared). The fake's per-identity read bucket is set to ``--rate`` requests/minute and the collector's
``max_requests_per_minute`` to the same value; then ``collect()`` runs twice with one fresh temp cache
directory: cold, then warm. Requests are counted from the fake's own request log.

Other modes:

* ``--capacity``: no throttle and no client limit, to measure how many requests a second the fake plus
  the collector can do on this machine; pick ``--rate`` comfortably below that, so the limiter and not
  the server is the bottleneck.
* ``--compare``: on a smaller registry (``--compare-repos`` x ``--manifests``), the straightforward
  synchronous SDK script (``bench/naive_sync.py``) against the collector, same fake, same limit.
* ``--fill-unthrottled``: the warm re-scan without the 7-minute wait for a paced cold scan. The cold scan runs
  with no throttle and no client limit (it only fills the cache; its rate is not a result), then the throttle
  is set to ``--rate`` again, with a full bucket, and the warm scan is timed as usual. ``--profile`` then
  profiles the warm scan.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import multiprocessing
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import naive_sync  # noqa: E402 - the baseline script lives next to this one
from run import machine  # noqa: E402

from acrdoctor.collect.cache import ManifestCache  # noqa: E402
from acrdoctor.collect.live import LiveOptions, LiveResult, Target, collect  # noqa: E402
from acrdoctor.testing import (  # noqa: E402
    OCI_MANIFEST,
    AsyncFakeCredential,
    FakeCredential,
    FakeRegistry,
    Throttle,
    serve_fake_acr,
)

#: Default pace (requests/minute) for the fake's read bucket and the collector; see docs/benchmarks.md.
DEFAULT_RATE = 15_000
IDENTITY = "bench"
UNLIMITED = 1e9

TARGET_PER_BODY = 1.05
TARGET_RATE_SHARE = 0.90
TARGET_WARM_SHARE = 0.02
#: Issue 16: a warm re-scan of 500 x 200 manifests in at most this wall time and client CPU time.
TARGET_WARM_SECONDS = 15.0
TARGET_WARM_CPU = 8.0


# -- the registry -----------------------------------------------------------------------------------------


def build_state(repos: int, manifests: int, seed: int = 7) -> FakeRegistry:
    """A registry of ``repos`` x ``manifests`` images with a realistic layer shape.

    24 base images of 3-5 layers, shared across repositories (a repository picks one with Zipf-like
    popularity, so a few bases are everywhere); per repository a dependency layer that changes every
    20 builds; per image one unique app layer and its own config. Every 20th build is tagged, the last
    is also ``latest``; every fifth repository uses OCI media types.
    """
    rng = random.Random(seed)
    state = FakeRegistry(name="benchacr", sku="Premium", resource_group="rg-bench")
    bases = [[(f"base{b}-layer{i}", rng.randint(2_000_000, 40_000_000)) for i in range(3 + b % 3)]
             for b in range(24)]
    weights = [1 / (k + 1) for k in range(len(bases))]
    for r in range(repos):
        name = f"team{r % 10}/service{r:04d}"
        base = rng.choices(bases, weights)[0]
        media_type = OCI_MANIFEST if r % 5 == 4 else "application/vnd.docker.distribution.manifest.v2+json"
        for i in range(manifests):
            tags = [f"1.{i // 20}.0"] if i % 20 == 19 else []
            if i == manifests - 1:
                tags.append("latest")
            layers = [*base, (f"{name}-deps-{i // 20}", 5_000_000 + r), (f"{name}-app-{i}", 100_000 + i)]
            state.push_image(name, tags, layers, config=(f"{name}-config-{i}", 1_500 + i), media_type=media_type)
    return state


# -- the fake, in its own process ----------------------------------------------------------------------------


def summarize(records: list[Any]) -> dict[str, Any]:
    """Classify the fake's request log."""
    s: dict[str, Any] = {"total": len(records), "arm": 0, "token_calls": 0, "body_200": 0, "body_401": 0,
                         "body_429": 0, "body_other": 0, "other_dp": 0, "challenges": 0, "throttled": 0,
                         "charged_reads": 0, "first": None, "last": None}
    for r in records:
        if r.path.startswith("/subscriptions/"):
            s["arm"] += 1
            continue
        s["first"] = r.time if s["first"] is None else min(s["first"], r.time)
        s["last"] = r.time if s["last"] is None else max(s["last"], r.time)
        if r.path.startswith("/oauth2/"):
            s["token_calls"] += 1
            continue
        if r.status == 401:
            s["challenges"] += 1
        elif r.status == 429:
            s["throttled"] += 1
        elif r.status:
            s["charged_reads"] += 1  # past authentication and the throttle: what the read bucket counted
        if r.path.startswith("/v2/") and "/manifests/" in r.path and r.method == "GET":
            key = {200: "body_200", 401: "body_401", 429: "body_429"}.get(r.status, "body_other")
            s[key] += 1
        else:
            s["other_dp"] += 1
    return s


def _server_main(conn: Any, repos: int, manifests: int) -> None:
    t = time.perf_counter()
    state = build_state(repos, manifests)
    built = time.perf_counter() - t
    with serve_fake_acr(state, port=0) as srv:
        conn.send({"endpoint": srv.endpoint, "ca_pem": srv.ca_pem, "name": state.name,
                   "subscription": state.subscription_id, "resource_group": state.resource_group,
                   "manifests": sum(len(r.manifests) for r in state.repositories.values()),
                   "build_seconds": round(built, 1)})
        while True:
            cmd, *args = conn.recv()
            if cmd == "throttle":
                rate, burst = args
                with state.lock:
                    state.throttle = (None if rate is None else
                                      Throttle(read_per_minute=rate, write_per_minute=None, delete_per_minute=None,
                                               burst=burst))
                conn.send(True)
            elif cmd == "reset":
                srv.reset_log()
                conn.send(True)
            elif cmd == "summary":
                conn.send(summarize(srv.requests))
            elif cmd == "cpu":
                times = os.times()
                conn.send(times.user + times.system)
            else:
                conn.send(True)
                return


class FakeProcess:
    """The fake ACR in a child process, driven over a pipe."""

    def __init__(self, repos: int, manifests: int) -> None:
        ctx = multiprocessing.get_context("fork")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_server_main, args=(child, repos, manifests), daemon=True)
        self._proc.start()
        self.info: dict[str, Any] = self._conn.recv()

    def call(self, *cmd: Any) -> Any:
        self._conn.send(cmd)
        return self._conn.recv()

    def stop(self) -> None:
        self.call("stop")
        self._proc.join(timeout=10)

    def __enter__(self) -> FakeProcess:
        return self

    def __exit__(self, *args: object) -> None:
        self.stop()


# -- one measured scan ----------------------------------------------------------------------------------------


@dataclass
class Row:
    scan: str
    manifests: int
    bodies: int
    seconds: float
    log: dict[str, Any]
    client_cpu: float
    server_cpu: float
    rate: float | None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return int(self.log["total"])

    @property
    def body_requests(self) -> int:
        return int(self.log["body_200"] + self.log["body_401"] + self.log["body_429"] + self.log["body_other"])

    def per_manifest(self) -> float:
        return self.requests / self.manifests if self.manifests else float("nan")

    def per_body(self) -> float | None:
        if not self.bodies:
            return None
        return (self.body_requests + self.log["token_calls"]) / self.bodies

    def achieved_per_minute(self) -> float:
        return self.log["charged_reads"] / self.seconds * 60 if self.seconds else 0.0


def measured(fake: FakeProcess, scan: str, rate: float | None, fn: Any) -> tuple[Row, Any]:
    fake.call("reset")
    server_cpu0 = fake.call("cpu")
    cpu0 = time.process_time()
    t = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - t
    client_cpu = time.process_time() - cpu0
    server_cpu = fake.call("cpu") - server_cpu0
    log = fake.call("summary")
    row = Row(scan, 0, 0, seconds, log, client_cpu, server_cpu, rate)
    return row, result


def trust_fake_ca_by_default(directory: Path) -> None:
    """Put the fake's CA in the default trust store of this process (``--tls store``).

    Must run before aiohttp is imported: aiohttp builds its default verifying SSL context at import, and
    OpenSSL reads ``SSL_CERT_FILE`` then; requests (ARM, the sync SDK) reads ``REQUESTS_CA_BUNDLE``. The
    CA is made here, before the fake's process is forked, so the fake serves a certificate it signed.
    """
    from acrdoctor.testing._server import _certificates

    assert "aiohttp.connector" not in sys.modules, "trust_fake_ca_by_default() must run before aiohttp is imported"
    ca, _cert = _certificates()
    path = directory / "fake-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    os.environ["SSL_CERT_FILE"] = os.environ["REQUESTS_CA_BUNDLE"] = str(path)


def run_collector(fake: FakeProcess, scan: str, rate: float | None, cache_dir: Path, tls: str,
                  profile: str | None = None) -> Row:
    info = fake.info
    verify: str | bool = info["ca_pem"] if tls == "ca-file" else True
    opts = LiveOptions(
        target=Target(info["name"]), subscription=info["subscription"], resource_group=info["resource_group"],
        arm_endpoint=info["endpoint"], connection_verify=verify, credential=FakeCredential(IDENTITY),
        async_credential=AsyncFakeCredential(IDENTITY), max_requests_per_minute=rate or UNLIMITED,
        cache=ManifestCache(cache_dir))

    def go() -> LiveResult:
        if not profile:
            return collect(opts)
        prof = cProfile.Profile()
        try:
            return prof.runcall(collect, opts)
        finally:
            prof.dump_stats(profile)

    row, result = measured(fake, scan, rate, go)
    row.manifests = result.stats.manifests
    row.bodies = result.stats.bodies_fetched
    row.extra = {"bodies_cached": result.stats.bodies_cached, "client_429": result.stats.throttled,
                 "errors": len(result.snapshot.errors)}
    return row


def run_naive(fake: FakeProcess, rate: float | None) -> Row:
    info = fake.info

    def go() -> naive_sync.NaiveResult:
        with naive_sync.client_for(info["endpoint"], FakeCredential(IDENTITY), info["ca_pem"]) as client:
            return naive_sync.scan(client)

    row, result = measured(fake, "naive sync SDK", rate, go)
    row.manifests = result.manifests
    row.bodies = result.bodies
    row.extra = {"failures": result.failures}
    return row


# -- output ---------------------------------------------------------------------------------------------------


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    table = [header, *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = []
    for row in table:
        cells = (c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def scan_table(rows: list[Row], cold: Row | None = None) -> str:
    header = ("scan", "manifests", "bodies", "HTTP reqs", "req/manifest", "req/body", "seconds", "reads/min",
              "% allowed", "429s", "body reqs % cold", "client CPU s", "server CPU s")
    out = []
    for r in rows:
        per_body = r.per_body()
        share = f"{r.achieved_per_minute() / r.rate:.1%}" if r.rate else "-"
        warm = (f"{r.body_requests / cold.body_requests:.2%}" if cold is not None and r is not cold
                and cold.body_requests else "-")
        out.append((r.scan, f"{r.manifests:,}", f"{r.bodies:,}", f"{r.requests:,}", f"{r.per_manifest():.3f}",
                    "-" if per_body is None else f"{per_body:.3f}", f"{r.seconds:.1f}",
                    f"{r.achieved_per_minute():,.0f}", share, str(r.log["throttled"]), warm,
                    f"{r.client_cpu:.1f}", f"{r.server_cpu:.1f}"))
    return _table(header, out)


def breakdown(rows: list[Row]) -> str:
    header = ("scan", "ARM", "token calls", "401 challenges", "bodies 200", "bodies 401", "listings etc.", "429s")
    return _table(header, [(r.scan, str(r.log["arm"]), str(r.log["token_calls"]), str(r.log["challenges"]),
                            f"{r.log['body_200']:,}", str(r.log["body_401"]), f"{r.log['other_dp']:,}",
                            str(r.log["throttled"])) for r in rows])


def verdicts(cold: Row, warm: Row) -> list[str]:
    per_body = cold.per_body() or float("inf")
    share = cold.achieved_per_minute() / cold.rate if cold.rate else 0.0
    warm_share = warm.body_requests / cold.body_requests if cold.body_requests else 0.0

    def v(ok: bool) -> str:
        return "met" if ok else "MISSED"

    lines = [f"requests per body fetched (cold): {per_body:.3f} (target <= {TARGET_PER_BODY}) {v(per_body <= 1.05)}"]
    if cold.rate:  # an unthrottled cold scan (--fill-unthrottled) has no allowed rate to reach
        lines.append(f"achieved rate (cold): {share:.1%} of the allowed rate (target >= {TARGET_RATE_SHARE:.0%}) "
                     f"{v(share >= TARGET_RATE_SHARE)}")
    lines += [
        f"warm body requests: {warm_share:.2%} of cold (target <= {TARGET_WARM_SHARE:.0%}) "
        f"{v(warm_share <= TARGET_WARM_SHARE)}",
        f"warm re-scan: {warm.seconds:.1f} s wall (target <= {TARGET_WARM_SECONDS:.0f}) "
        f"{v(warm.seconds <= TARGET_WARM_SECONDS)}, {warm.client_cpu:.1f} s client CPU "
        f"(target <= {TARGET_WARM_CPU:.0f}) {v(warm.client_cpu <= TARGET_WARM_CPU)}",
    ]
    return lines


def print_machine(args: argparse.Namespace) -> None:
    info = machine()
    print(f"machine: {info['nproc']} CPUs, {info['cpu']}, {info['memory']}, Python {info['python']}")
    print(f"command: python bench/collect_bench.py {' '.join(sys.argv[1:])}  (collector TLS: {args.tls})")


# -- modes ----------------------------------------------------------------------------------------------------


def main_scan(args: argparse.Namespace) -> int:
    print(f"building the fake: {args.repos} x {args.manifests} ...", file=sys.stderr, flush=True)
    with FakeProcess(args.repos, args.manifests) as fake, tempfile.TemporaryDirectory(prefix="acrd-bench-") as tmp:
        print(f"built {fake.info['manifests']:,} manifests in {fake.info['build_seconds']} s", file=sys.stderr)
        if args.cache_dir:
            tmp = args.cache_dir
        rows = []
        scans = ["cold", "warm"]
        if args.warm_only:
            scans = ["warm"] * args.repeat
        for scan in scans:
            # --fill-unthrottled: the cold scan only fills the cache, as fast as the machine goes.
            rate = None if scan == "cold" and args.fill_unthrottled else args.rate
            fake.call("throttle", rate, args.burst)  # also a full bucket for each scan
            print(f"{scan} scan at {'no limit' if rate is None else f'{rate:,} requests/minute'} ...",
                  file=sys.stderr, flush=True)
            profile = args.profile if (scan == "warm") == args.fill_unthrottled else None
            rows.append(run_collector(fake, scan, rate, Path(tmp), args.tls, profile))
    if args.warm_only:
        print(scan_table(rows))
        print(f"warm re-scans: best {min(r.seconds for r in rows):.1f} s wall, "
              f"{min(r.client_cpu for r in rows):.1f} s client CPU (targets <= {TARGET_WARM_SECONDS:.0f} / "
              f"{TARGET_WARM_CPU:.0f})")
        print_machine(args)
        return 0
    cold, warm = rows
    print(f"registry: {args.repos} repositories x {args.manifests} manifests; fake read throttle and collector "
          f"limit: {args.rate:,} requests/minute (server burst: {args.burst or args.rate:,.0f})")
    print(scan_table(rows, cold))
    print()
    print(breakdown(rows))
    print()
    for line in verdicts(cold, warm):
        print(line)
    print_machine(args)
    if args.json:
        print(json.dumps([r.__dict__ for r in rows], indent=2, default=str))
    return 0


def main_capacity(args: argparse.Namespace) -> int:
    with FakeProcess(args.repos, args.manifests) as fake, tempfile.TemporaryDirectory(prefix="acrd-bench-") as tmp:
        fake.call("throttle", None, None)
        row = run_collector(fake, "unlimited", None, Path(tmp), args.tls, args.profile)
    print(f"registry: {args.repos} x {args.manifests}; no throttle, no client limit")
    print(scan_table([row]))
    print(f"capacity: {row.requests / row.seconds:,.0f} HTTP requests/s in all, "
          f"{row.log['charged_reads'] / row.seconds * 60:,.0f} throttle-counted reads/minute")
    print_machine(args)
    return 0


def main_compare(args: argparse.Namespace) -> int:
    with FakeProcess(args.compare_repos, args.manifests) as fake, \
            tempfile.TemporaryDirectory(prefix="acrd-bench-") as tmp:
        print(f"built {fake.info['manifests']:,} manifests", file=sys.stderr, flush=True)
        fake.call("throttle", args.rate, args.burst)
        print("naive sync script ...", file=sys.stderr, flush=True)
        naive = run_naive(fake, args.rate)
        fake.call("throttle", args.rate, args.burst)  # a full bucket again for the second contestant
        print("collector (cold cache) ...", file=sys.stderr, flush=True)
        ours = run_collector(fake, "acrdoctor collect", args.rate, Path(tmp), args.tls)
    rows = [naive, ours]
    print(f"registry: {args.compare_repos} repositories x {args.manifests} manifests; fake read throttle and "
          f"collector limit: {args.rate:,} requests/minute")
    print(scan_table(rows))
    print()
    print(breakdown(rows))
    print()
    print(f"naive / acrdoctor: wall time x{naive.seconds / ours.seconds:.2f}, "
          f"requests per manifest x{naive.per_manifest() / ours.per_manifest():.2f}, "
          f"429s {naive.log['throttled']} vs {ours.log['throttled']}")
    if naive.extra.get("failures"):
        print(f"naive script: {naive.extra['failures']} manifests failed")
    print_machine(args)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repos", type=int, default=500)
    ap.add_argument("--manifests", type=int, default=200, help="manifests per repository")
    ap.add_argument("--rate", type=int, default=DEFAULT_RATE,
                    help="requests/minute: the fake's per-identity read throttle and the collector's limit")
    ap.add_argument("--burst", type=float, default=None,
                    help="the fake's bucket size (default: one minute's worth, as ACR documents)")
    ap.add_argument("--compare", action="store_true", help="naive sync SDK script vs the collector")
    ap.add_argument("--compare-repos", type=int, default=50, help="repositories for --compare")
    ap.add_argument("--capacity", action="store_true", help="measure the fake + collector with no limit at all")
    ap.add_argument("--profile", metavar="FILE",
                    help="cProfile the collector's cold scan (warm with --fill-unthrottled) into FILE")
    ap.add_argument("--fill-unthrottled", action="store_true",
                    help="fill the cache with an unlimited cold scan, then time the warm scan at --rate")
    ap.add_argument("--cache-dir", metavar="DIR",
                    help="keep the manifest cache in DIR (default: a temporary directory), for --warm-only later")
    ap.add_argument("--warm-only", action="store_true",
                    help="only warm scans, on the cache an earlier run left in --cache-dir (same --repos/--manifests)")
    ap.add_argument("--repeat", type=int, default=1, help="warm scans to run with --warm-only (the best is printed)")
    ap.add_argument("--json", action="store_true", help="print the raw figures as JSON too")
    ap.add_argument("--tls", choices=("store", "ca-file"), default="store",
                    help="how the collector trusts the fake: 'store' puts its CA in the default trust store "
                         "(connection_verify=True, the production default); 'ca-file' passes "
                         "connection_verify=CA.pem, as 'acrdoctor --ca-file' does")
    args = ap.parse_args(argv)
    if args.warm_only and not args.cache_dir:
        ap.error("--warm-only needs --cache-dir (filled by an earlier run with the same --cache-dir)")
    with tempfile.TemporaryDirectory(prefix="acrd-bench-ca-") as ca_dir:
        if args.tls == "store":
            trust_fake_ca_by_default(Path(ca_dir))
        if args.capacity:
            return main_capacity(args)
        if args.compare:
            return main_compare(args)
        return main_scan(args)


if __name__ == "__main__":
    raise SystemExit(main())
