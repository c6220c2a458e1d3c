"""Pre-flight warnings from the registry's policies: continuous patching, artifact cache, listings cut short."""

from __future__ import annotations

from acrdoctor.builder import SnapshotBuilder
from acrdoctor.check_api import Severity
from acrdoctor.preflight.run import preflight
from acrdoctor.preflight.warnings import severity_of


def codes(command: list[str], b: SnapshotBuilder) -> dict[str, str]:
    plan = preflight(command, b.build())
    return {w.code: w.message for w in plan.warnings}


def patched_registry() -> SnapshotBuilder:
    b = SnapshotBuilder()
    b.repository("csscpolicies/patchpolicy").image(tags=["v1"], layers=[("policy", 10)], age_days=50)
    repo = b.repository("python")
    repo.image(tags=["3.12"], layers=[("base", 100)], age_days=60)
    for n in range(1, 4):
        repo.image(tags=[f"3.12-{n}"], layers=[("base", 100), (f"p{n}", 10)], config=(f"c{n}", 1),
                   age_days=40 - n)
    return b


def test_purge_reaching_the_policy_repository_is_a_high_warning() -> None:
    found = codes(["acr", "purge", "--filter", "cssc.*:.*", "--ago", "1d"], patched_registry())
    assert "csscpolicies/patchpolicy" in found["deletes-patch-policy"]
    assert severity_of("deletes-patch-policy") is Severity.HIGH


def test_deleting_the_policy_repository_says_so() -> None:
    found = codes(["az", "acr", "repository", "delete", "--name", "contoso", "--repository",
                   "csscpolicies/patchpolicy", "--yes"], patched_registry())
    assert found["deletes-patch-policy"].startswith("The plan deletes the repository csscpolicies/patchpolicy")


def test_purge_deleting_the_newest_patch_warns_and_keep_one_per_base_does_not() -> None:
    broad = codes(["acr", "purge", "--filter", "python:.*", "--ago", "1d"], patched_registry())
    assert "python:3.12-3" in broad["deletes-latest-patch"]
    careful = codes(["acr", "purge", "--filter", r"python:^3\.12-[1-9][0-9]{0,2}$", "--ago", "0d", "--keep", "1"],
                    patched_registry())
    assert "deletes-latest-patch" not in careful and "deletes-patch-policy" not in careful


def test_without_the_workflow_a_dash_n_tag_is_ordinary() -> None:
    b = SnapshotBuilder()
    repo = b.repository("python")
    repo.image(tags=["3.12"], age_days=60)
    repo.image(tags=["3.12-1"], age_days=30)
    found = codes(["acr", "purge", "--filter", "python:.*", "--ago", "1d"], b)
    assert "deletes-latest-patch" not in found


def test_deleting_a_cache_target_warns_it_comes_back() -> None:
    b = SnapshotBuilder()
    b.cache_rule("hub", "docker.io/library/*", "hub/*")
    b.repository("hub/nginx").image(tags=["1.27"], age_days=10)
    b.repository("app").image(tags=["v1"], age_days=10)
    found = codes(["az", "acr", "repository", "delete", "--name", "contoso", "--repository", "hub/nginx", "--yes"], b)
    assert "hub/nginx" in found["deletes-cached"] and "Azure/acr#765" in found["deletes-cached"]
    other = codes(["az", "acr", "repository", "delete", "--name", "contoso", "--repository", "app", "--yes"], b)
    assert "deletes-cached" not in other


def test_a_plan_from_a_short_listing_warns() -> None:
    b = SnapshotBuilder()
    b.repository("app").image(tags=["v1"], age_days=10)
    b.listing("tags", False, repository="app", items=1, expected=9)
    found = codes(["acr", "purge", "--filter", "app:.*", "--ago", "1d"], b)
    assert "tags of app" in found["listing-cut-short"]
    b2 = SnapshotBuilder()
    b2.repository("app").image(tags=["v1"], age_days=10)
    b2.listing("catalog", False, items=1, reason="stopped early")
    assert "the catalog" in codes(["acr", "purge", "--filter", "app:.*", "--ago", "1d"], b2)["listing-cut-short"]
