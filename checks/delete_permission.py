"""Failure mode 9: 401/403 on delete because the identity lacks the permission for it.

ACR names what was missing in the error detail, e.g. ``{"errors":[{"code":"UNAUTHORIZED","message":"authentication
required, …","detail":[{"Type":"repository","Name":"not_real_repo","Action":"delete"}]}]}`` (Azure SDK for Python
recordings, notes acr-wire-behaviour.md §c.2). Key case differs between sources (``Action`` vs ``action``), so keys
are read case-insensitively. The Azure CLI phrases the same gap as "You are lacking {} repository permissions"
(same notes, check-health step 10).

Which role grants the action depends on the registry's ``roleAssignmentMode``: in ``AbacRepositoryPermissions``
mode the legacy roles AcrPull, AcrPush and AcrDelete are not honoured and the ABAC-enabled "Container Registry
Repository …" roles are needed (ACR docs, container-registry-rbac-abac-repository-permissions).

When the snapshot holds the caller's access (schema 2: role assignments and definitions, or the token and its
scope map), the check also judges from it which repositories the caller cannot delete in, before anything is
refused (:mod:`.effective_access` has the rules and their sources). It reports "passed" only when that data was
collected and grants delete in every repository; an assignment it cannot judge (a condition outside the
documented forms, a custom role whose definition was not collected) leaves the verdict incomplete.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from acrdoctor.actions import AddScopeMapRepositories, AssignRole, AssignRoleToPrincipal, RegistryRef, shell_join
from acrdoctor.check_api import (
    Check,
    Context,
    Finding,
    Fix,
    Related,
    Resource,
    Severity,
    SkipCheck,
    skip_without_attempt,
)
from acrdoctor.completeness import Gap
from acrdoctor.model import DELETE_OPERATIONS, CollectionError, Part, Registry, Snapshot
from acrdoctor.units import plural

from .effective_access import (
    CONTRIBUTOR_ROLE,
    LEGACY_DELETE_ROLE,
    AccessVerdict,
    caller_label,
    judge,
    prefix_condition,
    token_scope_map,
)
from .network_access import is_firewall_denial

#: action -> (legacy RBAC role, ABAC-mode role). Only actions whose built-in role is documented are mapped.
ROLES: Mapping[str, tuple[str, str]] = {
    "delete": ("AcrDelete", "Container Registry Repository Contributor"),
    "pull": ("AcrPull", "Container Registry Repository Reader"),
    "metadata_read": ("AcrPull", "Container Registry Repository Reader"),
    "push": ("AcrPush", "Container Registry Repository Writer"),
}
#: token scope-map action for each data-plane action (ACR repository-scoped tokens docs).
SCOPE_MAP_ACTIONS: Mapping[str, str] = {
    "delete": "content/delete",
    "pull": "content/read",
    "push": "content/write",
    "metadata_read": "metadata/read",
    "metadata_write": "metadata/write",
}
ABAC_MODE = "abacrepositorypermissions"

_JSON_OBJECT = re.compile(r"\{[^{}]*\}")
_KEY = re.compile(r"[\"']?(type|name|action)[\"']?\s*[:=]\s*[\"']([^\"']*)[\"']", re.IGNORECASE)
_LACKING = re.compile(r"lacking ([\w/, *-]+?) (?:repository )?permissions", re.IGNORECASE)
_ARM_ACTION = re.compile(r"perform action '([^']+)'", re.IGNORECASE)
#: ACR's detail as Go clients print a decoded JSON map (crane, oras, helm): ``[map[Action:delete Name:team/web
#: Type:repository]]``; a map value never holds a space or a bracket.
_GO_MAP = re.compile(r"\bmap\[(\w+:[^\s\[\]]*(?: \w+:[^\s\[\]]*)*)\]")
_GO_PAIR = re.compile(r"(\w+):([^\s\[\]]*)")


@dataclass(frozen=True, slots=True)
class Missing:
    """One permission ACR said the caller lacks: the action and, when named, the object it was needed on."""

    action: str
    type: str | None = None
    name: str | None = None


def _lower_keys(entry: Mapping[object, object]) -> dict[str, object]:
    return {str(k).lower(): v for k, v in entry.items()}


def _from_detail(detail: object, depth: int = 0) -> Iterator[Missing]:
    """Walk ACR's detail (a mapping, a list of them, or a wrapper holding either) for Action entries."""
    if depth > 4:
        return
    if isinstance(detail, Mapping):
        keys = _lower_keys(detail)
        action = keys.get("action")
        if isinstance(action, str) and action:
            kind, name = keys.get("type"), keys.get("name")
            yield Missing(action, kind if isinstance(kind, str) else None, name if isinstance(name, str) else None)
            return
        for value in keys.values():
            yield from _from_detail(value, depth + 1)
    elif isinstance(detail, list | tuple):
        for item in detail:
            yield from _from_detail(item, depth + 1)
    elif isinstance(detail, str) and detail.lstrip().startswith(("{", "[")):
        try:
            yield from _from_detail(json.loads(detail), depth + 1)
        except ValueError:
            return


