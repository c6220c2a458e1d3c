"""The live collector against the fake ACR, driven by the real SDK clients over loopback HTTPS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from acrdoctor.azure.failures import CollectionAborted
from acrdoctor.builder import SnapshotBuilder
from acrdoctor.check_api import Status
from acrdoctor.clock import EPOCH, clock_at
from acrdoctor.collect.cache import ManifestCache
from acrdoctor.collect.live import LiveOptions, Target, collect, parse_target, parts_for
from acrdoctor.demo import load_demo
from acrdoctor.engine import Catalogue, diagnose
from acrdoctor.errors import InputError, ServiceUnavailable
from acrdoctor.model import Part, Snapshot
from acrdoctor.snapshot_io import snapshot_to_dict
from acrdoctor.testing import AsyncFakeCredential, FakeCredential, FakeRegistry, Throttle, serve_fake_acr
from tests.collect.compare import assert_same_registry, keyed_findings

ALLOWED_IP = "198.51.100.7"  # inside the demo registry's ipRules (198.51.100.0/24)


def options(srv, snapshot: Snapshot, **kw) -> LiveOptions:
    reg = snapshot.registry
    return LiveOptions(
        target=Target(reg.name), subscription=reg.subscription_id, resource_group=reg.resource_group,
        arm_endpoint=srv.arm_endpoint, connection_verify=srv.ca_pem, credential=FakeCredential(),
        async_credential=AsyncFakeCredential(), clock=clock_at(snapshot.collected_at or EPOCH), **kw)


@pytest.fixture(scope="module")
def demo() -> Snapshot:
    return load_demo()


def demo_state(demo: Snapshot) -> FakeRegistry:
    """The fake of the demo registry that a live scan reads completely."""
    state = FakeRegistry.from_snapshot(demo)
    state.client_ip = ALLOWED_IP
    state.quarantine_readers = {"alice"}  # the demo's quarantined image: its body is read like the others
    state.grant(FakeCredential().object_id, "AcrDelete")  # the scanning identity may delete, as a cleanup's would
    return state


@pytest.fixture
def demo_server(demo: Snapshot) -> Iterator:
    with serve_fake_acr(demo_state(demo), port=0) as srv:
        yield srv


def test_live_collection_of_the_demo_matches_the_demo_snapshot(demo: Snapshot, demo_server) -> None:
    result = collect(options(demo_server, demo))
    live, want = snapshot_to_dict(result.snapshot), snapshot_to_dict(demo)
    assert live["registry"]["loginServer"] == demo_server.login_server
    assert_same_registry(live, want)
    assert [r["name"] for r in live["replications"]] == [r["name"] for r in want["replications"]]


def test_live_diagnosis_finds_what_the_offline_diagnosis_finds(demo: Snapshot, demo_server) -> None:
    live = diagnose(collect(options(demo_server, demo)).snapshot)
    offline = diagnose(demo)
    assert keyed_findings(live) == keyed_findings(offline)
    # A read-only scan never deletes; the delete permission is judged from the caller's role assignments, which it
    # reads (issue #10): nothing is skipped, and AcrDelete on the registry passes.
    assert {r.slug for r in live.results if r.status is Status.SKIPPED} == set()
    assert {r.slug: r.status for r in live.results}["delete-permission"] is Status.PASSED


def test_token_reuse_keeps_requests_per_manifest_body_near_one(tmp_path: Path) -> None:
    b = SnapshotBuilder(sku="Premium")
    for r in range(2):
        repo = b.repository(f"team/app{r}")
        for i in range(150):
            repo.image([f"v{i}"] if i % 10 == 0 else [], layers=[("base", 1000), (f"app{r}-{i}", 10 + i)])
    snap = b.build()
    with serve_fake_acr(FakeRegistry.from_snapshot(snap), port=0) as srv:
        srv.reset_log()
        result = collect(options(srv, snap, parts=frozenset({Part.REGISTRY, Part.MANIFEST_BODIES, Part.MANIFESTS,
                                                              Part.REPOSITORIES}),
                                 cache=ManifestCache(tmp_path, enabled=False)))
        log = list(srv.requests)
    bodies = result.stats.bodies_fetched
    assert bodies == 300
    body_gets = [r for r in log if r.method == "GET" and "/manifests/" in r.path and r.path.startswith("/v2/")]
    token_calls = [r for r in log if r.path.startswith("/oauth2/")]
    challenges_on_bodies = [r for r in body_gets if r.status == 401]
    per_body = (len(body_gets) + len(token_calls)) / bodies
    assert len(challenges_on_bodies) <= 2  # one challenge per repository scope, then the token is reused
    assert per_body <= 1.05, f"{per_body:.3f} requests per manifest body"
    everything = len([r for r in log if not r.path.startswith("/subscriptions/")]) / bodies
    assert everything <= 1.10, f"{everything:.3f} data-plane requests per manifest in all"


def test_second_scan_reads_bodies_from_the_cache(tmp_path: Path, demo: Snapshot, demo_server) -> None:
    cache_dir = tmp_path / "cache"
    first = collect(options(demo_server, demo, cache=ManifestCache(cache_dir)))
    demo_server.reset_log()
    second = collect(options(demo_server, demo, cache=ManifestCache(cache_dir)))
    body_gets = [r for r in demo_server.requests if r.path.startswith("/v2/") and "/manifests/" in r.path]
    assert first.stats.bodies_fetched > 20
    assert second.stats.bodies_fetched == 0
    assert second.stats.bodies_cached == first.stats.bodies_fetched
    assert body_gets == []
    assert snapshot_to_dict(second.snapshot)["repositories"] == snapshot_to_dict(first.snapshot)["repositories"]


def test_only_what_the_selected_checks_need_is_collected(demo: Snapshot, demo_server) -> None:
    checks = Catalogue.load(plugins=False).select(["private-endpoints-block-registry-delete"])
    demo_server.reset_log()
    result = collect(options(demo_server, demo, parts=parts_for(checks)))
    assert all(r.path.startswith("/subscriptions/") for r in demo_server.requests)
    assert result.snapshot.repositories is None
    assert len(result.snapshot.private_endpoint_connections or ()) == 2


def test_firewall_denial_becomes_a_finding_and_skips_data_plane_checks(demo: Snapshot) -> None:
    state = FakeRegistry.from_snapshot(demo)
    state.client_ip = "203.0.113.42"
    with serve_fake_acr(state, port=0) as srv:
        snap = collect(options(srv, demo)).snapshot
    (denied,) = [e for e in snap.errors if e.code == "DENIED"]
    assert denied.status == 403 and "203.0.113.42" in denied.message
    report = diagnose(snap)
    by_slug = {r.slug: r for r in report.results}
    assert by_slug["network-access-denied"].findings[0].details["denied_ips"] == ["203.0.113.42"]
    assert by_slug["empty-repository"].status is Status.SKIPPED
    assert "DENIED" in (by_slug["empty-repository"].reason or "")


def test_throttled_scan_backs_off_and_completes(tmp_path: Path) -> None:
    b = SnapshotBuilder(sku="Standard")
    repo = b.repository("busy")
    for i in range(40):
        repo.image([f"v{i}"], layers=[(f"l{i}", 10)])
    snap = b.build()
    state = FakeRegistry.from_snapshot(snap)
    state.throttle = Throttle(read_per_minute=1200, burst=10)
    with serve_fake_acr(state, port=0) as srv:
        result = collect(options(srv, snap, max_requests_per_minute=60_000, cache=ManifestCache(tmp_path,
                                                                                                 enabled=False)))
        statuses = [r.status for r in srv.requests]
    assert 429 in statuses
    assert result.stats.throttled >= 1
    assert result.stats.bodies_fetched == 40
    report = diagnose(result.snapshot)
    (throttling,) = [r for r in report.results if r.slug == "throttling"]
    assert throttling.status is Status.FAILED


def test_repository_filter_marks_registry_wide_figures_partial(demo: Snapshot, demo_server) -> None:
    result = collect(options(demo_server, demo, repositories=("apps/web",)))
    snap = result.snapshot
    assert [r.name for r in snap.repositories or ()] == ["apps/web"]
    assert Part.MANIFEST_BODIES in snap.partial
    dangling = [f for f in diagnose(snap).findings() if f.check == "dangling-manifests"]
    assert dangling and "at least" in dangling[0].message


def test_permission_refusal_is_recorded_with_the_missing_action(demo: Snapshot) -> None:
    state = FakeRegistry.from_snapshot(demo)
    state.client_ip = ALLOWED_IP
    state.denied_actions = {("apps/web", "metadata_read")}
    with serve_fake_acr(state, port=0) as srv:
        snap = collect(options(srv, demo)).snapshot
    refused = [e for e in snap.errors if e.repository == "apps/web"]
    assert refused and refused[0].status == 401
    findings = [f for f in diagnose(snap).findings() if f.check == "delete-permission"]
    assert any("metadata_read" in f.message for f in findings)


def test_unknown_registry_is_one_clear_error(demo: Snapshot, demo_server) -> None:
    opts = options(demo_server, demo)
    opts.target = Target("nosuchregistry")
    with pytest.raises(CollectionAborted, match=r"nosuchregistry.*not found"):
        collect(opts)
    opts.resource_group = None
    with pytest.raises(CollectionAborted, match="not found"):
        collect(opts)


def test_unreachable_management_endpoint_is_one_clear_error(demo: Snapshot, tmp_path: Path) -> None:
    opts = LiveOptions(target=Target("contoso"), subscription="0000", resource_group="rg",
                       arm_endpoint="https://127.0.0.1:9", connection_verify=True, credential=FakeCredential(),
                       async_credential=AsyncFakeCredential())
    with pytest.raises(ServiceUnavailable, match="cannot reach"):
        collect(opts)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("contoso", Target("contoso")),
        ("Contoso.azurecr.io", Target("contoso", login_server="Contoso.azurecr.io")),
        ("/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.ContainerRegistry/registries/contoso",
         Target("contoso", "s1", "rg1")),
    ],
)
def test_registry_argument_forms(text: str, expected: Target) -> None:
    assert parse_target(text) == expected


@pytest.mark.parametrize("bad", ["ab", "my-registry", "x" * 51, "bad name"])
def test_invalid_registry_names_are_input_errors(bad: str) -> None:
    with pytest.raises(InputError, match=r"not a valid registry name|not a registry name"):
        parse_target(bad)


def test_cli_collect_then_diagnose_the_written_snapshot(demo: Snapshot, demo_server, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    import acrdoctor.azure.session as session
    from acrdoctor.cli import cli

    monkeypatch.setattr(session, "credentials", lambda opts: (FakeCredential(), AsyncFakeCredential()))
    out = tmp_path / "snap.json"
    common = ["--registry", "contoso", "--subscription", demo.registry.subscription_id or "", "-g",
              demo.registry.resource_group or "", "--arm-endpoint", demo_server.arm_endpoint, "--ca-file",
              demo_server.ca_pem, "--cache-dir", str(tmp_path / "cache"), "--quiet"]
    runner = CliRunner()
    res = runner.invoke(cli, ["collect", *common, "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "wrote" in res.stderr and "manifests" in res.stderr
    doc = json.loads(out.read_text())
    assert doc["source"] == "live" and len(doc["repositories"]) == len(demo.repositories or ())
    res = runner.invoke(cli, ["diagnose", "--snapshot", str(out), "-o", "json", "--no-plugins"])
    assert res.exit_code == 1
    res = runner.invoke(cli, ["diagnose", *common, "--check", "private-endpoints-block-registry-delete", "-o", "json"])
    assert res.exit_code == 1, res.output  # two medium findings, at the default --fail-on medium
    report = json.loads(res.stdout)
    assert [r["check"] for r in report["results"]] == ["private-endpoints-block-registry-delete"]
    assert len(report["results"][0]["findings"]) == 2


class _ExpiredLogin:
    """A credential whose sign-in has expired, as DefaultAzureCredential reports it."""

    def get_token(self, *scopes, **kwargs):
        from azure.core.exceptions import ClientAuthenticationError

        raise ClientAuthenticationError("AADSTS700082: The refresh token has expired due to inactivity.")


def _cli(demo: Snapshot, srv, *extra: str, credential=None, async_credential=None):
    from click.testing import CliRunner

    import acrdoctor.azure.session as session
    from acrdoctor.cli import cli

    creds = (credential or FakeCredential(), async_credential or AsyncFakeCredential())
    original = session.credentials
    session.credentials = lambda opts: creds
    try:
        args = ["diagnose", "--registry", "contoso", "--subscription", demo.registry.subscription_id or "",
                "-g", demo.registry.resource_group or "", "--arm-endpoint", srv.arm_endpoint, "--ca-file", srv.ca_pem,
                "--no-cache", "--quiet", *extra]
        return CliRunner().invoke(cli, args)
    finally:
        session.credentials = original


def _one_line_exit_2(result, *fragments: str) -> str:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("acrdoctor: error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def test_expired_login_says_to_sign_in_again(demo: Snapshot, demo_server) -> None:
    result = _cli(demo, demo_server, credential=_ExpiredLogin())
    _one_line_exit_2(result, "cannot sign in to Azure", "az login", "AADSTS700082")
    assert [r for r in demo_server.requests if not r.path.startswith("/subscriptions/")] == []


def test_no_permission_names_the_role_needed(demo: Snapshot) -> None:
    state = FakeRegistry.from_snapshot(demo)
    state.arm_denied_identities = {"alice"}
    with serve_fake_acr(state, port=0) as srv:
        result = _cli(demo, srv, credential=FakeCredential("alice"))
    _one_line_exit_2(result, "no permission", "Reader role", "AuthorizationFailed")


def test_wrong_subscription_or_group_is_not_found(demo: Snapshot, demo_server) -> None:
    result = _cli(demo, demo_server, "--subscription", "11111111-1111-1111-1111-111111111111")
    _one_line_exit_2(result, "not found", "--subscription")
    result = _cli(demo, demo_server, "-g", "rg-elsewhere")
    _one_line_exit_2(result, "resource group 'rg-elsewhere'", "not found")


def test_invalid_registry_name_on_the_command_line(demo: Snapshot, demo_server) -> None:
    from click.testing import CliRunner

    from acrdoctor.cli import cli

    result = CliRunner().invoke(cli, ["diagnose", "--registry", "my_registry!", "--quiet"])
    _one_line_exit_2(result, "not a valid registry name")


def test_collection_only_reads(demo: Snapshot, demo_server) -> None:
    demo_server.reset_log()
    collect(options(demo_server, demo))
    methods = {(r.method, r.path.split("/")[1]) for r in demo_server.requests}
    assert {m for m, _ in methods} <= {"GET", "HEAD", "POST"}
    assert {top for m, top in methods if m == "POST"} <= {"oauth2"}  # token exchange only


def test_scan_survives_5xx_resets_and_intermittent_manifest_unknown(tmp_path: Path) -> None:
    from acrdoctor.testing import Faults

    b = SnapshotBuilder(sku="Premium")
    for r in range(3):
        repo = b.repository(f"svc{r}")
        for i in range(20):
            repo.image([f"v{i}"], layers=[("base", 100), (f"svc{r}-{i}", 10)])
    snap = b.build()
    state = FakeRegistry.from_snapshot(snap)
    state.faults = Faults(error_rate_5xx=0.05, reset_rate=0.03, manifest_unknown_rate=0.1, seed=7)
    with serve_fake_acr(state, port=0) as srv:
        result = collect(options(srv, snap, cache=ManifestCache(tmp_path, enabled=False)))
        statuses = [r.status for r in srv.requests]
    assert 500 in statuses and 404 in statuses  # the faults really happened
    assert result.stats.retries > 0
    assert result.stats.bodies_fetched == 60
    assert result.snapshot.errors == ()
    assert sum(len(r.manifests or ()) for r in result.snapshot.repositories or ()) == 60


def test_progress_is_silent_off_a_terminal_and_counts_on_one() -> None:
    import io

    from rich.console import Console

    from acrdoctor.collect.progress import Progress, RichProgress

    assert type(Progress.for_terminal(quiet=True)) is Progress
    assert type(Progress.for_terminal()) is Progress  # pytest's stderr is not a terminal
    out = io.StringIO()
    bar = RichProgress(Console(file=out, force_terminal=True, width=80))
    bar.start("manifest bodies", 4)
    bar.advance("manifest bodies", 3)
    task = bar._tasks["manifest bodies"]
    assert bar._bar.tasks[task].completed == 3 and bar._bar.tasks[task].total == 4
    bar.close()
    assert "manifest bodies" in out.getvalue()


def test_preflight_against_a_live_registry_reads_everything_and_deletes_nothing(demo: Snapshot, demo_server,
                                                                               tmp_path: Path) -> None:
    from click.testing import CliRunner

    import acrdoctor.azure.session as session
    from acrdoctor.cli import cli
    from acrdoctor.preflight.run import preflight

    original = session.credentials
    session.credentials = lambda opts: (FakeCredential(), AsyncFakeCredential())
    try:
        demo_server.reset_log()
        result = CliRunner().invoke(cli, [
            "preflight", "--registry", "contoso", "--subscription", demo.registry.subscription_id or "", "-g",
            demo.registry.resource_group or "", "--arm-endpoint", demo_server.arm_endpoint, "--ca-file",
            demo_server.ca_pem, "--no-cache", "--quiet", "-o", "json", "--",
            "az", "acr", "repository", "delete", "--name", "contoso", "--image", "apps/web:prod", "--yes"])
    finally:
        session.credentials = original
    assert result.exit_code in (0, 1), result.output
    assert {r.method for r in demo_server.requests} <= {"GET", "HEAD", "POST"}
    plan = json.loads(result.stdout)
    offline = preflight(["az", "acr", "repository", "delete", "--name", "contoso", "--image", "apps/web:prod"], demo)
    assert plan["reclaimable_bytes"] == offline.reclaimable_bytes
    assert sorted((t["repository"], t["tag"]) for t in plan["delete"]["tags"]) == sorted(
        (t.repository, t.tag) for t in offline.delete_tags)
