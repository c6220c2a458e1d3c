"""Registry-wide storage arithmetic: what is kept, what is dangling, what a delete would free.

ACR stores each config and layer blob once per registry, whatever the number of manifests and
repositories that use it (ACR concepts docs). So the bytes a deletion frees are the blobs referenced
*only* by the deleted manifests, anywhere in the registry, and ``imageSize`` (per manifest, not
deduplicated) cannot answer that. Everything here is computed from the snapshot's blob table with
plain integer indexes, which keeps a 2,000,000-reference registry within a few seconds.

Byte figures count config and layer blobs. Manifest documents themselves (a few KiB each) are not
counted; figures are exact for the blobs whose sizes were collected and are flagged as lower
bounds when some manifest bodies were not.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from acrdoctor.model import Manifest, Repository, Snapshot

#: A manifest entry: (index of its repository in ``snapshot.repositories``, the manifest).
Entry = tuple[int, Manifest]


@dataclass(frozen=True, slots=True)
class RepositoryStorage:
    """Bytes a repository holds alone (freed by deleting it) and bytes it shares with others."""

    repository: str
    exclusive_bytes: int
    shared_bytes: int
    image_size_sum: int
    manifests: int


class StorageIndex:
    """Reference counts and reachability over every manifest of a snapshot, built once per run."""

    def __init__(self, snapshot: Snapshot, *, find_holders: bool = True) -> None:
        """``find_holders=False`` makes :meth:`deletion` skip naming holders: that lookup reads every repository,
        too slow for a caller evaluating thousands of deletions that shows no holders (``acrdoctor usage``)."""
        self.snapshot = snapshot
        self.find_holders = find_holders
        self.repositories: tuple[Repository, ...] = snapshot.repositories or ()
        self.sizes: list[int] = [b.size for b in snapshot.blobs]
        n = len(self.sizes)
        refcount = [0] * n
        # Owner repository of each blob: -1 unused, -2 used by several repositories.
        owner = [-1] * n
        missing_bodies = 0
        for ri, repo in enumerate(self.repositories):
            refs: list[int] = []
            for m in repo.manifests or ():
                if m.layers is None:
                    if not m.is_index:
                        missing_bodies += 1
                    continue
                if m.config is not None:
                    refs.append(m.config)
                refs.extend(m.layers)
            # Counting per repository first keeps the Python-level loop to distinct blobs of a
            # repository instead of every layer reference (millions on a large registry).
            for b, c in Counter(refs).items():
                refcount[b] += c
                owner[b] = ri if owner[b] == -1 else -2
        self.refcount = refcount
        self.owner = owner
        self.manifests_without_body = missing_bodies
        self._kept: list[set[str]] | None = None

    # -- completeness -------------------------------------------------------------------------------

    @cached_property
    def complete(self) -> bool:
        """True when every manifest's blobs are known, so byte figures are exact, not lower bounds."""
        return (
            self.manifests_without_body == 0
            and all(r.manifests is not None for r in self.repositories)
            and not self.snapshot.partial
        )

    # -- totals ---------------------------------------------------------------------------------------

    def deduplicated_total(self) -> int:
        """Bytes of distinct blobs referenced by any manifest: what the registry stores."""
        sizes = self.sizes
        return sum(sizes[b] for b, c in enumerate(self.refcount) if c)

    def image_size_sum(self) -> int:
        return sum(m.image_size or 0 for r in self.repositories for m in r.manifests or ())

    def freed_by(self, entries: Iterable[Entry]) -> int:
        """Bytes freed if exactly these manifest entries were deleted (blobs nobody else uses).

        An entry listed twice counts once, so callers may pass overlapping selections.
        """
        refcount, sizes = self.refcount, self.sizes
        return sum(sizes[b] for b, c in _local_refs(entries).items() if c == refcount[b])

    def shared_blobs(self) -> tuple[int, int]:
        """(count, deduplicated bytes) of blobs that more than one repository uses."""
        sizes = self.sizes
        shared = [b for b, o in enumerate(self.owner) if o == -2]
        return len(shared), sum(sizes[b] for b in shared)

    def deletion(self, entries: Iterable[Entry], limit: int = 5) -> tuple[int, int, dict[str, int]]:
        """``(freed bytes, retained bytes, holders)`` of one deletion, counting its references once.

        Holders are the other repositories that keep the retained blobs, most bytes first, at most ``limit``.

        Retained bytes are those of the deleted manifests' blobs that other manifests keep; holders are only
        looked up when they are not zero.
        """
        chosen = list(entries)
        freed, retained = self._split(_local_refs(chosen))
        sizes = self.sizes
        kept = sum(sizes[b] for b in retained)
        return freed, kept, (self._holders(chosen, retained, limit) if kept and self.find_holders else {})

    def _split(self, local: Counter[int]) -> tuple[int, set[int]]:
        """Bytes of the blobs only ``local`` references, and the set of the others."""
        refcount, sizes = self.refcount, self.sizes
        freed = 0
        retained: set[int] = set()
        for b, c in local.items():
            if c == refcount[b]:
                freed += sizes[b]
            else:
                retained.add(b)
        return freed, retained

    def _holders(self, chosen: list[Entry], retained: set[int], limit: int) -> dict[str, int]:
        if not retained:
            return {}
        sizes = self.sizes
        skip: dict[int, set[str]] = defaultdict(set)
        for ri, m in chosen:
            skip[ri].add(m.digest)
        held: dict[str, int] = defaultdict(int)
        for ri, repo in enumerate(self.repositories):
            # Flatten the repository's references, then intersect in C, rather than test each reference.
            flat: list[int] = []
            append, extend = flat.append, flat.extend
            gone = skip.get(ri)
            for m in repo.manifests or ():
                if m.layers is None or (gone is not None and m.digest in gone):
                    continue
                if m.config is not None:
                    append(m.config)
                extend(m.layers)
            hit = retained.intersection(flat)
            if hit:
                held[repo.name] += sum(sizes[b] for b in hit)
        top = sorted(held.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        return dict(top)

    @cached_property
    def repository_blobs(self) -> list[set[int]]:
        """The distinct blobs each repository's manifests reference, by repository index."""
        out: list[set[int]] = []
        for repo in self.repositories:
            seen: set[int] = set()
            for m in repo.manifests or ():
                seen.update(_blob_refs(m))
            out.append(seen)
        return out

    def shared_with(self) -> list[dict[int, int]]:
        """For each repository, the bytes it shares with each other repository (other repository index -> bytes).

        A blob held by k repositories counts for every pair of them, so these figures overlap and do not add
        up to a repository's shared bytes. Blobs are grouped by the exact set of repositories holding them
        first: registries have far fewer such sets than shared blobs, and each set costs k² additions once.
        """
        owner, sizes = self.owner, self.sizes
        holders: dict[int, list[int]] = defaultdict(list)
        for ri, blobs in enumerate(self.repository_blobs):
            for b in blobs:
                if owner[b] == -2:
                    holders[b].append(ri)
        groups: dict[tuple[int, ...], int] = defaultdict(int)
        for b, repos in holders.items():
            groups[tuple(repos)] += sizes[b]
        out: list[dict[int, int]] = [defaultdict(int) for _ in self.repositories]
        for repos, size in groups.items():
            for ri in repos:
                row = out[ri]
                for other in repos:
                    if other != ri:
                        row[other] += size
        return [dict(row) for row in out]

    def per_repository(self) -> list[RepositoryStorage]:
        """Exclusive versus shared bytes of each repository (registry-wide deduplication)."""
        exclusive = [0] * len(self.repositories)
        shared_by_repo = [0] * len(self.repositories)
        size_of, owner = self.sizes.__getitem__, self.owner
        for ri, seen in enumerate(self.repository_blobs):
            total = sum(map(size_of, seen))
            exclusive[ri] = sum(map(size_of, [b for b in seen if owner[b] == ri]))
            shared_by_repo[ri] = total - exclusive[ri]
        return [
            RepositoryStorage(
                repository=repo.name,
                exclusive_bytes=exclusive[ri],
                shared_bytes=shared_by_repo[ri],
                image_size_sum=sum(m.image_size or 0 for m in repo.manifests or ()),
                manifests=len(repo.manifests or ()),
            )
            for ri, repo in enumerate(self.repositories)
        ]

    # -- reachability ---------------------------------------------------------------------------------

    def kept(self, repo_index: int) -> set[str]:
        """Digests reachable from the repository's tags through index children and referrers.

        A tagged manifest is kept; so is every child of a kept index and every referrer whose
        subject is kept (signatures and SBOMs live and die with their image).
        """
        if self._kept is None:
            self._kept = [self._reachable(r) for r in self.repositories]
        return self._kept[repo_index]

    @staticmethod
    def _reachable(repo: Repository) -> set[str]:
        manifests = repo.manifests or ()
        by_digest = {m.digest: m for m in manifests}
        referrers: dict[str, list[str]] = defaultdict(list)
        for m in manifests:
            if m.subject:
                referrers[m.subject].append(m.digest)
        tagged = {t.digest for t in repo.tags or ()}
        stack = [m.digest for m in manifests if m.tags or m.digest in tagged]
        kept: set[str] = set()
        while stack:
            d = stack.pop()
            if d in kept:
                continue
            kept.add(d)
            m = by_digest.get(d)
            if m is not None:
                stack.extend(m.references)
            stack.extend(referrers.get(d, ()))
        return kept

    def dangling(self) -> list[Entry]:
        """Manifests no tag reaches: untagged, not a child of a kept index, not a referrer of a kept subject."""
        out: list[Entry] = []
        for ri, repo in enumerate(self.repositories):
            if repo.manifests is None:
                continue
            kept = self.kept(ri)
            out.extend((ri, m) for m in repo.manifests if m.digest not in kept)
        return out


def _blob_refs(m: Manifest) -> tuple[int, ...]:
    """The blob indexes a manifest holds, or none when its body was not collected.

    Matches the reference counting in :class:`StorageIndex`, which ignores bodiless manifests, so a
    deletion's local count can be compared with the registry-wide count blob by blob.
    """
    if m.layers is None:
        return ()
    if m.config is None:
        return m.layers
    return (m.config, *m.layers)


def _local_refs(entries: Iterable[Entry]) -> Counter[int]:
    """Blob reference counts within a selection of manifests, each distinct entry counted once."""
    # The same entry is the same Manifest object, so identity is enough (and much cheaper than (ri, digest)).
    unique = {id(m): m for _, m in entries}
    flat: list[int] = []
    extend = flat.extend
    for m in unique.values():
        if m.layers is not None:
            if m.config is not None:
                flat.append(m.config)
            extend(m.layers)
    return Counter(flat)
