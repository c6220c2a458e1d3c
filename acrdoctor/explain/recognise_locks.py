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
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from acrdoctor.actions import (
    REGISTRY_RESOURCE_TYPE,
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

from .model import Step
from .recognisers import Built, Hit, Recogniser, Seen, any_of

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
    return Built(
        "Blocked by an Azure resource lock (409 ScopeLocked)",
        f"Resource Manager refused a {what} with 409 ScopeLocked: locked at {where}"
        + (f" (registry {n.registry})" if n.registry else ""),
        ResourceLocks.cause,
        Step("List the locks at the locked scope (the NAME and LEVEL columns).", confirm),
        Step("Remove the lock, retry, then put it back; or keep it and leave the registry in place.", fix,
             tuple(notes)),
        ResourceLocks.docs,
    )


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


RECOGNISERS: tuple[Recogniser, ...] = (
    Recogniser("scope-locked", (ResourceLocks.slug,), _detect_scope_locked, _build_scope_locked, _SCOPE_LOCKED,
               ("scopelocked", "following scope")),
    Recogniser("connected-registry-cleanup", (ConnectedRegistries.slug,), _detect_cr_cleanup, _build_cr_cleanup,
               any_of(_CR_NO_CLEANUP, _CLEANUP_COMMAND),
               ("please cleanup your sync tokens", "token delete -n", "scope-map delete -n"),
               remembers=((_CR_NO_CLEANUP, "connected registry"),)),
)

#: Both are about the registry (or a scope above it): repository names on nearby lines are not theirs.
REGISTRY_LEVEL: frozenset[str] = frozenset({ResourceLocks.slug, ConnectedRegistries.slug})
