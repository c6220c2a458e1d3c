"""Pre-flight of ``az acr delete`` against management locks and connected registries."""

from __future__ import annotations

from acrdoctor.builder import SnapshotBuilder
from acrdoctor.check_api import Severity
from acrdoctor.model import Part
from acrdoctor.preflight.model import AzAction, AzRequest, BlockLevel, Selection
from acrdoctor.preflight.plan import evaluate
from acrdoctor.preflight.run import data_missing, exit_code

DELETE_REGISTRY = Selection(request=AzRequest(AzAction.DELETE_REGISTRY, "contoso"), delete_registry=True)


def registry() -> SnapshotBuilder:
    b = SnapshotBuilder(sku="Premium")
    b.no_private_endpoints()
    b.repository("app").image(["v1"], layers=[("a", 100)])
    b.collected("resource_locks", "connected_registries")
    return b


def test_each_lock_blocks_the_registry_delete() -> None:
    b = registry()
    b.lock("platform", "CanNotDelete", "resourceGroup")
    b.lock("freeze", "ReadOnly", "registry")
    plan = evaluate(DELETE_REGISTRY, b.build())
    assert [(x.resource, x.level, x.check) for x in plan.blocked] == [
        ("freeze", BlockLevel.REGISTRY, "resource-locks"), ("platform", BlockLevel.REGISTRY, "resource-locks")]
    assert plan.blocked[1].reason == ("CanNotDelete management lock platform on its resource group rg-contoso: "
                                      "deleting the registry is refused with 409 ScopeLocked until the lock is "
                                      "removed")
    assert plan.delete_manifests == () and plan.reclaimable_bytes == 0


def test_no_lock_no_connected_registry_deletes_everything() -> None:
    snap = registry().build()
    plan = evaluate(DELETE_REGISTRY, snap)
    assert plan.blocked == () and plan.warnings == ()
    assert len(plan.delete_manifests) == 1
    assert data_missing(plan, snap) == []


def test_locks_not_collected_warn_and_count_as_missing_data() -> None:
    b = SnapshotBuilder()
    b.no_private_endpoints()
    snap = b.build()
    plan = evaluate(DELETE_REGISTRY, snap)
    assert plan.blocked == ()
    assert [w.code for w in plan.warnings] == ["resource-locks-unknown"]
    assert "management locks were not collected" in data_missing(plan, snap)
    assert exit_code(plan, snap, Severity.MEDIUM) == 3


def test_locks_read_at_some_scopes_add_a_note() -> None:
    b = registry()
    b.lock("platform", "CanNotDelete", "resourceGroup")
    b.partial.add(Part.RESOURCE_LOCKS)
    plan = evaluate(DELETE_REGISTRY, b.build())
    assert any("only some scopes" in n for n in plan.notes)


def test_connected_registries_warn_without_blocking() -> None:
    b = registry()
    b.connected_registry("factory-1", "ReadOnly")
    snap = b.build()
    plan = evaluate(DELETE_REGISTRY, snap)
    assert plan.blocked == ()
    (w,) = plan.warnings
    assert w.code == "connected-registries"
    assert "The registry has 1 connected registry (factory-1 (ReadOnly))" in w.message
    assert exit_code(plan, snap, Severity.MEDIUM) == 1
