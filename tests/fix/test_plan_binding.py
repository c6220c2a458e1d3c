"""The plan applied is the plan reviewed: a digest printed with the plan, recorded, checked, and pinnable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

import acrdoctor.cli.fix as command
from acrdoctor.fix.digest import parse_digest, plan_digest
from acrdoctor.fix.journal import read_journal
from acrdoctor.fix.model import FixPlan
from acrdoctor.fix.plan import make_plan
from acrdoctor.snapshot_io import snapshot_to_dict
from acrdoctor.testing import FakeRegistry
from tests.fix.conftest import interrupted_journal, writes
from tests.fix.test_apply import _tag
from tests.fix.test_fix_cli import fake_credentials, one_line_error, run

__all__ = ["fake_credentials"]  # the autouse fixture, shared with the other CLI tests


def endpoint_args(srv: Any) -> list[str]:
    return ["--arm-endpoint", srv.arm_endpoint, "--ca-file", str(srv.ca_pem), "--no-cache", "--quiet"]


def refused(result: Result, *fragments: str) -> str:
    return one_line_error(result, 2, *fragments)


def _tagged_manifest(state: FakeRegistry, repository: str) -> str:
    """A manifest that a tag keeps: what no plan of acrdoctor's would delete."""
    repo = state.repositories[repository]
    return next(d for d in sorted(repo.manifests) if repo.tags_of(d))


def _add_a_delete(line: dict[str, Any], state: FakeRegistry) -> tuple[str, str]:
    """Edit a plan line as someone bending it would: one more manifest delete, with no expectation to trip on."""
    steps = line["plan"]["steps"]
    group = next(s for s in steps if s.get("group") == "delete-manifests")
    repository = group["repository"]
    digest = _tagged_manifest(state, repository)
    last = max(s["first"] + len(s["digests"]) - 1 if "group" in s else s["number"] for s in steps)
    steps.append({"number": last + 1, "phase": "delete", "expect": None, "after": [], "findings": group["findings"],
                  "action": {"kind": "DeleteManifest", "registry": group["registry"], "repository": repository,
                             "digest": digest}})
    return repository, digest


def _rewrite_first_line(path: Path, edit: Any) -> None:
    lines = path.read_text().splitlines()
    first = json.loads(lines[0])
    edit(first)
    path.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")


def _saved_plan(srv: Any, demo: Any, path: Path) -> str:
    reg = demo.registry
    result = run("--registry", reg.name, "--subscription", reg.subscription_id, "-g", reg.resource_group,
                 *endpoint_args(srv), "--plan-out", str(path))
    assert result.exit_code == 0, result.output
    shown = next(x for x in result.stdout.splitlines() if x.strip().startswith("plan sha256:"))
    return shown.split()[1]


# -- the digest itself -------------------------------------------------------------------------------------


def test_the_digest_survives_a_round_trip_and_ignores_volatile_fields(demo, catalogue) -> None:
    plan = make_plan(demo, catalogue)
    again = FixPlan.from_dict(json.loads(json.dumps(plan.to_dict())))
    assert plan_digest(again) == plan_digest(plan)
    doc = plan.to_dict(expand=True)
    assert plan_digest(FixPlan.from_dict(doc)) == plan_digest(plan), "grouped or expanded, the same steps"
    doc["created_at"], doc["freed_bytes"] = "2099-01-01T00:00:00Z", 1
    doc["steps"][0]["describe"] = doc["steps"][0]["impact"] = "something else"
    assert plan_digest(FixPlan.from_dict(doc)) == plan_digest(plan)


def test_a_journal_edited_to_resume_against_another_endpoint_is_refused(srv, demo, tmp_path: Path,
                                                                        monkeypatch) -> None:
    """The endpoints are part of the plan and its digest: an edit that would send the resume, and the ARM token
    with it, to another host is refused like an added delete, even with the recorded digest rewritten to match."""
    journal = tmp_path / "j.jsonl"
    _start_and_interrupt(srv, demo, journal, monkeypatch)
    reviewed = read_journal(journal).plan_digest or ""
    evil = "https://127.0.0.1:9"

    def redirect(line: dict[str, Any]) -> None:
        line["plan"]["endpoints"]["arm_endpoint"] = evil
        line["plan_digest"] = plan_digest(FixPlan.from_dict(line["plan"]))

    _rewrite_first_line(journal, redirect)
    srv.reset_log()
    refused(run("--resume", str(journal), "--yes", "--plan-digest", reviewed), "--plan-digest", reviewed)
    assert srv.requests == []


