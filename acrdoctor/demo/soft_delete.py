"""Demo variant ``soft-delete``: a Standard registry with soft delete on (check ``soft-delete``).

Soft delete is not supported with geo-replication, and the main demo is geo-replicated, so this is its own registry
[D-SD]. The story: fabrikam's nightly cleanup deleted three old API builds and a worker image; with soft delete on
(7 days) they still count as stored and billed. Then a rollback pipeline tried to push build 1.2 again, whose digest
is one of the soft-deleted ones, and was refused: it has to be restored instead. The refusal's text is acrdoctor's
phrasing of the documented rule (no recorded wire body exists, so no status or code is claimed); it is recorded
as part ``push`` so it is not read as a failed listing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from acrdoctor.builder import SnapshotBuilder, digest_of
from acrdoctor.model import Policy, Snapshot

NAME = "soft-delete"
DESCRIPTION = "a Standard registry with soft delete on: deleted builds still billed, a push of a soft-deleted digest"

NOW = datetime(2026, 11, 20, 9, 0, 0, tzinfo=UTC)
MB = 1_000_000
PYTHON_BASE = [("debian-bookworm-slim-amd64", 29_130_000), ("python-3.12-runtime-amd64", 14_880_000)]
REFUSED = digest_of("fabrikam|apps/api|1.2")


def build() -> Snapshot:
    b = SnapshotBuilder("fabrikam", sku="Standard", resource_group="rg-fabrikam", now=NOW,
                        soft_delete_policy=Policy("enabled", 7), retention_policy=Policy("disabled", 7))
    b.no_private_endpoints().no_replications()
    b.collected("resource_locks", "access", "tokens", "scope_maps", "tasks", "cache_rules", "connected_registries",
                "deleted_artifacts", "listings")
    api = b.repository("apps/api")
    api.image(["1.3", "latest"], layers=[*PYTHON_BASE, ("api-app-1.3", 21 * MB)], config=("api-cfg-1.3", 6_100),
              age_days=1)
    worker = b.repository("apps/worker")
    worker.image(["4.0"], layers=[*PYTHON_BASE, ("worker-app-4.0", 33 * MB)], config=("worker-cfg-4.0", 6_020),
                 age_days=3)
    # soft-delete: the nightly cleanup's deletions, still stored until autopurge.
    b.soft_deleted("apps/api", REFUSED, size=65_900_000, tags=("1.2",), age_days=2)
    b.soft_deleted("apps/api", digest_of("fabrikam|apps/api|1.1"), size=65_400_000, tags=("1.1",), age_days=2)
    b.soft_deleted("apps/api", digest_of("fabrikam|apps/api|1.0"), size=64_800_000, tags=("1.0",), age_days=6)
    b.soft_deleted("apps/worker", digest_of("fabrikam|apps/worker|3.9"), size=77_100_000, tags=("3.9",),
                   age_days=5)
    b.set_usage(size=b.stored_bytes() + 190_000_000, limit=107_374_182_400)
    b.attempted("list_repository_names", "get_repository_properties", "list_manifests", "list_tags", "get_manifest",
                "list_deleted_manifests")
    # soft-delete: the rollback's push of build 1.2, refused because its digest is soft-deleted.
    b.error("push", None, None, f"manifest {REFUSED} is soft-deleted: restore it instead of pushing "
            "it again", repository="apps/api", operation="push_manifest")
    return replace(b.build(), source="demo")
