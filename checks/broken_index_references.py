"""Failure mode 7: multi-arch indexes and referrers whose other half is gone.

ACR lets a platform manifest be deleted while a tagged index still lists it, which breaks pulls of that
platform with MANIFEST_UNKNOWN (notes fact 15; Azure/acr-cli#131, #342). The opposite direction leaks
storage: deleting an index leaves its children behind, untagged (fact 16). And a signature or SBOM
whose subject is gone is clutter nobody can reach through the referrers API (fact 17).
Facts are from ``reference/notes/acr-semantics-and-peers.md`` section 4.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime

from acrdoctor.actions import Action, DeleteManifest, RegistryRef, SetAttributes, shell_join
from acrdoctor.check_api import Check, Context, Finding, Fix, Resource, Severity
from acrdoctor.model import Manifest, Part, Repository
from acrdoctor.storage import Entry
from acrdoctor.times import pushed_at
from acrdoctor.units import human_bytes, plural

from .dangling_manifests import is_locked

_DOCS = (
    "https://learn.microsoft.com/azure/container-registry/container-registry-delete",
    "https://learn.microsoft.com/azure/container-registry/container-registry-manage-artifact",
    "https://learn.microsoft.com/azure/container-registry/container-registry-concepts",
)


def _them(items: list[Manifest]) -> str:
    return "it" if len(items) == 1 else "them"


#: Platform manifests of one multi-arch push arrive within this many seconds of each other.
PUSH_WINDOW_SECONDS = 600


def _multi_platform(group: list[tuple[datetime, Manifest]]) -> list[Manifest]:
    """The group's manifests if it spans two or more platforms, else nothing."""
    if len({platform(m) for _, m in group}) < 2:
        return []
    return [m for _, m in group]


def platform(m: Manifest) -> str | None:
    """``os/architecture`` as docker names platforms, or ``None`` for artifacts without one."""
    if not (m.os or m.architecture):
        return None
    return f"{m.os or '?'}/{m.architecture or '?'}"


def tags_of(repo: Repository) -> dict[str, list[str]]:
    """Tags by digest, from the manifests and from the tag listing (either may be the one collected)."""
    out: dict[str, set[str]] = defaultdict(set)
    for m in repo.manifests or ():
        out[m.digest].update(m.tags)
    for t in repo.tags or ():
        out[t.digest].add(t.name)
    return {d: sorted(ts) for d, ts in out.items() if ts}


def reaching_tags(digest: str, parents: dict[str, set[str]], tags: dict[str, list[str]]) -> list[str]:
    """Tags from which ``digest`` is pulled: its own, or those of the indexes (or subjects) above it."""
    found: set[str] = set()
    seen: set[str] = set()
    stack = [digest]
    while stack:
        d = stack.pop()
        if d in seen:
            continue
        seen.add(d)
        found.update(tags.get(d, ()))
        stack.extend(parents.get(d, ()))
    return sorted(found)


def orphaned_referrers(by_digest: dict[str, Manifest]) -> list[Manifest]:
    """Referrers whose subject is missing, directly or through a chain (a signature of an orphaned SBOM).

    Ordered deepest first, so deleting in order never removes a subject before its own referrers
    (ACR may cascade referrer deletes, which would make a later delete answer 404; notes fact 17).
    """
    depth: dict[str, int] = {}

    def orphan_depth(m: Manifest, trail: frozenset[str]) -> int | None:
        if m.digest in depth:
            return depth[m.digest]
        if not m.subject:
            return None
        subject = by_digest.get(m.subject)
        if subject is None:
            depth[m.digest] = 0
            return 0
        if subject.digest in trail:
            return None
        below = orphan_depth(subject, trail | {m.digest})
        if below is None:
            return None
        depth[m.digest] = below + 1
        return below + 1

    result = [(d, m) for m in by_digest.values() if (d := orphan_depth(m, frozenset())) is not None]
    result.sort(key=lambda dm: (-dm[0], dm[1].digest))
    return [m for _, m in result]


def _left_behind(repo: Repository, by_digest: dict[str, Manifest], index: Manifest, parents: dict[str, set[str]],
                 tags: dict[str, list[str]]) -> list[Manifest]:
    """The index's present children that deleting it would leave dangling: untagged, listed by no other manifest,
    and deletable (a locked child is a deliberate pin and stays).

    ACR does not delete an index's children with it (notes fact 16), so without these deletes the fix that removes
    a broken index leaves its platform manifests for a second round of dangling-manifests.
    """
    out = []
    for digest in dict.fromkeys(index.references):
        child = by_digest.get(digest)
        if child is None or tags.get(digest) or parents.get(digest, set()) - {index.digest} or is_locked(repo, child):
            continue
        out.append(child)
    return out


