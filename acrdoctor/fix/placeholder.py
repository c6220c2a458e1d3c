"""The placeholder image ``acrdoctor fix`` pushes into an orphaned empty repository, as pure data.

Owns the image's bytes and digest, so a plan can name the digest it will add without importing the SDK side
(:mod:`acrdoctor.fix.sdk` pushes it). Imports the standard library only.
"""

from __future__ import annotations

import gzip
import hashlib
import json

#: The placeholder image acrdoctor pushes into an orphaned empty repository. Built here, byte for byte
#: the same on every run, so its digest is known before the push (the plan can name it) and nothing has
#: to be pulled from the internet: an empty gzip'd tar layer and a minimal OCI image config.
PLACEHOLDER_LAYER = gzip.compress(bytes(1024), mtime=0)
_EMPTY_TAR_DIFF_ID = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"
PLACEHOLDER_CONFIG = json.dumps(
    {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [_EMPTY_TAR_DIFF_ID]},
     "config": {"Labels": {"io.acrdoctor.placeholder": "true"}}},
    sort_keys=True, separators=(",", ":")).encode()
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def placeholder_manifest() -> bytes:
    """Serialised once, canonically (sorted keys, no spaces), so the digest pushed is the digest planned."""
    doc = {
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": _sha256(PLACEHOLDER_CONFIG),
                   "size": len(PLACEHOLDER_CONFIG)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": _sha256(PLACEHOLDER_LAYER), "size": len(PLACEHOLDER_LAYER)}],
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


PLACEHOLDER_DIGEST = _sha256(placeholder_manifest())
