"""Applying fix plans to the fake ACR through the real SDK clients: every action, changes, errors, resume."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from acrdoctor.actions import DeleteManifest, DeletePrivateEndpointConnection, DeleteRepository, SetAttributes
from acrdoctor.fix.appliers import apply, observe
from acrdoctor.fix.apply import apply_plan
from acrdoctor.fix.journal import Journal, read_journal
from acrdoctor.fix.model import FixPlan
from acrdoctor.fix.placeholder import PLACEHOLDER_DIGEST
from acrdoctor.fix.run import EXIT_CHANGED, EXIT_DONE, EXIT_INCOMPLETE, execute, start_journal
from acrdoctor.fix.sdk import ApplyError
from acrdoctor.fix.state import planned_state
from acrdoctor.testing import Faults, Throttle
from tests.fix.conftest import plan_everything, writes


def _deleted(plan: FixPlan) -> set[tuple[str, str]]:
    return {(s.action.repository, s.action.digest) for s in plan.steps if isinstance(s.action, DeleteManifest)}


def _manifests(state) -> set[tuple[str, str]]:
    return {(r.name, d) for r in state.repositories.values() for d in r.manifests}


def test_every_action_observes_what_the_plan_predicts(srv, read, clients, catalogue) -> None:
    """The state read from the snapshot and the state read back live have one shape and agree."""
    plan = plan_everything(read(), catalogue, relock=True, enable_retention=True, caller_ip="203.0.113.9")
    kinds = {type(s.action).__name__ for s in plan.steps}
    assert {"SetAttributes", "DeletePrivateEndpointConnection", "ImportPlaceholder", "DeleteManifest",
            "DeleteRepository", "AddNetworkRule"} <= kinds
    for step in plan.steps:
        if step.expect is not None:
            assert observe(step.action, clients) == step.expect, step.subject


def test_applying_everything_changes_exactly_the_plan(srv, state, read, clients, catalogue, tmp_path: Path) -> None:
    before = read()
    plan = plan_everything(before, catalogue, relock=True, caller_ip="203.0.113.9")
    manifests_before = _manifests(state)
    journal = Journal(tmp_path / "j.jsonl")
    start_journal(journal, plan, "--yes", resumed=False)
    run = execute(plan, clients, journal, catalogue, recollect=lambda repos: read(repos))
    journal.close()

    assert {o.result for o in run.applied.outcomes.values()} == {"done"}, run.applied.outcomes
    # Nothing outside the plan was deleted, and everything in it was.
    assert manifests_before - _manifests(state) == _deleted(plan)
    assert "legacy/mailhog" not in state.repositories
    assert state.private_endpoint_connections == {}
    assert state.ip_rules == ["198.51.100.0/24", "203.0.113.9"]
    # --relock put every flag back as it was.
    for step in plan.steps:
        if step.phase == "relock":
            a = step.action
            assert isinstance(a, SetAttributes)
            assert observe(a, clients)["write_enabled"] == a.write_enabled
    # The placeholder went in through blob uploads and a manifest put, then out with the repository.
    methods = Counter(m for m, p in writes(srv) if "legacy/mailhog" in p)
    assert methods["PUT"] == 3 and methods["POST"] == 2 and methods["DELETE"] == 1
    # Private endpoint deletes were long-running operations, polled to completion.
    assert sum("/operationResults/" in r.path for r in srv.requests) >= 4
    statuses = {v.key: v.status for v in run.verification}
    assert {k for k, v in statuses.items() if v == "relocked"} == {k for k in statuses if k.startswith("locked-")}
    # The firewall finding describes a setting (default action Deny); it stays, and shows the new rule.
    network = next(v for v in run.verification if v.check == "network-access-denied")
    assert network.status == "not fixed" and "203.0.113.9" in (network.now or "")
    assert {v for k, v in statuses.items() if not k.startswith(("locked-", "network-"))} == {"fixed"}
    assert run.exit_code == EXIT_INCOMPLETE

    events = [e["event"] for e in read_journal(tmp_path / "j.jsonl").events]
    assert events.count("start") == events.count("end") == len(plan.steps)
    assert events[0] == "plan" and events[-2:] == ["verify", "finish"]


def test_running_the_same_plan_twice_changes_nothing_the_second_time(srv, read, clients, catalogue) -> None:
    plan = plan_everything(read(), catalogue)
    apply_plan(plan, clients, Journal(None))
    srv.reset_log()
    again = apply_plan(plan, clients, Journal(None))
    assert not again.stopped
    assert {o.result for o in again.outcomes.values()} == {"already"}
    assert writes(srv) == []


def test_a_registry_changed_after_planning_stops_before_any_change(srv, state, read, clients, catalogue) -> None:
    plan = plan_everything(read(), catalogue)
    target = next(s.action for s in plan.steps if isinstance(s.action, DeleteManifest))
    _tag(state, target.repository, target.digest, "hotfix")
    locked = [s.action for s in plan.steps if isinstance(s.action, DeleteManifest)][-1]
    state.repositories[locked.repository].manifests[locked.digest].attributes["deleteEnabled"] = False
    srv.reset_log()
    result = apply_plan(plan, clients, Journal(None))
    assert result.stopped
    changes = {c.subject: " ".join(c.differences) for c in result.changes}
    assert "tags: added [hotfix]" in changes[target.subject()]
    assert "delete_enabled: True when planned, now False" in changes[locked.subject()]
    assert len(changes) == 2
    # The firewall step runs before the data plane can be checked; nothing on the data plane was written.
    assert [w for w in writes(srv) if w[1].startswith(("/v2/", "/acr/"))] == []


def _tag(state, repository: str, digest: str, tag: str) -> None:
    """Point a new tag at an existing manifest, as `docker push` of the same image under a new tag does."""
    from acrdoctor.testing._state import FakeTag

    now = state.now()
    state.repositories[repository].tags[tag] = FakeTag(tag, digest, now, now)


def test_a_lock_added_between_plan_and_delete_fails_that_delete_only(srv, state, read, clients, catalogue) -> None:
    plan = plan_everything(read(), catalogue)
    deletes = [s for s in plan.steps if isinstance(s.action, DeleteManifest)]
    victim = deletes[-1].action
    first = deletes[0]

    def lock_after_first_delete(step, outcome) -> None:
        if step.number == first.number:
            state.repositories[victim.repository].manifests[victim.digest].attributes["deleteEnabled"] = False

    result = apply_plan(plan, clients, Journal(None), on_step=lock_after_first_delete, concurrency=1)
    failed = [n for n, o in result.outcomes.items() if o.result == "failed"]
    assert failed == [deletes[-1].number]
    assert "405" in result.outcomes[failed[0]].detail and "REGISTRY_DISALLOWED_OPERATION" in \
        result.outcomes[failed[0]].detail
    assert victim.digest in state.repositories[victim.repository].manifests
    assert result.count("done") == len(plan.steps) - 1


def test_a_repository_lock_added_between_plan_and_delete_fails_its_deletes_only(srv, state, read, clients,
                                                                              catalogue) -> None:
    """writeEnabled=false on the repository (acr-semantics notes, attributes fact 11) blocks every manifest in it.

    One worker: with several, a delete in the victim repository can already be in flight when the hook locks it,
    and whether it lands first is up to the scheduler (CI saw that once).
    """
    plan = plan_everything(read(), catalogue)
    deletes = [s for s in plan.steps if isinstance(s.action, DeleteManifest)]
    first = deletes[0]
    victim_repo = next(s.action.repository for s in reversed(deletes) if s.action.repository != first.action.repository)
    in_victim = [s.number for s in deletes if s.action.repository == victim_repo]

    def lock_repository_after_first_delete(step, outcome) -> None:
        if step.number == first.number:
            state.repositories[victim_repo].attributes["writeEnabled"] = False

    result = apply_plan(plan, clients, Journal(None), on_step=lock_repository_after_first_delete, concurrency=1)
    failed = sorted(n for n, o in result.outcomes.items() if o.result == "failed")
    assert failed == sorted(in_victim)
    assert all("405" in result.outcomes[n].detail for n in failed)
    kept = {s.action.digest for s in deletes if s.number in failed}
    assert kept <= set(state.repositories[victim_repo].manifests)


def test_a_repository_locked_before_a_concurrent_apply_fails_its_deletes_and_no_other(srv, state, read, clients,
                                                                                     catalogue) -> None:
    """The concurrent form of the lock case: locked before the workers start, so no timing decides the outcome."""
    plan = plan_everything(read(), catalogue)
    deletes = [s for s in plan.steps if isinstance(s.action, DeleteManifest)]
    victim_repo = deletes[-1].action.repository
    in_victim = [s.number for s in deletes if s.action.repository == victim_repo]
    state.repositories[victim_repo].attributes["writeEnabled"] = False
    result = apply_plan(plan, clients, Journal(None), concurrency=4)
    failed = sorted(n for n, o in result.outcomes.items() if o.result == "failed")
    assert failed == sorted(in_victim)
    assert all("405" in result.outcomes[n].detail for n in failed)
    assert {s.action.digest for s in deletes if s.number in failed} <= set(state.repositories[victim_repo].manifests)


@pytest.mark.parametrize("same_repository", [False, True])
def test_a_new_tag_just_before_a_delete_skips_it(srv, state, read, clients, catalogue, same_repository: bool) -> None:
    """A delete is checked against a listing of its repository; one older than ``fresh`` seconds is read again.

    In another repository the listing is taken when its first delete comes up; in the same one, ``fresh=0`` makes
    every delete re-read it (the default, 30 s, bounds the window instead).
    """
    plan = plan_everything(read(), catalogue)
    deletes = [s for s in plan.steps if isinstance(s.action, DeleteManifest)]
    per_repo = Counter(s.action.repository for s in deletes)
    trigger = next(s for s in deletes if per_repo[s.action.repository] > 1) if same_repository else deletes[0]
    victim_step = next(s for s in reversed(deletes) if s is not trigger and
                       (s.action.repository == trigger.action.repository) == same_repository)
    victim = victim_step.action

    def tag_it(step, outcome) -> None:
        if step.number == trigger.number:
            _tag(state, victim.repository, victim.digest, "pinned")

    result = apply_plan(plan, clients, Journal(None), on_step=tag_it, concurrency=1,
                        fresh=0.0 if same_repository else 30.0)
    o = result.outcomes[victim_step.number]
    assert o.result == "skipped" and "tags: added [pinned]" in o.detail
    assert victim.digest in state.repositories[victim.repository].manifests


def test_throttling_and_server_errors_fail_steps_and_the_rest_goes_on(srv, state, read, clients, catalogue) -> None:
    plan = plan_everything(read(), catalogue)
    deletes = [s for s in plan.steps if isinstance(s.action, DeleteManifest)]
    broken = deletes[1].action
    state.faults = Faults(error_rate_5xx=1.0, path_pattern=f"^/v2/{broken.repository}/manifests/{broken.digest}$")
    state.throttle = Throttle(read_per_minute=None, write_per_minute=None, delete_per_minute=600, burst=6)
    result = apply_plan(plan, clients, Journal(None))
    by_result = Counter(o.result for o in result.outcomes.values())
    assert by_result["failed"] >= 2
    details = " ".join(o.detail for o in result.outcomes.values() if o.result == "failed")
    assert "500" in details and "429" in details and "TOOMANYREQUESTS" in details
    # The repository delete depends on its placeholder only: it ran.
    repo_step = next(s for s in plan.steps if isinstance(s.action, DeleteRepository))
    assert result.outcomes[repo_step.number].result in ("done", "failed")
    assert broken.digest in state.repositories[broken.repository].manifests


def test_an_interrupted_run_resumes_from_its_journal(srv, state, read, clients, catalogue, tmp_path: Path) -> None:
    plan = plan_everything(read(), catalogue, relock=True)
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    start_journal(journal, plan, "--yes", resumed=False)
    stop_at = next(s.number for s in plan.steps if isinstance(s.action, DeleteManifest)) + 2

    def interrupt(step, outcome) -> None:
        if step.number == stop_at:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        execute(plan, clients, journal, catalogue, on_step=interrupt)
    journal.close()
    # Torn last line, as if the process was killed mid-write.
    with path.open("a") as fh:
        fh.write('{"time": "2026-')
    saved = read_journal(path)
    # Deletes already sent when Ctrl-C came finish and are journaled (out of order); nothing new starts.
    assert not saved.finished and stop_at <= len(saved.succeeded()) <= stop_at + 16
    assert not saved.interrupted, "a step was left started: the pool waits for the requests it sent"

    srv.reset_log()
    journal = Journal(path)
    start_journal(journal, saved.plan, "--yes", resumed=True)
    run = execute(saved.plan, clients, journal, catalogue, recollect=lambda repos: read(repos),
                  done=saved.results, resumed=True)
    journal.close()
    assert run.exit_code == EXIT_DONE, (run.applied.outcomes, run.verification)
    deletes = Counter(p for m, p in writes(srv) if m == "DELETE" and "/manifests/" in p)
    done_before = {plan.step(n).action.digest for n in saved.succeeded()
                   if isinstance(plan.step(n).action, DeleteManifest)}
    assert not any(d in p for p in deletes for d in done_before), "a finished delete was sent again"
    assert all(c == 1 for c in deletes.values())
    assert read_journal(path).finished


def test_resume_after_a_step_that_ran_but_was_not_journaled(srv, read, clients, catalogue, tmp_path: Path) -> None:
    """The process died after the delete but before its 'end' line: the redo finds it gone and says so."""
    plan = plan_everything(read(), catalogue)
    step = next(s for s in plan.steps if isinstance(s.action, DeleteManifest))
    apply(step.action, clients)
    result = apply_plan(plan, clients, Journal(None), resumed=True)
    assert result.outcomes[step.number].result == "already"
    assert "no longer exists" in result.outcomes[step.number].detail


def test_the_repository_delete_is_confirmed_in_the_catalog(srv, state, read, clients, catalogue) -> None:
    """The SDK's delete swallows NAME_UNKNOWN; without the placeholder the step must fail, not claim success."""
    plan = plan_everything(read(), catalogue)
    step = next(s for s in plan.steps if isinstance(s.action, DeleteRepository))
    with pytest.raises(ApplyError, match="still in the catalog"):
        apply(step.action, clients)
    assert "legacy/mailhog" in state.repositories


