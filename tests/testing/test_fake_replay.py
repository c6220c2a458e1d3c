"""The fake rebuilt from a snapshot with ``replay=True``: recorded 401s and 429s answered again, reclaim lag, and the
ARM deletes of locks and connected registries.

Expected values come from the demo snapshot's JSON file, read here on its own (not through the fake or the model),
so the tests check the fake against the recording rather than against itself. Time is the fake's injected clock.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest
import requests
from azure.containerregistry import ContainerRegistryClient
from azure.core.exceptions import HttpResponseError

from acrdoctor.demo import load_demo
from acrdoctor.snapshot_io import snapshot_from_dict
from acrdoctor.testing import FakeCredential, FakeRegistry, serve_fake_acr
from acrdoctor.testing._server import FakeAcrServer
from acrdoctor.testing._state import RECLAIM_LAG_SECONDS

SCALE = 0.05


def _demo_json() -> dict[str, Any]:
    return json.loads(resources.files("acrdoctor.data").joinpath("demo-snapshot.json").read_text())


DEMO = _demo_json()
DENIALS = [e for e in DEMO["errors"] if e.get("status") == 401 and e.get("repository")]
THROTTLES = [e for e in DEMO["errors"] if e.get("status") == 429]


class Clock:
    """The fake's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _state(replay: bool = True, doc: dict[str, Any] | None = None, clock: Clock | None = None) -> FakeRegistry:
    snap = snapshot_from_dict(doc) if doc is not None else load_demo()
    st = FakeRegistry.from_snapshot(snap, replay=replay, retry_after_scale=SCALE, clock=clock)
    st.client_ip = DEMO["registry"]["networkRuleSet"]["ipRules"][0].split("/")[0]  # inside the firewall
    st.quarantine_readers = {"alice", "mi"}
    return st


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def served(clock: Clock) -> Iterator[FakeAcrServer]:
    with serve_fake_acr(_state(clock=clock)) as srv:
        yield srv


def _client(srv: FakeAcrServer, identity: str = "alice") -> ContainerRegistryClient:
    return ContainerRegistryClient(srv.endpoint, FakeCredential(identity), connection_verify=srv.ca_pem,
                                   retry_total=0)


def _body(err: HttpResponseError) -> dict[str, Any]:
    assert err.response is not None
    return json.loads(err.response.read())


def _unlocked(repo: dict[str, Any]) -> bool:
    """No delete or write lock on the repository, its manifests or its tags (a delete would then be refused)."""
    objects = [repo, *(repo.get("manifests") or ()), *(repo.get("tags") or ())]
    return all((o.get("changeableAttributes") or {}).get(k, True) for o in objects
               for k in ("deleteEnabled", "writeEnabled"))


# -- recorded 401s --------------------------------------------------------------------------------------------------


def test_the_demo_records_what_these_tests_replay() -> None:
    assert DENIALS and THROTTLES


@pytest.mark.parametrize("error", DENIALS, ids=lambda e: e["repository"])
def test_a_recorded_401_refuses_that_action_to_every_caller_but_the_exempt(served: FakeAcrServer,
                                                                            error: dict[str, Any]) -> None:
    repo = error["repository"]
    actions = {d["Action"] for d in error["detail"]}
    assert actions == {"delete"}  # what the demo records; the delete below is that action
    with pytest.raises(HttpResponseError) as caught:
        _client(served, "bob").delete_repository(repo)
    assert caught.value.status_code == 401
    (body,) = _body(caught.value)["errors"]
    assert body["code"] == error["code"] and body["detail"] == error["detail"]
    assert repo in served.state.repositories
    # the recorded action only: reading the repository is not refused
    assert _client(served, "bob").get_repository_properties(repo).name == repo
    served.state.replay.exempt.add("carol")
    _client(served, "carol").delete_repository(repo)
    assert repo not in served.state.repositories


def test_other_repositories_are_not_refused(served: FakeAcrServer) -> None:
    refused = {e["repository"] for e in DENIALS}
    other = next(r["name"] for r in DEMO["repositories"] if r["name"] not in refused and _unlocked(r)
                 and r.get("manifests"))
    _client(served, "bob").delete_repository(other)
    assert other not in served.state.repositories


