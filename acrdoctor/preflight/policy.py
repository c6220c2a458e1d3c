"""Pre-flight warnings from the registry's policies: continuous patching, artifact cache, listings cut short.

Kept apart from :mod:`acrdoctor.preflight.plan`, which calls :func:`policy_warnings` once with what the plan
deletes. Each warning names its source:

* ``deletes-patch-policy`` (high): the plan deletes from ``csscpolicies/patchpolicy``, the repository holding the
  continuous patching workflow's configuration [D-CP: key-concept-continuous-patching.md,
  how-to-continuous-patching.md]; without it the workflow's tasks patch nothing.
* ``deletes-latest-patch`` (high, **inference** from D-CP, peers notes item 14): the plan deletes the newest
  ``-N`` patched image of a base tag, the one consumers of the patches pull.
* ``deletes-cached`` (medium): the plan deletes from artifact cache targets; the next pull caches them again
  (**inference**, peers notes item 6e) and a previously cached tag may answer manifest unknown (Azure/acr#765).
* ``listing-cut-short`` (medium): a listing the plan was computed from ended early (Azure/acr#875), so what it
  selects is a lower bound.
"""

from __future__ import annotations

from collections.abc import Sequence

from acrdoctor.checks.artifact_cache import cached_repositories
from acrdoctor.checks.continuous_patching import POLICY_REPOSITORY, latest_patched, workflow_configured
from acrdoctor.completeness import cut_short
from acrdoctor.model import Snapshot
from acrdoctor.preflight.model import ManifestRef, PlanWarning, TagRef
from acrdoctor.units import plural

_SHOWN = 5


def _names(items: Sequence[object]) -> str:
    shown = [str(x) for x in items]
    return ", ".join(shown[:_SHOWN]) + (f" and {len(shown) - _SHOWN} more" if len(shown) > _SHOWN else "")


def policy_warnings(snapshot: Snapshot, manifests: Sequence[ManifestRef], tags: Sequence[TagRef],
                    whole: Sequence[str], purge: bool) -> list[PlanWarning]:
    """Warnings about what the plan deletes that the registry's policies care about."""
    touched = {r.repository for r in manifests} | {t.repository for t in tags} | set(whole)
    out: list[PlanWarning] = []
    if not touched:
        return out
    if POLICY_REPOSITORY in touched:
        what = "deletes the repository" if POLICY_REPOSITORY in whole else "deletes from the repository"
        out.append(PlanWarning(
            "deletes-patch-policy",
            f"The plan {what} {POLICY_REPOSITORY}, which holds the continuous patching workflow's configuration: "
            "its tasks (cssc-trigger-workflow, cssc-scan-image, cssc-patch-image) then patch nothing. Leave it out "
            "(narrow the filter) and remove the workflow with az acr supply-chain workflow delete if that is the "
            "intent."))
    if workflow_configured(snapshot):
        gone_digests = {(r.repository, r.digest) for r in manifests}
        gone_tags = {(t.repository, t.tag) for t in tags}
        hit: list[str] = []
        for repo in snapshot.repositories or ():
            if repo.name not in touched:
                continue
            for tag, digest in sorted(latest_patched(repo)):
                if repo.name in whole or (repo.name, tag) in gone_tags or (repo.name, digest) in gone_digests:
                    hit.append(f"{repo.name}:{tag}")
        if hit:
            out.append(PlanWarning(
                "deletes-latest-patch",
                f"The plan deletes {plural(len(hit), 'newest patched image')} of continuous patching, the ones "
                f"consumers of the patches pull: {_names(hit)}. Keep the newest -N tag of each base tag (acr purge "
                "--keep 1 with a filter on that base's patch tags)."))
    rules = snapshot.cache_rules or ()
    if rules:
        names = sorted(touched)
        cached = sorted({n for rule in rules for n in cached_repositories(rule, snapshot.registry, names)})
        if cached:
            out.append(PlanWarning(
                "deletes-cached",
                f"{plural(len(cached), 'repository', 'repositories')} of the plan {'is' if len(cached) == 1 else 'are'}"
                f" artifact cache targets ({_names(cached)}): the next pull caches the images again, so the storage "
                "is freed only until then, and a tag cached before may answer manifest unknown after the delete "
                "(Azure/acr#765)."))
    short = cut_short(snapshot)
    affected = [s for s in short if (s.listing == "catalog" and purge) or s.repository in touched]
    if affected:
        out.append(PlanWarning(
            "listing-cut-short",
            f"{plural(len(affected), 'listing')} this plan was computed from ended early "
            f"({'; '.join(s.describe() for s in affected[:_SHOWN])}): the real command may select more than shown "
            "(Azure/acr#875). Read the listing again before relying on the plan."))
    return out
