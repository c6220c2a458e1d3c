"""The bundled demo registry shows every failure mode of the catalogue, each with a runnable fix."""

from __future__ import annotations

import json
import shlex

from click.testing import CliRunner

from acrdoctor.checks import CATALOGUE_ORDER
from acrdoctor.cli import cli
from acrdoctor.grouping import expand_commands

REQUIRED_SLUGS = {
    "empty-repository", "private-endpoints-block-registry-delete", "network-access-denied", "locked-artifacts",
    "dangling-manifests", "shared-layers", "storage-accounting", "retention-policy", "broken-index-references",
    "delete-permission", "throttling",
    "quarantined-images", "soft-delete", "geo-replication",
    "resource-locks", "connected-registries",
    "artifact-cache", "continuous-patching",
}
#: Checks whose failure mode cannot coexist with the main demo's settings, by the demo variant that shows them.
VARIANT_SLUGS = {"purge-task-access": "abac", "storage-limit": "storage-limit", "listings-cut-short": "truncated"}


def demo_report() -> dict:
    result = CliRunner().invoke(cli, ["diagnose", "--demo", "--output", "json", "--no-plugins"])
    assert result.exit_code == 1, result.output
    return json.loads(result.output)


def every_command(fix: dict) -> list[str]:
    """A fix's commands and its related ones, groups of deletes expanded to one command per manifest."""
    return expand_commands([*fix["commands"], *(c for rel in fix["related"] for c in rel["commands"])])


def test_every_required_slug_fails_on_the_demo_with_a_fix() -> None:
    report = demo_report()
    results = {r["check"]: r for r in report["results"]}
    assert set(results) >= REQUIRED_SLUGS
    for slug in REQUIRED_SLUGS:
        r = results[slug]
        assert r["status"] == "failed", f"{slug} did not fail on the demo: {r['status']} {r['reason']}"
        fixes = [f["fix"] for f in r["findings"] if f["fix"]]
        assert fixes, f"{slug} has no fix on the demo"
        for f in r["findings"]:
            assert f["message"] and f["cause"] and f["resource"]


def test_every_check_except_informational_ones_offers_a_command_on_the_demo() -> None:
    report = demo_report()
    # quarantined-images: only the scanner that owns the quarantine ends it (no az command sets quarantineState);
    # geo-replication: advice about propagation delays, nothing to change.
    advice_only = {"shared-layers", "throttling", "quarantined-images", "geo-replication"}
    for r in report["results"]:
        if r["check"] in advice_only or r["check"] in VARIANT_SLUGS:
            continue
        commands = [c for f in r["findings"] if f["fix"] for c in f["fix"]["commands"]]
        # or its command is printed under an earlier finding (acrdoctor.printed_once), and the note says which
        elsewhere = [n for f in r["findings"] if f["fix"] for n in f["fix"]["notes"] if n.startswith("Also fixed by")]
        assert commands or elsewhere, f"{r['check']} prints no command on the demo"


def test_every_printed_command_is_a_parsable_az_command() -> None:
    report = demo_report()
    seen = 0
    for r in report["results"]:
        for f in r["findings"]:
            fix = f["fix"]
            if not fix:
                continue
            for cmd in every_command(fix):
                argv = shlex.split(cmd)
                # acrdoctor's own read-only commands (a pre-flight, a fresh collection) sit next to the az ones;
                # test_every_printed_preflight_command_runs_on_the_demo runs the pre-flights.
                assert argv[0] == "az" or argv[:2] in (["acrdoctor", "preflight"], ["acrdoctor", "collect"]), cmd
                assert "<" not in cmd and ">" not in cmd, f"placeholder left in {cmd!r}"
                seen += 1
    assert seen > 20


def test_catalogue_order_names_every_builtin_check() -> None:
    from acrdoctor.engine import builtin_checks

    assert set(CATALOGUE_ORDER) == {c.slug for c in builtin_checks()} == REQUIRED_SLUGS | set(VARIANT_SLUGS)
    assert [c.slug for c in builtin_checks()] == list(CATALOGUE_ORDER)


def demo_preflight_commands() -> list[list[str]]:
    """Every ``acrdoctor preflight`` command the demo's findings print, as argv with the live source made --demo."""
    out = []
    for r in demo_report()["results"]:
        for f in r["findings"]:
            fix = f["fix"]
            for cmd in every_command(fix) if fix else []:
                argv = shlex.split(cmd)
                if argv[:2] != ["acrdoctor", "preflight"]:
                    continue
                cut = argv.index("--")
                assert argv[2:cut] == ["--registry", "contoso", "--resource-group", "rg-contoso-prod"], cmd
                out.append(["preflight", "--demo", *argv[cut:]])
    return out


def test_every_printed_preflight_command_runs_on_the_demo() -> None:
    commands = demo_preflight_commands()
    assert len(commands) >= 6  # shared-layers' top holders and continuous-patching's purges
    for argv in commands:
        result = CliRunner().invoke(cli, argv)
        assert result.exit_code in (0, 1), (argv, result.output)
        assert "would delete" in result.output.lower() or "would" in result.output.lower(), result.output


def test_docs_demo_names_every_variant_and_what_fails_there() -> None:
    """docs/demo.md's table: each variant with the checks that fail on it, as diagnose reports them."""
    import re
    from pathlib import Path

    from acrdoctor.demo.variants import MAIN_VARIANT, variant_names

    text = (Path(__file__).resolve().parent.parent / "docs" / "demo.md").read_text("utf-8")
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `([\w-]+)`[^|]*\|[^|]*\|[^|]*\| (.*) \|$", text, re.M)}
    for name in variant_names():
        assert name in rows, f"docs/demo.md does not list the variant {name}"
        if name == MAIN_VARIANT:
            continue
        result = CliRunner().invoke(cli, ["diagnose", f"--demo={name}", "--output", "json", "--no-plugins"])
        failed = {r["check"] for r in json.loads(result.output)["results"] if r["status"] == "failed"}
        assert set(re.findall(r"`([\w-]+)`", rows[name])) == failed, name

