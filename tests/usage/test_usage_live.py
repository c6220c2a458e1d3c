"""acrdoctor usage against a live registry (the fake ACR on loopback): it only reads, and its figures are those of
the same registry read offline."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from acrdoctor.demo import load_demo
from acrdoctor.model import Snapshot
from acrdoctor.testing import AsyncFakeCredential, FakeCredential, FakeRegistry, serve_fake_acr
from acrdoctor.usage import build_usage
from acrdoctor.usage.render_data import report_to_dict

#: Inside the demo firewall's allowed range, so the scan is not refused.
ALLOWED_IP = "198.51.100.7"


@pytest.fixture(scope="module")
def demo() -> Snapshot:
    return load_demo(None)


@pytest.fixture
def server(demo: Snapshot) -> Iterator:
    state = FakeRegistry.from_snapshot(demo)
    state.client_ip = ALLOWED_IP
    state.quarantine_readers = {"alice"}
    with serve_fake_acr(state, port=0) as srv:
        yield srv


def test_live_usage_reads_only_and_equals_the_offline_figures(demo: Snapshot, server,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import acrdoctor.azure.session as session
    from acrdoctor.cli import cli

    monkeypatch.setattr(session, "credentials", lambda opts: (FakeCredential(), AsyncFakeCredential()))
    server.reset_log()
    result = CliRunner().invoke(cli, [
        "usage", "--registry", "contoso", "--subscription", demo.registry.subscription_id or "", "-g",
        demo.registry.resource_group or "", "--arm-endpoint", server.arm_endpoint, "--ca-file", server.ca_pem,
        "--no-cache", "--quiet", "-o", "json", "--top", "100"])
    assert result.exit_code in (0, 3), result.output
    assert {r.method for r in server.requests} <= {"GET", "HEAD", "POST"}
    live = json.loads(result.stdout)
    offline = report_to_dict(build_usage(demo, top=100))
    # Ages and the older-than candidates depend on when it was read (the clock); bytes and counts do not. Every
    # candidate is listed (--top 100), so older-than ones cannot push the others out of the list.
    for key in ("deduplicated_bytes", "image_size_sum", "shared_bytes", "dangling_manifests", "dangling_freed_bytes",
                "manifests", "tags", "repositories"):
        assert live["totals"][key] == offline["totals"][key], key
    assert live["totals"]["service_bytes"] == offline["totals"]["service_bytes"]
    fields = ("name", "total_bytes", "exclusive_bytes", "shared_bytes", "dangling_freed_bytes", "dangling_bytes",
              "manifests", "tags", "shared_with")
    # The catalog lists repositories in its own order.
    assert sorted(({f: r[f] for f in fields} for r in live["repositories"]), key=lambda r: r["name"]) == sorted(
        ({f: r[f] for f in fields} for r in offline["repositories"]), key=lambda r: r["name"])
    whole = {(i["kind"], i["repository"]): i["freed_bytes"] for i in live["candidates"]["items"]
             if i["kind"] != "older-than"}
    assert whole == {(i["kind"], i["repository"]): i["freed_bytes"] for i in offline["candidates"]["items"]
                     if i["kind"] != "older-than"}
