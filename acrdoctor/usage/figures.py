"""Where a registry's bytes are: per repository and registry-wide, from one :class:`StorageIndex`.

Every figure counts distinct config and layer blobs (ACR stores each once per registry), never ``imageSize``,
which counts a shared layer once per manifest. Ages partition bytes rather than manifests: a blob belongs to the
bucket of the newest manifest that references it, because deleting everything older than N days frees a blob only
when every manifest using it is older than N days.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from acrdoctor.completeness import Coverage
from acrdoctor.model import Manifest, Part, Repository, Snapshot
from acrdoctor.storage import Entry, StorageIndex
from acrdoctor.times import last_change
from acrdoctor.units import human_bytes, plural
from acrdoctor.usage.model import AGE_BUCKETS, AGE_NAMES, Explanation, RepositoryUsage, Totals

#: How many other repositories ``shared_with`` names per repository (all of them are counted).
SHARED_WITH_SHOWN = 10

#: The parts whose gaps make byte figures lower bounds.
_CONTENT_PARTS = (Part.REPOSITORIES, Part.MANIFESTS, Part.TAGS, Part.MANIFEST_BODIES)


#: A manifest with the age bucket of its last update: what the age figures are computed from.
Aged = tuple[int, Manifest]


def aged(manifests: Iterable[Manifest], now: datetime) -> tuple[list[Aged], datetime | None]:
    """Each manifest with a body and its bucket, and the newest last update; each time is parsed once."""
    # Bucket i holds times after its cut-off (now - its upper bound); counting the cut-offs a time is after, oldest
    # first, gives its bucket from the end. A time equal to a cut-off is not after it: it is in the older bucket.
    cutoffs = sorted(now - timedelta(days=upper) for _, _, upper in AGE_BUCKETS if upper is not None)
    oldest, unknown = len(cutoffs), len(AGE_BUCKETS)
    out: list[Aged] = []
    newest: datetime | None = None
    for m in manifests:
        t = last_change(m)
        if t is None:
            bucket = unknown
        else:
            if newest is None or t > newest:
                newest = t
            bucket = oldest - bisect_left(cutoffs, t)
        if m.layers is not None:
            out.append((bucket, m))
    return out, newest


def age_sets(manifests: Iterable[Aged]) -> list[set[int]]:
    """Per age bucket, the blobs whose newest referencing manifest (among ``manifests``) is in that bucket."""
    groups: list[list[Manifest]] = [[] for _ in AGE_NAMES]
    for bucket, m in manifests:
        groups[bucket].append(m)
    # Buckets run from newest to oldest (unknown last): a blob belongs to the first bucket that references it.
    seen: set[int] = set()
    out = []
    for ms in groups:
        new: set[int] = set().union(*[m.layers for m in ms if m.layers])
        new.update([m.config for m in ms if m.config is not None])
        new -= seen
        out.append(new)
        seen |= new
    return out


def merged_age_sets(per_repository: Iterable[list[set[int]]]) -> list[set[int]]:
    """Registry-wide age sets from per-repository ones: a blob's newest use anywhere is its newest bucket in any
    repository, so bucket by bucket it takes the union minus what a newer bucket already took."""
    per = list(per_repository)
    seen: set[int] = set()
    out = []
    for bucket in range(len(AGE_NAMES)):
        new: set[int] = set().union(*[sets[bucket] for sets in per])
        new -= seen
        out.append(new)
        seen |= new
    return out


def age_bytes(sets: Sequence[set[int]], sizes: Sequence[int]) -> dict[str, int]:
    size_of = sizes.__getitem__
    return {name: sum(map(size_of, blobs)) for name, blobs in zip(AGE_NAMES, sets, strict=True)}


def _blob_set(manifests: Sequence[Manifest]) -> set[int]:
    out: set[int] = set().union(*[m.layers for m in manifests if m.layers])
    out.update([m.config for m in manifests if m.config is not None and m.layers is not None])
    return out


def dangling_figures(index: StorageIndex, dangling: Sequence[Entry]) -> tuple[list[int], list[int], int]:
    """Per repository: distinct bytes its dangling manifests reference and what deleting them frees; and what
    deleting every dangling manifest of the registry frees.

    Set arithmetic instead of reference counts: a blob is freed when no manifest that stays (one a tag reaches)
    references it; it is freed by one repository's dangling manifests alone when, besides, no other repository
    references it at all.
    """
    n = len(index.repositories)
    gone_ids = {id(m) for _, m in dangling}
    by_repo: list[list[Manifest]] = [[] for _ in range(n)]
    for ri, m in dangling:
        by_repo[ri].append(m)
    kept: set[int] = set()
    for repo in index.repositories:
        kept |= _blob_set([m for m in repo.manifests or () if id(m) not in gone_ids])
    several = {b for b, o in enumerate(index.owner) if o == -2}
    size_of = index.sizes.__getitem__
    held, freed = [0] * n, [0] * n
    every: set[int] = set()
    for ri, ms in enumerate(by_repo):
        if not ms:
            continue
        blobs = _blob_set(ms)
        held[ri] = sum(map(size_of, blobs))
        blobs -= kept
        every |= blobs
        freed[ri] = sum(map(size_of, blobs - several))
    return held, freed, sum(map(size_of, every))


def _tag_count(repo: Repository) -> int:
    if repo.tags is not None:
        return len(repo.tags)
    return sum(len(m.tags) for m in repo.manifests or ())


def _untagged(repo: Repository) -> int:
    tagged = {t.digest for t in repo.tags or ()}
    return sum(1 for m in repo.manifests or () if not m.tags and m.digest not in tagged)


def repositories(index: StorageIndex, ages: Sequence[tuple[list[Aged], datetime | None]],
                 age_sets_of: Sequence[list[set[int]]], dangling: Sequence[Entry],
                 dangling_split: tuple[list[int], list[int], int]) -> tuple[RepositoryUsage, ...]:
    """One :class:`RepositoryUsage` per repository of the snapshot, in the snapshot's order."""
    sizes = index.sizes
    storage = index.per_repository()
    shared = index.shared_with()
    names = [r.name for r in index.repositories]
    held, freed, _ = dangling_split
    counts = Counter(ri for ri, _ in dangling)
    out = []
    for ri, repo in enumerate(index.repositories):
        others = _most_shared(shared[ri], names)
        st = storage[ri]
        out.append(RepositoryUsage(
            name=repo.name,
            collected=repo.manifests is not None,
            manifests=len(repo.manifests or ()),
            tags=_tag_count(repo),
            untagged_manifests=_untagged(repo),
            dangling_manifests=counts[ri],
            total_bytes=st.exclusive_bytes + st.shared_bytes,
            exclusive_bytes=st.exclusive_bytes,
            shared_bytes=st.shared_bytes,
            dangling_bytes=held[ri],
            dangling_freed_bytes=freed[ri],
            shared_with=tuple((names[o], n) for o, n in others),
            shared_with_count=len(shared[ri]),
            age_bytes=age_bytes(age_sets_of[ri], sizes),
            image_size_sum=st.image_size_sum,
            last_update=ages[ri][1].isoformat() if ages[ri][1] else None,
        ))
    return tuple(out)


