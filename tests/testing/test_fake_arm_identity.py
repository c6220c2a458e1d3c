"""The fake's ARM for az (subscriptions, tenants, resource lookup, cloud metadata) and its managed-identity endpoint.

Driven with plain HTTP requests and with the unmodified Azure SDKs: azure-identity's ManagedIdentityCredential
finds the endpoint through IDENTITY_ENDPOINT/IDENTITY_HEADER, and its token opens azure-mgmt-containerregistry.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from acrdoctor.testing import FakeRegistry, serve_fake_acr
from acrdoctor.testing._credentials import default_object_id
from acrdoctor.testing._identity import FAKE_TENANT_ID
from acrdoctor.testing._server import FakeAcrServer

SUFFIX = ".azurecr.localhost"
REGISTRY_TYPE = "Microsoft.ContainerRegistry/registries"


@pytest.fixture
def srv() -> Iterator[FakeAcrServer]:
    state = FakeRegistry(name="contoso", resource_group="rg-apps",
                         subscription_id="11111111-2222-3333-4444-555555555555")
    state.push_image("apps/web", ["1.0"], [("base", 100)])
    with serve_fake_acr(state, login_server_suffix=SUFFIX, managed_identity="mi-test") as s:
        yield s


def _token(srv: FakeAcrServer, resource: str = "https://management.core.windows.net/") -> str:
    r = requests.get(srv.identity_endpoint, params={"api-version": "2019-08-01", "resource": resource},
                     headers={"X-IDENTITY-HEADER": srv.identity_header}, verify=srv.ca_pem, timeout=10)
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def _get(srv: FakeAcrServer, path: str, token: str | None = None, **params: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(srv.arm_endpoint + path, params=params, headers=headers, verify=srv.ca_pem, timeout=10)


def test_the_identity_endpoint_answers_app_service_json_with_a_decodable_token(srv: FakeAcrServer) -> None:
    resource = "https://containerregistry.azure.net"
    r = requests.get(srv.identity_endpoint, params={"api-version": "2019-08-01", "resource": resource},
                     headers={"X-IDENTITY-HEADER": srv.identity_header}, verify=srv.ca_pem, timeout=10)
    doc = r.json()
    assert r.status_code == 200 and doc["resource"] == resource and doc["token_type"] == "Bearer"
    assert int(doc["expires_on"]) > 0
    claims = _claims(doc["access_token"])
    assert claims["tid"] == FAKE_TENANT_ID and claims["aud"] == resource
    assert claims["oid"] == default_object_id("mi-test") and claims["exp"] == int(doc["expires_on"])


@pytest.mark.parametrize("header", [None, "wrong"])
def test_the_identity_endpoint_refuses_a_missing_or_wrong_secret(srv: FakeAcrServer, header: str | None) -> None:
    headers = {"X-IDENTITY-HEADER": header} if header else {}
    r = requests.get(srv.identity_endpoint, params={"resource": "https://management.core.windows.net/"},
                     headers=headers, verify=srv.ca_pem, timeout=10)
    assert r.status_code == 401 and "access_token" not in r.json()


def test_subscriptions_tenants_and_the_resource_lookup_az_makes(srv: FakeAcrServer) -> None:
    st, token = srv.state, _token(srv)
    subs = _get(srv, "/subscriptions", token, **{"api-version": "2022-12-01"}).json()["value"]
    assert [s["subscriptionId"] for s in subs] == [st.subscription_id]
    assert subs[0]["tenantId"] == FAKE_TENANT_ID and subs[0]["state"] == "Enabled"
    one = _get(srv, f"/subscriptions/{st.subscription_id}", token, **{"api-version": "2022-12-01"}).json()
    assert one == subs[0]
    tenants = _get(srv, "/tenants", token, **{"api-version": "2022-12-01"}).json()["value"]
    assert [t["tenantId"] for t in tenants] == [FAKE_TENANT_ID]
    found = _get(srv, f"/subscriptions/{st.subscription_id}/resources", token,
                 **{"$filter": f"resourceType eq '{REGISTRY_TYPE}'", "api-version": "2021-04-01"}).json()["value"]
    assert [(x["id"], x["name"], x["type"]) for x in found] == [(st.resource_id, "contoso", REGISTRY_TYPE)]
    other = _get(srv, f"/subscriptions/{st.subscription_id}/resources", token,
                 **{"$filter": "resourceType eq 'Microsoft.Storage/storageAccounts'", "api-version": "2021-04-01"})
    assert other.json() == {"value": []}
    # the registry names the fake's login server: its name and the cloud's suffix (and the port on loopback)
    reg = _get(srv, st.resource_id, token, **{"api-version": "2025-11-01"}).json()
    assert reg["properties"]["loginServer"] == f"contoso{SUFFIX}:{srv.port}"
    missing = _get(srv, "/subscriptions/99999999-0000-0000-0000-000000000000", token, **{"api-version": "2022-12-01"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "SubscriptionNotFound"
    # the identity the endpoint signed in is the one ARM saw
    assert {r.identity for r in srv.requests if r.path.startswith(("/subscriptions", "/tenants"))} == {"mi-test"}


@pytest.mark.parametrize("path", ["/subscriptions/11111111-2222-3333-4444-555555555555/providers/Microsoft.Web/sites",
                                  "/providers/Microsoft.ContainerRegistry/operations", "/unknown/thing"])
def test_arm_paths_the_fake_does_not_know_answer_arms_404(srv: FakeAcrServer, path: str) -> None:
    srv.state.public_network_access = "Disabled"  # the data-plane firewall must not answer for ARM
    r = _get(srv, path, _token(srv), **{"api-version": "2022-12-01"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "InvalidResourceType"
    assert "WWW-Authenticate" not in r.headers


def test_cloud_metadata_names_the_fake_for_az_cloud_register(srv: FakeAcrServer) -> None:
    r = requests.get(f"https://127.0.0.1:{srv.port}/metadata/endpoints", params={"api-version": "2022-09-01"},
                     verify=srv.ca_pem, timeout=10)
    doc = r.json()
    assert doc["resourceManager"] == f"https://127.0.0.1:{srv.port}/"
    assert doc["suffixes"]["acrLoginServer"] == SUFFIX.lstrip(".") and doc["authentication"]["audiences"]


def test_long_running_202s_carry_retry_after(srv: FakeAcrServer) -> None:
    st = srv.state
    st.add_private_endpoint("abc", "Approved")
    name = next(iter(st.private_endpoint_connections))
    srv.lro_retry_after = 2
    r = requests.delete(f"{srv.arm_endpoint}{st.resource_id}/privateEndpointConnections/{name}",
                        params={"api-version": "2025-11-01"}, headers={"Authorization": f"Bearer {_token(srv)}"},
                        verify=srv.ca_pem, timeout=10)
    assert r.status_code == 202 and r.headers["Retry-After"] == "2" and r.headers["Location"]


def test_managed_identity_credential_and_the_management_sdk(srv: FakeAcrServer,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from azure.identity import ManagedIdentityCredential
    from azure.mgmt.containerregistry import ContainerRegistryManagementClient

    monkeypatch.setenv("IDENTITY_ENDPOINT", srv.identity_endpoint)
    monkeypatch.setenv("IDENTITY_HEADER", srv.identity_header)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", srv.ca_pem)
    st = srv.state
    cred = ManagedIdentityCredential()
    token = cred.get_token("https://management.azure.com/.default")
    assert _claims(token.token)["oid"] == default_object_id("mi-test")
    client = ContainerRegistryManagementClient(cred, st.subscription_id, base_url=srv.arm_endpoint,
                                               connection_verify=srv.ca_pem, polling_interval=0)
    (reg,) = list(client.registries.list())
    assert (reg.name, reg.login_server) == ("contoso", f"contoso{SUFFIX}:{srv.port}")
    assert client.registries.get(st.resource_group, "contoso").id == st.resource_id
    assert any(r.path == "/msi/token" and r.status == 200 for r in srv.requests)


def test_the_identity_token_opens_the_data_plane(srv: FakeAcrServer) -> None:
    """The managed identity's token is exchanged for an ACR refresh token bound to that identity."""
    r = requests.post(f"{srv.endpoint}/oauth2/exchange", verify=srv.ca_pem, timeout=10,
                      data={"grant_type": "access_token", "service": "localhost",
                            "access_token": _token(srv, "https://containerregistry.azure.net")})
    assert r.status_code == 200 and r.json()["refresh_token"]
    assert srv.requests[-1].identity == "mi-test"


