"""Recognisers for Azure management locks (ScopeLocked) and connected registries (issue 12, items 1 and 7).

Texts and sources:

* ARM's 409 for a locked scope, as az prints it: ``(ScopeLocked) The scope '…' cannot perform delete operation
  because following scope(s) are locked: '…'. Please remove the lock and try again.`` (Azure/azure-cli#20232); the
  same body inside SDK and Terraform errors (hashicorp/terraform-provider-azurerm#17478: ``Status=409
  Code="ScopeLocked"``; Azure/apiops#606: the JSON ``{"error":{"code":"ScopeLocked",…}}``;
  Azure-Player/azure.datafactory.devops#183: ``Error Code: ScopeLocked``). A ReadOnly lock answers the same for
  writes (``cannot perform write operation``; ARM lock-resources docs: ReadOnly blocks updates too).
  This is not ACR's own image lock, which answers 405 on the data plane (the first catalogue's ``disallowed``).
* ``az acr connected-registry delete`` without ``--cleanup`` leaves the sync token and scope map behind and says
  ``Connected registry successfully deleted. Please cleanup your sync tokens and scope maps.`` followed by the
  ``az acr token delete``/``az acr scope-map delete`` commands to run (azure-cli 2.91.0
  ``acr/connected_registry.py``). No public text of the service refusing a repository delete on a ReadOnly
  connected registry was found, so that case has no recogniser.
* What a connected registry itself answers on premises, from ACR's connected-registry docs (Azure/acr
  ``docs/preview/connected-registry/troubleshooting.md`` and ``connected-registry-error-codes.md``): a push to one
  in Mirror (now ReadOnly) mode, ``denied: This operation is not allowed on this registry.`` (not ACR's 405 lock
  sentence, "The operation is disallowed on this registry, repository or image."); a client token whose scope map
  lacks the repository, ``denied: Insufficient scopes to perform the operation``; and the ``statusDetails`` codes
  of an Unhealthy instance that cannot write its host's disk (``DISK_PERMISSION_DENIED``, ``DISK_STORAGE_FULL``,
  ``DISK_ERROR``; ``az acr connected-registry show`` prints them as ``DiskError`` with ``"type": "Disk"``); and
  ``ALREADY_ACTIVATED`` "Failed to activate the connected registry as it is already activated by another
  instance" when a second instance starts with the same connection string.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from acrdoctor.actions import (
    REGISTRY_RESOURCE_TYPE,
    AddScopeMapRepositories,
    DeleteResourceLock,
    DeleteScopeMap,
    DeleteToken,
    ListResourceLocks,
    ListTokens,
    LockScope,
    RegistryRef,
)
from acrdoctor.checks.connected_registries import ConnectedRegistries
from acrdoctor.checks.resource_locks import ResourceLocks
from acrdoctor.shellquote import Arg, variable

from .actions import ListConnectedRegistries
from .model import Step
from .recognisers import Built, Hit, Recogniser, Seen, any_of, confirm_first, on_match

# --- 409 ScopeLocked ---------------------------------------------------------------------------------------

_SCOPE_LOCKED = re.compile(r"\bScopeLocked\b|cannot perform (?:delete|write) operation because (?:the )?following "
                           r"scope\(s\) (?:are|is) locked", re.IGNORECASE)
_LOCKED_SCOPES = re.compile(r"following scope\(s\) (?:are|is) locked:\s*((?:['\"][^'\"]+['\"][,\s]*)+)", re.IGNORECASE)
_QUOTED = re.compile(r"['\"]([^'\"]+)['\"]")
_OPERATION = re.compile(r"cannot perform (delete|write) operation", re.IGNORECASE)
_SUB = re.compile(r"^/subscriptions/([^/]+)$", re.IGNORECASE)
_GROUP = re.compile(r"^/subscriptions/([^/]+)/resourceGroups/([^/]+)$", re.IGNORECASE)
#: A top-level resource: ``…/resourceGroups/RG/providers/NS/TYPE/NAME`` (child resources need az's --parent).
_RESOURCE = re.compile(r"^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/([^/]+)/([^/]+)/([^/]+)$",
                       re.IGNORECASE)
#: What people put in place of ids they paste: ``xxxx``, ``***``, ``...``, ``<sub>``, ``---``.
_MASKED = re.compile(r"^(?:x+|\*+|\.+|-+|<[^>]*>|\{[^}]*\})$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class LockedScope:
    """A scope the 409 named as locked, as az addresses it; ``scope`` None when it cannot be read."""

    text: str
    kind: str
    scope: LockScope | None


def _real(*parts: str) -> bool:
    return all(not _MASKED.match(p) for p in parts)


def locked_scope(text: str) -> LockedScope:
    """Where the lock is, from the scope ARM names: a subscription, a resource group, or a top-level resource.

    Only ACR registries get ``--resource``/``--resource-type`` (the type az needs is known); another resource
    (a storage account holding a lock on its endpoint) is named by its resource group, whose ``az lock list``
    shows the locks of the resources in it. Masked ids (``xxx``, ``***``) are not turned into names.
    """
    s = text.strip().rstrip("/")
    if (m := _SUB.match(s)) and _real(m.group(1)):
        return LockedScope(s, "subscription", LockScope(m.group(1)))
    if (m := _GROUP.match(s)) and _real(*m.groups()):
        return LockedScope(s, "resourceGroup", LockScope(m.group(1), m.group(2)))
    if (m := _RESOURCE.match(s)) and _real(m.group(1), m.group(2)):
        sub, rg, ns, rtype, name = m.groups()
        if f"{ns}/{rtype}".lower() == REGISTRY_RESOURCE_TYPE.lower() and _real(name):
            return LockedScope(s, "registry", LockScope(sub, rg, name))
        return LockedScope(s, "resource", LockScope(sub, rg))
    return LockedScope(s, "unknown", None)


def _scopes(hits: Sequence[Hit]) -> list[LockedScope]:
    out: dict[str, LockedScope] = {}
    for h in hits:
        m = _LOCKED_SCOPES.search(h.line)
        for text in _QUOTED.findall(m.group(1)) if m else ():
            out.setdefault(text.lower(), locked_scope(text))
    return list(out.values())[:5]


def _detect_scope_locked(line: str, context: str, seen: Seen) -> str | None:
    return ResourceLocks.slug if _SCOPE_LOCKED.search(line) else None


def _build_scope_locked(mode: str, hits: Sequence[Hit]) -> Built:
    n = hits[0].names
    scopes = _scopes(hits)
    writes = any((m := _OPERATION.search(h.line)) and m.group(1).lower() == "write" for h in hits)
    lock: Arg = variable("LOCK")
    known = [s for s in scopes if s.scope is not None]
    if known:
        confirm = tuple(ListResourceLocks.at(s.scope) for s in known if s.scope is not None)
        fix = tuple(DeleteResourceLock.at(lock, s.scope) for s in known if s.scope is not None)
        where = "; ".join(s.scope.describe() for s in known if s.scope is not None)
    else:
        # The text names no scope we can read (masked, or none): list every lock of the subscription and delete the
        # one that applies by its id, rather than guess a scope.
        confirm = (ListResourceLocks(),)
        fix = (DeleteResourceLock("", lock_id=variable("LOCK_ID")),)
        where = "; ".join(s.text for s in scopes) or "a scope the text does not name"
    notes = [
        ("$LOCK is the NAME column of the list above" if known else
         "$LOCK_ID is the id of the lock that applies (az lock list --output json shows it)")
        + "; remove the lock only if the delete (or change) is intended, and put it back afterwards with "
        "az lock create (same --name, --lock-type and scope).",
        "Removing a lock needs Microsoft.Authorization/locks/delete (Owner or User Access Administrator). A lock on "
        "a resource group or subscription protects everything in it: ask whoever placed it first.",
        "This is an Azure management lock (HTTP 409 from Resource Manager), not ACR's image lock: "
        "az acr repository update --write-enabled/--delete-enabled does not change it, and it never blocks "
        "deleting images or repositories.",
    ]
    if writes:
        notes.insert(1, "A write refused this way comes from a ReadOnly lock: it blocks every change to the "
                        "registry's settings (network rules, policies, SKU), not only deletes.")
    what = "write" if writes else "delete"
    remove = Step("Remove the lock, retry, then put it back; or keep it and leave the registry in place.", fix,
                  tuple(notes))
    # Something else is being changed (another command before the refusal, or another resource locked) and nothing
    # names a registry (not the text, not a locked scope, no registry word before it): a lock on something else (a
    # resource group being deleted). The reading holds, the unlock waits. A bare refusal pasted alone is a registry's.
    registryless = not n.registry and not any(s.kind == "registry" for s in scopes) and not any(
        _REGISTRY_WORD.search(h.context) for h in hits) and (
        any(s.kind == "resource" for s in scopes) or any(_OTHER_TARGET.search(h.context) for h in hits))
    if registryless:
        remove = confirm_first(remove, "Nothing in the text names a container registry: find who placed the lock "
                                       "and why before removing it (the list above names it).")
    return Built(
        "Blocked by an Azure resource lock (409 ScopeLocked)",
        f"Resource Manager refused a {what} with 409 ScopeLocked: locked at {where}"
        + (f" (registry {n.registry})" if n.registry else ""),
        ResourceLocks.cause,
        Step("List the locks at the locked scope (the NAME and LEVEL columns).", confirm),
        remove,
        ResourceLocks.docs,
        confidence=0.6 if registryless else None,
    )


_REGISTRY_WORD = re.compile(r"registr|\bacr\b|azurecr|ContainerRegistry", re.IGNORECASE)
#: A command that changes something other than a registry: az's other groups, Az PowerShell's other cmdlets.
_OTHER_TARGET = re.compile(r"\baz (?!acr\b)[a-z-]+(?: [a-z-]+)? (?:delete|update|create|set)\b|"
                           r"\b(?:Remove|Set|New|Update)-Az(?!ContainerRegistry)\w+", re.IGNORECASE)


# --- connected registry deleted without --cleanup ----------------------------------------------------------

_CR_NO_CLEANUP = re.compile(r"Connected registry successfully deleted\. Please cleanup your sync tokens and scope maps",
                            re.IGNORECASE)
#: The two commands az prints on the lines after that message (``-n NAME -r REGISTRY --yes``).
_CLEANUP_COMMAND = re.compile(r"az acr token delete -n (\S+) -r (\S+)|az acr scope-map delete -n (\S+) -r (\S+)")


def _detect_cr_cleanup(line: str, context: str, seen: Seen) -> str | None:
    if _CR_NO_CLEANUP.search(line) or (_CR_NO_CLEANUP in seen and _CLEANUP_COMMAND.search(line)):
        return ConnectedRegistries.slug
    return None


def _build_cr_cleanup(mode: str, hits: Sequence[Hit]) -> Built:
    n = hits[0].names
    token: Arg = variable("TOKEN")
    scope_map: Arg = variable("SCOPE_MAP")
    registry: Arg = n.get("registry")
    for h in hits:
        for m in _CLEANUP_COMMAND.finditer(h.line):
            if m.group(1):
                token, registry = m.group(1), m.group(2)
            else:
                scope_map, registry = m.group(3), m.group(4)
    ref = RegistryRef(registry)
    return Built(
        "Connected registry deleted without --cleanup: its sync token and scope map remain",
        "az acr connected-registry delete ran without --cleanup, so the sync token and its scope map are still in "
        + (f"registry {registry}" if isinstance(registry, str) else "the registry"),
        ConnectedRegistries.cause,
        Step("List the registry's tokens: the connected registry's sync token is among them.", (ListTokens(ref),)),
        Step("Delete the sync token, then its scope map (a sync token can be deleted once its connected registry is "
             "gone, which it now is).", (DeleteToken(ref, token), DeleteScopeMap(ref, scope_map)), (
                 "Also remove the connected registry's containers on premises: deleting the resource does not stop "
                 "them.",
                 "az also asks to remove the deleted registry's gateway access from its ancestors' scope maps "
                 "(az acr scope-map update --remove-gateway), when it had a parent connected registry.",
                 "Next time run az acr connected-registry delete with --cleanup: it does all of this for you.",
             )),
        ConnectedRegistries.docs,
    )


# --- what a connected registry answers on premises -------------------------------------------------------------

_CR_READ_ONLY = re.compile(r"\bThis operation is not allowed on this registry\b", re.IGNORECASE)
_CR_SCOPES = re.compile(r"\bInsufficient scopes to perform the operation\b", re.IGNORECASE)
#: The documented codes, and the Pascal-case one az printed (case-sensitive, so prose about a disk error is not one).
_CR_DISK = any_of(re.compile(r"\bDISK_(?:PERMISSION_DENIED|STORAGE_FULL|ERROR)\b", re.IGNORECASE),
                  re.compile(r"\bDiskError\b"))
#: The activation the cloud refuses while another instance holds it (ACR's body, as the connected registry logs it).
_CR_ACTIVATED = re.compile(r"\bALREADY_ACTIVATED\b|connected registry as it is already activated", re.IGNORECASE)
_CR_ANSWERS = any_of(_CR_READ_ONLY, _CR_SCOPES, _CR_DISK, _CR_ACTIVATED)


def _build_cr_answer(mode: str, hits: Sequence[Hit]) -> Built:
    n = hits[0].names
    ref = RegistryRef(n.get("registry"))
    lines = " ".join(h.line for h in hits)
    listing = Step("List the cloud registry's connected registries: MODE (ReadOnly accepts no push) and CONNECTION "
                   "STATE (Unhealthy when its status details hold an error); az acr connected-registry show --name "
                   "prints the statusDetails.", (ListConnectedRegistries(ref),))
    if _CR_DISK.search(lines):
        return Built(
            "The connected registry cannot write to its host's disk",
            "The connected registry on premises reports a disk error in its status details",
            "A connected registry keeps its content on a host storage path; when the container's user may not write "
            "there (DISK_PERMISSION_DENIED) or the disk is full (DISK_STORAGE_FULL, often the container's own logs), "
            "it turns Unhealthy and stops syncing. The cloud registry is not at fault.",
            listing,
            Step("Fix it on the host: give the container's user read, write and execute on the storage path, or free "
                 "the disk (docker keeps container logs without limit unless log-opts max-size/max-file are set).",
                 (), ("Lowering the connected registry's log level (az acr connected-registry update --log-level "
                      "Error) keeps its logs smaller from the next sync.",)),
            ConnectedRegistries.docs, confidence=0.9)
    if _CR_ACTIVATED.search(lines):
        return Built(
            "Another instance already holds this connected registry's activation",
            "The cloud registry refused to activate the connected registry: it is already activated",
            "Only one instance of a connected registry may run at a time: the cloud records the first activation, "
            "and a second deployment with the same connection string (a re-deployed device, a second replica) is "
            "refused until the first is deactivated.",
            listing,
            Step("Stop the other instance, then reset the activation so this one can activate (az acr "
                 "connected-registry deactivate --registry REGISTRY --name NAME), and restart this instance.", ()),
            ConnectedRegistries.docs, confidence=0.9)
    if _CR_SCOPES.search(lines):
        repo: Arg = n.get("repository")
        fix = Step("Add the repository to the client token's scope map (content/read, plus content/write to push to a "
                   "ReadWrite connected registry); it reaches the connected registry at its next sync.",
                   (AddScopeMapRepositories(ref, variable("SCOPE_MAP"), (repo,), ("content/read",)),))
        return Built(
            "The connected registry's client token may not reach this repository",
            "A connected registry refused the client token: Insufficient scopes to perform the operation",
            "Clients of a connected registry sign in with a client token; its scope map decides which synced "
            "repositories they may pull (and push). The repository is synced, but not in the token's scope map.",
            Step("Find the client token's scope map.", (ListTokens(ref),),
                 ("az acr token show --registry REGISTRY --name TOKEN --query scopeMapId names it.",)),
            confirm_first(fix, fix.summary), ConnectedRegistries.docs, confidence=0.75)
    return Built(
        "A ReadOnly (mirror) connected registry refuses pushes",
        "A connected registry refused a write: This operation is not allowed on this registry",
        "A connected registry created in ReadOnly mode (once called Mirror) serves pulls only; its mode cannot be "
        "changed after creation. This is not ACR's image lock, whose 405 reads \"The operation is disallowed on this "
        "registry, repository or image\".",
        listing,
        Step("Push to the cloud registry instead (the connected registry syncs it down), or create a connected "
             "registry in ReadWrite mode with a client token allowed to write.", ()),
        ConnectedRegistries.docs, confidence=0.85)


RECOGNISERS: tuple[Recogniser, ...] = (
    Recogniser("scope-locked", (ResourceLocks.slug,), _detect_scope_locked, _build_scope_locked, _SCOPE_LOCKED,
               ("scopelocked", "following scope")),
    Recogniser("connected-registry-cleanup", (ConnectedRegistries.slug,), _detect_cr_cleanup, _build_cr_cleanup,
               any_of(_CR_NO_CLEANUP, _CLEANUP_COMMAND),
               ("please cleanup your sync tokens", "token delete -n", "scope-map delete -n"),
               remembers=((_CR_NO_CLEANUP, "connected registry"),)),
    Recogniser("connected-registry-answer", (ConnectedRegistries.slug,),
               on_match(_CR_ANSWERS, ConnectedRegistries.slug), _build_cr_answer,
               _CR_ANSWERS, ("not allowed on this registry", "insufficient scopes", "disk_", "diskerror",
                             "already_activated", "already activated")),
)

#: Both are about the registry (or a scope above it): repository names on nearby lines are not theirs.
REGISTRY_LEVEL: frozenset[str] = frozenset({ResourceLocks.slug, ConnectedRegistries.slug})
