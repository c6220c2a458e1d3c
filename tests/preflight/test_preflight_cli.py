"""acrdoctor preflight through the CLI: exit codes, the JSON contract, the safe plan script, --in-use."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from acrdoctor.builder import SnapshotBuilder, locked
from acrdoctor.cli import cli
from acrdoctor.snapshot_io import dump_snapshot


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["preflight", *args])


def json_plan(*args: str) -> dict:
    result = run(*args)
    assert result.exit_code in (0, 1, 3), result.output
    return json.loads(result.stdout)


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    """Two repositories sharing a base layer; a locked tag, a locked repository, a signed image."""
    b = SnapshotBuilder(name="contoso", sku="Standard")
    app = b.repository("app")
    v1 = app.image(["v1", "stable"], layers=[("base", 1_000), ("app-v1", 300)], config=("cfg-v1", 10), age_days=90)
    app.image(["v2"], layers=[("base", 1_000), ("app-v2", 400)], config=("cfg-v2", 10), age_days=5,
              tag_attributes={"v2": locked()})
    app.referrer(v1, name="sig", size=50)
    app.image(layers=[("app-old", 700)], config=("cfg-old", 10), age_days=60)  # dangling
    frozen = b.repository("frozen", attributes=locked(delete=True, write=False))
    frozen.image(["1.0"], layers=[("base", 1_000), ("frozen", 200)], config=("cfg-frozen", 10), age_days=100)
    b.no_private_endpoints()
    b.no_replications()
    b.set_usage()
    path = tmp_path / "snap.json"
    dump_snapshot(b.build(), path)
    return path


def test_delete_by_tag_lists_co_deleted_tags_and_exact_bytes(registry: Path) -> None:
    plan = json_plan("--snapshot", str(registry), "-o", "json", "--",
                     "az", "acr", "repository", "delete", "--name", "contoso", "--image", "app:v1", "--yes")
    assert plan["co_deleted_tags"] == [{"repository": "app", "tag": "stable"}]
    assert sorted(t["tag"] for t in plan["delete"]["tags"]) == ["stable", "v1"]
    # app-v1 layer + its config + the signature (its layer and config) go; "base" stays (shared)
    assert plan["reclaimable_bytes"] == 300 + 10 + 50 + 2
    assert plan["retained_shared_bytes"] == 1_000
    assert {h["repository"] for h in plan["shared_holders"]} >= {"frozen"}
    assert len(plan["cascaded_referrers"]) == 1
    for key in ("reclaimable_bytes", "retained_shared_bytes", "delete", "blocked", "warnings"):
        assert key in plan


def test_exit_codes(registry: Path) -> None:
    snap = ["--snapshot", str(registry)]
    # untag frees nothing: a low warning only, so the default --fail-on medium passes
    assert run(*snap, "--", "az", "acr", "repository", "untag", "--name", "contoso", "--image", "app:stable"
               ).exit_code == 0
    # a locked repository refuses the purge's deletes: blocked
    assert run(*snap, "--", "acr", "purge", "--filter", "frozen:.*", "--ago", "1d", "--untagged").exit_code == 1
    # bad command: one line, exit 2
    bad = run(*snap, "--", "acr", "purge", "--filter", "app:(", "--ago", "1d")
    assert bad.exit_code == 2 and bad.stderr.count("\n") == 1 and "acrdoctor: error:" in bad.stderr


def test_blocked_purge_explains_repository_locks(registry: Path) -> None:
    plan = json_plan("--snapshot", str(registry), "-o", "json", "--",
                     "acr", "purge", "--filter", ".*:.*", "--ago", "30d", "--untagged")
    levels = {(b["resource"].split(":")[0].split("@")[0], b["level"]) for b in plan["blocked"]}
    assert ("frozen", "repository") in levels
    # v2's locked tag is newer than 30 days, so the purge never selects it: nothing is blocked at tag level
    assert not any(b["level"] in ("tag", "tool") for b in plan["blocked"])
    codes = {w["code"] for w in plan["warnings"]}
    assert "untagged-with-broad-tag-regex" in codes


def test_in_use_images_are_blocked_and_not_deleted(registry: Path, tmp_path: Path) -> None:
    in_use = tmp_path / "in-use.txt"
    in_use.write_text("# from kubectl\ncontoso.azurecr.io/app:stable\n")
    result = run("--snapshot", str(registry), "--in-use", str(in_use), "-o", "json", "--",
                 "az", "acr", "repository", "delete", "--name", "contoso", "--image", "app:v1", "--yes")
    assert result.exit_code == 1
    plan = json.loads(result.stdout)
    assert [b["level"] for b in plan["blocked"]] == ["in-use"]
    assert plan["delete"]["manifests"] == []
    assert plan["reclaimable_bytes"] == 0


def test_safe_plan_script_leaves_out_blocked_targets_and_parses(registry: Path, tmp_path: Path) -> None:
    script = tmp_path / "plan.sh"
    result = run("--snapshot", str(registry), "--safe-plan-out", str(script), "--",
                 "acr", "purge", "--filter", ".*:.*", "--ago", "30d", "--untagged")
    assert result.exit_code == 1
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in text
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0
    commands = [line for line in text.splitlines() if line.startswith("az ")]
    assert commands, text
    assert not any("frozen" in c for c in commands)  # blocked by the repository lock
    assert any(c.startswith("az acr repository untag --name contoso --image app:v1") for c in commands)
    assert all(c.startswith(("az acr repository untag ", "az acr repository delete ")) for c in commands)


def test_markdown_and_table_outputs(registry: Path) -> None:
    cmd = ["--", "az", "acr", "repository", "delete", "--name", "contoso", "--image", "app:v1", "--yes"]
    md = run("--snapshot", str(registry), "-o", "markdown", *cmd)
    assert md.stdout.startswith("## acrdoctor preflight: `contoso`")
    table = run("--snapshot", str(registry), *cmd)
    assert "Would delete 2 manifests and 2 tags" in table.stdout
    assert "Frees exactly 362 B" in table.stdout


def test_demo_registry_delete_is_blocked_by_private_endpoints_and_the_resource_group_lock() -> None:
    result = run("--demo", "-o", "json", "--", "az", "acr", "delete", "--name", "contoso", "--yes")
    assert result.exit_code == 1
    plan = json.loads(result.stdout)
    assert {b["level"] for b in plan["blocked"]} == {"registry"}
    assert [b["check"] for b in plan["blocked"]] == ["private-endpoints-block-registry-delete"] * 2 + ["resource-locks"]
    assert plan["blocked"][2]["resource"] == "platform-no-delete"
    assert "connected-registries" in [w["code"] for w in plan["warnings"]]


def test_wrong_registry_name_and_missing_command_are_input_errors(registry: Path) -> None:
    wrong = run("--snapshot", str(registry), "--", "az", "acr", "delete", "--name", "fabrikam", "--yes")
    assert wrong.exit_code == 2 and "fabrikam" in wrong.stderr
    missing = run("--snapshot", str(registry))
    assert missing.exit_code == 2


def test_a_repository_delete_refused_by_a_lock_inside_is_not_in_the_plan_or_the_script(
        registry: Path, tmp_path: Path) -> None:
    # app has a locked tag (v2): ACR refuses the whole-repository delete, so nothing may claim it happens.
    script = tmp_path / "plan.sh"
    result = run("--snapshot", str(registry), "--safe-plan-out", str(script), "-o", "json", "--",
                 "az", "acr", "repository", "delete", "--name", "contoso", "--repository", "app", "--yes")
    assert result.exit_code == 1
    plan = json.loads(result.stdout)
    assert [b["level"] for b in plan["blocked"]] == ["tag"]
    assert plan["delete"]["repositories"] == []
    assert [line for line in script.read_text().splitlines() if line.startswith("az ")] == []
    table = run("--snapshot", str(registry), "--", "az", "acr", "repository", "delete", "--name", "contoso",
                "--repository", "app", "--yes")
    assert "Would delete 0 manifests and 0 tags" in table.stdout


def test_registry_delete_refused_by_an_in_use_image_is_not_announced(registry: Path, tmp_path: Path) -> None:
    in_use = tmp_path / "in-use.txt"
    in_use.write_text("contoso.azurecr.io/app:v1\n")
    script = tmp_path / "plan.sh"
    cmd = ["--", "az", "acr", "delete", "--name", "contoso", "--yes"]
    result = run("--snapshot", str(registry), "--in-use", str(in_use), "--safe-plan-out", str(script), "-o", "json",
                 *cmd)
    assert result.exit_code == 1
    assert json.loads(result.stdout)["delete"]["registry"] is False
    assert [line for line in script.read_text().splitlines() if line.startswith("az ")] == []
    table = run("--snapshot", str(registry), "--in-use", str(in_use), *cmd)
    assert "The registry delete would be refused" in table.stdout
    assert "The whole registry would be deleted" not in table.stdout


def test_an_allowed_registry_delete_is_one_command(registry: Path, tmp_path: Path) -> None:
    script = tmp_path / "plan.sh"
    result = run("--snapshot", str(registry), "--safe-plan-out", str(script), "-o", "json", "--",
                 "az", "acr", "delete", "--name", "contoso", "--yes")
    assert json.loads(result.stdout)["delete"]["registry"] is True
    assert [line for line in script.read_text().splitlines() if line.startswith("az ")] == [
        "az acr delete --name contoso --resource-group rg-contoso --yes"]
