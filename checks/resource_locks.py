"""Catalogue 2, failure mode 1: Azure management locks that make ``az acr delete`` fail with ScopeLocked.

What the sources say, and what this module encodes:

* A management lock (``Microsoft.Authorization/locks``) at a subscription, resource group or resource applies to
  every resource below it; ``CanNotDelete`` blocks deletes, ``ReadOnly`` blocks deletes and updates (ARM docs
  "Lock your resources to protect your infrastructure", https://learn.microsoft.com/azure/azure-resource-manager/
  management/lock-resources). ARM answers the blocked request with HTTP 409 ``ScopeLocked`` "The scope '…' cannot
  perform delete operation because following scope(s) are locked: '…'. Please remove the lock and try again."
  (real texts: Azure/azure-cli#20232, hashicorp/terraform-provider-azurerm#17478, Azure/apiops#606).
* For ACR, a lock on the registry "doesn't prevent you from creating, updating, or deleting data in a repository";
  it affects management operations only, such as adding or deleting replications or deleting the registry itself
  (ACR image-lock docs, [D-LOCK] in docs/sources.md, https://learn.microsoft.com/azure/container-registry/
  container-registry-image-lock). So a lock never explains a failed image delete: that is ACR's own 405 lock
  (``locked-artifacts``).
* A ``ReadOnly`` lock also refuses the ARM writes some of acrdoctor's fixes make: network rules and public access
  (``az acr update``/``network-rule``), the retention and soft-delete policies, the SKU, deleting private endpoint
  connections. :func:`readonly_lock_note` says so on those fixes.

Locks are read at the registry, its resource group and its subscription (``Snapshot.resource_locks``); a lock read
at only some of the scopes is marked ``partial`` by the collector, and the engine then reports an empty result as
incomplete and findings as a lower bound.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from acrdoctor.actions import CreateResourceLock, DeleteResourceLock, LockScope
from acrdoctor.check_api import Check, Context, Finding, Fix, Related, Resource, Severity
from acrdoctor.controls import ResourceLock
from acrdoctor.model import Part, Registry, Snapshot

DOCS = (
    "https://learn.microsoft.com/azure/azure-resource-manager/management/lock-resources",
    "https://learn.microsoft.com/azure/container-registry/container-registry-image-lock",
)

#: ``…/providers/Microsoft.Authorization/locks/<name>`` at the end of a lock's id; what comes before is its scope.
_LOCK_SUFFIX = re.compile(r"/providers/Microsoft\.Authorization/locks/[^/]+/?$", re.IGNORECASE)
_SUBSCRIPTION = re.compile(r"^/subscriptions/([^/]+)$", re.IGNORECASE)
_GROUP = re.compile(r"^/subscriptions/([^/]+)/resourceGroups/([^/]+)$", re.IGNORECASE)
_REGISTRY = re.compile(
    r"^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.ContainerRegistry/registries/([^/]+)$",
    re.IGNORECASE)

#: What each scope is called in messages.
_SCOPE_WORDS = {"registry": "the", "resourceGroup": "its", "subscription": "its"}

#: The ARM writes of acrdoctor's fixes that a ReadOnly lock refuses (ARM lock-resources docs: ReadOnly blocks
#: updates as well as deletes).
ARM_WRITES = ("network rules and public network access", "the retention and soft-delete policies", "the SKU",
              "deleting private endpoint connections", "connected registries, replications and webhooks")


@dataclass(frozen=True, slots=True)
class PlacedLock:
    """A lock and where it sits; ``scope`` is None when its id names a scope acrdoctor cannot map onto az's
    arguments (a management group, another resource, a malformed id): such a lock is addressed by id only."""

    lock: ResourceLock
    scope: LockScope | None
    #: ``registry``, ``resourceGroup``, ``subscription`` or ``unknown``.
    level_of_scope: str
    #: The ARM scope the lock sits on, as its id spells it (or as rebuilt from the registry when it has no id).
    scope_id: str | None

    @property
    def read_only(self) -> bool:
        return self.lock.read_only

    def where(self) -> str:
        if self.scope is None:
            return f"scope {self.scope_id}" if self.scope_id else "a scope acrdoctor cannot tell"
        return _SCOPE_WORDS[self.level_of_scope] + " " + self.scope.describe()


def _scope_of_id(lock_id: str) -> tuple[str, LockScope | None, str | None]:
    """The scope an ARM lock id names: its kind, the az arguments for it, and the scope's own id."""
    scope_id = _LOCK_SUFFIX.sub("", lock_id.strip())
    if scope_id == lock_id.strip():
        return "unknown", None, None
    if m := _SUBSCRIPTION.match(scope_id):
        return "subscription", LockScope(m.group(1)), scope_id
    if m := _GROUP.match(scope_id):
        return "resourceGroup", LockScope(m.group(1), m.group(2)), scope_id
    if m := _REGISTRY.match(scope_id):
        return "registry", LockScope(m.group(1), m.group(2), m.group(3)), scope_id
    return "unknown", None, scope_id


