"""Issue 12 item 9: a catalog, manifest or tag listing that ended early is reported, never taken as complete.

Very large registries have answered ``az acr repository list`` with a partial catalog and no error, so cleanup
pipelines silently skipped repositories (Azure/acr#875, open 2026-03; peers notes item 13). ACR means to publish
limits for repositories per registry, manifests per repository and tags per repository (Azure/acr#881). A snapshot
records how each listing ended (``Snapshot.listings``, when the collector kept that record) and carries ACR's own
``manifestCount``/``tagCount`` per repository; either shows a listing cut short. The rules live in
:func:`acrdoctor.completeness.cut_short`, so that every other check reading those listings is reported incomplete
(or a lower bound) rather than passed; this check reports the listings themselves and how to read them again.
"""

from __future__ import annotations

from collections.abc import Iterator

from acrdoctor.actions import Action, ReadListing, Recollect, RegistryRef
from acrdoctor.check_api import Check, Context, Finding, Fix, Related, Resource, Severity
from acrdoctor.completeness import Gap, ShortListing, cut_short
from acrdoctor.model import Part
from acrdoctor.units import plural

#: Listings that get their own read command; the others are in the finding's details.
SHOWN = 10


class ListingsCutShort(Check):
    slug = "listings-cut-short"
    title = "A listing ended early: what was not listed was not checked"
    severity = Severity.MEDIUM
    needs = frozenset({Part.REPOSITORIES})
    uses = frozenset({Part.LISTINGS, Part.MANIFESTS, Part.TAGS})
    failure_mode = "A cleanup skipped repositories, manifests or tags because a listing came back incomplete"
    cause = (
        "A catalog or tag listing of a very large registry can end early, or page inconsistently, without an error "
        "(Azure/acr#875): whatever was not listed is invisible to a cleanup, a purge and every check that reads it."
    )
    docs = (
        "https://github.com/Azure/acr/issues/875",
        "https://github.com/Azure/acr/issues/881",
        "https://learn.microsoft.com/azure/container-registry/container-registry-delete",
    )

    def run(self, ctx: Context) -> Iterator[Finding]:
        short = cut_short(ctx.snapshot)
        if not short:
            return
        reg = ctx.snapshot.registry
        ref = RegistryRef(reg.name, reg.resource_group)
        catalog = [s for s in short if s.listing == "catalog"]
        per_repo = [s for s in short if s.listing != "catalog"]
        if catalog:
            yield self._catalog(ctx, ref, catalog[0])
        for s in per_repo:
            yield self._repository(ref, s)

    def blind_spots(self, ctx: Context, gaps: tuple[Gap, ...]) -> tuple[Gap, ...]:
        """The listings cut short are this check's findings, not what it could not see."""
        out = []
        for g in gaps:
            short = {c.repository for c in g.cut_short}
            if g.cut_short and not g.everywhere and all(r in short for r in g.repositories):
                continue
            out.append(g)
        return tuple(out)

    def _catalog(self, ctx: Context, ref: RegistryRef, s: ShortListing) -> Finding:
        listed = len(ctx.snapshot.repositories or ())
        fix = Fix(
            summary="List the catalog again with az (it follows every page) and compare it with the snapshot before "
                    "trusting any registry-wide figure or cleanup.",
            actions=(ReadListing(ref, "catalog"),),
            notes=(
                "Until the catalog is complete, a clean-up or an acr purge over '.*' can skip repositories "
                "silently; purge repositories named literally instead (acr-cli >= 0.19 accepts literal names "
                "without catalog permission).",
                "Every registry-wide figure of this report (shared bytes, dangling manifests, storage) is a "
                "lower bound.",
            ),
        )
        return self.finding(
            Resource.registry(ctx.snapshot.registry.name),
            f"the repository catalog ended early: {s.reason}; {plural(listed, 'repository', 'repositories')} "
            "were listed, the others were not checked",
            fix=fix,
            severity=Severity.HIGH,
            details=_details(s, listed),
        )

    def _repository(self, ref: RegistryRef, s: ShortListing) -> Finding:
        repo = s.repository or ""
        inferred = "" if s.recorded else " (inferred from the data: the collector recorded no error)"
        actions: tuple[Action, ...] = (ReadListing(ref, s.listing, repo),)
        fix = Fix(
            summary=f"Read the {s.listing} of {repo} again in full and collect the repository again; until then "
                    "nothing read from that listing is complete.",
            actions=actions,
            notes=(
                "az follows the listing's pages itself; compare its count with the snapshot's. If it also comes "
                "back short, report it to Azure support with the correlation id (Azure/acr#875).",
            ),
            related=(Related(
                "collect again",
                "A fresh snapshot of just this repository, to diagnose again.",
                (Recollect(ref, (repo,)),),
            ),),
        )
        return self.finding(
            Resource.repository(repo),
            f"the {s.listing} listing of {repo} ended early: {s.reason}{inferred}",
            fix=fix,
            details=_details(s, s.listed),
        )


def _details(s: ShortListing, listed: int | None) -> dict[str, object]:
    return {"listing": s.listing, "repository": s.repository, "listed": listed, "expected": s.expected,
            "recorded_by_collector": s.recorded, "reason": s.reason}
