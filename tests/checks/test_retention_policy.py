from __future__ import annotations

from dataclasses import replace

from acrdoctor.builder import OCI_INDEX, OCI_MANIFEST, SnapshotBuilder, locked
from acrdoctor.check_api import Fix, Related, ResourceKind, Severity, Status
from acrdoctor.checks.retention_policy import purge_filter
from acrdoctor.model import Part, Policy
from tests.conftest import run_check

SLUG = "retention-policy"


def related(fix: Fix, label: str) -> Related:
    """The one related group with this label (several would make the assertion ambiguous)."""
    (group,) = [r for r in fix.related if r.label == label]
    return group


def premium(days: int = 7, **kw: object) -> SnapshotBuilder:
    return SnapshotBuilder(sku="Premium", retention_policy=Policy("enabled", days), **kw)  # type: ignore[arg-type]


def test_disabled_policy_passes_even_with_old_untagged_manifests(builder: SnapshotBuilder) -> None:
    repo = builder.repository("app")
    repo.image(tags=["v1"])
    repo.image(age_days=90)
    repo.image(media_type=OCI_MANIFEST, age_days=90)
    assert run_check(SLUG, builder.build()).status is Status.PASSED


def test_enabled_on_standard_explains_premium_only_and_offers_upgrade() -> None:
    b = SnapshotBuilder(sku="Standard", retention_policy=Policy("enabled", 14))
    b.repository("app").image(age_days=90)  # leftovers are not blamed on the policy: it never ran
    result = run_check(SLUG, b.build())
    assert result.status is Status.FAILED
    (f,) = result.findings
    assert f.resource.kind is ResourceKind.REGISTRY and f.resource.name == "contoso"
    assert "Standard" in f.message and "Premium" in f.message and "14 days" in f.message
    assert "contoso" not in f.message
    assert f.fix is not None
    assert f.fix.commands == ("az acr update --name contoso --resource-group rg-contoso --sku Premium",)
    # The scheduled purge is the alternative to upgrading, not part of the fix.
    assert [r.label for r in f.fix.related] == ["alternative"]
    assert related(f.fix, "alternative").commands == (
        "az acr task create --name acrdoctor-purge-untagged --registry contoso --resource-group rg-contoso "
        "--cmd \"acr purge --filter '.*:.*' --ago 14d --untagged-only\" --schedule '0 1 * * *' "
        "--context /dev/null",
    )
    assert f.details == {"sku": "Standard", "retention_days": 14}


def test_enabled_together_with_soft_delete_is_reported_with_disable_soft_delete_fix() -> None:
    b = premium(days=3, soft_delete_policy=Policy("enabled", 30))
    result = run_check(SLUG, b.build())
    (f,) = result.findings
    assert f.severity is Severity.MEDIUM
    assert "soft delete (30 days)" in f.message and "retention policy (3 days)" in f.message
    assert f.fix is not None
    assert f.fix.commands == (
        "az acr config soft-delete update --registry contoso --status disabled",
    )
    assert [r.label for r in f.fix.related] == ["alternative"]
    assert related(f.fix, "alternative").commands == (
        "az acr config retention update --registry contoso --resource-group rg-contoso --status disabled "
        "--days 3 --type UntaggedManifests",
    )


def test_standard_with_soft_delete_gives_both_setting_findings() -> None:
    b = SnapshotBuilder(sku="Basic", retention_policy=Policy("enabled", 7), soft_delete_policy=Policy("enabled", 7))
    findings = run_check(SLUG, b.build()).findings
    assert [f.details.get("sku", "soft") for f in findings] == ["Basic", "soft"]


