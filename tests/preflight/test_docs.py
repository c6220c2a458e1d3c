"""docs/preflight.md keeps up with the code: every warning code and every key of the JSON contract is documented."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

import acrdoctor.preflight as preflight_pkg
from acrdoctor.demo import load_demo
from acrdoctor.preflight.render import plan_to_dict
from acrdoctor.preflight.run import preflight
from acrdoctor.preflight.warnings import WARNING_SEVERITY

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "preflight.md"
PACKAGE = Path(preflight_pkg.__file__).resolve().parent

#: Demo commands that between them fill every list of the report (the first is the purge the contract is about).
COMMANDS = [
    "acr purge --filter 'apps/.*:.*' --ago 30d --untagged",
    "az acr repository delete --name contoso --image apps/web:3.4.1 --yes",
    "az acr repository delete --name contoso --image "
    "apps/web@sha256:f69c6bc6106263703375c9d0be2329aa2c039402169981ec4565869567c094bb --yes",
]


def warning_codes_in_source() -> dict[str, str]:
    """Codes passed as a literal to ``PlanWarning(...)`` or ``….warn(...)`` in acrdoctor/preflight/*.py -> file."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name not in ("PlanWarning", "warn"):
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.setdefault(first.value, path.name)
    return found


def doc_section(title: str) -> str:
    text = DOC.read_text("utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def test_source_scan_finds_the_codes() -> None:
    codes = warning_codes_in_source()
    # A sanity floor, so a refactor that hides the literals from the scan does not make the tests below vacuous.
    assert {"unanchored-tag-regex", "co-deleted-tags", "not-found", "incomplete-snapshot"} <= set(codes)
    assert len(codes) >= 19


@pytest.mark.parametrize("code", sorted(warning_codes_in_source()))
def test_warning_code_has_a_severity(code: str) -> None:
    assert code in WARNING_SEVERITY, f"{code} (used in {warning_codes_in_source()[code]}) is not in WARNING_SEVERITY"


@pytest.mark.parametrize("code", sorted(warning_codes_in_source()))
def test_warning_code_is_documented_with_its_severity(code: str) -> None:
    table = doc_section("Warning codes")
    rows = [line for line in table.splitlines() if line.startswith(f"| `{code}` |")]
    assert rows, f"warning code {code} is missing from the 'Warning codes' table of docs/preflight.md"
    assert rows[0].split("|")[2].strip() == WARNING_SEVERITY[code].value, f"documented severity of {code} is wrong"


def test_every_documented_code_has_a_severity() -> None:
    documented = re.findall(r"^\| `([a-z-]+)` \|", doc_section("Warning codes"), flags=re.MULTILINE)
    assert set(documented) == set(WARNING_SEVERITY)


def _contract_rows() -> dict[str, str]:
    rows: dict[str, str] = {}
    for line in doc_section("JSON contract").splitlines():
        m = re.match(r"^\| `([a-z_.]+)` \|", line)
        if m:
            rows[m.group(1)] = line
    return rows


def _paths(value: Any, prefix: str = "") -> list[str]:
    """Every key path of a report: ``delete.manifests`` for objects, ``blocked[].level`` for list items."""
    out: list[str] = []
    if isinstance(value, dict):
        for key, child in value.items():
            path = f"{prefix}.{key}" if prefix else key
            out.append(path)
            out.extend(_paths(child, path))
    elif isinstance(value, list):
        for item in value:
            out.extend(_paths(item, f"{prefix}[]"))
    return out


def report_paths() -> list[str]:
    snapshot = load_demo()
    paths: dict[str, None] = {}
    for command in COMMANDS:
        doc = plan_to_dict(preflight(command, snapshot), snapshot, command)
        paths.update(dict.fromkeys(_paths(doc)))
    return list(paths)


def test_demo_commands_fill_the_report() -> None:
    paths = set(report_paths())
    for item_list in ("shared_holders", "delete.manifests", "delete.tags", "co_deleted_tags", "cascaded_referrers",
                      "blocked", "warnings", "broken_indexes", "left_dangling"):
        assert any(p.startswith(item_list + "[].") for p in paths), f"no demo command fills {item_list}"


@pytest.mark.parametrize("path", report_paths())
def test_report_key_is_documented(path: str) -> None:
    """A key has its own row in the contract table, or is named in backticks in the row of its nearest ancestor."""
    rows = _contract_rows()
    plain = path.replace("[]", "")
    if plain in rows:
        return
    parts = plain.split(".")
    leaf = parts[-1]
    for n in range(len(parts) - 1, 0, -1):
        ancestor = ".".join(parts[:n])
        if ancestor in rows:
            assert f"`{leaf}`" in rows[ancestor] or re.search(rf"[{{,]\s*{leaf}\b", rows[ancestor]), \
                f"{path}: `{leaf}` is not described in the row of `{ancestor}` in docs/preflight.md"
            return
    pytest.fail(f"{path} has no row in the JSON contract table of docs/preflight.md")


# -- the --tasks and --script contracts --------------------------------------------------------------------------


def doc_subsection(title: str) -> dict[str, str]:
    """The rows of a ``### JSON contract: …`` table, by field path."""
    text = DOC.read_text("utf-8")
    start = text.index(f"### {title}\n")
    end = text.find("\n## ", start + 1)
    rows: dict[str, str] = {}
    for line in text[start:end if end != -1 else None].splitlines():
        m = re.match(r"^\| `([a-z_.]+)` \|", line)
        if m:
            rows[m.group(1)] = line
    return rows


def _check_documented(path: str, rows: dict[str, str]) -> None:
    plain = path.replace("[]", "")
    if plain in rows:
        return
    parts = plain.split(".")
    for n in range(len(parts) - 1, 0, -1):
        ancestor = ".".join(parts[:n])
        if ancestor in rows:
            leaf = parts[n]
            assert f"`{leaf}`" in rows[ancestor] or re.search(rf"[{{,]\s*{leaf}\b", rows[ancestor]), \
                f"{path}: `{leaf}` is not described in the row of `{ancestor}`"
            return
    pytest.fail(f"{path} has no row in its JSON contract table of docs/preflight.md")


def _batch_paths() -> list[tuple[str, str]]:
    from datetime import UTC, datetime

    from acrdoctor.preflight.report_script import script_to_dict
    from acrdoctor.preflight.report_tasks import tasks_to_dict
    from acrdoctor.preflight.script import evaluate_script
    from acrdoctor.preflight.tasks import preflight_tasks

    out: dict[tuple[str, str], None] = {}
    now = datetime.now(UTC)
    for variant in (None, "abac"):
        snap = load_demo(variant)
        doc = tasks_to_dict(preflight_tasks(snap, now), snap, now)
        out.update(dict.fromkeys(("JSON contract: `--tasks`", p) for p in _paths(doc)
                                 if ".plan." not in p.replace("[]", "")))
    script = (ROOT / "docs" / "examples" / "contoso-cleanup.sh").read_text("utf-8")
    demo = load_demo()
    for overrides in ({}, {"ENABLE_DELETE": "true"}):
        doc = script_to_dict(evaluate_script(script, demo, overrides=overrides), "x.sh")
        out.update(dict.fromkeys(("JSON contract: `--script`", p) for p in _paths(doc)
                                 if ".plan." not in p.replace("[]", "") and not p.startswith("overrides.")))
    return list(out)


@pytest.mark.parametrize("section, path", _batch_paths())
def test_tasks_and_script_report_keys_are_documented(section: str, path: str) -> None:
    _check_documented(path, doc_subsection(section))
