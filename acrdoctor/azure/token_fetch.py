"""Buy an ACR access token for a scope before the request goes out, instead of after its 401.

Why: the SDK's challenge flow sends every request of a new scope bare, reads the scope from the 401's
``WWW-Authenticate`` and only then buys the token. A scan opens a new scope for every repository, so each repository
cost one 401 round trip more than it needs (501 of a 500-repository warm re-scan's 3,021 requests, issue 16). And
the SDK keeps its refresh token the wrong way round ("refresh if ``exp - now > 300``", notes azure-sdk §1.5): a JWT
refresh token, which is what real ACR issues, is exchanged again at every challenge, one ``/oauth2/exchange`` (and
one AAD token) more per repository. Here the refresh token is kept until five minutes before its ``exp``.

What is not guessed: the ``service`` of the token request is only ever one a registry named itself in a challenge
(:class:`ChallengeRecord`), and a host whose challenge asked for another scope than :func:`~acrdoctor.azure.tokens.
scope_for` computes is never prefetched for again. A token that is refused anyway (a 401 to a request carrying it)
goes back to the SDK's own challenge flow, so correctness never depends on the prefetch.

The token calls are the SDK's own (``ACRExchangeClient`` of azure-containerregistry 1.2.0, the challenge policy's
``_exchange_client``): same endpoint, form, credential scopes and transport. Imports nothing from the SDK.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from acrdoctor.azure.tokens import jwt_expiry

__all__ = ["REFRESH_MARGIN_SECONDS", "ChallengeRecord", "Prefetch", "ScopeTokenFetcher", "exchange_client_of",
           "parse_challenge"]

#: A refresh token is exchanged again this long before its ``exp`` (the SDK's own margin, applied the right way).
REFRESH_MARGIN_SECONDS = 300.0

_PARAM = re.compile(r'([A-Za-z_]+)\s*=\s*"([^"]*)"')


def parse_challenge(header: str | None) -> dict[str, str]:
    """The parameters of a ``Bearer`` challenge (``service``, ``scope``, ...); empty for anything else.

    Tolerant where the SDK's parser is strict (spaces after commas, any case of ``Bearer``): this only decides
    whether to prefetch, never whether a request succeeds.
    """
    if not header or header[:7].lower() != "bearer ":
        return {}
    return {k.lower(): v for k, v in _PARAM.findall(header[7:])}


class ChallengeRecord:
    """Per host, the ``service`` its registry named in a challenge, once a challenge confirmed our scope mapping.

    Thread-safe; shared by one client's policy. A host is known after its first bare request's 401 whose challenge
    scope equals the one :func:`~acrdoctor.azure.tokens.scope_for` computed for that request; a challenge with any
    other scope marks the host as not to be prefetched for, for good.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._service: dict[str, str | None] = {}

    def learn(self, host: str, expected_scope: str, header: str | None) -> None:
        params = parse_challenge(header)
        service, scope = params.get("service"), params.get("scope")
        if not service or not scope:
            return
        with self._lock:
            if host in self._service and self._service[host] is None:
                return  # a mismatch seen once is never forgotten
            self._service[host] = service if scope == expected_scope else None

    def service(self, host: str) -> str | None:
        with self._lock:
            return self._service.get(host)


