"""Tokens bought before a scope's first request (acrdoctor.azure.token_fetch) and the async client's environment.

End to end with the real aio SDK client against the loopback ACR imitation of test_transport (its challenge names
the service as host:port, so the service is learned, never guessed), and as units with a stub exchange client for
the refresh-token rules the SDK gets the wrong way round.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from azure.core.pipeline.policies import AsyncHTTPPolicy

from acrdoctor.azure.dataplane_client import async_registry_client, environment_settings_in_use
from acrdoctor.azure.token_fetch import (
    REFRESH_MARGIN_SECONDS,
    ChallengeRecord,
    ScopeTokenFetcher,
    exchange_client_of,
    parse_challenge,
)
from acrdoctor.azure.tokens import TokenReusePolicy
from tests.collect import test_transport
from tests.collect.test_transport import _AsyncCred, _MiniAcr
from tests.virtual_clock import Clock

#: The loopback ACR imitation, served once for this module too.
mini_acr = test_transport.mini_acr


def _policy_of(client: Any) -> TokenReusePolicy:
    pipeline = client._client._client._pipeline
    return next(p for p in pipeline._impl_policies if isinstance(p, TokenReusePolicy))


def test_a_scan_pays_one_challenge_in_all_and_one_token_per_scope(mini_acr: tuple[_MiniAcr, str, str]) -> None:
    acr, endpoint, ca = mini_acr
    acr.calls.clear()

    async def scan() -> TokenReusePolicy:
        async with async_registry_client(endpoint, _AsyncCred(), connection_verify=ca) as client:
            names = [n async for n in client.list_repository_names()]
            for _ in range(3):
                for name in names:
                    assert (await client.get_repository_properties(name)).name == name
            return _policy_of(client)

    policy = asyncio.run(scan())
    calls = Counter(acr.calls)
    # The catalog's bare request teaches the service; every repository scope after it is bought up front.
    assert calls["challenge"] == 1
    assert calls["token"] == 1 + len(_MiniAcr.REPOS)
    # One refresh token for the SDK's challenge flow (the catalog's) and one kept by the fetcher for every other
    # scope: the SDK's is private to it, so a scan buys one more than the minimum, once.
    assert calls["exchange"] == 2
    assert calls["data"] == 1 + 1 + 3 * len(_MiniAcr.REPOS)
    assert policy.prefetched == len(_MiniAcr.REPOS)
    assert policy.invalidations == 0


class _RevokeOnce(AsyncHTTPPolicy):  # type: ignore[type-arg]
    """Runs after the token policy: voids every token once, as the first authenticated request for ``path`` leaves."""

    def __init__(self, acr: _MiniAcr, path: str) -> None:
        super().__init__()
        self.acr, self.path, self.done = acr, path, False

    async def send(self, request: Any) -> Any:
        http = request.http_request
        if not self.done and http.url.split("?")[0].endswith(self.path) and "Authorization" in http.headers:
            self.done = True
            self.acr.revoke_all()
        return await self.next.send(request)


def test_a_refused_prefetched_token_falls_back_to_the_challenge_flow(mini_acr: tuple[_MiniAcr, str, str]) -> None:
    acr, endpoint, ca = mini_acr
    revoke = _RevokeOnce(acr, "/acr/v1/team%2Fdb")

    async def scan() -> TokenReusePolicy:
        async with async_registry_client(endpoint, _AsyncCred(), connection_verify=ca, policies=[revoke]) as client:
            _ = [n async for n in client.list_repository_names()]
            acr.calls.clear()
            prop = await client.get_repository_properties("team/db")
            assert prop.name == "team/db"
            return _policy_of(client)

    policy = asyncio.run(scan())
    assert revoke.done
    assert policy.prefetched == 1
    assert policy.invalidations == 1  # refused once, then the SDK's challenge bought a working token
    assert (acr.calls["challenge"], acr.calls["token"]) == (1, 2)


def test_challenges_teach_the_service_only_when_they_confirm_the_scope() -> None:
    record = ChallengeRecord()
    assert record.service("r.azurecr.io") is None
    record.learn("r.azurecr.io", "registry:catalog:*",
                 'Bearer realm="https://r.azurecr.io/oauth2/token",service="r.azurecr.io",scope="registry:catalog:*"')
    assert record.service("r.azurecr.io") == "r.azurecr.io"
    # A registry asking for another scope than ours: never prefetched for again, even after a matching one.
    record.learn("r.azurecr.io", "repository:a:metadata_read",
                 'Bearer realm="x",service="r.azurecr.io",scope="repository:a:pull"')
    assert record.service("r.azurecr.io") is None
    record.learn("r.azurecr.io", "registry:catalog:*", 'Bearer service="r.azurecr.io",scope="registry:catalog:*"')
    assert record.service("r.azurecr.io") is None
    # A challenge without a service or scope, or not Bearer, teaches nothing.
    other = ChallengeRecord()
    for header in (None, "", 'Basic realm="x"', 'Bearer realm="x",scope="registry:catalog:*"', "Bearer"):
        other.learn("h", "registry:catalog:*", header)
    assert other.service("h") is None


def test_parse_challenge_is_tolerant_where_it_only_decides_a_shortcut() -> None:
    assert parse_challenge('bearer realm="a", service="b",  scope="c",error="insufficient_scope"') == {
        "realm": "a", "service": "b", "scope": "c", "error": "insufficient_scope"}
    assert parse_challenge('Basic realm="a"') == {}
    assert parse_challenge(None) == {}


def _jwt(exp: float) -> str:
    payload = base64.urlsafe_b64encode(json.dumps({"exp": int(exp)}).encode()).decode().rstrip("=")
    return f"e30.{payload}.sig"


class _Exchange:
    """The two calls of the SDK's exchange client, counted, with a refresh token chosen by the test."""

    def __init__(self, refresh: str, fail_access: bool = False) -> None:
        self.refresh, self.fail_access = refresh, fail_access
        self.calls: Counter[str] = Counter()

    async def exchange_aad_token_for_refresh_token(self, service: str) -> str:
        self.calls["exchange"] += 1
        return self.refresh

    async def exchange_refresh_token_for_access_token(self, refresh_token: str, service: str, scope: str) -> str:
        self.calls["token"] += 1
        if self.fail_access:
            raise RuntimeError("401 invalid refresh token")
        return f"access:{service}:{scope}:{refresh_token}"


