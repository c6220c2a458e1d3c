"""The catalogue of recognisers: one per failure, each a pure function of a logical line and its neighbours.

Error strings and their sources are in ../shared/reference/notes/acr-wire-behaviour.md (§a check-health
codes and messages, §b CLI statuses, §c.2–c.4 bodies) and acr-semantics-and-peers.md (§2.5 acr purge
output, §3 user reports, §4 facts 13 and 23, §5 throttling). Each recogniser maps to a catalogue slug
where one exists, so ``explain`` and ``diagnose`` speak of the same failure with the same fixes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from acrdoctor.actions import (
    CALLER_IP_EXPR,
    AddNetworkRule,
    AssignRole,
    DeletePrivateEndpointConnection,
    DeleteRegistry,
    DeleteRepository,
    ImportPlaceholder,
    RegistryRef,
    RunPurge,
    SetAttributes,
    SetQuarantinePolicy,
    ShowManifestMetadata,
    UpgradeSku,
)
from acrdoctor.checks.broken_index_references import BrokenIndexReferences
from acrdoctor.checks.dangling_manifests import DanglingManifests, purge_filter
from acrdoctor.checks.delete_permission import (
    ROLES,
    SCOPE_MAP_ACTIONS,
    DeletePermission,
    Missing,
    missing_permissions,
)
from acrdoctor.checks.empty_repository import EmptyRepository
from acrdoctor.checks.locked_artifacts import LockedArtifacts
from acrdoctor.checks.network_access import NetworkAccessDenied
from acrdoctor.checks.private_endpoints import PRIVATE_DNS_ZONE, PrivateEndpointsBlockRegistryDelete
from acrdoctor.checks.quarantined_images import QuarantinedImages
from acrdoctor.checks.shared_layers import SharedLayers
from acrdoctor.checks.storage_accounting import StorageAccounting
from acrdoctor.checks.storage_limit import StorageLimit
from acrdoctor.checks.throttling import BASIC_STANDARD, PREMIUM, Throttling
from acrdoctor.model import CollectionError

from .access_fixes import delete_fixes
from .actions import (
    CheckHealth,
    FindRepository,
    ImportImage,
    ListManifestMetadata,
    ListPrivateEndpointConnections,
    ListReplications,
    ListRepositories,
    ListRoleAssignments,
    ListSoftDeleted,
    Login,
    RunAcrdoctor,
    ShowImage,
    ShowManifest,
    ShowRegistry,
    ShowRepository,
    ShowSoftDelete,
    ShowTags,
    ShowUsage,
    registry_id_expr,
)
from .model import Step
from .names import Names, placeholder
from .negation import affirmed

DOCS_LOCK = "https://learn.microsoft.com/azure/container-registry/container-registry-image-lock"
DOCS_FAQ = "https://learn.microsoft.com/azure/container-registry/container-registry-faq"
DOCS_QUARANTINE = "https://github.com/Azure/acr/tree/main/docs/preview/quarantine"
DOCS_DELETE = "https://learn.microsoft.com/azure/container-registry/container-registry-delete"
DOCS_TROUBLESHOOT = "https://learn.microsoft.com/troubleshoot/azure/azure-container-registry/delete-operation-issues"
DOCS_HEALTH = "https://learn.microsoft.com/azure/container-registry/container-registry-health-error-reference"
DOCS_LOGIN = "https://learn.microsoft.com/azure/container-registry/container-registry-troubleshoot-login"
DOCS_AUTH = "https://learn.microsoft.com/azure/container-registry/container-registry-authentication"
DOCS_PRIVATE_DNS = "https://learn.microsoft.com/azure/container-registry/container-registry-private-link"
DOCS_PURGE = "https://learn.microsoft.com/azure/container-registry/container-registry-auto-purge"

#: A name left as the docs write it (``<container-registry-name>``, ``[myacrname]``, ``${REGISTRY}``): a text copied
#: from a troubleshooting article or a script still names the registry's host, only not which one.
PLACEHOLDER = r"(?:<[\w .-]{1,40}>|\[[\w .-]{1,40}\]|\$\{\w+\}|\$\w+)"


@dataclass(frozen=True, slots=True)
class Hit:
    """One logical line that shows a failure, with the names found on it and around it."""

    index: int
    line: str
    names: Names
    context: str  # the line and the few before it, for classifying


@dataclass(frozen=True, slots=True)
class Built:
    title: str
    message: str
    cause: str
    confirm: Step
    fix: Step
    docs: tuple[str, ...]
    notes: tuple[str, ...] = ()
    #: Names the builder added (the missing action from the 401 detail...); None keeps the first hit's.
    extracted: Names | None = None
    #: The builder's own confidence for this group of hits; None takes the recogniser's.
    confidence: float | None = None
    #: What to collect next when the text is not enough (read-only commands).
    next_step: Step | None = None


#: The ``remembers`` patterns of every recogniser that some line of the text so far has matched.
Seen = frozenset[re.Pattern[str]]


@dataclass(frozen=True, slots=True)
class Recogniser:
    """``detect`` says whether a line shows this failure and which failure mode it is (or None), from the line,
    the lines just before it (``context``) and what the text has shown so far; ``build`` explains a group of
    hits of one failure mode.

    ``trigger`` is a pattern every line that ``detect`` accepts matches, and every match of it contains one of
    ``keywords`` (lower case) in the line's :func:`fold`: a line holding no keyword (almost every line of a build
    log) is not examined further, for the price of a few substring tests instead of a regex per recogniser.
    tests/explain/test_streaming.py checks the keywords against every alternative of the trigger.
    ``remembers`` lists patterns whose occurrence anywhere before (or on) a line ``detect`` may ask about,
    through ``seen``, each with a word (lower case) every match of it holds: every line of a text is tested for
    them, and the word first makes that a substring test on almost every line.
    """

    name: str
    modes: tuple[str, ...]
    detect: Callable[[str, str, Seen], str | None]
    build: Callable[[str, Sequence[Hit]], Built]
    trigger: re.Pattern[str]
    keywords: tuple[str, ...]
    remembers: tuple[tuple[re.Pattern[str], str], ...] = ()
    #: How sure a match of this recogniser is, unless its builder says otherwise (Built.confidence).
    confidence: float = 0.9


def _no_line(line: str, context: str, seen: Seen) -> str | None:
    return None


def asked_by_the_scan(name: str, modes: tuple[str, ...], build: Callable[[str, Sequence[Hit]], Built],
                      confidence: float = 0.9) -> Recogniser:
    """A recogniser that no line matches: the ticket scan asks it once, about the whole ticket (the name-slip check,
    the vocabulary's guess), and only its ``build`` is used."""
    return Recogniser(name, modes, _no_line, build, re.compile(r"(?!)"), (), confidence=confidence)


#: Characters other than ASCII letters that a case-insensitive pattern matches as one, and what lower() leaves
#: of them (U+0130 İ lowers to "i" + U+0307; U+212A KELVIN SIGN lowers to "k" by itself).
_FOLD = str.maketrans({"\u0131": "i", "\u017f": "s", "\u0307": None})


def fold(line: str) -> str:
    """The line in lower case, with every character a case-insensitive ASCII pattern reads as a letter made
    that letter, so that a keyword test never rejects a line its pattern would match."""
    low = line.lower()
    return low if line.isascii() else low.translate(_FOLD)


def any_of(*patterns: re.Pattern[str]) -> re.Pattern[str]:
    """One pattern that matches where any of ``patterns`` does, each keeping its own case sensitivity."""
    return re.compile("|".join(f"(?{'i' if p.flags & re.IGNORECASE else ''}:{p.pattern})" for p in patterns))


def _ref(n: Names) -> RegistryRef:
    return RegistryRef(n.get("registry"))


def _distinct(hits: Sequence[Hit], *keys: str, limit: int = 10) -> list[Names]:
    """Distinct targets (by ``keys``) among the hits, first-seen order, at most ``limit``."""
    seen: dict[tuple[str | None, ...], Names] = {}
    for h in hits:
        key = tuple(getattr(h.names, k) for k in keys)
        if key not in seen:
            seen[key] = h.names
    return list(seen.values())[:limit]


def on_match(pattern: re.Pattern[str], mode: str) -> Callable[[str, str, Seen], str | None]:
    """A ``detect`` for a recogniser whose one pattern settles it: the mode wherever the line matches."""
    def detect(line: str, context: str, seen: Seen) -> str | None:
        return mode if pattern.search(line) else None
    return detect


def confirm_first(fix: Step, summary: str) -> Step:
    """The fix with its commands kept as words ("Once confirmed: …"), when the text is not enough to run them: a
    guess from words, a refusal that names no action, a message that is one reading of several."""
    return Step(summary, (), (*fix.notes, *(f"Once confirmed: {c}" for c in fix.commands)))


def _where(n: Names) -> str:
    reg = f" in registry {n.registry}" if n.registry else ""
    if n.repository and n.tag:
        return f"{n.repository}:{n.tag}{reg}"
    if n.repository and n.digest:
        return f"{n.repository}@{n.digest[:19]}…{reg}"
    if n.repository:
        return f"repository {n.repository}{reg}"
    return f"registry {n.registry}" if n.registry else "the registry"


# --- NAME_UNKNOWN ------------------------------------------------------------------------------------------

_NAME_UNKNOWN = re.compile(r"\bNAME_UNKNOWN\b|repository name not known to registry|\brepository not found\b|"
                           r"\brepository\W{1,4}[\w./:-]+\W{1,4}(?:is |was )?(?:not found|could not be found)",
                           re.IGNORECASE)
_REPO_IS_NOT_FOUND = re.compile(r"\brepository\W{1,4}[\w./:-]+\W{1,4}(?:is |was )?(?:not found|could not be found)",
                                re.IGNORECASE)
_DELETE_CONTEXT = re.compile(r"\bdelet|DELETE /acr/v1/|\bremov", re.IGNORECASE)
_READ_CONTEXT = re.compile(r"\b(?:pull|Pulling|repository show|show-tags|GET /|list-metadata|acr purge|"
                           r"repository not found)\b|"
                           # a read request or an SDK getter (crane and the Go SDK print the request they made)
                           r"\b(?-i:GET|HEAD) (?:/|\"?https?://)|/tags/list\b|\b(?:get|list)_\w+\(|"
                           r"\b(?:Get|List)\w+?(?:Async)?\(|\bmanifest (?:fetch|get|show)\b|\brepo (?:tags|ls)\b|"
                           r"\bcrane (?:manifest|ls|digest|config)\b|"
                           # an SDK getter or a client's read named in words ("calls getProperties on each")
                           r"\b(?:get|list)_?(?:properties|tag_properties|manifest_properties|tags|manifests)\b|"
                           r"\b(?:helm|oras|docker|podman|nerdctl|skopeo|crane|regctl) (?:pull|inspect|show|copy)\b|"
                           r"\brepository (?:list|show)\b|\bshow-manifests\b", re.IGNORECASE)


def _detect_name_unknown(line: str, context: str, seen: Seen) -> str | None:
    found = _NAME_UNKNOWN.search(line)
    if not found:
        return None
    # What the words just before the error say was being done decides first ("we are trying to pull … Always receive
    # 'repository name not known'"); the rest of a ticket may speak of other operations ("or was it deleted?").
    near = line[max(0, found.start() - 160):found.end()]
    if _READ_CONTEXT.search(near) and not _DELETE_CONTEXT.search(near):
        return "repository-not-found"
    if _DELETE_CONTEXT.search(context):
        return "empty-repository"
    if _READ_CONTEXT.search(context) or _REPO_IS_NOT_FOUND.search(line):
        # az's own "Repository "x" is not found." comes from reads (show, show-tags): no delete in sight.
        return "repository-not-found"
    return "empty-repository"


def _build_name_unknown(mode: str, hits: Sequence[Hit]) -> Built:
    n = hits[0].names
    ref, repo = _ref(n), n.get("repository")
    readings = (
        "Two things answer NAME_UNKNOWN: (1) the empty-repository trap — the repository was emptied image by "
        "image, ACR kept orphaned metadata, it still shows in listings with 0 tags and 0 manifests, yet every "
        "delete answers 404 NAME_UNKNOWN; (2) the repository really does not exist (wrong name, wrong registry, "
        "already deleted — names are case-sensitive and include their namespace, e.g. team/app)."
    )
    confirm = Step(
        "Tell the two apart: if the catalog lists the name (second command prints it) but `repository show` "
        "answers NAME_UNKNOWN or 0 tags/0 manifests, it is the trap; if the catalog does not list it, the "
        "repository does not exist.",
        (ShowRepository(ref, repo), FindRepository(ref, repo)),
    )
    if mode == "empty-repository":
        title = "Repository delete answers NAME_UNKNOWN"
        message = (f"Deleting {_where(n)} failed with 404 NAME_UNKNOWN \"repository name not known to registry\"")
        fix = Step(
            "If it is the trap: put a placeholder image into the repository, then delete the whole repository.",
            tuple(a for t in _distinct(hits, "repository") for a in
                  (ImportPlaceholder(_ref(t), t.get("repository")), DeleteRepository(_ref(t), t.get("repository")))),
            ("Pushing any image under this name works as well as the import.",
             "If the catalog does not list the name, there is nothing to delete: check the spelling and the "
             "registry instead of running these.",
             "Next time delete the repository itself instead of deleting its images one by one."),
        )
        cause = EmptyRepository.cause + " " + readings
        docs = EmptyRepository.docs
    else:
        title = "Repository not known to the registry"
        message = f"ACR answered NAME_UNKNOWN for {_where(n)}: it does not know that repository name"
        fix = Step(
            "Use a repository name the registry lists (exact case, with its namespace); if it is listed and still "
            "answers NAME_UNKNOWN, it is the empty-repository trap: import a placeholder, then delete it.",
            (ListRepositories(ref),),
            ("The empty-repository fix: " + " && ".join(
                c for a in (ImportPlaceholder(ref, repo), DeleteRepository(ref, repo))
                for c in a.commands()),),
        )
        cause = readings
        docs = EmptyRepository.docs
    return Built(title, message, cause, confirm, fix, docs)


# --- TAG_UNKNOWN -------------------------------------------------------------------------------------------

_TAG_UNKNOWN = re.compile(r"\bTAG_UNKNOWN\b|the specified tag does not exist|manifest tagged by ['\"]?(?:[\w.-]+|"
                          + PLACEHOLDER + r")['\"]? is not found", re.IGNORECASE)


def _detect_tag_unknown(line: str, context: str, seen: Seen) -> str | None:
    return "tag-not-found" if _TAG_UNKNOWN.search(line) else None


def _build_tag_unknown(mode: str, hits: Sequence[Hit]) -> Built:
    n = hits[0].names
    m = re.search(r"manifest tagged by ['\"]?([\w.-]+)", hits[0].line)
    if m and not n.tag:
        n = Names(tag=m.group(1)).merged(n)
    ref, repo = _ref(n), n.get("repository")
    return Built(
        "Tag not found",
        # Said as the text says it: ACR's own code where the text shows it, otherwise the client's sentence.
        (f"ACR answered 404 TAG_UNKNOWN \"the specified tag does not exist\" for {_where(n)}"
         if any(re.search(r"\bTAG_UNKNOWN\b|the specified tag does not exist", h.line, re.IGNORECASE) for h in hits)
         else f"The registry has no such tag: {_where(n)} (the client's \"not found\" for the tag)"),
        "The tag is not in the repository: it was never pushed, was untagged, or went with its manifest when "
        "another tag on the same manifest was deleted (deleting by tag deletes the manifest and every tag on "
        "it). ACR also answers TAG_UNKNOWN, not NAME_UNKNOWN, when the repository itself does not exist.",
        Step("List the repository's tags and look the tag up; if the repository is not listed either, the name "
             "of the repository is wrong.",
             (ShowTags(ref, repo), ShowImage(ref, repo, tag=n.get("tag")), FindRepository(ref, repo))),
        Step("Nothing is left to delete under that tag. To delete what remains, use a tag the listing shows or "
             "the manifest's digest; a delete that must be idempotent can treat TAG_UNKNOWN as done."),
        (DOCS_DELETE,),
        extracted=n,
    )


# --- MANIFEST_UNKNOWN --------------------------------------------------------------------------------------

_MANIFEST_UNKNOWN = re.compile(r"\bMANIFEST_UNKNOWN\b|\bmanifest unknown\b|"
                               r"manifest sha256:[0-9a-f]{4,}(?:\.\.\.|…)?[0-9a-f]* is not found",
                               re.IGNORECASE)
#: A multi-platform image named: "manifest list" the image kind (not az's `manifest list-metadata`, `list-deleted`,
#: `list-referrers`), a platform as `platform: linux/arm64` or "multi-platform" (not "the platform team").
_MULTI_PLATFORM = (r"manifest list(?![-\w])|multi-?arch|\bplatforms?[=:]?\s*[\"']?(?:linux|windows)/|"
                   r"\bmulti-?platform|\bindex\b")
_PULL_CONTEXT = re.compile(r"\bpull|Pulling from|docker run|image inspect|--platform\b|" + _MULTI_PLATFORM +
                           r"|ImagePullBackOff|ErrImagePull|failed to resolve", re.IGNORECASE)


#: What says the image is an index (multi-arch, signed, built with buildx): a child of it can go missing.
_INDEX_CONTEXT = re.compile(_MULTI_PLATFORM + r"|image index|--platform|"
                            r"buildx|\bM[1-4](?:/M[1-4])* Macs?\b|Apple Silicon|\bx64\b|"
                            r"\b(?:arm64|amd64)\b|cosign|notation|\bsign(?:ed|ature)\b", re.IGNORECASE)
#: A pull that resolved a tag and then missed a digest: the tag's index points at a manifest that is gone.
_CHILD_MISSING = re.compile(r"manifest for \S+:[\w.-]+ not found\W+manifest unknown\W+manifest sha256:"
                            r"|\bsha256:[0-9a-f]{64}\b[^\n]{0,40}(?:is not found|not found|manifest unknown)",
                            re.IGNORECASE)
#: A pull of a tag the repository does not have: "manifest for REG/REPO:TAG not found: manifest unknown".
#: Each alternative starts where its token does (a lookbehind, not a leading ``\S+``): a long token of colons would
#: otherwise be rescanned from every position in it (quadratic on a hostile line).
_TAG_NOT_THERE = re.compile(r"manifest for \S+:[\w.-]+ not found|(?<=\S:)[\w.-]+: not found\b|"
                            r"manifest unknown (?:for|on) (?:the )?tag\b", re.IGNORECASE)


#: skopeo's read of a tag: "reading manifest TAG in REG/REPO: manifest unknown".
_SKOPEO_TAG = re.compile(r"reading manifest [\w.-]+ in \S+: manifest unknown", re.IGNORECASE)


#: An image named by tag on this registry (REG.azurecr.io/REPO:TAG).
_TAGGED_REF = re.compile(r"\bazurecr\.(?:io|cn|us)(?::\d+)?/[\w./-]+:[\w.-]+", re.IGNORECASE)


#: docker's sentence for a tag its registry lacks, cut before ACR's code (a tool quoting docker's first clause,
#: Pulumi's "warning: Error response from daemon: manifest for REG/REPO:TAG not found").
_DOCKER_TAG_MISSING = re.compile(r"manifest for [\w.-]+\.azurecr\.(?:io|cn|us)(?::\d+)?/[^\s@:]+:[\w.-]+ not found",
                                 re.IGNORECASE)


def _detect_manifest_unknown(line: str, context: str, seen: Seen) -> str | None:
    if not _MANIFEST_UNKNOWN.search(line):
        return "tag-not-found" if _DOCKER_TAG_MISSING.search(line) and not _TAG_UNKNOWN.search(line) else None
    if _TAG_UNKNOWN.search(line):
        return None
    if _SKOPEO_TAG.search(line):
        return "tag-not-found"
    index = _INDEX_CONTEXT.search(context)
    if index and (_PULL_CONTEXT.search(context) or re.search(r"pull", context, re.IGNORECASE)):
        return "broken-index-references"
    if _PULL_CONTEXT.search(context) and "purge" not in context.lower():
        if _CHILD_MISSING.search(line):
            return "broken-index-references"
        if _TAG_NOT_THERE.search(line) or (_TAGGED_REF.search(context) and "sha256:" not in line):
            # The tag itself does not resolve: a tag never pushed, deleted, or misspelt (no index involved).
            return "tag-not-found"
        return "broken-index-references" if index else "manifest-not-found"
    return "manifest-not-found"


def _build_manifest_unknown(mode: str, hits: Sequence[Hit]) -> Built:
    if mode == "tag-not-found":
        return _build_tag_unknown(mode, hits)
    n = hits[0].names
    ref, repo = _ref(n), n.get("repository")
    purge = any("purge" in h.context.lower() or "GetManifest" in h.context for h in hits)
    if mode == "broken-index-references":
        index_ref = n.tag or placeholder("tag")
        child = n.get("digest")
        return Built(
            "Pull fails: a multi-arch index lists a platform manifest that is gone",
            f"Pulling {_where(n)} failed with MANIFEST_UNKNOWN"
            + (f": platform manifest {n.digest[:19]}… is not found" if n.digest else ""),
            BrokenIndexReferences.cause + " The index is still tagged, so pulls resolve it and then fail on the "
            "deleted child (typically after `acr purge --untagged` or deleting untagged manifests by hand).",
            Step("Show the index: if it lists the missing digest among its manifests, the index is broken; the "
                 "second command then answers MANIFEST_UNKNOWN for that child.",
                 (ShowManifest(ref, repo, index_ref), ShowImage(ref, repo, digest=child))),
            Step("No az command brings a deleted manifest back: rebuild and push the image under the tag, or "
                 "re-import it from another copy.",
                 (ImportImage(ref, placeholder("source_image"), repo, index_ref),),
                 ("$SOURCE_IMAGE is the original image the tag was built or imported from (another registry, a "
                  "CI build); re-pushing with docker buildx --push works as well.",
                  "Clean untagged manifests with `acr purge --untagged-only` (acr-cli ≥ 0.17): it keeps the "
                  "children of tagged indexes; `acrdoctor diagnose --check broken-index-references` finds other "
                  "broken indexes before users do.")),
            BrokenIndexReferences.docs,
        )
    notes = []
    if purge:
        notes.append("`acr purge` lists manifests and then reads each one; a manifest deleted in between (by a "
                     "concurrent purge or delete) answers 404 and older acr-cli images abort the whole run "
                     "(Azure/acr-cli#459, fixed by #460): use a current acr-cli image and do not run two cleanups "
                     "at once.")
    return Built(
        "Manifest not found",
        f"ACR answered 404 MANIFEST_UNKNOWN for {_where(n)}",
        "No manifest with that digest (or reference) is in the repository: it was already deleted — deleting a "
        "manifest also removes every tag on it — or the digest belongs to another repository.",
        Step("Look the digest up, and list what the repository holds.",
             (ShowImage(ref, repo, digest=n.get("digest")), ListManifestMetadata(ref, repo))),
        Step("Nothing is left to delete for that digest; a cleanup that must be idempotent can treat "
             "MANIFEST_UNKNOWN on delete as done.", (), tuple(notes)),
        (DOCS_DELETE, *BrokenIndexReferences.docs[1:2]),
    )


# --- a reference that does not resolve (containerd, oras) --------------------------------------------------

#: containerd and oras say "REG/REPO:TAG: not found" when the registry has no such tag (or repository).
_REF_NOT_FOUND = re.compile(r"(?<![\w.-])[\w.-]+\.azurecr\.(?:io|cn|us)(?::\d+)?/[\w./-]+(?::[\w.-]+|"
                            r"@sha256:[0-9a-f]{64}): not found\b", re.IGNORECASE)


#: The kubelet's event carrying containerd's gRPC code NotFound for a reference on this registry: the registry
#: answered 404 to the node's own credentials (a refusal is Unknown with a 401 in it), whether or not the line goes on
#: to say ": not found" (a pasted event is often cut there; MicrosoftDocs/azure-docs#80321).
_CONTAINERD_REF_NOT_FOUND = re.compile(r"\bcode = NotFound desc = failed to pull and unpack image \\?\"(?P<ref>[\w.-]+"
                                       r"\.azurecr\.(?:io|cn|us)(?::\d+)?/[^\"\s\\]+)")


def _detect_ref_not_found(line: str, context: str, seen: Seen) -> str | None:
    m = _REF_NOT_FOUND.search(line) or _CONTAINERD_REF_NOT_FOUND.search(line)
    if not m or _MANIFEST_UNKNOWN.search(line):
        return None
    # containerd names the reference it resolved: a digest there is a manifest the registry does not have.
    return "manifest-not-found" if "@sha256:" in m.group(0).lower() else "tag-not-found"


def _build_ref_not_found(mode: str, hits: Sequence[Hit]) -> Built:
    # The tag, or the repository, is not there; a misspelt name reads the same: the confirm step tells them apart.
    built = _build_manifest_unknown(mode, hits) if mode == "manifest-not-found" else _build_tag_unknown(mode, hits)
    return replace(built, confidence=0.7)


# --- 405 disallowed ----------------------------------------------------------------------------------------

_DISALLOWED = re.compile(r"\bREGISTRY_DISALLOWED_OPERATION\b|operation is disallowed on this registry|"
                         r"operation not allowed, HTTP status: 405|StatusCode=405|\b405 Method Not Allowed\b|"
                         r"invalid status 'Method Not Allowed'",
                         re.IGNORECASE)


#: Words that rank the documented causes of the same 405 (ACR FAQ "Why does my pull or push request fail with
#: disallowed operation?", container-registry-faq.yml: locks, quarantine, storage limit, Classic SKU). The 405 body is
#: the same for all of them, so only the text around it can tell them apart; a lock stays the default reading.
_QUARANTINE_WORDS = re.compile(r"quarantin|"
                               # the scanner that holds new pushes, and the refusal that clears by itself once it
                               # has looked ("for an hour after the push, then it starts working by itself")
                               r"\bscan(?:s|ned|ner|ners|ning)?\b|\b(?:works?|working|pulls?) (?:again )?(?:by itself|"
                               r"on its own)|\bby itself\b", re.IGNORECASE)
#: A registry at its storage cap in words (also the ticket reader's cues): show-usage's figure against its limit or
#: equal to it, a size at the largest registries' cap, "at 100%", a full storage bar.
AGAINST_LIMIT = r"\bagainst (?:a|the|its) limit\b|\blimit of [\d,.]+"
STORAGE_NEAR_CAP = r"(?<!of )\b(?:39|4\d|9\d|1\d\d)(?:[.,]\d+)? ?(?:Ti?B|TB)\b"
USAGE_AT_LIMIT = r"\bSize\s+(?P<size>[\d,]{6,})\s+(?:of\s+|/\s*)?(?P=size)\b|\b(?:at|is|reached) 100 ?%|\bceiling\b"
#: Usage said to stand at the tier's maximum in words: "storage used equals the SKU's maximum", "the usage chart is
#: flat at its maximum", "storage used at the same number as the included amount".
USAGE_EQUALS_CAP = (r"\b(?:used|usage|storage|size)\b[^.\n]{0,60}?\b(?:equals?|equal to|matches|is at|at|reached|hit|"
                    r"has hit|same (?:number|value|figure|amount|size) as)\b (?:the |its )?(?:sku(?:'s)? |plan(?:'s)? |"
                    r"tier(?:'s)? |included )?(?:maximum|max|limit|cap|quota|included (?:amount|storage|size))\b")
STORAGE_BAR_FULL = r"\b(?:storage|usage) (?:bar|gauge|meter)\b[^.\n]{0,60}\b(?:red|full)\b"
_STORAGE_LIMIT_WORDS = re.compile(r"storage (?:quota|limit|capacity|is full)|quota (?:exceeded|reached)|"
                                  r"\bexceed(?:s|ed)?\b[^.\n]{0,40}\b(?:storage|size|quota|capacity)|"
                                  r"MaximumStorageCapacity|registry (?:is )?full|"
                                  + "|".join((AGAINST_LIMIT, STORAGE_NEAR_CAP, USAGE_AT_LIMIT, STORAGE_BAR_FULL,
                                              USAGE_EQUALS_CAP)),
                                  re.IGNORECASE)


#: A 405 whose code says the operation is not supported at all (OCI's UNSUPPORTED), not refused for this object:
#: no lock, quarantine or full registry explains it, and unlocking would change something for nothing.
_UNSUPPORTED = re.compile(r"\bUNSUPPORTED\b|operation is unsupported", re.IGNORECASE)


def _unsupported(line: str) -> bool:
    return bool(_UNSUPPORTED.search(line)) and "disallowed" not in line.lower()


#: What each operation looks like on the line that failed or the command before it.
_OPERATIONS = (
    ("pull", re.compile(r"\bpull(?:s|ed|ing)?\b|Pulling (?:from|image)|\bdownload\w*|\bImagePull|failed to resolve|"
                        r"\bget_?manifest|\bgetManifest|\bGET /v2/", re.IGNORECASE)),
    ("push", re.compile(r"The push refers to|\bpush(?:es|ed|ing)?\b|\bupload\w*|\bPUT /v2/", re.IGNORECASE)),
    ("delete", re.compile(r"\bdelet\w*|\bremov\w*|\buntag\w*|\bpurg\w*|\bDELETE /", re.IGNORECASE)),
)
#: Refusals across the registry, new repositories included: no lock (set per repository or image) does that.
_REGISTRY_WIDE = re.compile(r"\b(?:every|all|any) (?:of (?:our|the) )?(?:repo(?:s|sitor(?:y|ies))?|images?)\b|"
                            r"\b(?:brand[- ])?new (?:repo(?:s|sitory)?|repository name)\b|never existed", re.IGNORECASE)


def refused_operation(line: str, context: str) -> str | None:
    """The operation a refusal answered: the one the failing line names (only one), else the nearest of the three
    lines before it that names one. A ticket's "deletes still work" is not the refused delete."""
    def named(text: str) -> str | None:
        found = [op for op, pattern in _OPERATIONS if pattern.search(text)]
        return found[0] if len(found) == 1 else None

    return named(line) or next((op for text in reversed(context.split("\n")[-4:-1]) if (op := named(text))), None)


def _detect_disallowed(line: str, context: str, seen: Seen) -> str | None:
    if not _DISALLOWED.search(line) or _unsupported(line):
        return None
    # Words a ticket denies ("we do NOT use quarantine", "nowhere near the storage limit") rank nothing.
    if affirmed(_QUARANTINE_WORDS, context):
        return "quarantined-images"
    operation = refused_operation(line, context)
    if operation == "pull" and not affirmed(_READ_LOCK, context):
        # A lock's flags (write, delete) do not refuse a pull; quarantine does (or readEnabled false).
        return "quarantined-images"
    if operation == "push" and _REGISTRY_WIDE.search(context) and not affirmed(_LOCK_WORDS, context):
        return "storage-limit"
    if affirmed(_STORAGE_LIMIT_WORDS, context):
        return "storage-limit"
    return "locked-artifacts"


def _build_disallowed(mode: str, hits: Sequence[Hit]) -> Built:
    n = hits[0].names
    ref, repo = _ref(n), n.get("repository")
    confirm_actions: list = [ShowRepository(ref, repo, query="changeableAttributes")]
    fix_actions: list = [SetAttributes(ref, repo)]
    images = _distinct(hits, "repository", "tag", "digest")
    for t in images:
        r = _ref(t)
        if t.digest:
            confirm_actions.append(ShowImage(r, t.get("repository"), digest=t.digest, query="changeableAttributes"))
            fix_actions.append(SetAttributes(r, t.get("repository"), digest=t.digest))
        if t.tag:
            confirm_actions.append(ShowImage(r, t.get("repository"), tag=t.tag, query="changeableAttributes"))
            fix_actions.append(SetAttributes(r, t.get("repository"), tag=t.tag))
    if not n.tag and not n.digest:
        confirm_actions.append(ShowImage(ref, repo, tag=placeholder("tag"), query="changeableAttributes"))
        fix_actions.append(SetAttributes(ref, repo, tag=placeholder("tag")))
    confirm_actions += [ShowRegistry(ref, "policies.quarantinePolicy"), ShowUsage(ref), ShowRegistry(ref, "sku")]
    purge = any("purge" in h.context.lower() or "Skipped" in h.line for h in hits)
    tell_apart = (
        "The same 405 has several documented causes (ACR FAQ): a lock (writeEnabled or deleteEnabled false at "
        "repository, manifest or tag level), a quarantined image (changeableAttributes.quarantineState other than "
        "Passed, all lock flags true), a registry at its maximum storage (Size in show-usage at "
        "MaximumStorageCapacity, or 40 TiB Basic/Standard, 100 TiB Premium), or a Classic SKU registry. The confirm "
        "commands read all of them."
    )
    message = (f"ACR refused the operation on {_where(n)} with 405 REGISTRY_DISALLOWED_OPERATION \"The operation "
               "is disallowed on this registry, repository or image.\"")
    if mode == "quarantined-images":
        quarantine_reads = [ShowManifestMetadata(_ref(t), t.get("repository"), digest=t.digest, tag=t.tag)
                            for t in images if t.digest or t.tag] or \
            [ShowManifestMetadata(ref, repo, tag=placeholder("tag"))]
        notes = [
            "The text mentions quarantine: if quarantineState is not Passed, the scanner that owns the quarantine "
            "(an identity with AcrQuarantineWriter) must mark it Passed; no az command sets it.",
            "Unlocking changes nothing on a quarantined image whose lock flags are already true.",
            tell_apart,
        ]
        related_fix: list = []
        if n.registry:
            related_fix.append(SetQuarantinePolicy(registry_id_expr(ref.name), enabled=False))
            notes.append("Or, for the whole registry, turn the quarantine policy off (the fix command): new pushes "
                         "are then usable without a scan; already quarantined images may stay so.")
        fix = Step("Have the image scanned and marked Passed by the scanner that owns the quarantine.",
                   tuple(related_fix), tuple(notes))
        # Told by the operation alone (a pull refused, no word of quarantine): one reading of two with readEnabled.
        said = any(affirmed(_QUARANTINE_WORDS, h.context) for h in hits)
        return Built(
            "Operation refused: the image is quarantined (405)",
            message + ("; the text points at quarantine" if said else "; it answered a pull, which a lock's "
                                                                      "write and delete flags do not refuse"),
            QuarantinedImages.cause,
            Step("Read quarantineState next to the lock flags, and the registry's quarantine policy.",
                 (*quarantine_reads, ShowRegistry(ref, "policies.quarantinePolicy"))),
            fix if said else confirm_first(fix, fix.summary + " (Nothing in the text names quarantine: confirm "
                                                              "first.)"),
            (*QuarantinedImages.docs, DOCS_FAQ),
            confidence=None if said else 0.8,
        )
    if mode == "storage-limit":
        fix = Step("Free space (acrdoctor diagnose ranks the cleanups that free the most), or move to Premium for a "
                   "100 TiB maximum.", (RunAcrdoctor(ref, ("storage-limit", "dangling-manifests", "shared-layers")),
                                        UpgradeSku(ref, "Premium")),
                   ("Pre-flight each delete before running it: acrdoctor preflight --registry REGISTRY -- <command>.",
                    "Space is reclaimed asynchronously after deletes; pushes work again once Size drops.",
                    tell_apart))
        # Told by the refusals alone (pushes refused in every repository, new ones too; no word of storage).
        said = any(affirmed(_STORAGE_LIMIT_WORDS, h.context) for h in hits)
        return Built(
            "Operation refused: the registry is at its storage limit (405)",
            message + ("; the text points at the storage limit" if said else
                       "; pushes are refused across the registry, new repositories too, which no lock does"),
            StorageLimit.cause,
            Step("Compare Size with the maximum storage (MaximumStorageCapacity where listed), and the SKU.",
                 (ShowUsage(ref), ShowRegistry(ref, "sku"))),
            fix if said else confirm_first(fix, fix.summary + " (The text does not give the usage: confirm first.)"),
            (*StorageLimit.docs, DOCS_FAQ),
            confidence=None if said else 0.8,
        )
    notes = [
        "Locks are set separately on the repository, on each manifest and on each tag; writeEnabled=false "
        "blocks deletes as well as updates. Unlocking one level leaves the others locked.",
        tell_apart,
        "If a lock is deliberate (a protected release), keep it and leave that object out of the cleanup.",
    ]
    if purge:
        notes.insert(1, "`acr purge` skips locked tags and manifests (\"Skipped …, operation not allowed, HTTP "
                        "status: 405\"); `--include-locked` (acr-cli ≥ 0.17) unlocks and deletes them.")
    fix = Step("Unlock what the confirm step shows as locked (writeEnabled/deleteEnabled false), then retry the "
               "delete.", tuple(fix_actions), tuple(notes))
    operations = [refused_operation(h.line, h.context) for h in hits]
    pushed = _pushed_not_deleted(hits, operations)
    if pushed:
        # A registry at its storage limit refuses pushes and never deletes, so a refused push is one reading of two
        # (or a new repository, which nothing can have locked yet): the unlock waits for the confirm step.
        fix = confirm_first(fix, "A push refused with 405 is a lock on the tag it overwrites or a registry at its "
                                 "storage limit: unlock only what the confirm step shows locked.")
    operation = next((op for op in operations if op), None)
    return Built(
        "Pull refused: the operation is disallowed (405)" if operation == "pull" else
        "Push refused: the operation is disallowed (405)" if pushed else
        "Delete refused: the operation is disallowed (405)",
        message,
        LockedArtifacts.cause + " The same 405 is documented for quarantined images, a registry at its storage "
        "limit and Classic registries.",
        Step("Read the lock flags at each level (repository, manifest, tag), then the other causes: quarantine "
             "(quarantineState), usage against the storage limit, SKU.", tuple(confirm_actions)),
        fix,
        (*LockedArtifacts.docs, DOCS_FAQ),
    )


_PUSHING = re.compile(r"The push refers to|\b(?:docker|podman|oras|helm) push\b|\bpush(?:es|ed|ing)?\b|\bpublish",
                      re.IGNORECASE)
_LOCK_WORDS = re.compile(r"\block(?:s|ed)?\b|write-?enabled|delete-?enabled|\bprotected\b", re.IGNORECASE)
#: The flag that refuses reads: a pull refused by it is a lock, not quarantine.
_READ_LOCK = re.compile(r"read-?enabled|readEnabled", re.IGNORECASE)


def _pushed_not_deleted(hits: Sequence[Hit], operations: Sequence[str | None]) -> bool:
    """Whether the 405 answered a push (or a pull), with no lock said to be set: then the unlock waits.
    ``operations`` is :func:`refused_operation` of each hit."""
    return any(op in ("push", "pull") or (op is None and _PUSHING.search(h.context)
                                          and not _DELETE_CONTEXT.search(h.context))
               for h, op in zip(hits, operations, strict=True)) and not any(
        affirmed(_LOCK_WORDS, h.context) for h in hits)


# --- 403 DENIED (firewall) ---------------------------------------------------------------------------------

_FIREWALL = re.compile(r"client with IP\s*['\"]?[^'\"\n]{0,45}['\"]?\s*is not allowed access|"
                       r"\bCONNECTIVITY_FORBIDDEN_ERROR\b|Looks like you don't have access to registry")


def _detect_firewall(line: str, context: str, seen: Seen) -> str | None:
    return "network-access-denied" if _FIREWALL.search(line) else None


def _build_firewall(mode: str, hits: Sequence[Hit]) -> Built:
    n = hits[0].names
    ref = _ref(n)
    ips = [t.client_ip for t in _distinct(hits, "client_ip") if t.client_ip]
    fix_actions = [AddNetworkRule(ref, ip) for ip in ips] or [AddNetworkRule(ref, CALLER_IP_EXPR)]
    who = f"client IP {', '.join(ips)}" if ips else "the caller's IP"
    task = any(re.search(r"az acr (?:run|build|task)|acb_step|Run ID:|Logging in to registry", h.context)
               for h in hits)
    notes = [
        "Network rules and disabling public access are Premium features; a private-endpoint-only registry "
        "(public network access Disabled) accepts data-plane calls only from a VNet that resolves the login "
        "server through the privatelink.azurecr.io zone: run the delete or purge from there instead.",
        "Allowing the IP does not bypass permissions; it only lets the calls through the firewall.",
    ]
    if task:
        notes.insert(0, "The caller was an ACR task agent (az acr run / acr purge): its IP changes from run to run. "
                        "Run the task on a dedicated agent pool in the registry's VNet (az acr agentpool create, then "
                        "--agent-pool), or with network rule bypass for trusted services; an IP rule for one agent "
                        "address does not last.")
    return Built(
        "Data-plane call refused by the registry firewall (403 DENIED)",
        f"ACR refused {who} with 403 DENIED \"client with IP … is not allowed access\" on {_where(n)}",
        NetworkAccessDenied.cause,
        Step("See what the registry admits: its firewall rules and whether public network access is enabled.",
             (ShowRegistry(ref, "networkRuleSet"), ShowRegistry(ref, "publicNetworkAccess", "tsv"))),
        Step(f"Allow {who} through the firewall (or run from an allowed network), then retry; remove the rule "
             "when the cleanup is done.", tuple(fix_actions), tuple(notes)),
        NetworkAccessDenied.docs,
    )


# --- 401 UNAUTHORIZED and missing permissions --------------------------------------------------------------

#: docker's words for a pull the registry refused or could not serve, naming an Azure registry: most often a client
#: that is not signed in to it, else a repository that is not there (docker prints the same for both).
_PULL_DENIED_ACR = re.compile(r"pull access denied for [\w.-]+\.azurecr\.(?:io|cn|us)/", re.IGNORECASE)
#: A client's own wording of a 401 ("expected 200, received 401"): on a request to an Azure registry, its 401.
_NUMERIC_401 = re.compile(r"\b(?:received|returned|got|status(?: ?code)?:?|HTTP(?:/\d(?:\.\d)?)?) 401\b",
                          re.IGNORECASE)
#: az aks's own words when ``--attach-acr`` could not create the AcrPull role assignment on the registry: the identity
#: running az lacks Microsoft.Authorization/roleAssignments/write there (Owner, User Access Administrator or Role Based
#: Access Control Administrator grant it, Contributor does not: AKS docs, "Integrate ACR with AKS"). A missing
#: permission of the caller, not of the cluster, which has nothing yet.
_ATTACH_REFUSED = re.compile(r"Could not create a role assignment for (?:ACR|the (?:container )?registry)",
                             re.IGNORECASE)
ROLE_ASSIGNMENT_WRITE = "Microsoft.Authorization/roleAssignments/write"
#: The writer says they hold the role the message asks about: then the refusal needs confirming before any grant.
_SAYS_OWNER = re.compile(r"\b(?:I am|I'm|I was|we are|as(?: an?)?|being)(?: an?| the)? (?:subscription )?Owner\b",
                         re.IGNORECASE)
_UNAUTH = re.compile(r"\bUNAUTHORIZED\b|authentication required|\bunauthorized:|lacking [\w/, *-]+ permissions|"
                     r"does not have authorization to perform action|\bAuthorizationFailed\b|StatusCode=401|"
                     # a client's own wording of the status, and docker's pull refusal naming an Azure registry
                     + _NUMERIC_401.pattern + "|" + _PULL_DENIED_ACR.pattern + "|" + _ATTACH_REFUSED.pattern,
                     re.IGNORECASE)


def _missing(line: str) -> list:
    if _ATTACH_REFUSED.search(line):
        return [Missing(ROLE_ASSIGNMENT_WRITE, "arm")]
    status = 403 if re.search(r"\b403\b|AuthorizationFailed", line) else 401
    return missing_permissions(CollectionError("explain", status, "UNAUTHORIZED", line))


#: A 401 that is not ACR's refusal of the caller: an import's or a cache rule's source registry.
_ELSEWHERE_AUTH = re.compile(r"\bsource registry\b|\baz acr import\b|--source\b|cache rule|upstream",
                             re.IGNORECASE)


#: A 401 from the identity provider, not from the registry: Azure AD's own libraries (ADAL, MSAL) raising it, its
#: sign-in host, or an AADSTS code beside it. The sign-in failed before any registry token was asked for.
_IDP_401 = re.compile(r"\b(?:Adal|Msal)(?:Service|UiRequired|Client)?Exception\b|login\.microsoftonline\.|"
                      r"\bAADSTS\d{5,7}\b", re.IGNORECASE)


#: A debug trace's response line (oras --debug, regclient): the 401 challenge every token flow starts with.
_TRACE_401 = re.compile(r"Response Status:\s*\"?401\b|^\s*<?\s*Www-Authenticate:", re.IGNORECASE)


#: A cluster's pull in sight (its pull secret, node pools, kubelet): a 401 beside it is the cluster's credential, the
#: kubelet recogniser's answer (recognise_elsewhere reads the same words before a refusal).
CLUSTER_PULL_WORDS = r"\bAKS cluster\b|\bnode ?pools?\b|\bkubelet\b|imagePullSecrets?|\bpull secrets?\b"
#: A kubelet's pull events: the 401 on the lines after them (a wrapped event table) is the cluster's pull.
KUBE_PULL_EVENTS = r"Failed to pull image|ErrImagePull|ImagePullBackOff|failed to pull and unpack image"
_KUBE_PULL_BEFORE = re.compile(KUBE_PULL_EVENTS, re.IGNORECASE)
#: containerd's answer with the node's credentials, before it retried anonymously and got 401: the tag is missing.
_CONTAINERD_NOT_FOUND = re.compile(r"\bcode = NotFound desc = failed to pull and unpack image\b")
_PULL_SECRET_WORDS = re.compile(CLUSTER_PULL_WORDS + r"|kubectl create secret docker-registry", re.IGNORECASE)


#: The registry's challenge without ``error="insufficient_scope"`` (curl -v prints the headers): the request carried
#: no token it accepted, so the detail's action is what was asked, not a missing permission.
_BARE_CHALLENGE = re.compile(r"\bWww-Authenticate: Bearer realm=(?![^\n]*insufficient_scope)", re.IGNORECASE)


#: The refused action named in words beside the 401 ("the detail names Action 'delete' on the repository").
_ACTION_DELETE = re.compile(r"\bAction:? ?['\"]?delete\b|\baction (?:as|is|was|=) ['\"]?delete\b", re.IGNORECASE)


def _kubelet_401(line: str, context: str) -> bool:
    """A 401 that is not the registry's answer to this client: containerd's anonymous retry after its NotFound (the
    tag is missing), or the 401 of a kubelet event wrapped over several lines (the cluster's pull, elsewhere)."""
    return bool(_CONTAINERD_NOT_FOUND.search(line)) or (
        not _KUBE_PULL_BEFORE.search(line) and bool(_KUBE_PULL_BEFORE.search(context)))


#: The access record of the Docker distribution registry (Docker Hub, and registries built on it) in a 401's body:
#: it carries a "Class" field that ACR's own body does not (ACR's names Type, Name and Action, and its message sends
#: the reader to aka.ms/acr/authorization). Such a 401 is another registry's answer, whatever ACR's words it shares.
DISTRIBUTION_ACCESS = re.compile(r'\\?"Class\\?"\s*:\s*\\?"')


def _detect_unauthorized(line: str, context: str, seen: Seen) -> str | None:
    if '"class' in line.lower() and DISTRIBUTION_ACCESS.search(line) and "aka.ms/acr" not in line.lower():
        return None
    if _ATTACH_REFUSED.search(line):
        return "delete-permission"  # before the cluster's words: the attach names them, the caller lacks the grant
    if "acr" in line.lower() and TASK_TOKEN_REFUSED.search(line) and TASK_RUN.search(context):
        return None  # an ACR task's own token (recognise_access)
    if not _UNAUTH.search(line) or _FIREWALL.search(line) or _ELSEWHERE_AUTH.search(context) or \
            _TRACE_401.search(line) or _IDP_401.search(context) or _PULL_SECRET_WORDS.search(context) or \
            _kubelet_401(line, context):
        return None
    if (_missing(line) or _ACTION_DELETE.search(line)) and not _BARE_CHALLENGE.search(context):
        return "delete-permission"
    if _refused_delete_others_work(line, context):
        return "delete-permission"
    # As a program prints it (docker's "unauthorized:", ACR's code, a status line's "Unauthorized"); a sentence's
    # lower-case "unauthorized" is left to the ticket reader, which weighs the rest of the sentence.
    if (re.search(r"authentication required|unauthorized:|UNAUTHORIZED|Unauthorized", line) or (
            _NUMERIC_401.search(line) and ".azurecr." in line.lower()) or _PULL_DENIED_ACR.search(line)) \
            and not re.search(
            r"CONNECTIVITY_\w+_ERROR|refresh token, exchange API response code", line):
        return "authentication-required"
    return None


#: The refused operation is a delete: a delete word shortly before the refusal in the same sentence, or a delete
#: command on the lines just before it.
_DELETE_REFUSED = re.compile(r"\b(?:delet|remov|untag|purg)\w*\b[^.\n]{0,160}?(?:unauthori[sz]ed|authentication "
                             r"required|\b401\b|not authori[sz]ed|permission)", re.IGNORECASE)
_DELETE_COMMAND = re.compile(r"\baz acr (?:repository|manifest) (?:delete|untag)\b|\bacr purge\b|\bDELETE /(?:v2|acr)/|"
                             r"Remove-AzContainerRegistry", re.IGNORECASE)
#: The same identity said to do other things with the registry: then it is signed in, and a delete refused with a
#: bare 401 lacks the delete permission (ACR answers "authentication required" for it without naming the action).
_OTHERS_WORK = re.compile(r"\b(?:push\w*|pull\w*|login|log in|sign(?:ed)? in|upload\w*|download\w*)\b"
                          r"(?:[^.\n]|\.(?=\S)){0,80}?"  # a dot inside a host name does not end the sentence
                          r"(?:\bworks?\b|\bworking\b|\bfine\b|\bsucceed\w*|(?::|->|=>|\u2192)\s*OK\b|"
                          r"\bwithout (?:any )?(?:problem|issue|error)s?\b)|\bcan (?:still )?(?:push|pull)\b|"
                          r"\bLogin Succeeded\b",
                          re.IGNORECASE)


#: A purge run as an ACR task: its own token exchange fails first (purge-task-access), whatever else works.
TASK_RUN = re.compile(r"\b(?:az )?acr task\b|\bACR tasks?\b|\btask run\b|\bacb_step|\bscheduled task\b", re.IGNORECASE)
#: A task's own token request refused, in acr-cli's words (``failed to get ACR access token … 401``): with an ACR task
#: in sight it is the task's identity, not a caller who forgot to sign in (recognise_access reads it).
TASK_TOKEN_REFUSED = re.compile(r"\bfailed to get (?:an? )?ACR (?:access|refresh) token\b[^\n]{0,120}?"
                                r"(?:\b401\b|unauthori[sz]ed)", re.IGNORECASE)


def _refused_delete_others_work(line: str, context: str) -> bool:
    text = context if line in context else context + "\n" + line
    if TASK_RUN.search(text):
        return False
    last = context.rsplit("\n", 3)[-3:] if context else []
    deleting = _DELETE_REFUSED.search(line) or any(_DELETE_COMMAND.search(x) for x in last)
    return bool(deleting and _OTHERS_WORK.search(text))


def _build_unauthorized(mode: str, hits: Sequence[Hit]) -> Built:
    n = hits[0].names
    ref = _ref(n)
    if mode == "authentication-required":
        # docker's "pull access denied … repository does not exist or may require 'docker login'" is also what a
        # missing repository looks like: less sure than ACR's own 401.
        worded = all(_PULL_DENIED_ACR.search(h.line) and not re.search(r"unauthori[sz]ed|authentication required",
                                                                        h.line, re.IGNORECASE) for h in hits)
        return Built(
            "Not signed in to the registry (401 UNAUTHORIZED)",
            f"ACR answered 401 UNAUTHORIZED \"authentication required\" on {_where(n)}, without naming a "
            "missing permission",
            "The call carried no valid ACR token: the client never logged in to the registry, its token expired, "
            "or it signed in to another registry or tenant.",
            Step("Check the sign-in end to end: check-health exchanges tokens the same way docker and az do.",
                 (CheckHealth(ref),)),
            Step("Sign in again, then retry.", (Login(ref),),
                 ("In a pipeline, sign in with the pipeline's identity (az login --identity, or a service "
                  "principal) before az acr login.",
                  *(("docker says the same when the repository does not exist: if signing in does not help, "
                     "check the repository name (az acr repository list).",) if worded else ()))),
            (DOCS_AUTH, DOCS_LOGIN),
            confidence=0.7 if worded else None,
        )
    missing = []
    for h in hits:
        for m in _missing(h.line):
            if m not in missing:
                missing.append(m)
    if not missing:  # DENIED / insufficient_scope name no action: take it from the command that was run
        ctx = " ".join(h.context for h in hits)
        action = ("delete" if _DELETE_CONTEXT.search(ctx) else "push" if re.search(r"\bpush", ctx, re.IGNORECASE)
                  else "pull" if re.search(r"\bpull", ctx, re.IGNORECASE) else "delete")
        missing = [Missing(action)]
    first = missing[0]
    n = Names(action=first.action, action_type=first.type, action_name=first.name,
              repository=first.name if first.type == "repository" else None).merged(n)
    if first.action == ROLE_ASSIGNMENT_WRITE:
        return _build_attach_refused(ref, n, hits)
    actions: list = []
    notes: list[str] = []
    for m in missing:
        if m.action == "delete" and m.type != "arm":
            # Which role grants delete depends on the registry's mode: every candidate, ranked (access_fixes).
            ranked, ranking = delete_fixes(ref, m.name or n.get("repository"), [h.context for h in hits])
            actions += ranked
            notes += ranking
            continue
        roles = ROLES.get(m.action)
        if roles and m.type != "arm":
            actions.append(AssignRole(registry_id_expr(ref.name), roles[0]))
            notes.append(f"'{m.action}' is granted by {roles[0]}; on a registry in ABAC repository-permissions "
                         f"mode (roleAssignmentMode AbacRepositoryPermissions) legacy roles are not honoured: "
                         f"assign {roles[1]} instead.")
        scope = SCOPE_MAP_ACTIONS.get(m.action)
        if scope and m.type != "arm":
            notes.append(f"Signed in with a repository-scoped token? Add {scope} for "
                         f"{m.name or 'the repository'} to the token's scope map instead (az acr scope-map update).")
    notes.insert(0, "--assignee defaults to you; for a pipeline, service principal or managed identity put its "
                    "object id there instead.")
    what = ", ".join(f"'{m.action}'" + (f" on {m.type} {m.name}" if m.type and m.name else "") for m in missing)
    # No hit names the action: the delete was inferred from what was refused and what still works (0.8); the grant
    # waits for the confirm step's role list.
    inferred = not any(_missing(h.line) or _ACTION_DELETE.search(h.line) or _DENIED.search(h.line) for h in hits)
    fix = Step("Grant the missing action to the identity that made the call, then retry (role assignments can take "
               "a few minutes to apply).", tuple(dict.fromkeys(actions)), tuple(dict.fromkeys(notes)))
    if inferred:
        fix = confirm_first(fix, fix.summary + " (The refusal names no action: the text says other operations work "
                                               "and the delete is refused; confirm with the role list first.)")
    return Built(
        "Identity lacks a permission (401/403)",
        f"ACR refused the call: the identity lacks {what}"
        + (f" (registry {n.registry})" if n.registry else ""),
        DeletePermission.cause + " A delete that also reads (acr purge --untagged reads each manifest) needs "
        "pull/metadata_read as well as delete (Azure/acr-cli#523).",
        Step("See which roles the identity holds on the registry, and which permission mode the registry uses.",
             (ListRoleAssignments(ref), ShowRegistry(ref, "roleAssignmentMode", "tsv"))),
        fix,
        DeletePermission.docs,
        extracted=n,
        confidence=0.8 if inferred else None,
    )


def _build_attach_refused(ref: RegistryRef, n: Names, hits: Sequence[Hit]) -> Built:
    """``az aks update --attach-acr`` refused: the grant it makes is a role assignment, so the caller needs the right
    to assign roles on the registry; no role is printed as a command (granting that right is an owner's call)."""
    owner = any(_SAYS_OWNER.search(h.context) for h in hits)
    fix = Step("Run the attach as an identity that may assign roles on the registry (Owner, User Access "
               "Administrator or Role Based Access Control Administrator at the registry's scope or above), or have "
               "such an identity assign AcrPull on the registry to the cluster's kubelet identity.",
               notes=("Contributor does not include Microsoft.Authorization/roleAssignments/write: with it az aks "
                      "creates the cluster but cannot attach the registry.",
                      "The cluster pulls nothing from the registry until the assignment exists: this is the cause "
                      "of its pull failures, not its pull secret."))
    if owner:
        fix = confirm_first(fix, fix.summary + " (The text says the caller is an Owner: see its role list at the "
                                               "registry's scope first; an Owner role elsewhere does not count.)")
    return Built(
        "Identity lacks a permission (401/403)",
        f"az aks could not create the AcrPull role assignment: the identity running it lacks "
        f"'{ROLE_ASSIGNMENT_WRITE}'" + (f" (registry {n.registry})" if n.registry else ""),
        "Attaching a registry to an AKS cluster is a role assignment (AcrPull for the cluster's kubelet identity, on "
        "the registry). Only an identity allowed to write role assignments there can make it; the message's "
        "question about the subscription's Owner role is one way to hold that right, not the only one.",
        Step("See which roles the identity running az holds on the registry.", (ListRoleAssignments(ref),)),
        fix,
        ("https://learn.microsoft.com/azure/aks/cluster-container-registry-integration",),
        extracted=n,
        confidence=0.6 if owner else 0.85,
    )


# --- 403 DENIED without a firewall message -----------------------------------------------------------------

_DENIED = re.compile(r"[\"']code[\"']\s*:\s*[\"']DENIED[\"']|\bDENIED\b[^\n]{0,20}(?i:retrieving permissions|"
                     # az and the SDKs capitalise the message: "(DENIED) Requested access to the resource is denied."
                     r"requested access|access denied)|(?i:requested access to the resource is denied)|"
                     r"\binsufficient_scope\b|retrieving permissions failed|ERROR CODE: DENIED\b")
#: Where a "denied" is not this registry's: a push that went to Docker Hub (no registry host in the tag), an
#: import's or a cache rule's source registry.
_DENIED_ELSEWHERE = re.compile(r"docker\.io/|\bsource registry\b|\baz acr import\b|cache rule|upstream|"
                               r"repository does not exist or may require", re.IGNORECASE)
#: This registry in sight: its host, or ACR's own error body.
_ACR_HOST = re.compile(r"azurecr\.(?:io|cn|us)|-AzContainerRegistry\w+|"
                       r"[\"']code[\"']\s*:\s*[\"']DENIED|ERROR CODE: DENIED|\(DENIED\)",
                       re.IGNORECASE)


def _detect_denied(line: str, context: str, seen: Seen) -> str | None:
    if not _DENIED.search(line) or _FIREWALL.search(line) or _DENIED_ELSEWHERE.search(context):
        return None
    # docker's "requested access to the resource is denied" alone is as often a wrong name (the push went to
    # Docker Hub) as a missing role: only with this registry in sight is it the registry's refusal.
    return "delete-permission" if _ACR_HOST.search(context) else None


#: A delete in the text around a DENIED: only then is "delete" the action it refused.
_DELETE_ASKED = re.compile(r"\b(?:delete|purge|untag)\b|\bDELETE /", re.IGNORECASE)


def _build_denied(mode: str, hits: Sequence[Hit]) -> Built:
    built = _build_unauthorized(mode, hits)
    notes = ("ACR said DENIED without naming the action: which one is missing follows from the command (delete, "
             "push or pull); a repository-scoped token answers the same for a repository outside its scope map.",)
    if any(_DELETE_ASKED.search(h.context) for h in hits):
        return replace(built, confidence=0.75, notes=notes)
    # Nothing in the text asked for a delete: granting delete would answer a question nobody asked. The grants stay
    # as words, to act on once the confirm step has shown which action and which identity.
    fix = confirm_first(built.fix, "Find which action was refused (the command that failed, the identity it ran as) "
                                   "before granting anything.")
    return replace(built, confidence=0.6, fix=fix, notes=notes)


# --- an HTTP status with its request: 404 on a manifest or repository, 401, 405 ----------------------------

_STATUS = re.compile(r"(?:\b(?:RESPONSE|HTTP/[\d.]+|Status(?: [Cc]ode)?:?|status(?: code)?:?|"
                     r"returned|response(?: status)?|statusCode)[ :(]{1,3}(?P<a>401|403|404|405)\b|"
                     r"\b(?P<b>401|403|404|405) \(?(?:Not Found|Unauthorized|Method Not Allowed|Forbidden)\b|"
                     # .NET's HttpStatusCode by name: AutoRest clients and Az PowerShell print "Operation returned an
                     # invalid status code 'NotFound'".
                     r"\bstatus ?code:? ?'?(?P<c>NotFound|Unauthorized|Forbidden|MethodNotAllowed)\b)")
_STATUS_NAMES = {"NotFound": "404", "Unauthorized": "401", "Forbidden": "403", "MethodNotAllowed": "405"}
_MANIFEST_PATH = re.compile(r"/v2/(?P<repo>[\w./-]+?)/manifests/(?P<ref>[\w.:-]+)")
#: The tag, manifest or repository asked for, by URL or by Az PowerShell's cmdlet (Get-AzContainerRegistryTag).
_TAG_PATH = re.compile(r"/acr/v1/[\w./-]+/_tags/[\w.-]+|\b(?:Get|Remove|Update)-AzContainerRegistryTag\b")
_PS_MANIFEST = re.compile(r"\b(?:Get|Remove|Update)-AzContainerRegistryManifest\b")
_REPO_PATH = re.compile(r"/acr/v1/[\w./-]+|/v2/[\w./-]+/tags/list|"
                        r"\b(?:Get|Remove|Update)-AzContainerRegistryRepository\b")


#: Lines another recogniser explains from ACR's own words: the status next to them adds nothing.
_WORDED = (_NAME_UNKNOWN, _TAG_UNKNOWN, _MANIFEST_UNKNOWN, _DISALLOWED, _UNAUTH, _FIREWALL, _DENIED)


def _detect_status(line: str, context: str, seen: Seen) -> str | None:
    m = _STATUS.search(line)
    if not m or _ELSEWHERE_AUTH.search(context) or "BaseClient#" in line or any(p.search(line) for p in _WORDED):
        return None
    code = m.group("a") or m.group("b") or _STATUS_NAMES[m.group("c")]
    if code == "404":
        path = _MANIFEST_PATH.search(line) or _MANIFEST_PATH.search(context)
        if path:
            return "manifest-not-found" if path.group("ref").startswith("sha256:") else "tag-not-found"
        if _PS_MANIFEST.search(context):
            return "manifest-not-found"
        if _TAG_PATH.search(context):
            return "tag-not-found"
        if _REPO_PATH.search(context):
            return "empty-repository" if _DELETE_CONTEXT.search(context) else "repository-not-found"
        return None
    if not _ACR_HOST.search(context):
        return None
    if code == "405":
        if _unsupported(line):
            return None
        return _detect_disallowed("operation not allowed, HTTP status: 405", context, seen)
    if code == "403":
        # A bare 403 from the registry (no body: containerd, helm and the SDKs print only the status): ACR answers
        # 403 for a caller its network rules refuse; a missing permission is a 401 with a detail.
        return None if _BLOB_HOST.search(line) else "network-access-denied"
    if code == "401" and _kubelet_401(line, context):
        return None
    return "authentication-required" if code == "401" and not _IDP_401.search(context) else None


#: Layers come from the registry's storage: a 403 there is the storage account's or a proxy's answer, not ACR's.
_BLOB_HOST = re.compile(r"blob\.core\.windows\.net|\.blob\.|x-ms-request-id", re.IGNORECASE)


def _build_status(mode: str, hits: Sequence[Hit]) -> Built:
    if mode in ("empty-repository", "repository-not-found"):
        built = _build_name_unknown(mode, hits)
    elif mode in ("manifest-not-found", "tag-not-found"):
        built = _build_manifest_unknown(mode, hits)
        # Said from the status and the request alone: the message must not quote an error code nobody printed.
        built = replace(built, message=f"The registry answered 404 Not Found (the status only) for "
                                       f"{_where(hits[0].names)}")
    elif mode == "authentication-required":
        built = _build_unauthorized(mode, hits)
    elif mode == "network-access-denied":
        return replace(_build_firewall(mode, hits), confidence=0.7)  # the status alone: the likeliest 403
    else:
        built = _build_disallowed(mode, hits)
    return replace(built, confidence=0.75)  # the status and the request, without ACR's error code


# --- 429 ---------------------------------------------------------------------------------------------------

_THROTTLED = re.compile(r"\bTOOMANYREQUESTS\b|\bCONNECTIVITY_TOOMANYREQUESTS_ERROR\b|Too Many Requests|"
                        r"Response code: 429|StatusCode=429|status(?: code)?[:= ]+429\b|\b429 \(Too Many|"
                        r"invalid status 'Too Many Requests'|RESPONSE 429\b|HTTP/[\d.]+ 429\b|Status: 429\b|"
                        r"\(429\)", re.IGNORECASE)


#: Where a 429 is someone else's: Docker Hub's pull limit, an import's or a cache rule's source registry.
ELSEWHERE_CONTEXT = re.compile(r"pull rate limit|increase-rate-limit|registry-1\.docker\.io|\bsource registry\b|"
                               r"\baz acr import\b|upstream|cache rule", re.IGNORECASE)


def _detect_throttled(line: str, context: str, seen: Seen) -> str | None:
    if not _THROTTLED.search(line) or ELSEWHERE_CONTEXT.search(line):
        return None
    return "throttling"


def _build_throttled(mode: str, hits: Sequence[Hit]) -> Built:
    n = hits[0].names
    ref = _ref(n)
    token = any(re.search(r"CONNECTIVITY_(?:REFRESH_TOKEN|TOOMANYREQUESTS)_ERROR|oauth2", h.line) for h in hits)
    notes = [
        "Honour Retry-After on every 429 (it counts down across retries) and back off exponentially with jitter.",
        "Reduce concurrency: acr purge runs one worker per CPU and up to 32 with --concurrency; pass a small "
        "--concurrency for big cleanups, and do not run cleanups in parallel with pushes from the same identity.",
        f"Documented per-identity limits: {BASIC_STANDARD.delete_per_identity:,} deletes and "
        f"{BASIC_STANDARD.read_per_identity:,} reads per minute on Basic/Standard, "
        f"{PREMIUM.delete_per_identity:,} and {PREMIUM.read_per_identity:,} on Premium; Azure support can raise them.",
    ]
    if token:
        notes.insert(0, "The token exchange was throttled (CONNECTIVITY_REFRESH_TOKEN_ERROR with response code 429): "
                        "the CLI's advice to run 'az login' again is misleading (Azure/azure-cli#24886); wait and "
                        "retry, and reuse ACR tokens instead of fetching one per call.")
    return Built(
        "Throttled (429 Too Many Requests)",
        f"ACR throttled requests to {_where(n)} with 429 TOOMANYREQUESTS",
        Throttling.cause,
        Step("The limits depend on the SKU; check-health shows whether token requests are throttled right now.",
             (ShowRegistry(ref, "sku.name", "tsv"), CheckHealth(ref))),
        Step("Slow down: wait as long as Retry-After says, then continue with less concurrency.", (), tuple(notes)),
        Throttling.docs,
    )


# --- az acr check-health -----------------------------------------------------------------------------------

#: code → (failure mode, message pattern), from notes §a. FORBIDDEN and TOOMANYREQUESTS map to the catalogue.
#: Codes without a message of their own (None) are recognised by the code alone.
_HEALTH: tuple[tuple[str, str, str | None], ...] = (
    ("connectivity-dns", "CONNECTIVITY_DNS_ERROR", r"Failed to reach DNS for registry"),
    ("connectivity-ssl", "CONNECTIVITY_SSL_ERROR", r"Unable to establish a secure connection to the registry"),
    ("connectivity-challenge", "CONNECTIVITY_CHALLENGE_ERROR", r"did not issue a challenge"),
    ("connectivity-challenge", "CONNECTIVITY_WWW_AUTHENTICATE_ERROR",
     r"did not ask properly for a basic or a bearer authentication"),
    # docker login's GET /v2/ answered by a gateway (5xx) instead of the registry's challenge: the step check-health
    # names CONNECTIVITY_CHALLENGE_ERROR (something between the client and ACR answered, or an incident).
    ("connectivity-challenge", "CONNECTIVITY_CHALLENGE_ERROR", r"/v2/ failed with status: 50[234]\b"),
    ("connectivity-aad-login", "CONNECTIVITY_AAD_LOGIN_ERROR", r"does not support AAD login"),
    # az's own wording of the same refused exchange (az acr login / repository list, Azure/acr#164).
    ("connectivity-refresh-token", "CONNECTIVITY_REFRESH_TOKEN_ERROR",
     r"Access to registry '?[\w.-]*'? was denied\. Response code: 40[13]|"
     # an ACR task's own log when its identity's token exchange is refused
     r"failed to get ACR refresh token, exchange API response code: \d{3}"),
    ("connectivity-access-token", "CONNECTIVITY_ACCESS_TOKEN_ERROR", None),
    ("login-server-not-found", "LOGIN_SERVER_ERROR", r"error occurred while retrieving the login server for registry"),
    # az's ARM lookup of the registry by name (Azure/azure-cli#27913, Azure/acr#87): the same cause as
    # LOGIN_SERVER_ERROR, a name not in the current subscription.
    ("login-server-not-found", "LOGIN_SERVER_ERROR",
     r"type 'Microsoft\.ContainerRegistry/registries' could not be found|"
     r"No resource with type Microsoft\.ContainerRegistry/registries can be found|"
     # ARM's own answer to a GET of a registry that is not in that resource group (ResourceNotFound)
     r"The Resource 'Microsoft\.ContainerRegistry/registries/[\w-]+' under resource group '[^']*' was not found"),
    ("connectivity-unreachable", "CONNECTIVITY_UNREACHABLE", r"Could not connect to the registry login server"),
)
_HEALTH_MODES = tuple(dict.fromkeys(m for m, _, _ in _HEALTH))
_HEALTH_PATTERNS = tuple((mode, re.compile(rf"\b{code}\b"), re.compile(message, re.IGNORECASE) if message else None)
                         for mode, code, message in _HEALTH)
_HEALTH_ANY = any_of(*(p for _, code, message in _HEALTH_PATTERNS for p in (code, message) if p))


def _detect_health(line: str, context: str, seen: Seen) -> str | None:
    # The code first: two codes share a message ("Access to registry … was denied"), and the code tells them apart.
    found = next((mode for mode, code, _ in _HEALTH_PATTERNS if code.search(line)), None) or next(
        (mode for mode, _, message in _HEALTH_PATTERNS if message and message.search(line)), None)
    if found in ("connectivity-refresh-token", "connectivity-access-token") and (
            _THROTTLED.search(line) or re.search(r"lacking", line)):
        return None  # throttling / delete-permission explain these
    return found


#: The token exchange answered 403: az's "… was denied. Response code: 403", an ACR task's "exchange API response
#: code: 403 Forbidden".
_EXCHANGE_403 = re.compile(r"Response code: 403\b|exchange API response code: 403\b", re.IGNORECASE)


_HEALTH_TEXT: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "connectivity-dns": (
        "Registry name does not resolve",
        "The login server name does not resolve from this machine: a misspelt registry, the wrong cloud (az cloud "
        "show), or a private-endpoint registry whose privatelink.azurecr.io zone is not linked to this network.",
        "Fix the name or the cloud; for a private registry, link its private DNS zone to the caller's VNet (or "
        "run from a network that resolves it).",
        ("Resolve it yourself: nslookup <registry>.azurecr.io should give the registry's (private) IP.",),
    ),
    "connectivity-ssl": (
        "TLS to the registry fails",
        "A TLS connection to the login server could not be set up, usually because a proxy or TLS-inspecting "
        "firewall replaces the certificate.",
        "Trust the proxy's CA (REQUESTS_CA_BUNDLE for az, the system store for docker) or bypass the proxy for "
        "*.azurecr.io.",
        (),
    ),
    "connectivity-challenge": (
        "Registry did not send an authentication challenge",
        "GET /v2/ did not answer 401 with a Bearer WWW-Authenticate header: something between the caller and ACR "
        "(a proxy, a wrong host name) answered instead.",
        "Make sure the request reaches <registry>.azurecr.io directly (proxy settings, host name).",
        (),
    ),
    "connectivity-aad-login": (
        "Registry does not offer Microsoft Entra (AAD) login",
        "The registry's challenge is not a Bearer challenge with realm and service, so az cannot exchange an "
        "Entra token for it.",
        "Check that the name is an ACR login server; use admin credentials or a token if Entra login is off.",
        (),
    ),
    "connectivity-refresh-token": (
        "Entra token exchange refused",
        "POST /oauth2/exchange refused the Entra token: the signed-in identity has no access to the registry, the "
        "sign-in is stale, or (with response code 429) the exchange was throttled.",
        "Sign in again, and make sure the identity holds a role on the registry.",
        (),
    ),
    "connectivity-access-token": (
        "ACR access token refused",
        "POST /oauth2/token did not issue an access token for the requested scope: the identity lacks the "
        "permission, or the refresh token is stale.",
        "Sign in again; if it persists, grant the identity a role on the registry.",
        (),
    ),
    "login-server-not-found": (
        "Registry not found through Azure Resource Manager",
        "az could not read the registry through ARM: the name is misspelt, the registry is in another "
        "subscription or cloud, or the identity cannot read it.",
        "Select the subscription that holds the registry (az account set) or fix the name.",
        (),
    ),
    "connectivity-unreachable": (
        "Registry login server unreachable",
        "https://<registry>.azurecr.io/v2/ could not be reached: DNS, proxy, firewall or a private-endpoint-only "
        "registry seen from outside its network.",
        "Run from a network that reaches the registry, or fix DNS/proxy settings.",
        (),
    ),
}


