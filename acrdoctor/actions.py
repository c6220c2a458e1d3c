"""Fix actions: one object per change, rendering the exact ``az`` command(s) it stands for.

Each finding's fix is built from these objects so that the command a user copies and the change a
later ``acrdoctor fix --apply`` performs come from one place. Commands are shell-quoted for POSIX
shells (:mod:`acrdoctor.shellquote`): every name is filled in from the snapshot and quoted, nothing is
left as a placeholder unless the value cannot be known offline (then the command computes it, as with the
caller's IP, and only such an expression of acrdoctor's own, typed :class:`ShellExpr`, is left to the shell).

Actions are pure data and rendering: this module imports :mod:`acrdoctor.shellquote` only, never the fix layer,
the collectors or the Azure SDKs. The fix layer depends on it (:mod:`acrdoctor.fix.appliers`), not the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from acrdoctor.shellquote import Arg, ShellExpr, quote, quote_cmd, shell_join, shell_word, substitution

__all__ = ["Arg", "ShellExpr", "quote_cmd", "shell_join", "shell_word"]

#: A small public image ACR's own ``az acr check-health`` pulls; the printed command imports it as the
#: placeholder that makes an orphaned empty repository deletable again (``acrdoctor fix`` pushes its own
#: tiny image instead, see :mod:`acrdoctor.fix.placeholder`, so applying needs nothing from the internet).
PLACEHOLDER_SOURCE = "mcr.microsoft.com/mcr/hello-world:latest"
PLACEHOLDER_TAG = "acrdoctor-placeholder"

#: The public IP of the machine the user runs the command on: ``$ACRDOCTOR_CALLER_IP`` when set (a pipeline's
#: outbound IP, which a web lookup from the agent may not give; or a machine without internet access), else what
#: ipify sees. Empty when both fail, which ARM refuses as an IP rule, so a failed lookup changes nothing.
CALLER_IP_EXPR = ShellExpr("${ACRDOCTOR_CALLER_IP:-" + substitution(["curl", "-fsS", "https://api.ipify.org"]).text
                           + "}")

#: The object id of whoever az is signed in as, user, service principal or managed identity alike: read from the
#: claims of az's ARM token by ``acrdoctor whoami`` (``az ad signed-in-user show`` fails for the latter two).
SIGNED_IN_USER_EXPR = substitution(["acrdoctor", "whoami", "--object-id"])
#: Its principal type (``User`` or ``ServicePrincipal``), so az need not ask Graph for it.
SIGNED_IN_TYPE_EXPR = substitution(["acrdoctor", "whoami", "--principal-type"])

#: The expressions an action may hold, by the name a saved fix plan records instead of their text: a plan
#: read back can only name one of these, so no text in a plan file ever becomes something the shell runs.
EXPRESSIONS: dict[str, ShellExpr] = {"caller-ip": CALLER_IP_EXPR, "signed-in-user": SIGNED_IN_USER_EXPR}


def _bool(value: bool) -> str:
    return "true" if value else "false"


@dataclass(frozen=True, slots=True)
class RegistryRef:
    """How ``az`` addresses a registry: its name, and the resource group when known."""

    name: Arg
    resource_group: str | None = None

    def rg(self) -> list[str]:
        return ["--resource-group", self.resource_group] if self.resource_group else []


class Action:
    """Base for fix actions. ``commands`` must be runnable as printed.

    Actions that ``acrdoctor fix`` can perform (``applies``) also say when there is nothing left to do in a
    given state of the one object they change (``settled``, which makes every action safe to run twice).
    Reading that state and making the change through the SDK is their applier's job
    (:mod:`acrdoctor.fix.appliers`), built from this object's fields: the command shown and the change
    applied come from the same data, so the two cannot drift apart.
    """

    #: Whether ``acrdoctor fix`` performs it; the others are shown in the plan as steps to run by hand.
    applies: ClassVar[bool] = False
    #: Whether it deletes something: such steps are re-checked against the plan just before they run.
    destructive: ClassVar[bool] = False

    def commands(self) -> tuple[str, ...]:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def subject(self) -> str:
        """The object the action changes, as the journal and the plan name it."""
        return self.describe()

    def settled(self, state: dict[str, Any]) -> str | None:
        """Why nothing needs doing in this state (already done, or the object is gone), else None."""
        return None


@dataclass(frozen=True, slots=True)
class SetAttributes(Action):
    """Change ``writeEnabled``/``deleteEnabled`` on a repository, a manifest or a tag.

    Exactly one of ``digest`` and ``tag`` may be set; neither means the repository itself.
    """

    registry: RegistryRef
    repository: Arg
    digest: Arg | None = None
    tag: Arg | None = None
    write_enabled: bool | None = True
    delete_enabled: bool | None = True

    def target(self) -> list[Arg]:
        if self.digest:
            return ["--image", shell_word(self.repository, "@", self.digest)]
        if self.tag:
            return ["--image", shell_word(self.repository, ":", self.tag)]
        return ["--repository", self.repository]

    def commands(self) -> tuple[str, ...]:
        argv = ["az", "acr", "repository", "update", "--name", self.registry.name, *self.target()]
        if self.delete_enabled is not None:
            argv += ["--delete-enabled", _bool(self.delete_enabled)]
        if self.write_enabled is not None:
            argv += ["--write-enabled", _bool(self.write_enabled)]
        return (shell_join(argv),)

    def describe(self) -> str:
        what = self.target()[1]
        # The flags as the command spells them (``true``/``false``), so the step and its command agree.
        flags = ", ".join(f"{name}={_bool(value)}" for name, value in (("write-enabled", self.write_enabled),
                                                                       ("delete-enabled", self.delete_enabled))
                          if value is not None)
        return f"set {flags} on {what}"

    applies: ClassVar[bool] = True

    def subject(self) -> str:
        if self.digest:
            return f"manifest {self.repository}@{self.digest}"
        if self.tag:
            return f"tag {self.repository}:{self.tag}"
        return f"repository {self.repository}"

    def settled(self, state: dict[str, Any]) -> str | None:
        if not state.get("present"):
            return f"{self.subject()} no longer exists"
        if all(want is None or state.get(key) == want for key, want in
               (("write_enabled", self.write_enabled), ("delete_enabled", self.delete_enabled))):
            return "the flags are already set"
        return None


@dataclass(frozen=True, slots=True)
class DeleteRepository(Action):
    registry: RegistryRef
    repository: Arg

    def commands(self) -> tuple[str, ...]:
        argv = ["az", "acr", "repository", "delete", "--name", self.registry.name,
                "--repository", self.repository, "--yes"]
        return (shell_join(argv),)

    def describe(self) -> str:
        return f"delete repository {self.repository}"

    applies: ClassVar[bool] = True
    destructive: ClassVar[bool] = True

    def subject(self) -> str:
        return f"repository {self.repository}"

    def settled(self, state: dict[str, Any]) -> str | None:
        return None if state.get("present") else "the repository is not in the catalog"


@dataclass(frozen=True, slots=True)
class DeleteManifest(Action):
    """Delete one manifest by digest (and with it every tag that points at it)."""

    registry: RegistryRef
    repository: Arg
    digest: str

    def commands(self) -> tuple[str, ...]:
        return (self.command_line(self.registry, self.repository, self.digest),)

    @staticmethod
    def command_line(registry: RegistryRef, repository: Arg, digest: Arg) -> str:
        """The command; a shell variable for ``digest`` gives the template a grouped delete loops over
        (:mod:`acrdoctor.grouping`), so the one-by-one and the grouped form cannot drift apart.

        Written out rather than joined from an argv: a large report renders 200,000 of these (the engine folds
        commands printed twice by their text), and the constant words need no quoting.
        """
        return (f"az acr repository delete --name {quote(registry.name)} "
                f"--image {quote(shell_word(repository, '@', digest))} --yes")

    def describe(self) -> str:
        return f"delete manifest {self.repository}@{self.digest}"

    applies: ClassVar[bool] = True
    destructive: ClassVar[bool] = True

    def subject(self) -> str:
        return f"manifest {self.repository}@{self.digest}"

    def settled(self, state: dict[str, Any]) -> str | None:
        return None if state.get("present") else "the manifest no longer exists"

    def __hash__(self) -> int:
        # A plan keys hundreds of thousands of these: the digest alone nearly identifies one, and hashing two
        # strings (their hashes cached) is much cheaper than the generated hash of every field with the registry.
        return hash((self.repository, self.digest))


@dataclass(frozen=True, slots=True)
class ImportPlaceholder(Action):
    """Put a tiny public image into a repository so ACR knows the name again."""

    registry: RegistryRef
    repository: Arg
    source: str = PLACEHOLDER_SOURCE
    tag: str = PLACEHOLDER_TAG

    def commands(self) -> tuple[str, ...]:
        argv = ["az", "acr", "import", "--name", self.registry.name, *self.registry.rg(),
                "--source", self.source, "--image", shell_word(self.repository, ":", self.tag)]
        return (shell_join(argv),)

    def describe(self) -> str:
        return f"import {self.source} as {self.repository}:{self.tag}"

    applies: ClassVar[bool] = True

    def subject(self) -> str:
        return f"repository {self.repository}"

    def settled(self, state: dict[str, Any]) -> str | None:
        if not state.get("present"):
            return "the repository is not in the catalog (nothing left to delete)"
        return "the placeholder is already there" if self.tag in state.get("tags", ()) else None


@dataclass(frozen=True, slots=True)
class DeletePrivateEndpointConnection(Action):
    """Detach one private endpoint. The command has no ``--yes`` (azure-cli 2.91.0 rejects it): it never prompts."""

    registry: RegistryRef
    connection: Arg

    def commands(self) -> tuple[str, ...]:
        argv = ["az", "acr", "private-endpoint-connection", "delete", "--registry-name", self.registry.name,
                *self.registry.rg(), "--name", self.connection]
        return (shell_join(argv),)

    def describe(self) -> str:
        return f"delete private endpoint connection {self.connection}"

    applies: ClassVar[bool] = True
    destructive: ClassVar[bool] = True

    def subject(self) -> str:
        return f"private endpoint connection {self.connection}"

    def settled(self, state: dict[str, Any]) -> str | None:
        return None if state.get("present") else "the connection no longer exists"


@dataclass(frozen=True, slots=True)
class AddNetworkRule(Action):
    """Allow one caller IP through the registry firewall; ``ip`` may be a shell expression."""

    registry: RegistryRef
    ip: Arg = CALLER_IP_EXPR

    def commands(self) -> tuple[str, ...]:
        argv = ["az", "acr", "network-rule", "add", "--name", self.registry.name, *self.registry.rg(),
                "--ip-address", self.ip]
        return (shell_join(argv),)

    def describe(self) -> str:
        return f"allow {self.ip} through the registry firewall"

    applies: ClassVar[bool] = True

    def subject(self) -> str:
        return f"registry {self.registry.name} network rules"

    def settled(self, state: dict[str, Any]) -> str | None:
        return f"{self.ip} is already allowed" if self.ip in state.get("ip_rules", ()) else None


@dataclass(frozen=True, slots=True)
class RemoveNetworkRule(Action):
    """Take back a temporary firewall rule once the work it was opened for is done."""

    registry: RegistryRef
    ip: Arg = CALLER_IP_EXPR

    def commands(self) -> tuple[str, ...]:
        argv = ["az", "acr", "network-rule", "remove", "--name", self.registry.name, *self.registry.rg(),
                "--ip-address", self.ip]
        return (shell_join(argv),)

    def describe(self) -> str:
        return f"remove the firewall rule for {self.ip}"


@dataclass(frozen=True, slots=True)
class SetPublicNetworkAccess(Action):
    registry: RegistryRef
    enabled: bool = True
    default_action: str | None = None

    def commands(self) -> tuple[str, ...]:
        argv = ["az", "acr", "update", "--name", self.registry.name, *self.registry.rg(),
                "--public-network-enabled", _bool(self.enabled)]
        if self.default_action:
            argv += ["--default-action", self.default_action]
        return (shell_join(argv),)

    def describe(self) -> str:
        return f"{'enable' if self.enabled else 'disable'} public network access"

    applies: ClassVar[bool] = True

    def subject(self) -> str:
        return f"registry {self.registry.name} public network access"

    def settled(self, state: dict[str, Any]) -> str | None:
        same = state.get("public_network_access") == ("Enabled" if self.enabled else "Disabled")
        if same and (self.default_action is None or state.get("default_action") == self.default_action):
            return "already set"
        return None


@dataclass(frozen=True, slots=True)
class SetRetentionPolicy(Action):
    registry: RegistryRef
    enabled: bool = True
    days: int = 7

    def commands(self) -> tuple[str, ...]:
        argv = ["az", "acr", "config", "retention", "update", "--registry", self.registry.name,
                *self.registry.rg(), "--status", "enabled" if self.enabled else "disabled",
                "--days", str(self.days), "--type", "UntaggedManifests"]
        return (shell_join(argv),)

    def describe(self) -> str:
        return f"{'enable' if self.enabled else 'disable'} the retention policy ({self.days} days)"

    applies: ClassVar[bool] = True

    def subject(self) -> str:
        return f"registry {self.registry.name} retention policy"

    def settled(self, state: dict[str, Any]) -> str | None:
        status = "enabled" if self.enabled else "disabled"
        return "already set" if state.get("status") == status and state.get("days") == self.days else None


@dataclass(frozen=True, slots=True)
class SetSoftDeletePolicy(Action):
    registry: RegistryRef
    enabled: bool = False
    days: int = 7

    def commands(self) -> tuple[str, ...]:
        # No --resource-group: `az acr config soft-delete update` rejects it (azure-cli 2.91.0 parser).
        argv = ["az", "acr", "config", "soft-delete", "update", "--registry", self.registry.name,
                "--status", "enabled" if self.enabled else "disabled"]
        if self.enabled:
            argv += ["--days", str(self.days)]
        return (shell_join(argv),)

    def describe(self) -> str:
        return f"{'enable' if self.enabled else 'disable'} soft delete"


@dataclass(frozen=True, slots=True)
class RunPurge(Action):
    """Run ``acr purge`` as a one-off ACR task, the way the ACR docs show it."""

    registry: RegistryRef
    filters: tuple[str, ...]
    ago: str = "0d"
    untagged_only: bool = True
    dry_run: bool = False
    #: ``--untagged`` (without ``untagged_only``): delete the manifests the tag phase leaves untagged too, so an
    #: age-based purge frees bytes instead of only removing tags.
    untagged: bool = False

    def purge_command(self) -> str:
        argv = ["acr", "purge"]
        for f in self.filters:
            argv += ["--filter", f]
        argv += ["--ago", self.ago]
        if self.untagged_only:
            argv.append("--untagged-only")
        elif self.untagged:
            argv.append("--untagged")
        if self.dry_run:
            argv.append("--dry-run")
        return shell_join(argv)

    def commands(self) -> tuple[str, ...]:
        head = shell_join(["az", "acr", "run", "--registry", self.registry.name, *self.registry.rg(), "--cmd"])
        return (f"{head} {quote_cmd(self.purge_command())} /dev/null",)

    def describe(self) -> str:
        return f"run {self.purge_command()}"


@dataclass(frozen=True, slots=True)
class AssignRole(Action):
    """Grant a role on the registry; ``assignee`` may be a shell expression for the signed-in user."""

    registry_id: Arg
    role: str
    assignee: Arg = SIGNED_IN_USER_EXPR

    def commands(self) -> tuple[str, ...]:
        if self.assignee == SIGNED_IN_USER_EXPR:
            # the object id and its type: az needs no Graph lookup, which pipelines' identities usually may not do
            who: list[Arg] = ["--assignee-object-id", self.assignee, "--assignee-principal-type", SIGNED_IN_TYPE_EXPR]
        else:
            who = ["--assignee", self.assignee]
        argv = ["az", "role", "assignment", "create", *who, "--role", self.role, "--scope", self.registry_id]
        return (shell_join(argv),)

    def describe(self) -> str:
        return f"assign {self.role} on the registry"


@dataclass(frozen=True, slots=True)
class UpgradeSku(Action):
    """Move the registry to another service tier, here to Premium where the retention policy exists."""

    registry: RegistryRef
    sku: str = "Premium"

    def commands(self) -> tuple[str, ...]:
        argv = ["az", "acr", "update", "--name", self.registry.name, *self.registry.rg(), "--sku", self.sku]
        return (shell_join(argv),)

    def describe(self) -> str:
        return f"change the registry SKU to {self.sku}"


@dataclass(frozen=True, slots=True)
class SchedulePurgeTask(Action):
    """A scheduled ACR task running ``acr purge --untagged-only``: the policy's job on any SKU.

    The shape (``--cmd``, ``--schedule``, ``--context /dev/null``) is the one the ACR auto-purge docs use.
    """

    registry: RegistryRef
    days: int = 7
    task_name: str = "acrdoctor-purge-untagged"
    schedule: str = "0 1 * * *"

    def purge_command(self) -> str:
        return shell_join(["acr", "purge", "--filter", ".*:.*", "--ago", f"{self.days}d", "--untagged-only"])

    def commands(self) -> tuple[str, ...]:
        head = shell_join(["az", "acr", "task", "create", "--name", self.task_name, "--registry", self.registry.name,
                           *self.registry.rg(), "--cmd"])
        tail = shell_join(["--schedule", self.schedule, "--context", "/dev/null"])
        return (f"{head} {quote_cmd(self.purge_command())} {tail}",)

    def describe(self) -> str:
        return f"schedule {self.purge_command()} ({self.schedule})"


@dataclass(frozen=True, slots=True)
class Untag(Action):
    """Remove one tag and keep the manifest: frees nothing, but the tag can no longer be pulled."""

    registry: RegistryRef
    repository: Arg
    tag: Arg

    def commands(self) -> tuple[str, ...]:
        argv = ["az", "acr", "repository", "untag", "--name", self.registry.name,
                "--image", shell_word(self.repository, ":", self.tag)]
        return (shell_join(argv),)

    def describe(self) -> str:
        return f"untag {self.repository}:{self.tag}"


@dataclass(frozen=True, slots=True)
class DeleteRegistry(Action):
    registry: RegistryRef

    def commands(self) -> tuple[str, ...]:
        argv = ["az", "acr", "delete", "--name", self.registry.name, *self.registry.rg(), "--yes"]
        return (shell_join(argv),)

    def describe(self) -> str:
        return f"delete registry {self.registry.name}"


# --- Effective delete permission, ABAC-aware (issue 12 item 2) ---------------------------------------------------

#: ``--assignee-principal-type`` values az accepts (azure-cli ``role assignment create``), by the spelling
#: ARM and Graph give a principal's type.
_PRINCIPAL_TYPES = {"user": "User", "group": "Group", "serviceprincipal": "ServicePrincipal",
                    "managedidentity": "ServicePrincipal", "application": "ServicePrincipal",
                    "foreigngroup": "ForeignGroup"}


def principal_type_arg(principal_type: str | None) -> str | None:
    """The az spelling of a principal type, or None when az has none for it (then az asks Graph)."""
    return _PRINCIPAL_TYPES.get((principal_type or "").replace(" ", "").lower())


@dataclass(frozen=True, slots=True)
class AssignRoleToPrincipal(Action):
    """Grant a role to a known principal by object id, optionally under an ABAC condition.

    ``--assignee-object-id`` skips the Graph lookup that ``--assignee`` needs, and works for service principals
    and managed identities where ``az ad signed-in-user show`` does not (ABAC docs, parameter table).
    """

    scope: Arg
    role: str
    principal_id: Arg
    principal_type: str | None = None
    condition: str | None = None

    def commands(self) -> tuple[str, ...]:
        argv: list[Arg] = ["az", "role", "assignment", "create", "--assignee-object-id", self.principal_id]
        kind = principal_type_arg(self.principal_type)
        if kind:
            argv += ["--assignee-principal-type", kind]
        argv += ["--role", self.role, "--scope", self.scope]
        if self.condition:
            argv += ["--condition", self.condition, "--condition-version", "2.0"]
        return (shell_join(argv),)

    def describe(self) -> str:
        limited = " limited by an ABAC condition" if self.condition else ""
        return f"assign {self.role} to {self.principal_id}{limited}"


@dataclass(frozen=True, slots=True)
class AddScopeMapRepositories(Action):
    """Add repository actions to a token's scope map (``az acr scope-map update --add-repository REPO ACTION…``)."""

    registry: RegistryRef
    scope_map: Arg
    repositories: tuple[Arg, ...]
    actions: tuple[str, ...] = ("content/delete",)

    def commands(self) -> tuple[str, ...]:
        argv: list[Arg] = ["az", "acr", "scope-map", "update", "--name", self.scope_map, "--registry",
                           self.registry.name, *self.registry.rg()]
        for repo in self.repositories:
            argv += ["--add-repository", repo, *self.actions]
        return (shell_join(argv),)

    def describe(self) -> str:
        return f"add {', '.join(self.actions)} on {len(self.repositories)} repositories to scope map {self.scope_map}"


