"""What a text picks up on its way from the program that printed it to the ticket, taken off again, line by line.

Why: an error is rarely pasted as printed. A CI log puts a timestamp or ``##[error]`` before every line, a
reply quotes it with ``>``, a terminal colours it, a web page turns spaces into non-breaking ones and quotes into
curly ones (and a careless copy keeps its ``&quot;``), BuildKit puts ``#12 0.345`` before each line of a step.
None of that is part of the error, and every recogniser would otherwise have to allow for all of it. Measured on
the corpus (docs/explain.md): with a timestamp or ``>`` before every line a quarter of the right answers were lost;
with non-breaking spaces two thirds.

Each step is gated on a cheap test (``isascii``, a character present, the first character), because every line
of a 50 MB log passes through here; the steps that need no line start run on a whole chunk of the log at once.
A line keeps its place: nothing is joined or split here.
"""

from __future__ import annotations

import re

__all__ = ["PREFIX_START", "clean_text", "strip_prefix"]

#: Characters a web page or word processor puts where a terminal printed ASCII.
_ASCII_FOR = str.maketrans({
    "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2007": " ", "\u2008": " ", "\u2009": " ", "\u200a": " ",
    "\u202f": " ", "\u205f": " ", "\u3000": " ",
    "\u200b": None, "\u200c": None, "\u200d": None, "\u2060": None, "\ufeff": None, "\u00ad": None,
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
})
#: Terminal colour and cursor sequences (CSI … final byte), and the OSC hyperlinks some CLIs print.
_ANSI = re.compile(r"\x1b(?:\[[0-9;?]{0,32}[ -/]{0,4}[@-~]|\][^\x07\x1b]{0,512}(?:\x07|\x1b\\)|[@-Z\\-_])")
#: The HTML entities a page's source leaves in text copied from it; only these, and only with their ``;``, so a
#: URL's ``&lt=`` or a shell's ``&&`` is left alone.
_ENTITY = re.compile(r"&(?:quot|apos|lt|gt|amp|nbsp|#39|#x27|#34|#x22|#47|#x2[fF]);")
_ENTITY_CHAR = {"&quot;": '"', "&apos;": "'", "&lt;": "<", "&gt;": ">", "&amp;": "&", "&nbsp;": " ",
                "&#39;": "'", "&#x27;": "'", "&#34;": '"', "&#x22;": '"', "&#47;": "/", "&#x2f;": "/",
                "&#x2F;": "/"}
#: What CI systems and mail put before each line: e-mail and Markdown quotes (``> >``), the ISO timestamp GitHub
#: Actions and Azure Pipelines print (``2024-05-01T10:00:00.1234567Z``), Azure Pipelines' ``##[error]`` logging
#: commands, BuildKit's step and time (``#12 0.345``), Kubernetes' and GitLab's ``[command]``-style tags stay.
#: Repeated, because they nest (a quoted timestamped line). A bounded count keeps it linear.
_PREFIX = re.compile(
    r"(?:\s{0,8}(?:>[ \t]?)+"
    r"|\s{0,8}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)[ \t]"
    r"|\s{0,8}##\[(?:error|warning|debug|section|command|group|endgroup|info|notice)\][ \t]?"
    r"|\s{0,8}#\d{1,5}[ \t]\d{1,6}\.\d{1,4}[ \t]"
    r"){1,6}"
)
#: First characters a prefix can start with (after up to 8 blanks): anything else skips the regex.
PREFIX_START = frozenset(">#0123456789 \t")


def _entity(m: re.Match[str]) -> str:
    return _ENTITY_CHAR[m.group()]


def clean_text(text: str) -> str:
    """Curly quotes, odd spaces, colours and entities taken out of any piece of text (a line or a whole chunk of a
    log: each test is one pass at C speed, and a piece without the character costs one ``in``)."""
    if not text.isascii():
        text = text.translate(_ASCII_FOR)
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    if "&" in text and ";" in text:
        text = _ENTITY.sub(_entity, text)
    return text


def strip_prefix(line: str) -> str:
    """The line without what a CI system or a quoting reply put before it (a line, never a chunk: it is anchored)."""
    first = line[:1]
    # Most log lines start with a date that is not an ISO timestamp ("2026/11/30 …", "2024-05-01 10:00"): no regex.
    if first.isdigit() and line[10:11] != "T":
        return line
    if first in PREFIX_START:
        m = _PREFIX.match(line)
        if m is not None and m.end():
            return line[m.end():]
    return line
