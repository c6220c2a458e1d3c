"""Failure mode 4: untagged manifests that no tag reaches keep their layers stored and billed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from acrdoctor.actions import DeleteManifest, RegistryRef, RunPurge, SetAttributes, SetRetentionPolicy
from acrdoctor.check_api import Check, Context, Finding, Fix, Related, Resource, Severity
from acrdoctor.model import Manifest, Part, Registry, Repository
from acrdoctor.storage import Entry
from acrdoctor.times import last_change, parse_time
from acrdoctor.units import human_bytes, plural

from .geo_replication import geo_note


def is_locked(repo: Repository, m: Manifest) -> bool:
    """A manifest lock, or a repository with writeEnabled=false, blocks deleting it (image-lock docs)."""
    return m.attributes.blocks_delete or not repo.attributes.write_enabled


def purge_filter(repository: str) -> str:
    """``acr purge`` anchors the repository part as a regex, so a literal dot must be escaped."""
    return repository.replace(".", "\\.") + ":.*"


def _delete_order(m: Manifest) -> tuple[int, str, str]:
    """Referrers first, then indexes, then images: no delete then hits a manifest ACR already cascaded away.

    ACR removes a subject's referrers with it (acr-semantics notes §4 fact 17), so deleting a
    signature after its subject would answer 404; deleting an index before its children never
    leaves an index pointing at a missing child, even for a moment.
    """
    group = 0 if m.subject else 1 if m.is_index else 2
    return (group, m.updated or m.created or "", m.digest)


class DanglingManifests(Check):
    slug = "dangling-manifests"
    title = "Untagged manifests that no tag reaches still hold storage"
    severity = Severity.LOW
    needs = frozenset({Part.MANIFESTS})
    uses = frozenset({Part.TAGS, Part.MANIFEST_BODIES})
    failure_mode = "Storage did not go down after re-pushing tags, untagging or a tags-only purge"
    cause = (
        "Pushing a new image under an existing tag, or untagging, leaves the old manifest untagged but stored: "
        "untag is not delete, and its layers stay billed until the manifest is deleted by digest."
    )
    docs = (
        "https://learn.microsoft.com/azure/container-registry/container-registry-delete",
        "https://learn.microsoft.com/azure/container-registry/container-registry-concepts",
        "https://learn.microsoft.com/azure/container-registry/container-registry-retention-policy",
        "https://learn.microsoft.com/azure/container-registry/container-registry-auto-purge",
    )

    def run(self, ctx: Context) -> Iterator[Finding]:
        snapshot, storage = ctx.snapshot, ctx.storage
        dangling = storage.dangling()
        if not dangling:
            return
        by_repo: dict[int, list[Entry]] = defaultdict(list)
        for ri, m in dangling:
            by_repo[ri].append((ri, m))
        total_freed = storage.freed_by(dangling)
        complete = storage.complete
        at_least = "" if complete else "at least "
        now = parse_time(snapshot.collected_at)
        reg = snapshot.registry
        ref = RegistryRef(reg.name, reg.resource_group)
        for ri, entries in by_repo.items():
            repo = storage.repositories[ri]
            manifests = sorted((m for _, m in entries), key=_delete_order)
            locked = [m for m in manifests if is_locked(repo, m)]
            deletable = [m for m in manifests if not is_locked(repo, m)]
            freed = storage.freed_by(entries)
            freed_deletable = storage.freed_by((ri, m) for m in deletable) if locked else freed
            oldest = min((t for t in map(last_change, manifests) if t is not None), default=None)
            oldest_days = (now - oldest).days if now is not None and oldest is not None else None

            them = "it" if len(manifests) == 1 else "them"
            parts = [f"{plural(len(manifests), 'untagged manifest')} that no tag reaches",
                     f"deleting {them} frees {at_least}{human_bytes(freed)} (blobs no other manifest in the registry "
                     "uses)"]
            if oldest_days is not None:
                parts.append(f"oldest last updated {plural(oldest_days, 'day')} ago")
            if locked:
                parts.append(f"{len(locked):,} of them locked and cannot be deleted without unlocking")
            details: dict[str, object] = {
                "count": len(manifests),
                "digests": [m.digest for m in manifests],
                "freed_bytes": freed,
                "deletable_freed_bytes": freed_deletable,
                "locked_count": len(locked),
                "locked_digests": [m.digest for m in locked],
                "repository_write_locked": not repo.attributes.write_enabled,
                "oldest_last_update": oldest.isoformat() if oldest else None,
                "oldest_age_days": oldest_days,
                "registry_dangling_count": len(dangling),
                "registry_dangling_freed_bytes": total_freed,
                "complete": complete,
            }
            yield self.finding(
                Resource.repository(repo.name),
                "; ".join(parts),
                fix=self._fix(ref, reg, repo, deletable, locked, geo_note(snapshot)),
                details=details,
            )

    def _fix(self, ref: RegistryRef, reg: Registry, repo: Repository, deletable: list[Manifest],
             locked: list[Manifest], geo: str | None = None) -> Fix:
        purge = RunPurge(ref, filters=(purge_filter(repo.name),), ago="0d", untagged_only=True)
        related = [Related(
            "alternative",
            "Let acr purge find them (like acrdoctor it keeps children of indexes that stay and every manifest "
            "with a subject, which ACR deletes together with its subject).",
            (purge,),
        )]
        notes = ["Space is reclaimed asynchronously after the deletes; the registry's Size usage follows later."]
        if geo:
            notes.append(geo)
        if locked:
            notes.append(
                f"{plural(len(locked), 'locked manifest')} {'is' if len(locked) == 1 else 'are'} left out: "
                "a lock on an untagged manifest is often deliberate (pinned by digest); their digests are in the "
                "details. Unlock one only once nothing pulls it."
            )
            first = locked[0].digest
            related.append(Related(
                "unlock",
                f"Unlock a locked one (here {first[:19]}…) and delete it, once nothing pulls it by digest.",
                (SetAttributes(ref, repo.name, digest=first), DeleteManifest(ref, repo.name, first)),
            ))
        retention = self._retention(ref, reg)
        if retention is not None:
            related.append(retention)
        if not deletable:
            summary = "Every dangling manifest here is locked: unlock only those nothing pulls, then delete them."
        elif len(deletable) == 1:
            summary = "Delete the dangling manifest by digest."
        else:
            summary = f"Delete the {len(deletable):,} dangling manifests by digest."
        return Fix(
            summary=summary,
            actions=tuple(DeleteManifest(ref, repo.name, m.digest) for m in deletable),
            notes=tuple(notes),
            related=tuple(related),
        )

    @staticmethod
    def _retention(ref: RegistryRef, reg: Registry) -> Related | None:
        """The retention policy prevents new dangling manifests, within its documented limits.

        Premium only, exclusive with soft delete, covers only manifests untagged after it is
        enabled and only Docker media types (acr-semantics notes §4 facts 20, 22).
        """
        soft = reg.soft_delete_policy
        retention = reg.retention_policy
        if not reg.is_premium or (soft is not None and soft.enabled):
            return None
        if retention is not None and retention.enabled:
            return None
        days = retention.days if retention is not None and retention.days is not None else 7
        return Related(
            "prevent",
            "Enable the retention policy so new ones do not pile up; it only deletes manifests untagged after it "
            "is enabled (not these ones) and skips OCI manifests and indexes.",
            (SetRetentionPolicy(ref, enabled=True, days=days),),
        )
