from acrdoctor.builder import SnapshotBuilder
from acrdoctor.check_api import ResourceKind, Severity, Status
from acrdoctor.checks.delete_permission import Missing, missing_permissions
from acrdoctor.model import CollectionError, Part
from tests.conftest import run_check

SLUG = "delete-permission"
AUTH = "authentication required, visit https://aka.ms/acr/authorization for more information."
REG_ID = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-contoso/providers/"
          "Microsoft.ContainerRegistry/registries/contoso")


def test_missing_delete_from_acr_detail_list_gives_acrdelete(builder: SnapshotBuilder) -> None:
    for _ in range(3):
        builder.error(Part.MANIFESTS, 401, "UNAUTHORIZED", AUTH, repository="app", operation="delete_manifest",
                      detail={"errors": [{"Type": "repository", "Name": "app", "Action": "delete"}]})
    result = run_check(SLUG, builder.build())
    assert result.status is Status.FAILED
    (f,) = result.findings
    assert (f.resource.kind, f.resource.name) == (ResourceKind.REPOSITORY, "app")
    assert f.severity is Severity.HIGH
    assert f.message == ("3 calls refused with 401 UNAUTHORIZED: the identity lacks 'delete' on this repository "
                         "(during delete_manifest)")
    assert f.fix is not None
    assert f.fix.commands == (
        'az role assignment create --assignee-object-id "$(acrdoctor whoami --object-id)" '
        '--assignee-principal-type "$(acrdoctor whoami --principal-type)" '
        f"--role AcrDelete --scope {REG_ID}",
    )
    notes = " ".join(f.fix.notes)
    assert "az acr scope-map update --name SCOPE_MAP_NAME --registry contoso --add-repository app content/delete " \
           "metadata/read" in notes
    assert "Container Registry Repository Contributor is the ABAC-mode equivalent" in notes
    assert f.details["action"] == "delete" and f.details["calls"] == 3


def test_abac_registry_gets_the_abac_role(builder: SnapshotBuilder) -> None:
    builder.registry(role_assignment_mode="AbacRepositoryPermissions")
    builder.error(Part.MANIFESTS, 401, "UNAUTHORIZED", AUTH,
                  detail={"type": "repository", "name": "team/api", "action": "delete"})
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.fix is not None
    assert f.fix.commands[0].endswith(f"--role 'Container Registry Repository Contributor' --scope {REG_ID}")
    assert any("legacy roles (AcrDelete" in n for n in f.fix.notes)


def test_action_read_from_message_text_and_other_actions(builder: SnapshotBuilder) -> None:
    builder.error(Part.REPOSITORIES, 401, "UNAUTHORIZED",
                  'unauthorized: {"errors":[{"code":"UNAUTHORIZED","detail":[{"Type":"registry","Name":"catalog",'
                  '"Action":"*"}]}]}')
    builder.error(Part.MANIFEST_BODIES, 403, None,
                  "You have pull permissions to the repository. You are lacking metadata_write, delete repository "
                  "permissions.", repository="web")
    findings = run_check(SLUG, builder.build()).findings
    by_action = {f.details["action"]: f for f in findings}
    assert set(by_action) == {"*", "metadata_write", "delete"}
    star = by_action["*"]
    assert star.resource.kind is ResourceKind.REGISTRY
    assert star.severity is Severity.MEDIUM
    assert star.message == "1 call refused with 401 UNAUTHORIZED: the identity lacks '*' on registry catalog"
    assert star.fix is not None and star.fix.commands == ()
    assert by_action["delete"].resource.name == "web"
    assert by_action["delete"].message.startswith("1 call refused with 403: ")


def test_arm_authorization_failure_names_the_management_action(builder: SnapshotBuilder) -> None:
    builder.error(Part.PRIVATE_ENDPOINT_CONNECTIONS, 403, "AuthorizationFailed",
                  "The client 'x' with object id 'y' does not have authorization to perform action "
                  "'Microsoft.ContainerRegistry/registries/privateEndpointConnections/delete' over scope 'z'.")
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.details["action"] == "Microsoft.ContainerRegistry/registries/privateEndpointConnections/delete"
    assert f.details["type"] == "arm"
    assert f.fix is not None and f.fix.commands == ()
    assert "management action" in f.fix.summary


def test_firewall_denials_and_non_permission_errors_are_ignored(builder: SnapshotBuilder) -> None:
    builder.error(Part.REPOSITORIES, 403, "DENIED", "client with IP '1.2.3.4' is not allowed access.")
    builder.error(Part.REPOSITORIES, 401, "UNAUTHORIZED", AUTH)  # anonymous challenge: names nothing
    builder.error(Part.MANIFESTS, 429, "TOOMANYREQUESTS", "too many requests")
    builder.error(Part.MANIFESTS, 404, "NAME_UNKNOWN", "repository name not known to registry",
                  detail={"Action": "delete"})
    builder.attempted("delete_manifest")
    result = run_check(SLUG, builder.build())
    assert result.status is Status.PASSED


def test_missing_permissions_reads_keys_case_insensitively_and_dedupes() -> None:
    err = CollectionError("manifests", 401, "UNAUTHORIZED", AUTH, repository="app",
                          detail={"detail": [{"ACTION": "delete"}, {"Action": "content/delete", "Type": "repository",
                                                                    "Name": "app"}]})
    assert missing_permissions(err) == [Missing("delete", "repository", "app")]


def test_passes_when_deletes_were_tried_and_none_was_refused(builder: SnapshotBuilder) -> None:
    builder.attempted("list_manifests", "delete_manifest")
    assert run_check(SLUG, builder.build()).status is Status.PASSED


def test_a_read_only_collection_is_no_evidence_and_is_skipped(builder: SnapshotBuilder) -> None:
    builder.attempted("list_repository_names", "list_manifests", "get_manifest")
    result = run_check(SLUG, builder.build())
    assert result.status is Status.SKIPPED
    assert result.reason == ("no delete was tried while collecting, so nothing could have been refused with a 401 "
                             "or 403 naming the delete permission")


def test_without_a_record_of_what_was_tried_it_is_skipped(builder: SnapshotBuilder) -> None:
    """A bundle or an older snapshot: no error proves nothing."""
    result = run_check(SLUG, builder.build())
    assert result.status is Status.SKIPPED
    assert "does not record which operations" in (result.reason or "")


def test_a_refused_delete_in_the_errors_is_evidence_without_a_record(builder: SnapshotBuilder) -> None:
    builder.error(Part.REPOSITORIES, 404, "NAME_UNKNOWN", "repository name not known to registry",
                  repository="gone", operation="delete_repository")
    assert run_check(SLUG, builder.build()).status is Status.PASSED


def test_a_read_refused_for_a_missing_permission_is_found_without_any_delete(builder: SnapshotBuilder) -> None:
    builder.attempted("list_manifests")
    builder.error(Part.MANIFESTS, 401, "UNAUTHORIZED", AUTH, repository="app", operation="list_manifests",
                  detail=({"Type": "repository", "Name": "app", "Action": "metadata_read"},))
    result = run_check(SLUG, builder.build())
    assert result.status is Status.FAILED
    assert [f.details["action"] for f in result.findings] == ["metadata_read"]
