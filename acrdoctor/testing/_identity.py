"""A managed-identity token endpoint, so the real Azure CLI and ``DefaultAzureCredential`` can sign in to the fake.

Why the App Service shape (``IDENTITY_ENDPOINT`` + ``IDENTITY_HEADER``) and not IMDS: IMDS lives at the link-local
address 169.254.169.254, which a test cannot bind without root and a network namespace, while the App Service
endpoint is whatever URL the environment names. msal's ``ManagedIdentityClient`` (behind ``az login --identity``)
and azure-identity's ``ManagedIdentityCredential`` both pick the App Service flow when these two variables are
set (msal ``managed_identity.get_managed_identity_source``; azure-identity ``_credentials/app_service.py``), and
both send ``GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=…`` with ``X-IDENTITY-HEADER``.

The answer is App Service's documented JSON (``access_token``, ``expires_on`` in epoch seconds, ``resource``,
``token_type``, ``client_id``). The token is JWT-shaped because ``az login --identity`` decodes it, unverified, to
read the tenant (``tid``) before it lists subscriptions; its claims also carry the fake identity's name, which
the fake's ARM and ``/oauth2/exchange`` read back (:func:`acrdoctor.testing._credentials.identity_of`).
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping
from typing import Any

from acrdoctor.testing._credentials import IDENTITY_CLAIM, default_object_id

#: Where the fake serves the endpoint (the path is the fake's choice; App Service's own is ``/msi/token``).
IDENTITY_PATH = "/msi/token"
#: The tenant every fake identity belongs to: stable, so tests and printed lines can name it.
FAKE_TENANT_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "fake-acr:tenant"))
#: How long a managed-identity token lives (App Service hands out tokens for about a day; the value is ours).
TOKEN_SECONDS = 6 * 3600


def _segment(obj: Mapping[str, Any]) -> str:
    raw = json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def managed_identity_token(identity: str, resource: str, now: float) -> str:
    """An unsigned, JWT-shaped token for ``identity``: readable by ``jwt.decode(verify_signature=False)``."""
    oid = default_object_id(identity)
    claims = {"aud": resource, "iss": f"https://sts.fake.localhost/{FAKE_TENANT_ID}/", "tid": FAKE_TENANT_ID,
              "oid": oid, "sub": oid, "idtyp": "app", "appid": default_object_id("app:" + identity),
              "iat": int(now), "nbf": int(now), "exp": int(now) + TOKEN_SECONDS, IDENTITY_CLAIM: identity}
    return f"{_segment({'alg': 'RS256', 'typ': 'JWT'})}.{_segment(claims)}.ZmFrZS1zaWduYXR1cmU"


def identity_answer(identity: str, secret: str, headers: Mapping[str, str], query: Mapping[str, str],
                    now: float) -> tuple[int, dict[str, Any]]:
    """The endpoint's status and JSON for one request.

    A wrong or missing ``X-IDENTITY-HEADER`` and a missing ``resource`` are refused in App Service's error
    shape (``statusCode``, ``message``); the exact statuses App Service uses are not verified.
    """
    if headers.get("X-IDENTITY-HEADER") != secret:
        return 401, {"statusCode": 401, "message": "The X-IDENTITY-HEADER header is missing or wrong."}
    resource = query.get("resource") or ""
    if not resource:
        return 400, {"statusCode": 400, "message": "The resource parameter is required."}
    return 200, {"access_token": managed_identity_token(identity, resource, now),
                 "expires_on": str(int(now) + TOKEN_SECONDS), "resource": resource, "token_type": "Bearer",
                 "client_id": default_object_id("app:" + identity)}


__all__ = ["FAKE_TENANT_ID", "IDENTITY_PATH", "identity_answer", "managed_identity_token"]
