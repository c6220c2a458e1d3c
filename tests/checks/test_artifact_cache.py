"""artifact-cache: cache-rule targets, a rule that failed over existing repositories, soft delete with a cache."""

from __future__ import annotations

from dataclasses import replace

import pytest

from acrdoctor.builder import SnapshotBuilder
from acrdoctor.check_api import ResourceKind, Severity, Status
from acrdoctor.checks.artifact_cache import matches, target_of
from acrdoctor.controls import CacheRule
from acrdoctor.model import Part, Policy
from tests.conftest import run_check

SLUG = "artifact-cache"


def cached(builder: SnapshotBuilder) -> SnapshotBuilder:
    builder.cache_rule("hub-nginx", "docker.io/library/nginx", "hub/nginx")
    repo = builder.repository("hub/nginx")
    repo.image(tags=["1.27"], layers=[("debian", 3000), ("nginx", 700)], config=("cfg", 10))
    builder.repository("app").image(tags=["v1"], layers=[("debian", 3000), ("app", 50)])
    return builder


@pytest.mark.parametrize("target, repository, expected", [
    ("hub/nginx", "hub/nginx", True),
    ("hub/nginx", "hub/nginx-extra", False),
    ("hub/*", "hub/nginx", True),
    ("hub/*", "hub/library/redis", True),
    ("hub/*", "hubby/nginx", False),
    ("hub/*", "hub", False),
    ("*", "anything/at/all", True),
])
def test_target_forms_of_the_wildcard_docs(target: str, repository: str, expected: bool) -> None:
    assert matches(target, repository) is expected


def test_a_login_server_prefix_on_the_target_is_ignored(builder: SnapshotBuilder) -> None:
    reg = builder.build().registry
    assert target_of(CacheRule("r", "docker.io/library/*", "contoso.azurecr.io/hub/*"), reg) == "hub/*"


def test_cached_repository_is_reported_with_its_own_bytes_and_the_rule_delete(builder: SnapshotBuilder) -> None:
    result = run_check(SLUG, cached(builder).build())
    assert result.status is Status.FAILED
    (f,) = result.findings
    assert f.resource.kind is ResourceKind.REPOSITORY and f.resource.name == "hub/nginx"
    assert f.severity is Severity.LOW
    assert "cache rule hub-nginx (hub/nginx <= docker.io/library/nginx)" in f.message
    assert "only until the next pull" in f.message
    assert f.details["freed_bytes"] == 710  # the shared debian layer stays
    assert f.fix is not None
    assert f.fix.commands == (
        "az acr cache delete --registry contoso --name hub-nginx --resource-group rg-contoso --yes",)
    notes = " ".join(f.fix.notes)
    assert "Azure/acr#765" in notes and "Azure/acr#845" in notes and "inference" in notes


def test_wildcard_rule_covers_every_repository_under_its_prefix(builder: SnapshotBuilder) -> None:
    builder.cache_rule("hub-all", "docker.io/library/*", "hub/*")
    for name in ("hub/nginx", "hub/redis", "other/app"):
        builder.repository(name).image(tags=["v1"])
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.resource.kind is ResourceKind.REGISTRY
    assert f.details["repositories"] == ["hub/nginx", "hub/redis"]


def test_rules_without_cached_repositories_pass(builder: SnapshotBuilder) -> None:
    builder.cache_rule("hub-nginx", "docker.io/library/nginx", "hub/nginx")
    builder.repository("app").image(tags=["v1"])
    assert run_check(SLUG, builder.build()).status is Status.PASSED


def test_failed_rule_over_existing_repositories_names_the_conflict(builder: SnapshotBuilder) -> None:
    builder.controls["cache_rules"] = (CacheRule("mirror", "docker.io/library/*", "library/*",
                                                 provisioning_state="Failed"),)
    builder.repository("library/redis").image(tags=["7"])
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.severity is Severity.MEDIUM
    assert "TargetRepositoryPrefixMatchesExistingRegistries" in f.message and "library/redis" in f.message
    assert f.fix is not None
    assert f.fix.commands == ("az acr cache delete --registry contoso --name mirror --resource-group rg-contoso --yes",)
    (rel,) = f.fix.related
    assert rel.commands == ("az acr repository delete --name contoso --repository library/redis --yes",)


def test_a_recorded_conflict_error_is_reported(builder: SnapshotBuilder) -> None:
    builder.collected("cache_rules")
    builder.repository("app").image(tags=["v1"])
    builder.error("cache_rules", 409, "TargetRepositoryPrefixMatchesExistingRegistries",
                  "Target repository prefix matches existing repositories", operation="create_cache_rule")
    (f,) = run_check(SLUG, builder.build()).findings
    assert "refused with TargetRepositoryPrefixMatchesExistingRegistries" in f.message


def test_soft_delete_with_a_cache_rule_is_left_to_the_soft_delete_check(builder: SnapshotBuilder) -> None:
    cached(builder).registry(soft_delete_policy=Policy("enabled", 7))
    findings = run_check(SLUG, builder.build()).findings
    assert [f for f in findings if "soft delete" in f.message] == []
    assert any("artifact cache" in f.message for f in run_check("soft-delete", builder.build()).findings)


def test_not_collected_cache_rules_skip(builder: SnapshotBuilder) -> None:
    builder.repository("hub/nginx").image(tags=["1.27"])
    snap = builder.build()
    assert not snap.has(Part.CACHE_RULES)
    result = run_check(SLUG, snap)
    assert result.status is Status.SKIPPED and "artifact cache rules" in (result.reason or "")


def test_without_manifests_the_bytes_are_unknown_not_zero(builder: SnapshotBuilder) -> None:
    snap = cached(builder).build()
    snap = replace(snap, repositories=tuple(replace(r, manifests=None) for r in snap.repositories or ()))
    (f,) = run_check(SLUG, snap).findings
    assert f.details["freed_bytes"] is None and "unknown number of bytes" in f.message
