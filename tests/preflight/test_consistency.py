"""One fact, one wording: pre-flight, fix and diagnose do not contradict each other on the same registry."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from acrdoctor.actions import RegistryRef, SetAttributes
from acrdoctor.builder import SnapshotBuilder
from acrdoctor.check_api import Severity
from acrdoctor.engine import Catalogue, run_checks
from acrdoctor.fix.plan import make_plan
from acrdoctor.fix.render import render_plan
from acrdoctor.model import Policy, Snapshot
from acrdoctor.preflight.render import plan_to_dict, render_console, render_markdown
from acrdoctor.preflight.run import exit_code, preflight


def registry(soft_delete: bool = False, replicas: tuple[str, ...] = ()) -> Snapshot:
    b = SnapshotBuilder(name="contoso", sku="Premium")
    if soft_delete:
        b.registry(soft_delete_policy=Policy("enabled", 5), retention_policy=Policy("disabled", 7))
    app = b.repository("app")
    app.image(["v1"], layers=[("app-1", 1000)], config=("cfg-1", 10), age_days=40)
    app.image(["v2"], layers=[("app-2", 2000)], config=("cfg-2", 10), age_days=1)
    app.image(layers=[("old", 3000)], config=("cfg-old", 10), age_days=60)  # dangling: a fix deletes it
    b.no_private_endpoints()
    b.no_replications()
    for where in replicas:
        b.replication(where)
    b.set_usage(size=6030)
    return b.build()


DELETE_V1 = "az acr repository delete --name contoso --image app:v1 --yes"


def _console_text(draw) -> str:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    draw(Console(file=out, width=400, highlight=False, color_system=None))
    return out.getvalue()


@pytest.mark.parametrize("soft", [True, False])
def test_preflight_says_one_thing_about_billing(soft: bool) -> None:
    notes = " ".join(preflight(DELETE_V1, registry(soft_delete=soft)).notes)
    assert ("billed for up to 5 days" in notes) is soft
    assert ("stops at once" in notes) is not soft


def test_fix_freed_bytes_carry_the_soft_delete_caveat() -> None:
    snapshot = registry(soft_delete=True)
    plan = make_plan(snapshot, Catalogue.load(plugins=False))
    assert plan.freed_bytes == 3010
    text = _console_text(lambda c: render_plan(plan, c))
    freed_line = next(line for line in text.splitlines() if "The deletes free" in line)
    assert "billed for up to 5 days" in freed_line
    # The preflight of the same registry words it identically.
    assert plan.options["after_delete"] in preflight(DELETE_V1, snapshot).notes


def test_region_count_is_the_one_diagnose_uses() -> None:
    snapshot = registry(replicas=("northeurope",))  # home westeurope + one replica: two regions
    finding = next(f for r in run_checks(snapshot, [Catalogue.load(plugins=False).get("storage-accounting")])
                   for f in r.findings if "regions" in f.details)
    assert finding.details["regions"] == 2
    notes = " ".join(preflight(DELETE_V1, snapshot).notes)
    assert "2 regions: northeurope, westeurope" in notes


def test_headline_follows_the_exit_code_not_only_the_blockers() -> None:
    snapshot = registry()
    # app:v1 deleted by tag via a purge with an unanchored tag regex: a high warning, nothing blocked.
    plan = preflight("acr purge --filter 'app:v' --ago 30d", snapshot)
    assert not plan.blocked and exit_code(plan, snapshot, Severity.MEDIUM) == 1
    markdown = render_markdown(plan, snapshot, "cmd")
    assert "**Safe.**" not in markdown and "**Not safe: review the warnings.**" in markdown
    console = _console_text(lambda c: render_console(plan, snapshot, "cmd", c))
    assert "[✓]" not in console and "Not safe" in console
    assert plan_to_dict(plan, snapshot, "cmd")["verdict"] == "warnings"
    # Gated higher, the same plan passes, and the words say so.
    assert "**Safe.**" in render_markdown(plan, snapshot, "cmd", fail_on=Severity.CRITICAL)


def test_unlock_step_spells_flags_as_its_command() -> None:
    action = SetAttributes(RegistryRef("contoso"), "app", tag="v1", write_enabled=True, delete_enabled=False)
    assert "write-enabled=true, delete-enabled=false" in action.describe()
    assert "--delete-enabled false --write-enabled true" in action.commands()[0]
