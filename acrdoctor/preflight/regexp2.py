"""acr purge's regex dialect, spelled for Python's ``regex`` module.

acr purge compiles ``--filter`` parts with Go's ``regexp2`` (a port of the .NET engine) in its RE2
compatibility mode (``defaultRegexpOptions = regexp2.RE2`` in acr-cli ``cmd/repository/image_functions.go``).
Most of that syntax is also ``regex`` syntax (``(?i:…)``, ``[[:digit:]]``, ``\\d``, ``(?P<name>…)``), but a few
constructs are spelled differently or not known at all, and refusing them refuses a filter acr purge runs:

* **Inline options** (``scanOptions`` in regexp2 ``syntax/parser.go``): the letters ``i m n s x u``, in either
  case, switched on, off with ``-`` and on again with ``+``: ``(?imsU:test)``, ``(?-imUs:.*)``, ``(?n)``.
  ``u``/``U`` is regexp2's *Unicode* option (not RE2's "ungreedy") and ``n`` its *explicit capture*: neither
  changes which names match, so both are dropped; ``i m s x`` keep their meaning. Any other letter
  (``r``, ``e``, ``a``, ``L`` …) is an error there, so it is an error here too (``regex`` would accept some).
* **A bare option group** ``(?i)`` applies from where it stands to the end of its enclosing group, across
  ``|`` (the .NET rule). ``regex`` has no such scope in its default version, so the rest of each alternative
  is wrapped in a scoped group: ``a(?i)b|c`` becomes ``a(?i:b)|(?i:c)``.
* **.NET group names**: ``(?'name'…)`` becomes ``(?P<name>…)``; ``\\k<name>`` and ``\\k'name'`` become
  ``(?P=name)``.

Names are ASCII (ACR repository and tag grammar), so regexp2's ASCII ``\\d \\w \\s`` in RE2 mode and
``regex``'s Unicode ones match the same names. Constructs beyond these (.NET class subtraction
``[a-z-[aeiou]]``, balancing groups) keep ``regex``'s meaning: docs/preflight.md lists this as a deviation.
"""

from __future__ import annotations

import re

import regex

__all__ = ["compile_filter", "translate"]

#: ``(?`` + an option run + ``)`` or ``:``. ``(?:`` has an empty run and is an ordinary group.
_OPTIONS = re.compile(r"\(\?([A-Za-z+-]+)([):])")
_QUOTED_GROUP = re.compile(r"\(\?'([A-Za-z_][A-Za-z0-9_]*)'")
_NAMED_BACKREF = re.compile(r"\\k(?:<([A-Za-z_][A-Za-z0-9_]*)>|'([A-Za-z_][A-Za-z0-9_]*)')")
#: regexp2's inline option letters (``optionFromCode``); only these change what a name matches.
_KNOWN = frozenset("imnsxu")
_KEPT = "imsx"


def compile_filter(expression: str) -> regex.Pattern[str]:
    """Compile one acr purge filter expression; ``regex.error`` where acr purge's engine refuses it too."""
    return regex.compile(translate(expression))


def translate(expression: str) -> str:
    """``expression`` as acr purge reads it, written in ``regex`` syntax (unchanged when nothing differs)."""
    out: list[str] = []
    #: Per open group, the scoped-option prefixes a bare ``(?flags)`` opened in it (closed at ``|`` and ``)``).
    frames: list[list[str]] = [[]]
    i, n = 0, len(expression)
    while i < n:
        ch = expression[i]
        if ch == "\\":
            m = _NAMED_BACKREF.match(expression, i)
            if m:
                out.append(f"(?P={m.group(1) or m.group(2)})")
                i = m.end()
            else:
                out.append(expression[i:i + 2])
                i += 2
        elif ch == "[":
            end = _class_end(expression, i)
            out.append(expression[i:end])
            i = end
        elif ch == "(":
            i = _open(expression, i, out, frames)
        elif ch == ")":
            out.append(")" * len(frames[-1]) + ")")
            if len(frames) > 1:
                frames.pop()
            else:
                frames[-1] = []  # unbalanced: left for the compiler to refuse
            i += 1
        elif ch == "|":
            out.append(")" * len(frames[-1]) + "|" + "".join(frames[-1]))
            i += 1
        else:
            out.append(ch)
            i += 1
    if len(frames) == 1:
        out.append(")" * len(frames[0]))
    return "".join(out)


def _open(expression: str, i: int, out: list[str], frames: list[list[str]]) -> int:
    """Translate the group opening at ``i``; return where scanning goes on."""
    if expression.startswith("(?#", i):  # a comment: no nesting, ends at the first ")"
        end = expression.find(")", i)
        end = len(expression) if end == -1 else end + 1
        out.append(expression[i:end])
        return end
    m = _OPTIONS.match(expression, i)
    if m:
        prefix = _scoped(m.group(1), expression, i)
        if m.group(2) == ":":
            out.append(prefix)
            frames.append([])
        elif prefix != "(?:":
            out.append(prefix)
            frames[-1].append(prefix)
        return m.end()
    m = _QUOTED_GROUP.match(expression, i)
    if m:
        out.append(f"(?P<{m.group(1)}>")
        frames.append([])
        return m.end()
    out.append("(")
    frames.append([])
    return i + 1


def _scoped(run: str, expression: str, pos: int) -> str:
    """The ``regex`` group prefix for regexp2's option run ``run`` (e.g. ``imsU`` → ``(?ims:``)."""
    on: dict[str, None] = {}
    off: dict[str, None] = {}
    turning_off = False
    for ch in run:
        if ch in "+-":
            turning_off = ch == "-"
            continue
        letter = ch.lower()
        if letter not in _KNOWN:
            raise regex.error(f"unrecognized grouping construct (?{run}: option {ch!r} is not one of regexp2's "
                              "i, m, n, s, x, u", expression, pos)
        if letter not in _KEPT:
            continue
        (off if turning_off else on)[letter] = None
        (on if turning_off else off).pop(letter, None)
    flags = "".join(on) + ("-" + "".join(off) if off else "")
    return f"(?{flags}:"


def _class_end(expression: str, i: int) -> int:
    """The index just after the character class opening at ``i`` (a ``]`` first in it is a literal)."""
    n = len(expression)
    j = i + 1
    if j < n and expression[j] == "^":
        j += 1
    if j < n and expression[j] == "]":
        j += 1
    while j < n:
        ch = expression[j]
        if ch == "\\":
            j += 2
            continue
        if ch == "[" and expression.startswith(":", j + 1):  # a POSIX class [:name:]
            close = expression.find(":]", j + 2)
            if close != -1:
                j = close + 2
                continue
        if ch == "]":
            return j + 1
        j += 1
    return n
