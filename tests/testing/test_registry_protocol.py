"""The fake ACR's Docker/OCI side, request by request: the Basic-auth token flow, scope narrowing, ``tags/list``
paging and cross-repository blob mounts. Real clients drive the same paths in ``test_real_clients.py``; these tests
pin the wire shapes one at a time, with ``requests`` so every header is visible.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from acrdoctor.testing import FakeRegistry, serve_fake_acr
from acrdoctor.testing._registry_auth import NULL_GUID_USER
from acrdoctor.testing._state import sha256_digest

APP = "team/app"


@pytest.fixture()
def state() -> FakeRegistry:
    st = FakeRegistry(name="contoso")
    st.admin_user_enabled = True
    st.push_image(APP, ["v1"], [("base", 1000), ("app", 200)])
    st.push_image("other", ["latest"], [("other-layer", 300)])
    st.add_scope_map("app-read", [f"repositories/{APP}/content/read", f"repositories/{APP}/metadata/read"])
    st.add_token("reader", st.scope_maps["app-read"]["id"])
    st.add_scope_map("team-pull", ["repositories/team/*/content/read"])
    st.add_token("puller", st.scope_maps["team-pull"]["id"])
    return st


def token(srv, auth: tuple[str, str] | None, *scopes: str) -> requests.Response:
    params = [("service", srv.login_server), *(("scope", s) for s in scopes)]
    return requests.get(f"{srv.endpoint}/oauth2/token", params=params, auth=auth, verify=srv.ca_pem, timeout=10)


def call(srv, method: str, path: str, bearer: str | None = None, **kw) -> requests.Response:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    return requests.request(method, f"{srv.endpoint}{path}", headers=headers, verify=srv.ca_pem, timeout=10, **kw)


def admin(state: FakeRegistry) -> tuple[str, str]:
    return (state.name, state.admin_passwords[0])


def errors(resp: requests.Response) -> list[dict]:
    return resp.json()["errors"]


# -- the token endpoint -------------------------------------------------------------------------------------


def test_the_v2_challenge_leads_to_a_basic_auth_token_that_opens_the_registry(state):
    with serve_fake_acr(state) as srv:
        challenge = call(srv, "GET", "/v2/")
        assert challenge.status_code == 401
        www = challenge.headers["WWW-Authenticate"]
        assert www.startswith("Bearer ") and f'realm="{srv.endpoint}/oauth2/token"' in www
        got = token(srv, admin(state), f"repository:{APP}:pull,push,delete")
        assert got.status_code == 200
        assert set(got.json()) == {"access_token"}  # ACR's shape (Token-BasicAuth.md); no "token" key
        access = got.json()["access_token"]
        assert call(srv, "GET", "/v2/", access).status_code == 200
        assert call(srv, "GET", f"/v2/{APP}/manifests/v1", access).status_code == 200
        assert srv.requests[-1].identity == "admin"
        # the second admin password works too; a wrong one is refused with a Basic challenge and ACR's error body
        assert token(srv, (state.name, state.admin_passwords[1]), f"repository:{APP}:pull").status_code == 200
        wrong = token(srv, (state.name, "not-the-password"), f"repository:{APP}:pull")
        assert wrong.status_code == 401
        assert wrong.headers["WWW-Authenticate"].startswith("Basic realm=")
        assert errors(wrong)[0]["code"] == "UNAUTHORIZED"
        assert "access_token" not in wrong.text


def test_a_disabled_admin_user_cannot_get_a_token(state):
    state.admin_user_enabled = False
    with serve_fake_acr(state) as srv:
        assert token(srv, admin(state), f"repository:{APP}:pull").status_code == 401


def test_a_token_is_narrowed_to_what_the_caller_may_do(state):
    """A scope-map token asking for pull,push,delete gets a 200 whose token pulls but cannot delete (ACR answers
    200 even when nothing is granted); the refusal names the missing action."""
    pw = state.set_token_password("reader")
    with serve_fake_acr(state) as srv:
        got = token(srv, ("reader", pw), f"repository:{APP}:pull,push,delete", "repository:other:pull")
        assert got.status_code == 200
        access = got.json()["access_token"]
        assert call(srv, "GET", f"/v2/{APP}/manifests/v1", access).status_code == 200
        assert srv.requests[-1].identity == "token:reader"
        digest = state.repositories[APP].tags["v1"].digest
        refused = call(srv, "DELETE", f"/v2/{APP}/manifests/{digest}", access)
        assert refused.status_code == 401
        assert 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]
        assert errors(refused)[0]["detail"] == [{"Type": "repository", "Name": APP, "Action": "delete"}]
        assert digest in state.repositories[APP].manifests
        # nothing was granted on a repository outside the scope map
        assert call(srv, "GET", "/v2/other/manifests/latest", access).status_code == 401
        # nor the catalog (Azure/acr#675: tokens cannot list the registry)
        catalog = token(srv, ("reader", pw), "registry:catalog:*").json()["access_token"]
        assert call(srv, "GET", "/v2/_catalog", catalog).status_code == 401


def test_wildcard_scope_maps_and_star_actions(state):
    pw = state.set_token_password("puller")
    with serve_fake_acr(state) as srv:
        access = token(srv, ("puller", pw), f"repository:{APP}:*").json()["access_token"]
        assert call(srv, "GET", f"/v2/{APP}/manifests/v1", access).status_code == 200
        # content/read only: pulls, but cannot list tags without metadata/read (Azure/acr#600, #690)
        listing = call(srv, "GET", f"/v2/{APP}/tags/list", access)
        assert listing.status_code == 401
        assert errors(listing)[0]["detail"] == [{"Type": "repository", "Name": APP, "Action": "metadata_read"}]
        other = token(srv, ("puller", pw), "repository:other:pull").json()["access_token"]
        assert call(srv, "GET", "/v2/other/manifests/latest", other).status_code == 401


def test_a_disabled_token_and_a_token_without_password_are_refused(state):
    pw = state.set_token_password("reader")
    with serve_fake_acr(state) as srv:
        assert token(srv, ("puller", pw), f"repository:{APP}:pull").status_code == 401  # puller has no password
        state.registry_tokens["reader"]["properties"]["status"] = "disabled"
        assert token(srv, ("reader", pw), f"repository:{APP}:pull").status_code == 401


def test_anonymous_tokens_only_with_anonymous_pull_and_only_pull(state):
    with serve_fake_acr(state) as srv:
        refused = token(srv, None, f"repository:{APP}:pull")
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"].startswith("Basic ")
        state.anonymous_pull_enabled = True
        access = token(srv, None, f"repository:{APP}:pull,push,delete").json()["access_token"]
        assert srv.requests[-1].identity == "anonymous"
        assert call(srv, "GET", f"/v2/{APP}/manifests/v1", access).status_code == 200
        assert call(srv, "POST", f"/v2/{APP}/blobs/uploads/", access).status_code == 401


def test_the_null_guid_user_logs_in_with_a_refresh_token(state):
    """``az acr login --expose-token``: user 00000000-…, password = the ACR refresh token (recorded with POST)."""
    refresh = state.issue_refresh_token("alice")
    with serve_fake_acr(state) as srv:
        got = token(srv, (NULL_GUID_USER, refresh), f"repository:{APP}:pull")
        assert got.status_code == 200
        assert call(srv, "GET", f"/v2/{APP}/manifests/v1", got.json()["access_token"]).status_code == 200
        assert srv.requests[-1].identity == "alice"
        assert token(srv, (NULL_GUID_USER, "not-a-refresh-token"), f"repository:{APP}:pull").status_code == 401
        form = {"grant_type": "password", "service": srv.login_server, "scope": f"repository:{APP}:pull",
                "username": NULL_GUID_USER, "password": "not-a-refresh-token"}
        posted = requests.post(f"{srv.endpoint}/oauth2/token", data=form, verify=srv.ca_pem, timeout=10)
        assert posted.status_code == 401


def test_basic_auth_straight_on_a_registry_call(state):
    with serve_fake_acr(state) as srv:
        ok = requests.get(f"{srv.endpoint}/v2/{APP}/manifests/v1", auth=admin(state), verify=srv.ca_pem, timeout=10)
        assert ok.status_code == 200 and srv.requests[-1].identity == "admin"
        bad = requests.get(f"{srv.endpoint}/v2/{APP}/manifests/v1", auth=(state.name, "wrong"), verify=srv.ca_pem,
                           timeout=10)
        assert bad.status_code == 401 and 'error="invalid_token"' in bad.headers["WWW-Authenticate"]


# -- tags/list ----------------------------------------------------------------------------------------------


def test_tags_list_pages_with_n_last_and_a_next_link(state):
    names = [f"t{i:03d}" for i in range(23)]
    state.push_image(APP, names, [("base", 1000)])
    expected = sorted([*names, "v1"])
    with serve_fake_acr(state) as srv:
        access = token(srv, admin(state), f"repository:{APP}:pull").json()["access_token"]
        seen: list[str] = []
        url = f"/v2/{APP}/tags/list?n=10"
        pages = 0
        while url:
            resp = call(srv, "GET", url, access)
            assert resp.status_code == 200
            body = resp.json()
            assert body["name"] == APP
            seen += body["tags"]
            pages += 1
            link = resp.headers.get("Link")
            if link:
                assert link.endswith('>; rel="next"')
                target = urlsplit(link[1:link.index(">")])
                assert target.path == f"/v2/{APP}/tags/list"
                assert dict(parse_qsl(target.query)) == {"last": body["tags"][-1], "n": "10"}
            url = link[1:link.index(">")] if link else ""
        assert seen == expected and pages == 3
        middle = call(srv, "GET", f"/v2/{APP}/tags/list?n=5&last=t010", access).json()["tags"]
        assert middle == [t for t in expected if t > "t010"][:5]
        whole = call(srv, "GET", f"/v2/{APP}/tags/list", access)
        assert whole.json()["tags"] == expected and "Link" not in whole.headers
        missing = call(srv, "GET", "/v2/nope/tags/list", token(srv, admin(state), "repository:nope:pull")
                       .json()["access_token"])
        assert missing.status_code == 404 and errors(missing)[0]["code"] == "NAME_UNKNOWN"


# -- blob mount -----------------------------------------------------------------------------------------------


def test_blob_mount_201_when_the_blob_is_in_from_and_the_caller_may_pull_there(state):
    layer = sha256_digest(b"app")  # push_image names blobs by the sha256 of their name
    assert state.repository_holds_blob(APP, layer) and not state.repository_holds_blob("dest", layer)
    with serve_fake_acr(state) as srv:
        access = token(srv, admin(state), "repository:dest:pull,push", f"repository:{APP}:pull").json()["access_token"]
        assert call(srv, "HEAD", f"/v2/dest/blobs/{layer}", access).status_code == 404
        mounted = call(srv, "POST", f"/v2/dest/blobs/uploads/?mount={layer}&from={APP}", access)
        assert mounted.status_code == 201
        assert mounted.headers["Location"] == f"/v2/dest/blobs/{layer}"
        assert mounted.headers["Docker-Content-Digest"] == layer
        assert state.repository_holds_blob("dest", layer)
        assert call(srv, "HEAD", f"/v2/dest/blobs/{layer}", access).status_code == 200


@pytest.mark.parametrize("case", ["blob not in from", "no pull on from", "unknown from", "unknown blob"])
def test_blob_mount_falls_back_to_an_upload(state, case):
    layer = sha256_digest(b"app")
    source = {"unknown from": "ghost", "blob not in from": "other"}.get(case, APP)
    digest = "sha256:" + "0" * 64 if case == "unknown blob" else layer
    scopes = ["repository:dest:pull,push"] + ([] if case == "no pull on from" else [f"repository:{source}:pull"])
    with serve_fake_acr(state) as srv:
        access = token(srv, admin(state), *scopes).json()["access_token"]
        resp = call(srv, "POST", f"/v2/dest/blobs/uploads/?mount={digest}&from={source}", access)
        assert resp.status_code == 202
        location = resp.headers["Location"]
        assert location.startswith("/v2/dest/blobs/uploads/") and resp.headers["Docker-Upload-UUID"]
        assert not state.repository_holds_blob("dest", digest)
        # the upload it started works: finish it with the blob's bytes
        data = b"fresh bytes"
        put = call(srv, "PUT", f"{location}?digest={sha256_digest(data)}", access, data=data)
        assert put.status_code == 201 and state.repository_holds_blob("dest", sha256_digest(data))


def test_a_token_refused_on_from_gets_an_upload_not_a_mount(state):
    state.add_scope_map("dest-push", ["repositories/dest/content/read", "repositories/dest/content/write"])
    state.add_token("pusher", state.scope_maps["dest-push"]["id"])
    pw = state.set_token_password("pusher")
    layer = sha256_digest(b"app")
    with serve_fake_acr(state) as srv:
        access = token(srv, ("pusher", pw), "repository:dest:pull,push", f"repository:{APP}:pull")
        resp = call(srv, "POST", f"/v2/dest/blobs/uploads/?mount={layer}&from={APP}", access.json()["access_token"])
        assert resp.status_code == 202
        assert json.loads(resp.content or b"{}") == {}
