"""Making a fix plan from findings: which actions to take, in which order, and which to refuse.

The plan is built from the same Fix objects ``diagnose`` prints; nothing here invents a remedy. What it
adds is safety: a fixed phase order, dependencies between steps, the state each object is expected to be
in, and guards that drop any delete which would break something kept (a child of a kept index, a
referrer of a kept subject, an image listed in ``--in-use``).

Which checks are fixed by default is a choice (docs/fix.md): only the storage clean-ups whose changes
cannot break a pull of something tagged (``empty-repository``, ``dangling-manifests``). Unlocking,
detaching private endpoints, opening the firewall and deleting broken indexes each need their check
named with ``--check``; enabling the retention policy needs ``enable_retention``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from acrdoctor.actions import (
    Action,
    AddNetworkRule,
    DeleteManifest,
    DeletePrivateEndpointConnection,
    DeleteRepository,
    ImportPlaceholder,
    RegistryRef,
    SetAttributes,
    SetPublicNetworkAccess,
    SetRetentionPolicy,
    ShellExpr,
)
from acrdoctor.check_api import Context, Finding, Status
from acrdoctor.checks.storage_accounting import after_delete
from acrdoctor.engine import Catalogue, CheckResult, run_checks
from acrdoctor.fix.model import PHASES, FixPlan, LeftOut, ManualStep, PlannedFinding, Step
from acrdoctor.fix.placeholder import PLACEHOLDER_DIGEST
from acrdoctor.fix.state import Lookup, manifest_state, planned_state
from acrdoctor.model import Attributes, Manifest, Repository, Snapshot
from acrdoctor.preflight.inuse import InUse
from acrdoctor.snapshot_io import gc_paused
from acrdoctor.storage import Entry, StorageIndex
from acrdoctor.units import human_bytes

#: Fixed without being named: deleting what nothing tagged can reach, and emptied repositories.
DEFAULT_CHECKS = ("empty-repository", "dangling-manifests")
LOCKS = "locked-artifacts"

#: The phase of every kind of action acrdoctor applies (``Action.applies``).
_PHASE_OF: dict[type[Action], str] = {
    AddNetworkRule: "network", SetPublicNetworkAccess: "network", SetAttributes: "unlock",
    DeletePrivateEndpointConnection: "endpoints", ImportPlaceholder: "placeholder", DeleteManifest: "delete",
    DeleteRepository: "delete", SetRetentionPolicy: "policy",
}
_PHASE_RANK = {p: i for i, p in enumerate(PHASES)}


def finding_key(f: Finding) -> str:
    return f"{f.check} {f.resource}"


_PHASE_OF_TYPE: dict[type, str] = {}


def _phase(action: Action) -> str:
    """The phase of the action's kind (a subclass, say from a plug-in, takes its base's); others run as deletes."""
    kind = type(action)
    phase = _PHASE_OF_TYPE.get(kind)
    if phase is None:
        phase = _PHASE_OF_TYPE[kind] = next((_PHASE_OF[c] for c in kind.__mro__ if c in _PHASE_OF), "delete")
    return phase


def unlocked_view(snapshot: Snapshot, unlocks: Iterable[SetAttributes]) -> Snapshot:
    """The snapshot as it will be once these unlocks ran, so the other checks can plan on it."""
    repos: dict[str, set[str | None]] = {}
    for a in unlocks:
        repos.setdefault(a.repository, set()).add(a.digest or (f":{a.tag}" if a.tag else None))
    if not repos:
        return snapshot

    def flags(a: Attributes, hit: bool) -> Attributes:
        return dataclasses.replace(a, write_enabled=True, delete_enabled=True) if hit else a

    out: list[Repository] = []
    for r in snapshot.repositories or ():
        which = repos.get(r.name)
        if which is None:
            out.append(r)
            continue
        manifests = None if r.manifests is None else tuple(
            dataclasses.replace(m, attributes=flags(m.attributes, m.digest in which)) for m in r.manifests)
        tags = None if r.tags is None else tuple(
            dataclasses.replace(t, attributes=flags(t.attributes, f":{t.name}" in which)) for t in r.tags)
        out.append(dataclasses.replace(r, attributes=flags(r.attributes, None in which), manifests=manifests,
                                       tags=tags))
    return dataclasses.replace(snapshot, repositories=tuple(out))


def _delete_group(m: Manifest | None) -> int:
    """Referrers, then indexes, then images: nothing is deleted after ACR already cascaded it away."""
    if m is None:
        return 2
    return 0 if m.subject else 1 if m.is_index else 2


class _Builder:
    def __init__(self, snapshot: Snapshot, view: Snapshot, in_use: InUse | None, caller_ip: str | None) -> None:
        self.snapshot, self.view, self.in_use, self.caller_ip = snapshot, view, in_use, caller_ip
        self.actions: dict[Action, list[str]] = {}
        self.manual: list[ManualStep] = []
        self.left_out: list[LeftOut] = []

    def add(self, action: Action, key: str) -> None:
        keys = self.actions.setdefault(action, [])
        if key not in keys:
            keys.append(key)

    def take(self, finding: Finding) -> bool:
        """Turn a finding's fix into planned actions; True when anything was planned or listed."""
        fix = finding.fix
        if fix is None:
            return False
        key = finding_key(finding)
        taken = False
        for action in fix.actions:
            if isinstance(action, AddNetworkRule) and isinstance(action.ip, ShellExpr):
                if not self.caller_ip:
                    self.manual.append(ManualStep(key, action.commands(), "the caller's public IP is not known: "
                                                  "pass --caller-ip to let acrdoctor add the rule"))
                    taken = True
                    continue
                action = dataclasses.replace(action, ip=self.caller_ip)
            if not action.applies:
                self.manual.append(ManualStep(key, action.commands(), "acrdoctor fix does not run this kind of "
                                              "change; run it yourself if you want it"))
            else:
                self.add(action, key)
            taken = True
        return taken

    def guard_deletes(self) -> None:
        """Drop deletes that would break something kept, until nothing changes (dropping one keeps more)."""
        by_repo: dict[str, dict[str, DeleteManifest]] = {}
        for a in self.actions:
            if isinstance(a, DeleteManifest):
                by_repo.setdefault(a.repository, {})[a.digest] = a
        repos = {r.name: r for r in self.view.repositories or ()}
        for name, planned in by_repo.items():
            repo = repos.get(name)
            manifests = repo.manifest_by_digest() if repo else {}
            parents: dict[str, list[str]] = {}
            referrers: dict[str, list[str]] = {}
            for m in manifests.values():
                for child in m.references:
                    parents.setdefault(child, []).append(m.digest)
                if m.subject:
                    referrers.setdefault(m.subject, []).append(m.digest)
            todo = set(planned)
            while todo:
                refused: dict[str, str] = {}
                for d in todo:
                    why = self._refusal(name, d, manifests, planned, parents, referrers, repo)
                    if why:
                        refused[d] = why
                # Refusing a delete keeps that manifest, which can only affect its relatives: look at them again.
                todo = set()
                for d, why in refused.items():
                    a = planned.pop(d)
                    for key in self.actions.pop(a):
                        self.left_out.append(LeftOut(a.subject(), key, why))
                    m = manifests.get(d)
                    related = [*(m.references if m else ()), *parents.get(d, ()), *referrers.get(d, ()),
                               *([m.subject] if m and m.subject else [])]
                    todo.update(x for x in related if x in planned)

    def guard_repositories(self) -> None:
        """An empty repository locked against writes refuses the placeholder; against deletes, the delete."""
        repos = {r.name: r for r in self.view.repositories or ()}
        for a in [a for a in self.actions if isinstance(a, (ImportPlaceholder, DeleteRepository))]:
            repo = repos.get(a.repository)
            if repo is not None and repo.attributes.blocks_delete:
                for key in self.actions.pop(a):
                    self.left_out.append(LeftOut(f"{a.describe()}", key, "the repository is locked (name "
                                                 "locked-artifacts with --check to unlock it first)"))

    def _refusal(self, repo_name: str, digest: str, manifests: dict[str, Manifest],
                 planned: dict[str, DeleteManifest], parents: dict[str, list[str]],
                 referrers: dict[str, list[str]], repo: Repository | None) -> str | None:
        """Why deleting ``digest`` must not happen while everything not in ``planned`` stays, or None."""
        m = manifests.get(digest)
        if m is None or repo is None:
            return "not in the snapshot"
        parent = next((p for p in parents.get(digest, ()) if p not in planned), None)
        if parent is not None:
            return f"a child of index {parent}, which stays"
        if m.subject and m.subject not in planned and m.subject in manifests:
            return f"a referrer of {m.subject}, which stays"
        referrer = next((r for r in referrers.get(digest, ()) if r not in planned), None)
        if referrer is not None:
            # ACR deletes a subject's referrers with it, so this delete would take a kept referrer along.
            return f"its referrer {referrer} stays, and ACR would delete it together with this manifest"
        if self.in_use is not None:
            hit = self.in_use.blocks(repo_name, digest, m.tags)
            if hit is not None:
                return f"in use ({hit.text}, line {hit.line} of --in-use)"
        if m.attributes.blocks_delete or not repo.attributes.write_enabled:
            return "locked (name locked-artifacts with --check to unlock it first)"
        return None