@dataclass(frozen=True, slots=True)
class SetTaskSourceIdentity(Action):
    """Give an ACR task an identity for its source registry (``--source-acr-auth-id``, ABAC docs appendix)."""

    registry: RegistryRef
    task: Arg
    identity: str = "[system]"

    def commands(self) -> tuple[str, ...]:
        argv = ["az", "acr", "task", "update", "--name", self.task, "--registry", self.registry.name,
                *self.registry.rg(), "--source-acr-auth-id", self.identity]
        return (shell_join(argv),)

    def describe(self) -> str:
        return f"let task {self.task} authenticate to its registry as {self.identity}"


# -- Quarantine, storage limit, soft delete, geo-replication (issue 12 items 3, 4, 6, 8) -------------------------
#
# None of these is applied by ``acrdoctor fix``: they are printed as manual steps (or confirm commands). Argument
# shapes follow azure-cli's acr ``_params.py`` (``acr manifest`` takes ``--registry`` and ``--name``; ``restore``
# adds ``--digest``/``--force``) and ``az resource update``'s generic ``--ids``/``--set``.


def registry_id_expression(registry: Arg) -> ShellExpr:
    """The registry's resource id computed where the command runs, for commands that need an ARM id."""
    return substitution(["az", "acr", "show", "--name", registry, "--query", "id", "--output", "tsv"])


