"""The interface every check implements, built-in or plug-in.

A check is a class with its catalogue metadata as class attributes and one pure method, ``run``,
that turns a :class:`Context` (the snapshot plus shared, lazily computed analyses) into findings.
Keeping metadata on the class lets ``acrdoctor checks list`` describe the catalogue without running
anything, and keeping ``run`` pure lets one check serve live, offline, bundle and pre-flight runs.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, ClassVar

from acrdoctor.actions import Action
from acrdoctor.model import Part, Snapshot

if TYPE_CHECKING:
    from acrdoctor.completeness import Gap
    from acrdoctor.storage import StorageIndex


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank


_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    ERRORED = "errored"
    #: Found nothing, but some of the data it reads was collected for only some repositories (or failed):
    #: not a pass. The result's ``gaps`` name what it could not see.
    INCOMPLETE = "incomplete"


class ResourceKind(StrEnum):
    REGISTRY = "registry"
    REPOSITORY = "repository"
    MANIFEST = "manifest"
    TAG = "tag"
    PRIVATE_ENDPOINT_CONNECTION = "private-endpoint-connection"
    REPLICATION = "replication"


@dataclass(frozen=True, slots=True)
class Resource:
    """The object a finding is about, named the way ``az`` and ``docker`` name it."""

    kind: ResourceKind
    name: str

    @classmethod
    def registry(cls, name: str) -> Resource:
        return cls(ResourceKind.REGISTRY, name)

    @classmethod
    def repository(cls, name: str) -> Resource:
        return cls(ResourceKind.REPOSITORY, name)

    @classmethod
    def manifest(cls, repository: str, digest: str) -> Resource:
        return cls(ResourceKind.MANIFEST, f"{repository}@{digest}")

    @classmethod
    def tag(cls, repository: str, tag: str) -> Resource:
        return cls(ResourceKind.TAG, f"{repository}:{tag}")

    @classmethod
    def private_endpoint_connection(cls, name: str) -> Resource:
        return cls(ResourceKind.PRIVATE_ENDPOINT_CONNECTION, name)

    def __str__(self) -> str:
        return f"{self.kind.value} {self.name}"


@dataclass(frozen=True, slots=True)
class Related:
    """Commands that go with a fix without being the fix: an alternative, a preview, a follow-up.

    They are kept out of ``Fix.commands`` because a future ``fix --apply`` runs exactly those, and
    out of free-text notes so that every printed command stays machine-checkable.
    """

    label: str
    summary: str
    actions: tuple[Action, ...] = ()

    @property
    def commands(self) -> tuple[str, ...]:
        return tuple(c for a in self.actions for c in a.commands())


@dataclass(frozen=True, slots=True)
class Fix:
    """How to resolve a finding: actions (which render their own ``az`` commands) plus free text.

    ``commands`` is what users copy; it is derived from ``actions`` so the command shown and the
    change a future ``fix --apply`` performs cannot drift apart. ``extra_commands`` holds commands
    with no applicable action (for example ``acr purge`` run as an ACR task).
    """

    summary: str
    actions: tuple[Action, ...] = ()
    extra_commands: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    docs: tuple[str, ...] = ()
    related: tuple[Related, ...] = ()

    @property
    def commands(self) -> tuple[str, ...]:
        out: list[str] = []
        for action in self.actions:
            out.extend(action.commands())
        out.extend(self.extra_commands)
        return tuple(out)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem with one object: what is wrong, why, and how to fix it."""

    check: str
    severity: Severity
    resource: Resource
    message: str
    cause: str
    fix: Fix | None = None
    details: Mapping[str, object] = field(default_factory=dict)