def _most_shared(row: dict[int, int], names: Sequence[str]) -> list[tuple[int, int]]:
    """The :data:`SHARED_WITH_SHOWN` repositories sharing the most bytes, ties by name; only the few that can
    rank are sorted (a registry-wide base layer gives every repository a row as long as the registry)."""
    if len(row) > SHARED_WITH_SHOWN:
        threshold = heapq.nlargest(SHARED_WITH_SHOWN, row.values())[-1]
        items = [kv for kv in row.items() if kv[1] >= threshold]
    else:
        items = list(row.items())
    items.sort(key=lambda kv: (-kv[1], names[kv[0]]))
    return items[:SHARED_WITH_SHOWN]


def gaps(snapshot: Snapshot, index: StorageIndex) -> tuple[str, ...]:
    """What was not collected, one sentence each; empty when the byte figures are exact."""
    if snapshot.repositories is None:
        return ("the repository list was not collected: there is nothing to count",)
    out = [g.describe() for g in Coverage(snapshot).gaps(_CONTENT_PARTS)]
    if index.manifests_without_body and not any("manifest bodies" in g for g in out):
        out.append(f"{plural(index.manifests_without_body, 'manifest')} without a body (config and layer sizes)")
    if not out and not index.complete:
        out.append("the snapshot is marked partial: registry-wide figures are lower bounds")
    return tuple(out)