def test_old_untagged_oci_manifests_are_counted_with_exclusive_bytes() -> None:
    b = premium(days=7)
    app = b.repository("team/app")
    app.image(tags=["v2"], layers=[("base", 5000), ("app-v2", 300)])
    # Old OCI leftovers: one shares the base layer with the tagged image, so only its own bytes count.
    app.image(media_type=OCI_MANIFEST, age_days=30, layers=[("base", 5000), ("app-v1", 700)], config=("c1", 10))
    app.index(["sha256:" + "0" * 64], media_type=OCI_INDEX, age_days=30)
    # Young leftovers and referrers are not the policy's failure.
    app.image(media_type=OCI_MANIFEST, age_days=2, layers=[("young", 50)])
    b.repository("web").image(media_type=OCI_MANIFEST, age_days=10, layers=[("web-old", 2000)], config=("c2", 20))
    result = run_check(SLUG, b.build())
    (f,) = result.findings
    assert f.resource.kind is ResourceKind.REGISTRY
    assert f.message.startswith("3 untagged manifests with OCI media types")
    assert "2 repositories" in f.message
    assert f.details["manifests"] == 3
    assert f.details["freed_bytes"] == 700 + 10 + 2000 + 20
    assert f.details["bytes_exact"] is True
    assert f.details["repositories"] == {"team/app": 2, "web": 1}
    assert f.details["media_types"] == {OCI_INDEX: 1, OCI_MANIFEST: 2}
    assert "2.7 KiB" in f.message and "at least" not in f.message
    assert f.fix is not None
    assert f.fix.commands == (
        "az acr run --registry contoso --resource-group rg-contoso --cmd \"acr purge --filter 'team/app:.*' "
        "--filter 'web:.*' --ago 7d --untagged-only\" /dev/null",
    )
    # The retention policy never handles OCI media types, so a scheduled purge is what prevents new ones.
    assert [r.label for r in f.fix.related] == ["prevent"]
    assert related(f.fix, "prevent").commands == (
        "az acr task create --name acrdoctor-purge-untagged --registry contoso --resource-group rg-contoso "
        "--cmd \"acr purge --filter '.*:.*' --ago 7d --untagged-only\" --schedule '0 1 * * *' "
        "--context /dev/null",
    )


def test_old_untagged_docker_manifests_and_locked_ones_are_explained() -> None:
    b = premium(days=0)
    repo = b.repository("api")
    repo.image(tags=["latest"], layers=[("api-base", 4000)])
    repo.image(age_days=1, layers=[("api-base", 4000), ("api-old", 600)], config=("cfg-old", 40))
    pinned = repo.image(age_days=3, layers=[("api-pinned", 900)], config=("cfg-pin", 100),
                        attributes=locked(write=True)).digest
    result = run_check(SLUG, b.build())
    (f,) = result.findings
    assert f.details["manifests"] == 2
    assert f.details["unlocked"] == 1 and f.details["locked"] == 1
    assert f.details["freed_bytes"] == 600 + 40 + 900 + 100
    assert f.details["locked_bytes"] == 1000
    assert "untagged before the policy was enabled" in f.message and "1 locked" in f.message
    assert f.fix is not None
    # The purge covers only the unlocked one; the locked one gets an unlock example, not an action.
    assert f.fix.commands == (
        "az acr run --registry contoso --resource-group rg-contoso --cmd \"acr purge --filter 'api:.*' "
        "--ago 0d --untagged-only\" /dev/null",
    )
    assert any("acr purge skips locked manifests" in n for n in f.fix.notes)
    assert [r.label for r in f.fix.related] == ["unlock"]
    assert related(f.fix, "unlock").commands == (
        f"az acr repository update --name contoso --image api@{pinned} --delete-enabled true --write-enabled true",
        f"az acr repository delete --name contoso --image api@{pinned} --yes",
    )


def test_only_locked_leftovers_offer_no_automatic_action() -> None:
    b = premium(days=7)
    b.repository("api").image(age_days=30, attributes=locked(write=True, delete=False))
    (f,) = run_check(SLUG, b.build()).findings
    assert f.details["locked"] == 1 and f.details["unlocked"] == 0
    assert f.fix is not None and f.fix.commands == ()


def test_premium_with_nothing_left_behind_passes() -> None:
    b = premium(days=7)
    repo = b.repository("app")
    signed = repo.image(tags=["v1"])
    repo.referrer(signed)
    child = repo.image(architecture="arm64")
    repo.index([child], tags=["multi"])
    repo.image(age_days=3)  # untagged, but younger than the policy's 7 days
    repo.image(media_type=OCI_MANIFEST, age_days=6)
    assert run_check(SLUG, b.build()).status is Status.PASSED


def test_many_repositories_use_one_registry_wide_filter() -> None:
    b = premium(days=7)
    for i in range(12):
        b.repository(f"svc{i}").image(age_days=20)
    (f,) = run_check(SLUG, b.build()).findings
    assert f.details["manifests"] == 12
    assert f.fix is not None
    assert f.fix.commands == (
        "az acr run --registry contoso --resource-group rg-contoso --cmd \"acr purge --filter '.*:.*' --ago 7d "
        "--untagged-only\" /dev/null",
    )


