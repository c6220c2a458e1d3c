"""The in-memory state of the fake registry: repositories, manifests, tags, blobs and ARM settings.

Everything the HTTP layer answers is derived from a :class:`FakeRegistry`. Tests arrange a scenario
by building one (by hand or from an :class:`acrdoctor.model.Snapshot`), start a server over it, drive
the real SDK clients, and then look at the state again to see what the calls changed.

The state is guarded by one re-entrant lock (``state.lock``); the server takes it for every request,
and test code that mutates state while a server runs should take it too.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import math
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from acrdoctor.clock import iso_stamp
from acrdoctor.manifest_body import ManifestRenderer
from acrdoctor.model import INDEX_MEDIA_TYPES, Snapshot
from acrdoctor.testing._controls import ControlsMixin
from acrdoctor.testing._registry_auth import RegistryAuthMixin
from acrdoctor.testing._replay import Replay

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
_DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
_DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
_OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"

#: ``listUsages`` ``Size`` limits per SKU, as ARM reports them (bytes).
SKU_SIZE_LIMITS = {"Basic": 10_737_418_240, "Standard": 107_374_182_400, "Premium": 536_870_912_000}

#: Annotation that keeps re-hashed snapshot manifests distinct and traceable to their snapshot digest.
SOURCE_DIGEST_ANNOTATION = "org.acrdoctor.fake.snapshot-digest"

#: How long ACR takes to reclaim freed space when nothing else references it: the FAQ says "within a few minutes"
#: (container-registry-faq.yml; notes acr-semantics-and-peers.md §4 item 2). Five minutes is the fake's reading of
#: "a few"; the real lag is not verified.
RECLAIM_LAG_SECONDS = 300.0
#: The key under which a snapshot's unaccounted bytes wait for reclaim (never a blob digest).
_UNACCOUNTED = "unaccounted"


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical_json(obj: Any) -> bytes:
    """The exact bytes the fake stores and serves for a JSON document (compact, key order kept)."""
    return json.dumps(obj, separators=(",", ":")).encode()


def now_iso(t: float) -> str:
    return iso_stamp(datetime.fromtimestamp(t, UTC))


# -------------------------------------------------------------------------------------------------
# Errors the HTTP layer turns into responses
# -------------------------------------------------------------------------------------------------


class AcrError(Exception):
    """A data-plane error answered as ``{"errors":[{"code","message"[,"detail"]}]}``."""

    def __init__(self, status: int, code: str, message: str, detail: Any = ...,
                 headers: Mapping[str, str] | None = None, raw_body: bytes | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail
        self.headers = dict(headers or {})
        self.raw_body = raw_body

    def body(self) -> bytes:
        if self.raw_body is not None:
            return self.raw_body
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.detail is not ...:
            err["detail"] = self.detail
        return canonical_json({"errors": [err]})


class ArmError(Exception):
    """An ARM error answered as ``{"error":{"code","message"}}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> bytes:
        return canonical_json({"error": {"code": self.code, "message": self.message}})


# ACR's own wording (notes: acr-wire-behaviour §c.2–c.4; acr-cli#70 for the lock message).
DISALLOWED_MESSAGE = ("The operation is disallowed on this registry, repository or image. "
                      "View troubleshooting steps at "
                      "https://aka.ms/acr/faq/#why-does-my-pull-or-push-request-fail-with-disallowed-operation")
UNAUTHORIZED_MESSAGE = "authentication required, visit https://aka.ms/acr/authorization for more information."


def name_unknown(repo: str) -> AcrError:
    return AcrError(404, "NAME_UNKNOWN", "repository name not known to registry", {"name": repo})


def disallowed() -> AcrError:
    return AcrError(405, "REGISTRY_DISALLOWED_OPERATION", DISALLOWED_MESSAGE, {})


# -------------------------------------------------------------------------------------------------
# Knobs: throttling and faults
# -------------------------------------------------------------------------------------------------


@dataclass
class Throttle:
    """Per-identity token buckets, one per request category, as ACR documents its rate limits.

    ACR counts GET/HEAD/OPTIONS as *read*, PUT/PATCH/POST as *write* and DELETE as *delete*, per
    identity per registry. Each bucket holds ``burst`` tokens (default: one minute's worth) and refills
    at ``per_minute / 60`` tokens a second; an empty bucket answers 429 ``TOOMANYREQUESTS`` with a
    ``Retry-After`` of the whole seconds until one token is back, so it counts down on every retry the
    way the documentation describes. ``None`` means unlimited. Defaults are the documented per-identity
    numbers for Basic/Standard (5,000 / 1,000 / 500 a minute).
    """

    read_per_minute: float | None = 5000
    write_per_minute: float | None = 1000
    delete_per_minute: float | None = 500
    burst: float | None = None
    _buckets: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict, repr=False, compare=False)

    def rate(self, category: str) -> float | None:
        return {"read": self.read_per_minute, "write": self.write_per_minute,
                "delete": self.delete_per_minute}.get(category)

    def take(self, identity: str, category: str, now: float) -> int | None:
        """Consume one token; return ``None`` when allowed, else the ``Retry-After`` seconds."""
        per_minute = self.rate(category)
        if per_minute is None:
            return None
        capacity = self.burst if self.burst is not None else per_minute
        per_second = per_minute / 60.0
        tokens, last = self._buckets.get((identity, category), (capacity, now))
        tokens = min(capacity, tokens + max(0.0, now - last) * per_second)
        if tokens >= 1.0:
            self._buckets[(identity, category)] = (tokens - 1.0, now)
            return None
        self._buckets[(identity, category)] = (tokens, now)
        if per_second <= 0:
            return 60
        return max(1, math.ceil((1.0 - tokens) / per_second - 1e-9))


