"""Who acrdoctor is to Azure and in which subscription: the credentials and the subscription every client uses.

Owns the choice between credentials given by the caller (tests, the fake ACR, a library user) and
``DefaultAzureCredential`` (so ``az login``, environment variables and managed identities all work), and the
subscription lookup order (given, ``AZURE_SUBSCRIPTION_ID``, what ``az`` is set to). Imports
:mod:`acrdoctor.errors` and, inside functions, ``azure.identity``; nothing else of acrdoctor.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any, Protocol

from acrdoctor.errors import InputError


class CredentialSource(Protocol):
    """Whatever carries the credentials a caller chose (``LiveOptions`` does); ``None`` means "sign in as usual"."""

    @property
    def credential(self) -> Any: ...

    @property
    def async_credential(self) -> Any: ...


@dataclass(frozen=True, slots=True)
class GivenCredentials:
    """Credentials chosen by a caller that has no ``LiveOptions`` (the fix layer opens sync clients only)."""

    credential: Any = None
    async_credential: Any = None


#: Stands in for the async credential when only sync clients are opened, so none is built for nothing.
NO_ASYNC_CREDENTIAL: Any = object()


def credentials(given: CredentialSource) -> tuple[Any, Any]:
    """The sync and async credentials: the ones given, else ``DefaultAzureCredential`` (as ``az`` users expect).

    One function for every client, so a test that replaces it signs in collection and fix alike.
    """
    if given.credential is not None and given.async_credential is not None:
        return given.credential, given.async_credential
    # Imported here for start-up speed: azure-identity is only needed once Azure is reached.
    from azure.identity import DefaultAzureCredential
    from azure.identity.aio import DefaultAzureCredential as AsyncDefaultAzureCredential

    return (given.credential or DefaultAzureCredential(),
            given.async_credential or AsyncDefaultAzureCredential())


def az_subscription() -> str | None:
    """The subscription ``az`` is set to, so a signed-in user needs no --subscription."""
    az = shutil.which("az")
    if not az:
        return None
    try:
        out = subprocess.run([az, "account", "show", "--query", "id", "--output", "tsv"], capture_output=True,
                             text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    sub = out.stdout.strip()
    return sub if out.returncode == 0 and sub else None


def subscription(*given: str | None) -> str:
    """The first subscription given (``--subscription``, then one from a resource id), else the environment's or az's.

    ``az`` is asked last because it costs a process start; an InputError names every way to supply one.
    """
    sub = next((s for s in given if s), None) or os.environ.get("AZURE_SUBSCRIPTION_ID") or az_subscription()
    if not sub:
        raise InputError("no Azure subscription: pass --subscription, set AZURE_SUBSCRIPTION_ID, or sign in with "
                         "'az login' and pick one with 'az account set --subscription ID'")
    return sub
