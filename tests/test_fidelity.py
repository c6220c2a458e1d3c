"""Conformance of the fake ACR with recorded real traffic.

Every request in ``../shared/reference/acr-recordings/**/*.yaml`` (VCR cassettes of real ACR and ARM
traffic) that targets an endpoint the fake implements is replayed against a fake seeded so that the
objects the request names exist when the recorded answer was a success, and are absent when it was an
error. Compared: the status, the ACR (``errors[0].code``) or ARM (``error.code``) error code, and the
set of top-level JSON keys. The share that matches is reported as a warning and in the report section;
the test fails when it drops below the floor measured when the fake was written.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import pytest
import requests

from acrdoctor.testing import FakeRegistry, serve_fake_acr
from acrdoctor.testing._registry_auth import NULL_GUID_USER
from acrdoctor.testing._server import _route, _scope_for

RECORDINGS = Path(__file__).resolve().parents[2] / "shared" / "reference" / "acr-recordings"

#: measured share of matching interactions (see the report); raise it when the fake gets closer.
FLOOR = 1.0
#: the same for second-level keys of successful responses (objects inside the top-level keys).
DEEP_FLOOR = 1.0

_ARM = re.compile(r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/"
                  r"Microsoft\.ContainerRegistry/registries/(?P<name>[^/]+)(?P<rest>(/[^/]+)*)$", re.IGNORECASE)


class FidelityReport(UserWarning):
    """Carries the conformance figure into the pytest summary whatever the capture mode."""


def _text(body: Any) -> str:
    if body is None:
        return ""
    if isinstance(body, dict):
        body = body.get("string", "")
    if isinstance(body, bytes):
        return body.decode("utf-8", "replace")
    return body or ""


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _challenge_params(headers: Any) -> frozenset[str]:
    """Parameter names of a Bearer challenge (realm, service, scope), compared on 401s.

    ``error`` is left out: ACR adds ``error="invalid_token"`` when the request carried a stale token, and
    the SDK's recorder stripped ``Authorization`` from the requests, so whether one was sent is unknown.
    """
    value = next((v for k, v in (headers or {}).items() if k.lower() == "www-authenticate"), None)
    if isinstance(value, list):
        value = value[0] if value else None
    if not value:
        return frozenset()
    return frozenset(re.findall(r'(\w+)="', value)) - {"error"}


def _shape(status: int, doc: Any) -> tuple[int, str | None, frozenset[str]]:
    code = None
    if isinstance(doc, dict):
        if isinstance(doc.get("errors"), list) and doc["errors"]:
            code = doc["errors"][0].get("code")
        elif isinstance(doc.get("error"), dict):
            code = doc["error"].get("code")
    keys = frozenset(doc) if isinstance(doc, dict) else frozenset()
    return status, code, keys


def _nested(doc: Any) -> dict[str, frozenset[str]]:
    """Second-level keys: of each object value, and of the first element of each list of objects."""
    out: dict[str, frozenset[str]] = {}
    if isinstance(doc, dict):
        for k, v in doc.items():
            if isinstance(v, list) and v and isinstance(v[0], dict):
                v = v[0]
            if isinstance(v, dict):
                out[k] = frozenset(v)
    return out


def _interactions() -> list[tuple[str, int, dict[str, Any], dict[str, Any]]]:
    yaml = pytest.importorskip("yaml")
    out = []
    for f in sorted(RECORDINGS.rglob("*.yaml")):
        data = yaml.safe_load(f.read_text())
        for i, it in enumerate(data.get("interactions", [])):
            out.append((str(f.relative_to(RECORDINGS)), i, it["request"], it["response"]))
    return out


def _plan(req: dict[str, Any], resp: dict[str, Any]) -> dict[str, Any] | None:
    """How to seed and send one recorded request, or None when the fake does not implement it."""
    url = urlsplit(req["uri"])
    path = unquote(url.path)
    status = resp["status"]["code"]
    ok = 200 <= status < 300
    body = _text(resp.get("body"))
    if url.hostname and url.hostname.endswith(".azurecr.io"):
        if path in ("/oauth2/exchange", "/oauth2/token"):
            return {"kind": "oauth", "path": path, "query": url.query, "form": _text(req.get("body")), "ok": ok}
        route, params = _route(req["method"], path)
        if route is None:
            return None
        return {"kind": "data", "route": route, "params": params, "path": url.path, "query": url.query,
                "ok": ok, "authed": status != 401, "resp": _json(body)}
    m = _ARM.match(url.path)
    if m is None or url.hostname != "management.azure.com":
        return None
    rest = [x.lower() for x in m.group("rest").split("/") if x]
    method = req["method"]
    implemented = (
        (not rest and method in ("GET", "PATCH", "DELETE"))
        or (rest == ["listusages"] and method in ("GET", "POST"))
        or (rest[:1] == ["privateendpointconnections"] and len(rest) <= 2 and method in ("GET", "DELETE"))
        or (rest == ["replications"] and method == "GET")
    )
    if not implemented:
        return None
    return {"kind": "arm", "sub": m.group("sub"), "rg": m.group("rg"), "name": m.group("name"), "rest": rest,
            "path": url.path, "query": url.query, "ok": ok, "body": _text(req.get("body"))}


def _seed_data(state: FakeRegistry, plan: dict[str, Any]) -> None:
    if not plan["ok"]:
        return
    p = plan["params"]
    repo = p.get("repo")
    if repo is None:
        state.push_image("seeded", ["latest"])
        return
    doc = plan["resp"] if isinstance(plan["resp"], dict) else {}
    digest = p.get("ref") if str(p.get("ref", "")).startswith("sha256:") else p.get("digest")
    tag = p.get("tag") or (p.get("ref") if p.get("ref") and not digest else None)
    recorded = doc.get("tag") or doc.get("manifest") or {}
    if not digest and isinstance(doc.get("tag"), dict):
        digest = doc["tag"].get("digest")
    manifest: dict[str, Any] = {"schemaVersion": 2,
                                "mediaType": "application/vnd.docker.distribution.manifest.v2+json", "layers": []}
    if recorded.get("references"):  # the recorded object is an index: seed one with the same children
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
                    "manifests": [{"digest": r["digest"], "size": 0, "platform": {"architecture": r.get("architecture"),
                                                                                  "os": r.get("os")}}
                                  for r in recorded["references"]]}
    d = state.put_manifest(repo, json.dumps(manifest).encode(), tags=[tag] if tag else ["latest"], digest=digest)
    # registry-side state visible in the recorded answer (quarantine scanning result)
    state.repositories[repo].manifests[d].quarantine_state = recorded.get("quarantineState") or (
        recorded.get("changeableAttributes") or {}).get("quarantineState")


def _seed_arm(state: FakeRegistry, plan: dict[str, Any], doc: Any) -> None:
    """Make the objects a successful ARM answer talks about exist: connections, replications, tags."""
    if not plan["ok"]:
        return
    rest = plan["rest"]
    if rest[:1] == ["privateendpointconnections"]:
        names = [rest[1]] if len(rest) == 2 else [v["name"] for v in (doc or {}).get("value", [])]
        for name in names:
            pe = state.add_private_endpoint("x")
            state.private_endpoint_connections[name] = state.private_endpoint_connections.pop(pe)
            state.private_endpoint_connections[name]["name"] = name
    elif rest == ["replications"]:
        for v in (doc or {}).get("value", []):
            state.add_replication(v["location"])
    elif not rest and isinstance(doc, dict) and isinstance(doc.get("tags"), dict):
        state.tags = dict(doc["tags"])


def _replay(srv, state: FakeRegistry, plan: dict[str, Any], method: str) -> requests.Response:
    verify = srv.ca_pem
    base = srv.endpoint
    if plan["kind"] == "oauth":
        form = dict(parse_qsl(plan["form"]))
        if plan["path"] == "/oauth2/exchange":
            form["access_token"] = "fake-aad:recording"
        elif form.get("grant_type") == "refresh_token":
            form["refresh_token"] = state.issue_refresh_token("recording")
        elif form.get("grant_type") == "password" and form.get("username") == NULL_GUID_USER:
            form["password"] = state.issue_refresh_token("recording")  # the recorder redacted a refresh token
        return requests.post(f"{base}{plan['path']}?{plan['query']}", data=urlencode(form), verify=verify, timeout=10,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    headers = {}
    if plan["kind"] == "data":
        if plan["authed"]:
            scope, _ = _scope_for(plan["route"], plan["params"], method)
            headers["Authorization"] = "Bearer " + state.issue_access_token("recording", scope or "")
        url = f"{base}{plan['path']}" + (f"?{plan['query']}" if plan["query"] else "")
        return requests.request(method, url, headers=headers, verify=verify, timeout=10)
    headers = {"Authorization": "Bearer fake-aad:recording", "Content-Type": "application/json"}
    url = f"{base}{plan['path']}" + (f"?{plan['query']}" if plan["query"] else "")
    return requests.request(method, url, headers=headers, data=plan["body"].encode() or None, verify=verify,
                            timeout=10)


def test_fake_matches_recorded_traffic(request):
    if not RECORDINGS.is_dir():
        pytest.skip(f"recordings not present at {RECORDINGS}")
    total = matched = 0
    lines: list[str] = []
    per_file: dict[str, list[int]] = {}
    deep_total = deep_matched = 0
    deep_lines: list[str] = []
    with serve_fake_acr(FakeRegistry()) as srv:
        for fname, idx, req, resp in _interactions():
            plan = _plan(req, resp)
            if plan is None:
                continue
            if plan["kind"] == "arm":
                state = FakeRegistry(name=plan["name"], resource_group=plan["rg"], subscription_id=plan["sub"])
                _seed_arm(state, plan, _json(_text(resp.get("body"))))
            else:
                state = FakeRegistry()
                if plan["kind"] == "data":
                    _seed_data(state, plan)
            srv.state = state  # one server for the whole replay; the handler reads the state per request
            got = _replay(srv, state, plan, req["method"])
            want = _shape(resp["status"]["code"], _json(_text(resp.get("body"))))
            have = _shape(got.status_code, _json(got.text))
            if want[0] == 401:
                want += (_challenge_params(resp.get("headers")),)
                have += (_challenge_params(got.headers),)
            total += 1
            ok = want == have
            matched += ok
            per_file.setdefault(fname, [0, 0])
            per_file[fname][0] += ok
            per_file[fname][1] += 1
            if ok and want[0] < 300:
                rec_nested, fake_nested = _nested(_json(_text(resp.get("body")))), _nested(_json(got.text))
                deep_total += 1
                if rec_nested == fake_nested:
                    deep_matched += 1
                else:
                    diff = {k: sorted(rec_nested.get(k, frozenset()) ^ fake_nested.get(k, frozenset()))
                            for k in rec_nested.keys() | fake_nested.keys()
                            if rec_nested.get(k) != fake_nested.get(k)}
                    deep_lines.append(f"  nested {fname}#{idx} {req['method']} {urlsplit(req['uri']).path}: {diff}")
            if not ok:
                lines.append(f"MISMATCH {fname}#{idx} {req['method']} {urlsplit(req['uri']).path}: "
                             f"recorded {want} / fake {have}")
    assert total, "no recorded interaction targets an endpoint the fake implements"
    share = matched / total
    summary = [f"fake ACR fidelity: {matched}/{total} recorded interactions match ({share:.0%})"]
    summary += [f"  {f}: {a}/{b}" for f, (a, b) in sorted(per_file.items())]
    deep = deep_matched / deep_total if deep_total else 1.0
    summary.append(f"second-level keys of successful responses: {deep_matched}/{deep_total} match ({deep:.0%})")
    text = "\n".join(summary + lines + deep_lines)
    request.node.add_report_section("call", "fidelity", text)
    warnings.warn(FidelityReport(summary[0]), stacklevel=1)
    assert share >= FLOOR, text
    assert deep >= DEEP_FLOOR, text
