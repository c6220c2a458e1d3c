"""Documented ACR request limits and storage maximums per SKU: collector pacing, bulk-delete estimates, storage-limit.

Source: Microsoft Learn, "Azure Container Registry service tiers", section "API request rate limits"
(``articles/container-registry/container-registry-skus.md`` in MicrosoftDocs/azure-docs, section added
2026-06-16): https://learn.microsoft.com/azure/container-registry/container-registry-skus

The figures are requests per minute, best-effort approximate maximums (not SLA-backed), enforced as
token buckets per registry and per identity. One request may count against several buckets (listing
referrers counts as ListReferrers and as DataplaneRead). All anonymous callers share one identity, and
so do both admin passwords. Over the limit the registry answers 429 with a ``Retry-After``.

Basic and Standard share one set of figures; Premium has its own. For an unknown or missing SKU we use
the Basic/Standard figures: pacing too slowly wastes minutes, pacing too fast gets the scan throttled.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "DOCS_URL",
    "LIMITS",
    "Category",
    "RequestLimit",
    "SkuLimits",
    "default_read_rate",
    "delete_rate",
    "limits_for",
    "max_storage_bytes",
    "write_rate",
]

DOCS_URL = "https://learn.microsoft.com/azure/container-registry/container-registry-skus"


class Category(StrEnum):
    """The request categories of the documented limits, with the HTTP methods that fall in each."""

    DATAPLANE_READ = "DataplaneRead"  # GET, HEAD, OPTIONS: pulls, listing repositories, manifests, tags
    DATAPLANE_WRITE = "DataplaneWrite"  # PUT, PATCH, POST: pushes, tagging, lock/unlock attribute PATCH
    DATAPLANE_DELETE = "DataplaneDelete"  # DELETE of repositories, manifests, tags
    LIST_REFERRERS = "ListReferrers"  # GET referrers (also counts as DataplaneRead)
    OAUTH = "OAuth"  # token exchanges (/oauth2/exchange, /oauth2/token)


@dataclass(frozen=True)
class RequestLimit:
    """Requests per minute for one category. ``per_identity`` is None where the docs give none (OAuth)."""

    per_registry: int
    per_identity: int | None


@dataclass(frozen=True)
class SkuLimits:
    """All documented limits of one SKU group."""

    skus: tuple[str, ...]
    limits: dict[Category, RequestLimit]

    def __getitem__(self, category: Category | str) -> RequestLimit:
        return self.limits[Category(category)]


_BASIC_STANDARD = SkuLimits(
    skus=("Basic", "Standard"),
    limits={
        Category.DATAPLANE_READ: RequestLimit(per_registry=10_000, per_identity=5_000),
        Category.DATAPLANE_WRITE: RequestLimit(per_registry=2_000, per_identity=1_000),
        Category.DATAPLANE_DELETE: RequestLimit(per_registry=1_000, per_identity=500),
        Category.LIST_REFERRERS: RequestLimit(per_registry=500, per_identity=250),
        Category.OAUTH: RequestLimit(per_registry=10_000, per_identity=None),
    },
)

_PREMIUM = SkuLimits(
    skus=("Premium",),
    limits={
        Category.DATAPLANE_READ: RequestLimit(per_registry=20_000, per_identity=10_000),
        Category.DATAPLANE_WRITE: RequestLimit(per_registry=4_000, per_identity=2_000),
        Category.DATAPLANE_DELETE: RequestLimit(per_registry=4_000, per_identity=2_000),
        Category.LIST_REFERRERS: RequestLimit(per_registry=2_000, per_identity=1_000),
        Category.OAUTH: RequestLimit(per_registry=20_000, per_identity=None),
    },
)

#: SKU name (lower case) → limits.
LIMITS: dict[str, SkuLimits] = {"basic": _BASIC_STANDARD, "standard": _BASIC_STANDARD, "premium": _PREMIUM}


def limits_for(sku: str | None) -> SkuLimits:
    """The limits of a SKU (case-insensitive, ``Premium`` or ``"premium"``); unknown → Basic/Standard."""
    if sku is None:
        return _BASIC_STANDARD
    return LIMITS.get(str(sku).strip().lower(), _BASIC_STANDARD)


def default_read_rate(sku: str | None) -> int:
    """Per-identity DataplaneRead requests/minute: the pace for one identity's scan of the registry."""
    value = limits_for(sku)[Category.DATAPLANE_READ].per_identity
    assert value is not None
    return value


def write_rate(sku: str | None) -> int:
    """Per-identity DataplaneWrite requests/minute (lock/unlock PATCHes count here)."""
    value = limits_for(sku)[Category.DATAPLANE_WRITE].per_identity
    assert value is not None
    return value


def delete_rate(sku: str | None) -> int:
    """Per-identity DataplaneDelete requests/minute: bounds how fast one identity can bulk-delete."""
    value = limits_for(sku)[Category.DATAPLANE_DELETE].per_identity
    assert value is not None
    return value


# -- Maximum registry storage ---------------------------------------------------------------------------------
#
# Source: "Azure Container Registry service tiers" (MicrosoftDocs/azure-management-docs@d923d58,
# articles/container-registry/container-registry-skus.md, ms.date 2026-03-25; [D-SKU] in docs/sources.md):
# the registry storage limit is 40 TiB on Basic and Standard and 100 TiB on Premium. Premium's 100 TiB default was
# rolled out to every Premium registry by 2026-05-06 (https://github.com/Azure/acr/issues/852, closed). Older copies
# of the page showed 40 TiB for Premium too (acr-semantics-and-peers.md, "SKU table").
#
# This is not the ``limit`` of the ``Size`` row of ``listUsages``: that figure is the storage *included* in the SKU
# price (500 GiB on the Premium registry of the recorded az session, acr-wire-behaviour.md §c.11), above which storage
# is billed extra, not refused. Where the service reports the real maximum it is its own ``MaximumStorageCapacity``
# row (https://github.com/Azure/azure-cli/pull/32263), which wins over this table.

TIB = 1024 ** 4

#: SKU name (lower case) → documented maximum registry storage in bytes.
MAX_STORAGE: dict[str, int] = {"basic": 40 * TIB, "standard": 40 * TIB, "premium": 100 * TIB}


def max_storage_bytes(sku: str | None) -> int | None:
    """The documented maximum storage of a SKU; None for an unknown or missing SKU (Classic has no such figure)."""
    if sku is None:
        return None
    return MAX_STORAGE.get(str(sku).strip().lower())
