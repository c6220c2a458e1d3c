"""An independent recount of the usage figures: plain sets of blob digests over the snapshot's manifests.

Written without :class:`~acrdoctor.storage.StorageIndex` or :mod:`acrdoctor.usage`: blobs are named by digest,
each figure is a set operation spelled out, so a mistake in the index arithmetic cannot be repeated here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from acrdoctor.model import Manifest, Repository, Snapshot


def blobs_of(snapshot: Snapshot, m: Manifest) -> set[str]:
    if m.layers is None:
        return set()
    out = {snapshot.blobs[i].digest for i in m.layers}
    if m.config is not None:
        out.add(snapshot.blobs[m.config].digest)
    return out


def sizes(snapshot: Snapshot) -> dict[str, int]:
    return {b.digest: b.size for b in snapshot.blobs}


def reached(repo: Repository) -> set[str]:
    """Digests a tag reaches: tagged manifests, children of reached indexes, referrers of reached subjects."""
    manifests = repo.manifests or ()
    found = {t.digest for t in repo.tags or ()} | {m.digest for m in manifests if m.tags}
    changed = True
    while changed:
        changed = False
        for m in manifests:
            if m.digest in found:
                continue
            parent = any(m.digest in p.references for p in manifests if p.digest in found)
            if parent or (m.subject is not None and m.subject in found):
                found.add(m.digest)
                changed = True
    return found


@dataclass
class Recount:
    snapshot: Snapshot
    size: dict[str, int] = field(init=False)
    #: repository -> blob digests its manifests reference
    held: dict[str, set[str]] = field(init=False)
    #: (repository, digest) of every dangling manifest
    dangling: set[tuple[str, str]] = field(init=False)

    def __post_init__(self) -> None:
        s = self.snapshot
        self.size = sizes(s)
        self.held = {r.name: set().union(*(blobs_of(s, m) for m in r.manifests or ())) for r in s.repositories or ()}
        self.dangling = set()
        for r in s.repositories or ():
            if r.manifests is None:
                continue
            keep = reached(r)
            self.dangling |= {(r.name, m.digest) for m in r.manifests if m.digest not in keep}

    def bytes(self, blobs: set[str]) -> int:
        return sum(self.size[b] for b in blobs)

    def users(self) -> dict[str, set[tuple[str, str]]]:
        """blob digest -> every (repository, manifest digest) referencing it."""
        out: dict[str, set[tuple[str, str]]] = {}
        for r in self.snapshot.repositories or ():
            for m in r.manifests or ():
                for b in blobs_of(self.snapshot, m):
                    out.setdefault(b, set()).add((r.name, m.digest))
        return out

    def freed(self, deleted: set[tuple[str, str]]) -> int:
        """Bytes of blobs every user of which is deleted."""
        return self.bytes({b for b, who in self.users().items() if who <= deleted})

    def holders(self, blob: str) -> set[str]:
        return {name for name, blobs in self.held.items() if blob in blobs}

    def exclusive(self, repo: str) -> int:
        return self.bytes({b for b in self.held[repo] if self.holders(b) == {repo}})

    def shared(self, repo: str) -> int:
        return self.bytes({b for b in self.held[repo] if len(self.holders(b)) > 1})

    def shared_with(self, repo: str) -> dict[str, int]:
        return {o: self.bytes(self.held[repo] & self.held[o]) for o in self.held if o != repo
                and self.held[repo] & self.held[o]}

    def dangling_of(self, repo: str) -> set[tuple[str, str]]:
        return {d for d in self.dangling if d[0] == repo}

    def dangling_held(self, repo: str) -> int:
        r = next(x for x in self.snapshot.repositories or () if x.name == repo)
        digests = {d for _, d in self.dangling_of(repo)}
        return self.bytes(set().union(*(blobs_of(self.snapshot, m) for m in r.manifests or ()
                                        if m.digest in digests)))

    def deduplicated(self) -> int:
        return self.bytes(set().union(*self.held.values()))

    def image_size_sum(self) -> int:
        return sum(m.image_size or 0 for r in self.snapshot.repositories or () for m in r.manifests or ())

    def age_bytes(self, now: datetime, repo: str | None, edges: tuple[int, ...] = (30, 90, 365)) -> dict[str, int]:
        """Blob bytes by the newest last update of the manifests (of ``repo``, or anywhere) using each blob."""
        from acrdoctor.times import last_change

        newest: dict[str, datetime | None] = {}
        seen: set[str] = set()
        for r in self.snapshot.repositories or ():
            if repo is not None and r.name != repo:
                continue
            for m in r.manifests or ():
                t = last_change(m)
                for b in blobs_of(self.snapshot, m):
                    seen.add(b)
                    old = newest.get(b)
                    if t is not None and (old is None or t > old):
                        newest[b] = t
        names = ["<30d", "30-90d", "90-365d", ">365d", "unknown"]
        out = dict.fromkeys(names, 0)
        for b in seen:
            t = newest.get(b)
            if t is None:
                out["unknown"] += self.size[b]
                continue
            days = (now - t).total_seconds() / 86400
            i = next((k for k, e in enumerate(edges) if days < e), len(edges))
            out[names[i]] += self.size[b]
        return out
