"""Failure mode 4: "purge freed almost nothing" because the layers are shared across repositories.

The finding names the repositories holding the most shared bytes and gives, for the first few, the
``acrdoctor preflight`` command that shows exactly what deleting that repository would free and which other
repositories keep the rest (issue 12: the finding had no command before).
"""

from __future__ import annotations

from collections.abc import Iterator

from acrdoctor.actions import Preflight, RegistryRef
from acrdoctor.check_api import Check, Context, Finding, Fix, Related, Resource, Severity, SkipCheck
from acrdoctor.model import Part
from acrdoctor.units import human_bytes, plural

#: How many repositories the message names; details always carry all of them.
TOP = 10
#: How many of the top holders get a pre-flight command.
PREVIEWS = 3


class SharedLayers(Check):
    slug = "shared-layers"
    title = "Layers shared across repositories stay stored when one repository is cleaned"
    severity = Severity.INFO
    needs = frozenset({Part.MANIFESTS, Part.MANIFEST_BODIES})
    failure_mode = "A purge or repository delete freed far less storage than the images' sizes suggested"
    cause = (
        "ACR stores each layer once per registry and frees it only when no manifest in any repository uses it, "
        "so deleting images frees their unique layers only, while imageSize counts shared layers in every image."
    )
    docs = (
        "https://learn.microsoft.com/troubleshoot/azure/azure-container-registry/delete-operation-issues",
        "https://learn.microsoft.com/azure/container-registry/container-registry-concepts",
        "https://learn.microsoft.com/azure/container-registry/container-registry-delete",
    )

    def run(self, ctx: Context) -> Iterator[Finding]:
        storage = ctx.storage
        shared_count, shared_bytes = storage.shared_blobs()
        partial = Part.REPOSITORIES in ctx.snapshot.partial
        if not shared_count:
            if partial:
                n = len(storage.repositories)
                raise SkipCheck(f"only {plural(n, 'repository', 'repositories')} of the registry "
                                f"{'was' if n == 1 else 'were'} scanned (--repository); sharing with the others "
                                "is unknown")
            return
        at_least = "" if storage.complete else "at least "
        deduplicated = storage.deduplicated_total()
        image_size_sum = storage.image_size_sum()
        rows = sorted(storage.per_repository(), key=lambda r: (-r.shared_bytes, r.repository))
        holders = [r for r in rows if r.shared_bytes]
        top = ", ".join(
            f"{r.repository} ({human_bytes(r.exclusive_bytes)} only its own, {human_bytes(r.shared_bytes)} shared)"
            for r in holders[:TOP]
        )
        rest = len(holders) - TOP
        more = f" and {plural(rest, 'more repository', 'more repositories')}" if rest > 0 else ""
        message = (
            f"{plural(shared_count, 'blob')} (layers and configs, {at_least}{human_bytes(shared_bytes)}) "
            f"{'is' if shared_count == 1 else 'are'} used by more than one "
            f"repository; the registry stores {at_least}{human_bytes(deduplicated)} once deduplicated while the "
            f"images' imageSize adds up to {human_bytes(image_size_sum)}. Deleting a repository frees only the bytes "
            f"it holds alone; repositories holding the most shared bytes: {top}{more}"
        )
        reg = ctx.snapshot.registry
        ref = RegistryRef(reg.name, reg.resource_group)
        previews = tuple(Preflight.repository_delete(ref, r.repository) for r in holders[:PREVIEWS])
        which = "the repository" if len(previews) == 1 else f"each of the {len(previews)} repositories"
        fix = Fix(
            summary="Expect a delete to free only the bytes no remaining manifest uses; shared layers stay.",
            related=(Related(
                "preview",
                f"What deleting {which} holding the most shared bytes would free, and who keeps the rest "
                "(reads only; use --snapshot FILE instead of --registry to plan against a saved snapshot).",
                previews,
            ),),
            notes=(
                "A shared layer is freed only when every manifest using it, in every repository, is deleted.",
                "Each repository's exclusive bytes (what deleting the whole repository frees) are in this finding's "
                "details, next to the bytes it shares.",
                "imageSize is per manifest and counts a shared layer in every image, so summing it overstates "
                "what a delete frees.",
            ),
        )
        details: dict[str, object] = {
            "shared_blob_count": shared_count,
            "shared_bytes": shared_bytes,
            "deduplicated_total_bytes": deduplicated,
            "image_size_sum_bytes": image_size_sum,
            "complete": storage.complete,
            "repositories": [
                {
                    "repository": r.repository,
                    "exclusive_bytes": r.exclusive_bytes,
                    "shared_bytes": r.shared_bytes,
                    "image_size_sum_bytes": r.image_size_sum,
                    "manifests": r.manifests,
                }
                for r in rows
            ],
        }
        yield self.finding(Resource.registry(ctx.snapshot.registry.name), message, fix=fix, details=details)
