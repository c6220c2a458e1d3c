"""The fake ACR's Azure-side controls, driven by the real SDK clients: locks answer ScopeLocked, role assignments
follow ``assignedTo()`` and scope, satellites list and get, quarantine and a full registry refuse with ACR's 405,
soft delete keeps what was deleted listable."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.core.rest import HttpRequest

from acrdoctor.testing import FakeCredential, FakeRegistry, serve_fake_acr
from tests.testing.test_fake_acr import SUB, acr_code, client, mgmt

RG = "rg"
GROUP = f"/subscriptions/{SUB}/resourceGroups/{RG}"


def get(srv: Any, url: str) -> Any:
    response = mgmt(srv).send_request(HttpRequest("GET", url))
    response.raise_for_status()
    return response.json()


def arm_code(err: HttpResponseError) -> tuple[int | None, str, str]:
    body = json.loads(err.response.text())["error"]
    return err.status_code, body["code"], body["message"]


@pytest.fixture
def state() -> FakeRegistry:
    st = FakeRegistry(name="contoso", resource_group=RG)
    st.push_image("team/web", ["v1"])
    return st


def test_a_lock_at_any_scope_refuses_the_registry_delete_with_scope_locked(state: FakeRegistry) -> None:
    state.add_lock("guard", "CanNotDelete", "resourceGroup")
    with serve_fake_acr(state) as srv:
        with pytest.raises(HttpResponseError) as err:
            mgmt(srv).registries.begin_delete(RG, "contoso").result()
        status, code, message = arm_code(err.value)
        assert (status, code) == (409, "ScopeLocked")
        assert message == (f"The scope '{state.resource_id}' cannot perform delete operation because following "
                           f"scope(s) are locked: '{GROUP}'. Please remove the lock and try again.")
        # CanNotDelete does not stop writes; the registry is still there.
        assert mgmt(srv).registries.get(RG, "contoso").name == "contoso"
    assert not state.deleted


def test_a_read_only_lock_refuses_writes_too(state: FakeRegistry) -> None:
    state.add_lock("frozen", "ReadOnly", "registry")
    with serve_fake_acr(state) as srv:
        response = mgmt(srv).send_request(HttpRequest(
            "PATCH", f"{state.resource_id}?api-version=2025-11-01", json={"tags": {"a": "b"}}))
        assert response.status_code == 409 and response.json()["error"]["code"] == "ScopeLocked"
        assert "cannot perform write operation" in response.json()["error"]["message"]
    assert state.tags == {}


def test_locks_listed_at_a_scope_include_the_inherited_ones_and_those_below(state: FakeRegistry) -> None:
    state.add_lock("reg", "CanNotDelete", "registry")
    state.add_lock("group", "ReadOnly", "resourceGroup")
    state.add_lock("sub", "CanNotDelete", "subscription")
    state.add_lock("other", "CanNotDelete", f"{GROUP}/providers/Microsoft.Storage/storageAccounts/logs")
    with serve_fake_acr(state) as srv:
        def names(scope: str) -> list[str]:
            return sorted(x["name"] for x in get(srv, f"{scope}/providers/Microsoft.Authorization/locks"
                                                      "?api-version=2020-05-01")["value"])

        assert names(state.resource_id) == ["group", "reg", "sub"]
        assert names(GROUP) == ["group", "other", "reg", "sub"]
        lock = get(srv, f"{state.resource_id}/providers/Microsoft.Authorization/locks?api-version=2020-05-01")
        assert {"id": f"{state.resource_id}/providers/Microsoft.Authorization/locks/reg", "name": "reg",
                "type": "Microsoft.Authorization/locks", "properties": {"level": "CanNotDelete"}} in lock["value"]


def test_role_assignments_follow_assigned_to_and_scope(state: FakeRegistry) -> None:
    me, other = "11111111-0000-4000-8000-000000000001", "11111111-0000-4000-8000-000000000002"
    state.add_role_definition("c2f4ef07-c644-48eb-af81-4b1b4947fb11", "AcrDelete",
                              actions=["Microsoft.ContainerRegistry/registries/artifacts/delete"])
    state.add_role_assignment(me, "c2f4ef07-c644-48eb-af81-4b1b4947fb11", scope="registry")
    state.add_role_assignment(me, "c2f4ef07-c644-48eb-af81-4b1b4947fb11", scope="subscription")
    state.add_role_assignment(me, "c2f4ef07-c644-48eb-af81-4b1b4947fb11",
                              scope=f"{GROUP}/providers/Microsoft.ContainerRegistry/registries/elsewhere")
    state.add_role_assignment(other, "c2f4ef07-c644-48eb-af81-4b1b4947fb11", scope="registry")
    with serve_fake_acr(state) as srv:
        found = get(srv, f"{state.resource_id}/providers/Microsoft.Authorization/roleAssignments"
                         f"?$filter=assignedTo%28%27{me}%27%29&api-version=2022-04-01")["value"]
        assert sorted(a["properties"]["scope"] for a in found) == [f"/subscriptions/{SUB}", state.resource_id]
        definition = get(srv, f"{found[0]['properties']['roleDefinitionId']}?api-version=2022-04-01")
        assert definition["properties"]["roleName"] == "AcrDelete"
        with pytest.raises(HttpResponseError) as err:
            get(srv, f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/nope"
                     "?api-version=2022-04-01")
        assert arm_code(err.value)[:2] == (404, "RoleDefinitionDoesNotExist")


def test_satellites_list_and_get_through_the_sdk(state: FakeRegistry) -> None:
    sm = state.add_scope_map("ci-map", ["repositories/team/web/content/read"])
    state.add_token("ci", sm["id"])
    state.add_cache_rule("hub", "docker.io/library/nginx", "cache/nginx")
    state.add_connected_registry("edge", "ReadOnly", sync_token_id=f"{state.resource_id}/tokens/edge-sync")
    state.add_task("purge", ["acr purge --ago 1d"], timers=[("t1", "0 1 * * *", "Enabled")],
                   identity_type="SystemAssigned", principal_ids=["p1"])
    with serve_fake_acr(state) as srv:
        arm = mgmt(srv)
        assert [t.scope_map_id for t in arm.tokens.list(RG, "contoso")] == [sm["id"]]
        assert [m.actions for m in arm.scope_maps.list(RG, "contoso")] == [["repositories/team/web/content/read"]]
        assert [c.target_repository for c in arm.cache_rules.list(RG, "contoso")] == ["cache/nginx"]
        assert [c.mode for c in arm.connected_registries.list(RG, "contoso")] == ["ReadOnly"]
        task = get(srv, f"{state.resource_id}/tasks/purge?api-version=2025-03-01-preview")
        assert task["identity"] == {"type": "SystemAssigned", "principalId": "p1",
                                    "tenantId": "00000000-0000-0000-0000-000000000000"}
        assert task["properties"]["trigger"]["timerTriggers"][0]["schedule"] == "0 1 * * *"
        assert [t["name"] for t in get(srv, f"{state.resource_id}/tasks?api-version=2025-03-01-preview")["value"]] \
            == ["purge"]


def test_a_quarantined_manifest_is_refused_on_pull_with_acrs_405(state: FakeRegistry) -> None:
    digest = state.push_image("team/api", ["q"])
    state.repositories["team/api"].manifests[digest].quarantine_state = "Quarantined"
    with serve_fake_acr(state) as srv:
        client(srv).get_manifest("team/api", "q")  # the policy is off: served
        state.policies["quarantinePolicy"]["status"] = "enabled"
        with pytest.raises(HttpResponseError) as err:
            client(srv).get_manifest("team/api", "q")
        assert err.value.status_code == 405 and acr_code(err.value) == "REGISTRY_DISALLOWED_OPERATION"


def test_a_registry_at_its_storage_limit_refuses_pushes(state: FakeRegistry) -> None:
    state.maximum_storage_capacity = state.reported_size()
    with serve_fake_acr(state) as srv:
        usage = {u.name: u for u in mgmt(srv).registries.list_usages(RG, "contoso").value}
        assert usage["MaximumStorageCapacity"].limit == state.maximum_storage_capacity
        with pytest.raises(HttpResponseError) as err:
            client(srv).upload_blob("team/web", io.BytesIO(b"more"))
        assert err.value.status_code == 405 and acr_code(err.value) == "REGISTRY_DISALLOWED_OPERATION"
        client(srv).get_manifest("team/web", "v1")  # pulls still work


def test_soft_delete_keeps_deleted_manifests_listable(state: FakeRegistry) -> None:
    state.policies["softDeletePolicy"]["status"] = "enabled"
    digest = state.repositories["team/web"].tags["v1"].digest
    with serve_fake_acr(state) as srv:
        client(srv).delete_manifest("team/web", digest)
        c = client(srv)
        listed = c._client.send_request(HttpRequest("GET", "/acr/v1/_deleted/team%2Fweb/_manifests"))
        listed.raise_for_status()
        (item,) = listed.json()["manifests"]
        assert item["digest"] == digest and item["tags"] == ["v1"] and item["deletedAt"]
        catalog = c._client.send_request(HttpRequest("GET", "/acr/v1/_deleted/_catalog"))
        assert catalog.json()["repositories"] == ["team/web"]


def test_fake_tokens_carry_claims_and_name_the_identity() -> None:
    from acrdoctor.collect.control_shapes import caller_from_claims, jwt_claims
    from acrdoctor.testing._credentials import default_object_id, identity_of

    token = FakeCredential("bob", object_id="o-1", principal_type="ServicePrincipal").get_token("x").token
    assert identity_of(token) == "bob"
    assert caller_from_claims(jwt_claims(token)) == {"kind": "entra", "principalId": "o-1",
                                                     "principalType": "ServicePrincipal",
                                                     "name": default_object_id("app:bob")}
    user = FakeCredential("carol").get_token("x").token
    assert caller_from_claims(jwt_claims(user)) == {"kind": "entra", "principalId": default_object_id("carol"),
                                                    "principalType": "User", "name": "carol@fake.example"}


def test_a_lock_above_the_registry_refuses_deleting_its_private_endpoint_connection(state: FakeRegistry) -> None:
    name = state.add_private_endpoint("pe1")
    state.add_lock("guard", "CanNotDelete", "subscription")
    with serve_fake_acr(state) as srv:
        with pytest.raises(HttpResponseError) as err:
            mgmt(srv).private_endpoint_connections.begin_delete(RG, "contoso", name).result()
        assert arm_code(err.value)[:2] == (409, "ScopeLocked")
    assert name in state.private_endpoint_connections


def test_a_cache_rule_is_deleted_as_az_acr_cache_delete_asks_and_a_lock_refuses_it(state: FakeRegistry) -> None:
    state.add_cache_rule("hub-nginx", "docker.io/library/nginx", "hub/nginx")
    state.add_cache_rule("hub-redis", "docker.io/library/redis", "hub/redis")
    with serve_fake_acr(state) as srv:
        srv.lro_retry_after = 0
        client = mgmt(srv)
        client.cache_rules.begin_delete(RG, "contoso", "hub-nginx").result()
        assert [r.name for r in client.cache_rules.list(RG, "contoso")] == ["hub-redis"]
        client.cache_rules.begin_delete(RG, "contoso", "hub-nginx").result()  # gone already: 204, as ARM deletes
        state.add_lock("guard", "CanNotDelete", "registry")
        with pytest.raises(HttpResponseError) as locked:
            client.cache_rules.begin_delete(RG, "contoso", "hub-redis").result()
        assert arm_code(locked.value)[:2] == (409, "ScopeLocked")
    assert list(state.cache_rules) == ["hub-redis"]


@pytest.mark.parametrize("value", ["", "not-an-ip", "2001:db8::1", "203.0.113.300"])
def test_an_ip_rule_that_is_no_ipv4_address_is_refused_and_changes_nothing(state: FakeRegistry, value: str) -> None:
    """What a printed network rule sends when its IP lookup failed (an empty value) must not become a rule."""
    state.ip_rules = ["198.51.100.7"]
    with serve_fake_acr(state) as srv:
        response = mgmt(srv).send_request(HttpRequest(
            "PATCH", f"{state.resource_id}?api-version=2025-11-01",
            json={"tags": {"changed": "yes"}, "properties": {"networkRuleSet": {
                "defaultAction": "Deny", "ipRules": [{"action": "Allow", "value": "198.51.100.7"},
                                                     {"action": "Allow", "value": value}]}}}))
        assert response.status_code == 400
    assert state.ip_rules == ["198.51.100.7"] and state.network_default_action == "Allow" and state.tags == {}


def test_a_role_assignment_is_created_as_az_role_assignment_create_sends_it(state: FakeRegistry) -> None:
    """Role name → definition through ``$filter=roleName eq``, then PUT roleAssignments/{guid}; the collector's
    ``assignedTo()`` listing then returns it; the same assignment again is 409 RoleAssignmentExists."""
    rid = state.resource_id
    oid = "8d2f4a6b-1c3e-4d5f-8a7b-9c0d1e2f3a4b"
    with serve_fake_acr(state) as srv:
        found = get(srv, f"{rid}/providers/Microsoft.Authorization/roleDefinitions?$filter="
                         "roleName eq 'Container Registry Repository Catalog Lister'&api-version=2022-04-01")["value"]
        (definition,) = found
        assert definition["properties"]["permissions"][0]["dataActions"] == [
            "Microsoft.ContainerRegistry/registries/catalog/read"]
        assert get(srv, f"{rid}/providers/Microsoft.Authorization/roleDefinitions?$filter="
                        "roleName eq 'No Such Role'&api-version=2022-04-01")["value"] == []
        url = f"{rid}/providers/Microsoft.Authorization/roleAssignments/{'1' * 8}-0000-0000-0000-{'2' * 12}"
        body = {"properties": {"roleDefinitionId": definition["id"], "principalId": oid,
                               "principalType": "ServicePrincipal"}}
        put = mgmt(srv).send_request(HttpRequest("PUT", f"{url}?api-version=2022-04-01", json=body))
        assert put.status_code == 201 and put.json()["properties"]["scope"] == rid
        again = mgmt(srv).send_request(HttpRequest("PUT", f"{url[:-1]}3?api-version=2022-04-01", json=body))
        assert again.status_code == 409 and again.json()["error"]["code"] == "RoleAssignmentExists"
        listed = get(srv, f"{rid}/providers/Microsoft.Authorization/roleAssignments?$filter=assignedTo('{oid}')"
                          "&api-version=2022-04-01")["value"]
        assert [ra["properties"]["roleDefinitionId"] for ra in listed] == [definition["id"]]


def test_a_task_update_is_merged_into_the_task_and_list_details_reads_it(state: FakeRegistry) -> None:
    state.add_task("nightly", ["acr purge --filter 'a:.*' --ago 1d"])
    tid = f"{state.resource_id}/tasks/nightly"
    with serve_fake_acr(state) as srv:
        patch = {"properties": {"credentials": {"sourceRegistry": {"identity": "[system]"}}},
                 "identity": {"type": "SystemAssigned"}}
        r = mgmt(srv).send_request(HttpRequest("PATCH", f"{tid}?api-version=2025-03-01-preview", json=patch))
        assert r.status_code == 200
        details = mgmt(srv).send_request(HttpRequest("POST", f"{tid}/listDetails?api-version=2025-03-01-preview"))
        props = details.json()["properties"]
        assert props["credentials"]["sourceRegistry"]["identity"] == "[system]"
        assert props["step"] == state.tasks["nightly"]["properties"]["step"]  # what the patch did not name stays
        state.add_lock("freeze", "ReadOnly", "registry")
        refused = mgmt(srv).send_request(HttpRequest("PATCH", f"{tid}?api-version=2025-03-01-preview", json=patch))
        assert refused.status_code == 409
