"""resource-locks: management locks at the registry, its group or its subscription block ``az acr delete``."""

from __future__ import annotations

from dataclasses import replace

from acrdoctor.builder import SnapshotBuilder
from acrdoctor.check_api import Severity, Status
from acrdoctor.controls import ResourceLock
from acrdoctor.model import NetworkRuleSet, Part, Policy
from checks.resource_locks import place, readonly_lock_note
from tests.conftest import run_check

SLUG = "resource-locks"
SUB = "00000000-0000-0000-0000-000000000000"


def test_a_lock_at_each_scope_names_its_own_delete_command(builder: SnapshotBuilder) -> None:
    builder.lock("platform", "CanNotDelete", "resourceGroup")
    builder.lock("sub-guard", "CanNotDelete", "subscription")
    builder.lock("reg-lock", "CanNotDelete", "registry")
    result = run_check(SLUG, builder.build())
    assert result.status is Status.FAILED
    commands = [f.fix.commands for f in result.findings if f.fix]
    assert commands == [
        (f"az lock delete --name platform --resource-group rg-contoso --subscription {SUB}",),
        (f"az lock delete --name sub-guard --subscription {SUB}",),
        ("az lock delete --name reg-lock --resource-group rg-contoso --resource contoso "
         f"--resource-type Microsoft.ContainerRegistry/registries --subscription {SUB}",),
    ]
    first = result.findings[0]
    assert first.severity is Severity.LOW
    assert first.message.startswith("CanNotDelete lock platform on its resource group rg-contoso blocks deleting "
                                    "the registry (az acr delete fails with 409 ScopeLocked)")
    assert "image and repository deletes still work" in first.message
    assert first.details["scope"] == "resourceGroup"


def test_read_only_lock_also_blocks_arm_writes_and_ranks_first(builder: SnapshotBuilder) -> None:
    builder.lock("platform", "CanNotDelete", "resourceGroup")
    builder.lock("freeze", "ReadOnly", "registry", notes="change freeze until Q1")
    findings = run_check(SLUG, builder.build()).findings
    assert [f.details["lock"] for f in findings] == ["freeze", "platform"]
    ro = findings[0]
    assert ro.severity is Severity.MEDIUM
    assert "every change to its settings: network rules" in ro.message
    assert ro.message.endswith("The lock's note: change freeze until Q1")
    assert ro.fix is not None
    (after,) = ro.fix.related
    assert after.commands == (
        "az lock create --name freeze --lock-type ReadOnly --resource-group rg-contoso --resource contoso "
        f"--resource-type Microsoft.ContainerRegistry/registries --subscription {SUB} --notes 'change freeze until Q1'",
    )
    assert any("keep it" in n for n in ro.fix.notes)


def test_lock_names_from_data_are_shell_quoted(builder: SnapshotBuilder) -> None:
    builder.lock("no delete; rm -rf /", "CanNotDelete", "resourceGroup")
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.fix is not None
    assert f.fix.commands == (f"az lock delete --name 'no delete; rm -rf /' --resource-group rg-contoso "
                              f"--subscription {SUB}",)


def test_a_scope_off_the_registry_path_is_named_by_id_not_guessed(builder: SnapshotBuilder) -> None:
    odd = ("/providers/Microsoft.Management/managementGroups/corp/providers/Microsoft.Authorization/locks/mg-lock")
    builder.controls["resource_locks"] = (ResourceLock("mg-lock", "CanNotDelete", "subscription", odd),)
    (f,) = run_check(SLUG, builder.build()).findings
    assert "cannot map the scope" in f.message
    assert "/providers/Microsoft.Management/managementGroups/corp" in f.message
    assert f.fix is not None and f.fix.commands == (f"az lock delete --ids {odd}",)
    assert f.fix.related == ()


def test_a_lock_in_another_resource_group_is_not_mapped_onto_ours(builder: SnapshotBuilder) -> None:
    other = f"/subscriptions/{SUB}/resourceGroups/rg-other/providers/Microsoft.Authorization/locks/x"
    placed = place(ResourceLock("x", "ReadOnly", "resourceGroup", other), builder.build().registry)
    assert placed.scope is None and placed.level_of_scope == "unknown"


