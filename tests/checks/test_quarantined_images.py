from __future__ import annotations

import shlex
from dataclasses import replace

from acrdoctor.builder import RepositoryBuilder, SnapshotBuilder, locked
from acrdoctor.check_api import ResourceKind, Severity, Status
from acrdoctor.model import Manifest, Part, Policy
from tests.conftest import run_check

SLUG = "quarantined-images"


def quarantine(repo: RepositoryBuilder, m: Manifest, state: str = "Quarantined") -> Manifest:
    """Set quarantineState on a manifest the builder made (the builder has no argument for it)."""
    q = replace(m, quarantine_state=state)
    repo.manifests[repo.manifests.index(m)] = q
    return q


def registry(builder: SnapshotBuilder, state: str = "Quarantined", policy: str = "enabled") -> Manifest:
    builder.registry(quarantine_policy=Policy(policy))
    repo = builder.repository("apps/checkout")
    repo.image(["1.0"], layers=[("base", 5000), ("ok", 100)])
    new = repo.image(["1.1", "latest"], layers=[("base", 5000), ("new-app", 2000)], config=("cfg-1.1", 30))
    return quarantine(repo, new, state)


def test_a_manifest_marked_passed_is_fine(builder: SnapshotBuilder) -> None:
    repo = builder.repository("apps/checkout")
    m = repo.image(["1.0"], layers=[("base", 5000)])
    quarantine(repo, m, "Passed")
    assert run_check(SLUG, builder.build()).status is Status.PASSED


def test_a_quarantined_manifest_is_reported_with_its_tags_and_bytes(builder: SnapshotBuilder) -> None:
    q = registry(builder)
    result = run_check(SLUG, builder.build())
    assert result.status is Status.FAILED
    (f,) = result.findings
    assert (f.resource.kind, f.resource.name) == (ResourceKind.MANIFEST, f"apps/checkout@{q.digest}")
    assert f.severity is Severity.MEDIUM
    assert f.details["quarantine_state"] == "Quarantined"
    assert f.details["tags"] == ["1.1", "latest"]
    assert f.details["exclusive_bytes"] == 2030  # its app layer and config; the base layer is shared
    assert "not a lock" in f.message and "1.1, latest" in f.message
    assert f.details["quarantine_policy_enabled"] is True
    assert f.fix is not None and f.fix.actions == ()  # a manual step: no az command sets quarantineState
    labels = [r.label for r in f.fix.related]
    assert labels == ["confirm", "alternative"]
    (confirm,) = f.fix.related[0].commands
    assert shlex.split(confirm) == ["az", "acr", "manifest", "show-metadata", "--registry", "contoso", "--name",
                                    f"apps/checkout@{q.digest}"]
    (disable,) = f.fix.related[1].commands
    argv = shlex.split(disable)
    assert argv[:4] == ["az", "resource", "update", "--ids"]
    assert argv[4].endswith("/registries/contoso")
    assert argv[5:] == ["--set", "properties.policies.quarantinePolicy.status=disabled"]


def test_a_leftover_state_with_the_policy_disabled_says_so_and_offers_no_policy_change(
        builder: SnapshotBuilder) -> None:
    registry(builder, policy="disabled")
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.fix is not None
    assert "leftover" in f.fix.notes[0]
    assert [r.label for r in f.fix.related] == ["confirm"]
    assert f.details["quarantine_policy_enabled"] is False


def test_a_failed_scan_says_rebuild(builder: SnapshotBuilder) -> None:
    registry(builder, state="Failed")
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.fix is not None and any("FAILED" in n for n in f.fix.notes)


def test_a_quarantined_and_locked_manifest_says_unlocking_is_not_enough(builder: SnapshotBuilder) -> None:
    repo = builder.repository("apps/checkout")
    m = repo.image(["1.0"], layers=[("base", 5000)], attributes=locked())
    quarantine(repo, m)
    (f,) = run_check(SLUG, builder.build()).findings
    assert "locked as well" in f.message and f.details["locked"] is True


def test_without_manifest_listings_it_is_skipped(builder: SnapshotBuilder) -> None:
    builder.repository("apps/checkout", manifests=False)
    result = run_check(SLUG, builder.build())
    assert result.status is Status.SKIPPED
    assert "manifest listings" in (result.reason or "")


def test_a_listing_missing_for_one_repository_is_incomplete_not_passed(builder: SnapshotBuilder) -> None:
    builder.repository("apps/checkout").image(["1.0"], layers=[("base", 5000)])
    builder.repository("apps/other", manifests=False)
    builder.partial.add(Part.MANIFESTS)
    assert run_check(SLUG, builder.build()).status is Status.INCOMPLETE
