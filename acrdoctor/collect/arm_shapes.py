"""Turning ARM objects into snapshot sections, whatever form they arrive in.

The same registry object reaches acrdoctor as the management SDK's model (``as_dict()`` keeps the wire
keys, with a ``properties`` wrapper), as raw REST JSON, or as ``az acr show`` output (flattened, no
wrapper). These functions accept all three so that the live collector and the ``az`` bundle reader
produce identical snapshots.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from acrdoctor.azure.ids import resource_group_of, subscription_of
from acrdoctor.clock import iso_stamp
from acrdoctor.times import parse_time


def arm_properties(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    """The properties of an ARM object, wrapped (REST, SDK) or flattened (az)."""
    props = obj.get("properties")
    if isinstance(props, Mapping):
        merged = dict(obj)
        merged.update(props)
        return merged
    return obj


def _sku(obj: Mapping[str, Any]) -> str | None:
    sku = obj.get("sku")
    if isinstance(sku, Mapping):
        return sku.get("name") or sku.get("tier")
    return sku if isinstance(sku, str) else None


def _policy(policies: Mapping[str, Any], key: str, days_key: str) -> dict[str, Any] | None:
    p = policies.get(key)
    if not isinstance(p, Mapping):
        return None
    out: dict[str, Any] = {"status": str(p.get("status") or "disabled").lower()}
    if isinstance(p.get(days_key), int):
        out[days_key] = p[days_key]
    # ARM's lastUpdatedTime: for retention, when the policy was last changed (enabled), which bounds what it
    # can have purged so far. The SDK's as_dict() keeps the wire name; az prints it too.
    # Written in acrdoctor's own stamp form, so ARM's seven fractional digits, the SDK's datetime and az's
    # "+00:00" give the same snapshot; a value that is not an aware timestamp is kept as sent.
    updated = p.get("lastUpdatedTime", p.get("last_updated_time"))
    if isinstance(updated, str) and updated:
        moment = parse_time(updated)
        out["lastUpdatedTime"] = iso_stamp(moment) if moment else updated
    elif isinstance(updated, datetime):
        out["lastUpdatedTime"] = iso_stamp(updated) if updated.tzinfo else updated.isoformat()
    return out


#: Where a virtual network rule keeps its subnet id, by who printed it:
#: - the REST API: ``id`` (every API version up to 2025-11-01; the generated Bicep types of
#:   Microsoft.ContainerRegistry in Azure/bicep-types-az list VirtualNetworkRule as ``{action, id}``);
#: - the TypeSpec of the latest preview (Azure/azure-rest-api-specs, specification/containerregistry/
#:   resource-manager/Microsoft.ContainerRegistry/Registry/Registry.models.tsp, ``VirtualNetworkRule``):
#:   ``virtualNetworkSubnetResourceId``. azure-mgmt-containerregistry 15.1.0b3, which az 2.91 ships (API
#:   2026-09-01-preview), reads that key only, so when the service sends ``id`` the attribute is None, and az's
#:   ``todict`` (azure-cli-core ``util.py``) prints only attributes: ``{"action", "virtualNetworkSubnetResourceId":
#:   null}``;
#: - older az, whose msrest model named the attribute ``virtual_network_resource_id``: ``virtualNetworkResourceId``
#:   (``az acr network-rule list`` in 2.91 still prints both names).
_SUBNET_KEYS = ("id", "virtualNetworkSubnetResourceId", "virtualNetworkResourceId")


def subnet_rule(rule: Any) -> Any:
    """A virtual network rule as the snapshot keeps it: its subnet id, or "" when the printer lost the id.

    A rule whose id came out null is still a rule that admits a subnet (the firewall is not as closed as it
    looks), so it counts; only its subnet is unknown. Anything that is not an object goes on unchanged, for the
    snapshot reader to judge.
    """
    if not isinstance(rule, Mapping):
        return rule
    ids = [rule.get(k) for k in _SUBNET_KEYS]
    return next((i for i in ids if isinstance(i, str) and i), "")


def registry_section(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The snapshot's ``registry`` object from an ARM registry in any of its forms."""
    p = arm_properties(obj)
    rid = obj.get("id") if isinstance(obj.get("id"), str) else None
    doc: dict[str, Any] = {
        "name": obj.get("name"),
        "loginServer": p.get("loginServer"),
        "id": rid,
        "resourceGroup": obj.get("resourceGroup") or resource_group_of(rid),
        "subscriptionId": subscription_of(rid),
        "location": obj.get("location"),
        "sku": _sku(obj),
        "publicNetworkAccess": p.get("publicNetworkAccess"),
        "networkRuleBypassOptions": p.get("networkRuleBypassOptions"),
        "dataEndpointEnabled": p.get("dataEndpointEnabled"),
        "dataEndpointHostNames": list(p.get("dataEndpointHostNames") or []) or None,
        "roleAssignmentMode": p.get("roleAssignmentMode"),
        "anonymousPullEnabled": p.get("anonymousPullEnabled"),
        "zoneRedundancy": p.get("zoneRedundancy"),
    }
    nrs = p.get("networkRuleSet")
    if isinstance(nrs, Mapping):
        doc["networkRuleSet"] = {
            "defaultAction": nrs.get("defaultAction") or "Allow",
            "ipRules": [r.get("value") or r.get("ipAddressOrRange") if isinstance(r, Mapping) else r
                        for r in nrs.get("ipRules") or []],
            "virtualNetworkRules": [subnet_rule(r) for r in nrs.get("virtualNetworkRules") or []],
        }
    policies = p.get("policies")
    if isinstance(policies, Mapping):
        pol = {
            "retentionPolicy": _policy(policies, "retentionPolicy", "days"),
            "softDeletePolicy": _policy(policies, "softDeletePolicy", "retentionDays"),
            "quarantinePolicy": _policy(policies, "quarantinePolicy", "days"),
        }
        doc["policies"] = {k: v for k, v in pol.items() if v is not None}
    return {k: v for k, v in doc.items() if v is not None}


