"""A registry with many dangling manifests for the bulk-delete tests, served by the fake, and a plan for it.

Shared by tests/fix/test_bulk.py (in-process) and tests/fix/kill_driver.py (the process that gets killed).
"""

from __future__ import annotations

from typing import Any

from acrdoctor.clock import clock_at
from acrdoctor.collect.live import LiveOptions, Target, collect
from acrdoctor.engine import Catalogue
from acrdoctor.fix.model import FixPlan
from acrdoctor.fix.plan import make_plan
from acrdoctor.fix.sdk import FixClients, connect
from acrdoctor.testing import AsyncFakeCredential, FakeAcrServer, FakeCredential, FakeRegistry

NOW = "2026-01-15T12:00:00Z"


def bulk_state(repos: int = 4, per_repo: int = 40) -> FakeRegistry:
    """``repos`` repositories of ``per_repo`` images; every tenth is tagged, the others dangle."""
    state = FakeRegistry(name="bulkacr", sku="Standard", resource_group="rg-bulk")
    for r in range(repos):
        name = f"team/service{r}"
        for i in range(per_repo):
            tags = [f"1.{i}.0"] if i % 10 == 9 else []
            state.push_image(name, tags, [(f"{name}-base", 2_000_000), (f"{name}-app-{i}", 10_000 + i)],
                             config=(f"{name}-config-{i}", 1_000 + i))
    return state


def endpoints(srv: FakeAcrServer, state: FakeRegistry) -> dict[str, Any]:
    return {"arm_endpoint": srv.arm_endpoint, "ca_pem": srv.ca_pem, "name": state.name,
            "subscription": state.subscription_id, "resource_group": state.resource_group}


def plan_for(info: dict[str, Any]) -> FixPlan:
    opts = LiveOptions(target=Target(info["name"]), subscription=info["subscription"],
                       resource_group=info["resource_group"], arm_endpoint=info["arm_endpoint"],
                       connection_verify=info["ca_pem"], credential=FakeCredential(),
                       async_credential=AsyncFakeCredential(), clock=clock_at(NOW))
    return make_plan(collect(opts).snapshot, Catalogue.load(plugins=False))


def clients_for(info: dict[str, Any], **kw: Any) -> FixClients:
    return connect(Target(info["name"]), subscription=info["subscription"], resource_group=info["resource_group"],
                   arm_endpoint=info["arm_endpoint"], connection_verify=info["ca_pem"], credential=FakeCredential(),
                   polling_interval=0, **kw)
