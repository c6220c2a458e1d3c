"""The candidate fixes of a refused delete, ranked: the text of a 401 cannot say which one applies.

ACR's refusal (``UNAUTHORIZED`` naming ``"Action":"delete"``) reads the same whatever grants delete on the
registry: AcrDelete in RBAC mode, Container Registry Repository Contributor in ABAC mode (where AcrDelete is not
honoured, [D-ABAC]), or ``content/delete`` in a repository-scoped token's scope map [D-TOK]. ``explain`` prints all
three in order of likelihood — ABAC first when the text mentions it, the scope map first when it mentions a token
— and the registry's ``roleAssignmentMode`` (the confirm step prints it) decides.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from acrdoctor.actions import Action, AddScopeMapRepositories, AssignRole, RegistryRef
from acrdoctor.checks.effective_access import CONTRIBUTOR_ROLE, LEGACY_DELETE_ROLE
from acrdoctor.shellquote import Arg, variable

from .actions import registry_id_expr

ABAC_HINT = re.compile(r"AbacRepositoryPermissions|rbac-abac|\bABAC\b|Container Registry Repository", re.IGNORECASE)
TOKEN_HINT = re.compile(r"\bscope[- ]?maps?\b|(?:--username|-u)\s+\S*token|\brepository-scoped token\b|"
                        r"\bacr token\b", re.IGNORECASE)


def delete_fixes(ref: RegistryRef, repository: Arg, contexts: Sequence[str]) -> tuple[list[Action], list[str]]:
    """(actions, notes) for a refused delete, ranked by what ``contexts`` (the lines around it) hint at."""
    abac = any(ABAC_HINT.search(c) for c in contexts)
    token = any(TOKEN_HINT.search(c) for c in contexts)
    scope = registry_id_expr(ref.name)
    legacy = AssignRole(scope, LEGACY_DELETE_ROLE)
    modern = AssignRole(scope, CONTRIBUTOR_ROLE)
    scope_map = AddScopeMapRepositories(ref, variable("SCOPE_MAP"), (repository,))
    ranked: list[Action] = [modern, legacy] if abac else [legacy, modern]
    ranked = [scope_map, *ranked] if token else [*ranked, scope_map]
    labels = {id(legacy): f"{LEGACY_DELETE_ROLE} if `az acr show --query roleAssignmentMode` prints "
                          "LegacyRegistryPermissions (or nothing)",
              id(modern): f"{CONTRIBUTOR_ROLE} if it prints AbacRepositoryPermissions, where AcrDelete is not "
                          "honoured (an ABAC condition on the repository name can limit it to some repositories)",
              id(scope_map): "content/delete in the scope map of the token the caller signs in with (SCOPE_MAP: the "
                             "name at the end of `az acr token show --query scopeMapId`)"}
    hint = (" The text mentions ABAC, so its role comes first." if abac else "") + \
        (" The text mentions a token, so the scope map comes first." if token else "")
    order = "; ".join(f"({i}) {labels[id(a)]}" for i, a in enumerate(ranked, 1))
    return ranked, [f"Run one of the commands, whichever matches: {order}.{hint}"]
