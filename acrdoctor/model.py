"""The immutable registry snapshot that every check reads.

Everything a check may look at lives here, collected once by a collector (live SDKs, snapshot file,
``az`` bundle, demo). Checks never do I/O, so the same check runs online, offline and in pre-flight.

Two rules shape these types:

* *Absent is not empty.* A part that was not collected is ``None``; an empty tuple means "collected,
  and there were none". Checks declare the parts they need and the engine skips them when a part is
  ``None`` instead of letting them pass on missing data.
* *Layers are stored once.* Configs and layers are rows of one blob table (``Snapshot.blobs``) and
  manifests hold indexes into it, so millions of layer references stay compact and deduplicated
  storage can be computed by index arithmetic.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from acrdoctor.controls import (
    Access,
    CacheRule,
    ConnectedRegistry,
    DeletedArtifact,
    Listings,
    RegistryToken,
    ResourceLock,
    ScopeMap,
    Task,
)

#: Media types of multi-arch indexes: Docker manifest lists and OCI image indexes.
INDEX_MEDIA_TYPES = frozenset({
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
})


#: Data-plane operations, named as collectors record them in ``Snapshot.operations`` and ``errors[].operation``.
#: Every one of these requests passes ACR's per-registry and per-identity request limits, so a record of them is
#: what a verdict on throttling rests on.
DATA_PLANE_READS = frozenset({
    "list_repository_names", "get_repository_properties", "list_manifests", "list_tags", "get_manifest",
})
DELETE_OPERATIONS = frozenset({"delete_repository", "delete_manifest", "delete_tag"})
#: Operation names that change the registry; an error of one of these is not a failed read of collected data.
_CHANGE_PREFIXES = ("delete", "update", "set", "import", "untag", "purge", "lock", "unlock", "push", "put", "restore")


class Part(StrEnum):
    """A piece of registry data that a collector may or may not have gathered."""

    REGISTRY = "registry"
    USAGE = "usage"
    PRIVATE_ENDPOINT_CONNECTIONS = "private_endpoint_connections"
    REPLICATIONS = "replications"
    REPOSITORIES = "repositories"
    MANIFESTS = "manifests"
    TAGS = "tags"
    MANIFEST_BODIES = "manifest_bodies"
    ERRORS = "errors"
    # Schema version 2 (acrdoctor.controls):
    RESOURCE_LOCKS = "resource_locks"
    ROLE_ASSIGNMENTS = "role_assignments"
    TOKENS = "tokens"
    TASKS = "tasks"
    CACHE_RULES = "cache_rules"
    CONNECTED_REGISTRIES = "connected_registries"
    DELETED_ARTIFACTS = "deleted_artifacts"
    LISTINGS = "listings"

    @property
    def label(self) -> str:
        return _PART_LABELS[self]


_PART_LABELS = {
    Part.REGISTRY: "registry settings",
    Part.USAGE: "storage usage",
    Part.PRIVATE_ENDPOINT_CONNECTIONS: "private endpoint connections",
    Part.REPLICATIONS: "replications",
    Part.REPOSITORIES: "the repository list",
    Part.MANIFESTS: "manifest listings",
    Part.TAGS: "tag listings",
    Part.MANIFEST_BODIES: "manifest bodies (config and layer sizes)",
    Part.ERRORS: "collection errors",
    Part.RESOURCE_LOCKS: "management locks on the registry, its resource group and subscription",
    Part.ROLE_ASSIGNMENTS: "the caller's role assignments",
    Part.TOKENS: "repository-scoped tokens and scope maps",
    Part.TASKS: "ACR tasks",
    Part.CACHE_RULES: "artifact cache rules",
    Part.CONNECTED_REGISTRIES: "connected registries",
    Part.DELETED_ARTIFACTS: "soft-deleted artifacts",
    Part.LISTINGS: "how each listing ended (paging record)",
}


@dataclass(frozen=True, slots=True)
class Attributes:
    """ACR ``changeableAttributes``. Unknown flags default to enabled, as ACR does."""

    delete_enabled: bool = True
    write_enabled: bool = True
    read_enabled: bool = True
    list_enabled: bool = True

    @property
    def blocks_delete(self) -> bool:
        """Either flag false blocks deleting the object (ACR image-lock docs; Azure/acr#561)."""
        return not (self.delete_enabled and self.write_enabled)

    @property
    def is_default(self) -> bool:
        return self.delete_enabled and self.write_enabled and self.read_enabled and self.list_enabled


UNLOCKED = Attributes()


@dataclass(frozen=True, slots=True)
class NetworkRuleSet:
    default_action: str = "Allow"
    ip_rules: tuple[str, ...] = ()
    virtual_network_rules: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Policy:
    """A registry policy such as retention or soft delete; ``days`` is its retention in days."""

    status: str = "disabled"
    days: int | None = None
    #: ARM's ``lastUpdatedTime`` of the policy: for retention, when it was (last) enabled.
    updated: str | None = None

    @property
    def enabled(self) -> bool:
        return self.status.lower() == "enabled"


@dataclass(frozen=True, slots=True)
class Registry:
    name: str
    login_server: str
    sku: str | None = None
    id: str | None = None
    resource_group: str | None = None
    subscription_id: str | None = None
    location: str | None = None
    public_network_access: str | None = None
    network_rule_set: NetworkRuleSet | None = None
    network_rule_bypass_options: str | None = None
    retention_policy: Policy | None = None
    soft_delete_policy: Policy | None = None
    quarantine_policy: Policy | None = None
    data_endpoint_enabled: bool | None = None
    data_endpoint_host_names: tuple[str, ...] = ()
    role_assignment_mode: str | None = None
    anonymous_pull_enabled: bool | None = None
    zone_redundancy: str | None = None

    @property
    def is_premium(self) -> bool:
        return (self.sku or "").lower() == "premium"

    @property
    def resource_id(self) -> str | None:
        """The registry's ARM id: as collected, else built from its subscription and group (role assignment
        scopes need it); None when neither is known."""
        if self.id:
            return self.id
        if self.subscription_id and self.resource_group:
            return (f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}/providers/"
                    f"Microsoft.ContainerRegistry/registries/{self.name}")
        return None

    def az_target(self) -> tuple[str, ...]:
        """The ``--name``/``--resource-group`` arguments that address this registry in ``az acr``."""
        args: tuple[str, ...] = ("--name", self.name)
        if self.resource_group:
            args += ("--resource-group", self.resource_group)
        return args


