"""The demo's variants: registries that show failure modes the main demo cannot hold at once.

Some settings exclude each other (soft delete is not supported with geo-replication, ABAC mode replaces the legacy
roles the main demo's 401 is about), so one registry cannot show every failure mode of the catalogue. Each variant
is a module of this package with ``NAME``, ``DESCRIPTION`` and ``build() -> Snapshot``; a module may also define
``plant(builder)``, which the main demo calls to add what does fit there. ``acrdoctor diagnose --demo NAME`` runs
one (docs/demo.md lists them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from importlib import import_module
from types import ModuleType
from typing import Any

from acrdoctor.errors import InputError
from acrdoctor.model import Snapshot

MAIN_VARIANT = "contoso"

#: Modules of this package that define a variant or plant into the main demo, in the order the docs list them.
_MODULES: tuple[str, ...] = ("abac", "locks", "quarantine", "soft_delete", "storage_limit")


def _modules() -> list[ModuleType]:
    return [import_module(f"{__package__}.{m}") for m in _MODULES]


def variant_names() -> dict[str, str]:
    """Variant name -> one-line description, the main demo first."""
    out = {MAIN_VARIANT: "the main demo: a Premium registry showing every failure mode that fits in one registry"}
    for m in _modules():
        if hasattr(m, "build"):
            out[m.NAME] = m.DESCRIPTION
    return out


def build_variant(name: str | None) -> Snapshot:
    for m in _modules():
        if getattr(m, "NAME", None) == name and hasattr(m, "build"):
            built: Snapshot = m.build()
            # The source names the variant, so reports say which demo they describe and how to reach it again.
            return replace(built, source=f"demo:{name}")
    raise InputError(f"unknown demo variant {name!r}; known: {', '.join(variant_names())}")


def main_demo_plants() -> list[Callable[[Any], None]]:
    """The ``plant(builder)`` functions the main demo applies, in module order."""
    return [m.plant for m in _modules() if hasattr(m, "plant")]
