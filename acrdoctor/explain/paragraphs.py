"""A paragraph someone wrapped by hand (or their mail client did) read as the one line it is.

Why: the prose recogniser (:mod:`~acrdoctor.explain.recognise_prose`) scores a line, and asks that the line itself
speak for its answer. "We purged 300 images last night and the portal" / "still shows 480 GB" says nothing on
either line. Measured on the corpus (docs/explain.md): with every ticket wrapped at 72 columns, 78 of 286 right
answers were lost. Lines are joined only when both read as sentences someone wrote (not a printed error, not
indented, not a new list item), the first is long enough to have been wrapped, and the first does not introduce
what follows (a trailing colon).

Only the first :data:`PARAGRAPH_LINES` lines are looked at: a ticket is short, and a 50 MB build log should not pay
for two sentence tests per line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import chain, islice

from .recognise_prose import MAX_PROSE_LINE, printed

__all__ = ["PARAGRAPH_LINES", "paragraph_joined"]

#: How many logical lines from the start are read as possible paragraphs.
PARAGRAPH_LINES = 2000
#: Shorter lines were not wrapped: a heading, a greeting, the last line of a paragraph.
_WRAPPED_AT_LEAST = 40
#: A list item's marker: a new item is never the rest of the line before.
_BULLET = re.compile(r"(?:[-*•+]|\d{1,2}[.)])\s+")
#: A sentence starts with a word, a quote, a backtick or a parenthesis.
_WORDS_START = re.compile(r"[A-Za-z\"'`(]")
#: Four words in a row: fewer than the prose recogniser's sentence, since a wrapped line may break one.
_WORDS = re.compile(r"(?:\b[A-Za-z'’]+\b(?:[ ,;:]+|$)){4}")
#: The rest of a wrapped line starts with a word, a number, an option (``--untagged``) or something quoted; not
#: with a path or a test id (``tests/test_app.py::test``), which start a log's lines.
_CONTINUES = re.compile(r"[\"'`(]|--?[A-Za-z]|[A-Za-z0-9][A-Za-z0-9'’-]*(?:[.,;:!?)\"'`]+|\s|$)")
#: A level word or npm's prefix: a program's line, however much it reads like a sentence.
_LOG_WORD = re.compile(r"\b(?:WARN|WARNING|ERROR|ERR!|INFO|DEBUG|TRACE|FATAL|PASSED|FAILED)\b")
#: How a printed line starts (``unauthorized: …``, ``Error response…``, a JSON body): never the rest of a sentence.
_PRINTED_START = re.compile(r"[A-Za-z_ -]{1,40}:\s|(?:Error|ERROR|WARN|WARNING|INFO|DEBUG|Traceback|Caused by)\b|[{\[]")


def _written(line: str) -> bool:
    """Whether the line reads as a sentence a person wrote (after a list marker, if any)."""
    bullet = _BULLET.match(line)
    body = line[bullet.end():] if bullet else line
    return (20 <= len(body) <= MAX_PROSE_LINE and _WORDS_START.match(body) is not None
            and _WORDS.search(body, 0, 400) is not None and not _LOG_WORD.search(body) and not printed(body))


def _rest_of(last: str, line: str, width: int) -> bool:
    """Whether ``line`` continues a wrapped paragraph whose last line is ``last`` and widest line ``width``.

    The test a wrapping program applies, turned round: the line's first word did not fit after ``last`` within
    the width the paragraph shows. It never rejects a real wrap (every line is at most the real width), and it
    rejects a short sentence followed by a longer one.
    """
    if (not line or _BULLET.match(line) or _PRINTED_START.match(line) or not _CONTINUES.match(line)
            or _LOG_WORD.search(line)):
        return False
    first = line.split(" ", 1)[0]
    return len(last) + 1 + len(first) > max(width, len(line))


def paragraph_joined(lines: Iterable[str]) -> Iterator[str]:
    """Lines, with the lines of one hand-wrapped paragraph among the first :data:`PARAGRAPH_LINES` joined by a space.

    The lines after those are not passed through here (a generator costs per line): they follow from ``lines``
    itself, as :func:`itertools.chain` gives them."""
    lines = iter(lines)
    return chain(_joined(islice(lines, PARAGRAPH_LINES)), lines)


def _joined(lines: Iterable[str]) -> Iterator[str]:
    held: str | None = None  # the paragraph so far, when it started with a written line
    last = ""  # its last line
    width = 0  # its widest line
    for line in lines:
        if (held is not None and len(last) >= _WRAPPED_AT_LEAST and not last.endswith(":")
                and len(held) + len(line) < MAX_PROSE_LINE and _rest_of(last, line, width)):
            held = f"{held} {line}"
            last, width = line, max(width, len(line))
            continue
        if held is not None:
            yield held
            held = None
        if line and _written(line):
            held, last, width = line, line, len(line)
        else:
            yield line
    if held is not None:
        yield held