def _from_message(message: str) -> Iterator[Missing]:
    """Actions named in free text: embedded ACR detail, the CLI's 'lacking … permissions', ARM's 'perform action'."""
    text = message.replace('\\"', '"')
    for block in _JSON_OBJECT.findall(text):
        keys = {k.lower(): v for k, v in _KEY.findall(block)}
        if keys.get("action"):
            yield Missing(keys["action"], keys.get("type"), keys.get("name"))
    for block in _GO_MAP.findall(text):
        pairs = {k.lower(): v for k, v in _GO_PAIR.findall(block)}
        if pairs.get("action"):
            yield Missing(pairs["action"], pairs.get("type") or None, pairs.get("name") or None)
    for match in _LACKING.finditer(text):
        for action in re.split(r"[,\s]+", match.group(1)):
            if action and action.lower() not in ("and", "or"):
                yield Missing(action)
    for match in _ARM_ACTION.finditer(text):
        action = match.group(1)
        # Deleting artifacts is a data-plane action even when ARM names it; registry-level ones need ARM roles.
        yield Missing(action, None if _normal_action(action) == "delete" else "arm", None)


def _is_permission_error(error: CollectionError) -> bool:
    code = (error.code or "").upper()
    return (error.status in (401, 403) or code in ("UNAUTHORIZED", "DENIED", "AUTHORIZATIONFAILED")) \
        and not is_firewall_denial(error)


def missing_permissions(error: CollectionError) -> list[Missing]:
    """What the error says is missing, de-duplicated, detail first; empty when it names nothing."""
    if not _is_permission_error(error):
        return []
    found = list(_from_detail(error.detail)) if error.detail else []
    found += _from_message(error.message)
    out: list[Missing] = []
    for m in found:
        name = m.name or (error.repository if m.type in (None, "repository") else None)
        kind = m.type or ("repository" if error.repository else None)
        normal = Missing(m.action if kind == "arm" else _normal_action(m.action), kind.lower() if kind else None,
                         name)
        if normal not in out:
            out.append(normal)
    return out


_ALIASES: Mapping[str, str] = {
    "content/delete": "delete",
    "content/read": "pull",
    "content/write": "push",
    "metadata/read": "metadata_read",
    "metadata/write": "metadata_write",
}


def _normal_action(action: str) -> str:
    """One spelling per action: ACR detail says 'metadata_read', scope maps say 'metadata/read'."""
    low = action.strip().lower()
    if low.endswith("/registries/artifacts/delete"):
        return "delete"
    return _ALIASES.get(low, low)


#: How many repository names a finding's message shows; ``details`` has all of them.
SHOWN = 5


def access_denials(snapshot: Snapshot) -> tuple[AccessVerdict | None, list[str], list[str]]:
    """(verdict, denied, unknown): the repositories the caller's collected access cannot delete in, and those it
    cannot judge. Both lists are empty when the verdict is None or not judged."""
    verdict = judge(snapshot)
    if verdict is None or not verdict.judged:
        return verdict, [], []
    names = [r.name for r in snapshot.repositories or ()]
    denied, unknown = verdict.split(names)
    return verdict, denied, unknown