@dataclass(frozen=True, slots=True)
class ShowManifestMetadata(Action):
    """``az acr manifest show-metadata`` of a digest (or a tag): the lock flags and ``quarantineState`` side by side
    (acr-wire-behaviour.md §c.6 shows quarantineState in changeableAttributes on listings), so one read tells a
    quarantine from a lock. No ``--query`` by default, so the state is shown wherever the answer puts it."""

    registry: RegistryRef
    repository: Arg
    digest: Arg | None = None
    tag: Arg | None = None
    query: str | None = None

    def commands(self) -> tuple[str, ...]:
        name = (shell_word(self.repository, "@", self.digest) if self.digest else
                shell_word(self.repository, ":", self.tag or "latest"))
        argv = ["az", "acr", "manifest", "show-metadata", "--registry", self.registry.name, "--name", name]
        if self.query:
            argv += ["--query", self.query]
        return (shell_join(argv),)

    def describe(self) -> str:
        return f"show the attributes of {self.repository}@{self.digest}" if self.digest else \
            f"show the attributes of {self.repository}:{self.tag}"


@dataclass(frozen=True, slots=True)
class SetQuarantinePolicy(Action):
    """Turn the registry's quarantine policy on or off through ARM: ``az acr`` has no command for it, the policy is
    the registry's ``properties.policies.quarantinePolicy`` (Azure/acr docs/preview/quarantine: "management Policy
    API"). ``registry_id`` may be a shell expression computing the id."""

    registry_id: Arg
    enabled: bool = False

    def commands(self) -> tuple[str, ...]:
        status = "enabled" if self.enabled else "disabled"
        argv = ["az", "resource", "update", "--ids", self.registry_id,
                "--set", f"properties.policies.quarantinePolicy.status={status}"]
        return (shell_join(argv),)

    def describe(self) -> str:
        return f"{'enable' if self.enabled else 'disable'} the quarantine policy"


