"""A ticket no rule recognised, answered from its vocabulary (:mod:`acrdoctor.explain.vocabulary`).

The answer borrows the title, cause and read commands of the rule that owns its failure mode, so it reads like the
rule's answer; what changes is what it claims. Its confidence is :data:`~acrdoctor.explain.vocabulary.CONFIDENCE`,
below every rule's; its fix is words to act on once confirmed (no command that changes anything is printed from a
guess); its message names the words that decided it, and its next step is what to collect to be sure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from . import recognise_elsewhere, recognise_prose, vocabulary
from .model import Step
from .recognisers import Built, Hit, asked_by_the_scan, confirm_first

#: The rule whose explanation a cause elsewhere borrows (ACR's own failure modes borrow the prose reader's).
_OWNER = {
    "elsewhere:source-registry": "source-registry",
    "elsewhere:docker-hub-rate-limit": "hub-rate-limit",
    "elsewhere:kubelet-pull-secret": "kubelet-pull",
    "elsewhere:local-credentials": "local-credentials",
    "elsewhere:network-client-side": "client-network",
    "elsewhere:typo": "typo",
    "elsewhere:client-bug": "client-bug",
}


def _builder(mode: str) -> Callable[[str, Sequence[Hit]], Built]:
    name = _OWNER.get(mode)
    if name is None:
        return recognise_prose.RECOGNISERS[0].build
    return next(r.build for r in recognise_elsewhere.RECOGNISERS if r.name == name)


def evidence_line(lines: Sequence[str], words: Sequence[str]) -> int:
    """The line holding most of the deciding words (the first such line): the one to quote as evidence."""
    wanted = set(words)
    counts = [len(vocabulary.tokens(line) & wanted) for line in lines]
    return max(range(len(lines)), key=lambda i: (counts[i], -i)) if lines else 0


#: Every answer from vocabulary says so in its notes (and a reader of the JSON can tell it by this note).
NOTE = "Answered from the ticket's vocabulary only: no error code, client wording or symptom rule matched."


def _build(mode: str, hits: Sequence[Hit]) -> Built:
    found = vocabulary.guess(hits[0].context)
    words = found.words if found and found.label == mode else ()
    built = _builder(mode)(mode, hits)
    said = ", ".join(f"'{w}'" for w in words)
    message = (f"No rule recognised this text; its words are most like the tickets whose cause was: "
               f"{built.title[0].lower() + built.title[1:]}" + (f" (decided by {said})" if said else "") + ".")
    fix = built.fix if not built.fix.commands else confirm_first(
        built.fix, built.fix.summary + " (A guess from the ticket's words: confirm first.)")
    collect = built.next_step or Step(
        "A guess from the ticket's words: paste the exact error text, or collect what the confirm step reads, to be "
        "sure.", built.confirm.actions)
    return replace(built, message=message, fix=fix, confidence=vocabulary.CONFIDENCE, next_step=collect,
                   notes=(*built.notes, NOTE))


#: Asked by the scan once, on a ticket with no other answer (acrdoctor.explain.core), never line by line.
RECOGNISER = asked_by_the_scan("ticket-vocabulary", (), _build, vocabulary.CONFIDENCE)
