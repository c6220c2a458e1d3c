"""Collecting a snapshot from a live registry through the Azure SDKs.

Management plane (registry settings, usage, private endpoint connections, replications) through
azure-mgmt-containerregistry; data plane through azure-containerregistry's async client, driven by
:class:`~acrdoctor.collect.dataplane.DataPlaneScanner`. The clients and credentials come from
:mod:`acrdoctor.azure`, as the fix layer's do. Only the parts the selected checks need are
collected (popeye's "preloads"), so ``--check private-endpoints-block-registry-delete`` costs two ARM calls.

Nothing here writes to the registry: every call is a GET.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from acrdoctor.azure import session
from acrdoctor.azure.arm import arm_client, locate_registry
from acrdoctor.azure.dataplane_client import async_registry_client
from acrdoctor.azure.failures import error_doc
from acrdoctor.azure.waits import Waits, WaitTooLong
from acrdoctor.check_api import Check
from acrdoctor.clock import Clock, iso_stamp, system_clock
from acrdoctor.collect.arm_controls import collect_controls
from acrdoctor.collect.arm_shapes import (
    private_endpoint_section,
    registry_section,
    replication_section,
    subscription_of,
    usage_section,
)
from acrdoctor.collect.cache import ManifestCache
from acrdoctor.collect.dataplane import DataPlaneScanner, RateLimitPolicy, ScanResult, ScanStats
from acrdoctor.collect.progress import Progress
from acrdoctor.collect.ratelimit import RateLimiter
from acrdoctor.errors import InputError
from acrdoctor.limits import default_read_rate
from acrdoctor.model import Part, Snapshot
from acrdoctor.snapshot_io import KIND, SCHEMA_VERSION, gc_paused, snapshot_from_dict

ARM_PARTS = frozenset({Part.USAGE, Part.PRIVATE_ENDPOINT_CONNECTIONS, Part.REPLICATIONS})
DATA_PARTS = frozenset({Part.REPOSITORIES, Part.MANIFESTS, Part.TAGS, Part.MANIFEST_BODIES, Part.LISTINGS,
                        Part.DELETED_ARTIFACTS})
ALL_PARTS = frozenset(Part)

#: ACR registry names: 5-50 alphanumeric characters (ACR naming rules).
_NAME = re.compile(r"^[A-Za-z0-9]{5,50}$")
_RESOURCE_ID = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.ContainerRegistry/"
    r"registries/(?P<name>[^/]+)/?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Target:
    """Which registry: its name, and whatever of its subscription, group and login server we were told."""

    name: str
    subscription_id: str | None = None
    resource_group: str | None = None
    login_server: str | None = None


def parse_target(value: str) -> Target:
    """Accept a registry name, a login server (``name.azurecr.io``) or a full ARM resource id."""
    text = value.strip()
    m = _RESOURCE_ID.match(text)
    if m:
        return Target(m.group("name"), m.group("sub"), m.group("rg"))
    if "." in text or ":" in text:
        host = text.removeprefix("https://").removeprefix("http://").rstrip("/")
        name = host.split(".", 1)[0].split(":", 1)[0]
        if not _NAME.match(name):
            raise InputError(f"'{value}' is not a registry name, login server or resource id")
        return Target(name.lower(), login_server=host)
    if not _NAME.match(text):
        raise InputError(f"'{value}' is not a valid registry name: ACR names are 5 to 50 letters and digits "
                         "(or pass a login server such as myregistry.azurecr.io, or a resource id)")
    return Target(text.lower())


def parts_for(checks: Iterable[type[Check]]) -> frozenset[Part]:
    """The parts to collect for these checks: what they need and what they use when present."""
    parts: set[Part] = {Part.REGISTRY}
    for c in checks:
        parts |= set(c.needs) | set(getattr(c, "uses", frozenset()))
    if Part.MANIFEST_BODIES in parts:
        parts.add(Part.MANIFESTS)
    if parts & {Part.MANIFESTS, Part.TAGS, Part.LISTINGS, Part.DELETED_ARTIFACTS}:
        parts.add(Part.REPOSITORIES)
    return frozenset(parts)


@dataclass
class LiveOptions:
    """How to reach the registry and how hard to scan it. The defaults are the production ones."""

    target: Target
    subscription: str | None = None
    resource_group: str | None = None
    repositories: tuple[str, ...] = ()
    parts: frozenset[Part] = ALL_PARTS
    max_requests_per_minute: float | None = None
    concurrency: int = 16
    cache: ManifestCache | None = None
    progress: Progress = field(default_factory=Progress.null)
    #: For the fake ACR and sovereign clouds: ARM base URL, TLS verification and credentials.
    arm_endpoint: str | None = None
    connection_verify: str | bool = True
    credential: Any = None
    async_credential: Any = None
    #: What "now" is when the snapshot is stamped; checks judge ages against that stamp only.
    clock: Clock = system_clock
    #: The cap on any one wait for Azure (``--max-wait``), and how waits sleep and are announced.
    waits: Waits = field(default_factory=Waits)


@dataclass
class LiveResult:
    snapshot: Snapshot
    stats: ScanStats
    requests_per_minute: float | None


def collect_arm(opts: LiveOptions, credential: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Registry settings plus the ARM parts asked for; a failing optional part is recorded, not fatal."""
    subscription = session.subscription(opts.subscription, opts.target.subscription_id)
    client = arm_client(credential, subscription, waits=opts.waits, endpoint=opts.arm_endpoint,
                        connection_verify=opts.connection_verify)
    rg, registry = locate_registry(client, opts.target.name, opts.resource_group, opts.target.resource_group)
    doc: dict[str, Any] = {"registry": registry_section(registry.as_dict()), "operations": []}
    doc["registry"].setdefault("resourceGroup", rg)
    doc["registry"].setdefault("subscriptionId", subscription_of(doc["registry"].get("id")) or subscription)
    errors: list[dict[str, Any]] = []
    calls = {
        Part.USAGE: ("usage", lambda: usage_section(client.registries.list_usages(rg, opts.target.name).as_dict())),
        Part.PRIVATE_ENDPOINT_CONNECTIONS: ("private_endpoint_connections", lambda: private_endpoint_section(
            [p.as_dict() for p in client.private_endpoint_connections.list(rg, opts.target.name)])),
        Part.REPLICATIONS: ("replications", lambda: replication_section(
            [r.as_dict() for r in client.replications.list(rg, opts.target.name)])),
    }
    for part, (key, call) in calls.items():
        if part not in opts.parts:
            continue
        doc["operations"].append(f"list_{key}")
        try:
            doc[key] = call()
        except WaitTooLong:
            raise  # the whole collection stops: the next part would only be told the same
        except Exception as err:  # noqa: BLE001 - recorded; the checks needing it are skipped
            errors.append(error_doc(part, err, operation=f"list_{key}"))
    control_errors, partial = collect_controls(client, credential, doc, opts.parts, rg, opts.target.name)
    errors += control_errors
    if partial:
        doc["partial"] = sorted(partial)
    return doc, errors


