"""One request limiter shared by every worker of a scan, and a retry loop that backs off together.

Why: ACR enforces per-identity and per-registry token buckets (``acrdoctor.limits``). When a
bucket runs dry the registry answers 429 with a ``Retry-After`` that counts down across retries. If each
of 32 workers backs off on its own (what ``acr purge`` does) they keep hammering the empty bucket and
stretch the throttling window. Here all workers draw from one client-side bucket, and a 429 seen by any
worker pauses all of them once, for the time the server asked.

Clock and sleep are injectable so the tests run on virtual time.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import UTC

__all__ = [
    "RateLimiter",
    "backoff_delay",
    "parse_retry_after",
]

_EPSILON = 1e-6


class RateLimiter:
    """Token bucket (``requests_per_minute`` refill, ``burst`` capacity) plus a global pause.

    Safe to share between coroutines of one loop and between threads: state changes happen under a lock
    and never across an ``await``.
    """

    def __init__(
        self,
        requests_per_minute: float,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if not requests_per_minute > 0:
            raise ValueError(f"requests_per_minute must be positive, got {requests_per_minute!r}")
        self.rate = requests_per_minute / 60.0  # tokens per second
        # Default: two seconds' worth, so a fresh scan starts briskly but never dumps a large burst on a
        # registry that may still be scaling out (the docs warn about sudden ramps).
        self.capacity = float(burst if burst is not None else max(1.0, self.rate * 2))
        if self.capacity < 1:
            raise ValueError(f"burst must be at least 1, got {burst!r}")
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = self.capacity
        self._updated = clock()
        self._paused_until = float("-inf")
        self.acquired = 0
        self.waited_seconds = 0.0
        self.pauses = 0
        #: Set once a wait past the cap was refused: every acquire then raises it, so no worker sends more.
        self.stopped: Exception | None = None

    @property
    def paused_until(self) -> float:
        """Clock time before which no acquire returns (``-inf`` when never paused)."""
        return self._paused_until

    def _refill(self, now: float) -> None:
        elapsed = now - self._updated
        if elapsed > 0:
            self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
        self._updated = now

    def _try_take(self) -> float:
        """Take a token and return 0, or return how long to wait before trying again."""
        with self._lock:
            now = self._clock()
            self._refill(now)
            if now < self._paused_until:
                return self._paused_until - now
            # The tolerance absorbs float rounding: after sleeping exactly the computed wait the bucket
            # may hold 0.9999999 tokens, and a wait of 1e-17 s would not advance the clock at all.
            if self._tokens >= 1 - _EPSILON:
                self._tokens = max(0.0, self._tokens - 1)
                self.acquired += 1
                return 0.0
            return (1 - self._tokens) / self.rate

    async def acquire(self) -> None:
        """Wait until a request may be sent: a token is free and no pause is in force.

        Waiters re-check after each sleep, so a pause that starts while they sleep holds them too.
        """
        while (wait := self._next_wait()) > 0:
            await self._sleep(wait)

    def acquire_blocking(self, sleep: Callable[[float], object] = time.sleep) -> None:
        """:meth:`acquire` for threads (``acrdoctor fix --apply``'s workers): the same bucket, pause and stop."""
        while (wait := self._next_wait()) > 0:
            sleep(wait)

    def _next_wait(self) -> float:
        """0 when a token was taken, else the wait before trying again (counted as waited); raises once stopped."""
        if self.stopped is not None:
            raise self.stopped
        wait = self._try_take()
        if wait > 0:
            with self._lock:
                self.waited_seconds += wait
        return wait

    async def sleep(self, seconds: float) -> None:
        """Sleep on the limiter's (injectable) clock: one caller's own backoff after a 5xx.

        Not counted in ``waited_seconds``, which measures only the time spent held by the bucket or a pause.
        """
        if seconds > 0:
            await self._sleep(seconds)

    def pause_for(self, seconds: float) -> bool:
        """Hold every current and future acquire until ``now + seconds``; only ever extends a pause.

        Called once per 429, whichever worker saw it: the whole scan backs off together. Returns whether
        the pause grew by a second or more, so 16 workers throttled at once announce one wait, not 16.
        """
        seconds = max(0.0, float(seconds))
        with self._lock:
            self.pauses += 1
            until = self._clock() + seconds
            grew = until >= self._paused_until + 1
            self._paused_until = max(self._paused_until, until)
            return grew

    def drain(self) -> None:
        """Empty the bucket and keep it from saving up a burst again (capacity one token).

        After a 429 the registry's own bucket is empty and may hold less than ours: what follows the pause is
        the steady rate, one request at a time, not the burst that accrued meanwhile.
        """
        with self._lock:
            self._tokens = 0.0
            self.capacity = 1.0

    def stop(self, err: Exception) -> None:
        """Refuse every further request with ``err``: the scan stops together, as it pauses together."""
        with self._lock:
            if self.stopped is None:
                self.stopped = err


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date); None if absent or bad.

    ``now`` (epoch seconds) is only for tests of the date form. A date in the past gives 0.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        if seconds != seconds or seconds < 0 or seconds == float("inf"):
            return None
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        when = when.replace(tzinfo=UTC)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def backoff_delay(attempt: int, base_delay: float, max_delay: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with "equal jitter": half the step fixed, half random.

    The fixed half guarantees real backing off; the random half keeps workers that failed together
    from retrying in lockstep.
    """
    step = min(max_delay, base_delay * (2 ** max(0, attempt)))
    r = (rng or random).random()
    return step / 2 + r * step / 2
