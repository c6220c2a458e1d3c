"""Transport layer of the live collector: token reuse, the shared rate limiter, limits (the cache: test_cache.py).

The token policy is tested twice: as a unit (a stub next-policy) and end to end with the real
azure-containerregistry clients (sync and aio) against a tiny HTTPS server on loopback that speaks the
ACR challenge flow, so a change in the SDK's pipeline order would show up here. Rate limiting runs on
virtual time: nothing sleeps for real.
"""

from __future__ import annotations

import asyncio
import base64
import heapq
import itertools
import json
import random
import ssl
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, quote, unquote

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import (
    HttpResponseError,
)
from azure.core.pipeline import PipelineContext, PipelineRequest, PipelineResponse
from azure.core.rest import HttpRequest
from hypothesis import given
from hypothesis import strategies as st

from acrdoctor import limits
from acrdoctor.azure.tokens import (
    ScopedTokenCache,
    SyncTokenReusePolicy,
    TokenReusePolicy,
    jwt_expiry,
    scope_for,
)
from acrdoctor.collect.ratelimit import (
    RateLimiter,
    backoff_delay,
    parse_retry_after,
)

# ---------------------------------------------------------------------------------------------------
# scope_for


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("GET", "/acr/v1/_catalog", "registry:catalog:*"),
        ("GET", "/acr/v1/_catalog?n=100&last=a", "registry:catalog:*"),
        ("GET", "/v2/_catalog", "registry:catalog:*"),
        ("DELETE", "/acr/v1/_catalog", None),
        ("GET", "/acr/v1/web", "repository:web:metadata_read"),
        ("HEAD", "/acr/v1/web", "repository:web:metadata_read"),
        ("GET", "/acr/v1/team%2Fapp%2Fweb?api-version=2021-07-01", "repository:team/app/web:metadata_read"),
        ("GET", "/acr/v1/team/app/web/_tags", "repository:team/app/web:metadata_read"),
        ("GET", "/acr/v1/team%2Fapp%2Fweb/_tags/v1.2", "repository:team/app/web:metadata_read"),
        ("GET", "/acr/v1/team/app/web/_tags/_tags", "repository:team/app/web:metadata_read"),
        ("GET", "/acr/v1/team/web/_manifests", "repository:team/web:metadata_read"),
        ("GET", "/acr/v1/team/web/_manifests/sha256%3Aabc", "repository:team/web:metadata_read"),
        ("PATCH", "/acr/v1/team/web", "repository:team/web:metadata_write"),
        ("PATCH", "/acr/v1/team/web/_tags/v1", "repository:team/web:metadata_write"),
        ("PATCH", "/acr/v1/team/web/_manifests/sha256:abc", "repository:team/web:metadata_write"),
        ("DELETE", "/acr/v1/team/web", "repository:team/web:delete"),
        ("DELETE", "/acr/v1/team/web/_tags/v1", "repository:team/web:delete"),
        ("PUT", "/acr/v1/team/web", None),
        ("GET", "/v2/team/web/manifests/v1", "repository:team/web:pull"),
        ("HEAD", "/v2/team%2Fweb/manifests/sha256%3Aabc", "repository:team/web:pull"),
        ("GET", "/v2/team/web/blobs/sha256:abc", "repository:team/web:pull"),
        ("GET", "/v2/a/manifests/b/manifests/v1", "repository:a/manifests/b:pull"),
        ("DELETE", "/v2/team/web/manifests/sha256:abc", "repository:team/web:delete"),
        ("DELETE", "/v2/team/web/blobs/sha256:abc", None),
        ("PUT", "/v2/team/web/manifests/v1", None),
        ("POST", "/v2/team/web/blobs/uploads/", None),
        ("GET", "/v2/", None),
        ("GET", "/v2/team/web/tags/list", None),
        ("POST", "/oauth2/token", None),
        ("POST", "/oauth2/exchange?api-version=2021-07-01", None),
        ("GET", "/oauth2/token", None),
        ("GET", "/", None),
        ("GET", "/acr/v1/", None),
        ("get", "https://r.azurecr.io/acr/v1/team%2Fweb/_tags?n=5", "repository:team/web:metadata_read"),
    ],
)
def test_scope_for(method: str, path: str, scope: str | None) -> None:
    assert scope_for(method, path) == scope


