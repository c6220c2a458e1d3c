"""The listings a script's --query runs on have az's shape: the same objects the (fake) ACR serves, field for field.

``az acr manifest list-metadata`` prints the ``manifests`` array of ``GET /acr/v1/{repo}/_manifests`` as it comes
(azure-cli ``acr_manifest_metadata_list``), and ``az acr repository show-tags --detail`` the ``tags`` array of
``/_tags``; the fake ACR serves both as the recordings show them. So the rows acrdoctor builds from a snapshot must
equal what the fake answers for the same snapshot, and a JMESPath query must pick what a recount picks.
"""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.rest import HttpRequest

from acrdoctor.builder import SnapshotBuilder, locked
from acrdoctor.model import Snapshot
from acrdoctor.preflight.azlistings import Listing, ListingError, list_rows, run_listing, tsv_lines
from acrdoctor.testing import FakeRegistry, serve_fake_acr
from tests.testing.test_fake_acr import client


def snapshot() -> Snapshot:
    b = SnapshotBuilder("contoso", sku="Premium")
    web = b.repository("web")
    amd = web.image(layers=[("base", 100), ("web-amd", 10)], age_days=30)
    arm = web.image(layers=[("base-arm", 100), ("web-arm", 10)], architecture="arm64", age_days=30)
    idx = web.index([amd, arm], tags=["1.0", "latest"], age_days=29)
    web.referrer(idx, name="sig", age_days=29)
    web.image(["0.9"], layers=[("base", 100), ("web-old", 20)], age_days=90, attributes=locked(write=True))
    web.image(layers=[("base", 100), ("web-dangling", 30)], age_days=60)
    web.image(["beta"], layers=[("base", 100), ("web-beta", 40)], age_days=2, tag_attributes={"beta": locked()})
    return b.build()


def served(snap: Snapshot, path: str) -> Any:
    """What the fake ACR answers for ``path``, read through the SDK's pipeline (authentication included)."""
    with serve_fake_acr(FakeRegistry.from_snapshot(snap)) as srv:
        response = client(srv)._client.send_request(HttpRequest("GET", path))
        response.raise_for_status()
        return response.json()


@pytest.mark.parametrize("orderby, query", [(None, ""), ("time_asc", "?orderby=timeasc"),
                                            ("time_desc", "?orderby=timedesc")])
def test_list_metadata_rows_equal_the_fake_acrs_manifest_listing(orderby: str | None, query: str) -> None:
    snap = snapshot()
    rows = list_rows(Listing("list-metadata", "web", orderby=orderby), snap)
    answer = served(snap, f"/acr/v1/web/_manifests{query}")
    assert rows == answer["manifests"]
    assert {"digest", "imageSize", "createdTime", "lastUpdateTime", "mediaType", "changeableAttributes"} <= set(rows[0])


def test_show_tags_detail_rows_equal_the_fake_acrs_tag_listing() -> None:
    snap = snapshot()
    rows = list_rows(Listing("show-tags", "web", detail=True), snap)
    assert rows == served(snap, "/acr/v1/web/_tags")["tags"]
    assert list_rows(Listing("show-tags", "web"), snap) == sorted(t["name"] for t in rows)


def test_jmespath_queries_select_what_a_recount_selects() -> None:
    snap = snapshot()
    repo = next(r for r in snap.repositories or () if r.name == "web")
    tagged = {t.digest for t in repo.tags or ()}
    stamp = sorted(m.updated or "" for m in repo.manifests or ())[3]
    older = sorted((m for m in repo.manifests or () if (m.updated or "") < stamp), key=lambda m: m.updated or "")
    lines = run_listing(Listing("list-metadata", "web", query=f"[?lastUpdateTime < '{stamp}'].digest",
                                orderby="time_asc", output="tsv"), snap)
    assert lines == [m.digest for m in older]
    untagged = run_listing(Listing("list-metadata", "web", query="[?tags == null].digest", output="tsv"), snap)
    assert sorted(untagged) == sorted(m.digest for m in repo.manifests or () if m.digest not in tagged)
    rows = run_listing(Listing("list-metadata", "web", query="[?tags != null].[digest, lastUpdateTime]",
                               output="tsv"), snap)
    assert sorted(rows) == sorted(f"{m.digest}\t{m.updated}" for m in repo.manifests or () if m.digest in tagged)
    unlocked = run_listing(Listing("list-metadata", "web", output="tsv",
                                   query="[?changeableAttributes.deleteEnabled && changeableAttributes.writeEnabled]"
                                         ".digest"), snap)
    assert sorted(unlocked) == sorted(m.digest for m in repo.manifests or () if not m.attributes.blocks_delete)
    top = run_listing(Listing("list-metadata", "web", query="[].digest", orderby="time_desc", top=2, output="tsv"),
                      snap)
    assert top == [m.digest for m in sorted(repo.manifests or (), key=lambda m: m.updated or "", reverse=True)][:2]


def test_what_cannot_be_evaluated_says_why() -> None:
    snap = snapshot()
    with pytest.raises(ListingError, match="invalid --query"):
        run_listing(Listing("list-metadata", "web", query="[?", output="tsv"), snap)
    with pytest.raises(ListingError, match="not -o tsv"):
        run_listing(Listing("list-metadata", "web", query="[].digest"), snap)
    with pytest.raises(ListingError, match="NAME_UNKNOWN"):
        run_listing(Listing("list-metadata", "nope", output="tsv"), snap)
    with pytest.raises(ListingError, match="nested"):
        tsv_lines([{"a": [1]}])
    assert tsv_lines(None) == [] and tsv_lines("x") == ["x"] and tsv_lines([["a", None, True]]) == ["a\t\tTrue"]
