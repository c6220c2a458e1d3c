"""explain: 409 ScopeLocked (Azure management locks) and a connected registry deleted without --cleanup."""

from __future__ import annotations

import pytest

from acrdoctor.explain import FAILURE_MODES, Match, explain
from acrdoctor.explain.catalogue import REGISTRY_LEVEL
from acrdoctor.explain.recognise_locks import locked_scope

SUB = "1d2f3a4b-0000-4000-8000-000000000001"
RG_ID = f"/subscriptions/{SUB}/resourceGroups/rg-contoso-prod"
REG_ID = f"{RG_ID}/providers/Microsoft.ContainerRegistry/registries/contosoreg"

# az's form (Azure/azure-cli#20232), with a registry and its resource group filled in.
SCOPE_LOCKED_AZ = (
    "$ az acr delete --name contosoreg --yes\n"
    f"(ScopeLocked) The scope '{REG_ID}' cannot perform delete operation because following scope(s) are locked: "
    f"'{RG_ID}'. Please remove the lock and try again.\nCode: ScopeLocked")
# The ARM JSON body inside another tool's error (Azure/apiops#606), lower-cased scope as ARM sometimes prints it.
SCOPE_LOCKED_JSON = (
    'failed with status code 409. Content is \'{"error":{"code":"ScopeLocked","message":"The scope '
    f"'{REG_ID}' cannot perform write operation because following scope(s) are locked: "
    f"'{REG_ID.lower()}'. Please remove the lock and try again.\"}}}}'.")
# Masked ids, as users paste them (Azure/azure-cli#20232).
SCOPE_LOCKED_MASKED = ("(ScopeLocked) The scope '...' cannot perform delete operation because following scope(s) "
                       "are locked: '...'. Please remove the lock and try again.\nCode: ScopeLocked")
# Terraform's form (hashicorp/terraform-provider-azurerm#17478), a subscription-level lock.
SCOPE_LOCKED_TF = (
    'Error: deleting Registry: Code="ScopeLocked" Message="The scope \'' + REG_ID + "' cannot perform delete "
    f"operation because following scope(s) are locked: '/subscriptions/{SUB}'. Please remove the lock and try "
    'again."')
# azure-cli 2.91.0 acr/connected_registry.py, acr_connected_registry_delete without --cleanup.
CR_NO_CLEANUP = (
    "Connected registry successfully deleted. Please cleanup your sync tokens and scope maps. Run the following "
    "commands for cleanup: \n\taz acr token delete -n factory-1-sync-token -r contosoreg --yes\n\t"
    "az acr scope-map delete -n factory-1-sync-scope-map -r contosoreg --yes\n"
    "Run the following command on all ascendency to remove the deleted registry gateway access: \n\t"
    "az acr scope-map update -n <scope-map-name> -r contosoreg --remove-gateway factory-1 config/read")

# What a connected registry answers on premises (Azure/acr docs/preview/connected-registry/troubleshooting.md and
# connected-registry-error-codes.md; the statusDetails entry as az acr connected-registry show prints it).
CR_READ_ONLY_PUSH = ("The push refers to repository [192.168.0.10:8080/hello-world]\n"
                     "denied: This operation is not allowed on this registry.")
CR_SCOPES = ("Error response from daemon: pull access denied for 192.168.0.10:8080/hello-world, repository does not "
             "exist or may require 'docker login': denied: Insufficient scopes to perform the operation")
CR_DISK = ('"statusDetails": [\n  {\n    "code": "DiskError",\n    "correlationId": "73a46395-b89b-49c7",\n'
           '    "description": "Access to the path \'/var/acr/data/registry/x.txt\' is denied.",\n'
           '    "type": "Disk"\n  }\n]')
CR_ACTIVATED = ('Response: \'{"errors":[{"code":"ALREADY_ACTIVATED","message":"Failed to activate the connected '
                'registry as it is already activated by another instance. Only one instance is supported at any '
                'time."}]}\'')
TEXTS = (SCOPE_LOCKED_AZ, SCOPE_LOCKED_JSON, SCOPE_LOCKED_MASKED, SCOPE_LOCKED_TF, CR_NO_CLEANUP, CR_READ_ONLY_PUSH,
         CR_SCOPES, CR_DISK, CR_ACTIVATED)


def only(text: str) -> Match:
    result = explain(text)
    assert len(result.matches) == 1, [m.failure_mode for m in result.matches]
    return result.matches[0]


def test_modes_are_known_and_registry_level() -> None:
    assert {"resource-locks", "connected-registries"} <= set(FAILURE_MODES)
    assert {"resource-locks", "connected-registries"} <= REGISTRY_LEVEL


def test_scope_locked_from_az_names_the_locked_resource_group() -> None:
    m = only(SCOPE_LOCKED_AZ)
    assert m.failure_mode == "resource-locks" and m.in_catalogue
    assert m.extracted.registry == "contosoreg"
    assert m.message == ("Resource Manager refused a delete with 409 ScopeLocked: locked at resource group "
                         "rg-contoso-prod (registry contosoreg)")
    assert m.confirm.commands == (f"az lock list --resource-group rg-contoso-prod --subscription {SUB} --output table",)
    assert m.fix.commands == (f'az lock delete --name "$LOCK" --resource-group rg-contoso-prod --subscription {SUB}',)
    assert m.variables == ["LOCK"]
    assert any("not ACR's image lock" in n for n in m.fix.notes)


