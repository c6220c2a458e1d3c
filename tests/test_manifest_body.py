"""Built snapshots carry real content digests: sha256 of the canonical body the fake ACR serves."""

from __future__ import annotations

import hashlib
import json

from acrdoctor.builder import OCI_MANIFEST, SnapshotBuilder
from acrdoctor.manifest_body import ManifestRenderer, parse_manifest_body


def _renderer(snapshot, repo_index: int = 0) -> ManifestRenderer:
    repo = snapshot.repositories[repo_index]
    by_digest = repo.manifest_by_digest()
    return ManifestRenderer(snapshot.blobs, by_digest.get)


def test_every_built_digest_is_the_sha256_of_its_rendered_body() -> None:
    b = SnapshotBuilder()
    repo = b.repository("app")
    amd = repo.image(["v1-amd64"], layers=[("base", 100), ("app-amd64", 20)])
    arm = repo.image(architecture="arm64", layers=[("base-arm", 100), ("app-arm64", 20)])
    idx = repo.index([amd, arm], tags=["v1"])
    sig = repo.referrer(idx, name="cosign")
    broken = repo.index([amd, "sha256:" + "0" * 64], tags=["broken"])
    snap = b.build()
    r = _renderer(snap)
    for m in (amd, arm, idx, sig, broken):
        body = r.body(m)
        assert m.digest == "sha256:" + hashlib.sha256(body).hexdigest()


def test_parsed_body_gives_back_what_the_snapshot_records() -> None:
    b = SnapshotBuilder()
    repo = b.repository("app")
    img = repo.image(["v1"], layers=[("base", 100), ("app", 20)], config=("cfg", 7))
    idx = repo.index([img], tags=["multi"])
    sig = repo.referrer(img, name="notation")
    snap = b.build()
    r = _renderer(snap)
    parsed = parse_manifest_body(json.loads(r.body(img)))
    blobs = snap.blobs
    assert parsed["config"] == [blobs[img.config].digest, 7]
    assert parsed["layers"] == [v for i in img.layers for v in (blobs[i].digest, blobs[i].size)]
    parsed_idx = parse_manifest_body(json.loads(r.body(idx)))
    assert [c["digest"] for c in parsed_idx["manifests"]] == [img.digest]
    assert parsed_idx["manifests"][0]["platform"] == {"architecture": "amd64", "os": "linux"}
    parsed_sig = parse_manifest_body(json.loads(r.body(sig)))
    assert parsed_sig["subject"] == img.digest
    assert parsed_sig["mediaType"] == OCI_MANIFEST


def test_same_content_in_two_repositories_has_one_digest() -> None:
    b = SnapshotBuilder()
    a = b.repository("a").image(["v1"], layers=[("base", 100)], config=("cfg", 5))
    c = b.repository("c").image(["v1"], layers=[("base", 100)], config=("cfg", 5))
    assert a.digest == c.digest
