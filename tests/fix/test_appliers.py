"""Every action ``acrdoctor fix`` performs has exactly one SDK side, and actions stay free of it."""

from __future__ import annotations

import ast
import inspect

import pytest

from acrdoctor import actions
from acrdoctor.actions import Action, RegistryRef, Untag
from acrdoctor.fix import appliers


def _action_classes() -> set[type[Action]]:
    return {c for _, c in inspect.getmembers(actions, inspect.isclass) if issubclass(c, Action) and c is not Action}


def test_the_actions_that_apply_are_the_ones_with_an_applier() -> None:
    """``applies`` is what the plan shows as done by acrdoctor; an action without an applier would fail at apply."""
    assert {c for c in _action_classes() if c.applies} == set(appliers.APPLIERS)


def test_an_action_acrdoctor_does_not_apply_says_so() -> None:
    with pytest.raises(NotImplementedError, match="Untag cannot be applied by acrdoctor"):
        appliers.apply(Untag(RegistryRef("contoso"), "apps/web", "v1"), None)  # type: ignore[arg-type]


def test_actions_import_neither_the_fix_layer_nor_collectors_nor_azure() -> None:
    """Function-level imports count too: a lazy import would hide the cycle actions -> fix -> collect -> actions."""
    tree = ast.parse(inspect.getsource(actions))
    imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | \
        {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in imported if m.startswith(("acrdoctor.fix", "acrdoctor.collect", "acrdoctor.azure",
                                                     "azure"))}
