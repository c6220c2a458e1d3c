from __future__ import annotations

import shlex

import pytest

from acrdoctor.builder import SnapshotBuilder
from acrdoctor.check_api import Finding, Severity, Status
from acrdoctor.model import Part, Policy
from tests.conftest import run_check

SLUG = "storage-accounting"
MIB = 1024 * 1024
GIB = 1024 * MIB


def one_gib_registry(builder: SnapshotBuilder) -> SnapshotBuilder:
    """Exactly 1 GiB of distinct blobs, 10 MiB of it held only by a dangling image."""
    repo = builder.repository("app")
    repo.image(["v1"], layers=[("base", 1013 * MIB)], config=("cfg", 1 * MIB))
    repo.image(layers=[("old", 10 * MIB)], config=("old-cfg", 0))
    return builder


def findings(builder: SnapshotBuilder) -> list[Finding]:
    result = run_check(SLUG, builder.build())
    assert result.status in (Status.FAILED, Status.PASSED)
    return list(result.findings)


def test_consistent_registry_passes(builder: SnapshotBuilder) -> None:
    one_gib_registry(builder).set_usage().no_replications()
    result = run_check(SLUG, builder.build())
    assert result.status is Status.PASSED


# -- (d) the Size row's limit is the tier's included storage, not a maximum ------------------------------


def test_usage_near_the_size_rows_limit_is_not_reported_here(builder: SnapshotBuilder) -> None:
    """93% of the Size row's limit is 93% of the storage included in the price: billed beyond, never refused.
    The maximum storage is the storage-limit check's (tests/checks/test_storage_limit.py)."""
    one_gib_registry(builder).set_usage(size=int(1.024 * GIB), limit=int(1.1 * GIB))
    assert findings(builder) == []


# -- (a) usage versus the computed deduplicated total ---------------------------------------------------


def test_usage_well_above_the_computed_total_gives_both_numbers(builder: SnapshotBuilder) -> None:
    one_gib_registry(builder).set_usage(size=GIB + 500 * MIB)
    (f,) = findings(builder)
    assert f.severity is Severity.MEDIUM
    assert f.details["usage_bytes"] == GIB + 500 * MIB
    assert f.details["computed_bytes"] == GIB
    assert f.details["difference_bytes"] == 500 * MIB
    assert f.message.startswith("Size usage is 1.5 GiB but the manifests reference 1.0 GiB")
    assert "500.0 MiB (49%) more" in f.message
    assert "asynchronously" in f.cause


@pytest.mark.parametrize("extra", [60 * MIB, -60 * MIB])
def test_small_gaps_are_normal(builder: SnapshotBuilder, extra: int) -> None:
    one_gib_registry(builder).set_usage(size=GIB + extra)
    assert findings(builder) == []


def test_five_percent_margin_applies_to_large_registries(builder: SnapshotBuilder) -> None:
    builder.repository("big").image(["v1"], layers=[("huge", 10 * GIB)], config=("c", 0))
    builder.set_usage(size=10 * GIB + 400 * MIB)  # over 100 MiB, under 5%
    assert findings(builder) == []
    builder.set_usage(size=10 * GIB + 600 * MIB)  # over both margins
    (f,) = findings(builder)
    assert f.details["difference_bytes"] == 600 * MIB


def test_usage_behind_recent_pushes_is_low(builder: SnapshotBuilder) -> None:
    one_gib_registry(builder).set_usage(size=200 * MIB)
    (f,) = findings(builder)
    assert f.severity is Severity.LOW
    assert f.details["difference_bytes"] == 200 * MIB - GIB
    assert "behind" in f.message


def test_incomplete_bodies_only_report_usage_below_the_lower_bound(builder: SnapshotBuilder) -> None:
    one_gib_registry(builder)
    builder.repository("legacy").image(["v1"], layers=[("unknown", 5 * GIB)], body=False)
    builder.set_usage(size=6 * GIB)
    # Higher usage may be the unknown bodies: nothing to report, and nothing known to be fine either.
    result = run_check(SLUG, builder.build())
    assert (result.status, result.findings) == (Status.INCOMPLETE, ())
    assert [(g.part, g.repositories) for g in result.gaps] == [(Part.MANIFEST_BODIES, ("legacy",))]
    builder.set_usage(size=100 * MIB)
    (f,) = findings(builder)
    assert f.severity is Severity.LOW
    assert "reference at least 1.0 GiB" in f.message


def test_usage_comparison_needs_manifest_bodies(builder: SnapshotBuilder) -> None:
    builder.repository("app").image(["v1"], layers=[("x", 10 * MIB)], body=False)
    builder.set_usage(size=50 * GIB)
    result = run_check(SLUG, builder.build())
    assert result.status is Status.PASSED


# -- (b) soft delete ------------------------------------------------------------------------------------


def test_soft_delete_keeps_deleted_data_billed() -> None:
    b = SnapshotBuilder(soft_delete_policy=Policy("enabled", 30))
    b.set_usage(size=0)
    (f,) = findings(b)
    assert f.severity is Severity.LOW
    assert f.details["retention_days"] == 30
    assert "billed for up to 30 days" in f.message
    assert f.fix is not None
    (cmd,) = f.fix.commands
    argv = shlex.split(cmd)
    assert argv[:5] == ["az", "acr", "config", "soft-delete", "update"]
    assert argv[argv.index("--registry") + 1] == "contoso"
    assert argv[argv.index("--status") + 1] == "disabled"
    assert "--days" not in argv
    assert any("mutually exclusive" in n for n in f.fix.notes)
    # Shortening the retention is the alternative for those who want to keep soft delete.
    assert [r.label for r in f.fix.related] == ["alternative"]
    (shorter,) = f.fix.related
    assert shorter.commands == ("az acr config soft-delete update --registry contoso --status enabled --days 1",)


# -- (c) geo-replication --------------------------------------------------------------------------------


def test_replicated_registry_multiplies_home_region_usage() -> None:
    b = SnapshotBuilder(sku="Premium")
    b.repository("app").image(["v1"], layers=[("x", 3 * GIB)], config=("c", 0))
    b.set_usage()
    b.replication("westeurope")  # the home region is listed as a replication too
    b.replication("eastus")
    b.replication("japaneast")
    (f,) = findings(b)
    assert f.severity is Severity.INFO
    assert f.details["regions"] == 3
    assert f.details["estimated_total_bytes"] == 9 * GIB
    assert f.message == (
        "Size usage of 3.0 GiB is for the home region only; with 3 regions (eastus, japaneast, westeurope) "
        "the registry stores about 9.0 GiB"
    )


def test_replica_count_falls_back_to_the_usage_row() -> None:
    b = SnapshotBuilder(sku="Premium")
    b.set_usage(size=GIB, **{"Geo-replications": 1})
    (f,) = findings(b)
    assert f.details["regions"] == 2
    assert f.details["estimated_total_bytes"] == 2 * GIB


def test_skipped_without_usage(builder: SnapshotBuilder) -> None:
    one_gib_registry(builder)
    result = run_check(SLUG, builder.build())
    assert result.status is Status.SKIPPED
    assert "storage usage" in (result.reason or "")