class _OwnBytes:
    """Bytes of the blobs only one manifest uses: what deleting it alone frees (for a step's impact line)."""

    def __init__(self, storage: StorageIndex) -> None:
        self.refcount, self.sizes = storage.refcount, storage.sizes
        #: A blob's size when exactly one reference to it exists, else 0: summed in C for the usual manifest.
        self.alone = [size if count == 1 else 0 for size, count in zip(self.sizes, self.refcount, strict=True)]

    def __call__(self, m: Manifest) -> int:
        refcount, sizes = self.refcount, self.sizes
        blobs = (m.config, *(m.layers or ())) if m.config is not None else tuple(m.layers or ())
        if len(set(blobs)) == len(blobs):  # the usual case: each blob once, so "only this manifest" is a count of 1
            return sum(map(self.alone.__getitem__, blobs))
        counts: dict[int, int] = {}
        for b in blobs:
            counts[b] = counts.get(b, 0) + 1
        return sum(sizes[b] for b, c in counts.items() if refcount[b] == c)


def _impact(action: Action, lookup: Lookup, own: _OwnBytes) -> str:
    if type(action) is DeleteManifest or isinstance(action, DeleteManifest):
        m = lookup.manifest(action.repository, action.digest)
        if m is None:
            return ""
        what = "index" if m.is_index else "referrer" if m.subject else "image"
        if m.tags:
            return f"{what}; also deletes tags {', '.join(m.tags)}; its own blobs {human_bytes(own(m))}"
        return f"{what}; untagged; its own blobs {human_bytes(own(m))}"
    if isinstance(action, ImportPlaceholder):
        return f"adds a 2-blob placeholder image ({PLACEHOLDER_DIGEST[:19]}…) that the delete after it removes"
    if isinstance(action, DeleteRepository):
        return "the repository has no manifests and no tags; this removes the name from the catalog"
    if isinstance(action, SetAttributes):
        return "deletes become possible"
    if isinstance(action, DeletePrivateEndpointConnection):
        return "private access through this endpoint stops; the registry can then be deleted"
    if isinstance(action, AddNetworkRule):
        return f"data-plane calls from {action.ip} get through the firewall"
    if isinstance(action, SetRetentionPolicy):
        return (f"manifests untagged from now on are deleted {action.days} days later (Docker media types only); "
                "anything pulled by digest alone must be locked first")
    return ""


