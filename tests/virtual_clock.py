"""A clock for tests: epoch seconds that move only when a test, or a sleep acrdoctor asks for, moves them."""

from __future__ import annotations


class Clock:
    """Callable as a clock; ``sleep`` advances it instead of waiting (the fake registry's, a pace's, a cache's)."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
