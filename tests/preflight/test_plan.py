"""Plan evaluation on small builder snapshots: exact bytes, exact tags, exact blocked levels."""

from __future__ import annotations

from dataclasses import replace

import pytest

from acrdoctor.builder import SnapshotBuilder, locked
from acrdoctor.model import Attributes, Policy
from acrdoctor.preflight.inuse import InUse
from acrdoctor.preflight.model import (
    AzAction,
    AzRequest,
    Blocked,
    BlockLevel,
    BrokenIndex,
    ManifestRef,
    PlanWarning,
    PurgeRequest,
    Selection,
    TagRef,
)
from acrdoctor.preflight.plan import evaluate

AZ = AzRequest(AzAction.DELETE_IMAGE, "contoso")
PURGE = PurgeRequest(filters=((".*", ".*"),), raw="acr purge --filter '.*:.*' --ago 0d --untagged")


def delete_image(repo: str, digest: str, *named: str) -> Selection:
    return Selection(request=AZ, delete_manifests=(ManifestRef(repo, digest),),
                     named_tags=frozenset(TagRef(repo, t) for t in named))


def codes(plan) -> list[str]:
    return [w.code for w in plan.warnings]


def shared_registry(**registry):
    """app and api share a 1,000-byte base layer; app:v1 and app:latest are one manifest."""
    b = SnapshotBuilder(**registry)
    app = b.repository("app")
    v1 = app.image(["v1", "latest"], layers=[("base", 1000), ("app-1", 100)], config=("app-cfg-1", 10))
    v2 = app.image(["v2"], layers=[("base", 1000), ("app-2", 200)], config=("app-cfg-2", 20))
    api = b.repository("api")
    a1 = api.image(["v1"], layers=[("base", 1000), ("api-1", 300)], config=("api-cfg-1", 30))
    return b, v1, v2, a1


# -- delete by tag / digest -----------------------------------------------------------------------------------


def test_delete_by_tag_removes_the_manifest_and_every_tag_on_it() -> None:
    b, v1, _, _ = shared_registry()
    plan = evaluate(delete_image("app", v1.digest, "v1"), b.build())
    assert plan.delete_manifests == (ManifestRef("app", v1.digest),)
    assert plan.delete_tags == (TagRef("app", "v1"), TagRef("app", "latest"))
    assert plan.co_deleted_tags == (TagRef("app", "latest"),)
    assert "co-deleted-tags" in codes(plan)
    # Unique blobs: app-1 (100) + app-cfg-1 (10); base stays (used by app:v2 and api:v1).
    assert plan.reclaimable_bytes == 110
    assert plan.retained_shared_bytes == 1000
    assert plan.shared_holders == {"api": 1000, "app": 1000}
    assert plan.blocked == () and plan.safe
    assert plan.delete_requests == 1
    assert plan.emptied_repositories == () and plan.broken_indexes == () and plan.left_dangling == ()
    assert plan.bytes_exact


def test_layer_shared_only_with_deleted_manifests_is_freed() -> None:
    b, v1, v2, _ = shared_registry()
    sel = Selection(request=AZ, delete_manifests=(ManifestRef("app", v1.digest), ManifestRef("app", v2.digest)),
                    delete_repositories=("api",))
    plan = evaluate(sel, b.build())
    assert plan.reclaimable_bytes == 1000 + 100 + 10 + 200 + 20 + 300 + 30
    assert plan.retained_shared_bytes == 0 and plan.shared_holders == {}
    assert plan.delete_requests == 3


def test_delete_by_digest_of_untagged_manifest_and_duplicates_count_once() -> None:
    b = SnapshotBuilder()
    r = b.repository("app")
    old = r.image([], layers=[("old", 700)], config=("old-cfg", 7))
    r.image(["v2"], layers=[("new", 800)])
    ref = ManifestRef("app", old.digest)
    plan = evaluate(Selection(request=AZ, delete_manifests=(ref, ref)), b.build())
    assert plan.delete_manifests == (ref,) and plan.delete_tags == () and plan.co_deleted_tags == ()
    assert plan.reclaimable_bytes == 707
    assert plan.delete_requests == 1


