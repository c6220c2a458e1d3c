"""The bundle reader against what the real Azure CLI prints, not against our idea of it.

Needs the optional ``azcli`` extra (the ``azure-cli`` package); skipped without it. ``.ci/run`` runs this file
in that environment. Nothing reaches the network: the CLI's HTTP calls are replaced by canned responses.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("azure.cli.core", reason="the azcli extra (azure-cli) is not installed")

from acrdoctor.collect.bundle import load_bundle
from acrdoctor.engine import diagnose

SUB = "00000000-0000-0000-0000-000000000000"
REG_ID = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/contoso"
SUBNET = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/aks"
#: A registry as ARM sends it (REST form), with a subnet rule under "id" and the firewall closed.
REST_REGISTRY = {
    "id": REG_ID, "name": "contoso", "type": "Microsoft.ContainerRegistry/registries", "location": "westeurope",
    "sku": {"name": "Premium", "tier": "Premium"},
    "properties": {"loginServer": "contoso.azurecr.io", "publicNetworkAccess": "Enabled",
                   "networkRuleSet": {"defaultAction": "Deny",
                                      "ipRules": [{"action": "Allow", "value": "198.51.100.0/24"}],
                                      "virtualNetworkRules": [{"action": "Allow", "id": SUBNET}]}},
}


@contextlib.contextmanager
def config_dir() -> Iterator[None]:
    saved = os.environ.get("AZURE_CONFIG_DIR")
    with tempfile.TemporaryDirectory(prefix="acrdoctor-az-") as scratch:
        os.environ["AZURE_CONFIG_DIR"] = scratch
        try:
            yield
        finally:
            _restore(saved)


def _restore(saved: str | None) -> None:
    """az's config directory as it was before the test (the scratch one is removed with its context)."""
    if saved is None:
        os.environ.pop("AZURE_CONFIG_DIR", None)
    else:
        os.environ["AZURE_CONFIG_DIR"] = saved


def az_show(rest: dict[str, Any]) -> Any:
    """What ``az acr show`` prints for this ARM answer: the SDK model az ships, through az's own ``todict``."""
    from azure.cli.core.util import todict
    from azure.mgmt.containerregistry.models import Registry

    return json.loads(json.dumps(todict(Registry(rest))))


#: Runs az in its own process with its HTTP calls answered by the registry firewall: the ARM lookup returns the
#: registry, and the GET /v2/ pre-flight gets the firewall's 403 with ACR's DENIED body.
_AZ_BEHIND_THE_FIREWALL = """
import sys
from unittest import mock
from azure.cli.command_modules.acr import _docker_utils
from azure.cli.core import get_default_cli

refused = mock.Mock(status_code=403, headers={}, text=(
    '{"errors":[{"code":"DENIED","message":"client with IP \\'203.0.113.42\\' is not allowed access. '
    'Refer https://aka.ms/acr/firewall to grant access."}]}'))
registry = mock.Mock(login_server="contoso.azurecr.io")
with mock.patch.object(_docker_utils, "get_registry_by_name", return_value=(registry, "rg")), \\
        mock.patch.object(_docker_utils.requests, "get", return_value=refused):
    sys.exit(get_default_cli().invoke(sys.argv[1:]))
"""


def az_stderr_behind_the_firewall(argv: list[str]) -> str:
    """What az prints on stderr for a data-plane command when the registry firewall refuses the caller."""
    with config_dir():
        done = subprocess.run([sys.executable, "-c", _AZ_BEHIND_THE_FIREWALL, *argv], capture_output=True,
                              text=True, env={**os.environ, "HTTP_PROXY": "http://127.0.0.1:9",
                                              "HTTPS_PROXY": "http://127.0.0.1:9"}, check=False, timeout=300)
    assert done.returncode == 1, done.stderr
    return done.stderr


def test_az_prints_subnet_rules_the_reader_counts(tmp_path: Path) -> None:
    printed = az_show(REST_REGISTRY)
    rules = printed["networkRuleSet"]["virtualNetworkRules"]
    assert len(rules) == 1 and set(rules[0]) >= {"action"}  # whatever key this az uses for the subnet
    (tmp_path / "registry.json").write_text(json.dumps(printed))
    reg = load_bundle(tmp_path).registry
    assert reg.network_rule_set is not None and len(reg.network_rule_set.virtual_network_rules) == 1


