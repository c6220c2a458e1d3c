"""Recognisers for the content failure modes of the second catalogue: quarantine, soft delete.

The 405 of a quarantined image or a full registry is the first catalogue's ``disallowed`` recogniser, which ranks
lock, quarantine and storage limit from the words around it (:mod:`.recognisers`). Here are the texts it does not
see:

* a pull by digest of a quarantined image answers ``unknown: The operation is disallowed.`` (no "on this registry"):
  the quarantine pattern's own transcript, https://github.com/Azure/acr/tree/main/docs/preview/quarantine;
* soft delete: pushing an image whose digest is soft-deleted is refused ("restore instead"), and the policy is not
  supported with geo-replication or artifact cache nor together with the retention policy [D-SD]
  (container-registry-soft-delete-policy.md). **No recorded wire text exists for these refusals** (none in the
  recordings, the issue trackers or the docs searched 2026-12), so the trigger is any line naming a soft-deleted
  artifact or the soft-delete policy together with a push, restore, digest or one of the unsupported combinations.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from acrdoctor.actions import (
    ListDeletedManifests,
    RegistryRef,
    RestoreManifest,
    SetQuarantinePolicy,
    SetSoftDeletePolicy,
    ShowManifestMetadata,
)
from acrdoctor.checks.quarantined_images import DOCS_QUARANTINE, QuarantinedImages
from acrdoctor.checks.soft_delete import DOCS_SD, READ_ACTION, RESTORE_ACTION, SoftDelete

from .actions import ListReplications, ShowRegistry, ShowSoftDelete, registry_id_expr
from .model import Step
from .names import Names, placeholder
from .negation import denied_at
from .recognisers import Built, Hit, Recogniser, Seen, _build_disallowed, _detect_disallowed, confirm_first

# --- quarantined image pulled by digest ---------------------------------------------------------------------

_QUARANTINE_PULL = re.compile(r"\bunknown: The operation is disallowed\b(?! on this)|"
                              # the code and message the registry puts on a quarantined manifest (Azure/acr#210)
                              r"\bIMAGE_QUARANTINED\b|\bThe image is quarantined\b", re.IGNORECASE)
#: Quarantine named in the answer itself: no lock or full registry answers with these words.
_QUARANTINE_CODE = re.compile(r"IMAGE_QUARANTINED|image is quarantined", re.IGNORECASE)


#: A push, not a pull: quarantine holds back pulls, so the same words on a push are a lock or a full registry.
_PUSH = re.compile(r"\bdocker push\b|The push refers to|\bpush(?:ing|ed)?\b|\bPUT \S*/manifests/", re.IGNORECASE)
_PULL = re.compile(r"\bpull", re.IGNORECASE)
#: Pulls said to work: no pull failed.
_PULLS_FINE = re.compile(r"\bpull\w*\b[^.\n]{0,30}?\b(?:still )?(?:work\w*|fine|ok)\b", re.IGNORECASE)


def _detect_quarantine_pull(line: str, context: str, seen: Seen) -> str | None:
    if not _QUARANTINE_PULL.search(line):
        return None
    if _QUARANTINE_CODE.search(line):
        return "quarantined-images"
    if _PUSH.search(context) and not _PULL.search(_PULLS_FINE.sub(" ", context)):
        # Read as the 405 it is: lock by default, quarantine or storage limit when the words say so.
        return _detect_disallowed("operation not allowed, HTTP status: 405", context, seen)
    return "quarantined-images"


def _ref(n: Names) -> RegistryRef:
    return RegistryRef(n.get("registry"))


def _build_quarantine_pull(mode: str, hits: Sequence[Hit]) -> Built:
    coded = any(_QUARANTINE_CODE.search(h.line) for h in hits)
    if mode != "quarantined-images" or (
            not coded and all(_PUSH.search(h.context) and not _PULL.search(h.context) for h in hits)):
        built = _build_disallowed(mode, hits)
        if mode != "locked-artifacts":
            return built
        # The bare "unknown: The operation is disallowed." is not the lock's own sentence ("… on this registry,
        # repository or image."): a lock is one reading of three (a full registry, quarantine), so the unlock is
        # shown to run once the confirm step has shown the flags.
        return replace(built, confidence=0.7, fix=confirm_first(
            built.fix, built.fix.summary + " (The message does not name a lock: confirm first.)"))
    n = hits[0].names
    ref, repo = _ref(n), n.get("repository")
    read = ShowManifestMetadata(ref, repo, digest=n.digest or placeholder("digest"))
    return Built(
        "Pull refused: the image is quarantined",
        ("The registry answered that the image is quarantined (IMAGE_QUARANTINED)" if coded else
         "The registry answered \"unknown: The operation is disallowed.\" to a pull by digest"
         + (f" of {n.repository}" if n.repository else "")
         + ": the answer ACR's quarantine pattern documents for a quarantined image"),
        QuarantinedImages.cause,
        Step("Read the image's quarantineState and the registry's quarantine policy.",
             (read, ShowRegistry(ref, "policies.quarantinePolicy"))),
        Step("Have the image scanned and marked Passed by the scanner that owns the quarantine; or turn the "
             "quarantine policy off for the whole registry (the command).",
             (SetQuarantinePolicy(registry_id_expr(ref.name), enabled=False),),
             ("Only an identity with AcrQuarantineReader can pull a quarantined image (by digest); a pull by tag "
              "answers 'manifest ... not found' meanwhile.",
              "quarantineState is set by a PATCH of /acr/v1/<repository>/_manifests/<digest> by an identity with "
              "AcrQuarantineWriter; no az command sets it.")),
        (DOCS_QUARANTINE, *QuarantinedImages.docs[1:]),
    )


# --- soft delete --------------------------------------------------------------------------------------------

#: Soft delete by name, or by what it does ("the deleted-artifact recovery preview").
_SOFT = r"(?:soft-delet|soft delet|softdelet|deleted[- ]artifacts? recover)"
_SOFT_DELETE = re.compile(
    rf"{_SOFT}\w*\b[^\n]{{0,120}}?\b(?:push|restor|digest|manifest|geo-?replicat|replicat|cache|retention|api-version)"
    rf"|\b(?:push|restor|digest|manifest|geo-?replicat|replicat|cache|retention|api-version)\w*\b[^\n]{{0,120}}?{_SOFT}",
    re.IGNORECASE)
#: ARM refuses the soft-delete policy from a client on an API version before it existed (an old Terraform provider,
#: SDK or template): "Cannot override non-default values of soft delete policy … using api-version …".
_API_VERSION = re.compile(r"api-version", re.IGNORECASE)
_CONFLICT = re.compile(r"geo-?replicat|replicat|cache|retention", re.IGNORECASE)
#: A push named (soft delete refuses the push of a soft-deleted digest); not the quarantine reader's ``_PUSH``.
_PUSH_WORD = re.compile(r"\bpush", re.IGNORECASE)


#: Soft delete said to be absent: "no soft delete", "soft delete is off", "we don't use soft delete".
_SOFT_ABSENT = re.compile(rf"(?:\b(?:no|not|without|never \w+)|n't \w+)\s+(?:the\s+)?{_SOFT}\w*|"
                          rf"{_SOFT}\w*(?:\s+(?:policy|policies|features?|settings?|options?))?\s+"
                          r"(?:(?:is|was|are|were)\s+)?(?:off|disabled|not (?:on|enabled|used))",
                          re.IGNORECASE)
#: Words of a refusal around the conflict: without them the text only shows the two settings side by side (a
#: policy dump), and which one to give up is the writer's call.
_REFUSED = re.compile(r"\b(?:fail\w*|errors?|cannot|can't|could not|not supported|unsupported|not allowed|"
                      r"conflict\w*|refus\w*|reject\w*|invalid|mutually exclusive)\b", re.IGNORECASE)


def _detect_soft_delete(line: str, context: str, seen: Seen) -> str | None:
    if not _SOFT_DELETE.search(line):
        return None
    # The words are all there is to go on (no wire text recorded): a sentence that rules soft delete out is not it
    # ("no soft delete", "soft delete is off", "we don't have soft delete turned on").
    mentions = list(re.finditer(_SOFT, line, re.IGNORECASE))
    if mentions and (len(_SOFT_ABSENT.findall(line)) >= len(mentions)
                     or all(denied_at(line, m.start(), m.end()) for m in mentions)):
        return None
    # Besides a conflicting setting or an old API version, the one refusal soft delete causes is a push of a
    # soft-deleted digest: a sentence that only says soft delete was on and things were restored is no failure.
    if not (_API_VERSION.search(line) or _CONFLICT.search(line) or _PUSH_WORD.search(line)):
        return None
    return "soft-delete"


def _build_soft_delete(mode: str, hits: Sequence[Hit]) -> Built:
    n = hits[0].names
    ref, repo = _ref(n), n.get("repository")
    if any(_API_VERSION.search(h.line) for h in hits):
        return Built(
            "Soft-delete policy sent with an API version that does not know it",
            "ARM refused the registry's soft-delete policy: the client's api-version predates it",
            "The soft-delete policy exists from api-version 2022-02-01-preview on; a client on an older API version "
            "(an old Terraform provider, SDK or template) sends the registry without the policy, which ARM reads as "
            "overriding the non-default values set on it. Nothing is wrong with the registry.",
            Step("Read the policy the registry has.", (ShowSoftDelete(ref),)),
            Step("Upgrade the client (or set its api-version) to 2022-02-01-preview or later; or leave the policy "
                 "out of what that client manages."),
            (DOCS_SD,),
        )
    conflict = all(_CONFLICT.search(h.line) and not _PUSH_WORD.search(h.line) for h in hits)
    if conflict:
        fix = Step("Keep one of the two: disable soft delete (the command), or remove what it cannot work with.",
                   (SetSoftDeletePolicy(ref, enabled=False),),
                   ("Soft delete for geo-replicated registries is on ACR's roadmap (Azure/acr#813), not available.",
                    "The retention policy can only be enabled with soft delete off (az acr config retention update)."))
        refused = any(_REFUSED.search(h.context) for h in hits)
        return Built(
            "Soft delete conflicts with another registry setting",
            "The text ties soft delete to geo-replication, artifact cache or the retention policy",
            "ACR's soft delete (preview) is not supported on geo-replicated registries nor with artifact cache, and "
            "cannot be enabled together with the retention policy for untagged manifests.",
            Step("Read the soft-delete and retention policies and the replications.",
                 (ShowSoftDelete(ref), ShowRegistry(ref, "policies.retentionPolicy"), ListReplications(ref))),
            fix if refused else confirm_first(fix, "Both settings are on together, which ACR does not support: "
                                                   "keep one of the two, as the registry's owner decides."),
            (DOCS_SD,),
        )
    digest = n.digest or placeholder("digest")
    restore = RestoreManifest(ref, repo or placeholder("repository"), digest, n.tag)
    return Built(
        "Push refused: the image's digest is soft-deleted",
        "The text says a push was refused because the image (its manifest digest) is soft-deleted"
        + (f" in {n.repository}" if n.repository else ""),
        "ACR refuses to push an image whose digest is soft-deleted: restore the soft-deleted artifact instead "
        "(pushing to a soft-deleted repository restores the repository).",
        Step("List the repository's soft-deleted manifests and find the digest.",
             (ListDeletedManifests(ref, repo or placeholder("repository")), ShowSoftDelete(ref))),
        Step("Restore it instead of pushing it.", (restore,),
             (f"Listing needs {READ_ACTION}; restoring needs {RESTORE_ACTION}.",
              "A restored image does not bring back its referrers (signatures, SBOMs); restore them after it.",
              "Soft-deleted artifacts stay billed until the daily autopurge passes their retention days.")),
        SoftDelete.docs,
    )


RECOGNISERS: tuple[Recogniser, ...] = (
    Recogniser("quarantine-pull", ("quarantined-images", "locked-artifacts", "storage-limit"), _detect_quarantine_pull,
               _build_quarantine_pull,
               _QUARANTINE_PULL, ("unknown: the operation is disallowed", "quarantined")),
    Recogniser("soft-delete", ("soft-delete",), _detect_soft_delete, _build_soft_delete, _SOFT_DELETE,
               ("soft", "recover")),
)

#: Failure modes about the registry as a whole: the soft-delete conflicts and the storage limit.
REGISTRY_LEVEL: frozenset[str] = frozenset({"storage-limit"})