def test_unknown_targets_are_warned_and_left_out() -> None:
    b, *_ = shared_registry()
    sel = Selection(request=AZ, delete_manifests=(ManifestRef("app", "sha256:" + "0" * 64),),
                    untag=(TagRef("app", "nope"),), delete_repositories=("ghost",))
    plan = evaluate(sel, b.build())
    assert plan.delete_manifests == () and plan.delete_requests == 0
    [w] = [w for w in plan.warnings if w.code == "not-found"]
    assert "ghost" in w.message and "app:nope" in w.message
    # When the selection already reports it (azmap), it is not said twice.
    already = PlanWarning("not-found", "ghost is not in the snapshot")
    plan = evaluate(replace(sel, warnings=(already,)), b.build())
    assert [w for w in plan.warnings if w.code == "not-found"] == [already]


# -- locks ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("attrs", [locked(), locked(write=True), locked(delete=True)])
def test_manifest_lock_blocks_manifest_delete(attrs: Attributes) -> None:
    b = SnapshotBuilder()
    r = b.repository("app")
    m = r.image(["v1"], attributes=attrs)
    r.image(["v2"])
    plan = evaluate(delete_image("app", m.digest, "v1"), b.build())
    assert plan.blocked == (Blocked(f"app@{m.digest}", plan.blocked[0].reason, BlockLevel.MANIFEST,
                                    "locked-artifacts"),)
    assert "405" in plan.blocked[0].reason
    assert plan.delete_manifests == () and plan.delete_tags == () and plan.reclaimable_bytes == 0
    assert not plan.safe


def test_repository_write_lock_blocks_image_delete_but_delete_lock_does_not() -> None:
    b = SnapshotBuilder()
    w = b.repository("w", locked(write=False, delete=True))
    wm = w.image(["v1"])
    w.image(["v2"])
    d = b.repository("d", locked(write=True, delete=False))
    dm = d.image(["v1"], layers=[("d-only", 50)], config=("d-cfg", 5))
    d.image(["v2"])
    sel = Selection(request=AZ, delete_manifests=(ManifestRef("w", wm.digest), ManifestRef("d", dm.digest)))
    plan = evaluate(sel, b.build())
    assert [(x.resource, x.level) for x in plan.blocked] == [(f"w@{wm.digest}", BlockLevel.REPOSITORY)]
    assert plan.delete_manifests == (ManifestRef("d", dm.digest),)
    assert plan.reclaimable_bytes == 55


@pytest.mark.parametrize("attrs", [locked(), locked(write=True), locked(delete=True)])
def test_repository_lock_blocks_repository_delete(attrs: Attributes) -> None:
    b = SnapshotBuilder()
    b.repository("app", attrs).image(["v1"])
    plan = evaluate(Selection(request=AZ, delete_repositories=("app",)), b.build())
    assert [(x.resource, x.level) for x in plan.blocked] == [("app", BlockLevel.REPOSITORY)]
    assert plan.delete_manifests == () and plan.delete_requests == 0


def test_locked_image_inside_blocks_repository_delete() -> None:
    b = SnapshotBuilder()
    r = b.repository("app")
    m = r.image(["v1"], attributes=locked())
    r.image(["v2"], tag_attributes={"v2": locked(write=True)})
    plan = evaluate(Selection(request=AZ, delete_repositories=("app",)), b.build())
    assert [(x.resource, x.level) for x in plan.blocked] == [
        (f"app@{m.digest}", BlockLevel.MANIFEST), ("app:v2", BlockLevel.TAG)]
    assert plan.delete_manifests == ()


def test_repository_delete_removes_everything_and_is_not_an_emptied_repository() -> None:
    b, v1, v2, _ = shared_registry()
    plan = evaluate(Selection(request=AZ, delete_repositories=("app",)), b.build())
    assert plan.delete_manifests == (ManifestRef("app", v1.digest), ManifestRef("app", v2.digest))
    assert set(plan.delete_tags) == {TagRef("app", t) for t in ("v1", "latest", "v2")}
    assert plan.co_deleted_tags == ()
    assert plan.emptied_repositories == ()
    assert plan.reclaimable_bytes == 100 + 10 + 200 + 20
    assert plan.retained_shared_bytes == 1000 and plan.shared_holders == {"api": 1000}
    assert plan.delete_requests == 1


