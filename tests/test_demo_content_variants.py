"""The soft-delete and storage-limit demo variants, and the quarantined image planted in the main demo."""

from __future__ import annotations

import jsonschema
import pytest

from acrdoctor.check_api import Status
from acrdoctor.demo import load_demo
from acrdoctor.demo.variants import variant_names
from acrdoctor.engine import diagnose
from acrdoctor.snapshot_io import schema, snapshot_from_dict, snapshot_to_dict

VARIANTS = ("soft-delete", "storage-limit")


@pytest.mark.parametrize("name", VARIANTS)
def test_the_variant_is_listed_valid_deterministic_and_round_trips(name: str) -> None:
    assert name in variant_names()
    snap = load_demo(name)
    assert snap == load_demo(name)
    doc = snapshot_to_dict(snap)
    jsonschema.Draft202012Validator(schema()).validate(doc)
    assert snapshot_from_dict(doc) == snap


@pytest.mark.parametrize("name", VARIANTS)
def test_no_check_is_skipped_for_missing_data_but_delete_permission(name: str) -> None:
    """Every part is collected; nothing was deleted while collecting, so delete-permission has no evidence."""
    results = diagnose(load_demo(name), catalogue=None).results
    odd = {r.slug: r.reason for r in results if r.status in (Status.SKIPPED, Status.ERRORED, Status.INCOMPLETE)}
    assert set(odd) == {"delete-permission"}, odd


def test_the_soft_delete_variant_shows_what_soft_delete_keeps_and_the_refused_push() -> None:
    snap = load_demo("soft-delete")
    assert not snap.replications and snap.registry.soft_delete_policy is not None
    assert snap.registry.soft_delete_policy.enabled
    result = next(r for r in diagnose(snap, catalogue=None).results if r.slug == "soft-delete")
    assert result.status is Status.FAILED
    kinds = sorted(f.resource.kind.value for f in result.findings)
    assert kinds == ["manifest", "registry"]  # the refused push, the artifacts still stored
    (push,) = [f for f in result.findings if f.resource.kind.value == "manifest"]
    assert push.fix is not None and push.fix.commands[0].startswith("az acr manifest restore --registry fabrikam")


def test_the_storage_limit_variant_is_within_two_percent_of_its_maximum() -> None:
    snap = load_demo("storage-limit")
    size = snap.usage_named("Size")
    maximum = snap.usage_named("MaximumStorageCapacity")
    assert size is not None and maximum is not None and maximum.limit
    assert 0.98 <= size.current / maximum.limit < 1
    result = next(r for r in diagnose(snap, catalogue=None).results if r.slug == "storage-limit")
    (f,) = result.findings
    assert f.details["refused_pushes"] == 2
    # storage-accounting agrees with the usage figure: the bytes are the images' own.
    acct = next(r for r in diagnose(snap, catalogue=None).results if r.slug == "storage-accounting")
    assert acct.status is Status.PASSED


def test_the_main_demo_has_one_quarantined_image_with_the_policy_enabled() -> None:
    snap = load_demo()
    assert snap.registry.quarantine_policy is not None and snap.registry.quarantine_policy.enabled
    states = {(r.name, m.quarantine_state) for r in snap.repositories or () for m in r.manifests or ()
              if m.quarantine_state}
    assert states == {("apps/checkout", "Passed"), ("apps/checkout", "Quarantined")}
