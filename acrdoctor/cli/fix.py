"""``acrdoctor fix``: the click command over :mod:`acrdoctor.fix` (plan, confirm, apply, verify, resume).

Parses, asks for confirmation and renders; planning, applying, journaling and the rules for a resume are
:mod:`acrdoctor.fix`'s. Imports :mod:`acrdoctor.cli.common` and the library; no other command module.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

import acrdoctor.cli.common as common
from acrdoctor.azure.waits import Waits
from acrdoctor.engine import Catalogue
from acrdoctor.errors import InputError
from acrdoctor.fix.bulk import DEFAULT_CONCURRENCY
from acrdoctor.fix.digest import check_digest, parse_digest, plan_digest
from acrdoctor.fix.inputs import bind_endpoints, default_journal_path, parse_caller_ip, resume_endpoints
from acrdoctor.fix.journal import Journal, read_journal
from acrdoctor.fix.model import FixPlan
from acrdoctor.fix.plan import make_plan
from acrdoctor.fix.run import EXIT_NOT_CONFIRMED, FixRun, execute, start_journal
from acrdoctor.user_files import check_writable, read_text


def interactive() -> bool:
    """Whether a person can answer the prompt (tests replace this)."""
    return sys.stdin.isatty()


def _confirm(plan: FixPlan, yes: bool) -> str:
    if yes:
        return "--yes"
    if not interactive():
        common.fail("not confirmed: standard input is not a terminal, so nobody could answer; pass --yes to "
                    "apply without a prompt. Nothing was changed.", EXIT_NOT_CONFIRMED)
    if not click.confirm(f"Apply these {len(plan.steps):,} steps to registry {plan.registry}?", default=False,
                         err=True):
        common.fail("not confirmed. Nothing was changed.", EXIT_NOT_CONFIRMED)
    return "prompt"


@click.command("fix")
@common.demo_option("Plan for the bundled demo registry or one of its variants (plan only).")
@click.option("--snapshot", "snapshot_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Plan from a snapshot file (plan only: a snapshot cannot be changed).")
@common.live_options
@click.option("--check", "checks", multiple=True, metavar="SLUG",
              help="Fix the findings of this check (repeatable; default: empty-repository and dangling-manifests).")
@click.option("--in-use", "in_use", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Image references in use (one per line): never delete them.")
@click.option("--relock", is_flag=True, help="After the deletes, restore the lock flags the plan unlocked.")
@click.option("--enable-retention", is_flag=True,
              help="Also enable the retention policy for untagged manifests (Premium, without soft delete).")
@click.option("--caller-ip", metavar="IP", help="Your public IP, for the firewall rule when no denial named it.")
@click.option("--apply", "do_apply", is_flag=True, help="Apply the plan (after showing it and a confirmation).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation (automation).")
@click.option("--journal", "journal_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Journal file (JSON lines; default: acrdoctor-fix-REGISTRY-TIME.jsonl here).")
@click.option("--plan-out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the plan to this file, to apply later with --from-plan.")
@click.option("--from-plan", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Apply a plan written earlier with --plan-out (checked against the registry first).")
@click.option("--resume", "resume_path", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Finish an interrupted run from its journal (against the endpoints it started with).")
@click.option("--plan-digest", "pinned", metavar="sha256:HEX",
              help="Apply only if the plan's digest is this one (printed with the plan); needed with --yes for a "
                   "plan from --from-plan or --resume.")
@click.option("--inspect", "inspect_path", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Show what a journal says happened; reads nothing else.")
@click.option("--delete-workers", "delete_workers", type=click.IntRange(1, 32), default=DEFAULT_CONCURRENCY,
              show_default=True, help="Manifest deletes in flight at once (each still waits for the rate limits).")
@click.option("--max-deletes-per-minute", "max_deletes", type=click.FloatRange(min=1.0), metavar="N",
              help="Pace deletes at N a minute (default: the registry SKU's documented per-identity limit, 500 on "
                   "Basic/Standard and 2,000 on Premium). Lower it when other jobs delete with the same identity.")
@click.option("--output", "-o", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Report format (json: docs/fix.md).")
@click.option("--verbose", "-v", is_flag=True, help="List every step, result and left-out item in the console.")
@click.option("--expand", is_flag=True,
              help="With -o json: list every step in full with its command (default: deletes grouped per repository).")
@click.option("--no-plugins", is_flag=True, help="Ignore checks installed by other packages.")
def fix_cmd(demo: str | None, snapshot_path: Path | None, registry: str | None, checks: tuple[str, ...],
            in_use: Path | None, relock: bool, enable_retention: bool, caller_ip: str | None, do_apply: bool,
            yes: bool, journal_path: Path | None, plan_out: Path | None, from_plan: Path | None,
            resume_path: Path | None, pinned: str | None, inspect_path: Path | None, delete_workers: int,
            max_deletes: float | None, output: str, verbose: bool, expand: bool, no_plugins: bool,
            **live: Any) -> None:
    """Show the fix plan for the findings; with --apply, apply it, journal it and check the result.

    Nothing changes without --apply and a confirmation (--yes for automation). Exit codes: 0 plan shown,
    or applied and every finding fixed; 1 a step failed or a finding is not fixed; 2 usage or input
    error; 4 stopped because the registry changed since the plan; 5 not confirmed (nothing changed).
    """
    console = common.stdout_console()
    if inspect_path:
        from acrdoctor.fix.render import render_journal

        render_journal(read_journal(inspect_path), console)
        return
    sources = [n for n, on in (("--demo", demo), ("--snapshot", snapshot_path), ("--from-plan", from_plan),
                               ("--resume", resume_path)) if on]
    if len(sources) > 1:
        raise click.UsageError(f"give only one of {' and '.join(sources)}")
    if (demo or snapshot_path) and do_apply:
        raise click.UsageError("--apply needs a live registry (--registry NAME); a snapshot or the demo can only "
                               "be planned for")
    catalogue = Catalogue.load(plugins=not no_plugins)
    if checks:
        catalogue.select(checks)  # unknown slugs fail before anything is read
    ip = parse_caller_ip(caller_ip)
    pinned = parse_digest(pinned) if pinned is not None else None
    saved_path = resume_path or from_plan
    if saved_path and yes and (do_apply or resume_path) and pinned is None:
        raise InputError(f"--yes with a saved plan needs --plan-digest: pass the sha256:… printed with the plan "
                         f"that was reviewed (nobody is asked, so the digest is what ties {saved_path} to that review)")
    for option, out in (("--plan-out", plan_out), ("--journal", journal_path)):
        if out:
            check_writable(out, option)
    saved = read_journal(saved_path) if saved_path else None
    state = saved if resume_path else None
    if saved is not None:
        plan = saved.plan
    else:
        plan = _new_plan(demo, snapshot_path, registry, catalogue, checks, in_use, relock, enable_retention, ip, live)
        plan = bind_endpoints(plan, live["arm_endpoint"], live["ca_file"])  # before --plan-digest is compared
    if registry and saved_path and registry.lower() not in (plan.registry.lower(), plan.login_server.lower()):
        raise InputError(f"the plan is for registry {plan.registry}, not {registry}")
    check_digest(plan, recorded=saved.plan_digest if saved else None, source=str(saved_path), pinned=pinned)
    if saved is not None:
        # The plan's own endpoints, bound by its digest; the journal line's copy is for people and never used.
        arm_endpoint, ca_file = resume_endpoints(plan.endpoints, live["arm_endpoint"], live["ca_file"],
                                                 "the run started with" if resume_path else "the plan was made with")
        live = {**live, "arm_endpoint": arm_endpoint, "ca_file": ca_file}
        if not resume_path:
            # A plan made offline runs through the endpoints given now; bound to it (and so to the journal's digest),
            # a resume of this run uses them too. A resumed journal's plan stays the one that was confirmed.
            plan = bind_endpoints(plan, arm_endpoint, ca_file)
    if plan_out:
        Journal(plan_out).write("plan", plan=plan.to_dict(), plan_digest=plan_digest(plan))
    from acrdoctor.fix.render import render_json, render_plan

    if not (do_apply or resume_path):
        if output == "json":
            click.echo(render_json(plan, pretty=sys.stdout.isatty(), expand=expand), nl=False)
        else:
            render_plan(plan, console, verbose=verbose)
            if plan.steps:
                console.print(f"\nNothing was changed. To apply these {len(plan.steps):,} steps: add --apply.")
        return
    if output != "json":
        render_plan(plan, console, verbose=verbose)
    if not plan.steps:
        if output == "json":
            click.echo(render_json(plan, pretty=sys.stdout.isatty()), nl=False)
        else:
            console.print("\nNothing to apply.")
        return
    confirmed_by = _confirm(plan, yes)
    pacing = Pacing(delete_workers, max_deletes, quiet=bool(live.get("quiet")) or output == "json")
    run, path = _apply(plan, catalogue, confirmed_by, journal_path or resume_path, state, live, pacing)
    if output == "json":
        click.echo(render_json(plan, run, str(path), pretty=sys.stdout.isatty(), expand=expand), nl=False)
    else:
        from acrdoctor.fix.render import render_applied

        render_applied(run, console, verbose=verbose)
        console.print(f"\nJournal: {path}")
    sys.exit(run.exit_code)


def _new_plan(demo: str | None, snapshot_path: Path | None, registry: str | None, catalogue: Catalogue,
              checks: tuple[str, ...], in_use: Path | None, relock: bool, enable_retention: bool, ip: str | None,
              live: dict[str, Any]) -> FixPlan:
    from acrdoctor.fix.plan import DEFAULT_CHECKS

    text = read_text(in_use) if in_use else None
    if registry and not (demo or snapshot_path):
        selected = catalogue.select(checks or [s for s in DEFAULT_CHECKS if s in catalogue.slugs()])
        snapshot = common.collect_live(registry, selected, live).snapshot
    else:
        snapshot = common.load_source(demo, snapshot_path, registry)
    return make_plan(snapshot, catalogue, checks or None, in_use=text, relock=relock,
                     enable_retention=enable_retention, caller_ip=ip)


@dataclass(frozen=True)
class Pacing:
    """How fast to apply: workers, the delete rate, and whether to draw a progress bar."""

    concurrency: int
    max_deletes: float | None
    quiet: bool


def _apply(plan: FixPlan, catalogue: Catalogue, confirmed_by: str, journal_path: Path | None, state: Any,
           live: dict[str, Any], pacing: Pacing) -> tuple[FixRun, Path]:
    from acrdoctor.collect.live import Target
    from acrdoctor.collect.progress import Progress
    from acrdoctor.fix.pace import Pace
    from acrdoctor.fix.sdk import connect

    target = Target(plan.registry, plan.subscription, plan.resource_group, plan.login_server)
    clients = connect(target, subscription=live["subscription"] or plan.subscription,
                      resource_group=live["resource_group"] or plan.resource_group,
                      arm_endpoint=live["arm_endpoint"],
                      connection_verify=str(live["ca_file"]) if live["ca_file"] else True,
                      waits=Waits(live["max_wait"]),
                      pace=lambda sku: Pace.for_sku(sku, max_deletes_per_minute=pacing.max_deletes))
    progress = Progress.for_terminal(quiet=pacing.quiet)
    left = len(plan.steps) - (len(state.succeeded()) if state is not None else 0)
    progress.start("applying", left)
    path = journal_path or default_journal_path(plan.registry)
    journal = Journal(path)
    resumed = state is not None
    start_journal(journal, plan, confirmed_by, resumed=resumed)

    def recollect(repositories: tuple[str, ...]) -> Any:
        from acrdoctor.collect.live import DATA_PARTS, parts_for

        parts = parts_for(catalogue.select([c for c in plan.checks if c in catalogue.slugs()]))
        if not repositories:
            parts = parts - DATA_PARTS
        opts = {**{k: live.get(k) for k in common.LIVE_KEYS}, "repositories": repositories, "quiet": True,
                "subscription": clients.subscription, "resource_group": clients.resource_group}
        return common.collect_live(plan.registry, [], opts, parts=parts).snapshot

    try:
        run = execute(plan, clients, journal, catalogue, recollect=recollect,
                      done=state.results if state is not None else None, resumed=resumed,
                      on_step=lambda step, outcome: progress.advance("applying"), concurrency=pacing.concurrency)
    except KeyboardInterrupt:
        common.fail(f"interrupted; nothing more was changed. The journal {path} says what was done; finish "
                    f"with: acrdoctor fix --resume {path}", common.EXIT_INTERRUPTED)
    finally:
        progress.close()
        journal.close()
        clients.close()
    return run, path
