"""acrdoctor usage through the CLI: outputs, --out, exit codes, and one-line errors for bad input."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from acrdoctor.cli import cli
from acrdoctor.snapshot_io import dump_snapshot
from tests.usage.conftest import build_mixed


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["usage", *args])


def test_demo_table_exits_0_and_shows_the_candidates() -> None:
    result = run("--demo", "--top", "3")
    assert result.exit_code == 0, result.output
    assert "Storage of registry contoso" in result.stdout
    assert "check first: acrdoctor preflight --registry contoso" in result.stdout
    assert "All 3 together free" in result.stdout


def test_json_to_stdout_equals_json_to_file(tmp_path: Path) -> None:
    out = tmp_path / "u.json"
    a = run("--demo", "-o", "json")
    b = run("--demo", "-o", "json", "--out", str(out))
    assert a.exit_code == b.exit_code == 0
    assert b.stdout == ""
    assert json.loads(a.stdout) == json.loads(out.read_text("utf-8"))


def test_csv_with_out_writes_the_candidates_next_to_it(tmp_path: Path) -> None:
    out = tmp_path / "usage.csv"
    result = run("--demo", "-o", "csv", "--out", str(out), "--top", "5")
    assert result.exit_code == 0, result.output
    repos = list(csv.DictReader(io.StringIO(out.read_text("utf-8"))))
    cands = list(csv.DictReader(io.StringIO((tmp_path / "usage.candidates.csv").read_text("utf-8"))))
    doc = json.loads(run("--demo", "-o", "json", "--top", "5").stdout)
    assert [r["repository"] for r in repos] == [r["name"] for r in doc["repositories"]]
    assert [int(c["freed_bytes"]) for c in cands] == [i["freed_bytes"] for i in doc["candidates"]["items"]]


def test_partial_snapshot_exits_3_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "partial.json"
    dump_snapshot(build_mixed(partial=True), path)
    result = run("--snapshot", str(path), "-o", "json")
    assert result.exit_code == 3
    doc = json.loads(result.stdout)
    assert doc["complete"] is False and doc["gaps"]


def test_older_than_changes_the_older_than_candidates(tmp_path: Path) -> None:
    path = tmp_path / "mixed.json"
    dump_snapshot(build_mixed(), path)

    def older(age: str) -> dict[str, str]:
        doc = json.loads(run("--snapshot", str(path), "-o", "json", "--top", "50", "--older-than", age).stdout)
        return {i["repository"]: i["command"] for i in doc["candidates"]["items"] if i["kind"] == "older-than"}

    assert older("1000d") == {}  # nothing is that old
    wide = older("30d")
    assert wide and all("--ago 30d --untagged" in c for c in wide.values())
    assert older("90d").keys() <= wide.keys()


@pytest.mark.parametrize(("args", "message"), [
    (["--older-than", "90"], "invalid --older-than '90'"),
    (["--older-than", "ninety days"], "invalid --older-than"),
    (["--older-than", "0d"], "must be more than zero"),
    (["--older-than", "-5d"], "invalid --older-than"),
    (["--top", "0"], "invalid --top 0"),
    (["--top", "-3"], "invalid --top -3"),
    (["--top", "ten"], "'ten' is not a valid integer"),
    (["--output", "pdf"], "'pdf' is not one of"),
])
def test_bad_values_are_one_line_exit_2(args: list[str], message: str) -> None:
    result = run("--demo", *args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("acrdoctor: error: ") and message in lines[0], lines


@pytest.mark.parametrize("case", ["missing-dir", "is-dir", "parent-is-file"])
def test_unwritable_out_is_one_line_exit_2(tmp_path: Path, case: str) -> None:
    (tmp_path / "file").write_text("x")
    path = {"missing-dir": tmp_path / "nope" / "u.html", "is-dir": tmp_path,
            "parent-is-file": tmp_path / "file" / "u.html"}[case]
    result = run("--demo", "-o", "html", "--out", str(path))
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("acrdoctor: error: ") and "--out" in lines[0], lines


def test_no_source_is_a_usage_error() -> None:
    result = run()
    assert result.exit_code == 2
    assert "say what to diagnose" in result.stderr or "--registry" in result.stderr
