"""``acrdoctor fix`` through the Azure SDKs, replayed from cassettes in ``cassettes/test_fix_cassettes/``.

Every kind of action acrdoctor applies is run through its applier's ``apply()`` and read back with ``observe()``,
then a whole plan is run with :func:`acrdoctor.fix.run.execute`, once straight through and once interrupted
and resumed from its journal. The cassettes were recorded from the fake ACR (``acrdoctor.testing``) serving
the demo registry, with the SDK clients exactly as :func:`acrdoctor.fix.sdk.connect` opens them; the
recording and scrubbing configuration is the collector cassettes' one (``tests/collect/conftest.py``).
Re-record with ``pytest tests/collect/test_fix_cassettes.py --record-mode=rewrite``; replay (the default)
opens no socket, ``--block-network`` passes.

Replay and recording assert the same things, and only through what the clients read back (``observe()``,
the step outcomes, the journal): in replay there is no server whose state or request log could be looked at.
The plans are made from the demo snapshot itself (``load_demo()``), which is what the fake serves (its
digests are kept as they are, ``state.digest_map`` is the identity), so no collection traffic is recorded;
the whole-plan test first checks that every step's expected state is what the registry shows.

Request matching is vcrpy's default (method, scheme, host, port, path, query) with no override, and no
change to the library was needed:

- identical requests (a ``GET`` of a manifest's properties before and after its delete, the 401 and the
  retried request) replay in the order they were recorded, each once (``allow_playback_repeats`` stays off).
  A request sent more often than recorded fails in replay, and the ``clients`` fixture fails a test that
  left recorded requests unasked (vcrpy does not check that by itself);
- the random parts of URLs come from earlier *responses*: the blob upload ``Location`` (an upload id) and
  the ``Location`` of a long-running ARM operation (an operation id) are read from the replayed response, so
  the follow-up request asks for exactly the recorded URL. Only a re-recording changes those ids;
- request bodies (the registry ``PATCH``, the uploaded blobs, the token forms) are not matched on: the
  assertions on the state read back afterwards are what check that the right change was sent;
- whole plans run with ``concurrency=1``: with several workers the order of requests, and so which of two
  identical requests draws the recorded 401, would change from run to run (tests/fix covers the pool);
- ``polling_interval=0`` on the clients and the ``Retry-After`` header dropped by the scrubbing keep the
  replayed long-running operations from sleeping; ``retry_total=0`` keeps a failure from being retried;
- the data-plane client reuses one access token per scope (``SyncTokenReusePolicy``, which ``connect()``
  installs), so a scope pays one 401 and one token request, not every call. The fake's tokens are opaque (no
  JWT ``exp``), and so is ``REDACTED`` in replay: a cached token is kept until a 401 in both modes, and the
  request sequence does not depend on the clock.

A change to the requests the fix code sends (another SDK call, a different token policy, a different plan for
the demo) makes replay fail with vcrpy's ``CannotOverwriteExistingCassetteException``: re-record then.

One local addition to the shared configuration (:func:`vcr_config`): uploaded blob and manifest streams are
recorded as their bytes (:func:`plain_body`) rather than as a pickled ``BytesIO``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from vcr.request import Request

from acrdoctor.actions import (
    AddNetworkRule,
    DeleteManifest,
    DeletePrivateEndpointConnection,
    DeleteRepository,
    ImportPlaceholder,
    RegistryRef,
    SetAttributes,
    SetPublicNetworkAccess,
    SetRetentionPolicy,
)
from acrdoctor.collect.live import Target
from acrdoctor.demo import load_demo
from acrdoctor.engine import Catalogue
from acrdoctor.fix.appliers import apply, observe
from acrdoctor.fix.journal import Journal, read_journal
from acrdoctor.fix.model import FixPlan, Step
from acrdoctor.fix.placeholder import PLACEHOLDER_DIGEST
from acrdoctor.fix.plan import make_plan
from acrdoctor.fix.run import EXIT_DONE, execute, start_journal
from acrdoctor.fix.sdk import FixClients, connect
from acrdoctor.fix.state import network_state, planned_state, retention_state
from acrdoctor.model import Snapshot
from acrdoctor.testing import FakeCredential, FakeRegistry
from tests.collect.conftest import CASSETTES, FakeAcr, normalize_request, recording

ALLOWED_IP = "198.51.100.7"  # inside the demo registry's ipRules (198.51.100.0/24)
NEW_IP = "203.0.113.9"  # a caller outside them, let in by AddNetworkRule
#: The checks whose fixes the whole-plan tests apply: unlocks (and relocks), private endpoint deletes, the
#: orphaned repository's placeholder and delete, and the dangling manifest deletes.
PLAN_CHECKS = ("locked-artifacts", "private-endpoints-block-registry-delete", "empty-repository",
               "dangling-manifests")
ORPHAN = "legacy/mailhog"


def plain_body(request: Request) -> Request:
    """Record an uploaded stream (a blob ``PATCH``, a manifest ``PUT``) as its bytes.

    vcrpy keeps a file-like request body file-like, and the cassette then holds a pickled
    ``!!python/object/new:_io.BytesIO`` that only an unsafe YAML loader reads back (and that the secret check
    in :func:`normalize_request` cannot look into). vcrpy applies this filter when it records and when it looks
    a request up in replay; bodies are not matched on, so only what is written changes.
    """
    body = request.body
    if hasattr(body, "read"):
        return Request(request.method, request.uri, body.read(), request.headers)
    return request


@pytest.fixture(scope="module")
def vcr_config(vcr_config: dict[str, Any]) -> dict[str, Any]:
    """The collector cassettes' configuration (``tests/collect/conftest.py``), with stream bodies as bytes."""
    return {**vcr_config, "before_record_request": [plain_body, normalize_request]}


