"""Failure mode (issue 12 item 3): quarantined images refuse operations with 405 although nothing is locked.

Sources:

* [D-FAQ] ACR FAQ "Why does my pull or push request fail with disallowed operation?" lists a quarantined image among
  the causes of 405 REGISTRY_DISALLOWED_OPERATION, next to locks and a registry at its storage limit
  (container-registry-faq.yml, ms.date 2026-02-04; notes acr-semantics-and-peers.md §4 fact 13).
* The quarantine pattern, https://github.com/Azure/acr/tree/main/docs/preview/quarantine (readme.md): with the
  registry's quarantine policy enabled every pushed image starts quarantined; a pull by tag answers "manifest ... not
  found", a pull by digest "unknown: The operation is disallowed."; only an identity with AcrQuarantineReader can
  pull it, and a scanner with AcrQuarantineWriter ends the quarantine by PATCHing the manifest's ``quarantineState``
  to ``Passed`` (or ``Failed``) on ``/acr/v1/<repo>/_manifests/<digest>``. The policy is set through the ARM
  registry's ``policies.quarantinePolicy``; ``az acr`` has no command for either.
* ``quarantineState`` sits in the manifest's ``changeableAttributes`` beside the lock flags, and reads ``Passed`` on
  ordinary images (acr-wire-behaviour.md §c.6, recorded listings).

What is not documented: whether an image left quarantined is still refused after the policy is disabled. acrdoctor
reports such a leftover state as it is and says so, instead of guessing.
"""

from __future__ import annotations

from collections.abc import Iterator

from acrdoctor.actions import RegistryRef, SetQuarantinePolicy, ShowManifestMetadata, registry_id_expression
from acrdoctor.check_api import Check, Context, Finding, Fix, Related, Resource, Severity
from acrdoctor.completeness import Gap
from acrdoctor.model import Manifest, Part, Registry, Repository
from acrdoctor.units import human_bytes

DOCS_QUARANTINE = "https://github.com/Azure/acr/tree/main/docs/preview/quarantine"
DOCS_FAQ = "https://learn.microsoft.com/azure/container-registry/container-registry-faq"

#: The state a scanner sets when an image may be used; ordinary images carry it too.
PASSED = "passed"


def is_quarantined(m: Manifest) -> bool:
    """Any recorded state but Passed: ``Quarantined`` (waiting for a scan) or ``Failed`` (the scan said no)."""
    return bool(m.quarantine_state) and (m.quarantine_state or "").strip().lower() != PASSED


def quarantined(repositories: tuple[Repository, ...]) -> Iterator[tuple[int, Repository, Manifest]]:
    for ri, repo in enumerate(repositories):
        for m in repo.manifests or ():
            if is_quarantined(m):
                yield ri, repo, m


def _policy_text(reg: Registry) -> tuple[str, bool | None]:
    policy = reg.quarantine_policy
    if policy is None:
        return "the registry's quarantine policy was not in the collected settings", None
    if policy.enabled:
        return "the registry's quarantine policy is enabled", True
    return ("the registry's quarantine policy is disabled now, so this state is a leftover (set while the policy "
            "was on, or by a scanner); ACR does not document whether it is still enforced"), False


class QuarantinedImages(Check):
    slug = "quarantined-images"
    title = "Quarantined images that refuse operations without being locked"
    severity = Severity.MEDIUM
    needs = frozenset({Part.MANIFESTS})
    uses = frozenset({Part.MANIFEST_BODIES, Part.REGISTRY})
    failure_mode = ("Pulls or deletes of an image fail with 405 \"The operation is disallowed\" (or a pull by tag "
                    "with manifest not found) although none of its lock flags is false")
    cause = (
        "The image is in quarantine (quarantineState other than Passed): ACR refuses operations on it until the "
        "scanner that owns the quarantine marks it Passed. Its changeableAttributes are all enabled, so unlocking "
        "changes nothing."
    )
    docs = (DOCS_QUARANTINE, DOCS_FAQ)

    def run(self, ctx: Context) -> Iterator[Finding]:
        snap = ctx.snapshot
        reg = snap.registry
        ref = RegistryRef(reg.name, reg.resource_group)
        policy_text, enabled = _policy_text(reg)
        storage = ctx.storage if snap.has(Part.MANIFEST_BODIES) else None
        for ri, repo, m in quarantined(snap.repositories or ()):
            state = m.quarantine_state or ""
            held = storage.freed_by([(ri, m)]) if storage is not None else None
            tags = list(m.tags)
            parts = [f"quarantineState={state}"]
            if tags:
                parts.append(f"tagged {', '.join(tags[:5])}{' and more' if len(tags) > 5 else ''}")
            if held is not None:
                at_least = "" if storage is not None and storage.complete else "at least "
                parts.append(f"holds {at_least}{human_bytes(held)} no other image uses")
            elif m.image_size is not None:
                parts.append(f"imageSize {human_bytes(m.image_size)}")
            locks = m.attributes.is_default and repo.attributes.write_enabled
            tail = ("its lock flags are all enabled, so this is not a lock: operations on it are refused with 405 "
                    "\"The operation is disallowed\" until it is marked Passed" if locks else
                    "it is locked as well (see locked-artifacts): unlocking alone will not make it usable")
            message = "; ".join(parts) + f"; {tail}"
            yield self.finding(
                Resource.manifest(repo.name, m.digest),
                message,
                fix=self._fix(reg, ref, repo, m, policy_text, enabled),
                details={
                    "repository": repo.name, "digest": m.digest, "quarantine_state": state, "tags": tags,
                    "exclusive_bytes": held, "image_size": m.image_size, "quarantine_policy_enabled": enabled,
                    "locked": not locks,
                },
            )

    def _fix(self, reg: Registry, ref: RegistryRef, repo: Repository, m: Manifest, policy_text: str,
             enabled: bool | None) -> Fix:
        failed = (m.quarantine_state or "").strip().lower() == "failed"
        notes = [
            f"{policy_text[0].upper()}{policy_text[1:]}.",
            "Only the scanner that owns the quarantine (an identity with the AcrQuarantineWriter role) ends it, by "
            "setting quarantineState to Passed on the manifest (PATCH /acr/v1/<repository>/_manifests/<digest>); "
            f"az acr has no command for it [{DOCS_QUARANTINE}].",
            "Pulls by tag answer 'manifest ... not found' and pulls by digest 'The operation is disallowed' while it "
            "is quarantined; identities with AcrQuarantineReader can still pull it by digest.",
        ]
        if failed:
            notes.insert(1, "Its scan FAILED: rebuild the image rather than lifting the quarantine.")
        related = [Related("confirm", "Read the image's attributes: quarantineState next to the lock flags.",
                           (ShowManifestMetadata(ref, repo.name, m.digest),))]
        if enabled:
            related.append(Related(
                "alternative",
                "Turn the quarantine off for the whole registry (every new push is then usable without a scan; "
                "images already quarantined may stay so).",
                (SetQuarantinePolicy(reg.id or registry_id_expression(reg.name), enabled=False),),
            ))
        return Fix(
            summary=("Have the image scanned and marked Passed by the scanner that owns the quarantine (a manual "
                     "step: no az command sets quarantineState)."),
            notes=tuple(notes),
            related=tuple(related),
        )

    def blind_spots(self, ctx: Context, gaps: tuple[Gap, ...]) -> tuple[Gap, ...]:
        """Byte figures come from manifest bodies; a missing body does not hide a quarantine."""
        return tuple(g for g in gaps if g.part is not Part.MANIFEST_BODIES)