@dataclass(frozen=True, slots=True)
class Usage:
    """One row of ``listUsages``; ``Size`` is the registry's deduplicated storage in bytes."""

    name: str
    current: int
    limit: int | None
    unit: str = "Count"


@dataclass(frozen=True, slots=True)
class PrivateEndpointConnection:
    name: str
    id: str | None = None
    private_endpoint_id: str | None = None
    status: str | None = None
    provisioning_state: str | None = None


@dataclass(frozen=True, slots=True)
class Replication:
    name: str
    location: str
    provisioning_state: str | None = None
    region_endpoint_enabled: bool | None = None


@dataclass(frozen=True, slots=True)
class Manifest:
    """One manifest of one repository.

    ``config`` and ``layers`` index ``Snapshot.blobs`` and are ``None`` when the body was not
    fetched; ``references`` are the child digests of an index; ``subject`` makes it a referrer.
    """

    digest: str
    media_type: str | None = None
    image_size: int | None = None
    created: str | None = None
    updated: str | None = None
    tags: tuple[str, ...] = ()
    attributes: Attributes = UNLOCKED
    architecture: str | None = None
    os: str | None = None
    references: tuple[str, ...] = ()
    subject: str | None = None
    config: int | None = None
    layers: tuple[int, ...] | None = None
    quarantine_state: str | None = None

    @property
    def is_index(self) -> bool:
        return bool(self.references) or self.media_type in INDEX_MEDIA_TYPES

    @property
    def has_body(self) -> bool:
        return self.layers is not None

    def blob_indexes(self) -> Iterator[int]:
        if self.config is not None:
            yield self.config
        if self.layers:
            yield from self.layers


@dataclass(frozen=True, slots=True)
class Tag:
    name: str
    digest: str
    created: str | None = None
    updated: str | None = None
    attributes: Attributes = UNLOCKED


@dataclass(frozen=True, slots=True)
class Repository:
    """A repository; ``manifests``/``tags`` are ``None`` when that listing was not collected."""

    name: str
    created: str | None = None
    updated: str | None = None
    manifest_count: int | None = None
    tag_count: int | None = None
    attributes: Attributes = UNLOCKED
    manifests: tuple[Manifest, ...] | None = None
    tags: tuple[Tag, ...] | None = None

    def manifest_by_digest(self) -> dict[str, Manifest]:
        return {m.digest: m for m in self.manifests or ()}


