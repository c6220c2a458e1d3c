"""What ``explain`` returns: one :class:`Match` per failure mode found in the text."""

from __future__ import annotations

from dataclasses import dataclass, field

from acrdoctor.actions import Action

from .names import VARIABLES, Names, variables_in


@dataclass(frozen=True, slots=True)
class Step:
    """How to confirm, or how to fix: a summary, the actions whose commands to run, and notes.

    ``commands`` comes from ``actions`` (plus ``extra_commands`` for pipelines and non-``az`` tools), so
    what is printed and what a later ``--apply`` would run cannot drift apart.
    """

    summary: str
    actions: tuple[Action, ...] = ()
    notes: tuple[str, ...] = ()
    extra_commands: tuple[str, ...] = ()

    @property
    def commands(self) -> tuple[str, ...]:
        out = [c for a in self.actions for c in a.commands()]
        out += self.extra_commands
        return tuple(dict.fromkeys(out))


@dataclass(frozen=True, slots=True)
class Match:
    """One failure mode found in the text, explained, with the names it could extract filled in."""

    failure_mode: str
    title: str
    message: str
    cause: str
    extracted: Names
    confirm: Step
    fix: Step
    docs: tuple[str, ...] = ()
    occurrences: int = 1
    evidence: str = ""
    in_catalogue: bool = False
    notes: tuple[str, ...] = ()
    first_line: int = 0
    targets: tuple[Names, ...] = field(default=())

    @property
    def variables(self) -> list[str]:
        """Shell variables the printed commands need because the text did not name them."""
        return variables_in([*self.confirm.actions, *self.fix.actions])

    def variable_note(self) -> str | None:
        names = self.variables
        if not names:
            return None
        rev = {v: k.replace("_", " ") for k, v in VARIABLES.items()}
        what = ", ".join(f"${n} ({rev.get(n, n.lower())})" for n in names)
        sets = " ".join(f"{n}=…" for n in names)
        return f"The text did not name {what}: set {'it' if len(names) == 1 else 'them'} first ({sets})."


@dataclass(frozen=True, slots=True)
class Explanation:
    """Everything recognised in one text, in the order each failure first appears."""

    matches: tuple[Match, ...]
    lines: int

    @property
    def recognised(self) -> bool:
        return bool(self.matches)

    def exit_code(self) -> int:
        return 0 if self.matches else 1
