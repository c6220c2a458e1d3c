"""``acrdoctor fix`` on the command line: plan only, confirmation, apply, journal, resume, bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import acrdoctor.azure.session as session
import acrdoctor.cli.fix as command
from acrdoctor.actions import RegistryRef
from acrdoctor.cli import cli
from acrdoctor.fix.journal import read_journal
from acrdoctor.grouping import ManifestDeletes
from acrdoctor.testing import AsyncFakeCredential, FakeCredential
from tests.fix.conftest import interrupted_journal, writes
from tests.fix.test_apply import _tag


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(session, "credentials", lambda opts: (FakeCredential(), AsyncFakeCredential()))
    yield


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["fix", *args], input=input)


def live_args(srv: Any, demo: Any, *extra: str) -> list[str]:
    reg = demo.registry
    return ["--registry", reg.name, "--subscription", reg.subscription_id, "-g", reg.resource_group,
            "--arm-endpoint", srv.arm_endpoint, "--ca-file", srv.ca_pem, "--no-cache", "--quiet", *extra]


def one_line_error(result: Result, code: int, *fragments: str) -> str:
    assert result.exit_code == code, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("acrdoctor: error: "), result.stderr
    for f in fragments:
        assert f in lines[0]
    return lines[0]


def test_plan_only_changes_nothing_and_says_how_to_apply() -> None:
    result = run("--demo")
    assert result.exit_code == 0, result.output
    assert "Fix plan for contoso" in result.stdout and "15 steps for 5 findings" in result.stdout
    assert "az acr repository delete --name contoso --repository legacy/mailhog --yes" in result.stdout
    assert "Nothing was changed. To apply these 15 steps: add --apply." in result.stdout


def test_plan_as_json_is_the_plan_document() -> None:
    doc = json.loads(run("--demo", "-o", "json", "--expand").stdout)
    assert doc["applied"] is None and doc["plan"]["kind"] == "acrdoctor-fix-plan"
    assert [s["phase"] for s in doc["plan"]["steps"]].count("delete") == 14
    assert doc["plan"]["freed_bytes"] == 858089311
    grouped = json.loads(run("--demo", "-o", "json").stdout)
    groups = [s for s in grouped["plan"]["steps"] if s.get("group") == "delete-manifests"]
    assert groups and len(grouped["plan"]["steps"]) < len(doc["plan"]["steps"])
    assert grouped["plan_digest"] == doc["plan_digest"]
    # A group's command is diagnose's template for the same deletes; the steps in full print each command.
    by_number = {s["number"]: s for s in doc["plan"]["steps"]}
    for g in groups:
        deletes = ManifestDeletes(RegistryRef(g["registry"]["name"], g["registry"]["resource_group"]),
                                  g["repository"], tuple(g["digests"]))
        assert g["command"] == deletes.template() and "$digest" in g["command"]
        assert [by_number[g["first"] + i]["commands"][0] for i in range(len(g["digests"]))] == list(deletes.expand())


@pytest.mark.parametrize(("args", "fragments"), [
    (["--demo", "--apply"], ["--apply needs a live registry"]),
    (["--demo", "--check", "no-such-check"], ["unknown check 'no-such-check'"]),
    (["--demo", "--caller-ip", "999.1.2.3"], ["--caller-ip", "not an IPv4"]),
    (["--demo", "--snapshot", "x.json"], ["give only one of"]),
])
def test_bad_input_is_one_line_and_exit_2(args: list[str], fragments: list[str]) -> None:
    one_line_error(run(*args), 2, *fragments)


def test_a_file_that_is_not_a_journal_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "j.jsonl"
    bad.write_text("hello\n")
    one_line_error(run("--resume", str(bad)), 2, "not a JSON line")
    bad.write_text('{"event": "start"}\n')
    one_line_error(run("--inspect", str(bad)), 2, "does not start with a fix plan")


def test_without_a_terminal_and_without_yes_nothing_changes(srv, demo, tmp_path: Path) -> None:
    result = run(*live_args(srv, demo, "--apply", "--journal", str(tmp_path / "j.jsonl")))
    one_line_error(result, 5, "not confirmed", "--yes", "Nothing was changed")
    assert writes(srv) == []
    assert not (tmp_path / "j.jsonl").exists()


def test_answering_no_changes_nothing(srv, demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(command, "interactive", lambda: True)
    result = run(*live_args(srv, demo, "--apply", "--journal", str(tmp_path / "j.jsonl")), input="n\n")
    assert result.exit_code == 5
    assert "Apply these 15 steps to registry contoso?" in result.stderr
    assert writes(srv) == []


def test_answering_yes_applies_verifies_and_journals(srv, state, demo, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(command, "interactive", lambda: True)
    journal = tmp_path / "j.jsonl"
    result = run(*live_args(srv, demo, "--apply", "--journal", str(journal)), input="y\n")
    assert result.exit_code == 0, result.output
    assert "Applied: 15 done, 0 already so, 0 failed, 0 skipped, 0 not run" in result.stdout
    assert "5 fixed" in result.stdout and f"Journal: {journal}" in result.stdout
    assert "legacy/mailhog" not in state.repositories
    saved = read_journal(journal)
    assert saved.finished and len(saved.succeeded()) == 15
    assert saved.events[0]["confirmed_by"] == "prompt"

    shown = run("--inspect", str(journal))
    assert shown.exit_code == 0 and "The run finished; 15 of 15 steps succeeded." in shown.stdout


def test_yes_with_json_output(srv, demo, tmp_path: Path) -> None:
    result = run(*live_args(srv, demo, "--apply", "--yes", "-o", "json", "--journal", str(tmp_path / "j.jsonl")))
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["applied"]["summary"]["done"] == 15 and doc["journal"] == str(tmp_path / "j.jsonl")
    assert {v["status"] for v in doc["applied"]["verification"]} == {"fixed"}


def test_a_saved_plan_applied_after_the_registry_changed_stops(srv, state, demo, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.jsonl"
    assert run(*live_args(srv, demo, "--plan-out", str(plan_file))).exit_code == 0
    step = next(s for s in read_journal(plan_file).plan.steps if s.phase == "delete")
    _tag(state, step.action.repository, step.action.digest, "v9")
    srv.reset_log()
    result = run("--from-plan", str(plan_file), "--apply", "--yes", "--plan-digest",
                 read_journal(plan_file).plan_digest or "", "--arm-endpoint", srv.arm_endpoint,
                 "--ca-file", str(srv.ca_pem), "--journal", str(tmp_path / "j.jsonl"))
    assert result.exit_code == 4, result.output
    assert "Stopped: the registry changed since the plan was made (1 object)" in result.stdout
    assert "tags: added [v9]" in result.stdout
    assert writes(srv) == []


def test_a_saved_plan_for_another_registry_is_refused(srv, demo, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.jsonl"
    run("--demo", "--plan-out", str(plan_file))
    one_line_error(run("--from-plan", str(plan_file), "--registry", "fabrikam"), 2, "plan is for registry contoso")


def test_resume_finishes_an_interrupted_run(srv, state, demo, read, clients, catalogue, tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    interrupted_journal(read, clients, catalogue, path)
    shown = run("--inspect", str(path))
    assert "The run did not finish (--resume finishes it); 4 of 15 steps succeeded." in shown.stdout
    assert "pending" in shown.stdout

    result = run("--resume", str(path), "--yes", "--plan-digest", read_journal(path).plan_digest or "",
                 "--arm-endpoint", srv.arm_endpoint, "--ca-file", str(srv.ca_pem))
    assert result.exit_code == 0, result.output
    assert "(earlier run)" in result.stdout
    assert read_journal(path).finished
    assert "legacy/mailhog" not in state.repositories


def test_an_unreachable_registry_is_one_line(demo, tmp_path: Path) -> None:
    reg = demo.registry
    result = run("--registry", reg.name, "--subscription", reg.subscription_id, "-g", reg.resource_group,
                 "--arm-endpoint", "https://127.0.0.1:9", "--no-cache", "--quiet")
    one_line_error(result, 3, "cannot reach")


def test_ctrl_c_while_applying_says_how_to_resume(srv, demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(command, "execute", interrupted)
    journal = tmp_path / "j.jsonl"
    result = run(*live_args(srv, demo, "--apply", "--yes", "--journal", str(journal)))
    line = one_line_error(result, 130, "interrupted", f"acrdoctor fix --resume {journal}")
    assert "nothing more was changed" in line
    assert read_journal(journal).plan.registry == "contoso"


def test_diagnose_points_to_fix_with_a_command_that_works() -> None:
    out = CliRunner().invoke(cli, ["diagnose", "--demo"]).stdout
    line = next(x for x in out.splitlines() if "acrdoctor fix" in x)
    assert "acrdoctor fix --demo shows the fixes" in line and "nothing changes without --apply" in line
    assert run("--demo").exit_code == 0
