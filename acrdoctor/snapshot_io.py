"""Reading and writing the versioned snapshot document (``docs/snapshot.md``).

The loader checks structure as it builds the model and stops at the first problem with one line
naming the JSON path, because a snapshot usually comes from someone else's machine and a traceback
would help nobody. Full JSON Schema validation lives in the tests (the schema ships as package data),
not here: validating a 200,000-manifest document that way costs more than diagnosing it.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from acrdoctor.controls_io import read_controls, write_controls
from acrdoctor.errors import SnapshotError
from acrdoctor.json_fields import JsonFields
from acrdoctor.json_fields import kind_of as _kind
from acrdoctor.model import (
    UNLOCKED,
    Attributes,
    Blob,
    CollectionError,
    Manifest,
    NetworkRuleSet,
    Part,
    Policy,
    PrivateEndpointConnection,
    Registry,
    Replication,
    Repository,
    Snapshot,
    Tag,
    Usage,
)
from acrdoctor.user_files import parse_json

SCHEMA_VERSION = 2
#: Versions this reader accepts. Version 1 files predate the Azure-side controls (locks, access, tasks, cache
#: rules, connected registries, soft-deleted artifacts) and the paging record: those parts read as not collected.
READABLE_VERSIONS = (1, 2)
#: Keys that only a version-2 writer emits; a version-1 file carrying one was not written by acrdoctor 1.
V2_KEYS = ("resource_locks", "caller", "role_assignments", "role_definitions", "tokens", "scope_maps", "tasks",
           "cache_rules", "connected_registries", "deleted_artifacts", "listings")
KIND = "acrdoctor-snapshot"


def schema() -> dict[str, Any]:
    """The JSON Schema of the snapshot document, as shipped in the package."""
    text = resources.files("acrdoctor.data").joinpath("snapshot.schema.json").read_text("utf-8")
    return json.loads(text)


# -- reading -------------------------------------------------------------------------------------------


def load_snapshot(path: str | Path) -> Snapshot:
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise SnapshotError(f"snapshot file not found: {p}") from None
    except OSError as exc:
        raise SnapshotError(f"cannot read snapshot {p}: {exc.strerror or exc}") from None
    # Loading creates millions of small, acyclic objects; the cyclic collector would rescan them
    # again and again while they are created (about half the load time on a 200,000-manifest file).
    with gc_paused():
        doc = parse_json(raw, str(p), SnapshotError)
        del raw
        try:
            snapshot = snapshot_from_dict(doc)
        except SnapshotError as exc:
            raise SnapshotError(f"{p}: {exc}") from None
        del doc
        _freeze_if_large(snapshot)
        return snapshot


#: Blobs plus manifests from which a loaded snapshot is moved out of the collector's sight.
FREEZE_THRESHOLD = 100_000


def _freeze_if_large(snapshot: Snapshot) -> None:
    """``gc.freeze()`` after loading a large snapshot, so later collections stop rescanning it.

    A 200,000-manifest snapshot is about a million tracked objects (blobs, manifests, tuples); every
    collection of the oldest generation afterwards walks all of them again (about 0.5 s while a
    pre-flight renders its report). The snapshot is immutable and acyclic and lives until the run ends,
    so moving it to the permanent generation loses nothing: frozen objects are still freed by reference
    counting; only reference cycles already alive at this point are no longer collected. Small
    snapshots (tests, demos) are left alone.
    """
    size = len(snapshot.blobs) + sum(len(r.manifests or ()) for r in snapshot.repositories or ())
    if size >= FREEZE_THRESHOLD:
        gc.freeze()


@contextmanager
def gc_paused() -> Iterator[None]:
    """Suspend the cyclic garbage collector (reference counting still frees memory) and restore it.

    Once a large snapshot is loaded, every collection of the old generation walks its millions of objects;
    the loader and the pre-flight (which allocate a lot but create no reference cycles worth collecting
    early) run with it paused.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


R = JsonFields
_attr_cache: dict[tuple[bool, bool, bool, bool], Attributes] = {}