@dataclass(frozen=True, slots=True)
class CollectionError:
    """A part the collector tried and failed to read, with what the service answered.

    ``part`` names what failed (a ``Part`` value); ``repository`` narrows it when it was one
    repository's listing. ``detail`` keeps ACR's error detail as sent: an object (``{"name": ...}`` on
    NAME_UNKNOWN) or, on 401, an array of ``{"Type", "Name", "Action"}`` naming the missing action.
    """

    part: str
    status: int | None
    code: str | None
    message: str
    repository: str | None = None
    operation: str | None = None
    detail: Mapping[str, object] | tuple[Mapping[str, object], ...] | None = None
    retry_after: float | None = None

    @property
    def during_collection(self) -> bool:
        """Whether this was a read of the snapshot's data; an earlier delete's refusal says nothing about it."""
        return not (self.operation or "").lower().startswith(_CHANGE_PREFIXES)

    def describe(self) -> str:
        """One line for reports: where, what the service said, and during which operation."""
        where = self.part + (f" {self.repository}" if self.repository else "")
        said = " ".join(str(x) for x in (self.status, self.code, self.message) if x)
        during = f" (during {self.operation})" if self.operation else ""
        return f"{where}: {said or 'failed'}{during}"


@dataclass(frozen=True, slots=True)
class Blob:
    digest: str
    size: int


#: Parts that are one attribute of the snapshot, collected or not as a whole.
_SIMPLE_PARTS = {
    Part.RESOURCE_LOCKS: "resource_locks",
    Part.TOKENS: "tokens",
    Part.TASKS: "tasks",
    Part.CACHE_RULES: "cache_rules",
    Part.CONNECTED_REGISTRIES: "connected_registries",
    Part.DELETED_ARTIFACTS: "deleted_artifacts",
    Part.LISTINGS: "listings",
}


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything collected about one registry at one moment.

    ``None`` for a part means "not collected"; ``partial`` names parts that were collected for only
    some repositories (for example ``--repository`` limits), so registry-wide figures are lower bounds.
    ``operations`` names what the collector tried (``errors[].operation`` names), each refusal of which is in
    ``errors``: without it, no error cannot be told apart from nothing having been tried. ``None``: not recorded.
    """

    registry: Registry
    collected_at: str | None = None
    source: str | None = None
    usage: tuple[Usage, ...] | None = None
    private_endpoint_connections: tuple[PrivateEndpointConnection, ...] | None = None
    replications: tuple[Replication, ...] | None = None
    repositories: tuple[Repository, ...] | None = None
    blobs: tuple[Blob, ...] = ()
    errors: tuple[CollectionError, ...] = ()
    partial: frozenset[Part] = field(default_factory=frozenset)
    operations: frozenset[str] | None = None
    # Schema version 2: the Azure-side controls (acrdoctor.controls); None = not collected.
    resource_locks: tuple[ResourceLock, ...] | None = None
    access: Access | None = None
    tokens: tuple[RegistryToken, ...] | None = None
    scope_maps: tuple[ScopeMap, ...] | None = None
    tasks: tuple[Task, ...] | None = None
    cache_rules: tuple[CacheRule, ...] | None = None
    connected_registries: tuple[ConnectedRegistry, ...] | None = None
    deleted_artifacts: tuple[DeletedArtifact, ...] | None = None
    listings: Listings | None = None

    def attempted(self, operations: Collection[str]) -> bool | None:
        """Whether the collector tried any of ``operations``; None when it kept no record and no error names one."""
        if any(e.operation in operations for e in self.errors):
            return True
        if self.operations is None:
            return None
        return not self.operations.isdisjoint(operations)

    def has(self, part: Part) -> bool:
        """Whether ``part`` was collected (for per-repository parts: for at least one repository)."""
        if part is Part.REGISTRY or part is Part.ERRORS:
            return True
        if part is Part.USAGE:
            return self.usage is not None
        if part is Part.PRIVATE_ENDPOINT_CONNECTIONS:
            return self.private_endpoint_connections is not None
        if part is Part.REPLICATIONS:
            return self.replications is not None
        simple = _SIMPLE_PARTS.get(part)
        if simple is not None:
            return getattr(self, simple) is not None
        if part is Part.ROLE_ASSIGNMENTS:
            return self.access is not None and self.access.role_assignments is not None
        if self.repositories is None:
            return False
        if part is Part.REPOSITORIES:
            return True
        if part is Part.MANIFESTS:
            return any(r.manifests is not None for r in self.repositories) or not self.repositories
        if part is Part.TAGS:
            return any(r.tags is not None for r in self.repositories) or not self.repositories
        if part is Part.MANIFEST_BODIES:
            if not self.has(Part.MANIFESTS):
                return False
            plain = (m for r in self.repositories for m in (r.manifests or ()) if not m.is_index)
            first = next(plain, None)
            return first is None or first.has_body or any(m.has_body for m in plain)
        return False

    def usage_named(self, name: str) -> Usage | None:
        for u in self.usage or ():
            if u.name.lower() == name.lower():
                return u
        return None

    def errors_for(self, part: Part | str) -> tuple[CollectionError, ...]:
        key = part.value if isinstance(part, Part) else part
        return tuple(e for e in self.errors if e.part == key)
