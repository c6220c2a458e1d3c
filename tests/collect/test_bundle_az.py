"""The bundle reader against what the real Azure CLI prints, not against our idea of it.

Needs the optional ``azcli`` extra (the ``azure-cli`` package); skipped without it. ``.ci/run`` runs this file
in that environment. Nothing reaches the network: the CLI's HTTP calls are replaced by canned responses.
"""

from __future__ import annotations

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
    os.environ["AZURE_CONFIG_DIR"] = tempfile.mkdtemp(prefix="acrdoctor-az-")
    try:
        yield
    finally:
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
