"""A plug-in check written the way a third party would: only the public check API is used."""

from __future__ import annotations

from collections.abc import Iterator

from acrdoctor.check_api import Check, Context, Finding, Fix, Resource, Severity
from acrdoctor.model import Part


class ScratchRepositories(Check):
    slug = "fixture-scratch-repository"
    title = "Scratch repositories left behind"
    severity = Severity.LOW
    needs = frozenset({Part.REPOSITORIES})
    cause = "Repositories under scratch/ are meant to be short-lived; this one was never cleaned up."
    docs = ("https://learn.microsoft.com/azure/container-registry/container-registry-delete",)

    def run(self, ctx: Context) -> Iterator[Finding]:
        for repo in ctx.snapshot.repositories or ():
            if repo.name.startswith("scratch/"):
                yield self.finding(
                    Resource.repository(repo.name),
                    "scratch repository still present",
                    fix=Fix("Delete it.", extra_commands=(f"az acr repository delete --repository {repo.name}",)),
                )
