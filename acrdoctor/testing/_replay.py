"""Replaying a snapshot's recorded refusals and throttles, so a seeded failure can be reproduced live.

Why: a snapshot records what the registry answered its collector (``Snapshot.errors``): a 401 naming the action the
caller lacked, a 429 with ``Retry-After``. The fake rebuilt from that snapshot serves the registry's content and
settings, but without these answers a live diagnose of the fake sees a registry that never refused anything. With
:class:`Replay` the fake answers the same requests the same way:

* a recorded 401 on a repository becomes a **denied action**: that repository and action are refused with ACR's
  401 ``UNAUTHORIZED`` body, its ``detail`` array as recorded. The snapshot names only the caller its collector was
  (and not always that), so it cannot say who else would have been refused: the denial applies to every caller
  except the identities in ``exempt``.
* a recorded 429 becomes a **throttle** on the operation's requests (a manifest GET of that repository for
  ``get_manifest``): 429 with the recorded code and message and a ``Retry-After`` counting down from the recorded
  one, times ``retry_after_scale`` so that a test does not wait a minute. A real throttle ends (ACR's token buckets
  refill, notes acr-semantics §5.1), so this one ends too: after as many refusals as were recorded (the detail's
  ``count``, else one), or when the window that the first refusal opens has passed on the fake's clock, whichever
  comes first; a client that honours ``Retry-After`` then gets through.

Only data-plane answers are replayed; refusals recorded from ARM (403 ``AuthorizationFailed``, a 429 on
``listUsages``) and the firewall's 403 (which the fake derives from the network rules) are not.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from acrdoctor.model import CollectionError

#: Collector operations (acrdoctor.collect.dataplane and the Azure SDK method names) -> (HTTP methods, fake route).
#: An operation not listed here is matched by its repository alone, any request on it.
OPERATION_ROUTES: Mapping[str, tuple[frozenset[str], str]] = {
    "get_manifest": (frozenset({"GET", "HEAD"}), "manifest"),
    "get_manifest_properties": (frozenset({"GET"}), "manifest_attrs"),
    "list_manifests": (frozenset({"GET"}), "manifests"),
    "list_manifest_properties": (frozenset({"GET"}), "manifests"),
    "list_tags": (frozenset({"GET"}), "tags"),
    "list_tag_properties": (frozenset({"GET"}), "tags"),
    "get_tag_properties": (frozenset({"GET"}), "tag"),
    "get_repository_properties": (frozenset({"GET"}), "repo"),
    "list_repository_names": (frozenset({"GET"}), "catalog"),
    "delete_repository": (frozenset({"DELETE"}), "repo"),
    "delete_manifest": (frozenset({"DELETE"}), "manifest"),
    "delete_tag": (frozenset({"DELETE"}), "tag"),
}


@dataclass(frozen=True, slots=True)
class ReplayedDenial:
    """A repository action ACR refused the snapshot's collector, with the ``detail`` it sent."""

    repository: str
    action: str
    detail: tuple[Mapping[str, object], ...]


@dataclass
class ReplayedThrottle:
    """A recorded 429: which requests it hits, what it answers, and how much of it is left."""

    methods: frozenset[str] | None
    route: str | None
    repository: str | None
    code: str
    message: str
    retry_after: float
    refusals: int
    window_end: float | None = None

    def matches(self, method: str, route: str, repository: str | None) -> bool:
        if self.methods is not None and method not in self.methods:
            return False
        if self.route is not None and route != self.route:
            return False
        return self.repository is None or repository == self.repository


@dataclass
class Replay:
    """What a fake replays of its snapshot's errors; ``FakeRegistry.replay`` (empty unless asked for)."""

    denials: list[ReplayedDenial] = field(default_factory=list)
    throttles: list[ReplayedThrottle] = field(default_factory=list)
    #: Identities the replayed denials do not apply to (e.g. the one whose role assignment lets it run the fixes).
    exempt: set[str] = field(default_factory=set)
    #: Factor on every recorded ``Retry-After`` (0.05 turns the demo's 60 s into 3 s).
    retry_after_scale: float = 1.0

    @classmethod
    def from_errors(cls, errors: Iterable[CollectionError], retry_after_scale: float = 1.0) -> Replay:
        replay = cls(retry_after_scale=retry_after_scale)
        for error in errors:
            if error.status == 401 and error.repository:
                replay.denials.extend(_denials(error))
            elif error.status == 429 or (error.code or "").upper() == "TOOMANYREQUESTS":
                replay.throttles.append(_throttle(error))
        return replay

    def denied(self, identity: str, repository: str, action: str) -> tuple[Mapping[str, object], ...] | None:
        """The recorded ``detail`` when this caller is refused ``action`` on ``repository``, else None."""
        if identity in self.exempt:
            return None
        for d in self.denials:
            if d.repository == repository and d.action == action:
                return d.detail
        return None

    def throttled(self, method: str, route: str, repository: str | None, now: float
                  ) -> tuple[ReplayedThrottle, int] | None:
        """The throttle that refuses this request and the ``Retry-After`` seconds to send, or None.

        The first refusal opens the window; each one uses up one recorded refusal.
        """
        for t in self.throttles:
            if t.refusals <= 0 or not t.matches(method, route, repository):
                continue
            if t.window_end is None:
                t.window_end = now + t.retry_after * self.retry_after_scale
            elif now >= t.window_end:
                t.refusals = 0  # the window has passed: the throttle is over
                continue
            t.refusals -= 1
            return t, max(0, math.ceil(t.window_end - now - 1e-9))
        return None


def _denials(error: CollectionError) -> list[ReplayedDenial]:
    """One denial per recorded detail entry naming an action on this repository (keys in any case)."""
    raw = error.detail
    entries = [raw] if isinstance(raw, Mapping) else list(raw or ())
    out: list[ReplayedDenial] = []
    for entry in entries:
        keys = {str(k).lower(): v for k, v in entry.items()}
        action, kind, name = keys.get("action"), keys.get("type"), keys.get("name")
        if not isinstance(action, str) or (kind is not None and str(kind).lower() != "repository"):
            continue
        repo = name if isinstance(name, str) and name else error.repository
        assert repo is not None
        out.append(ReplayedDenial(repo, action, tuple(entries)))
    return out


def _throttle(error: CollectionError) -> ReplayedThrottle:
    methods, route = OPERATION_ROUTES.get(error.operation or "", (None, None))
    detail: Any = error.detail
    count = detail.get("count") if isinstance(detail, Mapping) else None
    return ReplayedThrottle(methods, route, error.repository, error.code or "TOOMANYREQUESTS",
                            error.message or "too many requests", float(error.retry_after or 0.0),
                            count if isinstance(count, int) and count > 0 else 1)