def access_blocks(snapshot: Snapshot, repositories: Iterable[str], purge: bool = False
                  ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """For a pre-flight: (blocked, warnings) from the caller's collected access, for the repositories a command
    deletes in. ``blocked`` is (repository, reason) for each one the caller may not delete in; ``warnings`` is
    (code, message): ``permission-unknown`` for repositories the access data cannot decide, and
    ``purge-stops-at-unauthorized`` for ``acr purge`` on an ABAC registry, which stops at the first repository it
    may not delete in [D-PURGE]."""
    verdict, denied_all, unknown_all = access_denials(snapshot)
    wanted = list(dict.fromkeys(repositories))
    if verdict is None or not wanted or (not verdict.judged and verdict.kind not in ("entra", "token")):
        return [], []  # nothing collected about the caller (or an admin/unknown caller): nothing to add
    warnings: list[tuple[str, str]] = []
    if not verdict.judged:
        denied, unknown = [], wanted
        why = verdict.reason or "not judged"
    else:
        denied = [r for r in wanted if r in set(denied_all)]
        unknown = [r for r in wanted if r in set(unknown_all)]
        why = "; ".join(verdict.uncertain)
    if verdict.kind == "token":
        reason = "its token's scope map grants no content/delete there"
    else:
        reason = "none of its role assignments grants delete there" + (
            " (ABAC mode: AcrDelete, AcrPush and Owner/Contributor do not count)" if verdict.abac else "")
    blocked = [(r, f"{verdict.caller} may not delete in repository {r}: {reason}") for r in denied]
    if unknown:
        names = ", ".join(unknown[:SHOWN]) + (f" and {len(unknown) - SHOWN} more" if len(unknown) > SHOWN else "")
        warnings.append(("permission-unknown", f"whether {verdict.caller} may delete in {names} cannot be judged "
                         f"from the collected access ({why})"))
    if purge and verdict.abac and (denied or unknown):
        warnings.append(("purge-stops-at-unauthorized", "on a registry in ABAC repository-permissions mode acr purge "
                         "stops at the first repository its identity may not delete in, leaving the rest "
                         f"unprocessed [D-PURGE]; judged for {verdict.caller} (a task runs as its own identity)"))
    return blocked, warnings


class DeletePermission(Check):
    slug = "delete-permission"
    title = "Identity lacks the permission to delete"
    severity = Severity.HIGH
    needs = frozenset({Part.ERRORS})
    uses = frozenset({Part.ROLE_ASSIGNMENTS, Part.TOKENS, Part.REPOSITORIES})
    failure_mode = "Deletes fail with 401 UNAUTHORIZED or 403, naming the action the identity lacks"
    cause = (
        "The identity's role assignments (or its token's scope map) do not grant the action ACR asked for, so ACR "
        "refuses the call; a role that only lets you push or pull does not let you delete."
    )
    docs = (
        "https://learn.microsoft.com/azure/container-registry/container-registry-rbac-built-in-roles-overview",
        "https://learn.microsoft.com/azure/container-registry/container-registry-rbac-abac-repository-permissions",
        "https://learn.microsoft.com/azure/container-registry/container-registry-repository-scoped-permissions",
    )

    def __init__(self) -> None:
        self._unknown: tuple[str, ...] = ()
        self._uncertain: tuple[str, ...] = ()

    def run(self, ctx: Context) -> Iterator[Finding]:
        snap = ctx.snapshot
        counts: Counter[Missing] = Counter()
        samples: dict[Missing, CollectionError] = {}
        for error in snap.errors:
            for missing in missing_permissions(error):
                counts[missing] += 1
                samples.setdefault(missing, error)
        findings = [self._finding(snap, missing, n, samples[missing]) for missing, n in counts.items()]
        findings += self._from_access(snap, counts)
        if not findings and snap.access is None:
            skip_without_attempt(snap, DELETE_OPERATIONS, "no delete", "a 401 or 403 naming the delete permission")
        yield from findings

    def blind_spots(self, ctx: Context, gaps: tuple[Gap, ...]) -> tuple[Gap, ...]:
        """Repositories the access data could not decide, as a gap: findings are then a lower bound. Judged from
        refusals alone (no access collected), the parts it merely uses are no gap of its verdict."""
        if ctx.snapshot.access is None:
            return ()
        if not self._unknown:
            return gaps
        why = CollectionError(Part.ROLE_ASSIGNMENTS.value, None, None,
                              "cannot judge: " + "; ".join(self._uncertain[:2]))
        return (*gaps, Gap(Part.ROLE_ASSIGNMENTS, self._unknown, (why,)))

    def _from_access(self, snap: Snapshot, counts: Counter[Missing]) -> list[Finding]:
        """Findings from the caller's collected access; raises SkipCheck when it cannot judge and nothing else
        was found, so that a report never passes what it could not see."""
        verdict = judge(snap)
        if verdict is None:
            return []
        if not verdict.judged:
            if not counts:
                raise SkipCheck(f"cannot judge the caller's delete permission: {verdict.reason}")
            return []
        if snap.repositories is None and not verdict.uniform:
            if not counts:
                raise SkipCheck("cannot judge the caller's delete permission: its grants are limited to some "
                                "repositories and the repository list was not collected")
            return []
        names = [r.name for r in snap.repositories] if snap.repositories is not None else None
        refused = {m.name for m in counts if m.action == "delete" and m.type == "repository"}
        if names is None:  # a uniform verdict: every repository alike
            denied, unknown = ([], []) if verdict.allowed("") else verdict.split([""])
        else:
            denied, unknown = verdict.split(n for n in names if n not in refused)
        self._unknown, self._uncertain = tuple(n for n in unknown if n), verdict.uncertain
        if unknown and not denied and not counts:
            raise SkipCheck("cannot judge the caller's delete permission: " + "; ".join(verdict.uncertain))
        if not denied:
            return []
        return [self._access_finding(snap, verdict, denied, names)]

    def _access_finding(self, snap: Snapshot, verdict: AccessVerdict, denied: list[str],
                        names: list[str] | None) -> Finding:
        reg = snap.registry
        everywhere = names is None or len(denied) == len(names)
        if names is None:
            where = "any repository"
        elif everywhere:
            where = f"any of the {plural(len(names), 'repository', 'repositories')}"
        else:
            shown = ", ".join(denied[:SHOWN]) + (f" and {len(denied) - SHOWN} more" if len(denied) > SHOWN else "")
            where = f"{plural(len(denied), 'repository', 'repositories')} of {len(names)} ({shown})"
        mode = "ABAC repository permissions" if verdict.abac else "RBAC registry permissions"
        message = f"{verdict.caller} cannot delete in {where}: "
        if verdict.kind == "token":
            message += "its scope map grants no content/delete there"
        elif verdict.grants:
            message += f"its delete grants ({'; '.join(g.source for g in verdict.grants)}) do not reach them"
        else:
            message += f"none of its role assignments grants delete on this registry ({mode})"
        if verdict.ignored:
            message += f"; ignored: {'; '.join(verdict.ignored)}"
        resource = Resource.repository(denied[0]) if len(denied) == 1 and names is not None \
            else Resource.registry(reg.name)
        return self.finding(
            resource, message, fix=self._access_fix(snap, verdict, denied if names is not None else []),
            details={"action": "delete", "source": "access", "caller": verdict.caller, "kind": verdict.kind,
                     "denied": tuple(denied), "grants": tuple(g.source for g in verdict.grants),
                     "ignored": verdict.ignored, "role_assignment_mode": reg.role_assignment_mode},
        )

    def _access_fix(self, snap: Snapshot, verdict: AccessVerdict, denied: list[str]) -> Fix:
        reg = snap.registry
        scope = reg.resource_id
        if verdict.kind == "token":
            scope_map = token_scope_map(snap)
            ref = RegistryRef(reg.name, reg.resource_group)
            repos = tuple(denied) or ("*",)
            actions = (AddScopeMapRepositories(ref, scope_map, repos),) if scope_map else ()
            return Fix(
                summary="Add content/delete for these repositories to the token's scope map.",
                actions=actions,
                notes=("Changing locks (writeEnabled/deleteEnabled) needs metadata/write too [D-TOK]; a scope map "
                       "rule `team/*` covers every repository under team/, `*` every repository.",
                       "Every token that uses this scope map gains the permission."),
            )
        caller = snap.access.caller if snap.access else None
        role = CONTRIBUTOR_ROLE if verdict.abac else LEGACY_DELETE_ROLE
        notes: list[str] = []
        related: tuple[Related, ...] = ()
        actions: tuple[AssignRoleToPrincipal | AssignRole, ...] = ()
        if scope is None:
            notes.append("The registry's resource id was not collected; use it as --scope.")
        elif caller is not None and caller.principal_id:
            actions = (AssignRoleToPrincipal(scope, role, caller.principal_id, caller.principal_type),)
            if verdict.abac and denied:
                related = (Related(
                    "limited to these repositories",
                    "Or grant it only on the namespaces of the repositories it cleans up (an ABAC condition on the "
                    "repository name; prefixes keep their trailing slash).",
                    (AssignRoleToPrincipal(scope, role, caller.principal_id, caller.principal_type,
                                           prefix_condition(denied)),)),)
        else:
            actions = (AssignRole(scope, role),)
            notes.append("The caller's object id was not collected: --assignee defaults to you; for a pipeline, "
                         "service principal or managed identity put its object id there instead.")
        if verdict.abac:
            notes.append("This registry uses ABAC repository permissions: AcrDelete and the other Acr* roles are not "
                         f"honoured and Owner/Contributor grant no data-plane access, so assign {CONTRIBUTOR_ROLE} "
                         "(listing repositories also needs Container Registry Repository Catalog Lister) [D-ABAC].")
        else:
            notes.append(f"If the registry is switched to ABAC repository permissions, {LEGACY_DELETE_ROLE} stops "
                         f"working; {CONTRIBUTOR_ROLE} is the ABAC-mode equivalent [D-ABAC].")
        return Fix(summary=f"Assign {role} to {verdict.caller}.", actions=actions, notes=tuple(notes),
                   related=related)

    def _finding(self, snap: Snapshot, missing: Missing, n: int, sample: CollectionError) -> Finding:
        reg = snap.registry
        abac = (reg.role_assignment_mode or "").lower() == ABAC_MODE
        on_repo = missing.type == "repository" and missing.name
        resource = Resource.repository(missing.name) if on_repo and missing.name else Resource.registry(reg.name)
        where = "this repository" if on_repo else (
            f"{missing.type} {missing.name}" if missing.type and missing.name else "the registry")
        status = " ".join(str(x) for x in (sample.status, sample.code) if x) or "permission error"
        message = f"{plural(n, 'call')} refused with {status}: the identity lacks '{missing.action}' on {where}"
        if sample.operation:
            message += f" (during {sample.operation})"
        return self.finding(
            resource, message, fix=self._known_caller_fix(snap, missing, abac) or self._fix(reg, missing, abac),
            severity=None if missing.action == "delete" else Severity.MEDIUM,
            details={"action": missing.action, "type": missing.type, "name": missing.name, "calls": n,
                     "status": sample.status, "code": sample.code, "role_assignment_mode": reg.role_assignment_mode},
        )

    def _known_caller_fix(self, snap: Snapshot, missing: Missing, abac: bool) -> Fix | None:
        """The fix for a refusal when the snapshot names the caller: its token's scope map, or a role for its
        object id (never the signed-in user's, which is wrong for pipelines and managed identities)."""
        access = snap.access
        roles = ROLES.get(missing.action)
        if access is None or missing.type == "arm" or roles is None:
            return None
        reg = snap.registry
        caller = access.caller
        repo = missing.name if missing.type == "repository" and missing.name else None
        scope_action = SCOPE_MAP_ACTIONS.get(missing.action)
        scope_map = token_scope_map(snap)
        if caller.kind == "token" and scope_map and scope_action:
            ref = RegistryRef(reg.name, reg.resource_group)
            return Fix(
                summary=f"Add {scope_action} on {repo or 'the repository'} to the scope map of token "
                        f"{caller.token_name} ({scope_map}).",
                actions=(AddScopeMapRepositories(ref, scope_map, (repo or "*",), (scope_action,)),),
                notes=("Every token that uses this scope map gains the permission. Changing locks needs "
                       "metadata/write too [D-TOK].",),
            )
        scope = reg.resource_id
        if caller.kind != "entra" or not caller.principal_id or not scope:
            return None
        role = roles[1] if abac else roles[0]
        note = (f"This registry uses ABAC repository permissions: {roles[0]} and the other Acr* roles are not "
                f"honoured there [D-ABAC]." if abac else
                f"If the registry is switched to ABAC repository permissions, {roles[0]} stops working; "
                f"{roles[1]} is the ABAC-mode equivalent [D-ABAC].")
        return Fix(summary=f"Assign {role} to {caller_label(access)}, the identity that made the call.",
                   actions=(AssignRoleToPrincipal(scope, role, caller.principal_id, caller.principal_type),),
                   notes=(note,))

    def _fix(self, reg: Registry, missing: Missing, abac: bool) -> Fix:
        notes: list[str] = []
        actions: tuple[AssignRole, ...] = ()
        roles = ROLES.get(missing.action)
        scope = reg.resource_id
        if missing.type == "arm":
            summary = (f"Grant the identity a role that includes the management action {missing.action} on the "
                       "registry (for example Contributor); ACR data-plane roles such as AcrDelete do not.")
        elif roles is None:
            summary = f"Grant the identity a role that includes '{missing.action}' on the registry."
        else:
            role = roles[1] if abac else roles[0]
            summary = f"Assign {role} to the identity that made the call."
            if scope:
                actions = (AssignRole(scope, role),)
            else:
                notes.append("The registry's resource id was not collected; use it as --scope.")
            if abac:
                notes.append(f"This registry uses ABAC repository permissions: legacy roles ({roles[0]} and the "
                             f"other Acr* roles) are not honoured there, so assign {role}; an ABAC condition on "
                             "the repository name can limit it to the repositories the identity cleans up.")
            else:
                notes.append(f"If the registry is switched to ABAC repository permissions, {roles[0]} stops "
                             f"working; {roles[1]} is the ABAC-mode equivalent.")
        if actions:
            notes.insert(0, "--assignee defaults to you; for a pipeline, service principal or managed identity, "
                            "put its object id there instead.")
        scope_action = SCOPE_MAP_ACTIONS.get(missing.action)
        if scope_action and missing.type != "arm":
            repo = missing.name if missing.type == "repository" and missing.name else "<repository>"
            update = shell_join(["az", "acr", "scope-map", "update", "--name", "SCOPE_MAP_NAME", "--registry",
                                 reg.name, "--add-repository", *dict.fromkeys((repo, scope_action, "metadata/read"))])
            show = shell_join(["az", "acr", "token", "show", "--name", "TOKEN_NAME", "--registry", reg.name])
            notes.append(
                "If the caller signs in with a repository-scoped token, add the action to the token's scope map "
                f"instead: `{update}` (`{show}` names its scope map)."
            )
        return Fix(summary=summary, actions=actions, notes=tuple(notes))


def missing_delete(errors: Iterable[CollectionError]) -> list[tuple[Missing, CollectionError]]:
    """Each distinct 'delete' the caller was refused, with the first error that said so: the data-plane delete
    (``type`` repository or None) and ARM's registry delete (``type`` "arm"). A pre-flight blocks the deletes they
    cover with the same knowledge this check reports."""
    out: dict[Missing, CollectionError] = {}
    for error in errors:
        for missing in missing_permissions(error):
            if missing.action == "delete" or missing.action.lower().endswith("/registries/delete"):
                out.setdefault(missing, error)
    return list(out.items())


def permission_errors(errors: Iterable[CollectionError]) -> list[CollectionError]:
    """Errors this check explains; other checks and ``explain`` use it to avoid double reporting."""
    return [e for e in errors if missing_permissions(e)]
