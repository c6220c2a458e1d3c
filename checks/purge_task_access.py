"""Scheduled ``acr purge`` tasks on an ABAC registry that have no identity for their own registry.

With ``roleAssignmentMode = AbacRepositoryPermissions`` "new and existing ACR Tasks … no longer have default data
plane access to the source registry"; an identity must be attached with ``az acr task update
--source-acr-auth-id [system]`` (or a user-assigned identity's resource id) and given an ACR role — the task
identity needs a Container Registry Repository Reader/Writer/Contributor role and Container Registry Repository
Catalog Lister [D-ABAC appendix "Effects of Enabling ABAC on ACR Tasks"; D-ROLES "Container Registry Tasks
Contributor"; D-PURGE §ABAC effects]. ``--auth-mode`` is deprecated for this [D-ABAC]. A purge task without
such an identity keeps running on schedule and deletes nothing.

The check judges the task's configuration only; whether an attached identity holds the roles needs that
identity's role assignments, which the snapshot does not hold (the fix names both steps).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from acrdoctor.actions import AssignRoleToPrincipal, RegistryRef, SetTaskSourceIdentity, shell_join
from acrdoctor.check_api import Check, Context, Finding, Fix, Resource, Severity, SkipCheck
from acrdoctor.controls import Task
from acrdoctor.model import Part, Registry

from .effective_access import ABAC_MODE, CATALOG_LISTER_ROLE, CONTRIBUTOR_ROLE

_PURGE = re.compile(r"(?:^|[\s;&|'\"])acr\s+purge\b", re.IGNORECASE)
#: Values of ``--source-acr-auth-id`` that give the task no access [D-ABAC "Removing Source Registry Access"].
_NO_IDENTITY = ("", "none")


def runs_purge(task: Task) -> bool:
    """Whether the task runs ``acr purge``: in a ``cmd`` step or anywhere in its decoded YAML."""
    return any(_PURGE.search(c) for c in task.commands) or bool(task.task_yaml and _PURGE.search(task.task_yaml))


def lacks_identity(task: Task) -> bool:
    return (task.source_registry_identity or "").strip().lower() in _NO_IDENTITY


def _system_principal(task: Task) -> str | None:
    """The principal id of the task's system-assigned identity, when it has exactly one identity recorded."""
    if "systemassigned" in (task.identity_type or "").lower().replace(" ", "") and \
            len(task.identity_principal_ids) == 1:
        return task.identity_principal_ids[0]
    return None


class PurgeTaskAccess(Check):
    slug = "purge-task-access"
    title = "Purge tasks without a registry identity on an ABAC registry"
    severity = Severity.HIGH
    needs = frozenset({Part.TASKS, Part.REGISTRY})
    failure_mode = "Scheduled acr purge tasks stop deleting after the registry switches to ABAC repository permissions"
    cause = (
        "On a registry in ABAC repository-permissions mode, ACR tasks no longer get data-plane access to their own "
        "registry by default: a task needs an identity attached with --source-acr-auth-id and a repository role "
        "for it, or its acr purge is refused."
    )
    docs = (
        "https://learn.microsoft.com/azure/container-registry/container-registry-rbac-abac-repository-permissions",
        "https://learn.microsoft.com/azure/container-registry/container-registry-auto-purge",
    )

    def run(self, ctx: Context) -> Iterator[Finding]:
        reg = ctx.snapshot.registry
        purgers = [t for t in ctx.snapshot.tasks or () if runs_purge(t)]
        if not purgers:
            return
        mode = reg.role_assignment_mode
        if mode is None:
            raise SkipCheck("the registry's roleAssignmentMode was not recorded, so whether its purge tasks need an "
                            "identity cannot be told")
        if mode.lower() != ABAC_MODE:
            return
        for task in purgers:
            if lacks_identity(task):
                yield self._finding(reg, task)

    def _finding(self, reg: Registry, task: Task) -> Finding:
        schedule = ", ".join(t.schedule for t in task.timers if (t.status or "Enabled").lower() != "disabled")
        when = f" (runs on schedule {schedule})" if schedule else ""
        status = f", status {task.status}" if task.status and task.status.lower() != "enabled" else ""
        message = (f"task {task.name} runs acr purge{when}{status} but has no identity for its registry "
                   "(--source-acr-auth-id unset): on this ABAC registry its purge is refused and deletes nothing")
        ref = RegistryRef(reg.name, reg.resource_group)
        actions: list[SetTaskSourceIdentity | AssignRoleToPrincipal] = [SetTaskSourceIdentity(ref, task.name)]
        notes = ["`--auth-mode` no longer controls task access on ABAC registries; use --source-acr-auth-id "
                 "[D-ABAC]. A user-assigned identity works too: pass its resource id instead of [system]."]
        principal = _system_principal(task)
        scope = reg.resource_id
        if principal and scope:
            actions += [AssignRoleToPrincipal(scope, CONTRIBUTOR_ROLE, principal, "ServicePrincipal"),
                        AssignRoleToPrincipal(scope, CATALOG_LISTER_ROLE, principal, "ServicePrincipal")]
        else:
            show = shell_join(["az", "acr", "task", "show", "--name", task.name, "--registry", reg.name,
                               "--query", "identity.principalId", "--output", "tsv"])
            notes.append(f"Then assign {CONTRIBUTOR_ROLE} and {CATALOG_LISTER_ROLE} on the registry to the task's "
                         f"identity (`{show}` prints its principal id once attached; use it with "
                         "--assignee-object-id and --assignee-principal-type ServicePrincipal).")
        notes.append("acr purge lists the catalog to match its --filter regexes: without the Catalog Lister role it "
                     "only works with literal repository names (acr-cli 0.19 or later) [AC3]; and it stops at the "
                     "first repository it may not delete in [D-PURGE].")
        return self.finding(
            Resource.registry(reg.name), message,
            fix=Fix(summary=f"Attach an identity to task {task.name} and give it a repository role.",
                    actions=tuple(actions), notes=tuple(notes)),
            details={"task": task.name, "identity_type": task.identity_type,
                     "source_registry_identity": task.source_registry_identity,
                     "schedules": tuple(t.schedule for t in task.timers)},
        )
