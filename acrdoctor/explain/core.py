"""Run every recogniser over a text and group what they find: one match per failure mode, with a count.

The text is read once, line by line (:mod:`acrdoctor.explain.reading`), so time grows with its length and memory
does not: what is kept is a window of the last few lines (to classify a hit and to name its objects), the first
:data:`MAX_KEPT_HITS` distinct hits of each failure mode (to explain it), and a count of the others.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

from . import recognise_elsewhere, recognise_prose, recognise_vocabulary, vocabulary
from .catalogue import KEYWORDS, RECOGNISERS, REGISTRY_LEVEL
from .model import MAX_EVIDENCE, Explanation, Match, Step
from .names import Names, around, client_ip_in, correlation_in, login_server_in, registry_in
from .next_steps import OPERATIONS_HEAD, operations_in, unrecognised_step, with_next_steps
from .paragraphs import paragraph_joined
from .reading import logical_lines, stream_chunks, string_chunks
from .recognise_elsewhere import ELSEWHERE
from .recognisers import Hit, Recogniser, fold

#: How many lines before a hit classify it (the command that was run, "Deleting tags for repository: …").
CONTEXT_LINES = 8
#: How many lines before a hit classify it in a ticket: a ticket is short, and its prose ("we import from quay.io")
#: may sit well above the pasted error it explains.
TICKET_CONTEXT_LINES = 40
#: How many lines after a hit lend it names.
AFTER_LINES = 2
EVIDENCE_CHARS = 400
#: An ACR match this many lines or fewer from a cause elsewhere explains the same error (kubelet events, an import's
#: deployment error and its JSON body span a few lines).
SAME_LINES = 2
#: A cause elsewhere this sure or more outranks ACR answers for the same lines; a prose guess below it does not.
ELSEWHERE_FLOOR = 0.75
#: A cause elsewhere this sure or more is worth withholding a less than certain ACR fix for.
ELSEWHERE_HINT = 0.5
#: An ACR answer this sure (an error code on the line) keeps its fix commands beside a cause elsewhere.
FIX_CONFIDENCE = 0.9
#: Distinct hits kept per failure mode to build its explanation (targets, notes); every hit is counted.
MAX_KEPT_HITS = 100
#: How much of a ticket's beginning is also read as one text (:meth:`_Scan.whole_ticket`): a ticket's symptom, the
#: output it pasted and its question are often on different lines, none of which says enough alone.
WHOLE_TICKET_CHARS = 16_384
#: Failures about a name, which a misspelt name causes (:meth:`_Scan.name_slip`).
SLIP_MODES = frozenset({"connectivity-dns", "repository-not-found", "tag-not-found", "manifest-not-found",
                        "empty-repository", "login-server-not-found", "authentication-required"})
#: How many distinct lines that named no registry are remembered, so a repeated one is not parsed again.
MAX_REMEMBERED_LINES = 4096

_RANK = {rec: i for i, rec in enumerate(RECOGNISERS)}
#: Each keyword with the ranks of the recognisers that hold it.
_OWNERS: tuple[tuple[str, frozenset[int]], ...] = tuple(
    (k, frozenset(i for i, r in enumerate(RECOGNISERS) if k in r.keywords)) for k in KEYWORDS)
#: The keywords that gate a line, without those that contain another (a line holding "statuscode=401" holds "401"):
#: the same lines pass, for fewer substring tests on every line of a log.
#: Short words that many keywords contain: gating on them instead passes the same lines and few others, for far
#: fewer substring tests per line (the recognisers' own keywords then decide, exactly as before).
_COVERS = ("pull", "auth", "source", "limit", "many", "error", "proxy", "certif", "valid", "reference", "import",
           "cred", "denied")
_GATE_WORDS = (*_COVERS, *KEYWORDS)
_GATE = tuple(dict.fromkeys(k for k in _GATE_WORDS if not any(o != k and o in k for o in _GATE_WORDS)))


_Trie = dict[str, "_Trie"]


def keyword_pattern(words: Iterable[str]) -> re.Pattern[str]:
    """One pattern that matches where any of ``words`` occurs, its alternatives nested as a trie.

    Matching it is the same test as ``any(w in line for w in words)``, about three times faster for a hundred words:
    at each position the engine follows the one branch whose first character matches instead of trying every word.
    """
    trie: _Trie = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: _Trie) -> str:
        if "" in node:
            return ""  # a word ends here: the shorter prefix already decides
        alts = [re.escape(ch) + build(sub) for ch, sub in sorted(node.items())]
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return re.compile(build(trie))


#: The gate as one pattern (see :func:`keyword_pattern`).
_GATE_PATTERN = keyword_pattern(_GATE)
_MEMORY = tuple(dict.fromkeys(p for rec in RECOGNISERS for p in rec.remembers))
#: A line that gives a registry name holds one of these (host, ARM id, "registry '…'", an az acr command).
_REGISTRY_WORDS = ("acr", "azurecr", "registr")


def _catalogue_slugs() -> frozenset[str]:
    from acrdoctor.engine import builtin_checks

    return frozenset(c.slug for c in builtin_checks())


def _holds_any(text: str, words: tuple[str, ...]) -> bool:
    # A plain loop: any() over a generator costs three times as much, and this runs on every line.
    for word in words:  # noqa: SIM110
        if word in text:
            return True
    return False


@dataclass(slots=True)
class _Seen:
    """One logical line in the window: its index, its text, and whether some recogniser found an error on it."""

    index: int
    line: str
    error: bool = False


@dataclass(slots=True)
class _Group:
    """What is kept of one failure mode: the first distinct hits, and how often it was seen."""

    rec: Recogniser
    mode: str
    count: int = 0
    kept: list[Hit] = field(default_factory=list)
    keys: set[tuple[str, str, Names]] = field(default_factory=set)

    def add(self, hit: Hit) -> None:
        self.count += 1
        key = (hit.line, hit.context, hit.names)
        if len(self.kept) < MAX_KEPT_HITS and key not in self.keys:
            self.keys.add(key)
            self.kept.append(hit)


class _Scan:
    """The state of one pass over the logical lines."""

    def __init__(self, before: int = CONTEXT_LINES, whole: bool = False) -> None:
        self.before = before
        #: A ticket's first lines (up to :data:`WHOLE_TICKET_CHARS`), kept to read it as one text at the end.
        self.ticket: list[str] | None = [] if whole else None
        self.ticket_chars = 0
        self.window: deque[_Seen] = deque(maxlen=before + 1 + AFTER_LINES)
        self.pending: deque[tuple[int, Recogniser, str, str]] = deque()
        self.groups: dict[tuple[Recogniser, str], _Group] = {}
        self.seen: set[re.Pattern[str]] = set()
        self.registry: str | None = None
        #: Lines that named no registry (bounded): not parsed again when they repeat.
        self.no_registry: set[str] = set()
        self.login_server: str | None = None
        #: The one correlation id / client IP the text names ("" once it names two different ones: then no guess).
        self.correlation_id: str | None = None
        self.client_ip: str | None = None
        self.lines = 0
        #: What the text's beginning speaks of (push, delete, sign-in…), for the next step when nothing matches.
        self.operations: set[str] = set()
        self.head = 0

    def line(self, index: int, line: str) -> None:
        # An empty line is counted once a line follows it: the empty "line" after a text's final newline is not
        # one the user wrote (two lines ending in a newline read as 2, as wc -l counts them).
        self.lines = index + 1 if line else index
        low = fold(line)
        if self.ticket is not None and self.ticket_chars < WHOLE_TICKET_CHARS and len(self.ticket) == index:
            self.ticket.append(line)
            self.ticket_chars += len(line) + 1
        for pattern, word in _MEMORY:
            if pattern not in self.seen and word in low and pattern.search(line):
                self.seen.add(pattern)
        entry = _Seen(index, line)
        self.window.append(entry)
        if self.head < OPERATIONS_HEAD:
            self.head += len(line) + 1
            self.operations.update(operations_in(low))
        if line and _GATE_PATTERN.search(low):
            self._detect(entry, low)
        if self.registry is None and _holds_any(low, _REGISTRY_WORDS) and line not in self.no_registry:
            self.registry = registry_in(line)
            if self.registry is None and len(self.no_registry) < MAX_REMEMBERED_LINES:
                # A log whose registry is masked repeats the same lines ("az acr login --name ***" on every job):
                # each is parsed once.
                self.no_registry.add(line)
        if self.login_server is None and "azurecr." in low:
            self.login_server = login_server_in(line)
        if self.correlation_id != "" and "correlation" in low:
            self.correlation_id = _only(self.correlation_id, correlation_in(line))
        if self.client_ip != "" and " ip" in low:
            self.client_ip = _only(self.client_ip, client_ip_in(line))
        while self.pending and self.pending[0][0] <= index - AFTER_LINES:
            self._resolve()

    def _detect(self, entry: _Seen, low: str) -> None:
        """Run the recognisers whose keywords the line holds; queue what they find until it can be named."""
        context: str | None = None
        seen = frozenset(self.seen)
        # One pass over the keywords finds every recogniser the line concerns, in rank order (instead of one pass
        # over each recogniser's keywords).
        ranks: set[int] = set()
        for word, owners in _OWNERS:
            if word in low:
                ranks.update(owners)
        for rank in sorted(ranks):
            rec = RECOGNISERS[rank]
            if context is None:
                context = "\n".join(s.line for s in list(self.window)[-(self.before + 1):])
            mode = rec.detect(entry.line, context, seen)
            if mode is not None:
                entry.error = True
                self.pending.append((entry.index, rec, mode, context))

    def _resolve(self) -> None:
        """Name the oldest pending hit from the lines around it, now that the lines after it have been read."""
        index, rec, mode, context = self.pending.popleft()
        window = [s for s in self.window if index - self.before <= s.index <= index + AFTER_LINES]
        at = next(k for k, s in enumerate(window) if s.index == index)
        others = frozenset(k for k, s in enumerate(window) if s.error and k != at)
        names = around([s.line for s in window], at, self.before, AFTER_LINES, others=others,
                       objects_nearby=mode not in REGISTRY_LEVEL)
        group = self.groups.get((rec, mode))
        if group is None:
            group = self.groups[(rec, mode)] = _Group(rec, mode)
        group.add(Hit(index, window[at].line, names, context))

    def _named(self, hit: Hit) -> Hit:
        """The hit with the registry and login server the text names elsewhere, where its own lines name none."""
        fill: dict[str, str] = {}
        if not hit.names.registry and self.registry:
            fill["registry"] = self.registry
        if not hit.names.login_server and self.login_server and (
                (hit.names.registry or self.registry or "").lower() == self.login_server.split(".", 1)[0].lower()):
            fill["login_server"] = self.login_server
        # A correlation id or client IP named once anywhere (a ticket's prose, the az message's last line) is the
        # one support asks for; names of the hit's own lines come first.
        if not hit.names.correlation_id and self.correlation_id:
            fill["correlation_id"] = self.correlation_id
        if not hit.names.client_ip and self.client_ip:
            fill["client_ip"] = self.client_ip
        return replace(hit, names=replace(hit.names, **fill)) if fill else hit

    def whole_ticket(self, text: str) -> None:
        """Read a ticket's beginning as one text: the cause its lines support together, answered on the line that
        speaks for it most, when no line found it alone ("I get a 401 and this header:", the header, then "am I
        missing a step?"). Its confidence comes from the whole text's score, so it ranks against the other prose
        answers by what the whole ticket says."""
        if not self.ticket:
            return
        found = recognise_prose.classify(text)
        if found is None:
            return
        mode = found[0]
        if any(m == mode for _, m in self.groups):
            return
        support = [recognise_prose.support(mode, line) if 40 <= len(line) <= recognise_prose.MAX_PROSE_LINE
                   else 0.0 for line in self.ticket]
        at = max(range(len(support)), key=lambda i: (support[i], -i))
        rec = recognise_prose.RECOGNISERS[0]
        names = around(self.ticket, at, len(self.ticket), len(self.ticket),
                       objects_nearby=mode not in REGISTRY_LEVEL)
        group = self.groups[(rec, mode)] = _Group(rec, mode)
        group.add(Hit(at, self.ticket[at], names, text))

    def name_slip(self, text: str) -> None:
        """A ticket whose failing name (a registry that does not resolve, a repository or tag not found) is one
        typing slip from another name the ticket gives: the typo, ahead of the not-found it caused."""
        if not self.ticket or any(mode == ELSEWHERE + "typo" for _, mode in self.groups):
            return
        for (rec, mode), group in list(self.groups.items()):
            # Only a failure a program printed names the name that failed; a sentence's guess does not.
            if mode not in SLIP_MODES or not group.kept or rec in recognise_prose.RECOGNISERS:
                continue
            hit = self._named(group.kept[0])
            if recognise_elsewhere.other_spelling(hit.names, text):
                rec = recognise_elsewhere.NAME_SLIP
                self.groups[(rec, ELSEWHERE + "typo")] = slip = _Group(rec, ELSEWHERE + "typo")
                slip.add(Hit(hit.index, hit.line, hit.names, text))
                return

    def by_vocabulary(self, text: str) -> None:
        """A ticket nothing recognised: the cause its words are most like, as a guess (ranked below any rule's
        answer, with no fix command), when they single one out."""
        if not self.ticket or self.groups:
            return
        found = vocabulary.guess(text)
        if found is None:
            return
        at = recognise_vocabulary.evidence_line(self.ticket, found.words)
        names = around(self.ticket, at, len(self.ticket), len(self.ticket),
                       objects_nearby=found.label not in REGISTRY_LEVEL)
        rec = recognise_vocabulary.RECOGNISER
        group = self.groups[(rec, found.label)] = _Group(rec, found.label)
        group.add(Hit(at, self.ticket[at], names, text))

    def finish(self) -> Explanation:
        while self.pending:
            self._resolve()
        # A ticket's first lines as one text, read by the three whole-ticket readings and the off-topic check.
        text = "\n".join(self.ticket) if self.ticket else ""
        self.whole_ticket(text)
        self.name_slip(text)
        self.by_vocabulary(text)
        catalogue = _catalogue_slugs()
        matches: list[tuple[int, int, Match]] = []
        lines_of: dict[int, frozenset[int]] = {}
        for group in self.groups.values():
            hits = [self._named(h) for h in group.kept]
            built = group.rec.build(group.mode, hits)
            first = hits[0]
            evidence = _cut(first.line)
            quoted: dict[str, int] = {}
            for h in hits:
                if len(quoted) >= MAX_EVIDENCE:
                    break
                quoted.setdefault(_cut(h.line), h.index + 1)
            matches.append((first.index, _RANK.get(group.rec, len(_RANK)), Match(
                failure_mode=group.mode, title=built.title, message=built.message, cause=built.cause,
                extracted=built.extracted or first.names, confirm=built.confirm, fix=built.fix, docs=built.docs,
                occurrences=group.count, evidence=evidence, in_catalogue=group.mode in catalogue,
                notes=built.notes, first_line=first.index + 1, targets=tuple(h.names for h in hits),
                confidence=built.confidence if built.confidence is not None else group.rec.confidence,
                next_step=built.next_step, evidence_lines=tuple((n, t) for t, n in quoted.items()),
            )))
            lines_of[id(matches[-1][2])] = frozenset(h.index for h in hits)
        matches.sort(key=lambda m: m[:2])
        ordered = prefer_elsewhere(prefer_named_action([m for _, _, m in matches], lines_of), lines_of)
        if self.ticket is not None and not vocabulary.speaks_of_a_registry(text) \
                and recognise_prose.written_by_someone(text):
            # A ticket someone wrote that never names a registry, an image or a client of one is about something
            # else: its words ("throttled", "too many requests", "firewall", "locked") are no ACR symptom; what a
            # program printed in it (an error body, an az message) still answers, as does a bare paste.
            # A registry named where the words did not say so ("in shipreg01") still makes it the registry's.
            ordered = [m for m in ordered if any(recognise_prose.printed(t) for _, t in m.evidence_lines)
                       or m.extracted.registry or m.extracted.login_server]
        if not ordered:
            return Explanation((), self.lines, unrecognised_step(self.registry, frozenset(self.operations)))
        return Explanation(tuple(with_next_steps(ordered)), self.lines)


def _only(kept: str | None, found: str | None) -> str | None:
    """The value seen so far, the new one if none was, or "" when the text names two different ones."""
    if found is None or found == kept:
        return kept
    return found if kept is None else ""


def _cut(line: str) -> str:
    return line if len(line) <= EVIDENCE_CHARS else line[:EVIDENCE_CHARS] + "…"


def _near(a: frozenset[int], b: frozenset[int]) -> bool:
    return any(abs(i - j) <= SAME_LINES for i in a for j in b)


#: An error block's lines: an SDK prints the message, the status, the code, then the body (.NET: eight lines).
SAME_ERROR_LINES = 8


def prefer_named_action(matches: list[Match], lines_of: dict[int, frozenset[int]]) -> list[Match]:
    """Rank a missing permission above "not signed in" when both come from one error: the body's detail names the
    action the 401 refused (an SDK prints "authentication required" first and the detail lines below it)."""
    named = [m for m in matches if m.failure_mode == "delete-permission" and m.confidence >= FIX_CONFIDENCE]
    if not named:
        return matches
    out: list[Match] = []
    for m in matches:
        if m.failure_mode == "authentication-required":
            mine = lines_of.get(id(m), frozenset())
            over = [d for d in named if any(abs(i - j) <= SAME_ERROR_LINES for i in mine
                                            for j in lines_of.get(id(d), frozenset()))]
            if over:
                cap = round(max(d.confidence for d in over) - 0.05, 2)
                m2 = replace(m, confidence=min(m.confidence, cap))
                lines_of[id(m2)] = mine
                m = m2
        out.append(m)
    return out


def _withheld(m: Match, cause: str) -> Match:
    if m.failure_mode.startswith(ELSEWHERE) or not m.fix.commands:
        return m
    return replace(m, fix=Step(f"Not printed: the text also points to a cause outside ACR ({cause}). Confirm this "
                               f"one first (the commands above only read); only then: {m.fix.summary}",
                               notes=m.fix.notes))


def prefer_elsewhere(matches: list[Match], lines_of: dict[int, frozenset[int]]) -> list[Match]:
    """Keep ACR answers below a cause elsewhere that explains the same lines, and withhold their fixes then.

    A 401 inside an ``az acr import`` error is the source registry's; the generic 401 recogniser still reads it as
    ACR's. Ranking that ACR answer first would print a grant or an unlock for a problem that is not in the registry,
    so an ACR match within :data:`SAME_LINES` lines of an ``elsewhere:*`` match of at least
    :data:`ELSEWHERE_FLOOR` confidence is ranked just below it. When a cause elsewhere ends up first, no ACR answer
    prints a command that changes something: its fix is kept as words, to act on once that cause is ruled out. When
    an ACR answer stays first but the text also shows a cause elsewhere (:data:`ELSEWHERE_HINT` or more), only ACR
    answers backed by an error code (:data:`FIX_CONFIDENCE` or more) keep their fix commands.
    """
    present = [m for m in matches if m.failure_mode.startswith(ELSEWHERE) and m.confidence >= ELSEWHERE_HINT]
    if not present:
        return matches
    strong = [m for m in present if m.confidence >= ELSEWHERE_FLOOR]
    out: list[Match] = []
    for m in matches:
        over = [e for e in strong if _near(lines_of.get(id(m), frozenset()), lines_of.get(id(e), frozenset()))]
        if over and not m.failure_mode.startswith(ELSEWHERE):
            cap = max(e.confidence for e in over) - 0.05
            m = replace(m, confidence=round(min(m.confidence, cap), 2))
        out.append(m)
    top = max(out, key=lambda m: m.confidence)
    cause = top.failure_mode if top.failure_mode.startswith(ELSEWHERE) else present[0].failure_mode
    return [_withheld(m, cause) if top.failure_mode.startswith(ELSEWHERE) or m.confidence < FIX_CONFIDENCE else m
            for m in out]


def explain_chunks(chunks: Iterable[str], *, before: int = CONTEXT_LINES, paragraphs: bool = False) -> Explanation:
    """Find every known ACR failure in a text that arrives in pieces of any size (time linear, memory bounded).

    ``before`` is how many lines before a hit classify and name it (wider for a ticket); ``paragraphs`` reads the
    text's hand-wrapped paragraphs as one line each (a ticket's prose, :mod:`~acrdoctor.explain.paragraphs`; not a
    log's lines, which read as sentences too)."""
    scan = _Scan(before, whole=paragraphs)
    lines = logical_lines(chunks)
    for index, line in enumerate(paragraph_joined(lines) if paragraphs else lines):
        scan.line(index, line)
    return scan.finish()


def explain(text: str, *, before: int = CONTEXT_LINES, paragraphs: bool = False) -> Explanation:
    """Find every known ACR failure in ``text`` (an error message, a log, a pasted command and its output)."""
    return explain_chunks(string_chunks(text), before=before, paragraphs=paragraphs)


def explain_ticket(text: str) -> Explanation:
    """A whole support ticket (prose plus pasted logs) explained as one answer: ``most_likely`` first, then the
    rest of ``ranked``. The same recognisers as :func:`explain`, with a wider window before each hit
    (:data:`TICKET_CONTEXT_LINES`), so the ticket's prose classifies and names the error pasted below it, and its
    hand-wrapped paragraphs read whole."""
    return explain_chunks(string_chunks(text), before=TICKET_CONTEXT_LINES, paragraphs=True)


def explain_stream(stream: BinaryIO, progress: Callable[[int], None] | None = None, *,
                   before: int = CONTEXT_LINES, paragraphs: bool = False) -> Explanation:
    """Explain a byte stream (a log file, stdin) read incrementally as UTF-8; ``progress`` gets bytes read."""
    return explain_chunks(stream_chunks(stream, progress), before=before, paragraphs=paragraphs)


def explain_file(path: str | Path, progress: Callable[[int], None] | None = None, *,
                 before: int = CONTEXT_LINES, paragraphs: bool = False) -> Explanation:
    """Explain a log file without reading it whole; ``progress`` gets the bytes read so far."""
    with open(path, "rb") as fh:
        return explain_stream(fh, progress, before=before, paragraphs=paragraphs)
