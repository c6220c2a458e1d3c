"""Credentials for the fake: AAD tokens that simply name an identity.

The fake's ``/oauth2/exchange`` reads the identity back out of ``fake-aad:<identity>`` and binds every
refresh and access token to it, so throttling, permission denials and the request log are per identity
exactly as ACR's are per AAD principal.

The token also carries, after the identity, the payload and signature segments of an unsigned JWT
(``fake-aad:<identity>.<claims>.fake``), so a collector that reads its own token's claims (``oid``, ``idtyp``,
``upn``/``appid``, as acrdoctor does to find the caller's role assignments) finds an Entra-shaped answer.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

from azure.core.credentials import AccessToken

AAD_PREFIX = "fake-aad:"
#: The claim naming the fake identity in the JWT-shaped tokens of the managed-identity endpoint (``_identity``).
IDENTITY_CLAIM = "fake_acr_identity"


def default_object_id(identity: str) -> str:
    """The object id a fake identity has unless told otherwise: stable, so tests can predict it."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"fake-acr:{identity}"))


def fake_aad_token(identity: str, object_id: str | None = None, principal_type: str = "User") -> str:
    """``fake-aad:<identity>.<claims>.fake``: the identity for the fake, the claims for whoever decodes them."""
    claims: dict[str, Any] = {"oid": object_id or default_object_id(identity),
                              "idtyp": "user" if principal_type == "User" else "app"}
    if principal_type == "User":
        claims["upn"] = f"{identity}@fake.example"
    else:
        claims["appid"] = default_object_id("app:" + identity)
    payload = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).decode().rstrip("=")
    return f"{AAD_PREFIX}{identity}.{payload}.fake"


def identity_of(token: str) -> str | None:
    """The identity a fake AAD token names, or None for anything else.

    Two shapes: ``fake-aad:<identity>…`` from :class:`FakeCredential`, and the JWT-shaped tokens of the
    managed-identity endpoint, whose payload names the identity in ``fake_acr_identity``.
    """
    if token.startswith(AAD_PREFIX):
        return token[len(AAD_PREFIX):].split(".", 1)[0]
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    name = claims.get(IDENTITY_CLAIM) if isinstance(claims, dict) else None
    return name if isinstance(name, str) and name else None


class FakeCredential:
    """Synchronous ``TokenCredential``; ``get_token`` returns ``AccessToken(fake_aad_token(identity), now+3600)``.

    ``scopes_requested`` records every scope asked for, so tests can assert which audience a client used.
    """

    def __init__(self, identity: str = "alice", *, object_id: str | None = None,
                 principal_type: str = "User") -> None:
        self.identity = identity
        self.object_id = object_id or default_object_id(identity)
        self.principal_type = principal_type
        self.scopes_requested: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.scopes_requested.append(scopes)
        return AccessToken(fake_aad_token(self.identity, self.object_id, self.principal_type),
                           int(time.time()) + 3600)

    def close(self) -> None:
        pass

    def __enter__(self) -> FakeCredential:
        return self

    def __exit__(self, *args: object) -> None:
        self.close()


class AsyncFakeCredential:
    """Asynchronous ``AsyncTokenCredential`` twin of :class:`FakeCredential` for the aio clients."""

    def __init__(self, identity: str = "alice", *, object_id: str | None = None,
                 principal_type: str = "User") -> None:
        self.identity = identity
        self.object_id = object_id or default_object_id(identity)
        self.principal_type = principal_type
        self.scopes_requested: list[tuple[str, ...]] = []

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.scopes_requested.append(scopes)
        return AccessToken(fake_aad_token(self.identity, self.object_id, self.principal_type),
                           int(time.time()) + 3600)

    async def close(self) -> None:
        pass

    async def __aenter__(self) -> AsyncFakeCredential:
        return self

    async def __aexit__(self, *args: object) -> None:
        await self.close()
