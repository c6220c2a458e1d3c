from __future__ import annotations

import shlex

from acrdoctor.builder import SnapshotBuilder, locked
from acrdoctor.check_api import Fix, Related, ResourceKind, Severity, Status
from acrdoctor.model import Policy
from tests.conftest import run_check

SLUG = "dangling-manifests"


def delete_cmd(repo: str, digest: str) -> str:
    return f"az acr repository delete --name contoso --image {repo}@{digest} --yes"


def related(fix: Fix, label: str) -> Related:
    """The one related group with this label (several would make the assertion ambiguous)."""
    (group,) = [r for r in fix.related if r.label == label]
    return group


def repushed_app(builder: SnapshotBuilder) -> tuple[str, str, str]:
    """``app:v1`` re-pushed twice: two old manifests left untagged, one of them locked."""
    app = builder.repository("app")
    app.image(["v1"], layers=[("base", 1_000_000), ("app-3", 100)], config=("cfg-3", 10))
    old = app.image(layers=[("base", 1_000_000), ("app-2", 2_000)], config=("cfg-2", 20), age_days=40)
    pinned = app.image(layers=[("app-1", 30_000)], config=("cfg-1", 30), age_days=90, attributes=locked())
    web = builder.repository("web")
    web.image(["latest"], layers=[("base", 1_000_000), ("web-1", 5)])
    return old.digest, pinned.digest, web.name


def test_untagged_manifests_are_reported_per_repository_with_exact_bytes(builder: SnapshotBuilder) -> None:
    old, pinned, _ = repushed_app(builder)
    result = run_check(SLUG, builder.build())
    assert result.status is Status.FAILED
    (f,) = result.findings
    assert f.severity is Severity.LOW
    assert (f.resource.kind, f.resource.name) == (ResourceKind.REPOSITORY, "app")
    # The shared base layer stays (app:v1 and web:latest use it): only the unique blobs count.
    assert f.details["freed_bytes"] == 2_000 + 20 + 30_000 + 30
    assert f.details["deletable_freed_bytes"] == 2_020
    assert f.details["count"] == 2
    assert set(f.details["digests"]) == {old, pinned}  # type: ignore[arg-type]
    assert f.details["locked_count"] == 1
    assert f.details["locked_digests"] == [pinned]
    assert f.details["oldest_age_days"] == 90
    assert f.message == (
        "2 untagged manifests that no tag reaches; deleting them frees 31.3 KiB (blobs no other manifest in the "
        "registry uses); oldest last updated 90 days ago; 1 of them locked and cannot be deleted without unlocking"
    )
    assert "app" not in f.message.split(";")[0]
    assert f.fix is not None
    # Locked manifests are left out of the commands: they are often pinned on purpose.
    assert f.fix.commands == (delete_cmd("app", old),)
    assert any("1 locked manifest is left out" in n for n in f.fix.notes)
    # The unlock-then-delete example is a related group, not an action: the lock may be deliberate.
    assert related(f.fix, "unlock").commands == (
        f"az acr repository update --name contoso --image app@{pinned} --delete-enabled true --write-enabled true",
        delete_cmd("app", pinned),
    )


def test_the_registry_wide_total_counts_layers_dangling_in_two_repositories(builder: SnapshotBuilder) -> None:
    for name in ("a", "b"):
        repo = builder.repository(name)
        repo.image(["v1"], layers=[(f"{name}-current", 1)], config=(f"{name}-cfg", 1))
        repo.image(layers=[("old-shared", 500_000)], config=("old-cfg", 7))
    result = run_check(SLUG, builder.build())
    assert [f.resource.name for f in result.findings] == ["a", "b"]
    for f in result.findings:
        # Each repository alone frees nothing: the other one's dangling manifest keeps the layer.
        assert f.details["freed_bytes"] == 0
        assert f.details["registry_dangling_count"] == 2
        assert f.details["registry_dangling_freed_bytes"] == 500_007


def test_referrers_are_deleted_before_their_subject_and_indexes_before_children(builder: SnapshotBuilder) -> None:
    repo = builder.repository("multi")
    repo.image(["v2"], layers=[("v2", 10)])
    child = repo.image(layers=[("v1-amd64", 10)])
    idx = repo.index([child])
    sig = repo.referrer(child, "signature")
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.fix is not None
    assert f.fix.commands == (
        delete_cmd("multi", sig.digest), delete_cmd("multi", idx.digest), delete_cmd("multi", child.digest),
    )