def usage_section(obj: Any) -> list[dict[str, Any]]:
    """``listUsages`` (``{"value": [...]}``) or ``az acr show-usage`` output as snapshot rows."""
    rows = obj.get("value") if isinstance(obj, Mapping) else obj
    out = []
    for r in rows or []:
        if not isinstance(r, Mapping) or not r.get("name"):
            continue
        current = r.get("currentValue", r.get("current_value"))
        out.append({k: v for k, v in {
            "name": r["name"], "currentValue": int(current or 0),
            "limit": int(r["limit"]) if isinstance(r.get("limit"), int) else None, "unit": r.get("unit"),
        }.items() if v is not None})
    return out


def private_endpoint_section(items: Any) -> list[dict[str, Any]]:
    out = []
    for obj in (items.get("value") if isinstance(items, Mapping) else items) or []:
        p = arm_properties(obj)
        pe = p.get("privateEndpoint") if isinstance(p.get("privateEndpoint"), Mapping) else {}
        state = p.get("privateLinkServiceConnectionState")
        status = state.get("status") if isinstance(state, Mapping) else None
        out.append({k: v for k, v in {
            "name": obj.get("name"), "id": obj.get("id"), "privateEndpointId": pe.get("id"),
            "status": status, "provisioningState": p.get("provisioningState"),
        }.items() if v is not None})
    return out


def replication_section(items: Any) -> list[dict[str, Any]]:
    out = []
    for obj in (items.get("value") if isinstance(items, Mapping) else items) or []:
        p = arm_properties(obj)
        out.append({k: v for k, v in {
            "name": obj.get("name"), "location": obj.get("location"),
            "provisioningState": p.get("provisioningState"), "regionEndpointEnabled": p.get("regionEndpointEnabled"),
        }.items() if v is not None})
    return out