_component = st.from_regex(r"[a-z0-9]{1,6}([._-][a-z0-9]{1,4}){0,2}", fullmatch=True)
_repo_names = st.lists(_component, min_size=1, max_size=4).map("/".join)
_tags = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True)


@given(repo=_repo_names, tag=_tags, encode=st.booleans())
def test_scope_for_any_repository_name(repo: str, tag: str, encode: bool) -> None:
    """Whatever the repository name (slashes, dots, a segment named like a marker), the split is right."""
    enc = quote(repo, safe="") if encode else repo
    assert scope_for("GET", f"/acr/v1/{enc}/_tags/{tag}") == f"repository:{repo}:metadata_read"
    assert scope_for("DELETE", f"/acr/v1/{enc}") == f"repository:{repo}:delete"
    assert scope_for("GET", f"/v2/{enc}/manifests/{tag}") == f"repository:{repo}:pull"
    assert scope_for("DELETE", f"/v2/{enc}/manifests/sha256%3A{'a' * 64}") == f"repository:{repo}:delete"


# ---------------------------------------------------------------------------------------------------
# JWT expiry


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(claims: dict[str, Any]) -> str:
    header = _b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    return f"{header}.{_b64url(json.dumps(claims).encode())}.c2lnbmF0dXJl"


def test_jwt_expiry() -> None:
    assert jwt_expiry(make_jwt({"exp": 1_900_000_000})) == 1_900_000_000.0
    # A payload whose base64url form contains "-" or "_" (the SDK's own reader chokes on these).
    awkward = make_jwt({"exp": 1_900_000_000, "note": "??>>~~ü"})
    assert "-" in awkward.split(".")[1] or "_" in awkward.split(".")[1]
    assert jwt_expiry(awkward) == 1_900_000_000.0
    assert jwt_expiry("opaque-token") is None
    assert jwt_expiry("a.b.c") is None
    assert jwt_expiry(make_jwt({"sub": "x"})) is None
    assert jwt_expiry(make_jwt({"exp": "soon"})) is None
    assert jwt_expiry(make_jwt({"exp": True})) is None


# ---------------------------------------------------------------------------------------------------
# Token policy, unit level


class _Resp:
    def __init__(self, status: int) -> None:
        self.status_code = status


class _Next:
    """Stands in for the rest of the pipeline: answers each request via ``answer(request) -> status``."""

    def __init__(self, answer: Callable[[Any], int]) -> None:
        self.answer = answer
        self.seen: list[str | None] = []

    def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        self.seen.append(request.http_request.headers.get("Authorization"))
        return PipelineResponse(request.http_request, _Resp(self.answer(request.http_request)), request.context)


class _AsyncNext(_Next):
    async def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:  # type: ignore[override]
        return super().send(request)


