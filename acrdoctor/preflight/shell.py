"""The syntax of a cleanup script: bash words, pipelines, ``if`` and ``for``, with line numbers.

``preflight --script`` must read a script the way bash would, or it would pre-flight commands that never run (or
miss ones that do). This module only parses; :mod:`acrdoctor.preflight.script` evaluates. What it knows:

* words with their quoting kept apart (``'…'`` literal, ``"…"`` with ``$VAR`` expansion, unquoted with expansion and
  field splitting), ``\\`` escapes and line continuations (a backslash before a newline joins the lines, also
  inside double quotes), ``#`` comments at the start of a word;
* ``|`` pipelines, ``&&`` / ``||`` lists, ``;`` and newlines, redirections (kept out of the command's words);
* ``if … then … elif … else … fi``, ``for NAME in WORDS; do … done``, ``{ …; }`` and ``( … )`` groups.

Everything else that is compound (``while``, ``until``, ``case``, function definitions, arithmetic ``for ((…))``,
here-documents, background ``&``) becomes an :class:`Unsupported` node spanning its lines, so the evaluator reports
it instead of guessing. Unbalanced quotes or a missing ``fi``/``done`` raise :class:`~acrdoctor.errors.InputError`:
bash would refuse the script too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from acrdoctor.errors import InputError

__all__ = ["ESCAPE", "AndOr", "Command", "For", "Group", "If", "Node", "Pipeline", "Unsupported", "Word",
           "parse_script"]

#: Marks a backslash escape inside double quotes (a quote, a dollar, a backtick or a backslash after a backslash): the
#: next character is literal. A NUL cannot be in a script (a file with one is refused as binary), so it is never text.
ESCAPE = "\x00"
_OPERATORS = ("&&", "||", ";;", ">>", "&>", ">&", "<<", "|", "&", ";", "(", ")", "<", ">")
_REDIRECTS = frozenset({">>", "&>", ">&", "<", ">"})
_KEYWORDS = frozenset({"if", "then", "elif", "else", "fi", "for", "in", "do", "done", "while", "until", "case",
                       "esac", "function", "{", "}", "select"})


@dataclass(frozen=True, slots=True)
class Word:
    """One shell word: ``(kind, text)`` segments, kind ``plain`` (unquoted), ``single`` or ``double``."""

    segments: tuple[tuple[str, str], ...]
    line: int

    @property
    def literal(self) -> str | None:
        """The word's text when it has no expansion at all (keywords, command names), else None."""
        out = []
        for kind, text in self.segments:
            if kind != "single" and ("$" in text or "`" in text):
                return None
            out.append(text)
        return "".join(out)

    @property
    def source(self) -> str:
        """The word roughly as written, for messages."""
        quote = {"plain": "", "single": "'", "double": '"'}
        return "".join(quote[k] + t.replace(ESCAPE, "\\") + quote[k] for k, t in self.segments)


@dataclass(frozen=True, slots=True)
class _Op:
    op: str
    line: int


@dataclass(frozen=True, slots=True)
class _Newline:
    line: int


_Token = Word | _Op | _Newline


@dataclass(frozen=True, slots=True)
class Command:
    words: tuple[Word, ...]
    line: int
    end_line: int
    #: Redirections such as ``> log`` or ``2>&1``: kept for messages, they do not change what is deleted.
    redirects: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return " ".join(w.source for w in self.words)


@dataclass(frozen=True, slots=True)
class Pipeline:
    commands: tuple[Command, ...]
    line: int
    end_line: int
    negated: bool = False


@dataclass(frozen=True, slots=True)
class AndOr:
    """``first && second || third``: ``rest`` holds (operator, pipeline) pairs."""

    first: Node
    rest: tuple[tuple[str, Node], ...]
    line: int
    end_line: int


@dataclass(frozen=True, slots=True)
class If:
    branches: tuple[tuple[tuple[Node, ...], tuple[Node, ...]], ...]  # (condition, body) for if and each elif
    orelse: tuple[Node, ...] | None
    line: int
    end_line: int


