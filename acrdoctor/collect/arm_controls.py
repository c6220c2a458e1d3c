"""Collecting the schema-2 ARM parts: locks, the caller's access, tokens, tasks, cache rules, connected registries.

Kept out of :mod:`acrdoctor.collect.live` so that module stays the orchestration. Everything here is a GET
through the management client's own pipeline, so the capped retry and ``--max-wait`` apply to these calls as to
every other: tokens, scope maps, cache rules and connected registries through the SDK's operation groups
(azure-mgmt-containerregistry 15, API 2025-11-01); locks, role assignments, role definitions and tasks, which that
SDK does not cover, as raw ARM requests (``client.send_request``) at the API versions noted on each constant.
The rows are shaped by :mod:`acrdoctor.collect.control_shapes`, which the bundle reader shares.

A part whose read fails is recorded in ``errors`` and left out (not collected), never written as empty. Locks are
read at three scopes; when only some answer, the rows found are kept and the part is marked partial: a lower
bound, not "no locks".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

from acrdoctor.azure.failures import error_doc
from acrdoctor.azure.waits import WaitTooLong
from acrdoctor.collect.control_shapes import (
    cache_rule_rows,
    caller_from_claims,
    connected_registry_rows,
    guid_of,
    jwt_claims,
    lock_rows,
    role_assignment_rows,
    role_definition_row,
    rows_of,
    scope_ids,
    scope_map_rows,
    task_row,
    token_rows,
)
from acrdoctor.model import Part

#: Microsoft.Authorization/locks (the version ``az lock`` uses).
LOCKS_API = "2020-05-01"
#: Microsoft.Authorization/roleAssignments and roleDefinitions (``assignedTo()`` filter, ABAC conditions).
AUTHORIZATION_API = "2022-04-01"
#: Microsoft.ContainerRegistry/registries/tasks: the version az 2.91's ``az acr task`` uses
#: (azure-mgmt-containerregistrytasks 1.0.0b1), the first whose ``credentials.sourceRegistry`` carries ``identity``
#: (what ``az acr task update --source-acr-auth-id`` sets); 2019-06-01-preview has only ``loginMode``.
TASKS_API = "2025-03-01-preview"
#: The audience of an ARM token: its claims name the caller.
ARM_SCOPE = "https://management.azure.com/.default"

#: Page cap for raw ARM listings: a ``nextLink`` chain longer than this is a service fault, not data.
_MAX_PAGES = 1000

Errors = list[dict[str, Any]]


def arm_get(client: Any, url: str) -> Any:
    """One GET through the management client's pipeline; an error status raises as the SDK's calls do."""
    from azure.core.rest import HttpRequest  # imported here for start-up speed, as the SDK itself

    response = client.send_request(HttpRequest("GET", url))
    response.raise_for_status()
    return response.json()


def arm_list(client: Any, url: str) -> Iterator[dict[str, Any]]:
    """Every item of a raw ARM listing, following ``nextLink``."""
    seen: set[str] = set()
    for _ in range(_MAX_PAGES):
        page = arm_get(client, url)
        yield from rows_of(page)
        url = page.get("nextLink") if isinstance(page, dict) else None
        if not url or url in seen:
            return
        seen.add(url)


def collect_controls(client: Any, credential: Any, doc: dict[str, Any], parts: frozenset[Part],
                     rg: str, name: str) -> tuple[Errors, set[str]]:
    """Add the schema-2 ARM parts asked for to ``doc``; return the errors and the parts that are partial."""
    errors: Errors = []
    partial: set[str] = set()
    registry_id = doc["registry"].get("id") or ""
    ops: list[str] = doc.setdefault("operations", [])

    def attempt(part: Part, operation: str, call: Callable[[], Any]) -> Any:
        if operation not in ops:
            ops.append(operation)
        try:
            return call()
        except WaitTooLong:
            raise
        except Exception as err:  # noqa: BLE001 - recorded; the checks needing the part are skipped
            errors.append(error_doc(part, err, operation=operation))
            return None

    if Part.RESOURCE_LOCKS in parts:
        found: list[dict[str, Any]] = []
        answered = 0
        for scope in scope_ids(registry_id).values():
            items = attempt(Part.RESOURCE_LOCKS, "list_locks",
                            lambda s=scope: list(arm_list(client, f"{s}/providers/Microsoft.Authorization/locks"
                                                                  f"?api-version={LOCKS_API}")))
            if items is not None:
                answered += 1
                found += items
        if answered:
            doc["resource_locks"] = lock_rows(found, registry_id)
            if answered < 3:
                partial.add(Part.RESOURCE_LOCKS.value)
    if Part.ROLE_ASSIGNMENTS in parts:
        _access(client, credential, doc, registry_id, attempt)
    sdk_lists: dict[Part, list[tuple[str, str, Callable[[], Any], Callable[[Any], list[dict[str, Any]]]]]] = {
        Part.TOKENS: [("tokens", "list_tokens", lambda: client.tokens.list(rg, name), token_rows),
                      ("scope_maps", "list_scope_maps", lambda: client.scope_maps.list(rg, name), scope_map_rows)],
        Part.CACHE_RULES: [("cache_rules", "list_cache_rules", lambda: client.cache_rules.list(rg, name),
                            cache_rule_rows)],
        Part.CONNECTED_REGISTRIES: [("connected_registries", "list_connected_registries",
                                     lambda: client.connected_registries.list(rg, name), connected_registry_rows)],
    }
    for part, reads in sdk_lists.items():
        if part not in parts:
            continue
        for key, operation, call, shape in reads:
            rows = attempt(part, operation, lambda c=call, s=shape: s([x.as_dict() for x in c()]))
            if rows is not None:
                doc[key] = rows
    if Part.TASKS in parts:
        tasks = attempt(Part.TASKS, "list_tasks", lambda: _tasks(client, registry_id))
        if tasks is not None:
            doc["tasks"] = tasks
    return errors, partial


def _tasks(client: Any, registry_id: str) -> list[dict[str, Any]]:
    """Every task, each read again on its own: a listing may leave a step's encoded content out."""
    out = []
    for item in arm_list(client, f"{registry_id}/tasks?api-version={TASKS_API}"):
        full = item
        if item.get("id"):
            full = arm_get(client, f"{item['id']}?api-version={TASKS_API}")
        row = task_row(full)
        if row is not None:
            out.append(row)
    return sorted(out, key=lambda r: r["name"])


