"""Grouped deletes (acrdoctor.grouping): reports print the deletes of one repository once, nothing is lost or reordered,
every name stays quoted, and the per-manifest commands are one option or one call away."""

from __future__ import annotations

import io
import json
import os
import shlex
import stat
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from rich.console import Console

from acrdoctor.actions import DeleteManifest, DeleteRepository, RegistryRef, SetAttributes
from acrdoctor.builder import SnapshotBuilder, digest_of
from acrdoctor.cli import cli
from acrdoctor.demo import load_demo
from acrdoctor.engine import Report, diagnose
from acrdoctor.grouping import (
    ManifestDeletes,
    expand_commands,
    group_deletes,
    group_from_json,
    printed,
    shown_commands,
)
from acrdoctor.render.console import render_console
from acrdoctor.render.json_report import report_to_dict
from acrdoctor.render.markdown import render_markdown
from acrdoctor.render.sarif import report_to_sarif
from acrdoctor.shellquote import variable
from acrdoctor.snapshot_io import dump_snapshot

REF = RegistryRef("contoso", "rg")
#: A repository name no shell may split or expand: quotes, a command substitution, a variable, a space.
HOSTILE = "team/it's $(touch pwned) \"$HOME\" `id`"
HOSTILE_REGISTRY = "reg $(id)"


def deletes(repository: str, *names: str, ref: RegistryRef = REF) -> list[DeleteManifest]:
    return [DeleteManifest(ref, repository, digest_of(n)) for n in names]


def test_a_run_of_deletes_of_one_repository_is_one_group_and_the_order_is_kept() -> None:
    unlock = SetAttributes(REF, "app", digest=digest_of("x"))
    actions = [unlock, *deletes("app", "a", "b", "c"), *deletes("web", "d"), *deletes("web", "e", "f"),
               DeleteRepository(REF, "old"), *deletes("app", "g", "h")]
    steps = group_deletes(actions)
    assert steps == [
        unlock,
        ManifestDeletes(REF, "app", tuple(digest_of(n) for n in "abc")),
        ManifestDeletes(REF, "web", tuple(digest_of(n) for n in "def")),
        DeleteRepository(REF, "old"),
        ManifestDeletes(REF, "app", (digest_of("g"), digest_of("h"))),
    ]
    # Expanded, the steps print exactly the commands of the actions, in their order.
    assert [c for s in printed(actions, grouped=False) for c in ([s] if isinstance(s, str) else s.expand())] == [
        c for a in actions for c in a.commands()]
    assert [c for s in steps for c in (s.expand() if isinstance(s, ManifestDeletes) else s.commands())] == [
        c for a in actions for c in a.commands()]


def test_a_single_delete_another_registry_or_a_shell_expression_is_not_grouped() -> None:
    single = deletes("app", "a")
    assert group_deletes(single) == single
    two_registries = [*deletes("app", "a"), *deletes("app", "b", ref=RegistryRef("other"))]
    assert group_deletes(two_registries) == two_registries
    placeholder = [DeleteManifest(REF, variable("REPOSITORY"), digest_of(n)) for n in "ab"]
    assert group_deletes(placeholder) == placeholder


def test_the_template_is_the_single_delete_with_a_variable_for_the_digest() -> None:
    group = ManifestDeletes(REF, "apps/web", (digest_of("a"), digest_of("b")))
    assert group.template() == 'az acr repository delete --name contoso --image "apps/web@$digest" --yes'
    assert group.expand() == tuple(c for a in deletes("apps/web", "a", "b") for c in a.commands())
    assert group.loop() == (f"for digest in {digest_of('a')} {digest_of('b')}; do "
                            'az acr repository delete --name contoso --image "apps/web@$digest" --yes; done')


