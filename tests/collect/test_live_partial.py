"""A live diagnosis whose listing failed for one repository is not a pass (issue #10 §2), end to end.

The fake ACR answers 500 to every request for one repository's manifest listing; the real SDK client
retries and gives up, the collector records the error and goes on, and ``acrdoctor diagnose`` must then
report the checks that read that listing as incomplete, show the error and exit 3.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import acrdoctor.azure.session as session
import acrdoctor.collect.dataplane as dataplane
from acrdoctor.builder import SnapshotBuilder, locked
from acrdoctor.cli import cli
from acrdoctor.model import Snapshot
from acrdoctor.testing import AsyncFakeCredential, FakeCredential, FakeRegistry, Faults, serve_fake_acr

BROKEN = "apps/web"


@pytest.fixture
def registry() -> Snapshot:
    """Nothing wrong where the collector can see; a locked manifest where it cannot."""
    b = SnapshotBuilder(sku="Premium")
    b.repository("apps/api").image(tags=["v1"])
    b.repository(BROKEN).image(tags=["v1"], attributes=locked())
    b.no_private_endpoints()
    b.no_replications()
    b.set_usage()
    return b.build()


@pytest.fixture
def failing_listing(registry: Snapshot, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    state = FakeRegistry.from_snapshot(registry)
    state.faults = Faults(error_rate_5xx=1.0, path_pattern=r"/acr/v1/apps(/|%2F)web/_manifests")
    # Retries still happen; only their waiting is skipped, so the test does not sleep through the backoff.
    monkeypatch.setattr(dataplane, "backoff_delay", lambda *args, **kwargs: 0.0)
    monkeypatch.setattr(session, "credentials", lambda opts: (FakeCredential(), AsyncFakeCredential()))
    with serve_fake_acr(state, port=0) as srv:
        yield srv


def test_live_diagnosis_with_a_failed_listing_is_incomplete(registry: Snapshot, failing_listing: Any,
                                                            tmp_path: Path) -> None:
    reg = registry.registry
    result = CliRunner().invoke(cli, [
        "diagnose", "--registry", reg.name, "--subscription", reg.subscription_id or "", "-g",
        reg.resource_group or "", "--arm-endpoint", failing_listing.arm_endpoint, "--ca-file", failing_listing.ca_pem,
        "--cache-dir", str(tmp_path / "cache"), "--quiet", "--no-plugins", "-o", "json",
        "--check", "locked-artifacts", "--check", "dangling-manifests",
    ])
    assert result.exit_code == 3, result.output
    assert 500 in [r.status for r in failing_listing.requests]
    report = json.loads(result.stdout)
    for r in report["results"]:
        assert r["status"] == "incomplete", r
        assert [(g["part"], g["repositories"]) for g in r["gaps"]] == [("manifests", [BROKEN])]
    (error,) = report["collection_errors"]
    assert (error["part"], error["repository"], error["operation"], error["status"]) == (
        "manifests", BROKEN, "list_manifests", 500)


@pytest.fixture
def healthy(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Snapshot, Any]]:
    """A healthy registry whose scanning identity's role assignments cannot be read (no Microsoft.Authorization
    read): the delete permission has no evidence either way."""
    b = SnapshotBuilder(sku="Premium")
    b.repository("apps/api").image(tags=["v1"])
    b.no_private_endpoints()
    b.no_replications()
    b.set_usage()
    snapshot = b.build()
    monkeypatch.setattr(session, "credentials", lambda opts: (FakeCredential(), AsyncFakeCredential()))
    state = FakeRegistry.from_snapshot(snapshot)
    state.faults = Faults(error_rate_5xx=1.0, error_status=403, path_pattern="/roleAssignments$")
    with serve_fake_acr(state, port=0) as srv:
        yield snapshot, srv


@pytest.mark.parametrize(("skips", "code"), [((), 3), (("delete-permission",), 0)])
def test_a_read_only_scan_of_a_healthy_registry_cannot_vouch_for_deletes(healthy: tuple[Snapshot, Any],
                                                                        tmp_path: Path, skips: tuple[str, ...],
                                                                        code: int) -> None:
    """What the README promises a pipeline gate: exit 3 until it says it accepts not knowing, then 0."""
    snapshot, srv = healthy
    reg = snapshot.registry
    result = CliRunner().invoke(cli, [
        "diagnose", "--registry", reg.name, "--subscription", reg.subscription_id or "", "-g",
        reg.resource_group or "", "--arm-endpoint", srv.arm_endpoint, "--ca-file", srv.ca_pem,
        "--cache-dir", str(tmp_path / "cache"), "--quiet", "--no-plugins", "-o", "json",
        *[arg for slug in skips for arg in ("--skip", slug)],
    ])
    assert result.exit_code == code, result.output
    statuses = {r["check"]: r["status"] for r in json.loads(result.stdout)["results"]}
    assert "failed" not in statuses.values() and "incomplete" not in statuses.values()
    # throttling passes: the scan's own data-plane reads could have been throttled, and were not
    assert statuses.get("throttling") == "passed"
    assert [s for s, status in statuses.items() if status == "skipped"] == ([] if skips else ["delete-permission"])


def test_a_read_only_scan_that_reads_the_callers_roles_vouches_for_deletes(healthy: tuple[Snapshot, Any],
                                                                           tmp_path: Path) -> None:
    """With the role assignments readable and AcrDelete on the registry, the gate passes without --skip."""
    snapshot, srv = healthy
    srv.state.faults = None
    srv.state.grant(FakeCredential().object_id, "AcrDelete")
    reg = snapshot.registry
    result = CliRunner().invoke(cli, [
        "diagnose", "--registry", reg.name, "--subscription", reg.subscription_id or "", "-g",
        reg.resource_group or "", "--arm-endpoint", srv.arm_endpoint, "--ca-file", srv.ca_pem,
        "--cache-dir", str(tmp_path / "cache"), "--quiet", "--no-plugins", "-o", "json"])
    assert result.exit_code == 0, result.output
    statuses = {r["check"]: r["status"] for r in json.loads(result.stdout)["results"]}
    assert statuses["delete-permission"] == "passed" and "skipped" not in statuses.values()
