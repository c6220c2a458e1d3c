"""JSON, CSV, console and HTML renderings: the same figures as the report, data escaped in each."""

from __future__ import annotations

import csv
import io
import json
import re

from rich.console import Console

from acrdoctor.demo import load_demo
from acrdoctor.units import human_bytes
from acrdoctor.usage import build_usage
from acrdoctor.usage.model import AGE_NAMES
from acrdoctor.usage.render_console import render_console
from acrdoctor.usage.render_data import candidate_csv, render_json, repository_csv
from acrdoctor.usage.render_html import render_html
from tests.usage.hostile import ESCAPE, FORMULA, IMG, MARKUP, SCRIPT, hostile


def test_json_is_versioned_and_carries_every_figure() -> None:
    report = build_usage(load_demo(None), top=4)
    doc = json.loads(render_json(report))
    assert doc["schema"] == 1 and doc["kind"] == "usage"
    assert doc["registry"] == "contoso" and doc["complete"] is True and doc["gaps"] == []
    t = report.totals
    assert doc["totals"]["deduplicated_bytes"] == t.deduplicated_bytes
    assert doc["totals"]["service_bytes"] == t.service_bytes
    assert doc["totals"]["unexplained_bytes"] == t.service_bytes - t.deduplicated_bytes  # type: ignore[operator]
    assert doc["totals"]["age_bytes"] == t.age_bytes
    assert [e["code"] for e in doc["totals"]["explanations"]] == [e.code for e in t.explanations]
    assert [r["name"] for r in doc["repositories"]] == [r.name for r in report.repositories]
    for r, d in zip(report.repositories, doc["repositories"], strict=True):
        assert d["exclusive_bytes"] == r.exclusive_bytes and d["shared_bytes"] == r.shared_bytes
        assert d["dangling_freed_bytes"] == r.dangling_freed_bytes
        assert d["in_use_exclusive_bytes"] + d["dangling_freed_bytes"] == d["exclusive_bytes"]
        assert [(s["repository"], s["bytes"]) for s in d["shared_with"]] == list(r.shared_with)
    items = doc["candidates"]["items"]
    assert [i["rank"] for i in items] == [1, 2, 3, 4]
    assert [i["freed_bytes"] for i in items] == [c.freed_bytes for c in report.candidates]
    assert doc["candidates"]["combined_freed_bytes"] == report.top_combined_bytes
    assert doc["candidates"]["summed_freed_bytes"] == sum(i["freed_bytes"] for i in items)


def test_csv_rows_equal_the_json() -> None:
    report = build_usage(hostile(), top=20)
    doc = json.loads(render_json(report))
    rows = list(csv.DictReader(io.StringIO(repository_csv(report))))
    assert len(rows) == len(doc["repositories"])
    for row, d in zip(rows, doc["repositories"], strict=True):
        name = row["repository"]
        assert (name[1:] if name.startswith("'") else name) == d["name"]
        for col in ("total_bytes", "exclusive_bytes", "shared_bytes", "dangling_bytes", "dangling_freed_bytes",
                    "manifests", "tags"):
            assert int(row[col]) == d[col], col
        assert [int(v) for k, v in row.items() if k.startswith("age_")] == [d["age_bytes"][a] for a in AGE_NAMES]
    formula = next(r for r in rows if "HYPERLINK" in r["repository"])
    assert formula["repository"] == "'" + FORMULA  # a spreadsheet shows it as text, never runs it
    cands = list(csv.DictReader(io.StringIO(candidate_csv(report))))
    assert [(int(c["rank"]), int(c["freed_bytes"]), c["command"]) for c in cands] == [
        (i["rank"], i["freed_bytes"], i["command"]) for i in doc["candidates"]["items"]]


def test_console_shows_names_as_written_and_no_escape_sequence() -> None:
    report = build_usage(hostile(), top=20)
    buf = io.StringIO()
    render_console(report, Console(file=buf, width=400, highlight=False, color_system=None))
    out = buf.getvalue()
    assert "\x1b" not in out
    assert MARKUP in out  # rich markup printed, not applied
    assert ESCAPE.replace("\x1b", "\\x1b") in out
    assert SCRIPT in out
    assert human_bytes(report.totals.deduplicated_bytes) in out
    assert f"{report.top_combined_bytes:,} B" in out


def test_html_escapes_every_name_and_runs_only_its_own_script() -> None:
    html = render_html(build_usage(hostile(), top=20))
    assert SCRIPT not in html and IMG not in html
    assert "&lt;script&gt;document.documentElement" in html
    assert len(re.findall(r"<script\b", html)) == 1
    assert "onerror=" not in html.replace("onerror=&quot;", "")
    assert "\x1b" not in html and "evil\\x1b[2J/app" in html
    # Self-contained: nothing is fetched (no URL attribute), and the policy forbids it anyway.
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)
    assert "default-src 'none'" in html