@dataclass(frozen=True, slots=True)
class RestoreManifest(Action):
    """``az acr manifest restore``: bring a soft-deleted manifest back (and its tag, when one is named).

    With ``--digest`` given the CLI asks nothing (azure-cli ``manifest.py`` ``acr_manifest_deleted_restore`` confirms
    only when it has to pick among several deleted digests of a tag). ``--force`` overwrites a tag that now points
    elsewhere; it is left to the user (not added here).
    """

    registry: RegistryRef
    repository: Arg
    digest: Arg
    tag: Arg | None = None

    def commands(self) -> tuple[str, ...]:
        name = shell_word(self.repository, ":", self.tag) if self.tag else self.repository
        argv = ["az", "acr", "manifest", "restore", "--registry", self.registry.name, "--name", name,
                "--digest", self.digest]
        return (shell_join(argv),)

    def describe(self) -> str:
        return f"restore soft-deleted {self.repository}@{self.digest}"


@dataclass(frozen=True, slots=True)
class ListDeletedManifests(Action):
    """``az acr manifest list-deleted``: the soft-deleted manifests of one repository."""

    registry: RegistryRef
    repository: Arg

    def commands(self) -> tuple[str, ...]:
        return (shell_join(["az", "acr", "manifest", "list-deleted", "--registry", self.registry.name,
                            "--name", self.repository, "--output", "table"]),)

    def describe(self) -> str:
        return f"list the soft-deleted manifests of {self.repository}"


