"""``preflight --script``: every delete of a cleanup script, in order, each on the registry the previous ones left.

The script is parsed as bash would read it (:mod:`acrdoctor.preflight.shell`) and walked statement by statement with
the variables it assigns. What runs is evaluated; what cannot be known is reported, never guessed:

* ``az acr repository delete|untag``, ``az acr manifest delete``, ``az acr delete``, ``acr purge`` and ``az acr run
  --cmd "acr purge …"`` are planned exactly as ``acrdoctor preflight -- COMMAND`` plans them, on the current state;
  the state then becomes the registry as that plan leaves it (:func:`~acrdoctor.preflight.after.apply_plan`).
* A listing piped to ``xargs`` (the delete-by-timestamp script of the ACR docs: ``az acr manifest list-metadata …
  --query "[?lastUpdateTime < 'DATE'].digest" -o tsv | xargs -I% az acr repository delete … --image REPO@% --yes``)
  runs the listing on the current state with az's own output shape and the ``jmespath`` library
  (:mod:`acrdoctor.preflight.azlistings`), then plans the commands ``xargs`` would build from its lines, as one step.
  ``head``/``tail`` between them are applied.
* ``if``/``elif``/``else`` with ``[ … ]``/``test``/``[[ … ]]`` conditions on known values (the docs' ``ENABLE_DELETE``
  guard), ``cond && cmd`` / ``cond || cmd``, ``for NAME in LIST`` over words the script knows, and ``exit``.
* Variables assigned in the script (``REG=…``, ``export``), ``$REG``/``${REG}``/``${REG:-default}``, with bash's
  quoting and field splitting. ``overrides`` (``--set NAME=VALUE``) win over the script's own assignments, to
  evaluate the branch a guard would switch on.

Reported per line as *not evaluated* (which makes the verdict not a pass): unknown commands, command
substitution ``$(…)``, variables the script does not set, loops over computed lists, ``while``/``case``/functions,
background jobs, deletes that run only if an earlier command fails, and anything az itself would refuse. Deletes
in a branch that does not run are reported as *not executed*, with the reason.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from acrdoctor.errors import InputError
from acrdoctor.model import Snapshot
from acrdoctor.preflight.after import apply_plan, with_attributes
from acrdoctor.preflight.azlistings import ListingError, run_listing
from acrdoctor.preflight.azmap import select_az
from acrdoctor.preflight.commands import parse_command
from acrdoctor.preflight.inuse import InUse
from acrdoctor.preflight.model import Plan, PurgeRequest, Selection
from acrdoctor.preflight.pipes import NotEvaluable, attribute_update, listing_of, text_stage, xargs_commands
from acrdoctor.preflight.plan import evaluate
from acrdoctor.preflight.purge import select_purge
from acrdoctor.preflight.shell import (
    ESCAPE,
    AndOr,
    Command,
    For,
    Group,
    If,
    Node,
    Pipeline,
    Unsupported,
    Word,
    parse_script,
)
from acrdoctor.storage import StorageIndex

__all__ = ["ScriptReport", "Step", "evaluate_script"]

#: Commands that change nothing in a registry (text tools, shell built-ins): evaluated as no-ops.
_HARMLESS = frozenset({
    "echo", "printf", "true", ":", "set", "shopt", "cd", "pwd", "mkdir", "sleep", "date", "cat", "tee", "grep",
    "egrep", "sort", "uniq", "wc", "head", "tail", "cut", "tr", "jq", "awk", "sed", "unset", "trap", "return",
    "logger", "env", "printenv", "which", "command", "type", "wait", "az.cmd",
})
_DECLARE = frozenset({"export", "readonly", "declare", "local", "typeset"})
#: ``az`` commands that only read (their first words after ``az``).
_AZ_READS = (
    ("login",), ("logout",), ("account",), ("config",), ("version",), ("extension",), ("cloud",),
    ("acr", "show"), ("acr", "list"), ("acr", "login"), ("acr", "check-health"), ("acr", "show-usage"),
    ("acr", "show-endpoints"), ("acr", "repository", "list"), ("acr", "repository", "show"),
    ("acr", "repository", "show-tags"), ("acr", "repository", "show-manifests"), ("acr", "repository", "list-deleted"),
    ("acr", "manifest", "list"), ("acr", "manifest", "list-metadata"), ("acr", "manifest", "show"),
    ("acr", "manifest", "show-metadata"), ("acr", "manifest", "list-referrers"), ("acr", "manifest", "list-deleted"),
    ("acr", "manifest", "list-deleted-tags"), ("acr", "task", "list"), ("acr", "task", "show"),
    ("acr", "task", "logs"), ("acr", "task", "list-runs"), ("acr", "task", "show-run"),
    ("acr", "task", "timer", "list"),
)
_AZ_DELETES = (("acr", "repository", "delete"), ("acr", "repository", "untag"), ("acr", "manifest", "delete"),
               ("acr", "delete"), ("acr", "run"))
_LISTINGS = {("acr", "manifest", "list-metadata"): "list-metadata", ("acr", "repository", "show-tags"): "show-tags",
             ("acr", "repository", "show-manifests"): "show-manifests"}
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Words that make a command substitution able to delete: it is then never "harmless" unseen.
_DELETING = re.compile(r"\b(?:delete|untag|purge|run)\b")


# -- the report -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    """One delete-capable statement of the script and what became of it.

    ``status``: ``evaluated`` (its plan is in ``plan``), ``state-change`` (a lock change the statements after it
    see), ``not-executed`` (a guard or ``exit`` keeps it from running,
    or it runs nothing: ``reason`` says which) or ``not-evaluated`` (``reason`` says what could not be known).
    """

    line: int
    end_line: int
    text: str
    status: str
    reason: str | None = None
    plan: Plan | None = None
    #: How many delete commands the statement runs (xargs runs one per input line).
    commands: int = 0
    #: The loop variables in force, e.g. ``REPO=apps/web``.
    context: str | None = None

    @property
    def where(self) -> str:
        lines = f"line {self.line}" if self.end_line == self.line else f"lines {self.line}-{self.end_line}"
        return lines + (f" ({self.context})" if self.context else "")


@dataclass(frozen=True, slots=True)
class ScriptReport:
    steps: tuple[Step, ...]
    before: Snapshot
    after: Snapshot
    #: Manifests and tags gone by the end (over all steps; none is counted twice).
    deleted_manifests: int
    deleted_tags: int
    #: Bytes the registry stores before minus after: computed on the final state, not summed over steps.
    freed_bytes: int
    bytes_exact: bool
    #: Statements that change nothing (echo, read-only listings, assignments).
    ignored: int = 0
    overrides: dict[str, str] = field(default_factory=dict)

    @property
    def not_evaluated(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.status == "not-evaluated")

    @property
    def plans(self) -> tuple[Plan, ...]:
        return tuple(s.plan for s in self.steps if s.plan is not None)


# -- evaluation -------------------------------------------------------------------------------------------------


class _Exit(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


@dataclass(frozen=True, slots=True)
class _Unknown:
    reason: str


def _words(node: Node) -> Iterable[Command]:
    """Every simple command inside ``node``."""
    if isinstance(node, Command):
        yield node
    elif isinstance(node, Pipeline):
        yield from node.commands
    elif isinstance(node, AndOr):
        yield from _words(node.first)
        for _, n in node.rest:
            yield from _words(n)
    elif isinstance(node, If):
        for cond, body in node.branches:
            for n in (*cond, *body):
                yield from _words(n)
        for n in node.orelse or ():
            yield from _words(n)
    elif isinstance(node, (For, Group)):
        for n in node.body:
            yield from _words(n)
    elif isinstance(node, Unsupported):
        for n in node.inner:
            yield from _words(n)


def _static_harmless(cmd: Command) -> bool:
    """Whether a command that is not run could not have deleted anything either (judged from its literal words).

    Assignments and text tools count as harmless unless a command substitution in them could delete
    (``X=$(az acr repository delete …)``).
    """
    if any(_DELETING.search(w.source) for w in cmd.words if "$(" in w.source or "`" in w.source):
        return False
    if cmd.words and cmd.words[0].segments[0][0] == "plain" and _ASSIGNMENT.match(cmd.words[0].segments[0][1]):
        return all(w.segments[0][0] == "plain" and _ASSIGNMENT.match(w.segments[0][1]) for w in cmd.words)
    names = [w.literal for w in cmd.words[:5]]
    first = names[0] if names else None
    if first is None:
        return False
    if first in _HARMLESS or first in _DECLARE or first in ("[", "[[", "test", "exit", "false"):
        return True
    if first == "az":
        words = tuple(n or "" for n in names[1:])
        return any(words[:len(r)] == r for r in _AZ_READS)
    return False


def _relevant(node: Node) -> list[Node]:
    """The statements inside ``node`` that could delete (or that acrdoctor cannot judge)."""
    if isinstance(node, Unsupported):
        inner = list(_words(node))
        if inner and all(_static_harmless(c) for c in inner):
            return []
        return [node]
    if isinstance(node, (Command, Pipeline, AndOr)):
        return [] if all(_static_harmless(c) for c in _words(node)) else [node]
    if isinstance(node, If):
        out: list[Node] = []
        for cond, body in node.branches:
            for n in (*cond, *body):
                out += _relevant(n)
        for n in node.orelse or ():
            out += _relevant(n)
        return out
    out = []
    for n in node.body:
        out += _relevant(n)
    return out


def _text_of(node: Node) -> str:
    if isinstance(node, Command):
        return node.text
    if isinstance(node, Pipeline):
        return " | ".join(c.text for c in node.commands)
    if isinstance(node, AndOr):
        return " ".join([_text_of(node.first), *(f"{op} {_text_of(n)}" for op, n in node.rest)])
    if isinstance(node, Unsupported):
        return node.what
    return type(node).__name__.lower()


class _Evaluator:
    def __init__(self, snapshot: Snapshot, overrides: dict[str, str], in_use: InUse | None,
                 now: datetime | None) -> None:
        self.state = snapshot
        self.overrides = dict(overrides)
        self.env: dict[str, str | _Unknown] = {}
        self.set_on: dict[str, int] = {}
        self.in_use = in_use
        self.now = now
        self.steps: list[Step] = []
        self.ignored = 0
        self.context: list[str] = []

    # -- reporting --

    def add(self, node: Node, status: str, reason: str | None = None, plan: Plan | None = None, commands: int = 0,
            text: str | None = None) -> None:
        self.steps.append(Step(node.line, node.end_line, text if text is not None else _text_of(node), status,
                               reason, plan, commands, ", ".join(self.context) or None))

    def skip(self, nodes: Iterable[Node], status: str, reason: str) -> None:
        for node in nodes:
            for r in _relevant(node):
                self.add(r, status, reason)

    # -- expansion --

    def lookup(self, name: str) -> str:
        if name in self.overrides:
            return self.overrides[name]
        value = self.env.get(name)
        if isinstance(value, _Unknown):
            raise NotEvaluable(value.reason)
        if value is None:
            if name.isdigit() or name in ("@", "*", "#", "?", "$", "!", "-"):
                raise NotEvaluable(f"${name} is a shell parameter set when the script runs")
            raise NotEvaluable(f"${name} is not set by the script (give it with --set {name}=VALUE)")
        return value

    def parameter(self, body: str) -> str:
        """``${body}``: a name, or ``NAME:-default`` / ``NAME-default`` / ``NAME:=default``."""
        m = _NAME.match(body)
        if m and m.end() == len(body):
            return self.lookup(body)
        if m:
            op = body[m.end():m.end() + 2] if body[m.end():m.end() + 1] == ":" else body[m.end():m.end() + 1]
            default = body[m.end() + len(op):]
            name = m.group(0)
            if op in (":-", "-", ":="):
                known = name in self.overrides or isinstance(self.env.get(name), str)
                value = self.lookup(name) if known else None
                if value is None or (op != "-" and value == ""):
                    value = self.expand_text(default)
                    if op == ":=":
                        self.env[name] = value
                return value
        raise NotEvaluable(f"parameter expansion ${{{body}}} is not modelled")

    def expansions(self, text: str) -> Iterable[tuple[bool, str]]:
        """(is_expansion, text) pieces of unquoted or double-quoted text; raises for what cannot be known."""
        i, n = 0, len(text)
        lit: list[str] = []
        while i < n:
            c = text[i]
            if c == ESCAPE and i + 1 < n:
                lit.append(text[i + 1])
                i += 2
                continue
            if c == "`" or text.startswith("$(", i):
                end = text.find(")", i) if c == "$" else text.find("`", i + 1)
                shown = text[i:end + 1] if end > 0 else text[i:]
                raise NotEvaluable(f"command substitution {shown} is not modelled")
            if c == "$" and i + 1 < n:
                if lit:
                    yield False, "".join(lit)
                    lit = []
                if text[i + 1] == "{":
                    end = text.find("}", i)
                    yield True, self.parameter(text[i + 2:end])
                    i = end + 1
                    continue
                m = _NAME.match(text, i + 1)
                if m:
                    yield True, self.lookup(m.group(0))
                    i = m.end()
                    continue
                yield True, self.lookup(text[i + 1])
                i += 2
                continue
            lit.append(c)
            i += 1
        if lit:
            yield False, "".join(lit)

    def expand_text(self, text: str) -> str:
        return "".join(piece for _, piece in self.expansions(text))

    def expand(self, word: Word, split: bool = True) -> list[str]:
        """The fields ``word`` expands to, with bash's quoting and field splitting."""
        fields: list[str] = []
        cur: list[str] | None = None
        for kind, text in word.segments:
            if kind == "single":
                cur = [*(cur or []), text]
            elif kind == "double":
                cur = [*(cur or []), self.expand_text(text)]
            else:
                for is_expansion, piece in self.expansions(text):
                    if not is_expansion or not split:
                        cur = [*(cur or []), piece]
                        continue
                    parts = piece.split()
                    if not parts:
                        if piece and cur is not None:
                            fields.append("".join(cur))
                            cur = None
                        continue
                    if piece[0].isspace() and cur is not None:
                        fields.append("".join(cur))
                        cur = None
                    for k, part in enumerate(parts):
                        if k:
                            fields.append("".join(cur or []))
                            cur = None
                        cur = [*(cur or []), part]
                    if piece[-1].isspace():
                        fields.append("".join(cur or []))
                        cur = None
        if cur is not None:
            fields.append("".join(cur))
        return fields

    def argv(self, cmd: Command) -> list[str]:
        out: list[str] = []
        for w in cmd.words:
            out.extend(self.expand(w))
        return out

    def assign(self, word: Word, line: int) -> None:
        head_kind, head = word.segments[0]
        m = _ASSIGNMENT.match(head)
        assert m is not None and head_kind == "plain"
        name = m.group(1)
        rest = Word(((head_kind, head[m.end():]), *word.segments[1:]), word.line)
        if name in self.overrides:
            return
        try:
            self.env[name] = "".join(self.expand(rest, split=False))
        except NotEvaluable as exc:
            self.env[name] = _Unknown(f"${name} (line {line}) is set from something not modelled: {exc}")
        self.set_on[name] = line

    # -- statements --

    def run(self, nodes: Sequence[Node]) -> None:
        for i, node in enumerate(nodes):
            try:
                self.node(node)
            except _Exit as stop:
                self.skip(nodes[i + 1:], "not-executed", f"the script exits on line {stop.line} before this")
                raise

    def node(self, node: Node) -> bool | None:
        """Run a statement; returns its exit status as a condition would read it (None: unknown)."""
        if isinstance(node, Command):
            return self.command(node)
        if isinstance(node, Pipeline):
            result = self.pipeline(node)
            return None if result is None else (not result if node.negated else result)
        if isinstance(node, AndOr):
            return self.and_or(node)
        if isinstance(node, If):
            return self.if_(node)
        if isinstance(node, For):
            self.for_(node)
            return True
        if isinstance(node, Group):
            self.run(node.body)
            return True
        for r in _relevant(node):
            self.add(r, "not-evaluated", f"{node.what} is not evaluated")
        return None

    def and_or(self, node: AndOr) -> bool | None:
        status = self.node(node.first)
        last = node.first
        for op, nxt in node.rest:
            if status is None:
                self.skip([nxt], "not-evaluated", f"runs only depending on whether {_text_of(last)!r} succeeds, "
                                                  "which cannot be known")
                return None
            runs = status if op == "&&" else not status
            if not runs:
                needs, does = ("succeeds", "fails") if op == "&&" else ("fails", "succeeds")
                self.skip([nxt], "not-executed", f"runs only if {_text_of(last)!r} {needs}, and it {does}")
                continue
            status = self.node(nxt)
            last = nxt
        return status

    def condition(self, nodes: Sequence[Node]) -> tuple[bool | None, str]:
        """The value of an ``if`` condition list and a description of it for the report."""
        status: bool | None = True
        for n in nodes:
            status = self.node(n)
        text = "; ".join(_text_of(n) for n in nodes)
        return status, text

    def explain_values(self, nodes: Sequence[Node]) -> str:
        names: list[str] = []
        for cmd in (c for n in nodes for c in _words(n)):
            for w in cmd.words:
                for _, t in w.segments:
                    names += re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", t)
        shown = []
        for name in dict.fromkeys(names):
            if name in self.overrides:
                shown.append(f"{name}={self.overrides[name]} from --set")
            elif isinstance(self.env.get(name), str):
                shown.append(f"{name}={self.env[name]} on line {self.set_on.get(name, '?')}")
        return f" ({'; '.join(shown)})" if shown else ""

    def if_(self, node: If) -> bool | None:
        for k, (cond, body) in enumerate(node.branches):
            value, text = self.condition(cond)
            if value is None:
                rest = [n for _, b in node.branches[k:] for n in b] + list(node.orelse or ())
                self.skip(rest, "not-evaluated", f"runs only depending on the condition {text!r}, which cannot be "
                                                 "evaluated")
                return None
            if value:
                self.run(body)
                later = [n for _, b in node.branches[k + 1:] for n in b] + list(node.orelse or ())
                self.skip(later, "not-executed", f"the condition {text!r} is true, so this branch does not run"
                                                 + self.explain_values(cond))
                return True
            self.skip(body, "not-executed", f"the condition {text!r} is false" + self.explain_values(cond))
        if node.orelse is not None:
            self.run(node.orelse)
        return True

    def for_(self, node: For) -> None:
        try:
            if node.items is None:
                raise NotEvaluable("'for' without 'in' loops over the script's arguments")
            values: list[str] = []
            for w in node.items:
                if w.literal is not None and any(ch in w.literal for ch in "*?[") and w.segments[0][0] == "plain":
                    raise NotEvaluable(f"the loop list has a file pattern {w.literal!r}")
                values += self.expand(w)
        except NotEvaluable as exc:
            self.skip(node.body, "not-evaluated", f"the for loop on line {node.line} iterates over a list that cannot "
                                                  f"be evaluated: {exc}")
            return
        for value in values:
            self.env[node.variable] = value
            self.set_on[node.variable] = node.line
            self.context.append(f"{node.variable}={value}")
            try:
                self.run(node.body)
            finally:
                self.context.pop()

    def command(self, cmd: Command) -> bool | None:
        if not cmd.words:
            self.ignored += 1
            return True
        first = cmd.words[0]
        head = first.segments[0]
        if head[0] == "plain" and _ASSIGNMENT.match(head[1]):
            assignments = [w for w in cmd.words if w.segments[0][0] == "plain" and _ASSIGNMENT.match(w.segments[0][1])]
            if len(assignments) == len(cmd.words):
                for w in assignments:
                    self.assign(w, cmd.line)
                if not _static_harmless(cmd):
                    self.add(cmd, "not-evaluated", "a command substitution that can delete is not modelled")
                    return None
                self.ignored += 1
                return True
            cmd = replace(cmd, words=cmd.words[len(assignments):])  # NAME=value cmd: the value is for cmd only
        try:
            argv = self.argv(cmd)
        except NotEvaluable as exc:
            if _static_harmless(cmd):
                self.ignored += 1
                return True
            self.add(cmd, "not-evaluated", str(exc))
            return None
        return self.simple(cmd, argv)

    def simple(self, cmd: Command, argv: list[str]) -> bool | None:
        if not argv:
            self.ignored += 1
            return True
        name = argv[0]
        if name in ("[", "[[", "test"):
            return _test(argv[1:-1] if name != "test" else argv[1:])
        if name == "false":
            return False
        if name == "exit":
            raise _Exit(cmd.line)
        if name in _DECLARE:
            for w in cmd.words[1:]:
                if w.segments[0][0] == "plain" and _ASSIGNMENT.match(w.segments[0][1]):
                    self.assign(w, cmd.line)
            self.ignored += 1
            return True
        if name in _HARMLESS:
            self.ignored += 1
            return True
        if name in ("source", "."):
            self.add(cmd, "not-evaluated", f"it runs another file ({' '.join(argv[1:]) or 'none given'}), which "
                                           "the pre-flight does not read")
            return None
        if name in ("az", "az.cmd"):
            return self.az(cmd, argv)
        if name == "acr" or name.endswith("acr-cli") or "/acr-cli:" in name:
            return self.delete(cmd, argv)
        self.add(cmd, "not-evaluated", f"unknown command {name!r}: what it does to the registry cannot be known")
        return None

    def az(self, cmd: Command, argv: list[str]) -> bool | None:
        words = tuple(a for a in argv[1:5])
        if any(words[:len(r)] == r for r in _AZ_READS):
            self.ignored += 1
            return True
        if words[:3] == ("acr", "task", "create"):
            self.add(cmd, "not-executed", "it creates an ACR task: its commands run on the task's schedule, not in "
                                          "this script (acrdoctor preflight --tasks checks scheduled purges)")
            return True
        if words[:3] == ("acr", "task", "run"):
            self.add(cmd, "not-evaluated", "it runs an existing ACR task now; pre-flight the task's own commands "
                                           "with acrdoctor preflight --tasks")
            return None
        if any(words[:len(r)] == r for r in _AZ_DELETES):
            return self.delete(cmd, argv)
        if words[:3] in (("acr", "repository", "update"), ("acr", "manifest", "update-metadata")):
            return self.update(cmd, argv)
        self.add(cmd, "not-evaluated", f"'az {' '.join(words[:3])}' changes the registry in a way the pre-flight "
                                       "does not model")
        return None

    def update(self, cmd: Command, argv: list[str]) -> bool | None:
        """A lock change: later statements see the new attributes (an unlock before a delete lets it through)."""
        try:
            repository, tag, digest, changes = attribute_update(argv, self.state)
        except InputError as exc:
            self.add(cmd, "not-evaluated", str(exc))
            return None
        target = repository + (f":{tag}" if tag else f"@{digest}" if digest else "")
        if not changes:
            self.ignored += 1  # without a flag it only shows the attributes
            return True
        self.state, found = with_attributes(self.state, repository, changes, tag=tag, digest=digest)
        shown = ", ".join(f"{k.replace('_e', 'E').replace('_', '')}={str(v).lower()}" for k, v in changes.items())
        if not found:
            self.add(cmd, "not-executed", f"{target} is not in the registry: az fails and changes nothing")
            return False
        self.add(cmd, "state-change", f"sets {shown} on {target}; the statements after it see that")
        return True

    def selection(self, argv: list[str]) -> Selection:
        request = parse_command(argv)
        if isinstance(request, PurgeRequest):
            return select_purge(request, self.state, now=self.now)
        return select_az(request, self.state)

    def delete(self, cmd: Node, argv: list[str] | None, *, generated: Sequence[list[str]] | None = None,
               text: str | None = None) -> bool | None:
        """Plan one delete (``argv``) or the commands xargs builds (``generated``) and move the state on."""
        commands = [argv] if argv is not None else list(generated or ())
        try:
            selections = [self.selection(a) for a in commands]
        except InputError as exc:
            self.add(cmd, "not-evaluated", str(exc), text=text)
            return None
        if not selections:
            self.add(cmd, "not-executed", "the listing selects nothing, so xargs runs no command", text=text)
            return True
        request = selections[0].request
        if isinstance(request, PurgeRequest) and request.dry_run:
            self.add(cmd, "not-executed", "acr purge --dry-run only prints what it would delete", text=text)
            return True
        plan = evaluate(_merged(selections), self.state, in_use=self.in_use)
        self.add(cmd, "evaluated", plan=plan, commands=len(commands), text=text)
        self.state = apply_plan(self.state, plan)
        return True

    def pipeline(self, node: Pipeline) -> bool | None:
        try:
            argvs = [self.argv(c) for c in node.commands]
        except NotEvaluable as exc:
            if all(_static_harmless(c) for c in node.commands):
                self.ignored += 1
                return True
            self.add(node, "not-evaluated", str(exc))
            return None
        first = argvs[0]
        listing_kind = _LISTINGS.get(tuple(first[1:4])) if first[:1] == ["az"] else None
        if listing_kind is None:
            consumers_harmless = all(a and a[0] in _HARMLESS for a in argvs[1:])
            if consumers_harmless:
                return self.simple(node.commands[0], first)
            self.add(node, "not-evaluated", "a pipeline whose input is not an az listing acrdoctor can evaluate")
            return None
        tail = argvs[1:]
        if all(a and a[0] in _HARMLESS for a in tail):
            self.ignored += 1  # a listing shown or filtered: reads only
            return True
        try:
            listing = listing_of(listing_kind, first, self.state)
            lines = run_listing(listing, self.state)
            for stage in tail[:-1]:
                lines = text_stage(stage, lines)
            generated = xargs_commands(tail[-1], lines)
        except (ListingError, InputError, NotEvaluable) as exc:
            self.add(node, "not-evaluated", str(exc))
            return None
        return self.delete(node, None, generated=generated)


