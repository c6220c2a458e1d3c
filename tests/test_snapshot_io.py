"""The snapshot document: round trips, the shipped JSON Schema, and one-line errors that name the JSON path."""

from __future__ import annotations

import copy
import gc
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from acrdoctor import snapshot_io
from acrdoctor.builder import SnapshotBuilder, digest_of, locked
from acrdoctor.demo import build_demo
from acrdoctor.model import Attributes, Part, Snapshot
from acrdoctor.snapshot_io import (
    SnapshotError,
    dump_snapshot,
    load_snapshot,
    schema,
    snapshot_from_dict,
    snapshot_to_dict,
)

VALIDATOR = jsonschema.Draft202012Validator(schema())


def _strict(node: Any) -> Any:
    """A copy of the schema where every object with declared properties forbids undeclared ones.

    The shipped schema lets unknown fields through (readers ignore them, see docs/snapshot.md); the
    strict copy proves that every field the writer emits is declared in the schema.
    """
    if isinstance(node, dict):
        out = {k: _strict(v) for k, v in node.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


STRICT = jsonschema.Draft202012Validator(_strict(schema()))


def rich_snapshot() -> Snapshot:
    """A builder snapshot touching every kind of field the format has, including partial and errors."""
    b = SnapshotBuilder("fabrikam", sku="Premium", resource_group="rg-fab")
    b.private_endpoint("pe1", status="Rejected")
    b.replication("eastus")
    repo = b.repository("app", locked(write=True, delete=False))
    img = repo.image(tags=["v1", "latest"], layers=[("base", 10_000), ("app-v1", 500)],
                     attributes=locked(), tag_attributes={"latest": Attributes(read_enabled=False)})
    repo.referrer(img)
    repo.index([img, digest_of("gone")], tags=["multi"])
    repo.image(body=False)
    b.repository("listed-only", manifests=False, tags=False, counts=(3, 1))
    b.repository("tags-only", manifests=False)
    b.set_usage(Webhooks=1)
    b.error(Part.TAGS, 429, "TOOMANYREQUESTS", "too many requests", repository="app", operation="list_tags",
            retry_after=2.5)
    b.error(Part.REPOSITORIES, 404, "NAME_UNKNOWN", "repository name not known to registry",
            repository="ghost", operation="delete_repository", detail={"name": "ghost"})
    b.partial.add(Part.MANIFEST_BODIES)
    return b.build()


def minimal_doc() -> dict[str, Any]:
    return {"schema_version": 1, "kind": "acrdoctor-snapshot", "registry": {"name": "r"}}


def demo_doc() -> dict[str, Any]:
    return snapshot_to_dict(build_demo())


# -- round trips -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [build_demo, rich_snapshot, lambda: SnapshotBuilder().build()],
                         ids=["demo", "rich", "bare"])
def test_builder_to_dict_to_model_to_dict_is_identical(make: Any) -> None:
    snap = make()
    doc = snapshot_to_dict(snap)
    again = snapshot_from_dict(json.loads(json.dumps(doc)))
    assert again == snap
    assert snapshot_to_dict(again) == doc


def test_dump_and_load_through_a_file(tmp_path: Path) -> None:
    snap = rich_snapshot()
    path = tmp_path / "s.json"
    dump_snapshot(snap, path)
    assert load_snapshot(path) == snap
    assert "\n" not in path.read_text().rstrip("\n")  # compact: one line


def test_absent_and_empty_parts_survive_a_round_trip() -> None:
    b = SnapshotBuilder()
    b.no_private_endpoints()  # collected, none
    b.repository("listed", manifests=False, tags=False)  # listing not collected
    b.repository("empty")  # collected, empty
    snap = snapshot_from_dict(json.loads(json.dumps(snapshot_to_dict(b.build()))))
    assert snap.private_endpoint_connections == ()
    assert snap.replications is None and snap.usage is None
    listed, empty = snap.repositories or ()
    assert listed.manifests is None and listed.tags is None
    assert empty.manifests == () and empty.tags == ()
    assert snap.has(Part.PRIVATE_ENDPOINT_CONNECTIONS) and not snap.has(Part.REPLICATIONS)

    doc = snapshot_to_dict(snap)
    assert doc["private_endpoint_connections"] == [] and "replications" not in doc and "usage" not in doc
    assert "manifests" not in doc["repositories"][0] and doc["repositories"][1]["manifests"] == []


