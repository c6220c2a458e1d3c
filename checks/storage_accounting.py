"""Failure mode 4: the registry's storage figure does not move, or means something else than assumed.

Three separate causes share one resource (the registry) and one question ("why is usage still high?"):
the usage figure lags or includes data no manifest accounts for, soft delete keeps deleted data
billed, and geo-replication multiplies the home-region figure. A registry near its maximum storage is the
``storage-limit`` check's: the ``limit`` of the ``Size`` row this check reads is the storage included in the
tier's price, not the maximum (see checks/storage_limit.py).
"""

from __future__ import annotations

from collections.abc import Iterator

from acrdoctor.actions import RegistryRef, SetSoftDeletePolicy
from acrdoctor.check_api import Check, Context, Finding, Fix, Related, Resource, Severity
from acrdoctor.model import Part, Registry, Snapshot, Usage
from acrdoctor.units import human_bytes, plural

from .geo_replication import geo_note

#: The usage figure and the computed total must differ by both margins before it is worth a finding:
#: manifest documents, in-flight uploads and rounding make small gaps normal.
RELATIVE_MARGIN = 0.05
ABSOLUTE_MARGIN = 100 * 1024 * 1024

METRIC_NOTE = (
    "The StorageUsed metric in Azure Monitor is the up-to-date figure; 'az acr show-usage' and the portal may lag."
)


def region_count(snapshot: Snapshot) -> tuple[int, list[str]]:
    """Regions holding a copy: listed replications plus the home region (which ARM lists as a replication too).

    Falls back to the ``Geo-replications`` usage row, counted without the home region, when the
    replications were not collected.
    """
    home = snapshot.registry.location
    if snapshot.replications is not None:
        names = {r.location.lower().replace(" ", ""): r.location for r in snapshot.replications}
        if home:
            names.setdefault(home.lower().replace(" ", ""), home)
        return len(names), sorted(names.values())
    row = snapshot.usage_named("Geo-replications")
    if row is not None and row.current > 0:
        return row.current + 1, [home] if home else []
    return 1, [home] if home else []


def after_delete(registry: Registry) -> str:
    """What a delete does to the bill and to the usage figure on this registry, as one sentence.

    Pre-flight, fix and this check all say it with these words, so no report can claim both "billed for 7
    days" and "stops being billed at once" (acr-semantics §4 fact 2: billing stops at once and space is
    reclaimed asynchronously; fact 22: soft-deleted artifacts stay billed until autopurge).
    """
    policy = registry.soft_delete_policy
    if policy is not None and policy.enabled:
        days = policy.days if policy.days is not None else 7
        return (f"Soft delete is enabled: deleted artifacts stay stored, restorable and billed for up to "
                f"{plural(days, 'day')}, until its autopurge removes them; only then is their space reclaimed "
                "and does the usage figure drop.")
    return ("Billing for deleted data stops at once; its space is reclaimed asynchronously, so the usage figure "
            "drops later (usually within minutes).")


