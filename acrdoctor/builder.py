"""Build snapshots in code: for tests, the demo registry, benchmarks and plug-in authors.

Blobs are named rather than hashed by hand: ``layer("debian-base", 30_000_000)`` always gets the same
digest, so a layer shared between two images (or two repositories) is simply the same name twice.
Manifest digests are derived from their content the same way, so builds are deterministic.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

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
    ScopeMap,
    Task,
    TimerTrigger,
)
from acrdoctor.manifest_body import render_manifest, sha256_digest
from acrdoctor.model import (
    UNLOCKED,
    Attributes,
    Blob,
    CollectionError,
    Manifest,
    NetworkRuleSet,
    Part,
    Policy,
    PrivateEndpointConnection,
    Registry,
    Replication,
    Repository,
    Snapshot,
    Tag,
    Usage,
)

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"

BASE_TIME = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)


def digest_of(text: str) -> str:
    """A deterministic sha256 digest for a name."""
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def locked(write: bool = False, delete: bool = False) -> Attributes:
    """Attributes with the given write/delete flags (defaults: both disabled, i.e. fully locked)."""
    return Attributes(delete_enabled=delete, write_enabled=write)


class RepositoryBuilder:
    def __init__(self, owner: SnapshotBuilder, name: str, attributes: Attributes,
                 collect_manifests: bool, collect_tags: bool, counts: tuple[int, int] | None) -> None:
        self.owner = owner
        self.name = name
        self.attributes = attributes
        self.collect_manifests = collect_manifests
        self.collect_tags = collect_tags
        self.counts = counts
        self.manifests: list[Manifest] = []
        self.tag_attributes: dict[str, Attributes] = {}

    def _add(self, m: Manifest) -> Manifest:
        self.manifests.append(m)
        return m

    def _find(self, digest: str) -> Manifest | None:
        for m in self.manifests:
            if m.digest == digest:
                return m
        return None

    def _content_digest(self, m: Manifest) -> str:
        """The sha256 of the body the fake ACR will serve for ``m``, so the SDK's digest check passes."""
        return sha256_digest(render_manifest(m, self.owner._blob_list, self._find))

    def image(self, tags: list[str] | tuple[str, ...] = (), layers: list[tuple[str, int]] | None = None,
              config: tuple[str, int] | None = None, *, attributes: Attributes = UNLOCKED,
              media_type: str = DOCKER_MANIFEST, architecture: str | None = "amd64", os: str | None = "linux",
              subject: str | None = None, age_days: float | None = None, body: bool = True,
              digest: str | None = None, tag_attributes: dict[str, Attributes] | None = None) -> Manifest:
        """An image manifest. ``layers``/``config`` are (name, size) pairs; names identify blobs."""
        layers = layers if layers is not None else [(f"{self.name}-layer-{len(self.manifests)}", 1000)]
        config = config or (f"{self.name}-config-{len(self.manifests)}-{','.join(tags)}", 500)
        cfg_idx = self.owner.blob(*config)
        layer_idx = tuple(self.owner.blob(n, s) for n, s in layers)
        size = config[1] + sum(s for _, s in layers)
        t = iso(self.owner.time(age_days))
        for tag, attrs in (tag_attributes or {}).items():
            self.tag_attributes[tag] = attrs
        m = Manifest(
            digest="", media_type=media_type, image_size=size, created=t, updated=t, tags=tuple(tags),
            attributes=attributes, architecture=architecture, os=os, subject=subject,
            config=cfg_idx, layers=layer_idx,
        )
        m = replace(m, digest=digest or self._content_digest(m))
        if not body:
            m = replace(m, config=None, layers=None)
        return self._add(m)

    def index(self, children: list[Manifest] | list[str], tags: list[str] | tuple[str, ...] = (), *,
              attributes: Attributes = UNLOCKED, media_type: str = OCI_INDEX, age_days: float | None = None,
              digest: str | None = None) -> Manifest:
        """A multi-arch index over ``children`` (manifests or bare digests, which may be missing)."""
        refs = tuple(c if isinstance(c, str) else c.digest for c in children)
        t = iso(self.owner.time(age_days))
        m = Manifest(
            digest="", media_type=media_type, image_size=0, created=t, updated=t,
            tags=tuple(tags), attributes=attributes, architecture=None, os=None, references=refs,
            config=None, layers=(),
        )
        body = render_manifest(m, self.owner._blob_list, self._find)
        return self._add(replace(m, digest=digest or sha256_digest(body), image_size=len(body)))

    def referrer(self, subject: Manifest | str, name: str = "signature", size: int = 800,
                 age_days: float | None = None) -> Manifest:
        """An untagged artifact (signature, SBOM) whose ``subject`` is another manifest."""
        subj = subject if isinstance(subject, str) else subject.digest
        return self.image(layers=[(f"{self.name}-{name}-{subj}", size)], config=(f"{name}-config", 2),
                          media_type=OCI_MANIFEST, architecture=None, os=None, subject=subj, age_days=age_days)

    def build(self) -> Repository:
        tags: list[Tag] = []
        for m in self.manifests:
            for t in m.tags:
                tags.append(Tag(t, m.digest, m.created, m.updated, self.tag_attributes.get(t, UNLOCKED)))
        mc, tc = self.counts if self.counts is not None else (len(self.manifests), len(tags))
        return Repository(
            name=self.name, created=iso(BASE_TIME), updated=iso(BASE_TIME), manifest_count=mc, tag_count=tc,
            attributes=self.attributes,
            manifests=tuple(self.manifests) if self.collect_manifests else None,
            tags=tuple(tags) if self.collect_tags else None,
        )


