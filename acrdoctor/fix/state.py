"""The state a plan expects each object to be in, read from the snapshot the plan was made from.

The shapes are those :class:`acrdoctor.fix.sdk.FixClients` reads back from the live registry, so the
check before applying ("has anything changed since the plan?") compares like with like. A test serves a
snapshot from the fake ACR and asserts that every action observes exactly what this module predicts.
"""

from __future__ import annotations

from typing import Any

from acrdoctor.actions import (
    Action,
    AddNetworkRule,
    DeleteManifest,
    DeletePrivateEndpointConnection,
    DeleteRepository,
    ImportPlaceholder,
    SetAttributes,
    SetPublicNetworkAccess,
    SetRetentionPolicy,
)
from acrdoctor.fix.sdk import attributes_state, network_state, retention_state
from acrdoctor.model import Manifest, Repository, Snapshot


class Lookup:
    """Repositories by name and manifests by digest, built once: a plan asks for hundreds of thousands."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.index = {r.name: i for i, r in enumerate(snapshot.repositories or ())}
        self._manifests: dict[str, dict[str, Manifest]] = {}

    def repository(self, name: str) -> Repository | None:
        i = self.index.get(name)
        return None if i is None else (self.snapshot.repositories or ())[i]

    def manifest(self, repository: str, digest: str) -> Manifest | None:
        found = self._manifests.get(repository)
        if found is None:
            repo = self.repository(repository)
            found = self._manifests[repository] = repo.manifest_by_digest() if repo else {}
        return found.get(digest)


def planned_state(action: Action, snapshot: Snapshot, lookup: Lookup | None = None) -> dict[str, Any] | None:
    """What ``action.observe`` should return on the registry the snapshot describes (None: not knowable)."""
    look = lookup if lookup is not None and lookup.snapshot is snapshot else Lookup(snapshot)
    reg = snapshot.registry
    if isinstance(action, (AddNetworkRule, SetPublicNetworkAccess)):
        return network_state(reg)
    if isinstance(action, SetRetentionPolicy):
        return retention_state(reg)
    if isinstance(action, DeletePrivateEndpointConnection):
        if snapshot.private_endpoint_connections is None:
            return None
        return {"present": any(p.name == action.connection for p in snapshot.private_endpoint_connections)}
    repo = look.repository(getattr(action, "repository", ""))
    if isinstance(action, (DeleteRepository, ImportPlaceholder)):
        if repo is None:
            return {"present": False}
        if repo.manifests is None or repo.tags is None:
            return None
        return {"present": True, "manifests": sorted(m.digest for m in repo.manifests),
                "tags": sorted(t.name for t in repo.tags)}
    if isinstance(action, (SetAttributes, DeleteManifest)):
        digest = action.digest
        tag = action.tag if isinstance(action, SetAttributes) else None
        if repo is None:
            return {"present": False}
        if digest:
            if repo.manifests is None:
                return None
            m = look.manifest(repo.name, digest)
            if m is None:
                return {"present": False}
            return {**attributes_state(m.attributes), "tags": sorted(m.tags)}
        if tag:
            if repo.tags is None:
                return None
            t = next((t for t in repo.tags if t.name == tag), None)
            return attributes_state(t.attributes) if t is not None else {"present": False}
        return attributes_state(repo.attributes)
    return None
