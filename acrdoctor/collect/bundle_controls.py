"""Reading the schema-2 files of a bundle: locks, the caller and its roles, tokens, tasks, cache rules, connected
registries and soft-deleted manifests (``docs/bundle.md``, "Azure-side controls").

Kept apart from :mod:`acrdoctor.collect.bundle` (registry and repository content) so each stays small. The rules
are the bundle's: a missing file is a part not collected, an error file beside it is a recorded collection error,
a file that is there but foreign is an error naming the file. Rows are shaped by
:mod:`acrdoctor.collect.control_shapes`, as the live collector's are, so both give the same snapshot. A bundle has
no paging record (az pages by itself and says nothing about how a listing ended): ``listings`` stays absent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from acrdoctor.collect.control_shapes import (
    cache_rule_rows,
    caller_from_claims,
    connected_registry_rows,
    deleted_rows,
    guid_of,
    lock_rows,
    role_assignment_rows,
    role_definition_row,
    scope_map_rows,
    task_row,
    token_rows,
)
from acrdoctor.model import Part


class BundleFiles(Protocol):
    """What this module needs of the bundle reader (:class:`acrdoctor.collect.bundle._Reader`)."""

    def json(self, rel: str) -> Any: ...

    def failed(self, rel: str, part: Part, operation: str, repository: str | None = None) -> None: ...

    def foreign(self, rel: str, expected: str, found: Any) -> Exception: ...

    def record(self, error_rel: str, part: Part, operation: str, repository: str | None = None) -> None: ...

    def items(self, rel: str, value: Any, command: str, rest_key: str, ok: Callable[[Any], bool],
              what: str) -> list[Any]: ...

#: ``az lock list`` at the registry, its resource group and its subscription.
LOCK_FILES = {"registry": "locks-registry.json", "resourceGroup": "locks-resource-group.json",
              "subscription": "locks-subscription.json"}
CALLER = "caller.json"  # az account show --query user
PRINCIPAL = "principal.json"  # az ad signed-in-user show / az ad sp show --id <appId>
ROLE_ASSIGNMENTS = "role-assignments.json"
ROLE_DEFINITIONS_DIR = "role-definitions"  # <guid>.json: az role definition list --name <guid>
TOKENS = "tokens.json"
SCOPE_MAPS = "scope-maps.json"
TASKS = "tasks.json"
TASKS_DIR = "tasks"  # <name>.json: az acr task show
CACHE_RULES = "cache-rules.json"
CONNECTED_REGISTRIES = "connected-registries.json"
DELETED_REPOSITORIES = "deleted-repositories.json"  # az acr repository list-deleted
DELETED_MANIFESTS = "deleted-manifests.json"  # repositories/<repo>/: az acr manifest list-deleted
#: Left in ``role-definitions/`` or ``tasks/`` when listing the items whose files to fetch failed.
LIST_ERROR = "list.error.txt"


def _applies(scope: str, registry_id: str) -> bool:
    """Whether an assignment at ``scope`` reaches the registry: at it, above it, or at a management group/root.

    ``az role assignment list --all`` also lists the caller's assignments on other resources of the
    subscription; only these apply (management groups hold subscriptions, and which ones az does not say).
    """
    s, r = scope.rstrip("/").lower(), registry_id.rstrip("/").lower()
    return s in ("", "/") or r == s or r.startswith(s + "/") or s.startswith("/providers/microsoft.management/")


class ControlsReader:
    """Reads the controls files of one bundle into snapshot keys; errors go to the bundle reader's list."""

    def __init__(self, r: BundleFiles, registry: Mapping[str, Any]) -> None:
        self.r = r
        self.registry_id = registry.get("id") or ""
        policies = registry.get("policies") or {}
        self.soft_delete = (policies.get("softDeletePolicy") or {}).get("status") == "enabled"
        self.partial: set[str] = set()

    def rows(self, rel: str, part: Part, operation: str, command: str) -> list[Any] | None:
        """The list a command printed, or None (recording its error) when the file is not there."""
        value = self.r.json(rel)
        if value is None:
            self.r.failed(rel, part, operation)
            return None
        return self.r.items(rel, value, command, "value", lambda v: isinstance(v, Mapping), "objects")

    def read(self, names: list[str] | None) -> dict[str, Any]:
        doc: dict[str, Any] = {}
        self._locks(doc)
        self._access(doc)
        lists: tuple[tuple[str, str, Part, str, Callable[[Any], list[dict[str, Any]]]], ...] = (
            ("tokens", TOKENS, Part.TOKENS, "az acr token list", token_rows),
            ("scope_maps", SCOPE_MAPS, Part.TOKENS, "az acr scope-map list", scope_map_rows),
            ("cache_rules", CACHE_RULES, Part.CACHE_RULES, "az acr cache list", cache_rule_rows),
            ("connected_registries", CONNECTED_REGISTRIES, Part.CONNECTED_REGISTRIES,
             "az acr connected-registry list", connected_registry_rows),
        )
        for key, rel, part, command, shape in lists:
            rows = self.rows(rel, part, f"list_{key}", command)
            if rows is not None:
                doc[key] = shape(rows)
        self._tasks(doc)
        self._deleted(doc, names or [])
        return doc

    def _locks(self, doc: dict[str, Any]) -> None:
        found: list[Any] = []
        read = 0
        for rel in LOCK_FILES.values():
            rows = self.rows(rel, Part.RESOURCE_LOCKS, "list_locks", "az lock list")
            if rows is not None:
                read += 1
                found += rows
        if read:
            doc["resource_locks"] = lock_rows(found, self.registry_id)
            if read < len(LOCK_FILES):
                self.partial.add(Part.RESOURCE_LOCKS.value)

    def _access(self, doc: dict[str, Any]) -> None:
        user = self.r.json(CALLER)
        if user is None:
            self.r.failed(CALLER, Part.ROLE_ASSIGNMENTS, "read_caller")
            return
        if not isinstance(user, Mapping):
            raise self.r.foreign(CALLER, "az account show --query user output (an object with \"name\" and "
                                 "\"type\")", type(user).__name__)
        principal = self.r.json(PRINCIPAL)
        if principal is None:
            self.r.failed(PRINCIPAL, Part.ROLE_ASSIGNMENTS, "read_caller")
        oid = principal.get("id") if isinstance(principal, Mapping) else None
        is_user = str(user.get("type", "")).lower() == "user"
        claims = {"oid": oid, "idtyp": "user" if is_user else "app",
                  "upn" if is_user else "appid": user.get("name")}
        caller = caller_from_claims(claims)
        if caller["kind"] == "unknown" and user.get("name"):
            caller = {"kind": "entra", "principalType": "User" if is_user else "ServicePrincipal",
                      "name": user["name"]}
        doc["caller"] = caller
        if not oid:
            return
        items = self.rows(ROLE_ASSIGNMENTS, Part.ROLE_ASSIGNMENTS, "list_role_assignments",
                          "az role assignment list")
        if items is None:
            return
        rows = [a for a in role_assignment_rows(items) if _applies(a["scope"], self.registry_id)]
        self.r.record(f"{ROLE_DEFINITIONS_DIR}/{LIST_ERROR}", Part.ROLE_ASSIGNMENTS, "get_role_definition")
        definitions = []
        for guid in sorted({guid_of(a["roleDefinitionId"]) for a in rows}):
            rel = f"{ROLE_DEFINITIONS_DIR}/{guid}.json"
            found = self.rows(rel, Part.ROLE_ASSIGNMENTS, "get_role_definition", "az role definition list")
            shaped = [d for d in (role_definition_row(x) for x in found or []) if d is not None]
            if not shaped:
                return  # an assignment whose rights are unknown: the part is not collected
            definitions.append(shaped[0])
        doc["role_assignments"] = rows
        doc["role_definitions"] = definitions

    def _tasks(self, doc: dict[str, Any]) -> None:
        items = self.rows(TASKS, Part.TASKS, "list_tasks", "az acr task list")
        if items is None:
            return
        self.r.record(f"{TASKS_DIR}/{LIST_ERROR}", Part.TASKS, "get_task")
        out = []
        for item in items:
            detail = self.r.json(f"{TASKS_DIR}/{item.get('name')}.json") if isinstance(item.get("name"), str) \
                and "/" not in item["name"] else None
            row = task_row(detail if isinstance(detail, Mapping) else item)
            if row is not None:
                out.append(row)
        doc["tasks"] = sorted(out, key=lambda t: t["name"])

    def _deleted(self, doc: dict[str, Any], names: list[str]) -> None:
        if not self.soft_delete:
            doc["deleted_artifacts"] = []  # ACR keeps nothing soft-deleted with the policy off (as live)
            return
        repos = set(names)
        listed = self.r.json(DELETED_REPOSITORIES)
        if listed is None:
            self.r.failed(DELETED_REPOSITORIES, Part.DELETED_ARTIFACTS, "list_deleted_repositories")
        else:
            repos |= set(self.r.items(DELETED_REPOSITORIES, listed, "az acr repository list-deleted", "repositories",
                                      lambda v: isinstance(v, str) and bool(v), "repository names"))
        rows: list[dict[str, Any]] = []
        read = missing = 0
        for repo in sorted(repos):
            rel = f"repositories/{repo}/{DELETED_MANIFESTS}"
            value = self.r.json(rel)
            if value is None:
                self.r.failed(rel, Part.DELETED_ARTIFACTS, "list_deleted_manifests")
                missing += 1
                continue
            read += 1
            rows += deleted_rows(repo, self.r.items(rel, value, "az acr manifest list-deleted", "manifests",
                                                    lambda v: isinstance(v, Mapping), "objects"))
        if not read and listed is None:
            return  # nothing of it in the bundle: not collected
        if missing or listed is None:
            self.partial.add(Part.DELETED_ARTIFACTS.value)
        doc["deleted_artifacts"] = rows