def test_null_means_absent_like_a_missing_key() -> None:
    doc = minimal_doc() | {"usage": None, "repositories": None, "partial": None, "errors": None, "blobs": None}
    snap = snapshot_from_dict(doc)
    assert snap.usage is None and snap.repositories is None and snap.partial == frozenset()


def test_missing_body_stays_distinct_from_an_empty_layer_list() -> None:
    snap = rich_snapshot()
    manifests = (snap.repositories or ())[0].manifests or ()
    no_body = [m for m in manifests if not m.is_index and not m.has_body]
    index = [m for m in manifests if m.is_index]
    assert len(no_body) == 1 and no_body[0].layers is None
    assert index[0].layers == ()
    doc = snapshot_to_dict(snap)
    out = {m["digest"]: m for m in doc["repositories"][0]["manifests"]}
    assert "layers" not in out[no_body[0].digest]
    assert out[index[0].digest]["layers"] == []


def test_error_detail_keeps_arrays_and_objects() -> None:
    demo = build_demo()
    (unauth,) = [e for e in demo.errors if e.status == 401]
    assert unauth.detail == ({"Type": "repository", "Name": "team-b/scratch", "Action": "delete"},)
    doc = snapshot_to_dict(demo)
    assert next(e for e in doc["errors"] if e["status"] == 401)["detail"] == [
        {"Type": "repository", "Name": "team-b/scratch", "Action": "delete"}]
    rich = rich_snapshot()
    assert [e.detail for e in rich.errors if e.code == "NAME_UNKNOWN"] == [{"name": "ghost"}]


def test_arm_style_network_rules_are_read_as_plain_values() -> None:
    doc = minimal_doc()
    doc["registry"]["networkRuleSet"] = {
        "defaultAction": "Deny",
        "ipRules": [{"action": "Allow", "value": "198.51.100.7"}, "203.0.113.0/24"],
        "virtualNetworkRules": [{"action": "Allow", "id": "/subscriptions/x/subnets/a"}],
    }
    VALIDATOR.validate(doc)
    rules = snapshot_from_dict(doc).registry.network_rule_set
    assert rules is not None
    assert rules.ip_rules == ("198.51.100.7", "203.0.113.0/24")
    assert rules.virtual_network_rules == ("/subscriptions/x/subnets/a",)


def test_fast_and_careful_manifest_readers_agree() -> None:
    """The bulk-checked fast path must build exactly what the path-tracking reader builds."""
    doc = snapshot_to_dict(rich_snapshot())
    demo = demo_doc()
    n = len(doc["blobs"]["digests"])
    extras = [
        {"digest": "sha256:x", "changeableAttributes": {"deleteEnabled": None, "writeEnabled": False}},
        {"digest": "sha256:y", "tags": None, "references": None, "layers": None, "config": None},
        {"digest": "sha256:z", "layers": [], "changeableAttributes": {}},
    ]
    for m in [*doc["repositories"][0]["manifests"], *extras]:
        fast = snapshot_io._manifest_fast(m, n)
        assert fast is not None
        assert fast == snapshot_io._manifest(m, "m", n)
    dn = len(demo["blobs"]["digests"])
    for r in demo["repositories"]:
        for m in r["manifests"]:
            assert snapshot_io._manifest_fast(m, dn) == snapshot_io._manifest(m, "m", dn)


# -- schema ------------------------------------------------------------------------------------------------


def test_shipped_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("make", [build_demo, rich_snapshot, lambda: SnapshotBuilder().build()],
                         ids=["demo", "rich", "bare"])
def test_written_documents_validate_and_declare_every_field(make: Any) -> None:
    doc = json.loads(json.dumps(snapshot_to_dict(make())))
    VALIDATOR.validate(doc)
    STRICT.validate(doc)


def test_schema_allows_unknown_fields_like_the_reader() -> None:
    doc = minimal_doc() | {"future_part": {"x": 1}}
    doc["registry"]["someNewArmField"] = True
    VALIDATOR.validate(doc)
    assert snapshot_from_dict(doc).registry.name == "r"


def test_schema_parts_match_the_model() -> None:
    assert set(schema()["$defs"]["part"]["enum"]) == {p.value for p in Part}


# -- malformed documents ---------------------------------------------------------------------------------


def _break(mutate: Any) -> dict[str, Any]:
    doc = copy.deepcopy(demo_doc())
    mutate(doc)
    return doc


def _set(path: list[Any], value: Any) -> Any:
    def mutate(doc: dict[str, Any]) -> None:
        node = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return mutate