@dataclass
class Faults:
    """Injected misbehaviour, drawn from a seeded RNG so a failing test replays identically.

    * ``error_rate_5xx``: share of requests answered ``error_status`` (data plane: ``UNKNOWN``, or
      ``TOOMANYREQUESTS`` for 429; ARM: ``InternalServerError``, ``BadGateway``, ``ServiceUnavailable`` or
      ``TooManyRequests``; the ARM codes are the fake's own, not from a recording).
    * ``error_status``: the status those errors carry: 500 (default), 502, 503, or 429 without a ``Retry-After``,
      so a client backs off on its own schedule; 403 refuses the read (ARM: ``AuthorizationFailed``, data plane:
      ``UNKNOWN``), which no client retries: a missing permission on one kind of resource.
    * ``reset_rate``: share of connections dropped with a TCP reset before any response.
    * ``slow_seconds``: delay added before every response.
    * ``manifest_unknown_rate``: share of manifest GET/HEAD answered 404 ``MANIFEST_UNKNOWN`` although the
      manifest exists: the intermittent error seen at high concurrency (Azure/acr-cli#459).
    * ``listing_fault``: ``"truncate"`` ends every paged listing (catalog, tags, manifests) after its first page
      with no next link, silently short (Azure/acr#875); ``"repeat"`` makes the next link ask for the same page
      again, so a client that follows it sees the same names twice and a cursor that does not advance.
    * ``path_pattern``: optional regular expression; when set, faults hit only matching paths.

    The token endpoints (``/oauth2/*``) and the 401 challenge are never faulted, so the SDK's auth
    dance stays deterministic and every fault lands on the operation under test.
    """

    error_rate_5xx: float = 0.0
    error_status: int = 500
    reset_rate: float = 0.0
    slow_seconds: float = 0.0
    manifest_unknown_rate: float = 0.0
    listing_fault: str | None = None
    seed: int = 0
    path_pattern: str | None = None
    _rng: random.Random | None = field(default=None, repr=False, compare=False)

    def roll(self, rate: float) -> bool:
        if rate <= 0:
            return False
        if self._rng is None:
            self._rng = random.Random(self.seed)
        return self._rng.random() < rate


# -------------------------------------------------------------------------------------------------
# Registry content
# -------------------------------------------------------------------------------------------------


def _attrs(delete: bool = True, write: bool = True, read: bool = True, list_: bool = True) -> dict[str, bool]:
    return {"deleteEnabled": delete, "writeEnabled": write, "readEnabled": read, "listEnabled": list_}


def _blocks_delete(attrs: Mapping[str, bool]) -> bool:
    return not (attrs.get("deleteEnabled", True) and attrs.get("writeEnabled", True))


@dataclass
class FakeManifest:
    """One stored manifest. ``body`` is served byte for byte; ``digest`` is normally its sha256."""

    digest: str
    media_type: str
    body: bytes
    image_size: int
    created: str
    updated: str
    architecture: str | None = None
    os: str | None = None
    attributes: dict[str, bool] = field(default_factory=_attrs)
    quarantine_state: str | None = None
    references: list[dict[str, Any]] = field(default_factory=list)
    subject: str | None = None
    blobs: list[str] = field(default_factory=list)

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_MEDIA_TYPES


@dataclass
class FakeTag:
    name: str
    digest: str
    created: str
    updated: str
    attributes: dict[str, bool] = field(default_factory=_attrs)


@dataclass
class FakeRepository:
    """A repository. ``orphaned`` reproduces ACR's empty-repository trap (support article "Issue 1")."""

    name: str
    created: str
    updated: str
    attributes: dict[str, bool] = field(default_factory=_attrs)
    manifests: dict[str, FakeManifest] = field(default_factory=dict)
    tags: dict[str, FakeTag] = field(default_factory=dict)
    orphaned: bool = False

    def tags_of(self, digest: str) -> list[str]:
        return sorted(t.name for t in self.tags.values() if t.digest == digest)


