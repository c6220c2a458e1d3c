"""Read-only ``az`` commands that confirm a diagnosis, and the few fixes ``acrdoctor.actions`` lacks.

Same contract as :mod:`acrdoctor.actions`: one object per command, rendered with ``shell_join`` so the
printed command and anything that later runs it cannot drift. Every command here was checked against the
argument parser of azure-cli 2.91.0 (tests/explain/test_az_parse.py runs them when ``az`` is available).
"""

from __future__ import annotations

from dataclasses import dataclass

from acrdoctor.actions import (
    SIGNED_IN_USER_EXPR,
    Action,
    Arg,
    ListDeletedManifests,
    ListReplicationsTable,
    RegistryRef,
    ShowUsageTable,
    shell_join,
    shell_word,
)
from acrdoctor.shellquote import ShellExpr, substitution

from .names import placeholder


def registry_id_expr(registry: Arg) -> ShellExpr:
    """A command substitution printing the registry's resource id (az finds its resource group)."""
    return substitution(["az", "acr", "show", "--name", registry, "--query", "id", "--output", "tsv"])


@dataclass(frozen=True, slots=True)
class ShowRepository(Action):
    """``az acr repository show``: answers NAME_UNKNOWN for a repository ACR does not know."""

    registry: RegistryRef
    repository: Arg
    query: str | None = None

    def commands(self) -> tuple[str, ...]:
        argv = ["az", "acr", "repository", "show", "--name", self.registry.name, "--repository", self.repository]
        if self.query:
            argv += ["--query", self.query]
        return (shell_join(argv),)

    def describe(self) -> str:
        return f"show repository {self.repository}"


@dataclass(frozen=True, slots=True)
class ShowImage(Action):
    """``az acr repository show --image`` for a tag or a digest: its attributes, or TAG/MANIFEST_UNKNOWN."""

    registry: RegistryRef
    repository: Arg
    tag: Arg | None = None
    digest: Arg | None = None
    query: str | None = None

    def commands(self) -> tuple[str, ...]:
        image = shell_word(self.repository, "@", self.digest) if self.digest else \
            shell_word(self.repository, ":", self.tag or "")
        argv = ["az", "acr", "repository", "show", "--name", self.registry.name, "--image", image]
        if self.query:
            argv += ["--query", self.query]
        return (shell_join(argv),)

    def describe(self) -> str:
        return "show image attributes"


@dataclass(frozen=True, slots=True)
class FindRepository(Action):
    """Whether the registry's catalog lists the repository: a listed name that answers NAME_UNKNOWN is the trap."""

    registry: RegistryRef
    repository: Arg

    def commands(self) -> tuple[str, ...]:
        listing = shell_join(["az", "acr", "repository", "list", "--name", self.registry.name, "--output", "tsv"])
        return (f"{listing} | {shell_join(['grep', '-Fx', '--', self.repository])}",)

    def describe(self) -> str:
        return f"look for {self.repository} in the catalog"


@dataclass(frozen=True, slots=True)
class ListRepositories(Action):
    registry: RegistryRef

    def commands(self) -> tuple[str, ...]:
        return (shell_join(["az", "acr", "repository", "list", "--name", self.registry.name, "--output", "table"]),)

    def describe(self) -> str:
        return "list repositories"


@dataclass(frozen=True, slots=True)
class ShowTags(Action):
    registry: RegistryRef
    repository: Arg

    def commands(self) -> tuple[str, ...]:
        argv = ["az", "acr", "repository", "show-tags", "--name", self.registry.name, "--repository",
                self.repository, "--detail", "--output", "table"]
        return (shell_join(argv),)

    def describe(self) -> str:
        return f"list the tags of {self.repository}"


@dataclass(frozen=True, slots=True)
class ListManifestMetadata(Action):
    """``az acr manifest list-metadata``; ``untagged`` keeps the digests no tag reaches."""

    registry: RegistryRef
    repository: Arg
    untagged: bool = False

    def commands(self) -> tuple[str, ...]:
        argv = ["az", "acr", "manifest", "list-metadata", "--registry", self.registry.name, "--name", self.repository]
        argv += ["--query", "[?tags==null].digest", "--output", "tsv"] if self.untagged else ["--output", "table"]
        return (shell_join(argv),)

    def describe(self) -> str:
        return f"list the manifests of {self.repository}"


@dataclass(frozen=True, slots=True)
class ShowManifest(Action):
    """``az acr manifest show``: the manifest body, so an index's platform children can be checked one by one."""

    registry: RegistryRef
    repository: Arg
    reference: Arg

    def commands(self) -> tuple[str, ...]:
        digest = self.reference == placeholder("digest") or (isinstance(self.reference, str)
                                                             and self.reference.startswith("sha256:"))
        sep = "@" if digest else ":"
        argv = ["az", "acr", "manifest", "show", "--registry", self.registry.name, "--name",
                shell_word(self.repository, sep, self.reference)]
        return (shell_join(argv),)

    def describe(self) -> str:
        return "show the manifest body"


@dataclass(frozen=True, slots=True)
class ShowRegistry(Action):
    """``az acr show`` with a JMESPath query on the registry object (network rules, policies, SKU...)."""

    registry: RegistryRef
    query: str
    output: str | None = None

    def commands(self) -> tuple[str, ...]:
        argv = ["az", "acr", "show", "--name", self.registry.name, *self.registry.rg(), "--query", self.query]
        if self.output:
            argv += ["--output", self.output]
        return (shell_join(argv),)

    def describe(self) -> str:
        return f"show {self.query} of the registry"


