"""Reading the parts of an ARM resource id (``/subscriptions/S/resourceGroups/G/providers/...``).

Kept apart from the clients so that the shapes of az and ARM output (:mod:`acrdoctor.collect.arm_shapes`) and the
registry lookup (:mod:`acrdoctor.azure.arm`) read ids the same way without importing each other. Pure: imports
nothing of acrdoctor.
"""

from __future__ import annotations

import re

_RG = re.compile(r"/resourceGroups/([^/]+)/", re.IGNORECASE)
_SUB = re.compile(r"^/subscriptions/([^/]+)", re.IGNORECASE)


def resource_group_of(resource_id: str | None) -> str | None:
    m = _RG.search(resource_id or "")
    return m.group(1) if m else None


def subscription_of(resource_id: str | None) -> str | None:
    m = _SUB.search(resource_id or "")
    return m.group(1) if m else None
