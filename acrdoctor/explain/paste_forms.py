"""The ways a text is changed between the program that printed it and the ticket, as functions, for measuring.

Why here and not in a test: ``bench/explain_pasted.py`` scores the corpus through each of them (docs/explain.md),
and a test keeps the figure from regressing (tests/explain/test_corpus.py). Each one is what a real path does:
a CI system's timestamps, a reply's quotes, a console's hard wrap, a web page's characters, a mail client's
wrapping at 72 columns, a JSON log record holding the text. Upper and lower case are measured too; nothing is
done about them (nobody pastes an error in capitals), so they stay a known loss.
"""

from __future__ import annotations

import html
import json
import textwrap
from collections.abc import Callable

__all__ = ["FORMS", "composite", "console_wrap", "mail_wrap", "per_line", "tui_frame"]


def per_line(f: Callable[[str], str]) -> Callable[[str], str]:
    return lambda text: "\n".join(f(line) for line in text.split("\n"))


def console_wrap(width: int) -> Callable[[str], str]:
    """A console breaking every line longer than ``width`` every ``width`` characters, mid-word."""
    def wrap(text: str) -> str:
        out: list[str] = []
        for line in text.split("\n"):
            out.extend([line[i:i + width] for i in range(0, len(line), width)] or [""])
        return "\n".join(out)
    return wrap


def tui_frame(width: int) -> Callable[[str], str]:
    """A terminal UI's pane (k9s, a tmux or screen border) ``width`` characters wide inside its frame: each line
    framed as ``│ … │``, a longer one broken every ``width`` characters, mid-word, each piece framed again."""
    def frame(text: str) -> str:
        out: list[str] = []
        for line in text.split("\n"):
            pieces = [line[i:i + width] for i in range(0, len(line), width)] or [""]
            out.extend(f"\u2502 {piece.ljust(width)} \u2502" for piece in pieces)
        return "\n".join(out)
    return frame


def mail_wrap(text: str) -> str:
    """A mail client (or a person) wrapping each paragraph at 72 columns, between words."""
    return "\n".join(textwrap.fill(line, 72, break_long_words=False, break_on_hyphens=False) if line.strip()
                     else line for line in text.split("\n"))


FORMS: dict[str, Callable[[str], str]] = {
    "github-actions-timestamps": per_line(lambda s: "2024-05-01T10:00:00.1234567Z " + s),
    "azure-pipelines-error": per_line(lambda s: "##[error]" + s),
    "reply-quoted": per_line(lambda s: "> " + s),
    "buildkit-step": per_line(lambda s: "#14 2.317 " + s),
    "kubelet-klog": per_line(lambda s: 'E0501 10:00:00.123456    1234 remote_image.go:180] "PullImage failed" err="'
                              + s.replace('"', '\\"') + '"'),
    "indented": per_line(lambda s: "      " + s),
    "colour": lambda s: "\x1b[31m" + s.replace("\n", "\x1b[0m\n\x1b[31m") + "\x1b[0m",
    "crlf": lambda s: s.replace("\n", "\r\n"),
    "non-breaking-spaces": lambda s: s.replace(" ", "\u00a0"),
    "curly-quotes": lambda s: s.replace('"', "\u201c"),
    "html-entities": html.escape,
    "json-log-record": lambda s: json.dumps({"level": "error", "msg": s}),
    "escaped-newlines": lambda s: s.replace("\n", "\\n"),
    "console-80": console_wrap(80),
    "console-120": console_wrap(120),
    "mail-72": mail_wrap,
    "tui-frame-100": tui_frame(100),
    "upper-case": str.upper,
    "lower-case": str.lower,
}


def composite(text: str) -> str:
    """Several at once, in the order they happen: a console's wrap, CI's timestamps, a reply's quote, a web page."""
    for name in ("console-80", "github-actions-timestamps", "reply-quoted", "non-breaking-spaces", "curly-quotes"):
        text = FORMS[name](text)
    return text
