"""Partial data is never a pass (issue #10 §2): per-check gaps, lower bounds, errors in every output, exit 3.

The snapshots here are what the live collector writes when one repository's listings fail after retries
(``acrdoctor/collect/dataplane.py``): the repository is listed without ``manifests``/``tags``, the error
names it, and the part is marked partial.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from rich.console import Console

from acrdoctor.builder import SnapshotBuilder
from acrdoctor.check_api import Check, Context, Finding, Severity, Status
from acrdoctor.cli import cli
from acrdoctor.demo import load_demo
from acrdoctor.engine import Report, diagnose, run_checks
from acrdoctor.model import DATA_PLANE_READS, Part
from acrdoctor.render.console import render_console
from acrdoctor.render.json_report import report_to_dict
from acrdoctor.render.markdown import render_markdown
from acrdoctor.render.sarif import report_to_sarif
from acrdoctor.snapshot_io import dump_snapshot, load_snapshot, snapshot_from_dict, snapshot_to_dict

BROKEN = "team-b/web"
SERVER_ERROR = "internal server error"


def failed_listing(dangling: bool = False) -> SnapshotBuilder:
    """Two repositories; the manifest and tag listings of one failed with 500 after retries."""
    b = SnapshotBuilder()
    b.attempted(*DATA_PLANE_READS)
    api = b.repository("apps/api")
    api.image(tags=["v1"])
    if dangling:
        api.image(layers=[("old-build", 4000)])
    b.repository(BROKEN, manifests=False, tags=False)
    for part in (Part.MANIFESTS, Part.TAGS):
        b.error(part, 500, "UNKNOWN", SERVER_ERROR, repository=BROKEN, operation=f"list_{part.value}")
        b.partial.add(part)
    return b


# -- the engine --------------------------------------------------------------------------------------------


def test_checks_that_found_nothing_on_a_failed_listing_are_incomplete_not_passed() -> None:
    report = diagnose(failed_listing().build(), ["dangling-manifests", "locked-artifacts", "broken-index-references"])
    for r in report.results:
        assert r.status is Status.INCOMPLETE, r.slug
        assert [(g.part, g.repositories) for g in r.gaps] == [(Part.MANIFESTS, (BROKEN,)), (Part.TAGS, (BROKEN,))]
        assert r.reason == (
            f"could not see: manifest listings missing for 1 repository ({BROKEN}) (manifests {BROKEN}: 500 UNKNOWN "
            f"{SERVER_ERROR} (during list_manifests)); tag listings missing for 1 repository ({BROKEN}) (tags "
            f"{BROKEN}: 500 UNKNOWN {SERVER_ERROR} (during list_tags))"
        )
    assert report.exit_code(Severity.MEDIUM) == 3


def test_findings_on_partial_data_are_kept_and_marked_a_lower_bound() -> None:
    report = diagnose(failed_listing(dangling=True).build(), ["dangling-manifests"])
    (r,) = report.results
    assert r.status is Status.FAILED and r.lower_bound
    assert [f.resource.name for f in r.findings] == ["apps/api"]
    assert (r.reason or "").startswith(f"lower bound, could not see: manifest listings missing for 1 repository "
                                       f"({BROKEN})")
    # The finding is low: below --fail-on medium it would have exited 0 on data never seen.
    assert report.exit_code(Severity.MEDIUM) == 3
    assert report.exit_code(Severity.LOW) == 1


def test_a_repository_whose_properties_failed_hides_its_locks() -> None:
    b = SnapshotBuilder()
    b.repository("apps/api").image(tags=["v1"])
    b.repository("secret").image(tags=["v1"])
    b.error(Part.REPOSITORIES, 403, "DENIED", "access denied", repository="secret",
            operation="get_repository_properties")
    (r,) = diagnose(b.build(), ["locked-artifacts"]).results
    assert r.status is Status.INCOMPLETE
    assert [(g.part, g.repositories) for g in r.gaps] == [(Part.REPOSITORIES, ("secret",))]


def test_refusals_that_were_overcome_or_came_from_a_delete_leave_no_gap() -> None:
    """The data decides what was collected: a listing present is complete, whatever an earlier attempt got."""
    b = SnapshotBuilder()
    b.repository("apps/api").image(tags=["v1"])
    b.error(Part.REPOSITORIES, 403, "DENIED", "client with IP '203.0.113.42' is not allowed access",
            operation="list_repository_names")
    b.error(Part.MANIFESTS, 429, "TOOMANYREQUESTS", "too many requests", repository="apps/api",
            operation="list_manifests")
    b.error(Part.REPOSITORIES, 401, "UNAUTHORIZED", "authentication required", repository="apps/api",
            operation="delete_repository")
    (r,) = diagnose(b.build(), ["locked-artifacts"]).results
    assert (r.status, r.gaps) == (Status.PASSED, ())


def test_the_demo_is_complete() -> None:
    report = diagnose(load_demo())
    assert [r.slug for r in report.results if r.gaps] == []


class _UsesReplications(Check):
    slug = "test-uses-replications"
    title = "Reads replications when it has them"
    severity = Severity.LOW
    uses = frozenset({Part.REPLICATIONS})
    cause = "n/a"

    def run(self, ctx: Context) -> Iterator[Finding]:
        return iter(())


def test_a_used_part_that_failed_is_a_gap_and_one_never_asked_for_is_not() -> None:
    b = SnapshotBuilder()
    (r,) = run_checks(b.build(), [_UsesReplications])
    assert r.status is Status.PASSED  # not collected because not asked: the check judges without it
    b.error(Part.REPLICATIONS, 403, "AuthorizationFailed", "no read", operation="list_replications")
    (r,) = run_checks(b.build(), [_UsesReplications])
    assert r.status is Status.INCOMPLETE
    assert r.reason == ("could not see: replications could not be collected (replications: 403 AuthorizationFailed "
                        "no read (during list_replications))")


def test_skip_check_still_wins_on_a_partial_scan() -> None:
    b = SnapshotBuilder()
    b.repository("apps/api").image(tags=["v1"], layers=[("only-here", 10)])
    b.partial.update({Part.REPOSITORIES, Part.MANIFESTS, Part.MANIFEST_BODIES})
    (r,) = diagnose(b.build(), ["shared-layers"]).results
    assert r.status is Status.SKIPPED and "sharing with the others is unknown" in (r.reason or "")


def test_an_unnamed_partial_part_is_still_a_gap() -> None:
    """A scan limited to chosen repositories cannot name the others."""
    b = SnapshotBuilder()
    b.repository("apps/api").image(tags=["v1"])
    b.partial.add(Part.REPOSITORIES)
    (r,) = diagnose(b.build(), ["locked-artifacts"]).results
    assert r.status is Status.INCOMPLETE
    assert r.reason == "could not see: the repository list collected for only some repositories"


# -- every renderer ----------------------------------------------------------------------------------------


def mixed_report() -> Report:
    """One lower-bound failure and one incomplete check over the failed listing."""
    return diagnose(failed_listing(dangling=True).build(), ["locked-artifacts", "dangling-manifests"])


def test_console_shows_incomplete_lower_bound_and_every_collection_error() -> None:
    console = Console(record=True, width=300, color_system=None)
    render_console(mixed_report(), console)
    text = console.export_text()
    assert f"[?] locked-artifacts · Locked repositories, manifests and tags that refuse deletion (incomplete: " \
           f"could not see: manifest listings missing for 1 repository ({BROKEN})" in text
    assert "[✗] dangling-manifests" in text and "(1 finding) (lower bound, could not see:" in text
    assert "Collection errors (2)" in text
    assert f"! manifests {BROKEN}: 500 UNKNOWN {SERVER_ERROR} (during list_manifests)" in text
    assert f"! tags {BROKEN}: 500 UNKNOWN {SERVER_ERROR} (during list_tags)" in text
    assert "0 passed, 0 skipped, 0 errored, 1 incomplete." in text
    assert "Findings of dangling-manifests are a lower bound" in text


def test_json_carries_status_lower_bound_gaps_and_errors_and_validates() -> None:
    doc = report_to_dict(mixed_report())
    schema = json.loads(resources.files("acrdoctor.data").joinpath("report.schema.json").read_text("utf-8"))
    jsonschema.validate(doc, schema)
    by = {r["check"]: r for r in doc["results"]}
    assert (by["locked-artifacts"]["status"], by["locked-artifacts"]["lower_bound"]) == ("incomplete", False)
    assert (by["dangling-manifests"]["status"], by["dangling-manifests"]["lower_bound"]) == ("failed", True)
    assert by["locked-artifacts"]["gaps"][0] == {
        "part": "manifests", "label": "manifest listings", "everywhere": False, "repositories": [BROKEN],
        "errors": [{"part": "manifests", "repository": BROKEN, "operation": "list_manifests", "status": 500,
                    "code": "UNKNOWN", "message": SERVER_ERROR, "retry_after": None}]}
    assert [(e["part"], e["repository"], e["status"]) for e in doc["collection_errors"]] == [
        ("manifests", BROKEN, 500), ("tags", BROKEN, 500)]
    assert doc["summary"]["incomplete"] == 1


def test_schema_refuses_an_incomplete_result_without_gaps_and_a_lower_bound_pass() -> None:
    schema = json.loads(resources.files("acrdoctor.data").joinpath("report.schema.json").read_text("utf-8"))
    good = report_to_dict(mixed_report())
    for index, change in ((0, {"gaps": []}), (1, {"status": "passed", "findings": []})):
        doc = json.loads(json.dumps(good))
        doc["results"][index].update(change)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(doc, schema)


def test_sarif_notifies_incomplete_and_lower_bound_checks_and_every_collection_error() -> None:
    run = report_to_sarif(mixed_report())["runs"][0]
    texts = [n["message"]["text"] for n in run["invocations"][0]["toolExecutionNotifications"]]
    assert any(t.startswith("locked-artifacts incomplete: could not see:") for t in texts)
    assert any(t.startswith("dangling-manifests lower bound: lower bound, could not see:") for t in texts)
    assert f"collection error: manifests {BROKEN}: 500 UNKNOWN {SERVER_ERROR} (during list_manifests)" in texts
    assert f"collection error: tags {BROKEN}: 500 UNKNOWN {SERVER_ERROR} (during list_tags)" in texts
    assert [r["properties"]["lowerBound"] for r in run["results"]] == [True]
    assert run["invocations"][0]["executionSuccessful"] is True


def test_markdown_shows_incomplete_lower_bound_and_every_collection_error() -> None:
    text = render_markdown(mixed_report())
    assert "| ❔ | `locked-artifacts` |" in text
    assert "| 1 (low), lower bound |" in text
    assert "**Lower bound:** there may be more: lower bound, could not see: manifest listings missing" in text
    assert "- ❔ `locked-artifacts` incomplete: could not see:" in text
    assert "### Collection errors" in text
    assert f"- manifests team-b/web: 500 UNKNOWN {SERVER_ERROR} (during list_manifests)" in text
    assert "1 incomplete" in text


# -- the CLI -----------------------------------------------------------------------------------------------


@pytest.fixture
def partial_file(tmp_path: Path) -> Path:
    path = tmp_path / "partial.json"
    dump_snapshot(failed_listing(dangling=True).build(), path)
    return path


@pytest.mark.parametrize(("args", "code"), [
    (["--check", "locked-artifacts"], 3),  # found nothing on partial data: incomplete
    (["--check", "dangling-manifests"], 3),  # a low finding below --fail-on medium, but a lower bound
    (["--check", "dangling-manifests", "--fail-on", "low"], 1),  # findings at the threshold still win
])
def test_cli_exit_code_on_partial_data(partial_file: Path, args: list[str], code: int) -> None:
    for output in ("table", "json", "sarif", "markdown"):
        result = CliRunner().invoke(cli, ["diagnose", "--snapshot", str(partial_file), "--no-plugins", *args,
                                          "-o", output])
        assert result.exit_code == code, (output, result.output)
        assert SERVER_ERROR in result.stdout, output


# -- the snapshot record of what was tried --------------------------------------------------------------


def test_operations_round_trip_and_older_files_read_as_unknown(tmp_path: Path) -> None:
    snap = failed_listing().build()
    path = tmp_path / "s.json"
    dump_snapshot(snap, path)
    assert load_snapshot(path).operations == snap.operations == DATA_PLANE_READS
    old = snapshot_to_dict(snap)
    del old["operations"]
    assert snapshot_from_dict(old).operations is None


def test_nothing_found_with_unjudged_checks_is_not_shown_as_a_clean_bill(tmp_path: Path) -> None:
    """'No issues found' in green next to exit 3 read as a pass; it now says what it covers."""
    b = SnapshotBuilder()
    b.repository("team/app").image(["v1"], layers=[("base", 1000)])
    path = tmp_path / "s.json"
    path.write_text(json.dumps(snapshot_to_dict(b.build())), "utf-8")
    for fmt in ("table", "markdown"):
        r = CliRunner().invoke(cli, ["diagnose", "--snapshot", str(path), "--output", fmt], prog_name="acrdoctor")
        assert r.exit_code == 3, r.output
        assert "No issues found in what could be judged" in r.stdout
