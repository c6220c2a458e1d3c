"""The controls files of the hand-written bundle, as az 2.91 prints them (flattened ARM objects, camelCase).

Shapes follow azure-cli's output of ``az lock list``, ``az account show --query user``, ``az ad signed-in-user
show``, ``az role assignment list``, ``az role definition list``, ``az acr token|scope-map|cache|connected-registry
|task list``, ``az acr task show``, ``az acr repository list-deleted`` and ``az acr manifest list-deleted`` (which
adds ``expiresAfter`` to each item, azure-cli ``acr/manifest.py``).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

SUB = "00000000-0000-0000-0000-000000000000"
RG = "rg-contoso"
REG_ID = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ContainerRegistry/registries/contoso"
GROUP_ID = f"/subscriptions/{SUB}/resourceGroups/{RG}"
OID = "6f0e0000-1111-4222-8333-444455556666"
ACR_DELETE = "c2f4ef07-c644-48eb-af81-4b1b4947fb11"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
PURGE = "acr purge --filter 'team/api:.*' --untagged --ago 30d"
TASK_YAML = f"version: v1.1.0\nsteps:\n  - cmd: {PURGE}\n    disableWorkingDirectoryOverride: true\n    timeout: 3600\n"
D_GONE = "sha256:" + "f1" * 32
D_OLD_API = "sha256:" + "f2" * 32


def _lock(scope: str, name: str, level: str, notes: str | None = None) -> dict[str, Any]:
    return {"id": f"{scope}/providers/Microsoft.Authorization/locks/{name}", "level": level, "name": name,
            "notes": notes, "owners": None, "resourceGroup": RG if "/resourceGroups/" in scope else None,
            "type": "Microsoft.Authorization/locks"}


LOCK_REG = _lock(REG_ID, "keep-registry", "CanNotDelete", "production")
LOCK_RG = _lock(GROUP_ID, "group-readonly", "ReadOnly")
LOCK_SUB = _lock(f"/subscriptions/{SUB}", "subscription-guard", "CanNotDelete")
LOCK_OTHER = _lock(f"{GROUP_ID}/providers/Microsoft.Storage/storageAccounts/logs", "keep-logs", "CanNotDelete")


def _definition(guid: str, name: str, data_actions: list[str], actions: list[str]) -> dict[str, Any]:
    return {"assignableScopes": ["/"], "description": name, "id": f"/subscriptions/{SUB}/providers/"
            f"Microsoft.Authorization/roleDefinitions/{guid}", "name": guid,
            "permissions": [{"actions": actions, "condition": None, "conditionVersion": None,
                             "dataActions": data_actions, "notActions": [], "notDataActions": []}],
            "roleName": name, "roleType": "BuiltInRole", "type": "Microsoft.Authorization/roleDefinitions"}


def _assignment(scope: str, guid: str, name: str, condition: str | None = None) -> dict[str, Any]:
    return {"condition": condition, "conditionVersion": "2.0" if condition else None,
            "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{guid[:8]}-{len(scope)}",
            "name": f"{guid[:8]}-{len(scope)}", "principalId": OID, "principalName": "dev@contoso.example",
            "principalType": "User", "roleDefinitionId": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/"
            f"roleDefinitions/{guid}", "roleDefinitionName": name, "scope": scope,
            "type": "Microsoft.Authorization/roleAssignments"}


def files() -> dict[str, Any]:
    """Bundle-relative path → what az printed."""
    task = {"agentConfiguration": {"cpu": 2}, "agentPoolName": None, "creationDate": "2025-01-01T00:00:00+00:00",
            "credentials": {"customRegistries": None, "sourceRegistry": {"loginMode": "Default"}},
            "id": f"{REG_ID}/tasks/nightly-purge",
            "identity": {"principalId": "5e1f0000-0000-4000-8000-00000000aaaa", "tenantId": SUB,
                         "type": "SystemAssigned", "userAssignedIdentities": None},
            "isSystemTask": False, "location": "westeurope", "logTemplate": None, "name": "nightly-purge",
            "platform": {"architecture": "amd64", "os": "linux", "variant": None}, "provisioningState": "Succeeded",
            "resourceGroup": RG, "status": "Enabled",
            "step": {"baseImageDependencies": None, "contextAccessToken": None, "contextPath": None,
                     "encodedTaskContent": base64.b64encode(TASK_YAML.encode()).decode(), "encodedValuesContent": None,
                     "type": "EncodedTask", "values": []},
            "systemData": None, "tags": None, "timeout": 3600,
            "trigger": {"baseImageTrigger": None, "sourceTriggers": None,
                        "timerTriggers": [{"name": "t1", "schedule": "0 1 * * *", "status": "Enabled"}]},
            "type": "Microsoft.ContainerRegistry/registries/tasks"}
    listed = {**task, "step": {**task["step"], "encodedTaskContent": None}}  # the list may leave content out
    return {
        "locks-registry.json": [LOCK_REG, LOCK_RG, LOCK_SUB],
        "locks-resource-group.json": [LOCK_REG, LOCK_RG, LOCK_OTHER],
        "locks-subscription.json": [LOCK_REG, LOCK_RG, LOCK_SUB, LOCK_OTHER],
        "caller.json": {"name": "dev@contoso.example", "type": "user"},
        "principal.json": {"displayName": "Dev", "id": OID, "userPrincipalName": "dev@contoso.example"},
        "role-assignments.json": [
            _assignment(REG_ID, ACR_DELETE, "AcrDelete"),
            _assignment(f"/subscriptions/{SUB}", READER, "Reader"),
            _assignment(f"{GROUP_ID}/providers/Microsoft.ContainerRegistry/registries/other", ACR_DELETE,
                        "AcrDelete"),  # another registry's: does not apply
        ],
        f"role-definitions/{ACR_DELETE}.json": [_definition(
            ACR_DELETE, "AcrDelete", [], ["Microsoft.ContainerRegistry/registries/artifacts/delete"])],
        f"role-definitions/{READER}.json": [_definition(READER, "Reader", [], ["*/read"])],
        "tokens.json": [{"creationDate": "2025-01-01T00:00:00+00:00", "credentials": {"certificates": [],
                                                                                      "passwords": []},
                         "id": f"{REG_ID}/tokens/ci", "name": "ci", "provisioningState": "Succeeded",
                         "resourceGroup": RG, "scopeMapId": f"{REG_ID}/scopeMaps/ci-map", "status": "enabled",
                         "type": "Microsoft.ContainerRegistry/registries/tokens"}],
        "scope-maps.json": [{"actions": ["repositories/team/api/content/read"], "creationDate": None,
                             "description": None, "id": f"{REG_ID}/scopeMaps/ci-map", "name": "ci-map",
                             "provisioningState": "Succeeded", "resourceGroup": RG, "scopeMapType": "UserDefined",
                             "type": "Microsoft.ContainerRegistry/registries/scopeMaps"}],
        "cache-rules.json": [{"creationDate": None, "credentialSetResourceId": None, "id": f"{REG_ID}/cacheRules/hub",
                              "name": "hub", "provisioningState": "Succeeded", "resourceGroup": RG,
                              "sourceRepository": "docker.io/library/nginx", "targetRepository": "cache/nginx",
                              "type": "Microsoft.ContainerRegistry/registries/cacheRules"}],
        "connected-registries.json": [{
            "activation": {"status": "Active"}, "clientTokenIds": None, "connectionState": "Online",
            "id": f"{REG_ID}/connectedRegistries/edge", "mode": "ReadOnly", "name": "edge",
            "parent": {"id": None, "syncProperties": {"messageTtl": "P2D", "schedule": "* * * * *",
                                                      "tokenId": f"{REG_ID}/tokens/edge-sync"}},
            "provisioningState": "Succeeded", "resourceGroup": RG,
            "type": "Microsoft.ContainerRegistry/registries/connectedRegistries"}],
        "tasks.json": [listed],
        "tasks/nightly-purge.json": task,
        "deleted-repositories.json": ["gone/app"],
        "repositories/team/api/deleted-manifests.json": [
            {"deletedAt": "2025-03-02T10:00:00Z", "digest": D_OLD_API, "expiresAfter": "2025-03-09T10:00:00Z",
             "tags": ["0.9"]}],
        "repositories/base/deleted-manifests.json": [],
        "repositories/gone/app/deleted-manifests.json": [
            {"deletedAt": "2025-03-01T09:00:00Z", "digest": D_GONE, "expiresAfter": "2025-03-08T09:00:00Z"}],
    }


def write_controls(root: Path) -> None:
    for rel, value in files().items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value, indent=2), "utf-8")