@dataclass(frozen=True, slots=True)
class For:
    variable: str
    items: tuple[Word, ...] | None  # None: ``for x; do`` (the positional parameters)
    body: tuple[Node, ...]
    line: int
    end_line: int


@dataclass(frozen=True, slots=True)
class Group:
    body: tuple[Node, ...]
    line: int
    end_line: int


@dataclass(frozen=True, slots=True)
class Unsupported:
    what: str
    line: int
    end_line: int
    #: The simple commands inside, so the evaluator can tell whether any of them could delete.
    inner: tuple[Node, ...] = field(default_factory=tuple)


Node = Command | Pipeline | AndOr | If | For | Group | Unsupported


# -- lexer ------------------------------------------------------------------------------------------------------


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.line = 1
        self.tokens: list[_Token] = []
        self.heredocs: list[tuple[str, bool]] = []

    def error(self, message: str, line: int | None = None) -> InputError:
        return InputError(f"cannot parse the script: line {line or self.line}: {message}")

    def run(self) -> list[_Token]:
        text, n = self.text, len(self.text)
        while self.i < n:
            c = text[self.i]
            if c == "\\" and text[self.i + 1:self.i + 2] == "\n":
                self.i += 2
                self.line += 1
            elif c in " \t\r":
                self.i += 1
            elif c == "\n":
                self.tokens.append(_Newline(self.line))
                self.line += 1
                self.i += 1
                if self.heredocs:
                    self._skip_heredocs()
            elif c == "#":
                while self.i < n and text[self.i] != "\n":
                    self.i += 1
            elif c in "|&;()<>":
                op = next(o for o in _OPERATORS if text.startswith(o, self.i))
                self.i += len(op)
                if op == "<<":
                    self._heredoc_start()
                self.tokens.append(_Op(op, self.line))
            else:
                self._word()
        return self.tokens

    def _heredoc_start(self) -> None:
        strip = self.text.startswith("-", self.i)
        if strip:
            self.i += 1
        while self.i < len(self.text) and self.text[self.i] in " \t":
            self.i += 1
        start = self.i
        while self.i < len(self.text) and self.text[self.i] not in " \t\n;|&<>()":
            self.i += 1
        delimiter = self.text[start:self.i].strip("'\"")
        if not delimiter:
            raise self.error("here-document without a delimiter")
        self.heredocs.append((delimiter, strip))

    def _skip_heredocs(self) -> None:
        for delimiter, strip in self.heredocs:
            while True:
                end = self.text.find("\n", self.i)
                raw = self.text[self.i:] if end < 0 else self.text[self.i:end]
                self.i = len(self.text) if end < 0 else end + 1
                self.line += 1
                if (raw.lstrip("\t") if strip else raw) == delimiter:
                    break
                if end < 0:
                    raise self.error(f"here-document ended by end of file, not {delimiter!r}")
        self.heredocs.clear()

    def _substitution_end(self, start: int) -> int:
        """Index just past ``$(…)``, ``${…}`` or a backtick substitution starting at ``start``."""
        text, n = self.text, len(self.text)
        if text[start] == "`":
            j = start + 1
            while j < n and text[j] != "`":
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                raise self.error("unterminated backtick command substitution")
            return j + 1
        close = "}" if text[start + 1] == "{" else ")"
        opener = "{" if close == "}" else "("
        depth, j = 0, start + 1
        while j < n:
            ch = text[j]
            if ch == "\\":
                j += 2
                continue
            if ch == "'" and close == ")":
                k = text.find("'", j + 1)
                if k < 0:
                    raise self.error("unterminated single quote inside a command substitution")
                j = k + 1
                continue
            if ch == '"':
                k = j + 1
                while k < n and text[k] != '"':
                    k += 2 if text[k] == "\\" else 1
                j = k + 1
                continue
            if ch == opener:
                depth += 1
            elif ch == close:
                depth -= 1
                if depth == 0:
                    return j + 1
            j += 1
        raise self.error(f"unterminated {'${' if close == '}' else '$('}")

    def _word(self) -> None:
        text, n = self.text, len(self.text)
        start_line = self.line
        segments: list[tuple[str, str]] = []

        def plain(s: str) -> None:
            if segments and segments[-1][0] == "plain":
                segments[-1] = ("plain", segments[-1][1] + s)
            else:
                segments.append(("plain", s))

        while self.i < n:
            c = text[self.i]
            if c in " \t\r\n|&;()<>":
                if c in "<>" and segments and segments[-1][0] == "plain" and len(segments) == 1 \
                        and segments[0][1].isdigit():
                    segments.clear()  # "2>" / "1>": a redirection of a numbered descriptor
                break
            if c == "\\":
                nxt = text[self.i + 1:self.i + 2]
                if nxt == "\n":
                    self.i += 2
                    self.line += 1
                    continue
                segments.append(("single", nxt))
                self.i += 2
                continue
            if c == "'":
                j = text.find("'", self.i + 1)
                if j < 0:
                    raise self.error("unterminated single quote", start_line)
                body = text[self.i + 1:j]
                self.line += body.count("\n")
                segments.append(("single", body))
                self.i = j + 1
                continue
            if c == '"':
                self._double(segments, start_line)
                continue
            if c == "`" or (c == "$" and text[self.i + 1:self.i + 2] in ("(", "{")):
                end = self._substitution_end(self.i)
                chunk = text[self.i:end]
                self.line += chunk.count("\n")
                plain(chunk)
                self.i = end
                continue
            plain(c)
            self.i += 1
        if segments:
            self.tokens.append(Word(tuple(segments), start_line))

    def _double(self, segments: list[tuple[str, str]], start_line: int) -> None:
        text, n = self.text, len(self.text)
        j = self.i + 1
        buf: list[str] = []
        while j < n and text[j] != '"':
            ch = text[j]
            if ch == "\\" and text[j + 1:j + 2] in ('"', "\\", "$", "`", "\n"):
                if text[j + 1] == "\n":
                    self.line += 1
                else:
                    buf.append(ESCAPE + text[j + 1])  # marked: expansion takes the next character literally
                j += 2
                continue
            if ch == "`" or (ch == "$" and text[j + 1:j + 2] in ("(", "{")):
                end = self._substitution_end(j)
                buf.append(text[j:end])
                self.line += text[j:end].count("\n")
                j = end
                continue
            if ch == "\n":
                self.line += 1
            buf.append(ch)
            j += 1
        if j >= n:
            raise self.error("unterminated double quote", start_line)
        segments.append(("double", "".join(buf)))
        self.i = j + 1