def _build_health(mode: str, hits: Sequence[Hit]) -> Built:
    n = hits[0].names
    ref = _ref(n)
    title, cause, fix_summary, notes = _HEALTH_TEXT[mode]
    code = next((c for m, c, _ in _HEALTH if m == mode and re.search(rf"\b{c}\b", hits[0].line)), None) or next(
        c for m, c, _ in _HEALTH if m == mode)
    confirm = [CheckHealth(ref)]
    fix: list = []
    if mode in ("connectivity-refresh-token", "connectivity-access-token"):
        confirm.append(ListRoleAssignments(ref))
        fix.append(Login(ref))
    # The exchange answered 403, not 401: ACR's network rules refuse that way too (public access disabled, a client
    # IP or an ACR task outside the firewall's exceptions), so the firewall is read next, and a firewall message on
    # the text's other lines outranks this one.
    forbidden = mode == "connectivity-refresh-token" and any(_EXCHANGE_403.search(h.line) for h in hits)
    if forbidden:
        confirm += [ShowRegistry(ref, "networkRuleSet"), ShowRegistry(ref, "publicNetworkAccess", "tsv")]
        notes = (*notes, "Response code 403 is also what the registry's network rules answer (ACR refuses a bad "
                         "sign-in with 401): with public network access disabled or a firewall, sign in from an "
                         "allowed network or add the caller to the rules.")
    if mode == "login-server-not-found":
        confirm.append(ShowRegistry(ref, "loginServer", "tsv"))
    if mode == "connectivity-dns":
        confirm.append(ListPrivateEndpointConnections(ref))
    docs = (DOCS_HEALTH + "#" + code.lower(), DOCS_LOGIN)
    # A message without its code (az login's wording) is shared by two checks: less sure than the code itself.
    coded = any(re.search(r"\b(?:CONNECTIVITY_\w+|LOGIN_SERVER)_ERROR\b", h.line) for h in hits)
    return Built(title, f"az acr check-health: {code} for {_where(n)}", cause,
                 Step("Run every health check, without stopping at the first error.", tuple(confirm), notes),
                 Step(fix_summary, tuple(fix)), docs, confidence=0.8 if forbidden or not coded else None)


