from __future__ import annotations

import shlex

from acrdoctor.builder import SnapshotBuilder
from acrdoctor.check_api import Finding, ResourceKind, Severity, Status
from acrdoctor.limits import TIB, max_storage_bytes
from acrdoctor.model import Policy, Usage
from tests.conftest import run_check

SLUG = "storage-limit"
MIB = 1024 * 1024


def images(builder: SnapshotBuilder) -> SnapshotBuilder:
    """Two repositories on a shared base; 'big' holds 30 MiB alone, 'small' 3 MiB, plus 7 MiB left untagged."""
    big = builder.repository("big")
    big.image(["v1"], layers=[("base", 50 * MIB), ("big-app", 30 * MIB)], config=("big-cfg", 0))
    small = builder.repository("small")
    small.image(["v1"], layers=[("base", 50 * MIB), ("small-app", 3 * MIB)], config=("small-cfg", 0))
    small.image(layers=[("small-old", 7 * MIB)], config=("small-old-cfg", 0))
    return builder


def maximum_row(builder: SnapshotBuilder, size: int, maximum: int) -> None:
    """listUsages with the MaximumStorageCapacity row beside Size (azure-cli#32263)."""
    builder.set_usage(size=size, limit=100 * 1024 ** 3)
    assert builder.usage is not None
    builder.usage.append(Usage("MaximumStorageCapacity", 0, maximum, "Bytes"))


def one(builder: SnapshotBuilder) -> Finding:
    result = run_check(SLUG, builder.build())
    assert result.status is Status.FAILED, result
    (f,) = result.findings
    return f


def test_documented_maximums_per_sku() -> None:
    assert max_storage_bytes("Basic") == max_storage_bytes("standard") == 40 * TIB
    assert max_storage_bytes("Premium") == 100 * TIB
    assert max_storage_bytes("Classic") is None and max_storage_bytes(None) is None


def test_usage_far_below_the_maximum_passes(builder: SnapshotBuilder) -> None:
    images(builder).set_usage()  # 90 MiB on Standard, whose maximum is 40 TiB
    assert run_check(SLUG, builder.build()).status is Status.PASSED


def test_the_size_rows_limit_is_not_the_maximum(builder: SnapshotBuilder) -> None:
    """99% of the Size row's limit (the included storage) is nowhere near 40 TiB."""
    images(builder).set_usage(size=99 * MIB, limit=100 * MIB)
    assert run_check(SLUG, builder.build()).status is Status.PASSED


def test_within_two_percent_of_maximum_storage_capacity_ranks_the_cleanups(builder: SnapshotBuilder) -> None:
    images(builder)
    maximum_row(builder, size=990 * MIB, maximum=1000 * MIB)
    f = one(builder)
    assert f.severity is Severity.HIGH
    assert (f.resource.kind, f.resource.name) == (ResourceKind.REGISTRY, "contoso")
    assert f.details["limit_bytes"] == 1000 * MIB
    assert f.details["remaining_bytes"] == 10 * MIB
    assert "MaximumStorageCapacity" in str(f.details["limit_source"])
    assert "10.0 MiB (1.0%) below its maximum of 1000.0 MiB" in f.message
    assert "405 REGISTRY_DISALLOWED_OPERATION" in f.message
    # The safe cleanup first (no tagged image goes): the untagged manifest, 7 MiB; then whole repositories by the
    # bytes only they hold: big 30 MiB, small 10 MiB (its own app layer and the untagged one; the base is shared).
    assert f.details["cleanups"] == [
        {"what": "the 1 untagged manifest no tag reaches", "freed_bytes": 7 * MIB},
        {"what": "repository big", "freed_bytes": 30 * MIB},
        {"what": "repository small", "freed_bytes": 10 * MIB},
    ]
    assert f.fix is not None
    assert "without touching a tagged image" in f.fix.summary
    (pre,) = f.fix.commands
    assert pre == ("acrdoctor preflight --registry contoso -- az acr run --registry contoso --resource-group "
                   'rg-contoso --cmd "acr purge --ago 0d --untagged-only" /dev/null')
    labels = [r.label for r in f.fix.related]
    assert labels == ["then", "also", "also", "alternative", "confirm"]
    assert f.fix.related[0].commands == (
        'az acr run --registry contoso --resource-group rg-contoso --cmd "acr purge --ago 0d --untagged-only" '
        "/dev/null",)
    assert f.fix.related[1].commands == (
        "acrdoctor preflight --registry contoso -- az acr repository delete --name contoso --repository big --yes",)
    assert "If you no longer need it" in f.fix.related[1].summary
    assert shlex.split(f.fix.related[3].commands[0])[-2:] == ["--sku", "Premium"]


def test_refused_pushes_are_named_as_the_symptom(builder: SnapshotBuilder) -> None:
    builder.no_repositories()
    maximum_row(builder, size=99, maximum=100)
    builder.error("push", 405, "REGISTRY_DISALLOWED_OPERATION", "The operation is disallowed on this registry, "
                  "repository or image.", repository="app", operation="push_manifest")
    f = one(builder)
    assert f.details["refused_pushes"] == 1
    assert "(1 push already refused with 405 while collecting)" in f.message


def test_a_basic_registry_near_forty_tib_uses_the_documented_maximum(builder: SnapshotBuilder) -> None:
    builder.registry(sku="Basic")
    builder.no_repositories().set_usage(size=int(39.5 * TIB))
    f = one(builder)
    assert f.details["limit_bytes"] == 40 * TIB
    assert "documented maximum of the Basic tier" in str(f.details["limit_source"])
    assert f.severity is Severity.HIGH


def test_at_or_past_the_maximum_is_critical(builder: SnapshotBuilder) -> None:
    builder.registry(sku="Premium")
    builder.no_repositories().set_usage(size=100 * TIB + 1)
    f = one(builder)
    assert f.severity is Severity.CRITICAL
    assert "at its maximum" in f.message
    assert f.fix is not None and "alternative" not in [r.label for r in f.fix.related]  # already Premium


def test_between_ninety_and_ninety_eight_percent_is_medium(builder: SnapshotBuilder) -> None:
    builder.no_repositories()
    maximum_row(builder, size=92, maximum=100)
    assert one(builder).severity is Severity.MEDIUM


def test_soft_delete_and_geo_replication_are_named_on_the_fix(builder: SnapshotBuilder) -> None:
    builder.registry(soft_delete_policy=Policy("enabled", 7), sku="Premium")
    builder.replication("westeurope")
    builder.replication("eastus")
    builder.no_repositories().set_usage(size=99 * TIB)
    f = one(builder)
    assert f.fix is not None
    assert any("Soft delete is enabled" in n for n in f.fix.notes)
    assert any("also in eastus" in n for n in f.fix.notes)


def test_without_manifest_listings_the_cleanups_are_not_ranked(builder: SnapshotBuilder) -> None:
    builder.set_usage(size=int(39.9 * TIB))
    f = one(builder)
    assert f.fix is not None and f.fix.actions == ()
    assert any("were not collected" in n for n in f.fix.notes)


def test_usage_not_collected_is_skipped(builder: SnapshotBuilder) -> None:
    images(builder)
    result = run_check(SLUG, builder.build())
    assert result.status is Status.SKIPPED
    assert "storage usage" in (result.reason or "")


def test_an_unknown_tier_without_the_maximum_row_is_skipped(builder: SnapshotBuilder) -> None:
    builder.registry(sku="Classic")
    builder.no_repositories().set_usage(size=10)
    result = run_check(SLUG, builder.build())
    assert result.status is Status.SKIPPED
    assert "MaximumStorageCapacity" in (result.reason or "")
