"""Failure mode (issue 12 item 4): a registry at or near its maximum storage refuses writes with 405.

Sources:

* [D-FAQ] ACR FAQ "Why does my pull or push request fail with disallowed operation?": a registry that reached its
  storage limit answers 405 REGISTRY_DISALLOWED_OPERATION "The operation is disallowed on this registry, repository
  or image." (container-registry-faq.yml; notes acr-semantics-and-peers.md §4 fact 13); [SUP-PUSH] the support
  article "troubleshoot-push-error-operation-disallowed-timeout" gives the same cause for pushes.
* [D-SKU] the maximum: 40 TiB on Basic and Standard, 100 TiB on Premium (container-registry-skus.md; Azure/acr#852),
  kept in :mod:`acrdoctor.limits`; where ``listUsages`` has a ``MaximumStorageCapacity`` row
  (https://github.com/Azure/azure-cli/pull/32263) its figure is used instead.

The ``limit`` of the ``Size`` row is *not* this maximum: it is the storage included in the tier's price (500 GiB on
the recorded Premium registry, acr-wire-behaviour.md §c.11); going past it is billed, not refused. That is why this
check, not ``storage-accounting``, owns "near the limit".

The finding ranks the cleanups the snapshot can measure (untagged manifests no tag reaches, whole repositories by the
bytes only they hold) and prints the ``acrdoctor preflight`` command that checks the best one before it runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from acrdoctor.actions import (
    Action,
    PreflightCleanup,
    RegistryRef,
    RunPurge,
    ShowUsageTable,
    UpgradeSku,
)
from acrdoctor.check_api import Check, Context, Finding, Fix, Related, Resource, Severity, SkipCheck
from acrdoctor.completeness import Gap
from acrdoctor.limits import max_storage_bytes
from acrdoctor.model import Part, Snapshot
from acrdoctor.units import human_bytes, plural

from .geo_replication import geo_note

#: From this share of the maximum on, a finding; from ``CLOSE`` on it is high, at or past the maximum critical.
NEAR = 0.90
CLOSE = 0.98
#: Whole repositories offered as cleanups, largest exclusive bytes first.
TOP_REPOSITORIES = 3

MAXIMUM_ROW = "MaximumStorageCapacity"
DOCS_SKUS = "https://learn.microsoft.com/azure/container-registry/container-registry-skus"
DOCS_FAQ = "https://learn.microsoft.com/azure/container-registry/container-registry-faq"


def storage_maximum(snapshot: Snapshot) -> tuple[int, str] | None:
    """The registry's maximum storage in bytes and where the figure comes from, or None when unknown.

    The service's own ``MaximumStorageCapacity`` row wins; its figure is read from ``limit`` and, where a row
    carries it as ``currentValue`` instead (azure-cli#32263 adds the row without documenting which field), from that.
    """
    row = snapshot.usage_named(MAXIMUM_ROW)
    if row is not None:
        value = row.limit if row.limit and row.limit > 0 else row.current
        if value > 0:
            return value, f"{MAXIMUM_ROW} in listUsages"
    sku = snapshot.registry.sku
    documented = max_storage_bytes(sku)
    if documented is not None:
        return documented, f"the documented maximum of the {sku} tier"
    return None


@dataclass(frozen=True, slots=True)
class Cleanup:
    """One cleanup the snapshot can measure: what it deletes, the bytes it frees, the action that does it and the
    pre-flight of that action."""

    label: str
    freed: int
    action: Action
    preflight: PreflightCleanup


def cleanups(ctx: Context, ref: RegistryRef) -> list[Cleanup]:
    """The measurable cleanups, the safe one first: the untagged manifests no tag reaches, then the repositories that
    free the most (only if you no longer need them: they hold tagged images).

    The purge has no ``--filter``: with ``--untagged-only`` acr purge then covers every repository (acr-cli allows
    that only with ``--untagged-only``).
    """
    storage = ctx.storage
    out: list[Cleanup] = []
    dangling = storage.dangling()
    if dangling:
        freed = storage.freed_by(dangling)
        if freed > 0:
            pre = PreflightCleanup(ref)
            out.append(Cleanup(f"the {plural(len(dangling), 'untagged manifest')} no tag reaches", freed,
                               pre.cleanup(), pre))
    repos = sorted((r for r in storage.per_repository() if r.exclusive_bytes > 0),
                   key=lambda r: (-r.exclusive_bytes, r.repository))
    for r in repos[:TOP_REPOSITORIES]:
        pre = PreflightCleanup(ref, r.repository)
        out.append(Cleanup(f"repository {r.repository}", r.exclusive_bytes, pre.cleanup(), pre))
    return out


def refused_pushes(snapshot: Snapshot) -> int:
    """Recorded 405 refusals of pushes: what a registry at its maximum answers [D-FAQ]."""
    return sum(1 for e in snapshot.errors if e.status == 405 and (e.operation or "").lower().startswith("push"))


class StorageLimit(Check):
    slug = "storage-limit"
    title = "Registry storage at or near the tier's maximum, where writes are refused"
    severity = Severity.HIGH
    needs = frozenset({Part.USAGE, Part.REGISTRY})
    uses = frozenset({Part.MANIFESTS, Part.MANIFEST_BODIES, Part.REPLICATIONS, Part.DELETED_ARTIFACTS})
    failure_mode = ("Pushes fail with 405 REGISTRY_DISALLOWED_OPERATION although nothing is "
                    "locked: the registry is at its storage limit")
    cause = (
        "A registry that reaches its maximum storage (40 TiB on Basic and Standard, 100 TiB on Premium, or its "
        "MaximumStorageCapacity) refuses write operations with 405 REGISTRY_DISALLOWED_OPERATION \"The operation "
        "is disallowed on this registry, repository or image.\""
    )
    docs = (DOCS_SKUS, DOCS_FAQ,
            "https://learn.microsoft.com/troubleshoot/azure/azure-container-registry/"
            "troubleshoot-push-error-operation-disallowed-timeout")

    def blind_spots(self, ctx: Context, gaps: tuple[Gap, ...]) -> tuple[Gap, ...]:
        """The verdict rests on the usage figures; listings only rank the cleanups (their figures say 'at least')."""
        return ()

    def run(self, ctx: Context) -> Iterator[Finding]:
        snap = ctx.snapshot
        size = snap.usage_named("Size")
        if size is None:
            raise SkipCheck("listUsages has no Size row, so the registry's storage is unknown")
        maximum = storage_maximum(snap)
        if maximum is None:
            raise SkipCheck(f"the maximum storage of SKU {snap.registry.sku!r} is not known and listUsages has no "
                            f"{MAXIMUM_ROW} row")
        limit, source = maximum
        ratio = size.current / limit
        if ratio < NEAR:
            return
        severity = Severity.CRITICAL if ratio >= 1 else Severity.HIGH if ratio >= CLOSE else Severity.MEDIUM
        reg = snap.registry
        ref = RegistryRef(reg.name, reg.resource_group)
        remaining = limit - size.current
        if remaining > 0:
            where = (f"{human_bytes(remaining)} ({remaining / limit:.1%}) below its maximum of {human_bytes(limit)} "
                     f"({source})")
        else:
            where = f"at its maximum of {human_bytes(limit)} ({source})"
        message = (f"Size usage is {human_bytes(size.current)}, {ratio:.1%} of the maximum: {where}; at the maximum "
                   "ACR refuses pushes with 405 REGISTRY_DISALLOWED_OPERATION")
        refused = refused_pushes(snap)
        if refused:
            message += f" ({plural(refused, 'push', 'pushes')} already refused with 405 while collecting)"
        details: dict[str, object] = {
            "usage_bytes": size.current, "limit_bytes": limit, "limit_source": source, "ratio": round(ratio, 4),
            "remaining_bytes": remaining, "refused_pushes": refused,
        }
        yield self.finding(Resource.registry(reg.name), message, severity=severity,
                           fix=self._fix(ctx, ref, remaining, details), details=details)

    def _fix(self, ctx: Context, ref: RegistryRef, remaining: int, details: dict[str, object]) -> Fix:
        snap = ctx.snapshot
        reg = snap.registry
        notes: list[str] = []
        related: list[Related] = []
        actions: tuple[Action, ...] = ()
        if snap.has(Part.MANIFESTS):
            found = cleanups(ctx, ref)
            at_least = "" if ctx.storage.complete else "at least "
            details["cleanups"] = [{"what": c.label, "freed_bytes": c.freed} for c in found]
            details["bytes_exact"] = ctx.storage.complete
            if found:
                best = found[0]
                safe = isinstance(best.action, RunPurge)
                summary = (f"Free space: deleting {best.label} frees {at_least}{human_bytes(best.freed)}"
                           + (" without touching a tagged image" if safe else ", the most acrdoctor can measure")
                           + ". Check it with acrdoctor preflight, then run it.")
                actions = (best.preflight,)
                related.append(Related("then", "Once the pre-flight shows no blocker, run the cleanup itself.",
                                       (best.action,)))
                for c in found[1:]:
                    related.append(Related(
                        "also", f"If you no longer need it, deleting {c.label} frees {at_least}{human_bytes(c.freed)} "
                        "(layers no other repository uses); pre-flight it first.", (c.preflight,)))
            else:
                summary = "Nothing measurable frees space here: delete images you no longer need, or move tier."
        else:
            summary = "Free space by deleting what you no longer need, or move to a tier with a larger maximum."
            notes.append("The manifest listings were not collected, so acrdoctor cannot rank the cleanups: run "
                         "acrdoctor diagnose with them to see which delete frees the most.")
        if not reg.is_premium:
            related.append(Related("alternative", "Premium's maximum is 100 TiB instead of 40 TiB [D-SKU].",
                                   (UpgradeSku(ref, "Premium"),)))
        related.append(Related("confirm", "Compare Size with the maximum (MaximumStorageCapacity where listed).",
                               (ShowUsageTable(ref),)))
        soft = reg.soft_delete_policy
        if soft is not None and soft.enabled:
            notes.append("Soft delete is enabled: what you delete stays counted until its autopurge, so a delete "
                         "does not bring usage down at once (see the soft-delete finding).")
        notes.append("Space is reclaimed asynchronously after deletes; Size usually follows within minutes [D-FAQ].")
        geo = geo_note(snap)
        if geo:
            notes.append(geo)
        return Fix(summary=summary, actions=actions, notes=tuple(notes), related=tuple(related))