# --- the network's own words: a name that does not resolve, a server that does not answer ------------------

_NET = re.compile(r"no such host|name or service not known|temporary failure in name resolution|"
                  r"getaddrinfo (?:enotfound|failed)|i/o timeout|connection refused|client\.timeout exceeded|"
                  r"tls handshake timeout|connection timed out|context deadline exceeded|"
                  r"request canceled while waiting for connection|"
                  # curl's own: "(6) Could not resolve host: X", "(28) Failed to connect to X port 443 after
                  # 21117 ms: Timed out" (its "Connection refused" is matched above)
                  r"could not resolve host|failed to connect to [^\n]*?\btimed out|"
                  # Container Apps' revision error, its lookup's answer cut off or on the next line
                  r"failed to resolve registry '|"
                  # Python requests/urllib3 (az, the SDKs) and Windows socket errors for a host that never answered
                  r"failed to establish a new connection|a connection attempt failed because the connected party did "
                  r"not properly respond", re.IGNORECASE)
_NET_DNS = re.compile(r"no such host|name or service not known|name resolution|getaddrinfo|could not resolve host|"
                      r"failed to resolve registry", re.IGNORECASE)
#: The registry's host on the line: the failure is reaching it (not Docker Hub, not a storage blob endpoint).
#: From a token's start only (a lookbehind, not ``\b``): from every hyphen of a long token it was quadratic.
_REGISTRY_HOST = re.compile(r"(?:(?<![\w-])[a-z0-9][\w-]*|" + PLACEHOLDER + r")\.azurecr\.(?:io|cn|us)\b",
                            re.IGNORECASE)
