"""What ``explain``'s one argument means: the error text itself, ``-`` for standard input, or a log file.

The same argument can be either a file name or the text to explain, so a mistyped file name used to be
explained as if it were an error message ("nothing recognised"), and an empty argument was read as the
current directory. An argument that looks like a file name but names no file is now an error saying so;
``--text`` says "this is the text, whatever it looks like".
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import BinaryIO, TextIO

from acrdoctor.errors import InputError

from .core import CONTEXT_LINES, TICKET_CONTEXT_LINES, explain, explain_file, explain_stream
from .model import Explanation
from .progress import ReadProgress

#: ``.log``, ``.txt``, ``.json``: a file extension starts with a letter, so "step 3.1" is not one.
_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,7}$")
#: Longer than any path a shell accepts: certainly text.
_MAX_PATH = 4096


def looks_like_path(arg: str) -> bool:
    """One word with a path separator or ending in a file extension, or any line with both.

    Error text is several words; ``missing.log``, ``logs/build.txt`` or ``C:\\logs\\my build.log`` are not.
    """
    if "\n" in arg or len(arg) >= _MAX_PATH:
        return False
    separator = "/" in arg or "\\" in arg
    extension = _EXTENSION.search(arg) is not None
    one_word = not any(c.isspace() for c in arg)
    return (separator and extension) or (one_word and (separator or extension))


def explain_argument(arg: str, stdin: BinaryIO, progress_to: TextIO, *, as_text: bool = False,
                     ticket: bool = False) -> Explanation:
    """Explain what the argument names, or raise an :class:`InputError` saying what is wrong with it.

    A file or standard input is read incrementally, with a progress line on ``progress_to`` when it is a
    terminal and the input is large (:mod:`acrdoctor.explain.progress`).
    ``ticket`` reads the text as a whole support ticket (a wider window before each error, see
    :func:`acrdoctor.explain.core.explain_ticket`).
    """
    before = TICKET_CONTEXT_LINES if ticket else CONTEXT_LINES
    if arg == "-" and not as_text:
        with ReadProgress(progress_to) as progress:
            return explain_stream(stdin, progress, before=before, paragraphs=ticket)
    if not arg.strip():
        raise InputError("nothing to explain: give the error text, a log file, or - to read standard input")
    if as_text:
        return explain(arg, before=before, paragraphs=ticket)
    path = Path(arg)
    if "\n" not in arg and len(arg) < _MAX_PATH and path.exists():
        if path.is_dir():
            raise InputError(f"cannot read {arg}: it is a directory")
        try:
            # A log may hold a stray byte in another encoding (read as U+FFFD); the errors around it still count.
            with ReadProgress(progress_to, path.stat().st_size) as progress:
                return explain_file(path, progress, before=before, paragraphs=ticket)
        except OSError as exc:
            raise InputError(f"cannot read {arg}: {exc.strerror or exc}") from None
    if looks_like_path(arg):
        raise InputError(f"no such file: {arg} (to explain these words as error text, add --text)")
    return explain(arg, before=before, paragraphs=ticket)