def _del(path: list[Any]) -> Any:
    def mutate(doc: dict[str, Any]) -> None:
        node = doc
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
    return mutate


MALFORMED = [
    ("wrong kind", _set(["kind"], "docker-manifest"), "kind is 'docker-manifest'"),
    ("wrong version", _set(["schema_version"], 3), "unsupported snapshot schema_version 3"),
    ("missing registry", _del(["registry"]), "missing required field 'registry'"),
    ("missing registry.name", _del(["registry", "name"]), "registry: missing required field 'name'"),
    ("registry.name wrong type", _set(["registry", "name"], 7), "registry.name: expected a string, found a number"),
    ("repositories not an array", _set(["repositories"], {"a": 1}), "repositories: expected an array"),
    ("manifest imageSize a string", _set(["repositories", 0, "manifests", 1, "imageSize"], "12 MB"),
     "repositories[0].manifests[1].imageSize: expected an integer, found a string"),
    ("manifest digest missing", _del(["repositories", 1, "manifests", 0, "digest"]),
     "repositories[1].manifests[0]: missing required field 'digest'"),
    ("layer index out of range", _set(["repositories", 0, "manifests", 0, "layers", 1], 99_999),
     "repositories[0].manifests[0].layers[1]: blob index 99999 is not in the blob table"),
    ("negative layer index", _set(["repositories", 0, "manifests", 0, "layers", 0], -1),
     "repositories[0].manifests[0].layers[0]: blob index -1"),
    ("boolean layer index", _set(["repositories", 0, "manifests", 0, "layers", 2], True),
     "repositories[0].manifests[0].layers[2]: blob index True"),
    ("config index out of range", _set(["repositories", 0, "manifests", 0, "config"], 10**6),
     "repositories[0].manifests[0].config: blob index 1000000"),
    ("layers not an array", _set(["repositories", 0, "manifests", 0, "layers"], "0,1"),
     "repositories[0].manifests[0].layers: expected an array of blob indexes"),
    ("tag attribute not a boolean", _set(["repositories", 0, "tags", 0, "changeableAttributes"],
                                         {"writeEnabled": "no"}),
     "repositories[0].tags[0].changeableAttributes.writeEnabled: expected true or false"),
    ("mismatched blobs arrays", lambda d: d["blobs"]["sizes"].pop(), "blobs: 74 digests but 73 sizes"),
    ("negative blob size", _set(["blobs", "sizes", 3], -5), "blobs.sizes[3]: expected a non-negative integer"),
    ("blob digest not a string", _set(["blobs", "digests", 4], 42), "blobs.digests[4]: expected a string"),
    ("unknown partial part", _set(["partial"], ["manifests", "layers"]), "partial: unknown part 'layers'"),
    ("usage without currentValue", _del(["usage", 0, "currentValue"]), "usage[0]: missing required field"),
    ("replication location missing", _del(["replications", 0, "location"]),
     "replications[0]: missing required field 'location'"),
    ("error detail a string", _set(["errors", 1, "detail"], "delete"), "errors[1].detail: expected an object"),
    ("error retryAfter negative", _set(["errors", 2, "retryAfter"], -1), "errors[2].retryAfter"),
    ("error status a string", _set(["errors", 0, "status"], "403"), "errors[0].status: expected an integer"),
]


@pytest.mark.parametrize(("mutate", "expected"), [(m, e) for _, m, e in MALFORMED], ids=[n for n, _, _ in MALFORMED])
def test_malformed_documents_name_the_json_path(mutate: Any, expected: str) -> None:
    doc = _break(mutate)
    with pytest.raises(SnapshotError) as info:
        snapshot_from_dict(doc)
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("mutate", "expected"), [(m, e) for n, m, e in MALFORMED if n not in {
    # Rules JSON Schema cannot express: equal array lengths and indexes bounded by the blob table.
    "mismatched blobs arrays", "layer index out of range", "config index out of range"}],
    ids=[n for n, _, _ in MALFORMED if n not in {
        "mismatched blobs arrays", "layer index out of range", "config index out of range"}])
def test_schema_rejects_what_the_reader_rejects(mutate: Any, expected: str) -> None:
    assert not VALIDATOR.is_valid(_break(mutate))


def test_top_level_must_be_an_object() -> None:
    with pytest.raises(SnapshotError, match="top level is an array"):
        snapshot_from_dict([])