#: The machine's own resolver (127.0.0.x / ::1, port 53) not answering: local DNS, not the registry's name. Its
#: "no such host" is an answer (the name has no record; systemd-resolved's stub on 127.0.0.53 relays every
#: lookup), so only a resolver that did not answer counts.
LOCAL_RESOLVER_DOWN = (r"lookup \S+ on (?:\[::1\]|127\.\d+\.\d+\.\d+):53: (?:server misbehaving|read udp [^\n]*?"
                       r"(?:connection refused|i/o timeout)|dial udp [^\n]*?(?:connection refused|"
                       r"network is unreachable)|i/o timeout)")
#: The machine's own resolver down, or a proxy in the way: the client's network (elsewhere:network-client-side).
#: Docker Desktop's resolver inside its VM (192.168.65.x) answering for the client: a name the host itself resolves
#: (a VPN's or a corporate split DNS) can be unknown there.
_LOCAL_NET = re.compile(LOCAL_RESOLVER_DOWN + r"|proxyconnect|\bproxy\b|blob\.core\.windows\.net|"
                        r"\blookup \S+ on 192\.168\.65\.\d+:53\b", re.IGNORECASE)


def _detect_net(line: str, context: str, seen: Seen) -> str | None:
    found = [m.group(0) for m in _NET.finditer(line)]
    if not found or not _REGISTRY_HOST.search(line) or _LOCAL_NET.search(line):
        return None
    # A name that did not resolve anywhere on the line is the answer, whatever wording came first ("Failed to
    # establish a new connection: [Errno 11001] getaddrinfo failed").
    return "connectivity-dns" if any(_NET_DNS.search(w) for w in found) else "connectivity-unreachable"


