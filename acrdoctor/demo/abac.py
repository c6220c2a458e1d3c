"""Demo variant "abac": a registry switched to ABAC repository permissions, and the access gaps that follow.

The story of "woodgrove" (resource group ``rg-woodgrove``): the platform team switched the registry to "RBAC
Registry + ABAC Repository Permissions" (``roleAssignmentMode = AbacRepositoryPermissions``). Its clean-up
pipeline's service principal still holds AcrDelete, which ABAC mode ignores [D-ABAC], plus a Container Registry
Repository Contributor assignment limited by a condition to ``team-a/`` — so it cannot delete in ``team-b/`` or
``tools/`` (delete-permission). The nightly ``acr purge`` task has a system identity but none attached for its own
registry (``--source-acr-auth-id`` unset), so since the switch its purges delete nothing (purge-task-access)
[D-ABAC appendix]. A partner token's scope map reads but does not delete.

``plant`` adds to the main demo (a legacy-mode registry) the collector's caller: the build agents sign in with a
repository-scoped token whose scope map grants ``content/delete`` everywhere except under ``team-b/``, which is
why the main demo's delete of ``team-b/scratch`` was refused with 401 [D-TOK].

Only base/model units are imported here (the layering rule for demo modules).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from acrdoctor.builder import SnapshotBuilder
from acrdoctor.model import DATA_PLANE_READS, Snapshot

NAME = "abac"
DESCRIPTION = ("a registry in ABAC repository-permissions mode: legacy AcrDelete ignored, a repository role limited "
               "to one prefix, and a nightly purge task without an identity for its registry")

NOW = datetime(2026, 11, 20, 9, 0, 0, tzinfo=UTC)
PIPELINE_ID = "5c1e0a2d-7b44-4f0e-9a51-3d2f6c8e4b10"
TASK_PRINCIPAL_ID = "8d2f4a6b-1c3e-4d5f-8a7b-9c0d1e2f3a4b"
ACR_DELETE = "c2f4ef07-c644-48eb-af81-4b1b4947fb11"
REPOSITORY_CONTRIBUTOR = "2efddaa5-3f1f-4df3-97df-af3f13818f4c"
_NAME_ATTR = "@Request[Microsoft.ContainerRegistry/registries/repositories:name]"
_ACTIONS = ("content/read", "metadata/read", "content/write", "metadata/write", "content/delete")
#: The condition the portal's visual editor writes for "all actions, repository name starts with team-a/"
#: (the documented form, [D-ABAC] "Scope role assignment to multiple repositories using repository prefix").
TEAM_A_CONDITION = (
    "((" + " AND ".join(f"!(ActionMatches{{'Microsoft.ContainerRegistry/registries/repositories/{a}'}})"
                        for a in _ACTIONS)
    + f") OR ({_NAME_ATTR} StringStartsWithIgnoreCase 'team-a/'))"
)
PURGE = "acr purge --filter 'team-a/.*:.*' --filter 'team-b/.*:.*' --ago 30d --untagged"


def build() -> Snapshot:
    b = SnapshotBuilder("woodgrove", sku="Standard", resource_group="rg-woodgrove", now=NOW)
    b.registry(location="westeurope", role_assignment_mode="AbacRepositoryPermissions")
    b.collected("resource_locks", "access", "tokens", "scope_maps", "tasks", "cache_rules", "connected_registries",
                "deleted_artifacts", "listings")
    for name, layer in (("team-a/api", 21_000_000), ("team-a/web", 34_000_000), ("team-b/worker", 18_000_000),
                        ("tools/lint", 6_000_000)):
        repo = b.repository(name)
        repo.image(["1.0"], layers=[("debian-bookworm-slim-amd64", 29_130_000), (f"{name}-app", layer)],
                   age_days=20)
        repo.image(["1.1", "latest"], layers=[("debian-bookworm-slim-amd64", 29_130_000), (f"{name}-app-2", layer)],
                   age_days=3)
    b.no_private_endpoints().no_replications()
    b.set_usage()
    b.attempted(*DATA_PLANE_READS)
    # delete-permission: the clean-up pipeline's identity.
    b.caller("entra", PIPELINE_ID, "ServicePrincipal", "woodgrove-cleanup-pipeline")
    b.role_assignment("AcrDelete", ACR_DELETE)  # ignored in ABAC mode [D-ABAC]
    b.role_assignment("Container Registry Repository Contributor", REPOSITORY_CONTRIBUTOR,
                      condition=TEAM_A_CONDITION)
    # A partner's token: pull only (not the caller, so not judged; shown for the scope-map rows).
    b.token("partner-pull", "partner-pull-map", ["repositories/team-a/api/content/read",
                                                 "repositories/team-a/api/metadata/read"])
    # purge-task-access: the nightly purge, with a system identity that was never attached for the registry.
    b.task("nightly-purge", [PURGE], schedule="0 2 * * *", identity_type="SystemAssigned",
           identity_principal_ids=(TASK_PRINCIPAL_ID,))
    b.task("build-api", ["docker build -t team-a/api:{{.Run.ID}} ."], source_registry_identity="[system]",
           identity_type="SystemAssigned")
    return replace(b.build(), source="demo")


def plant(b: SnapshotBuilder) -> None:
    """The main demo's caller: a repository-scoped token that may delete everywhere but under team-b/."""
    b.caller("token", None, None, None, token_name="build-agent")
    granted = ["apps/*", "platform/*", "tools/*", "ml/*", "charts/*", "mirror/*", "legacy/*"]
    actions = [f"repositories/{r}/{a}" for r in granted
               for a in ("content/read", "content/write", "content/delete", "metadata/read", "metadata/write")]
    actions += ["repositories/team-b/*/content/read", "repositories/team-b/*/metadata/read"]
    b.token("build-agent", "build-agent-map", actions)
