"""acr purge selection: each rule of acr-cli @ cfbb835 (notes acr-semantics §2.2-2.3), both sides, and every warning."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from acrdoctor.builder import DOCKER_LIST, OCI_INDEX, OCI_MANIFEST, SnapshotBuilder, iso, locked
from acrdoctor.errors import InputError
from acrdoctor.model import Snapshot
from acrdoctor.preflight.commands import parse_command
from acrdoctor.preflight.model import BlockLevel, ManifestRef, PurgeRequest, Selection, TagRef
from acrdoctor.preflight.purge import select_purge


def run(cmd: str, snapshot: Snapshot, **kw: object) -> Selection:
    req = parse_command(cmd)
    assert isinstance(req, PurgeRequest)
    return select_purge(req, snapshot, **kw)  # type: ignore[arg-type]


def tags(sel: Selection) -> list[str]:
    return [str(t) for t in sel.untag]


def digests(sel: Selection) -> set[str]:
    return {m.digest for m in sel.delete_manifests}


def codes(sel: Selection) -> set[str]:
    return {w.code for w in sel.warnings}


def warning(sel: Selection, code: str) -> str:
    (w,) = [w for w in sel.warnings if w.code == code]
    return w.message


@pytest.fixture
def b() -> SnapshotBuilder:
    return SnapshotBuilder()


# -- repository part -----------------------------------------------------------------------------------------


def test_repository_part_is_anchored_full_match(b: SnapshotBuilder) -> None:
    for name in ("app", "app-old", "myapp", "team/app"):
        b.repository(name).image(["v1"], age_days=30)
    sel = run("acr purge --filter app:v1 --ago 1d", b.build())
    assert tags(sel) == ["app:v1"]
    sel = run("acr purge --filter 'app.*:v1' --ago 1d", b.build())
    assert tags(sel) == ["app:v1", "app-old:v1"]


def test_repository_alternation_splits_the_anchors(b: SnapshotBuilder) -> None:
    # "^" + "a|b" + "$" is ^a|b$: prefix a OR suffix b.
    for name in ("a", "b", "abc", "xb", "xa"):
        b.repository(name).image(["v1"], age_days=30)
    sel = run("acr purge --filter 'a|b:v1' --ago 1d", b.build())
    assert tags(sel) == ["a:v1", "abc:v1", "b:v1", "xb:v1"]
    assert "abc" in warning(sel, "repository-alternation")
    grouped = run("acr purge --filter '(a|b):v1' --ago 1d", b.build())
    assert tags(grouped) == ["a:v1", "b:v1"]
    assert "repository-alternation" not in codes(grouped)


def test_several_filters_on_one_repository_are_or_joined(b: SnapshotBuilder) -> None:
    r = b.repository("app")
    for t in ("dev-1", "rc-1", "release-1"):
        r.image([t], age_days=30)
    sel = run("acr purge --filter 'app:^dev' --filter 'app:^rc' --ago 1d", b.build())
    assert sorted(tags(sel)) == ["app:dev-1", "app:rc-1"]


# -- tag phase -----------------------------------------------------------------------------------------------


def test_tag_regex_is_unanchored_substring(b: SnapshotBuilder) -> None:
    r = b.repository("app")
    for t in ("v1", "v10", "dev1", "v2"):
        r.image([t], age_days=30)
    sel = run("acr purge --filter app:v1 --ago 1d", b.build())
    assert sorted(tags(sel)) == ["app:dev1", "app:v1", "app:v10"]
    anchored = run("acr purge --filter 'app:^v1$' --ago 1d", b.build())
    assert tags(anchored) == ["app:v1"]


def test_age_uses_last_update_time_strictly_before_cutoff(b: SnapshotBuilder) -> None:
    r = b.repository("app")
    r.image(["old"], age_days=2)
    r.image(["exact"], age_days=1)  # lastUpdateTime == now - ago: not before, so kept
    r.image(["new"], age_days=0.5)
    sel = run("acr purge --filter 'app:.*' --ago 1d", b.build())
    assert tags(sel) == ["app:old"]


def test_tag_age_reads_last_update_not_created(b: SnapshotBuilder) -> None:
    r = b.repository("app")
    r.image(["rebuilt"], age_days=30)
    snap = b.build()
    repo = snap.repositories[0]  # type: ignore[index]
    fresh = iso(b.now - timedelta(hours=1))
    repo = replace(repo, tags=tuple(replace(t, updated=fresh) for t in repo.tags or ()))
    snap = replace(snap, repositories=(repo,))
    assert tags(run("acr purge --filter 'app:.*' --ago 1d", snap)) == []


def test_now_defaults_to_collected_at_and_can_be_given(b: SnapshotBuilder) -> None:
    b.repository("app").image(["v1"], age_days=3)
    snap = b.build()
    assert tags(run("acr purge --filter 'app:.*' --ago 5d", snap)) == []
    assert tags(run("acr purge --filter 'app:.*' --ago 5d", snap, now=b.now + timedelta(days=3))) == ["app:v1"]


def test_go_duration_ago(b: SnapshotBuilder) -> None:
    r = b.repository("app")
    r.image(["a"], age_days=2 / 24)  # 2 h
    r.image(["b"], age_days=1 / 24)  # 1 h
    assert tags(run("acr purge --filter 'app:.*' --ago 1h30m", b.build())) == ["app:a"]


def test_locked_tags_skipped_silently_unless_include_locked(b: SnapshotBuilder) -> None:
    r = b.repository("app")
    r.image(["write-locked"], age_days=30, tag_attributes={"write-locked": locked(write=False, delete=True)})
    r.image(["delete-locked"], age_days=20, tag_attributes={"delete-locked": locked(write=True, delete=False)})
    r.image(["free"], age_days=10)
    sel = run("acr purge --filter 'app:.*' --ago 1d", b.build())
    assert tags(sel) == ["app:free"]
    assert {s.resource for s in sel.skipped} == {"app:write-locked", "app:delete-locked"}
    assert all(s.level is BlockLevel.TOOL and "silently" in s.reason for s in sel.skipped)
    forced = run("acr purge --filter 'app:.*' --ago 1d --include-locked", b.build())
    assert tags(forced) == ["app:free", "app:delete-locked", "app:write-locked"]
    assert forced.skipped == ()


def test_locked_tag_not_matching_is_not_reported(b: SnapshotBuilder) -> None:
    b.repository("app").image(["keepme"], age_days=30, tag_attributes={"keepme": locked()})
    assert run("acr purge --filter app:other --ago 1d", b.build()).skipped == ()


def test_repository_lock_is_not_read_by_purge(b: SnapshotBuilder) -> None:
    b.repository("app", attributes=locked()).image(["v1"], age_days=30)
    sel = run("acr purge --filter 'app:.*' --ago 1d", b.build())
    assert tags(sel) == ["app:v1"] and sel.skipped == ()


def test_keep_skips_newest_eligible_tags(b: SnapshotBuilder) -> None:
    r = b.repository("app")
    r.image(["newest-locked"], age_days=5, tag_attributes={"newest-locked": locked()})
    r.image(["too-new"], age_days=0.1)
    for i, age in enumerate((10, 20, 30, 40)):
        r.image([f"t{i}"], age_days=age)
    sel = run("acr purge --filter 'app:.*' --ago 1d --keep 2", b.build())
    # Kept: t0, t1 (newest *eligible*); the locked and too-new tags don't count towards --keep.
    assert tags(sel) == ["app:t2", "app:t3"]
    assert tags(run("acr purge --filter 'app:.*' --ago 1d --keep 0", b.build())) == ["app:t0", "app:t1", "app:t2",
                                                                                    "app:t3"]
    assert tags(run("acr purge --filter 'app:.*' --ago 1d --keep 9", b.build())) == []


def test_keep_is_per_repository(b: SnapshotBuilder) -> None:
    for name in ("a", "b"):
        r = b.repository(name)
        r.image(["new"], age_days=10)
        r.image(["old"], age_days=20)
    assert tags(run("acr purge --filter '.*:.*' --ago 1d --keep 1", b.build())) == ["a:old", "b:old"]


def test_tag_without_time_is_never_untagged(b: SnapshotBuilder) -> None:
    b.repository("app").image(["v1"], age_days=30)
    snap = b.build()
    repo = snap.repositories[0]  # type: ignore[index]
    repo = replace(repo, tags=tuple(replace(t, updated=None) for t in repo.tags or ()))
    sel = run("acr purge --filter 'app:.*' --ago 1d", replace(snap, repositories=(repo,)))
    assert sel.untag == () and sel.skipped[0].resource == "app:v1"


def test_without_untagged_no_manifest_is_deleted(b: SnapshotBuilder) -> None:
    r = b.repository("app")
    r.image(["v1"], age_days=30)
    r.image([], age_days=30)
    sel = run("acr purge --filter 'app:.*' --ago 1d", b.build())
    assert sel.delete_manifests == () and len(sel.untag) == 1


# -- manifest phase ------------------------------------------------------------------------------------------


def test_untagged_deletes_manifests_left_without_tags(b: SnapshotBuilder) -> None:
    r = b.repository("app")
    both = r.image(["v1", "stable"], age_days=30)
    only = r.image(["v2"], age_days=30)
    dangling = r.image([], age_days=30)
    sel = run("acr purge --filter 'app:^v' --ago 1d --untagged", b.build())
    # v1 goes but "stable" stays on the same manifest: protected by tags.
    assert digests(sel) == {only.digest, dangling.digest}
    assert both.digest not in digests(sel)


def test_manifest_age_protection_and_boundary(b: SnapshotBuilder) -> None:
    r = b.repository("app")
    old = r.image([], age_days=3)
    exact = r.image([], age_days=1)  # lastUpdateTime == cutoff: not *after* it, so deletable
    new = r.image([], age_days=0.5)
    sel = run("acr purge --filter 'app:.*' --ago 1d --untagged", b.build())
    assert digests(sel) == {old.digest, exact.digest}
    assert new.digest not in digests(sel)


def test_untagged_only_without_ago_uses_now_as_cutoff(b: SnapshotBuilder) -> None:
    r = b.repository("app")
    r.image(["v1"], age_days=30)
    dangling = r.image([], age_days=0.01)
    sel = run("acr purge --untagged-only", b.build())
    assert sel.untag == () and digests(sel) == {dangling.digest}


def test_missing_timestamp_protects_manifest(b: SnapshotBuilder) -> None:
    r = b.repository("app")
    m = r.image([], age_days=30)
    other = r.image([], age_days=30)
    r.manifests[0] = replace(m, updated=None)
    sel = run("acr purge --untagged-only", b.build())
    assert digests(sel) == {other.digest}


def test_untagged_only_scans_all_repositories_or_filter_repos_only(b: SnapshotBuilder) -> None:
    ra = b.repository("a")
    a = ra.image([], age_days=30)
    ra.image(["v1"], age_days=30)
    c = b.repository("c").image([], age_days=30)
    assert digests(run("acr purge --untagged-only", b.build())) == {a.digest, c.digest}
    sel = run("acr purge --untagged-only --filter 'a:ignored-tag-part'", b.build())
    assert digests(sel) == {a.digest} and sel.untag == ()


def test_locked_manifest_skipped_unless_include_locked(b: SnapshotBuilder) -> None:
    r = b.repository("app")
    lk = r.image([], age_days=30, attributes=locked(write=False, delete=True))
    free = r.image([], age_days=30)
    locked_tagged = r.image(["v9"], age_days=30, attributes=locked())
    sel = run("acr purge --untagged-only", b.build())
    assert digests(sel) == {free.digest}
    assert [s.resource for s in sel.skipped] == [f"app@{lk.digest}"]  # the tagged locked one isn't a candidate
    assert sel.skipped[0].level is BlockLevel.TOOL
    forced = run("acr purge --untagged-only --include-locked", b.build())
    assert digests(forced) == {free.digest, lk.digest} and locked_tagged.digest not in digests(forced)


def test_tagged_index_protects_children_recursively(b: SnapshotBuilder) -> None:
    r = b.repository("app")
    amd = r.image([], age_days=30)
    arm = r.image([], age_days=30, architecture="arm64")
    inner = r.index([arm], age_days=30)
    r.index([amd, inner], tags=["v1"], age_days=30, media_type=DOCKER_LIST)
    loose = r.image([], age_days=30)
    sel = run("acr purge --untagged-only", b.build())
    assert digests(sel) == {loose.digest}


def test_index_protected_by_age_protects_children(b: SnapshotBuilder) -> None:
    r = b.repository("app")
    child = r.image([], age_days=30)
    r.index([child], age_days=0.1)
    assert digests(run("acr purge --untagged-only --ago 1d", b.build())) == set()


def test_index_untagged_by_the_tag_phase_exposes_children(b: SnapshotBuilder) -> None:
    r = b.repository("app")
    child = r.image([], age_days=30)
    idx = r.index([child], tags=["v1"], age_days=30)
    sel = run("acr purge --filter 'app:.*' --ago 1d --untagged", b.build())
    assert digests(sel) == {child.digest, idx.digest}


def test_locked_index_does_not_protect_children(b: SnapshotBuilder) -> None:
    # acr-cli skips a locked manifest before the protection step, so its children lose their protection.
    r = b.repository("app")
    child = r.image([], age_days=30)
    idx = r.index([child], tags=["v1"], age_days=30, attributes=locked())
    sel = run("acr purge --untagged-only", b.build())
    assert digests(sel) == {child.digest}
    assert idx.digest in warning(sel, "locked-index-children-exposed")
    forced = run("acr purge --untagged-only --include-locked", b.build())
    assert digests(forced) == set() and "locked-index-children-exposed" not in codes(forced)


def test_docker_manifest_deleted_oci_referrer_kept(b: SnapshotBuilder) -> None:
    r = b.repository("app")
    subject = r.image(["v1"], age_days=30)
    sig = r.referrer(subject, age_days=30)
    plain_oci = r.image([], age_days=30, media_type=OCI_MANIFEST)
    docker = r.image([], age_days=30)
    sel = run("acr purge --untagged-only", b.build())
    assert digests(sel) == {plain_oci.digest, docker.digest}
    assert sig.digest not in digests(sel)


def test_oci_index_with_subject_protects_children(b: SnapshotBuilder) -> None:
    r = b.repository("app")
    subject = r.image(["v1"], age_days=30)
    child = r.image([], age_days=30, media_type=OCI_MANIFEST)
    idx = r.index([child], age_days=30, media_type=OCI_INDEX)
    r.manifests[-1] = replace(idx, subject=subject.digest)
    sel = run("acr purge --untagged-only", b.build())
    assert child.digest not in digests(sel)
    # acr-cli quirk @ cfbb835: the index itself is not put on the ignore list when it has children.
    assert digests(sel) == {idx.digest}


def test_oci_index_with_subject_and_no_children_is_kept(b: SnapshotBuilder) -> None:
    r = b.repository("app")
    subject = r.image(["v1"], age_days=30)
    idx = r.index([], age_days=30, media_type=OCI_INDEX)
    r.manifests[-1] = replace(idx, subject=subject.digest)
    assert digests(run("acr purge --untagged-only", b.build())) == set()


def test_missing_media_type_is_not_deleted(b: SnapshotBuilder) -> None:
    r = b.repository("app")
    unknown = r.image([], age_days=30)
    r.manifests[-1] = replace(unknown, media_type=None)
    docker = r.image([], age_days=30)
    assert digests(run("acr purge --untagged-only", b.build())) == {docker.digest}


def test_keep_keeps_newest_manifest_candidates(b: SnapshotBuilder) -> None:
    r = b.repository("app")
    ms = [r.image([], age_days=age) for age in (10, 20, 30, 40)]
    sel = run("acr purge --untagged-only --keep 2", b.build())
    assert digests(sel) == {ms[2].digest, ms[3].digest}
    assert digests(run("acr purge --untagged-only --keep 4", b.build())) == set()


def test_keep_applies_separately_to_tags_and_manifests(b: SnapshotBuilder) -> None:
    r = b.repository("app")
    tagged = [r.image([f"t{i}"], age_days=10 + i) for i in range(3)]
    dangling = [r.image([], age_days=20 + i) for i in range(3)]
    sel = run("acr purge --filter 'app:.*' --ago 1d --untagged --keep 1", b.build())
    assert tags(sel) == ["app:t1", "app:t2"]
    # candidates: t1, t2 manifests + 3 dangling, newest first: t1(11d), t2(12d), d0(20d) ... keep drops t1 only
    assert digests(sel) == {tagged[2].digest, *(d.digest for d in dangling)}
    assert "keep-with-untagged" in codes(sel)


def test_dry_run_selects_the_same_and_warns(b: SnapshotBuilder) -> None:
    b.repository("app").image(["v1"], age_days=30)
    sel = run("acr purge --filter 'app:.*' --ago 1d --untagged --dry-run", b.build())
    assert tags(sel) == ["app:v1"] and len(sel.delete_manifests) == 1
    assert "dry-run" in codes(sel)
    assert "dry-run" not in codes(run("acr purge --filter 'app:.*' --ago 1d", b.build()))


def test_results_are_refs(b: SnapshotBuilder) -> None:
    m = b.repository("app").image(["v1"], age_days=30)
    sel = run("acr purge --filter 'app:.*' --ago 1d --untagged", b.build())
    assert sel.untag == (TagRef("app", "v1"),)
    assert sel.delete_manifests == (ManifestRef("app", m.digest),)
    assert sel.request.untagged


# -- warnings ------------------------------------------------------------------------------------------------


def test_unanchored_tag_regex_warning_names_examples(b: SnapshotBuilder) -> None:
    r = b.repository("app")
    for t in ("v1", "v10"):
        r.image([t], age_days=30)
    sel = run("acr purge --filter app:v1 --ago 1d", b.build())
    assert "app:v10" in warning(sel, "unanchored-tag-regex")
    for quiet in ("app:^v1$", "app:.*", "app:v2"):
        assert "unanchored-tag-regex" not in codes(run(f"acr purge --filter '{quiet}' --ago 1d", b.build()))


@pytest.mark.parametrize(("part", "matches"), [
    ("arohcp*", "arohc"),
    ("*", "arohc"),  # ^*$ quantifies the anchor: it matches every name (Python regex; regexp2 unverified)
    ("team/*", "team"),
])
def test_glob_in_repository_warning(b: SnapshotBuilder, part: str, matches: str) -> None:
    for name in ("arohc", "arohcp-svc", "team", "team/api"):
        b.repository(name).image(["v1"], age_days=30)
    sel = run(f"acr purge --filter '{part}:.*' --ago 1d", b.build())
    message = warning(sel, "glob-in-repository")
    assert f"^{part}$" in message and matches in message and ".*" in message


def test_regex_repository_parts_are_not_globs(b: SnapshotBuilder) -> None:
    b.repository("team/api").image(["v1"], age_days=30)
    for part in ("team/.*", r"team/\w*", "team/[a-z]*", "(team/api)*"):
        assert "glob-in-repository" not in codes(run(f"acr purge --filter '{part}:.*' --ago 1d", b.build()))


def test_untagged_with_broad_tag_regex_warning(b: SnapshotBuilder) -> None:
    b.repository("app").image(["v1"], age_days=30)
    for broad in (".*", ".+", "^.*$", r"\w*"):
        sel = run(f"acr purge --filter 'app:{broad}' --ago 1d --untagged", b.build())
        assert "acr-cli#64" in warning(sel, "untagged-with-broad-tag-regex")
    assert "untagged-with-broad-tag-regex" not in codes(run("acr purge --filter 'app:^dev-' --ago 1d --untagged",
                                                            b.build()))
    assert "untagged-with-broad-tag-regex" not in codes(run("acr purge --filter 'app:.*' --ago 1d", b.build()))
    assert "untagged-with-broad-tag-regex" not in codes(run("acr purge --filter 'app:.*' --untagged-only",
                                                            b.build()))


@pytest.mark.parametrize(("ago", "capped"), [("999999d", True), ("3651d", False), ("2000000h", True)])
def test_huge_ago_warning(b: SnapshotBuilder, ago: str, capped: bool) -> None:
    b.repository("app").image(["v1"], age_days=30)
    message = warning(run(f"acr purge --filter 'app:.*' --ago {ago} --untagged", b.build()), "huge-ago")
    assert ("150 years" in message) is capped
    assert "--untagged-only" in message


def test_no_huge_ago_warning_for_ten_years(b: SnapshotBuilder) -> None:
    b.repository("app").image(["v1"], age_days=30)
    assert "huge-ago" not in codes(run("acr purge --filter 'app:.*' --ago 3650d", b.build()))


def test_keep_with_untagged_warning_only_with_untagged(b: SnapshotBuilder) -> None:
    b.repository("app").image(["v1"], age_days=30)
    assert "acr-cli#644" in warning(run("acr purge --filter 'app:.*' --ago 1d --untagged --keep 3", b.build()),
                                    "keep-with-untagged")
    assert "keep-with-untagged" not in codes(run("acr purge --untagged-only --keep 3", b.build()))
    assert "keep-with-untagged" not in codes(run("acr purge --filter 'app:.*' --ago 1d --keep 3", b.build()))


def test_no_repository_matched_warning(b: SnapshotBuilder) -> None:
    b.repository("app").image(["v1"], age_days=30)
    sel = run("acr purge --filter 'ap:.*' --filter 'app:.*' --ago 1d", b.build())
    assert "'ap:.*'" in warning(sel, "no-repository-matched")
    assert tags(sel) == ["app:v1"]


def test_incomplete_snapshot_warning(b: SnapshotBuilder) -> None:
    b.repository("app", manifests=False, tags=False, counts=(1, 1)).image(["v1"], age_days=30)
    sel = run("acr purge --filter 'app:.*' --ago 1d --untagged", b.build())
    assert sel.untag == () and "incomplete-snapshot" in codes(sel)


def test_tags_fall_back_to_manifest_listing(b: SnapshotBuilder) -> None:
    b.repository("app", tags=False).image(["v1"], age_days=30)
    sel = run("acr purge --filter 'app:.*' --ago 1d", b.build())
    assert tags(sel) == ["app:v1"] and "incomplete-snapshot" in codes(sel)


# -- input errors ----------------------------------------------------------------------------------------------


def test_regex_timeout_names_the_filter(b: SnapshotBuilder) -> None:
    b.repository("app").image(["a" * 30 + "!"], age_days=30)
    req = PurgeRequest(filters=(("app", "(a|a)+$"),), ago=timedelta(days=1), filter_timeout_seconds=0.2)
    with pytest.raises(InputError, match=r"app:\(a\|a\)\+\$'.*timed out"):
        select_purge(req, b.build())


def test_invalid_regex_in_a_built_request(b: SnapshotBuilder) -> None:
    b.repository("app").image(["v1"], age_days=30)
    with pytest.raises(InputError, match=r"'v\('"):
        select_purge(PurgeRequest(filters=(("app", "v("),), ago=timedelta(days=1)), b.build())


def test_other_registry_is_refused(b: SnapshotBuilder) -> None:
    b.repository("app").image(["v1"], age_days=30)
    with pytest.raises(InputError, match="'other'"):
        run("acr purge -r other --filter 'app:.*' --ago 1d", b.build())
    assert tags(run("acr purge -r contoso.azurecr.io --filter 'app:.*' --ago 1d", b.build())) == ["app:v1"]


def test_snapshot_without_repositories_is_refused() -> None:
    with pytest.raises(InputError, match="repository list"):
        run("acr purge --untagged-only", SnapshotBuilder().build())