def _build_net(mode: str, hits: Sequence[Hit]) -> Built:
    # The same failures check-health reports by code; from the client's words alone, a little less sure, and said
    # as the client's (check-health did not run).
    found = list(_NET.finditer(hits[0].line))
    words = next((x for x in found if bool(_NET_DNS.search(x.group(0))) == (mode == "connectivity-dns")),
                 found[0] if found else None)
    said = f" ({words.group(0)})" if words else ""
    where = _where(hits[0].names)
    what = (f"The name of {where} did not resolve" if mode == "connectivity-dns" else
            f"The client could not reach {where}") + said
    return replace(_build_health(mode, hits), message=what, confidence=0.75)


# --- registry delete blocked by private endpoints ----------------------------------------------------------

_PE = re.compile(r"private[ -]?endpoint|privateEndpointConnections", re.IGNORECASE)
_REGISTRY_DELETE = re.compile(r"az acr delete\b|delet\w* (?:the |this |a )?(?:container )?registr|"
                              r"registry[^.]{0,40}(?:cannot|can't|could not|failed to) be deleted|"
                              r"DELETE \S*/registries/[A-Za-z0-9]+(?:\?|\s|$)", re.IGNORECASE)


def _detect_pe(line: str, context: str, seen: Seen) -> str | None:
    if not _PE.search(line) or re.search(r"private-endpoint-connection (?:delete|list|show)", line):
        return None
    if not affirmed(_PE, line):
        return None  # "there are no private endpoints": ruled out by the writer
    return "private-endpoints-block-registry-delete" if _REGISTRY_DELETE.search(context) else None


