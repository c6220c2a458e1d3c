"""The pre-flight as one library call, its exit code, and the safe plan as a script.

``preflight(command, snapshot)`` is what ``acrdoctor preflight`` runs: parse the user's command, select
what its own tool would delete, evaluate that against the snapshot. Everything is pure, so the same plan
comes out of a live registry, a snapshot file or the demo.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from acrdoctor import __version__
from acrdoctor.actions import DeleteManifest, DeleteRegistry, DeleteRepository, RegistryRef, Untag, shell_join
from acrdoctor.check_api import Severity
from acrdoctor.model import Part, Snapshot
from acrdoctor.preflight.azmap import select_az
from acrdoctor.preflight.commands import parse_command
from acrdoctor.preflight.inuse import InUse
from acrdoctor.preflight.model import AzAction, AzRequest, Plan, PurgeRequest, Request
from acrdoctor.preflight.plan import evaluate
from acrdoctor.preflight.purge import select_purge
from acrdoctor.preflight.warnings import severity_of
from acrdoctor.textsafe import visible

#: What a pre-flight reads from a live registry: whole-registry content (shared layers can sit in any
#: repository) plus what registry deletes and the notes need.
PREFLIGHT_PARTS = frozenset({Part.REGISTRY, Part.USAGE, Part.PRIVATE_ENDPOINT_CONNECTIONS, Part.REPLICATIONS,
                             Part.REPOSITORIES, Part.MANIFESTS, Part.TAGS, Part.MANIFEST_BODIES})


def preflight(command: Sequence[str] | str, snapshot: Snapshot, *, in_use: str | None = None,
              now: datetime | None = None) -> Plan:
    """The plan of ``command`` on ``snapshot``; raises InputError for a malformed or unsupported command."""
    request = parse_command(command)
    return plan_for(request, snapshot, in_use=in_use, now=now)


def plan_for(request: Request, snapshot: Snapshot, *, in_use: str | None = None,
             now: datetime | None = None) -> Plan:
    if isinstance(request, PurgeRequest):
        selection = select_purge(request, snapshot, now=now)
    else:
        selection = select_az(request, snapshot)
    refs = InUse.parse(in_use, snapshot.registry.login_server) if in_use is not None else None
    return evaluate(selection, snapshot, in_use=refs)


def data_missing(plan: Plan, snapshot: Snapshot) -> list[str]:
    """Why the plan may be incomplete: listings or bodies that were not collected."""
    reasons = []
    if snapshot.repositories is None:
        reasons.append("the repository list was not collected")
    else:
        unlisted = [r.name for r in snapshot.repositories if r.manifests is None or r.tags is None]
        if unlisted:
            reasons.append(f"manifest or tag listings missing for {len(unlisted)} repositories "
                           f"(e.g. {', '.join(unlisted[:3])})")
    if not plan.bytes_exact:
        reasons.append("some manifest bodies were not collected, so byte figures are lower bounds")
    request = plan.selection.request
    if isinstance(request, AzRequest) and request.action is AzAction.DELETE_REGISTRY \
            and snapshot.private_endpoint_connections is None:
        reasons.append("private endpoint connections were not collected")
    if isinstance(request, AzRequest) and request.action is AzAction.DELETE_REGISTRY \
            and snapshot.resource_locks is None:
        reasons.append("management locks were not collected")
    return reasons


def exit_code(plan: Plan, snapshot: Snapshot, fail_on: Severity) -> int:
    """0 safe, 1 blockers or warnings at or above ``fail_on``, 3 data incomplete."""
    if plan.blocked:
        return 1
    if any(severity_of(w.code).at_least(fail_on) for w in plan.warnings):
        return 1
    return 3 if data_missing(plan, snapshot) else 0


#: The report's headline for each outcome: a word per exit code, blockers told apart from warnings.
VERDICT_TEXT = {"safe": "Safe", "blocked": "Blocked", "warnings": "Not safe: review the warnings",
                "incomplete": "Data incomplete"}


def verdict(plan: Plan, snapshot: Snapshot, fail_on: Severity = Severity.MEDIUM) -> str:
    """``safe``, ``blocked``, ``warnings`` or ``incomplete``: derived from the exit code, so that no report can
    print "Safe" next to a warning that fails the run."""
    code = exit_code(plan, snapshot, fail_on)
    if code == 0:
        return "safe"
    if code == 3:
        return "incomplete"
    return "blocked" if plan.blocked else "warnings"


def safe_plan_script(plan: Plan, snapshot: Snapshot, command: str) -> str:
    """The plan without its blocked targets, as a bash script of ``az`` commands (untags, then deletes).

    Referrers that go with their subject are deleted by the registry, so they get no command of their own.
    Deletes come last and in the plan's order; the script stops at the first failure.
    """
    reg = snapshot.registry
    ref = RegistryRef(reg.name, reg.resource_group)
    cascaded = set(plan.cascaded_referrers)
    lines = [
        "#!/usr/bin/env bash",
        f"# Safe plan written by acrdoctor {__version__} on {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        # Comments hold data: a newline in it would end the comment and run the rest as a command.
        visible(f"# for registry {reg.name} ({snapshot.source or 'snapshot'} collected "
                f"{snapshot.collected_at or 'unknown'})."),
        visible(f"# Command checked: {command}"),
        f"# Leaves out {len(plan.blocked)} blocked target(s); frees {plan.reclaimable_bytes} bytes"
        + ("" if plan.bytes_exact else " at least") + ".",
        "# Review it, then run it. It stops at the first failure.",
        "set -euo pipefail",
        "",
    ]
    if plan.registry_deleted:
        lines.extend(DeleteRegistry(ref).commands())
        lines.append("")
        return "\n".join(lines)
    blocked_resources = {b.resource for b in plan.blocked}
    for t in plan.selection.untag:
        if str(t) not in blocked_resources:
            lines.extend(Untag(ref, t.repository, t.tag).commands())
    whole = set(plan.deleted_repositories)
    for m in plan.delete_manifests:
        if m not in cascaded and m.repository not in whole:
            lines.extend(DeleteManifest(ref, m.repository, m.digest).commands())
    for repo in plan.deleted_repositories:
        lines.extend(DeleteRepository(ref, repo).commands())
    lines.append("")
    return "\n".join(lines)


def quoted(argv: Sequence[str] | str) -> str:
    """The command as the user wrote it: one string stays as it is, an argv is shell-quoted back."""
    if isinstance(argv, str):
        return argv
    if len(argv) == 1:
        return argv[0]
    return shell_join(list(argv))