def fake_az(tmp_path: Path) -> dict[str, str]:
    """An ``az`` on PATH that appends its argv, one JSON list a line, to a log file."""
    script = tmp_path / "bin" / "az"
    script.parent.mkdir()
    script.write_text('#!/bin/sh\nexec python3 -c \'import json, sys; print(json.dumps(sys.argv[1:]))\' "$@" '
                      f'>> {shlex.quote(str(tmp_path / "argv.log"))}\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return {**os.environ, "PATH": f"{script.parent}{os.pathsep}{os.environ['PATH']}"}


@pytest.mark.parametrize("form", ["one line", "one digest a line"])
def test_the_loop_runs_each_delete_with_every_name_as_one_argument(form: str, tmp_path: Path) -> None:
    odd_digest = "sha256:it's $(touch pwned2)"
    group = ManifestDeletes(RegistryRef(HOSTILE_REGISTRY), HOSTILE, (digest_of("a"), odd_digest, digest_of("b")))
    script = group.loop() if form == "one line" else "\n".join(group.loop_lines())
    subprocess.run(["sh", "-c", script], env=fake_az(tmp_path), cwd=tmp_path, check=True)
    ran = [json.loads(line) for line in (tmp_path / "argv.log").read_text().splitlines()]
    assert ran == [["acr", "repository", "delete", "--name", HOSTILE_REGISTRY, "--image", f"{HOSTILE}@{d}", "--yes"]
                   for d in group.digests]
    assert not list(tmp_path.glob("pwned*"))


def dangling_snapshot(count: int = 7) -> Any:
    """One repository with ``count`` untagged manifests (dangling-manifests deletes them all) and a tagged one."""
    b = SnapshotBuilder(name="contoso")
    repo = b.repository("apps/web")
    repo.image(["v1"], layers=[("base", 100)])
    for i in range(count):
        repo.image(layers=[(f"old-{i}", 10 + i)], age_days=10 + i)
    return b.build()


def dangling_report(count: int = 7) -> Report:
    return diagnose(dangling_snapshot(count), ["dangling-manifests"])


def report_schema() -> dict[str, Any]:
    return dict(json.loads(resources.files("acrdoctor.data").joinpath("report.schema.json").read_text("utf-8")))


def fix_commands(doc: dict[str, Any]) -> list[Any]:
    return [c for r in doc["results"] for f in r["findings"] if f["fix"] for c in f["fix"]["commands"]]


def test_the_json_report_holds_one_group_that_expands_to_the_full_form() -> None:
    report = dangling_report()
    grouped, full = report_to_dict(report), report_to_dict(report, grouped=False)
    (group,) = fix_commands(grouped)
    assert group["action"] == "delete-manifests" and group["registry"] == "contoso"
    assert group["repository"] == "apps/web" and len(group["digests"]) == 7
    finding = report.findings()[0]
    assert group["digests"] == [a.digest for a in finding.fix.actions]  # type: ignore[union-attr]
    assert fix_commands(full) == list(finding.fix.commands)  # type: ignore[union-attr]
    assert expand_commands(fix_commands(grouped)) == fix_commands(full)
    for doc in (grouped, full):
        jsonschema.validate(json.loads(json.dumps(doc)), report_schema())


def test_the_schema_refuses_a_malformed_group() -> None:
    doc = report_to_dict(dangling_report())
    good = fix_commands(doc)[0]
    unnamed = {k: v for k, v in good.items() if k != "registry"}
    for bad in ({**good, "action": "delete-tags"}, {**good, "digests": good["digests"][:1]},
                {**good, "command": "az acr repository delete --yes"}, unnamed):
        doc["results"][0]["findings"][0]["fix"]["commands"] = [bad]
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(doc, report_schema())


@pytest.mark.parametrize("item", [{"action": "delete-tags"}, {"action": "delete-manifests", "registry": "r"},
                                  {"action": "delete-manifests", "registry": "r", "repository": "a", "digests": [1]}])
def test_reading_back_a_malformed_group_is_a_value_error(item: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="group"):
        group_from_json(item)


def test_the_demo_report_expands_to_exactly_the_commands_of_the_full_form() -> None:
    report = diagnose(load_demo())
    grouped, full = report_to_dict(report), report_to_dict(report, grouped=False)
    assert any(isinstance(c, dict) for c in fix_commands(grouped))
    assert expand_commands(fix_commands(grouped)) == fix_commands(full)
    assert all(isinstance(c, str) for c in fix_commands(full))
    sarif = report_to_sarif(report)
    fixes = [r["properties"]["fix"] for r in sarif["runs"][0]["results"] if "fix" in r["properties"]]
    assert [c for f in fixes for c in f["commands"]] == fix_commands(grouped)


def test_the_console_caps_the_digests_of_a_loop_and_says_how_many_are_left() -> None:
    report = dangling_report()
    out = io.StringIO()
    render_console(report, Console(file=out, width=400, color_system=None))
    text = out.getvalue()
    (loop,) = [line.strip() for line in text.splitlines() if "for digest in" in line]
    assert loop.count("sha256:") == 4 and loop.endswith('--image "apps/web@$digest" --yes; done')
    assert "… 3 more digests to loop over (--verbose or --output json)" in text
    out = io.StringIO()
    render_console(report, Console(file=out, width=4000, color_system=None), verbose=True)
    (loop,) = [line for line in out.getvalue().splitlines() if "for digest in" in line]
    assert loop.count("sha256:") == 7 and "more digest" not in out.getvalue()


def test_markdown_prints_one_digest_a_line_within_its_cap() -> None:
    text = render_markdown(dangling_report(25))
    assert text.count("for digest in \\") == 1
    assert sum(1 for line in text.splitlines() if line.startswith("    sha256:")) == 20
    assert "_5 more digests not shown; `--verbose` or `--output json` lists them all._" in text
    full = render_markdown(dangling_report(25), grouped=False, verbose=True)
    assert full.count("az acr repository delete --name contoso --image apps/web@sha256:") == 25


def test_hostile_names_stay_quoted_in_every_printed_form() -> None:
    group = ManifestDeletes(RegistryRef(HOSTILE_REGISTRY), HOSTILE, (digest_of("a"), digest_of("b")))
    argv = shlex.split(group.template())
    assert argv[5] == HOSTILE_REGISTRY and argv[7] == f"{HOSTILE}@$digest"
    (lines,) = shown_commands([group], None, multiline=True).commands
    assert lines[-2].strip() == group.template() and group.template() in group.loop()


def test_the_cli_prints_strings_only_with_commands_full(tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    dump_snapshot(dangling_snapshot(), path)
    runner = CliRunner()
    grouped = json.loads(runner.invoke(cli, ["diagnose", "--snapshot", str(path), "-o", "json"]).output)
    full = json.loads(runner.invoke(cli, ["diagnose", "--snapshot", str(path), "-o", "json",
                                          "--commands", "full"]).output)
    assert grouped["schema_version"] == full["schema_version"] == 3
    assert isinstance(fix_commands(grouped)[0], dict)
    assert expand_commands(fix_commands(grouped)) == fix_commands(full)
    bad = runner.invoke(cli, ["diagnose", "--snapshot", str(path), "--commands", "some"])
    assert bad.exit_code == 2 and "Invalid value for '--commands'" in bad.output
