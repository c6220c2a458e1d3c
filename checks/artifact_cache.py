"""Issue 12 item 5: repositories that are artifact cache targets behave unlike the others when deleted.

Facts and sources (peers notes item 6):

* A cache rule maps a target repository of the registry to an upstream source. Targets are a repository name
  (``ubuntu``), a repository-level wildcard (``dotnet/*``: every repository under that prefix) or the
  registry-level wildcard (``*``) [wildcards-artifact-cache docs:
  https://learn.microsoft.com/azure/container-registry/wildcards-artifact-cache].
* **(inference)** deleting a cached repository frees its storage only until the next pull of it re-caches the
  image from upstream (peers notes item 6e).
* Deleting a cached repository and then pulling a previously cached tag can answer ``manifest unknown`` instead of
  fetching it from upstream again (Azure/acr#765, open).
* A cache rule blocks pushes and imports into its target repository (Azure/acr#845).
* Creating a cache rule fails with ``TargetRepositoryPrefixMatchesExistingRegistries`` while repositories matching
  its target exist: delete or rename them first (Azure/ARO-HCP PR #5176; Azure/acr#789).
* Soft delete is not supported together with artifact cache [D-SD: container-registry-soft-delete-policy.md,
  ms.date 2026-03-25]: the ``soft-delete`` check reports that combination, so this one does not repeat it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from acrdoctor.actions import Action, DeleteCacheRule, DeleteRepository, RegistryRef
from acrdoctor.check_api import Check, Context, Finding, Fix, Related, Resource, Severity
from acrdoctor.completeness import Gap
from acrdoctor.controls import CacheRule
from acrdoctor.model import Part, Registry
from acrdoctor.units import human_bytes, plural

#: The ARM error code of a rule created over existing repositories (Azure/ARO-HCP PR #5176; Azure/acr#789).
PREFIX_CONFLICT = "TargetRepositoryPrefixMatchesExistingRegistries"
#: How many repository names a message shows; details carry all of them.
SHOWN = 5

_DOCS = (
    "https://learn.microsoft.com/azure/container-registry/artifact-cache-overview",
    "https://learn.microsoft.com/azure/container-registry/wildcards-artifact-cache",
    "https://learn.microsoft.com/azure/container-registry/container-registry-soft-delete-policy",
    "https://github.com/Azure/acr/issues/765",
    "https://github.com/Azure/acr/issues/845",
)


def target_of(rule: CacheRule, registry: Registry) -> str:
    """The rule's target as a repository pattern, without a login-server prefix some tools print."""
    target = rule.target_repository
    prefix = registry.login_server.lower() + "/"
    return target[len(prefix):] if target.lower().startswith(prefix) else target


def matches(target: str, repository: str) -> bool:
    """Whether a cache-rule target covers ``repository``: ``*``, ``prefix/*`` or the exact name."""
    if target == "*":
        return True
    if target.endswith("/*"):
        return repository.startswith(target[:-1])
    return repository == target


def cached_repositories(rule: CacheRule, registry: Registry, names: Sequence[str]) -> list[str]:
    target = target_of(rule, registry)
    return [n for n in names if matches(target, n)]


def _names(names: Sequence[str]) -> str:
    return ", ".join(names[:SHOWN]) + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")


