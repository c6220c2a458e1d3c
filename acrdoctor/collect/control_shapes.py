"""Turning the ARM objects around a registry into the snapshot's schema-2 rows, whatever form they arrive in.

The same lock, token or task reaches acrdoctor as raw REST JSON (``properties`` wrapper), as the management
SDK's ``as_dict()`` (the wire keys, wrapped) or as ``az`` output (flattened). As in
:mod:`acrdoctor.collect.arm_shapes`, every function accepts all three, so the live collector and the bundle
reader produce the same rows. The row keys are the snapshot's (:mod:`acrdoctor.controls_io`).

Wire field names and their sources:

* locks (``Microsoft.Authorization/locks``, api-version 2020-05-01; ``az lock list``): ``name``, ``id``,
  ``properties.level`` (``CanNotDelete``/``ReadOnly``), ``properties.notes``. A lock's scope is its id up to
  ``/providers/Microsoft.Authorization/locks/`` (ARM resource id grammar).
* role assignments (``Microsoft.Authorization/roleAssignments`` 2022-04-01; ``az role assignment list``):
  ``properties.roleDefinitionId``, ``scope``, ``principalId``, ``principalType``, ``condition``,
  ``conditionVersion``; az adds ``roleDefinitionName``.
* role definitions (2022-04-01; ``az role definition list``): ``properties.roleName``, ``type`` (az: ``roleType``),
  ``permissions[].actions/notActions/dataActions/notDataActions``.
* tokens / scope maps (Microsoft.ContainerRegistry 2025-11-01): ``properties.scopeMapId``, ``status``;
  ``properties.actions``.
* tasks (Microsoft.ContainerRegistry ``registries/tasks``; types in Azure/bicep-types-az
  ``generated/containerregistry/microsoft.containerregistry/2019-06-01-preview/types.md``): ``properties.status``,
  ``properties.step.type`` (``Docker``, ``EncodedTask``, ``FileTask``) with ``encodedTaskContent`` (base64 YAML),
  ``properties.trigger.timerTriggers[].{name, schedule, status}``, ``identity.{type, principalId,
  userAssignedIdentities}``, ``properties.credentials.sourceRegistry.loginMode``; ``credentials.sourceRegistry
  .identity`` (what ``az acr task update --source-acr-auth-id`` sets) from API 2025-03-01-preview on
  (azure-mgmt-containerregistrytasks 1.0.0b1 ``SourceRegistryCredentials``, which az 2.91 prints).
* cache rules (2025-11-01; ``az acr cache list``): ``sourceRepository``, ``targetRepository``,
  ``credentialSetResourceId``, ``provisioningState``.
* connected registries (2025-11-01; ``az acr connected-registry list``): ``mode``, ``connectionState``,
  ``provisioningState``, ``clientTokenIds``, ``parent.id``, ``parent.syncProperties.tokenId``.
* soft-deleted manifests (data plane ``GET /acr/v1/_deleted/<repo>/_manifests``, items under ``manifests``, as
  azure-cli's ``acr/manifest.py`` ``acr_manifest_deleted_list`` reads them): ``digest``, ``deletedAt``; ``tags``,
  ``mediaType`` and ``imageSize`` are taken when present (not verified on the wire).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from typing import Any

from acrdoctor.collect.arm_shapes import arm_properties

LOCK_PROVIDER = "/providers/microsoft.authorization/locks/"


def _clean(d: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None and v != [] and v != {}}


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def _strs(v: Any) -> list[str]:
    return [x for x in v if isinstance(x, str)] if isinstance(v, list) else []


def rows_of(value: Any) -> list[Mapping[str, Any]]:
    """A list as az prints it, or the REST page ``{"value": [...]}``; non-objects are dropped."""
    rows = value.get("value") if isinstance(value, Mapping) else value
    return [r for r in rows or [] if isinstance(r, Mapping)] if isinstance(rows, list) else []


# -- locks ------------------------------------------------------------------------------------------------


def scope_ids(registry_id: str) -> dict[str, str]:
    """The three scopes whose locks apply to a registry, by the snapshot's scope names (ids lower-cased)."""
    parts = registry_id.split("/")
    # /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerRegistry/registries/{name}
    sub = "/".join(parts[:3])
    group = "/".join(parts[:5])
    return {"registry": registry_id.lower().rstrip("/"), "resourceGroup": group.lower(), "subscription": sub.lower()}


def lock_scope(lock_id: str, scopes: Mapping[str, str]) -> str | None:
    """Which of the registry's scopes a lock sits at, or None for a lock elsewhere (a sibling resource's).

    Listing locks at a resource group also returns the locks of every resource in it; only the registry's own,
    its group's and its subscription's apply to the registry. A lock on a resource *below* the registry (a
    replication) is left out too: the snapshot has no scope for it.
    """
    low = lock_id.lower()
    cut = low.find(LOCK_PROVIDER)
    if cut < 0:
        return None
    at = low[:cut].rstrip("/")
    for name, sid in scopes.items():
        if at == sid:
            return name
    return None