def test_purge_alternative_targets_only_this_repository(builder: SnapshotBuilder) -> None:
    repo = builder.repository("team.app")
    repo.image(["v1"], layers=[("v1", 10)])
    repo.image(layers=[("v0", 10)])
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.fix is not None
    assert not any("acr purge --" in n for n in f.fix.notes)
    alternative = related(f.fix, "alternative")
    assert "acr purge" in alternative.summary
    # The filter holds a backslash, so the inner command falls back to POSIX single quoting.
    assert alternative.commands == (
        "az acr run --registry contoso --resource-group rg-contoso "
        "--cmd 'acr purge --filter '\"'\"'team\\.app:.*'\"'\"' --ago 0d --untagged-only' /dev/null",
    )
    (cmd,) = alternative.commands
    argv = shlex.split(cmd)
    assert argv[:7] == ["az", "acr", "run", "--registry", "contoso", "--resource-group", "rg-contoso"]
    assert shlex.split(argv[argv.index("--cmd") + 1]) == [
        "acr", "purge", "--filter", "team\\.app:.*", "--ago", "0d", "--untagged-only",
    ]
    assert argv[-1] == "/dev/null"


def test_retention_policy_is_suggested_on_premium_without_soft_delete() -> None:
    b = SnapshotBuilder(sku="Premium")
    b.repository("app").image(layers=[("x", 10)])
    (f,) = run_check(SLUG, b.build()).findings
    assert f.fix is not None
    assert [r.label for r in f.fix.related] == ["alternative", "prevent"]
    prevent = related(f.fix, "prevent")
    assert prevent.commands == (
        "az acr config retention update --registry contoso --resource-group rg-contoso --status enabled "
        "--days 7 --type UntaggedManifests",
    )
    assert "untagged after it is enabled" in prevent.summary
    assert related(f.fix, "alternative").commands == (
        'az acr run --registry contoso --resource-group rg-contoso --cmd "acr purge --filter \'app:.*\' --ago 0d '
        '--untagged-only" /dev/null',
    )


def test_no_retention_suggestion_on_standard_or_with_soft_delete(builder: SnapshotBuilder) -> None:
    builder.repository("app").image(layers=[("x", 10)])
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.fix is not None and [r.label for r in f.fix.related] == ["alternative"]
    assert not any("retention" in c for r in f.fix.related for c in r.commands)

    soft = SnapshotBuilder(sku="Premium", soft_delete_policy=Policy("enabled", 7))
    soft.repository("app").image(layers=[("x", 10)])
    (f,) = run_check(SLUG, soft.build()).findings
    assert f.fix is not None and [r.label for r in f.fix.related] == ["alternative"]
    assert not any("retention" in c for r in f.fix.related for c in r.commands)


def test_a_write_locked_repository_locks_every_dangling_manifest() -> None:
    b = SnapshotBuilder()
    repo = b.repository("frozen", attributes=locked(write=False, delete=True))
    repo.image(layers=[("x", 10)])
    repo.image(layers=[("y", 10)])
    (f,) = run_check(SLUG, b.build()).findings
    assert f.details["locked_count"] == 2
    assert f.details["repository_write_locked"] is True
    assert f.fix is not None and f.fix.commands == ()
    assert f.fix.summary.startswith("Every dangling manifest here is locked")


def test_missing_bodies_make_the_bytes_a_lower_bound(builder: SnapshotBuilder) -> None:
    repo = builder.repository("app")
    repo.image(["v1"], layers=[("v1", 10)], body=False)
    repo.image(layers=[("v0", 2048)], config=("c0", 0))
    (f,) = run_check(SLUG, builder.build()).findings
    assert "frees at least 2.0 KiB" in f.message
    assert f.details["complete"] is False


def test_tagged_images_index_children_and_referrers_pass(builder: SnapshotBuilder) -> None:
    repo = builder.repository("app")
    amd = repo.image(layers=[("amd", 10)])
    arm = repo.image(layers=[("arm", 10)], architecture="arm64")
    tagged_index = repo.index([amd, arm], tags=["v1"])
    repo.referrer(tagged_index, "signature")
    builder.repository("web").image(["latest"])
    assert run_check(SLUG, builder.build()).status is Status.PASSED


def test_skipped_when_manifests_were_not_collected(builder: SnapshotBuilder) -> None:
    builder.repository("app", manifests=False, counts=(3, 1))
    result = run_check(SLUG, builder.build())
    assert result.status is Status.SKIPPED
    assert "manifest listings" in (result.reason or "")
