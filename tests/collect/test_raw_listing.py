"""Listings and repository properties read raw (acrdoctor.collect.raw_listing) collect what the SDK did.

The reference is the path before issue 16, kept here: the SDK's ``list_manifest_properties`` /
``list_tag_properties`` with the paging record as ``raw_response_hook``, and ``get_repository_properties``. Both
collect the same fake registry and must give the same snapshot (repository timestamps compared as instants), send the
same listing requests, and fail the same way.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from acrdoctor.collect import dataplane, live
from acrdoctor.collect.dataplane import DataPlaneScanner
from acrdoctor.collect.paging import PageRecorder
from acrdoctor.demo import load_demo
from acrdoctor.model import Snapshot
from acrdoctor.snapshot_io import snapshot_to_dict
from acrdoctor.testing import FakeRegistry, Faults, serve_fake_acr
from acrdoctor.testing._replay import Replay, ReplayedThrottle
from tests.collect.test_live import demo_state, options


class SdkListingScanner(DataPlaneScanner):
    """The scanner with its listings read the way they were before issue 16: through the SDK's models."""

    async def _read_pages(self, repo: str, key: str, recorder: PageRecorder) -> None:
        lister = self.client.list_manifest_properties if key == "manifests" else self.client.list_tag_properties
        async for _ in lister(repo, results_per_page=dataplane.PAGE_SIZE, raw_response_hook=recorder):
            pass

    async def _properties(self, name: str) -> dict[str, Any]:
        """Repository properties the way they were read before: the SDK's model, timestamps back to ISO strings."""
        props = await self.client.get_repository_properties(name)

        def iso(value: Any) -> str | None:
            return None if value is None else value.isoformat().replace("+00:00", "Z")

        return {"createdTime": iso(props.created_on), "lastUpdateTime": iso(props.last_updated_on),
                "manifestCount": props.manifest_count, "tagCount": props.tag_count,
                "changeableAttributes": {"deleteEnabled": props.can_delete, "writeEnabled": props.can_write,
                                         "readEnabled": props.can_read, "listEnabled": props.can_list}}


@pytest.fixture(scope="module")
def demo() -> Snapshot:
    return load_demo()


@pytest.fixture
def state(demo: Snapshot) -> FakeRegistry:
    state = demo_state(demo)
    # Names the serializer must quote, and enough manifests and tags for several pages.
    for i in range(7):
        state.push_image("team/web app", [f"v{i}", f"tag+{i}"], layers=[(f"web-{i}", 10 + i)])
    return state


@pytest.fixture
def server(state: FakeRegistry) -> Iterator[Any]:
    with serve_fake_acr(state, port=0) as srv:
        yield srv


def listing_requests(srv: Any) -> Counter[tuple[Any, ...]]:
    """The manifest and tag listing requests the fake saw (any order: the scan is concurrent)."""
    return Counter((r.method, r.path, tuple(sorted(r.query.items())), r.status) for r in srv.requests
                   if r.path.endswith(("/_manifests", "/_tags")) and "/_deleted/" not in r.path)


def collect_both(srv: Any, demo: Snapshot, monkeypatch: pytest.MonkeyPatch,
                 state: FakeRegistry | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The snapshot and listing requests of the raw path, then of the SDK path, from the same fake."""
    out = []
    for scanner in (DataPlaneScanner, SdkListingScanner):
        if state is not None and state.replay.throttles:
            for t in state.replay.throttles:  # each run meets the same throttle afresh
                t.refusals, t.window_end = 2, None
        monkeypatch.setattr(live, "DataPlaneScanner", scanner)
        srv.reset_log()
        result = live.collect(options(srv, demo))
        snapshot = snapshot_to_dict(result.snapshot)
        # Paging records and errors are kept in the order listings finish, which the concurrent scan does not fix
        # (on either path).
        if snapshot.get("listings"):
            snapshot["listings"]["records"].sort(key=lambda r: (r["listing"], r.get("repository") or ""))
        snapshot["errors"].sort(key=lambda e: json.dumps(e, sort_keys=True))
        # Repository timestamps: the raw path keeps ACR's string, the SDK's model kept a datetime (microseconds at
        # most); compared as instants.
        for repo in snapshot.get("repositories") or ():
            for key in ("createdTime", "lastUpdateTime"):
                if repo.get(key) is not None:
                    repo[key] = datetime.fromisoformat(repo[key]).isoformat()
        out.append({"snapshot": snapshot, "requests": listing_requests(srv),
                    "throttled": result.stats.throttled})
    return out[0], out[1]


@pytest.mark.parametrize("page_size", [2, 100])
def test_raw_listings_collect_the_same_snapshot_as_the_sdk(server: Any, demo: Snapshot, page_size: int,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dataplane, "PAGE_SIZE", page_size)
    raw, sdk = collect_both(server, demo, monkeypatch)
    assert raw == sdk
    web = next(r for r in raw["snapshot"]["repositories"] if r["name"] == "team/web app")
    assert len(web["manifests"]) == 7 and len(web["tags"]) == 14
    pages = sum(n for (_m, path, _q, status), n in raw["requests"].items() if status == 200 and "web app" in path)
    assert pages == (4 + 7 if page_size == 2 else 2)  # manifests in ceil(7/2) pages, tags in ceil(14/2)
    assert all("n" in dict(q) for (_m, _p, q, _s) in raw["requests"])


@pytest.mark.parametrize("fault", ["repeat", "truncate"])
def test_inconsistent_listings_are_recorded_alike(server: Any, demo: Snapshot, state: FakeRegistry, fault: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dataplane, "PAGE_SIZE", 2)
    state.faults = Faults(listing_fault=fault, path_pattern=r"/_(manifests|tags)$")
    raw, sdk = collect_both(server, demo, monkeypatch)
    assert raw == sdk
    records = raw["snapshot"]["listings"]["records"]
    assert any(r.get("repository") == "team/web app" and not r["complete"] for r in records)


def test_refused_listings_fail_alike(server: Any, demo: Snapshot, state: FakeRegistry,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A 401 (the SDK maps it to ClientAuthenticationError) and a 403 give the same collection errors."""
    state.denied_actions.add(("team/web app", "metadata_read"))
    state.faults = Faults(error_rate_5xx=1.0, error_status=403, path_pattern=r"/_tags$")
    raw, sdk = collect_both(server, demo, monkeypatch)
    assert raw == sdk
    errors = raw["snapshot"]["errors"]
    assert {(e.get("operation"), e.get("status")) for e in errors} >= {("list_tags", 403), ("list_manifests", 401)}


def test_a_throttled_listing_is_retried_alike(server: Any, demo: Snapshot, state: FakeRegistry,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    state.replay = Replay(throttles=[ReplayedThrottle(
        frozenset({"GET"}), "manifests", "team/web app", "TOOMANYREQUESTS", "slow down", retry_after=0.2,
        refusals=2)])
    raw, sdk = collect_both(server, demo, monkeypatch, state)
    assert raw == sdk
    assert raw["throttled"] >= 1  # then the throttle's window (0.2 s) has passed: the retry gets through
