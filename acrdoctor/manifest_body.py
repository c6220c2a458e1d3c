"""The canonical JSON body of a manifest, rebuilt from what a snapshot records.

A manifest's digest is the sha256 of its body bytes, and the ACR SDK verifies exactly that when it
fetches a manifest. Snapshots built in code (the demo, tests, plug-in authors' fixtures) therefore take
their digests from :func:`render_manifest`, and the fake ACR in :mod:`acrdoctor.testing` serves the very
same bytes, so the real SDK client accepts them. Real registries' digests come from their real bodies;
this module is never used to check those.

The rendering depends only on snapshot data: media type, config and layer blobs (digest and size),
``subject``, and for an index its children's media type, size and platform. A child or subject that is
not in the repository is described with size 0, so a broken index renders the same way whether it is
built or served.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from acrdoctor.model import Blob, Manifest

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"

#: Looks a child or subject up by digest within the same repository.
Resolver = Callable[[str], Manifest | None]


def sha256_digest(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def _descriptor(media_type: str, digest: str, size: int) -> dict[str, Any]:
    return {"mediaType": media_type, "digest": digest, "size": size}


class ManifestRenderer:
    """Renders bodies for the manifests of one repository, caching each body by digest."""

    def __init__(self, blobs: Sequence[Blob], resolve: Resolver) -> None:
        self.blobs = blobs
        self.resolve = resolve
        self._cache: dict[str, bytes] = {}

    def size_of(self, digest: str) -> int:
        m = self.resolve(digest)
        return 0 if m is None else len(self.body(m))

    def body(self, m: Manifest) -> bytes:
        cached = self._cache.get(m.digest)
        if cached is not None:
            return cached
        body = render_manifest(m, self.blobs, self.resolve, self)
        self._cache[m.digest] = body
        return body


def render_manifest(m: Manifest, blobs: Sequence[Blob], resolve: Resolver,
                    renderer: ManifestRenderer | None = None) -> bytes:
    """The canonical body bytes of ``m`` (compact JSON, fixed key order)."""
    r = renderer or ManifestRenderer(blobs, resolve)
    media_type = m.media_type or (OCI_INDEX if m.references else DOCKER_MANIFEST)
    doc: dict[str, Any] = {"schemaVersion": 2, "mediaType": media_type}
    if m.is_index:
        entries = []
        for child_digest in m.references:
            child = resolve(child_digest)
            entry = _descriptor(
                (child.media_type if child and child.media_type else OCI_MANIFEST), child_digest,
                0 if child is None else len(r.body(child)),
            )
            if child is not None and (child.architecture or child.os):
                entry["platform"] = {"architecture": child.architecture or "unknown", "os": child.os or "unknown"}
            entries.append(entry)
        doc["manifests"] = entries
    else:
        oci = media_type.startswith("application/vnd.oci.")
        layer_type = OCI_LAYER if oci else DOCKER_LAYER
        if m.config is not None:
            cfg = blobs[m.config]
            doc["config"] = _descriptor(OCI_CONFIG if oci else DOCKER_CONFIG, cfg.digest, cfg.size)
        doc["layers"] = [_descriptor(layer_type, blobs[i].digest, blobs[i].size) for i in (m.layers or ())]
    if m.subject:
        subject = resolve(m.subject)
        doc["subject"] = _descriptor(
            (subject.media_type if subject and subject.media_type else OCI_MANIFEST), m.subject,
            0 if subject is None else len(r.body(subject)),
        )
    return json.dumps(doc, separators=(",", ":")).encode()


def parse_manifest_body(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a fetched manifest body a snapshot keeps: config, layers, children, subject.

    Works on Docker v2 manifests and lists and OCI manifests and indexes as registries serve them, so the
    collector and the cache store the same small summary whatever the source. ``layers`` is flat (digest, size,
    digest, size, ...): a warm re-scan decodes 100,000 of these from the cache, and one list per layer doubled
    that decoding (0.61 against 0.29 s, docs/benchmarks.md).
    """
    out: dict[str, Any] = {"mediaType": doc.get("mediaType")}
    cfg = doc.get("config")
    if isinstance(cfg, Mapping) and isinstance(cfg.get("digest"), str):
        out["config"] = [cfg["digest"], int(cfg.get("size") or 0)]
    layers = doc.get("layers")
    if isinstance(layers, list):
        out["layers"] = [v for x in layers if isinstance(x, Mapping) and isinstance(x.get("digest"), str)
                         for v in (x["digest"], int(x.get("size") or 0))]
    children = doc.get("manifests")
    if isinstance(children, list):
        out["manifests"] = [
            {"digest": x["digest"], "mediaType": x.get("mediaType"),
             "platform": x.get("platform") if isinstance(x.get("platform"), Mapping) else None}
            for x in children if isinstance(x, Mapping) and isinstance(x.get("digest"), str)
        ]
    subject = doc.get("subject")
    if isinstance(subject, Mapping) and isinstance(subject.get("digest"), str):
        out["subject"] = subject["digest"]
    return out