def _build_pe(mode: str, hits: Sequence[Hit]) -> Built:
    n = hits[0].names
    ref = _ref(n)
    conns = [t.connection for t in _distinct(hits, "connection") if t.connection]
    deletes = [DeletePrivateEndpointConnection(ref, c) for c in conns] or [
        DeletePrivateEndpointConnection(ref, placeholder("connection"))]
    notes = [
        "Delete every connection the confirm step lists" + ("" if conns else
                                                            " (set $CONNECTION to each NAME in turn)")
        + "; a connection in any state (Pending, Rejected) still blocks the delete.",
        f"Also remove this registry's records from the private DNS zone {PRIVATE_DNS_ZONE}, or unlink the zone from "
        "the VNet if nothing else uses it; stale records keep resolving the login server to a private IP.",
    ]
    return Built(
        "Registry delete blocked by private endpoints",
        f"Deleting registry {n.registry or '(name not in the text)'} fails while private endpoint connections "
        "are attached",
        PrivateEndpointsBlockRegistryDelete.cause,
        Step("List the connections (the PrivateEndpointConnections line of show-usage counts them too).",
             (ListPrivateEndpointConnections(ref), ShowUsage(ref))),
        Step("Delete each private endpoint connection, then the registry.", (*deletes, DeleteRegistry(ref)),
             tuple(notes)),
        (*PrivateEndpointsBlockRegistryDelete.docs, DOCS_PRIVATE_DNS),
    )