def _req(method: str, url: str, token: str | None = None) -> PipelineRequest[Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return PipelineRequest(HttpRequest(method, url, headers=headers), PipelineContext(None))


URL = "https://r.azurecr.io/acr/v1/team%2Fweb?api-version=2021-07-01"


def test_policy_learns_injects_and_invalidates() -> None:
    valid = {"t1"}
    nxt = _Next(lambda r: 200 if r.headers.get("Authorization", "")[7:] in valid else 401)
    policy = SyncTokenReusePolicy()
    policy.next = nxt  # type: ignore[assignment]

    # 1. bare request, nothing cached: a miss, sent bare (the challenge policy would then get a token).
    assert policy.send(_req("GET", URL)).http_response.status_code == 401
    assert (policy.hits, policy.misses) == (0, 1)
    # 2. the challenge policy's resend carries t1 and succeeds: learned, not counted.
    policy.send(_req("GET", URL, "t1"))
    # 3. the next bare request of the same scope gets t1 attached and succeeds.
    assert policy.send(_req("GET", URL)).http_response.status_code == 200
    assert nxt.seen[-1] == "Bearer t1"
    assert (policy.hits, policy.misses) == (1, 1)
    # Another scope (DELETE) and another registry host do not reuse it.
    policy.send(_req("DELETE", URL))
    policy.send(_req("GET", URL.replace("r.azurecr.io", "other.azurecr.io")))
    assert nxt.seen[-2:] == [None, None]
    assert policy.misses == 3
    # 4. the registry stops accepting t1: the 401 drops it; the resend with t2 is learned.
    valid.clear()
    valid.add("t2")
    assert policy.send(_req("GET", URL)).http_response.status_code == 401
    assert policy.invalidations == 1
    assert policy.cache.token_for("GET", URL) is None
    policy.send(_req("GET", URL, "t2"))
    policy.send(_req("GET", URL))
    assert nxt.seen[-1] == "Bearer t2"
    assert policy.hits == 3


def test_policy_ignores_oauth_and_unknown_paths() -> None:
    nxt = _Next(lambda r: 200)
    policy = SyncTokenReusePolicy()
    policy.next = nxt  # type: ignore[assignment]
    policy.send(_req("POST", "https://r.azurecr.io/oauth2/token", "secret"))
    policy.send(_req("GET", "https://r.azurecr.io/v2/", "secret"))
    assert len(policy.cache) == 0
    assert (policy.hits, policy.misses, policy.invalidations) == (0, 0, 0)


def test_policy_keeps_caller_authorization_and_non_401_errors_still_teach() -> None:
    nxt = _Next(lambda r: 404)
    policy = SyncTokenReusePolicy()
    policy.next = nxt  # type: ignore[assignment]
    policy.send(_req("GET", URL, "mine"))  # a 404 proves the token was accepted
    assert policy.cache.token_for("GET", URL) == "mine"
    policy.send(_req("GET", URL, "explicit"))
    assert nxt.seen[-1] == "Bearer explicit"  # never overwritten


def test_401_does_not_drop_a_newer_token_stored_meanwhile() -> None:
    cache = ScopedTokenCache()
    headers: dict[str, str] = {}
    cache.after_response("GET", URL, {"Authorization": "Bearer old"}, 200, None)
    injected = cache.before_send("GET", URL, headers)
    assert injected == "old"
    cache.after_response("GET", URL, {"Authorization": "Bearer new"}, 200, None)  # another worker
    cache.after_response("GET", URL, headers, 401, injected)
    assert cache.token_for("GET", URL) == "new"
    assert cache.invalidations == 1


def test_jwt_tokens_expire_early_and_opaque_ones_do_not() -> None:
    now = [1_000_000.0]
    cache = ScopedTokenCache(clock=lambda: now[0])
    jwt = make_jwt({"exp": now[0] + 300})
    cache.after_response("GET", URL, {"Authorization": f"Bearer {jwt}"}, 200, None)
    now[0] += 239
    assert cache.token_for("GET", URL) == jwt
    now[0] += 1  # within 60 s of exp
    assert cache.token_for("GET", URL) is None
    # A token already inside its margin is never stored.
    cache.after_response("GET", URL, {"Authorization": f"Bearer {make_jwt({'exp': now[0] + 30})}"}, 200, None)
    assert cache.token_for("GET", URL) is None
    cache.after_response("GET", URL, {"Authorization": "Bearer opaque"}, 200, None)
    now[0] += 10**7
    assert cache.token_for("GET", URL) == "opaque"


def test_async_policy_shares_a_cache_with_the_sync_twin() -> None:
    cache = ScopedTokenCache()
    sync_policy = SyncTokenReusePolicy(cache)
    async_policy = TokenReusePolicy(cache)
    sync_policy.next = _Next(lambda r: 200)  # type: ignore[assignment]
    nxt = _AsyncNext(lambda r: 200)
    async_policy.next = nxt  # type: ignore[assignment]
    sync_policy.send(_req("GET", URL, "shared"))
    asyncio.run(async_policy.send(_req("GET", URL)))
    assert nxt.seen == ["Bearer shared"]
    assert async_policy.hits == sync_policy.hits == 1


def test_token_cache_is_thread_safe() -> None:
    cache = ScopedTokenCache()
    urls = [f"https://r.azurecr.io/acr/v1/repo{i % 7}/_tags" for i in range(2000)]

    def work(url: str) -> None:
        headers: dict[str, str] = {}
        injected = cache.before_send("GET", url, headers)
        if injected is None:
            headers["Authorization"] = f"Bearer tok-{url[-12:]}"
        cache.after_response("GET", url, headers, 200, injected)

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(work, urls))
    assert cache.hits + cache.misses == len(urls)
    assert cache.misses >= 7
    assert len(cache) == 7


