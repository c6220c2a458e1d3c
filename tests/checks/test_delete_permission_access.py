"""delete-permission judged from the caller's collected access: role assignments (ABAC-aware) and token scope maps."""

from __future__ import annotations

import shlex
from dataclasses import replace

import pytest

from acrdoctor.builder import SnapshotBuilder
from acrdoctor.check_api import ResourceKind, Status
from acrdoctor.checks.effective_access import (
    DELETE_DATA_ACTION,
    METADATA_WRITE_DATA_ACTION,
    Condition,
    ConditionError,
    token_rules,
)
from acrdoctor.controls import RoleDefinition, RolePermission
from acrdoctor.model import Part
from tests.conftest import run_check

SLUG = "delete-permission"
ABAC = "AbacRepositoryPermissions"
ACR_DELETE = "c2f4ef07-c644-48eb-af81-4b1b4947fb11"
ACR_PULL = "7f951dda-4ed3-4680-a7ca-43fe172d538d"
REPO_CONTRIBUTOR = "2efddaa5-3f1f-4df3-97df-af3f13818f4c"
PRINCIPAL = "11111111-2222-3333-4444-555555555555"
REG_ID = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-contoso/providers/"
          "Microsoft.ContainerRegistry/registries/contoso")
NAME = "@Request[Microsoft.ContainerRegistry/registries/repositories:name]"
TEAM_ONLY = ("((!(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/content/read'}) AND "
             "!(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/content/delete'})) OR "
             f"({NAME} StringStartsWithIgnoreCase 'team/'))")


def _repos(b: SnapshotBuilder, *names: str) -> SnapshotBuilder:
    for n in names:
        b.repository(n).image(["v1"], layers=[(n, 10)])
    return b


def _args(command: str) -> list[str]:
    return shlex.split(command)


def test_legacy_acrdelete_at_resource_group_passes(builder: SnapshotBuilder) -> None:
    _repos(builder, "app", "team/api").caller()
    builder.role_assignment("AcrDelete", ACR_DELETE, scope="resourceGroup")
    assert run_check(SLUG, builder.build()).status is Status.PASSED