@dataclass(frozen=True, slots=True)
class ListPrivateEndpointConnections(Action):
    registry: RegistryRef

    def commands(self) -> tuple[str, ...]:
        argv = ["az", "acr", "private-endpoint-connection", "list", "--registry-name", self.registry.name,
                *self.registry.rg(), "--output", "table"]
        return (shell_join(argv),)

    def describe(self) -> str:
        return "list private endpoint connections"


@dataclass(frozen=True, slots=True)
class CheckHealth(Action):
    registry: RegistryRef

    def commands(self) -> tuple[str, ...]:
        return (shell_join(["az", "acr", "check-health", "--name", self.registry.name, "--ignore-errors", "--yes"]),)

    def describe(self) -> str:
        return "run az acr check-health"


@dataclass(frozen=True, slots=True)
class ListRoleAssignments(Action):
    """The signed-in identity's role assignments on the registry."""

    registry: RegistryRef
    assignee: Arg = SIGNED_IN_USER_EXPR

    def commands(self) -> tuple[str, ...]:
        argv = ["az", "role", "assignment", "list", "--assignee", self.assignee, "--scope",
                registry_id_expr(self.registry.name), "--output", "table"]
        return (shell_join(argv),)

    def describe(self) -> str:
        return "list role assignments on the registry"


@dataclass(frozen=True, slots=True)
class ListCredentialSets(Action):
    """``az acr credential-set list``: the credential sets a cache rule can use, with their health (explain's
    artifact-cache and cause-elsewhere answers)."""

    registry: RegistryRef

    def commands(self) -> tuple[str, ...]:
        return (shell_join(["az", "acr", "credential-set", "list", "--registry", self.registry.name, "--output",
                            "table"]),)

    def describe(self) -> str:
        return "list the credential sets"


@dataclass(frozen=True, slots=True)
class ListCacheRules(Action):
    """``az acr cache list``: every rule with its source and target repository."""

    registry: RegistryRef

    def commands(self) -> tuple[str, ...]:
        return (shell_join(["az", "acr", "cache", "list", "--registry", self.registry.name, "--output", "table"]),)

    def describe(self) -> str:
        return "list the cache rules"


@dataclass(frozen=True, slots=True)
class ShowSoftDelete(Action):
    registry: RegistryRef

    def commands(self) -> tuple[str, ...]:
        return (shell_join(["az", "acr", "config", "soft-delete", "show", "--registry", self.registry.name]),)

    def describe(self) -> str:
        return "show the soft-delete policy"


@dataclass(frozen=True, slots=True)
class Login(Action):
    """``az login`` (refreshes the identity's permissions), then ``az acr login`` for docker and oras."""

    registry: RegistryRef

    def commands(self) -> tuple[str, ...]:
        return ("az login", shell_join(["az", "acr", "login", "--name", self.registry.name]))

    def describe(self) -> str:
        return "sign in again"


@dataclass(frozen=True, slots=True)
class ImportImage(Action):
    """Put an image back under a tag from another copy (re-pushing the original build works as well)."""

    registry: RegistryRef
    source: Arg
    repository: Arg
    tag: Arg

    def commands(self) -> tuple[str, ...]:
        argv = ["az", "acr", "import", "--name", self.registry.name, *self.registry.rg(), "--source", self.source,
                "--image", shell_word(self.repository, ":", self.tag), "--force"]
        return (shell_join(argv),)

    def describe(self) -> str:
        return f"re-import {self.repository}:{self.tag}"


@dataclass(frozen=True, slots=True)
class RunAcrdoctor(Action):
    """An ``acrdoctor diagnose`` run that measures what the text can only suggest."""

    registry: RegistryRef
    checks: tuple[str, ...]

    def commands(self) -> tuple[str, ...]:
        argv = ["acrdoctor", "diagnose", "--registry", self.registry.name]
        for slug in self.checks:
            argv += ["--check", slug]
        return (shell_join(argv),)

    def describe(self) -> str:
        return "run acrdoctor diagnose"


#: The same reads the checks print (acrdoctor.actions), under the names explain's recognisers use.
ShowUsage = ShowUsageTable
ListReplications = ListReplicationsTable
ListSoftDeleted = ListDeletedManifests


@dataclass(frozen=True, slots=True)
class BundleScript(Action):
    """``acrdoctor bundle-script``: read-only az commands that write what ``diagnose --bundle`` needs, for whoever can
    run az but will not install acrdoctor."""

    registry: RegistryRef

    def commands(self) -> tuple[str, ...]:
        return (shell_join(["acrdoctor", "bundle-script", "--registry", self.registry.name]),)

    def describe(self) -> str:
        return "print the script that collects a bundle"


@dataclass(frozen=True, slots=True)
class ListConnectedRegistries(Action):
    """Each connected registry's mode (ReadOnly, once called Mirror, accepts no push) and connection state
    (Unhealthy when its status details hold an error): what tells a connected registry's own refusals apart."""

    registry: RegistryRef

    def commands(self) -> tuple[str, ...]:
        return (shell_join(["az", "acr", "connected-registry", "list", "--registry", self.registry.name,
                            *self.registry.rg(), "--output", "table"]),)

    def describe(self) -> str:
        return "list the registry's connected registries"
