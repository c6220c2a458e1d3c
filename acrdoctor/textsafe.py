"""Text from data made safe to show: control characters become visible escapes, markup stays text.

Registry, repository and tag names, error bodies and pasted logs reach the terminal through every renderer.
Raw, an ESC sequence in a name clears the screen or recolours the report, a CR or newline writes a fake line
over or under a real one, and a bidi override makes a command read differently from what it runs. So every
renderer passes data through :func:`visible` (and :func:`markup` where rich markup is parsed), and the
printed forms say plainly what the data holds. JSON output needs none of this: its encoding escapes them.
"""

from __future__ import annotations

import unicodedata

from rich.markup import escape

#: Unicode categories that move the cursor, change the terminal's state or reorder text: controls (C0, DEL,
#: C1), format characters (bidi overrides and isolates, zero-width marks), the line/paragraph separators, and
#: lone surrogates (which cannot even be encoded for output).
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible(text: str) -> str:
    """``text`` with every control, format and line-separator character written as an escape (``\\x1b``)."""
    if text.isprintable():  # the common case, in C: printable excludes every unsafe category
        return text
    return "".join(_escape_char(ch) if unicodedata.category(ch) in _UNSAFE_CATEGORIES else ch for ch in text)


def markup(text: str) -> str:
    """``text`` for a rich markup string: control characters visible, ``[tags]`` shown as written."""
    return escape(visible(text))

