"""The main demo's Azure management lock and connected registry (issue 12, items 1 and 7).

Planted into contoso (``plant``): the platform team put a CanNotDelete lock on the resource group, so
``az acr delete`` fails with 409 ScopeLocked while image deletes still work (``resource-locks``), and a factory
site runs a ReadOnly connected registry fed by a sync token (``connected-registries``): repository deletes are
not supported there, and the registry cannot leave Premium until it is deleted.
"""

from __future__ import annotations

from dataclasses import replace

from acrdoctor.builder import SnapshotBuilder

#: Names the docs and tests refer to.
LOCK_NAME = "platform-no-delete"
CONNECTED_REGISTRY = "factory-rotterdam"
SYNC_TOKEN = "factory-rotterdam-sync-token"


def plant(b: SnapshotBuilder) -> None:
    b.lock(LOCK_NAME, "CanNotDelete", "resourceGroup",
           notes="rg-contoso-prod is locked by the platform team; ask #platform before removing")
    cr = b.connected_registry(CONNECTED_REGISTRY, "ReadOnly", connection_state="Online",
                              provisioning_state="Succeeded")
    # The sync token's id sits under the registry's, which the builder knows: take it from the row it made.
    registry_id = (cr.id or "").rsplit("/connectedRegistries/", 1)[0]
    synced = replace(cr, sync_token_id=f"{registry_id}/tokens/{SYNC_TOKEN}")
    b.controls["connected_registries"] = (*b.controls["connected_registries"][:-1], synced)
