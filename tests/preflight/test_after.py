"""apply_plan: the registry as a plan leaves it, checked against set arithmetic over the snapshot's own rows."""

from __future__ import annotations

import pytest

from acrdoctor.demo import load_demo
from acrdoctor.model import Snapshot
from acrdoctor.preflight.after import apply_plan
from acrdoctor.preflight.run import preflight
from acrdoctor.storage import StorageIndex

COMMANDS = [
    "acr purge --filter 'apps/.*:.*' --ago 30d --untagged",
    "acr purge --filter '.*:.*' --ago 0d --untagged --include-locked",
    "az acr repository delete --name contoso --image apps/web:3.4.1 --yes",
    "az acr repository untag --name contoso --image apps/payments-api:latest",
    "az acr repository delete --name contoso --repository ml/batch-scorer --yes",
    "az acr repository delete --name contoso --repository apps/orders-api --yes",
]


def pairs(snapshot: Snapshot) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    manifests = {(r.name, m.digest) for r in snapshot.repositories or () for m in r.manifests or ()}
    tags = {(r.name, t.name) for r in snapshot.repositories or () for t in r.tags or ()}
    return manifests, tags


@pytest.mark.parametrize("command", COMMANDS)
def test_the_state_after_a_plan_is_the_state_before_minus_the_plan(command: str) -> None:
    demo = load_demo()
    plan = preflight(command, demo)
    after = apply_plan(demo, plan)
    manifests, tags = pairs(demo)
    left_manifests, left_tags = pairs(after)
    gone_repos = set(plan.deleted_repositories)
    assert left_manifests == {(r, d) for r, d in manifests if r not in gone_repos} - {
        (m.repository, m.digest) for m in plan.delete_manifests}
    assert left_tags == {(r, t) for r, t in tags if r not in gone_repos} - {(t.repository, t.tag)
                                                                             for t in plan.delete_tags}
    # Tags listed on manifests follow the tag list; counts follow the rows.
    for repo in after.repositories or ():
        assert repo.manifest_count == len(repo.manifests or ())
        assert repo.tag_count == len(repo.tags or ())
        listed = {t.name for t in repo.tags or ()}
        assert {t for m in repo.manifests or () for t in m.tags} <= listed
    assert {r.name for r in after.repositories or ()} == {r.name for r in demo.repositories or ()} - gone_repos
    # What the plan says it frees is what the registry stores less afterwards.
    assert StorageIndex(demo).deduplicated_total() - StorageIndex(after).deduplicated_total() == plan.reclaimable_bytes
    assert demo == load_demo()  # the input is untouched


def test_a_plan_that_deletes_nothing_returns_the_same_snapshot() -> None:
    demo = load_demo()
    plan = preflight("az acr repository delete --name contoso --image apps/web:no-such-tag --yes", demo)
    assert apply_plan(demo, plan) is demo


def test_a_registry_delete_leaves_no_repositories() -> None:
    from acrdoctor.builder import SnapshotBuilder

    b = SnapshotBuilder("contoso")
    b.repository("app").image(["v1"])
    b.no_private_endpoints().no_replications()
    b.collected("resource_locks", "connected_registries")
    snap = b.build()
    plan = preflight("az acr delete --name contoso --yes", snap)
    assert plan.registry_deleted
    assert apply_plan(snap, plan).repositories == ()