class BrokenIndexReferences(Check):
    slug = "broken-index-references"
    title = "Multi-arch indexes with missing platforms, orphaned children and referrers"
    severity = Severity.HIGH
    needs = frozenset({Part.MANIFESTS})
    uses = frozenset({Part.TAGS, Part.MANIFEST_BODIES})
    failure_mode = "Pulls by tag fail with MANIFEST_UNKNOWN after a clean-up, or an index delete freed nothing"
    cause = (
        "ACR does not track references between manifests when deleting: a platform manifest can be deleted while "
        "a tagged index still lists it, and deleting an index or a subject leaves its children or referrers behind."
    )
    docs = _DOCS

    def run(self, ctx: Context) -> Iterator[Finding]:
        reg = ctx.snapshot.registry
        ref = RegistryRef(reg.name, reg.resource_group)
        for ri, repo in enumerate(ctx.storage.repositories):
            if repo.manifests is None:
                continue
            yield from self._broken_indexes(ctx, ri, repo, ref)
            orphans = self._orphan_children(repo)
            if orphans:
                yield self._orphan_children_finding(ctx, ri, repo, ref, orphans)
            referrers = orphaned_referrers(repo.manifest_by_digest())
            if referrers:
                yield self._orphan_referrers_finding(ctx, ri, repo, ref, referrers)

    # -- (a) indexes that list a manifest the repository no longer has ---------------------------------

    def _broken_indexes(self, ctx: Context, ri: int, repo: Repository, ref: RegistryRef) -> Iterator[Finding]:
        by_digest = repo.manifest_by_digest()
        kept = ctx.storage.kept(ri)
        tags = tags_of(repo)
        parents: dict[str, set[str]] = defaultdict(set)
        for m in repo.manifests or ():
            for child in m.references:
                parents[child].add(m.digest)
            if m.subject:
                parents[m.digest].add(m.subject)
        for m in repo.manifests or ():
            if not m.is_index or m.digest not in kept:
                continue
            missing = [c for c in m.references if c not in by_digest]
            if not missing:
                continue
            present = sorted({p for c in m.references if c in by_digest and (p := platform(by_digest[c]))})
            reached_by = reaching_tags(m.digest, parents, tags)
            left = _left_behind(repo, by_digest, m, parents, tags)
            via = {0: "a tag", 1: "tag "}.get(len(reached_by), "tags ") + ", ".join(reached_by)
            still = f"; it still serves {', '.join(present)}" if present else "; none of its children is left"
            fix = Fix(
                summary="Re-push the multi-arch image from its build; if it is no longer wanted, delete the broken "
                        "index instead (this also deletes its tags)"
                        + (f" and the {plural(len(left), 'child manifest')} only it references, which would "
                           "otherwise stay behind untagged." if left else "."),
                actions=(DeleteManifest(ref, repo.name, m.digest),
                         *(DeleteManifest(ref, repo.name, c.digest) for c in left)),
                notes=(
                    "No az command can bring a deleted manifest back; rebuild and push the image, or re-import it "
                    "with az acr import --source <original image> if it came from another registry.",
                    "The snapshot records only child digests, so the missing platforms cannot be named; a child "
                    "locked with list-enabled=false is hidden from listings but not gone: check one with "
                    + shell_join(["az", "acr", "manifest", "show-metadata", "--registry", ref.name, "--name",
                                  f"{repo.name}@{missing[0]}"]),
                ),
            )
            yield self.finding(
                Resource.manifest(repo.name, m.digest),
                f"index pulled by {via} lists {plural(len(missing), 'child manifest')} that the repository no "
                f"longer has ({', '.join(missing)}); pulls resolving to {'it' if len(missing) == 1 else 'them'} "
                f"fail with MANIFEST_UNKNOWN{still}",
                fix=fix,
                cause="ACR let the platform manifests be deleted while this index still referenced them (it does not "
                      "protect index children), so the index now points at manifests that do not exist.",
                details={
                    "repository": repo.name, "index": m.digest, "tags": reached_by, "missing_children": missing,
                    "children": len(m.references), "present_platforms": present,
                    "children_left_behind": [c.digest for c in left],
                },
            )

    # -- (b) single-platform manifests no index references any more ------------------------------------

    @staticmethod
    def _orphan_children(repo: Repository) -> list[Manifest]:
        """Untagged, unlocked platform manifests outside every index that look like one multi-arch push.

        A heuristic with a narrow trigger: ``docker buildx`` pushes all platforms of an image together,
        so two or more *different* platforms pushed within ``PUSH_WINDOW`` of each other, none of them
        tagged or referenced by an index, are most likely the children of an index that was deleted. A
        lone untagged single-platform image is an ordinary re-pushed tag (dangling-manifests covers it).
        Locked manifests are left out because a lock on an untagged digest is usually a deliberate pin.
        """
        manifests = repo.manifests or ()
        if len(manifests) < 2:
            return []
        tagged = set(tags_of(repo))
        referenced = {c for m in manifests if m.references for c in m.references}
        candidates = []
        for m in manifests:
            if m.tags or m.subject or m.references or m.digest in tagged or m.digest in referenced:
                continue
            if m.attributes.blocks_delete or not platform(m) or m.is_index:
                continue
            t = pushed_at(m)
            if t is not None:
                candidates.append((t, m))
        if len(candidates) < 2:
            return []
        candidates.sort(key=lambda tm: tm[0])
        out: list[Manifest] = []
        group = [candidates[0]]
        for tm in candidates[1:]:
            if (tm[0] - group[-1][0]).total_seconds() <= PUSH_WINDOW_SECONDS:
                group.append(tm)
                continue
            out.extend(_multi_platform(group))
            group = [tm]
        out.extend(_multi_platform(group))
        return out

    def _orphan_children_finding(self, ctx: Context, ri: int, repo: Repository, ref: RegistryRef,
                                 orphans: list[Manifest]) -> Finding:
        freed, shown = self._freed(ctx, [(ri, m) for m in orphans])
        platforms = Counter(platform(m) or "?" for m in orphans)
        by_platform = ", ".join(f"{p} ×{n}" for p, n in sorted(platforms.items()))
        actions: tuple[Action, ...] = tuple(DeleteManifest(ref, repo.name, m.digest) for m in orphans)
        fix = Fix(
            summary="Delete the orphaned platform manifests by digest.",
            actions=actions,
            notes=("This is a heuristic: check that nothing pulls these digests directly (for example "
                   "deployments pinned to a platform digest) before deleting.",),
        )
        return self.finding(
            Resource.repository(repo.name),
            f"{plural(len(orphans), 'untagged single-platform manifest')} ({by_platform}) that no index "
            f"references; likely children left behind by deleted multi-arch indexes. Deleting "
            f"{_them(orphans)} frees {shown}",
            fix=fix,
            severity=Severity.LOW,
            cause="Deleting a multi-arch index does not delete its platform manifests; they stay stored, untagged, "
                  "until something deletes them by digest.",
            details={
                "repository": repo.name, "manifests": len(orphans), "digests": [m.digest for m in orphans],
                "platforms": dict(sorted(platforms.items())), "freed_bytes": freed,
                "bytes_exact": ctx.storage.complete,
            },
        )

    # -- (c) referrers whose subject is gone ------------------------------------------------------------

    def _orphan_referrers_finding(self, ctx: Context, ri: int, repo: Repository, ref: RegistryRef,
                                  referrers: list[Manifest]) -> Finding:
        freed, shown = self._freed(ctx, [(ri, m) for m in referrers])
        actions: list[Action] = []
        locked = 0
        for m in referrers:
            if m.attributes.blocks_delete:
                locked += 1
                actions.append(SetAttributes(ref, repo.name, digest=m.digest))
            actions.append(DeleteManifest(ref, repo.name, m.digest))
        missing = sorted({m.subject for m in referrers if m.subject and m.subject not in repo.manifest_by_digest()})
        notes = ["Deepest referrers come first, so a signature of an SBOM goes before the SBOM."]
        if locked:
            notes.append(f"{plural(locked, 'referrer is', 'referrers are')} locked and unlocked first.")
        fix = Fix(
            summary="Delete the orphaned referrers by digest.",
            actions=tuple(actions),
            notes=tuple(notes),
        )
        return self.finding(
            Resource.repository(repo.name),
            f"{plural(len(referrers), 'referrer')} (signatures, SBOMs or other artifacts) whose subject manifest "
            f"is not in the repository ({plural(len(missing), 'missing subject')}); nothing can reach "
            f"{_them(referrers)} through "
            f"the image any more. Deleting {_them(referrers)} frees {shown}",
            fix=fix,
            severity=Severity.LOW,
            cause="The subject was deleted in a way that did not cascade to its referrers, or the artifacts were "
                  "pushed for a subject that was never pushed; ACR keeps such referrers until deleted by digest.",
            details={
                "repository": repo.name, "referrers": [m.digest for m in referrers], "missing_subjects": missing,
                "locked": locked, "freed_bytes": freed, "bytes_exact": ctx.storage.complete,
            },
        )

    @staticmethod
    def _freed(ctx: Context, entries: list[Entry]) -> tuple[int, str]:
        freed = ctx.storage.freed_by(entries)
        return freed, ("" if ctx.storage.complete else "at least ") + human_bytes(freed)
