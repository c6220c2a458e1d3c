"""Failure mode 1: an emptied repository that answers NAME_UNKNOWN when you delete it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from acrdoctor.actions import DeleteRepository, ImportPlaceholder, RegistryRef
from acrdoctor.check_api import Check, Context, Finding, Fix, Resource, Severity
from acrdoctor.completeness import Gap
from acrdoctor.model import Part, Repository

from .geo_replication import geo_note


def is_empty(repo: Repository) -> bool:
    """0 tags and 0 manifests, by the repository's own counts or by its listings."""
    counts = (repo.manifest_count, repo.tag_count)
    if counts == (0, 0):
        return True
    if repo.manifests is not None and repo.tags is not None:
        return not repo.manifests and not repo.tags and all(c in (0, None) for c in counts)
    return False


class EmptyRepository(Check):
    slug = "empty-repository"
    title = "Empty repositories that cannot be deleted"
    severity = Severity.MEDIUM
    needs = frozenset({Part.REPOSITORIES})
    uses = frozenset({Part.MANIFESTS, Part.TAGS})
    failure_mode = "Deleting a repository that shows 0 tags and 0 manifests fails with NAME_UNKNOWN"
    cause = (
        "The repository was emptied image by image and ACR kept orphaned metadata for it: it is still listed, "
        "but deleting it answers 404 NAME_UNKNOWN \"repository name not known to registry\"."
    )
    docs = (
        "https://learn.microsoft.com/troubleshoot/azure/azure-container-registry/delete-operation-issues",
        "https://learn.microsoft.com/azure/container-registry/container-registry-delete",
    )

    def blind_spots(self, ctx: Context, gaps: tuple[Gap, ...]) -> tuple[Gap, ...]:
        """A repository whose own counts were read is judged without its listings."""
        counted = {r.name for r in ctx.snapshot.repositories or ()
                   if r.manifest_count is not None and r.tag_count is not None}
        out = []
        for gap in gaps:
            if gap.part in (Part.MANIFESTS, Part.TAGS) and gap.repositories:
                unseen = tuple(name for name in gap.repositories if name not in counted)
                if not unseen:
                    continue
                gap = replace(gap, repositories=unseen)
            out.append(gap)
        return tuple(out)

    def run(self, ctx: Context) -> Iterator[Finding]:
        reg = ctx.snapshot.registry
        ref = RegistryRef(reg.name, reg.resource_group)
        geo = geo_note(ctx.snapshot)
        for repo in ctx.snapshot.repositories or ():
            if not is_empty(repo):
                continue
            fix = Fix(
                summary="Put a placeholder image into the repository, then delete the whole repository.",
                actions=(ImportPlaceholder(ref, repo.name), DeleteRepository(ref, repo.name)),
                notes=(
                    "Pushing any image under this name works as well as the import.",
                    "Next time delete the repository itself instead of deleting its images one by one.",
                    *((geo,) if geo else ()),
                ),
            )
            yield self.finding(
                Resource.repository(repo.name),
                "0 tags and 0 manifests; deleting it fails with NAME_UNKNOWN",
                fix=fix,
            )
