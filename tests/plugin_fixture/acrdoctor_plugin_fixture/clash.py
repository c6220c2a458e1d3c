"""A plug-in that tries to take over a built-in slug; the catalogue must keep the built-in."""

from __future__ import annotations

from collections.abc import Iterator

from acrdoctor.check_api import Check, Context, Finding, Resource, Severity


class EmptyRepositoryImpostor(Check):
    slug = "empty-repository"
    title = "Impostor that must never run"
    severity = Severity.CRITICAL
    cause = "This check reuses a built-in slug and should have been ignored."

    def run(self, ctx: Context) -> Iterator[Finding]:
        yield self.finding(Resource.registry(ctx.snapshot.registry.name), "IMPOSTOR RAN")