def test_scope_locked_write_on_the_registry_is_a_read_only_lock() -> None:
    m = only(SCOPE_LOCKED_JSON)
    assert m.message.startswith("Resource Manager refused a write with 409 ScopeLocked: locked at registry "
                                "contosoreg in resource group rg-contoso-prod")
    assert m.fix.commands == (
        'az lock delete --name "$LOCK" --resource-group rg-contoso-prod --resource contosoreg '
        f"--resource-type Microsoft.ContainerRegistry/registries --subscription {SUB}",)
    assert any("ReadOnly lock" in n for n in m.fix.notes)


def test_subscription_lock_from_terraform() -> None:
    m = only(SCOPE_LOCKED_TF)
    assert m.fix.commands == (f'az lock delete --name "$LOCK" --subscription {SUB}',)


def test_masked_scope_is_not_guessed() -> None:
    m = only(SCOPE_LOCKED_MASKED)
    assert m.confirm.commands == ("az lock list --output table",)
    assert m.fix.commands == ('az lock delete --ids "$LOCK_ID"',)
    assert m.variables == ["LOCK_ID"]


@pytest.mark.parametrize("scope, kind, args", [
    (f"/subscriptions/{SUB}", "subscription", ["--subscription", SUB]),
    (RG_ID, "resourceGroup", ["--resource-group", "rg-contoso-prod", "--subscription", SUB]),
    (f"{RG_ID}/providers/Microsoft.Storage/storageAccounts/st1", "resource",
     ["--resource-group", "rg-contoso-prod", "--subscription", SUB]),
    ("/subscriptions/xxxx/resourceGroups/xxxx", "unknown", None),
    ("/providers/Microsoft.Management/managementGroups/corp", "unknown", None),
])
def test_locked_scope_kinds(scope: str, kind: str, args: list[str] | None) -> None:
    found = locked_scope(scope)
    assert found.kind == kind
    assert (found.scope.argv() if found.scope else None) == args


def test_a_405_image_lock_is_not_a_scope_lock() -> None:
    result = explain("Error: The operation is disallowed on this registry, repository or image.")
    assert [m.failure_mode for m in result.matches] == ["locked-artifacts"]


def test_connected_registry_deleted_without_cleanup_names_what_is_left() -> None:
    m = only(CR_NO_CLEANUP)
    assert m.failure_mode == "connected-registries" and m.in_catalogue
    assert m.confirm.commands == ("az acr token list --registry contosoreg --output table",)
    assert m.fix.commands == (
        "az acr token delete --name factory-1-sync-token --registry contosoreg --yes",
        "az acr scope-map delete --name factory-1-sync-scope-map --registry contosoreg --yes",
    )
    assert m.variables == []


def test_token_delete_lines_alone_are_not_a_connected_registry_problem() -> None:
    assert explain("az acr token delete -n t1 -r contosoreg --yes").matches == ()


def test_a_read_only_connected_registry_refusing_a_push_is_not_the_image_lock() -> None:
    m = only(CR_READ_ONLY_PUSH)
    assert m.failure_mode == "connected-registries" and "ReadOnly" in m.title
    assert m.fix.commands == ()  # a connected registry's mode cannot be changed: nothing to run
    assert any("connected-registry list" in c for c in m.confirm.commands)
    # ACR's own 405 sentence stays the lock's.
    lock = explain("unknown: The operation is disallowed on this registry, repository or image.").ranked[0]
    assert lock.failure_mode == "locked-artifacts"


def test_insufficient_scopes_shows_the_scope_map_change_only_as_words() -> None:
    m = explain(CR_SCOPES).ranked[0]
    assert m.failure_mode == "connected-registries" and "client token" in m.title
    assert m.fix.commands == ()
    assert any(n.startswith("Once confirmed: az acr scope-map update") for n in m.fix.notes)


@pytest.mark.parametrize("code", ["DiskError", "DISK_PERMISSION_DENIED", "DISK_STORAGE_FULL", "DISK_ERROR"])
def test_a_status_detail_disk_code_is_the_host_not_the_cloud_registry(code: str) -> None:
    m = only(CR_DISK.replace("DiskError", code))
    assert m.failure_mode == "connected-registries" and "disk" in m.title
    assert m.fix.commands == ()


@pytest.mark.parametrize("text", ["the build ran out of disk space: disk error while writing the layer",
                                  "diskerror in our notes", "This operation is allowed on this registry."])
def test_disk_and_scope_words_in_prose_are_not_a_connected_registry(text: str) -> None:
    assert all(m.failure_mode != "connected-registries" for m in explain(text).matches)


def test_a_second_instance_refused_activation_prints_no_command() -> None:
    m = only(CR_ACTIVATED)
    assert m.failure_mode == "connected-registries" and "activation" in m.title
    assert m.fix.commands == () and "deactivate" in m.fix.summary
