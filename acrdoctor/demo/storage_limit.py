"""Demo variant ``storage-limit``: a Standard registry within 2% of its maximum storage (check ``storage-limit``).

The story: tailspin keeps ML model images and dataset snapshots in a Standard registry. Its ``listUsages`` carries
the ``MaximumStorageCapacity`` row (https://github.com/Azure/azure-cli/pull/32263) at 40 TiB, the Standard maximum
[D-SKU], and Size is 98.7% of it; the latest pushes were refused with 405 REGISTRY_DISALLOWED_OPERATION, the FAQ's
"registry at its storage limit" cause [D-FAQ]. Layers stay under ACR's 200 GiB layer size, so the bytes add up
from real-looking images: nightly fine-tune builds whose tag moved on (untagged, the largest cleanup), vision and
speech models, and tagged dataset snapshots. The refusals' bodies are the real 405 body (Azure/acr-cli#70),
recorded as part ``push`` so they are not read as failed listings.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from acrdoctor.builder import OCI_MANIFEST, SnapshotBuilder
from acrdoctor.model import Snapshot, Usage

NAME = "storage-limit"
DESCRIPTION = "a Standard registry at 98.7% of its 40 TiB maximum storage, refusing pushes with 405"

NOW = datetime(2026, 11, 20, 9, 0, 0, tzinfo=UTC)
GIB = 1024 ** 3
TIB = 1024 ** 4
CUDA_BASE = [("cuda-12.4-runtime-ubuntu22.04", 3 * GIB), ("pytorch-2.5-cuda12.4", 5 * GIB)]
DISALLOWED = ("The operation is disallowed on this registry, repository or image. View troubleshooting steps at "
              "https://aka.ms/acr/faq/#why-does-my-pull-or-push-request-fail-with-disallowed-operation")


def _models(b: SnapshotBuilder, repo_name: str, count: int, tagged: int, weights_gib: int) -> None:
    """``count`` nightly builds; only the newest ``tagged`` keep a tag (the tag moved on from the others)."""
    repo = b.repository(repo_name)
    for i in range(count):
        newest = i >= count - tagged
        repo.image([f"nightly-{i:03d}"] if newest else [],
                   layers=[*CUDA_BASE, (f"{repo_name}-weights-{i:03d}", weights_gib * GIB + i * 1_000_003)],
                   config=(f"{repo_name}-config-{i:03d}", 9_000 + i), age_days=count - i)


def build() -> Snapshot:
    b = SnapshotBuilder("tailspin", sku="Standard", resource_group="rg-tailspin-ml", now=NOW)
    b.no_private_endpoints().no_replications()
    b.collected("resource_locks", "access", "tokens", "scope_maps", "tasks", "cache_rules", "connected_registries",
                "deleted_artifacts", "listings")
    _models(b, "models/llm-finetune", count=60, tagged=5, weights_gib=150)
    _models(b, "models/vision", count=40, tagged=10, weights_gib=120)
    _models(b, "models/speech", count=50, tagged=50, weights_gib=100)
    datasets = b.repository("datasets/snapshots")
    for i in range(120):
        datasets.image([f"2026-w{i:03d}"], layers=[(f"dataset-shard-{i:03d}", 180 * GIB + i * 997)],
                       config=(f"dataset-config-{i:03d}", 512), media_type=OCI_MANIFEST, architecture=None, os=None,
                       age_days=400 - 3 * i)
    size = b.stored_bytes()
    b.set_usage(size=size, limit=107_374_182_400)
    assert b.usage is not None
    b.usage.append(Usage("MaximumStorageCapacity", 0, 40 * TIB, "Bytes"))
    b.attempted("list_repository_names", "get_repository_properties", "list_manifests", "list_tags", "get_manifest")
    # storage-limit: the pushes the full registry refused.
    for tag in ("nightly-060", "nightly-061"):
        b.error("push", 405, "REGISTRY_DISALLOWED_OPERATION", DISALLOWED, repository="models/llm-finetune",
                operation="push_manifest", detail={"tag": tag})
    return replace(b.build(), source="demo")