def test_legacy_owner_passes_and_pull_only_fails_with_acrdelete_for_the_known_principal(
        builder: SnapshotBuilder) -> None:
    _repos(builder, "app", "web").caller(principal_type="ServicePrincipal", name="ci-cleanup")
    builder.role_assignment("AcrPull", ACR_PULL)
    result = run_check(SLUG, builder.build())
    assert result.status is Status.FAILED
    (f,) = result.findings
    assert f.resource.kind is ResourceKind.REGISTRY
    assert f.message == ("service principal ci-cleanup cannot delete in any of the 2 repositories: none of its role "
                         "assignments grants delete on this registry (RBAC registry permissions)")
    assert f.fix is not None
    (cmd,) = f.fix.commands
    assert _args(cmd) == ["az", "role", "assignment", "create", "--assignee-object-id", PRINCIPAL,
                          "--assignee-principal-type", "ServicePrincipal", "--role", "AcrDelete", "--scope", REG_ID]
    assert "signed-in-user" not in cmd
    owner = SnapshotBuilder()
    _repos(owner, "app").caller()
    owner.role_assignment("Owner", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", scope="subscription")
    assert run_check(SLUG, owner.build()).status is Status.PASSED


def test_abac_ignores_acrdelete_and_limits_the_contributor_to_its_prefix(builder: SnapshotBuilder) -> None:
    builder.registry(role_assignment_mode=ABAC)
    _repos(builder, "team/api", "team/web", "tools/lint").caller()
    builder.role_assignment("AcrDelete", ACR_DELETE)
    builder.role_assignment("Container Registry Repository Contributor", REPO_CONTRIBUTOR, condition=TEAM_ONLY)
    result = run_check(SLUG, builder.build())
    assert result.status is Status.FAILED
    (f,) = result.findings
    assert (f.resource.kind, f.resource.name) == (ResourceKind.REPOSITORY, "tools/lint")
    assert "user dev@contoso.example cannot delete in 1 repository of 3 (tools/lint)" in f.message
    assert "ignored: AcrDelete at the registry: legacy role, not honoured" in f.message
    assert f.details["denied"] == ("tools/lint",)
    assert f.fix is not None
    args = _args(f.fix.commands[0])
    assert args[args.index("--role") + 1] == "Container Registry Repository Contributor"
    assert args[args.index("--assignee-principal-type") + 1] == "User"
    (related,) = f.fix.related
    limited = _args(related.commands[0])
    condition = limited[limited.index("--condition") + 1]
    assert limited[limited.index("--condition-version") + 1] == "2.0"
    assert f"{NAME} StringStartsWithIgnoreCase 'tools/'" in condition
    # The printed condition is one this judge reads back, granting exactly what it says.
    parsed = Condition.parse(condition)
    assert parsed.evaluate(DELETE_DATA_ACTION, "tools/lint") and not parsed.evaluate(DELETE_DATA_ACTION, "web")


def test_abac_contributor_without_condition_passes_and_legacy_alone_fails(builder: SnapshotBuilder) -> None:
    builder.registry(role_assignment_mode=ABAC)
    _repos(builder, "app").caller()
    builder.role_assignment("Container Registry Repository Contributor", REPO_CONTRIBUTOR, scope="resourceGroup")
    assert run_check(SLUG, builder.build()).status is Status.PASSED
    legacy = SnapshotBuilder()
    legacy.registry(role_assignment_mode=ABAC)
    _repos(legacy, "app").caller()
    legacy.role_assignment("AcrDelete", ACR_DELETE)
    legacy.role_assignment("Contributor", "b24988ac-6180-42a0-ab88-20f7382dd24c")
    (f,) = run_check(SLUG, legacy.build()).findings
    assert "(ABAC repository permissions)" in f.message
    assert "Contributor at the registry: grants delete as a control-plane action only" in f.message
    assert any("AcrDelete and the other Acr* roles are not honoured" in n for n in f.fix.notes)  # type: ignore[union-attr]


def test_condition_not_naming_delete_does_not_restrict_it(builder: SnapshotBuilder) -> None:
    builder.registry(role_assignment_mode=ABAC)
    _repos(builder, "app", "team/api").caller()
    read_only = ("((!(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/content/read'})) OR "
                 f"({NAME} StringEqualsIgnoreCase 'team/api'))")
    builder.role_assignment("Container Registry Repository Contributor", REPO_CONTRIBUTOR, condition=read_only)
    assert run_check(SLUG, builder.build()).status is Status.PASSED


def test_unparseable_condition_is_not_a_pass(builder: SnapshotBuilder) -> None:
    builder.registry(role_assignment_mode=ABAC)
    _repos(builder, "app").caller()
    builder.role_assignment("Container Registry Repository Contributor", REPO_CONTRIBUTOR,
                            condition="@Resource[Microsoft.ContainerRegistry/registries/repositories:tags] "
                                      "StringEquals 'x'")
    result = run_check(SLUG, builder.build())
    assert result.status is Status.SKIPPED
    assert result.reason is not None and "cannot judge" in result.reason and "ABAC condition" in result.reason


def test_unknown_repositories_make_findings_a_lower_bound(builder: SnapshotBuilder) -> None:
    builder.registry(role_assignment_mode=ABAC)
    _repos(builder, "team/api", "tools/lint").caller()
    builder.role_assignment("Custom cleaner", "99999999-0000-0000-0000-000000000000")  # definition not collected
    builder.error(Part.MANIFESTS, 401, "UNAUTHORIZED", "authentication required", repository="team/api",
                  detail={"Type": "repository", "Name": "team/api", "Action": "delete"})
    result = run_check(SLUG, builder.build())
    assert result.status is Status.FAILED and result.lower_bound
    assert [f.details.get("source") for f in result.findings] == [None]  # the 401; tools/lint stays unknown
    assert "tools/lint" in result.gaps[0].repositories
    assert "role definition was not collected" in (result.reason or "")


def test_custom_role_with_collected_definition_and_not_data_actions(builder: SnapshotBuilder) -> None:
    builder.registry(role_assignment_mode=ABAC)
    _repos(builder, "app").caller()
    custom = RoleDefinition("abcdef00-0000-0000-0000-000000000001", "Registry janitor", (RolePermission(
        data_actions=("Microsoft.ContainerRegistry/*",),
        not_data_actions=("Microsoft.ContainerRegistry/registries/repositories/content/delete",)),))
    builder.role_assignment("Registry janitor", custom.id, definition=custom)
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.details["denied"] == ("app",)
    wide = SnapshotBuilder()
    wide.registry(role_assignment_mode=ABAC)
    _repos(wide, "app").caller()
    star = RoleDefinition("abcdef00-0000-0000-0000-000000000002", "Everything", (RolePermission(data_actions=("*",)),))
    wide.role_assignment("Everything", star.id, definition=star)
    assert run_check(SLUG, wide.build()).status is Status.PASSED


def test_assignment_on_another_resource_does_not_count(builder: SnapshotBuilder) -> None:
    _repos(builder, "app").caller()
    builder.role_assignment("AcrDelete", ACR_DELETE, scope=REG_ID.replace("/contoso", "/other"))
    assert run_check(SLUG, builder.build()).status is Status.FAILED


def test_not_collected_or_uncollected_assignments_skip(builder: SnapshotBuilder) -> None:
    _repos(builder, "app")
    builder.collected("access")
    snap = builder.build()
    assert snap.access is not None and snap.access.role_assignments == ()
    unknown = run_check(SLUG, snap)  # collected and empty, but for a caller of unknown kind: not judged
    assert unknown.status is Status.SKIPPED and "unknown kind" in (unknown.reason or "")
    empty = SnapshotBuilder()
    _repos(empty, "app").caller()
    empty.collected("access")
    empty.controls["access"] = replace(empty.controls["access"], role_assignments=())
    assert run_check(SLUG, empty.build()).status is Status.FAILED  # an Entra caller with no assignment at all
    none = SnapshotBuilder()
    _repos(none, "app").caller()  # a caller without role assignments collected
    result = run_check(SLUG, none.build())
    assert result.status is Status.SKIPPED
    assert "role assignments were not collected" in (result.reason or "")
    admin = SnapshotBuilder()
    _repos(admin, "app").caller(kind="admin", principal_id=None)
    assert run_check(SLUG, admin.build()).status is Status.SKIPPED


def test_conditional_grant_without_repository_list_skips(builder: SnapshotBuilder) -> None:
    builder.registry(role_assignment_mode=ABAC)
    builder.caller()
    builder.role_assignment("Container Registry Repository Contributor", REPO_CONTRIBUTOR, condition=TEAM_ONLY)
    result = run_check(SLUG, builder.build())
    assert result.status is Status.SKIPPED and "repository list was not collected" in (result.reason or "")


def test_token_scope_map_without_content_delete(builder: SnapshotBuilder) -> None:
    _repos(builder, "team/api", "team/web", "tools/lint")
    builder.caller(kind="token", principal_id=None, principal_type=None, name=None, token_name="ci-token")
    builder.token("ci-token", "ci-map", ["repositories/team/*/content/delete", "repositories/team/*/content/read",
                                         "repositories/tools/lint/content/read"])
    result = run_check(SLUG, builder.build())
    (f,) = result.findings
    assert f.message == ("token ci-token cannot delete in 1 repository of 3 (tools/lint): its scope map grants no "
                         "content/delete there")
    assert f.fix is not None
    assert _args(f.fix.commands[0]) == ["az", "acr", "scope-map", "update", "--name", "ci-map", "--registry",
                                        "contoso", "--resource-group", "rg-contoso", "--add-repository",
                                        "tools/lint", "content/delete"]
    assert any("metadata/write" in n for n in f.fix.notes)


def test_token_with_root_wildcard_passes_and_uncollected_tokens_skip(builder: SnapshotBuilder) -> None:
    _repos(builder, "app", "team/api")
    builder.caller(kind="token", principal_id=None, token_name="admin-token")
    builder.token("admin-token", "_repositories_admin", ["repositories/*/content/delete"])
    assert run_check(SLUG, builder.build()).status is Status.PASSED
    missing = SnapshotBuilder()
    _repos(missing, "app").caller(kind="token", principal_id=None, token_name="t")
    result = run_check(SLUG, missing.build())
    assert result.status is Status.SKIPPED and "tokens and scope maps were not collected" in (result.reason or "")


def test_refused_repository_is_reported_once(builder: SnapshotBuilder) -> None:
    _repos(builder, "app", "web").caller()
    builder.role_assignment("AcrPull", ACR_PULL)
    builder.error(Part.MANIFESTS, 401, "UNAUTHORIZED", "authentication required", repository="app",
                  detail={"Type": "repository", "Name": "app", "Action": "delete"})
    findings = run_check(SLUG, builder.build()).findings
    assert sorted((f.resource.name, f.details.get("source")) for f in findings) == [("app", None),
                                                                                      ("web", "access")]


@pytest.mark.parametrize(("condition", "repo", "expected"), [
    (f"{NAME} StringEquals 'Team/App'", "team/app", False),
    (f"{NAME} StringEqualsIgnoreCase 'Team/App'", "team/app", True),
    (f"{NAME} StringStartsWith 'team/'", "team/app", True),
    ("@Resource[Microsoft.ContainerRegistry/registries/repositories:name] ForAnyOfAnyValues:StringStartsWith "
     "{'a/', 'team/'}", "team/app", True),
    (f"{NAME} StringNotStartsWithIgnoreCase 'team/'", "team/app", False),
    (f"({NAME} StringEquals 'x') OR ({NAME} StringLike 'team/*')", "team/app", True),
    (f"!({NAME} StringEquals 'team/app') AND {NAME} StringStartsWith 'team/'", "team/app", False),
])
def test_condition_forms(condition: str, repo: str, expected: bool) -> None:
    assert Condition.parse(condition).evaluate(DELETE_DATA_ACTION, repo) is expected


@pytest.mark.parametrize("bad", [
    "((ActionMatches{'x'})", f"{NAME} StringEquals {{'a', 'b'}}", f"{NAME} NumericEquals '1'",
    "@Request[Microsoft.Storage/storageAccounts:name] StringEquals 'a'", f"{NAME} StringEquals 'a' AND",
])
def test_conditions_outside_the_known_forms_raise(bad: str) -> None:
    with pytest.raises(ConditionError):
        Condition.parse(bad)


def test_token_rules_read_wildcards_and_actions() -> None:
    actions = ["repositories/*/metadata/write", "repositories/a/b/*/content/delete", "repositories/c/content/delete",
               "repositories/d/content/read"]
    assert token_rules(actions, "content/delete") == ("a/b/", "c")
    assert token_rules(actions, "metadata/write") == ("",)
    assert METADATA_WRITE_DATA_ACTION.endswith("metadata/write")


def test_refusal_fix_names_the_collected_caller(builder: SnapshotBuilder) -> None:
    """A 401 with the caller known: a role for its object id, never the signed-in user's; a token: its scope map."""
    _repos(builder, "app").caller(principal_type="ServicePrincipal", name="pipeline")
    builder.role_assignment("AcrPush", "8311e382-0749-4cb8-b61a-304f252e45ec")
    builder.error(Part.MANIFESTS, 401, "UNAUTHORIZED", "authentication required", repository="app",
                  detail={"Type": "repository", "Name": "app", "Action": "delete"})
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.fix is not None
    (cmd,) = f.fix.commands
    assert "--assignee-object-id " + PRINCIPAL in cmd and "signed-in-user" not in cmd
    token = SnapshotBuilder()
    _repos(token, "app").caller(kind="token", principal_id=None, token_name="ci")
    token.token("ci", "ci-map", ["repositories/app/content/read"])
    token.error(Part.MANIFESTS, 401, "UNAUTHORIZED", "authentication required", repository="app",
                detail={"Type": "repository", "Name": "app", "Action": "delete"})
    (f,) = run_check(SLUG, token.build()).findings
    assert f.fix is not None
    assert _args(f.fix.commands[0])[:5] == ["az", "acr", "scope-map", "update", "--name"]
    assert f.fix.commands[0].endswith("--add-repository app content/delete")


def test_metadata_write_is_judged_in_abac_mode_and_for_tokens_only() -> None:
    """Lock changes need metadata/write [D-ABAC, D-TOK]; no legacy-mode action is documented for it."""
    from acrdoctor.checks.effective_access import judge

    abac = SnapshotBuilder()
    abac.registry(role_assignment_mode=ABAC)
    _repos(abac, "team/api", "web").caller()
    abac.role_assignment("Container Registry Repository Contributor", REPO_CONTRIBUTOR, condition=TEAM_ONLY)
    verdict = judge(abac.build(), METADATA_WRITE_DATA_ACTION)
    assert verdict is not None and verdict.judged
    assert verdict.allowed("web")  # the condition does not list metadata/write: not restricted by it
    legacy = SnapshotBuilder()
    _repos(legacy, "app").caller()
    legacy.role_assignment("AcrDelete", ACR_DELETE)
    assert not judge(legacy.build(), METADATA_WRITE_DATA_ACTION).judged  # type: ignore[union-attr]
    token = SnapshotBuilder()
    _repos(token, "app").caller(kind="token", principal_id=None, token_name="t")
    token.token("t", "m", ["repositories/app/metadata/write"])
    assert judge(token.build(), METADATA_WRITE_DATA_ACTION).allowed("app")  # type: ignore[union-attr]
    disabled = SnapshotBuilder()
    _repos(disabled, "app").caller(kind="token", principal_id=None, token_name="t")
    disabled.token("t", "m", ["repositories/*/content/delete"], status="disabled")
    (f,) = run_check(SLUG, disabled.build()).findings
    assert "disabled" in f.message


def test_legacy_registry_ignores_the_abac_role_and_does_not_judge_conditions(builder: SnapshotBuilder) -> None:
    """[D-TRBL]: RBAC Registry Permissions mode honours only the Acr* roles for images."""
    _repos(builder, "app").caller()
    builder.role_assignment("Container Registry Repository Contributor", REPO_CONTRIBUTOR)
    (f,) = run_check(SLUG, builder.build()).findings
    assert "ignored: Container Registry Repository Contributor at the registry: an ABAC-mode role" in f.message
    assert _args(f.fix.commands[0])[-3] == "AcrDelete"  # type: ignore[union-attr]
    conditional = SnapshotBuilder()
    _repos(conditional, "app").caller()
    conditional.role_assignment("AcrDelete", ACR_DELETE, condition=TEAM_ONLY)
    result = run_check(SLUG, conditional.build())
    assert result.status is Status.SKIPPED and "not in ABAC mode" in (result.reason or "")