@pytest.fixture(scope="module")
def demo() -> Snapshot:
    return load_demo()


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load(plugins=False)


@pytest.fixture
def clients(vcr: Any, demo: Snapshot, fake_acr: Callable[[FakeRegistry], FakeAcr],
            pytestconfig: pytest.Config) -> Iterator[FixClients]:
    """The demo registry served (recording) or replayed, and the fix clients ``connect()`` opens on it.

    ``vcr`` (the cassette) is requested so that it is in place when ``connect()`` reads the registry. In
    replay every recorded interaction must have been asked for again by the end of the test: vcrpy does not
    check that, and a write that is no longer sent would otherwise go unnoticed, since the read after it
    still gets the recorded answer.
    """
    state = FakeRegistry.from_snapshot(demo)
    state.client_ip = ALLOWED_IP  # the firewall (default action Deny) lets the data plane in
    # The demo's resource-group lock would refuse the private endpoint connection delete (ScopeLocked), as in
    # tests/fix/conftest.py: these tests apply whole plans, the lock is tested where it is planned for.
    state.locks.clear()
    acr = fake_acr(state)
    reg = demo.registry
    c = connect(Target(reg.name), subscription=reg.subscription_id, resource_group=reg.resource_group,
                arm_endpoint=acr.arm_endpoint, connection_verify=acr.connection_verify, credential=FakeCredential(),
                polling_interval=0, retry_total=0)
    yield c
    c.close()
    if not recording(pytestconfig):
        assert vcr.all_played, f"{len(vcr) - vcr.play_count} of {len(vcr)} recorded requests were not sent"


def ref(demo: Snapshot) -> RegistryRef:
    return RegistryRef(demo.registry.name, demo.registry.resource_group)


def repository(demo: Snapshot, name: str) -> Any:
    return next(r for r in demo.repositories or () if r.name == name)


def plan_of(demo: Snapshot, catalogue: Catalogue) -> FixPlan:
    return make_plan(demo, catalogue, PLAN_CHECKS, relock=True)


# -- one action of each kind ---------------------------------------------------------------------------------


