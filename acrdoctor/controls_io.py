"""Reading and writing the schema-2 parts of a snapshot (the types of :mod:`acrdoctor.controls`).

Kept apart from :mod:`acrdoctor.snapshot_io` because these parts are small (tens of rows, not millions) and read
with the plain typed accessors; the hot path for manifests stays where it is. Every reader names the JSON path of
a wrong value, as the rest of the snapshot reader does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from acrdoctor.controls import (
    Access,
    CacheRule,
    Caller,
    ConnectedRegistry,
    DeletedArtifact,
    ListingRecord,
    Listings,
    RegistryToken,
    ResourceLock,
    RoleAssignment,
    RoleDefinition,
    RolePermission,
    ScopeMap,
    Task,
    TimerTrigger,
)
from acrdoctor.errors import SnapshotError
from acrdoctor.json_fields import JsonFields

T = TypeVar("T")


R = JsonFields
_obj = R.obj
_str = R.string
_int = R.integer
_strs = R.strings


def _req(d: Mapping[str, Any], key: str, path: str) -> str:
    v = R.string(d, key, path, required=True)
    assert v is not None
    return v


def _bool(d: Mapping[str, Any], key: str, path: str, required: bool = False) -> bool | None:
    v = R.boolean(d, key, path)
    if v is None and required:
        raise SnapshotError(f"{path}: missing required field '{key}'")
    return v


def _rows(doc: Mapping[str, Any], key: str, read: Callable[[Mapping[str, Any], str], T]) -> tuple[T, ...] | None:
    """A top-level array part: ``None`` when absent (not collected), else every row read."""
    v = doc.get(key)
    if v is None:
        return None
    if not isinstance(v, list):
        raise SnapshotError(f"{key}: expected an array")
    return tuple(read(_obj(row, f"{key}[{i}]"), f"{key}[{i}]") for i, row in enumerate(v))


def _lock(d: Mapping[str, Any], path: str) -> ResourceLock:
    level = _req(d, "level", path)
    if level.lower() not in ("cannotdelete", "readonly"):
        raise SnapshotError(f"{path}.level: expected CanNotDelete or ReadOnly, found {level!r}")
    scope = _req(d, "scope", path)
    if scope not in ("registry", "resourceGroup", "subscription"):
        raise SnapshotError(f"{path}.scope: expected registry, resourceGroup or subscription, found {scope!r}")
    return ResourceLock(_req(d, "name", path), level, scope, _str(d, "id", path), _str(d, "notes", path))


def _assignment(d: Mapping[str, Any], path: str) -> RoleAssignment:
    return RoleAssignment(
        role_definition_id=_req(d, "roleDefinitionId", path), scope=_req(d, "scope", path),
        role_name=_str(d, "roleDefinitionName", path), principal_id=_str(d, "principalId", path),
        principal_type=_str(d, "principalType", path), condition=_str(d, "condition", path),
        condition_version=_str(d, "conditionVersion", path), id=_str(d, "id", path))


def _definition(d: Mapping[str, Any], path: str) -> RoleDefinition:
    perms = d.get("permissions") or []
    if not isinstance(perms, list):
        raise SnapshotError(f"{path}.permissions: expected an array")
    permissions = []
    for i, p in enumerate(perms):
        pp = _obj(p, f"{path}.permissions[{i}]")
        where = f"{path}.permissions[{i}]"
        permissions.append(RolePermission(_strs(pp, "actions", where), _strs(pp, "notActions", where),
                                          _strs(pp, "dataActions", where), _strs(pp, "notDataActions", where)))
    return RoleDefinition(_req(d, "id", path), _req(d, "roleName", path), tuple(permissions),
                          _str(d, "roleType", path))


def _task(d: Mapping[str, Any], path: str) -> Task:
    timers_raw = d.get("timerTriggers") or []
    if not isinstance(timers_raw, list):
        raise SnapshotError(f"{path}.timerTriggers: expected an array")
    timers = []
    for i, raw in enumerate(timers_raw):
        where = f"{path}.timerTriggers[{i}]"
        t = _obj(raw, where)
        timers.append(TimerTrigger(_req(t, "name", where), _req(t, "schedule", where), _str(t, "status", where)))
    identity = _obj(d.get("identity") or {}, f"{path}.identity")
    return Task(
        name=_req(d, "name", path), status=_str(d, "status", path), commands=_strs(d, "commands", path),
        step_type=_str(d, "stepType", path), task_yaml=_str(d, "taskYaml", path), timers=tuple(timers),
        identity_type=_str(identity, "type", f"{path}.identity"),
        identity_principal_ids=_strs(identity, "principalIds", f"{path}.identity"),
        source_registry_identity=_str(d, "sourceRegistryIdentity", path),
        source_registry_login_mode=_str(d, "sourceRegistryLoginMode", path), id=_str(d, "id", path))


def _cache_rule(d: Mapping[str, Any], path: str) -> CacheRule:
    return CacheRule(_req(d, "name", path), _req(d, "sourceRepository", path), _req(d, "targetRepository", path),
                     _str(d, "credentialSetResourceId", path), _str(d, "provisioningState", path))


def _connected(d: Mapping[str, Any], path: str) -> ConnectedRegistry:
    return ConnectedRegistry(
        name=_req(d, "name", path), mode=_str(d, "mode", path), connection_state=_str(d, "connectionState", path),
        provisioning_state=_str(d, "provisioningState", path), sync_token_id=_str(d, "syncTokenId", path),
        client_token_ids=_strs(d, "clientTokenIds", path), parent_id=_str(d, "parentId", path),
        id=_str(d, "id", path))


def _deleted(d: Mapping[str, Any], path: str) -> DeletedArtifact:
    return DeletedArtifact(_req(d, "repository", path), _req(d, "digest", path), _strs(d, "tags", path),
                           _str(d, "deletedTime", path), _int(d, "imageSize", path), _str(d, "mediaType", path))


def _listings(doc: Mapping[str, Any]) -> Listings | None:
    v = doc.get("listings")
    if v is None:
        return None
    d = _obj(v, "listings")
    records = d.get("records") or []
    if not isinstance(records, list):
        raise SnapshotError("listings.records: expected an array")
    out = []
    for i, r in enumerate(records):
        path = f"listings.records[{i}]"
        rr = _obj(r, path)
        listing = _req(rr, "listing", path)
        if listing not in ("catalog", "manifests", "tags"):
            raise SnapshotError(f"{path}.listing: expected catalog, manifests or tags, found {listing!r}")
        complete = _bool(rr, "complete", path, required=True)
        assert complete is not None
        out.append(ListingRecord(listing, complete, _int(rr, "pages", path), _int(rr, "items", path),
                                 _int(rr, "expected", path), _str(rr, "repository", path), _str(rr, "reason", path)))
    checked = _bool(d, "checked", "listings")
    return Listings(bool(checked), tuple(out))


def _access(doc: Mapping[str, Any]) -> Access | None:
    caller_raw = doc.get("caller")
    assignments = _rows(doc, "role_assignments", _assignment)
    if caller_raw is None and assignments is None:
        return None
    c = _obj(caller_raw or {}, "caller")
    caller = Caller(kind=_str(c, "kind", "caller") or "unknown", principal_id=_str(c, "principalId", "caller"),
                    principal_type=_str(c, "principalType", "caller"), name=_str(c, "name", "caller"),
                    token_name=_str(c, "tokenName", "caller"))
    return Access(caller, assignments, _rows(doc, "role_definitions", _definition) or ())


def read_controls(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The schema-2 parts of a snapshot document, as keyword arguments of :class:`~acrdoctor.model.Snapshot`."""
    return {
        "resource_locks": _rows(doc, "resource_locks", _lock),
        "access": _access(doc),
        "tokens": _rows(doc, "tokens", lambda d, p: RegistryToken(_req(d, "name", p), _str(d, "scopeMapId", p),
                                                                  _str(d, "status", p), _str(d, "id", p))),
        "scope_maps": _rows(doc, "scope_maps", lambda d, p: ScopeMap(_req(d, "name", p), _strs(d, "actions", p),
                                                                     _str(d, "id", p))),
        "tasks": _rows(doc, "tasks", _task),
        "cache_rules": _rows(doc, "cache_rules", _cache_rule),
        "connected_registries": _rows(doc, "connected_registries", _connected),
        "deleted_artifacts": _rows(doc, "deleted_artifacts", _deleted),
        "listings": _listings(doc),
    }


