"""Every failure mode of the second catalogue is found the same from a snapshot, a live (fake) registry and a bundle.

Each demo registry (the main one and every variant) is served by the fake ACR seeded from its snapshot, collected
live through the SDKs, and written as the bundle script would write it; the three diagnoses must fail the same
second-catalogue checks. Findings that come from the snapshot's recorded collection errors (a refused push, a 401
of another session) cannot come back from a fresh collection, so the comparison is on the checks that judge
registry state.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from acrdoctor.check_api import Status
from acrdoctor.clock import EPOCH, clock_at
from acrdoctor.collect import dataplane
from acrdoctor.collect.bundle import load_bundle
from acrdoctor.collect.live import LiveOptions, Target, collect
from acrdoctor.demo import load_demo
from acrdoctor.demo.variants import variant_names
from acrdoctor.engine import diagnose
from acrdoctor.model import Snapshot
from acrdoctor.testing import AsyncFakeCredential, FakeCredential, FakeRegistry, Faults, serve_fake_acr
from tests.collect.test_bundle import write_bundle_from

#: The second catalogue's checks that judge registry state (not recorded refusals).
SECOND_CATALOGUE = frozenset({
    "resource-locks", "connected-registries", "purge-task-access", "quarantined-images", "storage-limit",
    "soft-delete", "geo-replication", "artifact-cache", "continuous-patching", "retention-policy",
    "listings-cut-short",
})


def _judged(snapshot: Snapshot) -> frozenset[str]:
    caller = snapshot.access.caller if snapshot.access else None
    if caller is not None and caller.kind == "entra":
        return SECOND_CATALOGUE | {"delete-permission"}  # from role assignments, which a live collection reads too
    return SECOND_CATALOGUE


def _failed(snapshot: Snapshot, judged: frozenset[str]) -> set[str]:
    return {r.slug for r in diagnose(snapshot).results if r.status is Status.FAILED and r.slug in judged}


def _credentials(snapshot: Snapshot) -> tuple[FakeCredential, AsyncFakeCredential]:
    """The snapshot's own caller when it was an Entra identity, so its role assignments apply live too."""
    caller = snapshot.access.caller if snapshot.access else None
    if caller and caller.kind == "entra" and caller.principal_id:
        kind = caller.principal_type or "User"
        return (FakeCredential("caller", object_id=caller.principal_id, principal_type=kind),
                AsyncFakeCredential("caller", object_id=caller.principal_id, principal_type=kind))
    return FakeCredential(), AsyncFakeCredential()


def _state(snapshot: Snapshot) -> FakeRegistry:
    state = FakeRegistry.from_snapshot(snapshot)
    if snapshot.listings and snapshot.listings.incomplete():
        # The service's short listing, reproduced: every tag listing ends after its first page (Azure/acr#875).
        state.faults = Faults(listing_fault="truncate", path_pattern=r"/_tags$")
    rules = snapshot.registry.network_rule_set
    if rules and rules.ip_rules:  # collect from inside the firewall, as the demo's second collection did
        state.client_ip = rules.ip_rules[0].split("/")[0]
    credential, _ = _credentials(snapshot)
    state.quarantine_readers = {credential.identity, "alice"}
    if "delete-permission" not in _judged(snapshot):
        state.grant(credential.object_id, "AcrDelete")  # a caller the snapshot did not record: one that may delete
    return state


@pytest.mark.parametrize("variant", list(variant_names()))
def test_the_same_second_catalogue_checks_fail_from_snapshot_live_and_bundle(variant: str, tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dataplane, "PAGE_SIZE", 2)  # small pages, so a listing has a next page to lose
    snapshot = load_demo(variant)
    judged = _judged(snapshot)
    expected = _failed(snapshot, judged)
    assert expected, f"demo {variant} shows no failure of the second catalogue: the comparison would be vacuous"
    credential, async_credential = _credentials(snapshot)
    reg = snapshot.registry
    with serve_fake_acr(_state(snapshot), port=0) as srv:
        live = collect(LiveOptions(
            target=Target(reg.name), subscription=reg.subscription_id, resource_group=reg.resource_group,
            arm_endpoint=srv.arm_endpoint, connection_verify=srv.ca_pem, credential=credential,
            async_credential=async_credential, clock=clock_at(snapshot.collected_at or EPOCH))).snapshot
        write_bundle_from(srv, snapshot, tmp_path / "bundle", credential, page_size=2)
    assert _failed(live, judged) == expected, "live"
    assert _failed(load_bundle(tmp_path / "bundle"), judged) == expected, "bundle"