def _scope_of_level(lock: ResourceLock, reg: Registry) -> tuple[str, LockScope | None, str | None]:
    """Without an id: the scope the collector recorded, filled in from the registry's own coordinates."""
    sub, rg = reg.subscription_id, reg.resource_group
    if lock.scope == "subscription" and sub:
        return "subscription", LockScope(sub), f"/subscriptions/{sub}"
    if lock.scope == "resourceGroup" and rg:
        return "resourceGroup", LockScope(sub, rg), (f"/subscriptions/{sub}/resourceGroups/{rg}" if sub else None)
    if lock.scope == "registry" and rg:
        return "registry", LockScope(sub, rg, reg.name), reg.id
    return "unknown", None, None


def place(lock: ResourceLock, reg: Registry) -> PlacedLock:
    """Where ``lock`` sits. Its id decides when it has one (a lock is recorded at the scope that holds it); a scope
    that does not lie on the registry's path (another group, another resource) is reported as unmapped."""
    if lock.id:
        kind, scope, scope_id = _scope_of_id(lock.id)
        if scope is not None and not _on_path(kind, scope, reg):
            kind, scope = "unknown", None
    else:
        kind, scope, scope_id = _scope_of_level(lock, reg)
    return PlacedLock(lock, scope, kind, scope_id)


def _on_path(kind: str, scope: LockScope, reg: Registry) -> bool:
    """Whether a scope is the registry or one of its parents (names compared the way ARM does: case-blind)."""
    def same(a: str | None, b: str | None) -> bool:
        return a is None or b is None or a.lower() == b.lower()
    if not same(scope.subscription, reg.subscription_id):
        return False
    if kind == "subscription":
        return True
    if not same(scope.resource_group, reg.resource_group):
        return False
    return kind == "resourceGroup" or same(scope.resource, reg.name)


def placed_locks(snapshot: Snapshot) -> tuple[PlacedLock, ...]:
    """Every collected lock with its scope, the ReadOnly ones first (they block more)."""
    placed = [place(lock, snapshot.registry) for lock in snapshot.resource_locks or ()]
    return tuple(sorted(placed, key=lambda p: not p.read_only))


def readonly_lock_note(snapshot: Snapshot, *, deletes: bool = False) -> str | None:
    """A note for fixes that change the registry through ARM, when a management lock will refuse them.

    ARM's ReadOnly lock blocks updates as well as deletes (ARM lock-resources docs), so ``az acr update``,
    ``az acr network-rule add``, ``az acr config retention update`` and friends fail with 409 ScopeLocked until
    it is lifted. With ``deletes`` the fix deletes a child resource of the registry (a private endpoint
    connection): a CanNotDelete lock refuses that too, as locks apply to child resources (same docs; the 409 on a
    ``privateEndpointConnectionProxies`` delete in hashicorp/terraform-provider-azurerm#17478). None when no such
    lock was collected, or locks were not collected at all.
    """
    locks = [p for p in placed_locks(snapshot) if deletes or p.read_only]
    if not locks:
        return None
    names = ", ".join(f"{p.lock.name} ({p.lock.level}) on {p.where()}" for p in locks)
    what = "deletes under it" if deletes and not all(p.read_only for p in locks) else "every change to it"
    return (f"A management lock applies to this registry ({names}): ARM refuses {what} with 409 ScopeLocked, so "
            "this fix fails until the lock is removed (see the resource-locks finding); put the lock back afterwards.")


def with_lock_note(snapshot: Snapshot, finding: Finding, *, deletes: bool = False) -> Finding:
    """``finding`` with :func:`readonly_lock_note` added to its fix's notes, when there is one to add."""
    note = readonly_lock_note(snapshot, deletes=deletes)
    if note is None or finding.fix is None:
        return finding
    return replace(finding, fix=replace(finding.fix, notes=(*finding.fix.notes, note)))


