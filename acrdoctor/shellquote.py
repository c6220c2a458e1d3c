"""POSIX shell quoting for every command acrdoctor prints: data is always quoted, expressions never.

Names in printed commands come from registries, snapshots, bundles and pasted logs, so any of them may hold
``$(…)``, quotes, newlines or control characters. Whether an argument is left for the shell to expand is
therefore decided by its type, never by its text: only a :class:`ShellExpr`, which acrdoctor itself writes
(the caller's IP, the signed-in user, a shell variable standing in for a name a log did not give), reaches
the shell unquoted; every ``str`` is single-quoted as needed, so pasting the command yields exactly the
intended argv.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: Characters ``shlex.quote`` leaves bare; they mean the same inside double quotes.
_PLAIN = re.compile(r"[\w@%+=:,./-]*", re.ASCII)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
_TRAILING_VARIABLE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)\Z", re.ASCII)
_IDENTIFIER_CHAR = re.compile(r"[A-Za-z0-9_]", re.ASCII)


@dataclass(frozen=True, slots=True)
class ShellExpr:
    """Shell text acrdoctor wrote itself, printed inside double quotes so it is expanded but not split.

    ``text`` is what goes between the double quotes. Build one only from constants or with
    :func:`substitution`, :func:`variable` and :func:`shell_word`, which quote the data they are given.
    ``variables`` names the shell variables it needs set, so callers can say so without reading the text.
    """

    text: str
    variables: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.text

    def word(self) -> str:
        """The expression as one shell word."""
        return f'"{self.text}"'


#: One argument of a printed command: data (quoted) or acrdoctor's own expression (expanded).
Arg = str | ShellExpr


def quote(arg: Arg) -> str:
    """One argument as a shell word: data single-quoted when needed, an expression double-quoted."""
    return arg.word() if isinstance(arg, ShellExpr) else shlex.quote(arg)


def shell_join(argv: Sequence[Arg]) -> str:
    """A command line that a POSIX shell splits back into exactly ``argv``, expanding only expressions."""
    return " ".join(quote(arg) for arg in argv)


def needed_variables(args: Iterable[object]) -> tuple[str, ...]:
    """The shell variables the expressions among ``args`` need, in first-use order."""
    return tuple(dict.fromkeys(v for a in args if isinstance(a, ShellExpr) for v in a.variables))


def substitution(argv: Sequence[Arg]) -> ShellExpr:
    """``$(command)``: the output of a command whose arguments are quoted like any other."""
    return ShellExpr(f"$({shell_join(argv)})", needed_variables(argv))


def variable(name: str) -> ShellExpr:
    """``$NAME``: a value the user sets before running the command."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"not a shell variable name: {name!r}")
    return ShellExpr(f"${name}", (name,))


def shell_word(*parts: Arg) -> Arg:
    """Several parts as one argument (``repo:tag`` where the tag may be a variable).

    Plain parts alone stay a plain ``str`` (quoted later as a whole). With an expression among them, the parts
    share one double-quoted word; a data part that is not plain letters and punctuation is single-quoted
    inside it (closing and reopening the double quotes), so nothing in it is expanded.
    """
    if not any(isinstance(p, ShellExpr) for p in parts):
        return "".join(p for p in parts if isinstance(p, str))
    text = ""
    for part in parts:
        if isinstance(part, ShellExpr):
            text += part.text
            continue
        if not part:
            continue
        # ``$NAME`` followed by a letter, digit or underscore would read as a longer name: brace it.
        tail = _TRAILING_VARIABLE.search(text)
        if tail and _IDENTIFIER_CHAR.match(part):
            text = text[:tail.start()] + "${" + tail.group(1) + "}"
        text += part if _PLAIN.fullmatch(part) else f'"{shlex.quote(part)}"'
    return ShellExpr(text, needed_variables(parts))


def quote_cmd(text: str) -> str:
    """Quote an inner command line for ``--cmd`` the way the ACR docs write it: in double quotes.

    The inner line already quotes its own arguments; double quotes keep it readable as long as nothing
    inside would be expanded or end them (``"``, ``$``, backquote, backslash, ``!`` for bash's history),
    otherwise it falls back to POSIX single quoting.
    """
    if any(ch in text for ch in '"$`\\!'):
        return shlex.quote(text)
    return f'"{text}"'