# -- writing -------------------------------------------------------------------------------------------


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None and v != ()}


def _list(values: Sequence[str]) -> list[str] | None:
    return list(values) or None


def write_controls(s: Any) -> dict[str, Any]:
    """The schema-2 parts of snapshot ``s`` as document keys; parts not collected are left out."""
    doc: dict[str, Any] = {}
    if s.resource_locks is not None:
        doc["resource_locks"] = [_clean({"name": x.name, "level": x.level, "scope": x.scope, "id": x.id,
                                         "notes": x.notes}) for x in s.resource_locks]
    if s.access is not None:
        a: Access = s.access
        doc["caller"] = _clean({"kind": a.caller.kind, "principalId": a.caller.principal_id,
                                "principalType": a.caller.principal_type, "name": a.caller.name,
                                "tokenName": a.caller.token_name})
        if a.role_assignments is not None:
            doc["role_assignments"] = [_clean({
                "id": r.id, "scope": r.scope, "roleDefinitionId": r.role_definition_id,
                "roleDefinitionName": r.role_name, "principalId": r.principal_id, "principalType": r.principal_type,
                "condition": r.condition, "conditionVersion": r.condition_version}) for r in a.role_assignments]
        if a.role_definitions:
            doc["role_definitions"] = [_clean({
                "id": d.id, "roleName": d.role_name, "roleType": d.role_type,
                "permissions": [_clean({"actions": _list(p.actions), "notActions": _list(p.not_actions),
                                        "dataActions": _list(p.data_actions),
                                        "notDataActions": _list(p.not_data_actions)}) for p in d.permissions]})
                for d in a.role_definitions]
    if s.tokens is not None:
        doc["tokens"] = [_clean({"name": t.name, "id": t.id, "scopeMapId": t.scope_map_id, "status": t.status})
                         for t in s.tokens]
    if s.scope_maps is not None:
        doc["scope_maps"] = [_clean({"name": m.name, "id": m.id, "actions": list(m.actions)}) for m in s.scope_maps]
    if s.tasks is not None:
        doc["tasks"] = [_clean({
            "name": t.name, "id": t.id, "status": t.status, "stepType": t.step_type,
            "commands": _list(t.commands), "taskYaml": t.task_yaml,
            "timerTriggers": [_clean({"name": x.name, "schedule": x.schedule, "status": x.status})
                              for x in t.timers] or None,
            "identity": _clean({"type": t.identity_type, "principalIds": _list(t.identity_principal_ids)}) or None,
            "sourceRegistryIdentity": t.source_registry_identity,
            "sourceRegistryLoginMode": t.source_registry_login_mode}) for t in s.tasks]
    if s.cache_rules is not None:
        doc["cache_rules"] = [_clean({"name": c.name, "sourceRepository": c.source_repository,
                                      "targetRepository": c.target_repository,
                                      "credentialSetResourceId": c.credential_set_id,
                                      "provisioningState": c.provisioning_state}) for c in s.cache_rules]
    if s.connected_registries is not None:
        doc["connected_registries"] = [_clean({
            "name": c.name, "id": c.id, "mode": c.mode, "connectionState": c.connection_state,
            "provisioningState": c.provisioning_state, "syncTokenId": c.sync_token_id,
            "clientTokenIds": _list(c.client_token_ids), "parentId": c.parent_id}) for c in s.connected_registries]
    if s.deleted_artifacts is not None:
        doc["deleted_artifacts"] = [_clean({
            "repository": d.repository, "digest": d.digest, "tags": _list(d.tags), "deletedTime": d.deleted,
            "imageSize": d.image_size, "mediaType": d.media_type}) for d in s.deleted_artifacts]
    if s.listings is not None:
        doc["listings"] = {"checked": s.listings.checked, "records": [_clean({
            "listing": r.listing, "repository": r.repository, "complete": r.complete, "pages": r.pages,
            "items": r.items, "expected": r.expected, "reason": r.reason}) for r in s.listings.records]}
    return doc
