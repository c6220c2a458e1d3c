"""The bundled demo registry: reproducible, valid, complete, and carrying every planted problem.

The per-check assertions live in each check's tests; here the demo's *data* is pinned, so a change to
the demo that silently removes a failure mode fails loudly.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

import jsonschema

from acrdoctor import demo
from acrdoctor.builder import OCI_MANIFEST
from acrdoctor.check_api import Status
from acrdoctor.demo import load_demo
from acrdoctor.engine import diagnose
from acrdoctor.model import Part, Snapshot
from acrdoctor.snapshot_io import schema, snapshot_to_dict
from acrdoctor.storage import StorageIndex


def shipped_text() -> str:
    return resources.files("acrdoctor.data").joinpath("demo-snapshot.json").read_text("utf-8")


def repo(s: Snapshot, name: str):  # type: ignore[no-untyped-def]
    (r,) = [r for r in s.repositories or () if r.name == name]
    return r


def test_shipped_json_is_what_build_demo_produces() -> None:
    assert json.loads(shipped_text()) == snapshot_to_dict(demo.build_demo())


def test_regenerating_writes_the_shipped_bytes(tmp_path: Path) -> None:
    out = tmp_path / "demo.json"
    assert demo.main([str(out)]) == 0
    assert out.read_text("utf-8") == shipped_text()


def test_build_is_deterministic() -> None:
    assert demo.build_demo() == demo.build_demo()


def test_demo_validates_against_the_schema() -> None:
    jsonschema.Draft202012Validator(schema()).validate(json.loads(shipped_text()))


def test_every_part_is_collected_and_no_check_is_skipped() -> None:
    s = load_demo()
    assert all(s.has(p) for p in Part)
    assert not s.partial
    assert StorageIndex(s).complete
    results = diagnose(s, catalogue=None).results
    assert results
    assert [r.slug for r in results if r.status in (Status.SKIPPED, Status.ERRORED)] == []


def test_registry_settings_carry_the_network_retention_and_storage_problems() -> None:
    s = demo.build_demo()
    reg = s.registry
    assert (reg.name, reg.resource_group, reg.sku) == ("contoso", "rg-contoso-prod", "Premium")
    assert reg.network_rule_set is not None and reg.network_rule_set.default_action == "Deny"
    assert reg.network_rule_set.ip_rules
    assert reg.retention_policy is not None and reg.retention_policy.enabled and reg.retention_policy.days == 7
    assert reg.soft_delete_policy is not None and reg.soft_delete_policy.enabled
    assert sorted(p.status or "" for p in s.private_endpoint_connections or ()) == ["Approved", "Pending"]
    assert [r.location for r in s.replications or ()] == ["northeurope"]
    size = s.usage_named("Size")
    assert size is not None and size.limit
    dedup = StorageIndex(s).deduplicated_total()
    assert size.current > dedup * 1.2  # reclaim still pending: well above what live manifests hold


def test_recorded_errors_match_the_wire_shapes() -> None:
    by_status = {e.status: e for e in demo.build_demo().errors}
    denied = by_status[403]
    assert denied.code == "DENIED" and "client with IP '203.0.113.42' is not allowed access" in denied.message
    unauth = by_status[401]
    assert (unauth.code, unauth.operation, unauth.repository) == ("UNAUTHORIZED", "delete_repository",
                                                                  "team-b/scratch")
    assert unauth.detail == ({"Type": "repository", "Name": "team-b/scratch", "Action": "delete"},)
    assert unauth.message.startswith("authentication required, visit https://aka.ms/acr/authorization")
    throttled = by_status[429]
    assert (throttled.code, throttled.retry_after) == ("TOOMANYREQUESTS", 60.0)


def test_empty_repository_and_locks_at_every_level() -> None:
    s = demo.build_demo()
    mailhog = repo(s, "legacy/mailhog")
    assert (mailhog.manifest_count, mailhog.tag_count) == (0, 0)
    assert not repo(s, "platform/base-images").attributes.write_enabled
    orders = repo(s, "apps/orders-api").attributes
    assert orders.write_enabled and not orders.delete_enabled
    assert any(m.attributes.blocks_delete for m in repo(s, "apps/payments-api").manifests or ())
    assert any(t.attributes.blocks_delete for t in repo(s, "apps/web").tags or ())


def test_storage_shape_dangling_shared_and_old_untagged_oci() -> None:
    s = demo.build_demo()
    index = StorageIndex(s)
    dangling = index.dangling()
    assert len(dangling) >= 8
    assert index.freed_by(dangling) > 500_000_000  # unique layers: dangling bytes are real
    # A popular base layer of tens of MB is held by at least four repositories.
    holders: dict[int, set[str]] = {}
    for r in s.repositories or ():
        for m in r.manifests or ():
            for b in m.blob_indexes():
                holders.setdefault(b, set()).add(r.name)
    assert any(len(h) >= 4 and s.blobs[b].size >= 20_000_000 for b, h in holders.items())
    now = datetime.fromisoformat((s.collected_at or "").replace("Z", "+00:00"))
    old_oci = [m for _, m in dangling if m.media_type == OCI_MANIFEST and not m.subject
               and datetime.fromisoformat((m.updated or "").replace("Z", "+00:00")) < now - timedelta(days=7)]
    assert len(old_oci) >= 3


def test_indexes_broken_complete_and_an_orphaned_referrer() -> None:
    s = demo.build_demo()
    broken, complete = [], []
    for r in s.repositories or ():
        have = r.manifest_by_digest()
        for m in r.manifests or ():
            if m.references:
                (complete if all(c in have for c in m.references) else broken).append((r.name, m))
            if m.subject and m.subject not in have:
                assert r.name == "apps/payments-api"
    assert [(n, m.tags) for n, m in broken] == [("tools/ci-runner", ("1.8",))]
    assert len(complete) >= 2 and all(m.tags for _, m in complete)
    payments = repo(s, "apps/payments-api")
    have = payments.manifest_by_digest()
    assert sum(1 for m in payments.manifests or () if m.subject and m.subject not in have) == 1
    assert sum(1 for m in payments.manifests or () if m.subject and m.subject in have) >= 2
