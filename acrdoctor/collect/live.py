"""Collecting a snapshot from a live registry through the Azure SDKs.

Management plane (registry settings, usage, private endpoint connections, replications) through
azure-mgmt-containerregistry; data plane through azure-containerregistry's async client, driven by
:class:`~acrdoctor.collect.dataplane.DataPlaneScanner`. Only the parts the selected checks need are
collected (popeye's "preloads"), so ``--check private-endpoints-block-registry-delete`` costs two ARM calls.

Nothing here writes to the registry: every call is a GET.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from acrdoctor.check_api import Check
from acrdoctor.clock import Clock, iso_stamp, system_clock
from acrdoctor.collect.arm_shapes import (
    private_endpoint_section,
    registry_section,
    replication_section,
    resource_group_of,
    subscription_of,
    usage_section,
)
from acrdoctor.collect.cache import ManifestCache
from acrdoctor.collect.capped_retry import CappedRetryPolicy
from acrdoctor.collect.dataplane import DataPlaneScanner, RateLimitPolicy, ScanResult, ScanStats
from acrdoctor.collect.failures import CollectionAborted, error_doc, explain_fatal
from acrdoctor.collect.limits import default_read_rate
from acrdoctor.collect.progress import Progress
from acrdoctor.collect.ratelimit import RateLimiter
from acrdoctor.collect.tokens import TokenReusePolicy
from acrdoctor.collect.waits import Waits, WaitTooLong
from acrdoctor.errors import InputError
from acrdoctor.model import Part, Snapshot
from acrdoctor.snapshot_io import KIND, SCHEMA_VERSION, snapshot_from_dict

ARM_PARTS = frozenset({Part.USAGE, Part.PRIVATE_ENDPOINT_CONNECTIONS, Part.REPLICATIONS})
DATA_PARTS = frozenset({Part.REPOSITORIES, Part.MANIFESTS, Part.TAGS, Part.MANIFEST_BODIES})
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
    if parts & {Part.MANIFESTS, Part.TAGS}:
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


def _az_subscription() -> str | None:
    """The subscription ``az`` is set to, so a signed-in user needs no --subscription."""
    az = shutil.which("az")
    if not az:
        return None
    try:
        out = subprocess.run([az, "account", "show", "--query", "id", "--output", "tsv"], capture_output=True,
                             text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    sub = out.stdout.strip()
    return sub if out.returncode == 0 and sub else None


def _subscription(opts: LiveOptions) -> str:
    sub = opts.subscription or opts.target.subscription_id or os.environ.get("AZURE_SUBSCRIPTION_ID") \
        or _az_subscription()
    if not sub:
        raise InputError("no Azure subscription: pass --subscription, set AZURE_SUBSCRIPTION_ID, or sign in with "
                         "'az login' and pick one with 'az account set --subscription ID'")
    return sub


def _credentials(opts: LiveOptions) -> tuple[Any, Any]:
    if opts.credential is not None and opts.async_credential is not None:
        return opts.credential, opts.async_credential
    from azure.identity import DefaultAzureCredential
    from azure.identity.aio import DefaultAzureCredential as AsyncDefaultAzureCredential

    return (opts.credential or DefaultAzureCredential(),
            opts.async_credential or AsyncDefaultAzureCredential())


def _arm_client(opts: LiveOptions, credential: Any, subscription: str) -> Any:
    from azure.mgmt.containerregistry import ContainerRegistryManagementClient

    kwargs: dict[str, Any] = {"connection_verify": opts.connection_verify,
                              "retry_policy": CappedRetryPolicy(opts.waits, retry_total=3)}
    if opts.arm_endpoint:
        kwargs["base_url"] = opts.arm_endpoint
    return ContainerRegistryManagementClient(credential, subscription, **kwargs)


def _find_resource_group(client: Any, name: str, what: str) -> str:
    """Without --resource-group, find the registry among the subscription's registries, as ``az`` does."""
    try:
        for reg in client.registries.list():
            if (reg.name or "").lower() == name.lower():
                rg = resource_group_of(reg.id)
                if rg:
                    return rg
    except Exception as err:  # noqa: BLE001
        raise explain_fatal(err, what) from None
    raise CollectionAborted(f"{what} was not found in the subscription; check the name ('az acr list -o table') "
                            "or pass --subscription and --resource-group")


