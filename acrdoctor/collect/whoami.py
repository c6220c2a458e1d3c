"""Who the Azure CLI is signed in as: the object id and principal type a role assignment names.

Why: a printed ``az role assignment create`` for "you" needs your object id. ``az ad signed-in-user show`` answers
only for users (a service principal or managed identity gets "/me request is only valid with delegated
authentication flow" and the command gets an empty ``--assignee``), and ``az ad sp show`` needs Graph rights that
pipelines rarely have. The ARM access token az holds names the caller in its ``oid`` claim for every kind of
principal, with no Graph call (Microsoft identity platform, access token claims reference), so the printed
command asks ``acrdoctor whoami`` for it.
"""

from __future__ import annotations

from typing import Any

from acrdoctor.collect.arm_controls import ARM_SCOPE
from acrdoctor.collect.control_shapes import caller_from_claims, jwt_claims
from acrdoctor.errors import InputError

__all__ = ["signed_in"]


def signed_in(credential: Any, scope: str = ARM_SCOPE) -> dict[str, Any]:
    """``{"principalId", "principalType", "name"}`` from an ARM token of ``credential``; an error if it has none."""
    caller = caller_from_claims(jwt_claims(credential.get_token(scope).token))
    if not caller.get("principalId"):
        raise InputError("the signed-in identity's token names no object id (oid): it is not an Entra ID token")
    return caller
