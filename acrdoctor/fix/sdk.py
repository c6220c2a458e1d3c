"""The SDK side of applying fixes: one place that holds the clients and reads back state.

Actions (``acrdoctor.actions``) render their ``az`` command; their appliers (:mod:`acrdoctor.fix.appliers`)
call :class:`FixClients` to perform the same change, so the two cannot drift. State is always reduced to
small plain dicts (``present``, lock flags, tags, rules) built by :mod:`acrdoctor.fix.state`, which builds
the same shapes from a snapshot when a plan is made, so "has this object changed since the plan?" is a dict
comparison. Clients are opened through :mod:`acrdoctor.azure`, as the collector's are.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from acrdoctor.azure import session
from acrdoctor.azure.session import NO_ASYNC_CREDENTIAL, GivenCredentials
from acrdoctor.azure.waits import Waits
from acrdoctor.fix.placeholder import OCI_MANIFEST, PLACEHOLDER_CONFIG, PLACEHOLDER_LAYER, placeholder_manifest
from acrdoctor.fix.state import lock_state
from acrdoctor.model import Registry
from acrdoctor.snapshot_io import parse_registry

if TYPE_CHECKING:
    from acrdoctor.fix.pace import Pace

#: Makes the run's buckets once the registry's SKU is known (``Pace.for_sku`` with the user's options).
PaceFor = Callable[[str | None], "Pace"]


class ApplyError(Exception):
    """An action ran and the registry did not end up as intended (not an HTTP error: those come as they are)."""


@dataclass
class FixClients:
    """The registry a plan is applied to, and the two SDK clients that reach it.

    ``polling_interval`` overrides the ARM long-running-operation poll interval (tests use 0; ARM
    normally says how long to wait with Retry-After).
    """

    name: str
    resource_group: str
    subscription: str
    login_server: str
    data: Any
    arm: Any
    polling_interval: float | None = None
    #: The request buckets every data-plane request of this run waits for (None: not paced, as in tests).
    pace: Pace | None = None
    _registry: Registry | None = field(default=None, repr=False)
    _catalog: set[str] | None = field(default=None, repr=False)

    # -- reading --------------------------------------------------------------------------------------

    def registry(self, fresh: bool = False) -> Registry:
        """The registry's ARM settings as acrdoctor's model (parsed as the collector parses them)."""
        if self._registry is None or fresh:
            # Imported here for start-up speed: the CLI imports this module at start, a registry read is rare.
            from acrdoctor.collect.arm_shapes import registry_section

            raw = self.arm.registries.get(self.resource_group, self.name).as_dict()
            self._registry = parse_registry(registry_section(raw))
        return self._registry

    def repository_names(self, fresh: bool = False) -> set[str]:
        """The catalog, read once per run and again after a change of ours or when ``fresh`` is asked for.

        A registry with thousands of repositories has tens of catalog pages; reading them for every check
        of every repository step would cost more than the steps themselves.
        """
        if self._catalog is None or fresh:
            self._catalog = set(self.data.list_repository_names())
        return self._catalog

    def repository_state(self, repository: str) -> dict[str, Any]:
        """Listed in the catalog or not, with its manifests and tags (an orphaned repository lists none)."""
        # Imported here for start-up speed: azure-core is only needed once a fix is applied.
        from azure.core.exceptions import ResourceNotFoundError

        if repository not in self.repository_names():
            return {"present": False}
        try:
            manifests = sorted(m.digest for m in self.data.list_manifest_properties(repository))
            tags = sorted(t.name for t in self.data.list_tag_properties(repository))
        except ResourceNotFoundError:
            manifests, tags = [], []
        return {"present": True, "manifests": manifests, "tags": tags}

    def lock_state(self, repository: str, digest: str | None = None, tag: str | None = None) -> dict[str, Any]:
        # Imported here for start-up speed: azure-core is only needed once a fix is applied.
        from azure.core.exceptions import ResourceNotFoundError

        try:
            if digest:
                p = self.data.get_manifest_properties(repository, digest)
            elif tag:
                p = self.data.get_tag_properties(repository, tag)
            else:
                p = self.data.get_repository_properties(repository)
        except ResourceNotFoundError:
            return {"present": False}
        state = lock_state(True, p.can_write, p.can_delete)
        if digest:
            state["tags"] = sorted(p.tags or [])
        return state

    def manifest_states(self, repository: str) -> dict[str, dict[str, Any]]:
        """Every manifest of a repository in :meth:`lock_state`'s shape, from one paged listing (100 a page).

        What a bulk delete re-checks before it deletes: one request per hundred manifests instead of one GET per
        manifest. An unknown repository lists nothing (every planned manifest then reads as gone).
        """
        # Imported here for start-up speed: azure-core is only needed once a fix is applied.
        from azure.core.exceptions import ResourceNotFoundError

        from acrdoctor.azure.dataplane_client import raw_pages_sync

        try:
            items = raw_pages_sync(self.data, f"/acr/v1/{repository}/_manifests?n=100", "manifests")
        except ResourceNotFoundError:
            return {}
        out: dict[str, dict[str, Any]] = {}
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("digest"), str):
                continue
            attrs = item.get("changeableAttributes") or {}
            state = lock_state(True, attrs.get("writeEnabled"), attrs.get("deleteEnabled"))
            state["tags"] = sorted(t for t in item.get("tags") or () if isinstance(t, str))
            out[item["digest"]] = state
        return out

    def connection_state(self, connection: str) -> dict[str, Any]:
        # Imported here for start-up speed: azure-core is only needed once a fix is applied.
        from azure.core.exceptions import ResourceNotFoundError

        try:
            self.arm.private_endpoint_connections.get(self.resource_group, self.name, connection)
        except ResourceNotFoundError:
            return {"present": False}
        return {"present": True}

    # -- writing --------------------------------------------------------------------------------------

    def _poll(self) -> dict[str, Any]:
        return {} if self.polling_interval is None else {"polling_interval": self.polling_interval}

    def patch_registry(self, properties: dict[str, Any]) -> None:
        """PATCH the registry's properties (``az acr update`` and friends send the same) and wait for it."""
        self.arm.registries.begin_update(self.resource_group, self.name, {"properties": properties},
                                         **self._poll()).result()
        self._registry = None

    def delete_connection(self, connection: str) -> None:
        self.arm.private_endpoint_connections.begin_delete(self.resource_group, self.name, connection,
                                                           **self._poll()).result()

    def delete_manifest(self, repository: str, digest: str) -> int:
        """DELETE one manifest and return the status: 202 deleted, 404 already gone; anything else raises.

        Sent through the client's pipeline (token reuse, pacing, retries) but not through the SDK method, which
        hides a 404: the status itself says whether this request deleted it, so no GET is needed to confirm.
        """
        # Imported here for start-up speed: azure-core is only needed once a fix is applied.
        from azure.core.exceptions import HttpResponseError
        from azure.core.rest import HttpRequest

        response = self.data._client.send_request(HttpRequest("DELETE", f"/v2/{repository}/manifests/{digest}"))
        if response.status_code in (200, 202, 404):
            return int(response.status_code)
        raise HttpResponseError(response=response)

    def push_placeholder(self, repository: str, tag: str) -> str:
        """Blob uploads and a manifest put: the smallest real image, so ACR knows the repository again."""
        self._catalog = None
        for blob in (PLACEHOLDER_CONFIG, PLACEHOLDER_LAYER):
            self.data.upload_blob(repository, io.BytesIO(blob))
        return str(self.data.set_manifest(repository, io.BytesIO(placeholder_manifest()), tag=tag,
                                          media_type=OCI_MANIFEST))

    def close(self) -> None:
        for client in (self.data, self.arm):
            close = getattr(client, "close", None)
            if close is not None:
                close()


