"""Catalogue 2, failure mode 7: connected registries, which change what a delete does and what must go first.

The rules, from the ACR docs ([D-CR] in docs/sources.md):

* "Repository delete isn't supported on the connected registry using ReadOnly mode", and "image locking through
  repository/manifest/tag metadata isn't currently supported for connected registries" (intro-connected-registry.md,
  "Limitations", https://learn.microsoft.com/azure/container-registry/intro-connected-registry). The service's
  mode enum also has ``Mirror`` (ConnectedRegistryMode: ReadWrite, ReadOnly, Registry, Mirror); it is pull-only and
  treated as ReadOnly here (``ConnectedRegistry.read_only``).
* "The sync token cannot be deleted until the connected registry associated with the token is deleted"
  (overview-connected-registry-access.md, "Manage sync token").
* "Deletion of a connected registry needs manual removal of the containers on-premises and removal of the
  respective scope map or tokens in the cloud" (intro-connected-registry.md, "Limitations");
  ``az acr connected-registry delete --cleanup`` deletes the sync token and scope map (azure-cli 2.91
  ``acr/connected_registry.py``; with managed-identity authentication there is none to clean up).
* Moving a Premium registry to a lower SKU requires deleting its connected registries first (container-registry-
  skus.md, [D-SKU]). No source says they block ``az acr delete`` itself (peers notes item 20: unverified), so the
  pre-flight warns rather than blocks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from acrdoctor.actions import DeleteConnectedRegistry, RegistryRef, shell_join
from acrdoctor.check_api import Check, Context, Finding, Fix, Resource, Severity
from acrdoctor.controls import ConnectedRegistry
from acrdoctor.model import Part, Snapshot
from acrdoctor.units import plural

if TYPE_CHECKING:
    from acrdoctor.completeness import Gap

DOCS = (
    "https://learn.microsoft.com/azure/container-registry/intro-connected-registry",
    "https://learn.microsoft.com/azure/container-registry/overview-connected-registry-access",
    "https://learn.microsoft.com/azure/container-registry/container-registry-skus",
)


def _tail(resource_id: str | None) -> str | None:
    """The last segment of an ARM id (a token's name), or None."""
    return resource_id.rstrip("/").rsplit("/", 1)[-1] if resource_id else None


def locked_objects(snapshot: Snapshot) -> int:
    """How many repositories, manifests and tags in the cloud registry carry an ACR lock (write or delete
    disabled): locks a connected registry does not honour."""
    count = 0
    for repo in snapshot.repositories or ():
        count += repo.attributes.blocks_delete
        count += sum(m.attributes.blocks_delete for m in repo.manifests or ())
        count += sum(t.attributes.blocks_delete for t in repo.tags or ())
    return count


def connected_registry_summary(connected: tuple[ConnectedRegistry, ...]) -> str:
    """``name (mode)`` for each connected registry, for messages elsewhere (pre-flight)."""
    return ", ".join(f"{c.name} ({c.mode or 'mode unknown'})" for c in connected)


class ConnectedRegistries(Check):
    slug = "connected-registries"
    title = "Connected registries: deletes they refuse, locks they ignore, what must go first"
    severity = Severity.LOW
    needs = frozenset({Part.CONNECTED_REGISTRIES})
    uses = frozenset({Part.REPOSITORIES, Part.MANIFESTS, Part.TAGS})
    failure_mode = ("A repository delete fails on a ReadOnly connected registry; its sync token cannot be deleted; "
                    "the registry cannot leave Premium while connected registries exist")
    cause = (
        "Connected registries are on-premises replicas of the cloud registry, each bound to it by a sync token. "
        "Repository delete is not supported on a ReadOnly one, ACR's image locks are not enforced on any of them, "
        "their sync tokens cannot be deleted while they exist, and a Premium registry cannot move to a lower SKU "
        "until they are deleted (which also needs their on-premises containers removed by hand)."
    )
    docs = DOCS

    def blind_spots(self, ctx: Context, gaps: tuple[Gap, ...]) -> tuple[Gap, ...]:
        """Repository data only feeds the count of locks connected registries ignore; gaps there do not make
        the connected-registry findings themselves partial."""
        return tuple(g for g in gaps if g.part is Part.CONNECTED_REGISTRIES)

    def run(self, ctx: Context) -> Iterator[Finding]:
        snap = ctx.snapshot
        connected = snap.connected_registries or ()
        if not connected:
            return
        reg = snap.registry
        ref = RegistryRef(reg.name, reg.resource_group)
        for c in connected:
            yield self._one(c, ref, reg.name)
        locks = locked_objects(snap)
        if locks:
            yield self.finding(
                Resource.registry(reg.name),
                f"{plural(locks, 'locked repository, image or tag', 'locked repositories, images or tags')} in "
                f"{reg.name}: ACR's image locks are not supported on connected registries, so on "
                f"{plural(len(connected), 'connected registry', 'connected registries')} they do not protect "
                "these objects",
                severity=Severity.INFO,
                cause="Image locking through repository/manifest/tag attributes is not supported for connected "
                      "registries (ACR connected-registry docs, Limitations).",
                details={"locked_objects": locks, "connected_registries": [c.name for c in connected]},
            )

    def _one(self, c: ConnectedRegistry, ref: RegistryRef, registry: str) -> Finding:
        token = _tail(c.sync_token_id)
        parts = [f"connected registry {c.name} ({c.mode or 'mode unknown'}"
                 + (f", {c.connection_state}" if c.connection_state else "") + ")"]
        if c.read_only:
            parts.append("repository delete is not supported on it: a cleanup run against its endpoint fails; "
                         f"run deletes against {registry} instead")
        if token:
            parts.append(f"its sync token {token} cannot be deleted while it exists")
        parts.append(f"{registry} cannot move off Premium until it is deleted")
        notes = [
            "A manual step: the fix command prints it but does not run it.",
            "Deleting a connected registry does not stop its on-premises containers: remove them by hand (the "
            "connected-registry Arc extension or IoT Edge module), or they keep trying to sync.",
            "--cleanup deletes the sync token and its scope map (sync-token authentication); with managed-identity "
            "authentication there is nothing for it to clean up. Client tokens are not deleted: remove those you "
            "no longer need with az acr token delete.",
        ]
        if token:
            disable = shell_join(["az", "acr", "token", "update", "--name", token, "--registry", ref.name,
                                  *ref.rg(), "--status", "disabled"])
            notes.append(f"To stop it syncing without deleting it, disable its sync token (ACR docs, connected "
                         f"registry access): `{disable}`.")
        fix = Fix(
            summary="Only if the connected registry is no longer needed (before a downgrade from Premium or before "
                    "deleting the registry): delete it with its sync token, then remove its on-premises containers.",
            actions=(DeleteConnectedRegistry(ref, c.name),),
            notes=tuple(notes),
        )
        return self.finding(
            Resource.registry(registry),
            "; ".join(parts),
            fix=fix,
            severity=Severity.LOW if c.read_only else Severity.INFO,
            details={
                "connected_registry": c.name,
                "mode": c.mode,
                "connection_state": c.connection_state,
                "sync_token": token,
                "client_tokens": [_tail(t) for t in c.client_token_ids],
                "parent": _tail(c.parent_id),
            },
        )
