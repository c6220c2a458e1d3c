"""Recognisers for the artifact cache failures (issue 12 item 5), ranked before the first catalogue's.

* ``TargetRepositoryPrefixMatchesExistingRegistries``: ARM refuses to create a cache rule while repositories under
  its target exist; delete or rename them first (Azure/ARO-HCP PR #5176; Azure/acr#789).
* ``manifest unknown`` on a pull from a cached repository after a delete: a previously cached tag can answer manifest
  unknown instead of being fetched from upstream again (Azure/acr#765, open). Recognised only when the text
  speaks of the cache (a cache rule, artifact cache, a cached image) on the line, just before it, or earlier; the
  first catalogue's manifest-unknown recogniser still explains the same line its own way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from acrdoctor.actions import Arg, DeleteRepository, RegistryRef
from acrdoctor.checks.artifact_cache import PREFIX_CONFLICT, ArtifactCache

from .actions import ListCacheRules, ListCredentialSets, ListRepositories, ShowTags
from .model import Step
from .recognisers import Built, Hit, Recogniser, Seen

DOCS_CACHE = "https://learn.microsoft.com/azure/container-registry/artifact-cache-overview"
DOCS_CACHE_TROUBLESHOOT = "https://learn.microsoft.com/azure/container-registry/troubleshoot-artifact-cache"


def _ref(hits: Sequence[Hit]) -> RegistryRef:
    return RegistryRef(hits[0].names.get("registry"))


# --- TargetRepositoryPrefixMatchesExistingRegistries ---------------------------------------------------------

_CONFLICT = re.compile(PREFIX_CONFLICT, re.IGNORECASE)


def _detect_conflict(line: str, context: str, seen: Seen) -> str | None:
    return "artifact-cache" if _CONFLICT.search(line) else None


def _build_conflict(mode: str, hits: Sequence[Hit]) -> Built:
    ref = _ref(hits)
    repo: Arg = hits[0].names.get("repository")
    return Built(
        "A cache rule cannot be created over existing repositories",
        f"ARM refused to create an artifact cache rule with {PREFIX_CONFLICT}",
        "ACR does not create a cache rule while repositories under its target repository already exist "
        "(Azure/ARO-HCP PR #5176; Azure/acr#789): they would mix pushed and cached content. " + ArtifactCache.cause,
        Step("List the rules and the repositories: those whose names fall under the new rule's target (the exact "
             "name, or everything under prefix/ for a prefix/* target) are in the way.",
             (ListCacheRules(ref), ListRepositories(ref))),
        Step("Delete (or import elsewhere, then delete) the repositories under the target, then create the rule "
             "again; the rule re-caches them from upstream on the next pull.",
             (DeleteRepository(ref, repo),),
             ("Deleting a repository deletes every image in it: copy what must be kept with az acr import to "
              "another repository first.",)),
        (DOCS_CACHE, DOCS_CACHE_TROUBLESHOOT, "https://github.com/Azure/acr/issues/789"),
    )


# --- manifest unknown on a cached repository ------------------------------------------------------------------

_MANIFEST_UNKNOWN = re.compile(r"\bMANIFEST_UNKNOWN\b|\bmanifest unknown\b|"
                               r"\bmanifest tagged by \"[^\"]+\" is not found", re.IGNORECASE)
_CACHE = re.compile(r"\bartifact[ -]cache\b|\bcache[ -_]?rules?\b|\bcached\b|\bacr cache\b|\bcacheRules/|"
                    r"\bregistry cache\b|\b(?:through|via) (?:the |our |a )?(?:registry |acr )?cache\b",
                    re.IGNORECASE)


#: A pull-through rule by that name ("populated by a Docker Hub pull-through rule").
_PULL_THROUGH = re.compile(r"\bpull-?through\b|\bthrough (?:our|the) (?:registry|acr)\b", re.IGNORECASE)


def _detect_cached_unknown(line: str, context: str, seen: Seen) -> str | None:
    if not _MANIFEST_UNKNOWN.search(line):
        return None
    cached = _CACHE.search(context) or _CACHE in seen or _PULL_THROUGH.search(context) or _PULL_THROUGH in seen
    return "artifact-cache" if cached else None


def _build_cached_unknown(mode: str, hits: Sequence[Hit]) -> Built:
    n = hits[0].names
    ref = _ref(hits)
    repo: Arg = n.get("repository")
    where = f" for {n.repository}" + (f":{n.tag}" if n.tag else "") if n.repository else ""
    return Built(
        "A cached image answers manifest unknown after a delete",
        f"A pull{where} from an artifact cache repository answered MANIFEST_UNKNOWN",
        "After a cached repository (or tag) is deleted, pulling a tag that was cached before can answer manifest "
        "unknown instead of fetching it from upstream again (Azure/acr#765, open). " + ArtifactCache.cause,
        Step("Find the cache rule covering the repository and see what is still cached.",
             (ListCacheRules(ref), ShowTags(ref, repo))),
        Step("Delete the cache rule and create it again (same source and target), then pull again; the image is "
             "fetched from upstream.",
             (),
             ("Set the rule's name from the first confirm command; az acr cache create -r REGISTRY -n RULE "
              "-s SOURCE -t TARGET re-creates it (az acr cache docs).",
              "Deleting cached repositories frees storage only until the next pull caches them again.")),
        (DOCS_CACHE, "https://github.com/Azure/acr/issues/765"),
    )


# --- a cache rule refused at creation (Docker Hub without credentials, and ARM's other refusals) -----------------

#: ARM refusing a cache rule itself: ``EnforceDockerAuthentication: Cannot create cache rule pointing to Docker Hub
#: without credentials`` (seen in hashicorp/terraform-provider-azurerm's acceptance tests, 2024-11).
_RULE_REFUSED = re.compile(r"\bEnforceDockerAuthentication\b|Cannot create (?:a |the )?cache rule", re.IGNORECASE)


def _detect_rule_refused(line: str, context: str, seen: Seen) -> str | None:
    return "artifact-cache" if _RULE_REFUSED.search(line) else None


def _build_rule_refused(mode: str, hits: Sequence[Hit]) -> Built:
    ref = _ref(hits)
    hub = any("docker hub" in h.line.lower() or "enforcedockerauthentication" in h.line.lower() for h in hits)
    return Built(
        "The cache rule was refused when it was created",
        "ARM refused to create the artifact cache rule"
        + (": a rule whose upstream is Docker Hub needs a credential set" if hub else ""),
        "ACR validates a cache rule when it is created: "
        + ("rules pointing at Docker Hub are refused without a credential set (authenticated pulls), "
           if hub else "") + "the rule's source, target and credentials must be acceptable before any pull is "
        "cached. Nothing in existing repositories changes.",
        Step("List the rules and the credential sets the registry has.",
             (ListCacheRules(ref), ListCredentialSets(ref))),
        Step("Create a credential set (a Key Vault secret with the upstream's username and token) and create the "
             "rule with it (az acr credential-set create, then az acr cache create --cred-set)."
             if hub else "Correct the rule as the message says, then create it again."),
        (DOCS_CACHE, "https://aka.ms/acr/cache-auth") if hub else (DOCS_CACHE, DOCS_CACHE_TROUBLESHOOT),
        confidence=0.9,
    )


# --- a credential set the registry cannot read --------------------------------------------------------------------

#: A credential set reported unhealthy: the registry's identity cannot read its Key Vault secrets (expired or rotated
#: secrets, access to the vault removed), so pulls through the rule fail for anything not yet cached. The registry's
#: own configuration, not the upstream's answer (troubleshoot-artifact-cache: "Unhealthy Credential Set").
_CRED_SET_UNHEALTHY = re.compile(r"\bcredential ?sets?\b[^.\n]{0,80}?\bunhealthy\b|\bunhealthy credential ?sets?\b",
                                 re.IGNORECASE)


def _detect_cred_set(line: str, context: str, seen: Seen) -> str | None:
    return "artifact-cache" if _CRED_SET_UNHEALTHY.search(line) else None


def _build_cred_set(mode: str, hits: Sequence[Hit]) -> Built:
    ref = _ref(hits)
    return Built(
        "The cache rule's credential set is unhealthy",
        "A credential set of the registry's artifact cache is reported unhealthy",
        "A credential set holds the upstream's username and password as Key Vault secret URIs, read by the "
        "registry's managed identity at pull time. It turns unhealthy when a secret is expired, disabled or rotated "
        "to a new version the set does not name, or when the identity lost get access to the vault; then every "
        "pull of something not yet cached fails, while cached tags still pull.",
        Step("List the credential sets (their health and identity) and the rules that use them.",
             (ListCredentialSets(ref), ListCacheRules(ref))),
        Step("Renew the secrets in Key Vault (or point the set at their current versions), and give the set's "
             "identity get permission on the vault's secrets again; then pull once to check.",
             notes=("az acr credential-set update with --username-id/--password-id points the set at new Key Vault "
                    "secret ids; a Key Vault Secrets User role assignment for the set's identity (or an access "
                    "policy with get on secrets) restores its access.",)),
        (DOCS_CACHE_TROUBLESHOOT, DOCS_CACHE),
        confidence=0.85,
    )


# --- a cache rule whose source mapping makes paths Docker Hub cannot have ----------------------------------------

#: The upstream path a cache rule asked for, as ACR's refusal quotes it: ``docker.io/library/<namespace>/<name>``.
#: Docker Hub's ``library`` namespace holds only the official images, one name deep, so such a path never exists:
#: the rule's source (``docker.io/library/*``) was mapped onto a target (``docker.io/*``) that also takes namespaced
#: images, and every pull of one is sent to a path that is not there (Azure/acr#772). The rule is wrong, not the
#: upstream's answer.
LIBRARY_NESTED = re.compile(r"(?:source|from) ['\"](?:docker\.io|index\.docker\.io|registry-1\.docker\.io)/"
                            r"library/[\w.-]+/[\w./-]+(?::[\w.-]+)?['\"]", re.IGNORECASE)


def _detect_library_nested(line: str, context: str, seen: Seen) -> str | None:
    return "artifact-cache" if LIBRARY_NESTED.search(line) else None


def _build_library_nested(mode: str, hits: Sequence[Hit]) -> Built:
    ref = _ref(hits)
    path = next((m.group(0) for h in hits for m in [LIBRARY_NESTED.search(h.line)] if m), "")
    return Built(
        "A cache rule maps namespaced images under Docker Hub's library/",
        f"The cache rule asked Docker Hub for a path that cannot exist ({path.split(' ', 1)[-1]}): "
        "library/ holds only official images, one name deep",
        "A cache rule turns the repository pulled from the registry into an upstream path by its source and "
        "target. A rule with source docker.io/library/* and a target that also catches namespaced images (for "
        "example docker.io/*) puts library/ in front of every namespace, so an image like owner/app is asked for "
        "as library/owner/app, which Docker Hub does not have. Official images (library/nginx) still pull through "
        "it. " + ArtifactCache.cause,
        Step("List the cache rules: the one the message names shows its source and target.",
             (ListCacheRules(ref),)),
        Step("Give namespaced images a rule whose source keeps the namespace (source docker.io/OWNER/* for target "
             "docker.io/OWNER/*, or source docker.io/* for target docker.io/*), and keep the library/* rule for "
             "official images only (its target without a namespace).",
             notes=("az acr cache create -r REGISTRY -n RULE -s SOURCE -t TARGET --cred-set SET creates a rule; a "
                    "rule's source and target cannot be edited in place: delete it and create it again.",)),
        (DOCS_CACHE, DOCS_CACHE_TROUBLESHOOT),
        confidence=0.85,
    )


RECOGNISERS: tuple[Recogniser, ...] = (
    Recogniser("credential-set-unhealthy", ("artifact-cache",), _detect_cred_set, _build_cred_set,
               _CRED_SET_UNHEALTHY, ("unhealthy",)),
    Recogniser("cache-rule-refused", ("artifact-cache",), _detect_rule_refused, _build_rule_refused, _RULE_REFUSED,
               ("enforcedockerauthentication", "cannot create")),
    Recogniser("cache-rule-library-path", ("artifact-cache",), _detect_library_nested, _build_library_nested,
               LIBRARY_NESTED, ("library/",)),
    Recogniser("cache-rule-conflict", ("artifact-cache",), _detect_conflict, _build_conflict, _CONFLICT,
               ("targetrepositoryprefixmatchesexistingregistries",)),
    Recogniser("cached-manifest-unknown", ("artifact-cache",), _detect_cached_unknown, _build_cached_unknown,
               _MANIFEST_UNKNOWN, ("manifest_unknown", "manifest unknown", "manifest tagged by"),
               remembers=((_CACHE, "cache"), (_PULL_THROUGH, "through"))),
)

#: Failure modes about the registry as a whole: none here (both name the repositories they are about).
REGISTRY_LEVEL: frozenset[str] = frozenset()
