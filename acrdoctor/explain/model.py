"""What ``explain`` returns: one :class:`Match` per failure mode found in the text."""

from __future__ import annotations

from dataclasses import dataclass, field

from acrdoctor.actions import Action

from .names import VARIABLES, Names, variables_in

#: How many triggering lines a match quotes as its evidence.
MAX_EVIDENCE = 3


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
    #: How sure the recogniser is that this is the cause (0..1): an ACR error code on the line is near 1, a
    #: symptom described in prose lower. Answers are ranked by it (``Explanation.ranked``).
    confidence: float = 0.9
    #: What to collect when the text is not enough to be sure: read-only commands (``acrdoctor bundle-script``,
    #: an ``az`` read). None when the text settles it.
    next_step: Step | None = None
    #: The lines that triggered it, as (logical line number, text): up to :data:`MAX_EVIDENCE` distinct ones.
    evidence_lines: tuple[tuple[int, str], ...] = ()

    @property
    def variables(self) -> list[str]:
        """Shell variables the printed commands need because the text did not name them."""
        return variables_in([*self.confirm.actions, *self.fix.actions,
                             *(self.next_step.actions if self.next_step else ())])

    def variable_note(self) -> str | None:
        names = self.variables
        if not names:
            return None
        rev = {v: k.replace("_", " ") for k, v in VARIABLES.items()}
        what = ", ".join(f"${n} ({rev.get(n, n.lower().replace('_', ' '))})" for n in names)
        sets = " ".join(f"{n}=…" for n in names)
        return f"The text did not name {what}: set {'it' if len(names) == 1 else 'them'} first ({sets})."


@dataclass(frozen=True, slots=True)
class Explanation:
    """Everything recognised in one text, in the order each failure first appears."""

    matches: tuple[Match, ...]
    lines: int
    #: When nothing was recognised: what to collect, from the operation the text speaks of (else None).
    next_step: Step | None = None

    @property
    def recognised(self) -> bool:
        return bool(self.matches)

    @property
    def ranked(self) -> tuple[Match, ...]:
        """The matches by confidence, most likely cause first; on a tie, the one the text shows first."""
        order = {id(m): i for i, m in enumerate(self.matches)}
        return tuple(sorted(self.matches, key=lambda m: (-m.confidence, order[id(m)])))

    @property
    def most_likely(self) -> Match | None:
        """The answer a ticket gets first: the highest-confidence match, or None when nothing was recognised."""
        ranked = self.ranked
        return ranked[0] if ranked else None

    def exit_code(self) -> int:
        return 0 if self.matches else 1
