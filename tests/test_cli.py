"""The command line: exit codes, option handling, every output format, and one-line input errors.

Snapshots are built with SnapshotBuilder and written with ``dump_snapshot``; runs use
``--check empty-repository`` or a test-only catalogue, so the tests hold whatever other checks exist.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from acrdoctor import __version__
from acrdoctor.builder import SnapshotBuilder
from acrdoctor.check_api import Check, Context, Finding, Resource, Severity, Status
from acrdoctor.cli import cli
from acrdoctor.cli.diagnose import OUTPUTS
from acrdoctor.engine import Catalogue, run_checks
from acrdoctor.model import Part
from acrdoctor.snapshot_io import dump_snapshot, snapshot_to_dict

EMPTY = ("--check", "empty-repository")
#: The one built-in these tests rely on, looked up the way the CLI finds it.
EmptyRepository = Catalogue.load(plugins=False).get("empty-repository")


class Crashes(Check):
    slug = "test-crashes"
    title = "A check with a bug"
    severity = Severity.HIGH
    cause = "Test cause."

    def run(self, ctx: Context) -> Iterator[Finding]:
        raise RuntimeError("bug in a check")


class NeedsUsage(Check):
    slug = "test-needs-usage"
    title = "Needs storage usage"
    severity = Severity.CRITICAL
    needs = frozenset({Part.USAGE})
    cause = "Test cause."

    def run(self, ctx: Context) -> Iterator[Finding]:
        yield self.finding(Resource.registry(ctx.snapshot.registry.name), "should never be reported")


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), prog_name="acrdoctor")


def write(tmp_path: Path, build: Callable[[SnapshotBuilder], object], name: str = "snap.json") -> Path:
    b = SnapshotBuilder()
    build(b)
    path = tmp_path / name
    dump_snapshot(b.build(), path)
    return path


@pytest.fixture
def clean_file(tmp_path: Path) -> Path:
    return write(tmp_path, lambda b: b.repository("app").image(tags=["v1"]), "clean.json")


@pytest.fixture
def empty_repo_file(tmp_path: Path) -> Path:
    def build(b: SnapshotBuilder) -> None:
        b.repository("app").image(tags=["v1"])
        b.repository("legacy/mailhog", counts=(0, 0), manifests=False, tags=False)
    return write(tmp_path, build, "empty.json")


@pytest.fixture
def no_repos_file(tmp_path: Path) -> Path:
    return write(tmp_path, lambda b: None, "norepos.json")


@pytest.fixture
def test_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replace the catalogue the CLI loads with a built-in plus the test-only checks."""
    monkeypatch.setattr(Catalogue, "load",
                        classmethod(lambda cls, plugins=True: cls([EmptyRepository, NeedsUsage, Crashes])))