def _relock(snapshot: Snapshot, unlock: SetAttributes, lookup: Lookup) -> SetAttributes | None:
    state = planned_state(unlock, snapshot, lookup)
    if not state or not state.get("present"):
        return None
    return dataclasses.replace(unlock, write_enabled=state["write_enabled"], delete_enabled=state["delete_enabled"])


def _deleted_by(actions: Sequence[Action], view: Lookup) -> Callable[[SetAttributes], bool]:
    """Whether the plan deletes what an unlock is for: its manifest, its repository, or the manifest of its tag."""
    digests = {(a.repository, a.digest) for a in actions if isinstance(a, DeleteManifest)}
    repos = {a.repository for a in actions if isinstance(a, DeleteRepository)}

    def gone(a: SetAttributes) -> bool:
        if a.repository in repos:
            return True
        digest = a.digest
        if digest is None and a.tag is not None:
            repo = view.repository(a.repository)
            digest = next((t.digest for t in (repo.tags or ()) if t.name == a.tag), None) if repo else None
        return digest is not None and (a.repository, digest) in digests

    return gone


def make_plan(snapshot: Snapshot, catalogue: Catalogue, checks: Sequence[str] | None = None, *,
              in_use: str | None = None, relock: bool = False, enable_retention: bool = False,
              caller_ip: str | None = None, now: datetime | None = None) -> FixPlan:
    """The library entry point behind ``acrdoctor fix`` (without ``--apply``): a plan, nothing changed.

    Runs with the cyclic collector paused, as diagnose, the pre-flight and usage do: a large plan allocates
    hundreds of thousands of acyclic objects (actions, steps, expectations), and each collection of the old
    generation would walk them all again. Reference counting still frees them.
    """
    with gc_paused():
        return _make_plan(snapshot, catalogue, checks, in_use=in_use, relock=relock,
                          enable_retention=enable_retention, caller_ip=caller_ip, now=now)