class Context:
    """What a check may read: the snapshot and analyses shared by several checks, computed once."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

    @cached_property
    def storage(self) -> StorageIndex:
        from acrdoctor.storage import StorageIndex

        return StorageIndex(self.snapshot)


_SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


class Check:
    """Base class for checks. Subclasses set the metadata and implement :meth:`run`.

    ``needs`` lists the snapshot parts without which the check cannot judge; the engine reports the
    check as skipped, naming the part, rather than letting it pass on missing data. When a part it needs or
    uses was collected for only some repositories, the engine reports an empty result as incomplete and
    findings as a lower bound.
    """

    slug: ClassVar[str]
    title: ClassVar[str]
    severity: ClassVar[Severity]
    needs: ClassVar[frozenset[Part]] = frozenset()
    #: Parts the check reads when they were collected (byte figures, referrer subjects...) but can judge without;
    #: a live collection gathers ``needs | uses`` for the selected checks.
    uses: ClassVar[frozenset[Part]] = frozenset()
    cause: ClassVar[str]
    docs: ClassVar[tuple[str, ...]] = ()
    failure_mode: ClassVar[str] = ""

    def run(self, ctx: Context) -> Iterable[Finding]:
        raise NotImplementedError

    def blind_spots(self, ctx: Context, gaps: tuple[Gap, ...]) -> tuple[Gap, ...]:
        """Of the gaps in the parts this check needs or uses, those its verdict depends on (by default all).

        A check that reads a part only for figures, or can judge a repository without it, narrows them so
        that it is not reported incomplete for data it does not need.
        """
        return gaps

    def finding(
        self,
        resource: Resource,
        message: str,
        *,
        fix: Fix | None = None,
        severity: Severity | None = None,
        cause: str | None = None,
        details: Mapping[str, object] | None = None,
    ) -> Finding:
        """Build a finding that carries this check's slug, default severity, cause and docs."""
        if fix is not None and not fix.docs and self.docs:
            fix = replace(fix, docs=self.docs)
        return Finding(
            check=self.slug,
            severity=severity or self.severity,
            resource=resource,
            message=message,
            cause=cause or self.cause,
            fix=fix,
            details=details or {},
        )


class SkipCheck(Exception):
    """Raised by a check that cannot judge the data it got (for example a partial scan): reported as skipped.

    Missing parts are handled by the engine through ``needs``; this is for what only the check can see,
    so that incomplete data is never reported as a pass.
    """


def skip_without_attempt(snapshot: Snapshot, operations: Collection[str], what: str, would_show: str) -> None:
    """Skip a check judged from recorded refusals when nothing that could be refused was tried.

    No error means "not refused" only for operations that were tried: a bundle, a collection scoped to
    other checks or a read-only scan cannot show a refusal they never risked.
    """
    attempted = snapshot.attempted(operations)
    if attempted is None:
        raise SkipCheck(f"the snapshot does not record which operations its collector tried, so the absence of "
                        f"{would_show} proves nothing (a bundle or an older snapshot)")
    if not attempted:
        raise SkipCheck(f"{what} was tried while collecting, so nothing could have been refused with {would_show}")


class CheckDefinitionError(ValueError):
    """A check's metadata breaks the catalogue rules (bad slug, missing cause, non-https docs...)."""


def validate_check(check: type[Check]) -> None:
    """Enforce the catalogue's style rules, so a plug-in cannot publish a half-described check."""
    name = getattr(check, "__name__", repr(check))
    for attr in ("slug", "title", "severity", "cause"):
        if not getattr(check, attr, None):
            raise CheckDefinitionError(f"check {name} has no {attr}")
    if not _SLUG.match(check.slug):
        raise CheckDefinitionError(f"check {name}: slug {check.slug!r} must be lowercase words joined by '-'")
    if not isinstance(check.severity, Severity):
        raise CheckDefinitionError(f"check {check.slug}: severity must be a Severity")
    if len(check.title) > 100:
        raise CheckDefinitionError(f"check {check.slug}: title is longer than 100 characters")
    for url in check.docs:
        if not url.startswith("https://"):
            raise CheckDefinitionError(f"check {check.slug}: docs link {url!r} is not an https URL")
    for part in (*check.needs, *check.uses):
        if not isinstance(part, Part):
            raise CheckDefinitionError(f"check {check.slug}: needs {part!r}, which is not a snapshot Part")

