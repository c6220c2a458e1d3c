"""The policy topics in the demo: artifact cache, continuous patching and the retention policy's date are planted into
the main demo (``plant``); listings cut short get a variant of their own (``--demo=truncated``, ``build``).

A listing that ended early makes every check reading it incomplete or a lower bound, so in the main demo it would
turn half of the report into lower bounds; the variant shows that on a small registry instead. Each block names the
check it feeds:

* ``artifact-cache``: a cache rule ``hub-nginx`` (``hub/nginx`` <= ``docker.io/library/nginx``) with the images it
  cached; deleting them frees storage only until the next pull.
* ``continuous-patching``: the workflow is configured (``csscpolicies/patchpolicy`` and the three ``cssc-*``
  tasks); ``runtime/python`` keeps 24 patched images of ``3.12`` and three of ``3.11`` whose suffix nears -999.
* ``listings-cut-short`` (variant ``truncated``): ``mirror/alpine``'s tag listing stopped after one page (ACR counts
  5 tags, 3 were listed) and ``tools/build``'s manifest listing holds fewer manifests than ACR counts, with no record.
* ``retention-policy``: the policy was enabled on 2026-10-11 (``lastUpdatedTime``), so manifests untagged before
  that are never scheduled.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from acrdoctor.builder import OCI_MANIFEST, SnapshotBuilder, iso, locked
from acrdoctor.model import Policy, Snapshot

NAME = "truncated"
DESCRIPTION = "listings that ended early: a tag listing cut short and manifest counts above the listing"

MB = 1_000_000
#: The same base layer names and sizes as the main demo's, so the new images share its bytes.
DEBIAN_AMD64 = ("debian-bookworm-slim-amd64", 29_130_000)
PYTHON_RUNTIME = ("python-3.12-runtime-amd64", 14_880_000)
PYTHON_311_RUNTIME = ("python-3.11-runtime-amd64", 14_520_000)
#: When the retention policy was last changed: 40 days before the demo's collection time.
RETENTION_ENABLED_DAYS_AGO = 40


def plant(b: SnapshotBuilder) -> None:
    _retention_date(b)
    _artifact_cache(b)
    _continuous_patching(b)


def _retention_date(b: SnapshotBuilder) -> None:
    """retention-policy: the ARM lastUpdatedTime of the policy the main demo enabled."""
    reg = b.build().registry
    policy = reg.retention_policy or Policy("enabled", 7)
    when: datetime = b.now - timedelta(days=RETENTION_ENABLED_DAYS_AGO)
    b.registry(retention_policy=replace(policy, updated=iso(when)))


def _artifact_cache(b: SnapshotBuilder) -> None:
    """artifact-cache: nginx pulled through the cache; two tags cached so far."""
    b.cache_rule("hub-nginx", "docker.io/library/nginx", "hub/nginx")
    repo = b.repository("hub/nginx")
    for tag, age, size in (("1.27", 20, 40_300_000), ("1.27-alpine", 6, 19_800_000)):
        repo.image(tags=[tag], layers=[DEBIAN_AMD64, (f"upstream-nginx-{tag}", size)],
                   config=(f"upstream-nginx-config-{tag}", 7_900), age_days=age)


def _continuous_patching(b: SnapshotBuilder) -> None:
    """continuous-patching: the workflow's system repository, its tasks, and the -N tags it left."""
    policy = b.repository("csscpolicies/patchpolicy")
    policy.image(tags=["v1"], layers=[("cssc-continuouspatching-json", 412)], config=("cssc-policy-config", 2),
                 media_type=OCI_MANIFEST, architecture=None, os=None, age_days=60)
    b.task("cssc-trigger-workflow", ["cssc trigger"], schedule="0 0 */1 * *")
    b.task("cssc-scan-image", ["trivy image"])
    b.task("cssc-patch-image", ["copa patch"])
    repo = b.repository("runtime/python")
    repo.image(tags=["3.12"], layers=[DEBIAN_AMD64, PYTHON_RUNTIME, ("python-app-base-3.12", 6 * MB)],
               config=("python-config-3.12", 5_100), age_days=58)
    for n in range(1, 25):
        repo.image(tags=[f"3.12-{n}"],
                   layers=[DEBIAN_AMD64, PYTHON_RUNTIME, ("python-app-base-3.12", 6 * MB),
                           (f"python-3.12-patch-{n}", 2 * MB + n * 10_000)],
                   config=(f"python-config-3.12-{n}", 5_200), media_type=OCI_MANIFEST, age_days=57 - 2 * n)
    repo.image(tags=["3.11"], layers=[DEBIAN_AMD64, PYTHON_311_RUNTIME], config=("python-config-3.11", 5_050),
               age_days=58)
    # Older 3.11 patches were purged long ago; the suffix kept counting (912 of 999 used).
    for n in (910, 911, 912):
        repo.image(tags=[f"3.11-{n}"], layers=[DEBIAN_AMD64, PYTHON_311_RUNTIME, (f"python-3.11-patch-{n}", 3 * MB)],
                   config=(f"python-config-3.11-{n}", 5_150), media_type=OCI_MANIFEST, age_days=915 - n)


def build() -> Snapshot:
    """The ``truncated`` variant: a Standard registry whose collection met two listings that ended early."""
    b = SnapshotBuilder("fabrikam", sku="Standard", resource_group="rg-fabrikam", now=datetime(2026, 11, 20, 9, 0, 0,
                                                                                              tzinfo=UTC))
    b.collected("resource_locks", "access", "tokens", "scope_maps", "tasks", "cache_rules", "connected_registries",
                "deleted_artifacts", "listings")
    b.no_private_endpoints().no_replications()
    b.attempted("list_repository_names", "get_repository_properties", "list_manifests", "list_tags", "get_manifest")
    # listings-cut-short: the collector recorded where the tag listing stopped.
    repo = b.repository("mirror/alpine", counts=(3, 5))
    for tag, age in (("3.18", 300), ("3.19", 200), ("3.20", 100)):
        repo.image(tags=[tag], layers=[(f"alpine-{tag}-amd64", 3_500_000)], config=(f"alpine-config-{tag}", 1_470),
                   age_days=age)
    b.listing("tags", False, repository="mirror/alpine", pages=1, items=3, expected=5,
              reason="the next-page link of the first page answered 404")
    # listings-cut-short, inferred: ACR counts 6 manifests, the listing has 2 and no record says why.
    build_repo = b.repository("tools/build", counts=(6, 1))
    build_repo.image(tags=["2.0"], layers=[("build-2.0", 8_000_000)], config=("build-config-2.0", 1_200), age_days=9)
    build_repo.image(layers=[("build-1.9", 7_900_000)], config=("build-config-1.9", 1_190), age_days=40)
    # locked-artifacts finds this one, but only as a lower bound: tags it could not see may be locked too.
    b.repository("apps/site").image(tags=["1.0"], layers=[("site-1.0", 2_000_000)], config=("site-config", 900),
                                    tag_attributes={"1.0": locked()}, age_days=30)
    b.set_usage()
    return replace(b.build(), source="demo")