class FakeRegistry(ControlsMixin, RegistryAuthMixin):
    """Everything one fake registry knows: ARM settings, usage, private endpoints and content.

    Attributes tests commonly set:

    * ``throttle`` (:class:`Throttle` or ``None``), ``faults`` (:class:`Faults` or ``None``);
    * ``reclaim_delay_seconds``: deleted bytes leave ``listUsages`` ``Size`` only after this delay
      (ACR reclaims storage asynchronously);
    * ``client_ip`` / ``firewall_denied_ips``: the caller's pretend IP for firewall mode;
    * ``denied_actions``: ``{(repository, action)}`` or ``{(identity, repository, action)}`` answered 401
      with ACR's per-action ``detail``, to test missing permissions;
    * ``arm_denied_identities``: identities that ARM refuses with 403 ``AuthorizationFailed`` (no Reader role);
    * ``orphan_on_empty``: when the last manifest of a repository is deleted, keep it as an orphaned
      empty repository (the ACR quirk) instead of removing it (the documented normal case);
    * ``clock``: a zero-argument callable returning seconds; replace it to move time in tests.
    """

    def __init__(self, name: str = "contoso", sku: str = "Premium", resource_group: str = "rg",
                 subscription_id: str = "00000000-0000-0000-0000-000000000000", *,
                 location: str = "westeurope") -> None:
        self.lock = threading.RLock()
        self.clock: Callable[[], float] = time.time
        self.name = name
        self.sku = sku
        self.resource_group = resource_group
        self.subscription_id = subscription_id
        self.location = location
        self.public_network_access = "Enabled"
        self.network_default_action = "Allow"
        self.ip_rules: list[str] = []
        self.virtual_network_rules: list[str] = []
        self.network_rule_bypass_options = "AzureServices"
        self.admin_user_enabled = False
        self.anonymous_pull_enabled = False
        self.data_endpoint_enabled = False
        self.data_endpoint_host_names: list[str] = []
        self.zone_redundancy = "Disabled"
        self.role_assignment_mode: str | None = None
        self.policies: dict[str, Any] = {
            "quarantinePolicy": {"status": "disabled"},
            "trustPolicy": {"type": "Notary", "status": "disabled"},
            "retentionPolicy": {"days": 7, "lastUpdatedTime": "2026-01-05T09:00:00.0000000+00:00",
                                "status": "disabled"},
            "exportPolicy": {"status": "enabled"},
            "azureADAuthenticationAsArmPolicy": {"status": "enabled"},
            "softDeletePolicy": {"retentionDays": 7, "lastUpdatedTime": "2026-01-05T09:00:00.0000000+00:00",
                                 "status": "disabled"},
        }
        self.creation_date = "2026-01-05T09:00:00.0000000Z"
        #: ARM resource tags of the registry (``az acr update --tags``).
        self.tags: dict[str, str] = {}
        self.deleted = False
        #: answer registry DELETE with 202 + Location (an LRO) instead of the recorded 200.
        self.registry_delete_lro = False
        self.private_endpoint_connections: dict[str, dict[str, Any]] = {}
        self.replications: dict[str, dict[str, Any]] = {}
        self.usage_counts: dict[str, int] = {}
        self.size_limit: int | None = None
        #: bytes ``listUsages`` reports on top of the live deduplicated total (e.g. a snapshot's lag).
        self.unaccounted_bytes = 0
        self.repositories: dict[str, FakeRepository] = {}
        self.blob_sizes: dict[str, int] = {}
        self.blob_content: dict[str, bytes] = {}
        #: snapshot digest -> digest the fake serves (identity unless ``from_snapshot`` re-hashed bodies).
        self.digest_map: dict[str, str] = {}
        self.reclaim_delay_seconds = 0.0
        self.throttle: Throttle | None = None
        self.faults: Faults | None = None
        self.client_ip = "203.0.113.42"
        self.firewall_denied_ips: set[str] = set()
        self.denied_actions: set[tuple[str, ...]] = set()
        #: Identities without any Azure RBAC role on the registry: ARM answers 403 AuthorizationFailed.
        self.arm_denied_identities: set[str] = set()
        self.orphan_on_empty = False
        #: repository delete refuses (405) while any manifest or tag inside blocks deletion; unverified on
        #: the wire (no recording), modelled on the image-lock documentation.
        self.repo_delete_respects_image_locks = True
        self._reclaiming: list[tuple[float, dict[str, int]]] = []
        #: The snapshot's recorded refusals and throttles, answered again (empty unless ``from_snapshot(replay=True)``).
        self.replay = Replay()
        self._uploads: dict[str, bytearray] = {}
        self._refresh_tokens: dict[str, str] = {}
        self._access_tokens: dict[str, tuple[str, str]] = {}
        self._operations: dict[str, int] = {}
        self._init_controls()
        self._init_registry_auth()

    # -- identity & derived ARM values ----------------------------------------------------------------

    @property
    def resource_id(self) -> str:
        return (f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}/providers/"
                f"Microsoft.ContainerRegistry/registries/{self.name}")

    def now(self) -> str:
        return now_iso(self.clock())

    # -- firewall ---------------------------------------------------------------------------------------

    def firewall_blocks(self, ip: str | None = None) -> bool:
        """Whether the data plane refuses ``ip`` (default ``client_ip``) with 403 ``DENIED``."""
        ip = ip or self.client_ip
        if ip in self.firewall_denied_ips:
            return True
        if self.public_network_access.lower() == "disabled":
            return True
        if self.network_default_action.lower() != "deny":
            return False
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return True
        for rule in self.ip_rules:
            try:
                if addr in ipaddress.ip_network(rule, strict=False):
                    return False
            except ValueError:
                continue
        return True

    # -- building content -------------------------------------------------------------------------------

    def add_repository(self, name: str, *, attributes: Mapping[str, bool] | None = None,
                       orphaned: bool = False) -> FakeRepository:
        """Create (or return) a repository; ``orphaned=True`` makes it the empty NAME_UNKNOWN trap."""
        with self.lock:
            repo = self.repositories.get(name)
            if repo is None:
                t = self.now()
                repo = FakeRepository(name, t, t)
                self.repositories[name] = repo
            if attributes:
                repo.attributes.update(attributes)
            repo.orphaned = orphaned or (repo.orphaned and not repo.manifests)
            return repo

    def add_blob(self, name_or_digest: str, size: int, content: bytes | None = None) -> str:
        """Register a blob by digest (``sha256:…``) or by a name that is hashed into one."""
        digest = name_or_digest if name_or_digest.startswith("sha256:") else sha256_digest(name_or_digest.encode())
        with self.lock:
            self.blob_sizes[digest] = size
            if content is not None:
                self.blob_content[digest] = content
        return digest

    def push_image(self, repo: str, tags: Iterable[str] = (), layers: Iterable[tuple[str, int]] = (("layer", 1000),),
                   config: tuple[str, int] | None = None, *, media_type: str = DOCKER_MANIFEST,
                   architecture: str | None = "amd64", os: str | None = "linux", subject: str | None = None,
                   attributes: Mapping[str, bool] | None = None) -> str:
        """Push an image manifest (blobs named or given by digest); return its served digest."""
        oci = media_type == OCI_MANIFEST
        layer_list = [(self.add_blob(n, s), s) for n, s in layers]
        cfg_name, cfg_size = config or (f"{repo}-config-{','.join(tags)}-{len(layer_list)}", 100)
        cfg = self.add_blob(cfg_name, cfg_size)
        body: dict[str, Any] = {"schemaVersion": 2, "mediaType": media_type,
                                "config": {"mediaType": _OCI_CONFIG if oci else _DOCKER_CONFIG,
                                           "size": cfg_size, "digest": cfg},
                                "layers": [{"mediaType": _OCI_LAYER if oci else _DOCKER_LAYER, "size": s, "digest": d}
                                           for d, s in layer_list]}
        if subject:
            body["subject"] = self._descriptor(repo, subject)
        return self.put_manifest(repo, canonical_json(body), media_type, tags=list(tags), architecture=architecture,
                                 os=os, attributes=attributes)

    def push_index(self, repo: str, children: Iterable[str], tags: Iterable[str] = (), *,
                   media_type: str = OCI_INDEX) -> str:
        """Push a multi-arch index over manifests already in ``repo``; return its digest."""
        manifests = []
        for d in children:
            desc = self._descriptor(repo, d)
            child = self.repositories.get(repo, FakeRepository("", "", "")).manifests.get(d)
            if child and (child.architecture or child.os):
                desc["platform"] = {"architecture": child.architecture, "os": child.os}
            manifests.append(desc)
        body = {"schemaVersion": 2, "mediaType": media_type, "manifests": manifests}
        return self.put_manifest(repo, canonical_json(body), media_type, tags=list(tags), architecture=None, os=None)

    def _descriptor(self, repo: str, digest: str) -> dict[str, Any]:
        r = self.repositories.get(repo)
        m = r.manifests.get(digest) if r else None
        return {"mediaType": m.media_type if m else OCI_MANIFEST, "size": len(m.body) if m else 0, "digest": digest}

    def put_manifest(self, repo: str, body: bytes, media_type: str | None = None, *, tags: Iterable[str] = (),
                     architecture: str | None = None, os: str | None = None,
                     attributes: Mapping[str, bool] | None = None, digest: str | None = None,
                     image_size: int | None = None, created: str | None = None) -> str:
        """Store a manifest body (as ``PUT /v2/{repo}/manifests/{ref}`` does) and point ``tags`` at it.

        Lock checks are the HTTP layer's job; this method always succeeds. ``digest`` overrides the
        sha256 of the body (only ``from_snapshot(rehash=False)`` does that).
        """
        doc = json.loads(body)
        media_type = media_type or doc.get("mediaType") or DOCKER_MANIFEST
        digest = digest or sha256_digest(body)
        with self.lock:
            repository = self.add_repository(repo)
            repository.orphaned = False
            t = created or self.now()
            blobs: list[str] = []
            references: list[dict[str, Any]] = []
            if media_type in INDEX_MEDIA_TYPES or "manifests" in doc:
                for child in doc.get("manifests", []):
                    ref: dict[str, Any] = {"digest": child["digest"]}
                    plat = child.get("platform") or {}
                    if plat.get("architecture"):
                        ref["architecture"] = plat["architecture"]
                    if plat.get("os"):
                        ref["os"] = plat["os"]
                    references.append(ref)
                size = len(body)
            else:
                if doc.get("config"):
                    blobs.append(doc["config"]["digest"])
                    self.blob_sizes.setdefault(doc["config"]["digest"], int(doc["config"].get("size", 0)))
                for layer in doc.get("layers", []):
                    blobs.append(layer["digest"])
                    self.blob_sizes.setdefault(layer["digest"], int(layer.get("size", 0)))
                size = len(body) + sum(self.blob_sizes.get(b, 0) for b in blobs)
            existing = repository.manifests.get(digest)
            m = FakeManifest(
                digest=digest, media_type=media_type, body=body,
                image_size=image_size if image_size is not None else size,
                created=existing.created if existing else t, updated=t,
                architecture=architecture, os=os, references=references,
                subject=(doc.get("subject") or {}).get("digest"), blobs=blobs,
                attributes=existing.attributes if existing else _attrs(),
                quarantine_state=existing.quarantine_state if existing else None,
            )
            if attributes:
                m.attributes.update(attributes)
            repository.manifests[digest] = m
            for tag in tags:
                old = repository.tags.get(tag)
                repository.tags[tag] = FakeTag(tag, digest, old.created if old else t, t,
                                               old.attributes if old else _attrs())
            repository.updated = t
            return digest

    def set_attributes(self, repo: str, *, tag: str | None = None, digest: str | None = None,
                       **flags: bool) -> None:
        """Set ``changeableAttributes`` (``delete_enabled=False``, ``write_enabled=False``, …) at one level."""
        keys = {"delete_enabled": "deleteEnabled", "write_enabled": "writeEnabled",
                "read_enabled": "readEnabled", "list_enabled": "listEnabled"}
        update = {keys.get(k, k): v for k, v in flags.items()}
        with self.lock:
            r = self.repositories[repo]
            if tag is not None:
                r.tags[tag].attributes.update(update)
            elif digest is not None:
                r.manifests[digest].attributes.update(update)
            else:
                r.attributes.update(update)

    def add_private_endpoint(self, suffix: str, status: str = "Approved") -> str:
        """Attach a private endpoint connection named ``<registry>.<suffix>``; return its name."""
        name = f"{self.name}.{suffix}"
        with self.lock:
            self.private_endpoint_connections[name] = {
                "type": "Microsoft.ContainerRegistry/registries/privateEndpointConnections",
                "id": f"{self.resource_id}/privateEndpointConnections/{name}",
                "name": name,
                "properties": {
                    "privateEndpoint": {"id": f"/subscriptions/{self.subscription_id}/resourceGroups/"
                                              f"{self.resource_group}/providers/Microsoft.Network/privateEndpoints/"
                                              f"pe-{suffix}"},
                    "privateLinkServiceConnectionState": {"status": status, "description": "",
                                                          "actionsRequired": "None"},
                    "provisioningState": "Succeeded",
                },
            }
        return name

    def add_replication(self, location: str) -> None:
        with self.lock:
            self.replications[location] = {
                "type": "Microsoft.ContainerRegistry/registries/replications",
                "id": f"{self.resource_id}/replications/{location}", "name": location, "location": location,
                "tags": {}, "systemData": {"createdBy": "fake-user@example.com", "createdByType": "User",
                                           "createdAt": self.creation_date, "lastModifiedBy": "fake-user@example.com",
                                           "lastModifiedByType": "User", "lastModifiedAt": self.creation_date},
                "properties": {"provisioningState": "Succeeded",
                                           "status": {"displayStatus": "Ready"},
                                           "regionEndpointEnabled": True, "zoneRedundancy": "Disabled"},
            }

    # -- storage accounting -----------------------------------------------------------------------------

    def referenced_blobs(self) -> set[str]:
        with self.lock:
            return {b for r in self.repositories.values() for m in r.manifests.values() for b in m.blobs}

    def stored_bytes(self) -> int:
        """Live deduplicated bytes: every config/layer blob counted once across all repositories."""
        with self.lock:
            return sum(self.blob_sizes.get(b, 0) for b in self.referenced_blobs())

    def reported_size(self) -> int:
        """What ``listUsages`` reports as ``Size``: live bytes plus deletes still inside the reclaim delay."""
        with self.lock:
            now = self.clock()
            self._reclaiming = [(t, blobs) for t, blobs in self._reclaiming if t + self.reclaim_delay_seconds > now]
            live = self.referenced_blobs()
            pending: dict[str, int] = {}
            for _, blobs in self._reclaiming:
                pending.update({d: s for d, s in blobs.items() if d not in live})
            return self.stored_bytes() + sum(pending.values()) + self.unaccounted_bytes

    def _note_freed(self, before: set[str]) -> None:
        freed = {d: self.blob_sizes.get(d, 0) for d in before - self.referenced_blobs()}
        if freed and self.reclaim_delay_seconds > 0:
            self._reclaiming.append((self.clock(), freed))

    # -- deletes (lock checks are done here so the HTTP layer and direct callers agree) -------------------

    def delete_repository(self, name: str) -> dict[str, list[str]]:
        with self.lock:
            repo = self.repositories.get(name)
            if repo is None or repo.orphaned:
                raise name_unknown(name)
            if _blocks_delete(repo.attributes):
                raise disallowed()
            if self.repo_delete_respects_image_locks and (
                    any(_blocks_delete(m.attributes) for m in repo.manifests.values())
                    or any(_blocks_delete(t.attributes) for t in repo.tags.values())):
                raise disallowed()
            before = self.referenced_blobs()
            del self.repositories[name]
            self._note_freed(before)
            return {"manifestsDeleted": sorted(repo.manifests), "tagsDeleted": sorted(repo.tags)}

    def delete_tag(self, repo_name: str, tag: str) -> None:
        with self.lock:
            repo = self.repositories.get(repo_name)
            t = repo.tags.get(tag) if repo else None
            if repo is None or t is None:
                raise AcrError(404, "TAG_UNKNOWN", "the specified tag does not exist")
            if not repo.attributes.get("writeEnabled", True) or _blocks_delete(t.attributes):
                raise disallowed()
            del repo.tags[tag]

    def delete_manifest(self, repo_name: str, digest: str) -> list[str]:
        """Delete a manifest, its tags and (like ACR) its referrers; return the deleted digests."""
        with self.lock:
            repo = self.repositories.get(repo_name)
            m = repo.manifests.get(digest) if repo else None
            if repo is None or m is None:
                raise AcrError(404, "MANIFEST_UNKNOWN", f"manifest {digest} is not found")
            if not repo.attributes.get("writeEnabled", True) or _blocks_delete(m.attributes):
                raise disallowed()
            before = self.referenced_blobs()
            gone: list[str] = []
            tags_before = {d: repo.tags_of(d) for d in repo.manifests}
            todo = [digest]
            while todo:
                d = todo.pop()
                if d in repo.manifests and d not in gone:
                    gone.append(d)
                    del repo.manifests[d]
                    todo.extend(x.digest for x in repo.manifests.values() if x.subject == d)
            for name in [t.name for t in repo.tags.values() if t.digest in gone]:
                del repo.tags[name]
            if self.soft_delete_enabled():
                # Soft delete keeps what was deleted listable under _deleted (container-registry-soft-delete-policy
                # .md); its bytes leaving Size is not modelled (the documentation says they stay billed).
                for d in gone:
                    self.add_deleted_manifest(repo_name, d, deleted_at=self.now(), tags=tags_before.get(d, ()),
                                              media_type=m.media_type if d == digest else None)
            if not repo.manifests:
                if self.orphan_on_empty:
                    repo.orphaned = True
                    repo.tags.clear()
                else:
                    del self.repositories[repo_name]
            self._note_freed(before)
            return gone

    # -- tokens -----------------------------------------------------------------------------------------

    def issue_refresh_token(self, identity: str) -> str:
        token = "fake-acr-refresh-" + uuid.uuid4().hex
        with self.lock:
            self._refresh_tokens[token] = identity
        return token

    def identity_of_refresh_token(self, token: str) -> str | None:
        return self._refresh_tokens.get(token)

    def issue_access_token(self, identity: str, scope: str) -> str:
        token = "fake-acr-access-" + uuid.uuid4().hex
        with self.lock:
            self._access_tokens[token] = (identity, scope)
        return token

    def access_token(self, token: str) -> tuple[str, str] | None:
        return self._access_tokens.get(token)

    def is_denied(self, identity: str, repo: str, action: str) -> bool:
        return (repo, action) in self.denied_actions or (identity, repo, action) in self.denied_actions

    def pend_reclaim(self, size: int) -> None:
        """Bytes in ``Size`` that no manifest accounts for leave it once the reclaim lag has passed, as space freed
        before the snapshot was taken would (a negative figure, pushes not yet counted, catches up the same way)."""
        with self.lock:
            self._reclaiming.append((self.clock(), {_UNACCOUNTED: size}))

    # -- snapshot import --------------------------------------------------------------------------------

    @classmethod
    def from_snapshot(cls, snapshot: Snapshot, *, rehash: bool = True, replay: bool = False,
                      retry_after_scale: float = 1.0, clock: Callable[[], float] | None = None) -> FakeRegistry:
        """Build fake state from a snapshot: settings, usage, private endpoints, replications, content, and the
        schema-2 parts (locks, role assignments, tokens, tasks, cache rules, connected registries, soft-deleted
        manifests; :meth:`seed_controls`).

        The SDK's ``get_manifest`` checks that the sha256 of the body equals the requested digest. Digests
        made by ``acrdoctor.builder`` are the sha256 of the canonical body ``acrdoctor.manifest_body``
        renders, which is what the fake serves, so they are kept. Any other digest (collected from a real
        registry, written by hand) gets a canonical body and, with ``rehash=True`` (the default), a new
        digest that replaces the old one everywhere (tags, index references, subjects);
        ``state.digest_map`` maps snapshot digests to served ones. ``rehash=False`` keeps foreign digests;
        listings and deletes match the snapshot exactly, but ``get_manifest`` raises ``DigestValidationError``.

        Repositories with manifest and tag counts of 0 and no manifests become orphaned (the
        NAME_UNKNOWN trap). A repository whose manifests were not collected is created empty.
        A snapshot ``Size`` usage different from the computed deduplicated total is kept as
        ``unaccounted_bytes`` so ``listUsages`` starts at the snapshot's figure.

        ``replay=True`` makes the fake go on as the registry would have after the snapshot: its recorded 401s and
        429s are answered again (``state.replay``, :mod:`acrdoctor.testing._replay`; every ``Retry-After`` times
        ``retry_after_scale``), deleted bytes leave ``Size`` after :data:`RECLAIM_LAG_SECONDS`, and so do the
        unaccounted bytes, but for what the snapshot's soft-deleted artifacts hold (their ``imageSize``, which
        stays billed until autopurge), and a connected registry's sync token that the snapshot did not list is
        added, so that deleting it with ``--cleanup`` works as on ARM. ``clock`` replaces ``state.clock`` before
        anything is seeded (the reclaim lag runs from the moment of seeding).
        """
        reg = snapshot.registry
        st = cls(name=reg.name, sku=reg.sku or "Standard", resource_group=reg.resource_group or "rg",
                 subscription_id=reg.subscription_id or "00000000-0000-0000-0000-000000000000",
                 location=reg.location or "westeurope")
        if clock is not None:
            st.clock = clock
        if reg.public_network_access:
            st.public_network_access = reg.public_network_access
        if reg.network_rule_set:
            st.network_default_action = reg.network_rule_set.default_action
            st.ip_rules = list(reg.network_rule_set.ip_rules)
            st.virtual_network_rules = list(reg.network_rule_set.virtual_network_rules)
        if reg.network_rule_bypass_options:
            st.network_rule_bypass_options = reg.network_rule_bypass_options
        for key, policy, days_key in (("retentionPolicy", reg.retention_policy, "days"),
                                      ("softDeletePolicy", reg.soft_delete_policy, "retentionDays")):
            if policy:
                st.policies[key].update({"status": policy.status, days_key: policy.days or 7})
                # ARM's lastUpdatedTime as the snapshot has it; a snapshot without one gets none.
                st.policies[key].pop("lastUpdatedTime", None)
                if policy.updated:
                    st.policies[key]["lastUpdatedTime"] = policy.updated
        if reg.quarantine_policy:
            st.policies["quarantinePolicy"]["status"] = reg.quarantine_policy.status
        st.data_endpoint_enabled = bool(reg.data_endpoint_enabled)
        st.data_endpoint_host_names = list(reg.data_endpoint_host_names)
        st.role_assignment_mode = reg.role_assignment_mode
        st.anonymous_pull_enabled = bool(reg.anonymous_pull_enabled)
        if reg.zone_redundancy:
            st.zone_redundancy = reg.zone_redundancy
        for pe in snapshot.private_endpoint_connections or ():
            suffix = pe.name[len(reg.name) + 1:] if pe.name.startswith(reg.name + ".") else pe.name
            name = st.add_private_endpoint(suffix, pe.status or "Approved")
            if name != pe.name:
                st.private_endpoint_connections[pe.name] = st.private_endpoint_connections.pop(name)
                st.private_endpoint_connections[pe.name]["name"] = pe.name
            if pe.private_endpoint_id:
                st.private_endpoint_connections[pe.name]["properties"]["privateEndpoint"]["id"] = pe.private_endpoint_id
        for rep in snapshot.replications or ():
            st.add_replication(rep.location)
        for b in snapshot.blobs:
            st.blob_sizes[b.digest] = b.size
        for repo in snapshot.repositories or ():
            _import_repository(st, snapshot, repo, rehash)
        size_row = snapshot.usage_named("Size")
        if size_row is not None:
            st.size_limit = size_row.limit
            st.unaccounted_bytes = size_row.current - st.stored_bytes()
            if replay:
                st.reclaim_delay_seconds = RECLAIM_LAG_SECONDS
                held = sum(d.image_size or 0 for d in snapshot.deleted_artifacts or ())
                kept = min(max(st.unaccounted_bytes, 0), held)
                st.pend_reclaim(st.unaccounted_bytes - kept)
                st.unaccounted_bytes = kept
        for u in snapshot.usage or ():
            if u.name not in ("Size", "MaximumStorageCapacity"):
                st.usage_counts[u.name] = u.current
        st.seed_controls(snapshot, sync_tokens=replay)
        if replay:
            st.replay = Replay.from_errors(snapshot.errors, retry_after_scale)
            st.reclaim_delay_seconds = RECLAIM_LAG_SECONDS
        return st


