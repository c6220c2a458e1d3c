"""A progress line on the terminal while ``explain`` reads a large log, so a long wait does not look like a hang.

Only on a terminal: a pipe or a file receiving stderr gets nothing, and neither does a small input (it is read
before anyone would look). The line is rewritten in place (``\\r``) and cleared when reading ends.
"""

from __future__ import annotations

from types import TracebackType
from typing import TextIO

#: Inputs smaller than this are read without a progress line.
PROGRESS_FROM_BYTES = 2 * 1024 * 1024
_MB = 1024 * 1024


class ReadProgress:
    """Call it with the bytes read so far; use it as a context manager to clear the line at the end.

    ``tty`` overrides what ``stream.isatty()`` says (tests); ``total`` is the input's size when known (a file),
    None for a stream (stdin), which then shows bytes read without a percentage.
    """

    def __init__(self, stream: TextIO, total: int | None = None, *, tty: bool | None = None) -> None:
        self.stream = stream
        self.total = total
        self.active = stream.isatty() if tty is None else tty
        self.width = 0

    def __call__(self, read: int) -> None:
        if not self.active or read < PROGRESS_FROM_BYTES:
            return
        text = f"explain: read {read / _MB:,.1f} MiB"
        if self.total:
            text += f" of {self.total / _MB:,.1f} MiB ({min(100, read * 100 // self.total)} %)"
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = len(text)

    def __enter__(self) -> ReadProgress:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0
