"""Turning text that arrives in pieces into the logical lines ``explain`` examines, in bounded memory.

A pasted build log can be tens of megabytes, and some of its lines are megabytes on their own (a minified JSON
document, a base64 blob, a progress bar that never printed a newline). So the text is read in chunks, never
held whole, and every line is bounded: a line longer than :data:`MAX_LINE_CHARS` keeps its first and last
halves, joined by :data:`SEAM`. Error messages are short and sit at one end of such a line, and bounding the
line bounds the work of every pattern run over it.

The steps are those ``explain`` always took, one line at a time:

1. newlines: CRLF and lone CR count as LF (also when a chunk ends between the CR and the LF);
2. what pasting added is taken off (:mod:`~acrdoctor.explain.pasted`: CI timestamps, ``>`` quotes, colours,
   non-breaking spaces, curly quotes, HTML entities);
3. quotes: ``\\u0027``, ``\\u0022`` and ``\\"`` read as plain quotes (:func:`~acrdoctor.explain.names.normalise`);
4. a JSON object or array spread over several lines (at most :data:`MAX_JOIN`) is joined into one line;
5. a line a terminal UI framed (``│ … │``) is taken out of its frame, and one it broke at its edge joined again;
   the message PowerShell 7 prints under its ``~~~~`` mark, on ``|`` lines, is joined into one;
6. a status line that belongs with the next one (check-health's ``An error occurred: CODE``, an SDK's
   ``Operation returned an invalid status '…'``) is joined with it.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO

from .names import normalise
from .pasted import PREFIX_START, clean_text, strip_prefix

#: Longest line examined whole; longer ones keep their first and last halves.
MAX_LINE_CHARS = 16_384
SEAM = " … "
#: Most physical lines one JSON body may span.
MAX_JOIN = 60
#: Characters read at a time.
CHUNK_CHARS = 1 << 20

_HALF = MAX_LINE_CHARS // 2

#: Widths a console breaks long lines at: conhost's 80 and 120, xterm's 80 and 132, and round sizes people set.
WRAP_WIDTHS = frozenset((80, 100, 120, 132, 160, 200))
#: How a line that is not the rest of the one before it starts: blank or indented, a date, a bracket, a prompt or
#: comment sign, a level word, a klog header (``E0501 10:00``), a stack frame.
#: A date or a time of day: a log line's start, whatever came before it.
_DATED = re.compile(r"\d{4}[-/]\d\d[-/]\d\d|\d\d:\d\d:\d\d")
_STARTS_ANEW = re.compile(rf"\s\s|\t|{_DATED.pattern}|\+ |[\[#>$]|[EWIF]\d{{4}} |"
                          r"(?:Error|ERROR|error|Warning|WARNING|warning|INFO|DEBUG|Caused by|at|Step|time=|level=|"
                          r"PS )\b")
#: A capitalised word (``Access``): what starts a line more often than the rest of a word broken by a console.
_NEW_WORD = re.compile(r"[A-Z][a-z]")
_SENTENCE_END = frozenset(".!?:;")
#: A check-health title line ("An error occurred: CODE") and an SDK status line ("Operation returned an
#: invalid status 'Not Found'") belong with the line after them: one error, not two.
_JOIN_NEXT = re.compile(r"(?:An error occurred: [A-Z_]+|Operation returned an invalid status '[^']*'|"
                        r"Service request failed\.|Status: \d{3} \([^)]*\))\s*$")
#: Only a line's end can ask to be joined, so only its end is searched: a line full of ``Status: 200 (`` would
#: otherwise cost time quadratic in its length. Searching a suffix finds no match the whole line lacks.
_JOIN_TAIL = 512


def bounded(line: str) -> str:
    """The line, or its two ends when it is longer than :data:`MAX_LINE_CHARS`."""
    if len(line) <= MAX_LINE_CHARS:
        return line
    return line[:_HALF] + SEAM + line[-_HALF:]


def _depth(text: str) -> int:
    """How many JSON objects and arrays the text opens (negative: closes)."""
    return text.count("{") + text.count("[") - text.count("}") - text.count("]")


def _quotes(text: str) -> str:
    return normalise(text) if "\\" in text else text


def _unprefixed(text: str) -> tuple[str, int]:
    """The line without what a CI system or a reply put before it, in one quoting style, and its width as a
    console showed it (before ``\\"`` became ``"``): without the prefix when that is a console's width (a reply
    quoting a wrapped paste), else with it (a tool printing ``##[debug]`` into a console)."""
    raw = len(text)
    text = strip_prefix(text)
    return _quotes(text), len(text) if len(text) in WRAP_WIDTHS else raw


class _Line:
    """The physical line being read: its text (two ends once long) and its JSON depth over all of it."""

    __slots__ = ("depth", "head", "parts", "size")

    def __init__(self) -> None:
        self.head: str | None = None
        self.parts: list[str] = []
        self.size = 0
        self.depth = 0

    def add(self, piece: str) -> None:
        self.depth += _depth(piece)
        self.parts.append(piece)
        self.size += len(piece)
        if self.size > 2 * MAX_LINE_CHARS:
            text = "".join(self.parts)
            if self.head is None:
                self.head = text[:_HALF]
            self.parts, self.size = [text[-_HALF:]], _HALF

    def text(self) -> tuple[str, int]:
        """The line and its width (a line cut in two ends is wider than any console: never a wrap)."""
        body = "".join(self.parts)
        if self.head is None:
            return _unprefixed(bounded(body))
        return _unprefixed(self.head)[0] + SEAM + _quotes(body[-_HALF:]), self.size + len(self.head)


def physical_lines(chunks: Iterable[str]) -> Iterator[tuple[str, int, int]]:
    """Each line of the text as (text, JSON depth change, width as a console showed it), like ``text.split("\\n")``
    after newline translation.

    Like ``split``, a text ending in a newline ends with an empty line, and an empty text is one empty line.
    """
    line = _Line()
    held_cr = False
    for chunk in chunks:
        if held_cr:
            chunk = "\r" + chunk
        held_cr = chunk.endswith("\r")
        if held_cr:
            chunk = chunk[:-1]
        if "\r" in chunk:
            chunk = chunk.replace("\r\n", "\n").replace("\r", "\n")
        # What pasting added inside lines, taken off the whole chunk at once (a colour code or an entity cut by the
        # chunk's end, once in a megabyte, stays).
        chunk = clean_text(chunk)
        pieces = chunk.split("\n")
        if len(pieces) > 1:  # the first piece ends the line in progress; the middle ones are whole lines
            if pieces[0]:
                line.add(pieces[0])
            text, width = line.text()
            yield text, line.depth, width
            line = _Line()
            for piece in pieces[1:-1]:  # the hot loop: _unprefixed, bounded and _depth written out
                text = piece if len(piece) <= MAX_LINE_CHARS else bounded(piece)
                if text[:1] in PREFIX_START:  # strip_prefix's own first test, without the call
                    text = strip_prefix(text)
                width = len(text) if len(text) in WRAP_WIDTHS else len(piece)
                if "\\" in text:
                    text = normalise(text)
                yield text, piece.count("{") + piece.count("[") - piece.count("}") - piece.count("]"), width
        if pieces[-1]:
            line.add(pieces[-1])
    if held_cr:
        text, width = line.text()
        yield text, line.depth, width
        line = _Line()
    text, width = line.text()
    yield text, line.depth, width


def _wrap_continues(held: str, text: str) -> bool:
    """Whether ``text`` is the rest of ``held``, a line exactly as wide as a console.

    A wide line that ends in a space was broken between words: anything but an indented or dated line goes on
    (``rpc `` / ``error: code = …``). Otherwise the next line must not start like a new one (:data:`_STARTS_ANEW`,
    or the wide line's own first three characters), nor be a capitalised word right after a word or a sentence's
    end: a console that broke there would have kept the space between them at one end or the other, so the two
    were separate lines (or a CamelCase name broken at its hump, the one wrap this gives up).
    """
    if not text or len(held) >= MAX_LINE_CHARS:
        return False
    if held.endswith(" "):
        return not text[:1].isspace() and _DATED.match(text) is None
    if _STARTS_ANEW.match(text) or text.startswith(held[:3]):
        return False
    return not (_NEW_WORD.match(text) and (held[-1:].isalnum() or held[-1:] in _SENTENCE_END))


def wrap_joined(lines: Iterable[tuple[str, int, int]]) -> Iterator[tuple[str, int]]:
    """Lines, with one that a console broke at its width joined again with its rest.

    Why: a console (conhost, xterm, Cloud Shell at its default size) breaks a long line at exactly its width, in the
    middle of a word, and a copy keeps the break: ``MANIFEST_UN`` / ``KNOWN``. Only a line exactly as long as a
    common width (:data:`WRAP_WIDTHS`) is joined, and only to a line that does not start like a new one (blank,
    indented, a timestamp, a level word, a prompt) nor with the same three characters as the line before (the
    next line of a log in one format: one in ten lines of a build log is 80 characters long). Two lines glued by
    mistake still hold every word they had.
    """
    held: tuple[str, int] | None = None
    for text, change, width in lines:
        if held is not None:
            if _wrap_continues(held[0], text):
                text, change = held[0] + text, held[1] + change
            else:
                yield held
            held = None
        if width in WRAP_WIDTHS:
            held = (text, change)
            continue
        yield text, change
    if held is not None:
        yield held


#: The vertical bars a terminal UI draws round a pane (k9s, tmux's and screen's borders, rich's boxes).
_FRAMES = ("\u2502", "\u2503", "\u2551")


def _framed(text: str) -> bool:
    return "\u2502" in text or "\u2503" in text or "\u2551" in text


def _unframed(text: str) -> tuple[str, str | None]:
    """The line without the frame a pane drew round it, and, when its content reached the frame, what joins it to
    the next line: "" when the pane broke it mid-word, " " when the break fell on the space before the edge
    (None: the line ended with room to spare, the frame's padding after it)."""
    body = text.strip()
    opened = body[:1] in _FRAMES
    if opened:
        body = body[1:]
        body = body[1:] if body.startswith(" ") else body
    closed = body[-1:] in _FRAMES and len(body) > 1
    if closed:
        body = body[:-1]
        body = body[:-1] if body.endswith(" ") else body
    if not (opened or closed) or any(f in body for f in _FRAMES):
        return text, None  # no frame at either end, or frames inside it (a table's row): left as it is
    content = body.rstrip()
    if not closed or not content:
        return content, None
    gap = len(body) - len(content)
    return content, "" if gap == 0 else " " if gap == 1 else None


def _frame_step(text: str, change: int, width: int, held: tuple[str, int, int] | None,
                holder: list[tuple[str, int, int]]) -> Iterator[tuple[str, int, int]]:
    """One framed line: joined to what is held, then held in turn (into ``holder``) or given out."""
    body, joint = _unframed(text)
    if held is not None:
        body, change = held[0] + body, held[1] + change
    # The width stays the physical line's: a console may also have broken it (a framed pane pasted into an
    # 80-column console), and the console's join comes next.
    if joint is not None:
        holder.append((body + joint, change, width))
        return
    yield body, change, width


#: PowerShell 7's error view marks the failing call with a line of tildes under it (``|  ~~~~``); the message follows
#: on lines that start with ``|``, wrapped at the console's width.
_PS_MARK = re.compile(r"\s*\|\s+~+\s*$")
_PS_MESSAGE = re.compile(r"\s*\|(?: |$)")
#: Most message lines joined after one mark (a message is a few lines; a long list stays lines).
MAX_PS_MESSAGE = 20


def pane_joined(lines: Iterable[tuple[str, int, int]]) -> Iterator[tuple[str, int, int]]:
    """Lines, without the frame a terminal UI drew round them, a line the pane broke at its edge joined again with
    its rest, and the message PowerShell 7 prints under its tilde mark joined into one line without the bars.

    Why: a pane copied from k9s or a tmux split keeps its frame on each line, and a long line broken at the pane's
    width, mid-word, into several framed ones (``failed to reso │`` / ``│ lve reference``). A broken line's
    content reaches the frame; a line that ended there had room to spare, unless it was exactly as wide, which
    joins two lines that were separate (their words all kept). Lines with frames inside them are a table's rows
    and are left whole. PowerShell 7 breaks its message (``| Missing property …`` / ``| resource with name …``) at
    the console's width under a line of tildes. One pass for both: a stage per line costs as much as its test.
    """
    held: tuple[str, int, int] | None = None
    parts: list[str] = []
    change = 0
    marked = False
    for text, delta, width in lines:
        # The hot path (almost every line of a log): nothing held, no mark before, no frame or tilde in the line.
        if not marked and held is None and "~~" not in text and not _framed(text):
            yield text, delta, width
            continue
        if marked and _PS_MESSAGE.match(text) and len(parts) < MAX_PS_MESSAGE:
            parts.append(text.split("|", 1)[1].strip())
            change += delta
            continue
        if parts:
            yield " ".join(p for p in parts if p), change, 0
            parts, change = [], 0
        marked = "~~" in text and _PS_MARK.match(text) is not None
        if held is None and not _framed(text):
            yield text, delta, width
            continue
        if not _framed(text):
            yield held  # type: ignore[misc]
            held = None
            yield text, delta, width
            continue
        yield from _frame_step(text, delta, width, held, holder := [])
        held = holder[0] if holder else None
    if parts:
        yield " ".join(p for p in parts if p), change, 0
    if held is not None:
        yield held[0].rstrip(), held[1], held[2]


def json_joined(lines: Iterable[tuple[str, int]]) -> Iterator[str]:
    """Lines, with a JSON object or array that spans several lines (at most :data:`MAX_JOIN`) joined into one."""
    buf: list[str] = []
    depth = 0
    for text, change in lines:
        if not buf and change <= 0:  # the common case: a line on its own
            yield bounded(text.strip())
            continue
        buf.append(text.strip())
        depth += change
        if depth <= 0 or len(buf) >= MAX_JOIN:
            yield bounded(" ".join(b for b in buf if b))
            buf, depth = [], 0
    if buf:
        yield bounded(" ".join(b for b in buf if b))


def _joins_next(line: str) -> bool:
    return _JOIN_NEXT.search(line[-_JOIN_TAIL:]) is not None


def status_joined(lines: Iterable[str]) -> Iterator[str]:
    """Lines, with a status line joined to the non-empty line after it."""
    prev: str | None = None
    for line in lines:
        if prev is not None and line and _joins_next(prev):
            prev = bounded(f"{prev} {line}")
            continue
        if prev is not None:
            yield prev
        prev = line
    if prev is not None:
        yield prev


def logical_lines(chunks: Iterable[str]) -> Iterator[str]:
    """The logical lines of a text that arrives in ``chunks`` (pieces of any size)."""
    return status_joined(json_joined(wrap_joined(pane_joined(physical_lines(chunks)))))


def string_chunks(text: str) -> Iterator[str]:
    """A string in pieces, so that a long one is not copied whole on the way."""
    for start in range(0, len(text), CHUNK_CHARS):
        yield text[start:start + CHUNK_CHARS]
    if not text:
        yield ""


def stream_chunks(stream: BinaryIO, progress: Callable[[int], None] | None = None) -> Iterator[str]:
    """A byte stream (a file, stdin) decoded piece by piece: UTF-16 when it starts with a UTF-16 byte-order mark
    (what PowerShell's ``>`` writes), else UTF-8 (a BOM dropped); bad bytes replaced either way.

    ``progress`` is called with the number of bytes read so far after each piece.
    """
    decoder: codecs.IncrementalDecoder | None = None
    read = 0
    while True:
        data = stream.read(CHUNK_CHARS)
        if not data:
            break
        if decoder is None:
            # The same choice as for every file the user names (acrdoctor.user_files.decode_text), made on the
            # first piece: a BOM is at most three bytes, and a read returns at least that unless the stream ends.
            utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
            decoder = codecs.getincrementaldecoder("utf-16" if utf16 else "utf-8-sig")(errors="replace")
        read += len(data)
        yield decoder.decode(data)
        if progress is not None:
            progress(read)
    yield decoder.decode(b"", final=True) if decoder is not None else ""