@pytest.mark.vcr
def test_set_attributes_unlocks_and_relocks_a_repository_a_manifest_and_a_tag(demo: Snapshot,
                                                                              clients: FixClients) -> None:
    locked_manifest = next(m for m in repository(demo, "apps/payments-api").manifests
                           if m.attributes.blocks_delete)
    targets = [SetAttributes(ref(demo), "apps/orders-api"),  # deleteEnabled=false on the repository
               SetAttributes(ref(demo), "apps/payments-api", digest=locked_manifest.digest),  # both flags off
               SetAttributes(ref(demo), "apps/web", tag="prod")]  # writeEnabled=false on the tag
    for unlock in targets:
        before = observe(unlock, clients)
        assert before == planned_state(unlock, demo), unlock.subject()
        assert before["present"] and not (before["write_enabled"] and before["delete_enabled"]), "not locked"
        assert unlock.settled(before) is None

        assert apply(unlock, clients) == "flags set"
        after = observe(unlock, clients)
        assert after == {**before, "write_enabled": True, "delete_enabled": True}
        assert unlock.settled(after) == "the flags are already set"

        relock = SetAttributes(unlock.registry, unlock.repository, unlock.digest, unlock.tag,
                               write_enabled=before["write_enabled"], delete_enabled=before["delete_enabled"])
        assert relock.settled(after) is None
        apply(relock, clients)
        assert observe(relock, clients) == before


@pytest.mark.vcr
def test_delete_manifest_removes_a_dangling_manifest_and_nothing_else(demo: Snapshot, clients: FixClients) -> None:
    web = repository(demo, "apps/web")
    dangling = next(m for m in web.manifests if not m.tags and not m.is_index and not m.subject)
    action = DeleteManifest(ref(demo), "apps/web", dangling.digest)
    listed = clients.repository_state("apps/web")
    assert listed["manifests"] == sorted(m.digest for m in web.manifests)
    before = observe(action, clients)
    assert before == planned_state(action, demo) == {"present": True, "write_enabled": True,
                                                     "delete_enabled": True, "tags": []}

    assert apply(action, clients) == "deleted"
    after = observe(action, clients)
    assert after == {"present": False}
    assert action.settled(after) == "the manifest no longer exists"
    now = clients.repository_state("apps/web")
    assert now["manifests"] == sorted(set(listed["manifests"]) - {dangling.digest})
    assert now["tags"] == listed["tags"]


@pytest.mark.vcr
def test_placeholder_then_repository_delete_removes_the_orphaned_repository(demo: Snapshot,
                                                                            clients: FixClients) -> None:
    placeholder = ImportPlaceholder(ref(demo), ORPHAN)
    delete = DeleteRepository(ref(demo), ORPHAN)
    names = clients.repository_names()
    assert names == {r.name for r in demo.repositories or ()}
    orphaned = observe(placeholder, clients)
    assert orphaned == planned_state(placeholder, demo) == {"present": True, "manifests": [], "tags": []}
    assert placeholder.settled(orphaned) is None and delete.settled(orphaned) is None

    assert apply(placeholder, clients) == f"pushed placeholder {ORPHAN}:{placeholder.tag} ({PLACEHOLDER_DIGEST})"
    filled = observe(placeholder, clients)
    assert filled == {"present": True, "manifests": [PLACEHOLDER_DIGEST], "tags": [placeholder.tag]}
    assert placeholder.settled(filled) == "the placeholder is already there"

    assert apply(delete, clients) == "deleted; gone from the catalog"
    gone = observe(delete, clients)
    assert gone == {"present": False}
    assert delete.settled(gone) == "the repository is not in the catalog"
    assert clients.repository_names() == names - {ORPHAN}


@pytest.mark.vcr
def test_delete_private_endpoint_connection_waits_for_the_long_running_operation(demo: Snapshot,
                                                                                 clients: FixClients) -> None:
    names = sorted(p.name for p in demo.private_endpoint_connections or ())
    assert len(names) == 2
    actions = [DeletePrivateEndpointConnection(ref(demo), n) for n in names]
    assert [observe(a, clients) for a in actions] == [planned_state(a, demo) for a in actions] == \
        [{"present": True}] * 2

    first, second = actions
    assert apply(first, clients) == "deleted (long-running operation completed)"
    assert observe(first, clients) == {"present": False}  # gone once the poller returned, not later
    assert observe(second, clients) == {"present": True}  # only the named connection
    assert first.settled(observe(first, clients)) == "the connection no longer exists"
    apply(second, clients)
    assert observe(second, clients) == {"present": False}