def test_the_journal_line_s_own_copy_of_the_endpoints_is_never_used(srv, state, demo, tmp_path: Path,
                                                                    monkeypatch) -> None:
    """Only the plan's endpoints (bound by the digest) are used; the copy beside it is for people to read."""
    journal = tmp_path / "j.jsonl"
    _start_and_interrupt(srv, demo, journal, monkeypatch)
    reviewed = read_journal(journal).plan_digest or ""
    _rewrite_first_line(journal, lambda line: line.update(endpoints={"arm_endpoint": "https://127.0.0.1:9",
                                                                     "ca_file": None}))
    result = run("--resume", str(journal), "--yes", "--plan-digest", reviewed, "--quiet")
    assert result.exit_code == 0, result.output
    assert read_journal(journal).finished and "legacy/mailhog" not in state.repositories


def test_a_saved_plan_runs_against_the_endpoints_it_was_made_with(srv, demo, tmp_path: Path) -> None:
    path = tmp_path / "plan.jsonl"
    digest = _saved_plan(srv, demo, path)
    assert read_journal(path).plan.endpoints["arm_endpoint"] == srv.arm_endpoint
    srv.reset_log()
    refused(run("--from-plan", str(path), "--apply", "--yes", "--plan-digest", digest, "--arm-endpoint",
                "https://127.0.0.1:9"), f"the plan was made with --arm-endpoint {srv.arm_endpoint}")
    assert srv.requests == []


@pytest.mark.parametrize("bend", [
    lambda d: d["steps"].pop(),
    lambda d: d["steps"].reverse(),
    lambda d: d["steps"][1]["action"].update(repository="other/repo"),
    lambda d: d["steps"][1].update(expect=None),
    lambda d: d["steps"][-1].update(after=[]),
    lambda d: d.update(registry="fabrikam"),
])
def test_any_change_to_what_runs_changes_the_digest(demo, catalogue, bend) -> None:
    plan = make_plan(demo, catalogue)
    doc = plan.to_dict(expand=True)
    bend(doc)
    assert plan_digest(FixPlan.from_dict(doc)) != plan_digest(plan)


def _group(doc: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in doc["steps"] if s.get("group") == "delete-manifests")


@pytest.mark.parametrize("bend", [
    lambda d: _group(d)["digests"].append("sha256:" + "0" * 64) or _group(d)["impacts"].append(""),
    lambda d: _group(d)["digests"].reverse(),
    lambda d: _group(d).update(repository="other/repo"),
    lambda d: _group(d).update(expect=None),
    lambda d: _group(d).update(expect_except={"0": None}),
    lambda d: _group(d).update(after=[1]),
    lambda d: _group(d).update(first=_group(d)["first"] + 1),
])
def test_any_change_to_a_group_of_deletes_changes_the_digest(demo, catalogue, bend) -> None:
    plan = make_plan(demo, catalogue)
    doc = plan.to_dict()
    bend(doc)
    assert plan_digest(FixPlan.from_dict(doc)) != plan_digest(plan)


def test_a_plan_digest_value_is_checked_for_its_form() -> None:
    assert parse_digest("SHA256:" + "AB" * 32) == "sha256:" + "ab" * 32
    refused(run("--demo", "--plan-digest", "sha256:xyz"), "--plan-digest", "64 hex digits")


# -- plan files ----------------------------------------------------------------------------------------------