# -- untag ------------------------------------------------------------------------------------------------


def test_untag_frees_nothing_and_last_tag_leaves_a_dangling_manifest() -> None:
    b, _, v2, _ = shared_registry()
    sel = Selection(request=AzRequest(AzAction.UNTAG, "contoso"), untag=(TagRef("app", "v2"),),
                    named_tags=frozenset({TagRef("app", "v2")}))
    plan = evaluate(sel, b.build())
    assert plan.delete_tags == (TagRef("app", "v2"),) and plan.delete_manifests == ()
    assert plan.co_deleted_tags == ()
    assert plan.reclaimable_bytes == 0 and plan.retained_shared_bytes == 0
    assert any("frees 0 bytes: untag is not delete" in n for n in plan.notes)
    assert "untag-frees-nothing" in codes(plan)
    assert plan.left_dangling == (ManifestRef("app", v2.digest),)
    assert "left-dangling" in codes(plan)
    assert plan.delete_requests == 1


def test_untag_one_of_two_tags_leaves_nothing_dangling() -> None:
    b, *_ = shared_registry()
    plan = evaluate(Selection(request=AZ, untag=(TagRef("app", "latest"),)), b.build())
    assert plan.delete_tags == (TagRef("app", "latest"),)
    assert plan.left_dangling == ()


def test_tag_lock_and_repository_write_lock_block_untag() -> None:
    b = SnapshotBuilder()
    r = b.repository("app")
    r.image(["v1", "v2"], tag_attributes={"v1": locked(write=True)})
    b.repository("ro", locked(write=False, delete=True)).image(["v1"])
    sel = Selection(request=AZ, untag=(TagRef("app", "v1"), TagRef("app", "v2"), TagRef("ro", "v1")))
    plan = evaluate(sel, b.build())
    assert [(x.resource, x.level) for x in plan.blocked] == [
        ("app:v1", BlockLevel.TAG), ("ro:v1", BlockLevel.REPOSITORY)]
    assert plan.delete_tags == (TagRef("app", "v2"),)


def test_manifest_lock_does_not_block_untag() -> None:
    b = SnapshotBuilder()
    b.repository("app").image(["v1", "v2"], attributes=locked())
    plan = evaluate(Selection(request=AZ, untag=(TagRef("app", "v2"),)), b.build())
    assert plan.blocked == () and plan.delete_tags == (TagRef("app", "v2"),)


# -- acr purge --------------------------------------------------------------------------------------------


def test_purge_skipped_are_carried_and_repository_write_lock_fails_with_405() -> None:
    b = SnapshotBuilder()
    ok = b.repository("ok")
    ok_old = ok.image([], layers=[("ok-old", 40)], config=("ok-cfg", 4))
    ok.image(["keep"])
    ro = b.repository("ro", locked(write=False, delete=True))
    ro_old = ro.image([])
    ro.image(["x"])
    ro.image(["keep"])
    skipped = Blocked("ok:release", "locked tag, skipped by acr purge", BlockLevel.TOOL)
    warn = PlanWarning("unanchored-tag-regex", "tag regex matches substrings")
    sel = Selection(request=PURGE, untag=(TagRef("ro", "x"),),
                    delete_manifests=(ManifestRef("ok", ok_old.digest), ManifestRef("ro", ro_old.digest)),
                    skipped=(skipped,), warnings=(warn,))
    plan = evaluate(sel, b.build())
    assert plan.blocked[0] == skipped
    assert [(x.resource, x.level) for x in plan.blocked[1:]] == [
        (f"ro@{ro_old.digest}", BlockLevel.REPOSITORY), ("ro:x", BlockLevel.REPOSITORY)]
    assert all("never reads repository locks" in x.reason and "405" in x.reason for x in plan.blocked[1:])
    assert plan.warnings[0] == warn
    assert plan.delete_manifests == (ManifestRef("ok", ok_old.digest),)
    assert plan.reclaimable_bytes == 44
    assert plan.delete_requests == 1


