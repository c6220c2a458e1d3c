from __future__ import annotations

from acrdoctor.builder import SnapshotBuilder
from acrdoctor.check_api import ResourceKind, Severity, Status
from tests.conftest import run_check

SLUG = "shared-layers"
MIB = 1024 * 1024


def three_services_on_one_base(builder: SnapshotBuilder) -> None:
    """Three repositories built on one 100 MiB base; ``api`` also shares a 50 MiB runtime with ``worker``."""
    builder.repository("api").image(["v1"], layers=[("base", 100 * MIB), ("runtime", 50 * MIB), ("api", 1 * MIB)],
                                    config=("api-cfg", 1024))
    builder.repository("worker").image(["v1"], layers=[("base", 100 * MIB), ("runtime", 50 * MIB)],
                                       config=("worker-cfg", 1024))
    builder.repository("web").image(["v1"], layers=[("base", 100 * MIB), ("web", 3 * MIB)], config=("web-cfg", 1024))


def test_one_registry_finding_compares_deduplicated_total_with_image_sizes(builder: SnapshotBuilder) -> None:
    three_services_on_one_base(builder)
    result = run_check(SLUG, builder.build())
    assert result.status is Status.FAILED
    (f,) = result.findings
    assert f.severity is Severity.INFO
    assert (f.resource.kind, f.resource.name) == (ResourceKind.REGISTRY, "contoso")
    assert f.details["shared_blob_count"] == 2
    assert f.details["shared_bytes"] == 150 * MIB
    assert f.details["deduplicated_total_bytes"] == 154 * MIB + 3 * 1024
    assert f.details["image_size_sum_bytes"] == (151 + 150 + 103) * MIB + 3 * 1024
    rows = f.details["repositories"]
    assert isinstance(rows, list)
    assert [(r["repository"], r["exclusive_bytes"], r["shared_bytes"]) for r in rows] == [
        ("api", 1 * MIB + 1024, 150 * MIB),
        ("worker", 1024, 150 * MIB),
        ("web", 3 * MIB + 1024, 100 * MIB),
    ]
    assert "the registry stores 154.0 MiB once deduplicated while the images' imageSize adds up to 404.0 MiB" \
        in f.message
    assert "api (1.0 MiB only its own, 150.0 MiB shared), worker (1.0 KiB only its own, 150.0 MiB shared)" \
        in f.message
    assert f.fix is not None
    assert f.fix.commands == ()
    assert any("exclusive bytes" in n for n in f.fix.notes)


def test_message_names_the_top_ten_and_details_keep_all(builder: SnapshotBuilder) -> None:
    for i in range(12):
        builder.repository(f"svc{i:02d}").image(["v1"], layers=[("base", 10 * MIB), (f"own{i}", (i + 1) * 1024)])
    (f,) = run_check(SLUG, builder.build()).findings
    assert "svc09" in f.message and "svc10" not in f.message
    assert f.message.endswith("and 2 more repositories")
    assert len(f.details["repositories"]) == 12  # type: ignore[arg-type]


def test_a_layer_shared_only_inside_one_repository_passes(builder: SnapshotBuilder) -> None:
    repo = builder.repository("app")
    repo.image(["v1"], layers=[("base", 100), ("v1", 10)])
    repo.image(["v2"], layers=[("base", 100), ("v2", 10)])
    builder.repository("other").image(["v1"], layers=[("other", 10)])
    assert run_check(SLUG, builder.build()).status is Status.PASSED


def test_missing_bodies_make_the_figures_lower_bounds(builder: SnapshotBuilder) -> None:
    three_services_on_one_base(builder)
    builder.repository("legacy").image(["v1"], layers=[("base", 100 * MIB)], body=False)
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.details["complete"] is False
    assert "(layers and configs, at least 150.0 MiB)" in f.message


def test_skipped_without_manifest_bodies(builder: SnapshotBuilder) -> None:
    builder.repository("api").image(["v1"], layers=[("base", 100)], body=False)
    builder.repository("web").image(["v1"], layers=[("base", 100)], body=False)
    result = run_check(SLUG, builder.build())
    assert result.status is Status.SKIPPED
    assert "manifest bodies" in (result.reason or "")


def test_a_partial_scan_without_sharing_is_skipped_not_passed() -> None:
    from acrdoctor.builder import SnapshotBuilder
    from acrdoctor.check_api import Status
    from acrdoctor.model import Part
    from tests.conftest import run_check

    b = SnapshotBuilder()
    b.repository("only-this-one").image(["v1"], layers=[("base", 100)])
    b.partial = {Part.REPOSITORIES, Part.MANIFESTS, Part.MANIFEST_BODIES}
    result = run_check("shared-layers", b.build())
    assert result.status is Status.SKIPPED
    assert "only 1 repository of the registry was scanned" in (result.reason or "")


def test_top_holders_get_preflight_commands() -> None:
    b = SnapshotBuilder()
    for name, own in (("a", 10), ("b", 20), ("c", 30), ("d", 40)):
        b.repository(name).image(tags=["v1"], layers=[("shared", 1000 + ord(name)), (f"own-{name}", own)])
    b.repository("e").image(tags=["v1"], layers=[("alone", 5)])
    (f,) = run_check("shared-layers", b.build()).findings
    assert f.fix is not None
    (preview,) = f.fix.related
    assert preview.label == "preview"
    assert preview.commands == tuple(
        f"acrdoctor preflight --registry contoso --resource-group rg-contoso -- az acr repository delete --name "
        f"contoso --repository {name} --yes" for name in ("a", "b", "c"))