def test_the_firewall_refusal_az_prints_is_a_high_network_finding(tmp_path: Path) -> None:
    (tmp_path / "registry.json").write_text(json.dumps(az_show(REST_REGISTRY)))
    stderr = az_stderr_behind_the_firewall(["acr", "repository", "list", "--name", "contoso", "--output", "json",
                                            "--only-show-errors"])
    (tmp_path / "repositories.error.txt").write_text(stderr)
    snapshot = load_bundle(tmp_path)
    (error,) = snapshot.errors
    assert (error.part, error.status, error.code) == ("repositories", 403, "DENIED")
    findings = [f for f in diagnose(snapshot).findings() if f.check == "network-access-denied"]
    assert [f.severity.value for f in findings] == ["high"]


def az_print(model: Any, rest: dict[str, Any]) -> Any:
    """What az prints for an ARM answer: the model az ships, built from the REST JSON, through ``todict``."""
    from azure.cli.core.util import todict

    obj = model.deserialize(rest) if hasattr(model, "deserialize") else model(rest)
    return json.loads(json.dumps(todict(obj)))


TASK_YAML = "version: v1.1.0\nsteps:\n  - cmd: acr purge --filter 'app:.*' --ago 7d\n    timeout: 3600\n"
REST_TASK = {
    "id": f"{REG_ID}/tasks/purge", "name": "purge", "type": "Microsoft.ContainerRegistry/registries/tasks",
    "location": "westeurope", "identity": {"type": "SystemAssigned", "principalId": "pid-1", "tenantId": SUB},
    "properties": {"status": "Enabled", "platform": {"os": "Linux"},
                   "step": {"type": "EncodedTask",
                            "encodedTaskContent": base64.b64encode(TASK_YAML.encode()).decode()},
                   "trigger": {"timerTriggers": [{"name": "t1", "schedule": "0 1 * * *", "status": "Enabled"}]},
                   "credentials": {"sourceRegistry": {"loginMode": "None", "identity": "[system]"}}},
}


def test_az_prints_a_task_whose_commands_and_identities_are_read(tmp_path: Path) -> None:
    """az 2.91 prints tasks through azure-mgmt-containerregistrytasks (API 2025-03-01-preview)."""
    from azure.mgmt.containerregistrytasks.models import Task

    printed = az_print(Task, REST_TASK)
    (tmp_path / "registry.json").write_text(json.dumps(az_show(REST_REGISTRY)))
    (tmp_path / "tasks.json").write_text(json.dumps([printed]))
    (tmp_path / "tasks").mkdir()
    (tmp_path / "tasks" / "purge.json").write_text(json.dumps(printed))
    (task,) = load_bundle(tmp_path).tasks or ()
    assert task.commands == ("acr purge --filter 'app:.*' --ago 7d",)
    assert (task.identity_type, task.identity_principal_ids) == ("SystemAssigned", ("pid-1",))
    assert (task.source_registry_identity, task.source_registry_login_mode) == ("[system]", "None")
    assert [(t.name, t.schedule) for t in task.timers] == [("t1", "0 1 * * *")]


def test_az_prints_locks_the_reader_places_by_scope(tmp_path: Path) -> None:
    from azure.mgmt.resource.locks.models import ManagementLockObject

    def lock(scope: str, name: str, level: str) -> Any:
        return az_print(ManagementLockObject, {"id": f"{scope}/providers/Microsoft.Authorization/locks/{name}",
                                               "name": name, "type": "Microsoft.Authorization/locks",
                                               "properties": {"level": level, "notes": "why"}})

    group = f"/subscriptions/{SUB}/resourceGroups/rg"
    (tmp_path / "registry.json").write_text(json.dumps(az_show(REST_REGISTRY)))
    for rel in ("locks-registry.json", "locks-resource-group.json", "locks-subscription.json"):
        (tmp_path / rel).write_text(json.dumps([lock(REG_ID, "reg", "CanNotDelete"), lock(group, "rg", "ReadOnly"),
                                                lock(f"{group}/providers/Microsoft.Storage/storageAccounts/s", "s",
                                                     "CanNotDelete")]))
    locks = load_bundle(tmp_path).resource_locks or ()
    assert [(lk.name, lk.level, lk.scope, lk.notes) for lk in locks] == [
        ("reg", "CanNotDelete", "registry", "why"), ("rg", "ReadOnly", "resourceGroup", "why")]
