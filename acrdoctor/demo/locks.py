"""The demo's Azure management locks and connected registry (issue 12, items 1 and 7).

Planted into contoso (``plant``): the platform team put a CanNotDelete lock on the resource group, so
``az acr delete`` fails with 409 ScopeLocked while image deletes still work (``resource-locks``), and a factory
site runs a ReadOnly connected registry fed by a sync token (``connected-registries``): repository deletes are
not supported there, and the registry cannot leave Premium until it is deleted.

The variant ``frozen`` (``build``) shows what the main demo cannot: a ReadOnly lock, which also refuses the ARM
writes of other checks' fixes.
"""

from __future__ import annotations

from dataclasses import replace

from acrdoctor.builder import SnapshotBuilder
from acrdoctor.model import NetworkRuleSet, Part, Policy, Snapshot

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


NAME = "frozen"
DESCRIPTION = ("a Premium registry under a ReadOnly lock during a change freeze: the delete is refused with 409 "
               "ScopeLocked, and the network and retention fixes say the lock refuses them too")


def build() -> Snapshot:
    """fabrikam-prod: a ReadOnly lock on the registry for a change freeze and the subscription's CanNotDelete guard;
    its firewall refuses the caller and its retention policy sits beside soft delete, so the fixes for both need
    ARM writes the ReadOnly lock refuses (``resource-locks`` notes on ``network-access-denied`` and
    ``retention-policy``). Images and repositories can still be deleted: locks do not cover repository data."""
    b = SnapshotBuilder("fabrikamprod", sku="Premium", resource_group="rg-fabrikam-prod",
                        network_rule_set=NetworkRuleSet("Deny", ip_rules=("198.51.100.0/24",)),
                        retention_policy=Policy("enabled", 7), soft_delete_policy=Policy("enabled", 14))
    b.collected("resource_locks", "connected_registries")
    b.no_private_endpoints()
    b.repository("payments/api").image(["2.3.0"], layers=[("payments-base", 40_000_000)])
    b.lock("change-freeze", "ReadOnly", "registry", notes="change freeze until the quarter closes")
    b.lock("subscription-guard", "CanNotDelete", "subscription")
    b.error(Part.REPOSITORIES, 403, "DENIED",
            "client with IP '203.0.113.7' is not allowed access. Refer https://aka.ms/acr/firewall to grant access.")
    b.set_usage()
    return b.build()
