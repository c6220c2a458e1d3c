from acrdoctor.builder import SnapshotBuilder
from acrdoctor.check_api import Status
from tests.conftest import run_check


def test_empty_repository_is_found_with_import_then_delete_fix(builder: SnapshotBuilder) -> None:
    builder.repository("legacy/mailhog", counts=(0, 0), manifests=False, tags=False)
    builder.repository("app").image(tags=["v1"])
    result = run_check("empty-repository", builder.build())
    assert result.status is Status.FAILED
    (f,) = result.findings
    assert f.resource.name == "legacy/mailhog"
    assert f.fix is not None
    assert f.fix.commands == (
        "az acr import --name contoso --resource-group rg-contoso --source mcr.microsoft.com/mcr/hello-world:latest "
        "--image legacy/mailhog:acrdoctor-placeholder",
        "az acr repository delete --name contoso --repository legacy/mailhog --yes",
    )


def test_empty_listings_count_as_empty(builder: SnapshotBuilder) -> None:
    builder.repository("ghost")
    assert run_check("empty-repository", builder.build()).status is Status.FAILED


def test_repositories_with_images_pass(builder: SnapshotBuilder) -> None:
    builder.repository("app").image(tags=["v1"])
    builder.repository("untagged-only").image()
    assert run_check("empty-repository", builder.build()).status is Status.PASSED


def test_skipped_when_repositories_were_not_collected(builder: SnapshotBuilder) -> None:
    result = run_check("empty-repository", builder.build())
    assert result.status is Status.SKIPPED
    assert "repository list" in (result.reason or "")


def test_names_needing_quotes_are_shell_quoted(builder: SnapshotBuilder) -> None:
    builder.repository("team a/it's", counts=(0, 0))
    (f,) = run_check("empty-repository", builder.build()).findings
    assert f.fix is not None
    assert "--repository 'team a/it'\"'\"'s' --yes" in f.fix.commands[1]
