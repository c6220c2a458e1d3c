from __future__ import annotations

from dataclasses import replace

from acrdoctor.builder import DOCKER_LIST, SnapshotBuilder, locked
from acrdoctor.check_api import ResourceKind, Severity, Status
from acrdoctor.model import Part
from tests.conftest import run_check

SLUG = "broken-index-references"
GONE = "sha256:" + "d" * 64
GONE2 = "sha256:" + "e" * 64


def test_tagged_index_with_a_deleted_platform_is_high(builder: SnapshotBuilder) -> None:
    repo = builder.repository("web")
    amd = repo.image(architecture="amd64")
    index = repo.index([amd, GONE], tags=["v1", "latest"])
    result = run_check(SLUG, builder.build())
    assert result.status is Status.FAILED
    (f,) = result.findings
    assert f.severity is Severity.HIGH
    assert f.resource.kind is ResourceKind.MANIFEST
    assert f.resource.name == f"web@{index.digest}"
    assert f.message.startswith("index pulled by tags latest, v1 lists 1 child manifest")
    assert GONE in f.message and "MANIFEST_UNKNOWN" in f.message and "still serves linux/amd64" in f.message
    assert index.digest not in f.message
    assert f.details["missing_children"] == [GONE]
    assert f.details["present_platforms"] == ["linux/amd64"]
    assert f.details["children"] == 2
    assert f.fix is not None
    # the index, then its one present child, which nothing else lists and no tag names (it would stay dangling)
    assert f.fix.commands == (f"az acr repository delete --name contoso --image web@{index.digest} --yes",
                              f"az acr repository delete --name contoso --image web@{amd.digest} --yes")
    assert f.details["children_left_behind"] == [amd.digest]
    assert any("az acr import" in n for n in f.fix.notes)
    assert any(f"show-metadata --registry contoso --name web@{GONE}" in n for n in f.fix.notes)


def test_children_that_stay_reachable_or_locked_are_not_deleted_with_the_broken_index(
        builder: SnapshotBuilder) -> None:
    repo = builder.repository("web")
    tagged = repo.image(architecture="amd64", tags=["amd64-1"])
    shared = repo.image(architecture="arm64")
    pinned = repo.image(architecture="s390x", attributes=locked(delete=False))
    alone = repo.image(architecture="ppc64le")
    broken = repo.index([tagged, shared, pinned, alone, GONE], tags=["v1"])
    repo.index([shared], tags=["arm-only"])
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.details["children_left_behind"] == [alone.digest]
    assert f.fix is not None
    assert [c.split("@")[1].split()[0] for c in f.fix.commands] == [broken.digest, alone.digest]


def test_nested_index_is_named_with_the_tag_of_its_parent(builder: SnapshotBuilder) -> None:
    repo = builder.repository("tools")
    inner = repo.index([GONE, GONE2], media_type=DOCKER_LIST)
    outer = repo.index([inner], tags=["stable"])
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.resource.name == f"tools@{inner.digest}"
    assert "tag stable lists 2 child manifests" in f.message and "none of its children is left" in f.message
    assert f.details["tags"] == ["stable"]
    assert outer.digest != inner.digest


def test_untagged_broken_index_is_not_reported(builder: SnapshotBuilder) -> None:
    repo = builder.repository("web")
    amd = repo.image(architecture="amd64")
    repo.index([amd, GONE])
    repo.index([amd], tags=["v2"])
    assert run_check(SLUG, builder.build()).status is Status.PASSED


def test_children_left_by_a_deleted_index_are_likely_orphans(builder: SnapshotBuilder) -> None:
    repo = builder.repository("svc")
    amd = repo.image(architecture="amd64", layers=[("base-amd64", 4000), ("svc-v2-amd64", 100)])
    arm = repo.image(architecture="arm64", layers=[("base-arm64", 4000), ("svc-v2-arm64", 100)])
    repo.index([amd, arm], tags=["v2"])
    old_amd = repo.image(architecture="amd64", layers=[("base-amd64", 4000), ("svc-v1-amd64", 300)],
                         config=("cfg-v1-amd64", 10))
    old_arm = repo.image(architecture="arm64", layers=[("svc-v1-arm64", 700)], config=("cfg-v1-arm64", 20))
    repo.image(architecture="arm64", attributes=locked())  # pinned on purpose: not proposed
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.severity is Severity.LOW
    assert f.resource.kind is ResourceKind.REPOSITORY and f.resource.name == "svc"
    assert f.message.startswith("2 untagged single-platform manifests (linux/amd64 ×1, linux/arm64 ×1)")
    assert "likely" in f.message
    assert f.details["digests"] == [old_amd.digest, old_arm.digest]
    assert f.details["freed_bytes"] == 300 + 10 + 700 + 20
    assert f.fix is not None
    assert f.fix.commands == (
        f"az acr repository delete --name contoso --image svc@{old_amd.digest} --yes",
        f"az acr repository delete --name contoso --image svc@{old_arm.digest} --yes",
    )


