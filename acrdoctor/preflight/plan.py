"""Evaluate a :class:`~acrdoctor.preflight.model.Selection` against a snapshot into a :class:`Plan`.

What the registry would really do with the selection (notes acr-semantics-and-peers.md §4, §2.3; the fake
ACR in :mod:`acrdoctor.testing` follows the same rules):

* **Repository delete** removes all its manifests and tags. Refused (405) when the repository has
  ``deleteEnabled=false`` or ``writeEnabled=false`` (§4 facts 9, 11), and, as modelled by the fake ACR
  after the image-lock docs (unverified on the wire), while a manifest or tag inside is locked.
* **Manifest delete** (by digest, or by tag: fact 1) removes the manifest and every tag on it. Refused by
  the manifest's own lock or the repository's ``writeEnabled=false`` (facts 9–11).
* **Untag** removes only the tag and frees nothing (fact 1). Refused by the tag's lock or the
  repository's ``writeEnabled=false``.
* ``acr purge`` already left out locked tags and manifests (``Selection.skipped``); with
  ``--include-locked`` it unlocks them itself. It never reads repository locks, so in a write-locked
  repository every purge delete fails with 405 (§2.3).
* **Registry delete** is refused while private endpoint connections exist (fact 23), one ``Blocked`` per
  connection, and while any management lock applies to the registry (409 ScopeLocked, one ``Blocked`` per lock;
  ``checks/resource_locks.py``); otherwise everything goes. Connected registries only warn.
* Referrers go with their subject, recursively, server-side (fact 17): ``cascaded_referrers``, not
  counted as DELETE requests. Index children do not (facts 15, 16): surviving indexes that lose a child
  are ``broken_indexes``; children of a deleted index stay as ``left_dangling``.
* Images of ``--in-use`` that would be deleted (by digest, by a tag, or as a child of an in-use index)
  are blocked (level ``in-use``) and not deleted.

Bytes come from :class:`~acrdoctor.storage.StorageIndex` (registry-wide deduplication, fact 4).
Evaluation is linear in the size of the registry: per-repository maps are built once, for touched
repositories only.

Warning codes added here (selection warnings come first, unchanged; severities in
:mod:`acrdoctor.preflight.warnings`): ``not-found``, ``co-deleted-tags``, ``emptied-repository``,
``breaks-index``, ``left-dangling``, ``untag-frees-nothing``, ``locked-referrer``, ``blocked-but-cascaded``,
``private-endpoints-unknown``, ``resource-locks-unknown``, ``connected-registries``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from acrdoctor.checks.connected_registries import connected_registry_summary
from acrdoctor.checks.delete_permission import DeletePermission, access_blocks, missing_delete
from acrdoctor.checks.empty_repository import EmptyRepository, is_empty
from acrdoctor.checks.geo_replication import geo_note
from acrdoctor.checks.locked_artifacts import LockedArtifacts, lock_flags, locks_its_images
from acrdoctor.checks.network_access import NetworkAccessDenied, denied_ips, firewall_denials
from acrdoctor.checks.private_endpoints import PrivateEndpointsBlockRegistryDelete
from acrdoctor.checks.resource_locks import ResourceLocks, blocking_locks
from acrdoctor.checks.storage_accounting import after_delete, region_count
from acrdoctor.limits import delete_rate
from acrdoctor.model import Attributes, Manifest, Part, Repository, Snapshot
from acrdoctor.preflight.inuse import ImageRef, InUse
from acrdoctor.preflight.model import (
    CALLER_LEVELS,
    Blocked,
    BlockLevel,
    BrokenIndex,
    ManifestRef,
    Plan,
    PlanWarning,
    PurgeRequest,
    Selection,
    TagRef,
)
from acrdoctor.snapshot_io import gc_paused
from acrdoctor.storage import Entry, StorageIndex
from acrdoctor.units import plural

__all__ = ["evaluate"]

_DISALLOWED = "405 REGISTRY_DISALLOWED_OPERATION"
_SHOWN = 5


def evaluate(selection: Selection, snapshot: Snapshot, *, in_use: InUse | None = None,
             storage: StorageIndex | None = None) -> Plan:
    """The plan: what ``selection`` would really delete on ``snapshot``, what is refused, what it frees.

    ``storage`` may be passed when the caller already built a :class:`StorageIndex` for this snapshot.
    """
    with gc_paused():
        return _Evaluator(selection, snapshot, in_use, storage or StorageIndex(snapshot)).run()


# -- helpers ------------------------------------------------------------------------------------------------


#: The check whose knowledge each level of refusal is (``Blocked.check``), unless a refusal names its own.
_CHECK_OF_LEVEL = {
    BlockLevel.REPOSITORY: LockedArtifacts.slug, BlockLevel.MANIFEST: LockedArtifacts.slug,
    BlockLevel.TAG: LockedArtifacts.slug, BlockLevel.REGISTRY: PrivateEndpointsBlockRegistryDelete.slug,
    BlockLevel.NETWORK: NetworkAccessDenied.slug, BlockLevel.PERMISSION: DeletePermission.slug,
}


def _names(items: Iterable[object]) -> str:
    shown = [str(x) for x in items]
    head = ", ".join(shown[:_SHOWN])
    return head + (f" and {len(shown) - _SHOWN} more" if len(shown) > _SHOWN else "")


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s" if seconds >= 1 else "under a second"
    minutes = seconds / 60
    if minutes < 120:
        return f"{minutes:.0f} min"
    return f"{minutes / 60:.1f} h"


def _named_in(resource: str, manifests: set[tuple[str, str]], tags: set[tuple[str, str]]) -> bool:
    """Whether ``resource`` is ``repository@digest`` of a pair in ``manifests`` or ``repository:tag`` of one in
    ``tags``: the same test as formatting every ref with ``str``, trying each split point instead."""
    for i, ch in enumerate(resource):
        if ch == "@" and (resource[:i], resource[i + 1:]) in manifests:
            return True
        if ch == ":" and (resource[:i], resource[i + 1:]) in tags:
            return True
    return False


class _RepoView:
    """Per-repository lookups, built once and only for repositories the plan touches."""

    __slots__ = ("by_digest", "manifests", "referrers", "repo", "tag_attrs", "tag_digest", "tags_of")

    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        self.manifests: tuple[Manifest, ...] = repo.manifests or ()
        self.by_digest: dict[str, Manifest] = {m.digest: m for m in self.manifests}
        tag_digest: dict[str, str] = {}
        for m in self.manifests:
            for t in m.tags:
                tag_digest[t] = m.digest
        tag_attrs: dict[str, Attributes] = {}
        for tag in repo.tags or ():
            tag_digest[tag.name] = tag.digest
            tag_attrs[tag.name] = tag.attributes
        self.tag_digest = tag_digest
        self.tag_attrs = tag_attrs
        tags_of: dict[str, list[str]] = defaultdict(list)
        for t, d in tag_digest.items():
            tags_of[d].append(t)
        self.tags_of = tags_of
        referrers: dict[str, list[str]] = defaultdict(list)
        for m in self.manifests:
            if m.subject:
                referrers[m.subject].append(m.digest)
        self.referrers = referrers

    def reachable(self, tagged: Iterable[str], gone: dict[str, Manifest] | set[str]) -> set[str]:
        """Digests reachable from ``tagged`` through index children and referrers, skipping ``gone``.

        Same rule as :meth:`StorageIndex.kept`: children of a kept index and referrers of a kept
        subject are kept.
        """
        stack = [d for d in tagged if d not in gone]
        kept: set[str] = set()
        while stack:
            d = stack.pop()
            if d in kept or d in gone:
                continue
            kept.add(d)
            m = self.by_digest.get(d)
            if m is not None:
                stack.extend(m.references)
            stack.extend(self.referrers.get(d, ()))
        return kept


class _Evaluator:
    def __init__(self, selection: Selection, snapshot: Snapshot, in_use: InUse | None,
                 storage: StorageIndex) -> None:
        self.selection = selection
        self.snapshot = snapshot
        self.in_use = in_use
        self.storage = storage
        self.repos: tuple[Repository, ...] = snapshot.repositories or ()
        self.index_of = {r.name: i for i, r in enumerate(self.repos)}
        request = selection.request
        self.purge = isinstance(request, PurgeRequest)
        self.unlocks = isinstance(request, PurgeRequest) and request.include_locked
        self.blocked: list[Blocked] = list(selection.skipped)
        self.warnings: list[PlanWarning] = list(selection.warnings)
        self.notes: list[str] = []
        self.views: dict[int, _RepoView] = {}
        self.in_use_cache: dict[int, dict[str, ImageRef]] = {}
        #: ri -> digest -> manifest, in the order the plan deletes them.
        self.deleted: dict[int, dict[str, Manifest]] = {}
        #: The selection's own ManifestRef objects for direct targets (reused rather than rebuilt).
        self.ref_of: dict[tuple[int, str], ManifestRef] = {}
        self.cascaded: list[ManifestRef] = []
        #: ri -> tags removed by untag requests.
        self.untagged: dict[int, dict[str, None]] = {}
        #: Repositories deleted as a whole.
        self.whole: dict[int, None] = {}
        self.requests = 0
        self.not_found: list[str] = []

    # -- lookups ----------------------------------------------------------------------------------------

    def view(self, ri: int) -> _RepoView:
        v = self.views.get(ri)
        if v is None:
            v = self.views[ri] = _RepoView(self.repos[ri])
        return v

    def in_use_manifests(self, ri: int) -> dict[str, ImageRef]:
        """Digests of repository ``ri`` that running images pull: named ones and children of named indexes."""
        cached = self.in_use_cache.get(ri)
        if cached is not None:
            return cached
        out: dict[str, ImageRef] = {}
        name = self.repos[ri].name
        if self.in_use is not None and name in self.in_use.repositories:
            v = self.view(ri)
            stack: list[tuple[str, ImageRef]] = list(self.in_use.digests(name).items())
            for tag, ref in self.in_use.tags(name).items():
                d = v.tag_digest.get(tag)
                if d is not None:
                    stack.append((d, ref))
            while stack:
                d, ref = stack.pop()
                if d in out:
                    continue
                out[d] = ref
                m = v.by_digest.get(d)
                if m is not None:
                    stack.extend((c, ref) for c in m.references)
        self.in_use_cache[ri] = out
        return out

    def block(self, resource: str, reason: str, level: BlockLevel, check: str | None = None) -> None:
        self.blocked.append(Blocked(resource, reason, level, check or _CHECK_OF_LEVEL.get(level)))

    def repo_write_lock_reason(self, repo: Repository, what: str) -> str:
        if self.purge:
            return (f"repository {repo.name} is write-locked (writeEnabled=false): acr purge never reads "
                    f"repository locks, so deleting this {what} fails with {_DISALLOWED}")
        return (f"repository {repo.name} is write-locked (writeEnabled=false), which locks every image in it: "
                f"deleting this {what} fails with {_DISALLOWED}")

    # -- run --------------------------------------------------------------------------------------------

    def run(self) -> Plan:
        sel = self.selection
        registry_deleted = False
        if sel.delete_registry:
            registry_deleted = self.delete_registry()
        if not registry_deleted:
            for name in sel.delete_repositories:
                self.delete_repository(name)
            for ref in sel.delete_manifests:
                self.delete_manifest(ref)
            for tag in sel.untag:
                self.untag(tag)
            self.cascade()
        self.caller_refusals()
        # azmap already says "not-found" for the target it could not find; say it once.
        if self.not_found and not any(w.code == "not-found" for w in self.warnings):
            self.warnings.append(PlanWarning(
                "not-found",
                f"{plural(len(self.not_found), 'target')} not in the snapshot, left out of the plan "
                f"(the registry answers 404 for them): {_names(self.not_found)}"))
        return self.build(registry_deleted)

    def caller_refusals(self) -> None:
        """What the service already refused the caller while the snapshot was collected, applied to this plan.

        The same knowledge ``network-access-denied`` and ``delete-permission`` report: a firewall denial refuses
        every data-plane call from that network, a missing 'delete' every delete (and untag) in its repository,
        or anywhere when ACR named none. ARM's registry delete is refused by a missing registries/delete action
        only. These entries name the caller's problem; the targets stay in the plan.
        """
        sel = self.selection
        repos = {*sel.delete_repositories, *(m.repository for m in sel.delete_manifests),
                 *(t.repository for t in sel.untag)}
        registry = self.snapshot.registry.name
        errors = self.snapshot.errors
        denials = firewall_denials(errors) if repos else []
        if denials:
            ips = denied_ips(denials)
            who = f"client IP {', '.join(ips)}" if ips else "the collecting client"
            self.block(registry, f"the registry firewall refused {plural(len(denials), 'call')} from {who} with 403 "
                       "DENIED while the snapshot was collected: every delete from there is refused the same way; "
                       "run it from an allowed network", BlockLevel.NETWORK)
        for missing, error in missing_delete(errors):
            status = " ".join(str(x) for x in (error.status, error.code) if x) or "a permission error"
            if missing.type == "arm":
                if sel.delete_registry:
                    self.block(registry, f"ACR refused the identity {missing.action} with {status}: the registry "
                               "delete fails the same way", BlockLevel.PERMISSION)
                continue
            scope = missing.name if missing.type == "repository" else None
            if scope is None and repos:
                self.block(registry, f"ACR refused the identity 'delete' with {status}: every delete and untag "
                           "fails the same way", BlockLevel.PERMISSION)
            elif scope in repos:
                self.block(scope, f"ACR refused the identity 'delete' on repository {scope} with {status}: "
                           "deleting or untagging anything in it fails the same way", BlockLevel.PERMISSION)
        # What the caller's collected access (role assignments or token scope map) refuses, as delete-permission
        # judges it; a repository already blocked by a refusal above is not blocked twice.
        refused = {b.resource for b in self.blocked if b.level is BlockLevel.PERMISSION}
        access_blocked, access_warnings = access_blocks(self.snapshot, sorted(repos), self.purge)
        for name, reason in access_blocked:
            if name not in refused and registry not in refused:
                self.block(name, reason, BlockLevel.PERMISSION)
        self.warnings += [PlanWarning(code, message) for code, message in access_warnings]

    def delete_registry(self) -> bool:
        pecs = self.snapshot.private_endpoint_connections
        refused = False
        for pec in pecs or ():
            refused = True
            self.block(pec.name, "deleting a registry with private endpoint connections is refused: remove the "
                       f"private endpoint connection {pec.name} first", BlockLevel.REGISTRY)
        if pecs is None:
            self.warnings.append(PlanWarning(
                "private-endpoints-unknown",
                "Private endpoint connections were not collected: a registry with any cannot be deleted until "
                "they are removed."))
        refused = self.registry_locks() or refused
        self.connected_registries()
        for ri in range(len(self.repos)):
            for digest, ref in self.in_use_manifests(ri).items():
                refused = True
                self.block(f"{self.repos[ri].name}@{digest}",
                           f"in use: {ref} (--in-use line {ref.line}); deleting the registry deletes it",
                           BlockLevel.IN_USE)
        if refused:
            return False
        for ri, repo in enumerate(self.repos):
            self.whole[ri] = None
            self.deleted[ri] = {m.digest: m for m in repo.manifests or ()}
        self.requests += 1
        return True

    def registry_locks(self) -> bool:
        """Management locks at the registry, its group or subscription: ARM refuses the delete with 409 ScopeLocked
        whatever their level (ARM lock-resources docs; checks/resource_locks.py has the sources)."""
        if self.snapshot.resource_locks is None:
            self.warnings.append(PlanWarning(
                "resource-locks-unknown",
                "Management locks were not collected: a CanNotDelete or ReadOnly lock on the registry, its resource "
                "group or its subscription makes the delete fail with 409 ScopeLocked (az lock list shows them)."))
            return False
        locks = blocking_locks(self.snapshot)
        for p in locks:
            self.block(p.lock.name, f"{p.lock.level} management lock {p.lock.name} on {p.where()}: deleting the "
                       "registry is refused with 409 ScopeLocked until the lock is removed", BlockLevel.REGISTRY,
                       ResourceLocks.slug)
        if locks and Part.RESOURCE_LOCKS in self.snapshot.partial:
            self.notes.append("Management locks were read at only some scopes: there may be more locks.")
        return bool(locks)

    def connected_registries(self) -> None:
        """Connected registries are not documented as blocking ``az acr delete`` (only a move off Premium needs them
        deleted first, per the ACR SKU docs), so they warn: their on-premises containers and sync tokens are left
        to clean up (ACR connected-registry docs, Limitations)."""
        connected = self.snapshot.connected_registries
        if connected:
            self.warnings.append(PlanWarning(
                "connected-registries",
                f"The registry has {plural(len(connected), 'connected registry', 'connected registries')} "
                f"({connected_registry_summary(connected)}): delete them first with az acr connected-registry "
                "delete --cleanup (it removes their sync tokens and scope maps) and remove their on-premises "
                "containers by hand; deleting the registry does neither."))

    def delete_repository(self, name: str) -> None:
        ri = self.index_of.get(name)
        if ri is None:
            self.not_found.append(name)
            return
        if ri in self.whole:
            return
        repo = self.repos[ri]
        refused = False
        if is_empty(repo):
            refused = True
            self.block(name, "the repository shows 0 manifests and 0 tags: ACR kept orphaned metadata for it, so "
                       "deleting it answers 404 NAME_UNKNOWN; put a placeholder image in first, then delete it "
                       "(acrdoctor fix does both)", BlockLevel.REPOSITORY, EmptyRepository.slug)
        if repo.attributes.blocks_delete:
            self.block(name, f"repository is locked ({lock_flags(repo.attributes)}): deleting it fails with "
                       f"{_DISALLOWED}", BlockLevel.REPOSITORY)
            return
        if refused:
            return
        why = "a repository delete is refused (405) while an image inside is locked (ACR image-lock docs)"
        for m in repo.manifests or ():
            if m.attributes.blocks_delete:
                refused = True
                self.block(f"{name}@{m.digest}", f"manifest is locked ({lock_flags(m.attributes)}): {why}",
                           BlockLevel.MANIFEST)
        for t in repo.tags or ():
            if t.attributes.blocks_delete:
                refused = True
                self.block(f"{name}:{t.name}", f"tag is locked ({lock_flags(t.attributes)}): {why}", BlockLevel.TAG)
        uses = self.in_use_manifests(ri)
        if uses:
            refs = sorted({str(r) for r in uses.values()})
            self.block(name, f"in use: {_names(refs)} (--in-use); deleting the repository deletes them",
                       BlockLevel.IN_USE)
            refused = True
        if refused:
            return
        self.whole[ri] = None
        self.deleted[ri] = {m.digest: m for m in repo.manifests or ()}
        self.untagged.pop(ri, None)
        self.requests += 1

    def delete_manifest(self, ref: ManifestRef) -> None:
        ri = self.index_of.get(ref.repository)
        m = None if ri is None else self.view(ri).by_digest.get(ref.digest)
        if ri is None or m is None:
            self.not_found.append(str(ref))
            return
        gone = self.deleted.get(ri)
        if ri in self.whole or (gone is not None and ref.digest in gone):
            return
        repo = self.repos[ri]
        if locks_its_images(repo):
            self.block(str(ref), self.repo_write_lock_reason(repo, "manifest"), BlockLevel.REPOSITORY)
            return
        if not self.unlocks and m.attributes.blocks_delete:
            self.block(str(ref), f"manifest is locked ({lock_flags(m.attributes)}): deleting it fails with "
                       f"{_DISALLOWED}", BlockLevel.MANIFEST)
            return
        if self.in_use is not None:
            use = self.in_use_manifests(ri).get(ref.digest)
            if use is not None:
                self.block(str(ref), f"in use: {use} (--in-use line {use.line})", BlockLevel.IN_USE)
                return
        if gone is None:
            gone = self.deleted[ri] = {}
        gone[ref.digest] = m
        self.ref_of[ri, ref.digest] = ref
        self.requests += 1

    def untag(self, ref: TagRef) -> None:
        ri = self.index_of.get(ref.repository)
        if ri is None or ref.tag not in self.view(ri).tag_digest:
            self.not_found.append(str(ref))
            return
        if ri in self.whole or ref.tag in self.untagged.get(ri, {}):
            return
        repo = self.repos[ri]
        if locks_its_images(repo):
            self.block(str(ref), self.repo_write_lock_reason(repo, "tag"), BlockLevel.REPOSITORY)
            return
        attrs = self.view(ri).tag_attrs.get(ref.tag)
        if not self.unlocks and attrs is not None and attrs.blocks_delete:
            self.block(str(ref), f"tag is locked ({lock_flags(attrs)}): deleting it fails with {_DISALLOWED}",
                       BlockLevel.TAG)
            return
        if self.in_use is not None:
            use = self.in_use.blocks_tag(ref.repository, ref.tag)
            if use is not None:
                self.block(str(ref), f"in use: {use} (--in-use line {use.line}); pulls of this tag would fail",
                           BlockLevel.IN_USE)
                return
        self.untagged.setdefault(ri, {})[ref.tag] = None
        self.requests += 1

    def cascade(self) -> None:
        """Referrers of deleted subjects go too, recursively (ACR deletes them server-side)."""
        locked: list[ManifestRef] = []
        for ri, gone in self.deleted.items():
            if ri in self.whole:
                continue
            v = self.view(ri)
            if not v.referrers:
                continue
            stack = list(gone)
            while stack:
                d = stack.pop()
                for r in v.referrers.get(d, ()):
                    if r in gone:
                        continue
                    m = v.by_digest[r]
                    gone[r] = m
                    ref = self.ref_of[ri, r] = ManifestRef(self.repos[ri].name, r)
                    self.cascaded.append(ref)
                    if m.attributes.blocks_delete:
                        locked.append(ref)
                    stack.append(r)
        if locked:
            self.warnings.append(PlanWarning(
                "locked-referrer",
                f"{plural(len(locked), 'locked referrer')} would go with {'its' if len(locked) == 1 else 'their'} "
                f"subject: {_names(locked)}. ACR deletes referrers server-side; whether it honours their lock "
                "is unverified."))

    # -- consequences -----------------------------------------------------------------------------------

    def build(self, registry_deleted: bool) -> Plan:
        sel = self.selection
        named = set(sel.named_tags) | set(sel.untag)
        delete_manifests: list[ManifestRef] = []
        delete_tags: list[TagRef] = []
        co_deleted: list[TagRef] = []
        emptied: list[str] = []
        broken: list[BrokenIndex] = []
        dangling: list[ManifestRef] = []
        touched = list(dict.fromkeys([*self.deleted, *self.untagged]))
        for ri in touched:
            repo = self.repos[ri]
            name = repo.name
            gone = self.deleted.get(ri, {})
            ref_of = self.ref_of
            delete_manifests.extend(ref_of.get((ri, d)) or ManifestRef(name, d) for d in gone)
            v = self.view(ri)
            if ri in self.whole:
                delete_tags.extend(TagRef(name, t) for t in v.tag_digest)
                continue
            untagged = self.untagged.get(ri, {})
            removed: dict[str, None] = dict(untagged)
            for t in untagged:
                delete_tags.append(TagRef(name, t))
            for d in gone:
                for t in v.tags_of.get(d, ()):
                    if t in removed:
                        continue
                    removed[t] = None
                    tr = TagRef(name, t)
                    delete_tags.append(tr)
                    if tr not in named:
                        co_deleted.append(tr)
            remaining_tags = [t for t in v.tag_digest if t not in removed]
            if repo.manifests is not None and len(gone) == len(v.by_digest) and not remaining_tags:
                emptied.append(name)
                continue
            for m in v.manifests:
                if m.references and m.digest not in gone:
                    lost = tuple(c for c in m.references if c in gone)
                    if lost:
                        tags = tuple(t for t in v.tags_of.get(m.digest, ()) if t not in removed)
                        broken.append(BrokenIndex(ManifestRef(name, m.digest), tags, lost))
            before = v.reachable(set(v.tag_digest.values()), set())
            after = v.reachable({v.tag_digest[t] for t in remaining_tags}, gone)
            dangling.extend(ManifestRef(name, m.digest) for m in v.manifests
                            if m.digest in before and m.digest not in after and m.digest not in gone)

        # A target refused on its own but deleted anyway (a locked referrer whose subject goes) is not blocked.
        overtaken: list[Blocked] = []
        if self.blocked:
            gone_manifests = {(r.repository, r.digest) for r in delete_manifests}
            gone_tags = {(t.repository, t.tag) for t in delete_tags}
            overtaken = [b for b in self.blocked if b.level is not BlockLevel.REGISTRY
                         and b.level not in CALLER_LEVELS and _named_in(b.resource, gone_manifests, gone_tags)]
        if overtaken:
            self.blocked = [b for b in self.blocked if b not in overtaken]
            self.warnings.append(PlanWarning(
                "blocked-but-cascaded",
                f"{_names(b.resource for b in overtaken)}: refused as a target, but deleted anyway with the "
                "manifest or subject it belongs to."))

        self.add_warnings(co_deleted, emptied, broken, dangling)
        # geo-replication [D-GEO]: what this plan deletes stays pullable from replicas until propagation completes.
        geo = geo_note(self.snapshot) if (self.deleted or self.untagged) and not registry_deleted else None
        if geo:
            self.warnings.append(PlanWarning("geo-replication-propagation", geo))
        if not self.deleted and self.untagged:
            self.warnings.append(PlanWarning(
                "untag-frees-nothing",
                "This plan only removes tags: it frees 0 bytes, because untag is not delete."))

        entries: list[Entry] = [(ri, m) for ri, gone in self.deleted.items() for m in gone.values()]
        storage = self.storage
        # freed bytes, retained bytes and their holders from one count of the deleted references.
        reclaimable, retained, holders = storage.deletion(entries)

        sku = self.snapshot.registry.sku
        rate = delete_rate(sku)
        # Deleting the registry is one ARM operation, not paced by the data-plane delete limit.
        seconds = 0.0 if registry_deleted else self.requests * 60.0 / rate
        self.add_notes(bool(entries), registry_deleted, rate, seconds, storage.complete)

        return Plan(
            selection=sel,
            delete_manifests=tuple(delete_manifests),
            delete_tags=tuple(delete_tags),
            co_deleted_tags=tuple(co_deleted),
            cascaded_referrers=tuple(self.cascaded),
            blocked=tuple(self.blocked),
            warnings=tuple(self.warnings),
            reclaimable_bytes=reclaimable,
            retained_shared_bytes=retained,
            shared_holders=holders,
            emptied_repositories=tuple(emptied),
            broken_indexes=tuple(broken),
            left_dangling=tuple(dangling),
            notes=tuple(self.notes),
            delete_requests=self.requests,
            estimated_seconds=seconds,
            bytes_exact=storage.complete,
            registry_deleted=registry_deleted,
            deleted_repositories=() if registry_deleted else tuple(self.repos[ri].name for ri in self.whole),
        )

    def add_warnings(self, co_deleted: list[TagRef], emptied: list[str], broken: list[BrokenIndex],
                     dangling: list[ManifestRef]) -> None:
        w = self.warnings
        if co_deleted:
            w.append(PlanWarning(
                "co-deleted-tags",
                f"{plural(len(co_deleted), 'tag')} the command did not name would go too, because deleting an "
                f"image deletes its manifest and every tag on it: {_names(co_deleted)}"))
        for name in emptied:
            w.append(PlanWarning(
                "emptied-repository",
                f"The plan leaves repository {name} with no manifest and no tag. An emptied repository can keep "
                "orphaned metadata and then answer 404 NAME_UNKNOWN when you delete it: delete the repository "
                f"instead (az acr repository delete --name {self.snapshot.registry.name} --repository {name})."))
        if broken:
            w.append(PlanWarning(
                "breaks-index",
                f"{plural(len(broken), 'index', 'indexes')} that stay would lose platform manifests, and pulls of "
                "those platforms fail with MANIFEST_UNKNOWN (ACR does not protect index children): "
                f"{_names(b.index for b in broken)}"))
        if dangling:
            w.append(PlanWarning(
                "left-dangling",
                f"{plural(len(dangling), 'manifest')} would be left untagged and unreachable but still stored "
                "(children of deleted indexes, manifests whose last tag goes): their bytes are not freed until "
                f"they are deleted by digest: {_names(dangling)}"))

    def add_notes(self, deletes: bool, registry_deleted: bool, rate: int, seconds: float,
                  exact: bool) -> None:
        reg = self.snapshot.registry
        notes = self.notes
        if not deletes and self.untagged:
            notes.append("This plan frees 0 bytes: untag is not delete. Untagged manifests keep their layers "
                         "until they are deleted by digest (or by acr purge --untagged, or a retention policy).")
        if deletes and not registry_deleted:
            notes.append(after_delete(reg))
            regions, names = region_count(self.snapshot)
            if regions > 1:
                where = f": {', '.join(names)}" if len(names) == regions else ""
                notes.append(f"The registry is geo-replicated ({plural(regions, 'region')}{where}): the deletes "
                             "replicate and free the storage in every region; usage figures show the home region "
                             "only.")
        if self.requests and not registry_deleted:
            verb = "takes" if self.requests == 1 else "take"
            notes.append(f"{plural(self.requests, 'DELETE request')} {verb} about {_duration(seconds)} at the "
                         f"documented {rate:,} deletes per minute per identity ({reg.sku or 'unknown'} SKU); "
                         "referrers are deleted server-side and not counted.")
        if not exact:
            notes.append("Some manifest bodies were not collected: byte figures are lower bounds.")
        if self.in_use is not None and self.in_use.other_registries:
            notes.append(f"{plural(self.in_use.other_registries, 'in-use reference')} to other registries "
                         "ignored.")
