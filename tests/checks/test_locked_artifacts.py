from acrdoctor.builder import SnapshotBuilder, locked
from acrdoctor.check_api import ResourceKind, Status
from tests.conftest import run_check

SLUG = "locked-artifacts"


def test_each_level_is_reported_with_what_it_blocks(builder: SnapshotBuilder) -> None:
    frozen = builder.repository("frozen", attributes=locked(write=False, delete=True))
    frozen.image(tags=["v1"])
    keep = builder.repository("keep", attributes=locked(write=True, delete=False))
    keep.image(tags=["a"])
    app = builder.repository("app")
    pinned = app.image(tags=["v1", "prod"], attributes=locked(write=True, delete=False))
    app.image(tags=["latest"], tag_attributes={"latest": locked(write=False, delete=True)})
    app.image(tags=["ok"])
    result = run_check(SLUG, builder.build())
    assert result.status is Status.FAILED
    got = [(f.resource.kind, f.resource.name) for f in result.findings]
    assert got == [
        (ResourceKind.REPOSITORY, "frozen"),
        (ResourceKind.REPOSITORY, "keep"),
        (ResourceKind.MANIFEST, f"app@{pinned.digest}"),
        (ResourceKind.TAG, "app:latest"),
    ]
    repo_write, repo_delete, manifest, tag = result.findings
    assert repo_write.message == ("writeEnabled=false: every delete inside it (1 manifest, 1 tag) and deleting the "
                                  "repository itself fail with 405 REGISTRY_DISALLOWED_OPERATION")
    assert repo_delete.message == ("deleteEnabled=false: deleting the whole repository fails with 405, but its images "
                                   "and tags (1 manifest, 1 tag) can still be deleted one by one")
    assert manifest.message == ("deleteEnabled=false: deleting this manifest by digest fails with 405, and so does "
                                "deleting any of its 2 tags (v1, prod) by tag")
    assert tag.message.startswith("writeEnabled=false: untagging or deleting this tag fails with 405; the lock does "
                                  "not extend to its manifest sha256:")
    assert [f.details["level"] for f in result.findings] == ["repository", "repository", "manifest", "tag"]
    assert (manifest.details["write_enabled"], manifest.details["delete_enabled"]) == (True, False)
    assert (tag.details["write_enabled"], tag.details["delete_enabled"]) == (False, True)


def test_fixes_unlock_the_exact_object(builder: SnapshotBuilder) -> None:
    app = builder.repository("app", attributes=locked())
    m = app.image(tags=["v1"], attributes=locked(), tag_attributes={"v1": locked()})
    findings = run_check(SLUG, builder.build()).findings
    commands = [f.fix.commands for f in findings if f.fix]
    assert commands == [
        ("az acr repository update --name contoso --repository app --delete-enabled true --write-enabled true",),
        (f"az acr repository update --name contoso --image app@{m.digest} --delete-enabled true --write-enabled true",),
        ("az acr repository update --name contoso --image app:v1 --delete-enabled true --write-enabled true",),
    ]
    assert findings[0].message.startswith("writeEnabled=false and deleteEnabled=false: ")
    assert findings[1].message.endswith("by digest fails with 405, and so does deleting it by its tag v1")
    assert findings[2].message.endswith("is locked as well (listed separately)")
    assert findings[2].details["manifest_locked"] is True
    assert any("--include-locked" in n for n in findings[1].fix.notes)  # type: ignore[union-attr]
    assert any("--include-locked" in n for n in findings[2].fix.notes)  # type: ignore[union-attr]
    assert any("does not unlock manifests or tags" in n for n in findings[0].fix.notes)  # type: ignore[union-attr]


def test_many_tags_are_capped_in_the_message(builder: SnapshotBuilder) -> None:
    tags = [f"t{i}" for i in range(8)]
    builder.repository("app").image(tags=tags, attributes=locked())
    (f,) = run_check(SLUG, builder.build()).findings
    assert "8 tags (t0, t1, t2, t3, t4 and 3 more)" in f.message
    assert f.details["tags"] == tags


def test_only_repository_locks_when_listings_were_not_collected(builder: SnapshotBuilder) -> None:
    builder.repository("frozen", attributes=locked(), manifests=False, tags=False, counts=(4, 2))
    builder.repository("other", manifests=False, tags=False, counts=(1, 1))
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.resource.name == "frozen"
    assert "(4 manifests, 2 tags)" in f.message


def test_unlocked_registry_passes(builder: SnapshotBuilder) -> None:
    app = builder.repository("app")
    app.image(tags=["v1"])
    app.image()
    result = run_check(SLUG, builder.build())
    assert result.status is Status.PASSED
    assert result.findings == ()


def test_skipped_when_repositories_were_not_collected(builder: SnapshotBuilder) -> None:
    result = run_check(SLUG, builder.build())
    assert result.status is Status.SKIPPED
    assert "repository list" in (result.reason or "")


def test_thousands_of_locks_stay_linear(builder: SnapshotBuilder) -> None:
    repo = builder.repository("big")
    for i in range(3000):
        repo.image(tags=[f"v{i}"], layers=[("shared", 10)], attributes=locked(write=True, delete=False),
                   tag_attributes={f"v{i}": locked()})
    findings = run_check(SLUG, builder.build()).findings
    assert len(findings) == 6000
    assert sum(1 for f in findings if f.details.get("manifest_locked")) == 3000