def test_lock_without_id_uses_the_recorded_scope(builder: SnapshotBuilder) -> None:
    lock = ResourceLock("platform", "CanNotDelete", "resourceGroup")
    placed = place(lock, builder.build().registry)
    assert placed.scope is not None and placed.scope.resource_group == "rg-contoso"
    no_group = SnapshotBuilder(resource_group=None).build().registry
    assert place(replace(lock, scope="registry"), no_group).scope is None


def test_passes_when_no_lock_applies(builder: SnapshotBuilder) -> None:
    builder.collected("resource_locks")
    result = run_check(SLUG, builder.build())
    assert result.status is Status.PASSED and result.findings == ()


def test_skipped_when_locks_were_not_collected(builder: SnapshotBuilder) -> None:
    result = run_check(SLUG, builder.build())
    assert result.status is Status.SKIPPED
    assert "management locks" in (result.reason or "")


def test_locks_read_at_only_some_scopes_are_incomplete_not_passed(builder: SnapshotBuilder) -> None:
    builder.collected("resource_locks")
    builder.partial.add(Part.RESOURCE_LOCKS)
    builder.error(Part.RESOURCE_LOCKS, 403, "AuthorizationFailed", "no read access to the subscription's locks")
    result = run_check(SLUG, builder.build())
    assert result.status is Status.INCOMPLETE
    builder.lock("platform", "CanNotDelete", "resourceGroup")
    result = run_check(SLUG, builder.build())
    assert result.status is Status.FAILED and result.lower_bound


# --- the notes on other checks' fixes ----------------------------------------------------------------------


def test_read_only_note_only_for_read_only_locks(builder: SnapshotBuilder) -> None:
    assert readonly_lock_note(builder.build()) is None
    builder.lock("platform", "CanNotDelete", "resourceGroup")
    assert readonly_lock_note(builder.build()) is None
    assert "ARM refuses deletes under it" in (readonly_lock_note(builder.build(), deletes=True) or "")
    builder.lock("freeze", "ReadOnly", "resourceGroup")
    note = readonly_lock_note(builder.build()) or ""
    assert "freeze (ReadOnly) on its resource group rg-contoso" in note and "platform" not in note


def test_network_and_retention_fixes_carry_the_note_under_a_read_only_lock() -> None:
    b = SnapshotBuilder(sku="Basic", network_rule_set=NetworkRuleSet("Deny"), retention_policy=Policy("enabled", 7))
    b.no_repositories()
    plain = b.build()
    b.lock("freeze", "ReadOnly", "resourceGroup")
    locked = b.build()
    for slug in ("network-access-denied", "retention-policy"):
        before = run_check(slug, plain).findings[0]
        after = run_check(slug, locked).findings[0]
        assert before.fix is not None and after.fix is not None
        assert after.fix.notes[:-1] == before.fix.notes
        assert "409 ScopeLocked" in after.fix.notes[-1]


def test_private_endpoint_fix_notes_any_lock(builder: SnapshotBuilder) -> None:
    builder.private_endpoint("pe-a")
    builder.lock("platform", "CanNotDelete", "resourceGroup")
    (f,) = run_check("private-endpoints-block-registry-delete", builder.build()).findings
    assert f.fix is not None and "platform (CanNotDelete)" in f.fix.notes[-1]


def test_the_frozen_demo_variant_shows_the_read_only_lock_and_its_notes() -> None:
    from acrdoctor.demo.variants import build_variant, variant_names

    assert "frozen" in variant_names()
    snap = build_variant("frozen")
    locks = run_check(SLUG, snap)
    assert [f.details["lock"] for f in locks.findings] == ["change-freeze", "subscription-guard"]
    for slug in ("network-access-denied", "retention-policy"):
        (f,) = run_check(slug, snap).findings
        assert f.fix is not None and "change-freeze (ReadOnly)" in f.fix.notes[-1]


def test_the_main_demo_plants_the_resource_group_lock() -> None:
    from acrdoctor.demo import load_demo

    (f,) = run_check(SLUG, load_demo()).findings
    assert f.details["lock"] == "platform-no-delete" and f.details["scope"] == "resourceGroup"
