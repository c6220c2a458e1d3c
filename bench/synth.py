"""Synthetic registry snapshots shaped like real ones, for the benchmarks in ``bench/run.py``.

The shape follows what large ACR registries look like in practice:

* repository sizes are skewed: a few CI-heavy repositories hold most manifests (Zipf-like weights);
* each image is ~10 layers: a base-image stack (5 layers) chosen with Zipf-like popularity from a
  pool of base images, so a handful of bases are shared by most repositories; 2 dependency layers
  that a repository keeps for ~20 builds; 3 application layers unique to the build;
* most manifests are untagged (CI re-pushes ``latest``), a few percent are releases pushed as
  multi-arch indexes with amd64 and arm64 children, some releases carry a signature referrer;
* a few repositories and manifests are locked.

The document is built as a plain dict in the snapshot format (``docs/snapshot.md``) rather than
through ``SnapshotBuilder``: two million layer references through frozen dataclasses cost more
than the benchmark measures. The result is still loaded through ``acrdoctor.snapshot_io``.
Everything is derived from a seeded ``random.Random``, so a size always yields the same file.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

#: Bump when the generated shape changes, so cached files under bench/out/ are rebuilt.
GENERATOR_VERSION = 2

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"

NOW = datetime(2026, 11, 22, 0, 0, 0, tzinfo=UTC)
MB = 1_000_000


@dataclass(frozen=True)
class Size:
    """How big a synthetic registry is; ``layers_per_manifest`` is the mean number of layer references."""

    name: str
    repositories: int
    manifests: int
    base_images: int = 300
    base_layers_per_image: int = 5
    deps_layers: int = 2
    app_layers: int = 3
    seed: int = 20261122

    @property
    def layers_per_manifest(self) -> int:
        return self.base_layers_per_image + self.deps_layers + self.app_layers


SIZES: dict[str, Size] = {
    "small": Size("small", repositories=50, manifests=5_000),
    "medium": Size("medium", repositories=300, manifests=50_000),
    # The target from the design brief: 1,000 repositories, 200,000 manifests, ~2,000,000 layer refs.
    "large": Size("large", repositories=1_000, manifests=200_000),
    # Twice the target (issue 16): whether diagnose, preflight and usage stay linear past it.
    "xlarge": Size("xlarge", repositories=2_000, manifests=400_000),
}


class _Blobs:
    """The blob table being built: parallel digest and size lists, as in the snapshot document."""

    def __init__(self) -> None:
        self.digests: list[str] = []
        self.sizes: list[int] = []

    def add(self, size: int) -> int:
        i = len(self.digests)
        self.digests.append("sha256:" + hashlib.sha256(b"blob%d" % i).hexdigest())
        self.sizes.append(size)
        return i


def _zipf_weights(n: int, s: float = 1.1) -> list[float]:
    return [1.0 / (k ** s) for k in range(1, n + 1)]


def _manifest_digest(counter: int) -> str:
    return "sha256:" + hashlib.sha256(b"manifest%d" % counter).hexdigest()


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def generate(size: Size) -> dict[str, Any]:
    """Build the snapshot document for ``size`` (a dict ready for ``json.dump``)."""
    rnd = random.Random(size.seed)
    blobs = _Blobs()

    # Base images: stacks of layers; the first layer of each stack comes from a small pool of OS
    # layers (debian, alpine, ubuntu...), so the most popular layers are shared by nearly everyone.
    os_layers = [blobs.add(rnd.randint(3, 30) * MB) for _ in range(12)]
    os_weights = _zipf_weights(len(os_layers))
    bases: list[tuple[int, ...]] = []
    for _ in range(size.base_images):
        first = rnd.choices(os_layers, os_weights)[0]
        rest = tuple(blobs.add(rnd.randint(1, 45) * MB) for _ in range(size.base_layers_per_image - 1))
        bases.append((first, *rest))
    base_weights = _zipf_weights(len(bases))

    # Manifests per repository: Zipf-like, scaled to the requested total, at least one each.
    repo_weights = _zipf_weights(size.repositories, 0.9)
    total_w = sum(repo_weights)
    counts = [max(1, int(size.manifests * w / total_w)) for w in repo_weights]
    counts[0] += size.manifests - sum(counts)
    rnd.shuffle(counts)

    manifest_counter = 0
    repositories: list[dict[str, Any]] = []
    layer_refs = 0
    for ri, count in enumerate(counts):
        team = ("web", "payments", "orders", "data", "ml", "platform", "tools", "mobile")[ri % 8]
        name = f"{team}/service-{ri:04d}"
        base = bases[rnd.choices(range(len(bases)), base_weights)[0]]
        manifests: list[dict[str, Any]] = []
        tags_out: list[dict[str, Any]] = []
        deps: tuple[int, ...] = ()
        repo_locked = ri % 97 == 13
        produced = 0
        build = 0
        while produced < count:
            if build % 20 == 0:
                deps = tuple(blobs.add(rnd.randint(2, 60) * MB) for _ in range(size.deps_layers))
                if rnd.random() < 0.2:  # occasionally the repository moves to another base image
                    base = bases[rnd.choices(range(len(bases)), base_weights)[0]]
            age = (count - produced) * 0.25
            t = _iso(NOW - timedelta(days=age))
            release = build % 25 == 24
            multi_arch = release and rnd.random() < 0.3 and produced + 3 <= count
            children = []
            for arch in (("amd64", "arm64") if multi_arch else ("amd64",)):
                app = tuple(blobs.add(rnd.randint(1, 40) * MB) for _ in range(size.app_layers))
                layers = [*base, *deps, *app]
                config = blobs.add(rnd.randint(2_000, 12_000))
                layer_refs += len(layers)
                manifest_counter += 1
                m: dict[str, Any] = {
                    "digest": _manifest_digest(manifest_counter),
                    "mediaType": DOCKER_MANIFEST if ri % 5 else OCI_MANIFEST,
                    "imageSize": sum(blobs.sizes[b] for b in layers) + blobs.sizes[config],
                    "createdTime": t, "lastUpdateTime": t,
                    "architecture": arch, "os": "linux",
                    "config": config, "layers": layers,
                }
                manifests.append(m)
                children.append(m)
                produced += 1
            tagged = children[0]
            if multi_arch:
                manifest_counter += 1
                tagged = {
                    "digest": _manifest_digest(manifest_counter), "mediaType": OCI_INDEX, "imageSize": 1_024,
                    "createdTime": t, "lastUpdateTime": t, "references": [c["digest"] for c in children],
                    "layers": [],
                }
                manifests.append(tagged)
                produced += 1
            if release:
                tag = f"1.{build // 25}.0"
                tagged["tags"] = [tag]
                if rnd.random() < 0.02:
                    tagged["changeableAttributes"] = {"deleteEnabled": False, "writeEnabled": True,
                                                      "readEnabled": True, "listEnabled": True}
                tags_out.append({"name": tag, "digest": tagged["digest"], "createdTime": t, "lastUpdateTime": t})
                if rnd.random() < 0.3 and produced < count:
                    sig = blobs.add(1_900)
                    manifest_counter += 1
                    manifests.append({
                        "digest": _manifest_digest(manifest_counter), "mediaType": OCI_MANIFEST, "imageSize": 1_902,
                        "createdTime": t, "lastUpdateTime": t, "subject": tagged["digest"],
                        "config": blobs.add(2), "layers": [sig],
                    })
                    layer_refs += 1
                    produced += 1
            build += 1
        # The newest build carries ``latest``.
        newest = manifests[-1]
        if "subject" not in newest:
            newest.setdefault("tags", []).append("latest")
            tags_out.append({"name": "latest", "digest": newest["digest"], "createdTime": newest["createdTime"],
                             "lastUpdateTime": newest["createdTime"]})
        repo: dict[str, Any] = {
            "name": name, "createdTime": _iso(NOW - timedelta(days=count * 0.25 + 1)),
            "lastUpdateTime": manifests[-1]["createdTime"],
            "manifestCount": len(manifests), "tagCount": len(tags_out),
            "manifests": manifests, "tags": tags_out,
        }
        if repo_locked:
            repo["changeableAttributes"] = {"deleteEnabled": False, "writeEnabled": True,
                                            "readEnabled": True, "listEnabled": True}
        repositories.append(repo)

    used = sum(blobs.sizes)
    return {
        "schema_version": 1,
        "kind": "acrdoctor-snapshot",
        "collected_at": _iso(NOW),
        "source": f"synthetic:{size.name}",
        "registry": {
            "name": "synthreg", "loginServer": "synthreg.azurecr.io", "resourceGroup": "rg-synth",
            "location": "westeurope", "sku": "Premium", "publicNetworkAccess": "Enabled",
            "networkRuleSet": {"defaultAction": "Allow", "ipRules": [], "virtualNetworkRules": []},
            "policies": {"retentionPolicy": {"status": "disabled", "days": 7},
                         "softDeletePolicy": {"status": "disabled", "retentionDays": 7}},
        },
        "usage": [{"name": "Size", "currentValue": used, "limit": 536_870_912_000, "unit": "Bytes"}],
        "private_endpoint_connections": [],
        "replications": [],
        "blobs": {"digests": blobs.digests, "sizes": blobs.sizes},
        "repositories": repositories,
        "errors": [],
        "_synthetic": {"layer_refs": layer_refs, "manifests": manifest_counter, "blobs": len(blobs.digests)},
    }


def write(size: Size, path: Path) -> dict[str, int]:
    """Generate ``size`` into ``path`` (compact JSON); returns the shape actually produced."""
    doc = generate(size)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(doc, fh, separators=(",", ":"))
    tmp.replace(path)
    return {"repositories": len(doc["repositories"]), **doc["_synthetic"]}


if __name__ == "__main__":
    import sys

    chosen = SIZES[sys.argv[1] if len(sys.argv) > 1 else "small"]
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).parent / "out" / f"{chosen.name}.json"
    print(write(chosen, out))
