"""Registry clients that are not Azure's, against the fake ACR: skopeo (Debian's package) and oras-py (PyPI).

They reach the fake the way they reach any registry: the ``/v2/`` Bearer challenge, ``GET /oauth2/token`` with HTTP
Basic credentials, ``tags/list`` paging by ``Link`` header, blob uploads and mounts, deletes by digest. Each step is
checked against the fake's state, not against the client's own report. TLS is verified against the fake's CA
(skopeo: a certificate directory holding ``ca.crt``; oras-py: the CA file).

Skipped only when no ``skopeo`` is installed; ``.ci/run`` installs it and sets ``ACRDOCTOR_REQUIRE_REGISTRY_CLIENTS=1``,
which turns that skip into a failure. oras-py comes with the ``test`` extra.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from acrdoctor.testing import FakeAcrServer, FakeRegistry, serve_fake_acr
from acrdoctor.testing._state import sha256_digest

SKOPEO = shutil.which("skopeo")
REQUIRED = os.environ.get("ACRDOCTOR_REQUIRE_REGISTRY_CLIENTS") == "1"
needs_skopeo = pytest.mark.skipif(SKOPEO is None and not REQUIRED,
                                  reason="no skopeo on PATH (.ci/run installs Debian's skopeo)")

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
#: more tags than one page of the fake's default page size (100), so listing has to follow ``Link``
MANY_TAGS = 104


# -- an OCI image layout, written the way any image builder would -------------------------------------------


@dataclass(frozen=True)
class Image:
    manifest_digest: str
    config_digest: str
    layers: dict[str, int]  # digest -> size


def _tar_gz(files: dict[str, bytes]) -> tuple[bytes, bytes]:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 0
            tar.addfile(info, io.BytesIO(data))
    return raw.getvalue(), gzip.compress(raw.getvalue(), mtime=0)


class OciLayout:
    """A directory in the OCI image-layout format, which ``skopeo copy oci:DIR:TAG`` reads."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "blobs" / "sha256").mkdir(parents=True)
        (root / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
        self.index: list[dict] = []

    def _blob(self, data: bytes) -> tuple[str, int]:
        digest = hashlib.sha256(data).hexdigest()
        (self.root / "blobs" / "sha256" / digest).write_bytes(data)
        return "sha256:" + digest, len(data)

    def add_image(self, tag: str, layer_files: list[dict[str, bytes]]) -> Image:
        layers, diff_ids = [], []
        for files in layer_files:
            raw, gz = _tar_gz(files)
            diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
            layers.append(self._blob(gz))
        config = json.dumps({"architecture": "arm64", "os": "linux", "config": {"Env": [f"IMAGE={tag}"]},
                             "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
        cfg_digest, cfg_size = self._blob(config)
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg_digest, "size": cfg_size},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": s}
                       for d, s in layers],
        }).encode()
        digest, size = self._blob(manifest)
        self.index.append({"mediaType": OCI_MANIFEST, "digest": digest, "size": size,
                           "annotations": {"org.opencontainers.image.ref.name": tag}})
        (self.root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": self.index}))
        return Image(digest, cfg_digest, dict(layers))


# -- skopeo ---------------------------------------------------------------------------------------------------


class Skopeo:
    """skopeo with its own HOME, auth file and signature policy, trusting the fake's CA through ``--cert-dir``."""

    def __init__(self, tmp: Path, srv: FakeAcrServer) -> None:
        self.certs = tmp / "certs"
        self.certs.mkdir()
        shutil.copy(srv.ca_pem, self.certs / "ca.crt")
        self.policy = tmp / "policy.json"
        # Signature policy only (no TLS relaxation): the test images are unsigned.
        self.policy.write_text('{"default": [{"type": "insecureAcceptAnything"}]}')
        self.home = tmp / "home"
        self.home.mkdir()
        self.host = f"127.0.0.1:{srv.port}"

    def run(self, *args: str, authfile: Path) -> subprocess.CompletedProcess[str]:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.home),
               "XDG_RUNTIME_DIR": str(self.home), "REGISTRY_AUTH_FILE": str(authfile)}
        assert SKOPEO is not None, "skopeo is required here (ACRDOCTOR_REQUIRE_REGISTRY_CLIENTS=1)"
        return subprocess.run([SKOPEO, "--policy", str(self.policy), *args], capture_output=True, text=True,
                              env=env, timeout=120, check=False)

    def ok(self, *args: str, authfile: Path) -> str:
        done = self.run(*args, authfile=authfile)
        assert done.returncode == 0, f"skopeo {' '.join(args)} failed:\n{done.stderr}"
        return done.stdout

    def ref(self, name: str) -> str:
        return f"docker://{self.host}/{name}"


