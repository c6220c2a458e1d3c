"""Reading the controls files of a bundle (locks, caller and roles, tokens, tasks, cache rules, connected registries,
soft-deleted manifests): every file, a missing one, a failed one, a foreign one, and a bundle of the fake that must
give what a live collection of it gives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from acrdoctor.collect.bundle import BundleError, load_bundle
from acrdoctor.collect.live import collect
from acrdoctor.controls import ResourceLock
from acrdoctor.model import Part
from acrdoctor.testing import FakeCredential, FakeRegistry, serve_fake_acr
from tests.collect import hand_controls as H
from tests.collect.test_bundle import write_bundle_from, write_hand_bundle
from tests.collect.test_live_controls import CONTROL_PARTS, OID, PURGE, options, seeded


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return write_hand_bundle(tmp_path / "bundle")


def test_every_controls_file_is_read(bundle: Path) -> None:
    snap = load_bundle(bundle)
    assert snap.errors == () and snap.partial == frozenset()
    assert snap.resource_locks == (
        ResourceLock("keep-registry", "CanNotDelete", "registry", H.LOCK_REG["id"], "production"),
        ResourceLock("group-readonly", "ReadOnly", "resourceGroup", H.LOCK_RG["id"]),
        ResourceLock("subscription-guard", "CanNotDelete", "subscription", H.LOCK_SUB["id"]),
    )  # the storage account's lock, listed at the group and subscription, is not the registry's
    access = snap.access
    assert access is not None
    assert (access.caller.kind, access.caller.principal_id, access.caller.principal_type, access.caller.name) == (
        "entra", H.OID, "User", "dev@contoso.example")
    assert sorted((a.role_name, a.scope) for a in access.role_assignments or ()) == [
        ("AcrDelete", H.REG_ID), ("Reader", f"/subscriptions/{H.SUB}")]  # the other registry's is left out
    assert {d.role_name for d in access.role_definitions} == {"AcrDelete", "Reader"}
    acr_delete = access.definition(H.ACR_DELETE)
    assert acr_delete and acr_delete.permissions[0].actions == (
        "Microsoft.ContainerRegistry/registries/artifacts/delete",)
    assert [(t.name, t.scope_map_id, t.status) for t in snap.tokens or ()] == [
        ("ci", f"{H.REG_ID}/scopeMaps/ci-map", "enabled")]
    assert [(m.name, m.actions) for m in snap.scope_maps or ()] == [("ci-map", ("repositories/team/api/content/read",))]
    assert [(c.name, c.source_repository, c.target_repository) for c in snap.cache_rules or ()] == [
        ("hub", "docker.io/library/nginx", "cache/nginx")]
    (edge,) = snap.connected_registries or ()
    assert (edge.mode, edge.read_only, edge.sync_token_id, edge.parent_id) == (
        "ReadOnly", True, f"{H.REG_ID}/tokens/edge-sync", None)
    (task,) = snap.tasks or ()
    # The listing left the step's content out; az acr task show has it.
    assert task.commands == (H.PURGE,) and task.task_yaml == H.TASK_YAML
    assert (task.step_type, task.status, task.identity_type, task.source_registry_login_mode) == (
        "EncodedTask", "Enabled", "SystemAssigned", "Default")
    assert [(t.name, t.schedule) for t in task.timers] == [("t1", "0 1 * * *")]
    assert sorted((d.repository, d.digest, d.tags, d.deleted) for d in snap.deleted_artifacts or ()) == [
        ("gone/app", H.D_GONE, (), "2025-03-01T09:00:00Z"),
        ("team/api", H.D_OLD_API, ("0.9",), "2025-03-02T10:00:00Z")]
    assert snap.listings is None  # az says nothing about its paging


def test_locks_from_only_some_scopes_are_partial_and_none_is_not_collected(bundle: Path) -> None:
    (bundle / "locks-subscription.json").unlink()
    (bundle / "locks-subscription.error.txt").write_text("ERROR: (AuthorizationFailed) no access\n")
    snap = load_bundle(bundle)
    assert Part.RESOURCE_LOCKS.value in snap.partial
    assert snap.resource_locks and {lk.scope for lk in snap.resource_locks} == {
        "registry", "resourceGroup", "subscription"}
    assert [(e.part, e.operation, e.code) for e in snap.errors] == [
        ("resource_locks", "list_locks", "AuthorizationFailed")]
    for rel in ("locks-registry.json", "locks-resource-group.json"):
        (bundle / rel).unlink()
    assert load_bundle(bundle).resource_locks is None


@pytest.mark.parametrize("rel, field", [
    ("tokens.json", "tokens"), ("scope-maps.json", "scope_maps"), ("tasks.json", "tasks"),
    ("cache-rules.json", "cache_rules"), ("connected-registries.json", "connected_registries"),
])
def test_a_missing_file_is_a_part_not_collected(bundle: Path, rel: str, field: str) -> None:
    (bundle / rel).unlink()
    snap = load_bundle(bundle)
    assert getattr(snap, field) is None and snap.errors == ()


def test_an_unknown_role_definition_leaves_the_assignments_not_collected(bundle: Path) -> None:
    (bundle / "role-definitions" / f"{H.READER}.json").unlink()
    access = load_bundle(bundle).access
    assert access is not None and access.caller.principal_id == H.OID and access.role_assignments is None


def test_without_a_principal_id_the_caller_is_known_by_name_only(bundle: Path) -> None:
    (bundle / "principal.json").unlink()
    (bundle / "principal.error.txt").write_text("ERROR: Insufficient privileges to complete the operation.\n")
    snap = load_bundle(bundle)
    assert snap.access is not None and snap.access.role_assignments is None
    assert (snap.access.caller.kind, snap.access.caller.principal_id) == ("entra", None)
    assert [e.part for e in snap.errors] == ["role_assignments"]


def test_soft_delete_off_means_nothing_soft_deleted_and_no_files_means_not_collected(bundle: Path) -> None:
    registry = json.loads((bundle / "registry.json").read_text())
    registry["policies"]["softDeletePolicy"]["status"] = "disabled"
    (bundle / "registry.json").write_text(json.dumps(registry))
    assert load_bundle(bundle).deleted_artifacts == ()
    registry["policies"]["softDeletePolicy"]["status"] = "enabled"
    (bundle / "registry.json").write_text(json.dumps(registry))
    (bundle / "deleted-repositories.json").unlink()
    for path in bundle.rglob("deleted-manifests.json"):
        path.unlink()
    assert load_bundle(bundle).deleted_artifacts is None


def test_a_repository_without_its_deleted_listing_makes_the_part_partial(bundle: Path) -> None:
    (bundle / "repositories/base/deleted-manifests.json").unlink()
    snap = load_bundle(bundle)
    assert Part.DELETED_ARTIFACTS.value in snap.partial and len(snap.deleted_artifacts or ()) == 2


@pytest.mark.parametrize("rel, content, message", [
    ("tokens.json", {"tokens": []}, "tokens.json: expected az acr token list output"),
    ("locks-registry.json", ["lock"], "locks-registry.json: expected az lock list output"),
    ("caller.json", ["me"], "caller.json: expected az account show --query user output"),
])
def test_a_foreign_controls_file_is_an_error_naming_it(bundle: Path, rel: str, content: Any, message: str) -> None:
    (bundle / rel).write_text(json.dumps(content))
    with pytest.raises(BundleError, match=message):
        load_bundle(bundle)


def test_a_bundle_of_the_fake_gives_what_a_live_collection_gives(tmp_path: Path) -> None:
    snap = seeded()
    with serve_fake_acr(FakeRegistry.from_snapshot(snap), port=0) as srv:
        write_bundle_from(srv, snap, tmp_path / "b", FakeCredential(object_id=OID))
        live = collect(options(srv, snap, parts=CONTROL_PARTS | {Part.REPOSITORIES})).snapshot
    bundled = load_bundle(tmp_path / "b")
    assert bundled.errors == () and live.errors == ()
    for field in ("resource_locks", "tokens", "scope_maps", "tasks", "cache_rules", "connected_registries"):
        assert getattr(bundled, field) == getattr(live, field), field
    assert bundled.access == live.access
    assert sorted(bundled.deleted_artifacts or (), key=lambda d: d.digest) == sorted(
        live.deleted_artifacts or (), key=lambda d: d.digest)
    assert bundled.tasks and bundled.tasks[0].commands == (PURGE,)