def lock_rows(items: Iterable[Mapping[str, Any]], registry_id: str) -> list[dict[str, Any]]:
    """Snapshot ``resource_locks`` rows from locks listed at one or more scopes, de-duplicated by id."""
    scopes = scope_ids(registry_id)
    out: dict[str, dict[str, Any]] = {}
    for obj in items:
        p = arm_properties(obj)
        lid, name, level = _str(obj.get("id")), _str(obj.get("name")), _str(p.get("level"))
        if not (lid and name and level):
            continue
        scope = lock_scope(lid, scopes)
        if scope is None or lid.lower() in out:
            continue
        out[lid.lower()] = _clean({"name": name, "level": level, "scope": scope, "id": lid,
                                   "notes": _str(p.get("notes"))})
    order = {"registry": 0, "resourceGroup": 1, "subscription": 2}
    return sorted(out.values(), key=lambda r: (order[r["scope"]], r["name"]))


# -- access -----------------------------------------------------------------------------------------------


def role_assignment_rows(items: Iterable[Mapping[str, Any]],
                         names: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Snapshot ``role_assignments`` rows; ``names`` maps a definition's GUID to its role name (az prints it)."""
    out = []
    for obj in items:
        p = arm_properties(obj)
        rd = _str(p.get("roleDefinitionId"))
        scope = _str(p.get("scope"))
        if not (rd and scope):
            continue
        name = _str(p.get("roleDefinitionName")) or (names or {}).get(guid_of(rd))
        out.append(_clean({"id": _str(obj.get("id")), "scope": scope, "roleDefinitionId": rd,
                           "roleDefinitionName": name, "principalId": _str(p.get("principalId")),
                           "principalType": _str(p.get("principalType")), "condition": _str(p.get("condition")),
                           "conditionVersion": _str(p.get("conditionVersion"))}))
    return out


def guid_of(definition_id: str) -> str:
    """The GUID at the end of a role definition id (ids differ in their subscription prefix, never in it)."""
    return definition_id.rstrip("/").rsplit("/", 1)[-1].lower()


def role_definition_row(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    p = arm_properties(obj)
    did, name = _str(obj.get("id")), _str(p.get("roleName"))
    if not (did and name):
        return None
    role_type = _str(p.get("roleType")) or (_str(p.get("type")) if "properties" in obj else None)
    if role_type and "/" in role_type:  # REST ``type`` is the resource type when not wrapped
        role_type = None
    perms = []
    for perm in p.get("permissions") or []:
        if isinstance(perm, Mapping):
            perms.append(_clean({"actions": _strs(perm.get("actions")), "notActions": _strs(perm.get("notActions")),
                                 "dataActions": _strs(perm.get("dataActions")),
                                 "notDataActions": _strs(perm.get("notDataActions"))}))
    return _clean({"id": did, "roleName": name, "roleType": role_type, "permissions": perms})


def jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, decoded without verifying it (they only say who we are, to ask ARM about it)."""
    import json

    parts = token.split(".")
    if len(parts) < 2:
        return {}
    try:
        raw = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(raw)
    except (ValueError, binascii.Error):
        return {}
    return claims if isinstance(claims, dict) else {}


def caller_from_claims(claims: Mapping[str, Any]) -> dict[str, Any]:
    """The snapshot ``caller`` from Entra ID access-token claims.

    ``oid`` is the object id role assignments name; ``idtyp`` (``user``/``app``, an optional claim of v1 and v2
    tokens) says what it is, and without it a ``upn``/``unique_name`` means a user, an ``appid`` alone an
    application (a service principal or managed identity). Source: Microsoft identity platform access token
    claims reference (learn.microsoft.com/entra/identity-platform/access-token-claims-reference).
    """
    oid = _str(claims.get("oid"))
    if not oid:
        return {"kind": "unknown"}
    user_name = _str(claims.get("upn")) or _str(claims.get("unique_name")) or _str(claims.get("preferred_username"))
    idtyp = (_str(claims.get("idtyp")) or "").lower()
    kind = "User" if idtyp == "user" or (not idtyp and user_name) else "ServicePrincipal"
    return _clean({"kind": "entra", "principalId": oid, "principalType": kind,
                   "name": user_name if kind == "User" else (_str(claims.get("appid")) or user_name)})


# -- tokens, scope maps, cache rules, connected registries ------------------------------------------------


def token_rows(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for obj in items:
        p = arm_properties(obj)
        if _str(obj.get("name")):
            out.append(_clean({"name": obj["name"], "id": _str(obj.get("id")), "scopeMapId": _str(p.get("scopeMapId")),
                               "status": _str(p.get("status"))}))
    return out


def scope_map_rows(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for obj in items:
        p = arm_properties(obj)
        if _str(obj.get("name")):
            out.append({"name": obj["name"], **_clean({"id": _str(obj.get("id"))}),
                        "actions": _strs(p.get("actions"))})
    return out


def cache_rule_rows(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for obj in items:
        p = arm_properties(obj)
        name, src, dst = _str(obj.get("name")), _str(p.get("sourceRepository")), _str(p.get("targetRepository"))
        if name and src and dst:
            out.append(_clean({"name": name, "sourceRepository": src, "targetRepository": dst,
                               "credentialSetResourceId": _str(p.get("credentialSetResourceId")),
                               "provisioningState": _str(p.get("provisioningState"))}))
    return out


def connected_registry_rows(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for obj in items:
        p = arm_properties(obj)
        if not _str(obj.get("name")):
            continue
        parent = p.get("parent") if isinstance(p.get("parent"), Mapping) else {}
        sync = parent.get("syncProperties") if isinstance(parent.get("syncProperties"), Mapping) else {}
        out.append(_clean({"name": obj["name"], "id": _str(obj.get("id")), "mode": _str(p.get("mode")),
                           "connectionState": _str(p.get("connectionState")),
                           "provisioningState": _str(p.get("provisioningState")),
                           "syncTokenId": _str(sync.get("tokenId")), "clientTokenIds": _strs(p.get("clientTokenIds")),
                           "parentId": _str(parent.get("id"))}))
    return out


# -- tasks ------------------------------------------------------------------------------------------------

_CMD = re.compile(r"^(?P<indent>\s*)(?:-\s+)?cmd:\s*(?P<value>.*?)\s*$")


def task_commands(yaml_text: str) -> list[str]:
    """The ``cmd:`` steps of an ACR task YAML (``az acr task create --cmd`` writes one), in order.

    A line scan, not a YAML parser: task files are small and regular, and acrdoctor only needs the command
    text to recognise ``acr purge``. Block scalars (``cmd: |`` / ``cmd: >``) are joined into one line.
    """
    out: list[str] = []
    lines = yaml_text.splitlines()
    i = 0
    while i < len(lines):
        m = _CMD.match(lines[i])
        i += 1
        if not m:
            continue
        value = m.group("value")
        if value[:1] in ("|", ">"):
            indent = len(m.group("indent"))
            block = []
            while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent + 2):
                if lines[i].strip():
                    block.append(lines[i].strip())
                i += 1
            value = " ".join(block)
        elif len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        if value:
            out.append(value)
    return out


def decode_task_content(encoded: str) -> str | None:
    try:
        return base64.b64decode(encoded, validate=False).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def task_row(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    """A snapshot ``tasks`` row from one task (REST/SDK or ``az acr task show`` output)."""
    name = _str(obj.get("name"))
    if not name:
        return None
    p = arm_properties(obj)
    step = p.get("step") if isinstance(p.get("step"), Mapping) else {}
    yaml_text = None
    encoded = _str(step.get("encodedTaskContent"))
    if encoded:
        yaml_text = decode_task_content(encoded)
    trigger = p.get("trigger") if isinstance(p.get("trigger"), Mapping) else {}
    timers = []
    for t in trigger.get("timerTriggers") or []:
        if isinstance(t, Mapping) and _str(t.get("name")) and _str(t.get("schedule")):
            timers.append(_clean({"name": t["name"], "schedule": t["schedule"], "status": _str(t.get("status"))}))
    identity = obj.get("identity") if isinstance(obj.get("identity"), Mapping) else {}
    principals = [identity["principalId"]] if _str(identity.get("principalId")) else []
    users = identity.get("userAssignedIdentities")
    if isinstance(users, Mapping):
        principals += [u["principalId"] for u in users.values()
                       if isinstance(u, Mapping) and _str(u.get("principalId"))]
    id_type = _str(identity.get("type"))
    creds = p.get("credentials") if isinstance(p.get("credentials"), Mapping) else {}
    source = creds.get("sourceRegistry") if isinstance(creds.get("sourceRegistry"), Mapping) else {}
    return _clean({
        "name": name, "id": _str(obj.get("id")), "status": _str(p.get("status")), "stepType": _str(step.get("type")),
        "commands": task_commands(yaml_text) if yaml_text else [], "taskYaml": yaml_text,
        "timerTriggers": timers,
        "identity": _clean({"type": id_type if id_type and id_type.lower() != "none" else None,
                            "principalIds": principals}),
        "sourceRegistryIdentity": _str(source.get("identity")),
        "sourceRegistryLoginMode": _str(source.get("loginMode")),
    })


# -- soft-deleted manifests -------------------------------------------------------------------------------


def deleted_rows(repository: str, items: Iterable[Any]) -> list[dict[str, Any]]:
    """Snapshot ``deleted_artifacts`` rows from a ``_deleted/<repo>/_manifests`` listing (or its az output)."""
    out = []
    for m in items:
        if not isinstance(m, Mapping) or not _str(m.get("digest")):
            continue
        size = m.get("imageSize")
        out.append(_clean({"repository": repository, "digest": m["digest"], "tags": _strs(m.get("tags")),
                           "deletedTime": _str(m.get("deletedAt")) or _str(m.get("deletedTime")),
                           "imageSize": size if isinstance(size, int) and not isinstance(size, bool) else None,
                           "mediaType": _str(m.get("mediaType"))}))
    return out
