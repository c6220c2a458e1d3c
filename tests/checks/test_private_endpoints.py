from dataclasses import replace

from acrdoctor.builder import SnapshotBuilder
from acrdoctor.check_api import ResourceKind, Status
from tests.conftest import run_check

SLUG = "private-endpoints-block-registry-delete"


def test_one_finding_per_connection_with_delete_command(builder: SnapshotBuilder) -> None:
    builder.private_endpoint("pe-build", status="Approved")
    builder.private_endpoint("pe-old", status="Disconnected")
    result = run_check(SLUG, builder.build())
    assert result.status is Status.FAILED
    assert [f.resource.name for f in result.findings] == ["contoso.pe-build", "contoso.pe-old"]
    first, second = result.findings
    assert first.resource.kind is ResourceKind.PRIVATE_ENDPOINT_CONNECTION
    assert first.message.startswith("Approved connection from private endpoint /subscriptions/")
    assert first.message.endswith("privateEndpoints/pe-pe-build; the registry cannot be deleted while it is attached")
    assert second.message.startswith("Disconnected connection")
    assert "contoso.pe" not in first.message
    assert first.fix is not None
    assert first.fix.commands == (
        "az acr private-endpoint-connection delete --registry-name contoso --resource-group rg-contoso "
        "--name contoso.pe-build",
    )
    assert first.details["status"] == "Approved"
    assert first.details["connections_on_registry"] == 2


def test_notes_cover_dns_zone_links_and_az_acr_delete(builder: SnapshotBuilder) -> None:
    builder.private_endpoint("pe-a")
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.fix is not None
    notes = " ".join(f.fix.notes)
    assert "privatelink.azurecr.io" in notes
    assert "az network private-dns link vnet list --resource-group rg-contoso --zone-name privatelink.azurecr.io" \
        in notes
    assert "`az acr delete --name contoso --resource-group rg-contoso` does not remove private endpoint" in notes
    assert "az network private-endpoint delete --ids /subscriptions/" in notes


def test_pending_state_and_unknown_endpoint_are_described(builder: SnapshotBuilder) -> None:
    pe = builder.private_endpoint("pe-x", status="Pending")
    builder.pecs = [replace(pe, private_endpoint_id=None, provisioning_state="Updating")]
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.message == ("Pending connection from an unnamed endpoint "
                         "(provisioning state Updating); the registry cannot be deleted while it is attached")


def test_passes_without_connections(builder: SnapshotBuilder) -> None:
    builder.no_private_endpoints()
    result = run_check(SLUG, builder.build())
    assert result.status is Status.PASSED
    assert result.findings == ()


def test_skipped_when_connections_were_not_collected(builder: SnapshotBuilder) -> None:
    result = run_check(SLUG, builder.build())
    assert result.status is Status.SKIPPED
    assert "private endpoint connections" in (result.reason or "")
