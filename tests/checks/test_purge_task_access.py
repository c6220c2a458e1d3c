"""purge-task-access: acr purge tasks on ABAC registries need an identity for their own registry."""

from __future__ import annotations

import shlex

from acrdoctor.builder import SnapshotBuilder
from acrdoctor.check_api import Status
from tests.conftest import run_check

SLUG = "purge-task-access"
ABAC = "AbacRepositoryPermissions"
PURGE = "acr purge --filter 'apps/.*:.*' --ago 30d --untagged"
TASK_PRINCIPAL = "aaaaaaaa-0000-0000-0000-000000000001"


def test_purge_task_without_identity_on_abac_registry_fails(builder: SnapshotBuilder) -> None:
    builder.registry(role_assignment_mode=ABAC)
    builder.task("nightly-purge", [PURGE], schedule="0 1 * * *", identity_type="SystemAssigned",
                 identity_principal_ids=(TASK_PRINCIPAL,))
    builder.task("build", ["docker build -t app ."])
    result = run_check(SLUG, builder.build())
    assert result.status is Status.FAILED
    (f,) = result.findings
    assert f.message.startswith("task nightly-purge runs acr purge (runs on schedule 0 1 * * *) but has no identity")
    assert f.fix is not None
    update, contributor, lister = (shlex.split(c) for c in f.fix.commands)
    assert update == ["az", "acr", "task", "update", "--name", "nightly-purge", "--registry", "contoso",
                      "--resource-group", "rg-contoso", "--source-acr-auth-id", "[system]"]
    assert contributor[contributor.index("--assignee-object-id") + 1] == TASK_PRINCIPAL
    assert contributor[contributor.index("--role") + 1] == "Container Registry Repository Contributor"
    assert lister[lister.index("--role") + 1] == "Container Registry Repository Catalog Lister"


def test_task_without_known_principal_gets_the_update_and_a_note(builder: SnapshotBuilder) -> None:
    builder.registry(role_assignment_mode=ABAC)
    builder.task("cleanup", [], task_yaml="steps:\n  - cmd: acr purge --filter 'x:.*' --ago 1d\n",
                 source_registry_identity="none")
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.fix is not None and len(f.fix.commands) == 1
    assert any("az acr task show --name cleanup --registry contoso --query identity.principalId" in n
               for n in f.fix.notes)


def test_passes_with_identity_or_on_legacy_registry(builder: SnapshotBuilder) -> None:
    builder.registry(role_assignment_mode=ABAC)
    builder.task("nightly-purge", [PURGE], source_registry_identity="[system]", identity_type="SystemAssigned")
    assert run_check(SLUG, builder.build()).status is Status.PASSED
    legacy = SnapshotBuilder()
    legacy.registry(role_assignment_mode="LegacyRegistryPermissions")
    legacy.task("nightly-purge", [PURGE])
    assert run_check(SLUG, legacy.build()).status is Status.PASSED


def test_not_collected_or_unknown_mode_is_not_a_pass(builder: SnapshotBuilder) -> None:
    builder.registry(role_assignment_mode=ABAC)
    result = run_check(SLUG, builder.build())
    assert result.status is Status.SKIPPED and "ACR tasks" in (result.reason or "")
    unknown = SnapshotBuilder()
    unknown.registry(role_assignment_mode=None)
    unknown.task("nightly-purge", [PURGE])
    result = run_check(SLUG, unknown.build())
    assert result.status is Status.SKIPPED and "roleAssignmentMode" in (result.reason or "")
    none = SnapshotBuilder()
    none.registry(role_assignment_mode=None)
    none.collected("tasks")
    assert run_check(SLUG, none.build()).status is Status.PASSED  # no purge task: nothing to lose
