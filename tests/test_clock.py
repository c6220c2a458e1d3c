""""Now" is an input: collection stamps the clock it is given, and the suite can run at any date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from acrdoctor.builder import SnapshotBuilder
from acrdoctor.clock import clock_at, fixed_clock, iso_stamp, system_clock
from acrdoctor.collect.live import LiveOptions, Target, collect
from acrdoctor.engine import diagnose
from acrdoctor.testing import AsyncFakeCredential, FakeCredential, FakeRegistry, serve_fake_acr
from acrdoctor.times import parse_time


def test_fixed_clock_is_aware_and_stamps_round_trip() -> None:
    clock = fixed_clock(datetime(2031, 5, 6, 7, 8, 9, 123456))
    assert clock().tzinfo is UTC
    assert parse_time(iso_stamp(clock())) == datetime(2031, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    assert clock_at("2031-05-06T07:08:09Z")() == datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    with pytest.raises(ValueError, match="not an ISO 8601"):
        clock_at("yesterday")


def test_system_clock_follows_a_moved_clock() -> None:
    with time_machine.travel(datetime(2040, 1, 1, tzinfo=UTC), tick=False):
        assert system_clock() == datetime(2040, 1, 1, tzinfo=UTC)


def _registry() -> SnapshotBuilder:
    b = SnapshotBuilder(sku="Premium")
    repo = b.repository("team/app")
    repo.image(["v1"], layers=[("base", 1000)])
    repo.image([], layers=[("old", 500)], age_days=3)  # untagged, 3 days before the builder's "now"
    return b


@pytest.mark.parametrize("years", [0, 1, 10])
def test_live_collection_stamps_the_injected_clock_whatever_the_date(years: int) -> None:
    """A live collection judged at the recorded moment finds what the recording finds, on any calendar day."""
    snap = _registry().build()
    reg = snap.registry
    state = FakeRegistry.from_snapshot(snap)
    state.grant(FakeCredential().object_id, "AcrDelete")  # the live scan reads its roles; the snapshot has none
    with time_machine.travel(datetime.now(UTC) + timedelta(days=365 * years), tick=True), \
            serve_fake_acr(state, port=0) as srv:
        live = collect(LiveOptions(
            target=Target(reg.name), subscription=reg.subscription_id, resource_group=reg.resource_group,
            arm_endpoint=srv.arm_endpoint, connection_verify=srv.ca_pem, credential=FakeCredential(),
            async_credential=AsyncFakeCredential(), clock=clock_at(snap.collected_at or ""))).snapshot
    assert parse_time(live.collected_at) == parse_time(snap.collected_at)
    keyed = {(f.check, f.message) for f in diagnose(live).findings()}
    assert keyed == {(f.check, f.message) for f in diagnose(snap).findings()}