def _attributes(value: Any, path: str) -> Attributes:
    if value is None:
        return UNLOCKED
    d = R.obj(value, path)
    key = tuple(
        (R.boolean(d, k, path) is not False)
        for k in ("deleteEnabled", "writeEnabled", "readEnabled", "listEnabled")
    )
    cached = _attr_cache.get(key)  # type: ignore[arg-type]
    if cached is None:
        cached = Attributes(*key)
        _attr_cache[key] = cached  # type: ignore[index]
    return cached


def _policy(d: Mapping[str, Any], key: str, days_key: str, path: str) -> Policy | None:
    v = d.get(key)
    if v is None:
        return None
    p = R.obj(v, f"{path}.{key}")
    return Policy(status=R.string(p, "status", f"{path}.{key}") or "disabled",
                  days=R.integer(p, days_key, f"{path}.{key}"),
                  updated=R.string(p, "lastUpdatedTime", f"{path}.{key}"))


def _registry(value: Any) -> Registry:
    path = "registry"
    d = R.obj(value, path)
    name = R.string(d, "name", path, required=True)
    assert name is not None
    if not name:
        raise SnapshotError("registry.name: must not be empty")
    nrs = d.get("networkRuleSet")
    rule_set = None
    if nrs is not None:
        n = R.obj(nrs, f"{path}.networkRuleSet")
        ip_rules = tuple(
            (r if isinstance(r, str) else str(R.obj(r, f"{path}.networkRuleSet.ipRules").get("value", "")))
            for r in R.arr(n.get("ipRules", []), f"{path}.networkRuleSet.ipRules")
        )
        vnet_rules = tuple(
            (r if isinstance(r, str) else str(R.obj(r, f"{path}.networkRuleSet.virtualNetworkRules").get("id", "")))
            for r in R.arr(n.get("virtualNetworkRules", []), f"{path}.networkRuleSet.virtualNetworkRules")
        )
        rule_set = NetworkRuleSet(R.string(n, "defaultAction", f"{path}.networkRuleSet") or "Allow",
                                  ip_rules, vnet_rules)
    policies = R.obj(d.get("policies") or {}, f"{path}.policies")
    return Registry(
        name=name,
        login_server=R.string(d, "loginServer", path) or f"{name}.azurecr.io",
        sku=R.string(d, "sku", path),
        id=R.string(d, "id", path),
        resource_group=R.string(d, "resourceGroup", path),
        subscription_id=R.string(d, "subscriptionId", path),
        location=R.string(d, "location", path),
        public_network_access=R.string(d, "publicNetworkAccess", path),
        network_rule_set=rule_set,
        network_rule_bypass_options=R.string(d, "networkRuleBypassOptions", path),
        retention_policy=_policy(policies, "retentionPolicy", "days", f"{path}.policies"),
        soft_delete_policy=_policy(policies, "softDeletePolicy", "retentionDays", f"{path}.policies"),
        quarantine_policy=_policy(policies, "quarantinePolicy", "days", f"{path}.policies"),
        data_endpoint_enabled=R.boolean(d, "dataEndpointEnabled", path),
        data_endpoint_host_names=R.strings(d, "dataEndpointHostNames", path),
        role_assignment_mode=R.string(d, "roleAssignmentMode", path),
        anonymous_pull_enabled=R.boolean(d, "anonymousPullEnabled", path),
        zone_redundancy=R.string(d, "zoneRedundancy", path),
    )


def parse_registry(value: Any) -> Registry:
    """A snapshot ``registry`` object as the model, for readers of live ARM state (``acrdoctor fix``)."""
    return _registry(value)