@dataclass(frozen=True, slots=True)
class ShowUsageTable(Action):
    """``az acr show-usage``: Size next to MaximumStorageCapacity where the service reports it (azure-cli#32263)."""

    registry: RegistryRef

    def commands(self) -> tuple[str, ...]:
        return (shell_join(["az", "acr", "show-usage", "--name", self.registry.name, *self.registry.rg(),
                            "--output", "table"]),)

    def describe(self) -> str:
        return "show the registry's usage and limits"


@dataclass(frozen=True, slots=True)
class ListReplicationsTable(Action):
    """``az acr replication list``: where the registry's copies are, and whether each region endpoint is on."""

    registry: RegistryRef

    def commands(self) -> tuple[str, ...]:
        # Without --resource-group, like explain's ListReplications (the form checked against azure-cli 2.91.0).
        return (shell_join(["az", "acr", "replication", "list", "--registry", self.registry.name,
                            "--output", "table"]),)

    def describe(self) -> str:
        return "list geo-replications"


@dataclass(frozen=True, slots=True)
class PreflightCleanup(Action):
    """``acrdoctor preflight`` of a cleanup before it runs: what it would delete, what blocks it, the bytes it frees.

    The cleanup is deleting ``repository`` when set, else purging every untagged manifest (``acr purge
    --untagged-only`` without ``--filter`` covers every repository). Flat fields rather than a nested action, so the
    printed command is built from data like every other action's and a saved fix plan can hold it.
    """

    registry: RegistryRef
    repository: Arg | None = None

    def cleanup(self) -> Action:
        if self.repository:
            return DeleteRepository(self.registry, self.repository)
        return RunPurge(self.registry, filters=(), ago="0d", untagged_only=True)

    def commands(self) -> tuple[str, ...]:
        head = shell_join(["acrdoctor", "preflight", "--registry", self.registry.name, "--"])
        return tuple(f"{head} {inner}" for inner in self.cleanup().commands())

    def describe(self) -> str:
        return f"pre-flight: {self.cleanup().describe()}"


