"""Credentials for the fake: AAD tokens that simply name an identity.

The fake's ``/oauth2/exchange`` reads the identity back out of ``fake-aad:<identity>`` and binds every
refresh and access token to it, so throttling, permission denials and the request log are per identity
exactly as ACR's are per AAD principal.
"""

from __future__ import annotations

import time
from typing import Any

from azure.core.credentials import AccessToken

AAD_PREFIX = "fake-aad:"


class FakeCredential:
    """Synchronous ``TokenCredential``; ``get_token`` returns ``AccessToken("fake-aad:<identity>", now+3600)``.

    ``scopes_requested`` records every scope asked for, so tests can assert which audience a client used.
    """

    def __init__(self, identity: str = "alice") -> None:
        self.identity = identity
        self.scopes_requested: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.scopes_requested.append(scopes)
        return AccessToken(AAD_PREFIX + self.identity, int(time.time()) + 3600)

    def close(self) -> None:
        pass

    def __enter__(self) -> FakeCredential:
        return self

    def __exit__(self, *args: object) -> None:
        self.close()


class AsyncFakeCredential:
    """Asynchronous ``AsyncTokenCredential`` twin of :class:`FakeCredential` for the aio clients."""

    def __init__(self, identity: str = "alice") -> None:
        self.identity = identity
        self.scopes_requested: list[tuple[str, ...]] = []

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.scopes_requested.append(scopes)
        return AccessToken(AAD_PREFIX + self.identity, int(time.time()) + 3600)

    async def close(self) -> None:
        pass

    async def __aenter__(self) -> AsyncFakeCredential:
        return self

    async def __aexit__(self, *args: object) -> None:
        await self.close()