def _make_plan(snapshot: Snapshot, catalogue: Catalogue, checks: Sequence[str] | None, *, in_use: str | None,
               relock: bool, enable_retention: bool, caller_ip: str | None, now: datetime | None) -> FixPlan:
    named = list(checks) if checks else [s for s in DEFAULT_CHECKS if s in catalogue.slugs()]
    selected = catalogue.select(named)
    reg = snapshot.registry
    uses = InUse.parse(in_use, reg.login_server) if in_use is not None else None

    context = Context(snapshot)  # its storage index serves the checks and, below, the plan's byte figures
    results: list[CheckResult] = list(run_checks(snapshot, [c for c in selected if c.slug == LOCKS], context))
    unlocks = [a for r in results for f in r.findings if f.fix for a in f.fix.actions if isinstance(a, SetAttributes)]
    view = unlocked_view(snapshot, unlocks)
    results += run_checks(view, [c for c in selected if c.slug != LOCKS], context)
    builder = _Builder(snapshot, view, uses, caller_ip)
    planned: list[PlannedFinding] = []
    skipped: dict[str, str] = {}
    for result in results:
        if result.reason and result.status is not Status.FAILED:  # a failed one's reason says "lower bound"
            skipped[result.slug] = result.reason
        for f in result.findings:
            if builder.take(f):
                planned.append(PlannedFinding(finding_key(f), f.check, f.severity.value, str(f.resource),
                                              f.message))
    builder.guard_deletes()
    builder.guard_repositories()
    ref = RegistryRef(reg.name, reg.resource_group)
    if enable_retention:
        _plan_retention(snapshot, ref, builder)
    return _assemble(snapshot, builder, tuple(c.slug for c in selected), planned, skipped,
                     relock=relock, enable_retention=enable_retention, in_use=uses, now=now,
                     storage=context.storage)


def _plan_retention(snapshot: Snapshot, ref: RegistryRef, builder: _Builder) -> None:
    reg = snapshot.registry
    key = f"retention registry {reg.name}"
    soft = reg.soft_delete_policy
    current = reg.retention_policy
    if not reg.is_premium:
        builder.left_out.append(LeftOut("retention policy", key, f"the retention policy runs only on Premium and "
                                        f"this registry is {reg.sku or 'of unknown SKU'}"))
    elif soft is not None and soft.enabled:
        builder.left_out.append(LeftOut("retention policy", key, "soft delete is enabled, and ACR does not support "
                                        "it together with the retention policy"))
    elif current is None or not current.enabled:
        days = current.days if current is not None and current.days is not None else 7
        builder.add(SetRetentionPolicy(ref, enabled=True, days=days), key)