def assert_one_line_error(result: Result, *fragments: str) -> str:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("acrdoctor: error: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


# -- exit codes ------------------------------------------------------------------------------------


def test_exit_0_when_nothing_found(clean_file: Path) -> None:
    result = invoke("diagnose", "--snapshot", str(clean_file), *EMPTY)
    assert result.exit_code == 0, result.output
    assert "No issues found" in result.stdout


def test_exit_1_when_a_finding_reaches_fail_on(empty_repo_file: Path) -> None:
    result = invoke("diagnose", "--snapshot", str(empty_repo_file), *EMPTY)
    assert result.exit_code == 1
    assert "legacy/mailhog" in result.stdout
    assert "az acr repository delete --name contoso --repository legacy/mailhog --yes" in result.stdout


@pytest.mark.parametrize(("fail_on", "code"), [
    ("info", 1), ("low", 1), ("medium", 1), ("high", 0), ("critical", 0),
])
def test_fail_on_threshold_against_a_medium_finding(empty_repo_file: Path, fail_on: str, code: int) -> None:
    result = invoke("diagnose", "--snapshot", str(empty_repo_file), *EMPTY, "--fail-on", fail_on, "-o", "json")
    assert result.exit_code == code
    assert json.loads(result.stdout)["summary"]["by_severity"]["medium"] == 1  # reported either way


def test_exit_3_when_a_check_is_skipped(no_repos_file: Path) -> None:
    result = invoke("diagnose", "--snapshot", str(no_repos_file), *EMPTY, "-o", "json")
    assert result.exit_code == 3
    (res,) = json.loads(result.stdout)["results"]
    assert res["status"] == "skipped"
    assert "repository list" in res["reason"]


@pytest.mark.usefixtures("test_catalogue")
def test_findings_at_fail_on_win_over_incomplete_data(empty_repo_file: Path) -> None:
    args = ("diagnose", "--snapshot", str(empty_repo_file), "-o", "json")
    assert invoke(*args).exit_code == 1
    below = invoke(*args, "--fail-on", "high")
    assert below.exit_code == 3  # a medium finding, but test-needs-usage skipped and test-crashes errored
    statuses = {r["check"]: r["status"] for r in json.loads(below.stdout)["results"]}
    assert statuses == {"empty-repository": "failed", "test-needs-usage": "skipped", "test-crashes": "errored"}


# -- selecting checks ------------------------------------------------------------------------------


@pytest.mark.usefixtures("test_catalogue")
def test_check_and_skip_select_what_runs(clean_file: Path) -> None:
    def ran(*extra: str) -> list[str]:
        result = invoke("diagnose", "--snapshot", str(clean_file), "-o", "json", *extra)
        return [r["check"] for r in json.loads(result.stdout)["results"]]

    assert ran() == ["empty-repository", "test-needs-usage", "test-crashes"]
    assert ran("--check", "test-crashes", "--check", "empty-repository", "--check", "test-crashes") == [
        "test-crashes", "empty-repository"]
    assert ran("--skip", "test-crashes", "--skip", "test-needs-usage") == ["empty-repository"]
    assert invoke("diagnose", "--snapshot", str(clean_file), "--skip", "test-crashes",
                  "--skip", "test-needs-usage").exit_code == 0


@pytest.mark.parametrize("option", ["--check", "--skip"])
def test_unknown_slug_is_a_usage_error(clean_file: Path, option: str) -> None:
    result = invoke("diagnose", "--snapshot", str(clean_file), option, "no-such-check")
    assert_one_line_error(result, "unknown check 'no-such-check'", "acrdoctor checks list")


def test_unknown_slug_fails_before_reading_the_snapshot(tmp_path: Path) -> None:
    result = invoke("diagnose", "--snapshot", str(tmp_path / "missing.json"), "--check", "nope")
    assert_one_line_error(result, "unknown check 'nope'")


# -- output formats --------------------------------------------------------------------------------


@pytest.mark.parametrize("output", OUTPUTS)
def test_every_output_format_renders(empty_repo_file: Path, output: str) -> None:
    result = invoke("diagnose", "--snapshot", str(empty_repo_file), *EMPTY, "--output", output)
    assert result.exit_code == 1, result.stderr
    assert result.stderr == ""
    out = result.stdout
    if output == "json":
        doc = json.loads(out)
        assert doc["results"][0]["findings"][0]["resource"] == "legacy/mailhog"
    elif output == "sarif":
        doc = json.loads(out)
        assert doc["runs"][0]["results"][0]["ruleId"] == "empty-repository"
    elif output == "markdown":
        assert out.startswith("## acrdoctor report for `contoso`")
        assert "| ❌ | `empty-repository` |" in out
        assert "```bash\naz acr import" in out
    else:
        assert "empty-repository" in out
        assert "Found 1 issue in 1 check (1 medium)" in out


def test_unknown_output_is_a_usage_error(clean_file: Path) -> None:
    result = invoke("diagnose", "--snapshot", str(clean_file), "--output", "xml")
    assert_one_line_error(result, "'xml' is not one of", "acrdoctor diagnose --help")


# -- bad input -------------------------------------------------------------------------------------


def test_missing_snapshot_file(tmp_path: Path) -> None:
    result = invoke("diagnose", "--snapshot", str(tmp_path / "nope.json"), *EMPTY)
    assert_one_line_error(result, "snapshot file not found", "nope.json")


def test_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"kind": "acrdoctor-snapshot", ', "utf-8")
    assert_one_line_error(invoke("diagnose", "--snapshot", str(path), *EMPTY), "broken.json: not valid JSON (line 1")


def good_doc() -> dict[str, Any]:
    b = SnapshotBuilder()
    b.repository("app").image(tags=["v1"], layers=[("base", 100), ("app", 20)])
    return snapshot_to_dict(b.build())


def corrupt(tmp_path: Path, mutate: Callable[[dict[str, Any]], object]) -> Path:
    doc = good_doc()
    mutate(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), "utf-8")
    return path