def _blob_index(v: Any, n: int, path: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < n:
        raise SnapshotError(f"{path}: blob index {v!r} is not in the blob table (0..{n - 1})")
    return v


def _manifest(value: Any, path: str, nblobs: int) -> Manifest:
    d = R.obj(value, path)
    digest = R.string(d, "digest", path, required=True)
    assert digest is not None
    layers_raw = d.get("layers")
    layers: tuple[int, ...] | None = None
    if layers_raw is not None:
        if not isinstance(layers_raw, list):
            raise SnapshotError(f"{path}.layers: expected an array of blob indexes")
        for i, v in enumerate(layers_raw):
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < nblobs:
                _blob_index(v, nblobs, f"{path}.layers[{i}]")
        layers = tuple(layers_raw)
    config_raw = d.get("config")
    config = None if config_raw is None else _blob_index(config_raw, nblobs, f"{path}.config")
    return Manifest(
        digest=digest,
        media_type=R.string(d, "mediaType", path),
        image_size=R.integer(d, "imageSize", path),
        created=R.string(d, "createdTime", path),
        updated=R.string(d, "lastUpdateTime", path),
        tags=R.strings(d, "tags", path),
        attributes=_attributes(d.get("changeableAttributes"), f"{path}.changeableAttributes"),
        architecture=R.string(d, "architecture", path),
        os=R.string(d, "os", path),
        references=R.strings(d, "references", path),
        subject=R.string(d, "subject", path),
        config=config,
        layers=layers,
        quarantine_state=R.string(d, "quarantineState", path),
    )


def _tag(value: Any, path: str) -> Tag:
    d = R.obj(value, path)
    name = R.string(d, "name", path, required=True)
    digest = R.string(d, "digest", path, required=True)
    assert name is not None and digest is not None
    return Tag(name=name, digest=digest, created=R.string(d, "createdTime", path),
               updated=R.string(d, "lastUpdateTime", path),
               attributes=_attributes(d.get("changeableAttributes"), f"{path}.changeableAttributes"))


def _repository(value: Any, path: str, nblobs: int) -> Repository:
    d = R.obj(value, path)
    name = R.string(d, "name", path, required=True)
    assert name is not None
    manifests = None
    if d.get("manifests") is not None:
        raw = R.arr(d["manifests"], f"{path}.manifests")
        out: list[Manifest] = []
        append = out.append
        for i, m in enumerate(raw):
            # The fast path handles well-formed manifests; anything odd goes through the careful reader,
            # which either accepts it or names the JSON path of the problem.
            fast = _manifest_fast(m, nblobs)
            append(fast if fast is not None else _manifest(m, f"{path}.manifests[{i}]", nblobs))
        manifests = tuple(out)
    tags = None
    if d.get("tags") is not None:
        tags = tuple(_tag(t, f"{path}.tags[{i}]") for i, t in enumerate(R.arr(d["tags"], f"{path}.tags")))
    return Repository(
        name=name,
        created=R.string(d, "createdTime", path),
        updated=R.string(d, "lastUpdateTime", path),
        manifest_count=R.integer(d, "manifestCount", path),
        tag_count=R.integer(d, "tagCount", path),
        attributes=_attributes(d.get("changeableAttributes"), f"{path}.changeableAttributes"),
        manifests=manifests,
        tags=tags,
    )


_NONE = type(None)
_OPT_STR_TYPES = frozenset({str, _NONE})
_STR_TYPES = frozenset({str})
_INT_TYPES = frozenset({int})
_OPT_BOOL_TYPES = frozenset({bool, _NONE})
_EMPTY: tuple[Any, ...] = ()


def _manifest_fast(d: Any, nblobs: int) -> Manifest | None:
    """Build a manifest with bulk type checks, or return None to let :func:`_manifest` explain the problem.

    A large registry has hundreds of thousands of manifests and millions of layer references; checking
    each field through the path-tracking accessors dominated loading, so the common, well-formed case
    is checked with set-of-types and min/max tests that run in C.
    """
    if type(d) is not dict:
        return None
    get = d.get
    digest = get("digest")
    media_type = get("mediaType")
    created = get("createdTime")
    updated = get("lastUpdateTime")
    arch = get("architecture")
    os_ = get("os")
    subject = get("subject")
    quarantine = get("quarantineState")
    if type(digest) is not str or not _OPT_STR_TYPES.issuperset(
            map(type, (media_type, created, updated, arch, os_, subject, quarantine))):
        return None
    size = get("imageSize")
    if size is not None and type(size) is not int:
        return None
    layers = get("layers")
    if layers is not None:
        if type(layers) is not list:
            return None
        if layers:
            if not _INT_TYPES.issuperset(map(type, layers)) or min(layers) < 0 or max(layers) >= nblobs:
                return None
            layers = tuple(layers)
        else:
            layers = _EMPTY
    config = get("config")
    if config is not None and (type(config) is not int or not 0 <= config < nblobs):
        return None
    tags = get("tags")
    if tags is None:
        tags = _EMPTY
    elif type(tags) is list and _STR_TYPES.issuperset(map(type, tags)):
        tags = tuple(tags)
    else:
        return None
    refs = get("references")
    if refs is None:
        refs = _EMPTY
    elif type(refs) is list and _STR_TYPES.issuperset(map(type, refs)):
        refs = tuple(refs)
    else:
        return None
    attrs_raw = get("changeableAttributes")
    if attrs_raw is None:
        attrs = UNLOCKED
    elif type(attrs_raw) is dict:
        flags = (attrs_raw.get("deleteEnabled"), attrs_raw.get("writeEnabled"),
                 attrs_raw.get("readEnabled"), attrs_raw.get("listEnabled"))
        if not _OPT_BOOL_TYPES.issuperset(map(type, flags)):
            return None
        key = tuple(f is not False for f in flags)
        attrs = _attr_cache.get(key)  # type: ignore[arg-type]
        if attrs is None:
            attrs = _attr_cache[key] = Attributes(*key)  # type: ignore[index]
    else:
        return None
    return Manifest(digest, media_type, size, created, updated, tags, attrs, arch, os_, refs, subject, config,
                    layers, quarantine)


def _blobs(value: Any) -> tuple[Blob, ...]:
    if value is None:
        return ()
    d = R.obj(value, "blobs")
    digests = R.arr(d.get("digests", []), "blobs.digests")
    sizes = R.arr(d.get("sizes", []), "blobs.sizes")
    if len(digests) != len(sizes):
        raise SnapshotError(f"blobs: {len(digests)} digests but {len(sizes)} sizes")
    # Bulk checks first (they run in C); only a bad table is walked element by element to name the culprit.
    if not _STR_TYPES.issuperset(map(type, digests)):
        for i, dg in enumerate(digests):
            if not isinstance(dg, str):
                raise SnapshotError(f"blobs.digests[{i}]: expected a string, found {_kind(dg)}")
    if not _INT_TYPES.issuperset(map(type, sizes)) or (sizes and min(sizes) < 0):
        for i, sz in enumerate(sizes):
            if isinstance(sz, bool) or not isinstance(sz, int) or sz < 0:
                raise SnapshotError(f"blobs.sizes[{i}]: expected a non-negative integer, found {sz!r}")
    return tuple(map(Blob, digests, sizes))


def _detail(value: Any, path: str) -> Mapping[str, Any] | tuple[Mapping[str, Any], ...] | None:
    """ACR sends ``detail`` as an object (NAME_UNKNOWN) or an array of objects (401 missing action)."""
    if value is None:
        return None
    if isinstance(value, list):
        return tuple(R.obj(v, f"{path}[{i}]") for i, v in enumerate(value))
    return R.obj(value, path)


def _error(value: Any, path: str) -> CollectionError:
    d = R.obj(value, path)
    detail = _detail(d.get("detail"), f"{path}.detail")
    retry = d.get("retryAfter")
    if retry is not None and (isinstance(retry, bool) or not isinstance(retry, (int, float)) or retry < 0):
        raise SnapshotError(f"{path}.retryAfter: expected a non-negative number of seconds, found {_kind(retry)}")
    return CollectionError(
        part=R.string(d, "part", path, required=True) or "",
        status=R.integer(d, "status", path),
        code=R.string(d, "code", path),
        message=R.string(d, "message", path) or "",
        repository=R.string(d, "repository", path),
        operation=R.string(d, "operation", path),
        detail=detail,
        retry_after=None if retry is None else float(retry),
    )


def _optional_list(doc: Mapping[str, Any], key: str) -> Sequence[Any] | None:
    if doc.get(key) is None:
        return None
    return R.arr(doc[key], key)


def snapshot_from_dict(doc: Any) -> Snapshot:
    if not isinstance(doc, Mapping):
        raise SnapshotError(f"not an acrdoctor snapshot (top level is {_kind(doc)}, expected an object)")
    if doc.get("kind") != KIND:
        raise SnapshotError(f"not an acrdoctor snapshot (kind is {doc.get('kind')!r}, expected {KIND!r})")
    version = doc.get("schema_version")
    if isinstance(version, bool) or version not in READABLE_VERSIONS:
        raise SnapshotError(
            f"unsupported snapshot schema_version {version!r}; this acrdoctor reads versions "
            f"{', '.join(map(str, READABLE_VERSIONS))}"
        )
    controls = read_controls(doc) if version >= 2 else read_controls({})
    if "registry" not in doc:
        raise SnapshotError("missing required field 'registry'")
    registry = _registry(doc["registry"])
    blobs = _blobs(doc.get("blobs"))
    n = len(blobs)

    usage = _optional_list(doc, "usage")
    pecs = _optional_list(doc, "private_endpoint_connections")
    reps = _optional_list(doc, "replications")
    repos = _optional_list(doc, "repositories")
    partial_raw = R.strings(doc, "partial", "snapshot")
    valid_parts = {p.value for p in Part}
    for p in partial_raw:
        if p not in valid_parts:
            raise SnapshotError(f"partial: unknown part {p!r} (known: {', '.join(sorted(valid_parts))})")

    def usage_row(v: Any, path: str) -> Usage:
        d = R.obj(v, path)
        return Usage(name=R.string(d, "name", path, required=True) or "",
                     current=R.integer(d, "currentValue", path, required=True) or 0,
                     limit=R.integer(d, "limit", path), unit=R.string(d, "unit", path) or "Count")

    def pec(v: Any, path: str) -> PrivateEndpointConnection:
        d = R.obj(v, path)
        return PrivateEndpointConnection(
            name=R.string(d, "name", path, required=True) or "", id=R.string(d, "id", path),
            private_endpoint_id=R.string(d, "privateEndpointId", path), status=R.string(d, "status", path),
            provisioning_state=R.string(d, "provisioningState", path))

    def replication(v: Any, path: str) -> Replication:
        d = R.obj(v, path)
        return Replication(name=R.string(d, "name", path, required=True) or "",
                           location=R.string(d, "location", path, required=True) or "",
                           provisioning_state=R.string(d, "provisioningState", path),
                           region_endpoint_enabled=R.boolean(d, "regionEndpointEnabled", path))

    return Snapshot(
        registry=registry,
        collected_at=R.string(doc, "collected_at", "snapshot"),
        source=R.string(doc, "source", "snapshot"),
        usage=None if usage is None else tuple(usage_row(v, f"usage[{i}]") for i, v in enumerate(usage)),
        private_endpoint_connections=None if pecs is None else tuple(
            pec(v, f"private_endpoint_connections[{i}]") for i, v in enumerate(pecs)),
        replications=None if reps is None else tuple(
            replication(v, f"replications[{i}]") for i, v in enumerate(reps)),
        repositories=None if repos is None else tuple(
            _repository(v, f"repositories[{i}]", n) for i, v in enumerate(repos)),
        blobs=blobs,
        errors=tuple(_error(v, f"errors[{i}]") for i, v in enumerate(R.arr(doc.get("errors") or [], "errors"))),
        partial=frozenset(Part(p) for p in partial_raw),
        # Absent in files written before collectors kept the record: unknown, not "nothing tried".
        operations=None if doc.get("operations") is None else frozenset(R.strings(doc, "operations", "snapshot")),
        **controls,
    )


# -- writing -------------------------------------------------------------------------------------------


def _attrs_out(a: Attributes) -> dict[str, bool]:
    return {"deleteEnabled": a.delete_enabled, "writeEnabled": a.write_enabled,
            "readEnabled": a.read_enabled, "listEnabled": a.list_enabled}


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _manifest_out(m: Manifest) -> dict[str, Any]:
    out = _drop_none({
        "digest": m.digest, "mediaType": m.media_type, "imageSize": m.image_size,
        "createdTime": m.created, "lastUpdateTime": m.updated,
        "architecture": m.architecture, "os": m.os, "subject": m.subject, "config": m.config,
        "quarantineState": m.quarantine_state,
    })
    if m.tags:
        out["tags"] = list(m.tags)
    if not m.attributes.is_default:
        out["changeableAttributes"] = _attrs_out(m.attributes)
    if m.references:
        out["references"] = list(m.references)
    if m.layers is not None:
        out["layers"] = list(m.layers)
    return out


def _detail_out(detail: Mapping[str, Any] | tuple[Mapping[str, Any], ...] | None) -> Any:
    if detail is None:
        return None
    if isinstance(detail, tuple):
        return [dict(x) for x in detail]
    return dict(detail)


def _policy_out(p: Policy | None, days_key: str) -> dict[str, Any] | None:
    if p is None:
        return None
    return _drop_none({"status": p.status, days_key: p.days, "lastUpdatedTime": p.updated})


def snapshot_to_dict(s: Snapshot) -> dict[str, Any]:
    r = s.registry
    registry = _drop_none({
        "name": r.name, "loginServer": r.login_server, "id": r.id, "resourceGroup": r.resource_group,
        "subscriptionId": r.subscription_id, "location": r.location, "sku": r.sku,
        "publicNetworkAccess": r.public_network_access,
        "networkRuleSet": None if r.network_rule_set is None else {
            "defaultAction": r.network_rule_set.default_action,
            "ipRules": list(r.network_rule_set.ip_rules),
            "virtualNetworkRules": list(r.network_rule_set.virtual_network_rules)},
        "networkRuleBypassOptions": r.network_rule_bypass_options,
        "policies": _drop_none({
            "retentionPolicy": _policy_out(r.retention_policy, "days"),
            "softDeletePolicy": _policy_out(r.soft_delete_policy, "retentionDays"),
            "quarantinePolicy": _policy_out(r.quarantine_policy, "days"),
        }) or None,
        "dataEndpointEnabled": r.data_endpoint_enabled,
        "dataEndpointHostNames": list(r.data_endpoint_host_names) or None,
        "roleAssignmentMode": r.role_assignment_mode, "anonymousPullEnabled": r.anonymous_pull_enabled,
        "zoneRedundancy": r.zone_redundancy,
    })
    doc: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "kind": KIND}
    doc.update(_drop_none({"collected_at": s.collected_at, "source": s.source}))
    doc["registry"] = registry
    if s.usage is not None:
        doc["usage"] = [_drop_none({"name": u.name, "currentValue": u.current, "limit": u.limit, "unit": u.unit})
                        for u in s.usage]
    if s.private_endpoint_connections is not None:
        doc["private_endpoint_connections"] = [
            _drop_none({"name": p.name, "id": p.id, "privateEndpointId": p.private_endpoint_id,
                        "status": p.status, "provisioningState": p.provisioning_state})
            for p in s.private_endpoint_connections]
    if s.replications is not None:
        doc["replications"] = [
            _drop_none({"name": p.name, "location": p.location, "provisioningState": p.provisioning_state,
                        "regionEndpointEnabled": p.region_endpoint_enabled}) for p in s.replications]
    doc["blobs"] = {"digests": [b.digest for b in s.blobs], "sizes": [b.size for b in s.blobs]}
    if s.repositories is not None:
        repos = []
        for repo in s.repositories:
            out = _drop_none({"name": repo.name, "createdTime": repo.created, "lastUpdateTime": repo.updated,
                              "manifestCount": repo.manifest_count, "tagCount": repo.tag_count})
            if not repo.attributes.is_default:
                out["changeableAttributes"] = _attrs_out(repo.attributes)
            if repo.manifests is not None:
                out["manifests"] = [_manifest_out(m) for m in repo.manifests]
            if repo.tags is not None:
                out["tags"] = [
                    _drop_none({"name": t.name, "digest": t.digest, "createdTime": t.created,
                                "lastUpdateTime": t.updated,
                                "changeableAttributes": None if t.attributes.is_default
                                else _attrs_out(t.attributes)})
                    for t in repo.tags]
            repos.append(out)
        doc["repositories"] = repos
    if s.partial:
        doc["partial"] = sorted(p.value for p in s.partial)
    if s.operations is not None:
        doc["operations"] = sorted(s.operations)
    doc.update(write_controls(s))
    doc["errors"] = [
        _drop_none({"part": e.part, "repository": e.repository, "operation": e.operation, "status": e.status,
                    "code": e.code, "message": e.message,
                    "detail": _detail_out(e.detail), "retryAfter": e.retry_after})
        for e in s.errors]
    return doc


def dump_snapshot(s: Snapshot, path: str | Path) -> None:
    Path(path).write_text(json.dumps(snapshot_to_dict(s), separators=(",", ":")) + "\n", "utf-8")