def test_without_replay_nothing_recorded_is_refused() -> None:
    with serve_fake_acr(_state(replay=False)) as srv:
        for error in DENIALS:
            _client(srv, "bob").delete_repository(error["repository"])
            assert error["repository"] not in srv.state.repositories


# -- recorded 429s --------------------------------------------------------------------------------------------------


def _manifest_of(repo: str) -> str:
    (entry,) = [r for r in DEMO["repositories"] if r["name"] == repo]
    return str(entry["manifests"][0]["digest"])


@pytest.mark.parametrize("error", THROTTLES, ids=lambda e: e["repository"])
def test_a_recorded_429_throttles_that_operation_until_its_window_passes(served: FakeAcrServer, clock: Clock,
                                                                         error: dict[str, Any]) -> None:
    assert error["operation"] == "get_manifest"
    repo, digest = error["repository"], _manifest_of(error["repository"])
    served.state.replay.throttles[0].refusals = 5  # more than one, to see the countdown and the end of the window
    window = error["retryAfter"] * SCALE
    with pytest.raises(HttpResponseError) as caught:
        _client(served).get_manifest(repo, digest)
    assert caught.value.status_code == 429
    assert caught.value.response is not None
    assert caught.value.response.headers["Retry-After"] == str(math.ceil(window))
    assert _body(caught.value)["errors"][0]["code"] == error["code"]
    # other operations and other repositories go through meanwhile
    assert _client(served).get_repository_properties(repo).name == repo
    clock.now += window / 2
    with pytest.raises(HttpResponseError) as again:
        _client(served).get_manifest(repo, digest)
    assert again.value.response is not None
    assert again.value.response.headers["Retry-After"] == str(math.ceil(window / 2))  # counting down
    clock.now += window / 2
    assert _client(served).get_manifest(repo, digest).digest == digest
    assert _client(served).get_manifest(repo, digest).digest == digest


def test_a_throttle_ends_after_the_recorded_number_of_refusals(served: FakeAcrServer) -> None:
    (error,) = THROTTLES
    repo, digest = error["repository"], _manifest_of(error["repository"])
    refusals = (error.get("detail") or {}).get("count", 1) if isinstance(error.get("detail"), dict) else 1
    for _ in range(refusals):
        with pytest.raises(HttpResponseError):
            _client(served).get_manifest(repo, digest)
    assert _client(served).get_manifest(repo, digest).digest == digest  # the clock never moved


# -- reclaim --------------------------------------------------------------------------------------------------------


def _deduplicated(doc: dict[str, Any], without: str | None = None) -> int:
    """Bytes of the distinct configs and layers the snapshot's manifests name (optionally without one repository)."""
    used = {i for r in doc["repositories"] if r["name"] != without for m in r.get("manifests") or ()
            for i in ([m["config"]] if m.get("config") is not None else []) + list(m.get("layers") or ())}
    return sum(doc["blobs"]["sizes"][i] for i in used)


def _size(st: FakeRegistry) -> int:
    return st.reported_size()


def test_unaccounted_bytes_leave_size_once_the_reclaim_lag_has_passed(clock: Clock) -> None:
    st = _state(clock=clock)
    recorded = next(u["currentValue"] for u in DEMO["usage"] if u["name"] == "Size")
    assert recorded > _deduplicated(DEMO)  # the demo's Size holds bytes no manifest accounts for
    assert _size(st) == recorded
    clock.now += RECLAIM_LAG_SECONDS - 1
    assert _size(st) == recorded
    clock.now += 1
    assert _size(st) == _deduplicated(DEMO)


def test_soft_deleted_bytes_stay_in_size(clock: Clock) -> None:
    doc = _demo_json()
    held = 100_000_000
    doc["deleted_artifacts"] = [{"repository": "apps/web", "digest": "sha256:" + "d" * 64,
                                 "deleted": "2026-11-30T09:00:00Z", "imageSize": held}]
    st = _state(doc=doc, clock=clock)
    clock.now += RECLAIM_LAG_SECONDS
    assert _size(st) == _deduplicated(doc) + held