@pytest.fixture()
def registry() -> FakeRegistry:
    state = FakeRegistry(name="contoso")
    state.admin_user_enabled = True
    state.add_scope_map("app-read", ["repositories/app/web/content/read", "repositories/app/web/metadata/read"])
    state.add_token("reader", state.scope_maps["app-read"]["id"])
    return state


@pytest.fixture()
def served(registry: FakeRegistry) -> Iterator[FakeAcrServer]:
    with serve_fake_acr(registry) as srv:
        yield srv


def _requests(srv: FakeAcrServer, method: str, path_suffix: str) -> list:
    return [r for r in srv.requests if r.method == method and r.path.endswith(path_suffix)]


@needs_skopeo
def test_skopeo_push_list_inspect_mount_and_delete(tmp_path, registry, served):
    srv, state = served, registry
    sk = Skopeo(tmp_path, srv)
    layout = OciLayout(tmp_path / "layout")
    base = {"etc/os-release": b"ID=fake\n", "bin/sh": b"#!fake\n" * 50}
    v1 = layout.add_image("v1", [base, {"srv/web": b"version 1\n"}])
    v2 = layout.add_image("v2", [base, {"srv/web": b"version 2 is longer\n" * 3}])
    admin_auth, reader_auth = tmp_path / "admin.json", tmp_path / "reader.json"

    # log in: a wrong password is refused at the token endpoint, the admin user's is accepted
    wrong = sk.run("login", "--cert-dir", str(sk.certs), "-u", state.name, "-p", "not-the-password", sk.host,
                   authfile=tmp_path / "wrong.json")
    assert wrong.returncode != 0
    assert [r.status for r in _requests(srv, "GET", "/oauth2/token")] == [401]
    sk.ok("login", "--cert-dir", str(sk.certs), "-u", state.name, "-p", state.admin_passwords[0], sk.host,
          authfile=admin_auth)
    assert _requests(srv, "GET", "/oauth2/token")[-1].status == 200
    assert _requests(srv, "GET", "/oauth2/token")[-1].identity == "admin"

    # push two images that share their base layer
    for tag in ("v1", "v2"):
        sk.ok("copy", "--dest-cert-dir", str(sk.certs), f"oci:{layout.root}:{tag}", sk.ref(f"app/web:{tag}"),
              authfile=admin_auth)
    repo = state.repositories["app/web"]
    assert {t: repo.tags[t].digest for t in repo.tags} == {"v1": v1.manifest_digest, "v2": v2.manifest_digest}
    for image in (v1, v2):
        assert repo.manifests[image.manifest_digest].media_type == OCI_MANIFEST
        assert repo.manifests[image.manifest_digest].architecture == "arm64"
        for digest, size in image.layers.items():
            assert state.blob_sizes[digest] == size
            assert sha256_digest(state.blob_content[digest]) == digest
    base_digest = next(iter(v1.layers))
    assert base_digest in v2.layers  # shared and stored once
    assert state.stored_bytes() == sum({**v1.layers, **v2.layers}.values()) + sum(
        state.blob_sizes[i.config_digest] for i in (v1, v2))

    # copy to another repository: the layers it already has elsewhere are mounted, not uploaded again
    srv.reset_log()
    sk.ok("copy", "--src-cert-dir", str(sk.certs), "--dest-cert-dir", str(sk.certs), sk.ref("app/web:v1"),
          sk.ref("mirror/web:v1"), authfile=admin_auth)
    mounts = [r for r in _requests(srv, "POST", "/v2/mirror/web/blobs/uploads/") if "mount" in r.query]
    assert mounts and all(r.status == 201 and r.query["from"] == "app/web" for r in mounts)
    assert state.repositories["mirror/web"].tags["v1"].digest == v1.manifest_digest
    assert all(state.repository_holds_blob("mirror/web", d) for d in v1.layers)

    # list tags: more than one page, followed through the Link header
    with state.lock:
        extra = [f"build-{i:03d}" for i in range(MANY_TAGS)]
        state.put_manifest("app/web", repo.manifests[v1.manifest_digest].body, OCI_MANIFEST, tags=extra,
                           architecture="arm64", os="linux")
    srv.reset_log()
    listed = json.loads(sk.ok("list-tags", "--cert-dir", str(sk.certs), sk.ref("app/web"), authfile=admin_auth))
    assert listed["Tags"] == sorted(repo.tags) and len(listed["Tags"]) == MANY_TAGS + 2
    pages = [r for r in _requests(srv, "GET", "/v2/app/web/tags/list") if r.status == 200]
    assert len(pages) == 2 and pages[1].query["last"] == sorted(repo.tags)[99]

    # inspect
    info = json.loads(sk.ok("inspect", "--cert-dir", str(sk.certs), sk.ref("app/web:v2"), authfile=admin_auth))
    assert info["Digest"] == v2.manifest_digest
    assert info["Architecture"] == "arm64" and info["Os"] == "linux"
    assert info["Layers"] == list(v2.layers)
    assert "IMAGE=v2" in info["Env"]
    raw = sk.ok("inspect", "--raw", "--cert-dir", str(sk.certs), sk.ref("app/web:v2"), authfile=admin_auth)
    assert raw.encode() == repo.manifests[v2.manifest_digest].body

    # a repository-scoped token that may pull but not delete: it reads, its delete is refused with ACR's 401
    password = state.set_token_password("reader")
    sk.ok("login", "--cert-dir", str(sk.certs), "-u", "reader", "-p", password, sk.host, authfile=reader_auth)
    seen = json.loads(sk.ok("inspect", "--cert-dir", str(sk.certs), sk.ref("app/web:v1"), authfile=reader_auth))
    assert seen["Digest"] == v1.manifest_digest
    srv.reset_log()
    refused = sk.run("delete", "--cert-dir", str(sk.certs), sk.ref(f"app/web@{v2.manifest_digest}"),
                     authfile=reader_auth)
    assert refused.returncode != 0
    assert "authentication required" in refused.stderr  # ACR's UNAUTHORIZED message, relayed by skopeo
    denied = _requests(srv, "DELETE", f"/v2/app/web/manifests/{v2.manifest_digest}")
    assert denied and {(r.status, r.identity) for r in denied} == {(401, "token:reader")}
    assert v2.manifest_digest in repo.manifests and repo.tags["v2"].digest == v2.manifest_digest

    # delete by digest: the manifest and its tag go; the shared base layer stays, the v2-only layer is freed
    before = state.stored_bytes()
    sk.ok("delete", "--cert-dir", str(sk.certs), sk.ref(f"app/web@{v2.manifest_digest}"), authfile=admin_auth)
    assert v2.manifest_digest not in repo.manifests and "v2" not in repo.tags
    only_v2 = {d: s for d, s in v2.layers.items() if d not in v1.layers}
    assert state.stored_bytes() == before - sum(only_v2.values()) - state.blob_sizes[v2.config_digest]
    assert state.repository_holds_blob("app/web", base_digest)

    # delete by tag: like ACR, it deletes the manifest, so every tag on it goes (here: the whole mirror repository)
    sk.ok("delete", "--cert-dir", str(sk.certs), sk.ref("mirror/web:v1"), authfile=admin_auth)
    assert "mirror/web" not in state.repositories
    assert repo.tags["v1"].digest == v1.manifest_digest  # the same digest in app/web is untouched
    gone = sk.run("inspect", "--cert-dir", str(sk.certs), sk.ref("mirror/web:v1"), authfile=admin_auth)
    assert gone.returncode != 0


