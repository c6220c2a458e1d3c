"""Live collection of the schema-2 parts against the fake ACR: what the fake was seeded with comes back.

The fake is seeded from a builder snapshot holding a row of every part (``FakeRegistry.from_snapshot``), the real
SDK clients read it over loopback HTTPS, and each collected part must equal the seeded one. A refused read leaves
its part out with the error recorded; a listing that ends early or pages inconsistently is recorded incomplete.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from acrdoctor.builder import SnapshotBuilder
from acrdoctor.clock import clock_at
from acrdoctor.collect import dataplane
from acrdoctor.collect.live import LiveOptions, Target, collect, parts_for
from acrdoctor.controls import RoleDefinition, RolePermission
from acrdoctor.model import Part, Policy, Snapshot
from acrdoctor.testing import AsyncFakeCredential, FakeCredential, FakeRegistry, Faults, serve_fake_acr
from acrdoctor.testing._controls import task_yaml

OID = "9a1b2c3d-0000-4000-8000-000000000001"
ACR_DELETE = "c2f4ef07-c644-48eb-af81-4b1b4947fb11"  # the built-in AcrDelete role's GUID
PURGE = "acr purge --filter 'team/web:.*' --untagged --ago 7d"
CONTROL_PARTS = frozenset({Part.RESOURCE_LOCKS, Part.ROLE_ASSIGNMENTS, Part.TOKENS, Part.TASKS, Part.CACHE_RULES,
                           Part.CONNECTED_REGISTRIES, Part.DELETED_ARTIFACTS, Part.LISTINGS})


def seeded() -> Snapshot:
    b = SnapshotBuilder("contoso", sku="Premium")
    # The policies' lastUpdatedTime in acrdoctor's stamp form: the collector normalises ARM's seven digits to it.
    b.registry(soft_delete_policy=Policy("enabled", 7, "2026-10-01T08:00:00.000000Z"),
               retention_policy=Policy("disabled", 7, "2026-09-01T08:00:00.000000Z"))
    web = b.repository("team/web")
    web.image(["v1"], layers=[("base", 1000), ("web-1", 10)])
    web.image(["v2"], layers=[("base", 1000), ("web-2", 20)])
    b.repository("team/api").image(["latest"], layers=[("api-1", 30)])
    b.lock("keep-registry", "CanNotDelete", "registry", notes="production")
    b.lock("group-readonly", "ReadOnly", "resourceGroup")
    b.lock("subscription-guard", "CanNotDelete", "subscription")
    b.caller("entra", OID, "User", "alice@fake.example")
    definition = RoleDefinition(
        f"/subscriptions/{b._registry.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{ACR_DELETE}",
        "AcrDelete", (RolePermission(actions=("Microsoft.ContainerRegistry/registries/artifacts/delete",)),),
        "BuiltInRole")
    b.role_assignment("AcrDelete", ACR_DELETE, scope="registry", definition=definition)
    b.role_assignment("AcrDelete", ACR_DELETE, scope="subscription",
                      condition="@Resource[Microsoft.ContainerRegistry/registries/repositories:name] "
                                "StringStartsWith 'team/'")
    b.token("ci", "ci-map", ["repositories/team/web/content/read", "repositories/team/web/content/delete"])
    b.task("nightly-purge", [PURGE], schedule="0 1 * * *", task_yaml=task_yaml([PURGE]),
           identity_type="SystemAssigned", identity_principal_ids=("5e1f0000-0000-4000-8000-00000000aaaa",),
           source_registry_login_mode="Default")
    b.cache_rule("hub-nginx", "docker.io/library/nginx", "cache/nginx")
    b.connected_registry("edge", "ReadOnly", connection_state="Online", provisioning_state="Succeeded",
                         sync_token_id=f"{b._registry.id}/tokens/edge-sync", client_token_ids=(f"{b._registry.id}"
                                                                                               "/tokens/ci",))
    b.soft_deleted("team/web", "sha256:" + "d" * 64, size=1234, tags=("old",), age_days=2)
    b.soft_deleted("gone/app", "sha256:" + "e" * 64, size=99, age_days=3)
    b.set_usage()
    return b.build()


def options(srv, snap: Snapshot, parts: frozenset[Part] = CONTROL_PARTS, identity: str = "alice",
            **kw) -> LiveOptions:
    reg = snap.registry
    return LiveOptions(
        target=Target(reg.name), subscription=reg.subscription_id, resource_group=reg.resource_group,
        arm_endpoint=srv.arm_endpoint, connection_verify=srv.ca_pem,
        credential=FakeCredential(identity, object_id=OID),
        async_credential=AsyncFakeCredential(identity, object_id=OID),
        clock=clock_at(snap.collected_at), parts=parts_for_parts(parts), **kw)


def parts_for_parts(parts: frozenset[Part]) -> frozenset[Part]:
    class _Wants:
        needs = parts
        uses: frozenset[Part] = frozenset()

    return parts_for([_Wants])  # type: ignore[list-item]


@pytest.fixture(scope="module")
def snap() -> Snapshot:
    return seeded()


@pytest.fixture
def state(snap: Snapshot) -> FakeRegistry:
    return FakeRegistry.from_snapshot(snap)


@pytest.fixture
def server(state: FakeRegistry) -> Iterator:
    with serve_fake_acr(state, port=0) as srv:
        yield srv


def test_every_seeded_part_comes_back(snap: Snapshot, server) -> None:
    live = collect(options(server, snap)).snapshot
    assert live.errors == ()
    assert live.partial == frozenset()
    assert live.resource_locks == snap.resource_locks
    assert live.access is not None and snap.access is not None
    assert live.access.caller == snap.access.caller
    no_ids = [replace(r, id=None) for r in live.access.role_assignments or ()]
    assert sorted(no_ids, key=lambda r: r.scope) == sorted(snap.access.role_assignments or (), key=lambda r: r.scope)
    assert all(r.id and "/roleAssignments/" in r.id for r in live.access.role_assignments or ())
    assert live.access.role_definitions == snap.access.role_definitions
    assert live.tokens == snap.tokens
    assert live.scope_maps == snap.scope_maps
    assert live.tasks == snap.tasks
    assert live.tasks and live.tasks[0].commands == (PURGE,)
    assert live.cache_rules == snap.cache_rules
    assert live.connected_registries == snap.connected_registries
    assert sorted(live.deleted_artifacts or (), key=lambda d: d.digest) == sorted(
        snap.deleted_artifacts or (), key=lambda d: d.digest)
    assert live.listings is not None and live.listings.checked
    assert [(r.listing, r.complete, r.items) for r in live.listings.records] == [("catalog", True, 2)]
    assert live.registry.retention_policy == snap.registry.retention_policy


def test_only_the_parts_asked_for_are_read(snap: Snapshot, server) -> None:
    server.reset_log()
    live = collect(options(server, snap, parts=frozenset({Part.RESOURCE_LOCKS}))).snapshot
    assert live.resource_locks == snap.resource_locks
    assert (live.access, live.tokens, live.tasks, live.cache_rules, live.deleted_artifacts, live.listings) == (
        None, None, None, None, None, None)
    paths = [r.path for r in server.requests]
    assert not [p for p in paths if not p.startswith("/subscriptions/")], "no data-plane request"
    assert len([p for p in paths if p.lower().endswith("/providers/microsoft.authorization/locks")]) == 3


def test_a_refused_read_is_recorded_and_its_part_left_out(snap: Snapshot, state: FakeRegistry, server) -> None:
    state.faults = Faults(error_rate_5xx=1.0, error_status=403, path_pattern=r"/tasks|/cacheRules")
    live = collect(options(server, snap)).snapshot
    assert live.tasks is None and live.cache_rules is None
    assert {e.part for e in live.errors} >= {Part.TASKS.value, Part.CACHE_RULES.value}
    assert live.tokens == snap.tokens  # the others are still read


def test_locks_read_at_only_some_scopes_are_partial(snap: Snapshot, state: FakeRegistry, server) -> None:
    state.faults = Faults(error_rate_5xx=1.0, error_status=403,
                          path_pattern=r"^/subscriptions/[^/]+/providers/Microsoft\.Authorization/locks$")
    live = collect(options(server, snap, parts=frozenset({Part.RESOURCE_LOCKS}))).snapshot
    assert Part.RESOURCE_LOCKS in live.partial
    # The registry's and the group's scopes answered: their locks are there, as a lower bound.
    assert live.resource_locks is not None
    assert {lk.scope for lk in live.resource_locks} == {"registry", "resourceGroup", "subscription"}
    assert [e.operation for e in live.errors if e.part == Part.RESOURCE_LOCKS.value] == ["list_locks"]


def test_no_lock_scope_answering_leaves_locks_not_collected(snap: Snapshot, state: FakeRegistry, server) -> None:
    state.faults = Faults(error_rate_5xx=1.0, error_status=403, path_pattern=r"/locks$")
    live = collect(options(server, snap, parts=frozenset({Part.RESOURCE_LOCKS}))).snapshot
    assert live.resource_locks is None
    assert Part.RESOURCE_LOCKS not in live.partial


def test_a_lock_on_a_sibling_resource_does_not_apply(snap: Snapshot, state: FakeRegistry, server) -> None:
    state.add_lock("other", "CanNotDelete", f"{state.scope_id('resourceGroup')}/providers/Microsoft.Storage/"
                                            "storageAccounts/logs")
    live = collect(options(server, snap, parts=frozenset({Part.RESOURCE_LOCKS}))).snapshot
    assert live.resource_locks == snap.resource_locks


def test_a_caller_without_assignments_has_an_empty_list(snap: Snapshot, server) -> None:
    opts = options(server, snap, parts=frozenset({Part.ROLE_ASSIGNMENTS}))
    opts.credential = FakeCredential("bob", principal_type="ServicePrincipal")
    live = collect(opts).snapshot
    assert live.access is not None
    assert live.access.caller.kind == "entra" and live.access.caller.principal_type == "ServicePrincipal"
    assert live.access.role_assignments == ()


def test_soft_delete_disabled_means_none_deleted_without_asking(snap: Snapshot, state: FakeRegistry,
                                                                server) -> None:
    state.policies["softDeletePolicy"]["status"] = "disabled"
    server.reset_log()
    live = collect(options(server, snap, parts=frozenset({Part.DELETED_ARTIFACTS}))).snapshot
    assert live.deleted_artifacts == ()
    assert not [r for r in server.requests if "/_deleted/" in r.path]


@pytest.mark.parametrize("fault", ["truncate", "repeat"])
def test_a_listing_that_ends_inconsistently_is_recorded_incomplete(snap: Snapshot, state: FakeRegistry,
                                                                   server, fault: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(5):
        state.push_image("team/web", [f"extra{i}"], layers=[(f"extra-{i}", 5)])
    state.faults = Faults(listing_fault=fault, path_pattern=r"/_tags$")
    opts = options(server, snap, parts=frozenset({Part.LISTINGS, Part.TAGS}))
    monkeypatch.setattr(dataplane, "PAGE_SIZE", 2)
    live = collect(opts).snapshot
    assert live.listings is not None
    bad = live.listings.incomplete()
    assert [(r.listing, r.repository) for r in bad] == [("tags", "team/web")]
    rec = bad[0]
    assert rec.expected == 7 and rec.items == 2
    assert rec.reason and ("repeated" in rec.reason if fault == "repeat" else "listed 2 of the 7" in rec.reason)
    # A stopped listing is known to be short: the tags part is partial. A listing shorter than the count is only
    # recorded, since the count may have moved during the scan.
    assert (Part.TAGS.value in live.partial) is (fault == "repeat")
    catalog = [r for r in live.listings.records if r.listing == "catalog"]
    assert catalog and catalog[0].complete


def test_truncated_catalog_without_counts_still_records_its_pages(snap: Snapshot, state: FakeRegistry,
                                                                  server, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(4):
        state.push_image(f"more/r{i}", ["v1"], layers=[(f"more-{i}", 5)])
    state.faults = Faults(listing_fault="repeat", path_pattern=r"_catalog$")
    monkeypatch.setattr(dataplane, "PAGE_SIZE", 2)
    live = collect(options(server, snap, parts=frozenset({Part.LISTINGS}))).snapshot
    assert live.listings is not None
    catalog = [r for r in live.listings.records if r.listing == "catalog"]
    assert catalog and not catalog[0].complete and catalog[0].pages == 2 and catalog[0].items == 2
    assert Part.REPOSITORIES.value in live.partial


def test_a_refused_deleted_listing_leaves_the_others_and_marks_the_part_partial(snap: Snapshot, state: FakeRegistry,
                                                                               server) -> None:
    state.faults = Faults(error_rate_5xx=1.0, error_status=403, path_pattern=r"^/acr/v1/_deleted/gone/")
    live = collect(options(server, snap, parts=frozenset({Part.DELETED_ARTIFACTS}))).snapshot
    assert Part.DELETED_ARTIFACTS.value in live.partial
    assert [d.repository for d in live.deleted_artifacts or ()] == ["team/web"]
    assert [(e.part, e.repository, e.operation) for e in live.errors] == [
        ("deleted_artifacts", "gone/app", "list_deleted_manifests")]


def test_tasks_without_a_yaml_step_keep_their_step_type(snap: Snapshot, state: FakeRegistry, server) -> None:
    state.add_task("build", step_type="Docker", login_mode=None)
    state.add_task("from-git", step_type="FileTask", source_identity="[system]",
                   identity_type="SystemAssigned, UserAssigned", principal_ids=["sys-1", "user-1", "user-2"])
    live = collect(options(server, snap, parts=frozenset({Part.TASKS}))).snapshot
    tasks = {t.name: t for t in live.tasks or ()}
    assert (tasks["build"].step_type, tasks["build"].commands, tasks["build"].task_yaml) == ("Docker", (), None)
    git = tasks["from-git"]
    assert (git.step_type, git.commands, git.source_registry_identity) == ("FileTask", (), "[system]")
    assert (git.identity_type, git.identity_principal_ids) == ("SystemAssigned, UserAssigned",
                                                               ("sys-1", "user-1", "user-2"))


def test_the_main_demo_serves_and_collects_its_controls() -> None:
    """Whatever rows the main demo carries come back from a fake seeded with it (the YAML the fake writes for a
    task given only by its commands is the one thing a snapshot may not have)."""
    from acrdoctor.demo import load_demo

    demo = load_demo()
    state = FakeRegistry.from_snapshot(demo)
    state.client_ip = "198.51.100.7"  # inside the demo registry's ipRules
    with serve_fake_acr(state, port=0) as srv:
        reg = demo.registry
        live = collect(LiveOptions(
            target=Target(reg.name), subscription=reg.subscription_id, resource_group=reg.resource_group,
            arm_endpoint=srv.arm_endpoint, connection_verify=srv.ca_pem, credential=FakeCredential(),
            async_credential=AsyncFakeCredential(), clock=clock_at(demo.collected_at),
            parts=parts_for_parts(CONTROL_PARTS))).snapshot
    for field in ("resource_locks", "tokens", "scope_maps", "cache_rules", "connected_registries"):
        assert getattr(live, field) == getattr(demo, field), field
    assert sorted((replace(t, task_yaml=None) for t in live.tasks or ()), key=lambda t: t.name) == sorted(
        (replace(t, task_yaml=None) for t in demo.tasks or ()), key=lambda t: t.name)
    assert sorted(live.deleted_artifacts or (), key=lambda d: d.digest) == sorted(
        demo.deleted_artifacts or (), key=lambda d: d.digest)


def test_a_quarantined_body_is_refused_to_a_scan_without_quarantine_reader(snap: Snapshot, state: FakeRegistry,
                                                                          server) -> None:
    digest = state.repositories["team/api"].tags["latest"].digest
    state.repositories["team/api"].manifests[digest].quarantine_state = "Quarantined"
    state.policies["quarantinePolicy"]["status"] = "enabled"
    parts = frozenset({Part.MANIFEST_BODIES})
    live = collect(options(server, snap, parts=parts)).snapshot
    assert [(e.part, e.repository, e.status, e.code) for e in live.errors] == [
        ("manifest_bodies", "team/api", 405, "REGISTRY_DISALLOWED_OPERATION")]
    assert Part.MANIFEST_BODIES.value in live.partial
    state.quarantine_readers = {"alice"}
    assert collect(options(server, snap, parts=parts)).snapshot.errors == ()


def test_every_repository_refusing_its_deleted_listing_is_one_error(snap: Snapshot, state: FakeRegistry,
                                                                     server) -> None:
    state.denied_actions = {(repo, "deleted_read") for repo in ("team/web", "team/api", "gone/app")}
    live = collect(options(server, snap, parts=frozenset({Part.DELETED_ARTIFACTS}))).snapshot
    assert live.deleted_artifacts is None
    assert [(e.part, e.repository, e.status, e.operation) for e in live.errors] == [
        ("deleted_artifacts", None, 401, "list_deleted_manifests")]


@pytest.mark.parametrize("sent", ["2026-09-01T08:00:00.0000000+00:00", "2026-09-01T08:00:00+00:00",
                                  "2026-09-01T10:00:00.000+02:00"])
def test_a_policys_last_update_is_written_in_one_form_whatever_the_wire_sent(sent: str) -> None:
    from acrdoctor.collect.arm_shapes import registry_section

    section = registry_section({"name": "contoso", "policies": {"retentionPolicy": {
        "status": "enabled", "days": 7, "lastUpdatedTime": sent}}})
    assert section["policies"]["retentionPolicy"]["lastUpdatedTime"] == "2026-09-01T08:00:00.000000Z"
