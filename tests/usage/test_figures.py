"""Every figure of the usage report against an independent set-based recount (tests/usage/recount.py).

Runs on the demo registry and on hand-built registries (conftest.py) with layers shared across repositories,
dangling manifests, multi-arch indexes, a referrer, soft-deleted artifacts and partial collection.
"""

from __future__ import annotations

import pytest

from acrdoctor.demo import load_demo
from acrdoctor.model import Snapshot
from acrdoctor.times import parse_time
from acrdoctor.usage import build_usage
from acrdoctor.usage.model import UsageReport
from tests.usage.conftest import build_mixed
from tests.usage.recount import Recount

SNAPSHOTS = {
    "demo": lambda: load_demo(None),
    "mixed": lambda: build_mixed(),
    "mixed-partial": lambda: build_mixed(partial=True),
}


@pytest.fixture(params=sorted(SNAPSHOTS))
def case(request: pytest.FixtureRequest) -> tuple[Snapshot, UsageReport, Recount]:
    snapshot = SNAPSHOTS[request.param]()
    return snapshot, build_usage(snapshot, top=50), Recount(snapshot)


def test_repository_figures_equal_the_recount(case: tuple[Snapshot, UsageReport, Recount]) -> None:
    snapshot, report, rc = case
    now = parse_time(snapshot.collected_at)
    assert now is not None
    assert [r.name for r in report.repositories] == [r.name for r in snapshot.repositories or ()]
    for r, repo in zip(report.repositories, snapshot.repositories or (), strict=True):
        assert r.collected == (repo.manifests is not None)
        assert r.manifests == len(repo.manifests or ())
        assert r.tags == (len(repo.tags) if repo.tags is not None else sum(len(m.tags) for m in repo.manifests or ()))
        assert r.total_bytes == rc.bytes(rc.held[r.name])
        assert r.exclusive_bytes == rc.exclusive(r.name)
        assert r.shared_bytes == rc.shared(r.name)
        assert r.exclusive_bytes + r.shared_bytes == r.total_bytes
        expected_with = rc.shared_with(r.name)
        assert r.shared_with_count == len(expected_with)
        assert dict(r.shared_with) == dict(sorted(expected_with.items(), key=lambda kv: (-kv[1], kv[0]))[:10])
        assert r.dangling_manifests == len(rc.dangling_of(r.name))
        assert r.dangling_bytes == rc.dangling_held(r.name)
        # What deleting only this repository's dangling manifests frees.
        assert r.dangling_freed_bytes == rc.freed(rc.dangling_of(r.name))
        assert r.age_bytes == rc.age_bytes(now, r.name)
        assert sum(r.age_bytes.values()) == r.total_bytes
        assert r.image_size_sum == sum(m.image_size or 0 for m in repo.manifests or ())


def test_totals_equal_the_recount(case: tuple[Snapshot, UsageReport, Recount]) -> None:
    snapshot, report, rc = case
    t = report.totals
    now = parse_time(snapshot.collected_at)
    assert now is not None
    assert t.deduplicated_bytes == rc.deduplicated()
    assert t.image_size_sum == rc.image_size_sum()
    size = snapshot.usage_named("Size")
    assert size is not None
    assert t.service_bytes == size.current
    assert t.unexplained_bytes == size.current - rc.deduplicated()
    multi = {b for b in set().union(*rc.held.values()) if len(rc.holders(b)) > 1}
    assert t.shared_bytes == rc.bytes(multi)
    assert t.dangling_manifests == len(rc.dangling)
    assert t.dangling_freed_bytes == rc.freed(rc.dangling)
    assert t.age_bytes == rc.age_bytes(now, None)
    assert sum(t.age_bytes.values()) == t.deduplicated_bytes
    assert t.manifests == sum(len(r.manifests or ()) for r in snapshot.repositories or ())


