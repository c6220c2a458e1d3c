"""The Azure Resource Manager the Azure CLI needs around a registry: subscriptions, tenants, resource lookup.

Why: ``az login --identity`` lists the subscriptions of the token's tenant, ``az acr … -n NAME`` without
``--resource-group`` finds the registry through ``GET /subscriptions/{id}/resources?$filter=resourceType eq
'Microsoft.ContainerRegistry/registries'`` (azure-cli ``acr/_utils.py`` → ``get_resources_in_subscription``), and
``az cloud register --endpoint-resource-manager URL`` reads the cloud's endpoints from ``URL/metadata/endpoints``
(azure-cli ``cloud/custom.py``). The registry resource provider itself stays in ``_server.py``.

Shapes follow the ARM REST reference (Subscriptions 2022-12-01, Resources 2021-04-01, Tenants 2022-12-01) and
the keys azure-cli reads; none of them was recorded from a real ARM.
"""

from __future__ import annotations

import json
import re
from typing import Any

from acrdoctor.testing._identity import FAKE_TENANT_ID
from acrdoctor.testing._state import ArmError, FakeRegistry

#: The cloud name the metadata document gives; ``az cloud register -n`` may use any other.
CLOUD_NAME = "AcrDoctorFake"
#: The audience ARM tokens are asked for in the fake cloud (the public cloud's, so SDK defaults agree).
ARM_AUDIENCE = "https://management.core.windows.net/"
#: Paths that always belong to ARM, whatever their query.
_ARM_PREFIXES = ("/subscriptions", "/tenants", "/providers/", "/resourcegroups/")
#: The data plane's path roots: a request there is never ARM's.
_DATA_PLANE_PREFIXES = ("/v2", "/acr/", "/oauth2/")


def is_arm_path(path: str, query: dict[str, str]) -> bool:
    """Whether ARM answers this request: its own path roots, or anything off the data plane with an api-version."""
    low = path.lower()
    if low.startswith(_DATA_PLANE_PREFIXES):
        return False
    return low == "/subscriptions" or low.startswith(_ARM_PREFIXES) or "api-version" in query


def cloud_metadata(arm_endpoint: str, login_server_suffix: str) -> dict[str, Any]:
    """``GET /metadata/endpoints``: what ``az cloud register`` discovers (keys from azure-cli ``_arm_to_cli_mapper``).

    Only ARM and the registry suffix point at the fake; ``loginEndpoint`` is the fake too, though nothing signs in
    there (managed identity needs no authority). The other services keep the public cloud's names.
    """
    return {
        "name": CLOUD_NAME, "resourceManager": arm_endpoint + "/", "portal": "https://portal.azure.com",
        "authentication": {"loginEndpoint": arm_endpoint + "/", "audiences": [ARM_AUDIENCE],
                           "tenant": "common", "identityProvider": "AAD"},
        "graphAudience": "https://graph.windows.net/", "graph": "https://graph.windows.net/",
        "microsoftGraphResourceId": "https://graph.microsoft.com/",
        "suffixes": {"acrLoginServer": login_server_suffix.lstrip("."), "keyVaultDns": "vault.azure.net",
                     "storage": "core.windows.net", "sqlServerHostname": "database.windows.net"},
    }


def _subscription(st: FakeRegistry) -> dict[str, Any]:
    return {"id": f"/subscriptions/{st.subscription_id}", "subscriptionId": st.subscription_id,
            "tenantId": FAKE_TENANT_ID, "displayName": "acrdoctor fake subscription", "state": "Enabled",
            "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01",
                                     "spendingLimit": "Off"},
            "authorizationSource": "RoleBased", "managedByTenants": []}


def _generic_resource(st: FakeRegistry) -> dict[str, Any]:
    return {"id": st.resource_id, "name": st.name, "type": "Microsoft.ContainerRegistry/registries",
            "sku": {"name": st.sku, "tier": st.sku}, "location": st.location, "tags": dict(st.tags)}


_FILTER_TERM = re.compile(r"(resourceType|name|resourceGroup)\s+eq\s+'([^']*)'", re.IGNORECASE)


def _matches(filter_text: str, st: FakeRegistry) -> bool:
    """An ARM ``$filter`` of ``eq`` terms joined by ``and`` (what az sends); other operators match nothing."""
    if not filter_text.strip():
        return True
    terms = _FILTER_TERM.findall(filter_text)
    if not terms or len(terms) != len(re.findall(r"\beq\b", filter_text, re.IGNORECASE)) or " or " in filter_text:
        return False
    have = {"resourcetype": "Microsoft.ContainerRegistry/registries", "name": st.name,
            "resourcegroup": st.resource_group}
    return all(have[key.lower()].lower() == value.lower() for key, value in terms)