# --- Resource locks and connected registries (issue 12, items 1 and 7) ------------------------------------------

#: The ARM resource type ``az lock`` needs to address a lock on the registry resource itself.
REGISTRY_RESOURCE_TYPE = "Microsoft.ContainerRegistry/registries"


@dataclass(frozen=True, slots=True)
class LockScope:
    """Where a management lock sits, as ``az lock`` addresses it: a subscription, a resource group, or the registry.

    ``az lock delete``/``create`` name the scope with ``--resource-group`` and, for a lock on a resource,
    ``--resource`` and ``--resource-type``; without either the lock is looked up on the subscription
    (azure-cli ``resource`` module, ``az lock``). ``subscription`` is passed as az's global ``--subscription``
    so that the command acts on the registry's subscription, not on whichever one is the CLI's default.
    """

    subscription: str | None = None
    resource_group: str | None = None
    resource: str | None = None

    def argv(self) -> list[str]:
        out: list[str] = []
        if self.resource_group:
            out += ["--resource-group", self.resource_group]
        if self.resource_group and self.resource:
            out += ["--resource", self.resource, "--resource-type", REGISTRY_RESOURCE_TYPE]
        if self.subscription:
            out += ["--subscription", self.subscription]
        return out

    def describe(self) -> str:
        if self.resource_group and self.resource:
            return f"registry {self.resource} in resource group {self.resource_group}"
        if self.resource_group:
            return f"resource group {self.resource_group}"
        return f"subscription {self.subscription}" if self.subscription else "the subscription"


@dataclass(frozen=True, slots=True)
class DeleteResourceLock(Action):
    """Remove one Azure management lock, named at the scope it sits on (or by its full id when that is all we have).

    Not applied by ``acrdoctor fix``: taking off a lock someone put there on purpose is a decision for its owner
    (removing one needs ``Microsoft.Authorization/locks/delete``: Owner or User Access Administrator). The scope is
    held as plain fields (see :class:`LockScope`) so that every value stays a quoted argument.
    """

    name: Arg
    resource_group: str | None = None
    resource: str | None = None
    subscription: str | None = None
    lock_id: Arg | None = None

    destructive: ClassVar[bool] = True

    @classmethod
    def at(cls, name: Arg, scope: LockScope) -> DeleteResourceLock:
        return cls(name, scope.resource_group, scope.resource, scope.subscription)

    @property
    def scope(self) -> LockScope:
        return LockScope(self.subscription, self.resource_group, self.resource)

    def commands(self) -> tuple[str, ...]:
        if self.lock_id:
            return (shell_join(["az", "lock", "delete", "--ids", self.lock_id]),)
        argv: list[Arg] = ["az", "lock", "delete", "--name", self.name, *self.scope.argv()]
        return (shell_join(argv),)

    def describe(self) -> str:
        if self.lock_id:
            return f"delete management lock {self.lock_id}"
        return f"delete management lock {self.name} on {self.scope.describe()}"