def explanations(snapshot: Snapshot, index: StorageIndex, deduplicated: int,
                 service: int | None, gap_text: Sequence[str]) -> tuple[Explanation, ...]:
    """Why the service's figure and the deduplicated total differ, named from what the snapshot shows.

    Only reasons the snapshot gives evidence for are named with bytes; reclaim lag cannot be seen in a snapshot,
    so it is named (without bytes) whenever the service holds more than the manifests account for.
    """
    if service is None:
        return (Explanation("no-service-figure", "the service's Size usage was not collected, so there is nothing "
                                                 "to compare the deduplicated total with"),)
    out: list[Explanation] = []
    difference = service - deduplicated
    if gap_text:
        out.append(Explanation(
            "not-collected",
            "manifests not collected count in the service's figure but not in the total here, which is a lower "
            "bound: " + "; ".join(gap_text)))
    deleted = snapshot.deleted_artifacts
    policy = snapshot.registry.soft_delete_policy
    if deleted:
        held = sum(a.image_size or 0 for a in deleted)
        out.append(Explanation(
            "soft-deleted",
            f"{plural(len(deleted), 'soft-deleted artifact')} still stored and billed until autopurge; their "
            f"imageSize adds up to {human_bytes(held)}, an upper bound (layers they share with live images are "
            "stored once)", held))
    elif deleted is None and policy is not None and policy.enabled:
        out.append(Explanation(
            "soft-delete-unknown",
            "soft delete is enabled but the soft-deleted artifacts were not collected: they stay billed until "
            "autopurge and may explain part of the difference"))
    if difference > 0:
        out.append(Explanation(
            "reclaim-lag",
            "space freed by deletes is reclaimed asynchronously, so the service's figure lags behind recent "
            "deletes; a snapshot cannot show how much (the StorageUsed metric in Azure Monitor is the up-to-date "
            "figure)"))
    elif difference < 0:
        out.append(Explanation(
            "usage-lag",
            "the service's figure is updated asynchronously and has not caught up with recent pushes"))
    out.append(Explanation(
        "manifest-documents",
        "the total here counts configs and layers; manifest documents themselves (a few KiB each) are not counted"))
    return tuple(out)


def totals(snapshot: Snapshot, index: StorageIndex, repos: Sequence[RepositoryUsage],
           age_sets_of: Sequence[list[set[int]]], dangling: Sequence[Entry], dangling_freed: int,
           gap_text: Sequence[str]) -> Totals:
    deduplicated = index.deduplicated_total()
    size = snapshot.usage_named("Size")
    service = size.current if size is not None else None
    _, shared = index.shared_blobs()
    return Totals(
        repositories=len(repos),
        manifests=sum(r.manifests for r in repos),
        tags=sum(r.tags for r in repos),
        deduplicated_bytes=deduplicated,
        image_size_sum=sum(r.image_size_sum for r in repos),
        service_bytes=service,
        unexplained_bytes=None if service is None else service - deduplicated,
        shared_bytes=shared,
        dangling_freed_bytes=dangling_freed,
        dangling_manifests=len(dangling),
        age_bytes=age_bytes(merged_age_sets(age_sets_of), index.sizes),
        explanations=explanations(snapshot, index, deduplicated, service, gap_text),
    )