def test_a_failed_placeholder_keeps_the_repository_delete_from_running(srv, state, read, clients,
                                                                        catalogue) -> None:
    plan = plan_everything(read(), catalogue)
    state.faults = Faults(error_rate_5xx=1.0, path_pattern="^/v2/legacy/mailhog/blobs/uploads")
    result = apply_plan(plan, clients, Journal(None))
    place = next(s for s in plan.steps if s.phase == "placeholder")
    delete = next(s for s in plan.steps if isinstance(s.action, DeleteRepository))
    assert result.outcomes[place.number].result == "failed"
    assert result.outcomes[delete.number].result == "not-run"
    assert f"step {place.number}" in result.outcomes[delete.number].detail


def test_private_endpoint_connection_delete_is_idempotent(srv, state, clients) -> None:
    name = next(iter(state.private_endpoint_connections))
    action = DeletePrivateEndpointConnection(_ref(clients), name)
    assert observe(action, clients) == {"present": True}
    apply(action, clients)
    assert observe(action, clients) == {"present": False}
    assert action.settled(observe(action, clients)) is not None


def _ref(clients):
    from acrdoctor.actions import RegistryRef

    return RegistryRef(clients.name, clients.resource_group)


def test_placeholder_image_is_a_valid_image(srv, state, clients) -> None:
    from acrdoctor.actions import ImportPlaceholder

    digest = clients.push_placeholder("scratch/check", "t")
    assert digest == PLACEHOLDER_DIGEST
    got = clients.data.get_manifest("scratch/check", "t")
    assert got.digest == PLACEHOLDER_DIGEST
    layer = got.manifest["layers"][0]
    import gzip
    import hashlib

    from acrdoctor.fix.placeholder import PLACEHOLDER_LAYER

    assert hashlib.sha256(gzip.decompress(PLACEHOLDER_LAYER)).hexdigest() == \
        "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"  # diff_id in the config
    assert layer["size"] == len(PLACEHOLDER_LAYER)
    assert ImportPlaceholder(_ref(clients), "scratch/check", tag="t").settled(
        clients.repository_state("scratch/check")) == "the placeholder is already there"