@pytest.mark.vcr
def test_add_network_rule_keeps_the_rules_there_are(demo: Snapshot, clients: FixClients) -> None:
    action = AddNetworkRule(ref(demo), ip=NEW_IP)
    before = observe(action, clients)
    assert before == planned_state(action, demo) == network_state(demo.registry)
    assert before["default_action"] == "Deny" and NEW_IP not in before["ip_rules"]
    assert action.settled(before) is None

    assert apply(action, clients) == f"{NEW_IP} allowed"
    after = observe(action, clients)
    assert after == {**before, "ip_rules": sorted([*before["ip_rules"], NEW_IP])}
    assert action.settled(after) == f"{NEW_IP} is already allowed"


@pytest.mark.vcr
def test_set_retention_policy(demo: Snapshot, clients: FixClients) -> None:
    # The demo has a 7-day policy enabled (and soft delete too, which the fake's PATCH does not object to).
    current = SetRetentionPolicy(ref(demo), enabled=True, days=7)
    before = observe(current, clients)
    assert before == planned_state(current, demo) == retention_state(demo.registry) == {"status": "enabled",
                                                                                      "days": 7}
    assert current.settled(before) == "already set"

    longer = SetRetentionPolicy(ref(demo), enabled=True, days=30)
    assert longer.settled(before) is None
    assert apply(longer, clients) == "retention policy enabled (30 days)"
    assert observe(longer, clients) == {"status": "enabled", "days": 30}

    off = SetRetentionPolicy(ref(demo), enabled=False, days=30)
    apply(off, clients)
    after = observe(off, clients)
    assert after == {"status": "disabled", "days": 30}
    assert off.settled(after) == "already set" and longer.settled(after) is None


@pytest.mark.vcr
def test_set_public_network_access(demo: Snapshot, clients: FixClients) -> None:
    disable = SetPublicNetworkAccess(ref(demo), enabled=False)
    before = observe(disable, clients)
    assert before == planned_state(disable, demo) == network_state(demo.registry)
    assert before["public_network_access"] == "Enabled" and before["default_action"] == "Deny"
    assert disable.settled(before) is None

    assert apply(disable, clients) == "set"
    disabled = observe(disable, clients)
    assert disabled == {**before, "public_network_access": "Disabled"}
    assert disable.settled(disabled) == "already set"

    # Enabled again, with the firewall's default action opened: the IP rules stay as they were.
    enable = SetPublicNetworkAccess(ref(demo), enabled=True, default_action="Allow")
    assert enable.settled(disabled) is None
    apply(enable, clients)
    after = observe(enable, clients)
    assert after == {**before, "public_network_access": "Enabled", "default_action": "Allow"}
    assert enable.settled(after) == "already set"


# -- whole plans ----------------------------------------------------------------------------------------------


def assert_plan_holds(plan: FixPlan, clients: FixClients) -> None:
    """The registry is what the plan was made from: every step observes exactly the state it expects."""
    for step in plan.steps:
        if step.expect is not None:
            assert observe(step.action, clients) == step.expect, step.subject


def assert_applied(steps: Iterable[Step], clients: FixClients) -> None:
    """Read each step's object back: relocked flags as they were, everything else settled (done or gone)."""
    for step in steps:
        state = observe(step.action, clients)
        if step.phase == "unlock":  # --relock put the flags back
            assert state == step.expect, step.subject
        else:
            assert step.action.settled(state), (step.subject, state)


def kinds(plan: FixPlan) -> Counter[str]:
    return Counter(type(s.action).__name__ for s in plan.steps)


