"""Failure mode 8: the retention policy is enabled but untagged manifests are not going away.

Every rule used here is in the ACR retention-policy and soft-delete docs, summarised with sources in
``reference/notes/acr-semantics-and-peers.md`` section 4, facts 14 and 20-22:

* the policy works on Premium registries only (fact 20);
* it handles only Docker v2 manifests and Docker manifest lists, not OCI image manifests or OCI
  indexes (fact 20);
* it schedules a deletion when a manifest is *untagged*, so manifests untagged before it was enabled
  are never scheduled (fact 20);
* it skips manifests with ``delete-enabled=false`` (fact 14);
* soft delete and the retention policy cannot be used together (fact 22).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from acrdoctor.actions import (
    Action,
    DeleteManifest,
    RegistryRef,
    RunPurge,
    SchedulePurgeTask,
    SetAttributes,
    SetRetentionPolicy,
    SetSoftDeletePolicy,
    UpgradeSku,
)
from acrdoctor.check_api import Check, Context, Finding, Fix, Related, Resource, Severity
from acrdoctor.model import Part, Registry, Snapshot
from acrdoctor.storage import Entry
from acrdoctor.times import last_change, parse_time
from acrdoctor.units import human_bytes, plural

from .resource_locks import with_lock_note

#: The only media types the policy acts on (retention-policy docs; notes fact 20).
DOCKER_TYPES = frozenset({
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
})

#: Days the policy keeps an untagged manifest when the registry does not say (docs default; notes fact 20).
DEFAULT_DAYS = 7

#: Up to this many repositories get their own ``--filter``; beyond it one registry-wide filter is shorter.
MAX_REPOSITORY_FILTERS = 10

#: Characters with a meaning in acr purge's regular expressions that may occur in a repository name.
_REGEX_SPECIAL = re.compile(r"([.\\+*?()\[\]{}|^$])")

_DOCS = (
    "https://learn.microsoft.com/azure/container-registry/container-registry-retention-policy",
    "https://learn.microsoft.com/azure/container-registry/container-registry-soft-delete-policy",
    "https://learn.microsoft.com/azure/container-registry/container-registry-skus",
    "https://learn.microsoft.com/azure/container-registry/container-registry-auto-purge",
)


def reference_time(snapshot: Snapshot) -> datetime | None:
    """When the snapshot was taken; failing that, its newest manifest time, which can only make ages smaller."""
    now = parse_time(snapshot.collected_at)
    if now is not None:
        return now
    times = [t for r in snapshot.repositories or () for m in r.manifests or () if (t := last_change(m))]
    return max(times, default=None)


def purge_filter(repository: str) -> str:
    """A ``--filter`` that matches exactly this repository (acr purge anchors the repository part)."""
    return _REGEX_SPECIAL.sub(r"\\\1", repository) + ":.*"


def purge_for(ref: RegistryRef, repositories: Iterable[str], days: int) -> RunPurge:
    names = sorted(set(repositories))
    filters = tuple(purge_filter(n) for n in names) if len(names) <= MAX_REPOSITORY_FILTERS else (".*:.*",)
    return RunPurge(ref, filters, ago=f"{days}d", untagged_only=True)


@dataclass(frozen=True, slots=True)
class Leftovers:
    """Untagged manifests the policy should have removed by now, split by why it did not."""

    oci: list[Entry]
    docker: list[Entry]
    docker_locked: list[Entry]


def leftovers(ctx: Context, days: int) -> Leftovers | None:
    """Unreachable manifests whose last change is more than ``days`` old; ``None`` without a clock.

    Referrers are left out: ACR deletes them with their subject, and acr purge never deletes them.
    Manifests without a media type are left out too: nobody can say whether the policy covers them.
    """
    now = reference_time(ctx.snapshot)
    if now is None:
        return None
    cutoff = now - timedelta(days=days)
    out = Leftovers([], [], [])
    for ri, m in ctx.storage.dangling():
        if m.subject or not m.media_type:
            continue
        changed = last_change(m)
        if changed is None or changed >= cutoff:
            continue
        if m.media_type not in DOCKER_TYPES:
            out.oci.append((ri, m))
        elif m.attributes.blocks_delete:
            out.docker_locked.append((ri, m))
        else:
            out.docker.append((ri, m))
    return out


class RetentionPolicy(Check):
    slug = "retention-policy"
    title = "Retention policy enabled but untagged manifests stay"
    severity = Severity.MEDIUM
    needs = frozenset({Part.REGISTRY})
    uses = frozenset({Part.MANIFESTS, Part.TAGS, Part.MANIFEST_BODIES})
    failure_mode = "The retention policy is enabled, yet untagged manifests are never deleted"
    cause = (
        "ACR's retention policy works only on Premium registries, only for Docker v2 manifest and manifest-list "
        "media types, only for manifests untagged after it was enabled, never for locked manifests, and not "
        "together with soft delete."
    )
    docs = _DOCS

    def run(self, ctx: Context) -> Iterator[Finding]:
        reg = ctx.snapshot.registry
        policy = reg.retention_policy
        if policy is None or not policy.enabled:
            return
        ref = RegistryRef(reg.name, reg.resource_group)
        days = policy.days if policy.days is not None else DEFAULT_DAYS
        if not reg.is_premium:
            yield with_lock_note(ctx.snapshot, self._not_premium(reg, ref, days))
        soft = reg.soft_delete_policy
        if soft is not None and soft.enabled:
            yield with_lock_note(ctx.snapshot, self._with_soft_delete(reg, ref, days, soft.days))
        if not reg.is_premium or not ctx.snapshot.has(Part.MANIFESTS):
            return
        left = leftovers(ctx, days)
        if left is None:
            return
        if left.oci:
            yield self._oci(ctx, ref, days, left.oci)
        if left.docker or left.docker_locked:
            yield self._untagged_before(ctx, ref, days, left.docker, left.docker_locked)

    # -- registry settings ----------------------------------------------------------------------------

    def _not_premium(self, reg: Registry, ref: RegistryRef, days: int) -> Finding:
        task = SchedulePurgeTask(ref, days)
        fix = Fix(
            summary="Upgrade the registry to Premium so the policy runs, or let a scheduled acr purge task do its job.",
            actions=(UpgradeSku(ref),),
            related=(Related(
                "alternative",
                f"Without upgrading (Premium costs more), schedule a daily ACR task that deletes untagged manifests "
                f"older than {days} days on any SKU, OCI media types included.",
                (task,),
            ),),
        )
        sku = reg.sku or "unknown"
        return self.finding(
            Resource.registry(reg.name),
            f"retention policy is enabled ({days} days) on a {sku} registry; it runs only on Premium, so it "
            "deletes nothing",
            fix=fix,
            cause="The retention policy for untagged manifests is a Premium-only feature; on other SKUs the "
                  "setting is kept but never acted on.",
            details={"sku": reg.sku, "retention_days": days},
        )

    def _with_soft_delete(self, reg: Registry, ref: RegistryRef, days: int, soft_days: int | None) -> Finding:
        keep_soft = SetRetentionPolicy(ref, enabled=False, days=days)
        fix = Fix(
            summary="Keep one of the two policies: disable soft delete so the retention policy can work.",
            actions=(SetSoftDeletePolicy(ref, enabled=False),),
            notes=("Soft-deleted artifacts are billed until soft delete purges them.",),
            related=(Related(
                "alternative",
                "If restorable deletes matter more than automatic clean-up, disable the retention policy instead "
                "and clean up untagged manifests with acr purge.",
                (keep_soft,),
            ),),
        )
        return self.finding(
            Resource.registry(reg.name),
            f"retention policy ({days} days) and soft delete ({soft_days if soft_days is not None else '?'} days) "
            "are both enabled; ACR does not support the two together, so the retention policy cannot be relied on",
            fix=fix,
            cause="ACR documents soft delete and the retention policy as mutually exclusive: they cannot be used "
                  "together, so a registry showing both is in a state ACR does not support.",
            details={"retention_days": days, "soft_delete_days": soft_days},
        )

    # -- what the policy left behind -----------------------------------------------------------------

    def _bytes(self, ctx: Context, entries: list[Entry]) -> tuple[int, str]:
        freed = ctx.storage.freed_by(entries)
        prefix = "" if ctx.storage.complete else "at least "
        return freed, prefix + human_bytes(freed)

    def _per_repository(self, ctx: Context, entries: list[Entry]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for ri, _ in entries:
            name = ctx.storage.repositories[ri].name
            counts[name] = counts.get(name, 0) + 1
        return dict(sorted(counts.items()))

    def _oci(self, ctx: Context, ref: RegistryRef, days: int, entries: list[Entry]) -> Finding:
        freed, shown = self._bytes(ctx, entries)
        per_repo = self._per_repository(ctx, entries)
        types: dict[str, int] = {}
        for _, m in entries:
            types[m.media_type or ""] = types.get(m.media_type or "", 0) + 1
        fix = Fix(
            summary=f"Delete them with acr purge (untagged manifests older than {days} days, in "
                    f"{plural(len(per_repo), 'repository', 'repositories')}).",
            actions=(purge_for(ref, per_repo, days),),
            related=(Related(
                "prevent",
                "Schedule a daily purge as an ACR task to keep OCI images clean: the retention policy will never "
                "handle them.",
                (SchedulePurgeTask(ref, days),),
            ),),
        )
        return self.finding(
            Resource.registry(ctx.snapshot.registry.name),
            f"{plural(len(entries), 'untagged manifest')} with OCI media types, last changed more than {days} days "
            f"ago, in {plural(len(per_repo), 'repository', 'repositories')}; the retention policy never deletes "
            f"OCI image manifests or indexes. Deleting them frees {shown}",
            fix=fix,
            cause="The retention policy handles only Docker v2 manifests and Docker manifest lists; OCI image "
                  "manifests and OCI image indexes are out of its scope, whatever their age.",
            details={
                "manifests": len(entries), "freed_bytes": freed, "bytes_exact": ctx.storage.complete,
                "retention_days": days, "media_types": dict(sorted(types.items())), "repositories": per_repo,
            },
        )

    def _untagged_before(self, ctx: Context, ref: RegistryRef, days: int, unlocked: list[Entry],
                         locked: list[Entry]) -> Finding:
        everything = unlocked + locked
        freed, shown = self._bytes(ctx, everything)
        locked_freed = ctx.storage.freed_by(locked) if locked else 0
        per_repo = self._per_repository(ctx, everything)
        why = []
        if unlocked:
            why.append(f"{len(unlocked):,} most likely untagged before the policy was enabled")
        if locked:
            why.append(f"{len(locked):,} locked (delete-enabled or write-enabled false), which exempts "
                       + ("it" if len(locked) == 1 else "them"))
        notes = ["The policy only schedules manifests untagged after it was enabled; older ones need one purge."]
        related: list[Related] = []
        if locked:
            notes.append("acr purge skips locked manifests too; a lock on an untagged digest is often deliberate "
                         "(a pinned digest). Unlock only those that should go.")
            repo = ctx.storage.repositories[locked[0][0]].name
            digest = locked[0][1].digest
            related.append(Related(
                "unlock",
                f"Unlock and delete one locked leftover ({repo}@{digest[:19]}…), once nothing pulls it by digest.",
                (SetAttributes(ref, repo, digest=digest), DeleteManifest(ref, repo, digest)),
            ))
        actions: tuple[Action, ...] = (purge_for(ref, self._per_repository(ctx, unlocked), days),) if unlocked else ()
        fix = Fix(
            summary=f"Delete the leftovers once with acr purge (untagged manifests older than {days} days)."
            if unlocked else "Leave the locked manifests if they are pinned on purpose; otherwise unlock and delete "
                             "them one by one.",
            actions=actions,
            notes=tuple(notes),
            related=tuple(related),
        )
        return self.finding(
            Resource.registry(ctx.snapshot.registry.name),
            f"{plural(len(everything), 'untagged Docker manifest')} in "
            f"{plural(len(per_repo), 'repository', 'repositories')} were last changed more than {days} days ago and "
            f"are still stored ({'; '.join(why)}). They hold {shown} that nothing else uses",
            fix=fix,
            cause="The retention policy schedules a deletion when a manifest is untagged, so manifests untagged "
                  "before the policy was enabled are never scheduled, and it exempts manifests with "
                  "delete-enabled=false.",
            details={
                "manifests": len(everything), "unlocked": len(unlocked), "locked": len(locked),
                "freed_bytes": freed, "locked_bytes": locked_freed, "bytes_exact": ctx.storage.complete,
                "retention_days": days, "repositories": per_repo,
            },
        )
