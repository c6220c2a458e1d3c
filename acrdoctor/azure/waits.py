"""Every wait acrdoctor does for Azure, in one place: capped, said out loud, and injectable.

Why: ACR and ARM answer 429 with a ``Retry-After`` the client is asked to honour. Honoured blindly, one
``Retry-After: 3600`` stalls a scan or a fix for an hour with nothing on the screen. Every wait — the
scan's shared pause, the SDK retry policies of ARM and of the apply clients
(:mod:`acrdoctor.azure.retry`) — goes through :class:`Waits`, which says on stderr what it
waits for and refuses a wait longer than ``--max-wait`` by raising :class:`WaitTooLong`: collection
stops (exit 3), an apply step fails with that reason.

The sleeper and the stderr writer are injectable, so tests never sleep for real.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

#: Longest single wait acrdoctor accepts by default: ACR's own Retry-After values during normal throttling
#: are seconds (the bucket refills per second), so two minutes only stops a registry that asks for much more.
DEFAULT_MAX_WAIT = 120.0

#: Waits shorter than this pass silently: a second's pause is not a hang, and a busy scan sees many.
ANNOUNCE_FROM = 5.0


class WaitTooLong(Exception):
    """Azure asked for a wait longer than the cap: the caller stops instead of hanging."""

    status = 429

    def __init__(self, seconds: float, reason: str, cap: float) -> None:
        self.seconds, self.reason, self.cap = seconds, reason, cap
        super().__init__(f"not waiting {_secs(seconds)}: {reason}, longer than --max-wait {_secs(cap)}; "
                         "try again later or raise --max-wait")


def _secs(seconds: float) -> str:
    return f"{seconds:g} s" if seconds < 10 else f"{round(seconds)} s"


def _sleep(seconds: float) -> None:
    """``time.sleep`` looked up when called, so a test that patches it reaches every ``Waits`` already built."""
    time.sleep(seconds)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@dataclass
class Waits:
    """The cap and the two side effects of waiting (sleeping, telling the user)."""

    max_wait: float = DEFAULT_MAX_WAIT
    sleep: Callable[[float], Any] = _sleep
    say: Callable[[str], None] = _stderr
    announced: list[str] = field(default_factory=list, repr=False)

    def check(self, seconds: float, reason: str) -> None:
        """Raise :class:`WaitTooLong` when ``seconds`` is past the cap."""
        if seconds > self.max_wait:
            raise WaitTooLong(seconds, reason, self.max_wait)

    def announce(self, seconds: float, reason: str) -> None:
        """Tell the user what a wait worth mentioning is for (the scan's pause announces once per pause)."""
        if seconds >= ANNOUNCE_FROM:
            line = f"waiting {_secs(seconds)}: {reason}"
            self.announced.append(line)
            self.say(line)

    def wait(self, seconds: float, reason: str) -> None:
        """Check, announce, sleep (synchronous callers: the SDK retry policies)."""
        self.check(seconds, reason)
        self.announce(seconds, reason)
        if seconds > 0:
            self.sleep(seconds)


def throttle_reason(status: int, method: str, url: str, retry_after: float | None, code: str | None = None) -> str:
    """``ACR answered 429 TOOMANYREQUESTS for GET /acr/v1/_catalog (Retry-After 30)``: what is being waited for."""
    parts = urlsplit(url)
    service = "Azure Resource Manager" if parts.path.startswith("/subscriptions/") else "ACR"
    answer = " ".join(str(x) for x in (status, code) if x)
    after = f" (Retry-After {retry_after:g})" if retry_after is not None else ""
    return f"{service} answered {answer} for {method} {parts.path}{after}"


def back_off_together(method: str, url: str, retry_after: float | None, code: str | None, waits: Waits,
                      pause: Callable[[float], bool], stop: Callable[[Exception], None]) -> float:
    """A 429 seen by one worker of many: pause them all for the ``Retry-After`` (1 s if none), announced once.

    A wait past the cap of ``waits`` stops them all instead (``stop``), and raises :class:`WaitTooLong` here:
    a run ends with the reason rather than hanging. ``pause`` returns whether the pause grew (say so then).
    """
    wait = retry_after or 1.0
    reason = throttle_reason(429, method, url, wait, code)
    try:
        waits.check(wait, reason)
    except WaitTooLong as err:
        stop(err)
        raise
    if pause(wait):
        waits.announce(wait, reason)
    return wait