@pytest.mark.parametrize(("mutate", "fragments"), [
    (lambda d: d.update(kind="something-else"), ["not an acrdoctor snapshot", "'something-else'"]),
    (lambda d: d.update(schema_version=99), ["unsupported snapshot schema_version 99"]),
    (lambda d: d["repositories"][0]["manifests"][0].update(imageSize="big"),
     ["repositories[0].manifests[0].imageSize", "expected an integer, found a string"]),
    (lambda d: d["repositories"][0]["manifests"][0].update(layers=[0, 57]),
     ["repositories[0].manifests[0].layers[1]", "blob index 57 is not in the blob table"]),
    (lambda d: d["repositories"][0].update(tags="v1"), ["repositories[0].tags", "expected an array"]),
], ids=["wrong-kind", "wrong-version", "deep-type", "blob-index", "tags-not-array"])
def test_malformed_snapshot_is_one_line_naming_the_problem(tmp_path: Path, mutate: Callable[[dict[str, Any]], object],
                                                           fragments: list[str]) -> None:
    path = corrupt(tmp_path, mutate)
    line = assert_one_line_error(invoke("diagnose", "--snapshot", str(path), *EMPTY), *fragments)
    assert str(path) in line


def test_unmodified_document_is_accepted(tmp_path: Path) -> None:
    """Guards the corruption cases above: they fail because of the mutation, not the base document."""
    assert invoke("diagnose", "--snapshot", str(corrupt(tmp_path, lambda d: None)), *EMPTY).exit_code == 0


def test_demo_and_snapshot_together_is_a_usage_error(clean_file: Path) -> None:
    assert_one_line_error(invoke("diagnose", "--demo", "--snapshot", str(clean_file)),
                          "give only one of --demo, --snapshot and --registry (got --demo and --snapshot)")
    assert_one_line_error(invoke("diagnose", "--demo", "--registry", "contoso"), "(got --demo and --registry)")


def test_no_source_is_a_usage_error() -> None:
    assert_one_line_error(invoke("diagnose"), "--registry NAME, --snapshot FILE or --demo")


def test_unknown_command_and_option_are_one_line() -> None:
    assert_one_line_error(invoke("diagnoze"), "No such command 'diagnoze'")
    assert_one_line_error(invoke("diagnose", "--frobnicate"), "No such option '--frobnicate'")


