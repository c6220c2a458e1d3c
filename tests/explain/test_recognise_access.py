"""explain for access failures: a refused delete's three candidate fixes, ranked; a purge task refused a token."""

from __future__ import annotations

from acrdoctor.explain import explain
from tests.explain import bodies as b

CONTRIBUTOR = "--role 'Container Registry Repository Contributor'"


def only(text: str):  # type: ignore[no-untyped-def]
    result = explain(text)
    assert len(result.matches) == 1, [m.failure_mode for m in result.matches]
    return result.matches[0]


def _roles(commands: tuple[str, ...]) -> list[str]:
    return ["scope-map" if "scope-map" in c else "contributor" if CONTRIBUTOR in c else "acrdelete"
            for c in commands]


def test_refused_delete_lists_every_candidate_fix_legacy_first() -> None:
    m = only(b.UNAUTHORIZED_DETAIL)
    assert m.failure_mode == "delete-permission"
    assert _roles(m.fix.commands) == ["acrdelete", "contributor", "scope-map"]
    assert any("roleAssignmentMode" in c for c in m.confirm.commands)
    assert 'az acr scope-map update --name "$SCOPE_MAP" --registry "$REGISTRY" --add-repository not_real_repo ' \
           "content/delete" in m.fix.commands
    assert any("Run one of the commands" in n for n in m.fix.notes)


def test_abac_mention_ranks_the_contributor_role_first() -> None:
    text = ("# registry switched with az acr update --role-assignment-mode rbac-abac\n"
            "az acr repository delete --name contosoreg --image app:v1 --yes\n" + b.UNAUTHORIZED_DETAIL)
    m = only(text)
    assert _roles(m.fix.commands) == ["contributor", "acrdelete", "scope-map"]
    assert any("mentions ABAC" in n for n in m.fix.notes)


def test_token_mention_ranks_the_scope_map_first() -> None:
    text = ("docker login contosoreg.azurecr.io -u cleanup-token -p ***\n" + b.UNAUTHORIZED_DETAIL)
    assert _roles(only(text).fix.commands)[0] == "scope-map"


def test_pull_refusal_is_unchanged() -> None:
    m = only(b.UNAUTHORIZED_PURGE)
    assert any("--role AcrPull" in c for c in m.fix.commands)
    assert not any(CONTRIBUTOR in c for c in m.fix.commands)


def test_purge_task_token_refused() -> None:
    m = only("2026/06/04 03:12:09 Launching container with name: acb_step_0\n" + b.PURGE_TASK_TOKEN_401)
    assert m.failure_mode == "purge-task-access" and m.in_catalogue
    assert 'az acr task update --name "$TASK" --registry "$REGISTRY" --source-acr-auth-id \'[system]\'' \
        in m.fix.commands
    assert any("roleAssignmentMode" in c for c in m.confirm.commands)
    assert any("acr-cli#641" in n for n in m.fix.notes)
