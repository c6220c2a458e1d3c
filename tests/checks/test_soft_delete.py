from __future__ import annotations

import shlex

from acrdoctor.builder import SnapshotBuilder, digest_of
from acrdoctor.check_api import ResourceKind, Severity, Status
from acrdoctor.model import Part, Policy
from tests.conftest import run_check

SLUG = "soft-delete"
MIB = 1024 * 1024
GONE = digest_of("apps/api|1.2|deleted")


def soft(builder: SnapshotBuilder, days: int = 7) -> SnapshotBuilder:
    builder.registry(soft_delete_policy=Policy("enabled", days))
    builder.repository("apps/api").image(["1.3"], layers=[("api-1.3", 20 * MIB)])
    builder.collected("deleted_artifacts", "cache_rules")
    builder.no_replications()
    return builder


def test_soft_delete_on_with_nothing_deleted_passes(builder: SnapshotBuilder) -> None:
    soft(builder)
    assert run_check(SLUG, builder.build()).status is Status.PASSED


def test_soft_delete_off_passes(builder: SnapshotBuilder) -> None:
    builder.collected("deleted_artifacts")
    assert run_check(SLUG, builder.build()).status is Status.PASSED


def test_soft_deleted_artifacts_are_counted_by_image_size_and_live_digests_add_nothing(
        builder: SnapshotBuilder) -> None:
    soft(builder)
    live = builder.repository("apps/web").image(["2.0"], layers=[("web-2.0", 5 * MIB)])
    builder.soft_deleted("apps/api", GONE, size=40 * MIB, tags=("1.2",), age_days=2)
    builder.soft_deleted("apps/api", digest_of("apps/api|1.1|deleted"), size=30 * MIB, age_days=6.5)
    builder.soft_deleted("apps/old", live.digest, size=5 * MIB, age_days=1)  # the same image lives in apps/web
    result = run_check(SLUG, builder.build())
    assert result.status is Status.FAILED
    (f,) = result.findings
    assert f.severity is Severity.LOW
    assert (f.resource.kind, f.resource.name) == (ResourceKind.REGISTRY, "contoso")
    assert f.details["image_size_bytes"] == 70 * MIB
    assert f.details["live_digests"] == 1
    assert f.details["counted_by"] == "imageSize" and f.details["deduplicated"] is False
    assert f.details["by_repository"] == {"apps/api": 70 * MIB}
    assert "3 soft-deleted manifests in 2 repositories" in f.message
    assert "up to 70.0 MiB" in f.message
    # Deleted 6.5 days before collection with 7 days of retention: the first leaves at about the next autopurge.
    assert "the first leaves at autopurge in about 1 d" in f.message
    assert f.fix is not None and f.fix.actions == ()
    labels = [r.label for r in f.fix.related]
    assert labels == ["confirm", "shorten", "restore"]
    restore = shlex.split(f.fix.related[2].commands[0])
    assert restore == ["az", "acr", "manifest", "restore", "--registry", "contoso", "--name", "apps/api:1.2",
                       "--digest", GONE]
    assert shlex.split(f.fix.related[1].commands[0])[-4:] == ["--status", "enabled", "--days", "1"]


def test_a_refused_push_of_a_soft_deleted_digest_gives_the_restore_command(builder: SnapshotBuilder) -> None:
    soft(builder)
    builder.soft_deleted("apps/api", GONE, size=40 * MIB, tags=("1.2",))
    builder.error(Part.MANIFESTS, 400, "MANIFEST_INVALID",
                  f"push refused: manifest {GONE} is soft-deleted; restore it instead", repository="apps/api",
                  operation="push")
    findings = run_check(SLUG, builder.build()).findings
    (push,) = [f for f in findings if f.resource.kind is ResourceKind.MANIFEST]
    assert push.severity is Severity.MEDIUM
    assert push.resource.name == f"apps/api@{GONE}"
    assert push.fix is not None
    assert push.fix.commands == (
        f"az acr manifest restore --registry contoso --name apps/api:1.2 --digest {GONE}",)


def test_geo_replication_and_cache_rules_are_unsupported_with_soft_delete(builder: SnapshotBuilder) -> None:
    soft(builder)
    builder.replication("westeurope")  # the home region, listed by ARM too
    builder.replication("eastus")
    builder.cache_rule("dockerhub-nginx", "docker.io/library/nginx", "mirror/nginx")
    findings = run_check(SLUG, builder.build()).findings
    texts = sorted(f.message for f in findings)
    assert len(findings) == 2
    assert "replicas in eastus" in texts[0]
    assert "artifact cache rule (dockerhub-nginx (mirror/nginx))" in texts[1]
    for f in findings:
        assert f.severity is Severity.MEDIUM
        assert f.fix is not None
        assert f.fix.commands == ("az acr config soft-delete update --registry contoso --status disabled",)


def test_a_refused_listing_names_the_permission(builder: SnapshotBuilder) -> None:
    builder.registry(soft_delete_policy=Policy("enabled", 7))
    builder.error(Part.DELETED_ARTIFACTS, 403, "DENIED", "requested access to the resource is denied",
                  operation="list_deleted_manifests")
    (f,) = run_check(SLUG, builder.build()).findings
    assert "Microsoft.ContainerRegistry/registries/deleted/read" in (f.fix.summary if f.fix else "")


def test_soft_delete_on_without_the_deleted_listing_is_skipped(builder: SnapshotBuilder) -> None:
    builder.registry(soft_delete_policy=Policy("enabled", 7))
    builder.no_replications()
    result = run_check(SLUG, builder.build())
    assert result.status is Status.SKIPPED
    assert "not collected" in (result.reason or "")


def test_no_soft_delete_policy_in_the_settings_is_skipped(builder: SnapshotBuilder) -> None:
    builder.registry(soft_delete_policy=None)
    assert run_check(SLUG, builder.build()).status is Status.SKIPPED


def test_artifacts_left_after_soft_delete_was_turned_off_are_still_reported(builder: SnapshotBuilder) -> None:
    builder.collected("deleted_artifacts")
    builder.soft_deleted("apps/api", GONE, size=40 * MIB, tags=("1.2",), age_days=3)
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.fix is not None and f.fix.notes[0].startswith("Soft delete is off now")
    assert "shorten" not in [r.label for r in f.fix.related]
