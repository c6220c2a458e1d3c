"""continuous-patching: -N tags piling up under a configured workflow, and a workflow that lost its policy."""

from __future__ import annotations

import pytest

from acrdoctor.builder import RepositoryBuilder, SnapshotBuilder
from acrdoctor.check_api import ResourceKind, Severity, Status
from acrdoctor.checks.continuous_patching import PATCH_TAG, patch_filter
from tests.conftest import run_check

SLUG = "continuous-patching"


def with_workflow(b: SnapshotBuilder) -> SnapshotBuilder:
    b.repository("csscpolicies/patchpolicy").image(tags=["v1"], layers=[("policy-json", 100)])
    return b


def patched(b: SnapshotBuilder, base: str, suffixes: range | list[int], repo: RepositoryBuilder | None = None) -> None:
    r = repo or b.repository("python")
    r.image(tags=[base], layers=[("base", 5000)], age_days=100)
    for n in suffixes:
        r.image(tags=[f"{base}-{n}"], layers=[("base", 5000), (f"patch-{base}-{n}", 100)], config=(f"c{base}-{n}", 1),
                age_days=max(0, 99 - n / 100))


@pytest.mark.parametrize("tag, base", [("3.12-1", "3.12"), ("3.12-999", "3.12"), ("v1-2-3", "v1-2")])
def test_patch_tags(tag: str, base: str) -> None:
    m = PATCH_TAG.match(tag)
    assert m is not None and m.group("base") == base


@pytest.mark.parametrize("tag", ["3.12-0", "3.12-1000", "3.12-01", "3.12-slim", "latest"])
def test_not_patch_tags(tag: str) -> None:
    assert PATCH_TAG.match(tag) is None


def test_patch_filter_is_anchored_and_escaped() -> None:
    assert patch_filter("runtime/python", "3.12") == r"runtime/python:^3\.12-[1-9][0-9]{0,2}$"


def test_series_counted_with_superseded_bytes_and_one_purge_per_base(builder: SnapshotBuilder) -> None:
    with_workflow(builder)
    repo = builder.repository("python")
    patched(builder, "3.12", range(1, 6), repo)
    patched(builder, "3.11", [1, 2], repo)  # same repository, second base
    result = run_check(SLUG, builder.build())
    assert result.status is Status.FAILED
    (f,) = [x for x in result.findings if x.resource.name == "python"]
    assert f.resource.kind is ResourceKind.REPOSITORY and f.severity is Severity.LOW
    assert f.details["patch_tags"] == 7 and f.details["superseded_images"] == 5
    assert f.details["freed_bytes"] == 5 * 101
    assert f.details["series"] == {"3.11": {"tags": 2, "latest": 2}, "3.12": {"tags": 5, "latest": 5}}
    assert f.fix is not None
    assert f.fix.commands == (
        "az acr run --registry contoso --resource-group rg-contoso --cmd 'acr purge --filter "
        "'\"'\"'python:^3\\.11-[1-9][0-9]{0,2}$'\"'\"' --ago 0d --keep 1' /dev/null",
        "az acr run --registry contoso --resource-group rg-contoso --cmd 'acr purge --filter "
        "'\"'\"'python:^3\\.12-[1-9][0-9]{0,2}$'\"'\"' --ago 0d --keep 1' /dev/null",
        "az acr run --registry contoso --resource-group rg-contoso --cmd \"acr purge --filter 'python:.*' --ago 0d "
        "--untagged-only\" /dev/null",
    )
    (preview,) = f.fix.related
    assert preview.commands[0] == ("acrdoctor preflight --registry contoso --resource-group rg-contoso -- acr purge "
                                   "--filter 'python:^3\\.11-[1-9][0-9]{0,2}$' --ago 0d --keep 1")


def test_near_and_at_the_last_suffix_raise_the_severity(builder: SnapshotBuilder) -> None:
    with_workflow(builder)
    patched(builder, "1.0", [910, 911])
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.severity is Severity.MEDIUM and "88 patches from -999" in f.message
    b2 = with_workflow(SnapshotBuilder())
    patched(b2, "1.0", [998, 999])
    (g,) = run_check(SLUG, b2.build()).findings
    assert g.severity is Severity.HIGH and g.details["suffixes_left"] == 0


def test_without_the_workflow_dash_n_tags_are_ordinary(builder: SnapshotBuilder) -> None:
    patched(builder, "3.12", range(1, 40))
    builder.collected("tasks")
    assert run_check(SLUG, builder.build()).status is Status.PASSED


def test_a_dash_n_tag_without_its_base_is_not_a_patch(builder: SnapshotBuilder) -> None:
    with_workflow(builder)
    builder.repository("app").image(tags=["build-41"])
    assert run_check(SLUG, builder.build()).status is Status.PASSED


def test_tasks_without_the_policy_repository_say_the_workflow_lost_it(builder: SnapshotBuilder) -> None:
    builder.repository("app").image(tags=["v1"])
    builder.task("cssc-trigger-workflow", ["x"])
    builder.task("cssc-patch-image", ["y"])
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.severity is Severity.MEDIUM and "csscpolicies/patchpolicy does not" in f.message


def test_not_collected_tags_skip() -> None:
    b = SnapshotBuilder()
    b.repository("csscpolicies/patchpolicy", tags=False).image(tags=["v1"])
    assert run_check(SLUG, b.build()).status is Status.SKIPPED