def test_purge_include_locked_unlocks_tag_and_manifest_locks_itself() -> None:
    b = SnapshotBuilder()
    r = b.repository("app")
    m = r.image([], attributes=locked(), layers=[("m", 10)], config=("m-cfg", 1))
    r.image(["t"], tag_attributes={"t": locked()})
    r.image(["keep"])
    sel = Selection(request=replace(PURGE, include_locked=True), untag=(TagRef("app", "t"),),
                    delete_manifests=(ManifestRef("app", m.digest),))
    plan = evaluate(sel, b.build())
    assert plan.blocked == ()
    assert plan.delete_manifests == (ManifestRef("app", m.digest),)
    assert plan.delete_tags == (TagRef("app", "t"),)
    assert plan.co_deleted_tags == ()
    assert plan.reclaimable_bytes == 11
    # Without --include-locked the same selection would be refused by the locks.
    plan = evaluate(replace(sel, request=PURGE), b.build())
    assert [x.level for x in plan.blocked] == [BlockLevel.MANIFEST, BlockLevel.TAG]


def test_purge_untagged_tags_are_not_co_deleted() -> None:
    b = SnapshotBuilder()
    r = b.repository("app")
    m = r.image(["a", "b"])
    r.image(["keep"])
    sel = Selection(request=PURGE, untag=(TagRef("app", "a"), TagRef("app", "b")),
                    delete_manifests=(ManifestRef("app", m.digest),))
    plan = evaluate(sel, b.build())
    assert plan.delete_tags == (TagRef("app", "a"), TagRef("app", "b"))
    assert plan.co_deleted_tags == ()
    assert plan.delete_requests == 3


# -- registry ---------------------------------------------------------------------------------------------


def test_registry_delete_blocked_by_each_private_endpoint_connection() -> None:
    b, *_ = shared_registry()
    b.private_endpoint("pe1")
    b.private_endpoint("pe2")
    plan = evaluate(Selection(request=AzRequest(AzAction.DELETE_REGISTRY, "contoso"), delete_registry=True),
                    b.build())
    assert [(x.resource, x.level) for x in plan.blocked] == [
        ("contoso.pe1", BlockLevel.REGISTRY), ("contoso.pe2", BlockLevel.REGISTRY)]
    assert plan.delete_manifests == () and plan.reclaimable_bytes == 0


def test_registry_delete_deletes_everything() -> None:
    b, *_ = shared_registry()
    b.no_private_endpoints()
    snap = b.build()
    plan = evaluate(Selection(request=AzRequest(AzAction.DELETE_REGISTRY, "contoso"), delete_registry=True), snap)
    assert plan.blocked == ()
    assert len(plan.delete_manifests) == 3 and len(plan.delete_tags) == 4
    assert plan.reclaimable_bytes == b.stored_bytes() == 1000 + 110 + 220 + 330
    assert plan.emptied_repositories == () and plan.co_deleted_tags == ()
    assert plan.delete_requests == 1 and plan.estimated_seconds == 0


def test_registry_delete_with_unknown_private_endpoints_warns() -> None:
    b, *_ = shared_registry()
    plan = evaluate(Selection(request=AZ, delete_registry=True), b.build())
    assert "private-endpoints-unknown" in codes(plan)


# -- referrers, indexes, dangling, emptied ----------------------------------------------------------------------


def test_referrers_go_with_their_subject_recursively_and_are_not_counted() -> None:
    b = SnapshotBuilder()
    r = b.repository("app")
    img = r.image(["v1"], layers=[("img", 100)], config=("img-cfg", 10))
    sig = r.referrer(img, "signature", 80)
    sbom = r.referrer(img, "sbom", 60)
    sbom_sig = r.referrer(sbom, "sbom-signature", 40)
    r.image(["v2"])
    plan = evaluate(delete_image("app", img.digest, "v1"), b.build())
    assert set(plan.cascaded_referrers) == {ManifestRef("app", d) for d in (sig.digest, sbom.digest, sbom_sig.digest)}
    assert plan.delete_manifests[0] == ManifestRef("app", img.digest)
    assert set(plan.delete_manifests) == {ManifestRef("app", img.digest), *plan.cascaded_referrers}
    # 110 for the image, each referrer its own layer, and the shared 2-byte configs of the referrers
    # (signature-config, sbom-config, sbom-signature-config).
    assert plan.reclaimable_bytes == 110 + 80 + 60 + 40 + 2 + 2 + 2
    assert plan.delete_requests == 1
    assert plan.left_dangling == ()