# ---------------------------------------------------------------------------------------------------
# Token policy, end to end with the real SDK clients against a loopback HTTPS ACR imitation


class _MiniAcr:
    """Just enough of the ACR data plane for the challenge flow: catalog, repository properties, tokens."""

    REPOS = ("hello", "team/app/web", "team/db")

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.valid: dict[str, str] = {}  # access token -> scope
        self.lock = threading.Lock()
        self.serial = itertools.count(1)
        self.host = ""
        #: The token endpoint's answer: 200 with a token, or this status refusing it.
        self.token_status = 200

    def revoke_all(self) -> None:
        with self.lock:
            self.valid.clear()

    @staticmethod
    def required_scope(method: str, path: str) -> str:
        if path == "/acr/v1/_catalog":
            return "registry:catalog:*"
        repo = path[len("/acr/v1/") :]
        return f"repository:{repo}:metadata_read"

    async def handle(self, request: Any) -> Any:
        from aiohttp import web

        path = unquote(request.raw_path.split("?", 1)[0])
        if path == "/oauth2/exchange":
            self.calls["exchange"] += 1
            return web.json_response({"refresh_token": "refresh"})
        if path == "/oauth2/token":
            self.calls["token"] += 1
            if self.token_status != 200:
                return web.json_response({"errors": [{"code": "UNAUTHORIZED", "message": "refused"}]},
                                         status=self.token_status)
            form = parse_qs((await request.read()).decode())
            token = f"access-{next(self.serial)}"
            with self.lock:
                self.valid[token] = form["scope"][0]
            return web.json_response({"access_token": token})
        self.calls["data"] += 1
        scope = self.required_scope(request.method, path)
        auth = request.headers.get("Authorization", "")
        with self.lock:
            ok = auth.startswith("Bearer ") and self.valid.get(auth[7:]) == scope
        if not ok:
            self.calls["challenge"] += 1
            challenge = f'Bearer realm="https://{self.host}/oauth2/token",service="{self.host}",scope="{scope}"'
            return web.json_response(
                {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required", "detail": None}]},
                status=401,
                headers={"WWW-Authenticate": challenge},
            )
        if path == "/acr/v1/_catalog":
            return web.json_response({"repositories": list(self.REPOS)})
        repo = path[len("/acr/v1/") :]
        if repo not in self.REPOS:
            return web.json_response({"errors": [{"code": "NAME_UNKNOWN", "message": "x"}]}, status=404)
        stamp = "2024-01-01T00:00:00Z"
        return web.json_response(
            {
                "registry": self.host,
                "imageName": repo,
                "createdTime": stamp,
                "lastUpdateTime": stamp,
                "manifestCount": 1,
                "tagCount": 1,
                "changeableAttributes": {
                    "deleteEnabled": True,
                    "writeEnabled": True,
                    "readEnabled": True,
                    "listEnabled": True,
                },
            }
        )


@pytest.fixture(scope="module")
def mini_acr(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[_MiniAcr, str, str]]:
    trustme = pytest.importorskip("trustme")
    web = pytest.importorskip("aiohttp.web")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    ca_path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)

    acr = _MiniAcr()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    state: dict[str, Any] = {}

    async def start() -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", acr.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ctx)
        await site.start()
        state["runner"] = runner
        state["port"] = runner.addresses[0][1]

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(10)
    acr.host = f"127.0.0.1:{state['port']}"
    yield acr, f"https://{acr.host}", str(ca_path)
    asyncio.run_coroutine_threadsafe(state["runner"].cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


class _SyncCred:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("aad-token", int(time.time()) + 3600)


class _AsyncCred:
    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("aad-token", int(time.time()) + 3600)

    async def close(self) -> None:
        pass

    async def __aenter__(self) -> _AsyncCred:
        return self

    async def __aexit__(self, *args: Any) -> None:
        pass


def test_sdk_sync_client_pays_for_one_token_per_scope(mini_acr: tuple[_MiniAcr, str, str]) -> None:
    from azure.containerregistry import ContainerRegistryClient

    acr, endpoint, ca = mini_acr

    def scan(policies: list[Any]) -> Counter[str]:
        acr.calls.clear()
        with ContainerRegistryClient(
            endpoint, _SyncCred(), connection_verify=ca, retry_total=0, per_retry_policies=policies
        ) as client:
            names = list(client.list_repository_names())
            for _ in range(3):
                for name in names:
                    assert client.get_repository_properties(name).name == name
        return Counter(acr.calls)

    bare = scan([])
    assert bare["token"] == 1 + 3 * 3  # the SDK's own behaviour: one token per operation
    policy = SyncTokenReusePolicy()
    reused = scan([policy])
    assert reused["token"] == 1 + 3  # one per scope: the catalog and each repository
    assert reused["data"] == 1 + 9 + reused["challenge"]
    assert reused["challenge"] == 4
    assert policy.hits == 6
    assert policy.invalidations == 0


def test_sdk_async_client_recovers_when_tokens_are_revoked(mini_acr: tuple[_MiniAcr, str, str]) -> None:
    from azure.containerregistry.aio import ContainerRegistryClient

    acr, endpoint, ca = mini_acr
    policy = TokenReusePolicy()

    async def scan() -> None:
        async with ContainerRegistryClient(
            endpoint, _AsyncCred(), connection_verify=ca, retry_total=0, per_retry_policies=[policy]
        ) as client:
            await asyncio.gather(*(client.get_repository_properties("team/app/web") for _ in range(2)))
            acr.calls.clear()
            for _ in range(5):
                await client.get_repository_properties("team/app/web")
            assert acr.calls["token"] == 0
            acr.revoke_all()
            prop = await client.get_repository_properties("team/app/web")
            assert prop.name == "team/app/web"
            assert policy.invalidations == 1
            assert acr.calls["token"] == 1
            await client.get_repository_properties("team/app/web")
            assert acr.calls["token"] == 1

    asyncio.run(scan())
    assert policy.hits >= 6


# ---------------------------------------------------------------------------------------------------
# Rate limiter on virtual time


class VirtualTime:
    """A clock plus an async sleep that only advances virtual time: the scheduler jumps to the next wake-up."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, next(self._seq), fut))
        await fut

    def run(self, *coros: Awaitable[Any]) -> list[Any]:
        async def main() -> list[Any]:
            tasks = [asyncio.ensure_future(c) for c in coros]
            while not all(t.done() for t in tasks):
                for _ in range(20):
                    await asyncio.sleep(0)
                if all(t.done() for t in tasks):
                    break
                assert self._sleepers, "deadlock: tasks pending but nobody sleeping"
                when, _, fut = heapq.heappop(self._sleepers)
                self.now = max(self.now, when)
                fut.set_result(None)
            return [t.result() for t in tasks]

        return asyncio.run(main())


def test_bucket_allows_a_burst_then_the_refill_rate() -> None:
    vt = VirtualTime()
    limiter = RateLimiter(600, burst=5, clock=vt, sleep=vt.sleep)  # 10/s
    times: list[float] = []

    async def take(n: int) -> None:
        for _ in range(n):
            await limiter.acquire()
            times.append(vt.now)

    vt.run(take(25))
    assert times[:5] == [0.0] * 5
    assert times[-1] == pytest.approx(2.0)  # 20 more at 10/s
    assert limiter.acquired == 25
    assert limiter.waited_seconds == pytest.approx(2.0)


def test_default_burst_is_two_seconds_worth_and_at_least_one() -> None:
    assert RateLimiter(6000).capacity == 200
    assert RateLimiter(1).capacity == 1
    with pytest.raises(ValueError):
        RateLimiter(0)
    with pytest.raises(ValueError):
        RateLimiter(60, burst=0)


def test_concurrent_workers_share_one_bucket() -> None:
    vt = VirtualTime()
    limiter = RateLimiter(60, burst=1, clock=vt, sleep=vt.sleep)  # 1/s for everyone together
    stamps: list[float] = []

    async def worker() -> None:
        for _ in range(3):
            await limiter.acquire()
            stamps.append(vt.now)

    vt.run(*(worker() for _ in range(4)))
    stamps.sort()
    assert len(stamps) == 12
    assert stamps[-1] == pytest.approx(11.0)
    assert all(b - a >= 1 - 1e-9 for a, b in itertools.pairwise(stamps))


def test_pause_holds_waiting_and_future_acquires_and_only_extends() -> None:
    vt = VirtualTime()
    limiter = RateLimiter(6000, burst=1, clock=vt, sleep=vt.sleep)
    released: list[float] = []

    async def waiter() -> None:
        await limiter.acquire()
        released.append(vt.now)

    async def scenario() -> None:
        await limiter.acquire()  # empties the bucket, so the waiters below are mid-wait
        limiter.pause_for(30)
        limiter.pause_for(5)  # shorter: must not shorten
        limiter.pause_for(-3)  # nonsense: treated as 0
        assert limiter.paused_until == 30
        await asyncio.gather(waiter(), waiter(), waiter())

    vt.run(scenario())
    assert min(released) >= 30
    assert limiter.pauses == 3


def test_a_pause_reaches_tasks_already_sleeping_in_acquire() -> None:
    vt = VirtualTime()
    limiter = RateLimiter(60, burst=1, clock=vt, sleep=vt.sleep)
    released: list[float] = []

    async def waiter() -> None:
        await limiter.acquire()
        released.append(vt.now)

    async def pauser() -> None:
        await vt.sleep(0.5)  # while the waiter sleeps toward t=1
        limiter.pause_for(20)

    async def scenario() -> None:
        await limiter.acquire()
        await asyncio.gather(waiter(), pauser())

    vt.run(scenario())
    assert released == [pytest.approx(20.5)]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("  ", None),
        ("60", 60.0),
        (" 1.5 ", 1.5),
        ("0", 0.0),
        ("-1", None),
        ("nan", None),
        ("inf", None),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    now = 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT
    assert parse_retry_after(value, now=now) == expected


def test_backoff_grows_is_capped_and_jittered() -> None:
    rng = random.Random(7)
    for attempt in range(10):
        step = min(30.0, 0.5 * 2**attempt)
        d = backoff_delay(attempt, 0.5, 30.0, rng)
        assert step / 2 <= d <= step


class _FakeHttpResponse:
    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.status_code = status
        self.reason = "x"
        self.headers = headers or {}

    def text(self, encoding: str | None = None) -> str:
        return ""


def _http_error(status: int, retry_after: str | None = None) -> HttpResponseError:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return HttpResponseError(message=f"status {status}", response=_FakeHttpResponse(status, headers))  # type: ignore[arg-type]


def _flaky(errors: list[BaseException], result: str = "ok") -> tuple[Callable[[], Awaitable[str]], list[int]]:
    calls: list[int] = []

    async def fn() -> str:
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return result

    return fn, calls


def test_limiter_really_sleeps_only_milliseconds() -> None:
    limiter = RateLimiter(60_000, burst=1)  # 1000/s on the real clock

    async def go() -> None:
        await asyncio.gather(*(limiter.acquire() for _ in range(20)))

    start = time.monotonic()
    asyncio.run(go())
    elapsed = time.monotonic() - start
    assert 0.015 <= elapsed < 1.0
    assert limiter.acquired == 20


# ---------------------------------------------------------------------------------------------------
# Documented limits


def test_documented_limits() -> None:
    assert limits.default_read_rate("Premium") == 10_000
    assert limits.default_read_rate("standard") == 5_000
    assert limits.default_read_rate("Basic") == 5_000
    assert limits.default_read_rate(None) == 5_000
    assert limits.default_read_rate("Classic") == 5_000
    assert limits.delete_rate("Premium") == 2_000
    assert limits.delete_rate("Standard") == 500
    assert limits.delete_rate("???") == 500
    assert limits.write_rate("Premium") == 2_000
    premium = limits.limits_for("PREMIUM")
    assert premium[limits.Category.LIST_REFERRERS] == limits.RequestLimit(2_000, 1_000)
    assert premium["OAuth"].per_identity is None
    basic = limits.limits_for("Basic")
    assert basic[limits.Category.DATAPLANE_READ].per_registry == 10_000
    assert basic[limits.Category.DATAPLANE_DELETE].per_registry == 1_000
    for sku in limits.LIMITS.values():
        for lim in sku.limits.values():
            assert lim.per_identity is None or lim.per_identity <= lim.per_registry
