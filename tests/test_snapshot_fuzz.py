"""A snapshot file edited by hand or cut short is bad input: one line and exit 2, never an internal error.

Each case replaces one value of the bundled demo snapshot by a value of another JSON type and runs
``diagnose`` on it: the result is a report (0, 1 or 3) or one line with exit 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acrdoctor.cli import cli
from acrdoctor.demo import DEMO_PATH
from tests.fix.test_plan_file_fuzz import OTHER_VALUES, leaves, replaced


@pytest.fixture(scope="module")
def demo_doc() -> dict[str, Any]:
    return json.loads(Path(DEMO_PATH).read_text("utf-8"))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_value_of_another_type_is_a_report_or_one_line(demo_doc: dict[str, Any], tmp_path: Path,
                                                         data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(list(leaves(demo_doc))), label="path")
    value = data.draw(st.sampled_from(OTHER_VALUES), label="value")
    file = tmp_path / "edited.json"
    file.write_text(json.dumps(replaced(demo_doc, path, value)), "utf-8")
    for fmt in ("table", "json", "sarif", "markdown"):
        r = CliRunner().invoke(cli, ["diagnose", "--snapshot", str(file), "--output", fmt], prog_name="acrdoctor")
        assert r.exit_code in (0, 1, 2, 3), r.stderr
        if r.exit_code == 2:
            assert len(r.stderr.splitlines()) == 1 and "Traceback" not in r.stderr, r.stderr
            break