def test_a_plan_file_edited_to_add_a_delete_is_refused_and_nothing_is_sent(srv, state, demo, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.jsonl"
    reviewed = _saved_plan(srv, demo, plan_file)
    added: list[tuple[str, str]] = []
    _rewrite_first_line(plan_file, lambda line: added.append(_add_a_delete(line, state)))
    ((repository, digest),) = added
    srv.reset_log()
    result = run("--from-plan", str(plan_file), "--apply", "--yes", "--plan-digest", reviewed, *endpoint_args(srv),
                 "--journal", str(tmp_path / "j.jsonl"))
    refused(result, str(plan_file), "the plan was changed after it was written", reviewed, "nothing was applied")
    assert writes(srv) == [] and srv.requests == []
    assert digest in state.repositories[repository].manifests
    assert not (tmp_path / "j.jsonl").exists()


def test_a_plan_file_edited_with_its_recorded_digest_is_refused_by_the_pinned_one(srv, state, demo, tmp_path: Path,
                                                                                   monkeypatch) -> None:
    plan_file = tmp_path / "plan.jsonl"
    reviewed = _saved_plan(srv, demo, plan_file)

    def bend(line: dict[str, Any]) -> None:
        _add_a_delete(line, state)
        line["plan_digest"] = plan_digest(FixPlan.from_dict(line["plan"]))

    _rewrite_first_line(plan_file, bend)
    bent = read_journal(plan_file).plan_digest
    srv.reset_log()
    result = run("--from-plan", str(plan_file), "--apply", "--yes", "--plan-digest", reviewed, *endpoint_args(srv))
    refused(result, f"the plan's digest is {bent}, not the --plan-digest {reviewed}")
    assert writes(srv) == []
    # A person confirming at the prompt is shown the digest of what would run, not the reviewed one.
    monkeypatch.setattr(command, "interactive", lambda: True)
    shown = run("--from-plan", str(plan_file), "--apply", *endpoint_args(srv), input="n\n")
    assert shown.exit_code == 5 and f"plan {bent}" in shown.stdout and reviewed not in shown.stdout
    assert writes(srv) == []


def test_yes_with_a_saved_plan_needs_the_reviewed_digest(srv, demo, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.jsonl"
    _saved_plan(srv, demo, plan_file)
    srv.reset_log()
    refused(run("--from-plan", str(plan_file), "--apply", "--yes", *endpoint_args(srv)),
            "--yes with a saved plan needs --plan-digest")
    assert srv.requests == []


def test_the_reviewed_digest_applies_the_saved_plan(srv, state, demo, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.jsonl"
    reviewed = _saved_plan(srv, demo, plan_file)
    journal = tmp_path / "j.jsonl"
    result = run("--from-plan", str(plan_file), "--apply", "--yes", "--plan-digest", reviewed, *endpoint_args(srv),
                 "--journal", str(journal))
    assert result.exit_code == 0, result.output
    assert "legacy/mailhog" not in state.repositories
    assert read_journal(journal).plan_digest == reviewed


def test_a_fresh_plan_that_differs_from_the_pinned_digest_is_not_applied(srv, state, demo, tmp_path: Path) -> None:
    reg = demo.registry
    reviewed = _saved_plan(srv, demo, tmp_path / "plan.jsonl")
    repo = next(r for r in state.repositories.values() if any(not r.tags_of(d) for d in r.manifests))
    _tag(state, repo.name, next(d for d in sorted(repo.manifests) if not repo.tags_of(d)), "pinned-meanwhile")
    srv.reset_log()
    result = run("--registry", reg.name, "--subscription", reg.subscription_id, "-g", reg.resource_group,
                 *endpoint_args(srv), "--apply", "--yes", "--plan-digest", reviewed)
    refused(result, "not the --plan-digest", reviewed)
    assert writes(srv) == []


# -- journals --------------------------------------------------------------------------------------------


def test_a_journal_plan_line_edited_to_add_a_delete_is_refused_on_resume(srv, state, read, clients, catalogue,
                                                                         tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "j.jsonl"
    plan = interrupted_journal(read, clients, catalogue, path)
    confirmed = plan_digest(plan)
    added: list[tuple[str, str]] = []
    _rewrite_first_line(path, lambda line: added.append(_add_a_delete(line, state)))
    ((repository, digest),) = added
    srv.reset_log()
    refused(run("--resume", str(path), "--yes", "--plan-digest", confirmed, *endpoint_args(srv)),
            "the plan was changed after it was written", confirmed)
    monkeypatch.setattr(command, "interactive", lambda: True)
    refused(run("--resume", str(path), *endpoint_args(srv), input="y\n"), "the plan was changed")
    assert srv.requests == []
    assert digest in state.repositories[repository].manifests
    assert "changed after confirmation" in run("--inspect", str(path)).stdout


def test_resume_with_the_confirmed_digest_finishes_the_run(srv, state, read, clients, catalogue,
                                                           tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    plan = interrupted_journal(read, clients, catalogue, path)
    refused(run("--resume", str(path), "--yes", *endpoint_args(srv)), "--plan-digest")
    result = run("--resume", str(path), "--yes", "--plan-digest", plan_digest(plan), *endpoint_args(srv))
    assert result.exit_code == 0, result.output
    assert read_journal(path).finished and "legacy/mailhog" not in state.repositories
    resumed = [e for e in read_journal(path).events if e["event"] == "resume"]
    assert resumed[0]["plan_digest"] == plan_digest(plan)


# -- resuming against the same endpoints ------------------------------------------------------------------


def _start_and_interrupt(srv: Any, demo: Any, journal: Path, monkeypatch: pytest.MonkeyPatch,
                         plan_args: tuple[str, ...] | None = None) -> Result:
    """A CLI run against the fake's own ARM endpoint and CA, stopped by Ctrl-C after its fourth step.

    ``plan_args`` say where the plan comes from (default: planned live against the fake)."""
    real = command.execute

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        def stop(step: Any, outcome: Any) -> None:
            if step.number == 4:
                raise KeyboardInterrupt

        return real(*args, **{**kwargs, "on_step": stop, "concurrency": 1})

    monkeypatch.setattr(command, "execute", interrupted)
    reg = demo.registry
    source = plan_args or ("--registry", reg.name, "--subscription", reg.subscription_id, "-g", reg.resource_group)
    result = run(*source, *endpoint_args(srv), "--apply", "--yes", "--journal", str(journal))
    monkeypatch.setattr(command, "execute", real)
    assert result.exit_code == 130, result.output
    return result


def test_resume_uses_the_endpoints_the_run_started_with(srv, state, demo, tmp_path: Path, monkeypatch) -> None:
    journal = tmp_path / "j.jsonl"
    _start_and_interrupt(srv, demo, journal, monkeypatch)
    saved = read_journal(journal)
    assert saved.endpoints == {"arm_endpoint": srv.arm_endpoint, "ca_file": str(Path(srv.ca_pem).resolve())}
    assert "legacy/mailhog" in state.repositories
    line = journal.read_text().splitlines()[0]
    assert "token" not in line.lower() and "secret" not in line.lower()
    # No --arm-endpoint, no --ca-file: the public cloud would be asked, and the fake's CA not trusted.
    result = run("--resume", str(journal), "--yes", "--plan-digest", saved.plan_digest or "", "--quiet")
    assert result.exit_code == 0, result.output
    assert "(earlier run)" in result.stdout and read_journal(journal).finished
    assert "legacy/mailhog" not in state.repositories


def test_a_plan_made_offline_resumes_against_the_endpoints_it_was_applied_with(srv, state, demo, tmp_path: Path,
                                                                               monkeypatch) -> None:
    """Planned from a snapshot (no endpoints), applied through the fake's: the resume must not fall back to the
    public cloud. The endpoints are bound to the plan when it is applied, so the journal's digest covers them."""
    snapshot, plan_file, journal = tmp_path / "demo.json", tmp_path / "plan.jsonl", tmp_path / "j.jsonl"
    snapshot.write_text(json.dumps(snapshot_to_dict(demo)))
    assert run("--snapshot", str(snapshot), "--plan-out", str(plan_file)).exit_code == 0
    saved = read_journal(plan_file)
    assert saved.plan.endpoints == {}
    _start_and_interrupt(srv, demo, journal, monkeypatch,
                         ("--from-plan", str(plan_file), "--plan-digest", saved.plan_digest or ""))
    bound = read_journal(journal)
    assert bound.plan.endpoints == {"arm_endpoint": srv.arm_endpoint, "ca_file": str(Path(srv.ca_pem).resolve())}
    assert bound.plan_digest == plan_digest(bound.plan) != saved.plan_digest
    result = run("--resume", str(journal), "--yes", "--plan-digest", bound.plan_digest or "", "--quiet")
    assert result.exit_code == 0, result.output
    assert read_journal(journal).finished and "legacy/mailhog" not in state.repositories


def test_resume_against_another_endpoint_is_refused(srv, demo, tmp_path: Path, monkeypatch) -> None:
    journal = tmp_path / "j.jsonl"
    _start_and_interrupt(srv, demo, journal, monkeypatch)
    digest = read_journal(journal).plan_digest or ""
    srv.reset_log()
    refused(run("--resume", str(journal), "--yes", "--plan-digest", digest, "--arm-endpoint", "https://127.0.0.1:9"),
            f"the run started with --arm-endpoint {srv.arm_endpoint}", "https://127.0.0.1:9")
    other_ca = tmp_path / "other.pem"
    other_ca.write_text(Path(srv.ca_pem).read_text())
    refused(run("--resume", str(journal), "--yes", "--plan-digest", digest, "--ca-file", str(other_ca)),
            "the run started with --ca-file")
    assert srv.requests == []


@pytest.mark.parametrize("bend", [
    lambda line: line.update(plan_digest="sha256:\x1b[2Jclear"),
    lambda line: line.update(endpoints={"arm_endpoint": "https://evil\n\x1b[31mfake line", "ca_file": None}),
])
def test_a_journal_with_a_malformed_digest_or_endpoint_is_one_line(demo, catalogue, tmp_path: Path, bend) -> None:
    """Both are printed in messages and used for requests: anything but the form acrdoctor writes is refused."""
    path = tmp_path / "j.jsonl"
    line = {"event": "plan", "plan": make_plan(demo, catalogue).to_dict(), "plan_digest": None, "endpoints": {}}
    bend(line)
    path.write_text(json.dumps(line) + "\n")
    refused(run("--inspect", str(path)), "malformed plan_digest or endpoints")
