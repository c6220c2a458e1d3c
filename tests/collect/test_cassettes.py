"""The collector and the SDK clients it relies on, replayed from cassettes in ``cassettes/test_cassettes/``.

The cassettes were recorded from the fake ACR (``acrdoctor.testing``) with the unmodified Azure SDK clients.
By default they replay: no server runs and no socket opens (``--block-network`` passes too). To re-record
against the fake: ``pytest tests/collect/test_cassettes.py --record-mode=rewrite``. ``docs/testing.md``
says how to re-record against a real registry.

Each test builds the fake state it needs even in replay: the state is cheap, and the assertions compare
against it (``state.digest_map``) and against the demo snapshot rather than against literals.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from azure.containerregistry import ContainerRegistryClient
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.mgmt.containerregistry import ContainerRegistryManagementClient

from acrdoctor.check_api import Status
from acrdoctor.clock import EPOCH, clock_at
from acrdoctor.collect.cache import ManifestCache
from acrdoctor.collect.live import LiveOptions, Target, collect, parse_target
from acrdoctor.demo import load_demo
from acrdoctor.engine import diagnose
from acrdoctor.model import Snapshot
from acrdoctor.redact import find_secrets
from acrdoctor.snapshot_io import snapshot_to_dict
from acrdoctor.testing import AsyncFakeCredential, FakeCredential, FakeRegistry
from tests.collect.compare import assert_same_registry, keyed_findings, repos
from tests.collect.conftest import (
    CASSETTES,
    ENDPOINT,
    REAL_REGISTRY_CASSETTE,
    REAL_REGISTRY_ENV,
    FakeAcr,
    SecretInCassette,
    normalize_request,
    recording,
    scrub_response,
)

ALLOWED_IP = "198.51.100.7"  # inside the demo registry's ipRules (198.51.100.0/24)
DENIED_IP = "203.0.113.42"  # outside them
LOGIN_SERVER = ENDPOINT.removeprefix("https://")


@pytest.fixture(scope="module")
def demo() -> Snapshot:
    return load_demo()


def demo_state(demo: Snapshot, client_ip: str = ALLOWED_IP) -> FakeRegistry:
    state = FakeRegistry.from_snapshot(demo)
    state.quarantine_readers = {"alice", "recording"}  # the demo's quarantined image: its body is read too
    state.grant(FakeCredential().object_id, "AcrDelete")  # the scanning identity may delete, as a cleanup's would
    state.client_ip = client_ip
    return state


def options(acr: FakeAcr, snapshot: Snapshot, tmp_path: Path) -> LiveOptions:
    """concurrency=1: one request at a time, so the recorded order (401, then 200 on the same URI) replays."""
    reg = snapshot.registry
    return LiveOptions(
        target=Target(reg.name), subscription=reg.subscription_id, resource_group=reg.resource_group,
        arm_endpoint=acr.arm_endpoint, connection_verify=acr.connection_verify, credential=FakeCredential(),
        async_credential=AsyncFakeCredential(), concurrency=1, cache=ManifestCache(tmp_path, enabled=False),
        clock=clock_at(snapshot.collected_at or EPOCH))


@pytest.mark.vcr
def test_collecting_the_demo_registry(demo: Snapshot, fake_acr, tmp_path: Path) -> None:
    acr = fake_acr(demo_state(demo))
    result = collect(options(acr, demo, tmp_path))
    live, want = snapshot_to_dict(result.snapshot), snapshot_to_dict(demo)

    assert live["registry"]["loginServer"] == LOGIN_SERVER
    assert_same_registry(live, want)
    exp = repos(want)
    assert not result.snapshot.errors
    assert result.stats.bodies_fetched == sum(len(r.get("manifests", [])) for r in exp.values())

    report = diagnose(result.snapshot)
    assert keyed_findings(report) == keyed_findings(diagnose(demo))
    # A read-only scan never deletes; the delete permission is judged from the caller's role assignments (issue #10).
    assert {r.slug for r in report.results if r.status is Status.SKIPPED} == set()
    assert {r.slug: r.status for r in report.results}["delete-permission"] is Status.PASSED


@pytest.mark.vcr
def test_data_plane_client(demo: Snapshot, fake_acr) -> None:
    state = demo_state(demo)
    acr = fake_acr(state)
    want = repos(snapshot_to_dict(demo))
    with ContainerRegistryClient(acr.endpoint, FakeCredential(), connection_verify=acr.connection_verify,
                                 retry_total=0) as client:
        pages = [list(p) for p in client.list_repository_names(results_per_page=4).by_page()]
        assert [len(p) for p in pages] == [min(4, len(want) - i) for i in range(0, len(want), 4)]  # Link followed
        assert sorted(n for p in pages for n in p) == sorted(want)

        web = want["apps/web"]
        manifests = list(client.list_manifest_properties("apps/web", results_per_page=5))
        assert sorted(m.digest for m in manifests) == sorted(state.digest_map[m["digest"]] for m in web["manifests"])
        tags = {t.name: t for t in client.list_tag_properties("apps/web")}
        assert sorted(tags) == sorted(t["name"] for t in web["tags"])
        assert tags["prod"].can_write is False

        # get_manifest verifies the sha256 of the body against the digest: the fake serves canonical bodies.
        got = client.get_manifest("apps/web", "prod")
        assert got.digest == tags["prod"].digest
        assert got.manifest["schemaVersion"] == 2

        # A locked tag: 405, and the ACR code is in the raw body (the model parsing is not relied on).
        with pytest.raises(HttpResponseError) as locked:
            client.delete_tag("apps/web", "prod")
        assert locked.value.status_code == 405
        assert json.loads(locked.value.response.text())["errors"][0]["code"] == "REGISTRY_DISALLOWED_OPERATION"

        # The orphaned empty repository: listed, 0/0, and DELETE answers 404 NAME_UNKNOWN, which the SDK
        # swallows (delete_repository returns None), so the answer is read with a raw response hook.
        orphan = client.get_repository_properties("legacy/mailhog")
        assert (orphan.manifest_count, orphan.tag_count) == (0, 0)
        seen: list[tuple[int, str]] = []

        def hook(pipeline_response: Any) -> None:
            http = pipeline_response.http_response
            seen.append((http.status_code, http.text()))

        assert client.delete_repository("legacy/mailhog", raw_response_hook=hook) is None
        status, body = seen[-1]
        assert status == 404 and json.loads(body)["errors"][0]["code"] == "NAME_UNKNOWN"
        assert "legacy/mailhog" in client.list_repository_names()


@pytest.mark.vcr
def test_management_client(demo: Snapshot, fake_acr) -> None:
    state = demo_state(demo)
    acr = fake_acr(state)
    reg_want = demo.registry
    rg, name = reg_want.resource_group, reg_want.name
    arm = ContainerRegistryManagementClient(FakeCredential(), reg_want.subscription_id, base_url=acr.arm_endpoint,
                                            connection_verify=acr.connection_verify, polling_interval=0,
                                            retry_total=0)
    with arm:
        reg = arm.registries.get(rg, name)
        assert reg.login_server == LOGIN_SERVER
        assert reg.sku.name == "Premium"
        assert reg.network_rule_set.default_action == "Deny"
        assert [r.ip_address_or_range for r in reg.network_rule_set.ip_rules] == ["198.51.100.0/24"]
        assert reg.properties.policies.get("softDeletePolicy", {}).get("status") == "enabled"  # not modelled

        usages = {u.name: u.current_value for u in arm.registries.list_usages(rg, name).value}
        assert usages == {u.name: u.current for u in demo.usage or ()}

        pecs = list(arm.private_endpoint_connections.list(rg, name))
        assert sorted(p.name for p in pecs) == sorted(p.name for p in demo.private_endpoint_connections or ())

        # The resource group's CanNotDelete lock refuses the delete first: 409 ScopeLocked (Azure/apiops#606).
        assert [lk["name"] for lk in state.locks] == [lk.name for lk in demo.resource_locks or ()]
        with pytest.raises(HttpResponseError) as scope_locked:
            arm.registries.begin_delete(rg, name)
        assert scope_locked.value.status_code == 409 and scope_locked.value.error.code == "ScopeLocked"
        state.locks.clear()  # what `az lock delete` would do

        # While private endpoint connections exist the registry cannot be deleted (modelled from docs only).
        with pytest.raises(ResourceExistsError) as blocked:
            arm.registries.begin_delete(rg, name)
        assert blocked.value.error.code == "RegistryDeletionBlockedByPrivateEndpoints"

        for pec in pecs:
            arm.private_endpoint_connections.begin_delete(rg, name, pec.name).result()  # 202 + Location, polled
        assert list(arm.private_endpoint_connections.list(rg, name)) == []

        arm.registries.begin_delete(rg, name).result()
        with pytest.raises(ResourceNotFoundError):
            arm.registries.get(rg, name)


@pytest.mark.vcr
def test_firewall_denied_collection(demo: Snapshot, fake_acr, tmp_path: Path) -> None:
    acr = fake_acr(demo_state(demo, client_ip=DENIED_IP))
    snap = collect(options(acr, demo, tmp_path)).snapshot
    (denied,) = [e for e in snap.errors if e.code == "DENIED"]
    assert denied.status == 403 and DENIED_IP in denied.message
    by_slug = {r.slug: r for r in diagnose(snap).results}
    assert by_slug["network-access-denied"].findings[0].details["denied_ips"] == [DENIED_IP]
    assert by_slug["empty-repository"].status is Status.SKIPPED
    assert "DENIED" in (by_slug["empty-repository"].reason or "")


_RESOURCE_ID = re.compile(r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.ContainerRegistry/"
                          r"registries/[^/?\s]+", re.IGNORECASE)


@pytest.mark.vcr
def test_collecting_a_real_registry(pytestconfig: pytest.Config, tmp_path: Path) -> None:
    """Optional: a collection recorded from a real registry (docs/testing.md), replayed like the others.

    Recording needs ``ACRDOCTOR_RECORD_REGISTRY=<ARM resource id>`` and Azure sign-in
    (DefaultAzureCredential). In replay the target is read back from the cassette's own ARM URIs, so the
    subscription id may be replaced there by hand before committing.
    """
    # conftest.py skips this test (at collection) when there is neither the variable nor the cassette.
    if recording(pytestconfig):
        target = parse_target(os.environ[REAL_REGISTRY_ENV])
        assert target.subscription_id and target.resource_group, f"{REAL_REGISTRY_ENV} must be a resource id"
        credential, async_credential = None, None  # DefaultAzureCredential
    else:
        found = _RESOURCE_ID.search(REAL_REGISTRY_CASSETTE.read_text("utf-8"))
        assert found, f"{REAL_REGISTRY_CASSETTE} holds no registry resource id"
        target = parse_target(found.group(0))
        credential, async_credential = FakeCredential(), AsyncFakeCredential()
    result = collect(LiveOptions(
        target=target, subscription=target.subscription_id, resource_group=target.resource_group,
        credential=credential, async_credential=async_credential, concurrency=1,
        cache=ManifestCache(tmp_path, enabled=False)))
    snap = result.snapshot
    assert snap.registry.name.lower() == target.name.lower()
    report = diagnose(snap)
    assert all(r.status is not Status.ERRORED for r in report.results), [r.slug for r in report.results
                                                                        if r.status is Status.ERRORED]


VCR_TESTS = ("test_collecting_the_demo_registry", "test_data_plane_client", "test_management_client",
             "test_firewall_denied_collection")
OPTIONAL_CASSETTES = {REAL_REGISTRY_CASSETTE.name}


def test_every_cassette_exists_is_scanned_and_holds_no_token() -> None:
    from tests.test_no_secrets import stored_files

    here = CASSETTES / "test_cassettes"
    names = {p.name for p in here.glob("*.yaml")}
    assert names - OPTIONAL_CASSETTES == {f"{t}.yaml" for t in VCR_TESTS}
    scanned = set(stored_files())
    for path in sorted(CASSETTES.rglob("*.yaml")):
        assert path in scanned, f"{path} is not covered by tests/test_no_secrets.py"
        text = path.read_text("utf-8")
        assert find_secrets(text) == [], path
        assert "fake-aad" not in text and "fake-acr-" not in text, path
        assert re.search(r"(?im)^\s*authorization:", text) is None, path


def test_scrubbing_redacts_tokens_and_refuses_what_it_cannot_redact() -> None:
    from vcr.request import Request

    token = {"refresh_token": "fake-acr-refresh-" + "ab" * 16, "expires_in": 3600}
    resp = {"headers": {"Retry-After": ["3"], "Content-Length": ["99"]}, "body": {"string": json.dumps(token).encode()}}
    out = scrub_response(resp)
    assert json.loads(out["body"]["string"]) == {"refresh_token": "REDACTED", "expires_in": 3600}
    assert out["headers"] == {"Content-Length": [str(len(out["body"]["string"]))]}

    arm = {"systemData": {"createdBy": "jane@contoso.com"},
           "identity": {"tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47"}}
    out = json.loads(scrub_response({"headers": {}, "body": {"string": json.dumps(arm).encode()}})["body"]["string"])
    assert out["systemData"]["createdBy"] == "redacted@example.com"
    assert out["identity"]["tenantId"] == "00000000-0000-0000-0000-000000000000"

    manifest = b'{"schemaVersion": 2,\n  "layers": []}'  # untouched bytes: the SDK checks their sha256
    assert scrub_response({"headers": {}, "body": {"string": manifest}})["body"]["string"] == manifest

    with pytest.raises(SecretInCassette):  # a token where no filter looks: recording stops
        scrub_response({"headers": {}, "body": {"string": b'{"note": "Bearer fake-aad:alice"}'}})
    with pytest.raises(SecretInCassette):
        normalize_request(Request("POST", f"{ENDPOINT}/oauth2/exchange", {"access_token": "fake-aad:alice"}, {}))