@dataclass(frozen=True, slots=True)
class CreateResourceLock(Action):
    """Put a management lock back after the work it was removed for (same name, level and scope)."""

    name: Arg
    level: str
    resource_group: str | None = None
    resource: str | None = None
    subscription: str | None = None
    notes: str | None = None

    @classmethod
    def at(cls, name: Arg, level: str, scope: LockScope, notes: str | None = None) -> CreateResourceLock:
        return cls(name, level, scope.resource_group, scope.resource, scope.subscription, notes)

    def commands(self) -> tuple[str, ...]:
        scope = LockScope(self.subscription, self.resource_group, self.resource)
        argv: list[Arg] = ["az", "lock", "create", "--name", self.name, "--lock-type", self.level, *scope.argv()]
        if self.notes:
            argv += ["--notes", self.notes]
        return (shell_join(argv),)

    def describe(self) -> str:
        scope = LockScope(self.subscription, self.resource_group, self.resource)
        return f"recreate {self.level} lock {self.name} on {scope.describe()}"


@dataclass(frozen=True, slots=True)
class ListResourceLocks(Action):
    """``az lock list`` at one scope: the locks there (at a resource group, also those on the resources in it)."""

    resource_group: str | None = None
    resource: str | None = None
    subscription: str | None = None

    @classmethod
    def at(cls, scope: LockScope) -> ListResourceLocks:
        return cls(scope.resource_group, scope.resource, scope.subscription)

    def commands(self) -> tuple[str, ...]:
        scope = LockScope(self.subscription, self.resource_group, self.resource)
        argv: list[Arg] = ["az", "lock", "list", *scope.argv(), "--output", "table"]
        return (shell_join(argv),)

    def describe(self) -> str:
        scope = LockScope(self.subscription, self.resource_group, self.resource)
        return f"list the management locks on {scope.describe()}"


@dataclass(frozen=True, slots=True)
class DeleteConnectedRegistry(Action):
    """Delete a connected registry resource; ``--cleanup`` also deletes its sync token and scope map.

    What ``--cleanup`` removes is azure-cli's (``acr/connected_registry.py``, 2.91): the sync token and its scope
    map, for sync-token authentication. The containers on premises are not touched (ACR connected-registry docs,
    "Limitations").
    """

    registry: RegistryRef
    connected_registry: Arg
    cleanup: bool = True

    destructive: ClassVar[bool] = True

    def commands(self) -> tuple[str, ...]:
        argv: list[Arg] = ["az", "acr", "connected-registry", "delete", "--registry", self.registry.name,
                           *self.registry.rg(), "--name", self.connected_registry]
        if self.cleanup:
            argv.append("--cleanup")
        argv.append("--yes")
        return (shell_join(argv),)

    def describe(self) -> str:
        return f"delete connected registry {self.connected_registry}" + (
            " with its sync token and scope map" if self.cleanup else "")


@dataclass(frozen=True, slots=True)
class DeleteToken(Action):
    """Delete an ACR token (a sync token left behind by a connected registry deleted without ``--cleanup``)."""

    registry: RegistryRef
    token: Arg

    destructive: ClassVar[bool] = True

    def commands(self) -> tuple[str, ...]:
        return (shell_join(["az", "acr", "token", "delete", "--name", self.token, "--registry", self.registry.name,
                            *self.registry.rg(), "--yes"]),)

    def describe(self) -> str:
        return f"delete token {self.token}"


@dataclass(frozen=True, slots=True)
class DeleteScopeMap(Action):
    """Delete an ACR scope map (the sync scope map a connected registry left behind)."""

    registry: RegistryRef
    scope_map: Arg

    destructive: ClassVar[bool] = True

    def commands(self) -> tuple[str, ...]:
        return (shell_join(["az", "acr", "scope-map", "delete", "--name", self.scope_map, "--registry",
                            self.registry.name, *self.registry.rg(), "--yes"]),)

    def describe(self) -> str:
        return f"delete scope map {self.scope_map}"


@dataclass(frozen=True, slots=True)
class ListTokens(Action):
    registry: RegistryRef

    def commands(self) -> tuple[str, ...]:
        return (shell_join(["az", "acr", "token", "list", "--registry", self.registry.name, *self.registry.rg(),
                            "--output", "table"]),)

    def describe(self) -> str:
        return "list the registry's tokens"


# -- Policy topics (artifact cache, listings cut short, continuous patching, shared layers) -----------------------