# --- storage did not go down -------------------------------------------------------------------------------

_STORAGE = re.compile(
    r"\b(?:storage|usage|space|size|used|capacity)\b[^.\n]{0,60}?\b(?:did ?n[o']?t|does ?n[o']?t|not|never|has ?n[o']?t"
    r"|has not|hasn't)\b[^.\n]{0,25}?\b(?:go(?:ne)? down|went down|decrease|drop|reduc|chang|shrink|free|budge)"
    r"|\b(?:freed|reclaimed|released)\b (?:nothing|no (?:space|storage)|little|almost nothing|0 ?(?:B|bytes))\b"
    r"|\b(?:storage|usage|size|space)\b (?:is |remains |remained |stayed |stays |still )?(?:unchanged|the same)\b"
    r"|\bstill (?:shows|uses|using|reports|at|consum\w*) [\d.,]+ ?(?:GB|GiB|TB|TiB|MB|MiB)\b",
    re.IGNORECASE)
_UNTAG_CONTEXT = re.compile(r"\buntag|re-?push|tags[- ]only|only untag|Number of deleted tags", re.IGNORECASE)
_ACCOUNTING_CONTEXT = re.compile(r"soft[- ]delete|geo-?replica|\breplica|asynchron|still billed|metric",
                                 re.IGNORECASE)