def _import_repository(st: FakeRegistry, snapshot: Snapshot, repo: Any, rehash: bool) -> None:
    r = st.add_repository(repo.name)
    r.created = repo.created or r.created
    r.updated = repo.updated or r.updated
    r.attributes.update(_model_attrs(repo.attributes))
    manifests = list(repo.manifests or ())
    if not manifests:
        r.orphaned = repo.manifests is not None and (repo.manifest_count or 0) == 0 and (repo.tag_count or 0) == 0
        return
    by_digest = {m.digest: m for m in manifests}
    tags_by_digest: dict[str, list[Any]] = {}
    for t in repo.tags or ():
        tags_by_digest.setdefault(t.digest, []).append(t)
    for m in manifests:
        if repo.tags is None:
            tags_by_digest.setdefault(m.digest, [])
    # dependency order: a manifest's body names its subject and index children by served digest
    done: set[str] = set()
    renderer = ManifestRenderer(snapshot.blobs, by_digest.get)

    def visit(m: Any, path: frozenset[str]) -> None:
        if m.digest in done or m.digest in path:
            return
        for d in (*m.references, m.subject):
            if d and d in by_digest:
                visit(by_digest[d], path | {m.digest})
        _import_manifest(st, snapshot, repo, m, tags_by_digest, rehash, renderer)
        done.add(m.digest)

    for m in manifests:
        visit(m, frozenset())