def test_internal_error_is_one_line_with_exit_70(clean_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import acrdoctor.render.json_report as json_report

    def broken(report: object, pretty: bool = True, grouped: bool = True) -> str:
        raise KeyError("oops")

    monkeypatch.setattr(json_report, "render_json", broken)
    monkeypatch.delenv("ACRDOCTOR_DEBUG", raising=False)
    result = invoke("diagnose", "--snapshot", str(clean_file), *EMPTY, "-o", "json")
    assert result.exit_code == 70
    (line,) = result.stderr.splitlines()
    assert line.startswith("acrdoctor: error: internal error: KeyError")
    assert "ACRDOCTOR_DEBUG=1" in line


# -- crashing checks -------------------------------------------------------------------------------


def test_a_crashing_check_is_errored_and_the_others_still_run() -> None:
    b = SnapshotBuilder()
    b.repository("ghost", counts=(0, 0))
    crashed, empty = run_checks(b.build(), [Crashes, EmptyRepository])
    assert crashed.status is Status.ERRORED
    assert crashed.reason == "RuntimeError: bug in a check"
    assert crashed.trace is not None and "bug in a check" in crashed.trace
    assert empty.status is Status.FAILED
    assert [f.resource.name for f in empty.findings] == ["ghost"]


@pytest.mark.usefixtures("test_catalogue")
def test_cli_reports_the_crash_and_keeps_going(empty_repo_file: Path) -> None:
    result = invoke("diagnose", "--snapshot", str(empty_repo_file), "--skip", "test-needs-usage")
    assert result.exit_code == 1
    assert "test-crashes" in result.stdout
    assert "errored: RuntimeError: bug in a check" in result.stdout
    assert "legacy/mailhog" in result.stdout
    assert "Traceback" not in result.stdout
    verbose = invoke("diagnose", "--snapshot", str(empty_repo_file), "--skip", "test-needs-usage", "--verbose")
    assert "Traceback" in verbose.stdout


# -- checks list / show ----------------------------------------------------------------------------


def test_checks_list_table_and_json() -> None:
    table = invoke("checks", "list", "--no-plugins")
    assert table.exit_code == 0
    row = next(line for line in table.stdout.splitlines() if line.startswith("empty-repository"))
    assert row.split()[:3] == ["empty-repository", "medium", "repositories"]
    # Rich may wrap the title column on a narrow (non-terminal) width; the words stay in order.
    assert EmptyRepository.title in " ".join(table.stdout.split())

    as_json = invoke("checks", "list", "-o", "json", "--no-plugins")
    assert as_json.exit_code == 0
    entries = {c["slug"]: c for c in json.loads(as_json.stdout)}
    assert entries["empty-repository"] == {
        "slug": "empty-repository", "title": EmptyRepository.title, "severity": "medium",
        "needs": ["repositories"], "failure_mode": EmptyRepository.failure_mode, "cause": EmptyRepository.cause,
        "docs": list(EmptyRepository.docs), "module": "acrdoctor.checks.empty_repository",
    }
    assert list(entries) == Catalogue.load(plugins=False).slugs()


def test_checks_show_table_and_json() -> None:
    table = invoke("checks", "show", "empty-repository")
    assert table.exit_code == 0
    assert table.stdout.startswith(f"empty-repository: {EmptyRepository.title}\n")
    assert "the repository list" in table.stdout
    assert EmptyRepository.docs[0] in table.stdout

    as_json = invoke("checks", "show", "empty-repository", "-o", "json")
    assert json.loads(as_json.stdout)["cause"] == EmptyRepository.cause


def test_checks_show_unknown_slug() -> None:
    assert_one_line_error(invoke("checks", "show", "no-such-check"), "unknown check 'no-such-check'")


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert __version__ in result.stdout


# -- every command and option is documented ---------------------------------------------------------


def walk(command: click.Command, path: str = "acrdoctor") -> Iterator[tuple[str, click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from walk(sub, f"{path} {name}")


def test_every_command_and_option_has_help_text() -> None:
    missing = []
    seen = 0
    for path, command in walk(cli):
        seen += 1
        if not (command.help or "").strip():
            missing.append(path)
        for param in command.params:
            if isinstance(param, click.Option) and not (param.help or "").strip():
                missing.append(f"{path} {param.opts[0]}")
    assert seen >= 5  # acrdoctor, diagnose, checks, checks list, checks show
    assert not missing, f"no help text: {missing}"


def test_every_output_format_is_documented() -> None:
    docs = (Path(__file__).parent.parent / "docs" / "output.md").read_text("utf-8")
    for output in OUTPUTS:
        assert f"`{output}`" in docs


# -- a real process --------------------------------------------------------------------------------


def run_module(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ACRDOCTOR_DEBUG"}
    return subprocess.run([sys.executable, "-m", "acrdoctor", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=60, check=False)


def test_python_m_acrdoctor_renders_json_and_exit_code(empty_repo_file: Path, tmp_path: Path) -> None:
    proc = run_module("diagnose", "--snapshot", str(empty_repo_file), *EMPTY, "-o", "json", "--no-plugins",
                      cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["summary"]["failed"] == 1
    assert proc.stderr == ""


def test_python_m_acrdoctor_bad_input_is_one_line_without_traceback(tmp_path: Path) -> None:
    proc = run_module("diagnose", "--snapshot", str(tmp_path / "absent.json"), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == f"acrdoctor: error: snapshot file not found: {tmp_path / 'absent.json'}\n"


def test_an_unknown_demo_variant_is_a_one_line_error() -> None:
    assert_one_line_error(invoke("diagnose", "--demo=nosuch"), "unknown demo variant 'nosuch'; known: contoso")


def test_checks_demos_lists_every_variant_and_each_one_diagnoses() -> None:
    from acrdoctor.demo.variants import variant_names

    listed = invoke("checks", "demos")
    assert listed.exit_code == 0
    for name in variant_names():
        assert name in listed.output
        result = invoke("diagnose", f"--demo={name}", "--output", "json")
        assert result.exit_code in (0, 1, 3), result.output
        assert json.loads(result.output)["registry"]