def test_missing_bodies_make_bytes_a_lower_bound() -> None:
    b = premium(days=7)
    repo = b.repository("app")
    repo.image(age_days=20, layers=[("a", 100)], config=("ca", 1))
    repo.image(age_days=20, body=False)
    (f,) = run_check(SLUG, b.build()).findings
    assert f.details["bytes_exact"] is False and f.details["freed_bytes"] == 101
    assert "at least 101 B" in f.message


def test_without_collection_time_the_newest_manifest_is_the_clock() -> None:
    b = premium(days=7)
    repo = b.repository("app")
    repo.image(tags=["new"], age_days=0)
    repo.image(age_days=8)
    repo.image(age_days=6)
    snap = replace(b.build(), collected_at=None)
    (f,) = run_check(SLUG, snap).findings
    assert f.details["manifests"] == 1


def test_without_manifest_listings_only_settings_are_judged() -> None:
    b = premium(days=7)
    b.repository("app", manifests=False, tags=False)
    snap = b.build()
    assert not snap.has(Part.MANIFESTS)
    assert run_check(SLUG, snap).status is Status.PASSED
    b2 = SnapshotBuilder(sku="Standard", retention_policy=Policy("enabled", 7))
    b2.repository("app", manifests=False, tags=False)
    assert run_check(SLUG, b2.build()).status is Status.FAILED


def test_unknown_policy_settings_pass() -> None:
    b = SnapshotBuilder(sku="Premium", retention_policy=None)
    b.repository("app").image(age_days=90)
    assert run_check(SLUG, b.build()).status is Status.PASSED


def test_purge_filter_escapes_regex_characters() -> None:
    assert purge_filter("team.a/app_1-x") == r"team\.a/app_1-x:.*"


def test_policy_date_splits_leftovers_untagged_before_it_from_overdue_ones() -> None:
    b = SnapshotBuilder(sku="Premium", retention_policy=Policy("enabled", 7, updated="2026-11-10T09:00:00Z"))
    repo = b.repository("api")
    repo.image(tags=["latest"], layers=[("api-base", 4000)])
    repo.image(age_days=20, layers=[("before-old", 300)], config=("c-a", 1))   # before the date, old
    repo.image(age_days=12, layers=[("before-young", 200)], config=("c-b", 1))  # before the date, past 7 days
    repo.image(age_days=9, layers=[("after-overdue", 100)], config=("c-c", 1))  # after the date, past 7 days
    repo.image(age_days=3, layers=[("after-young", 50)], config=("c-d", 1))     # after the date, young: not counted
    (f,) = run_check(SLUG, b.build()).findings
    assert f.details["manifests"] == 3
    assert f.details["before_policy"] == 2 and f.details["before_policy_bytes"] == 502
    assert f.details["policy_updated"] == "2026-11-10T09:00:00+00:00"
    assert "2 untagged before the policy was enabled or last changed (2026-11-10 09:00 UTC" in f.message
    assert "1 untagged after that and older than 7 days" in f.message
    assert f.fix is not None and any("lastUpdatedTime changes with any update" in n for n in f.fix.notes)


def test_manifests_untagged_before_the_policy_count_even_when_young() -> None:
    b = SnapshotBuilder(sku="Premium", retention_policy=Policy("enabled", 7, updated="2026-11-19T09:00:00Z"))
    repo = b.repository("api")
    repo.image(tags=["latest"])
    repo.image(age_days=3, layers=[("young-before", 70)], config=("c-y", 1))  # 3 days old, policy enabled 1 day ago
    (f,) = run_check(SLUG, b.build()).findings
    assert f.details["before_policy"] == 1 and f.details["freed_bytes"] == 71
    assert "were last changed more than" not in f.message
    assert f.fix is not None
    # The purge's --ago reaches the 3-day-old leftover instead of the policy's 7 days.
    assert f.fix.commands == (
        "az acr run --registry contoso --resource-group rg-contoso --cmd \"acr purge --filter 'api:.*' --ago 3d "
        "--untagged-only\" /dev/null",
    )


def test_without_the_policy_date_young_leftovers_still_pass() -> None:
    b = premium(days=7)
    b.repository("api").image(age_days=3)
    assert run_check(SLUG, b.build()).status is Status.PASSED
