"""Hand-built registries for the usage tests."""

from __future__ import annotations

import pytest

from acrdoctor.builder import SnapshotBuilder, locked
from acrdoctor.model import Part, Snapshot


def build_mixed(partial: bool = False) -> Snapshot:
    """Shared layers across three repositories, dangling manifests, a multi-arch index, a referrer, ages, locks.

    With ``partial``: one repository whose manifests were not listed, one manifest without a body, and the
    manifest part marked partial, as a scan limited by errors leaves it.
    """
    b = SnapshotBuilder("mixed", sku="Premium", resource_group="rg-mixed")
    base = ("base-os", 1_000_000)
    runtime = ("runtime", 300_000)
    api = b.repository("api")
    api.image(["v1"], layers=[base, runtime, ("api-1", 50_000)], config=("api-cfg-1", 700), age_days=400)
    api.image(["v2"], layers=[base, runtime, ("api-2", 60_000)], config=("api-cfg-2", 710), age_days=100)
    # Re-pushes of latest left these untagged; one shares a layer with a tagged image.
    # A layer only dangling manifests of two repositories hold: freed by deleting both, by neither alone.
    api.image([], layers=[base, ("api-old-1", 80_000), ("cross-dangling", 7_000)], config=("api-cfg-old-1", 720),
              age_days=200)
    api.image([], layers=[base, runtime, ("api-old-2", 90_000), ("api-2", 60_000)], config=("api-cfg-old-2", 730),
              age_days=45)
    api.image(["latest"], layers=[base, runtime, ("api-3", 70_000)], config=("api-cfg-3", 740), age_days=2)
    web = b.repository("web")
    amd = web.image([], layers=[base, ("web-amd64", 200_000)], config=("web-cfg-amd", 800), age_days=20)
    arm = web.image([], layers=[("base-os-arm", 900_000), ("web-arm64", 210_000)], config=("web-cfg-arm", 810),
                    architecture="arm64", age_days=20)
    idx = web.index([amd, arm], tags=["1.0"], age_days=20)
    web.referrer(idx, "signature", 900, age_days=19)
    # An untagged index with its children: all dangling together.
    amd2 = web.image([], layers=[base, ("web-amd64-old", 220_000)], config=("web-cfg-amd-old", 820), age_days=500)
    web.index([amd2], age_days=500)
    tools = b.repository("tools")
    tools.image(["ci"], layers=[base, runtime, ("tools-1", 40_000)], config=("tools-cfg", 900), age_days=60)
    tools.image([], layers=[("tools-old", 30_000), ("cross-dangling", 7_000)], config=("tools-cfg-old", 910),
                age_days=10)
    # Locks: the repository cannot be deleted (one image is locked), and acr purge skips the locked untagged one.
    frozen = b.repository("frozen")
    frozen.image(["keep"], layers=[base, ("frozen-1", 66_000)], config=("frozen-cfg-1", 12), age_days=150,
                 attributes=locked(write=True))
    frozen.image([], layers=[("frozen-old", 44_000)], config=("frozen-cfg-old", 13), age_days=150,
                 attributes=locked(write=True))
    frozen.image([], layers=[("frozen-loose", 22_000)], config=("frozen-cfg-loose", 14), age_days=150)
    solo = b.repository("solo")
    solo.image(["x"], layers=[("solo-layer", 123_456)], config=("solo-cfg", 11), age_days=800)
    for edge in (30, 90, 365):  # exactly on a bucket boundary: the older bucket, as "less than N days" says
        solo.image([f"edge-{edge}"], layers=[(f"edge-{edge}", edge * 10)], config=(f"edge-cfg-{edge}", 3),
                   age_days=edge)
    if partial:
        tools.image([], layers=[("tools-nobody", 5_000)], config=("tools-cfg-nobody", 5), age_days=3, body=False)
        hidden = b.repository("hidden", manifests=False, tags=False, counts=(3, 1))
        hidden.image(["h"], layers=[base], config=("hidden-cfg", 1))
        b.partial.add(Part.MANIFESTS)
    b.set_usage(size=b.stored_bytes() + 5_000_000)
    b.collected("deleted_artifacts")
    b.soft_deleted("api", "sha256:" + "a" * 64, size=1_234_567)
    return b.build()


@pytest.fixture
def mixed() -> Snapshot:
    return build_mixed()


@pytest.fixture
def mixed_partial() -> Snapshot:
    return build_mixed(partial=True)