def connect(target: Any, *, subscription: str | None = None, resource_group: str | None = None,
            arm_endpoint: str | None = None, connection_verify: str | bool = True, credential: Any = None,
            polling_interval: float | None = None, retry_total: int = 3, waits: Waits | None = None,
            pace: PaceFor | None = None) -> FixClients:
    """Resolve the registry through ARM (as the collector does) and open both clients.

    The data-plane client retries 429 (honouring Retry-After up to the cap of ``waits``) and 5xx
    ``retry_total`` times before a step is reported as failed; a longer Retry-After fails the step at once.
    """
    # Imported here for start-up speed: they import azure-core, which ``acrdoctor --help`` never needs.
    from acrdoctor.azure.arm import arm_client, locate_registry
    from acrdoctor.azure.dataplane_client import registry_client

    waits = waits or Waits()
    sync_credential, _ = session.credentials(GivenCredentials(credential, NO_ASYNC_CREDENTIAL))
    sub = session.subscription(subscription, target.subscription_id)
    arm = arm_client(sync_credential, sub, waits=waits, endpoint=arm_endpoint, connection_verify=connection_verify)
    rg, reg = locate_registry(arm, target.name, resource_group, target.resource_group)
    login = reg.login_server or target.login_server or f"{target.name}.azurecr.io"
    policies: list[Any] = []
    paced = None
    if pace is not None:
        from acrdoctor.fix.pace import PacingPolicy

        sku = getattr(getattr(reg, "sku", None), "name", None)
        sku = getattr(sku, "value", sku)  # the SDK's SkuName enum: str() would say "SkuName.PREMIUM"
        paced = pace(str(sku) if sku else None)
        policies.append(PacingPolicy(paced, waits))
    data = registry_client(login, sync_credential, waits=waits, retry_total=retry_total,
                           connection_verify=connection_verify, policies=policies)
    return FixClients(target.name, rg, sub, login, data, arm, polling_interval, pace=paced)
