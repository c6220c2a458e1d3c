"""Each fix command printed once per report, under the first finding that needs it.

Why: several checks can prescribe the same change (the delete of a broken index is also a dangling manifest's
delete; "disable soft delete" answers four findings of the demo). Printed under each, a user who pastes every
command of the report runs the delete twice (the second one fails with 404 and stops a ``set -e`` script) and
cannot tell how many changes the report really asks for. The first finding in report order keeps the action; a
later finding loses it and gains a note naming where it is, so reading that finding alone still says what fixes it.

Only the report of a whole diagnosis is folded (:func:`acrdoctor.engine.diagnose`): the fix planner runs checks on
its own and already plans each change once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Protocol, TypeVar

from acrdoctor.check_api import Finding, Fix


class _HasFindings(Protocol):
    """A check's result (:class:`acrdoctor.engine.CheckResult`, a dataclass), named structurally: the engine
    imports this module, not the reverse."""

    @property
    def findings(self) -> tuple[Finding, ...]: ...


R = TypeVar("R", bound=_HasFindings)

__all__ = ["print_each_command_once"]


def _owner_note(commands: tuple[str, ...], owner: Finding, what: str) -> str:
    return (f"Also fixed by {what}, printed under {owner.check} ({owner.resource}); "
            f"run {'it' if len(commands) == 1 else 'them'} once.")


def _fold(fix: Fix, finding: Finding, owners: dict[str, Finding]) -> Fix:
    actions: list[Any] = []
    notes: list[str] = []
    for action in fix.actions:
        commands = action.commands()
        if commands and all(c in owners for c in commands):
            notes.append(_owner_note(commands, owners[commands[0]], action.describe()))
            continue
        actions.append(action)
        for c in commands:
            owners.setdefault(c, finding)
    extra: list[str] = []
    for c in fix.extra_commands:
        if c in owners:
            notes.append(_owner_note((c,), owners[c], "the same command"))
            continue
        extra.append(c)
        owners[c] = finding
    if not notes:
        return fix
    return replace(fix, actions=tuple(actions), extra_commands=tuple(extra), notes=(*notes, *fix.notes))


def print_each_command_once(results: Sequence[R]) -> tuple[R, ...]:
    """``results`` with every fix command kept only under its first finding (report order)."""
    owners: dict[str, Finding] = {}
    out: list[R] = []
    for result in results:
        findings = []
        for f in result.findings:
            findings.append(replace(f, fix=_fold(f.fix, f, owners)) if f.fix is not None else f)
        out.append(replace(result, findings=tuple(findings)) if result.findings else result)  # type: ignore[type-var]
    return tuple(out)
