"""Pre-flight reports every blocker a check knows about: one knowledge, two ways in."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from acrdoctor.builder import SnapshotBuilder, locked
from acrdoctor.check_api import Severity
from acrdoctor.cli import cli
from acrdoctor.demo import load_demo
from acrdoctor.engine import Catalogue, run_checks
from acrdoctor.model import Part, Snapshot
from acrdoctor.preflight.model import BlockLevel
from acrdoctor.preflight.run import exit_code, preflight

DENIED = "client with IP '203.0.113.9' is not allowed access. Refer https://aka.ms/acr/firewall to grant access."
UNAUTHORIZED = "authentication required, visit https://aka.ms/acr/authorization for more information."


def two_repositories() -> SnapshotBuilder:
    b = SnapshotBuilder(name="contoso")
    b.repository("app").image(["v1"], layers=[("a", 10)], config=("ca", 1), age_days=30)
    b.repository("api").image(["v1"], layers=[("b", 10)], config=("cb", 1), age_days=30)
    b.no_private_endpoints()
    return b


def test_demo_empty_repository_delete_is_blocked_like_diagnose_says() -> None:
    result = CliRunner().invoke(cli, ["preflight", "--demo", "-o", "json", "--",
                                      "az", "acr", "repository", "delete", "--repository", "legacy/mailhog"])
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    empty = [b for b in doc["blocked"] if b["check"] == "empty-repository"]
    assert [(b["resource"], b["level"]) for b in empty] == [("legacy/mailhog", "repository")]
    assert "NAME_UNKNOWN" in empty[0]["reason"]
    assert doc["verdict"] == "blocked" and doc["schema_version"] == 2


@pytest.mark.parametrize("slug", ["empty-repository", "locked-artifacts"])
def test_every_repository_finding_blocks_the_repository_delete(slug: str) -> None:
    """For each repository diagnose flags, deleting it in pre-flight is refused, naming the same check."""
    demo = load_demo()
    check = Catalogue.load(plugins=False).get(slug)
    findings = [f for r in run_checks(demo, [check]) for f in r.findings]
    repos = {f.resource.name.split("@")[0].split(":")[0] for f in findings if f.details.get("level") != "tag"}
    assert repos
    for repo in sorted(repos):
        plan = preflight(["az", "acr", "repository", "delete", "--repository", repo], demo)
        assert any(b.check == slug and b.resource.startswith(repo) for b in plan.blocked), repo
        assert repo not in plan.deleted_repositories


def test_firewall_denial_blocks_data_plane_deletes_only() -> None:
    b = two_repositories()
    b.error(Part.REPOSITORIES, 403, "DENIED", DENIED, operation="list_repository_names")
    snapshot = b.build()
    plan = preflight("az acr repository delete --name contoso --image app:v1 --yes", snapshot)
    network = [x for x in plan.blocked if x.level is BlockLevel.NETWORK]
    assert len(network) == 1 and network[0].check == "network-access-denied" and "203.0.113.9" in network[0].reason
    assert exit_code(plan, snapshot, Severity.CRITICAL) == 1
    # The caller's refusal takes nothing out of the plan: it is what goes once the caller gets through.
    assert [str(m.repository) for m in plan.delete_manifests] == ["app"]
    # ARM's registry delete does not cross the data-plane firewall.
    registry = preflight("az acr delete --name contoso --yes", snapshot)
    assert not any(x.level is BlockLevel.NETWORK for x in registry.blocked)


def test_no_refusal_recorded_no_caller_blocker() -> None:
    snapshot = two_repositories().build()
    plan = preflight("az acr repository delete --name contoso --image app:v1 --yes", snapshot)
    assert plan.blocked == ()


def _with_permission_error(repository: str | None) -> Snapshot:
    b = two_repositories()
    detail = ({"Type": "repository", "Name": repository, "Action": "delete"},) if repository else None
    message = UNAUTHORIZED if repository else "You are lacking delete repository permissions"
    b.error(Part.REPOSITORIES, 401, "UNAUTHORIZED", message, repository=repository, operation="delete_repository",
            detail=detail)
    return b.build()


def test_missing_delete_permission_blocks_its_repository_only() -> None:
    snapshot = _with_permission_error("app")
    for command in ("az acr repository delete --name contoso --image app:v1 --yes",
                    "az acr repository untag --name contoso --image app:v1",
                    "acr purge --filter 'app:.*' --ago 1d"):
        blocked = preflight(command, snapshot).blocked
        assert [(x.resource, x.level, x.check) for x in blocked] == [("app", BlockLevel.PERMISSION,
                                                                      "delete-permission")], command
    assert preflight("az acr repository delete --name contoso --image api:v1 --yes", snapshot).blocked == ()


def test_missing_delete_permission_without_repository_blocks_everywhere() -> None:
    snapshot = _with_permission_error(None)
    blocked = preflight("az acr repository delete --name contoso --image api:v1 --yes", snapshot).blocked
    assert [(x.resource, x.level) for x in blocked] == [("contoso", BlockLevel.PERMISSION)]


def test_repository_write_lock_blocks_every_manifest_in_it() -> None:
    """A repository lock (set after an earlier plan, seen by this one) refuses each of its manifests."""
    b = SnapshotBuilder(name="contoso")
    repo = b.repository("frozen", attributes=locked(write=False, delete=True))
    digests = [repo.image([f"v{i}"], layers=[(f"l{i}", 10)], config=(f"c{i}", 1), age_days=30).digest
               for i in range(3)]
    b.no_private_endpoints()
    snapshot = b.build()
    plan = preflight("acr purge --filter 'frozen:.*' --ago 1d --untagged", snapshot)
    refused = {x.resource for x in plan.blocked if x.level is BlockLevel.REPOSITORY}
    assert {f"frozen:v{i}" for i in range(3)} <= refused
    assert plan.delete_manifests == ()
    for d in digests:
        one = preflight(f"az acr repository delete --name contoso --image frozen@{d} --yes", snapshot)
        assert [(x.resource, x.level, x.check) for x in one.blocked] == [
            (f"frozen@{d}", BlockLevel.REPOSITORY, "locked-artifacts")]
