"""Failure mode 10: bulk work throttled with 429 TOOMANYREQUESTS.

Limits are the "API request rate limits" of the ACR SKU docs (container-registry-skus.md, added 2026-06-16;
notes acr-semantics-and-peers.md §5.1): requests per minute, best-effort and not SLA-backed, enforced as token
buckets per registry and per identity per registry. Over the limit ACR answers 429 with a ``Retry-After`` that
counts down across retries. ``az acr check-health`` reports 429s on the token exchange as
``CONNECTIVITY_TOOMANYREQUESTS_ERROR`` (container-registry-health-error-reference.md).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from acrdoctor.check_api import Check, Context, Finding, Fix, Resource, Severity, skip_without_attempt
from acrdoctor.completeness import Gap
from acrdoctor.limits import Category
from acrdoctor.limits import limits_for as documented_limits
from acrdoctor.model import DATA_PLANE_READS, DELETE_OPERATIONS, CollectionError, Part, Registry
from acrdoctor.units import plural

THROTTLE_CODES = frozenset({"TOOMANYREQUESTS", "CONNECTIVITY_TOOMANYREQUESTS_ERROR"})


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Requests per minute for one SKU tier (ACR SKU docs, "API request rate limits")."""

    tier: str
    read_per_identity: int
    read_per_registry: int
    delete_per_identity: int
    delete_per_registry: int
    write_per_identity: int
    oauth_per_registry: int


def _documented(sku: str, tier: str) -> RateLimits:
    """The figures of ``acrdoctor.limits`` (the one copy of the documented table) in this check's shape."""
    group = documented_limits(sku)
    read, delete = group[Category.DATAPLANE_READ], group[Category.DATAPLANE_DELETE]
    write, oauth = group[Category.DATAPLANE_WRITE], group[Category.OAUTH]
    assert read.per_identity and delete.per_identity and write.per_identity
    return RateLimits(tier, read.per_identity, read.per_registry, delete.per_identity, delete.per_registry,
                      write.per_identity, oauth.per_registry)


BASIC_STANDARD = _documented("Standard", "Basic/Standard")
PREMIUM = _documented("Premium", "Premium")


def limits_for(sku: str | None) -> RateLimits | None:
    """The documented limits for a SKU; None when the SKU is unknown (Classic has no published figures)."""
    s = (sku or "").lower()
    if s == "premium":
        return PREMIUM
    if s in ("basic", "standard"):
        return BASIC_STANDARD
    return None


def is_throttled(error: CollectionError) -> bool:
    return error.status == 429 or (error.code or "").upper() in THROTTLE_CODES


def minutes_text(minutes: int) -> str:
    if minutes < 60:
        return plural(minutes, "minute")
    hours, rest = divmod(minutes, 60)
    return f"{plural(hours, 'hour')}" + (f" {plural(rest, 'minute')}" if rest else "")


def delete_minutes(manifests: int, limits: RateLimits) -> int:
    """Lower bound for one identity deleting ``manifests`` manifests at the documented delete rate."""
    return math.ceil(manifests / limits.delete_per_identity) if manifests else 0


def _count(error: CollectionError) -> int:
    detail = error.detail
    if isinstance(detail, Mapping) and isinstance(detail.get("count"), int) and detail["count"] > 0:
        return int(detail["count"])
    return 1