# -- parser -----------------------------------------------------------------------------------------------------


def _line_of(tok: _Token | None, default: int) -> int:
    return tok.line if tok is not None else default


class _Parser:
    def __init__(self, tokens: list[_Token], last_line: int) -> None:
        self.tokens = tokens
        self.pos = 0
        self.last_line = last_line

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> _Token:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def error(self, message: str, line: int | None = None) -> InputError:
        return InputError(f"cannot parse the script: line {line or _line_of(self.peek(), self.last_line)}: {message}")

    def keyword(self) -> str | None:
        tok = self.peek()
        if isinstance(tok, Word) and tok.literal in _KEYWORDS and len(tok.segments) == 1 \
                and tok.segments[0][0] == "plain":
            return tok.literal
        return None

    def skip_separators(self) -> None:
        while isinstance(self.peek(), _Newline) or (isinstance(self.peek(), _Op) and self.peek().op == ";"):  # type: ignore[union-attr]
            self.pos += 1

    def skip_newlines(self) -> None:
        while isinstance(self.peek(), _Newline):
            self.pos += 1

    def expect(self, word: str, opened_at: int, what: str) -> int:
        self.skip_separators()
        if self.keyword() != word:
            raise self.error(f"expected {word!r} to close the {what} opened on line {opened_at}")
        return self.take().line

    def body(self, terminators: frozenset[str], opened_at: int, what: str) -> tuple[Node, ...]:
        nodes: list[Node] = []
        while True:
            self.skip_separators()
            tok = self.peek()
            if tok is None:
                raise self.error(f"the {what} opened on line {opened_at} is never closed "
                                 f"(expected {' or '.join(sorted(terminators))})", self.last_line)
            if self.keyword() in terminators or (isinstance(tok, _Op) and tok.op in terminators):
                return tuple(nodes)
            nodes.append(self.and_or())

    def program(self) -> tuple[Node, ...]:
        nodes: list[Node] = []
        while True:
            self.skip_separators()
            tok = self.peek()
            if tok is None:
                return tuple(nodes)
            if isinstance(tok, _Op) and tok.op in (")", ";;", "|", "||", "&&", "&"):
                raise self.error(f"unexpected {tok.op!r}")
            if self.keyword() in ("then", "elif", "else", "fi", "do", "done", "esac", "}", "in"):
                raise self.error(f"unexpected {self.keyword()!r}")
            nodes.append(self.and_or())

    def and_or(self) -> Node:
        first = self.pipeline()
        rest: list[tuple[str, Node]] = []
        end = _end(first)
        while isinstance(self.peek(), _Op) and self.peek().op in ("&&", "||"):  # type: ignore[union-attr]
            op = self.take().op  # type: ignore[union-attr]
            self.skip_newlines()
            nxt = self.pipeline()
            rest.append((op, nxt))
            end = _end(nxt)
        node: Node = first if not rest else AndOr(first, tuple(rest), _start(first), end)
        if isinstance(self.peek(), _Op) and self.peek().op == "&":  # type: ignore[union-attr]
            self.take()
            return Unsupported("a command run in the background with '&' (its order against the others is unknown)",
                               _start(node), _end(node), (node,))
        return node

    def pipeline(self) -> Node:
        negated = False
        tok = self.peek()
        if isinstance(tok, Word) and tok.literal == "!":
            self.take()
            negated = True
        parts = [self.command()]
        while isinstance(self.peek(), _Op) and self.peek().op == "|":  # type: ignore[union-attr]
            self.take()
            self.skip_newlines()
            parts.append(self.command())
        if len(parts) == 1 and not negated:
            return parts[0]
        if any(not isinstance(p, Command) for p in parts):
            return Unsupported("a pipeline through a compound command", _start(parts[0]), _end(parts[-1]),
                               tuple(parts))
        commands = tuple(p for p in parts if isinstance(p, Command))
        return Pipeline(commands, commands[0].line, commands[-1].end_line, negated)

    def command(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise self.error("a command is missing at the end of the script", self.last_line)
        kw = self.keyword()
        if kw == "if":
            return self.if_()
        if kw == "for":
            return self.for_()
        if kw in ("while", "until", "select"):
            return self.loop(kw)
        if kw == "case":
            return self.case()
        if kw == "{":
            start = self.take().line
            body = self.body(frozenset({"}"}), start, "{ group")
            end = self.expect("}", start, "{ group")
            return Group(body, start, end)
        if kw == "function":
            start = self.take().line
            self.take()  # the name
            return self.function(start)
        if isinstance(tok, _Op) and tok.op == "(":
            start = self.take().line
            body = self.body(frozenset({")"}), start, "( subshell")
            self.take()
            return Group(body, start, _end(body[-1]) if body else start)
        if isinstance(tok, Word) and self.pos + 2 < len(self.tokens) and isinstance(self.tokens[self.pos + 1], _Op) \
                and self.tokens[self.pos + 1].op == "(":  # type: ignore[union-attr]
            start = self.take().line
            self.take()
            close = self.peek()
            if not (isinstance(close, _Op) and close.op == ")"):
                raise self.error("expected ')' in a function definition")
            self.take()
            return self.function(start)
        return self.simple()

    def function(self, start: int) -> Node:
        self.skip_newlines()
        body = self.command()
        return Unsupported("a function definition (its calls are not followed)", start, _end(body), (body,))

    def simple(self) -> Command:
        words: list[Word] = []
        redirects: list[str] = []
        start = _line_of(self.peek(), self.last_line)
        end = start
        while True:
            tok = self.peek()
            if isinstance(tok, Word):
                words.append(self.take())  # type: ignore[arg-type]
                end = tok.line
                continue
            if isinstance(tok, _Op) and (tok.op in _REDIRECTS or tok.op == "<<"):
                self.take()
                target = self.peek()
                if not isinstance(target, Word):
                    raise self.error(f"redirection {tok.op!r} without a target")
                self.take()
                redirects.append(tok.op + target.source)
                if tok.op == "<<":
                    redirects.append("<<heredoc")
                continue
            break
        if not words and not redirects:
            shown = tok.op if isinstance(tok, _Op) else "end of line"
            raise self.error(f"expected a command, found {shown!r}")
        return Command(tuple(words), start, end, tuple(redirects))

    def if_(self) -> If:
        start = self.take().line
        branches: list[tuple[tuple[Node, ...], tuple[Node, ...]]] = []
        cond = self.body(frozenset({"then"}), start, "if")
        self.expect("then", start, "if")
        body = self.body(frozenset({"elif", "else", "fi"}), start, "if")
        branches.append((cond, body))
        orelse: tuple[Node, ...] | None = None
        while True:
            self.skip_separators()
            kw = self.keyword()
            if kw == "elif":
                line = self.take().line
                cond = self.body(frozenset({"then"}), line, "elif")
                self.expect("then", line, "elif")
                branches.append((cond, self.body(frozenset({"elif", "else", "fi"}), start, "if")))
            elif kw == "else":
                self.take()
                orelse = self.body(frozenset({"fi"}), start, "if")
            else:
                end = self.expect("fi", start, "if")
                return If(tuple(branches), orelse, start, end)

    def for_(self) -> Node:
        start = self.take().line
        var = self.peek()
        if isinstance(var, _Op) and var.op == "(":
            return self.skip_to("done", start, "an arithmetic for ((…)) loop")
        if not isinstance(var, Word) or not var.literal or not var.literal.isidentifier():
            raise self.error("expected a variable name after 'for'")
        self.take()
        items: list[Word] | None = None
        self.skip_newlines()
        if self.keyword() == "in":
            self.take()
            items = []
            while isinstance(self.peek(), Word):
                items.append(self.take())  # type: ignore[arg-type]
        self.skip_separators()
        if self.keyword() != "do":
            raise self.error(f"expected 'do' in the for loop opened on line {start}")
        self.take()
        body = self.body(frozenset({"done"}), start, "for loop")
        end = self.expect("done", start, "for loop")
        return For(var.literal, tuple(items) if items is not None else None, body, start, end)

    def loop(self, kw: str) -> Node:
        start = self.take().line
        cond = self.body(frozenset({"do"}), start, f"{kw} loop")
        self.expect("do", start, f"{kw} loop")
        body = self.body(frozenset({"done"}), start, f"{kw} loop")
        end = self.expect("done", start, f"{kw} loop")
        self.trailing_redirects()
        return Unsupported(f"a {kw} loop (the values it iterates over are computed at run time)", start, end,
                           cond + body)

    def trailing_redirects(self) -> None:
        while isinstance(self.peek(), _Op) and self.peek().op in _REDIRECTS | {"<<"}:  # type: ignore[union-attr]
            self.take()
            if isinstance(self.peek(), Word):
                self.take()

    def case(self) -> Node:
        return self.skip_to("esac", self.peek().line, "a case statement")  # type: ignore[union-attr]

    def skip_to(self, closer: str, start: int, what: str) -> Unsupported:
        depth = 0
        opener = {"done": ("do",), "esac": ("case",)}[closer]
        while True:
            tok = self.peek()
            if tok is None:
                raise self.error(f"{what} opened on line {start} is never closed with {closer!r}", self.last_line)
            kw = self.keyword()
            self.take()
            if kw in opener:
                depth += 1
            elif kw == closer:
                depth -= 1
                if depth <= 0:
                    return Unsupported(what, start, tok.line)


def _start(node: Node) -> int:
    return node.line


def _end(node: Node) -> int:
    return node.end_line


def parse_script(text: str) -> tuple[Node, ...]:
    """The script's statements in order; ``InputError`` (one line, with the line number) when bash would refuse it."""
    tokens = _Lexer(text).run()
    return _Parser(tokens, text.count("\n") + 1).program()
