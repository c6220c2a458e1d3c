"""Bulk deletes: a pool of workers at the registry's pace, one listing per repository, a journal in any order."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from acrdoctor.actions import DeleteManifest
from acrdoctor.engine import Catalogue
from acrdoctor.fix.bulk import segments
from acrdoctor.fix.journal import Journal, read_journal
from acrdoctor.fix.model import FixPlan
from acrdoctor.fix.pace import Pace
from acrdoctor.fix.run import execute, start_journal
from acrdoctor.limits import Category
from acrdoctor.testing import FakeAcrServer, FakeRegistry, Faults, Throttle, serve_fake_acr
from tests.fix.bulk_registry import bulk_state, clients_for, endpoints, plan_for
from tests.virtual_clock import Clock


@pytest.fixture
def bulk() -> Iterator[tuple[FakeRegistry, FakeAcrServer, dict[str, Any], FixPlan]]:
    state = bulk_state()
    with serve_fake_acr(state, port=0) as srv:
        info = endpoints(srv, state)
        yield state, srv, info, plan_for(info)


def _planned(plan: FixPlan) -> set[tuple[str, str]]:
    return {(s.action.repository, s.action.digest) for s in plan.steps if isinstance(s.action, DeleteManifest)}


def _present(state: FakeRegistry) -> set[tuple[str, str]]:
    return {(r.name, d) for r in state.repositories.values() for d in r.manifests}


def test_a_pool_deletes_exactly_the_plan_with_at_most_two_requests_a_step(bulk, tmp_path: Path) -> None:
    state, srv, info, plan = bulk
    before = _present(state)
    planned = _planned(plan)
    assert len(planned) == 144 and len(plan.steps) == 144
    clients = clients_for(info, retry_total=0, pace=lambda sku: Pace.for_sku(sku, max_deletes_per_minute=60_000))
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    start_journal(journal, plan, "--yes", resumed=False)
    srv.reset_log()
    run = execute(plan, clients, journal, Catalogue.load(plugins=False), concurrency=8)
    journal.close()
    sent = list(srv.requests)
    clients.close()
    assert {o.result for o in run.applied.outcomes.values()} == {"done"}
    assert _present(state) == before - planned
    deletes = Counter(r.path for r in sent if r.method == "DELETE" and r.status != 401)
    assert set(deletes) == {f"/v2/{repo}/manifests/{digest}" for repo, digest in planned}
    assert set(deletes.values()) == {1}
    # Everything the apply sent (token calls, challenges, listings, deletes), per delete step.
    assert len(sent) / len(plan.steps) <= 2.0, Counter((r.method, r.path.split("/")[1]) for r in sent)
    assert clients.pace is not None and clients.pace.requests[Category.DATAPLANE_DELETE.value] >= 144
    saved = read_journal(path)
    assert saved.succeeded() == {s.number for s in plan.steps} and not saved.interrupted
    events = [e for e in saved.events if e.get("event") in ("start", "end")]
    assert Counter(e["event"] for e in events) == {"start": 144, "end": 144}


def test_a_throttled_pool_backs_off_and_finishes(bulk) -> None:
    """The registry's bucket holds 5 where the client starts with 2 s' worth (40): the first burst draws 429s, which
    pause every worker and empty the client's buckets for good (no burst after a 429); after that the client's pace
    (the registry's rate) keeps within the bucket, so no step runs out of its 4 retries."""
    state, srv, info, plan = bulk
    state.throttle = Throttle(read_per_minute=None, write_per_minute=None, delete_per_minute=1_200, burst=5)
    clients = clients_for(info, retry_total=4, pace=lambda sku: Pace.for_sku(sku, max_deletes_per_minute=1_200))
    run = execute(plan, clients, Journal(None), Catalogue.load(plugins=False), concurrency=8)
    clients.close()
    assert {o.result for o in run.applied.outcomes.values()} == {"done"}
    assert clients.pace is not None and clients.pace.throttled >= 1
    throttled = sum(r.status == 429 for r in srv.requests)
    assert 1 <= throttled <= 24, "429s kept coming after the first pause"
    assert not _planned(plan) & _present(state)


def test_steps_split_into_bulk_runs_and_single_steps(bulk) -> None:
    plan = bulk[3]
    runs = segments(plan.steps)
    assert [(b, len(r)) for b, r in runs] == [(True, 144)]


@pytest.mark.parametrize(("sku", "deletes", "reads"), [("Standard", 500, 5_000), ("Basic", 500, 5_000),
                                                      ("Premium", 2_000, 10_000), (None, 500, 5_000)])
def test_the_buckets_are_the_documented_per_identity_limits(sku: str | None, deletes: int, reads: int) -> None:
    pace = Pace.for_sku(sku)
    assert pace.per_minute(Category.DATAPLANE_DELETE) == pytest.approx(deletes)
    assert pace.per_minute(Category.DATAPLANE_READ) == pytest.approx(reads)
    assert Pace.for_sku(sku, max_deletes_per_minute=120).per_minute(Category.DATAPLANE_DELETE) == pytest.approx(120)


def test_deletes_are_paced_at_the_rate_and_reads_are_not_held_by_them() -> None:
    clock = Clock(0.0)
    pace = Pace.for_sku("Standard", max_deletes_per_minute=60, clock=clock, sleep=clock.sleep)  # one a second
    for _ in range(12):
        pace.take("DELETE")
    # Two seconds' worth start in the bucket; the other ten wait a second each.
    assert clock.now == pytest.approx(10, abs=1e-6)
    start = clock.now
    for _ in range(50):
        pace.take("GET")
    assert clock.now == start
    assert pace.requests == {"DataplaneDelete": 12, "DataplaneRead": 50}


def test_a_429_pauses_every_bucket_at_once() -> None:
    clock = Clock(0.0)
    pace = Pace.for_sku("Premium", clock=clock, sleep=clock.sleep)
    assert pace.pause(30.0) is True
    assert pace.pause(10.0) is False  # a shorter pause from another worker changes nothing
    pace.take("GET")
    assert clock.now == pytest.approx(30)
    pace.take("DELETE")
    pace.take("PATCH")
    assert clock.now == pytest.approx(30)


def test_a_stopped_pace_refuses_every_request() -> None:
    pace = Pace.for_sku("Standard")
    pace.stop(RuntimeError("Retry-After 3600 is past the cap"))
    for method in ("GET", "DELETE", "PUT"):
        with pytest.raises(RuntimeError, match="past the cap"):
            pace.take(method)


@pytest.mark.parametrize(("sku", "deletes"), [("Premium", 2_000), ("Standard", 500), ("Basic", 500)])
def test_the_pace_follows_the_sku_arm_reports(sku: str, deletes: int) -> None:
    state = bulk_state(1, 2)
    state.sku = sku
    with serve_fake_acr(state, port=0) as srv:
        clients = clients_for(endpoints(srv, state), pace=lambda s: Pace.for_sku(s))
        clients.close()
    assert clients.pace is not None
    assert clients.pace.per_minute(Category.DATAPLANE_DELETE) == pytest.approx(deletes)


def test_the_progress_bar_shows_a_rate_a_minute() -> None:
    """The apply's bar: count, rate in the unit ACR's limits use, ETA (drawn on a terminal only)."""
    import io

    from rich.console import Console

    from acrdoctor.collect.progress import RichProgress

    out = io.StringIO()
    bar = RichProgress(Console(file=out, force_terminal=True, width=100))
    bar.start("applying", 1_000)
    for _ in range(40):
        bar.advance("applying")
        time.sleep(0.005)
    bar._bar.refresh()
    bar.close()
    text = out.getvalue()
    assert "applying" in text and "40/1000" in text and re.search(r"[\d,]+/min", text), text[-300:]


def test_a_refused_listing_fails_its_repository_s_deletes_with_one_request(bulk) -> None:
    """A repository whose listing is refused: its deletes fail with the reason, one listing is asked for (not one per
    delete), nothing in it is deleted, and the other repositories' deletes go on."""
    state, srv, info, plan = bulk
    victim = "team/service1"
    state.faults = Faults(error_rate_5xx=1.0, error_status=403, path_pattern=f"^/acr/v1/{victim}/_manifests")
    clients = clients_for(info, retry_total=0, pace=lambda sku: Pace.for_sku(sku, max_deletes_per_minute=60_000))
    srv.reset_log()
    run = execute(plan, clients, Journal(None), Catalogue.load(plugins=False), concurrency=8)
    clients.close()
    # The check before applying reads the listing first and stops: nothing is deleted anywhere.
    assert run.applied.stopped and {c.subject.split("@")[0] for c in run.applied.changes} == {f"manifest {victim}"}
    assert not any(r.method == "DELETE" for r in srv.requests)
    listings = [r for r in srv.requests if r.path.startswith(f"/acr/v1/{victim}/_manifests") and r.status != 401]
    assert len(listings) == 1
