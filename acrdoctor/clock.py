"""The one source of "now".

Ages (untagged for N days, older than ``--ago``, retention windows) decide what acrdoctor calls safe
to delete, so "now" is an input like any other: collection stamps ``collected_at`` with the clock it
was given, checks and pre-flight read only that stamp, and tests pass a fixed clock instead of
depending on the calendar. Production code takes ``system_clock`` as the default.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

#: A callable returning an aware UTC datetime.
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def fixed_clock(at: datetime) -> Clock:
    """A clock stopped at ``at`` (made UTC-aware when naive), for tests and for replaying a snapshot's moment."""
    moment = at if at.tzinfo else at.replace(tzinfo=UTC)
    return lambda: moment


def iso_stamp(t: datetime) -> str:
    """The timestamp form acrdoctor writes: UTC, microseconds, ``Z`` (what ``parse_time`` reads back)."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def clock_at(stamp: str) -> Clock:
    """A clock stopped at an ISO timestamp (a snapshot's ``collected_at``), so a re-collection of a recorded
    registry is judged at the moment the recording describes."""
    try:
        return fixed_clock(datetime.fromisoformat(stamp))
    except ValueError:
        raise ValueError(f"{stamp!r} is not an ISO 8601 timestamp") from None


#: A stamp for data that carries none; far from any real registry's times, so nothing is "recent" by accident.
EPOCH = "1970-01-01T00:00:00Z"