def _merged(selections: Sequence[Selection]) -> Selection:
    """The selections of the commands xargs builds from one listing, as one (each target once, in order)."""
    if len(selections) == 1:
        return selections[0]
    first = selections[0]
    return Selection(
        request=first.request,
        untag=tuple(dict.fromkeys(t for s in selections for t in s.untag)),
        delete_manifests=tuple(dict.fromkeys(m for s in selections for m in s.delete_manifests)),
        delete_repositories=tuple(dict.fromkeys(r for s in selections for r in s.delete_repositories)),
        delete_registry=any(s.delete_registry for s in selections),
        skipped=tuple(b for s in selections for b in s.skipped),
        warnings=tuple(dict.fromkeys(w for s in selections for w in s.warnings)),
        named_tags=frozenset(t for s in selections for t in s.named_tags),
    )


def _test(args: list[str]) -> bool | None:
    """``[ … ]`` / ``test`` on known strings; None for what it does not model (files, -a/-o)."""
    if not args:
        return False
    if args[0] == "!":
        inner = _test(args[1:])
        return None if inner is None else not inner
    if len(args) == 1:
        return args[0] != ""
    if len(args) == 2:
        if args[0] == "-n":
            return args[1] != ""
        if args[0] == "-z":
            return args[1] == ""
        return None
    if len(args) == 3:
        a, op, b = args
        if op in ("=", "=="):
            return a == b
        if op == "!=":
            return a != b
        ints = {"-eq": int.__eq__, "-ne": int.__ne__, "-lt": int.__lt__, "-le": int.__le__, "-gt": int.__gt__,
                "-ge": int.__ge__}
        if op in ints:
            try:
                return bool(ints[op](int(a), int(b)))
            except ValueError:
                return None
    return None


