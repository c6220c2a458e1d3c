"""Whether words are said or denied: "nothing is locked", "we do NOT use quarantine", "the policy is off".

A ticket names what it has ruled out as often as what it suspects, so a symptom word counts only where its clause
does not deny it. Shared by the prose reader (each cue) and the error readers that rank one status code's causes by
the words around it (a 405 is a lock, quarantine or a full registry; "no private endpoints" is not a private
endpoint).
"""

from __future__ import annotations

import re

_I = re.IGNORECASE
#: A negation in the clause before a word: "nothing is locked", "no firewall", "isn't quarantined".
NEGATION = re.compile(r"\b(?:not|no|nothing|never|none|neither|nor|without|nowhere)\b|n't\b|n’t\b", _I)
#: Where a clause ends: the negation of one clause does not reach into the next.
CLAUSE_END = re.compile(r"[.;:!?,()]|\b(?:but|and|yet|though|however)\b", _I)
#: A denial after the word: "the retention policy is off", "quarantine was disabled".
OFF_AFTER = re.compile(r"\s*(?:(?:policy|policies|rules?|features?|settings?|options?)\s+)?(?:is|was|are|were)\s+"
                       r"(?:off|disabled|not\b|never\b)", _I)


def denied_at(text: str, start: int, end: int) -> bool:
    """Whether the words at ``text[start:end]`` sit in a clause that denies them."""
    before = text[max(0, start - 40):start]
    cut = [e.end() for e in CLAUSE_END.finditer(before)]
    clause = before[cut[-1]:] if cut else before
    return bool(NEGATION.search(clause) or OFF_AFTER.match(text, end))


def affirmed(pattern: re.Pattern[str], text: str) -> bool:
    """Whether the pattern occurs at least once outside a denied clause."""
    return any(not denied_at(text, m.start(), m.end()) for m in pattern.finditer(text))
