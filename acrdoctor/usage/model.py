"""The figures of one ``acrdoctor usage`` report: plain data, every byte count an exact integer.

Kept apart from the arithmetic (:mod:`acrdoctor.usage.figures`, :mod:`acrdoctor.usage.candidates`) so that every
renderer (console, JSON, CSV, HTML) reads the same fields and none recomputes a figure of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Age buckets of the last update, as (name, lower bound in days inclusive, upper bound in days exclusive).
#: ``unknown`` holds blobs whose manifests carry no readable time.
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("<30d", 0, 30),
    ("30-90d", 30, 90),
    ("90-365d", 90, 365),
    (">365d", 365, None),
)
UNKNOWN_AGE = "unknown"
AGE_NAMES: tuple[str, ...] = (*(b[0] for b in AGE_BUCKETS), UNKNOWN_AGE)

#: The kinds of cleanup candidate, in the order they are described.
KIND_UNTAGGED = "untagged"
KIND_OLDER_THAN = "older-than"
KIND_REPOSITORY = "repository"
KINDS = (KIND_UNTAGGED, KIND_OLDER_THAN, KIND_REPOSITORY)


@dataclass(frozen=True, slots=True)
class RepositoryUsage:
    """Where one repository's bytes are. ``collected`` false: its manifests were not listed, figures are 0."""

    name: str
    collected: bool
    manifests: int
    tags: int
    untagged_manifests: int
    dangling_manifests: int
    #: Distinct blob bytes its manifests reference (exclusive + shared).
    total_bytes: int
    #: Bytes no other repository references: what deleting the repository frees.
    exclusive_bytes: int
    #: Bytes other repositories reference too.
    shared_bytes: int
    #: Distinct blob bytes its dangling manifests reference (some may be shared or held by tagged images too).
    dangling_bytes: int
    #: Bytes only its dangling manifests reference: what deleting them frees (part of ``exclusive_bytes``).
    dangling_freed_bytes: int
    #: Other repositories holding the shared bytes, most bytes first: (name, bytes shared with it).
    shared_with: tuple[tuple[str, int], ...]
    #: How many other repositories share at least one blob with it (``shared_with`` may be cut short).
    shared_with_count: int
    #: Distinct bytes by age bucket of the newest manifest of this repository that references each blob.
    age_bytes: dict[str, int]
    image_size_sum: int
    last_update: str | None

    @property
    def in_use_exclusive_bytes(self) -> int:
        """Exclusive bytes a tag still reaches: the third part of the treemap next to shared and dangling."""
        return self.exclusive_bytes - self.dangling_freed_bytes


@dataclass(frozen=True, slots=True)
class Explanation:
    """One named reason why the service's figure differs from the deduplicated total; ``bytes`` when known."""

    code: str
    text: str
    bytes: int | None = None


@dataclass(frozen=True, slots=True)
class Totals:
    repositories: int
    manifests: int
    tags: int
    #: Distinct config and layer bytes of every collected manifest: what the registry stores for them.
    deduplicated_bytes: int
    #: Sum of imageSize over every manifest: what naive tools add up (shared layers counted per manifest).
    image_size_sum: int
    #: The service's ``Size`` usage, when collected.
    service_bytes: int | None
    #: ``service_bytes - deduplicated_bytes``, when the service figure is known.
    unexplained_bytes: int | None
    #: Bytes shared by more than one repository, counted once.
    shared_bytes: int
    #: What deleting every dangling manifest of the registry frees.
    dangling_freed_bytes: int
    dangling_manifests: int
    #: Registry-wide: each blob in the bucket of the newest manifest anywhere that references it.
    age_bytes: dict[str, int]
    explanations: tuple[Explanation, ...]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One cleanup, its exact effect as the pre-flight computes it, and the commands to check and run it."""

    kind: str
    repository: str
    command: str
    preflight_command: str
    freed_bytes: int
    manifests_deleted: int
    tags_deleted: int
    #: Why parts of it would be refused or skipped (locks, firewall, permissions), as the pre-flight says; at
    #: most a few, ``blocker_count`` counts them all.
    blockers: tuple[str, ...]
    blocker_count: int
    #: The manifests it deletes, as (repository index, digest), for the combined figure.
    deleted: frozenset[tuple[int, str]] = field(repr=False, compare=False, default=frozenset())


@dataclass(frozen=True, slots=True)
class UsageReport:
    registry: str
    collected_at: str | None
    #: The moment ages are measured from (the snapshot's collection time, else the clock).
    now: str
    #: True when every manifest's blobs are known: the byte figures are exact, not lower bounds.
    complete: bool
    #: What was not collected, one sentence each (empty when complete).
    gaps: tuple[str, ...]
    older_than_days: float
    older_than: str
    top: int
    repositories: tuple[RepositoryUsage, ...]
    totals: Totals
    #: The ``top`` candidates that free the most bytes, most first (fewer when fewer free anything).
    candidates: tuple[Candidate, ...]
    #: How many candidate plans were computed to find them (the rest could not rank among them).
    plans_evaluated: int
    #: What the listed candidates free together (computed on their union, not summed).
    top_combined_bytes: int
    #: The sum of the listed candidates' own figures, shown next to the combined one.
    top_summed_bytes: int