class ScopeTokenFetcher:
    """``await fetcher(service, scope)`` → an access token, or None (the caller then sends the request bare).

    ``exchange`` is the SDK's async exchange client. One refresh token per service, bought once by whichever
    caller needs it first (the others wait for it) and kept until :data:`REFRESH_MARGIN_SECONDS` before its
    ``exp``; an opaque one (no ``exp``) is kept until a token call with it fails.
    """

    def __init__(self, exchange: Any, *, clock: Callable[[], float] = time.time) -> None:
        self._exchange = exchange
        self._clock = clock
        self._refresh: dict[str, tuple[str, float | None]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.fetched = 0
        self.failed = 0
        #: Token calls read raw (_raw_access_token) until the SDK turns out not to be laid out for it.
        self._raw = True

    async def _refresh_token(self, service: str) -> str | None:
        lock = self._locks.setdefault(service, asyncio.Lock())
        async with lock:
            held = self._refresh.get(service)
            if held is not None and (held[1] is None or self._clock() < held[1]):
                return held[0]
            token = await self._exchange.exchange_aad_token_for_refresh_token(service)
            if not token:
                return None
            exp = jwt_expiry(token)
            self._refresh[service] = (token, None if exp is None else exp - REFRESH_MARGIN_SECONDS)
            return token

    async def _access_token(self, refresh: str, service: str, scope: str) -> str | None:
        if self._raw:
            try:
                return await _raw_access_token(self._exchange, refresh, service, scope)
            except (AttributeError, ImportError):
                self._raw = False  # another SDK layout: the public method from now on
        token = await self._exchange.exchange_refresh_token_for_access_token(refresh, service=service, scope=scope)
        return token if isinstance(token, str) else None

    async def __call__(self, service: str, scope: str) -> str | None:
        try:
            refresh = await self._refresh_token(service)
            if refresh is None:
                self.failed += 1
                return None
            token = await self._access_token(refresh, service, scope)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - any failure: the request goes bare and the SDK's flow takes over
            self.failed += 1
            self._refresh.pop(service, None)  # a refused refresh token is not offered again
            return None
        if not token:
            self.failed += 1
            self._refresh.pop(service, None)  # refused: the next scope starts from a new refresh token
            return None
        self.fetched += 1
        return str(token)


async def _raw_access_token(exchange: Any, refresh: str, service: str, scope: str) -> str | None:
    """``POST /oauth2/token`` as the exchange client's generated operation sends it, its JSON read without msrest.

    Why: the operation's tracing wrapper and model deserialisation were half the client CPU of each of a scan's 500
    token calls (py-spy, issue 16). The request is the SDK's own: its request builder (form fields, ``api-version``,
    headers) on its pipeline. Raises AttributeError/ImportError when the SDK is not laid out as 1.2.0 is (the
    caller then uses the public method); a refusal is None, as any failure here.
    """
    from azure.containerregistry._generated.operations._patch import (
        build_exchange_acr_refresh_token_for_acr_access_token_request,
    )

    generated = exchange._client
    pipeline_client = generated._client
    request = build_exchange_acr_refresh_token_for_acr_access_token_request(
        api_version=generated._config.api_version, content_type="application/x-www-form-urlencoded",
        data={"service": service, "scope": scope, "refresh_token": refresh, "grant_type": "refresh_token"})
    request.url = pipeline_client.format_url(
        request.url, url=generated._serialize.url("self._config.url", generated._config.url, "str", skip_quote=True))
    pipeline_response = await pipeline_client._pipeline.run(request, stream=False)
    if pipeline_response.http_response.status_code != 200:
        return None
    body = pipeline_response.context.get("deserialized_data")
    token = body.get("access_token") if isinstance(body, dict) else None
    return token if isinstance(token, str) and token else None


def exchange_client_of(client: Any) -> Any | None:
    """The exchange client of an aio ``ContainerRegistryClient``'s challenge policy, or None.

    Reached through private attributes of azure-containerregistry 1.2.0 (as :mod:`acrdoctor.collect.raw_listing`
    reaches its pipeline); when they are not there (another SDK release, an anonymous client), prefetching is off
    and nothing else changes.
    """
    pipeline = getattr(getattr(getattr(client, "_client", None), "_client", None), "_pipeline", None)
    for policy in getattr(pipeline, "_impl_policies", None) or ():
        exchange = getattr(policy, "_exchange_client", None)
        if exchange is not None and all(callable(getattr(exchange, name, None)) for name in (
                "exchange_aad_token_for_refresh_token", "exchange_refresh_token_for_access_token")):
            return exchange
    return None


class Prefetch:
    """What :class:`~acrdoctor.azure.tokens.TokenReusePolicy` asks before sending a scope's first request bare."""

    def __init__(self, exchange: Any, *, clock: Callable[[], float] = time.time) -> None:
        self.challenges = ChallengeRecord()
        self.fetch = ScopeTokenFetcher(exchange, clock=clock)

    def learn(self, host: str, scope: str, header: str | None) -> None:
        """A bare request to ``host`` for ``scope`` was answered 401 with this ``WWW-Authenticate``."""
        self.challenges.learn(host, scope, header)

    async def token(self, host: str, scope: str) -> str | None:
        """A fresh access token for ``scope`` on ``host``, when its registry's challenges allow asking first."""
        service = self.challenges.service(host)
        if service is None:
            return None
        return await self.fetch(service, scope)