def test_a_jwt_refresh_token_is_kept_until_five_minutes_before_it_expires() -> None:
    clock = Clock(1_000_000.0)
    exchange = _Exchange(_jwt(clock() + 3600))
    fetch = ScopeTokenFetcher(exchange, clock=clock)

    async def many(n: int) -> list[str | None]:
        return await asyncio.gather(*(fetch("r.azurecr.io", f"repository:r{i}:pull") for i in range(n)))

    tokens = asyncio.run(many(20))
    assert all(t and t.startswith("access:r.azurecr.io:repository:r") for t in tokens)
    # The SDK would have exchanged the AAD token 20 times here (its check is the wrong way round).
    assert exchange.calls == Counter({"exchange": 1, "token": 20})
    clock.sleep(3600 - REFRESH_MARGIN_SECONDS - 1)
    asyncio.run(many(1))
    assert exchange.calls["exchange"] == 1
    clock.sleep(2)
    asyncio.run(many(1))
    assert exchange.calls["exchange"] == 2


def test_an_opaque_refresh_token_is_kept_and_a_failure_means_no_token() -> None:
    exchange = _Exchange("opaque")
    fetch = ScopeTokenFetcher(exchange, clock=Clock(0.0))
    assert asyncio.run(fetch("s", "registry:catalog:*")) == "access:s:registry:catalog:*:opaque"
    assert asyncio.run(fetch("s", "repository:a:pull")) is not None
    assert exchange.calls["exchange"] == 1
    exchange.fail_access = True
    assert asyncio.run(fetch("s", "repository:b:pull")) is None  # the request then goes bare, as before
    assert (fetch.fetched, fetch.failed) == (2, 1)
    exchange.fail_access = False
    assert asyncio.run(fetch("s", "repository:b:pull")) is not None
    assert exchange.calls["exchange"] == 2  # the refused refresh token was not offered again


def test_no_exchange_client_means_no_prefetch() -> None:
    assert exchange_client_of(object()) is None

    class _Policy:
        _exchange_client = object()  # an anonymous client's exchange has no refresh-token calls

    class _Client:
        class _client:
            class _client:
                class _pipeline:
                    _impl_policies = (_Policy(),)

    assert exchange_client_of(_Client()) is None


# ---------------------------------------------------------------------------------------------------
# The environment aiohttp would read on every request


@pytest.fixture
def bare_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "ftp_proxy", "NETRC",
                 "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "FTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def test_environment_settings_are_in_use_only_with_a_proxy_or_a_netrc(
        bare_environment: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert environment_settings_in_use() is False
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert environment_settings_in_use() is True
    monkeypatch.delenv("HTTPS_PROXY")
    (bare_environment / ".netrc").write_text("machine r.azurecr.io login u password p\n")
    assert environment_settings_in_use() is True
    monkeypatch.setenv("NETRC", str(bare_environment / "absent"))
    assert environment_settings_in_use() is False  # NETRC names the file aiohttp reads, and it is not there


@pytest.mark.parametrize("with_proxy", [False, True])
@pytest.mark.parametrize("ca_file", [False, True])
def test_the_async_session_trusts_the_environment_exactly_when_it_has_settings(
        bare_environment: Path, monkeypatch: pytest.MonkeyPatch, with_proxy: bool, ca_file: bool,
        mini_acr: tuple[_MiniAcr, str, str]) -> None:
    _acr, endpoint, ca = mini_acr
    if with_proxy:
        monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")

    async def session_trust() -> bool:
        async with async_registry_client(endpoint, _AsyncCred(), connection_verify=ca if ca_file else True) as c:
            transport = c._client._client._pipeline._transport
            await transport.open()
            return bool(transport.session.trust_env)

    assert asyncio.run(session_trust()) is with_proxy


def test_the_raw_token_call_is_the_sdks_request_and_a_refusal_is_no_token(
        mini_acr: tuple[_MiniAcr, str, str]) -> None:
    from azure.containerregistry.aio._async_exchange_client import ACRExchangeClient

    acr, endpoint, ca = mini_acr

    async def fetch_twice() -> tuple[str | None, str | None, ScopeTokenFetcher]:
        async with ACRExchangeClient(endpoint, _AsyncCred(), connection_verify=ca) as exchange:
            fetch = ScopeTokenFetcher(exchange, clock=Clock(0.0))
            good = await fetch(acr.host, "repository:hello:metadata_read")
            acr.token_status = 401
            try:
                refused = await fetch(acr.host, "repository:team/db:metadata_read")
            finally:
                acr.token_status = 200
            return good, refused, fetch

    good, refused, fetch = asyncio.run(fetch_twice())
    assert good is not None and acr.valid.get(good) == "repository:hello:metadata_read"
    assert fetch._raw is True  # the raw path was used, not the fallback
    assert refused is None
    assert (fetch.fetched, fetch.failed) == (1, 1)