def test_exit_codes_of_a_run(srv, state, read, clients, catalogue) -> None:
    plan = plan_everything(read(), catalogue)
    _tag(state, *next((s.action.repository, s.action.digest) for s in plan.steps
                      if isinstance(s.action, DeleteManifest)), "late")
    assert execute(plan, clients, Journal(None), catalogue).exit_code == EXIT_CHANGED
    fresh = plan_everything(read(), catalogue)
    victim = next(s.action for s in fresh.steps if isinstance(s.action, DeleteManifest))
    state.faults = Faults(error_rate_5xx=1.0, path_pattern=f"^/v2/{victim.repository}/manifests/{victim.digest}$")
    assert execute(fresh, clients, Journal(None), catalogue).exit_code == EXIT_INCOMPLETE


def test_planned_state_is_none_when_the_snapshot_lacks_the_part(demo) -> None:
    from dataclasses import replace

    bare = replace(demo, private_endpoint_connections=None)
    action = DeletePrivateEndpointConnection(_ref_for(demo), "x")
    assert planned_state(action, bare) is None


def _ref_for(snapshot):
    from acrdoctor.actions import RegistryRef

    return RegistryRef(snapshot.registry.name, snapshot.registry.resource_group)


def test_a_rule_set_patch_sends_back_every_rule_already_there() -> None:
    """Both firewall actions send the whole set: a default-action change must not drop subnet or IP rules."""
    from acrdoctor.fix.state import rule_set_body
    from acrdoctor.model import NetworkRuleSet

    rules = NetworkRuleSet("Allow", ("198.51.100.0/24",), ("/subscriptions/s/subnets/a",))
    assert rule_set_body(rules, default_action="Deny") == {
        "defaultAction": "Deny", "ipRules": [{"action": "Allow", "value": "198.51.100.0/24"}],
        "virtualNetworkRules": [{"action": "Allow", "id": "/subscriptions/s/subnets/a"}]}
    assert rule_set_body(rules, add_ip="203.0.113.9")["ipRules"][-1] == {"action": "Allow", "value": "203.0.113.9"}
    assert rule_set_body(None, add_ip="203.0.113.9") == {
        "defaultAction": "Allow", "ipRules": [{"action": "Allow", "value": "203.0.113.9"}]}
