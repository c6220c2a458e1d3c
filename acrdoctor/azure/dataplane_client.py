"""The data-plane clients: ``azure.containerregistry`` clients set up the way acrdoctor needs them.

Owns what every registry client gets: the login server as an https endpoint, the CA file (one SSL context on
one shared aiohttp session for the async client, so connections are reused), and token reuse per scope
(:mod:`acrdoctor.azure.tokens`). Callers add their own policies (the scan's rate limiter) and retries.
Imports :mod:`acrdoctor.azure.tokens`, :mod:`acrdoctor.azure.retry`, :mod:`acrdoctor.azure.waits`;
the Azure SDKs and aiohttp inside functions.
"""

from __future__ import annotations

import os
import platform
import urllib.request
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from acrdoctor.azure.retry import CappedRetryPolicy
from acrdoctor.azure.token_fetch import Prefetch, exchange_client_of
from acrdoctor.azure.tokens import SyncTokenReusePolicy, TokenReusePolicy
from acrdoctor.azure.waits import Waits


def endpoint_url(login_server: str) -> str:
    """The client's endpoint: ARM and users give a bare login server, the SDK wants a URL."""
    return login_server if login_server.startswith("https://") else f"https://{login_server}"


def environment_settings_in_use() -> bool:
    """Whether aiohttp's ``trust_env`` would change a request here: a proxy setting or a netrc file.

    Why ask: with ``trust_env`` on, aiohttp looks up proxies and parses the netrc file again for every request,
    each time on a worker thread; on a warm re-scan of 100,000 manifests that was 1.3 s of 10.3 s CPU
    (docs/benchmarks.md). Where neither exists, turning it off changes nothing but the cost. The proxies are
    asked of the standard library as aiohttp asks them (environment variables; the system's settings on macOS
    and Windows), and the netrc file is the one aiohttp reads (``NETRC``, else ``~/.netrc`` or ``~/_netrc``).
    """
    if urllib.request.getproxies():
        return True
    named = os.environ.get("NETRC")
    if named:
        return Path(named).is_file()
    try:
        home = Path.home()
    except RuntimeError:  # no home directory to find: aiohttp finds no netrc either
        return False
    return (home / ("_netrc" if platform.system() == "Windows" else ".netrc")).is_file()


@asynccontextmanager
async def async_registry_client(login_server: str, credential: Any, *, connection_verify: str | bool = True,
                                policies: Sequence[Any] = ()) -> AsyncIterator[Any]:
    """An open async client that reuses tokens and then runs ``policies``; it does not retry by itself.

    Each scope's token is bought before the scope's first request once the registry's first challenge has named
    its service (:mod:`acrdoctor.azure.token_fetch`): one request less per repository.

    Retries are left to ``policies`` (the scan's rate limiter waits and retries with the whole scan in view).
    """
    # Imported here for start-up speed: the SDK is only needed once Azure is reached.
    from azure.containerregistry.aio import ContainerRegistryClient

    trust_env = environment_settings_in_use()
    kwargs: dict[str, Any] = {"connection_verify": connection_verify, "use_env_settings": trust_env}
    session = None
    if isinstance(connection_verify, str):
        # azure-core builds a new SSLContext per request when connection_verify is a path, and aiohttp keys
        # its connection pool on it, so no connection would ever be reused (docs/benchmarks.md measured
        # 130 instead of 423 requests/s). One context on one shared session keeps connections alive.
        # (Imported here for start-up speed, and only on this path: without a CA file azure-core picks aiohttp.)
        import ssl

        import aiohttp
        from azure.core.pipeline.transport import AioHttpTransport

        context = ssl.create_default_context(cafile=connection_verify)
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context), trust_env=trust_env)
        kwargs = {"connection_verify": True, "transport": AioHttpTransport(session=session, session_owner=False)}
    tokens = TokenReusePolicy()
    client = ContainerRegistryClient(endpoint_url(login_server), credential, retry_total=0,
                                     per_retry_policies=[tokens, *policies], **kwargs)
    exchange = exchange_client_of(client)
    if exchange is not None:
        tokens.prefetch = Prefetch(exchange)
    try:
        async with client:
            yield client
    finally:
        if session is not None:
            await session.close()


def registry_client(login_server: str, credential: Any, *, waits: Waits, retry_total: int = 3,
                    connection_verify: str | bool = True, policies: Sequence[Any] = ()) -> Any:
    """A sync client that retries 429 (Retry-After up to the cap of ``waits``) and 5xx ``retry_total`` times.

    Without token reuse every SDK call pays a 401 challenge and a token request: 12 requests a delete step
    instead of 3 (bench/fix_bench.py); the policy keeps one token per scope.
    """
    # Imported here for start-up speed: the SDK is only needed once Azure is reached.
    from azure.containerregistry import ContainerRegistryClient

    return ContainerRegistryClient(endpoint_url(login_server), credential, connection_verify=connection_verify,
                                   retry_policy=CappedRetryPolicy(waits, retry_total=retry_total),
                                   per_retry_policies=[SyncTokenReusePolicy(), *policies])


class _Pages:
    """One raw listing's paging, for the async and the sync client alike: items so far and the next URL.

    Iterating yields each URL to GET; :meth:`take` reads its response. A next link seen before ends the listing
    (a server repeating itself must not loop a client), and so does ``max_pages``.
    """

    def __init__(self, path: str, key: str, max_pages: int) -> None:
        self.key, self.max_pages = key, max_pages
        self.items: list[Any] = []
        self._next: str | None = path
        self._seen: set[str] = set()

    def __iter__(self) -> Iterator[str]:
        while self._next is not None and self._next not in self._seen and len(self._seen) < self.max_pages:
            self._seen.add(self._next)
            yield self._next

    def take(self, response: Any) -> None:
        from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

        if response.status_code != 200:
            raise (ResourceNotFoundError if response.status_code == 404 else HttpResponseError)(response=response)
        data = response.json() if response.content else {}
        page = data.get(self.key) if isinstance(data, dict) else None
        self.items.extend(page if isinstance(page, list) else [])
        link = response.headers.get("Link") or ""
        self._next = link[link.index("<") + 1:link.index(">")] if "<" in link and ">" in link else None


async def raw_pages(client: Any, path: str, key: str, max_pages: int = 10_000) -> list[Any]:
    """Every item under ``key`` of a data-plane listing the SDK has no method for, following ``Link`` headers.

    For ACR's ``/acr/v1/_deleted/…`` listings (azure-cli ``acr/manifest.py`` reads them with plain HTTP too).
    The request goes through the async client's own pipeline (its ``send_request``), so the challenge, token reuse
    and the caller's policies (the scan's rate limiter) apply.
    """
    from azure.core.rest import HttpRequest

    pages = _Pages(path, key, max_pages)
    for url in pages:
        response = await client._client.send_request(HttpRequest("GET", url))
        await response.read()
        pages.take(response)
    return pages.items


def raw_pages_sync(client: Any, path: str, key: str, max_pages: int = 10_000) -> list[Any]:
    """:func:`raw_pages` for the sync client: one listing decoded from its JSON, without the SDK's models.

    ``acrdoctor fix --apply`` re-reads a repository's manifests from one listing before deleting them; 100 items
    a page, so re-checking 100 deletes costs one request instead of 100 GETs. A 404 raises ResourceNotFoundError.
    """
    from azure.core.rest import HttpRequest

    pages = _Pages(path, key, max_pages)
    for url in pages:
        pages.take(client._client.send_request(HttpRequest("GET", url)))
    return pages.items