class SnapshotBuilder:
    """Accumulates registry parts; anything never set stays ``None`` (not collected)."""

    def __init__(self, name: str = "contoso", sku: str = "Standard", resource_group: str | None = "rg-contoso",
                 now: datetime | None = None, **registry: Any) -> None:
        sub = "00000000-0000-0000-0000-000000000000"
        self.now = now or datetime(2026, 11, 20, 9, 0, 0, tzinfo=UTC)
        self._registry = Registry(
            name=name, login_server=f"{name}.azurecr.io", sku=sku, resource_group=resource_group,
            subscription_id=sub, location="westeurope",
            id=f"/subscriptions/{sub}/resourceGroups/{resource_group}/providers/"
               f"Microsoft.ContainerRegistry/registries/{name}",
            public_network_access="Enabled", network_rule_set=NetworkRuleSet("Allow"),
            retention_policy=Policy("disabled", 7), soft_delete_policy=Policy("disabled", 7),
        )
        if registry:
            self._registry = replace(self._registry, **registry)
        self._blobs: dict[str, int] = {}
        self._blob_list: list[Blob] = []
        self._repos: list[RepositoryBuilder] | None = None
        self.usage: list[Usage] | None = None
        self.pecs: list[PrivateEndpointConnection] | None = None
        self.replications: list[Replication] | None = None
        self.errors: list[CollectionError] = []
        self.partial: set[Part] = set()
        #: Operations the "collector" tried; None keeps the snapshot without that record, like an older file.
        self.operations: set[str] | None = None
        #: Schema-2 parts (acrdoctor.controls) by Snapshot field name; a field never set stays not collected.
        self.controls: dict[str, Any] = {}
        self._clock = 0

    # -- registry-level parts -------------------------------------------------------------------------

    def registry(self, **changes: Any) -> SnapshotBuilder:
        self._registry = replace(self._registry, **changes)
        return self

    def set_usage(self, size: int | None = None, limit: int = 107_374_182_400, **counts: int) -> SnapshotBuilder:
        """Record ``listUsages``; ``size`` defaults to the deduplicated total of the blobs so far."""
        rows = [Usage("Size", size if size is not None else self.stored_bytes(), limit, "Bytes")]
        rows += [Usage(k, v, None) for k, v in counts.items()]
        self.usage = rows
        return self

    def private_endpoint(self, suffix: str, status: str = "Approved") -> PrivateEndpointConnection:
        name = f"{self._registry.name}.{suffix}"
        reg_id = self._registry.id or ""
        rg = self._registry.resource_group
        pe = PrivateEndpointConnection(
            name=name, id=f"{reg_id}/privateEndpointConnections/{name}",
            private_endpoint_id=f"/subscriptions/{self._registry.subscription_id}/resourceGroups/{rg}/providers/"
                                f"Microsoft.Network/privateEndpoints/pe-{suffix}",
            status=status, provisioning_state="Succeeded")
        self.pecs = [*(self.pecs or []), pe]
        return pe

    def no_private_endpoints(self) -> SnapshotBuilder:
        self.pecs = []
        return self

    def replication(self, location: str) -> Replication:
        r = Replication(name=location, location=location, provisioning_state="Succeeded")
        self.replications = [*(self.replications or []), r]
        return r

    def no_replications(self) -> SnapshotBuilder:
        self.replications = []
        return self

    def attempted(self, *operations: str) -> SnapshotBuilder:
        """Record operations as tried during collection (``Snapshot.operations``)."""
        self.operations = (self.operations or set()) | set(operations)
        return self

    def error(self, part: Part | str, status: int | None, code: str | None, message: str, **kw: Any) -> None:
        self.errors.append(CollectionError(part.value if isinstance(part, Part) else part, status, code, message, **kw))

    # -- Azure-side controls (schema 2) -----------------------------------------------------------------

    def collected(self, *fields: str) -> SnapshotBuilder:
        """Mark schema-2 parts as collected and empty (``resource_locks``, ``tasks``, ``cache_rules``...)."""
        for f in fields:
            if f == "listings":
                self.controls.setdefault(f, Listings(True))
            elif f == "access":
                self.controls.setdefault(f, Access(Caller(), ()))
            else:
                self.controls.setdefault(f, ())
        return self

    def _append(self, field: str, row: Any) -> Any:
        self.controls[field] = (*self.controls.get(field, ()), row)
        return row

    def lock(self, name: str, level: str = "CanNotDelete", scope: str = "resourceGroup",
             notes: str | None = None) -> ResourceLock:
        r = self._registry
        base = {"registry": r.id or "", "resourceGroup": f"/subscriptions/{r.subscription_id}/resourceGroups/"
                f"{r.resource_group}", "subscription": f"/subscriptions/{r.subscription_id}"}[scope]
        return self._append("resource_locks", ResourceLock(
            name, level, scope, f"{base}/providers/Microsoft.Authorization/locks/{name}", notes))

    def caller(self, kind: str = "entra", principal_id: str | None = "11111111-2222-3333-4444-555555555555",
               principal_type: str | None = "User", name: str | None = "dev@contoso.example",
               token_name: str | None = None) -> SnapshotBuilder:
        access: Access = self.controls.get("access") or Access(Caller())
        self.controls["access"] = replace(access, caller=Caller(kind, principal_id, principal_type, name, token_name))
        return self

    def role_assignment(self, role_name: str, definition_id: str, *, scope: str = "registry",
                        condition: str | None = None,
                        definition: RoleDefinition | None = None) -> RoleAssignment:
        """A role assignment of the caller at ``registry``, ``resourceGroup`` or ``subscription`` scope."""
        r = self._registry
        where = {"registry": r.id or "", "resourceGroup": f"/subscriptions/{r.subscription_id}/resourceGroups/"
                 f"{r.resource_group}", "subscription": f"/subscriptions/{r.subscription_id}"}.get(scope, scope)
        access: Access = self.controls.get("access") or Access(Caller())
        full_id = (f"/subscriptions/{r.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/"
                   f"{definition_id}")
        ra = RoleAssignment(full_id, where, role_name, access.caller.principal_id, access.caller.principal_type,
                            condition, "2.0" if condition else None)
        defs = access.role_definitions
        if definition is not None and all(d.id != definition.id for d in defs):
            defs = (*defs, definition)
        self.controls["access"] = replace(access, role_assignments=(*(access.role_assignments or ()), ra),
                                          role_definitions=defs)
        return ra

    def token(self, name: str, scope_map: str, actions: tuple[str, ...] | list[str],
              status: str = "enabled") -> RegistryToken:
        base = self._registry.id or ""
        sm = ScopeMap(scope_map, tuple(actions), f"{base}/scopeMaps/{scope_map}")
        if all(x.name != scope_map for x in self.controls.get("scope_maps", ())):
            self._append("scope_maps", sm)
        return self._append("tokens", RegistryToken(name, sm.id, status, f"{base}/tokens/{name}"))

    def task(self, name: str, commands: tuple[str, ...] | list[str] = (), *, schedule: str | None = None,
             **fields: Any) -> Task:
        timers = (TimerTrigger("t1", schedule, "Enabled"),) if schedule else ()
        return self._append("tasks", Task(name, "Enabled", tuple(commands), "EncodedTask", timers=timers,
                                          id=f"{self._registry.id}/tasks/{name}", **fields))

    def cache_rule(self, name: str, source: str, target: str) -> CacheRule:
        return self._append("cache_rules", CacheRule(name, source, target, provisioning_state="Succeeded"))

    def connected_registry(self, name: str, mode: str = "ReadWrite", **fields: Any) -> ConnectedRegistry:
        return self._append("connected_registries", ConnectedRegistry(
            name, mode, id=f"{self._registry.id}/connectedRegistries/{name}", **fields))

    def soft_deleted(self, repository: str, digest: str, *, size: int | None = None, tags: tuple[str, ...] = (),
                     age_days: float = 1) -> DeletedArtifact:
        return self._append("deleted_artifacts", DeletedArtifact(
            repository, digest, tags, iso(self.time(age_days)), size,
            "application/vnd.docker.distribution.manifest.v2+json"))

    def listing(self, listing: str, complete: bool, *, repository: str | None = None, pages: int | None = None,
                items: int | None = None, expected: int | None = None, reason: str | None = None) -> ListingRecord:
        rec = ListingRecord(listing, complete, pages, items, expected, repository, reason)
        current: Listings = self.controls.get("listings") or Listings(True)
        self.controls["listings"] = replace(current, records=(*current.records, rec))
        return rec

    # -- data plane -----------------------------------------------------------------------------------

    def repository(self, name: str, attributes: Attributes = UNLOCKED, *, manifests: bool = True,
                   tags: bool = True, counts: tuple[int, int] | None = None) -> RepositoryBuilder:
        if self._repos is None:
            self._repos = []
        rb = RepositoryBuilder(self, name, attributes, manifests, tags, counts)
        self._repos.append(rb)
        return rb

    def no_repositories(self) -> SnapshotBuilder:
        self._repos = []
        return self

    def blob(self, name: str, size: int) -> int:
        d = name if name.startswith("sha256:") else digest_of(name)
        idx = self._blobs.get(d)
        if idx is None:
            idx = len(self._blob_list)
            self._blobs[d] = idx
            self._blob_list.append(Blob(d, size))
        return idx

    def time(self, age_days: float | None) -> datetime:
        if age_days is not None:
            return self.now - timedelta(days=age_days)
        self._clock += 1
        return BASE_TIME + timedelta(minutes=self._clock)

    def stored_bytes(self) -> int:
        used: set[int] = set()
        for rb in self._repos or []:
            for m in rb.manifests:
                used.update(m.blob_indexes())
        return sum(self._blob_list[i].size for i in used)

    def build(self) -> Snapshot:
        return Snapshot(
            registry=self._registry,
            collected_at=iso(self.now),
            source="builder",
            usage=None if self.usage is None else tuple(self.usage),
            private_endpoint_connections=None if self.pecs is None else tuple(self.pecs),
            replications=None if self.replications is None else tuple(self.replications),
            repositories=None if self._repos is None else tuple(rb.build() for rb in self._repos),
            blobs=tuple(self._blob_list),
            errors=tuple(self.errors),
            partial=frozenset(self.partial),
            operations=None if self.operations is None else frozenset(self.operations),
            **self.controls,
        )
