"""A plan file edited by hand or by accident is bad input: one line and exit 2, never an internal error.

Every leaf of a real plan file (the demo's) is replaced, one at a time, by a value of another JSON type;
``fix --from-plan`` must either refuse the file with one line (exit 2) or show it (exit 0), never crash.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_leaf_of_another_type_is_one_line_never_a_crash(plan_line: dict[str, Any], tmp_path: Path,
                                                          data: st.DataObject) -> None:
    paths = list(leaves(plan_line["plan"]))
    path = data.draw(st.sampled_from(paths), label="path")
    value = data.draw(st.sampled_from(OTHER_VALUES), label="value")
    code, err = run_from_plan({**plan_line, "plan": replaced(plan_line["plan"], path, value)}, tmp_path)
    assert code in (0, 2), err
    if code == 2:
        assert len(err.splitlines()) == 1 and "Traceback" not in err, err