# -- oras-py ----------------------------------------------------------------------------------------------------


def test_oras_push_list_inspect_and_delete(tmp_path, registry, served, monkeypatch):
    """oras-py with its ``basic`` backend: Basic credentials straight on every registry call, as ACR accepts them."""
    oras_client = pytest.importorskip("oras.client", reason="oras-py comes with the test extra")
    srv, state = served, registry
    host = f"127.0.0.1:{srv.port}"

    def client(user: str, password: str):
        c = oras_client.OrasClient(hostname=host, tls_verify=srv.ca_pem, auth_backend="basic")
        c.auth.set_basic_auth(user, password)
        return c

    admin = client(state.name, state.admin_passwords[0])
    monkeypatch.chdir(tmp_path)  # oras-py only pushes paths below the working directory
    Path("notes.txt").write_text("release notes\n")
    pushed = admin.push(target=f"{host}/app/web:notes", files=["notes.txt"])
    assert pushed.status_code == 201
    repo = state.repositories["app/web"]
    digest = repo.tags["notes"].digest
    assert pushed.headers["Docker-Content-Digest"] == digest
    layer = sha256_digest(b"release notes\n")
    assert state.blob_content[layer] == b"release notes\n" and state.repository_holds_blob("app/web", layer)

    # more tags than one page; oras-py follows Link when asked for all, and sends n when asked for a few
    with state.lock:
        state.put_manifest("app/web", repo.manifests[digest].body, OCI_MANIFEST, tags=[f"n{i:03d}" for i in
                                                                                         range(MANY_TAGS)])
    assert admin.get_tags(f"{host}/app/web") == sorted(repo.tags)
    assert admin.get_tags(f"{host}/app/web", N=3) == sorted(repo.tags)[:3]

    manifest = admin.get_manifest(f"{host}/app/web:notes")
    assert manifest == json.loads(repo.manifests[digest].body)
    assert [x["digest"] for x in manifest["layers"]] == [layer]

    # a read-only token: it lists and reads, its delete is refused with ACR's 401 body
    reader = client("reader", state.set_token_password("reader"))
    assert reader.get_tags(f"{host}/app/web", N=2) == sorted(repo.tags)[:2]
    with pytest.raises(RuntimeError) as refused:
        reader.delete_tag(f"{host}/app/web", "notes")
    assert "'code': 'UNAUTHORIZED'" in str(refused.value) and "'Action': 'delete'" in str(refused.value)
    assert digest in repo.manifests

    # delete by digest: a second artifact goes, the first stays
    Path("other.txt").write_text("another artifact\n")
    admin.push(target=f"{host}/app/web:other", files=["other.txt"])
    other = repo.tags["other"].digest
    assert other != digest
    assert admin.delete_tag(f"{host}/app/web", other) is True
    assert other not in repo.manifests and "other" not in repo.tags and digest in repo.manifests

    # delete by tag (oras-py resolves the tag to its digest and deletes that): every tag on it goes
    assert admin.delete_tag(f"{host}/app/web", "notes") is True
    assert "app/web" not in state.repositories
    deletes = [r for r in srv.requests if r.method == "DELETE"]
    assert [(r.path, r.status, r.identity) for r in deletes][-1] == (f"/v2/app/web/manifests/{digest}", 202, "admin")
