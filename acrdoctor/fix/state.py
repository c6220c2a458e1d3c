"""The state a plan expects each object to be in, read from the snapshot the plan was made from.

The shapes are those :class:`acrdoctor.fix.sdk.FixClients` reads back from the live registry, so the
check before applying ("has anything changed since the plan?") compares like with like. A test serves a
snapshot from the fake ACR and asserts that every action observes exactly what this module predicts.
The shape builders (``lock_state``, ``network_state``, ``retention_state``, ``rule_set_body``) live here,
pure, and the SDK side uses them, so planning never imports the SDK side. Imports actions and the model only.
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
from acrdoctor.model import Attributes, Manifest, NetworkRuleSet, Registry, Repository, Snapshot


def lock_state(present: bool, write: bool | None = None, delete: bool | None = None) -> dict[str, Any]:
    """Unset flags read as enabled (ACR's default), so a snapshot and a live read compare equal."""
    if not present:
        return {"present": False}
    return {"present": True, "write_enabled": bool(write if write is not None else True),
            "delete_enabled": bool(delete if delete is not None else True)}


def manifest_state(m: Manifest) -> dict[str, Any]:
    """A snapshot manifest as :meth:`acrdoctor.fix.sdk.FixClients.lock_state` reads it back (flags and tags).

    Written out rather than through :func:`lock_state`: a plan builds one per planned delete, 185,000 on the large
    benchmark registry. Unset flags read as enabled, as there.
    """
    a = m.attributes
    return {"present": True, "write_enabled": a.write_enabled is not False,
            "delete_enabled": a.delete_enabled is not False, "tags": sorted(m.tags) if m.tags else []}


def attributes_state(a: Attributes) -> dict[str, Any]:
    """A snapshot's attributes in the shape :meth:`acrdoctor.fix.sdk.FixClients.lock_state` reads back."""
    return lock_state(True, a.write_enabled, a.delete_enabled)


def network_state(reg: Registry) -> dict[str, Any]:
    """Only what the firewall actions change, with ARM's defaults filled in, so an unset value is no difference."""
    rules = reg.network_rule_set
    return {"public_network_access": reg.public_network_access or "Enabled",
            "default_action": rules.default_action if rules else "Allow",
            "ip_rules": sorted(rules.ip_rules) if rules else []}


def rule_set_body(rules: NetworkRuleSet | None, *, default_action: str | None = None,
                  add_ip: str | None = None) -> dict[str, Any]:
    """The whole ``networkRuleSet`` for a registry PATCH, with every rule already there.

    ARM takes the rule set as one object (``az acr network-rule add`` and ``az acr update --default-action``
    send it whole as well), so a change to one part sends the others back unchanged.
    """
    ips = [*(rules.ip_rules if rules else ()), *([add_ip] if add_ip else [])]
    body: dict[str, Any] = {"defaultAction": default_action or (rules.default_action if rules else "Allow"),
                            "ipRules": [{"action": "Allow", "value": ip} for ip in ips]}
    if rules and rules.virtual_network_rules:
        body["virtualNetworkRules"] = [{"action": "Allow", "id": v} for v in rules.virtual_network_rules]
    return body


def retention_state(reg: Registry) -> dict[str, Any]:
    """No policy reads as disabled, as ARM reports a registry that never had one."""
    p = reg.retention_policy
    return {"status": p.status.lower() if p else "disabled", "days": p.days if p else None}


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
    if type(action) is DeleteManifest:  # the plan's bulk (200,000 of them): straight to the manifest
        m = look.manifest(action.repository, action.digest)
        if m is not None:
            return manifest_state(m)
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
            return manifest_state(m)
        if tag:
            if repo.tags is None:
                return None
            t = next((t for t in repo.tags if t.name == tag), None)
            return attributes_state(t.attributes) if t is not None else {"present": False}
        return attributes_state(repo.attributes)
    return None