_PURGE_NO_MANIFESTS = re.compile(r"Number of deleted manifests: 0\b")
_PURGE_DELETED_TAGS = re.compile(r"Number of deleted tags: [1-9]")


def _detect_storage(line: str, context: str, seen: Seen) -> str | None:
    # Only the acr purge summary: storage described in words is scored with the other symptoms (recognise_prose).
    tags_only = bool(_PURGE_NO_MANIFESTS.search(line) and _PURGE_DELETED_TAGS in seen)
    if not tags_only:
        return None
    # A purge without --untagged only untags: it frees nothing (Azure/acr-cli#515).
    tags_only_purge = re.search(r"\bacr purge\b|\bpurg", context, re.IGNORECASE) and not re.search(
        r"--untagged", context)
    if tags_only or tags_only_purge or _UNTAG_CONTEXT.search(context):
        return "dangling-manifests"
    if _ACCOUNTING_CONTEXT.search(context):
        return "storage-accounting"
    return "shared-layers"


_STORAGE_CHECKS = ("dangling-manifests", "shared-layers", "storage-accounting")


def _build_storage(mode: str, hits: Sequence[Hit]) -> Built:
    n = hits[0].names
    ref = _ref(n)
    repo = n.repository
    confirm: list = [ShowUsage(ref)]
    if repo:
        confirm.append(ListManifestMetadata(ref, repo, untagged=True))
    confirm += [ShowSoftDelete(ref), ListReplications(ref), RunAcrdoctor(ref, _STORAGE_CHECKS)]
    if repo:
        confirm.insert(3, ListSoftDeleted(ref, repo))
    purge = RunPurge(ref, filters=(purge_filter(repo) if repo else ".*:.*",), ago="0d", untagged_only=True)
    dry = RunPurge(ref, filters=purge.filters, ago="0d", untagged_only=True, dry_run=True)
    causes = {
        "dangling-manifests": (DanglingManifests, "Untagging, re-pushing a tag or a tags-only purge leaves the "
                                                  "manifests stored: only deleting them frees space."),
        "shared-layers": (SharedLayers, "The deleted images' layers are still used by images that remain (in any "
                                        "repository of the registry), so little was unique to them."),
        "storage-accounting": (StorageAccounting, "Space is reclaimed asynchronously, soft delete keeps deleted "
                                                  "artifacts billed, and geo-replicated usage shows one region."),
    }
    check, first = causes[mode]
    others = [c[1] for k, c in causes.items() if k != mode]
    fix_summary = ("Delete the untagged manifests (preview with the dry run in the confirm step first)."
                   if mode == "dangling-manifests" else
                   "Measure before deleting more: acrdoctor diagnose computes the bytes each delete frees, "
                   "registry-wide; delete untagged manifests if it finds them.")
    fix = Step(fix_summary, (purge,),
               ("Other causes to rule out: " + " ".join(others),
                "Untag (az acr repository untag) frees nothing; acr purge without --untagged/--untagged-only only "
                "untags (Azure/acr-cli#515).",
                "After deletes, Size in show-usage follows asynchronously; the StorageUsed metric is more current."))
    # A purge's summary alone ("deleted tags: 2, deleted manifests: 0") is what every tags-only purge prints: it is
    # the storage answer when the text speaks of storage, and a side note (0.7, nothing to run) when it does not.
    complaint = any(_STORAGE_WORDS.search(h.context) for h in hits)
    return Built(
        "Storage did not go down after a delete, purge or untag",
        "The text reports that registry storage did not go down after a cleanup"
        + (f" (registry {n.registry})" if n.registry else ""),
        first + " " + check.cause,
        Step("Compare usage with what is still stored: untagged manifests, soft-deleted ones, replicas; "
             "acrdoctor diagnose measures all of it.", (*confirm, dry)),
        fix if complaint else confirm_first(fix, fix_summary + " (The text does not say storage stayed up: "
                                                               "confirm first.)"),
        tuple(dict.fromkeys([*check.docs, DOCS_PURGE, *StorageAccounting.docs])),
        confidence=None if complaint else 0.7,
    )


#: Words of the storage symptom around a purge summary: without them the summary is no complaint.
_STORAGE_WORDS = re.compile(r"\b(?:storage|usage|space|size|capacity|quota|bill\w*|cost\w*|invoice|free[sd]?|"
                            r"reclaim\w*|show-usage)\b|\d ?(?:[KMGT]i?B)\b", re.IGNORECASE)



# --- App Service's "unsupported" schema 1 manifest ----------------------------------------------------------------

#: App Service's container log when its pull finds no image it can run: it reports a Docker schema 1 manifest
#: ("…manifest.v1+json has not been supported yet"). Images pushed by current docker, buildx, podman or ACR Tasks
#: are never schema 1; in microsoft/PubSec-Info-Assistant#900 the tag had not been pushed yet and the same app
#: started once it was. So the tag is the first thing to check, not the image's format.
_APP_SERVICE_V1 = re.compile(r"Unsupported image manifest\.? The manifest with version ['\"]?application/vnd\.docker"
                             r"\.distribution\.manifest\.v1\+(?:json|prettyjws)['\"]? has not been supported yet",
                             re.IGNORECASE)


def _detect_app_service_v1(line: str, context: str, seen: Seen) -> str | None:
    return "tag-not-found" if _APP_SERVICE_V1.search(line) else None


def _build_app_service_v1(mode: str, hits: Sequence[Hit]) -> Built:
    built = _build_tag_unknown(mode, hits)
    n = built.extracted or hits[0].names
    return replace(
        built,
        title="App Service found no image it could run under the tag",
        message=f"App Service's pull of {_where(n)} reported a schema 1 manifest it does not support",
        cause="App Service reports an unsupported schema 1 (v1) manifest when the pull found no current image "
              "under the tag: the tag was not pushed yet (a deployment that creates the app before it pushes the "
              "image), was deleted, or the image name set on the app is wrong. Images pushed by current docker, "
              "buildx, podman or ACR Tasks are never schema 1.",
        fix=confirm_first(Step("Push the image under the tag the app names, or set the app's image to a tag the "
                               "listing shows; then restart the app."),
                          "Push the image under the tag the app names, or set the app's image to a tag the listing "
                          "shows, then restart the app (confirm with the tag listing first: a schema 1 image, "
                          "rare today, would need rebuilding instead)."),
        docs=("https://learn.microsoft.com/azure/app-service/configure-custom-container",),
        notes=(f"The repository named starts with a login server ({n.repository}): if the registry has no such "
               "repository, the app's image name holds the server twice.",) if n.repository and re.match(
            r"[\w-]+\.azurecr\.(?:io|cn|us)/", n.repository) else (),
        confidence=0.6,
    )


#: The first catalogue's recognisers (the two support articles); acrdoctor.explain.catalogue adds the rest.
FIRST_CATALOGUE: tuple[Recogniser, ...] = (
    Recogniser("name-unknown", ("empty-repository", "repository-not-found"), _detect_name_unknown,
               _build_name_unknown, _NAME_UNKNOWN, ("name_unknown", "not known", "not found", "be found")),
    Recogniser("tag-unknown", ("tag-not-found",), _detect_tag_unknown, _build_tag_unknown, _TAG_UNKNOWN,
               ("tag_unknown", "does not exist", "manifest tagged by")),
    Recogniser("manifest-unknown", ("broken-index-references", "manifest-not-found", "tag-not-found"),
               _detect_manifest_unknown,
               _build_manifest_unknown, any_of(_MANIFEST_UNKNOWN, _DOCKER_TAG_MISSING),
               ("manifest_unknown", "manifest unknown", "manifest sha256:", "manifest for ")),
    Recogniser("app-service-v1-manifest", ("tag-not-found",), _detect_app_service_v1, _build_app_service_v1,
               _APP_SERVICE_V1, ("unsupported image manifest",)),
    Recogniser("reference-not-found", ("tag-not-found", "manifest-not-found"), _detect_ref_not_found,
               _build_ref_not_found,
               any_of(_REF_NOT_FOUND, _CONTAINERD_REF_NOT_FOUND), (": not found", "code = notfound")),
    Recogniser("disallowed", ("locked-artifacts", "quarantined-images", "storage-limit"), _detect_disallowed,
               _build_disallowed, _DISALLOWED, ("disallowed", "not allowed", "statuscode=405")),
    Recogniser("firewall", ("network-access-denied",), _detect_firewall, _build_firewall, _FIREWALL,
               ("client with ip", "connectivity_forbidden_error", "access to registry")),
    Recogniser("unauthorized", ("delete-permission", "authentication-required"), _detect_unauthorized,
               _build_unauthorized, _UNAUTH,
               ("authori", "authentication required", "lacking", "statuscode=401", " 401", "pull access denied for",
                "role assignment for")),
    Recogniser("denied", ("delete-permission",), _detect_denied, _build_denied, _DENIED,
               ("denied", "insufficient_scope", "retrieving permissions")),
    Recogniser("http-status", ("manifest-not-found", "tag-not-found", "empty-repository", "repository-not-found",
                               "authentication-required", "locked-artifacts", "quarantined-images", "storage-limit",
                               "network-access-denied"),
               _detect_status, _build_status, _STATUS,
               ("response", "http/", "status", "returned", "not found", "unauthorized", "method not allowed",
                "forbidden")),
    Recogniser("throttled", ("throttling",), _detect_throttled, _build_throttled, _THROTTLED,
               ("toomanyrequests", "too many", "429")),
    Recogniser("check-health", _HEALTH_MODES, _detect_health, _build_health, _HEALTH_ANY,
               ("connectivity_", "login_server_error", "failed to reach dns", "secure connection to the registry",
                "failed with status: 50",
                "issue a challenge", "ask properly", "support aad login", "retrieving the login server",
                "connect to the registry login server", "containerregistry/registries", "was denied. response code",
                "acr refresh token")),
    Recogniser("network-words", ("connectivity-dns", "connectivity-unreachable"), _detect_net, _build_net, _NET,
               ("no such host", "name or service not known", "name resolution", "getaddrinfo", "i/o timeout",
                "connection refused", "client.timeout exceeded", "handshake timeout", "connection timed out",
                "context deadline exceeded", "request canceled while waiting", "could not resolve host",
                "failed to connect to", "failed to resolve registry", "failed to establish a new connection",
                "connection attempt failed")),
    Recogniser("private-endpoints", ("private-endpoints-block-registry-delete",), _detect_pe, _build_pe, _PE,
               ("private",)),
    Recogniser("storage", _STORAGE_CHECKS, _detect_storage, _build_storage, _PURGE_NO_MANIFESTS,
               ("number of deleted manifests",), remembers=((_PURGE_DELETED_TAGS, "number of deleted tags"),)),
)

#: Failure modes about the registry as a whole in the first catalogue: names of objects on nearby lines are not
#: theirs.
FIRST_REGISTRY_LEVEL = frozenset({"throttling", "private-endpoints-block-registry-delete", "network-access-denied",
                                  "authentication-required", *_HEALTH_MODES, *_STORAGE_CHECKS})