def test_load_snapshot_reports_file_problems_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="snapshot file not found"):
        load_snapshot(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(SnapshotError, match=r"bad\.json: not valid JSON"):
        load_snapshot(bad)
    foreign = tmp_path / "foreign.json"
    foreign.write_text(json.dumps(minimal_doc() | {"kind": "other"}))
    with pytest.raises(SnapshotError, match=r"foreign\.json: not an acrdoctor snapshot"):
        load_snapshot(foreign)


def test_loading_restores_the_garbage_collector(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    dump_snapshot(build_demo(), good)
    bad.write_text("[]")
    assert gc.isenabled()
    load_snapshot(good)
    assert gc.isenabled()
    with pytest.raises(SnapshotError):
        load_snapshot(bad)
    assert gc.isenabled()
    gc.disable()
    try:
        load_snapshot(good)
        assert not gc.isenabled()  # a caller that runs without the collector keeps it off
    finally:
        gc.enable()


def test_the_example_in_the_docs_loads_and_validates() -> None:
    text = (Path(__file__).parent.parent / "docs" / "snapshot.md").read_text("utf-8")
    block = text.split("## A small complete example", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    doc = json.loads(block)
    STRICT.validate(doc)
    snap = snapshot_from_dict(doc)
    assert snap.replications is None and snap.private_endpoint_connections == ()
    assert snapshot_from_dict(snapshot_to_dict(snap)) == snap


# -- schema version 2 and the reader for version 1 ------------------------------------------------------------


def _schema2_builder() -> SnapshotBuilder:
    b = SnapshotBuilder()
    b.lock("keep-rg", "CanNotDelete", "resourceGroup")
    b.caller()
    b.role_assignment("AcrDelete", "c2f4ef07-c644-48eb-af81-4b1b4947fb11",
                      condition="@Resource[x] StringStartsWith 'a'")
    b.token("ci", "ci-map", ["repositories/apps/api/content/read"])
    b.task("nightly-purge", ["acr purge --filter 'apps/api:.*' --ago 30d --untagged"], schedule="0 1 * * *")
    b.cache_rule("hub-nginx", "docker.io/library/nginx", "hub/nginx")
    b.connected_registry("edge1", "ReadOnly", sync_token_id="/x/tokens/edge1-sync-token")
    b.soft_deleted("apps/api", "sha256:" + "ab" * 32, size=1234, tags=("old",))
    b.listing("catalog", False, pages=4, items=400, reason="a page repeated the previous page's last name")
    return b


def test_schema2_parts_round_trip_and_validate() -> None:
    snap = _schema2_builder().build()
    doc = snapshot_to_dict(snap)
    assert doc["schema_version"] == 2
    VALIDATOR.validate(doc)
    back = snapshot_from_dict(json.loads(json.dumps(doc)))
    assert back == snap
    assert all(back.has(p) for p in (Part.RESOURCE_LOCKS, Part.ROLE_ASSIGNMENTS, Part.TOKENS, Part.TASKS,
                                     Part.CACHE_RULES, Part.CONNECTED_REGISTRIES, Part.DELETED_ARTIFACTS,
                                     Part.LISTINGS))


def test_a_version_1_file_is_read_with_the_schema2_parts_not_collected() -> None:
    doc = snapshot_to_dict(_schema2_builder().build())
    doc["schema_version"] = 1
    snap = snapshot_from_dict(doc)
    assert snap.resource_locks is None and snap.access is None and snap.tasks is None and snap.listings is None
    assert not snap.has(Part.RESOURCE_LOCKS) and not snap.has(Part.ROLE_ASSIGNMENTS)
    assert snap.registry.name == "contoso"


@pytest.mark.parametrize(("key", "value", "message"), [
    ("resource_locks", [{"name": "x", "level": "Sometimes", "scope": "registry"}], "resource_locks[0].level"),
    ("resource_locks", [{"name": "x", "level": "ReadOnly", "scope": "tenant"}], "resource_locks[0].scope"),
    ("tasks", [{"name": "t", "timerTriggers": [{"name": "t1"}]}], "tasks[0].timerTriggers[0]: missing"),
    ("listings", {"checked": True, "records": [{"listing": "blobs", "complete": True}]}, "listings.records[0]"),
    ("cache_rules", "all", "cache_rules: expected an array"),
])
def test_malformed_schema2_parts_name_the_json_path(key: str, value: object, message: str) -> None:
    doc = snapshot_to_dict(SnapshotBuilder().build())
    doc[key] = value
    with pytest.raises(SnapshotError, match=re.escape(message)):
        snapshot_from_dict(doc)
