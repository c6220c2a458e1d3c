"""StorageIndex: registry-wide deduplicated arithmetic, reachability and completeness."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from acrdoctor.builder import SnapshotBuilder
from acrdoctor.model import Manifest, Part, Snapshot
from acrdoctor.storage import Entry, StorageIndex


def entry(index: StorageIndex, repo: str, digest: str) -> Entry:
    for ri, r in enumerate(index.repositories):
        if r.name == repo:
            for m in r.manifests or ():
                if m.digest == digest:
                    return (ri, m)
    raise KeyError(f"{repo}@{digest}")


def shared_base(builder: SnapshotBuilder) -> tuple[Manifest, Manifest, Manifest]:
    """Two repositories whose images share a 100-byte base layer; one more image only in ``api``."""
    api = builder.repository("api")
    web = builder.repository("web")
    a1 = api.image(["v1"], layers=[("base", 100), ("api-1", 10)], config=("api-cfg-1", 1))
    a2 = api.image(["v2"], layers=[("base", 100), ("api-2", 20)], config=("api-cfg-2", 2))
    w1 = web.image(["v1"], layers=[("base", 100), ("web-1", 40)], config=("web-cfg-1", 4))
    return a1, a2, w1


# -- freed_by ---------------------------------------------------------------------------------------


def test_freed_by_counts_only_blobs_nobody_else_uses(builder: SnapshotBuilder) -> None:
    a1, a2, w1 = shared_base(builder)
    index = StorageIndex(builder.build())
    assert index.freed_by([entry(index, "api", a1.digest)]) == 10 + 1
    # Both api images gone: the base layer is still used by web, so it stays.
    both = [entry(index, "api", a1.digest), entry(index, "api", a2.digest)]
    assert index.freed_by(both) == 10 + 1 + 20 + 2
    # Only when the last user in any repository goes does the base layer count.
    everything = [*both, entry(index, "web", w1.digest)]
    assert index.freed_by(everything) == 10 + 1 + 20 + 2 + 40 + 4 + 100
    assert index.freed_by([]) == 0


def test_freed_by_counts_an_entry_given_twice_once(builder: SnapshotBuilder) -> None:
    repo = builder.repository("solo")
    m = repo.image(["v1"], layers=[("only", 70)], config=("cfg", 3))
    index = StorageIndex(builder.build())
    e = entry(index, "solo", m.digest)
    assert index.freed_by([e, e]) == 73


def test_same_manifest_in_two_repositories_is_freed_only_with_both(builder: SnapshotBuilder) -> None:
    layers, config = [("shared-layer", 1000)], ("shared-cfg", 10)
    m = builder.repository("one").image(["v1"], layers=layers, config=config, digest="sha256:same")
    builder.repository("two").image(["v1"], layers=layers, config=config, digest="sha256:same")
    index = StorageIndex(builder.build())
    one, two = entry(index, "one", m.digest), entry(index, "two", m.digest)
    assert index.freed_by([one]) == 0
    assert index.freed_by([one, two]) == 1010


def test_a_layer_repeated_inside_one_manifest_is_freed_with_it(builder: SnapshotBuilder) -> None:
    m = builder.repository("r").image(["v1"], layers=[("empty", 32), ("empty", 32), ("x", 5)], config=("c", 1))
    index = StorageIndex(builder.build())
    assert index.freed_by([entry(index, "r", m.digest)]) == 32 + 5 + 1
    assert index.deduplicated_total() == 38


# -- totals and per repository ------------------------------------------------------------------------


def test_totals_deduplicate_while_image_size_does_not(builder: SnapshotBuilder) -> None:
    shared_base(builder)
    index = StorageIndex(builder.build())
    assert index.deduplicated_total() == 100 + 10 + 1 + 20 + 2 + 40 + 4
    assert index.image_size_sum() == 111 + 122 + 144
    assert index.shared_blobs() == (1, 100)


def test_per_repository_splits_exclusive_and_shared_bytes(builder: SnapshotBuilder) -> None:
    shared_base(builder)
    builder.repository("lonely").image(["v1"], layers=[("lonely-1", 7)], config=("lonely-cfg", 1))
    index = StorageIndex(builder.build())
    rows = {r.repository: r for r in index.per_repository()}
    assert (rows["api"].exclusive_bytes, rows["api"].shared_bytes, rows["api"].manifests) == (33, 100, 2)
    assert (rows["web"].exclusive_bytes, rows["web"].shared_bytes) == (44, 100)
    assert (rows["lonely"].exclusive_bytes, rows["lonely"].shared_bytes) == (8, 0)
    assert rows["api"].image_size_sum == 233


# -- reachability -------------------------------------------------------------------------------------


def test_children_of_a_tagged_index_are_kept_and_of_an_untagged_one_dangle(builder: SnapshotBuilder) -> None:
    repo = builder.repository("multi")
    amd = repo.image(layers=[("amd", 10)], config=("amd-cfg", 1))
    arm = repo.image(layers=[("arm", 20)], config=("arm-cfg", 1), architecture="arm64")
    repo.index([amd, arm], tags=["v1"])
    old_amd = repo.image(layers=[("old-amd", 30)], config=("old-amd-cfg", 1))
    old_index = repo.index([old_amd])
    index = StorageIndex(builder.build())
    dangling = {m.digest for _, m in index.dangling()}
    assert dangling == {old_amd.digest, old_index.digest}
    assert {amd.digest, arm.digest} <= index.kept(0)
    assert index.freed_by(index.dangling()) == 31


def test_nested_index_children_are_kept(builder: SnapshotBuilder) -> None:
    repo = builder.repository("nested")
    leaf = repo.image(layers=[("leaf", 10)])
    inner = repo.index([leaf])
    repo.index([inner], tags=["latest"])
    index = StorageIndex(builder.build())
    assert index.dangling() == []


def test_referrers_live_and_die_with_their_subject(builder: SnapshotBuilder) -> None:
    repo = builder.repository("signed")
    tagged = repo.image(["v2"], layers=[("v2", 10)])
    sig = repo.referrer(tagged, "signature")
    sbom_of_sig = repo.referrer(sig, "sbom")
    untagged = repo.image(layers=[("v1", 10)])
    orphan_sig = repo.referrer(untagged, "signature")
    index = StorageIndex(builder.build())
    kept = index.kept(0)
    assert {tagged.digest, sig.digest, sbom_of_sig.digest} <= kept
    assert {m.digest for _, m in index.dangling()} == {untagged.digest, orphan_sig.digest}


def test_a_tag_known_only_from_the_tag_listing_keeps_its_manifest(builder: SnapshotBuilder) -> None:
    repo = builder.repository("app")
    m = repo.image(["v1"], layers=[("l", 10)])
    snap = builder.build()
    (r,) = snap.repositories or ()
    # The manifest listing may lag behind the tag listing: the tag listing alone must count.
    stripped = replace(r, manifests=tuple(replace(x, tags=()) for x in r.manifests or ()))
    index = StorageIndex(replace(snap, repositories=(stripped,)))
    assert index.dangling() == []
    assert m.digest in index.kept(0)


def test_repositories_without_a_manifest_listing_contribute_no_dangling(builder: SnapshotBuilder) -> None:
    builder.repository("unlisted", manifests=False, tags=False)
    builder.repository("listed").image(layers=[("x", 10)])
    index = StorageIndex(builder.build())
    assert [index.repositories[ri].name for ri, _ in index.dangling()] == ["listed"]


# -- completeness -------------------------------------------------------------------------------------


def test_complete_when_every_body_is_known(builder: SnapshotBuilder) -> None:
    repo = builder.repository("app")
    child = repo.image(layers=[("x", 10)])
    repo.index([child], tags=["v1"])
    assert StorageIndex(builder.build()).complete is True


def test_incomplete_when_a_body_is_missing(builder: SnapshotBuilder) -> None:
    builder.repository("app").image(["v1"], layers=[("x", 10)], body=False)
    index = StorageIndex(builder.build())
    assert index.complete is False
    assert index.manifests_without_body == 1
    assert index.deduplicated_total() == 0


def test_incomplete_when_a_listing_is_missing_or_partial(builder: SnapshotBuilder) -> None:
    builder.repository("app").image(["v1"], layers=[("x", 10)])
    builder.repository("unlisted", manifests=False)
    assert StorageIndex(builder.build()).complete is False

    other = SnapshotBuilder()
    other.repository("app").image(["v1"], layers=[("x", 10)])
    other.partial.add(Part.MANIFESTS)
    assert StorageIndex(other.build()).complete is False


# -- property: freed_by equals recomputing the deduplicated total without the deleted manifests --------


def deduplicated_total(snapshot: Snapshot) -> int:
    """Brute force: the distinct blobs of every manifest whose body is known."""
    used: set[int] = set()
    for repo in snapshot.repositories or ():
        for m in repo.manifests or ():
            if m.layers is not None:
                used.update(m.layers)
                if m.config is not None:
                    used.add(m.config)
    return sum(snapshot.blobs[b].size for b in used)


def without(snapshot: Snapshot, removed: set[tuple[int, str]]) -> Snapshot:
    repos = tuple(
        replace(r, manifests=tuple(m for m in r.manifests or () if (ri, m.digest) not in removed))
        for ri, r in enumerate(snapshot.repositories or ())
    )
    return replace(snapshot, repositories=repos)


@st.composite
def registries(draw: st.DrawFn) -> Snapshot:
    """A few repositories of images drawn from one shared pool of layers, with indexes and referrers."""
    b = SnapshotBuilder()
    pool = draw(st.lists(st.integers(1, 10_000), min_size=1, max_size=8))
    layer = st.integers(0, len(pool) - 1).map(lambda i: (f"layer-{i}", pool[i]))
    configs = st.integers(0, 3).map(lambda i: (f"cfg-{i}", 7 + i))
    for r in range(draw(st.integers(1, 4))):
        repo = b.repository(f"repo{r}")
        images: list[Manifest] = []
        for i in range(draw(st.integers(0, 6))):
            tags = [f"t{i}"] if draw(st.booleans()) else []
            images.append(repo.image(
                tags, layers=draw(st.lists(layer, max_size=4)), config=draw(configs),
                body=draw(st.integers(0, 9)) > 0, digest=f"sha256:r{r}i{i}",
            ))
        if images and draw(st.booleans()):
            children = draw(st.lists(st.sampled_from(images), min_size=1, max_size=3, unique_by=lambda m: m.digest))
            repo.index(children, tags=["multi"] if draw(st.booleans()) else [], digest=f"sha256:r{r}x")
        if images and draw(st.booleans()):
            subject = draw(st.sampled_from(images))
            repo.referrer(subject, f"sig-{r}", size=draw(st.sampled_from(pool)))
    return b.build()


@settings(max_examples=200, deadline=None)
@given(snapshot=registries(), data=st.data())
def test_freed_by_matches_brute_force_recomputation(snapshot: Snapshot, data: st.DataObject) -> None:
    index = StorageIndex(snapshot)
    everything = [(ri, m) for ri, r in enumerate(index.repositories) for m in r.manifests or ()]
    chosen = data.draw(st.lists(st.sampled_from(everything), max_size=len(everything))) if everything else []
    removed = {(ri, m.digest) for ri, m in chosen}
    expected = deduplicated_total(snapshot) - deduplicated_total(without(snapshot, removed))
    assert index.freed_by(chosen) == expected
    assert index.deduplicated_total() == deduplicated_total(snapshot)


@settings(max_examples=100, deadline=None)
@given(snapshot=registries())
def test_exclusive_bytes_are_what_deleting_the_repository_frees(snapshot: Snapshot) -> None:
    index = StorageIndex(snapshot)
    rows = index.per_repository()
    for ri, repo in enumerate(index.repositories):
        entries = [(ri, m) for m in repo.manifests or ()]
        assert rows[ri].exclusive_bytes == index.freed_by(entries)
    dangling = index.dangling()
    assert all(not m.tags for _, m in dangling)


# -- shared_with, repository_blobs, find_holders ---------------------------------------------------------------


def test_shared_with_counts_each_pair_of_holders(builder: SnapshotBuilder) -> None:
    """api and web share the 100-byte base; a third repository holding it and one more layer of api's pairs with
    both: a blob held by three repositories counts for every pair, so the rows overlap."""
    shared_base(builder)
    ops = builder.repository("ops")
    ops.image(["x"], layers=[("base", 100), ("api-1", 10)], config=("ops-cfg", 3))
    index = StorageIndex(builder.build())
    names = [r.name for r in index.repositories]
    rows = {names[ri]: {names[o]: n for o, n in row.items()} for ri, row in enumerate(index.shared_with())}
    assert rows == {"api": {"web": 100, "ops": 110}, "web": {"api": 100, "ops": 100},
                    "ops": {"api": 110, "web": 100}}
    assert [len(s) for s in index.repository_blobs] == [5, 3, 3]  # base, two layers, two configs in api


def test_deletion_without_holders_keeps_the_bytes(builder: SnapshotBuilder) -> None:
    a1, _, _ = shared_base(builder)
    snapshot = builder.build()
    full, fast = StorageIndex(snapshot), StorageIndex(snapshot, find_holders=False)
    chosen = [entry(full, "api", a1.digest)]
    freed, kept, holders = full.deletion(chosen)
    assert holders == {"api": 100, "web": 100}
    assert fast.deletion([entry(fast, "api", a1.digest)]) == (freed, kept, {})
