"""connected-registries: what a connected registry refuses, ignores, and needs deleted first."""

from __future__ import annotations

from acrdoctor.builder import SnapshotBuilder, locked
from acrdoctor.check_api import Severity, Status
from acrdoctor.model import Part
from tests.conftest import run_check

SLUG = "connected-registries"
TOKEN = "/subscriptions/s/resourceGroups/rg-contoso/providers/Microsoft.ContainerRegistry/registries/contoso/tokens/"


def premium() -> SnapshotBuilder:
    b = SnapshotBuilder(sku="Premium")
    b.no_repositories()
    return b


def test_read_only_connected_registry_refuses_repository_deletes() -> None:
    b = premium()
    b.connected_registry("factory-1", "ReadOnly", sync_token_id=TOKEN + "factory-1-sync-token",
                         connection_state="Online")
    result = run_check(SLUG, b.build())
    assert result.status is Status.FAILED
    (f,) = result.findings
    assert f.severity is Severity.LOW
    assert f.message == (
        "connected registry factory-1 (ReadOnly, Online); repository delete is not supported on it: a cleanup run "
        "against its endpoint fails; run deletes against contoso instead; its sync token factory-1-sync-token "
        "cannot be deleted while it exists; contoso cannot move off Premium until it is deleted")
    assert f.fix is not None
    assert f.fix.commands == ("az acr connected-registry delete --registry contoso --resource-group rg-contoso "
                              "--name factory-1 --cleanup --yes",)
    notes = " ".join(f.fix.notes)
    assert "on-premises containers" in notes
    assert ("`az acr token update --name factory-1-sync-token --registry contoso --resource-group rg-contoso "
            "--status disabled`") in notes
    assert f.details["sync_token"] == "factory-1-sync-token"


def test_read_write_connected_registry_is_information_only_and_mirror_counts_as_read_only() -> None:
    b = premium()
    b.connected_registry("dev-edge", "ReadWrite")
    b.connected_registry("mirror-1", "Mirror")
    by_name = {f.details["connected_registry"]: f for f in run_check(SLUG, b.build()).findings}
    rw, mirror = by_name["dev-edge"], by_name["mirror-1"]
    assert rw.severity is Severity.INFO and "repository delete is not supported" not in rw.message
    assert "sync token" not in rw.message
    assert mirror.severity is Severity.LOW and "repository delete is not supported" in mirror.message


def test_names_from_data_are_quoted_in_the_command() -> None:
    b = premium()
    b.connected_registry("edge $(id)", "ReadWrite")
    (f,) = run_check(SLUG, b.build()).findings
    assert f.fix is not None and "--name 'edge $(id)' --cleanup --yes" in f.fix.commands[0]


def test_locks_in_the_cloud_registry_are_not_enforced_on_connected_registries() -> None:
    b = SnapshotBuilder(sku="Premium")
    b.repository("app", attributes=locked()).image(["v1"])
    b.repository("web").image(["v1"], attributes=locked(write=True))
    b.connected_registry("factory-1", "ReadOnly")
    findings = run_check(SLUG, b.build()).findings
    assert len(findings) == 2
    assert findings[1].message.startswith("2 locked repositories, images or tags in contoso: ACR's image locks are "
                                          "not supported on connected registries")
    assert findings[1].details["locked_objects"] == 2


def test_passes_without_connected_registries() -> None:
    b = premium()
    b.collected("connected_registries")
    result = run_check(SLUG, b.build())
    assert result.status is Status.PASSED and result.findings == ()


def test_skipped_when_not_collected() -> None:
    result = run_check(SLUG, premium().build())
    assert result.status is Status.SKIPPED
    assert "connected registries" in (result.reason or "")


def test_repository_gaps_do_not_make_the_verdict_partial() -> None:
    b = premium()
    b.collected("connected_registries")
    b.partial.add(Part.MANIFESTS)
    assert run_check(SLUG, b.build()).status is Status.PASSED
    b.partial.add(Part.CONNECTED_REGISTRIES)
    assert run_check(SLUG, b.build()).status is Status.INCOMPLETE
