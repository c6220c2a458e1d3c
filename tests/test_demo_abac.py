"""The "abac" demo variant and what it plants in the main demo: the access failure modes, each with its fix."""

from __future__ import annotations

from acrdoctor.check_api import Status
from acrdoctor.demo import abac, build_demo, load_demo
from acrdoctor.engine import diagnose


def _result(snapshot, slug):  # type: ignore[no-untyped-def]
    (r,) = [r for r in diagnose(snapshot).results if r.slug == slug]
    return r


def test_variant_is_listed_deterministic_and_abac() -> None:
    from acrdoctor.demo.variants import variant_names

    assert variant_names()["abac"] == abac.DESCRIPTION
    s = load_demo("abac")
    assert s == abac.build()
    assert s.registry.role_assignment_mode == "AbacRepositoryPermissions"


def test_variant_shows_the_prefix_limited_contributor_and_the_ignored_acrdelete() -> None:
    r = _result(load_demo("abac"), "delete-permission")
    assert r.status is Status.FAILED
    (f,) = r.findings
    assert f.details["denied"] == ("team-b/worker", "tools/lint")
    assert "ignored: AcrDelete" in f.message
    assert abac.PIPELINE_ID in f.fix.commands[0]  # type: ignore[union-attr]


def test_variant_shows_the_purge_task_without_identity() -> None:
    r = _result(load_demo("abac"), "purge-task-access")
    (f,) = r.findings
    assert f.details["task"] == "nightly-purge"
    assert f.fix is not None and "--source-acr-auth-id '[system]'" in f.fix.commands[0]
    assert abac.TASK_PRINCIPAL_ID in f.fix.commands[1]


def test_main_demo_caller_is_the_build_agent_token() -> None:
    s = build_demo()
    assert s.access is not None and s.access.caller.token_name == "build-agent"
    r = _result(s, "delete-permission")
    (f,) = r.findings  # the 401 on team-b/scratch, nothing else: the scope map grants delete everywhere else
    assert f.resource.name == "team-b/scratch"
    assert f.fix is not None and f.fix.commands[0].startswith("az acr scope-map update --name build-agent-map ")