async def collect_dataplane(opts: LiveOptions, login_server: str, async_credential: Any,
                            sku: str | None, soft_delete: bool = False) -> tuple[ScanResult, float]:
    rpm = opts.max_requests_per_minute or float(default_read_rate(sku))
    stats = ScanStats()
    limiter = RateLimiter(rpm)
    try:
        async with async_registry_client(login_server, async_credential, connection_verify=opts.connection_verify,
                                         policies=[RateLimitPolicy(limiter, stats, opts.waits)]) as client:
            scanner = DataPlaneScanner(client, opts.parts, repositories=opts.repositories,
                                       concurrency=opts.concurrency, cache=opts.cache, progress=opts.progress,
                                       stats=stats, soft_delete=soft_delete)
            result = await scanner.run()
        if limiter.stopped is not None:
            raise limiter.stopped  # what the workers recorded as errors on the way out is moot
    finally:
        if hasattr(async_credential, "close"):
            await async_credential.close()
    return result, rpm


def collect(opts: LiveOptions) -> LiveResult:
    """Read the registry and return a snapshot.

    Raises CollectionAborted when it cannot be read at all, ServiceUnavailable when Azure keeps failing,
    WaitTooLong when Azure asks for a wait past the cap.
    """
    credential, async_credential = session.credentials(opts)
    doc, errors = collect_arm(opts, credential)
    reg = doc["registry"]
    rpm: float | None = None
    stats = ScanStats()
    if opts.parts & DATA_PARTS:
        login_server = reg.get("loginServer") or opts.target.login_server or f"{opts.target.name}.azurecr.io"
        try:
            soft_delete = ((reg.get("policies") or {}).get("softDeletePolicy") or {}).get("status") == "enabled"
            scan, rpm = asyncio.run(collect_dataplane(opts, login_server, async_credential, reg.get("sku"),
                                                      soft_delete))
        finally:
            opts.progress.close()
        stats = scan.stats
        if scan.repositories is not None:
            doc["repositories"] = scan.repositories
            doc["blobs"] = scan.blob_table()
        errors += scan.errors
        doc["operations"] = sorted({*doc["operations"], *scan.operations})
        if scan.deleted_artifacts is not None:
            doc["deleted_artifacts"] = scan.deleted_artifacts
        if scan.listings is not None:
            doc["listings"] = scan.listings
        partial = set(scan.partial) | set(doc.get("partial", ()))
        if opts.repositories:
            partial |= {Part.REPOSITORIES.value, Part.MANIFESTS.value, Part.MANIFEST_BODIES.value}
        if partial:
            doc["partial"] = sorted(partial)
        if stats.throttled:
            errors.append({"part": Part.ERRORS.value, "status": 429, "code": "TOOMANYREQUESTS",
                           "message": f"throttled {stats.throttled} times during the scan and retried after waiting",
                           "operation": "scan", "retryAfter": stats.max_retry_after,
                           "detail": {"count": stats.throttled}})
    document = {"schema_version": SCHEMA_VERSION, "kind": KIND,
                "collected_at": iso_stamp(opts.clock()), "source": "live", **doc,
                "errors": errors}
    with gc_paused():  # a large registry's documents: bulk allocation, no cycles (snapshot_io.gc_paused)
        snapshot = snapshot_from_dict(document)
    return LiveResult(snapshot, stats, rpm)
