"""Reuse ACR access tokens per scope, so a scan does not pay for a token on every request.

Why this exists: the data-plane SDK (azure-containerregistry 1.2.0) keeps no access token. Every operation
goes out bare, gets a 401 challenge, buys a token at ``/oauth2/token`` and is sent again. A scan of N
manifests therefore costs about 3N requests, and the extra 2N count against the registry's OAuth and read
buckets (see ``acrdoctor.limits``). ACR access tokens are scoped (``repository:team/web:pull``)
and valid for minutes, so one token serves every request of the same scope.

How it fits in azure-core's pipeline: the policy is passed as ``per_retry_policies=[policy]``. Those run
after the client's challenge policy, so this policy sees each request on its way to the wire:

* outgoing request without ``Authorization`` and a live cached token for its scope → attach the token;
  the server answers 200 and the challenge policy never fires (no 401, no token call);
* response that is not a 401 to a request carrying ``Bearer X`` → remember X for that scope (this is how
  tokens are learned: from the challenge policy's resend);
* 401 to a request we attached a token to → forget that token; the challenge policy then fetches a fresh
  one and resends, and the resend passes through here again, so the new token is learned.

Correctness never depends on our scope mapping matching the server's: a wrong guess costs one 401 and
the normal challenge flow, never a failed call. The cache is keyed by host as well as scope, so one
policy can be shared by clients of several registries.

Part of :mod:`acrdoctor.azure` (the data-plane clients it opens carry it); imports azure-core only.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import AsyncHTTPPolicy, HTTPPolicy

__all__ = [
    "EXPIRY_MARGIN_SECONDS",
    "Prefetcher",
    "ScopedTokenCache",
    "SyncTokenReusePolicy",
    "TokenReusePolicy",
    "jwt_expiry",
    "scope_for",
]

#: A JWT is dropped this many seconds before its ``exp``: clock skew and the time a request spends in
#: flight must not turn a reused token into a 401.
EXPIRY_MARGIN_SECONDS = 60.0

#: How long requests for a scope wait for its first request to bring back a token before going on alone.
SINGLE_FLIGHT_WAIT_SECONDS = 5.0

_READ_METHODS = frozenset({"GET", "HEAD"})

# Repository names may contain "/", and their path components never start with "_" (ACR/distribution
# naming rules), so "/_tags" and "/_manifests" cannot occur inside a name. The non-greedy repo group
# stops at the first such marker; a tag literally named "_tags" still lands in the reference part.
_ACR_V1 = re.compile(r"^/acr/v1/(?P<repo>.+?)(?:/(?:_tags|_manifests)(?:/[^/]+)?)?/?$")
# In /v2/ paths the reference after the marker never contains "/", so the greedy repo group takes the
# LAST "/manifests/" or "/blobs/" marker, which is right even for a repository named "x/manifests/y".
_V2 = re.compile(r"^/v2/(?P<repo>.+)/(?P<kind>manifests|blobs)/[^/]+$")
_CATALOG_PATHS = frozenset({"/acr/v1/_catalog", "/v2/_catalog"})


def scope_for(method: str, path: str) -> str | None:
    """Return the ACR token scope a data-plane request needs, or None when we should not touch it.

    ``path`` is the URL path, percent-encoded or not (the SDK sends ``team%2Fweb``); a full URL is
    accepted too. ``/oauth2/*`` and anything not listed in the module docstring gives None.
    """
    if "://" in path:
        path = urlsplit(path).path
    path = unquote(path.split("?", 1)[0])
    method = method.upper()
    if path.startswith("/oauth2/"):
        return None
    if path.rstrip("/") in _CATALOG_PATHS:
        return "registry:catalog:*" if method in _READ_METHODS else None
    if path.startswith("/acr/v1/_deleted/"):
        return None  # soft-delete listings: scopes of their own (deleted_read), left to the challenge
    if path.startswith("/acr/v1/"):
        match = _ACR_V1.match(path)
        if match is None:
            return None
        repo = match.group("repo")
        if method in _READ_METHODS:
            action = "metadata_read"
        elif method == "PATCH":
            action = "metadata_write"
        elif method == "DELETE":
            action = "delete"
        else:
            return None
        return f"repository:{repo}:{action}"
    if path.startswith("/v2/"):
        match = _V2.match(path)
        if match is None:
            return None
        repo = match.group("repo")
        if method in _READ_METHODS:
            return f"repository:{repo}:pull"
        if method == "DELETE" and match.group("kind") == "manifests":
            return f"repository:{repo}:delete"
    return None


def jwt_expiry(token: str) -> float | None:
    """Return the ``exp`` claim (epoch seconds) of a JWT, or None for an opaque or unreadable token.

    The signature is not verified: the registry verifies it, we only want to avoid sending a token we
    know is stale. base64url is decoded properly (the SDK's own reader uses plain base64 and can crash).
    """
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1]
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(raw)
    except (binascii.Error, ValueError):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        return None
    return float(exp)


@dataclass(frozen=True)
class _Entry:
    token: str
    expires_at: float | None  # epoch seconds (already minus the margin); None = until a 401


def _bearer(headers: Any) -> str | None:
    value = headers.get("Authorization")
    if not value or not value.startswith("Bearer "):
        return None
    token = value[len("Bearer ") :].strip()
    return token or None


class ScopedTokenCache:
    """Thread-safe map (host, scope) → access token, with the policy's request/response logic.

    Both policy classes delegate here, so the sync and async clients behave the same and may share one
    cache. All work under the lock is a dict operation: it never blocks an event loop noticeably.
    """

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], _Entry] = {}
        self.hits = 0
        self.misses = 0
        self.invalidations = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @staticmethod
    def _key(method: str, url: str) -> tuple[str, str] | None:
        parts = urlsplit(url)
        scope = scope_for(method, parts.path)
        if scope is None:
            return None
        return parts.netloc.lower(), scope

    def token_for(self, method: str, url: str) -> str | None:
        """The live cached token for this request's scope, if any (no counters touched)."""
        key = self._key(method, url)
        if key is None:
            return None
        with self._lock:
            return self._live(key)

    def _live(self, key: tuple[str, str]) -> str | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires_at is not None and self._clock() >= entry.expires_at:
            del self._entries[key]
            return None
        return entry.token

    def before_send(self, method: str, url: str, headers: Any) -> str | None:
        """Attach a cached token when the request has none; return the token attached (or None)."""
        key = self._key(method, url)
        if key is None or "Authorization" in headers:
            return None
        with self._lock:
            token = self._live(key)
            if token is None:
                self.misses += 1
                return None
            self.hits += 1
        headers["Authorization"] = f"Bearer {token}"
        return token

    def after_response(self, method: str, url: str, headers: Any, status: int, injected: str | None) -> None:
        """Learn the token of an accepted request, or forget the one we attached when it got a 401."""
        key = self._key(method, url)
        if key is None:
            return
        if status == 401:
            if injected is None:
                return
            with self._lock:
                entry = self._entries.get(key)
                # Another worker may already have stored a newer token for this scope: keep that one.
                if entry is not None and entry.token == injected:
                    del self._entries[key]
                self.invalidations += 1
            return
        token = _bearer(headers)
        if token is None:
            return
        exp = jwt_expiry(token)
        expires_at = None if exp is None else exp - EXPIRY_MARGIN_SECONDS
        if expires_at is not None and self._clock() >= expires_at:
            return
        with self._lock:
            self._entries[key] = _Entry(token, expires_at)

    def store(self, key: tuple[str, str], token: str) -> None:
        """Keep a token bought for this (host, scope) before its request went out (token_fetch)."""
        exp = jwt_expiry(token)
        expires_at = None if exp is None else exp - EXPIRY_MARGIN_SECONDS
        with self._lock:
            self._entries[key] = _Entry(token, expires_at)

    def clear(self) -> None:
        """Forget every token (e.g. when the identity changes)."""
        with self._lock:
            self._entries.clear()


class Prefetcher(Protocol):
    """Buys a scope's token before its first request (:class:`acrdoctor.azure.token_fetch.Prefetch`)."""

    def learn(self, host: str, scope: str, header: str | None) -> None:
        """A bare request to ``host`` for ``scope`` was answered 401 with this ``WWW-Authenticate`` header."""

    async def token(self, host: str, scope: str) -> str | None:
        """A fresh access token for ``scope`` on ``host``, or None when it should not or could not be bought."""


class _CountersMixin:
    """Expose the shared cache's counters on the policy, which is what callers hold."""

    cache: ScopedTokenCache

    @property
    def hits(self) -> int:
        """Requests sent with a reused token (each saved a 401 and a token call)."""
        return self.cache.hits

    @property
    def misses(self) -> int:
        """Scoped requests that went out bare because no live token was cached."""
        return self.cache.misses

    @property
    def invalidations(self) -> int:
        """Reused tokens the registry refused with a 401 (then dropped)."""
        return self.cache.invalidations


class _SingleFlight(_CountersMixin):
    """Single flight per scope, for both policies: many workers starting on a new repository share one challenge.

    The policies run after the SDK's challenge policy, so the first bare request of a scope comes back 401 and the
    token only appears on the challenge policy's resend. Other requests for the scope wait (bounded) until that
    token is learned, instead of each paying a 401 + token call. The subclasses differ only in how they wait and
    schedule (an event loop, or threads); the claiming and releasing is here.
    """

    cache: ScopedTokenCache

    def _start_flights(self, wait_seconds: float, new_event: Callable[[], Any]) -> None:
        self.wait_seconds = wait_seconds
        self._new_event = new_event
        self._guard = threading.Lock()
        #: Scopes whose first bare request is out, fetching the token everyone else will reuse.
        self._inflight: dict[tuple[str, str], Any] = {}
        self.waited = 0

    def _claim(self, http: Any) -> tuple[tuple[str, str] | None, bool, Any]:
        """(the request's scope key, whether it leads the flight, the event to wait for when it follows)."""
        key = self.cache._key(http.method, http.url)
        if key is None or "Authorization" in http.headers or self.cache.token_for(http.method, http.url) is not None:
            return key, False, None
        with self._guard:
            event = self._inflight.get(key)
            if event is None:
                self._inflight[key] = self._new_event()
                return key, True, None
            self.waited += 1
            return key, False, event

    def _after(self, http: Any, key: tuple[str, str] | None, leader: bool, status: int | None,
               injected: str | None) -> bool:
        """Learn or forget the token; True when the leader got its 401 and the release must be scheduled.

        The leader keeps the scope claimed through its 401: its resend (with the new token) releases it, and if the
        challenge flow never comes back with a token, waiters go on after ``wait_seconds``.
        """
        self.cache.after_response(http.method, http.url, http.headers, status, injected)
        if key is not None and "Authorization" in http.headers:
            # An authenticated attempt ended the challenge flow, with a token learned or refused: let waiters go.
            self._release(key)
            return False
        return leader and status == 401

    def _release(self, key: tuple[str, str] | None) -> None:
        if key is None:
            return
        with self._guard:
            event = self._inflight.pop(key, None)
        if event is not None:
            event.set()


class TokenReusePolicy(_SingleFlight, AsyncHTTPPolicy[Any, Any]):
    """Async policy for ``azure.containerregistry.aio.ContainerRegistryClient(per_retry_policies=[...])``.

    Pass ``cache=`` to share tokens with other policies (e.g. a sync twin); ``clock`` is the wall clock
    (epoch seconds), compared with JWT ``exp``.
    """

    def __init__(self, cache: ScopedTokenCache | None = None, *, clock: Callable[[], float] = time.time,
                 wait_seconds: float = SINGLE_FLIGHT_WAIT_SECONDS, prefetch: Prefetcher | None = None) -> None:
        super().__init__()
        self.cache = cache if cache is not None else ScopedTokenCache(clock=clock)
        self._start_flights(wait_seconds, asyncio.Event)
        #: Buys a scope's token before its first request instead of after that request's 401 (token_fetch).
        self.prefetch = prefetch
        self.prefetched = 0

    async def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        http = request.http_request
        key, leader, event = self._claim(http)
        if event is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), self.wait_seconds)
        injected = self.cache.before_send(http.method, http.url, http.headers)
        if injected is None and leader and key is not None and self.prefetch is not None:
            injected = await self._prefetched(http, key)
        status = None
        try:
            response = await self.next.send(request)
            status = response.http_response.status_code
        finally:
            if leader and status != 401:
                self._release(key)
        if status == 401 and key is not None and self.prefetch is not None and "Authorization" not in http.headers:
            self.prefetch.learn(key[0], key[1], response.http_response.headers.get("WWW-Authenticate"))
        if self._after(http, key, leader, status, injected):
            asyncio.get_running_loop().call_later(self.wait_seconds, self._release, key)
        return response

    async def _prefetched(self, http: Any, key: tuple[str, str]) -> str | None:
        """Attach a token bought now for the request's scope; None (the request goes bare) when none was."""
        assert self.prefetch is not None
        token = await self.prefetch.token(*key)
        if token is None:
            return None
        self.cache.store(key, token)
        http.headers["Authorization"] = f"Bearer {token}"
        self.prefetched += 1
        return token


class SyncTokenReusePolicy(_SingleFlight, HTTPPolicy[Any, Any]):
    """The sync twin of :class:`TokenReusePolicy`, for ``azure.containerregistry.ContainerRegistryClient``.

    Single flight too: ``acrdoctor fix --apply``'s workers start on a repository together, and without it each
    would pay its own 401 and token call for the delete scope.
    """

    def __init__(self, cache: ScopedTokenCache | None = None, *, clock: Callable[[], float] = time.time,
                 wait_seconds: float = SINGLE_FLIGHT_WAIT_SECONDS) -> None:
        super().__init__()
        self.cache = cache if cache is not None else ScopedTokenCache(clock=clock)
        self._start_flights(wait_seconds, threading.Event)

    def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        http = request.http_request
        key, leader, event = self._claim(http)
        if event is not None:
            event.wait(self.wait_seconds)
        injected = self.cache.before_send(http.method, http.url, http.headers)
        status = None
        try:
            response = self.next.send(request)
            status = response.http_response.status_code
        finally:
            if leader and status != 401:
                self._release(key)
        if self._after(http, key, leader, status, injected):
            timer = threading.Timer(self.wait_seconds, self._release, (key,))
            timer.daemon = True
            timer.start()
        return response