def test_bytes_a_delete_frees_leave_size_after_the_lag(clock: Clock) -> None:
    st = _state(clock=clock)
    clock.now += RECLAIM_LAG_SECONDS  # the snapshot's own backlog is reclaimed first
    repo = next(r["name"] for r in DEMO["repositories"]
                if _deduplicated(DEMO, r["name"]) < _deduplicated(DEMO) and _unlocked(r))
    st.delete_repository(repo)
    assert _size(st) == _deduplicated(DEMO)
    clock.now += RECLAIM_LAG_SECONDS
    assert _size(st) == _deduplicated(DEMO, repo)


def test_without_replay_size_keeps_the_snapshot_figure(clock: Clock) -> None:
    st = _state(replay=False, clock=clock)
    recorded = next(u["currentValue"] for u in DEMO["usage"] if u["name"] == "Size")
    clock.now += 100 * RECLAIM_LAG_SECONDS
    assert _size(st) == recorded


# -- ARM deletes ----------------------------------------------------------------------------------------------------


def _arm(srv: FakeAcrServer, method: str, path: str, api: str) -> requests.Response:
    token = FakeCredential("mi").get_token("https://management.azure.com/.default").token
    return requests.request(method, f"{srv.arm_endpoint}{path}?api-version={api}", verify=srv.ca_pem,
                            headers={"Authorization": f"Bearer {token}"}, timeout=30)


def _lock_path(lock: dict[str, Any]) -> str:
    return str(lock["id"])


def test_locks_are_deleted_at_their_scope_and_unknown_ones_answer_204(served: FakeAcrServer) -> None:
    (lock,) = DEMO["resource_locks"]
    sub = f"/subscriptions/{DEMO['registry']['subscriptionId']}"
    listed = _arm(served, "GET", f"{sub}/providers/Microsoft.Authorization/locks", "2016-09-01").json()["value"]
    assert [x["id"] for x in listed] == [lock["id"]]
    assert _arm(served, "DELETE", _lock_path(lock), "2016-09-01").status_code == 200
    assert _arm(served, "GET", f"{sub}/providers/Microsoft.Authorization/locks", "2016-09-01").json()["value"] == []
    assert _arm(served, "DELETE", _lock_path(lock), "2016-09-01").status_code == 204
    other = f"{sub}/resourceGroups/rg-elsewhere/providers/Microsoft.Authorization/locks/{lock['name']}"
    assert _arm(served, "DELETE", other, "2016-09-01").status_code == 404


def test_a_lock_refuses_a_connected_registry_delete_but_not_its_own(served: FakeAcrServer) -> None:
    (lock,) = DEMO["resource_locks"]
    (cr,) = DEMO["connected_registries"]
    refused = _arm(served, "DELETE", cr["id"], "2025-11-01")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "ScopeLocked"
    assert cr["name"] in served.state.connected_registries
    assert _arm(served, "DELETE", _lock_path(lock), "2016-09-01").status_code == 200
    token_id = cr["syncTokenId"]
    # the sync token cannot go before its connected registry
    assert _arm(served, "DELETE", token_id, "2025-11-01").status_code == 409
    assert _arm(served, "DELETE", cr["id"], "2025-11-01").status_code == 202
    assert cr["name"] not in served.state.connected_registries
    assert _arm(served, "DELETE", cr["id"], "2025-11-01").status_code == 204
    assert _arm(served, "DELETE", token_id, "2025-11-01").status_code == 202
    assert token_id.rsplit("/", 1)[-1] not in served.state.registry_tokens


def test_replay_adds_the_sync_token_a_snapshot_did_not_list() -> None:
    (cr,) = DEMO["connected_registries"]
    name = cr["syncTokenId"].rsplit("/", 1)[-1]
    assert name not in {t["name"] for t in DEMO["tokens"]}
    st = _state()
    token = st.registry_tokens[name]
    assert token["id"] == cr["syncTokenId"]
    scope_map = token["properties"]["scopeMapId"].rsplit("/", 1)[-1]
    assert scope_map == cr["name"]
    assert all(a.startswith(f"gateway/{cr['name']}/") for a in st.scope_maps[scope_map]["properties"]["actions"])
    assert name not in _state(replay=False).registry_tokens
