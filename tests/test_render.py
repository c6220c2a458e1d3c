"""Renderers: SARIF, Markdown and the JSON report contract (schema + docs), over test-only checks.

The checks here are defined in this file so the tests do not depend on which built-in checks exist;
each one produces a known set of findings, so every assertion can name exact values.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acrdoctor import __version__
from acrdoctor.builder import SnapshotBuilder, digest_of
from acrdoctor.check_api import Check, Context, Finding, Fix, Resource, Severity, Status
from acrdoctor.engine import CheckResult, Report, run_checks
from acrdoctor.model import Part, Snapshot
from acrdoctor.render.json_report import render_json, report_to_dict
from acrdoctor.render.markdown import MAX_FINDINGS, code, render_markdown
from acrdoctor.render.sarif import LEVELS, qualified_name, render_sarif

DOCS = Path(__file__).parent.parent / "docs" / "output.md"
DIGEST = digest_of("app-v1")


class LockedManifests(Check):
    """One high finding per repository whose name starts with ``locked``, on a manifest."""

    slug = "test-locked"
    title = "Locked | manifests"
    severity = Severity.HIGH
    needs = frozenset({Part.REPOSITORIES})
    cause = "The manifest has `deleteEnabled=false`."
    docs = ("https://example.com/locks", "https://example.com/more")

    def run(self, ctx: Context) -> Iterator[Finding]:
        for repo in ctx.snapshot.repositories or ():
            if repo.name.startswith("locked"):
                yield self.finding(
                    Resource.manifest(repo.name, DIGEST),
                    f"delete of {repo.name} is blocked",
                    fix=Fix("Unlock it, then delete it.",
                            extra_commands=(f"az acr repository update --image {repo.name}@{DIGEST} "
                                            "--delete-enabled true",
                                            f"az acr repository delete --image {repo.name}@{DIGEST} --yes"),
                            notes=("Locks exist on purpose; ask the owner first.",)),
                    details={"digests": {DIGEST}, "size": 12},
                )


class EverySeverity(Check):
    """One finding per severity, so the level mapping is checked for all five."""

    slug = "test-every-severity"
    title = "Every severity"
    severity = Severity.INFO
    cause = "Test cause."

    def run(self, ctx: Context) -> Iterator[Finding]:
        for sev in Severity:
            yield self.finding(Resource.registry(ctx.snapshot.registry.name), f"a {sev.value} thing", severity=sev)


class ManyFindings(Check):
    slug = "test-many"
    title = "Many findings"
    severity = Severity.LOW
    cause = "Test cause."
    count: ClassVar[int] = MAX_FINDINGS + 5

    def run(self, ctx: Context) -> Iterator[Finding]:
        for i in range(self.count):
            yield self.finding(Resource.tag("app", f"t{i:03}"), f"finding number {i:03}",
                               fix=Fix("Do it.", extra_commands=(f"echo {i:03}",)))


class NeedsUsage(Check):
    slug = "test-needs-usage"
    title = "Needs storage usage"
    severity = Severity.MEDIUM
    needs = frozenset({Part.USAGE})
    cause = "Test cause."

    def run(self, ctx: Context) -> Iterator[Finding]:
        raise AssertionError("a skipped check must not run")


class Boom(Check):
    slug = "test-boom"
    title = "Crashes"
    severity = Severity.CRITICAL
    cause = "Test cause."

    def run(self, ctx: Context) -> Iterator[Finding]:
        raise ValueError("kaboom")


class Clean(Check):
    slug = "test-clean"
    title = "Always passes"
    severity = Severity.MEDIUM
    cause = "Test cause."

    def run(self, ctx: Context) -> Iterator[Finding]:
        return iter(())


def snapshot() -> Snapshot:
    b = SnapshotBuilder()
    b.repository("locked-a").image(tags=["v1"])
    b.repository("locked-b").image(tags=["v1"])
    b.repository("app").image(tags=["v1"])
    return b.build()


def report(*checks: type[Check], warnings: tuple[str, ...] = ()) -> Report:
    snap = snapshot()
    return Report(snap, run_checks(snap, list(checks)), warnings)


def full_report() -> Report:
    return report(LockedManifests, Clean, NeedsUsage, Boom, warnings=("plug-in 'x' failed to load: nope",))


def report_schema() -> dict[str, Any]:
    return json.loads(resources.files("acrdoctor.data").joinpath("report.schema.json").read_text("utf-8"))


@functools.cache
def report_validator() -> jsonschema.Draft202012Validator:
    """Built once: compiling the schema costs far more than validating one small report."""
    return jsonschema.Draft202012Validator(report_schema())


# -- SARIF -----------------------------------------------------------------------------------------


def test_sarif_has_one_run_with_a_rule_per_check_and_a_result_per_failed_finding() -> None:
    doc = json.loads(render_sarif(full_report()))
    assert doc["version"] == "2.1.0"
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("acrdoctor", __version__)
    rules = driver["rules"]
    assert [r["id"] for r in rules] == ["test-locked", "test-clean", "test-needs-usage", "test-boom"]
    locked = rules[0]
    assert locked["name"] == "TestLocked"
    assert locked["shortDescription"]["text"] == "Locked | manifests"
    assert locked["fullDescription"]["text"] == LockedManifests.cause
    assert locked["helpUri"] == "https://example.com/locks"
    assert locked["properties"]["security-severity"] == "8.0"
    assert "high" in locked["properties"]["tags"]
    assert "helpUri" not in rules[1]  # no docs, no invented link

    results = run["results"]
    assert [r["ruleId"] for r in results] == ["test-locked", "test-locked"]
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        assert r["level"] == "error"


@pytest.mark.parametrize(("severity", "level"), [
    (Severity.CRITICAL, "error"), (Severity.HIGH, "error"), (Severity.MEDIUM, "warning"),
    (Severity.LOW, "note"), (Severity.INFO, "note"),
])
def test_sarif_level_follows_the_finding_severity(severity: Severity, level: str) -> None:
    doc = json.loads(render_sarif(report(EverySeverity)))
    by_message = {r["message"]["text"].split(": ", 1)[1].split("\n")[0]: r for r in doc["runs"][0]["results"]}
    assert by_message[f"a {severity.value} thing"]["level"] == level
    assert LEVELS[severity] == level


def test_sarif_result_names_the_resource_and_carries_the_fix_commands() -> None:
    doc = json.loads(render_sarif(report(LockedManifests)))
    first = doc["runs"][0]["results"][0]
    (loc,) = first["locations"][0]["logicalLocations"]
    assert loc == {"kind": "manifest", "name": f"locked-a@{DIGEST}",
                   "fullyQualifiedName": f"contoso.azurecr.io/locked-a@{DIGEST}"}
    text = first["message"]["text"]
    assert "delete of locked-a is blocked" in text
    assert f"$ az acr repository update --image locked-a@{DIGEST} --delete-enabled true" in text
    assert f"$ az acr repository delete --image locked-a@{DIGEST} --yes" in text
    assert "```bash" in first["message"]["markdown"]
    assert first["properties"]["fix"]["commands"][1].endswith("--yes")
    assert first["properties"]["details"] == {"digests": [DIGEST], "size": 12}


def test_sarif_fingerprints_are_stable_and_distinct() -> None:
    a = json.loads(render_sarif(report(LockedManifests)))["runs"][0]["results"]
    b = json.loads(render_sarif(report(LockedManifests)))["runs"][0]["results"]
    prints = [r["partialFingerprints"]["acrdoctorFinding/v1"] for r in a]
    assert prints == [r["partialFingerprints"]["acrdoctorFinding/v1"] for r in b]
    assert len(set(prints)) == len(prints) == 2


def test_sarif_reports_skipped_and_errored_checks_as_notifications() -> None:
    (run,) = json.loads(render_sarif(full_report()))["runs"]
    (inv,) = run["invocations"]
    assert inv["executionSuccessful"] is False
    notes = {n["associatedRule"]["id"]: n for n in inv["toolExecutionNotifications"]}
    assert set(notes) == {"test-needs-usage", "test-boom"}
    assert notes["test-needs-usage"]["level"] == "warning"
    assert "storage usage" in notes["test-needs-usage"]["message"]["text"]
    assert notes["test-boom"]["level"] == "error"
    assert notes["test-boom"]["exception"] == {"kind": "ValueError", "message": "kaboom"}
    assert run["tool"]["driver"]["rules"][notes["test-boom"]["associatedRule"]["index"]]["id"] == "test-boom"
    assert [n["message"]["text"] for n in inv["toolConfigurationNotifications"]] == [
        "plug-in 'x' failed to load: nope"]


def test_sarif_for_a_clean_run_has_no_results_and_succeeds() -> None:
    (run,) = json.loads(render_sarif(report(Clean)))["runs"]
    assert run["results"] == []
    assert run["invocations"][0] == {"executionSuccessful": True, "toolExecutionNotifications": []}


def test_qualified_names_use_login_server_for_data_plane_and_arm_ids_for_children() -> None:
    reg = snapshot().registry
    assert qualified_name(reg, Resource.tag("app", "v1").kind, "app:v1") == "contoso.azurecr.io/app:v1"
    assert qualified_name(reg, Resource.repository("a/b").kind, "a/b") == "contoso.azurecr.io/a/b"
    assert qualified_name(reg, Resource.registry("contoso").kind, "contoso") == reg.id
    pec = Resource.private_endpoint_connection("contoso.pe1")
    assert qualified_name(reg, pec.kind, pec.name) == f"{reg.id}/privateEndpointConnections/contoso.pe1"


# -- Markdown --------------------------------------------------------------------------------------


def table_rows(md: str) -> list[list[str]]:
    """Rows of the summary table split on unescaped pipes, header and separator excluded."""
    lines = md.splitlines()
    start = lines.index("| | Check | Title | Findings |")
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def test_markdown_header_names_registry_source_and_time() -> None:
    md = render_markdown(full_report())
    assert md.startswith("## acrdoctor report for `contoso`\n")
    assert "`contoso.azurecr.io`" in md
    assert "- **Source:** builder" in md
    assert "- **Collected:** 2026-11-20T09:00:00.000000Z" in md
    assert "**2 issues in 1 check** (2 high); 1 passed, 1 skipped, 1 errored." in md


def test_markdown_summary_table_has_one_row_per_check_with_pipes_escaped() -> None:
    rows = table_rows(render_markdown(full_report()))
    assert rows == [
        ["❌", "`test-locked`", "Locked \\| manifests", "2 (high)"],
        ["✅", "`test-clean`", "Always passes", "0"],
        ["⏭️", "`test-needs-usage`", "Needs storage usage",
         "skipped: needs storage usage, which was not collected"],
        ["💥", "`test-boom`", "Crashes", "errored: ValueError: kaboom"],
    ]


def test_markdown_failed_check_section_has_resource_why_fix_block_and_docs() -> None:
    md = render_markdown(full_report())
    section = md.split("### ❌ `test-locked`: Locked | manifests", 1)[1].split("\n### ", 1)[0]
    assert "**Why:** The manifest has `deleteEnabled=false`." in section  # authors' code spans survive
    assert f"#### 1. manifest `locked-a@{DIGEST}` (high)" in section
    assert f"#### 2. manifest `locked-b@{DIGEST}` (high)" in section
    assert "delete of locked-a is blocked" in section
    block = (f"```bash\naz acr repository update --image locked-a@{DIGEST} --delete-enabled true\n"
             f"az acr repository delete --image locked-a@{DIGEST} --yes\n```")
    assert block in section
    assert "- Docs: <https://example.com/locks>" in section
    assert "- Locks exist on purpose; ask the owner first." in section
    # Only failed checks get a section; the others are summarised.
    assert "### ✅" not in md
    assert "- 💥 `test-boom` errored: ValueError: kaboom" in md
    assert "Traceback" not in md
    assert "- plug-in 'x' failed to load: nope" in md


def test_markdown_caps_findings_per_check_unless_verbose() -> None:
    rep = report(ManyFindings)
    md = render_markdown(rep)
    assert md.count("\n#### ") == MAX_FINDINGS
    assert f"finding number {MAX_FINDINGS - 1:03}" in md
    assert f"finding number {MAX_FINDINGS:03}" not in md
    assert f"5 more findings for `test-many` left out of this report (showing {MAX_FINDINGS} of 25)" in md
    assert "`acrdoctor diagnose --output json` has every finding" in md

    full = render_markdown(rep, verbose=True)
    assert full.count("\n#### ") == 25
    assert "left out" not in full
    assert "finding number 024" in full


def test_markdown_verbose_shows_the_traceback_of_a_crashed_check() -> None:
    md = render_markdown(report(Boom), verbose=True)
    assert "Traceback of `test-boom`:" in md
    assert "ValueError: kaboom" in md.split("```text", 1)[1]


def test_markdown_escapes_registry_text_and_keeps_code_spans_intact() -> None:
    class Weird(Check):
        slug = "test-weird"
        title = "Weird"
        severity = Severity.LOW
        cause = "Test cause."

        def run(self, ctx: Context) -> Iterator[Finding]:
            yield self.finding(Resource.repository("we`ird"), "*not bold* <b>html</b> [link](x) _em_ NAME_UNKNOWN",
                               fix=Fix("x", extra_commands=("echo ``` done",)))

    md = render_markdown(report(Weird))
    assert r"\*not bold\* \<b\>html\</b\> \[link\](x) \_em\_ NAME_UNKNOWN" in md
    assert "repository ``we`ird``" in md
    assert "````bash\necho ``` done\n````" in md


def test_code_span_handles_backticks() -> None:
    assert code("plain") == "`plain`"
    assert code("a`b") == "``a`b``"
    assert code("`edge") == "`` `edge ``"


# -- JSON report contract --------------------------------------------------------------------------


def test_json_report_validates_against_the_shipped_schema() -> None:
    schema = report_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    for rep in (full_report(), report(EverySeverity, ManyFindings), report()):
        jsonschema.validate(json.loads(render_json(rep)), schema)


def test_schema_is_not_vacuous() -> None:
    schema = report_schema()
    good = report_to_dict(full_report())
    bad_docs: list[dict[str, Any]] = []
    for mutate in (
        lambda d: d["results"][0].update(status="broken"),
        lambda d: d["results"][0]["findings"][0].pop("cause"),
        lambda d: d["results"][0].update(findings=[]),  # failed without findings
        lambda d: d["results"][2].update(reason=None),  # skipped without a reason
        lambda d: d["summary"]["by_severity"].update(severe=1),
        lambda d: d.update(schema_version=1),  # version 1 had no incomplete status
        lambda d: d["results"][2].update(status="incomplete"),  # incomplete without gaps
        lambda d: d["results"][1].update(lower_bound=True),  # a pass cannot be a lower bound
        lambda d: d.pop("collection_errors"),
    ):
        doc = json.loads(json.dumps(good))
        mutate(doc)
        bad_docs.append(doc)
    for doc in bad_docs:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(doc, schema)


def _schema_fields(node: Any) -> set[str]:
    out: set[str] = set()
    if isinstance(node, dict):
        out.update(node.get("properties", {}))
        for v in node.values():
            out |= _schema_fields(v)
    elif isinstance(node, list):
        for v in node:
            out |= _schema_fields(v)
    return out


def test_every_report_field_is_documented() -> None:
    """In the spirit of sqlite-utils' docs test: a field added to the schema must be described."""
    text = DOCS.read_text("utf-8")
    missing = sorted(f for f in _schema_fields(report_schema()) if f"`{f}`" not in text)
    assert not missing, f"docs/output.md does not describe: {missing}"


names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=names, resource=names, message=names, reason=names)
def test_any_text_keeps_every_format_well_formed(title: str, resource: str, message: str, reason: str) -> None:
    class Arbitrary(Check):
        slug = "test-arbitrary"
        severity = Severity.MEDIUM
        cause = "Test cause."

        def run(self, ctx: Context) -> Iterator[Finding]:
            yield self.finding(Resource.repository(resource), message, fix=Fix("fix", extra_commands=(message,)))

    class Skipper(NeedsUsage):
        slug = "test-skipper"

    Arbitrary.title = title
    snap = snapshot()
    results = run_checks(snap, [Arbitrary, Skipper])
    skipped = results[1]
    results = (results[0], CheckResult(skipped.check, Status.SKIPPED, reason=reason))
    rep = Report(snap, results, (reason,))

    report_validator().validate(json.loads(render_json(rep)))
    sarif = json.loads(render_sarif(rep))
    assert sarif["runs"][0]["results"][0]["locations"][0]["logicalLocations"][0]["name"] == resource
    rows = table_rows(render_markdown(rep))
    assert len(rows) == 2
    assert all(len(row) == 4 for row in rows)
