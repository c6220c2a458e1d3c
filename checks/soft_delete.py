"""Failure mode (issue 12 item 6): soft delete, beyond billing.

Source [D-SD]: Microsoft Learn "Recover deleted artifacts with soft delete policy in Azure Container Registry
(Preview)" (MicrosoftDocs/azure-management-docs, articles/container-registry/container-registry-soft-delete-policy.md,
ms.date 2026-03-25; [D-SD] in docs/sources.md):

* soft-deleted artifacts stay stored and billed until autopurge, which runs every 24 hours with the *current*
  retention days (1-90); there is no manual purge;
* pushing an image whose digest is soft-deleted is refused: restore it instead (pushing to a soft-deleted
  *repository* restores the repository);
* the policy is not supported on a geo-replicated registry nor with artifact cache, and cannot be enabled together
  with the retention policy (that conflict is the ``retention-policy`` check's finding);
* listing and restoring need ``Microsoft.ContainerRegistry/registries/deleted/read`` and
  ``.../deleted/restore/action`` at registry scope.

Byte figures: a soft-deleted manifest's layers are not in the snapshot, only its ``imageSize`` (per manifest, not
deduplicated). A deleted digest that is also a live manifest adds nothing; the rest is summed by ``imageSize`` and
said to be an upper bound, since layers shared with live images are stored once.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta

from acrdoctor.actions import ListDeletedManifests, RegistryRef, RestoreManifest, SetSoftDeletePolicy
from acrdoctor.check_api import Check, Context, Finding, Fix, Related, Resource, Severity, SkipCheck
from acrdoctor.controls import DeletedArtifact
from acrdoctor.model import CollectionError, Part, Policy, Snapshot
from acrdoctor.times import parse_time
from acrdoctor.units import human_bytes, plural

from .geo_replication import replicas

DOCS_SD = "https://learn.microsoft.com/azure/container-registry/container-registry-soft-delete-policy"
DEFAULT_DAYS = 7
READ_ACTION = "Microsoft.ContainerRegistry/registries/deleted/read"
RESTORE_ACTION = "Microsoft.ContainerRegistry/registries/deleted/restore/action"

#: A refusal that names soft delete: the docs give the rule, not the wire text, so any error mentioning a
#: soft-deleted artifact or digest on a push counts (no recorded body exists; see docs/checks notes).
SOFT_DELETED = re.compile(r"soft[- ]?delet", re.IGNORECASE)
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_SHOWN = 5


def _days(policy: Policy | None) -> int:
    return policy.days if policy is not None and policy.days is not None else DEFAULT_DAYS


def push_refusals(snapshot: Snapshot) -> list[CollectionError]:
    """Recorded errors where the service refused a push (or a write) because the digest is soft-deleted."""
    out = []
    for e in snapshot.errors:
        if not SOFT_DELETED.search(e.message or ""):
            continue
        op = (e.operation or "").lower()
        if op.startswith(("push", "put", "upload", "import")) or "push" in (e.message or "").lower():
            out.append(e)
    return out


def listing_refusals(snapshot: Snapshot) -> list[CollectionError]:
    """Refusals (401/403) of the soft-deleted listing: the identity lacks ``deleted/read``."""
    return [e for e in snapshot.errors_for(Part.DELETED_ARTIFACTS) if e.status in (401, 403)]


class SoftDelete(Check):
    slug = "soft-delete"
    title = "Soft delete: deleted artifacts still stored, pushes refused, unsupported combinations"
    severity = Severity.LOW
    needs = frozenset({Part.REGISTRY})
    uses = frozenset({Part.DELETED_ARTIFACTS, Part.REPLICATIONS, Part.CACHE_RULES, Part.MANIFESTS})
    failure_mode = ("Deletes free nothing for days, a push is refused because the image's digest is soft-deleted, "
                    "or soft delete misbehaves with geo-replication or artifact cache")
    cause = (
        "With soft delete on, deleted artifacts stay stored, billed and restorable until the daily autopurge passes "
        "their retention days; a soft-deleted digest cannot be pushed again (it must be restored), and the policy "
        "is not supported with geo-replication or artifact cache."
    )
    docs = (DOCS_SD,)

    def run(self, ctx: Context) -> Iterator[Finding]:
        snap = ctx.snapshot
        reg = snap.registry
        policy = reg.soft_delete_policy
        ref = RegistryRef(reg.name, reg.resource_group)
        found: list[Finding] = []
        if policy is not None and policy.enabled:
            found += self._unsupported(snap, ref, policy)
        found += [self._refused_push(snap, ref, e) for e in push_refusals(snap)]
        found += [self._listing_refused(reg.name, e) for e in listing_refusals(snap)]
        if snap.deleted_artifacts:
            found.append(self._still_counted(ctx, ref, policy, snap.deleted_artifacts))
        if not found:
            if policy is None:
                raise SkipCheck("the registry settings have no soft-delete policy, so its state is unknown")
            if snap.deleted_artifacts is None and policy.enabled:
                raise SkipCheck("soft delete is enabled but the soft-deleted artifacts were not collected "
                                "(az acr manifest list-deleted), so what they hold is unknown")
        yield from found

    # -- soft-deleted artifacts still stored ------------------------------------------------------------

    def _still_counted(self, ctx: Context, ref: RegistryRef, policy: Policy | None,
                       deleted: tuple[DeletedArtifact, ...]) -> Finding:
        snap = ctx.snapshot
        live = {m.digest for r in snap.repositories or () for m in r.manifests or ()}
        extra = [a for a in deleted if a.digest not in live]
        sized = [a for a in extra if a.image_size is not None]
        total = sum(a.image_size or 0 for a in sized)
        by_repo: dict[str, int] = defaultdict(int)
        for a in sized:
            by_repo[a.repository] += a.image_size or 0
        days = _days(policy)
        now = parse_time(snap.collected_at)
        expiries = sorted(t + timedelta(days=days) for t in (parse_time(a.deleted) for a in deleted) if t)
        repos = sorted({a.repository for a in deleted})
        where = plural(len(repos), "repository", "repositories")
        parts = [f"{plural(len(deleted), 'soft-deleted manifest')} in {where}"
                 f" still stored and billed: up to {human_bytes(total)} by their imageSize"]
        if len(sized) < len(extra):
            parts.append(f"{len(extra) - len(sized):,} without a size")
        if len(extra) < len(deleted):
            parts.append(f"{len(deleted) - len(extra):,} share the digest of a live manifest and add nothing")
        if expiries and now is not None:
            nxt = expiries[0]
            when = "now (next autopurge)" if nxt <= now else f"in about {max(1, (nxt - now).days)} d"
            parts.append(f"the first leaves at autopurge {when}, the last around {expiries[-1]:%Y-%m-%d}")
        enabled = policy is not None and policy.enabled
        notes = [
            "There is no manual purge of soft-deleted artifacts: autopurge removes them once their retention days "
            f"have passed (it runs every 24 hours with the current setting, {plural(days, 'day')}) [{DOCS_SD}].",
            "imageSize is per manifest and not deduplicated: layers a soft-deleted image shares with live images "
            "are stored once, so the real figure can be lower.",
            f"Listing needs {READ_ACTION}; restoring needs {RESTORE_ACTION}.",
        ]
        if policy is not None and not enabled:
            notes.insert(0, "Soft delete is off now; these were deleted while it was on and still wait for "
                            "autopurge.")
        related = [Related("confirm", "List what is soft-deleted, per repository.",
                           tuple(ListDeletedManifests(ref, r) for r in repos[:_SHOWN]))]
        if enabled and days > 1:
            related.append(Related(
                "shorten", "Keep soft delete but hold deleted data for one day: autopurge applies the current "
                "retention to what is already soft-deleted.", (SetSoftDeletePolicy(ref, enabled=True, days=1),)))
        first = deleted[0]
        related.append(Related(
            "restore", "Bring back one you still need (here the first listed) instead of re-pushing it.",
            (RestoreManifest(ref, first.repository, first.digest, first.tags[0] if first.tags else None),)))
        return self.finding(
            Resource.registry(snap.registry.name), "; ".join(parts),
            fix=Fix(summary="Nothing to run to free it sooner: wait for autopurge, or shorten the retention days.",
                    notes=tuple(notes), related=tuple(related)),
            details={"count": len(deleted), "image_size_bytes": total, "counted_by": "imageSize",
                     "deduplicated": False, "live_digests": len(deleted) - len(extra),
                     "without_size": len(extra) - len(sized), "by_repository": dict(by_repo),
                     "retention_days": days, "policy_enabled": enabled,
                     "last_expiry": expiries[-1].isoformat() if expiries else None},
        )

    # -- push refused ---------------------------------------------------------------------------------

    def _refused_push(self, snap: Snapshot, ref: RegistryRef, e: CollectionError) -> Finding:
        repo = e.repository
        digest = None
        detail = e.detail if isinstance(e.detail, dict) else {}
        for key in ("digest", "Digest", "Revision"):
            if isinstance(detail.get(key), str):
                digest = str(detail[key])
        if digest is None:
            m = _DIGEST.search(e.message or "")
            digest = m.group(0) if m else None
        match = [a for a in snap.deleted_artifacts or () if a.repository == repo
                 and (digest is None or a.digest == digest)]
        if digest is None and len(match) == 1:
            digest = match[0].digest
        tag = next((a.tags[0] for a in match if a.digest == digest and a.tags), None)
        actions = (RestoreManifest(ref, repo, digest, tag),) if repo and digest else ()
        notes = [f"Restoring needs {RESTORE_ACTION} at registry scope.",
                 "A restored subject does not bring back its referrers (signatures, SBOMs): restore those after it."]
        if not actions:
            notes.insert(0, "The error names no digest: list the soft-deleted manifests of the repository and "
                            "restore the one you pushed.")
        resource = Resource.manifest(repo, digest) if repo and digest else (
            Resource.repository(repo) if repo else Resource.registry(snap.registry.name))
        return self.finding(
            resource,
            "Pushing this image again was refused because its digest is soft-deleted"
            + (f" (during {e.operation})" if e.operation else "") + f": {e.message}",
            severity=Severity.MEDIUM,
            cause="ACR refuses to push an image whose manifest digest is soft-deleted; restore the soft-deleted "
                  "artifact instead of pushing it again.",
            fix=Fix(summary="Restore the soft-deleted manifest instead of pushing it.", actions=actions,
                    notes=tuple(notes),
                    related=(Related("confirm", "List the repository's soft-deleted manifests.",
                                     (ListDeletedManifests(ref, repo),)),) if repo else ()),
            details={"repository": repo, "digest": digest, "tag": tag, "status": e.status, "code": e.code},
        )

    # -- unsupported combinations -----------------------------------------------------------------------

    def _unsupported(self, snap: Snapshot, ref: RegistryRef, policy: Policy) -> list[Finding]:
        out = []
        disable = SetSoftDeletePolicy(ref, enabled=False)
        others = replicas(snap)
        if others:
            where = ", ".join(sorted(r.location for r in others))
            out.append(self.finding(
                Resource.registry(snap.registry.name),
                f"Soft delete is enabled on a geo-replicated registry (replicas in {where}): the soft delete policy "
                "does not support geo-replicated registries",
                severity=Severity.MEDIUM,
                cause="ACR's soft delete preview does not support geo-replicated registries (support is on the "
                      "roadmap, Azure/acr#813): do not rely on restoring what is deleted here.",
                fix=Fix(summary="Do not count on soft delete here: disable it, or keep a copy of what you delete.",
                        actions=(disable,),
                        notes=("Soft-deleted artifacts already present stay until autopurge.",)),
                details={"replica_regions": sorted(r.location for r in others)},
            ))
        rules = snap.cache_rules or ()
        if rules:
            shown = ", ".join(f"{r.name} ({r.target_repository})" for r in rules[:_SHOWN])
            out.append(self.finding(
                Resource.registry(snap.registry.name),
                f"Soft delete is enabled on a registry with {plural(len(rules), 'artifact cache rule')} ({shown}): "
                "soft delete is not supported with artifact cache",
                severity=Severity.MEDIUM,
                cause="ACR documents soft delete as not supported with artifact cache: cached repositories may not "
                      "be restorable.",
                fix=Fix(summary="Do not count on soft delete for cached repositories; disable it if you rely on it.",
                        actions=(disable,)),
                details={"cache_rules": [r.name for r in rules]},
            ))
        return out

    # -- listing refused --------------------------------------------------------------------------------

    def _listing_refused(self, registry: str, e: CollectionError) -> Finding:
        return self.finding(
            Resource.registry(registry),
            f"Listing soft-deleted artifacts was refused: {e.describe()}",
            severity=Severity.LOW,
            cause="Listing soft-deleted artifacts needs its own permission, which read and delete roles may lack.",
            fix=Fix(summary=f"Grant the identity {READ_ACTION} (and {RESTORE_ACTION} to restore) at registry scope.",
                    notes=("Without it, what soft delete still holds stays unknown.",)),
            details={"status": e.status, "code": e.code, "missing": [READ_ACTION]},
        )