class Throttling(Check):
    slug = "throttling"
    title = "Requests throttled with 429 Too Many Requests"
    severity = Severity.MEDIUM
    needs = frozenset({Part.ERRORS})
    uses = frozenset({Part.MANIFESTS, Part.TAGS})
    failure_mode = "Bulk deletes or scans fail or crawl with 429 TOOMANYREQUESTS"
    cause = (
        "ACR limits requests per minute for the whole registry and for each identity, with token buckets; above "
        "the limit it answers 429 with Retry-After, and clients that retry at once stay throttled."
    )
    docs = (
        "https://learn.microsoft.com/azure/container-registry/container-registry-skus",
        "https://learn.microsoft.com/azure/container-registry/container-registry-auto-purge",
    )

    def run(self, ctx: Context) -> Iterator[Finding]:
        throttled = [e for e in ctx.snapshot.errors if is_throttled(e)]
        if not throttled:
            skip_without_attempt(ctx.snapshot, DATA_PLANE_READS | DELETE_OPERATIONS, "no data-plane request", "a 429")
            return
        reg = ctx.snapshot.registry
        limits = limits_for(reg.sku)
        retry_afters = [e.retry_after for e in throttled if e.retry_after is not None]
        longest = max(retry_afters) if retry_afters else None
        token_throttled = any((e.code or "").upper() == "CONNECTIVITY_TOOMANYREQUESTS_ERROR" for e in throttled)
        operations = Counter(e.operation or e.part for e in throttled)

        # A collector that retried through 429s records one error per operation with the count in its detail.
        count = sum(_count(e) for e in throttled)
        parts = [f"{plural(count, 'request')} throttled with 429"]
        if longest is not None:
            parts[0] += f", longest Retry-After {longest:g} s"
        parts.append(self._limits_text(reg, limits))
        dangling = self._dangling(ctx)
        estimate: int | None = None
        if dangling:
            # With the SKU unknown, the Premium rate still gives a true lower bound.
            rate = limits or PREMIUM
            estimate = delete_minutes(dangling, rate)
            parts.append(f"deleting the {plural(dangling, 'dangling manifest')} takes at least "
                         f"{minutes_text(estimate)} for one identity at {rate.delete_per_identity:,} deletes/min")
        yield self.finding(
            Resource.registry(reg.name),
            "; ".join(parts),
            fix=self._fix(reg, limits, token_throttled),
            details={
                "throttled_requests": count,
                "max_retry_after_seconds": longest,
                "by_operation": dict(operations),
                "sku": reg.sku,
                "limits_per_minute": None if limits is None else {
                    "read_per_identity": limits.read_per_identity,
                    "read_per_registry": limits.read_per_registry,
                    "delete_per_identity": limits.delete_per_identity,
                    "delete_per_registry": limits.delete_per_registry,
                    "write_per_identity": limits.write_per_identity,
                },
                "dangling_manifests": dangling,
                "estimated_delete_minutes": estimate,
            },
        )

    def blind_spots(self, ctx: Context, gaps: tuple[Gap, ...]) -> tuple[Gap, ...]:
        """The listings only feed the delete-time estimate; the verdict rests on the recorded 429s."""
        return ()

    @staticmethod
    def _limits_text(reg: Registry, limits: RateLimits | None) -> str:
        if limits is None:
            return (f"documented limits per identity: {BASIC_STANDARD.delete_per_identity:,} deletes and "
                    f"{BASIC_STANDARD.read_per_identity:,} reads per minute on Basic/Standard, "
                    f"{PREMIUM.delete_per_identity:,} and {PREMIUM.read_per_identity:,} on Premium "
                    f"(SKU {reg.sku or 'unknown'})")
        return (f"{reg.sku} allows about {limits.delete_per_identity:,} deletes and {limits.read_per_identity:,} "
                f"reads per minute per identity ({limits.delete_per_registry:,} and {limits.read_per_registry:,} "
                "for the whole registry)")

    @staticmethod
    def _dangling(ctx: Context) -> int | None:
        """Manifests a cleanup would delete, when the listings are there to count them."""
        if not ctx.snapshot.has(Part.MANIFESTS) or not ctx.snapshot.repositories:
            return None
        return len(ctx.storage.dangling())

    @staticmethod
    def _fix(reg: Registry, limits: RateLimits | None, token_throttled: bool) -> Fix:
        notes = [
            "Honour Retry-After on every 429 (it counts down across retries, so do not assume a fixed wait) and "
            "back off exponentially with jitter.",
            "Reduce concurrency: `acr purge` runs one worker per CPU by default and up to 32 with --concurrency; "
            "pass a small --concurrency for big cleanups.",
            "Every caller using the same identity shares one bucket (all admin-credential calls share one, and so "
            "do all anonymous ones): give each pipeline its own identity, and do not run cleanups in parallel "
            "with pushes from the same identity.",
            "If the documented limits are too low for the workload, ask Azure support to raise them.",
        ]
        if token_throttled:
            notes.insert(1, "CONNECTIVITY_TOOMANYREQUESTS_ERROR means the token exchange was throttled: reuse "
                            "ACR access tokens instead of fetching a new one for every call.")
        if limits is not PREMIUM and limits is not None:
            notes.append(f"Premium allows {PREMIUM.delete_per_identity:,} deletes per minute per identity, "
                         f"{PREMIUM.delete_per_identity // limits.delete_per_identity}x the "
                         f"{limits.tier} limit.")
        return Fix(summary="Slow down: stay under the per-identity limits and wait as long as Retry-After says.",
                   notes=tuple(notes))
