import pytest

from acrdoctor.builder import SnapshotBuilder
from acrdoctor.check_api import ResourceKind, Status
from acrdoctor.checks.throttling import delete_minutes, limits_for, minutes_text
from acrdoctor.model import Part
from tests.conftest import run_check

SLUG = "throttling"


def test_429s_on_standard_give_limits_and_a_delete_estimate(builder: SnapshotBuilder) -> None:
    repo = builder.repository("app")
    for i in range(1200):
        repo.image(layers=[(f"l{i}", 10)])  # untagged: all dangling
    repo.image(tags=["v1"])
    builder.error(Part.MANIFESTS, 429, "TOOMANYREQUESTS", "too many requests", retry_after=60, operation="list")
    builder.error(Part.MANIFESTS, 429, "TOOMANYREQUESTS", "too many requests", retry_after=50, operation="list")
    builder.error(Part.MANIFEST_BODIES, 429, None, "", operation="get_manifest")
    result = run_check(SLUG, builder.build())
    assert result.status is Status.FAILED
    (f,) = result.findings
    assert (f.resource.kind, f.resource.name) == (ResourceKind.REGISTRY, "contoso")
    assert f.message == (
        "3 requests throttled with 429, longest Retry-After 60 s; Standard allows about 500 deletes and 5,000 reads "
        "per minute per identity (1,000 and 10,000 for the whole registry); deleting the 1,200 dangling manifests "
        "takes at least 3 minutes for one identity at 500 deletes/min"
    )
    assert f.details["throttled_requests"] == 3
    assert f.details["max_retry_after_seconds"] == 60
    assert f.details["by_operation"] == {"list": 2, "get_manifest": 1}
    assert f.details["estimated_delete_minutes"] == 3
    assert f.fix is not None
    assert f.fix.commands == ()
    notes = " ".join(f.fix.notes)
    assert "Retry-After" in notes and "--concurrency" in notes and "support" in notes
    assert "own identity" in notes
    assert "4x the Basic/Standard limit" in notes


def test_premium_token_throttling_without_manifests(builder: SnapshotBuilder) -> None:
    builder.registry(sku="Premium")
    builder.error(Part.REPOSITORIES, None, "CONNECTIVITY_TOOMANYREQUESTS_ERROR", "Too many requests")
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.message == ("1 request throttled with 429; Premium allows about 2,000 deletes and 10,000 reads per "
                         "minute per identity (4,000 and 20,000 for the whole registry)")
    assert f.details["dangling_manifests"] is None
    assert f.fix is not None
    assert any("reuse ACR access tokens" in n for n in f.fix.notes)
    assert not any("x the" in n for n in f.fix.notes)


def test_unknown_sku_quotes_both_tiers(builder: SnapshotBuilder) -> None:
    builder.registry(sku=None)
    builder.error(Part.MANIFESTS, 429, "TOOMANYREQUESTS", "slow down")
    (f,) = run_check(SLUG, builder.build()).findings
    assert "500 deletes and 5,000 reads per minute on Basic/Standard, 2,000 and 10,000 on Premium" in f.message
    assert f.details["limits_per_minute"] is None


def test_estimates() -> None:
    assert delete_minutes(100_000, limits_for("Standard")) == 200  # type: ignore[arg-type]
    assert delete_minutes(100_000, limits_for("premium")) == 50  # type: ignore[arg-type]
    assert limits_for("Classic") is None
    assert minutes_text(200) == "3 hours 20 minutes"
    assert minutes_text(120) == "2 hours"
    assert minutes_text(1) == "1 minute"


def test_passes_when_data_plane_requests_were_made_without_a_429(builder: SnapshotBuilder) -> None:
    builder.error(Part.MANIFESTS, 401, "UNAUTHORIZED", "authentication required")
    builder.attempted("list_repository_names", "list_manifests")
    result = run_check(SLUG, builder.build())
    assert result.status is Status.PASSED
    assert result.findings == ()


@pytest.mark.parametrize(("operations", "reason"), [
    (None, "the snapshot does not record which operations its collector tried, so the absence of a 429 proves "
           "nothing (a bundle or an older snapshot)"),
    (("list_private_endpoint_connections",),
     "no data-plane request was tried while collecting, so nothing could have been refused with a 429"),
])
def test_skipped_when_nothing_could_have_been_throttled(builder: SnapshotBuilder, operations: tuple[str, ...] | None,
                                                        reason: str) -> None:
    """A bundle, or a collection scoped to ARM-only checks, cannot show a 429 it never risked."""
    builder.repository("app").image(tags=["v1"])
    if operations is not None:
        builder.attempted(*operations)
    result = run_check(SLUG, builder.build())
    assert (result.status, result.reason) == (Status.SKIPPED, reason)


def test_partial_listings_do_not_make_it_incomplete(builder: SnapshotBuilder) -> None:
    """The listings only feed the delete-time estimate; the verdict rests on the recorded 429s."""
    builder.repository("app").image(tags=["v1"])
    builder.repository("broken", manifests=False, tags=False)
    builder.attempted("list_manifests", "list_tags")
    builder.error(Part.MANIFESTS, 500, "UNKNOWN", "internal error", repository="broken", operation="list_manifests")
    assert run_check(SLUG, builder.build()).status is Status.PASSED


def test_an_aggregated_collector_record_counts_every_throttled_request() -> None:
    from acrdoctor.builder import SnapshotBuilder
    from acrdoctor.model import Part
    from tests.conftest import run_check

    b = SnapshotBuilder(sku="Standard")
    b.error(Part.MANIFEST_BODIES, 429, "TOOMANYREQUESTS", "retried after throttling", operation="scan",
            detail={"count": 37}, retry_after=12.0)
    (f,) = run_check("throttling", b.build()).findings
    assert f.message.startswith("37 requests throttled with 429, longest Retry-After 12 s")
    assert f.details["throttled_requests"] == 37
