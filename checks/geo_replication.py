"""Failure mode 8: on a geo-replicated registry a delete is not everywhere at once.

Source [D-GEO]: Microsoft Learn "Geo-replication in Azure Container Registry"
(MicrosoftDocs/azure-management-docs, articles/container-registry/container-registry-geo-replication.md, ms.date
2026-08-13; [D-GEO] in docs/sources.md):

* deletes (of tags, manifests, repositories) replicate asynchronously: until propagation completes, deleted content
  can still be pulled from a replica, and a tag overwritten meanwhile can resolve to different digests in different
  regions;
* regional endpoints (``<registry>.<region>.geo.azurecr.io``) let a client pin its pulls and deletes to one replica;
* the usage ``az acr show-usage`` reports is the home region's; every replica stores its own copy
  (container-registry-skus.md, acr-semantics-and-peers.md §4 fact 3).

The check says it once per registry (info); :func:`geo_note` puts the same fact on the fixes of the checks whose
fixes delete or whose figures are storage.
"""

from __future__ import annotations

from collections.abc import Iterator

from acrdoctor.actions import ListReplicationsTable, RegistryRef
from acrdoctor.check_api import Check, Context, Finding, Fix, Related, Resource, Severity
from acrdoctor.model import Part, Replication, Snapshot
from acrdoctor.units import plural

DOCS_GEO = "https://learn.microsoft.com/azure/container-registry/container-registry-geo-replication"


def _key(location: str) -> str:
    return location.lower().replace(" ", "")


def replicas(snapshot: Snapshot) -> tuple[Replication, ...] | None:
    """The replications outside the home region (ARM lists the home region as a replication too); None when the
    replications were not collected."""
    if snapshot.replications is None:
        return None
    home = _key(snapshot.registry.location or "")
    return tuple(r for r in snapshot.replications if _key(r.location) != home)


def geo_note(snapshot: Snapshot) -> str | None:
    """The one sentence every delete or storage figure on a geo-replicated registry needs; None without replicas.

    When replications were not collected nothing is claimed (the ``geo-replication`` check is skipped instead).
    """
    others = replicas(snapshot)
    if not others:
        return None
    where = ", ".join(sorted(r.location for r in others))
    return (f"The registry is geo-replicated (also in {where}): deletes reach the replicas asynchronously, so what "
            "you delete stays pullable from a replica until propagation completes, and usage differs per region "
            "meanwhile (show-usage reports the home region only).")


class GeoReplication(Check):
    slug = "geo-replication"
    title = "Deletes that reach a geo-replicated registry's replicas only after a delay"
    severity = Severity.INFO
    needs = frozenset({Part.REPLICATIONS})
    uses = frozenset({Part.USAGE})
    failure_mode = ("Deleted tags or images are still pullable in another region, or usage differs between regions, "
                    "after a delete on a geo-replicated registry")
    cause = (
        "Geo-replication copies deletes to every replica asynchronously: until propagation completes a deleted "
        "tag or manifest can still be pulled from a replica, and each region's storage figure moves on its own."
    )
    docs = (DOCS_GEO, "https://learn.microsoft.com/azure/container-registry/container-registry-skus")

    def run(self, ctx: Context) -> Iterator[Finding]:
        snap = ctx.snapshot
        others = replicas(snap) or ()
        if not others:
            return
        reg = snap.registry
        ref = RegistryRef(reg.name, reg.resource_group)
        names = sorted(r.location for r in others)
        home = reg.location or "the home region"
        endpoints = [r.location for r in others if r.region_endpoint_enabled]
        notes = [
            "Check a delete in each region before relying on it: pull the deleted reference through each replica "
            f"(regional endpoints <registry>.<region>.geo.azurecr.io pin a client to one replica) [{DOCS_GEO}].",
            "A tag re-pushed while a delete propagates can resolve to different digests in different regions for a "
            "while; avoid deleting and re-pushing the same tag in one step.",
        ]
        size = snap.usage_named("Size")
        if size is not None:
            notes.append("The Size usage is the home region's; each replica stores its own copy (see "
                         "storage-accounting for the estimate across regions).")
        details: dict[str, object] = {"home_region": reg.location, "replica_regions": names,
                                      "region_endpoints_enabled": endpoints}
        yield self.finding(
            Resource.registry(reg.name),
            f"Geo-replicated to {plural(len(others), 'other region')} ({', '.join(names)}) besides {home}: deletes "
            "reach the replicas asynchronously, so deleted content stays pullable there until propagation completes",
            fix=Fix(
                summary="Expect a delay after deletes: verify in each region before you count a delete as done.",
                notes=tuple(notes),
                related=(Related("confirm", "List the replicas and whether their regional endpoints are on.",
                                 (ListReplicationsTable(ref),)),),
            ),
            details=details,
        )
