"""The fake registry's Azure-side controls: locks, role assignments, tokens, tasks, cache rules, connected registries.

A mixin of :class:`~acrdoctor.testing._state.FakeRegistry`, kept in its own module because these are ARM objects
around the registry rather than registry content. Everything is stored in the REST shape ARM answers with
(``{"id", "name", "properties": {...}}``), so the HTTP layer serves it as is. Shapes and their sources are listed
in ``docs/fake-acr.md``; where no recording exists it says so.

It may import only the snapshot model, like the rest of :mod:`acrdoctor.testing`.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable
from typing import Any

from acrdoctor.model import Snapshot

LOCK_PROVIDER = "/providers/Microsoft.Authorization/locks/"
#: Built-in roles the fake can grant by name: GUID, actions, data actions (Azure built-in roles, "Containers"
#: and "General" sections, learn.microsoft.com/azure/role-based-access-control/built-in-roles).
BUILTIN_ROLES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "AcrDelete": ("c2f4ef07-c644-48eb-af81-4b1b4947fb11",
                  ("Microsoft.ContainerRegistry/registries/artifacts/delete",), ()),
    "AcrPull": ("7f951dda-4ed3-4680-a7ca-43fe172d538d", ("Microsoft.ContainerRegistry/registries/pull/read",), ()),
    "AcrPush": ("8311e382-0749-4cb8-b61a-304f252e45ec", ("Microsoft.ContainerRegistry/registries/pull/read",
                                                         "Microsoft.ContainerRegistry/registries/push/write"), ()),
    "Reader": ("acdd72a7-3385-48ef-bd42-f606fba81ae7", ("*/read",), ()),
    # ABAC repository roles (ACR "ABAC repository permissions" docs list their data actions). The Contributor GUID
    # is the one published in role listings (unverified on a Microsoft page); the Catalog Lister's is the fake's own.
    "Container Registry Repository Contributor": (
        "2efddaa5-3f1f-4df3-97df-af3f13818f4c", (),
        tuple(f"Microsoft.ContainerRegistry/registries/repositories/{a}"
              for a in ("content/read", "metadata/read", "content/write", "metadata/write", "content/delete"))),
    "Container Registry Repository Catalog Lister": (
        str(uuid.uuid5(uuid.NAMESPACE_URL, "fake-acr:role:catalog-lister")), (),
        ("Microsoft.ContainerRegistry/registries/catalog/read",)),
}
_YAML_STEP = "  - cmd: {cmd}\n    disableWorkingDirectoryOverride: true\n    timeout: 3600\n"


def id_key(value: str) -> str:
    """An ARM id or scope as ARM compares them: case-insensitively, without a trailing slash."""
    return value.rstrip("/").lower()


def id_name(value: str) -> str:
    """The last segment of an ARM id: a resource's name, a role definition's GUID."""
    return value.rstrip("/").rsplit("/", 1)[-1]


def within(path: str, scope: str) -> bool:
    """Whether ARM scope ``path`` is ``scope`` or below it (ids compare case-insensitively)."""
    p, s = id_key(path), id_key(scope)
    return p == s or p.startswith(s + "/")


def task_yaml(commands: Iterable[str]) -> str:
    """The YAML ``az acr task create --cmd`` stores, one ``cmd`` step per command."""
    return "version: v1.1.0\nsteps:\n" + "".join(_YAML_STEP.format(cmd=c) for c in commands)


class ControlsMixin:
    """State and helpers for the schema-2 ARM objects; :meth:`_init_controls` runs in ``FakeRegistry.__init__``."""

    name: str
    subscription_id: str
    resource_group: str
    location: str
    policies: dict[str, Any]
    creation_date: str

    @property
    def resource_id(self) -> str:  # pragma: no cover - FakeRegistry defines it
        raise NotImplementedError

    def _init_controls(self) -> None:
        #: Management locks: ``{"name", "level", "scope", "notes"}``, ``scope`` one of registry/resourceGroup/
        #: subscription (served as ``Microsoft.Authorization/locks`` objects).
        self.locks: list[dict[str, Any]] = []
        #: Role definitions by GUID and role assignments, in ARM's REST shape.
        self.role_definitions: dict[str, dict[str, Any]] = {}
        self.role_assignments: list[dict[str, Any]] = []
        #: Repository-scoped tokens and scope maps by name (``registries/tokens``, ``registries/scopeMaps``).
        self.registry_tokens: dict[str, dict[str, Any]] = {}
        self.scope_maps: dict[str, dict[str, Any]] = {}
        #: ACR tasks, cache rules and connected registries by name.
        self.tasks: dict[str, dict[str, Any]] = {}
        self.cache_rules: dict[str, dict[str, Any]] = {}
        self.connected_registries: dict[str, dict[str, Any]] = {}
        #: Soft-deleted manifests as ``_deleted/<repo>/_manifests`` lists them, plus their ``repository``.
        self.deleted_manifests: list[dict[str, Any]] = []
        #: ``listUsages`` ``MaximumStorageCapacity`` (bytes); pushes answer 405 once ``Size`` reaches it.
        self.maximum_storage_capacity: int | None = None
        #: Identities that may pull quarantined manifests (the AcrQuarantineReader role); others get 405 while the
        #: quarantine policy is enabled.
        self.quarantine_readers: set[str] = set()

    # -- scopes and locks ----------------------------------------------------------------------------------

    def scope_id(self, scope: str) -> str:
        """The ARM id of ``registry``, ``resourceGroup`` or ``subscription`` (anything else is taken as an id)."""
        sub = f"/subscriptions/{self.subscription_id}"
        return {"registry": self.resource_id, "resourceGroup": f"{sub}/resourceGroups/{self.resource_group}",
                "subscription": sub}.get(scope, scope)

    def add_lock(self, name: str, level: str = "CanNotDelete", scope: str = "registry",
                 notes: str | None = None) -> dict[str, Any]:
        lock = {"name": name, "level": level, "scope": scope, "notes": notes}
        self.locks.append(lock)
        return lock

    def lock_json(self, lock: dict[str, Any]) -> dict[str, Any]:
        props: dict[str, Any] = {"level": lock["level"]}
        if lock.get("notes"):
            props["notes"] = lock["notes"]
        return {"id": f"{self.scope_id(lock['scope'])}{LOCK_PROVIDER}{lock['name']}", "name": lock["name"],
                "type": "Microsoft.Authorization/locks", "properties": props}

    def locks_at(self, path: str) -> list[dict[str, Any]]:
        """What listing locks at ``path`` returns: the locks above it (inherited) and at or below it."""
        return [self.lock_json(lk) for lk in self.locks
                if within(path, self.scope_id(lk["scope"])) or within(self.scope_id(lk["scope"]), path)]

    def delete_lock(self, scope_path: str, name: str) -> bool:
        """Remove the lock ``name`` set at exactly ``scope_path`` (an ARM id); whether there was one.

        Locks never protect themselves: ARM lets a lock be deleted under any lock, with only the
        ``Microsoft.Authorization/locks/delete`` permission (not modelled), which is how a lock is ever removed.
        """
        for lk in self.locks:
            if id_key(self.scope_id(lk["scope"])) == id_key(scope_path) and lk["name"].lower() == name.lower():
                self.locks.remove(lk)
                return True
        return False

    def blocking_lock(self, write: bool) -> dict[str, Any] | None:
        """The lock that stops a delete (any level) or a write (ReadOnly) of the registry or anything below it."""
        for lk in self.locks:
            if not write or lk["level"].lower() == "readonly":
                return lk
        return None

    # -- access -------------------------------------------------------------------------------------------

    def add_role_definition(self, guid: str, role_name: str, *, actions: Iterable[str] = (),
                            data_actions: Iterable[str] = (), not_actions: Iterable[str] = (),
                            not_data_actions: Iterable[str] = (), role_type: str = "BuiltInRole",
                            definition_id: str | None = None) -> dict[str, Any]:
        perm = {"actions": list(actions), "notActions": list(not_actions), "dataActions": list(data_actions),
                "notDataActions": list(not_data_actions)}
        d = {"id": definition_id or f"/subscriptions/{self.subscription_id}/providers/Microsoft.Authorization/"
                                    f"roleDefinitions/{guid}",
             "name": guid, "type": "Microsoft.Authorization/roleDefinitions",
             "properties": {"roleName": role_name, "type": role_type, "description": "", "permissions": [perm],
                            "assignableScopes": ["/"]}}
        self.role_definitions[guid.lower()] = d
        return d

    def add_role_assignment(self, principal_id: str, definition: str, *, scope: str = "registry",
                            principal_type: str = "User", condition: str | None = None,
                            condition_version: str | None = None, assignment_id: str | None = None) -> dict[str, Any]:
        """Assign the role definition ``definition`` (a GUID or a full id) to ``principal_id`` at ``scope``."""
        guid = id_name(definition)
        rd_id = definition if "/" in definition else (
            f"/subscriptions/{self.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{guid}")
        at = self.scope_id(scope)
        name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{at}|{principal_id}|{guid}"))
        props: dict[str, Any] = {"roleDefinitionId": rd_id, "principalId": principal_id,
                                 "principalType": principal_type, "scope": at}
        if condition:
            props.update(condition=condition, conditionVersion=condition_version or "2.0")
        ra = {"id": assignment_id or f"{at}/providers/Microsoft.Authorization/roleAssignments/{name}", "name": name,
              "type": "Microsoft.Authorization/roleAssignments", "properties": props}
        self.role_assignments.append(ra)
        return ra

    def grant(self, principal_id: str, role: str, scope: str = "registry") -> dict[str, Any]:
        """Assign a built-in role (:data:`BUILTIN_ROLES`) by name, defining it first when needed.

        ``principal_id`` is an object id; a fake identity's is ``FakeCredential(identity).object_id``.
        """
        guid, actions, data_actions = BUILTIN_ROLES[role]
        if guid not in self.role_definitions:
            self.add_role_definition(guid, role, actions=actions, data_actions=data_actions)
        return self.add_role_assignment(principal_id, guid, scope=scope)

    def define_builtin_role(self, role_name: str) -> None:
        """Define a built-in role (:data:`BUILTIN_ROLES`, by name, case-insensitive) unless some definition has that
        name already: ARM knows every built-in role at every scope, the fake only those a test asked for."""
        if any(d["properties"]["roleName"].lower() == role_name.lower() for d in self.role_definitions.values()):
            return
        for name, (guid, actions, data_actions) in BUILTIN_ROLES.items():
            if name.lower() == role_name.lower():
                self.add_role_definition(guid, name, actions=actions, data_actions=data_actions)

    def role_assignments_at(self, path: str, principal_id: str | None) -> list[dict[str, Any]]:
        """``assignedTo('<oid>')`` at ``path``: the principal's assignments at that scope and above it."""
        return [ra for ra in self.role_assignments
                if within(path, ra["properties"]["scope"])
                and (principal_id is None or ra["properties"]["principalId"] == principal_id)]

    # -- registry satellites ------------------------------------------------------------------------------

    def _child(self, kind: str, name: str, props: dict[str, Any], rid: str | None = None) -> dict[str, Any]:
        return {"id": rid or f"{self.resource_id}/{kind}/{name}", "name": name,
                "type": f"Microsoft.ContainerRegistry/registries/{kind}", "properties": props}

    def add_scope_map(self, name: str, actions: Iterable[str], rid: str | None = None) -> dict[str, Any]:
        sm = self._child("scopeMaps", name, {"actions": list(actions), "type": "UserDefined",
                                             "creationDate": self.creation_date, "provisioningState": "Succeeded"},
                         rid)
        self.scope_maps[name] = sm
        return sm

    def add_token(self, name: str, scope_map_id: str | None, status: str = "enabled",
                  rid: str | None = None) -> dict[str, Any]:
        props: dict[str, Any] = {"status": status, "creationDate": self.creation_date,
                                 "provisioningState": "Succeeded"}
        if scope_map_id:
            props["scopeMapId"] = scope_map_id
        tok = self._child("tokens", name, props, rid)
        self.registry_tokens[name] = tok
        return tok

    def add_task(self, name: str, commands: Iterable[str] = (), *, yaml: str | None = None,
                 step_type: str = "EncodedTask", status: str = "Enabled",
                 timers: Iterable[tuple[str, str, str | None]] = (), identity_type: str | None = None,
                 principal_ids: Iterable[str] = (), source_identity: str | None = None,
                 login_mode: str | None = "Default", rid: str | None = None) -> dict[str, Any]:
        """An ACR task; an ``EncodedTask`` step carries ``yaml`` (or one built from ``commands``) base64-encoded."""
        if step_type == "EncodedTask":
            text = yaml if yaml is not None else task_yaml(commands)
            step: dict[str, Any] = {"type": "EncodedTask", "contextPath": None,
                                    "encodedTaskContent": base64.b64encode(text.encode()).decode(), "values": []}
        elif step_type == "FileTask":
            step = {"type": "FileTask", "taskFilePath": "acb.yaml", "values": []}
        else:
            step = {"type": step_type, "dockerFilePath": "Dockerfile", "imageNames": [], "isPushEnabled": True}
        props: dict[str, Any] = {"status": status, "platform": {"os": "Linux", "architecture": "amd64"},
                                 "agentConfiguration": {"cpu": 2}, "timeout": 3600, "step": step,
                                 "provisioningState": "Succeeded", "creationDate": self.creation_date}
        timer_list = [{k: v for k, v in {"name": n, "schedule": s, "status": st}.items() if v is not None}
                      for n, s, st in timers]
        if timer_list:
            props["trigger"] = {"timerTriggers": timer_list}
        source: dict[str, Any] = {}
        if login_mode:
            source["loginMode"] = login_mode
        if source_identity:
            source["identity"] = source_identity
        if source:
            props["credentials"] = {"sourceRegistry": source}
        task = {"location": self.location, **self._child("tasks", name, props, rid)}
        ids = list(principal_ids)
        if identity_type:
            identity: dict[str, Any] = {"type": identity_type}
            if "systemassigned" in identity_type.lower().replace(" ", "") and ids:
                identity["principalId"] = ids.pop(0)
                identity["tenantId"] = "00000000-0000-0000-0000-000000000000"
            if "userassigned" in identity_type.lower().replace(" ", ""):
                identity["userAssignedIdentities"] = {
                    f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}/providers/"
                    f"Microsoft.ManagedIdentity/userAssignedIdentities/id{i}": {"principalId": p, "clientId": p}
                    for i, p in enumerate(ids)}
            task["identity"] = identity
        self.tasks[name] = task
        return task

    def add_cache_rule(self, name: str, source: str, target: str, credential_set_id: str | None = None,
                       provisioning_state: str = "Succeeded") -> dict[str, Any]:
        props: dict[str, Any] = {"sourceRepository": source, "targetRepository": target,
                                 "provisioningState": provisioning_state, "creationDate": self.creation_date}
        if credential_set_id:
            props["credentialSetResourceId"] = credential_set_id
        rule = self._child("cacheRules", name, props)
        self.cache_rules[name] = rule
        return rule

    def add_connected_registry(self, name: str, mode: str = "ReadWrite", *, connection_state: str = "Online",
                               provisioning_state: str = "Succeeded", sync_token_id: str | None = None,
                               client_token_ids: Iterable[str] = (), parent_id: str | None = None,
                               rid: str | None = None) -> dict[str, Any]:
        parent: dict[str, Any] = {}
        if parent_id:
            parent["id"] = parent_id
        if sync_token_id:
            parent["syncProperties"] = {"tokenId": sync_token_id, "messageTtl": "P2D"}
        props: dict[str, Any] = {"mode": mode, "connectionState": connection_state,
                                 "provisioningState": provisioning_state, "clientTokenIds": list(client_token_ids),
                                 "parent": parent}
        cr = self._child("connectedRegistries", name, props, rid)
        self.connected_registries[name] = cr
        return cr

    def sync_token_of(self, token_name: str) -> dict[str, Any] | None:
        """The connected registry that syncs with token ``token_name``, if any."""
        for cr in self.connected_registries.values():
            token_id = ((cr["properties"].get("parent") or {}).get("syncProperties") or {}).get("tokenId") or ""
            if id_name(token_id).lower() == token_name.lower():
                return cr
        return None

    def _seed_sync_tokens(self) -> None:
        """A connected registry's sync token and its scope map, where the snapshot did not list them.

        ARM cannot hold a connected registry without its sync token (``syncProperties.tokenId`` names it), and
        ``az acr connected-registry delete --cleanup`` reads the token to find its scope map. Named and filled as
        ``az acr connected-registry create`` makes them: the scope map is named after the connected registry and
        grants its gateway ``config`` and ``message`` read/write (azure-cli 2.91 ``acr/connected_registry.py``).
        """
        for name, cr in list(self.connected_registries.items()):
            token_id = ((cr["properties"].get("parent") or {}).get("syncProperties") or {}).get("tokenId")
            token_name = id_name(token_id) if token_id else None
            if not token_name or token_name in self.registry_tokens:
                continue
            sm = self.scope_maps.get(name) or self.add_scope_map(
                name, [f"gateway/{name.lower()}/{a}" for a in ("config/read", "config/write", "message/read",
                                                               "message/write")])
            self.add_token(token_name, sm["id"], "enabled", token_id)

    def delete_child(self, kind: str, name: str) -> bool:
        """Remove a connected registry, token, scope map or cache rule (``kind`` as in ``_SATELLITES``); whether it
        existed."""
        items: dict[str, dict[str, Any]] = {"connectedregistries": self.connected_registries,
                                            "tokens": self.registry_tokens, "scopemaps": self.scope_maps,
                                            "cacherules": self.cache_rules}[kind]
        return items.pop(name, None) is not None

    def add_deleted_manifest(self, repository: str, digest: str, *, deleted_at: str, tags: Iterable[str] = (),
                             media_type: str | None = None, image_size: int | None = None) -> dict[str, Any]:
        item: dict[str, Any] = {"repository": repository, "digest": digest, "deletedAt": deleted_at}
        if list(tags):
            item["tags"] = list(tags)
        if media_type:
            item["mediaType"] = media_type
        if image_size is not None:
            item["imageSize"] = image_size
        self.deleted_manifests.append(item)
        return item

    def soft_delete_enabled(self) -> bool:
        return str((self.policies.get("softDeletePolicy") or {}).get("status", "")).lower() == "enabled"

    # -- seeding from a snapshot --------------------------------------------------------------------------

    def seed_controls(self, snapshot: Snapshot, *, sync_tokens: bool = False) -> None:
        """Every schema-2 part the snapshot collected, as ARM objects the fake serves; with ``sync_tokens``, also
        the sync tokens its connected registries name that it did not list (:meth:`_seed_sync_tokens`)."""
        for lk in snapshot.resource_locks or ():
            self.add_lock(lk.name, lk.level, lk.scope, lk.notes)
        access = snapshot.access
        if access is not None:
            for d in access.role_definitions:
                guid = id_name(d.id)
                perm = d.permissions[0] if d.permissions else None
                self.add_role_definition(guid, d.role_name, actions=perm.actions if perm else (),
                                         data_actions=perm.data_actions if perm else (),
                                         not_actions=perm.not_actions if perm else (),
                                         not_data_actions=perm.not_data_actions if perm else (),
                                         role_type=d.role_type or "BuiltInRole", definition_id=d.id)
                if len(d.permissions) > 1:
                    self.role_definitions[guid.lower()]["properties"]["permissions"] = [
                        {"actions": list(p.actions), "notActions": list(p.not_actions),
                         "dataActions": list(p.data_actions), "notDataActions": list(p.not_data_actions)}
                        for p in d.permissions]
            for ra in access.role_assignments or ():
                guid = id_name(ra.role_definition_id).lower()
                if guid not in self.role_definitions:
                    # not collected: a built-in role gets the permissions ARM would serve, anything else none
                    known = next(((n, a, da) for n, (g, a, da) in BUILTIN_ROLES.items() if g == guid), None)
                    name, actions, data_actions = known or (ra.role_name or guid, (), ())
                    self.add_role_definition(guid, name, actions=actions, data_actions=data_actions)
                principal = ra.principal_id or access.caller.principal_id or ""
                self.add_role_assignment(principal, ra.role_definition_id, scope=ra.scope,
                                         principal_type=ra.principal_type or access.caller.principal_type or "User",
                                         condition=ra.condition, condition_version=ra.condition_version,
                                         assignment_id=ra.id)
        for sm in snapshot.scope_maps or ():
            self.add_scope_map(sm.name, sm.actions, sm.id)
        for t in snapshot.tokens or ():
            self.add_token(t.name, t.scope_map_id, t.status or "enabled", t.id)
        for task in snapshot.tasks or ():
            self.add_task(task.name, task.commands, yaml=task.task_yaml, step_type=task.step_type or "EncodedTask",
                          status=task.status or "Enabled",
                          timers=[(x.name, x.schedule, x.status) for x in task.timers],
                          identity_type=task.identity_type, principal_ids=task.identity_principal_ids,
                          source_identity=task.source_registry_identity,
                          login_mode=task.source_registry_login_mode, rid=task.id)
        for c in snapshot.cache_rules or ():
            self.add_cache_rule(c.name, c.source_repository, c.target_repository, c.credential_set_id,
                                c.provisioning_state or "Succeeded")
        for cr in snapshot.connected_registries or ():
            self.add_connected_registry(cr.name, cr.mode or "ReadWrite", connection_state=cr.connection_state or "",
                                        provisioning_state=cr.provisioning_state or "", sync_token_id=cr.sync_token_id,
                                        client_token_ids=cr.client_token_ids, parent_id=cr.parent_id, rid=cr.id)
        if sync_tokens:
            self._seed_sync_tokens()
        for d in snapshot.deleted_artifacts or ():
            self.add_deleted_manifest(d.repository, d.digest, deleted_at=d.deleted or self.creation_date,
                                      tags=d.tags, media_type=d.media_type, image_size=d.image_size)
        cap = snapshot.usage_named("MaximumStorageCapacity") if snapshot.usage is not None else None
        if cap is not None:
            self.maximum_storage_capacity = cap.limit if cap.limit and cap.limit > 0 else cap.current