def _access(client: Any, credential: Any, doc: dict[str, Any], registry_id: str,
            attempt: Callable[[Part, str, Callable[[], Any]], Any]) -> None:
    """The caller (from its ARM token's claims) and its role assignments at the registry and above.

    ``assignedTo('<oid>')`` returns the assignments of the principal and of the groups it is in, at the scope
    and above it (Azure RBAC REST documentation, "List Azure role assignments using the REST API").
    """
    caller = attempt(Part.ROLE_ASSIGNMENTS, "read_caller",
                     lambda: caller_from_claims(jwt_claims(credential.get_token(ARM_SCOPE).token)))
    if caller is None:
        return
    doc["caller"] = caller
    oid = caller.get("principalId")
    if not oid:
        return  # no object id (not an Entra token): whose assignments to list is unknown, so none are
    flt = quote("assignedTo('" + oid + "')", safe="")
    url = (f"{registry_id}/providers/Microsoft.Authorization/roleAssignments"
           f"?$filter={flt}&api-version={AUTHORIZATION_API}")
    items = attempt(Part.ROLE_ASSIGNMENTS, "list_role_assignments", lambda: list(arm_list(client, url)))
    if items is None:
        return
    definitions: dict[str, dict[str, Any]] = {}
    for ref in sorted({a["roleDefinitionId"] for a in role_assignment_rows(items)}):
        got = attempt(Part.ROLE_ASSIGNMENTS, "get_role_definition",
                      lambda r=ref: role_definition_row(arm_get(client, f"{r}?api-version={AUTHORIZATION_API}")))
        if got is None:
            return  # an assignment whose rights are unknown: the part is not collected
        definitions[guid_of(ref)] = got
    doc["role_assignments"] = role_assignment_rows(
        items, {g: d["roleName"] for g, d in definitions.items()})
    doc["role_definitions"] = list(definitions.values())