def blocking_locks(snapshot: Snapshot) -> tuple[PlacedLock, ...]:
    """The locks that make deleting the registry fail: any level, at any scope on its path (both levels block
    deletes; ARM lock-resources docs). A lock whose scope cannot be mapped is counted too: it was collected as
    applying to the registry, and leaving it out would report a delete as possible that may not be."""
    return placed_locks(snapshot)


class ResourceLocks(Check):
    slug = "resource-locks"
    title = "Azure resource locks that block deleting the registry"
    severity = Severity.MEDIUM
    needs = frozenset({Part.RESOURCE_LOCKS})
    failure_mode = "Deleting the registry fails with 409 ScopeLocked: a management lock is on it or above it"
    cause = (
        "An Azure management lock (CanNotDelete or ReadOnly) on the registry, its resource group or its subscription "
        "makes Resource Manager refuse to delete the registry with 409 ScopeLocked; a ReadOnly lock also refuses every "
        "change to the registry's settings. Management locks do not protect repository data: image and repository "
        "deletes still work."
    )
    docs = DOCS

    def run(self, ctx: Context) -> Iterator[Finding]:
        reg = ctx.snapshot.registry
        for p in placed_locks(ctx.snapshot):
            yield self.finding(
                Resource.registry(reg.name),
                self._message(p),
                fix=self._fix(p),
                severity=Severity.MEDIUM if p.read_only else Severity.LOW,
                details={
                    "lock": p.lock.name,
                    "level": p.lock.level,
                    "scope": p.level_of_scope,
                    "scope_id": p.scope_id,
                    "lock_id": p.lock.id,
                    "notes": p.lock.notes,
                },
            )

    def _message(self, p: PlacedLock) -> str:
        level = p.lock.level
        blocks = ["deleting the registry (az acr delete fails with 409 ScopeLocked)"]
        if p.read_only:
            blocks.append("every change to its settings: " + ", ".join(ARM_WRITES))
        elif p.lock.level.lower() != "cannotdelete":
            blocks.append(f"whatever its unrecognised level {level!r} means")
        text = f"{level} lock {p.lock.name} on {p.where()} blocks " + "; and ".join(blocks)
        if p.scope is None:
            text += ("; acrdoctor cannot map the scope in its id onto az's --resource-group/--resource arguments, "
                     "so it is named by id")
        text += ". Repository data is not protected by it: image and repository deletes still work."
        if p.lock.notes:
            text += f" The lock's note: {p.lock.notes}"
        return text

    def _fix(self, p: PlacedLock) -> Fix:
        lock = p.lock
        if p.scope is None:
            if not lock.id:
                return Fix(summary="Find the lock with `az lock list` at the registry, its resource group and its "
                                   "subscription, and remove it there, or keep it.",
                           notes=(_KEEP,), docs=DOCS)
            delete = DeleteResourceLock(lock.name, lock_id=lock.id)
            related: tuple[Related, ...] = ()
        else:
            delete = DeleteResourceLock.at(lock.name, p.scope)
            related = (Related("afterwards", "Put the lock back when the work it was removed for is done.",
                               (CreateResourceLock.at(lock.name, lock.level, p.scope, lock.notes),)),)
        notes = [_KEEP, "A manual step: the fix command never removes a management lock. Removing one needs "
                        "Microsoft.Authorization/locks/delete (Owner or User Access Administrator); a lock on the "
                        "resource group or subscription protects everything else there too, so ask whoever placed it."]
        if p.level_of_scope in ("resourceGroup", "subscription"):
            notes.append("Image and repository deletes, acr purge and retention do not need this lock removed: "
                         "management locks do not cover repository data.")
        return Fix(summary="Remove the lock (only if deleting or changing the registry is intended), or keep it.",
                   actions=(delete,), notes=tuple(notes), related=related, docs=DOCS)


_KEEP = ("If the lock is deliberate (a production registry), keep it: then the registry cannot be deleted, which is "
         "what the lock is for.")


def lock_names(locks: Iterable[PlacedLock]) -> str:
    """``name (level, where)`` for each lock, for messages elsewhere (pre-flight)."""
    return ", ".join(f"{p.lock.name} ({p.lock.level}, on {p.where()})" for p in locks)
