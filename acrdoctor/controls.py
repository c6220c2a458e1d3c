"""The Azure-side controls around a registry that decide whether a delete may happen (schema version 2).

The first catalogue needed only what the registry itself reports. Users' deletes also fail for reasons that live
in Azure Resource Manager and in the registry's satellite resources: management locks on the registry or above it,
the caller's role assignments (ABAC-aware), repository-scoped tokens, ACR tasks that run ``acr purge``, artifact
cache rules, connected registries, soft-deleted artifacts, and listings that ended early. Each is a part of the
snapshot with the same rule as every other part: ``None`` is "not collected", an empty tuple is "none there".

Field names follow the ARM / data-plane wire shapes (``docs/snapshot.md`` names the source of each).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Lock levels ARM knows (Microsoft.Authorization/locks, api-version 2020-05-01).
LOCK_LEVELS = ("CanNotDelete", "ReadOnly")
#: Where a management lock sits relative to the registry; a lock applies to everything below its scope.
LOCK_SCOPES = ("registry", "resourceGroup", "subscription")


@dataclass(frozen=True, slots=True)
class ResourceLock:
    """One management lock that applies to the registry (``az lock list``), at the registry or above it."""

    name: str
    level: str
    scope: str
    id: str | None = None
    notes: str | None = None

    @property
    def read_only(self) -> bool:
        return self.level.lower() == "readonly"


@dataclass(frozen=True, slots=True)
class Caller:
    """Who the collector ran as: the identity whose permissions the access checks judge.

    ``kind`` is ``entra`` (a user, service principal or managed identity with an object id), ``token`` (an ACR
    repository-scoped token, ``token_name``), ``admin`` (the admin user) or ``unknown``.
    """

    kind: str = "unknown"
    principal_id: str | None = None
    principal_type: str | None = None
    name: str | None = None
    token_name: str | None = None


@dataclass(frozen=True, slots=True)
class RoleAssignment:
    """A role assignment of the caller at the registry's scope or above (``az role assignment list``)."""

    role_definition_id: str
    scope: str
    role_name: str | None = None
    principal_id: str | None = None
    principal_type: str | None = None
    condition: str | None = None
    condition_version: str | None = None
    id: str | None = None


@dataclass(frozen=True, slots=True)
class RolePermission:
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    data_actions: tuple[str, ...] = ()
    not_data_actions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RoleDefinition:
    """A role definition the caller's assignments refer to (``az role definition list``)."""

    id: str
    role_name: str
    permissions: tuple[RolePermission, ...] = ()
    role_type: str | None = None


@dataclass(frozen=True, slots=True)
class ScopeMap:
    """An ACR scope map: ``repositories/<repo>/<action>`` strings (``az acr scope-map list``)."""

    name: str
    actions: tuple[str, ...] = ()
    id: str | None = None


@dataclass(frozen=True, slots=True)
class RegistryToken:
    """An ACR repository-scoped token (``az acr token list``); ``scope_map_id`` links its permissions."""

    name: str
    scope_map_id: str | None = None
    status: str | None = None
    id: str | None = None


@dataclass(frozen=True, slots=True)
class TimerTrigger:
    name: str
    schedule: str
    status: str | None = None


@dataclass(frozen=True, slots=True)
class Task:
    """An ACR task (ARM ``Microsoft.ContainerRegistry/registries/tasks``), reduced to what a delete cares about.

    ``commands`` are the shell-like command lines the task runs: the ``cmd:`` steps of a decoded task YAML
    (``EncodedTask``/``FileTask``) or a quick task's command. ``identity_type`` is the task's managed identity
    (``SystemAssigned``, ``UserAssigned``, both, or ``None``); ``source_registry_identity`` is what
    ``az acr task update --source-acr-auth-id`` sets (``[system]`` or a client id), ``None`` when unset.
    """

    name: str
    status: str | None = None
    commands: tuple[str, ...] = ()
    step_type: str | None = None
    task_yaml: str | None = None
    timers: tuple[TimerTrigger, ...] = ()
    identity_type: str | None = None
    identity_principal_ids: tuple[str, ...] = ()
    source_registry_identity: str | None = None
    source_registry_login_mode: str | None = None
    id: str | None = None


@dataclass(frozen=True, slots=True)
class CacheRule:
    """An artifact cache rule (``az acr cache list``): pulls of ``target_repository`` fetch from upstream."""

    name: str
    source_repository: str
    target_repository: str
    credential_set_id: str | None = None
    provisioning_state: str | None = None


@dataclass(frozen=True, slots=True)
class ConnectedRegistry:
    """A connected registry (``az acr connected-registry list``); ``mode`` is ReadWrite/ReadOnly/Registry/Mirror."""

    name: str
    mode: str | None = None
    connection_state: str | None = None
    provisioning_state: str | None = None
    sync_token_id: str | None = None
    client_token_ids: tuple[str, ...] = ()
    parent_id: str | None = None
    id: str | None = None

    @property
    def read_only(self) -> bool:
        return (self.mode or "").lower() in ("readonly", "mirror")


@dataclass(frozen=True, slots=True)
class DeletedArtifact:
    """A soft-deleted manifest (``az acr manifest list-deleted``): still counted in storage until purged."""

    repository: str
    digest: str
    tags: tuple[str, ...] = ()
    deleted: str | None = None
    image_size: int | None = None
    media_type: str | None = None


@dataclass(frozen=True, slots=True)
class ListingRecord:
    """How one listing ended: ``complete`` false when it stopped early or paged inconsistently.

    ``listing`` is ``catalog``, ``manifests`` or ``tags``; ``repository`` names the repository for the last two.
    ``expected`` is the count the service reported elsewhere (``manifestCount``/``tagCount``), when known.
    """

    listing: str
    complete: bool
    pages: int | None = None
    items: int | None = None
    expected: int | None = None
    repository: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Listings:
    """What the collector saw of its own paging. ``checked`` is True when it recorded every listing's end."""

    checked: bool
    records: tuple[ListingRecord, ...] = ()

    def incomplete(self) -> tuple[ListingRecord, ...]:
        return tuple(r for r in self.records if not r.complete)


@dataclass(frozen=True, slots=True)
class Access:
    """The caller and what it may do: role assignments and their definitions, or a token's scope map."""

    caller: Caller
    role_assignments: tuple[RoleAssignment, ...] | None = None
    role_definitions: tuple[RoleDefinition, ...] = ()

    def definition(self, role_definition_id: str) -> RoleDefinition | None:
        tail = role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()
        for d in self.role_definitions:
            if d.id.rstrip("/").rsplit("/", 1)[-1].lower() == tail:
                return d
        return None