def not_found(path: str) -> ArmError:
    """ARM's answer to a path no provider knows (its code for an unregistered type)."""
    return ArmError(404, "InvalidResourceType", f"The resource type could not be found for the path '{path}'.")


def subscription_answer(st: FakeRegistry, method: str, path: str,
                        query: dict[str, str]) -> dict[str, Any] | None:
    """The JSON of the subscription-level reads az makes, or None when the path is not one of them."""
    parts = [p for p in path.split("/") if p]
    low = [p.lower() for p in parts]
    if method != "GET" or not parts:
        return None
    if low == ["tenants"]:
        return {"value": [{"id": f"/tenants/{FAKE_TENANT_ID}", "tenantId": FAKE_TENANT_ID,
                           "tenantCategory": "Home", "displayName": "acrdoctor fake tenant",
                           "defaultDomain": "fake.localhost", "domains": ["fake.localhost"]}]}
    if low == ["subscriptions"]:
        return {"value": [_subscription(st)]}
    if low[0] != "subscriptions" or len(parts) < 2:
        return None
    mine = parts[1].lower() == st.subscription_id.lower()
    if len(parts) == 2:
        if not mine:
            raise ArmError(404, "SubscriptionNotFound", f"The subscription '{parts[1]}' could not be found.")
        return _subscription(st)
    if low[2:] == ["resources"]:
        found = mine and not st.deleted and _matches(query.get("$filter", ""), st)
        return {"value": [_generic_resource(st)] if found else []}
    if len(parts) == 4 and low[2] == "resourcegroups":
        if not mine or parts[3].lower() != st.resource_group.lower():
            raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{parts[3]}' could not be found.")
        return {"id": f"/subscriptions/{st.subscription_id}/resourceGroups/{st.resource_group}",
                "name": st.resource_group, "type": "Microsoft.Resources/resourceGroups", "location": st.location,
                "properties": {"provisioningState": "Succeeded"}}
    return None


#: Size of the placeholder layer an import creates: the source is never fetched, so its size is the fake's choice.
PLACEHOLDER_LAYER_BYTES = 1024


def import_image(st: FakeRegistry, body: bytes) -> list[str]:
    """``POST …/registries/{name}/importImage``: a small placeholder image made locally under every target.

    The source is never fetched (no internet): each ``targetTags`` entry (``repo:tag``, or ``repo`` for
    ``latest``) and each ``untaggedTargetRepositories`` entry gets one image whose only layer is named after the
    source, so two imports of one source share their bytes as two pulls of one image would. Returns the targets.
    Refusals (the fake's own codes, **not verified** on a real registry): no source or target → 400
    ``InvalidParameter``; ``mode: NoForce`` onto an existing tag → 409 ``Conflict``; a target repository, tag or
    the manifest it names with ``writeEnabled`` false → 409 ``Conflict``.
    """
    try:
        doc = json.loads(body or b"{}")
    except ValueError as e:
        raise ArmError(400, "InvalidRequestContent", "The request content was invalid.") from e
    source = (doc.get("source") or {}) if isinstance(doc, dict) else {}
    image = source.get("sourceImage")
    tags = [str(t) for t in doc.get("targetTags") or []]
    untagged = [str(r) for r in doc.get("untaggedTargetRepositories") or []]
    if not image or not (tags or untagged):
        raise ArmError(400, "InvalidParameter", "The import needs a source image and a target tag or repository.")
    origin = f"{source.get('registryUri') or source.get('resourceId') or ''}/{image}"
    targets = [(t.rsplit(":", 1) if ":" in t.split("/")[-1] else [t, "latest"]) for t in tags]
    for repo, tag in targets:
        r = st.repositories.get(repo)
        existing = r.tags.get(tag) if r else None
        if existing and doc.get("mode", "NoForce") != "Force":
            raise ArmError(409, "Conflict", f"Tag {repo}:{tag} already exists in the target registry. "
                                            "Use mode Force to overwrite it.")
        if r and (not r.attributes.get("writeEnabled", True)
                  or (existing and not existing.attributes.get("writeEnabled", True))):
            raise ArmError(409, "Conflict", f"The target {repo}:{tag} is write-protected (writeEnabled is false).")
    layers = [(f"import:{origin}", PLACEHOLDER_LAYER_BYTES)]
    for repo, tag_list in [(r, [t]) for r, t in targets] + [(r, []) for r in untagged]:
        st.push_image(repo, tag_list, layers, config=(f"import-config:{origin}", 64))
    return [f"{r}:{t}" for r, t in targets] + untagged


__all__ = ["ARM_AUDIENCE", "CLOUD_NAME", "cloud_metadata", "import_image", "is_arm_path", "not_found",
           "subscription_answer"]