@pytest.mark.vcr
def test_a_whole_plan_is_applied(demo: Snapshot, catalogue: Catalogue, clients: FixClients, tmp_path: Path) -> None:
    plan = plan_of(demo, catalogue)
    assert set(kinds(plan)) == {"SetAttributes", "DeleteManifest", "DeletePrivateEndpointConnection",
                                "ImportPlaceholder", "DeleteRepository"}
    assert {s.phase for s in plan.steps} == {"unlock", "endpoints", "placeholder", "delete", "relock"}
    assert_plan_holds(plan, clients)

    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    start_journal(journal, plan, "--yes", resumed=False)
    run = execute(plan, clients, journal, catalogue, concurrency=1)
    journal.close()

    assert not run.applied.stopped
    assert {n: o.result for n, o in run.applied.outcomes.items()} == {s.number: "done" for s in plan.steps}
    assert run.exit_code == EXIT_DONE
    assert_applied(plan.steps, clients)
    assert ORPHAN not in clients.repository_names()
    saved = read_journal(path)
    assert saved.finished and saved.succeeded() == {s.number for s in plan.steps} and not saved.interrupted


@pytest.mark.vcr
def test_an_interrupted_plan_resumes_from_its_journal(demo: Snapshot, catalogue: Catalogue, clients: FixClients,
                                                      tmp_path: Path) -> None:
    plan = plan_of(demo, catalogue)  # test_a_whole_plan_is_applied checks that it matches the registry
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    start_journal(journal, plan, "--yes", resumed=False)
    stop_at = next(s.number for s in plan.steps if isinstance(s.action, DeleteManifest)) + 2

    def interrupt(step: Any, outcome: Any) -> None:
        if step.number == stop_at:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        execute(plan, clients, journal, catalogue, on_step=interrupt, concurrency=1)
    journal.close()
    with path.open("a") as fh:  # a torn last line, as if the process was killed mid-write
        fh.write('{"time": "2026-')
    saved = read_journal(path)
    first = set(range(1, stop_at + 1))  # all done: the check against the plan found nothing changed
    assert not saved.finished and saved.torn_lines == 1
    assert saved.succeeded() == first and {r["result"] for r in saved.results.values()} == {"done"}
    finished_deletes = {plan.step(n).subject for n in first if plan.step(n).phase == "delete"}
    assert len(finished_deletes) == 3

    journal = Journal(path)
    start_journal(journal, saved.plan, "--yes", resumed=True)
    run = execute(saved.plan, clients, journal, catalogue, done=saved.results, resumed=True, concurrency=1)
    journal.close()

    assert run.exit_code == EXIT_DONE, run.applied.outcomes
    outcomes = run.applied.outcomes
    assert set(outcomes) == {s.number for s in plan.steps}
    # The steps finished before the interruption are carried over from the journal, not run again ...
    assert all(outcomes[n].result == "done" and outcomes[n].detail.endswith("(earlier run)") for n in first)
    # ... and every other step ran now and had work to do: none was found already done by an earlier run.
    assert Counter(o.result for n, o in outcomes.items() if n not in first) == {"done": len(plan.steps) - stop_at}
    # The journal of the resumed run starts only the steps left: no finished delete was sent again.
    events = read_journal(path).events
    resumed = events[next(i for i, e in enumerate(events) if e["event"] == "resume"):]
    started = [e["step"] for e in resumed if e["event"] == "start"]
    assert started == [s.number for s in plan.steps if s.number not in first]
    assert not finished_deletes & {e["object"] for e in resumed if e["event"] == "start"}
    assert read_journal(path).finished
    # What the interrupted run did and the resumed one relied on is still done (the unlocks relocked).
    assert_applied([plan.step(n) for n in sorted(first)], clients)
    assert ORPHAN not in clients.repository_names()


def test_every_fix_cassette_is_recorded_and_none_is_stale() -> None:
    """One cassette per ``vcr`` test here, and no cassette left over from a renamed or removed test."""
    tests = {name for name, fn in globals().items() if name.startswith("test_")
             and any(m.name == "vcr" for m in getattr(fn, "pytestmark", ()))}
    assert len(tests) == 9
    assert {p.stem for p in (CASSETTES / "test_fix_cassettes").glob("*.yaml")} == tests