@dataclass(frozen=True, slots=True)
class DeleteCacheRule(Action):
    """Delete an artifact cache rule, so its target repositories become ordinary repositories again.

    ``az acr cache delete --registry R --name RULE [--resource-group G] --yes`` (azure-cli ``acr/_params.py``,
    context ``acr cache``; ``acr/commands.py`` registers the command with ``confirmation=True``, so without ``--yes``
    and a terminal az stops with "Operation cancelled."). Deleting the rule deletes no image.
    """

    registry: RegistryRef
    name: Arg

    def commands(self) -> tuple[str, ...]:
        argv = ["az", "acr", "cache", "delete", "--registry", self.registry.name, "--name", self.name,
                *self.registry.rg(), "--yes"]
        return (shell_join(argv),)

    def describe(self) -> str:
        return f"delete cache rule {self.name}"


@dataclass(frozen=True, slots=True)
class ReadListing(Action):
    """Read one listing again, in full, with ``az`` (which follows every page itself), to compare with a snapshot.

    ``listing`` is ``catalog`` (``az acr repository list``), ``manifests`` (``az acr manifest list-metadata``,
    the successor of the deprecated ``az acr repository show-manifests``) or ``tags``
    (``az acr repository show-tags --detail``).
    """

    registry: RegistryRef
    listing: str
    repository: Arg | None = None

    def commands(self) -> tuple[str, ...]:
        if self.listing == "catalog" or self.repository is None:
            argv: list[Arg] = ["az", "acr", "repository", "list", "--name", self.registry.name, "--output", "tsv"]
        elif self.listing == "manifests":
            argv = ["az", "acr", "manifest", "list-metadata", "--registry", self.registry.name, "--name",
                    self.repository, "--output", "json"]
        else:
            argv = ["az", "acr", "repository", "show-tags", "--name", self.registry.name, "--repository",
                    self.repository, "--detail", "--output", "json"]
        return (shell_join(argv),)

    def describe(self) -> str:
        what = f" of {self.repository}" if self.repository is not None and self.listing != "catalog" else ""
        return f"list the {self.listing}{what} again"


@dataclass(frozen=True, slots=True)
class Recollect(Action):
    """``acrdoctor collect`` limited to some repositories: a fresh snapshot of the listings that ended early."""

    registry: RegistryRef
    repositories: tuple[Arg, ...]
    out: str = "snapshot-recollected.json"

    def commands(self) -> tuple[str, ...]:
        argv: list[Arg] = ["acrdoctor", "collect", "--registry", self.registry.name]
        if self.registry.resource_group:
            argv += ["--resource-group", self.registry.resource_group]
        for r in self.repositories:
            argv += ["--repository", r]
        argv += ["--out", self.out]
        return (shell_join(argv),)

    def describe(self) -> str:
        return "collect those repositories again"


@dataclass(frozen=True, slots=True)
class Preflight(Action):
    """``acrdoctor preflight`` of one delete command: what exactly it would delete, refuse and free.

    Nothing is deleted: the pre-flight only reads. The printed ``--registry`` reads the registry live; the same
    command with ``--snapshot FILE`` or ``--demo`` instead of ``--registry …`` plans against that data.
    ``command`` is the delete command as separate words, each quoted on its own.
    """

    registry: RegistryRef
    command: tuple[Arg, ...]

    @classmethod
    def repository_delete(cls, registry: RegistryRef, repository: Arg) -> Preflight:
        return cls(registry, ("az", "acr", "repository", "delete", "--name", registry.name,
                              "--repository", repository, "--yes"))

    def commands(self) -> tuple[str, ...]:
        head: list[Arg] = ["acrdoctor", "preflight", "--registry", self.registry.name]
        if self.registry.resource_group:
            head += ["--resource-group", self.registry.resource_group]
        return (shell_join([*head, "--", *self.command]),)

    def describe(self) -> str:
        return "preview " + " ".join(str(a) for a in self.command[:4]) + " …"


@dataclass(frozen=True, slots=True)
class PurgeKeepLatest(Action):
    """``acr purge`` of old tags matching ``filters`` that keeps the ``keep`` newest, as a one-off ACR task.

    With ``untagged`` the manifests the tag phase leaves untagged are deleted too (acr-cli ``--untagged``; it
    considers every untagged manifest of the matched repositories, which ``acrdoctor preflight`` shows).
    """

    registry: RegistryRef
    filters: tuple[str, ...]
    keep: int = 1
    ago: str = "0d"
    untagged: bool = True

    def purge_words(self) -> tuple[str, ...]:
        argv = ["acr", "purge"]
        for f in self.filters:
            argv += ["--filter", f]
        argv += ["--ago", self.ago, "--keep", str(self.keep)]
        if self.untagged:
            argv.append("--untagged")
        return tuple(argv)

    def commands(self) -> tuple[str, ...]:
        head = shell_join(["az", "acr", "run", "--registry", self.registry.name, *self.registry.rg(), "--cmd"])
        return (f"{head} {quote_cmd(shell_join(list(self.purge_words())))} /dev/null",)

    def describe(self) -> str:
        return f"run {shell_join(list(self.purge_words()))}"
