from __future__ import annotations

from acrdoctor.builder import SnapshotBuilder
from acrdoctor.check_api import ResourceKind, Severity, Status
from acrdoctor.model import Part
from tests.conftest import run_check

SLUG = "geo-replication"


def test_no_replicas_passes(builder: SnapshotBuilder) -> None:
    builder.no_replications()
    assert run_check(SLUG, builder.build()).status is Status.PASSED


def test_only_the_home_region_listed_passes(builder: SnapshotBuilder) -> None:
    builder.replication("westeurope")  # ARM lists the home region as a replication too
    assert run_check(SLUG, builder.build()).status is Status.PASSED


def test_replicas_give_one_info_finding_per_registry(builder: SnapshotBuilder) -> None:
    builder.replication("westeurope")
    builder.replication("eastus")
    builder.replication("japaneast")
    result = run_check(SLUG, builder.build())
    assert result.status is Status.FAILED
    (f,) = result.findings
    assert f.severity is Severity.INFO
    assert (f.resource.kind, f.resource.name) == (ResourceKind.REGISTRY, "contoso")
    assert "2 other regions (eastus, japaneast) besides westeurope" in f.message
    assert "pullable" in f.message
    assert f.details["replica_regions"] == ["eastus", "japaneast"]
    assert f.fix is not None
    assert f.fix.related[0].commands == (
        "az acr replication list --registry contoso --output table",)


def test_replications_not_collected_is_skipped(builder: SnapshotBuilder) -> None:
    result = run_check(SLUG, builder.build())
    assert result.status is Status.SKIPPED
    assert Part.REPLICATIONS.label in (result.reason or "")


def test_the_note_reaches_the_fixes_of_delete_and_storage_checks(builder: SnapshotBuilder) -> None:
    builder.replication("eastus")
    repo = builder.repository("app")
    repo.image(["v1"], layers=[("a", 100)])
    repo.image(layers=[("b", 100)])
    builder.repository("emptied", counts=(0, 0))
    snap = builder.build()
    for slug in ("dangling-manifests", "empty-repository"):
        (f,) = run_check(slug, snap).findings
        assert f.fix is not None
        assert any("also in eastus" in n for n in f.fix.notes), slug
