"""docs/usage.md documents every field and column the usage outputs write; the README's demo excerpt is real."""

from __future__ import annotations

import io
import re
from pathlib import Path

from rich.console import Console

from acrdoctor.demo import load_demo
from acrdoctor.usage import build_usage
from acrdoctor.usage.render_console import render_console
from acrdoctor.usage.render_data import CANDIDATE_COLUMNS, REPOSITORY_COLUMNS, report_to_dict, repository_csv

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "usage.md").read_text("utf-8")
README = (ROOT / "README.md").read_text("utf-8")


def test_every_json_field_is_documented() -> None:
    doc = report_to_dict(build_usage(load_demo(None)))
    keys = set(doc) | set(doc["totals"]) | set(doc["repositories"][0]) | set(doc["candidates"]) | set(
        doc["candidates"]["items"][0]) | {"code", "bytes", "text"}
    missing = sorted(k for k in keys if f"`{k}`" not in DOC and f'"{k}"' not in DOC)
    assert missing == []


def test_every_csv_column_is_documented() -> None:
    header = repository_csv(build_usage(load_demo(None))).splitlines()[0].split(",")
    assert header[: len(REPOSITORY_COLUMNS)] == list(REPOSITORY_COLUMNS)
    for column in (*header, *CANDIDATE_COLUMNS):
        assert re.search(rf"\b{re.escape(column)}\b", DOC), column


def test_every_explanation_code_is_documented() -> None:
    from acrdoctor.usage import figures

    codes = set(re.findall(r'Explanation\(\s*"([a-z-]+)"', Path(figures.__file__).read_text("utf-8")))
    assert codes and all(f"`{c}`" in DOC for c in codes), codes


def test_the_readme_excerpt_is_what_the_demo_prints() -> None:
    buf = io.StringIO()
    render_console(build_usage(load_demo(None)), Console(file=buf, width=240, soft_wrap=True, color_system=None))
    out = buf.getvalue().splitlines()
    section = README[README.index("### Where the bytes are"):README.index("### Applying fixes")]
    excerpt = section[section.index("On the demo it prints"):]
    excerpt = excerpt[excerpt.index("```\n") + 4:]
    excerpt = excerpt[:excerpt.index("```")]
    checked = [line for line in excerpt.splitlines()
               if line.startswith(("Stored", "Service's", "Sum of", "Difference", "#", "  check first", "  then run"))]
    assert len(checked) >= 7
    for line in checked:
        assert line.rstrip() in (o.rstrip() for o in out), line
