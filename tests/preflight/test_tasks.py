"""preflight --tasks: every acr purge of the registry's ACR tasks, judged as of its next run, with its identity.

The selections are recounted here from the snapshot (tags older than the next run minus --ago), the next runs from
the schedule by hand, and the whole path is run once live: the fake ACR serves the tasks over ARM and the real SDK
clients read them.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from acrdoctor.builder import SnapshotBuilder, locked
from acrdoctor.check_api import Severity
from acrdoctor.cli import cli
from acrdoctor.errors import InputError
from acrdoctor.model import Snapshot
from acrdoctor.preflight.report_tasks import task_verdict, tasks_exit_code, tasks_to_dict
from acrdoctor.preflight.tasks import preflight_tasks, purge_commands
from acrdoctor.snapshot_io import dump_snapshot
from acrdoctor.testing import AsyncFakeCredential, FakeCredential, FakeRegistry, serve_fake_acr
from acrdoctor.testing._controls import task_yaml
from acrdoctor.times import parse_time

PURGE = "acr purge --registry {{.Run.Registry}} --filter 'app:.*' --ago 10d"


def registry(mode: str = "LegacyRegistryPermissions", **task: object) -> Snapshot:
    """app: one image per day of age from 1 to 30 days, one of them locked; a nightly purge task at 02:00."""
    b = SnapshotBuilder("contoso", sku="Premium")
    b.registry(role_assignment_mode=mode)
    b.collected("tasks")
    app = b.repository("app")
    for age in range(1, 31):
        app.image([f"build-{age}"], layers=[("base", 1_000), (f"app-{age}", age)], age_days=age,
                  tag_attributes={f"build-{age}": locked()} if age == 20 else None)
    b.no_private_endpoints().no_replications()
    b.set_usage()
    fields = {"schedule": "0 2 * * *", "identity_type": "SystemAssigned", **task}
    b.task("nightly-purge", [PURGE], **fields)  # type: ignore[arg-type]
    b.task("build", ["docker build -t app:{{.Run.ID}} ."])
    return b.build()


def with_task(snapshot: Snapshot, name: str = "nightly-purge", **changes: object) -> Snapshot:
    tasks = tuple(replace(t, **changes) if t.name == name else t for t in snapshot.tasks or ())  # type: ignore[arg-type]
    return replace(snapshot, tasks=tasks)


def next_two_am(now: datetime) -> datetime:
    at = now.astimezone(UTC).replace(hour=2, minute=0, second=0, microsecond=0)
    return at if at > now else at + timedelta(days=1)


def expected_tags(snapshot: Snapshot, at: datetime, ago_days: int = 10) -> set[str]:
    """What ``acr purge --filter 'app:.*' --ago 10d`` untags at ``at``: tags updated before the cutoff, not locked."""
    repo = next(r for r in snapshot.repositories or () if r.name == "app")
    cutoff = at - timedelta(days=ago_days)
    return {t.name for t in repo.tags or () if (parse_time(t.updated) or at) < cutoff
            and not t.attributes.blocks_delete}


@pytest.mark.parametrize("years", [0, 3, 12])
def test_the_next_run_and_what_it_deletes_then(years: int) -> None:
    snap = registry()
    # The clock moved years past the snapshot: everything is old by then, except what is locked.
    now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC) + timedelta(days=365 * years, hours=7)
    [result] = preflight_tasks(snap, now)
    assert result.next_run == next_two_am(now) == result.evaluated_at
    assert result.identity.can_delete is True
    [run] = result.purges
    assert run.plan is not None
    assert {t.tag for t in run.plan.delete_tags} == expected_tags(snap, result.evaluated_at)
    locked_tag = [b for b in run.plan.blocked if b.resource == "app:build-20"]
    assert locked_tag and locked_tag[0].level.value == "tool"  # skipped silently, as acr purge does
    assert task_verdict(result, snap, Severity.MEDIUM) == "blocked"


def test_ago_counts_back_from_the_next_run_not_from_now() -> None:
    snap = registry()
    now = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # the run is at 02:00 tomorrow; images were pushed at 09:00
    [result] = preflight_tasks(snap, now)
    at_run = expected_tags(snap, result.evaluated_at)
    at_now = expected_tags(snap, now)
    assert at_run > at_now  # an image turns 10 days old before the run
    assert {t.tag for t in result.purges[0].plan.delete_tags} == at_run  # type: ignore[union-attr]


def test_disabled_task_and_disabled_timer_say_so_and_do_not_fail_the_run() -> None:
    snap = with_task(registry(), status="Disabled")
    now = datetime.now(UTC)
    [result] = preflight_tasks(snap, now)
    assert not result.enabled and result.next_run is None and "does not run" in result.schedule_note
    assert task_verdict(result, snap, Severity.MEDIUM) == "disabled"
    assert tasks_exit_code((result,), snap, Severity.MEDIUM) == 0
    [no_timer] = preflight_tasks(registry(schedule=None), now)
    assert no_timer.next_run is None and no_timer.evaluated_at == now
    assert "no timer trigger" in no_timer.schedule_note
    task = registry().tasks[0]  # type: ignore[index]
    off = with_task(registry(), timers=tuple(replace(t, status="Disabled") for t in task.timers))
    [timer_off] = preflight_tasks(off, now)
    assert timer_off.next_run is None and "every timer trigger is disabled" in timer_off.schedule_note
    assert [t.enabled for t in timer_off.timers] == [False]


def test_a_task_whose_identity_cannot_delete_blocks_with_the_fix() -> None:
    snap = registry(mode="AbacRepositoryPermissions")
    [result] = preflight_tasks(snap, datetime.now(UTC))
    assert result.identity.can_delete is False
    assert result.identity.fix == ("az acr task update --name nightly-purge --registry contoso --resource-group "
                                   "rg-contoso --source-acr-auth-id '[system]'",)
    assert task_verdict(result, snap, Severity.MEDIUM) == "blocked"
    attached = registry(mode="AbacRepositoryPermissions", source_registry_identity="[system]")
    [known] = preflight_tasks(attached, datetime.now(UTC))
    assert known.identity.can_delete is None and "role assignments" in known.identity.reason
    unknown_mode = registry(mode=None)  # type: ignore[arg-type]
    [unknown] = preflight_tasks(unknown_mode, datetime.now(UTC))
    assert unknown.identity.can_delete is None
    unlocked = registry(mode="AbacRepositoryPermissions", source_registry_identity="[system]")
    assert task_verdict(preflight_tasks(unlocked, datetime.now(UTC))[0], unlocked, Severity.MEDIUM) in (
        "blocked", "incomplete")


def test_purges_are_found_in_every_way_a_task_writes_them() -> None:
    assert purge_commands("acr purge --filter 'a:.*' --ago 1d && acr purge --filter 'b:.*' --ago 2d") == [
        "acr purge --filter 'a:.*' --ago 1d", "acr purge --filter 'b:.*' --ago 2d"]
    # A YAML block scalar folded into one line keeps the backslashes of its line continuations.
    assert purge_commands("acr purge \\ --filter 'a:.*' \\ --untagged --ago 1d") == [
        "acr purge --filter 'a:.*' --untagged --ago 1d"]
    assert purge_commands("acr purge --filter 'a:.*' --ago 1d acr purge --filter 'b:.*' --ago 1d") == [
        "acr purge --filter 'a:.*' --ago 1d", "acr purge --filter 'b:.*' --ago 1d"]
    assert purge_commands("acr purge --filter 'a:.*' \\\n  --ago 1d\nacr purge --untagged-only") == [
        "acr purge --filter 'a:.*' --ago 1d", "acr purge --untagged-only"]
    assert purge_commands("mcr.microsoft.com/acr/acr-cli:0.8 purge --filter \"x:.*\" --ago 0d") == [
        'mcr.microsoft.com/acr/acr-cli:0.8 purge --filter "x:.*" --ago 0d']
    assert purge_commands("docker build -t app:{{.Run.ID}} .") == []


def test_what_a_purge_command_cannot_say_is_reported_not_guessed() -> None:
    b = SnapshotBuilder("contoso")
    b.registry(role_assignment_mode="LegacyRegistryPermissions")
    b.repository("app").image(["v1"], age_days=3)
    b.task("templated", ["acr purge --filter '{{.Values.repo}}:.*' --ago 1d"], schedule="0 0 * * *")
    b.task("invented", ["acr purge --filter 'app:.*' --last-pull-older-than 30d"], schedule="0 0 * * *")
    b.task("bad-cron", ["acr purge --filter 'app:.*' --ago 1d"], schedule="0 0 * * * *")
    snap = b.build()
    results = {r.task.name: r for r in preflight_tasks(snap, datetime.now(UTC))}
    assert "{{.Values.repo}}" in (results["templated"].purges[0].not_evaluated or "")
    assert "unknown flag --last-pull-older-than" in (results["invented"].purges[0].not_evaluated or "")
    assert results["bad-cron"].next_run is None and "five fields" in results["bad-cron"].schedule_note
    assert tasks_exit_code(tuple(results.values()), snap, Severity.MEDIUM) == 3
    doc = tasks_to_dict(tuple(results.values()), snap, datetime.now(UTC))
    assert [t["verdict"] for t in doc["tasks"]] == ["incomplete", "incomplete", "safe"]


def test_tasks_not_collected_is_an_input_error() -> None:
    snap = SnapshotBuilder("contoso").build()
    with pytest.raises(InputError, match="not collected"):
        preflight_tasks(snap, datetime.now(UTC))


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["preflight", *args])


def test_cli_on_a_snapshot_and_the_demo(tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    snap = registry()
    dump_snapshot(snap, path)
    result = run("--snapshot", str(path), "--tasks", "-o", "json")
    assert result.exit_code == 1, result.output  # the locked tag is skipped silently: a blocker, as in preflight
    doc = json.loads(result.stdout)
    assert doc["kind"] == "preflight-tasks" and doc["tasks_without_purge"] == ["build"]
    [task] = doc["tasks"]
    at = datetime.fromisoformat(task["next_run"])
    assert at == next_two_am(datetime.fromisoformat(doc["now"]))
    assert {t["tag"] for t in task["purges"][0]["plan"]["delete"]["tags"]} == expected_tags(snap, at)
    demo = run("--demo", "--tasks")
    assert demo.exit_code == 1 and "nightly-purge" in demo.stdout and "skips silently" in demo.stdout
    abac = run("--demo=abac", "--tasks")
    assert abac.exit_code == 1 and "--source-acr-auth-id '[system]'" in abac.stdout
    assert run("--demo", "--tasks", "--set", "A=1").exit_code == 2


def test_live_tasks_are_read_from_the_fake_acr(monkeypatch: pytest.MonkeyPatch) -> None:
    import acrdoctor.azure.session as session

    b = SnapshotBuilder("contoso", sku="Premium")
    b.registry(role_assignment_mode="LegacyRegistryPermissions")
    app = b.repository("app")
    for age in (2, 15, 40):
        app.image([f"v{age}"], layers=[("base", 1_000), (f"app-{age}", age)], age_days=age)
    purge = "acr purge --filter 'app:.*' --ago 10d --untagged"
    b.task("nightly", [purge], schedule="30 1 * * *", task_yaml=task_yaml([purge]), identity_type="SystemAssigned")
    b.task("weekly-off", [purge], task_yaml=task_yaml([purge]))
    b.no_private_endpoints().no_replications()
    snap = with_task(b.build(), "weekly-off", status="Disabled")
    state = FakeRegistry.from_snapshot(snap)
    monkeypatch.setattr(session, "credentials", lambda opts: (FakeCredential(), AsyncFakeCredential()))
    with serve_fake_acr(state) as srv:
        result = run("--registry", "contoso", "--subscription", snap.registry.subscription_id or "", "-g",
                     snap.registry.resource_group or "", "--arm-endpoint", srv.arm_endpoint, "--ca-file", srv.ca_pem,
                     "--no-cache", "--quiet", "--tasks", "-o", "json")
    doc = json.loads(result.stdout)
    assert result.exit_code == {"safe": 0, "warnings": 1, "blocked": 1, "incomplete": 3}[doc["verdict"]]
    names = [t["name"] for t in doc["tasks"]]
    assert names == ["nightly", "weekly-off"]
    nightly, off = doc["tasks"]
    assert off["enabled"] is False and off["verdict"] == "disabled"
    now = datetime.fromisoformat(doc["now"])
    at = datetime.fromisoformat(nightly["next_run"])
    expected_at = now.replace(hour=1, minute=30, second=0, microsecond=0)
    assert at == (expected_at if expected_at > now else expected_at + timedelta(days=1))
    repo = next(r for r in snap.repositories or () if r.name == "app")
    old = {m.digest for m in repo.manifests or () if (parse_time(m.updated) or at) < at - timedelta(days=10)}
    assert {m["digest"] for m in nightly["purges"][0]["plan"]["delete"]["manifests"]} == old
    assert nightly["identity"]["can_delete"] is True
