"""``preflight --tasks``: what every scheduled ``acr purge`` of the registry's ACR tasks deletes on its next run.

For each task (``Snapshot.tasks``: ARM ``registries/tasks``, or ``az acr task list``/``show`` in a bundle) every
``acr purge`` in its commands is found — a quick task's ``--cmd``, the ``cmd:`` steps of its decoded YAML, several
per step joined with ``&&``/``;`` or on separate lines, with ``{{.Run.Registry}}`` for the registry the task runs in —
and pre-flighted with the same engine as ``acrdoctor preflight -- acr purge …``. Each is judged as of its next run:

* **When.** The next firing of its enabled timer triggers, evaluated in UTC (:mod:`acrdoctor.preflight.cron`), after
  ``now`` (the clock). A disabled task or trigger says so; a task with no enabled timer runs only when triggered
  otherwise (manually, by a commit or a base-image update) and is judged as of ``now``.
* **What.** The plan at that moment: ``--ago`` counts back from the next run, so an image that turns 30 days old
  tonight is in tonight's plan. The registry is the one collected; what happens to it before then is not known.
* **Who.** Not the collecting caller: the firewall denials and permission refusals it met, and its role
  assignments, are left out of these plans. Whether the task's identity may delete in its registry: in RBAC
  Registry Permissions mode a task's run token may (ABAC docs: tasks lose their "default data plane access to the
  source registry" only when ABAC is enabled); in ABAC repository-permissions mode a task without
  ``--source-acr-auth-id`` is refused (the ``purge-task-access`` check's rule, reused), and one with an identity
  depends on role assignments of that identity, which the snapshot does not hold: *unknown*, never assumed.

A purge command the engine cannot read (a template value other than ``{{.Run.Registry}}``, a flag acr purge does
not have) is reported as not evaluated, with the reason, and makes the run incomplete.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from acrdoctor.actions import RegistryRef, SetTaskSourceIdentity
from acrdoctor.checks.effective_access import ABAC_MODE, CATALOG_LISTER_ROLE, CONTRIBUTOR_ROLE
from acrdoctor.checks.purge_task_access import PurgeTaskAccess, lacks_identity, runs_purge
from acrdoctor.controls import Task
from acrdoctor.errors import InputError
from acrdoctor.model import Snapshot
from acrdoctor.preflight.commands import parse_command
from acrdoctor.preflight.cron import CronSchedule
from acrdoctor.preflight.model import Plan, PurgeRequest
from acrdoctor.preflight.run import plan_for
from acrdoctor.preflight.shell import AndOr, Command, Group, If, Node, Pipeline, parse_script

__all__ = ["Identity", "PurgeRun", "TaskPreflight", "Timer", "preflight_tasks", "purge_commands"]

#: ``{{.Run.Registry}}`` and the other run variables ACR Tasks fill in; only the registry is known beforehand.
_TEMPLATE = re.compile(r"\{\{\s*\.([A-Za-z.]+)\s*\}\}")
_KNOWN_TEMPLATES = frozenset({"Run.Registry"})


@dataclass(frozen=True, slots=True)
class Timer:
    name: str
    schedule: str
    enabled: bool
    next_run: datetime | None = None
    #: Why there is no next run: a schedule ACR would reject, or none within 60 years.
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Identity:
    """Whether the task may delete in its own registry: ``can_delete`` True, False or None (cannot be told)."""

    can_delete: bool | None
    reason: str
    fix: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PurgeRun:
    """One ``acr purge`` of a task, as its next run would execute it."""

    command: str
    plan: Plan | None = None
    #: Why the command could not be pre-flighted (then ``plan`` is None).
    not_evaluated: str | None = None


@dataclass(frozen=True, slots=True)
class TaskPreflight:
    task: Task
    enabled: bool
    timers: tuple[Timer, ...]
    #: The earliest next firing of an enabled timer of an enabled task.
    next_run: datetime | None
    #: The moment the purges were judged at: ``next_run``, or ``now`` when the task has none.
    evaluated_at: datetime
    identity: Identity
    purges: tuple[PurgeRun, ...] = field(default_factory=tuple)

    @property
    def schedule_note(self) -> str:
        if not self.enabled:
            return f"the task is {self.task.status or 'disabled'}: it does not run"
        if self.next_run is not None:
            return f"next run {self.next_run:%Y-%m-%d %H:%M} UTC"
        if any(t.error for t in self.timers if t.enabled):
            return "no next run: " + "; ".join(t.error or "" for t in self.timers if t.enabled and t.error)
        if self.timers:
            return "every timer trigger is disabled: it runs only when triggered otherwise"
        return "no timer trigger: it runs only when triggered (manually, by a commit or a base-image update)"


def _commands_in(nodes: tuple[Node, ...]) -> list[Command]:
    out: list[Command] = []
    for node in nodes:
        if isinstance(node, Command):
            out.append(node)
        elif isinstance(node, Pipeline):
            out.extend(node.commands)
        elif isinstance(node, AndOr):
            out += _commands_in((node.first, *(n for _, n in node.rest)))
        elif isinstance(node, Group):
            out += _commands_in(node.body)
        elif isinstance(node, If):
            out += _commands_in(tuple(n for c, b in node.branches for n in (*c, *b)) + (node.orelse or ()))
    return out


def _is_purge_start(words: list[str | None], i: int) -> bool:
    head = words[i] or ""
    return (head == "acr" or head.endswith("acr-cli") or "/acr-cli:" in head) and words[i + 1:i + 2] == ["purge"]


def purge_commands(text: str) -> list[str]:
    """Every ``acr purge …`` in one task command, as its own command line.

    A task step is read like a shell line: ``&&``, ``;``, ``|`` and newlines separate commands, a backslash before a
    line break (or before the space a YAML block scalar left of it) continues the line, and several ``acr purge``
    written one after the other on a folded line are split where each begins.
    """
    cleaned = re.sub(r"\\[ \t]+(?=\S)", " ", text)
    try:
        nodes = parse_script(cleaned)
    except InputError:
        return [cleaned.strip()] if re.search(r"\bpurge\b", cleaned) else []
    out: list[str] = []
    for cmd in _commands_in(nodes):
        words = [w.literal if w.literal is not None else w.source for w in cmd.words]
        starts = [i for i in range(len(words)) if _is_purge_start(words, i)]
        for k, start in enumerate(starts):
            end = starts[k + 1] if k + 1 < len(starts) else len(words)
            out.append(" ".join(w.source for w in cmd.words[start:end]))
    return out


def _timers(task: Task, now: datetime) -> tuple[Timer, ...]:
    out: list[Timer] = []
    for t in task.timers:
        enabled = (t.status or "Enabled").lower() != "disabled"
        try:
            nxt = CronSchedule.parse(t.schedule).next_after(now)
            error = None if nxt is not None else f"schedule {t.schedule!r} fires on no date within 60 years"
        except InputError as exc:
            nxt, error = None, str(exc)
        out.append(Timer(t.name, t.schedule, enabled, nxt, error))
    return tuple(out)


def task_identity(task: Task, snapshot: Snapshot) -> Identity:
    """Whether ``task`` may delete in its registry, from the registry's permission mode and the task's identity."""
    reg = snapshot.registry
    mode = reg.role_assignment_mode
    if mode is None:
        return Identity(None, "the registry's roleAssignmentMode was not recorded, so whether the task may delete "
                              "cannot be told")
    if mode.lower() != ABAC_MODE:
        return Identity(True, f"the registry is in {mode} mode: a task's run token may delete in its own registry")
    if lacks_identity(task):
        fix = SetTaskSourceIdentity(RegistryRef(reg.name, reg.resource_group), task.name).commands()
        return Identity(False, "the registry is in ABAC repository-permissions mode and the task has no identity "
                               "for it (--source-acr-auth-id unset): its acr purge is refused and deletes nothing "
                               f"({PurgeTaskAccess.slug})", fix)
    return Identity(None, f"the task authenticates as {task.source_registry_identity}; whether that identity holds "
                          f"{CONTRIBUTOR_ROLE} (and {CATALOG_LISTER_ROLE} for --filter regexes) is in its own role "
                          "assignments, which the snapshot does not hold")


def _unknown_template(command: str) -> str | None:
    for m in _TEMPLATE.finditer(command):
        if m.group(1) not in _KNOWN_TEMPLATES:
            return f"it uses the task value {m.group(0)}, which is filled in only when the task runs"
    return None


def _purge_run(command: str, snapshot: Snapshot, at: datetime, in_use: str | None) -> PurgeRun:
    why = _unknown_template(command)
    if why is not None:
        return PurgeRun(command, not_evaluated=why)
    try:
        request = parse_command(command)
        if not isinstance(request, PurgeRequest):
            return PurgeRun(command, not_evaluated="not an acr purge command")
        return PurgeRun(command, plan=plan_for(request, snapshot, in_use=in_use, now=at))
    except InputError as exc:
        return PurgeRun(command, not_evaluated=str(exc))


def preflight_tasks(snapshot: Snapshot, now: datetime, *, in_use: str | None = None) -> tuple[TaskPreflight, ...]:
    """The pre-flight of every task that runs ``acr purge``, in the order the snapshot lists them.

    ``InputError`` when the snapshot holds no task list (not collected).
    """
    if snapshot.tasks is None:
        raise InputError("the snapshot holds no ACR tasks (they were not collected), so no scheduled purge can be "
                         "pre-flighted; collect them with --registry, or a bundle with 'az acr task list'")
    # A task runs inside ACR as its own identity: what the service refused the collecting caller (a firewall
    # denial, a missing delete permission, its role assignments) says nothing about it; task_identity judges it.
    view = replace(snapshot, access=None, errors=())
    out: list[TaskPreflight] = []
    for task in snapshot.tasks:
        texts = [c for command in task.commands for c in purge_commands(command)]
        if not texts and not runs_purge(task):
            continue
        enabled = (task.status or "Enabled").lower() != "disabled"
        timers = _timers(task, now)
        runs = [t.next_run for t in timers if t.enabled and t.next_run is not None]
        next_run = min(runs) if runs and enabled else None
        at = next_run or now
        purges = tuple(_purge_run(text, view, at, in_use) for text in texts) or (PurgeRun(
            "acr purge", not_evaluated="the task's YAML mentions acr purge outside a cmd step acrdoctor reads"),)
        out.append(TaskPreflight(task, enabled, timers, next_run, at, task_identity(task, snapshot), purges))
    return tuple(out)