def _assemble(snapshot: Snapshot, builder: _Builder, checks: tuple[str, ...], planned: list[PlannedFinding],
              skipped: dict[str, str], *, relock: bool, enable_retention: bool, in_use: InUse | None,
              now: datetime | None, storage: StorageIndex) -> FixPlan:
    lookup = Lookup(snapshot)
    in_view = lookup if builder.view is snapshot else Lookup(builder.view)  # no unlocks: one table, built once

    def order(i: int, a: Action) -> tuple[int, int, str, int, int]:
        phase = _PHASE_RANK[_phase(a)]
        repo = getattr(a, "repository", "")
        if isinstance(a, DeleteManifest):
            return (phase, 0, repo, _delete_group(in_view.manifest(repo, a.digest)), i)
        return (phase, 1 if isinstance(a, DeleteRepository) else 0, repo, 0, i)

    pairs = list(builder.actions.items())
    delete_rank = _PHASE_RANK["delete"]
    # The sort keys built in one comprehension, with a fast path for the bulk (manifest deletes), then the indexes
    # sorted by them in C: a key function called per action cost most of a second at 185,000 deletes.
    sort_keys = [(delete_rank, 0, a.repository, _delete_group(in_view.manifest(a.repository, a.digest)), i)
                 if type(a) is DeleteManifest else order(i, a) for i, (a, _) in enumerate(pairs)]
    pairs = [pairs[i] for i in sorted(range(len(pairs)), key=sort_keys.__getitem__)]
    ordered = [a for a, _ in pairs]
    keys_of = [tuple(keys) for _, keys in pairs]  # in the order of ``ordered``: no second hash of each action
    gone = _deleted_by(ordered, in_view)
    relocks = [r for a in ordered if isinstance(a, SetAttributes) and (r := _relock(snapshot, a, lookup)) is not None
               and r != a and not gone(a)] if relock else []
    own = _OwnBytes(storage)
    steps: list[Step] = []
    unlocks: dict[str, list[tuple[SetAttributes, int]]] = {}
    placeholders: dict[str, tuple[ImportPlaceholder, int]] = {}
    wanted: dict[str, set[str]] = {}
    manifest_of = lookup.manifest
    for action in [*ordered, *relocks]:
        n = len(steps) + 1
        if type(action) is DeleteManifest and n <= len(ordered):
            # The bulk of a large plan: its expected state and impact read straight from the manifest.
            repo, digest = action.repository, action.digest
            wanted.setdefault(repo, set()).add(digest)
            prior = unlocks.get(repo)
            after_ = tuple(pn for u, pn in prior if (u.digest is None and u.tag is None) or u.digest == digest) \
                if prior else ()
            m = manifest_of(repo, digest)
            if m is None:
                steps.append(Step(n, "delete", action, keys_of[n - 1], planned_state(action, snapshot, lookup),
                                  after_, {}, ""))
                continue
            expect = manifest_state(m)
            what = "index" if m.is_index else "referrer" if m.subject else "image"
            tagged = f"also deletes tags {', '.join(m.tags)}" if m.tags else "untagged"
            steps.append(Step(n, "delete", action, keys_of[n - 1], expect, after_, {},
                              f"{what}; {tagged}; its own blobs {human_bytes(own(m))}"))
            continue
        is_relock = n > len(ordered)
        phase = "relock" if is_relock else _phase(action)
        after: list[int] = []
        allow: dict[str, list[str]] = {}
        repo = getattr(action, "repository", "")
        if phase in ("delete", "placeholder"):
            for prior, pn in unlocks.get(repo, ()):
                if (prior.digest is None and prior.tag is None) or isinstance(action, DeleteRepository) or (
                        isinstance(action, DeleteManifest) and prior.digest == action.digest):
                    after.append(pn)
            if repo in placeholders and isinstance(action, DeleteRepository):
                place, pn = placeholders[repo]
                after.append(pn)
                allow = {"manifests": [PLACEHOLDER_DIGEST], "tags": [place.tag]}
        if is_relock:
            steps.append(Step(n, phase, action, (), None, (), {}, "restores the flags it had before this plan"))
            continue
        steps.append(Step(n, phase, action, keys_of[n - 1], planned_state(action, snapshot, lookup), tuple(after),
                          allow, _impact(action, lookup, own)))
        if isinstance(action, SetAttributes):
            unlocks.setdefault(repo, []).append((action, n))
        elif isinstance(action, ImportPlaceholder):
            placeholders[repo] = (action, n)
        elif isinstance(action, DeleteManifest):  # a subclass (a plug-in's): counted like the others
            wanted.setdefault(action.repository, set()).add(action.digest)
    deletes: list[Entry] = [(ri, m) for ri, r in enumerate(storage.repositories)
                            if (digests := wanted.get(r.name)) for m in r.manifests or () if m.digest in digests]
    reg = snapshot.registry
    when = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    used = {k for s in steps for k in s.findings} | {m.finding for m in builder.manual}
    options: dict[str, Any] = {"relock": relock, "enable_retention": enable_retention,
                               "in_use_references": len(in_use) if in_use is not None else None,
                               "snapshot_collected_at": snapshot.collected_at, "skipped_checks": skipped,
                               "after_delete": after_delete(reg)}
    return FixPlan(
        registry=reg.name, resource_group=reg.resource_group, subscription=reg.subscription_id,
        login_server=reg.login_server, created_at=when, checks=checks,
        findings=tuple(f for f in planned if f.key in used), steps=tuple(steps), manual=tuple(builder.manual),
        left_out=tuple(builder.left_out), freed_bytes=storage.freed_by(deletes) if deletes else 0,
        bytes_exact=storage.complete, options=options,
    )
