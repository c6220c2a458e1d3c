"""Scanning the data plane: repositories, raw manifest and tag listings, manifest bodies.

Three things make a scan of 100,000 manifests bounded by the registry's documented request limit
rather than by the client (acr-semantics notes §5.1):

* every HTTP request, challenge retries included, passes one shared :class:`RateLimitPolicy`, so the
  whole scan stays under the per-identity limit and a 429 pauses *all* workers once, for as long as
  ``Retry-After`` says, instead of each worker hammering on its own;
* ACR access tokens are reused per scope (:mod:`acrdoctor.azure.tokens`), where the SDK alone would
  pay a 401 challenge and a token request for every call;
* manifest bodies are immutable, so they come from the on-disk cache when their digest was seen before.

Listings are read raw because the SDK's models drop ``mediaType`` and ``references`` (notes azure-sdk §1.3):
the catalog through the SDK's ``raw_response_hook``, manifests and tags page by page without the SDK's models
(:mod:`acrdoctor.collect.raw_listing`, issue 16). Any part that fails is recorded as a collection error and the
scan goes on; only a failure to list repositories at all leaves the data plane uncollected.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import AsyncHTTPPolicy

from acrdoctor.azure.dataplane_client import raw_pages
from acrdoctor.azure.failures import describe, error_code, error_doc, load_error_body
from acrdoctor.azure.waits import Waits, back_off_together
from acrdoctor.collect.cache import ManifestCache
from acrdoctor.collect.control_shapes import deleted_rows
from acrdoctor.collect.paging import ListingStopped, PageRecorder
from acrdoctor.collect.progress import Progress
from acrdoctor.collect.ratelimit import RateLimiter, backoff_delay, parse_retry_after
from acrdoctor.collect.raw_listing import read_listing, read_repository
from acrdoctor.manifest_body import parse_manifest_body
from acrdoctor.model import Part
from acrdoctor.snapshot_io import gc_paused

T = TypeVar("T")

#: ACR's listing page size; the Azure CLI uses 100 too (notes acr-wire-behaviour §b, pagination).
PAGE_SIZE = 100

#: Extra attempts for a MANIFEST_UNKNOWN on a manifest that was just listed.
MANIFEST_UNKNOWN_RETRIES = 2


@dataclass
class ScanStats:
    """Counts the benchmark and the closing summary report."""

    requests: int = 0
    throttled: int = 0
    retries: int = 0
    repositories: int = 0
    manifests: int = 0
    bodies_fetched: int = 0
    bodies_cached: int = 0
    max_retry_after: float = 0.0


class RateLimitPolicy(AsyncHTTPPolicy):  # type: ignore[misc]
    """Every wire request waits for the shared limiter; a 429 pauses every worker at once.

    A ``Retry-After`` past the cap of ``waits`` stops the limiter instead: every worker's next request
    raises the same :class:`WaitTooLong`, and the scan ends with it rather than hanging.
    """

    def __init__(self, limiter: RateLimiter, stats: ScanStats, waits: Waits | None = None) -> None:
        super().__init__()
        self.limiter = limiter
        self.stats = stats
        self.waits = waits or Waits()

    async def send(self, request: PipelineRequest) -> PipelineResponse:
        await self.limiter.acquire()
        self.stats.requests += 1
        response = await self.next.send(request)
        http = response.http_response
        if http.status_code == 429:
            self.stats.throttled += 1
            wait = back_off_together(request.http_request.method, request.http_request.url,
                                     parse_retry_after(http.headers.get("Retry-After")), error_code(http), self.waits,
                                     self.limiter.pause_for, self.limiter.stop)
            self.stats.max_retry_after = max(self.stats.max_retry_after, wait)
        return response


@dataclass(repr=False)
class ScanResult:
    """Snapshot-shaped output: repository documents, the blob table, collection errors.

    No generated repr: ``asyncio.run`` formats the repr of its main task, result included, when it restores the
    SIGINT handler (``signal._int_to_enum`` builds an Enum ValueError message from the handler, a partial holding
    the task). With every manifest in it, that repr took 0.18 s of a 20,000-manifest warm scan (issue 16 profile).
    """

    repositories: list[dict[str, Any]] | None = None
    #: Blob digest -> index into ``blob_sizes``: the snapshot's blob table, filled as bodies arrive.
    blobs: dict[str, int] = field(default_factory=dict)
    blob_sizes: list[int] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    partial: set[str] = field(default_factory=set)
    #: Operations tried (named as in errors): without them a scan with no error could have tried nothing.
    operations: set[str] = field(default_factory=set)
    stats: ScanStats = field(default_factory=ScanStats)
    #: Snapshot ``deleted_artifacts`` rows; None when not collected.
    deleted_artifacts: list[dict[str, Any]] | None = None
    #: Snapshot ``listings`` (the paging record); None when not collected.
    listings: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return (f"ScanResult(repositories={len(self.repositories or ())}, blobs={len(self.blobs)}, "
                f"errors={len(self.errors)})")

    def blob(self, digest: str, size: int) -> int:
        idx = self.blobs.get(digest)
        if idx is None:
            idx = len(self.blob_sizes)
            self.blobs[digest] = idx
            self.blob_sizes.append(size)
        return idx

    def blob_table(self) -> dict[str, list[Any]]:
        return {"digests": list(self.blobs), "sizes": list(self.blob_sizes)}


class Retrying:
    """Retries one logical call on 429, 5xx and connection failures, with jittered exponential backoff.

    429 waits are already enforced for everyone by :class:`RateLimitPolicy`; here the call just goes
    again. Anything else (401, 403, 404, 405) is an answer, not a hiccup, and is raised at once.
    """

    def __init__(self, stats: ScanStats, attempts: int = 6, base_delay: float = 0.5, max_delay: float = 30.0,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.stats = stats
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.sleep = sleep
        self.throttle_events: int = 0

    async def __call__(self, fn: Callable[[], Awaitable[T]]) -> T:
        for attempt in range(1, self.attempts + 1):
            try:
                return await fn()
            except HttpResponseError as err:
                status = err.status_code or 0
                if status == 429:
                    self.throttle_events += 1
                elif status < 500:
                    raise
                if attempt == self.attempts:
                    raise
            except (TimeoutError, ServiceRequestError, ServiceResponseError, ConnectionError):
                if attempt == self.attempts:
                    raise
            self.stats.retries += 1
            await self.sleep(backoff_delay(attempt - 1, self.base_delay, self.max_delay))
        raise AssertionError("unreachable")


class DataPlaneScanner:
    """One scan of one registry's data plane with an already configured aio ContainerRegistryClient."""

    def __init__(self, client: Any, parts: frozenset[Part], *, repositories: Iterable[str] = (),
                 concurrency: int = 16, cache: ManifestCache | None = None, progress: Progress | None = None,
                 stats: ScanStats | None = None, retry: Retrying | None = None,
                 soft_delete: bool = False) -> None:
        self.client = client
        self.soft_delete = soft_delete
        #: Paging records kept for the snapshot: the catalog's, and every listing that ended inconsistently.
        self.records: list[dict[str, Any]] | None = [] if Part.LISTINGS in parts else None
        self.parts = parts
        self.only = tuple(repositories)
        self.concurrency = max(1, concurrency)
        self.cache = cache
        self.progress = progress or Progress.null()
        self.result = ScanResult(stats=stats or ScanStats())
        self.retry = retry or Retrying(self.result.stats)
        #: Cached summaries of listed repositories waiting for their turn (_park): applied in repository order.
        self._parked: dict[int, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
        self._next_to_apply = 0
        #: id() of the manifest documents whose cached summary is applied (the documents live to the end).
        self._applied: set[int] = set()

    # -- orchestration --------------------------------------------------------------------------------

    async def run(self) -> ScanResult:
        try:
            return await self._run()
        finally:
            # The documents frozen as each repository was listed (_repository) go back to the collector's care.
            gc.unfreeze()

    async def _run(self) -> ScanResult:
        names = await self._repository_names()
        if names is None:
            return self.result
        self.result.stats.repositories = len(names)
        self.progress.start("repositories", len(names))
        sem = asyncio.Semaphore(self.concurrency)
        docs: list[dict[str, Any] | None] = [None] * len(names)

        async def one(i: int, name: str) -> None:
            async with sem:
                ready: list[tuple[dict[str, Any], dict[str, Any]]] = []
                try:
                    docs[i] = await self._repository(name, ready)
                finally:
                    self._park(i, ready)
                self.progress.advance("repositories")

        await asyncio.gather(*(one(i, n) for i, n in enumerate(names)))
        repos = [d for d in docs if d is not None]
        if Part.MANIFEST_BODIES in self.parts:
            await self._bodies(repos)
        self.result.repositories = repos
        if Part.DELETED_ARTIFACTS in self.parts:
            await self._deleted(names)
        if self.records is not None:
            self.result.listings = {"checked": True, "records": self.records}
        return self.result

    async def _repository_names(self) -> list[str] | None:
        if self.only:
            return sorted(set(self.only))
        self.result.operations.add("list_repository_names")
        try:
            def new_recorder() -> PageRecorder:
                return PageRecorder("catalog", "repositories", lambda n: n if isinstance(n, str) else None)

            recorder = new_recorder()

            async def listing() -> list[str]:
                nonlocal recorder
                recorder = new_recorder()  # a retry starts the record afresh
                try:
                    async for _ in self.client.list_repository_names(results_per_page=PAGE_SIZE,
                                                                     raw_response_hook=recorder):
                        pass
                except ListingStopped:
                    pass  # recorded: the names read so far are kept
                return [n for n in recorder.items if isinstance(n, str)]

            names = sorted(set(await self.retry(listing)))
            if recorder.reason is not None:
                # Stopped, not ended: the repositories after the stop were never listed (paging.py).
                self.result.partial.add(Part.REPOSITORIES.value)
            if self.records is not None:
                self.records.append(recorder.record())
            return names
        except Exception as err:  # noqa: BLE001 - recorded, the run goes on without the data plane
            await load_error_body(err)
            self.result.errors.append(error_doc(Part.REPOSITORIES, err, operation="list_repository_names"))
            return None

    def _park(self, i: int, ready: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
        """Apply the cached summaries of repository ``i`` and of every later one already listed, in order.

        Why in order: the blob table's indices are handed out as summaries are applied, and a snapshot must not
        depend on which listing finished first. Why now and not after the last listing: the decoded summaries are
        dropped as soon as they are applied instead of living through the whole scan (0.35 s of a 100,000-manifest
        warm re-scan, docs/benchmarks.md). Listings finish roughly in order, so little waits here.
        """
        self._parked[i] = ready
        if self._next_to_apply not in self._parked:
            return
        with gc_paused():  # see _repository
            while self._next_to_apply in self._parked:
                for m, summary in self._parked.pop(self._next_to_apply):
                    self._apply(m, summary)
                    self._applied.add(id(m))
                self._next_to_apply += 1
            # Documents kept to the end of the scan: out of every later collection's walk until run() unfreezes
            # them (0.5 s of a 100,000-manifest warm re-scan, docs/benchmarks.md). Before the collector is back on,
            # or its first pass walks them all.
            gc.freeze()

    async def _repository(self, name: str, ready: list[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, Any] | None:
        """The repository's document; its manifests with a cached summary are appended to ``ready`` (see _park)."""
        doc: dict[str, Any] = {"name": name}
        self.result.operations.add("get_repository_properties")
        try:
            props = await self.retry(lambda: self._properties(name))
        except Exception as err:  # noqa: BLE001
            await load_error_body(err)
            self.result.errors.append(
                error_doc(Part.REPOSITORIES, err, repository=name, operation="get_repository_properties"))
            if self.only and describe(err).code == "NAME_UNKNOWN":
                return None  # a --repository name the registry does not have: recorded, not listed
        else:
            doc.update(props)
        if Part.MANIFESTS in self.parts:
            manifests = await self._listing(name, "manifests", Part.MANIFESTS, doc.get("manifestCount"))
            if manifests is not None:
                # Bulk allocation with no cycles: with the collector on, each pass of its oldest generation walks
                # every manifest already listed (snapshot_io.gc_paused).
                with gc_paused():
                    doc["manifests"] = [manifest_doc(m) for m in manifests]
                    self.result.stats.manifests += len(manifests)
                    if self.cache and Part.MANIFEST_BODIES in self.parts:
                        # Now, while the other listings wait for the rate limiter, not all at once after them: the
                        # lookups of a 100,000-manifest re-scan then cost no wall time (docs/benchmarks.md).
                        got = self.cache.get_many(
                            d for m in doc["manifests"] if (d := m.get("digest")) is not None)
                        ready += [(m, s) for m in doc["manifests"] if (s := got.get(m.get("digest"))) is not None]
                    # Frozen before the collector is back on: otherwise its first pass walks every document just made.
                    gc.freeze()
        if Part.TAGS in self.parts:
            tags = await self._listing(name, "tags", Part.TAGS, doc.get("tagCount"))
            if tags is not None:
                doc["tags"] = [tag_doc(t) for t in tags]
        return {k: v for k, v in doc.items() if v is not None}

    async def _properties(self, name: str) -> dict[str, Any]:
        """The repository's snapshot fields from ``GET /acr/v1/{name}``, read raw (raw_listing.read_repository)."""
        raw = await read_repository(self.client, name)
        attrs = raw.get("changeableAttributes")
        attrs = attrs if isinstance(attrs, dict) else {}
        return {"createdTime": raw.get("createdTime"), "lastUpdateTime": raw.get("lastUpdateTime"),
                "manifestCount": raw.get("manifestCount"), "tagCount": raw.get("tagCount"),
                "changeableAttributes": {k: attrs.get(k) for k in _FLAG_KEYS}}

    async def _listing(self, repo: str, key: str, part: Part, expected: Any = None) -> list[dict[str, Any]] | None:
        field_name = "digest" if key == "manifests" else "name"

        def new_recorder() -> PageRecorder:
            return PageRecorder(key, key, lambda i: i.get(field_name) if isinstance(i, dict) else None,
                                repository=repo)

        recorder = new_recorder()

        async def read() -> list[dict[str, Any]]:
            nonlocal recorder
            recorder = new_recorder()  # a retry starts the record afresh
            with contextlib.suppress(ListingStopped):  # recorded below; the items read before the stop are kept
                await self._read_pages(repo, key, recorder)
            return [i for i in recorder.items if isinstance(i, dict)]

        self.result.operations.add(f"list_{key}")
        try:
            items = await self.retry(read)
            if recorder.reason is not None:
                # Stopped, not ended: part of this listing was never read. A listing shorter than the count is only
                # recorded (the count may have moved while the scan ran); the listings check judges it.
                self.result.partial.add(part.value)
            record = recorder.record(expected if isinstance(expected, int) else None)
            if self.records is not None and not record["complete"]:
                self.records.append(record)
            return items
        except Exception as err:  # noqa: BLE001
            await load_error_body(err)
            self.result.errors.append(error_doc(part, err, repository=repo, operation=f"list_{key}"))
            self.result.partial.add(part.value)
            return None

    async def _read_pages(self, repo: str, key: str, recorder: PageRecorder) -> None:
        """Every page of one manifest or tag listing into ``recorder``: raw JSON, no SDK models (raw_listing.py)."""
        await read_listing(self.client, repo, key, PAGE_SIZE, recorder.page)

    # -- soft-deleted artifacts ------------------------------------------------------------------------

    async def _deleted(self, names: list[str]) -> None:
        """Soft-deleted manifests of every repository, live or itself soft-deleted (``az acr manifest list-deleted``).

        One listing per repository (ACR has no registry-wide one), run as concurrently as the repository scan.

        Paths from azure-cli ``acr/manifest.py`` (``_get_deleted_manifest_path``) and ``az acr repository
        list-deleted`` (``/acr/v1/_deleted/_catalog``, notes acr-wire-behaviour §b). With soft delete disabled
        nothing is read and the part is collected as empty: ACR keeps no soft-deleted artifacts then [D-SD]
        (not verified for artifacts deleted while the policy was on, before it was turned off).
        """
        if not self.soft_delete:
            self.result.deleted_artifacts = []
            return
        repos = set(names)
        self.result.operations.add("list_deleted_repositories")
        try:
            pages = await self.retry(lambda: raw_pages(self.client, "/acr/v1/_deleted/_catalog", "repositories"))
            repos |= {n for n in pages if isinstance(n, str)}
        except Exception as err:  # noqa: BLE001 - recorded; the live repositories are still read
            await load_error_body(err)
            self.result.errors.append(error_doc(Part.DELETED_ARTIFACTS, err, operation="list_deleted_repositories"))
            self.result.partial.add(Part.DELETED_ARTIFACTS.value)
        ordered = sorted(repos)
        found: list[list[dict[str, Any]] | None] = [None] * len(ordered)
        sem = asyncio.Semaphore(self.concurrency)
        self.result.operations.add("list_deleted_manifests")

        refused: list[dict[str, Any]] = []

        async def one(i: int, repo: str) -> None:
            async with sem:
                try:
                    items = await self.retry(lambda: raw_pages(
                        self.client, f"/acr/v1/_deleted/{repo}/_manifests?n={PAGE_SIZE}", "manifests"))
                except Exception as err:  # noqa: BLE001 - recorded; the other repositories are still read
                    await load_error_body(err)
                    refused.append(error_doc(Part.DELETED_ARTIFACTS, err, repository=repo,
                                             operation="list_deleted_manifests"))
                    return
                found[i] = deleted_rows(repo, items)

        await asyncio.gather(*(one(i, r) for i, r in enumerate(ordered)))
        rows = [row for part in found if part is not None for row in part]
        failed = sum(part is None for part in found)
        refused.sort(key=lambda e: e.get("repository") or "")
        if failed > 1 and failed == len(repos) and len({(e.get("status"), e.get("code")) for e in refused}) == 1:
            # Every repository refused alike (no deleted/read permission): one error for the registry, not N.
            refused = [{k: v for k, v in refused[0].items() if k != "repository"}]
        self.result.errors.extend(refused)
        if failed and failed == len(repos):
            return  # nothing read: not collected
        if failed:
            self.result.partial.add(Part.DELETED_ARTIFACTS.value)
        self.result.deleted_artifacts = rows

    # -- manifest bodies ------------------------------------------------------------------------------

    async def _bodies(self, repos: list[dict[str, Any]]) -> None:
        # Cached summaries were looked up in batches as the listings arrived and are applied already (_park): what
        # is left is fetched here.
        applied = self._applied
        summaries: dict[str, dict[str, Any]] = {}
        todo: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for repo in repos:
            for m in repo.get("manifests") or ():
                if id(m) in applied:
                    self.result.stats.bodies_cached += 1
                else:
                    todo.append((repo, m))
        self.progress.start("manifest bodies", len(todo))
        queue: asyncio.Queue[tuple[dict[str, Any], dict[str, Any]]] = asyncio.Queue()
        for item in todo:
            queue.put_nowait(item)

        async def worker() -> None:
            while True:
                try:
                    repo, m = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                summary = await self._body(repo, m)
                if summary is not None:
                    summaries[m["digest"]] = summary
                self.progress.advance("manifest bodies")

        await asyncio.gather(*(worker() for _ in range(min(self.concurrency, len(todo)) or 1)))
        if self.cache:
            self.cache.flush()  # the batched puts and the hits' "last used" times
        # One ordered pass, so the blob table does not depend on which fetch finished first.
        with gc_paused():  # see _repository
            for repo in repos:
                for m in repo.get("manifests") or ():
                    if id(m) in applied:
                        continue
                    summary = summaries.get(m["digest"])
                    if summary is not None:
                        self._apply(m, summary)

    async def _body(self, repo: dict[str, Any], m: dict[str, Any]) -> dict[str, Any] | None:
        name, digest = repo["name"], m["digest"]
        self.result.operations.add("get_manifest")
        for attempt in range(MANIFEST_UNKNOWN_RETRIES + 1):
            try:
                result = await self.retry(lambda: self.client.get_manifest(name, digest))
                break
            except Exception as err:  # noqa: BLE001
                await load_error_body(err)
                # ACR sometimes answers MANIFEST_UNKNOWN for a manifest it listed a moment ago, under load
                # (Azure/acr-cli#459): ask again before believing it.
                if describe(err).code == "MANIFEST_UNKNOWN" and attempt < MANIFEST_UNKNOWN_RETRIES:
                    self.result.stats.retries += 1
                    await asyncio.sleep(0.2 * (attempt + 1))
                    continue
                self.result.errors.append(
                    error_doc(Part.MANIFEST_BODIES, err, repository=name, operation="get_manifest"))
                self.result.partial.add(Part.MANIFEST_BODIES.value)
                return None
        summary = parse_manifest_body(result.manifest)
        if result.media_type and not summary.get("mediaType"):
            summary["mediaType"] = result.media_type
        self.result.stats.bodies_fetched += 1
        if self.cache:
            self.cache.put(digest, summary)
        return summary

    def _apply(self, m: dict[str, Any], summary: dict[str, Any]) -> None:
        apply_body(m, summary, self.result.blob)


_FLAG_KEYS = ("deleteEnabled", "writeEnabled", "readEnabled", "listEnabled")
_MANIFEST_KEYS = ("digest", "mediaType", "imageSize", "createdTime", "lastUpdateTime", "architecture", "os")


def _locked_flags(raw: dict[str, Any]) -> dict[str, bool] | None:
    """The item's changeable attributes when one of them is False (a lock), else None: unlocked is the default.

    Called for every listed manifest and tag, so the common case (no attributes false) is four lookups.
    """
    attrs = raw.get("changeableAttributes")
    if type(attrs) is not dict:
        return None
    values = (attrs.get("deleteEnabled"), attrs.get("writeEnabled"), attrs.get("readEnabled"),
              attrs.get("listEnabled"))
    if False not in values or not any(v is False for v in values):  # `in` also matches 0, so ask `is` after
        return None
    return {k: v for k, v in zip(_FLAG_KEYS, values, strict=True) if isinstance(v, bool)}


def manifest_doc(raw: dict[str, Any]) -> dict[str, Any]:
    """A snapshot manifest from a raw ``_manifests`` listing item (= ``az acr manifest list-metadata`` items).

    Keys whose value is None are left out, as everywhere in a snapshot.
    """
    get = raw.get
    doc = {k: v for k in _MANIFEST_KEYS if (v := get(k)) is not None}
    tags = get("tags")
    if tags:
        doc["tags"] = tags
    attrs = get("changeableAttributes")
    if type(attrs) is dict and (quarantine := attrs.get("quarantineState")) is not None:
        doc["quarantineState"] = quarantine
    refs = get("references")
    if refs:
        doc["references"] = [r["digest"] for r in refs if isinstance(r, dict) and "digest" in r]
    flags = _locked_flags(raw)
    if flags is not None:
        doc["changeableAttributes"] = flags
    return doc


def tag_doc(raw: dict[str, Any]) -> dict[str, Any]:
    """A snapshot tag from a raw ``_tags`` listing item (= ``az acr repository show-tags --detail`` items)."""
    doc: dict[str, Any] = {"name": raw.get("name"), "digest": raw.get("digest"),
                           "createdTime": raw.get("createdTime"), "lastUpdateTime": raw.get("lastUpdateTime")}
    doc = {k: v for k, v in doc.items() if v is not None}
    flags = _locked_flags(raw)
    if flags is not None:
        doc["changeableAttributes"] = flags
    return doc


def apply_body(m: dict[str, Any], summary: dict[str, Any], blob: Callable[[str, int], int]) -> None:
    """Fold a body summary (:func:`parse_manifest_body`) into a manifest document, interning blobs with ``blob``."""
    cfg = summary.get("config")
    if cfg:
        m["config"] = blob(cfg[0], cfg[1])
    layers = summary.get("layers")
    if layers is not None:
        pairs = iter(layers)  # flat: digest, size, digest, size, ...
        m["layers"] = [blob(d, s) for d, s in zip(pairs, pairs, strict=True)]
    elif summary.get("manifests") is not None:
        m["layers"] = []
    if summary.get("manifests") and not m.get("references"):
        m["references"] = [c["digest"] for c in summary["manifests"]]
    if summary.get("subject"):
        m["subject"] = summary["subject"]
    if summary.get("mediaType") and not m.get("mediaType"):
        m["mediaType"] = summary["mediaType"]
