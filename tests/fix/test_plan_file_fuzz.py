"""A plan file edited by hand or by accident is bad input: one line and exit 2, never an internal error.

Every leaf of a real plan file (the demo's; the first three items of each list) is replaced, one at a time, by
each value of another JSON type; ``fix --from-plan`` must either refuse the file with one line (exit 2) or show
it (exit 0), never crash. Exhaustive rather than sampled: a sample of 150 missed ``options.skipped_checks``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from acrdoctor.cli import cli

Path_ = tuple[Any, ...]
OTHER_VALUES = [None, True, 7, -1, 1.5, "", "x", [], ["x"], {}, {"kind": "DeleteManifest"}, [1, 2]]


@pytest.fixture(scope="module")
def plan_line(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("plan") / "plan.jsonl"
    r = CliRunner().invoke(cli, ["fix", "--demo", "--plan-out", str(out)], prog_name="acrdoctor")
    assert r.exit_code == 0, r.output
    return json.loads(out.read_text("utf-8").splitlines()[0])


def leaves(doc: Any, path: Path_ = ()) -> Iterator[Path_]:
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from leaves(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc[:3]):
            yield from leaves(v, (*path, i))
    if path:
        yield path


def replaced(doc: Any, path: Path_, value: Any) -> Any:
    doc = json.loads(json.dumps(doc))
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


def run_from_plan(line: dict[str, Any], tmp_path: Path) -> tuple[int, str]:
    path = tmp_path / "edited.jsonl"
    path.write_text(json.dumps(line) + "\n", "utf-8")
    r = CliRunner().invoke(cli, ["fix", "--from-plan", str(path)], prog_name="acrdoctor")
    return r.exit_code, r.stderr


def test_the_untouched_plan_file_is_shown(plan_line: dict[str, Any], tmp_path: Path) -> None:
    code, err = run_from_plan(plan_line, tmp_path)
    assert (code, err) == (0, "")


def test_every_leaf_of_another_type_is_one_line_never_a_crash(plan_line: dict[str, Any], tmp_path: Path) -> None:
    crashes = []
    for path in leaves(plan_line["plan"]):
        for value in OTHER_VALUES:
            code, err = run_from_plan({**plan_line, "plan": replaced(plan_line["plan"], path, value)}, tmp_path)
            if code not in (0, 2) or (code == 2 and len(err.splitlines()) != 1):
                crashes.append((path, value, code, err[:200]))
    assert not crashes, crashes[:5]