class StorageAccounting(Check):
    slug = "storage-accounting"
    title = "Registry storage usage that deletes do not (yet) bring down"
    severity = Severity.MEDIUM
    needs = frozenset({Part.USAGE, Part.REGISTRY})
    uses = frozenset({Part.REPLICATIONS, Part.MANIFESTS, Part.MANIFEST_BODIES})
    failure_mode = "Usage did not go down after a delete"
    cause = (
        "ACR reclaims deleted layers asynchronously, keeps soft-deleted artifacts billed, and reports usage for "
        "the home region only, so the Size figure rarely drops right after a delete."
    )
    docs = (
        "https://learn.microsoft.com/azure/container-registry/container-registry-delete",
        "https://learn.microsoft.com/azure/container-registry/container-registry-skus",
        "https://learn.microsoft.com/azure/container-registry/container-registry-soft-delete-policy",
        "https://learn.microsoft.com/azure/container-registry/container-registry-faq",
    )

    def run(self, ctx: Context) -> Iterator[Finding]:
        size = ctx.snapshot.usage_named("Size")
        if size is not None:
            yield from self._usage_vs_computed(ctx, size)
            yield from self._replicated(ctx, size)
        yield from self._soft_delete(ctx)

    def _resource(self, ctx: Context) -> Resource:
        return Resource.registry(ctx.snapshot.registry.name)

    def _usage_vs_computed(self, ctx: Context, size: Usage) -> Iterator[Finding]:
        """(a) Compare ``Size`` with the deduplicated blob total (acr-semantics §4 facts 2-3)."""
        if not ctx.snapshot.has(Part.MANIFEST_BODIES):
            return
        storage = ctx.storage
        computed = storage.deduplicated_total()
        gap = size.current - computed
        margin = max(ABSOLUTE_MARGIN, RELATIVE_MARGIN * max(size.current, computed))
        if abs(gap) <= margin:
            return
        if gap > 0 and not storage.complete:
            # The computed figure is only a lower bound, so a higher usage proves nothing.
            return
        details: dict[str, object] = {
            "usage_bytes": size.current, "computed_bytes": computed, "difference_bytes": gap,
            "complete": storage.complete,
        }
        at_least = "" if storage.complete else "at least "
        if gap > 0:
            message = (
                f"Size usage is {human_bytes(size.current)} but the manifests reference {human_bytes(computed)} of "
                f"distinct layers and configs: {human_bytes(gap)} ({gap / max(computed, 1):.0%}) more than the "
                "images account for"
            )
            cause = (
                "Space freed by deletes is reclaimed asynchronously and the usage figure lags behind; soft-deleted "
                "artifacts and data no listed manifest references still count until the service removes them."
            )
            severity = Severity.MEDIUM
        else:
            message = (
                f"Size usage is {human_bytes(size.current)} but the manifests reference {at_least}"
                f"{human_bytes(computed)} of distinct layers and configs: the usage figure is {human_bytes(-gap)} "
                "behind"
            )
            cause = "The usage figure is updated asynchronously and has not caught up with recent pushes yet."
            severity = Severity.LOW
        notes = [
            METRIC_NOTE,
            "The computed total counts every layer and config once across the registry; manifest documents "
            "themselves (a few KiB each) are not included.",
        ]
        geo = geo_note(ctx.snapshot)
        if geo:
            notes.append(geo)
        fix = Fix(
            summary="Compare again later: the usage figure follows deletes and pushes with a delay.",
            notes=tuple(notes),
        )
        yield self.finding(self._resource(ctx), message, severity=severity, cause=cause, fix=fix, details=details)

    def _replicated(self, ctx: Context, size: Usage) -> Iterator[Finding]:
        """(c) Usage is shown for the home region only; each replica stores a copy (acr-semantics §4 fact 3)."""
        regions, names = region_count(ctx.snapshot)
        if regions <= 1:
            return
        where = f" ({', '.join(names)})" if len(names) == regions else ""
        yield self.finding(
            self._resource(ctx),
            f"Size usage of {human_bytes(size.current)} is for the home region only; with "
            f"{plural(regions, 'region')}{where} the registry stores about {human_bytes(size.current * regions)}",
            severity=Severity.INFO,
            cause="In a geo-replicated registry the usage shown covers the home region; every replica holds a copy.",
            fix=Fix(
                summary=f"Multiply the usage by {regions} for the storage billed across regions.",
                notes=(METRIC_NOTE, "Deletes reach the replicas asynchronously as well."),
            ),
            details={"usage_bytes": size.current, "regions": regions, "region_names": names,
                     "estimated_total_bytes": size.current * regions},
        )

    def _soft_delete(self, ctx: Context) -> Iterator[Finding]:
        """(b) Soft-deleted artifacts stay billed for the retention days (acr-semantics §4 fact 22)."""
        reg = ctx.snapshot.registry
        policy = reg.soft_delete_policy
        if policy is None or not policy.enabled:
            return
        ref = RegistryRef(reg.name, reg.resource_group)
        days = policy.days if policy.days is not None else 7
        notes = [
            "Soft delete and the retention policy are mutually exclusive: the retention policy for untagged "
            "manifests can only be enabled with soft delete off.",
        ]
        related: list[Related] = []
        if days > 1:
            related.append(Related(
                "alternative",
                "Keep soft delete but bill deleted data for less time: shorten its retention (autopurge runs every "
                "24 hours with the current retention days).",
                (SetSoftDeletePolicy(ref, enabled=True, days=1),),
            ))
        yield self.finding(
            self._resource(ctx),
            f"Soft delete is enabled with {plural(days, 'day')} of retention: deleted artifacts stay stored and "
            f"billed for up to {plural(days, 'day')} after each delete",
            severity=Severity.LOW,
            cause=(
                "Soft delete keeps deleted artifacts restorable and billed until autopurge removes them; "
                "they cannot be purged by hand."
            ),
            fix=Fix(
                summary="Disable soft delete if you need deletes to free storage.",
                actions=(SetSoftDeletePolicy(ref, enabled=False),),
                notes=tuple(notes),
                related=tuple(related),
            ),
            details={"retention_days": days},
        )
