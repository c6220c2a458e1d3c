"""Failure mode 2: the registry cannot be deleted while private endpoint connections are attached.

ACR's troubleshooting article ("Issue 2") says a registry with private endpoints cannot be deleted until
they are removed, and ``az acr delete`` only sends the ARM DELETE without touching them (Azure CLI
``custom.py``, see notes acr-wire-behaviour.md §d.3). No recorded ARM error body exists for this failure, so
the check judges the connection list itself rather than an error string.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from acrdoctor.actions import DeletePrivateEndpointConnection, RegistryRef, shell_join
from acrdoctor.check_api import Check, Context, Finding, Fix, Resource, Severity
from acrdoctor.model import Part, PrivateEndpointConnection, Registry
from acrdoctor.units import plural

from .resource_locks import with_lock_note

#: The private DNS zone ACR private endpoints register their records in (ACR private-link docs).
PRIVATE_DNS_ZONE = "privatelink.azurecr.io"

_RG = re.compile(r"/resourceGroups/([^/]+)/", re.IGNORECASE)


def _describe(pec: PrivateEndpointConnection) -> str:
    status = pec.status or "unknown status"
    endpoint = f"private endpoint {pec.private_endpoint_id}" if pec.private_endpoint_id else "an unnamed endpoint"
    text = f"{status} connection from {endpoint}"
    if pec.provisioning_state and pec.provisioning_state.lower() != "succeeded":
        text += f" (provisioning state {pec.provisioning_state})"
    return text


def _resource_group_of(resource_id: str | None) -> str | None:
    """The resource group segment of an ARM id; the endpoint's DNS zone usually lives beside it."""
    match = _RG.search(resource_id or "")
    return match.group(1) if match else None


def _notes(reg: Registry, pec: PrivateEndpointConnection, total: int) -> tuple[str, ...]:
    delete_registry = shell_join(["az", "acr", "delete", *reg.az_target()])
    notes = [
        f"`{delete_registry}` does not remove private endpoint connections itself; delete every one of them "
        f"first ({plural(total, 'connection')} on this registry), then delete the registry.",
    ]
    zone_rg = _resource_group_of(pec.private_endpoint_id) or reg.resource_group
    listing = shell_join(["az", "network", "private-dns", "link", "vnet", "list", "--resource-group",
                          zone_rg, "--zone-name", PRIVATE_DNS_ZONE]) if zone_rg else None
    notes.append(
        f"Also remove this registry's records from the private DNS zone {PRIVATE_DNS_ZONE}, or unlink the zone "
        "from the VNet if nothing else uses it"
        + (f" (list the links: `{listing}`)" if listing else "")
        + "; stale records keep resolving the login server to a private IP that no longer answers."
    )
    if pec.private_endpoint_id:
        delete_pe = shell_join(["az", "network", "private-endpoint", "delete", "--ids", pec.private_endpoint_id])
        notes.append(f"Deleting the private endpoint resource itself (`{delete_pe}`) removes this connection too.")
    return tuple(notes)


class PrivateEndpointsBlockRegistryDelete(Check):
    slug = "private-endpoints-block-registry-delete"
    title = "Private endpoint connections that block deleting the registry"
    severity = Severity.MEDIUM
    needs = frozenset({Part.PRIVATE_ENDPOINT_CONNECTIONS})
    failure_mode = "Deleting the registry fails while private endpoint connections are still attached"
    cause = (
        "ACR refuses to delete a registry that still has private endpoint connections, whatever their state, "
        "and `az acr delete` does not remove them for you."
    )
    docs = (
        "https://learn.microsoft.com/troubleshoot/azure/azure-container-registry/delete-operation-issues",
        "https://learn.microsoft.com/azure/container-registry/container-registry-private-link",
    )

    def run(self, ctx: Context) -> Iterator[Finding]:
        reg = ctx.snapshot.registry
        ref = RegistryRef(reg.name, reg.resource_group)
        connections = ctx.snapshot.private_endpoint_connections or ()
        for pec in connections:
            fix = Fix(
                summary="Delete the private endpoint connection, then the registry.",
                actions=(DeletePrivateEndpointConnection(ref, pec.name),),
                notes=_notes(reg, pec, len(connections)),
            )
            yield with_lock_note(ctx.snapshot, self.finding(
                Resource.private_endpoint_connection(pec.name),
                f"{_describe(pec)}; the registry cannot be deleted while it is attached",
                fix=fix,
                details={
                    "connection_id": pec.id,
                    "private_endpoint_id": pec.private_endpoint_id,
                    "status": pec.status,
                    "provisioning_state": pec.provisioning_state,
                    "connections_on_registry": len(connections),
                },
            ), deletes=True)
