"""``acrdoctor fix``: the click command over :mod:`acrdoctor.fix` (plan, confirm, apply, verify, resume)."""

from __future__ import annotations

import ipaddress
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from acrdoctor.cli import LIVE_KEYS, _live, _live_options, _load_source, _stdout_console, fail
from acrdoctor.collect.waits import Waits
from acrdoctor.engine import Catalogue
from acrdoctor.errors import InputError
from acrdoctor.fix.digest import check_digest, parse_digest
from acrdoctor.fix.journal import Journal, read_journal
from acrdoctor.fix.model import FixPlan
from acrdoctor.fix.plan import make_plan
from acrdoctor.fix.run import EXIT_NOT_CONFIRMED, FixRun, execute, start_journal
from acrdoctor.user_files import check_writable, read_text


def interactive() -> bool:
    """Whether a person can answer the prompt (tests replace this)."""
    return sys.stdin.isatty()


def _caller_ip(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return str(ipaddress.ip_network(value, strict=True)).removesuffix("/32")
    except ValueError:
        raise InputError(f"--caller-ip {value!r} is not an IPv4 address or CIDR range") from None


def _default_journal(registry: str) -> Path:
    return Path(f"acrdoctor-fix-{registry}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.jsonl")


def used_endpoints(live: dict[str, Any]) -> dict[str, str | None]:
    """What the journal records of how Azure was reached: endpoints and trust, never credentials."""
    ca = live["ca_file"]
    return {"arm_endpoint": live["arm_endpoint"], "ca_file": str(Path(ca).resolve()) if ca else None}


def resume_endpoints(recorded: dict[str, str | None], live: dict[str, Any]) -> dict[str, Any]:
    """The options to resume with: the endpoints the run started with, which a resume may repeat, not change."""
    given = used_endpoints(live)
    out = dict(live)
    for key, option in (("arm_endpoint", "--arm-endpoint"), ("ca_file", "--ca-file")):
        was = recorded.get(key)
        if given[key] is not None and was is not None and given[key] != was:
            raise InputError(f"the run started with {option} {was}; resume it against the same endpoint, not "
                             f"{given[key]}")
        if given[key] is None and was is not None:
            if key == "ca_file" and not Path(was).is_file():
                raise InputError(f"the run started with --ca-file {was}, which is no longer there; pass --ca-file "
                                 "with the same CA bundle")
            out[key] = Path(was) if key == "ca_file" else was
    return out


def _confirm(plan: FixPlan, yes: bool) -> str:
    if yes:
        return "--yes"
    if not interactive():
        fail("not confirmed: standard input is not a terminal, so nobody could answer; pass --yes to apply "
             "without a prompt. Nothing was changed.", EXIT_NOT_CONFIRMED)
    if not click.confirm(f"Apply these {len(plan.steps):,} steps to registry {plan.registry}?", default=False,
                         err=True):
        fail("not confirmed. Nothing was changed.", EXIT_NOT_CONFIRMED)
    return "prompt"


@click.command("fix")
@click.option("--demo", is_flag=True, help="Plan for the bundled demo registry (plan only).")
@click.option("--snapshot", "snapshot_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Plan from a snapshot file (plan only: a snapshot cannot be changed).")
@_live_options
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
@click.option("--output", "-o", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Report format (json: docs/fix.md).")
@click.option("--verbose", "-v", is_flag=True, help="List every step, result and left-out item in the console.")
@click.option("--no-plugins", is_flag=True, help="Ignore checks installed by other packages.")
def fix_cmd(demo: bool, snapshot_path: Path | None, registry: str | None, checks: tuple[str, ...],
            in_use: Path | None, relock: bool, enable_retention: bool, caller_ip: str | None, do_apply: bool,
            yes: bool, journal_path: Path | None, plan_out: Path | None, from_plan: Path | None,
            resume_path: Path | None, pinned: str | None, inspect_path: Path | None, output: str, verbose: bool,
            no_plugins: bool, **live: Any) -> None:
    """Show the fix plan for the findings; with --apply, apply it, journal it and check the result.

    Nothing changes without --apply and a confirmation (--yes for automation). Exit codes: 0 plan shown,
    or applied and every finding fixed; 1 a step failed or a finding is not fixed; 2 usage or input
    error; 4 stopped because the registry changed since the plan; 5 not confirmed (nothing changed).
    """
    console = _stdout_console()
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
    ip = _caller_ip(caller_ip)
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
    if registry and saved_path and registry.lower() not in (plan.registry.lower(), plan.login_server.lower()):
        raise InputError(f"the plan is for registry {plan.registry}, not {registry}")
    digest = check_digest(plan, recorded=saved.plan_digest if saved else None, source=str(saved_path),
                          pinned=pinned)
    if state is not None:
        live = resume_endpoints(state.endpoints, live)
    if plan_out:
        Journal(plan_out).write("plan", plan=plan.to_dict(), plan_digest=digest)
    from acrdoctor.fix.render import render_json, render_plan

    if not (do_apply or resume_path):
        if output == "json":
            click.echo(render_json(plan, pretty=sys.stdout.isatty()), nl=False)
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
    run, path = _apply(plan, catalogue, confirmed_by, journal_path or resume_path, state, live)
    if output == "json":
        click.echo(render_json(plan, run, str(path), pretty=sys.stdout.isatty()), nl=False)
    else:
        from acrdoctor.fix.render import render_applied

        render_applied(run, console, verbose=verbose)
        console.print(f"\nJournal: {path}")
    sys.exit(run.exit_code)


def _new_plan(demo: bool, snapshot_path: Path | None, registry: str | None, catalogue: Catalogue,
              checks: tuple[str, ...], in_use: Path | None, relock: bool, enable_retention: bool, ip: str | None,
              live: dict[str, Any]) -> FixPlan:
    from acrdoctor.fix.plan import DEFAULT_CHECKS

    text = read_text(in_use) if in_use else None
    if registry and not (demo or snapshot_path):
        selected = catalogue.select(checks or [s for s in DEFAULT_CHECKS if s in catalogue.slugs()])
        snapshot = _live(registry, selected, live).snapshot
    else:
        snapshot = _load_source(demo, snapshot_path, registry)
    return make_plan(snapshot, catalogue, checks or None, in_use=text, relock=relock,
                     enable_retention=enable_retention, caller_ip=ip)


def _apply(plan: FixPlan, catalogue: Catalogue, confirmed_by: str, journal_path: Path | None, state: Any,
           live: dict[str, Any]) -> tuple[FixRun, Path]:
    from acrdoctor.collect.live import Target
    from acrdoctor.fix.sdk import connect

    target = Target(plan.registry, plan.subscription, plan.resource_group, plan.login_server)
    clients = connect(target, subscription=live["subscription"] or plan.subscription,
                      resource_group=live["resource_group"] or plan.resource_group,
                      arm_endpoint=live["arm_endpoint"],
                      connection_verify=str(live["ca_file"]) if live["ca_file"] else True,
                      waits=Waits(live["max_wait"]))
    path = journal_path or _default_journal(plan.registry)
    journal = Journal(path)
    resumed = state is not None
    start_journal(journal, plan, confirmed_by, resumed=resumed, endpoints=used_endpoints(live))

    def recollect(repositories: tuple[str, ...]) -> Any:
        from acrdoctor.collect.live import DATA_PARTS, parts_for

        parts = parts_for(catalogue.select([c for c in plan.checks if c in catalogue.slugs()]))
        if not repositories:
            parts = parts - DATA_PARTS
        opts = {**{k: live.get(k) for k in LIVE_KEYS}, "repositories": repositories, "quiet": True,
                "subscription": clients.subscription, "resource_group": clients.resource_group}
        return _live(plan.registry, [], opts, parts=parts).snapshot

    try:
        run = execute(plan, clients, journal, catalogue, recollect=recollect,
                      done=state.results if state is not None else None, resumed=resumed)
    except KeyboardInterrupt:
        fail(f"interrupted; nothing more was changed. The journal {path} says what was done; finish with: "
             f"acrdoctor fix --resume {path}", 130)
    finally:
        journal.close()
        clients.close()
    return run, path
