"""Snapshot documents from raw listing items (acrdoctor.collect.dataplane.manifest_doc / tag_doc).

The raw-listing test compares whole snapshots with the SDK path; these pin the edge cases of one item: what is left
out, and when changeable attributes count as a lock.
"""

from __future__ import annotations

from typing import Any

import pytest

from acrdoctor.collect.dataplane import manifest_doc, tag_doc

D = "sha256:" + "ab" * 32
ALL_TRUE = {"deleteEnabled": True, "writeEnabled": True, "readEnabled": True, "listEnabled": True}


def test_a_full_item_keeps_every_field_and_drops_unlocked_attributes() -> None:
    raw = {"digest": D, "mediaType": "application/vnd.oci.image.manifest.v1+json", "imageSize": 10,
           "createdTime": "2024-01-01T00:00:00Z", "lastUpdateTime": "2024-01-02T00:00:00Z",
           "architecture": "amd64", "os": "linux", "tags": ["v1"],
           "references": [{"digest": "sha256:" + "cd" * 32}, {"nodigest": 1}, "junk"],
           "changeableAttributes": {**ALL_TRUE, "quarantineState": "Passed"}}
    assert manifest_doc(raw) == {
        "digest": D, "mediaType": "application/vnd.oci.image.manifest.v1+json", "imageSize": 10,
        "createdTime": "2024-01-01T00:00:00Z", "lastUpdateTime": "2024-01-02T00:00:00Z",
        "architecture": "amd64", "os": "linux", "tags": ["v1"], "quarantineState": "Passed",
        "references": ["sha256:" + "cd" * 32]}


@pytest.mark.parametrize(("attrs", "expected"), [
    (None, None),
    ("not an object", None),
    (ALL_TRUE, None),
    ({}, None),
    ({"deleteEnabled": False}, {"deleteEnabled": False}),
    ({**ALL_TRUE, "writeEnabled": False}, {**ALL_TRUE, "writeEnabled": False}),
    # 0 equals False but is no boolean: not a lock, and not kept beside a real one.
    ({"deleteEnabled": 0, "writeEnabled": True}, None),
    ({"deleteEnabled": 0, "writeEnabled": False}, {"writeEnabled": False}),
    ({"deleteEnabled": None, "listEnabled": False, "readEnabled": "false"}, {"listEnabled": False}),
])
def test_attributes_are_kept_only_when_one_is_false(attrs: Any, expected: dict[str, bool] | None) -> None:
    for doc in (manifest_doc({"digest": D, "changeableAttributes": attrs}),
                tag_doc({"name": "v1", "digest": D, "changeableAttributes": attrs})):
        assert doc.get("changeableAttributes") == expected


def test_empty_and_missing_values_are_left_out() -> None:
    assert manifest_doc({"digest": D, "tags": [], "references": [], "imageSize": None}) == {"digest": D}
    assert tag_doc({"name": "v1", "digest": None, "createdTime": None}) == {"name": "v1"}
