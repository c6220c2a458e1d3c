"""The types of a pre-flight: what the user's command asks, what the tool would select, what would happen.

Three stages, each pure and separately testable:

1. :mod:`acrdoctor.preflight.commands` parses the command line the user would run into a ``Request``.
2. :mod:`acrdoctor.preflight.purge` (for ``acr purge``) or the ``az`` mapping turns a request and a
   snapshot into a :class:`Selection`: exactly what the real tool would try to delete, including what it
   silently skips on its own (``acr purge`` leaves locked tags and manifests alone).
3. :mod:`acrdoctor.preflight.plan` evaluates a selection against the snapshot into a :class:`Plan`: what
   the registry would refuse, which tags go along, the exact bytes freed, what breaks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class PurgeRequest:
    """``acr purge`` with its flags (Azure/acr-cli ``cmd/acr/purge.go``; notes acr-semantics §2.1)."""

    filters: tuple[tuple[str, str], ...] = ()  # (repository regex, tag regex) pairs, from --filter REPO:TAG
    ago: timedelta | None = None
    keep: int = 0
    untagged: bool = False
    untagged_only: bool = False
    dry_run: bool = False
    include_locked: bool = False
    registry: str | None = None
    filter_timeout_seconds: float = 60.0
    #: The ``--ago`` text as given, for messages.
    ago_text: str | None = None
    #: The command as the user wrote it (or as found inside ``az acr run --cmd``).
    raw: str = ""


class AzAction(StrEnum):
    DELETE_REPOSITORY = "delete-repository"  # az acr repository delete --repository X
    DELETE_IMAGE = "delete-image"  # az acr repository delete --image repo:tag | repo@digest
    UNTAG = "untag"  # az acr repository untag --image repo:tag
    DELETE_MANIFEST = "delete-manifest"  # az acr manifest delete --name repo:tag | repo@digest
    DELETE_REGISTRY = "delete-registry"  # az acr delete --name R


@dataclass(frozen=True, slots=True)
class AzRequest:
    """One ``az acr`` delete-family command."""

    action: AzAction
    registry: str
    repository: str | None = None
    tag: str | None = None
    digest: str | None = None
    resource_group: str | None = None
    raw: str = ""


Request = PurgeRequest | AzRequest


@dataclass(frozen=True, slots=True, order=True)
class ManifestRef:
    repository: str
    digest: str

    def __str__(self) -> str:
        return f"{self.repository}@{self.digest}"


@dataclass(frozen=True, slots=True, order=True)
class TagRef:
    repository: str
    tag: str

    def __str__(self) -> str:
        return f"{self.repository}:{self.tag}"


class BlockLevel(StrEnum):
    """Where a refusal comes from: a lock at one of ACR's three levels, the registry, or the user's in-use list."""

    REPOSITORY = "repository"
    MANIFEST = "manifest"
    TAG = "tag"
    REGISTRY = "registry"
    IN_USE = "in-use"
    TOOL = "tool"  # the tool skips it by itself (acr purge and locked tags/manifests without --include-locked)
    #: The caller, not the objects: the registry firewall refused the caller's network, or ACR refused its
    #: identity a delete. Known from what the service refused while the snapshot was collected.
    NETWORK = "network"
    PERMISSION = "permission"


#: Levels about who runs the command and from where: they block the run but take no target out of the plan.
CALLER_LEVELS = frozenset({BlockLevel.NETWORK, BlockLevel.PERMISSION})


@dataclass(frozen=True, slots=True)
class Blocked:
    resource: str  # "repo", "repo:tag", "repo@digest", a private endpoint connection name, or the registry
    reason: str
    level: BlockLevel
    #: The check of ``acrdoctor diagnose`` that reports the same cause (None: in-use lists, acr purge's own rules).
    check: str | None = None


@dataclass(frozen=True, slots=True)
class PlanWarning:
    """A risky filter or a consequence worth a second look; ``code`` is stable (documented in docs/preflight.md)."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Selection:
    """What the command's own tool would try to delete, before the registry has a say."""

    request: Request
    untag: tuple[TagRef, ...] = ()
    delete_manifests: tuple[ManifestRef, ...] = ()
    delete_repositories: tuple[str, ...] = ()
    delete_registry: bool = False
    #: What the tool leaves out by itself (acr purge: locked tags and manifests without --include-locked).
    skipped: tuple[Blocked, ...] = ()
    warnings: tuple[PlanWarning, ...] = ()
    #: Tags the user named (``--image repo:tag``), so co-deleted tags can be told apart from them.
    named_tags: frozenset[TagRef] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class BrokenIndex:
    """A manifest list / OCI index that stays but would lose children: pulls of those platforms fail."""

    index: ManifestRef
    tags: tuple[str, ...]
    lost_children: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    """The outcome of a selection on a snapshot: the pre-flight report's content."""

    selection: Selection
    #: Manifests that would really be deleted (blocked ones removed; referrers of deleted subjects added).
    delete_manifests: tuple[ManifestRef, ...]
    #: Every tag that would disappear: untagged ones and those on deleted manifests.
    delete_tags: tuple[TagRef, ...]
    #: Tags removed although the command did not name them (delete by tag removes every tag of the manifest).
    co_deleted_tags: tuple[TagRef, ...]
    #: Referrers (signatures, SBOMs) that go with their deleted subject.
    cascaded_referrers: tuple[ManifestRef, ...]
    blocked: tuple[Blocked, ...]
    warnings: tuple[PlanWarning, ...]
    #: Bytes of config and layer blobs no surviving manifest in any repository references.
    reclaimable_bytes: int
    #: Bytes of blobs of deleted manifests that stay because surviving manifests still use them.
    retained_shared_bytes: int
    #: Repositories holding the most retained shared bytes (name -> bytes).
    shared_holders: dict[str, int]
    #: Repositories the plan leaves with no manifest and no tag (the NAME_UNKNOWN trap).
    emptied_repositories: tuple[str, ...]
    broken_indexes: tuple[BrokenIndex, ...]
    #: Manifests left untagged and unreachable by the plan (children of deleted indexes...): still stored.
    left_dangling: tuple[ManifestRef, ...]
    notes: tuple[str, ...]
    #: DELETE requests the plan needs, and how long they take at the registry's documented delete rate.
    delete_requests: int
    estimated_seconds: float
    #: False when some manifest bodies were not collected: byte figures are then lower bounds.
    bytes_exact: bool
    #: Whether the registry itself would be deleted: asked for and refused by nothing (private endpoints,
    #: in-use images).
    registry_deleted: bool = False
    #: Repositories that would be deleted as a whole; a repository whose delete any lock or in-use image
    #: refuses is left out (it is in ``blocked``).
    deleted_repositories: tuple[str, ...] = ()

    @property
    def safe(self) -> bool:
        return not self.blocked
