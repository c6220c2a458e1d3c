"""Property tests: on random registries and selections, the plan's bytes match a brute-force reference.

The reference applies the plan's deletions to a copy of the registry and recomputes deduplicated storage
from scratch (set of blobs referenced by any remaining manifest), independent of StorageIndex.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acrdoctor.builder import SnapshotBuilder, locked
from acrdoctor.model import UNLOCKED, Snapshot
from acrdoctor.preflight.inuse import InUse
from acrdoctor.preflight.model import (
    AzAction,
    AzRequest,
    BlockLevel,
    ManifestRef,
    Plan,
    PurgeRequest,
    Selection,
    TagRef,
)
from acrdoctor.preflight.plan import evaluate

#: Layers every repository may draw from, so blobs are shared within and across repositories.
POOL = [("pool-0", 1000), ("pool-1", 700), ("pool-2", 300), ("pool-3", 50), ("pool-4", 20), ("pool-5", 5)]
TAGS = ["v1", "v2", "latest", "dev"]
INDEX_TAGS = ["multi", "stable"]
REPO_LOCKS = [UNLOCKED, UNLOCKED, UNLOCKED, locked(write=False, delete=True), locked(write=True, delete=False)]


def rarely(draw: st.DrawFn) -> bool:
    return draw(st.integers(0, 4)) == 0


@st.composite
def registries(draw: st.DrawFn) -> Snapshot:
    b = SnapshotBuilder()
    for ri in range(draw(st.integers(1, 3))):
        rb = b.repository(f"repo{ri}", draw(st.sampled_from(REPO_LOCKS)))
        n = draw(st.integers(0, 5))
        owner = {t: draw(st.integers(-1, n - 1)) for t in TAGS} if n else {}
        images = []
        for k in range(n):
            tags = [t for t, o in owner.items() if o == k]
            layers = [POOL[i] for i in draw(st.lists(st.integers(0, len(POOL) - 1), max_size=3, unique=True))]
            if draw(st.booleans()):
                layers.append((f"repo{ri}-own-{k}", draw(st.integers(1, 99))))
            images.append(rb.image(
                tags, layers=layers,
                attributes=locked() if rarely(draw) else UNLOCKED,
                tag_attributes={t: locked(write=True) for t in tags if rarely(draw)},
                body=draw(st.integers(0, 15)) != 0,
            ))
        if images and draw(st.booleans()):
            children = draw(st.lists(st.sampled_from(images), min_size=1, max_size=3, unique_by=lambda m: m.digest))
            rb.index(children, draw(st.lists(st.sampled_from(INDEX_TAGS), max_size=2, unique=True)),
                     attributes=locked() if rarely(draw) else UNLOCKED)
        subjects = list(images)
        for k in range(draw(st.integers(0, 3)) if images else 0):
            subject = draw(st.sampled_from(subjects))
            subjects.append(rb.referrer(subject, f"ref{k}", draw(st.sampled_from([80, 60, 1000]))))
    return b.build()


@st.composite
def selections(draw: st.DrawFn, snap: Snapshot) -> Selection:
    repos = snap.repositories or ()
    manifests = [ManifestRef(r.name, m.digest) for r in repos for m in r.manifests or ()]
    tags = [TagRef(r.name, t.name) for r in repos for t in r.tags or ()]
    purge = draw(st.booleans())
    request = (PurgeRequest(include_locked=draw(st.booleans())) if purge
               else AzRequest(AzAction.DELETE_IMAGE, snap.registry.name))
    chosen = draw(st.lists(st.sampled_from(manifests), max_size=6)) if manifests else []
    untag = draw(st.lists(st.sampled_from(tags), max_size=4)) if tags else []
    named = draw(st.sets(st.sampled_from(tags), max_size=3)) if tags else set()
    whole = [] if purge else draw(st.lists(st.sampled_from([r.name for r in repos]), max_size=2, unique=True))
    return Selection(request=request, delete_manifests=tuple(chosen), untag=tuple(untag),
                     delete_repositories=tuple(whole), named_tags=frozenset(named))


@st.composite
def in_use_lists(draw: st.DrawFn, snap: Snapshot) -> InUse | None:
    repos = snap.repositories or ()
    refs = [f"{r.name}:{t.name}" for r in repos for t in r.tags or ()]
    refs += [f"{snap.registry.login_server}/{r.name}@{m.digest}" for r in repos for m in r.manifests or ()]
    if not refs or draw(st.booleans()):
        return None
    return InUse.parse("\n".join(draw(st.lists(st.sampled_from(refs), max_size=3))), snap.registry.login_server)


def deduplicated_total(snap: Snapshot) -> int:
    used: set[int] = set()
    for r in snap.repositories or ():
        for m in r.manifests or ():
            if m.layers is not None:
                used.update(m.blob_indexes())
    return sum(snap.blobs[i].size for i in used)


def apply(snap: Snapshot, plan: Plan) -> Snapshot:
    """A copy of the registry without the plan's deleted manifests, and without repositories deleted whole."""
    gone = {(r.repository, r.digest) for r in plan.delete_manifests}
    blocked = {b.resource for b in plan.blocked}
    whole = {n for n in plan.selection.delete_repositories if n not in blocked}
    kept = []
    for r in snap.repositories or ():
        if r.name in whole and all((r.name, m.digest) in gone for m in r.manifests or ()):
            continue
        kept.append(replace(r, manifests=tuple(m for m in r.manifests or () if (r.name, m.digest) not in gone)))
    return replace(snap, repositories=tuple(kept))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_reclaimable_bytes_match_brute_force(data: st.DataObject) -> None:
    snap = data.draw(registries())
    sel = data.draw(selections(snap))
    in_use = data.draw(in_use_lists(snap))
    plan = evaluate(sel, snap, in_use=in_use)

    after = apply(snap, plan)
    assert plan.reclaimable_bytes == deduplicated_total(snap) - deduplicated_total(after)

    # Retained: blobs of deleted manifests that surviving manifests still reference.
    gone = {(r.repository, r.digest) for r in plan.delete_manifests}
    deleted_blobs: set[int] = set()
    surviving_blobs: set[int] = set()
    for r in snap.repositories or ():
        for m in r.manifests or ():
            if m.layers is None:
                continue
            (deleted_blobs if (r.name, m.digest) in gone else surviving_blobs).update(m.blob_indexes())
    assert plan.retained_shared_bytes == sum(snap.blobs[i].size for i in deleted_blobs & surviving_blobs)

    # Nothing blocked is deleted.
    deleted_names = {str(r) for r in plan.delete_manifests} | {str(t) for t in plan.delete_tags}
    assert not any(b.resource in deleted_names for b in plan.blocked)
    assert len(set(plan.delete_manifests)) == len(plan.delete_manifests)

    by_name = {r.name: r for r in snap.repositories or ()}
    unlocks = isinstance(sel.request, PurgeRequest) and sel.request.include_locked
    cascaded = set(plan.cascaded_referrers)
    whole = {r for r in sel.delete_repositories if r not in {b.resource for b in plan.blocked}}
    for ref in plan.delete_manifests:
        repo = by_name[ref.repository]
        m = repo.manifest_by_digest()[ref.digest]
        if ref.repository in whole:
            assert not repo.attributes.blocks_delete
            continue
        assert repo.attributes.write_enabled  # a write-locked repository refuses every image delete
        if ref in cascaded:
            assert m.subject is not None and ManifestRef(ref.repository, m.subject) in set(plan.delete_manifests)
        else:
            assert ref in sel.delete_manifests
            assert unlocks or not m.attributes.blocks_delete

    # Referrers go with their subject (closure), and every target is deleted, blocked or overtaken.
    for r in snap.repositories or ():
        for m in r.manifests or ():
            if m.subject and (r.name, m.subject) in gone:
                assert (r.name, m.digest) in gone
    blocked = {b.resource: b.level for b in plan.blocked}
    for ref in sel.delete_manifests:
        assert (ref.repository, ref.digest) in gone or str(ref) in blocked
    for t in sel.untag:
        assert t in set(plan.delete_tags) or str(t) in blocked

    # Nothing in use is deleted: by digest, by a tag, or as a child of an in-use index.
    if in_use is not None:
        for r in snap.repositories or ():
            by_digest = r.manifest_by_digest()
            tag_digest = {t.name: t.digest for t in r.tags or ()}
            stack = [*in_use.digests(r.name), *(tag_digest[t] for t in in_use.tags(r.name) if t in tag_digest)]
            used: set[str] = set()
            while stack:
                d = stack.pop()
                if d not in used:
                    used.add(d)
                    stack.extend(by_digest[d].references if d in by_digest else ())
            for d in used:
                assert (r.name, d) not in gone or ManifestRef(r.name, d) in cascaded
            for t in in_use.tags(r.name):
                assert TagRef(r.name, t) not in set(plan.delete_tags)

    # Untag frees nothing on its own.
    if not sel.delete_manifests and not sel.delete_repositories:
        assert plan.reclaimable_bytes == 0 and plan.delete_manifests == ()
    assert all(level is not BlockLevel.REGISTRY for level in blocked.values())
    assert plan.delete_requests >= len(plan.delete_manifests) - len(plan.cascaded_referrers) - sum(
        len(by_name[n].manifests or ()) for n in whole)
