"""The management plane: the ARM client and finding a registry in a subscription.

Owns how the ARM client is built (endpoint for the fake ACR and sovereign clouds, the CA file, the capped
retry) and how a registry is located when no resource group was given, as ``az`` does. Imports
:mod:`acrdoctor.azure.retry`, :mod:`acrdoctor.azure.waits`, :mod:`acrdoctor.azure.failures` (so a failure
reads as every other Azure failure) and :mod:`acrdoctor.azure.ids`; ``azure-mgmt-containerregistry`` inside a
function.
"""

from __future__ import annotations

from typing import Any

from acrdoctor.azure.failures import CollectionAborted, explain_fatal
from acrdoctor.azure.ids import resource_group_of
from acrdoctor.azure.retry import CappedRetryPolicy
from acrdoctor.azure.waits import Waits


def arm_client(credential: Any, subscription: str, *, waits: Waits, endpoint: str | None = None,
               connection_verify: str | bool = True) -> Any:
    """A ``ContainerRegistryManagementClient`` whose retries (three) wait under the ``--max-wait`` cap."""
    # Imported here for start-up speed: the management SDK is only needed once Azure is reached.
    from azure.mgmt.containerregistry import ContainerRegistryManagementClient

    kwargs: dict[str, Any] = {"connection_verify": connection_verify,
                              "retry_policy": CappedRetryPolicy(waits, retry_total=3)}
    if endpoint:
        kwargs["base_url"] = endpoint
    return ContainerRegistryManagementClient(credential, subscription, **kwargs)


def find_resource_group(client: Any, name: str, what: str) -> str:
    """Without --resource-group, find the registry among the subscription's registries, as ``az`` does."""
    try:
        for reg in client.registries.list():
            if (reg.name or "").lower() == name.lower():
                rg = resource_group_of(reg.id)
                if rg:
                    return rg
    except Exception as err:  # noqa: BLE001
        raise explain_fatal(err, what) from None
    raise CollectionAborted(f"{what} was not found in the subscription; check the name ('az acr list -o table') "
                            "or pass --subscription and --resource-group")


def locate_registry(client: Any, name: str, *resource_groups: str | None) -> tuple[str, Any]:
    """The registry's resource group (the first given, else found) and its ARM resource, read once.

    A registry that cannot be read at all stops the caller with Azure's reason, whether it is collecting or fixing.
    """
    what = f"registry '{name}'"
    rg = next((g for g in resource_groups if g), None) or find_resource_group(client, name, what)
    try:
        return rg, client.registries.get(rg, name)
    except Exception as err:  # noqa: BLE001
        raise explain_fatal(err, f"{what} in resource group '{rg}'") from None
