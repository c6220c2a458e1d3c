"""listings-cut-short: listings recorded or inferred as ended early, and the gaps they give other checks."""

from __future__ import annotations

from dataclasses import replace

from acrdoctor.builder import SnapshotBuilder
from acrdoctor.check_api import ResourceKind, Severity, Status
from acrdoctor.completeness import cut_short, short_listings
from acrdoctor.model import Part, Tag
from tests.conftest import run_check

SLUG = "listings-cut-short"


def test_complete_listings_pass(builder: SnapshotBuilder) -> None:
    builder.collected("listings")
    builder.repository("app").image(tags=["v1", "latest"])
    builder.listing("tags", True, repository="app", pages=1, items=2)
    snap = builder.build()
    assert cut_short(snap) == () and short_listings(snap) == set()
    assert run_check(SLUG, snap).status is Status.PASSED


def test_recorded_short_tag_listing_is_a_finding_with_read_commands(builder: SnapshotBuilder) -> None:
    builder.repository("mirror/alpine").image(tags=["3.20"])
    builder.listing("tags", False, repository="mirror/alpine", pages=1, items=1, expected=4,
                    reason="the next-page link answered 404")
    result = run_check(SLUG, builder.build())
    assert result.status is Status.FAILED and not result.gaps
    (f,) = result.findings
    assert f.resource.kind is ResourceKind.REPOSITORY and f.resource.name == "mirror/alpine"
    assert f.message == ("the tags listing of mirror/alpine ended early: the next-page link answered 404 "
                         "(1 of 4 listed)")
    assert f.details["recorded_by_collector"] is True and f.details["expected"] == 4
    assert f.fix is not None
    assert f.fix.commands == (
        "az acr repository show-tags --name contoso --repository mirror/alpine --detail --output json",)
    (rel,) = f.fix.related
    assert rel.commands == ("acrdoctor collect --registry contoso --resource-group rg-contoso --repository "
                            "mirror/alpine --out snapshot-recollected.json",)


def test_counts_above_the_listing_are_inferred_without_a_record(builder: SnapshotBuilder) -> None:
    repo = builder.repository("big", counts=(5, 1))
    repo.image(tags=["v1"])
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.details["listing"] == "manifests" and not f.details["recorded_by_collector"]
    assert "ACR counts 5 manifests, 1 were listed" in f.message and "inferred from the data" in f.message
    assert f.fix is not None
    assert f.fix.commands == ("az acr manifest list-metadata --registry contoso --name big --output json",)


def test_tags_pointing_outside_the_manifest_listing_and_duplicates(builder: SnapshotBuilder) -> None:
    builder.repository("app").image(tags=["v1"])
    snap = builder.build()
    (repo,) = snap.repositories or ()
    ghost = Tag("v2", "sha256:" + "e" * 64)
    dup = (repo.tags or ())[0]
    snap = replace(snap, repositories=(replace(repo, tags=(*(repo.tags or ()), ghost, dup), tag_count=None),))
    reasons = {s.listing: s.reason for s in cut_short(snap)}
    assert "tags listed twice" in reasons["tags"]
    assert "tagged digests are not in the manifest listing" in reasons["manifests"]
    assert short_listings(snap) == {"app"}


def test_a_short_catalog_is_a_high_registry_finding(builder: SnapshotBuilder) -> None:
    builder.repository("a").image(tags=["v1"])
    builder.listing("catalog", False, pages=3, items=300, reason="an empty page before the end")
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.severity is Severity.HIGH and f.resource.kind is ResourceKind.REGISTRY
    assert f.fix is not None and f.fix.commands == ("az acr repository list --name contoso --output tsv",)


def test_other_checks_reading_a_short_listing_are_incomplete_not_passed(builder: SnapshotBuilder) -> None:
    builder.repository("app").image(tags=["v1"])
    builder.listing("tags", False, repository="app", items=1, expected=3)
    result = run_check("locked-artifacts", builder.build())
    assert result.status is Status.INCOMPLETE
    (gap,) = result.gaps
    assert gap.part is Part.TAGS and gap.repositories == ("app",)
    assert "tag listings cut short (tags of app: the collector recorded it as incomplete (1 of 3 listed))" \
        in (result.reason or "")


def test_not_collected_repositories_skip(builder: SnapshotBuilder) -> None:
    result = run_check(SLUG, builder.build())
    assert result.status is Status.SKIPPED


def test_the_recollect_command_parses_with_acrdoctor_collect(builder: SnapshotBuilder) -> None:
    import shlex

    from acrdoctor.cli import cli

    builder.repository("team a/app").image(tags=["v1"])
    builder.listing("manifests", False, repository="team a/app", items=1, expected=2)
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.fix is not None
    (cmd,) = f.fix.related[0].commands
    argv = shlex.split(cmd)
    assert argv[:2] == ["acrdoctor", "collect"] and "team a/app" in argv
    ctx = cli.get_command(None, "collect").make_context("collect", argv[2:])  # type: ignore[arg-type,union-attr]
    assert ctx.params["repositories"] == ("team a/app",) and str(ctx.params["out"]) == "snapshot-recollected.json"