def _model_attrs(a: Any) -> dict[str, bool]:
    return _attrs(a.delete_enabled, a.write_enabled, a.read_enabled, a.list_enabled)


def _import_manifest(st: FakeRegistry, snapshot: Snapshot, repo: Any, m: Any,
                     tags_by_digest: Mapping[str, list[Any]], rehash: bool,
                     renderer: ManifestRenderer | None = None) -> None:
    mt = m.media_type or (OCI_INDEX if m.references else DOCKER_MANIFEST)
    served = st.digest_map
    # Snapshots built with acrdoctor.builder carry content digests of the canonical body
    # (acrdoctor.manifest_body): serve exactly that body and keep every digest as it is.
    renderable = renderer is not None and (m.layers is not None or m.is_index)
    canonical = renderer.body(m) if renderer is not None and renderable else b""
    keep = bool(canonical) and sha256_digest(canonical) == m.digest
    doc: dict[str, Any] = {}
    if keep:
        doc_bytes = canonical
    elif m.is_index:
        children = []
        for ref in m.references:
            d = served.get(ref, ref)
            desc = st._descriptor(repo.name, d)
            child = st.repositories[repo.name].manifests.get(d)
            if child and (child.architecture or child.os):
                desc["platform"] = {"architecture": child.architecture, "os": child.os}
            children.append(desc)
        doc = {"schemaVersion": 2, "mediaType": mt, "manifests": children}
    else:
        oci = mt == OCI_MANIFEST
        doc = {"schemaVersion": 2, "mediaType": mt}
        if m.config is not None:
            b = snapshot.blobs[m.config]
            doc["config"] = {"mediaType": _OCI_CONFIG if oci else _DOCKER_CONFIG, "size": b.size, "digest": b.digest}
        doc["layers"] = [{"mediaType": _OCI_LAYER if oci else _DOCKER_LAYER, "size": snapshot.blobs[i].size,
                          "digest": snapshot.blobs[i].digest} for i in (m.layers or ())]
        if m.subject:
            doc["subject"] = st._descriptor(repo.name, served.get(m.subject, m.subject))
    if not keep:
        if rehash:
            doc["annotations"] = {SOURCE_DIGEST_ANNOTATION: m.digest}
        doc_bytes = canonical_json(doc)
    tags = tags_by_digest.get(m.digest)
    tag_names = [t.name for t in tags] if tags is not None else list(m.tags)
    digest = st.put_manifest(repo.name, doc_bytes, mt, tags=tag_names, architecture=m.architecture,
                             os=m.os, digest=m.digest if keep or not rehash else None, image_size=m.image_size,
                             created=m.created)
    served[m.digest] = digest
    fm = st.repositories[repo.name].manifests[digest]
    fm.updated = m.updated or fm.updated
    fm.attributes.update(_model_attrs(m.attributes))
    fm.quarantine_state = m.quarantine_state
    for t in tags or ():
        ft = st.repositories[repo.name].tags[t.name]
        ft.created = t.created or ft.created
        ft.updated = t.updated or ft.updated
        ft.attributes.update(_model_attrs(t.attributes))