def test_deleting_a_platform_manifest_breaks_the_index_that_stays() -> None:
    b = SnapshotBuilder()
    r = b.repository("app")
    amd = r.image([], layers=[("amd", 100)], config=("amd-cfg", 1), architecture="amd64")
    arm = r.image([], layers=[("arm", 200)], config=("arm-cfg", 2), architecture="arm64")
    idx = r.index([amd, arm], ["v1", "stable"])
    plan = evaluate(Selection(request=AZ, delete_manifests=(ManifestRef("app", arm.digest),)), b.build())
    assert plan.broken_indexes == (BrokenIndex(ManifestRef("app", idx.digest), ("v1", "stable"), (arm.digest,)),)
    assert "breaks-index" in codes(plan)
    assert plan.reclaimable_bytes == 202


def test_deleting_an_index_leaves_its_children_dangling_and_stored() -> None:
    b = SnapshotBuilder()
    r = b.repository("app")
    amd = r.image([], layers=[("amd", 100)], config=("amd-cfg", 1))
    arm = r.image([], layers=[("arm", 200)], config=("arm-cfg", 2))
    idx = r.index([amd, arm], ["v1"])
    r.image(["v2"])
    plan = evaluate(delete_image("app", idx.digest, "v1"), b.build())
    assert plan.delete_manifests == (ManifestRef("app", idx.digest),)
    assert plan.left_dangling == (ManifestRef("app", amd.digest), ManifestRef("app", arm.digest))
    [w] = [w for w in plan.warnings if w.code == "left-dangling"]
    assert "not freed" in w.message
    assert plan.reclaimable_bytes == 0  # an index holds no layers; its children stay
    assert plan.emptied_repositories == ()


def test_repository_left_empty_is_reported_with_the_name_unknown_trap() -> None:
    b = SnapshotBuilder()
    r = b.repository("app")
    m1 = r.image(["v1"])
    m2 = r.image([])
    b.repository("other").image(["v1"])
    sel = Selection(request=AZ, delete_manifests=(ManifestRef("app", m1.digest), ManifestRef("app", m2.digest)))
    plan = evaluate(sel, b.build())
    assert plan.emptied_repositories == ("app",)
    [w] = [w for w in plan.warnings if w.code == "emptied-repository"]
    assert "NAME_UNKNOWN" in w.message and "az acr repository delete" in w.message
    assert plan.left_dangling == () and plan.broken_indexes == ()


# -- in use -----------------------------------------------------------------------------------------------------


def test_in_use_images_are_blocked_and_not_deleted() -> None:
    b = SnapshotBuilder()
    r = b.repository("app")
    v1 = r.image(["v1"])
    v2 = r.image(["v2", "latest"])
    amd = r.image([])
    idx = r.index([amd], ["multi"])
    old = r.image([], layers=[("old", 5)], config=("old-cfg", 1))
    in_use = InUse.parse(f"contoso.azurecr.io/app:latest\ncontoso.azurecr.io/app@{v1.digest}\napp:multi\n"
                         "docker.io/library/nginx:1\n", "contoso.azurecr.io")
    sel = Selection(request=AZ, delete_manifests=tuple(ManifestRef("app", m.digest)
                                                       for m in (v1, v2, amd, old)),
                    untag=(TagRef("app", "multi"),))
    plan = evaluate(sel, b.build(), in_use=in_use)
    assert [(x.resource, x.level) for x in plan.blocked] == [
        (f"app@{v1.digest}", BlockLevel.IN_USE),
        (f"app@{v2.digest}", BlockLevel.IN_USE),  # in use through its other tag, app:latest
        (f"app@{amd.digest}", BlockLevel.IN_USE),  # a child of the in-use index app:multi
        ("app:multi", BlockLevel.IN_USE),
    ]
    assert "line 2" in plan.blocked[0].reason
    assert plan.delete_manifests == (ManifestRef("app", old.digest),)
    assert plan.reclaimable_bytes == 6
    assert any("1 in-use reference to other registries" in n for n in plan.notes)
    assert idx.digest not in {m.digest for m in plan.delete_manifests}


