"""Pre-flight blocks deletes the caller's collected access refuses, as delete-permission judges it."""

from __future__ import annotations

from acrdoctor.builder import SnapshotBuilder
from acrdoctor.demo import load_demo
from acrdoctor.model import Part
from acrdoctor.preflight.model import BlockLevel
from acrdoctor.preflight.run import preflight

CONTRIBUTOR = "2efddaa5-3f1f-4df3-97df-af3f13818f4c"
NAME = "@Request[Microsoft.ContainerRegistry/registries/repositories:name]"
TEAM_ONLY = ("((!(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/content/delete'})) OR "
             f"({NAME} StringStartsWithIgnoreCase 'team/'))")


def abac_registry() -> SnapshotBuilder:
    b = SnapshotBuilder(name="contoso", role_assignment_mode="AbacRepositoryPermissions")
    for name in ("team/api", "tools/lint"):
        b.repository(name).image(["v1"], layers=[(name, 10)], config=(f"c-{name}", 1), age_days=30)
    b.no_private_endpoints()
    b.caller()
    return b


def permission_blocks(plan) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {b.resource: b.reason for b in plan.blocked if b.level is BlockLevel.PERMISSION}


def test_delete_outside_the_condition_is_blocked_inside_it_is_not() -> None:
    b = abac_registry()
    b.role_assignment("Container Registry Repository Contributor", CONTRIBUTOR, condition=TEAM_ONLY)
    snapshot = b.build()
    blocked = permission_blocks(preflight("az acr repository delete --name contoso --image tools/lint:v1 --yes",
                                          snapshot))
    assert list(blocked) == ["tools/lint"]
    assert blocked["tools/lint"].startswith("user dev@contoso.example may not delete in repository tools/lint")
    assert permission_blocks(preflight("az acr repository delete --name contoso --image team/api:v1 --yes",
                                       snapshot)) == {}


def test_purge_on_abac_registry_warns_that_it_stops_at_the_first_refusal() -> None:
    b = abac_registry()
    b.role_assignment("Container Registry Repository Contributor", CONTRIBUTOR, condition=TEAM_ONLY)
    plan = preflight(["acr", "purge", "--filter", ".*:.*", "--ago", "1d", "--untagged"], b.build())
    assert "tools/lint" in permission_blocks(plan)
    assert "purge-stops-at-unauthorized" in {w.code for w in plan.warnings}


def test_unjudgeable_condition_warns_instead_of_blocking_or_passing() -> None:
    b = abac_registry()
    b.role_assignment("Container Registry Repository Contributor", CONTRIBUTOR, condition="@Request[x] Foo 'y'")
    plan = preflight("az acr repository delete --name contoso --image team/api:v1 --yes", b.build())
    assert permission_blocks(plan) == {}
    (w,) = [w for w in plan.warnings if w.code == "permission-unknown"]
    assert "team/api" in w.message


def test_repository_refused_by_a_401_is_blocked_once() -> None:
    demo = load_demo()  # the build-agent token may not delete under team-b/, and a 401 said so
    plan = preflight(["az", "acr", "repository", "delete", "--name", "contoso", "--repository", "team-b/scratch"],
                     demo)
    assert [b.resource for b in plan.blocked if b.level is BlockLevel.PERMISSION] == ["team-b/scratch"]


def test_without_access_nothing_changes() -> None:
    b = SnapshotBuilder(name="contoso")
    b.repository("app").image(["v1"], layers=[("a", 10)], config=("ca", 1), age_days=30)
    b.error(Part.MANIFESTS, 404, "NAME_UNKNOWN", "x")
    plan = preflight("az acr repository delete --name contoso --image app:v1 --yes", b.build())
    assert permission_blocks(plan) == {} and not [w for w in plan.warnings if "permission" in w.code]