def collect_arm(opts: LiveOptions, credential: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Registry settings plus the ARM parts asked for; a failing optional part is recorded, not fatal."""
    subscription = _subscription(opts)
    what = f"registry '{opts.target.name}'"
    client = _arm_client(opts, credential, subscription)
    rg = opts.resource_group or opts.target.resource_group or _find_resource_group(client, opts.target.name, what)
    try:
        registry = client.registries.get(rg, opts.target.name)
    except Exception as err:  # noqa: BLE001
        raise explain_fatal(err, f"{what} in resource group '{rg}'") from None
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
    return doc, errors


async def collect_dataplane(opts: LiveOptions, login_server: str, async_credential: Any,
                            sku: str | None) -> tuple[ScanResult, float]:
    from azure.containerregistry.aio import ContainerRegistryClient

    rpm = opts.max_requests_per_minute or float(default_read_rate(sku))
    stats = ScanStats()
    limiter = RateLimiter(rpm)
    endpoint = login_server if login_server.startswith("https://") else f"https://{login_server}"
    kwargs: dict[str, Any] = {"connection_verify": opts.connection_verify}
    session = None
    if isinstance(opts.connection_verify, str):
        # azure-core builds a new SSLContext per request when connection_verify is a path, and aiohttp keys
        # its connection pool on it, so no connection would ever be reused (docs/benchmarks.md measured
        # 130 instead of 423 requests/s). One context on one shared session keeps connections alive.
        import ssl

        import aiohttp
        from azure.core.pipeline.transport import AioHttpTransport

        context = ssl.create_default_context(cafile=opts.connection_verify)
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context))
        kwargs = {"connection_verify": True, "transport": AioHttpTransport(session=session, session_owner=False)}
    client = ContainerRegistryClient(
        endpoint, async_credential, retry_total=0,
        per_retry_policies=[TokenReusePolicy(), RateLimitPolicy(limiter, stats, opts.waits)], **kwargs,
    )
    try:
        async with client:
            scanner = DataPlaneScanner(client, opts.parts, repositories=opts.repositories,
                                       concurrency=opts.concurrency, cache=opts.cache, progress=opts.progress,
                                       stats=stats)
            result = await scanner.run()
        if limiter.stopped is not None:
            raise limiter.stopped  # what the workers recorded as errors on the way out is moot
    finally:
        if session is not None:
            await session.close()
        if hasattr(async_credential, "close"):
            await async_credential.close()
    return result, rpm


def collect(opts: LiveOptions) -> LiveResult:
    """Read the registry and return a snapshot.

    Raises CollectionAborted when it cannot be read at all, ServiceUnavailable when Azure keeps failing,
    WaitTooLong when Azure asks for a wait past the cap.
    """
    credential, async_credential = _credentials(opts)
    doc, errors = collect_arm(opts, credential)
    reg = doc["registry"]
    rpm: float | None = None
    stats = ScanStats()
    if opts.parts & DATA_PARTS:
        login_server = reg.get("loginServer") or opts.target.login_server or f"{opts.target.name}.azurecr.io"
        try:
            scan, rpm = asyncio.run(collect_dataplane(opts, login_server, async_credential, reg.get("sku")))
        finally:
            opts.progress.close()
        stats = scan.stats
        if scan.repositories is not None:
            doc["repositories"] = scan.repositories
            doc["blobs"] = scan.blob_table()
        errors += scan.errors
        doc["operations"] = sorted({*doc["operations"], *scan.operations})
        partial = set(scan.partial)
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
    return LiveResult(snapshot_from_dict(document), stats, rpm)
