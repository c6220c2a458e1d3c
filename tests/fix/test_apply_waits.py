"""Applying against a throttled registry: a capped wait is announced and slept; past the cap the step fails."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from acrdoctor.actions import DeleteManifest
from acrdoctor.azure.waits import Waits
from acrdoctor.collect.live import Target
from acrdoctor.fix.apply import apply_plan
from acrdoctor.fix.journal import Journal
from acrdoctor.fix.plan import make_plan
from acrdoctor.fix.sdk import FixClients, connect
from acrdoctor.testing import FakeCredential, Throttle
from tests.virtual_clock import Clock


@pytest.fixture
def clock(state) -> Clock:
    c = Clock()
    state.clock = c
    return c


def _clients(srv, demo, waits: Waits) -> FixClients:
    reg = demo.registry
    return connect(Target(reg.name), subscription=reg.subscription_id, resource_group=reg.resource_group,
                   arm_endpoint=srv.arm_endpoint, connection_verify=srv.ca_pem, credential=FakeCredential(),
                   polling_interval=0, retry_total=3, waits=waits)


@pytest.fixture
def said() -> list[str]:
    return []


def _run(srv, demo, read, catalogue, waits: Waits, state, delete_per_minute: float) -> tuple:
    plan = make_plan(read(), catalogue)
    state.throttle = Throttle(read_per_minute=None, write_per_minute=None, delete_per_minute=delete_per_minute,
                              burst=1)
    clients = _clients(srv, demo, waits)
    try:
        # One worker: these tests are about one request's retries, not about workers sharing a bucket.
        return plan, apply_plan(plan, clients, Journal(None), concurrency=1)
    finally:
        clients.close()


def test_a_retry_after_past_the_cap_fails_the_step_with_the_reason(srv, state, demo, read, catalogue, clock,
                                                                  said) -> None:
    slept: list[float] = []
    waits = Waits(max_wait=120, sleep=slept.append, say=said.append)
    plan, result = _run(srv, demo, read, catalogue, waits, state, delete_per_minute=1 / 60)  # one delete an hour
    deletes = [s for s in plan.steps if isinstance(s.action, DeleteManifest)]
    outcomes = [result.outcomes[s.number] for s in deletes]
    assert outcomes[0].result == "done"
    failed = [o for o in outcomes if o.result == "failed"]
    assert failed and all("not waiting 3600 s" in o.detail and "(Retry-After 3600)" in o.detail for o in failed)
    assert "ACR answered 429 TOOMANYREQUESTS for DELETE /v2/" in failed[0].detail
    assert slept == [] and said == []


def test_a_retry_after_under_the_cap_is_announced_and_waited_on_the_clock(srv, state, demo, read, catalogue, clock,
                                                                         said) -> None:
    waits = Waits(max_wait=120, sleep=clock.sleep, say=said.append)
    plan, result = _run(srv, demo, read, catalogue, waits, state, delete_per_minute=6)  # one delete every 10 s
    assert {o.result for o in result.outcomes.values()} == {"done"}
    deletes = sum(isinstance(s.action, DeleteManifest) for s in plan.steps)
    assert said and all(line.startswith("waiting 10 s: ACR answered 429 TOOMANYREQUESTS for DELETE ")
                        and line.endswith("(Retry-After 10)") for line in said)
    assert len(said) >= deletes - 1
    assert clock.now >= 1_000_000.0 + 10 * (deletes - 1)


@pytest.fixture(autouse=True)
def _no_real_sleep(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Nothing here may sleep for real: a wait that escaped the injected sleeper fails the test at once."""
    import time

    def refuse(seconds: float) -> None:
        raise AssertionError(f"real sleep of {seconds} s")

    monkeypatch.setattr(time, "sleep", refuse)
    yield
