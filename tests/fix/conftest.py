"""Fixtures for ``acrdoctor fix``: the demo registry served by the fake ACR, and SDK clients pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from acrdoctor.clock import EPOCH, clock_at
from acrdoctor.collect.live import LiveOptions, Target, collect
from acrdoctor.demo import load_demo
from acrdoctor.engine import Catalogue
from acrdoctor.fix.model import FixPlan
from acrdoctor.fix.plan import make_plan
from acrdoctor.fix.sdk import FixClients, connect
from acrdoctor.model import Snapshot
from acrdoctor.testing import AsyncFakeCredential, FakeAcrServer, FakeCredential, FakeRegistry, serve_fake_acr

ALLOWED_IP = "198.51.100.7"  # inside the demo registry's ipRules (198.51.100.0/24)
#: Every check whose fix acrdoctor applies, named so the plan holds every kind of action.
EVERYTHING = ("locked-artifacts", "network-access-denied", "private-endpoints-block-registry-delete",
              "empty-repository", "dangling-manifests")


@pytest.fixture(scope="session")
def demo() -> Snapshot:
    return load_demo()


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return Catalogue.load(plugins=False)


@pytest.fixture
def state(demo: Snapshot) -> FakeRegistry:
    st = FakeRegistry.from_snapshot(demo)
    st.client_ip = ALLOWED_IP
    # The demo's resource-group lock: the fake answers ScopeLocked to the private endpoint connection delete, as ARM
    # does under a CanNotDelete lock. These tests apply whole plans; the lock is tested where it is planned for.
    st.locks.clear()
    return st


@pytest.fixture
def srv(state: FakeRegistry) -> Iterator[FakeAcrServer]:
    with serve_fake_acr(state, port=0) as server:
        yield server


def live_options(srv: FakeAcrServer, demo: Snapshot, **kw: Any) -> LiveOptions:
    reg = demo.registry
    return LiveOptions(target=Target(reg.name), subscription=reg.subscription_id, resource_group=reg.resource_group,
                       arm_endpoint=srv.arm_endpoint, connection_verify=srv.ca_pem, credential=FakeCredential(),
                       async_credential=AsyncFakeCredential(), clock=clock_at(demo.collected_at or EPOCH), **kw)


@pytest.fixture
def read(srv: FakeAcrServer, demo: Snapshot) -> Callable[..., Snapshot]:
    """Collect the served registry now (optionally only some repositories)."""

    def read_now(repositories: tuple[str, ...] = ()) -> Snapshot:
        return collect(live_options(srv, demo, repositories=repositories)).snapshot

    return read_now


@pytest.fixture
def clients(srv: FakeAcrServer, demo: Snapshot) -> Iterator[FixClients]:
    reg = demo.registry
    c = connect(Target(reg.name), subscription=reg.subscription_id, resource_group=reg.resource_group,
                arm_endpoint=srv.arm_endpoint, connection_verify=srv.ca_pem, credential=FakeCredential(),
                polling_interval=0, retry_total=0)
    yield c
    c.close()


def interrupted_journal(read: Callable[..., Snapshot], clients: FixClients, catalogue: Catalogue,
                        path: Path) -> FixPlan:
    """Plan the served registry, confirm it into a journal at ``path`` and stop with Ctrl-C after step 4."""
    from acrdoctor.fix.journal import Journal
    from acrdoctor.fix.run import execute, start_journal

    plan = make_plan(read(), catalogue)
    journal = Journal(path)
    start_journal(journal, plan, "--yes", resumed=False)

    def stop(step: Any, outcome: Any) -> None:
        if step.number == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        execute(plan, clients, journal, catalogue, on_step=stop, concurrency=1)  # one at a time: stops at 4
    journal.close()
    return plan


def plan_everything(snapshot: Snapshot, catalogue: Catalogue, **kw: Any):
    return make_plan(snapshot, catalogue, EVERYTHING, **kw)


def writes(server: FakeAcrServer) -> list[tuple[str, str]]:
    """Every request that could change something and was not turned away for want of a token."""
    return [(r.method, r.path) for r in server.requests
            if r.method in ("PUT", "PATCH", "DELETE", "POST") and not r.path.startswith("/oauth2/")
            and r.status != 401]