def test_candidates_equal_their_preflight_and_the_recount(case: tuple[Snapshot, UsageReport, Recount]) -> None:
    """Each candidate's figure is what ``acrdoctor preflight`` of its command prints, and what the set recount
    of the manifests that plan deletes frees; the combined figure is the recount over their union."""
    from acrdoctor.preflight.run import preflight

    snapshot, report, rc = case
    union: set[tuple[str, str]] = set()
    for c in report.candidates:
        plan = preflight(c.command, snapshot)
        deleted = {(m.repository, m.digest) for m in plan.delete_manifests}
        assert c.freed_bytes == plan.reclaimable_bytes == rc.freed(deleted) > 0
        assert c.manifests_deleted == len(deleted)
        assert c.tags_deleted == len(plan.delete_tags)
        assert c.blocker_count == len(plan.blocked)
        assert list(c.blockers) == [f"{b.resource}: {b.reason}" for b in plan.blocked][:3]
        assert c.preflight_command.endswith(" -- " + c.command)
        union |= deleted
    assert report.top_combined_bytes == rc.freed(union)
    assert report.top_summed_bytes == sum(c.freed_bytes for c in report.candidates)


def test_ranking_is_the_exhaustive_one(case: tuple[Snapshot, UsageReport, Recount]) -> None:
    """The bound-and-stop search lists the same top candidates as pre-flighting every command of every repository."""
    from acrdoctor.preflight.run import preflight
    from acrdoctor.usage.candidates import actions_for

    snapshot, _, _ = case
    every = []
    order = {"untagged": 0, "older-than": 1, "repository": 2}
    for repo in snapshot.repositories or ():
        if repo.manifests is None:
            continue
        for kind, action in actions_for(snapshot, repo, "90d"):
            freed = preflight(action.commands()[0], snapshot).reclaimable_bytes
            if freed > 0:
                every.append((-freed, order[kind], repo.name, kind))
    every.sort()
    for top in (1, 3, len(every) + 5):
        report = build_usage(snapshot, top=top)
        assert [(-c.freed_bytes, order[c.kind], c.repository, c.kind) for c in report.candidates] == every[:top]


def test_a_shared_layer_makes_candidates_not_additive(mixed: Snapshot) -> None:
    """api and tools alone free neither the runtime layer both hold nor the layer their dangling manifests share
    (web holds the base too); deleting both repositories frees those two, which neither frees alone."""
    rc = Recount(mixed)
    report = build_usage(mixed, top=50)
    whole = {c.repository: c for c in report.candidates if c.kind == "repository"}
    from acrdoctor.storage import StorageIndex
    from acrdoctor.usage.candidates import combined_freed

    both = combined_freed(StorageIndex(mixed), [whole["api"], whole["tools"]])
    runtime, cross = 300_000, 7_000
    assert both == whole["api"].freed_bytes + whole["tools"].freed_bytes + runtime + cross
    api = {("api", d) for _, d in whole["api"].deleted}
    tools = {("tools", d) for _, d in whole["tools"].deleted}
    assert both == rc.freed(api | tools)


def test_partial_collection_is_named(mixed_partial: Snapshot) -> None:
    report = build_usage(mixed_partial)
    assert not report.complete
    assert any("hidden" in g for g in report.gaps)
    assert any("manifest bodies" in g for g in report.gaps)
    codes = [e.code for e in report.totals.explanations]
    assert "not-collected" in codes
    hidden = next(r for r in report.repositories if r.name == "hidden")
    assert not hidden.collected
    assert all(c.repository != "hidden" for c in report.candidates)


def test_soft_deleted_bytes_are_named(mixed: Snapshot) -> None:
    report = build_usage(mixed)
    soft = [e for e in report.totals.explanations if e.code == "soft-deleted"]
    assert [e.bytes for e in soft] == [sum(a.image_size or 0 for a in mixed.deleted_artifacts or ())]
    assert report.complete and not report.gaps


def test_ages_follow_the_clock_when_the_snapshot_has_no_time(mixed: Snapshot) -> None:
    """Without ``collected_at`` ages come from the injected clock: one year on, recent bytes have aged."""
    from dataclasses import replace
    from datetime import timedelta

    from acrdoctor.clock import fixed_clock

    then = parse_time(mixed.collected_at)
    assert then is not None
    undated = replace(mixed, collected_at=None)
    same = build_usage(undated, clock=fixed_clock(then))
    later = build_usage(undated, clock=fixed_clock(then + timedelta(days=365)))
    assert same.totals.age_bytes == build_usage(mixed).totals.age_bytes
    assert later.totals.age_bytes["<30d"] == 0
    assert sum(later.totals.age_bytes.values()) == sum(same.totals.age_bytes.values())
