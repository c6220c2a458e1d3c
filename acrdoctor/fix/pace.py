"""How fast ``acrdoctor fix --apply`` may go: client-side token buckets per request category, shared by all workers.

Why: ACR enforces per-identity token buckets per request category (``acrdoctor.limits``: Basic/Standard 500
deletes and 5,000 reads a minute, Premium 2,000 and 10,000). A bulk delete that ignores them gets 429s, and 429s
that each worker retries on its own keep the bucket empty for everyone. So every request of an applied plan first
takes a token from the bucket of its category (DELETE, reads, writes), paced at the documented per-identity figure
of the registry's SKU (or ``--max-deletes-per-minute``), and a 429 seen by any worker pauses every bucket for the
``Retry-After`` the registry asked for: all workers back off together, once.

The buckets start with two seconds' worth of tokens (the collector's choice, :class:`RateLimiter`): ACR's own
buckets hold a minute's worth, so pacing at the documented rate never draws a 429 from an identity that is not
busy elsewhere.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import HTTPPolicy

from acrdoctor.azure.failures import error_code
from acrdoctor.azure.waits import Waits, back_off_together
from acrdoctor.collect.ratelimit import RateLimiter, parse_retry_after
from acrdoctor.limits import Category, limits_for

#: Methods by the bucket ACR charges them to (``acrdoctor.limits.Category``).
_CATEGORY = {"DELETE": Category.DATAPLANE_DELETE, "PUT": Category.DATAPLANE_WRITE,
             "PATCH": Category.DATAPLANE_WRITE, "POST": Category.DATAPLANE_WRITE}


@dataclass
class Pace:
    """One bucket per category for one identity; ``requests`` counts what went to the wire, per category."""

    buckets: dict[Category, RateLimiter]
    sleep: Callable[[float], object] = time.sleep
    requests: dict[str, int] = field(default_factory=dict)
    throttled: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def for_sku(cls, sku: str | None, *, max_deletes_per_minute: float | None = None,
                clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], object] = time.sleep) -> Pace:
        """The documented per-identity limits of ``sku`` (unknown: Basic/Standard's), deletes optionally lower."""
        limits = limits_for(sku)
        rates = {c: float(limits[c].per_identity or limits[c].per_registry)
                 for c in (Category.DATAPLANE_READ, Category.DATAPLANE_WRITE, Category.DATAPLANE_DELETE)}
        if max_deletes_per_minute is not None:
            rates[Category.DATAPLANE_DELETE] = float(max_deletes_per_minute)
        return cls({c: RateLimiter(r, clock=clock) for c, r in rates.items()}, sleep=sleep)

    def per_minute(self, category: Category) -> float:
        return self.buckets[category].rate * 60.0

    def take(self, method: str) -> None:
        """Block until a request of ``method`` may go out (raises the error that stopped the run, if any)."""
        category = _CATEGORY.get(method.upper(), Category.DATAPLANE_READ)
        self.buckets[category].acquire_blocking(self.sleep)
        with self._lock:
            self.requests[category.value] = self.requests.get(category.value, 0) + 1

    def pause(self, seconds: float) -> bool:
        """Hold every bucket until ``seconds`` from now; True when the pause grew (announce it once)."""
        with self._lock:
            self.throttled += 1
        grew = [b.pause_for(seconds) for b in self.buckets.values()]
        # The registry's bucket is empty: resume at the steady rate, not with the burst saved up meanwhile.
        for b in self.buckets.values():
            b.drain()
        return any(grew)

    @property
    def stopped(self) -> Exception | None:
        """The error that stopped the run's requests (a wait past the cap), or None."""
        return next((b.stopped for b in self.buckets.values() if b.stopped is not None), None)

    def stop(self, err: Exception) -> None:
        for b in self.buckets.values():
            b.stop(err)


class PacingPolicy(HTTPPolicy):  # type: ignore[misc]
    """azure-core policy for the data-plane client of a fix: every wire request waits for its bucket.

    Placed after the token-reuse policy, so it sees each request as it goes out (challenge resends included:
    the client may over-count by one per scope, never under-count). A ``Retry-After`` past the cap of ``waits``
    stops every bucket: each worker's next request raises the same :class:`WaitTooLong`.
    """

    def __init__(self, pace: Pace, waits: Waits | None = None) -> None:
        super().__init__()
        self.pace = pace
        self.waits = waits or Waits()

    def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        http = request.http_request
        self.pace.take(http.method)
        response = self.next.send(request)
        answer = response.http_response
        if answer.status_code == 429:
            back_off_together(http.method, http.url, parse_retry_after(answer.headers.get("Retry-After")),
                              error_code(answer), self.waits, self.pace.pause, self.pace.stop)
        return response