def evaluate_script(text: str, snapshot: Snapshot, *, overrides: dict[str, str] | None = None,
                    in_use: str | None = None, now: datetime | None = None) -> ScriptReport:
    """The combined plan of every delete in ``text``, in order; ``InputError`` when the script cannot be parsed."""
    nodes = parse_script(text)
    refs = InUse.parse(in_use, snapshot.registry.login_server) if in_use is not None else None
    ev = _Evaluator(snapshot, overrides or {}, refs, now)
    with contextlib.suppress(_Exit):  # the steps after an exit are already reported
        ev.run(nodes)
    before, after = StorageIndex(snapshot), StorageIndex(ev.state)
    plans = [s.plan for s in ev.steps if s.plan is not None]
    manifests_before, tags_before = _inventory(snapshot)
    manifests_after, tags_after = _inventory(ev.state)
    return ScriptReport(
        steps=tuple(ev.steps), before=snapshot, after=ev.state,
        deleted_manifests=len(manifests_before - manifests_after),
        deleted_tags=len(tags_before - tags_after),
        freed_bytes=before.deduplicated_total() - after.deduplicated_total(),
        bytes_exact=before.complete and all(p.bytes_exact for p in plans),
        ignored=ev.ignored, overrides=dict(overrides or {}),
    )


def _inventory(snapshot: Snapshot) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(repository, digest) and (repository, tag) pairs of a snapshot: the totals are differences of these."""
    manifests = {(r.name, m.digest) for r in snapshot.repositories or () for m in r.manifests or ()}
    tags = {(r.name, t.name) for r in snapshot.repositories or () for t in r.tags or ()}
    tags |= {(r.name, t) for r in snapshot.repositories or () if r.tags is None for m in r.manifests or ()
             for t in m.tags}
    return manifests, tags