def test_several_platforms_without_any_index_still_count_as_multi_arch(builder: SnapshotBuilder) -> None:
    repo = builder.repository("svc")
    repo.image(architecture="amd64")
    repo.image(architecture="arm64")
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.details["manifests"] == 2


def test_single_arch_repository_with_old_untagged_images_passes(builder: SnapshotBuilder) -> None:
    repo = builder.repository("api")
    repo.image(tags=["v2"])
    repo.image()  # superseded by a re-push: dangling, but not a multi-arch orphan
    assert run_check(SLUG, builder.build()).status is Status.PASSED


def test_referrers_without_subject_are_orphans_deleted_deepest_first(builder: SnapshotBuilder) -> None:
    repo = builder.repository("app")
    repo.image(tags=["v1"])
    sbom = repo.referrer(GONE, name="sbom", size=3000)
    sbom_sig = repo.referrer(sbom, name="sbom-signature", size=200)
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.severity is Severity.LOW
    assert f.resource.name == "app"
    assert f.message.startswith("2 referrers") and "1 missing subject" in f.message
    assert f.details["referrers"] == [sbom_sig.digest, sbom.digest]
    assert f.details["missing_subjects"] == [GONE]
    # Blobs: each referrer's own layer plus one 2-byte config per artifact name.
    assert f.details["freed_bytes"] == 3000 + 200 + 2 + 2
    assert f.fix is not None
    assert f.fix.commands == (
        f"az acr repository delete --name contoso --image app@{sbom_sig.digest} --yes",
        f"az acr repository delete --name contoso --image app@{sbom.digest} --yes",
    )


def test_locked_orphan_referrer_is_unlocked_before_delete(builder: SnapshotBuilder) -> None:
    repo = builder.repository("app")
    sig = repo.referrer(GONE)
    repo.manifests[-1] = replace(sig, attributes=locked())
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.details["locked"] == 1
    assert f.fix is not None
    assert f.fix.commands == (
        f"az acr repository update --name contoso --image app@{sig.digest} --delete-enabled true "
        "--write-enabled true",
        f"az acr repository delete --name contoso --image app@{sig.digest} --yes",
    )


def test_complete_indexes_and_attached_referrers_pass(builder: SnapshotBuilder) -> None:
    repo = builder.repository("web")
    amd = repo.image(architecture="amd64")
    arm = repo.image(architecture="arm64")
    index = repo.index([amd, arm], tags=["v1"])
    repo.referrer(index, name="signature")
    sbom = repo.referrer(amd, name="sbom")
    repo.referrer(sbom, name="sbom-signature")
    assert run_check(SLUG, builder.build()).status is Status.PASSED
    # A repository whose listings were not collected could hold a broken index: not a pass.
    builder.repository("other", manifests=False, tags=False)
    result = run_check(SLUG, builder.build())
    assert result.status is Status.INCOMPLETE
    assert [(g.part, g.repositories) for g in result.gaps] == [(Part.MANIFESTS, ("other",)), (Part.TAGS, ("other",))]


def test_bytes_are_a_lower_bound_when_bodies_are_missing(builder: SnapshotBuilder) -> None:
    repo = builder.repository("svc")
    repo.image(architecture="amd64", layers=[("x", 100)], config=("cx", 1))
    repo.image(architecture="arm64", body=False)
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.details["bytes_exact"] is False and f.details["freed_bytes"] == 101
    assert f.message.endswith("frees at least 101 B")


def test_skipped_without_manifest_listings(builder: SnapshotBuilder) -> None:
    builder.repository("web", manifests=False)
    result = run_check(SLUG, builder.build())
    assert result.status is Status.SKIPPED
    assert "manifest listings" in (result.reason or "")


def test_platforms_pushed_far_apart_are_not_one_deleted_index(builder: SnapshotBuilder) -> None:
    repo = builder.repository("svc")
    repo.image(architecture="amd64", age_days=30)
    repo.image(architecture="arm64", age_days=10)  # twenty days later: two separate single-arch pushes
    assert run_check(SLUG, builder.build()).status is Status.PASSED


def test_repushed_single_platform_images_next_to_an_index_are_not_orphans(builder: SnapshotBuilder) -> None:
    repo = builder.repository("web")
    amd = repo.image(architecture="amd64", layers=[("web-v2-amd64", 100)])
    arm = repo.image(architecture="arm64", layers=[("web-v2-arm64", 100)])
    repo.index([amd, arm], tags=["v2"])
    repo.image(architecture="amd64", layers=[("web-tmp-1", 50)], age_days=40)
    repo.image(architecture="amd64", layers=[("web-tmp-2", 50)], age_days=40)  # same platform only
    assert run_check(SLUG, builder.build()).status is Status.PASSED
