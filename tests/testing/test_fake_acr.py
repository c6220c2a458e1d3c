"""The fake ACR driven by the real Azure SDK clients (sync, aio and ARM) over HTTPS on loopback."""

from __future__ import annotations

import asyncio
import io
import json
import time

import pytest
import requests
from azure.containerregistry import ContainerRegistryClient, DigestValidationError
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.mgmt.containerregistry import ContainerRegistryManagementClient

from acrdoctor.builder import SnapshotBuilder, locked
from acrdoctor.testing import (
    OCI_MANIFEST,
    AsyncFakeCredential,
    FakeCredential,
    FakeRegistry,
    Faults,
    Throttle,
    serve_fake_acr,
)

SUB = "00000000-0000-0000-0000-000000000000"


class Clock:
    """A hand-moved clock for reclaim delays and token buckets."""

    def __init__(self, t: float = 1_800_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def client(srv, identity: str = "alice") -> ContainerRegistryClient:
    return ContainerRegistryClient(srv.endpoint, FakeCredential(identity), connection_verify=srv.ca_pem,
                                   retry_total=0)


def mgmt(srv) -> ContainerRegistryManagementClient:
    return ContainerRegistryManagementClient(FakeCredential(), SUB, base_url=srv.arm_endpoint,
                                             connection_verify=srv.ca_pem, polling_interval=0, retry_total=0)


def acr_code(err: HttpResponseError) -> str:
    """Mapped statuses (401/404/409) carry the ACR code only in the raw body."""
    err.response.read()
    return json.loads(err.response.text())["errors"][0]["code"]


def last_status(srv, method: str, path_end: str) -> int:
    return [r.status for r in srv.requests if r.method == method and r.path.endswith(path_end)][-1]


@pytest.fixture
def state() -> FakeRegistry:
    st = FakeRegistry(name="contoso", sku="Premium", resource_group="rg", subscription_id=SUB)
    st.push_image("library/nginx", ["1.25", "latest"], [("debian", 3000), ("nginx", 700)])
    st.push_image("library/nginx", ["1.24"], [("debian", 3000), ("nginx-1.24", 650)])
    st.push_image("library/nginx", [], [("debian", 3000), ("nginx-old", 600)])
    st.push_image("app", ["v1"], [("debian", 3000), ("app", 100)])
    for i in range(5):
        st.push_image(f"svc{i}", [f"t{i}"], [(f"svc-layer-{i}", 10)])
    return st


# -- listing, properties, manifests -------------------------------------------------------------------


def test_listing_pages_with_link_headers(state):
    with serve_fake_acr(state) as srv, client(srv) as c:
        names = list(c.list_repository_names(results_per_page=2))
        assert names == sorted(state.repositories)
        pages = [r for r in srv.requests if r.path == "/acr/v1/_catalog" and r.status == 200]
        assert len(pages) == 4  # 7 repos, 2 per page: the SDK followed the Link header
        manifests = list(c.list_manifest_properties("library/nginx", results_per_page=1))
        assert len(manifests) == 3
        assert sorted(t.name for t in c.list_tag_properties("library/nginx", results_per_page=2)) == [
            "1.24", "1.25", "latest"]
        raw = requests.get(f"{srv.endpoint}/v2/_catalog?n=2", verify=srv.ca_pem, timeout=5)
        assert raw.status_code == 401
        assert raw.headers["WWW-Authenticate"] == (
            f'Bearer realm="https://{srv.login_server}/oauth2/token",service="localhost",scope="registry:catalog:*"')


def test_link_header_format_and_n_cap(state):
    with serve_fake_acr(state) as srv:
        tok = state.issue_access_token("alice", "registry:catalog:*")
        r = requests.get(f"{srv.endpoint}/acr/v1/_catalog?n=3", headers={"Authorization": f"Bearer {tok}"},
                         verify=srv.ca_pem, timeout=5)
        assert r.headers["Link"] == '</acr/v1/_catalog?last=svc0&n=3&orderby=>; rel="next"'
        r = requests.get(f"{srv.endpoint}/acr/v1/_catalog?n=5000", headers={"Authorization": f"Bearer {tok}"},
                         verify=srv.ca_pem, timeout=5)
        assert "Link" not in r.headers and len(r.json()["repositories"]) == 7
        assert r.headers["Content-Length"] == str(len(r.content))
        pull = state.issue_access_token("alice", "repository:app:pull")
        head = requests.head(f"{srv.endpoint}/v2/app/manifests/v1", headers={"Authorization": f"Bearer {pull}"},
                             verify=srv.ca_pem, timeout=5)
        m = state.repositories["app"].manifests[head.headers["Docker-Content-Digest"]]
        assert head.status_code == 200 and int(head.headers["Content-Length"]) == len(m.body)
        assert head.headers["ETag"] == f'"{m.digest}"' and head.headers["Content-Type"] == m.media_type


def test_manifest_and_tag_properties(state):
    with serve_fake_acr(state) as srv, client(srv) as c:
        by_tags = {tuple(m.tags or ()): m for m in c.list_manifest_properties("library/nginx")}
        assert () in by_tags and by_tags[()].tags is None  # untagged: no tags key on the wire
        latest = c.get_manifest_properties("library/nginx", "latest")
        assert sorted(latest.tags) == ["1.25", "latest"]
        assert latest.size_in_bytes > 3700 and latest.can_delete and latest.can_write
        assert str(latest.architecture) in ("amd64", "ArtifactArchitecture.AMD64")
        tag = c.get_tag_properties("library/nginx", "latest")
        assert tag.digest == latest.digest and tag.can_delete
        repo = c.get_repository_properties("library/nginx")
        assert (repo.manifest_count, repo.tag_count) == (3, 3)
        assert [t.name for t in c.list_tag_properties("library/nginx", digest=latest.digest)] == ["1.25", "latest"]
        c.update_manifest_properties("library/nginx", latest.digest, can_delete=False)
        assert c.get_manifest_properties("library/nginx", latest.digest).can_delete is False


def test_get_manifest_index_and_references():
    st = FakeRegistry()
    a = st.push_image("multi", [], [("l-amd", 10)], architecture="amd64")
    b = st.push_image("multi", [], [("l-arm", 10)], architecture="arm64")
    idx = st.push_index("multi", [a, b], ["latest"])
    with serve_fake_acr(st) as srv, client(srv) as c:
        got = c.get_manifest("multi", "latest")
        assert got.digest == idx and [m["digest"] for m in got.manifest["manifests"]] == [a, b]
        assert c.get_manifest("multi", a).manifest["layers"][0]["size"] == 10
        raw = list(c.list_manifest_properties("multi", cls=lambda objs: [o.related_artifacts for o in objs]))
        refs = [r for r in raw if r]
        assert [x.digest for x in refs[0]] == [a, b]


# -- deletes ----------------------------------------------------------------------------------------


def test_delete_semantics_and_swallowed_404s(state):
    nginx = state.repositories["library/nginx"]
    latest = nginx.tags["latest"].digest
    with serve_fake_acr(state) as srv, client(srv) as c:
        c.delete_tag("library/nginx", "1.24")  # untag: manifest stays
        assert len(nginx.manifests) == 3 and "1.24" not in nginx.tags
        c.delete_manifest("library/nginx", "latest")  # by tag: the manifest and every tag on it go
        assert latest not in nginx.manifests and "1.25" not in nginx.tags
        # the SDK swallows 404 on these; the wire says what really happened
        c.delete_tag("library/nginx", "nope")
        assert last_status(srv, "DELETE", "/_tags/nope") == 404
        c.delete_manifest("library/nginx", "sha256:" + "a" * 64)
        assert last_status(srv, "DELETE", "a" * 64) == 404
        c.delete_repository("does-not-exist")
        assert last_status(srv, "DELETE", "/does-not-exist") == 404
        with pytest.raises(ResourceNotFoundError):
            c.delete_manifest("library/nginx", "no-such-tag")  # by tag: the lookup 404 is raised
        body = requests.delete(f"{srv.endpoint}/v2/app/manifests/sha256:{'a' * 64}", verify=srv.ca_pem,
                               headers={"Authorization": "Bearer " + state.issue_access_token(
                                   "alice", "repository:app:delete")}, timeout=5).json()
        assert body == {"errors": [{"code": "MANIFEST_UNKNOWN", "message": f"manifest sha256:{'a' * 64} is not found"}]}
        tok = state.issue_access_token("alice", "repository:app:delete")
        r = requests.delete(f"{srv.endpoint}/acr/v1/app", headers={"Authorization": f"Bearer {tok}"},
                            verify=srv.ca_pem, timeout=5)
        assert r.status_code == 202 and r.json()["tagsDeleted"] == ["v1"] and len(r.json()["manifestsDeleted"]) == 1


def test_delete_manifest_cascades_to_referrers_and_removes_empty_repo():
    st = FakeRegistry()
    img = st.push_image("signed", ["v1"], [("l", 10)], media_type=OCI_MANIFEST)
    sig = st.push_image("signed", [], [("sig", 5)], media_type=OCI_MANIFEST, subject=img)
    st.push_image("signed", [], [("sbom-sig", 5)], media_type=OCI_MANIFEST, subject=sig)
    with serve_fake_acr(st) as srv, client(srv) as c:
        assert len(st.repositories["signed"].manifests) == 3
        c.delete_manifest("signed", img)
        assert "signed" not in st.repositories  # last manifest gone: the repository goes too


def test_locks_answer_405_at_each_level(state):
    nginx_latest = state.repositories["library/nginx"].tags["latest"].digest
    state.set_attributes("library/nginx", tag="1.24", write_enabled=False)
    state.set_attributes("library/nginx", digest=nginx_latest, delete_enabled=False)
    state.set_attributes("app", delete_enabled=False)
    with serve_fake_acr(state) as srv, client(srv) as c:
        with pytest.raises(HttpResponseError) as ei:
            c.delete_tag("library/nginx", "1.24")
        assert ei.value.status_code == 405
        assert ei.value.model.errors[0].code == "REGISTRY_DISALLOWED_OPERATION"
        assert ei.value.model.errors[0].message.startswith("The operation is disallowed on this registry")
        with pytest.raises(HttpResponseError) as ei:
            c.delete_manifest("library/nginx", nginx_latest)
        assert ei.value.status_code == 405
        c.delete_tag("library/nginx", "latest")  # tag and manifest locks are independent
        with pytest.raises(HttpResponseError) as ei:
            c.delete_repository("app")  # repo deleteEnabled=false blocks the repository delete ...
        assert ei.value.status_code == 405
        c.delete_manifest("app", "v1")  # ... but not the images inside
        state.set_attributes("svc0", write_enabled=False)  # repo writeEnabled=false blocks every delete inside
        for call in (lambda: c.delete_tag("svc0", "t0"), lambda: c.delete_repository("svc0"),
                     lambda: c.delete_manifest("svc0", state.repositories["svc0"].tags["t0"].digest)):
            with pytest.raises(HttpResponseError) as ei:
                call()
            assert ei.value.status_code == 405


def test_orphaned_empty_repository_trap_then_push_and_delete():
    st = FakeRegistry()
    st.add_repository("mailhog", orphaned=True)
    with serve_fake_acr(st) as srv, client(srv) as c:
        assert "mailhog" in list(c.list_repository_names())
        props = c.get_repository_properties("mailhog")
        assert (props.manifest_count, props.tag_count) == (0, 0)
        c.delete_repository("mailhog")  # SDK swallows the 404 ...
        assert last_status(srv, "DELETE", "/acr/v1/mailhog") == 404  # ... NAME_UNKNOWN on the wire
        assert "mailhog" in st.repositories
        tok = st.issue_access_token("alice", "repository:mailhog:delete")
        r = requests.delete(f"{srv.endpoint}/acr/v1/mailhog", headers={"Authorization": f"Bearer {tok}"},
                            verify=srv.ca_pem, timeout=5)
        assert r.content == (b'{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry",'
                             b'"detail":{"name":"mailhog"}}]}')
        layer, size = c.upload_blob("mailhog", io.BytesIO(b"placeholder"))
        cfg, cfg_size = c.upload_blob("mailhog", io.BytesIO(b'{"architecture":"amd64","os":"linux"}'))
        c.set_manifest("mailhog", {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                                   "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                              "digest": cfg, "size": cfg_size},
                                   "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                               "digest": layer, "size": size}]}, tag="placeholder")
        c.delete_repository("mailhog")
        assert last_status(srv, "DELETE", "/acr/v1/mailhog") == 202
        assert "mailhog" not in list(c.list_repository_names())


def test_orphan_on_empty_reproduces_the_quirk(state):
    state.orphan_on_empty = True
    with serve_fake_acr(state) as srv, client(srv) as c:
        c.delete_manifest("svc1", "t1")
        assert "svc1" in list(c.list_repository_names())
        c.delete_repository("svc1")
        assert last_status(srv, "DELETE", "/acr/v1/svc1") == 404


# -- snapshot import ---------------------------------------------------------------------------------


def _snapshot():
    b = SnapshotBuilder(name="contoso", sku="Premium", resource_group="rg")
    web = b.repository("web")
    img = web.image(["v1"], [("debian", 3000), ("web", 200)], tag_attributes={"v1": locked()})
    arm = web.image([], [("debian-arm", 2900)], architecture="arm64")
    web.index([img, arm], ["multi"])
    web.referrer(img)
    b.repository("api").image(["1.0"], [("debian", 3000), ("api", 300)])
    b.repository("empty", counts=(0, 0))
    b.private_endpoint("abc")
    b.replication("eastus")
    b.set_usage()
    return b.build()


def test_from_snapshot_rehashes_so_get_manifest_verifies():
    snap = _snapshot()
    st = FakeRegistry.from_snapshot(snap)
    assert st.repositories["empty"].orphaned
    assert st.stored_bytes() == snap.usage_named("Size").current
    web = next(r for r in snap.repositories if r.name == "web")
    img = web.manifests[0]
    served = st.digest_map[img.digest]
    with serve_fake_acr(st) as srv, client(srv) as c:
        got = c.get_manifest("web", served)
        layer_digests = [x["digest"] for x in got.manifest["layers"]]
        assert layer_digests == [snap.blobs[i].digest for i in img.layers]
        idx = c.get_manifest("web", "multi")
        children = [st.digest_map[d] for d in web.manifests[2].references]
        assert [m["digest"] for m in idx.manifest["manifests"]] == children
        assert c.get_tag_properties("web", "v1").can_write is False
        assert c.get_manifest_properties("web", served).size_in_bytes == img.image_size
        m = mgmt(srv)
        assert [p.name for p in m.private_endpoint_connections.list("rg", "contoso")] == ["contoso.abc"]
        assert [r.location for r in m.replications.list("rg", "contoso")] == ["eastus"]


def test_builder_snapshots_keep_their_digests_and_get_manifest_verifies():
    # acrdoctor.builder derives digests from the canonical body the fake serves, so nothing is rehashed.
    snap = _snapshot()
    st = FakeRegistry.from_snapshot(snap)
    web = next(r for r in snap.repositories if r.name == "web")
    assert all(st.digest_map[m.digest] == m.digest for m in web.manifests)
    with serve_fake_acr(st) as srv, client(srv) as c:
        for m in web.manifests:
            assert c.get_manifest("web", m.digest).digest == m.digest


def test_foreign_digests_without_rehash_are_kept_but_get_manifest_cannot_verify():
    b = SnapshotBuilder(name="contoso", sku="Premium", resource_group="rg")
    foreign = "sha256:" + "ab" * 32  # e.g. a snapshot collected from a real registry: no body to match it
    b.repository("web").image(["v1"], [("debian", 3000)], digest=foreign)
    snap = b.build()
    st = FakeRegistry.from_snapshot(snap, rehash=False)
    with serve_fake_acr(st) as srv, client(srv) as c:
        assert foreign in {m.digest for m in c.list_manifest_properties("web")}
        with pytest.raises(DigestValidationError):
            c.get_manifest("web", foreign)
    rehashed = FakeRegistry.from_snapshot(snap)
    assert rehashed.digest_map[foreign] != foreign


# -- storage ---------------------------------------------------------------------------------------


def test_usage_is_deduplicated_and_drops_after_reclaim_delay(state):
    clock = Clock()
    state.clock = clock
    state.reclaim_delay_seconds = 60
    with serve_fake_acr(state) as srv, client(srv) as c:
        m = mgmt(srv)

        def size() -> int:
            return next(u.current_value for u in m.registries.list_usages("rg", "contoso").value if u.name == "Size")

        before = size()
        assert before == state.stored_bytes()
        c.delete_repository("app")  # shares "debian" with nginx: only its own layer and config go
        assert size() == before
        clock.t += 61
        assert before - size() == 100 + 100  # app layer + its config; debian stays
        state.reclaim_delay_seconds = 0
        c.delete_repository("library/nginx")
        assert size() == before - 200 - (3000 + 700 + 650 + 600 + 300)


# -- ARM ------------------------------------------------------------------------------------------


def test_registry_delete_blocked_by_private_endpoints_then_lro_deletes(state):
    pe = state.add_private_endpoint("822bd3cf07874f72b98e1b0041105393")
    state.registry_delete_lro = True  # the recorded registry delete is a plain 200; exercise the poller here
    with serve_fake_acr(state) as srv:
        m = mgmt(srv)
        reg = m.registries.get("rg", "contoso")
        assert reg.login_server == srv.login_server and len(reg.private_endpoint_connections) == 1
        with pytest.raises(HttpResponseError) as ei:
            m.registries.begin_delete("rg", "contoso")
        assert ei.value.status_code == 409 and ei.value.error.code == "RegistryDeletionBlockedByPrivateEndpoints"
        m.private_endpoint_connections.begin_delete("rg", "contoso", pe).result()
        assert list(m.private_endpoint_connections.list("rg", "contoso")) == []
        polls = [r for r in srv.requests if "/operationResults/" in r.path]
        assert [r.status for r in polls] == [202, 200]
        m.registries.begin_delete("rg", "contoso").result()
        assert [r.status for r in srv.requests if "/operationResults/registries-" in r.path] == [202, 200]
        with pytest.raises(ResourceNotFoundError):
            m.registries.get("rg", "contoso")
        assert list(m.registries.list()) == []


def test_registry_patch_and_firewall_denied(state):
    state.client_ip = "198.51.100.7"
    with serve_fake_acr(state) as srv, client(srv) as c:
        m = mgmt(srv)
        m.registries.begin_update("rg", "contoso", {"properties": {"networkRuleSet": {"defaultAction": "Deny"},
                                                                    "publicNetworkAccess": "Enabled"}}).result()
        with pytest.raises(HttpResponseError) as ei:
            list(c.list_repository_names())
        assert ei.value.status_code == 403 and ei.value.model.errors[0].code == "DENIED"
        assert "client with IP '198.51.100.7' is not allowed access" in ei.value.model.errors[0].message
        assert "\\u0027198.51.100.7\\u0027" in ei.value.response.text()
        m.registries.begin_update("rg", "contoso", {"properties": {"networkRuleSet": {
            "defaultAction": "Deny", "ipRules": [{"action": "Allow", "value": "198.51.100.0/24"}]}}}).result()
        assert "app" in list(c.list_repository_names())
        state.public_network_access = "Disabled"
        with pytest.raises(HttpResponseError):
            list(c.list_repository_names())


# -- auth -----------------------------------------------------------------------------------------


def test_token_bound_to_scope_and_identity(state):
    with serve_fake_acr(state) as srv:
        tok = state.issue_access_token("alice", "repository:app:metadata_read")
        ok = requests.get(f"{srv.endpoint}/acr/v1/app", headers={"Authorization": f"Bearer {tok}"},
                          verify=srv.ca_pem, timeout=5)
        assert ok.status_code == 200 and ok.json()["changeableAttributes"]["teleportEnabled"] is False
        other = requests.delete(f"{srv.endpoint}/acr/v1/app", headers={"Authorization": f"Bearer {tok}"},
                                verify=srv.ca_pem, timeout=5)
        assert other.status_code == 401
        assert 'scope="repository:app:delete",error="insufficient_scope"' in other.headers["WWW-Authenticate"]
        bad = requests.get(f"{srv.endpoint}/acr/v1/app", headers={"Authorization": "Bearer nope"},
                           verify=srv.ca_pem, timeout=5)
        assert bad.status_code == 401 and 'error="invalid_token"' in bad.headers["WWW-Authenticate"]
        assert {r.identity for r in srv.requests if r.status == 200} == {"alice"}


def test_denied_action_answers_401_with_detail(state):
    state.denied_actions = {("app", "delete")}
    with serve_fake_acr(state) as srv, client(srv) as c:
        with pytest.raises(ClientAuthenticationError) as ei:
            c.delete_repository("app")
        err = json.loads(ei.value.response.text())["errors"][0]
        assert err["code"] == "UNAUTHORIZED"
        assert err["detail"] == [{"Type": "repository", "Name": "app", "Action": "delete"}]
        assert "app" in state.repositories


def test_anonymous_pull(state):
    with serve_fake_acr(state) as srv:
        anon = ContainerRegistryClient(srv.endpoint, None, connection_verify=srv.ca_pem, retry_total=0)
        with pytest.raises(ClientAuthenticationError):
            anon.get_manifest("app", "v1")
        state.anonymous_pull_enabled = True
        assert anon.get_manifest("app", "v1").digest == state.repositories["app"].tags["v1"].digest
        assert any(r.path == "/oauth2/token" and r.identity == "anonymous" for r in srv.requests)


# -- throttling and faults ----------------------------------------------------------------------------


def test_throttling_429_with_counting_down_retry_after(state):
    clock = Clock()
    state.clock = clock
    state.throttle = Throttle(read_per_minute=6, burst=1)
    with serve_fake_acr(state) as srv, client(srv, "bob") as c, client(srv, "carol") as c2:
        c.get_repository_properties("app")
        waits = []
        for _ in range(2):
            with pytest.raises(HttpResponseError) as ei:
                c.get_repository_properties("app")
            assert ei.value.status_code == 429 and ei.value.model.errors[0].code == "TOOMANYREQUESTS"
            waits.append(int(ei.value.response.headers["Retry-After"]))
            clock.t += 3
        assert waits == [10, 7]
        c2.get_repository_properties("app")  # buckets are per identity
        clock.t += 4
        c.get_repository_properties("app")


def test_throttle_defaults_and_categories():
    t = Throttle(read_per_minute=None, delete_per_minute=60, burst=2)
    assert all(t.take("x", "read", 0) is None for _ in range(100))
    assert t.take("x", "delete", 0) is None and t.take("x", "delete", 0) is None
    assert t.take("x", "delete", 0) == 1


def test_fault_5xx_and_reset(state):
    with serve_fake_acr(state) as srv, client(srv) as c:
        state.faults = Faults(error_rate_5xx=1.0)
        with pytest.raises(HttpResponseError) as ei:
            c.get_repository_properties("app")
        assert ei.value.status_code == 500 and ei.value.model.errors[0].code == "UNKNOWN"
        with pytest.raises(HttpResponseError) as ei:
            mgmt(srv).registries.get("rg", "contoso")
        assert ei.value.status_code == 500
        state.faults = Faults(reset_rate=1.0)
        with pytest.raises((ServiceRequestError, ServiceResponseError)):
            c.get_repository_properties("app")
        state.faults = None
        assert c.get_repository_properties("app").name == "app"


def test_fault_slow_and_intermittent_manifest_unknown(state):
    with serve_fake_acr(state) as srv, client(srv) as c:
        state.faults = Faults(slow_seconds=0.3, path_pattern=r"^/acr/v1/app$")
        t0 = time.monotonic()
        c.get_repository_properties("app")
        assert time.monotonic() - t0 >= 0.3
        state.faults = Faults(manifest_unknown_rate=0.5, seed=7)
        outcomes = []
        for _ in range(8):
            try:
                c.get_manifest("app", "v1")
                outcomes.append(True)
            except ResourceNotFoundError as e:
                assert acr_code(e) == "MANIFEST_UNKNOWN"
                outcomes.append(False)
        assert True in outcomes and False in outcomes
        assert outcomes == _replay(state, 8)


def _replay(state, n):
    """Same seed, same sequence: faults are reproducible."""
    f = Faults(manifest_unknown_rate=0.5, seed=7)
    return [not f.roll(0.5) for _ in range(n)]


# -- aio ------------------------------------------------------------------------------------------


def test_aio_clients(state):
    from azure.containerregistry.aio import ContainerRegistryClient as AioClient
    from azure.mgmt.containerregistry.aio import ContainerRegistryManagementClient as AioMgmt

    async def run(srv):
        async with AioClient(srv.endpoint, AsyncFakeCredential("dave"), connection_verify=srv.ca_pem,
                             retry_total=0) as c:
            names = [n async for n in c.list_repository_names(results_per_page=3)]
            tags = [t.name async for t in c.list_tag_properties("library/nginx")]
            got = await c.get_manifest("app", "v1")
            await c.delete_repository("app")
            await c.delete_repository("app")  # 404 swallowed
        async with AioMgmt(AsyncFakeCredential("dave"), SUB, base_url=srv.arm_endpoint, connection_verify=srv.ca_pem,
                           polling_interval=0) as m:
            reg = await m.registries.get("rg", "contoso")
        return names, tags, got, reg

    with serve_fake_acr(state) as srv:
        names, tags, got, reg = asyncio.run(run(srv))
    assert names == sorted(names) and len(names) == 7
    assert tags == ["1.24", "1.25", "latest"]
    assert got.manifest["schemaVersion"] == 2
    assert reg.login_server == srv.login_server
    assert "app" not in state.repositories
