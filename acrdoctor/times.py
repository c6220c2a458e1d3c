"""ACR timestamps, read once the same way by every check."""

from __future__ import annotations

from datetime import datetime

from acrdoctor.model import Manifest


def parse_time(value: str | None) -> datetime | None:
    """ACR writes up to 7 fractional digits and a ``Z``; Python 3.11 reads both. Naive or unparseable: unknown.

    A naive time cannot be compared with ``collected_at``, so it is treated like a missing one.
    """
    if not value:
        return None
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        return None
    return t if t.tzinfo else None


def last_change(m: Manifest) -> datetime | None:
    """``lastUpdateTime`` first: it is what ``acr purge --ago`` compares (acr-semantics notes §2.2)."""
    return parse_time(m.updated) or parse_time(m.created)


def pushed_at(m: Manifest) -> datetime | None:
    """``createdTime`` first: when the manifest arrived, which groups the platforms of one push."""
    return parse_time(m.created) or parse_time(m.updated)
