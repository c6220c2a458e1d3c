"""The fix planner, offline: which actions a plan holds, in which order, and which deletes its guards refuse.

Snapshots are the demo registry or small registries built with :class:`SnapshotBuilder`; nothing here talks
to a server (tests/fix/test_apply.py applies plans to the fake ACR).
"""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from acrdoctor.actions import (
    PLACEHOLDER_TAG,
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
from acrdoctor.builder import SnapshotBuilder, locked
from acrdoctor.engine import Catalogue, run_checks
from acrdoctor.errors import InputError
from acrdoctor.fix.model import PHASES, FixPlan, Step
from acrdoctor.fix.placeholder import PLACEHOLDER_DIGEST
from acrdoctor.fix.plan import DEFAULT_CHECKS, _Builder, make_plan
from acrdoctor.fix.state import planned_state
from acrdoctor.model import Attributes, CollectionError, NetworkRuleSet, Policy, Snapshot
from acrdoctor.storage import StorageIndex

EVERYTHING = ("locked-artifacts", "network-access-denied", "private-endpoints-block-registry-delete",
              "empty-repository", "dangling-manifests", "broken-index-references")
LOCKS_AND_DANGLING = ("locked-artifacts", "dangling-manifests")
GONE = "sha256:" + "d" * 64
GONE2 = "sha256:" + "e" * 64
NOW = datetime(2026, 11, 20, 10, 0, 0, tzinfo=UTC)
REF = RegistryRef("contoso", "rg-contoso")


# -- helpers ----------------------------------------------------------------------------------------------


def deleted(plan: FixPlan) -> list[str]:
    """Digests of every DeleteManifest step, in step order."""
    return [s.action.digest for s in plan.steps if isinstance(s.action, DeleteManifest)]


def steps_of(plan: FixPlan, kind: type) -> list[Step]:
    return [s for s in plan.steps if isinstance(s.action, kind)]


def only_step(plan: FixPlan, kind: type) -> Step:
    (step,) = steps_of(plan, kind)
    return step


def reason_for(plan: FixPlan, digest: str) -> str:
    """The one left-out reason given for a manifest."""
    (reason,) = [x.reason for x in plan.left_out if x.subject.endswith(f"@{digest}")]
    return reason


def everything_plan(demo: Snapshot, catalogue: Catalogue, **kw: Any) -> FixPlan:
    return make_plan(demo, catalogue, EVERYTHING, relock=True, caller_ip="203.0.113.9", now=NOW, **kw)


# -- 1. default checks ------------------------------------------------------------------------------------


def test_default_checks_plan_only_storage_cleanups(demo: Snapshot, catalogue: Catalogue) -> None:
    # The demo has everything the other checks would act on: locks, a Deny firewall with a recorded denial,
    # private endpoints and a policy to switch. None of it may be touched without naming the check.
    assert any(r.attributes.blocks_delete for r in demo.repositories or ())
    assert demo.registry.network_rule_set is not None and demo.registry.network_rule_set.default_action == "Deny"
    assert demo.private_endpoint_connections
    plan = make_plan(demo, catalogue)
    assert plan.checks == DEFAULT_CHECKS == ("empty-repository", "dangling-manifests")
    kinds = {type(s.action) for s in plan.steps}
    assert kinds == {ImportPlaceholder, DeleteManifest, DeleteRepository}
    for forbidden in (SetAttributes, DeletePrivateEndpointConnection, AddNetworkRule, SetPublicNetworkAccess,
                      SetRetentionPolicy):
        assert not steps_of(plan, forbidden), forbidden
    assert {s.phase for s in plan.steps} == {"placeholder", "delete"}
    assert plan.manual == () and plan.left_out == ()
    assert {k.split(" ")[0] for s in plan.steps for k in s.findings} == set(DEFAULT_CHECKS)
    assert plan.options["relock"] is False and plan.options["enable_retention"] is False


def test_the_placeholder_goes_in_before_the_empty_repository_is_deleted(demo: Snapshot,
                                                                        catalogue: Catalogue) -> None:
    plan = make_plan(demo, catalogue)
    placeholder = only_step(plan, ImportPlaceholder)
    delete = only_step(plan, DeleteRepository)
    assert placeholder.action.repository == delete.action.repository == "legacy/mailhog"
    assert placeholder.phase == "placeholder" and delete.phase == "delete"
    assert placeholder.number < delete.number
    assert delete.after == (placeholder.number,)
    assert delete.allow == {"manifests": [PLACEHOLDER_DIGEST], "tags": [PLACEHOLDER_TAG]}
    # The repository goes after every manifest delete of the phase.
    assert delete.number == max(s.number for s in plan.steps if s.phase == "delete")
    assert placeholder.after == () and placeholder.allow == {}
    # Nothing is unlocked by default, so the manifest deletes wait for no earlier step.
    assert all(s.after == () for s in steps_of(plan, DeleteManifest))


def test_an_empty_check_selection_means_the_defaults(demo: Snapshot, catalogue: Catalogue) -> None:
    assert make_plan(demo, catalogue, (), now=NOW) == make_plan(demo, catalogue, None, now=NOW)


# -- 2. guards --------------------------------------------------------------------------------------------


def test_the_guard_refuses_a_child_of_a_tagged_index(catalogue: Catalogue) -> None:
    """dangling-manifests never proposes a child of a tagged index (it is reachable, so not dangling), and
    broken-index-references only proposes children that no index references: no check hands the planner
    this delete. To reach the guard itself, the delete is given to the planner's ``_Builder`` directly."""
    b = SnapshotBuilder()
    repo = b.repository("web")
    child = repo.image(architecture="amd64")
    index = repo.index([child], tags=["v1"])
    snap = b.build()

    end_to_end = make_plan(snap, catalogue, ("broken-index-references", "dangling-manifests"))
    assert end_to_end.steps == () and end_to_end.left_out == ()

    builder = _Builder(snap, snap, None, None)
    builder.add(DeleteManifest(REF, "web", child.digest), "test web")
    builder.guard_deletes()
    assert builder.actions == {}
    (out,) = builder.left_out
    assert out.subject == f"manifest web@{child.digest}" and out.finding == "test web"
    assert out.reason == f"a child of index {index.digest}, which stays"


def test_an_untagged_index_under_a_tagged_index_is_not_deleted(catalogue: Catalogue) -> None:
    """broken-index-references proposes deleting a broken index that a tag reaches through its tagged parent;
    that delete does reach the guard, which keeps it because the tagged parent stays."""
    b = SnapshotBuilder()
    repo = b.repository("tools")
    inner = repo.index([GONE, GONE2])
    outer = repo.index([inner], tags=["stable"])
    snap = b.build()
    (result,) = run_checks(snap, [catalogue.get("broken-index-references")])
    (finding,) = result.findings
    assert finding.fix is not None and finding.fix.actions == (DeleteManifest(REF, "tools", inner.digest),)

    plan = make_plan(snap, catalogue, ("broken-index-references",))
    assert deleted(plan) == []
    assert reason_for(plan, inner.digest) == f"a child of index {outer.digest}, which stays"
    assert plan.findings == ()  # nothing of the finding is planned


def test_a_child_of_a_locked_dangling_index_stays_with_it(catalogue: Catalogue) -> None:
    """dangling-manifests leaves out the locked index but proposes its unlocked child: the guard refuses it."""
    b = SnapshotBuilder()
    repo = b.repository("app")
    repo.image(["v1"])
    child = repo.image(architecture="arm64")
    index = repo.index([child], attributes=locked())
    plan = make_plan(b.build(), catalogue)
    assert deleted(plan) == []
    assert reason_for(plan, child.digest) == f"a child of index {index.digest}, which stays"
    assert index.digest not in {x.subject.rsplit("@")[-1] for x in plan.left_out}


def test_the_guard_refuses_a_referrer_of_a_tagged_subject(catalogue: Catalogue) -> None:
    """A referrer of a tagged image is kept by reachability, so no check proposes it: the guard is called
    directly, as for the child of a tagged index."""
    b = SnapshotBuilder()
    repo = b.repository("app")
    subject = repo.image(["v1"])
    sig = repo.referrer(subject)
    snap = b.build()
    assert make_plan(snap, catalogue, ("broken-index-references", "dangling-manifests")).steps == ()

    builder = _Builder(snap, snap, None, None)
    builder.add(DeleteManifest(REF, "app", sig.digest), "test app")
    builder.guard_deletes()
    assert builder.actions == {}
    (out,) = builder.left_out
    assert out.reason == f"a referrer of {subject.digest}, which stays"


def test_a_referrer_of_a_locked_dangling_subject_is_not_deleted(catalogue: Catalogue) -> None:
    """dangling-manifests proposes the unlocked signature of a locked untagged image; the guard keeps it."""
    b = SnapshotBuilder()
    repo = b.repository("app")
    repo.image(["v1"])
    subject = repo.image(attributes=locked())
    sig = repo.referrer(subject)
    plan = make_plan(b.build(), catalogue)
    assert deleted(plan) == []
    assert reason_for(plan, sig.digest) == f"a referrer of {subject.digest}, which stays"


def test_a_manifest_named_by_digest_in_in_use_is_left_out(catalogue: Catalogue) -> None:
    b = SnapshotBuilder()
    repo = b.repository("app")
    repo.image(["v1"])
    pinned = repo.image(layers=[("pinned", 10)])
    other = repo.image(layers=[("other", 20)])
    snap = b.build()
    assert set(deleted(make_plan(snap, catalogue))) == {pinned.digest, other.digest}

    in_use = f"# running pods\n{snap.registry.login_server}/app@{pinned.digest}\ndocker.io/library/nginx:1.27\n"
    plan = make_plan(snap, catalogue, in_use=in_use)
    assert deleted(plan) == [other.digest]
    reason = reason_for(plan, pinned.digest)
    assert reason.startswith("in use (") and "line 2 of --in-use" in reason
    assert f"app@{pinned.digest}" in reason
    (out,) = plan.left_out
    assert out.finding == "dangling-manifests repository app"
    assert plan.options["in_use_references"] == 1  # the nginx line names another registry
    assert plan.freed_bytes == StorageIndex(snap).freed_by([(0, other)])


def test_a_tagged_index_in_use_by_tag_is_left_out(catalogue: Catalogue) -> None:
    """broken-index-references proposes deleting a tagged broken index; a pull of its tag keeps it."""
    b = SnapshotBuilder()
    repo = b.repository("web")
    amd = repo.image(architecture="amd64")
    index = repo.index([amd, GONE], tags=["v1"])
    snap = b.build()
    # the index and the child only it lists (which its delete would leave dangling)
    assert deleted(make_plan(snap, catalogue, ("broken-index-references",))) == [index.digest, amd.digest]
    plan = make_plan(snap, catalogue, ("broken-index-references",), in_use="web:v1\n")
    assert deleted(plan) == []
    assert reason_for(plan, index.digest) == "in use (web:v1, line 1 of --in-use)"


def test_refusing_an_in_use_index_keeps_its_children_and_referrers(catalogue: Catalogue) -> None:
    """Fixpoint: the in-use index is refused first, which makes it a kept parent and a kept subject."""
    b = SnapshotBuilder()
    repo = b.repository("app")
    repo.image(["v1"])
    amd = repo.image(architecture="amd64")
    arm = repo.image(architecture="arm64")
    index = repo.index([amd, arm])
    sig = repo.referrer(index)
    loose = repo.image(layers=[("loose", 5)])
    snap = b.build()
    everything = {amd.digest, arm.digest, index.digest, sig.digest, loose.digest}
    assert set(deleted(make_plan(snap, catalogue))) == everything

    plan = make_plan(snap, catalogue, in_use=f"contoso.azurecr.io/app@{index.digest}")
    assert deleted(plan) == [loose.digest]
    assert reason_for(plan, index.digest).startswith(f"in use (contoso.azurecr.io/app@{index.digest}")
    assert reason_for(plan, amd.digest) == f"a child of index {index.digest}, which stays"
    assert reason_for(plan, arm.digest) == f"a child of index {index.digest}, which stays"
    assert reason_for(plan, sig.digest) == f"a referrer of {index.digest}, which stays"
    assert len(plan.left_out) == 4


def test_the_guard_refuses_a_delete_of_an_unknown_manifest() -> None:
    b = SnapshotBuilder()
    b.repository("app").image(["v1"])
    snap = b.build()
    builder = _Builder(snap, snap, None, None)
    builder.add(DeleteManifest(REF, "app", GONE), "test app")
    builder.add(DeleteManifest(REF, "nowhere", GONE2), "test nowhere")
    builder.guard_deletes()
    assert builder.actions == {}
    assert sorted((x.subject, x.reason) for x in builder.left_out) == [
        (f"manifest app@{GONE}", "not in the snapshot"),
        (f"manifest nowhere@{GONE2}", "not in the snapshot"),
    ]


def test_deleting_a_subject_does_not_take_an_in_use_referrer_with_it(catalogue: Catalogue) -> None:
    b = SnapshotBuilder()
    repo = b.repository("app")
    repo.image(["v1"])
    subject = repo.image()
    sig = repo.referrer(subject)
    plan = make_plan(b.build(), catalogue, in_use=f"contoso.azurecr.io/app@{sig.digest}")
    assert reason_for(plan, sig.digest).startswith("in use (")
    # Deleting the subject would remove the referrer server-side (docs/fake-acr.md; preflight's
    # blocked-but-cascaded), so the subject must stay too.
    assert subject.digest not in deleted(plan)


# -- 3. unlocking -----------------------------------------------------------------------------------------


def write_locked_repository() -> tuple[Snapshot, str]:
    b = SnapshotBuilder()
    repo = b.repository("app", Attributes(write_enabled=False, delete_enabled=True))
    repo.image(["v1"])
    old = repo.image(layers=[("old", 100)])
    b.repository("free").image(["v1"])
    return b.build(), old.digest


def test_a_dangling_manifest_in_a_locked_repository_is_deleted_after_the_unlock(catalogue: Catalogue) -> None:
    snap, old = write_locked_repository()
    plan = make_plan(snap, catalogue, LOCKS_AND_DANGLING)
    unlock = only_step(plan, SetAttributes)
    assert unlock.phase == "unlock"
    assert unlock.action == SetAttributes(REF, "app", write_enabled=True, delete_enabled=True)
    assert unlock.findings == ("locked-artifacts repository app",)
    delete = only_step(plan, DeleteManifest)
    assert delete.action.digest == old
    assert delete.findings == ("dangling-manifests repository app",)
    assert unlock.number in delete.after and unlock.number < delete.number
    assert plan.left_out == ()


def test_without_locked_artifacts_a_locked_repository_is_not_touched(catalogue: Catalogue) -> None:
    snap, old = write_locked_repository()
    for checks in (None, ("dangling-manifests",)):
        plan = make_plan(snap, catalogue, checks)
        assert old not in deleted(plan)
        assert not steps_of(plan, SetAttributes)
        assert plan.steps == ()


def test_a_locked_dangling_manifest_is_unlocked_by_digest_first(catalogue: Catalogue) -> None:
    b = SnapshotBuilder()
    repo = b.repository("app")
    repo.image(["v1"])
    pinned = repo.image(layers=[("pinned", 10)], attributes=locked(write=True))
    other = b.repository("other")
    other.image(["v1"])
    loose = other.image(layers=[("loose", 10)])
    plan = make_plan(b.build(), catalogue, LOCKS_AND_DANGLING)
    unlock = only_step(plan, SetAttributes)
    assert unlock.action == SetAttributes(REF, "app", digest=pinned.digest)
    (delete_pinned,) = [s for s in steps_of(plan, DeleteManifest) if s.action.digest == pinned.digest]
    (delete_loose,) = [s for s in steps_of(plan, DeleteManifest) if s.action.digest == loose.digest]
    assert delete_pinned.after == (unlock.number,) and unlock.number < delete_pinned.number
    # A delete in another repository does not wait for an unlock that does not concern it.
    assert delete_loose.after == ()


# -- 4. relock --------------------------------------------------------------------------------------------


def test_relock_restores_exactly_the_original_flags_after_every_delete(catalogue: Catalogue) -> None:
    snap, _ = write_locked_repository()
    assert make_plan(snap, catalogue, LOCKS_AND_DANGLING).steps[-1].phase == "delete"  # no relock unless asked
    plan = make_plan(snap, catalogue, LOCKS_AND_DANGLING, relock=True)
    unlock, relock = steps_of(plan, SetAttributes)
    assert unlock.phase == "unlock" and relock.phase == "relock"
    assert relock.action == SetAttributes(REF, "app", write_enabled=False, delete_enabled=True)
    assert relock.expect is None and relock.findings == () and relock.after == ()
    assert relock.number == len(plan.steps)
    assert relock.number > max(s.number for s in plan.steps if s.phase == "delete")
    assert relock.impact == "restores the flags it had before this plan"
    assert plan.options["relock"] is True


def test_relock_on_the_demo_puts_back_each_object_s_own_flags(demo: Snapshot, catalogue: Catalogue) -> None:
    plan = everything_plan(demo, catalogue)
    unlocks = [s for s in plan.steps if s.phase == "unlock"]
    relocks = [s for s in plan.steps if s.phase == "relock"]
    assert len(unlocks) == len(relocks) >= 3
    repos = {r.name: r for r in demo.repositories or ()}
    for unlock, relock in zip(unlocks, relocks, strict=True):
        u, r = unlock.action, relock.action
        assert isinstance(u, SetAttributes) and isinstance(r, SetAttributes)
        assert (r.repository, r.digest, r.tag) == (u.repository, u.digest, u.tag)
        repo = repos[u.repository]
        if u.digest:
            original = repo.manifest_by_digest()[u.digest].attributes
        elif u.tag:
            original = next(t.attributes for t in repo.tags or () if t.name == u.tag)
        else:
            original = repo.attributes
        assert (r.write_enabled, r.delete_enabled) == (original.write_enabled, original.delete_enabled)
        assert original.blocks_delete  # it was locked, so the relock is not a no-op
        assert relock.expect is None
    assert {s.phase for s in plan.steps[-len(relocks):]} == {"relock"}


# -- 5. retention -----------------------------------------------------------------------------------------


def premium(**registry: Any) -> Snapshot:
    b = SnapshotBuilder(sku="Premium", **registry)
    b.repository("app").image(["v1"])
    return b.build()


def test_retention_is_enabled_on_premium_without_soft_delete(catalogue: Catalogue) -> None:
    snap = premium(retention_policy=Policy("disabled", 30), soft_delete_policy=Policy("disabled", 7))
    assert not steps_of(make_plan(snap, catalogue), SetRetentionPolicy)  # only with enable_retention
    plan = make_plan(snap, catalogue, enable_retention=True)
    step = only_step(plan, SetRetentionPolicy)
    assert step.phase == "policy"
    assert step.action == SetRetentionPolicy(REF, enabled=True, days=30)  # keeps the configured days
    assert step.findings == ("retention registry contoso",)
    assert step.expect == {"status": "disabled", "days": 30}
    assert plan.left_out == () and plan.options["enable_retention"] is True


def test_retention_defaults_to_seven_days_when_no_policy_was_read(catalogue: Catalogue) -> None:
    plan = make_plan(premium(retention_policy=None, soft_delete_policy=None), catalogue, enable_retention=True)
    assert only_step(plan, SetRetentionPolicy).action.days == 7


def test_retention_is_not_planned_with_soft_delete_enabled(catalogue: Catalogue) -> None:
    snap = premium(soft_delete_policy=Policy("enabled", 7))
    plan = make_plan(snap, catalogue, enable_retention=True)
    assert not steps_of(plan, SetRetentionPolicy)
    (out,) = plan.left_out
    assert out.subject == "retention policy" and "soft delete" in out.reason


@pytest.mark.parametrize("sku", ["Basic", "Standard"])
def test_retention_is_not_planned_below_premium(catalogue: Catalogue, sku: str) -> None:
    b = SnapshotBuilder(sku=sku)
    b.repository("app").image(["v1"])
    plan = make_plan(b.build(), catalogue, enable_retention=True)
    assert not steps_of(plan, SetRetentionPolicy)
    (out,) = plan.left_out
    assert "Premium" in out.reason and sku in out.reason


def test_retention_already_enabled_adds_nothing(catalogue: Catalogue) -> None:
    plan = make_plan(premium(retention_policy=Policy("enabled", 7)), catalogue, enable_retention=True)
    assert not steps_of(plan, SetRetentionPolicy) and plan.left_out == ()


# -- 6. caller IP -----------------------------------------------------------------------------------------


def firewalled(errors: tuple[CollectionError, ...] = ()) -> Snapshot:
    b = SnapshotBuilder(sku="Premium", network_rule_set=NetworkRuleSet("Deny", ("198.51.100.0/24",)))
    repo = b.repository("app")
    repo.image(["v1"])
    repo.image(layers=[("old", 10)])
    return dataclasses.replace(b.build(), errors=errors)


NETWORK_AND_DANGLING = ("network-access-denied", "dangling-manifests")


def test_without_the_caller_ip_the_network_rule_is_a_manual_step(catalogue: Catalogue) -> None:
    plan = make_plan(firewalled(), catalogue, NETWORK_AND_DANGLING)
    assert not steps_of(plan, AddNetworkRule)
    (manual,) = plan.manual
    assert manual.finding == "network-access-denied registry contoso"
    assert "--caller-ip" in manual.reason
    assert manual.commands == (AddNetworkRule(REF).commands()[0],)
    assert "network-access-denied registry contoso" in {f.key for f in plan.findings}
    assert [s.phase for s in plan.steps] == ["delete"]


def test_with_the_caller_ip_the_network_rule_runs_first(catalogue: Catalogue) -> None:
    snap = firewalled()
    plan = make_plan(snap, catalogue, NETWORK_AND_DANGLING, caller_ip="203.0.113.9")
    assert plan.manual == ()
    first = plan.steps[0]
    assert first.number == 1 and first.phase == "network"
    assert first.action == AddNetworkRule(REF, "203.0.113.9")
    assert first.expect == {"public_network_access": "Enabled", "default_action": "Deny",
                            "ip_rules": ["198.51.100.0/24"]}
    assert [s.phase for s in plan.steps] == ["network", "delete"]


def test_a_recorded_denial_names_the_ip_without_caller_ip(catalogue: Catalogue) -> None:
    denial = CollectionError("repositories", 403, "DENIED", "client with IP '192.0.2.55' is not allowed access. "
                             "Refer https://aka.ms/acr/firewall to grant access.")
    plan = make_plan(firewalled((denial,)), catalogue, NETWORK_AND_DANGLING)
    assert plan.manual == ()
    assert plan.steps[0].action == AddNetworkRule(REF, "192.0.2.55")


# -- 7. order ---------------------------------------------------------------------------------------------


def test_steps_follow_the_phase_order(demo: Snapshot, catalogue: Catalogue) -> None:
    demo_ok = dataclasses.replace(demo, registry=dataclasses.replace(demo.registry, soft_delete_policy=None,
                                                                     retention_policy=Policy("disabled", 7)))
    plan = everything_plan(demo_ok, catalogue, enable_retention=True)
    phases = [s.phase for s in plan.steps]
    assert set(phases) == set(PHASES)  # every phase is present, so the order below says something
    assert [PHASES.index(p) for p in phases] == sorted(PHASES.index(p) for p in phases)
    assert [s.number for s in plan.steps] == list(range(1, len(plan.steps) + 1))
    # Every dependency points backwards.
    assert all(a < s.number for s in plan.steps for a in s.after)


def test_within_a_repository_referrers_go_before_indexes_before_images(catalogue: Catalogue) -> None:
    """broken-index-references (named first) hands over the orphaned images before the orphaned referrer;
    dangling-manifests adds the untagged index last. The planner re-orders them."""
    b = SnapshotBuilder()
    repo = b.repository("svc")
    repo.image(["v1"])
    amd = repo.image(architecture="amd64")
    arm = repo.image(architecture="arm64")
    orphan_sig = repo.referrer(GONE)
    child = repo.image(architecture="s390x", age_days=100)
    index = repo.index([child], age_days=100)
    snap = b.build()
    plan = make_plan(snap, catalogue, ("broken-index-references", "dangling-manifests"))
    order = deleted(plan)
    assert set(order) == {amd.digest, arm.digest, orphan_sig.digest, child.digest, index.digest}
    assert order[0] == orphan_sig.digest
    assert order[1] == index.digest
    assert set(order[2:]) == {amd.digest, arm.digest, child.digest}
    # The broken-index finding alone proposes images before the referrer: the order is the planner's.
    (result,) = run_checks(snap, [catalogue.get("broken-index-references")])
    proposed = [a.digest for f in result.findings if f.fix for a in f.fix.actions if isinstance(a, DeleteManifest)]
    assert proposed.index(orphan_sig.digest) > proposed.index(amd.digest)


def test_repositories_are_deleted_after_manifests_of_every_repository(demo: Snapshot,
                                                                      catalogue: Catalogue) -> None:
    plan = everything_plan(demo, catalogue)
    deletes = [s for s in plan.steps if s.phase == "delete"]
    kinds = [type(s.action) for s in deletes]
    assert kinds == sorted(kinds, key=lambda k: k is DeleteRepository)
    manifest_repos = [s.action.repository for s in deletes if isinstance(s.action, DeleteManifest)]
    assert manifest_repos == sorted(manifest_repos)


# -- 8. freed bytes ---------------------------------------------------------------------------------------


def test_freed_bytes_are_the_storage_index_figure_of_the_planned_deletes(demo: Snapshot,
                                                                          catalogue: Catalogue) -> None:
    for plan in (make_plan(demo, catalogue), everything_plan(demo, catalogue)):
        storage = StorageIndex(demo)
        wanted = {(s.action.repository, s.action.digest) for s in steps_of(plan, DeleteManifest)}
        entries = [(ri, m) for ri, r in enumerate(storage.repositories) for m in r.manifests or ()
                   if (r.name, m.digest) in wanted]
        assert len(entries) == len(wanted)
        assert plan.freed_bytes == storage.freed_by(entries)
        assert plan.bytes_exact is storage.complete
    assert make_plan(demo, catalogue).freed_bytes == 858089311


def test_freed_bytes_count_only_blobs_nothing_kept_uses(catalogue: Catalogue) -> None:
    b = SnapshotBuilder()
    repo = b.repository("app")
    repo.image(["v1"], layers=[("base", 1_000_000), ("app-2", 7)], config=("cfg-2", 3))
    repo.image(layers=[("base", 1_000_000), ("app-1", 2_000)], config=("cfg-1", 20))
    repo.image(layers=[("app-0", 400)], config=("cfg-0", 5))
    plan = make_plan(b.build(), catalogue)
    assert len(deleted(plan)) == 2
    assert plan.freed_bytes == 2_000 + 20 + 400 + 5


def test_a_plan_without_deletes_frees_nothing(catalogue: Catalogue) -> None:
    b = SnapshotBuilder()
    b.repository("app").image(["v1"])
    plan = make_plan(b.build(), catalogue)
    assert plan.steps == () and plan.freed_bytes == 0


# -- 9. serialisation -------------------------------------------------------------------------------------


def test_a_plan_survives_a_json_round_trip(demo: Snapshot, catalogue: Catalogue) -> None:
    plan = make_plan(demo, catalogue, (*EVERYTHING, "delete-permission", "retention-policy"), relock=True,
                     enable_retention=True, in_use="contoso.azurecr.io/apps/web:prod", now=NOW)
    # Every part of a plan is there to travel: steps of each phase, manual steps, left-out objects, options.
    assert plan.manual and plan.left_out and plan.options["in_use_references"] == 1
    assert {s.phase for s in plan.steps} == set(PHASES) - {"policy"}
    doc = json.loads(json.dumps(plan.to_dict()))
    assert doc["kind"] == "acrdoctor-fix-plan" and doc["version"] == 2
    assert any(s.get("group") == "delete-manifests" for s in doc["steps"]), "the deletes of a repository are grouped"
    again = FixPlan.from_dict(doc)
    assert again == plan
    assert again.to_dict() == plan.to_dict()
    expanded = json.loads(json.dumps(plan.to_dict(expand=True)))
    assert len(expanded["steps"]) == len(plan.steps) > len(doc["steps"])
    assert FixPlan.from_dict(expanded) == plan
    # Version 1 (every step in full) is still read.
    assert FixPlan.from_dict({**expanded, "version": 1}) == plan
    assert again.created_at == "2026-11-20T10:00:00Z"


def _valid_doc(catalogue: Catalogue) -> dict[str, Any]:
    """A single delete step first, then a group of two deletes in another repository."""
    b = SnapshotBuilder()
    repo = b.repository("app")
    repo.image(["v1"])
    repo.image(layers=[("old", 1)])
    web = b.repository("web")
    web.image(["v1"])
    web.image(layers=[("old-a", 1)])
    web.image(layers=[("old-b", 1)])
    return json.loads(json.dumps(make_plan(b.build(), catalogue, now=NOW).to_dict()))


def _group(doc: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in doc["steps"] if s.get("group") == "delete-manifests")


@pytest.mark.parametrize(("break_it", "message"), [
    (lambda d: d.update(kind="acrdoctor-report"), "not an acrdoctor fix plan"),
    (lambda d: d.update(version=3), "fix plan version 3 is not supported"),
    (lambda d: d.pop("version"), "fix plan version None is not supported"),
    (lambda d: d.pop("registry"), "the fix plan is malformed: KeyError: 'registry'"),
    (lambda d: d["steps"][0].pop("number"), "the fix plan is malformed: KeyError: 'number'"),
    (lambda d: d["steps"][0]["action"].update(kind="DropDatabase"), "unknown action kind 'DropDatabase'"),
    (lambda d: d["steps"][0]["action"].update(kind="Action"), "unknown action kind 'Action'"),
    (lambda d: d["steps"][0]["action"].pop("digest"), "action DeleteManifest in the plan is malformed"),
    (lambda d: d["findings"][0].update(extra=1), "the fix plan is malformed: TypeError"),
    (lambda d: _group(d).update(group="drop-everything"), "unknown step group 'drop-everything'"),
    (lambda d: _group(d).update(digests="sha256:abc"), "a step group in the plan needs lists of digests"),
    (lambda d: _group(d)["impacts"].pop(), "a step group in the plan needs lists of digests"),
    (lambda d: _group(d).pop("repository"), "the fix plan is malformed: KeyError: 'repository'"),
    (lambda d: _group(d).update(first="x"), "the fix plan is malformed: ValueError"),
    (lambda d: _group(d)["digests"].append(7) or _group(d)["impacts"].append(""), "the fix plan is malformed"),
])
def test_a_malformed_plan_is_an_input_error(catalogue: Catalogue, break_it: Any, message: str) -> None:
    doc = _valid_doc(catalogue)
    FixPlan.from_dict(doc)  # valid before it is broken
    break_it(doc)
    with pytest.raises(InputError, match="^" + re.escape(message)):
        FixPlan.from_dict(doc)


@pytest.mark.parametrize("doc", [None, [], "plan", 1])
def test_a_plan_that_is_not_an_object_is_an_input_error(doc: Any) -> None:
    with pytest.raises(InputError, match="not an acrdoctor fix plan"):
        FixPlan.from_dict(doc)


# -- 10. expectations and findings ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["default", "everything"])
def test_every_step_expects_the_state_read_from_the_snapshot(demo: Snapshot, catalogue: Catalogue,
                                                             kind: str) -> None:
    plan = make_plan(demo, catalogue) if kind == "default" else everything_plan(demo, catalogue)
    keys = {f.key for f in plan.findings}
    assert len(keys) == len(plan.findings)
    for step in plan.steps:
        if step.phase == "relock":
            assert step.expect is None and step.findings == ()
            continue
        assert step.expect is not None, step.subject
        assert step.expect == planned_state(step.action, demo), step.subject
        assert step.findings, step.subject
        assert set(step.findings) <= keys, step.subject
    for manual in plan.manual:
        assert manual.finding in keys
    # Every planned finding is used by a step or a manual step.
    used = {k for s in plan.steps for k in s.findings} | {m.finding for m in plan.manual}
    assert keys == used


def test_a_delete_expects_the_manifest_as_it_was_before_the_unlock(catalogue: Catalogue) -> None:
    snap, _ = write_locked_repository()
    plan = make_plan(snap, catalogue, LOCKS_AND_DANGLING)
    unlock = only_step(plan, SetAttributes)
    delete = only_step(plan, DeleteManifest)
    assert unlock.expect == {"present": True, "write_enabled": False, "delete_enabled": True}
    assert delete.expect == {"present": True, "write_enabled": True, "delete_enabled": True, "tags": []}


def test_a_skipped_check_is_recorded_in_the_options(catalogue: Catalogue) -> None:
    b = SnapshotBuilder()
    b.repository("app", manifests=False).image(["v1"])
    plan = make_plan(b.build(), catalogue, ("dangling-manifests",))
    assert plan.steps == ()
    assert "manifest listings" in plan.options["skipped_checks"]["dangling-manifests"]


# -- found in review: relock of deleted objects, locked empty repositories, placeholder after unlock --------


def test_no_relock_is_planned_for_a_manifest_the_plan_deletes(catalogue: Catalogue) -> None:
    b = SnapshotBuilder()
    repo = b.repository("app")
    repo.image(["v1"])
    pinned = repo.image(layers=[("pinned", 10)], attributes=locked(write=True))
    plan = make_plan(b.build(), catalogue, LOCKS_AND_DANGLING, relock=True)
    assert pinned.digest in deleted(plan)
    assert [s for s in plan.steps if s.phase == "relock"] == []


def test_a_locked_empty_repository_is_left_out_by_default_and_unlocked_when_asked(catalogue: Catalogue) -> None:
    b = SnapshotBuilder()
    b.repository("legacy/empty", counts=(0, 0), attributes=locked(write=False, delete=True))
    b.repository("app").image(["v1"])
    snap = b.build()
    plan = make_plan(snap, catalogue)
    assert not steps_of(plan, ImportPlaceholder) and not steps_of(plan, DeleteRepository)
    assert any("repository is locked" in x.reason for x in plan.left_out)

    unlocked = make_plan(snap, catalogue, ("locked-artifacts", "empty-repository"), relock=True)
    unlock = only_step(unlocked, SetAttributes)
    place = only_step(unlocked, ImportPlaceholder)
    delete = only_step(unlocked, DeleteRepository)
    assert unlock.number in place.after and {unlock.number, place.number} <= set(delete.after)
    assert [s for s in unlocked.steps if s.phase == "relock"] == []  # the repository is gone afterwards