class ArtifactCache(Check):
    slug = "artifact-cache"
    title = "Repositories fed by an artifact cache rule come back, refuse pushes, or block the rule"
    severity = Severity.LOW
    needs = frozenset({Part.CACHE_RULES, Part.REPOSITORIES})
    uses = frozenset({Part.MANIFESTS, Part.MANIFEST_BODIES})
    failure_mode = "A deleted cached repository came back, answered manifest unknown, or a cache rule cannot be created"
    cause = (
        "An artifact cache rule makes its target repositories a copy of an upstream registry: a pull re-caches what "
        "was deleted, a previously cached tag may answer manifest unknown after a delete (Azure/acr#765), pushes "
        "into the target are refused (Azure/acr#845), and a rule cannot be created over existing repositories."
    )
    docs = _DOCS

    def run(self, ctx: Context) -> Iterator[Finding]:
        snap = ctx.snapshot
        reg = snap.registry
        rules = snap.cache_rules or ()
        ref = RegistryRef(reg.name, reg.resource_group)
        names = [r.name for r in snap.repositories or ()]
        conflict_errors = [e for e in snap.errors if e.code == PREFIX_CONFLICT]
        for rule in rules:
            repos = cached_repositories(rule, reg, names)
            if (rule.provisioning_state or "").lower() == "failed" and repos:
                yield self._conflict(ref, rule, repos, reg)
            elif repos:
                yield self._cached(ctx, ref, rule, repos, reg)
        for err in conflict_errors[:1]:
            yield self._conflict_error(ref, err.message, reg)

    def blind_spots(self, ctx: Context, gaps: tuple[Gap, ...]) -> tuple[Gap, ...]:
        """Without cache rules nothing depends on the listings; a short catalog may still hide a cached repository."""
        if ctx.snapshot.cache_rules:
            return gaps
        return tuple(g for g in gaps if g.part is Part.REPOSITORIES)

    def _bytes(self, ctx: Context, repos: Sequence[str]) -> tuple[int | None, str]:
        if not ctx.snapshot.has(Part.MANIFESTS):
            return None, "an unknown number of bytes (manifests were not collected)"
        wanted = set(repos)
        entries = [(ri, m) for ri, r in enumerate(ctx.storage.repositories) if r.name in wanted
                   for m in r.manifests or ()]
        freed = ctx.storage.freed_by(entries)
        return freed, ("" if ctx.storage.complete else "at least ") + human_bytes(freed)

    def _cached(self, ctx: Context, ref: RegistryRef, rule: CacheRule, repos: list[str], reg: Registry) -> Finding:
        freed, shown = self._bytes(ctx, repos)
        target = target_of(rule, reg)
        fix = Fix(
            summary=f"To keep {plural(len(repos), 'repository', 'repositories')} gone, delete cache rule {rule.name} "
                    "first, then the repositories; to keep caching, expect them back on the next pull.",
            actions=(DeleteCacheRule(ref, rule.name),),
            notes=(
                "Deleting a cached repository frees its storage only until the next pull re-caches it from "
                f"{rule.source_repository} (an inference from how the cache works, not a documented guarantee).",
                "After deleting a cached repository, a pull of a tag cached before can answer manifest unknown "
                "instead of fetching it again (Azure/acr#765, open): pull it by a tag never cached, or delete and "
                "re-create the cache rule.",
                "While the rule exists, pushes and az acr import into its target are refused (Azure/acr#845).",
                "Deleting the rule deletes no image; the repositories stay as ordinary repositories.",
            ),
        )
        return self.finding(
            Resource.repository(repos[0]) if len(repos) == 1 else Resource.registry(reg.name),
            f"{plural(len(repos), 'repository', 'repositories')} ({_names(repos)}) "
            f"{'is' if len(repos) == 1 else 'are'} the target of cache rule {rule.name} ({target} <= "
            f"{rule.source_repository}): deleting {'it' if len(repos) == 1 else 'them'} frees {shown} only until "
            "the next pull caches the images again, and pushes into the target are refused",
            fix=fix,
            details={"rule": rule.name, "source": rule.source_repository, "target": target,
                     "repositories": repos, "freed_bytes": freed, "bytes_exact": ctx.storage.complete},
        )

    def _conflict(self, ref: RegistryRef, rule: CacheRule, repos: list[str], reg: Registry) -> Finding:
        target = target_of(rule, reg)
        deletes: tuple[Action, ...] = tuple(DeleteRepository(ref, r) for r in repos[:SHOWN])
        fix = Fix(
            summary=f"Delete the failed rule {rule.name}; delete or rename the repositories its target matches, then "
                    "create the rule again.",
            actions=(DeleteCacheRule(ref, rule.name),),
            notes=(f"ACR refuses a cache rule ({PREFIX_CONFLICT}) while repositories under its target exist "
                   "(Azure/ARO-HCP PR #5176; Azure/acr#789). Deleting them deletes their images: import what must "
                   "be kept into another repository first.",),
            related=(Related("delete the conflicting repositories",
                             "Only once nothing needs their images (they are pulled again through the rule).",
                             deletes),),
        )
        return self.finding(
            Resource.registry(reg.name),
            f"cache rule {rule.name} ({target} <= {rule.source_repository}) failed to provision while "
            f"{plural(len(repos), 'repository', 'repositories')} under its target exist ({_names(repos)}): ACR "
            f"refuses such a rule with {PREFIX_CONFLICT}",
            fix=fix,
            severity=Severity.MEDIUM,
            details={"rule": rule.name, "target": target, "provisioning_state": rule.provisioning_state,
                     "repositories": repos},
        )

    def _conflict_error(self, ref: RegistryRef, message: str, reg: Registry) -> Finding:
        fix = Fix(
            summary="Delete or rename the repositories under the new rule's target, then create the rule again.",
            notes=(f"ACR refuses a cache rule ({PREFIX_CONFLICT}) while repositories under its target exist "
                   "(Azure/ARO-HCP PR #5176; Azure/acr#789).",),
        )
        return self.finding(
            Resource.registry(reg.name),
            f"creating a cache rule was refused with {PREFIX_CONFLICT}: {message}",
            fix=fix,
            severity=Severity.MEDIUM,
            details={"code": PREFIX_CONFLICT},
        )