def test_import_image_makes_a_placeholder_locally_and_clears_an_orphan(srv: FakeAcrServer) -> None:
    """The empty-repository fix: import into the orphan, then the repository delete works (no internet)."""
    from azure.containerregistry import ContainerRegistryClient
    from azure.core.exceptions import HttpResponseError
    from azure.mgmt.containerregistry import ContainerRegistryManagementClient
    from azure.mgmt.containerregistry.models import ImportImageParameters, ImportMode, ImportSource

    from acrdoctor.testing import FakeCredential

    st = srv.state
    st.add_repository("ghost", orphaned=True)
    arm = ContainerRegistryManagementClient(FakeCredential(), st.subscription_id, base_url=srv.arm_endpoint,
                                            connection_verify=srv.ca_pem, polling_interval=0)
    source = ImportSource(registry_uri="docker.io", source_image="library/hello-world:latest")
    params = ImportImageParameters(source=source, target_tags=["ghost:placeholder"], mode=ImportMode.NO_FORCE)
    arm.registries.begin_import_image(st.resource_group, st.name, params).result()
    assert list(st.repositories["ghost"].tags) == ["placeholder"]
    (manifest,) = st.repositories["ghost"].manifests.values()
    assert manifest.image_size > 0
    with pytest.raises(HttpResponseError, match="Conflict"):  # NoForce onto the tag now present is refused
        arm.registries.begin_import_image(st.resource_group, st.name, params).result()
    acr = ContainerRegistryClient(srv.endpoint, FakeCredential(), connection_verify=srv.ca_pem, retry_total=0)
    acr.delete_repository("ghost")
    assert "ghost" not in st.repositories
    polls = [r for r in srv.requests if "/operationResults/" in r.path]
    assert polls and all(r.status in (200, 202) for r in polls)
