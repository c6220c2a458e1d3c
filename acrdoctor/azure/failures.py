"""What went wrong on the wire, in ACR's own terms.

azure-core hides ACR's error code in different places depending on the status (notes azure-sdk §1.6,
§2.4): mapped statuses (401/404/409) carry it only in the raw body, others in ``err.model``, ARM errors
in ``err.error``. :func:`describe` reads all of them so a collection error in the snapshot always has
the status, the code and ACR's message, which is what the checks and ``explain`` match on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)

from acrdoctor.azure.waits import WaitTooLong
from acrdoctor.errors import InputError, ServiceUnavailable
from acrdoctor.model import Part


@dataclass(frozen=True, slots=True)
class Failure:
    status: int | None
    code: str | None
    message: str
    detail: Any = None
    retry_after: float | None = None


def _json_body(resp: Any) -> Any:
    """A response's body as JSON; None when there is none, it is streamed and unread, or it is not JSON."""
    if resp is None:
        return None
    try:
        text = resp.text()
    except Exception:  # noqa: BLE001 - an unreadable body just means no code
        return None
    try:
        return json.loads(text) if text else None
    except (ValueError, RecursionError):
        return None


def _first_error(body: Any) -> dict[str, Any] | None:
    """The error a body carries: ACR's ``errors[0]`` (distribution spec), else ARM's ``error`` object."""
    if not isinstance(body, dict):
        return None
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return errors[0]
    arm = body.get("error")
    return arm if isinstance(arm, dict) else None


def error_code(response: Any) -> str | None:
    """ACR's or ARM's error code from a loaded body; None when the body is streamed or not JSON.

    It is printed in the wait announcement, so only a code's own shape (TOOMANYREQUESTS, TooManyRequests) is
    returned, never other text.
    """
    first = _first_error(_json_body(response))
    code = first.get("code") if first is not None else None
    return code if isinstance(code, str) and re.fullmatch(r"[A-Za-z_]{1,64}", code) else None


async def load_error_body(err: BaseException) -> None:
    """Read a streamed error response so :func:`describe` can find ACR's code in it.

    The aio client streams ``get_manifest`` responses; on a 404 its body is still unread, and the
    ``MANIFEST_UNKNOWN`` that tells a vanished manifest from a wrong path is inside.
    """
    resp = getattr(err, "response", None)
    if resp is None:
        return
    for name in ("read", "load_body"):
        method = getattr(resp, name, None)
        if method is None:
            continue
        try:
            result = method()
            if hasattr(result, "__await__"):
                await result
        except Exception:  # noqa: BLE001 - an unreadable body just means no code
            continue
        return


def describe(err: BaseException) -> Failure:
    """Status, ACR/ARM error code, message and detail of an SDK exception."""
    if isinstance(err, HttpResponseError):
        status = err.status_code
        retry = None
        resp = getattr(err, "response", None)
        if resp is not None:
            raw = resp.headers.get("Retry-After") if hasattr(resp, "headers") else None
            try:
                retry = float(raw) if raw is not None else None
            except ValueError:
                retry = None
        body = _json_body(resp)
        e = _first_error(body)
        if e is not None:
            detail = e.get("detail") if "errors" in body else None  # ARM's error object has no ``detail``
            return Failure(status, e.get("code"), str(e.get("message") or ""), detail, retry)
        message = (err.message or str(err)).split("\n")[0]
        return Failure(status, None, message, None, retry)
    if isinstance(err, (ServiceRequestError, ServiceResponseError, ConnectionError, OSError)):
        return Failure(None, "CONNECTION", f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}")
    return Failure(None, None, f"{type(err).__name__}: {err}")


def error_doc(part: Part, err: BaseException, *, operation: str, repository: str | None = None) -> dict[str, Any]:
    """A snapshot ``errors[]`` entry for a part that could not be read: what the service answered, verbatim."""
    f = describe(err)
    doc: dict[str, Any] = {"part": part.value, "status": f.status, "code": f.code, "message": f.message,
                           "repository": repository, "operation": operation, "retryAfter": f.retry_after}
    if isinstance(f.detail, (dict, list)):
        doc["detail"] = f.detail
    return {k: v for k, v in doc.items() if v is not None}


class CollectionAborted(InputError):
    """The registry cannot be read at all (unknown name, no login, no access): say what to do."""


def _no_credential(err: BaseException) -> bool:
    """Whether no credential could even try: nobody signed in, as opposed to a sign-in that was refused.

    DefaultAzureCredential reports that as its chain's summary, a dozen lines listing every credential it
    tried; none of them is what the user needs to read.
    """
    return type(err).__name__ == "CredentialUnavailableError" or (
        "failed to retrieve a token from the included credentials" in str(err))


def explain_fatal(err: BaseException, what: str) -> CollectionAborted | ServiceUnavailable | WaitTooLong:
    """One actionable line for a failure that stops collection before anything useful was read.

    What the user can fix (name, sign-in, role) is :class:`CollectionAborted` (exit 2); what only time can
    fix (throttling, 5xx, an unreachable host, after the SDK's retries) is :class:`ServiceUnavailable`. A
    refused wait is no fault of the input either: it stays itself, so the CLI exits 3, not 2.
    """
    if isinstance(err, CollectionAborted | WaitTooLong):
        return err
    if isinstance(err, ClientAuthenticationError) or type(err).__name__ in (
            "CredentialUnavailableError", "ClientAuthenticationError"):
        if _no_credential(err):
            return CollectionAborted(f"not signed in to Azure, so {what} cannot be read: run 'az login' (or set "
                                     "AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET) and try again; "
                                     "ACRDOCTOR_DEBUG=1 lists the credentials tried")
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return CollectionAborted(f"cannot sign in to Azure for {what}: {first[:200]} — run 'az login' "
                                 "(or set AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET) and try again")
    f = describe(err)
    if f.status == 404 or f.code in ("ResourceNotFound", "ResourceGroupNotFound", "SubscriptionNotFound"):
        return CollectionAborted(f"{what} was not found ({f.code or f.status}: {f.message[:200]}); check the "
                                 "registry name, --resource-group and --subscription ('az acr list -o table')")
    if f.status == 403 and f.code != "DENIED":
        return CollectionAborted(f"no permission to read {what} ({f.code or 403}: {f.message[:200]}); the identity "
                                 "needs at least the Reader role on the registry")
    if f.status == 401:
        return CollectionAborted(f"not authorized to read {what} ({f.code or 401}: {f.message[:200]}); run "
                                 "'az login' again or check the identity's role assignments")
    if f.code == "CONNECTION":
        return ServiceUnavailable(f"cannot reach {what}: {f.message[:200]} — check the name, your network, "
                                  "a proxy, or whether the registry is only reachable from a private network")
    if f.status == 429 or (f.status or 0) >= 500:
        wait = f" (Retry-After: {f.retry_after:g} s)" if f.retry_after is not None else ""
        return ServiceUnavailable(f"Azure answered {f.status} {f.code or ''} for {what} and kept doing so after "
                                  f"retries{wait}: {f.message[:200]} — this is on Azure's side or a limit; try again "
                                  "later".replace("  ", " "))
    return CollectionAborted(f"reading {what} failed: {f.status or ''} {f.code or ''} {f.message[:200]}".replace(
        "  ", " "))