def test_in_use_blocks_repository_delete() -> None:
    b = SnapshotBuilder()
    b.repository("app").image(["v1"])
    plan = evaluate(Selection(request=AZ, delete_repositories=("app",)), b.build(),
                    in_use=InUse.parse("app:v1", "contoso.azurecr.io"))
    assert [(x.resource, x.level) for x in plan.blocked] == [("app", BlockLevel.IN_USE)]
    assert plan.delete_manifests == ()


# -- notes, estimates, exactness ---------------------------------------------------------------------------------


def test_notes_soft_delete_async_reclaim_and_geo_replication() -> None:
    b, v1, *_ = shared_registry(soft_delete_policy=Policy("enabled", 30))
    b.replication("westeurope")
    b.replication("eastus")
    plan = evaluate(delete_image("app", v1.digest, "v1"), b.build())
    text = "\n".join(plan.notes)
    assert "Soft delete is enabled" in text and "billed for up to 30 days" in text
    assert "at once" not in text  # soft-deleted data stays billed: no note may say billing stops
    # westeurope is the home region, listed by ARM as a replication too: two regions, as diagnose counts them
    assert "geo-replicated (2 regions: eastus, westeurope)" in text


def test_no_soft_delete_note_when_disabled() -> None:
    b, v1, *_ = shared_registry()
    plan = evaluate(delete_image("app", v1.digest, "v1"), b.build())
    assert not any("Soft delete" in n for n in plan.notes)
    assert not any("geo-replicated" in n for n in plan.notes)


@pytest.mark.parametrize(("sku", "per_minute"), [("Basic", 500), ("Standard", 500), ("Premium", 2000), (None, 500)])
def test_estimate_at_documented_per_identity_delete_rate(sku: str | None, per_minute: int) -> None:
    b = SnapshotBuilder(sku=sku)
    r = b.repository("app")
    ms = [r.image([]) for _ in range(10)]
    r.image(["keep"])
    sel = Selection(request=PURGE, delete_manifests=tuple(ManifestRef("app", m.digest) for m in ms))
    plan = evaluate(sel, b.build())
    assert plan.delete_requests == 10
    assert plan.estimated_seconds == pytest.approx(10 * 60 / per_minute)


def test_bytes_not_exact_when_bodies_are_missing() -> None:
    b = SnapshotBuilder()
    r = b.repository("app")
    m = r.image(["v1"], layers=[("x", 10)], config=("x-cfg", 1))
    r.image(["v2"], body=False)
    plan = evaluate(delete_image("app", m.digest, "v1"), b.build())
    assert not plan.bytes_exact
    assert plan.reclaimable_bytes == 11
    assert any("lower bounds" in n for n in plan.notes)


def test_locked_referrer_goes_with_its_subject_and_is_not_reported_blocked() -> None:
    b = SnapshotBuilder()
    r = b.repository("app")
    img = r.image(["v1"])
    sig = r.referrer(img, "signature")
    r.image(["v2"])
    snap = b.build()
    sig_locked = replace(snap.repositories[0].manifest_by_digest()[sig.digest], attributes=locked())
    repo = replace(snap.repositories[0], manifests=tuple(
        sig_locked if m.digest == sig.digest else m for m in snap.repositories[0].manifests))
    snap = replace(snap, repositories=(repo,))
    sel = Selection(request=AZ, delete_manifests=(ManifestRef("app", sig.digest), ManifestRef("app", img.digest)))
    plan = evaluate(sel, snap)
    # The direct delete of the locked signature is refused, but it goes server-side with its subject.
    assert plan.cascaded_referrers == (ManifestRef("app", sig.digest),)
    assert plan.blocked == ()
    assert {"locked-referrer", "blocked-but-cascaded"} <= set(codes(plan))
    assert plan.delete_requests == 1


def test_storage_index_may_be_passed_in() -> None:
    from acrdoctor.storage import StorageIndex

    b, v1, *_ = shared_registry()
    snap = b.build()
    assert evaluate(delete_image("app", v1.digest), snap, storage=StorageIndex(snap)).reclaimable_bytes == 110
