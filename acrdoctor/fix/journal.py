"""The fix journal: one JSON object per line, written before and after every step.

The first line is the confirmed plan itself, so ``--resume`` re-applies exactly what was confirmed and
nothing planned later from a changed registry. Each step gets a ``start`` line (with the object's state
just before) and an ``end`` line (with the result); a step with a ``start`` and no ``end`` was
interrupted, and since every action reads the state first and does nothing when it is already done,
running it again is harmless. Lines are flushed and fsynced one by one, each before the request it announces is
sent: a killed process loses at most the line being written; :func:`read_journal` skips such a torn line and the
next run starts a new one. (An fsync costs about 0.5 ms on the benchmark machine's disk, 2,110 lines a second: a
bulk delete at Premium's 2,000 deletes a minute writes about 67 lines a second.)
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from acrdoctor.clock import iso_stamp, system_clock
from acrdoctor.errors import InputError
from acrdoctor.fix.digest import DIGEST_FORM
from acrdoctor.fix.model import FixPlan, endpoints_form
from acrdoctor.user_files import parse_json, read_text

#: Results that count as success for the steps that depend on them, and need no redo on resume.
SUCCEEDED = frozenset({"done", "already"})


def now() -> str:
    return iso_stamp(system_clock())


def _ends_mid_line(path: Path) -> bool:
    """Whether the file's last byte is not a newline (a journal may be large: read one byte, not the file)."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    with path.open("rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) != b"\n"


class Journal:
    """Append-only writer. ``Journal(None)`` keeps events in memory only (library use, tests); a journal with a
    file keeps none (a 200,000-step run writes 400,000 lines: the file holds them, :func:`read_journal` reads them)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.events: list[dict[str, Any]] = []
        self._fh: IO[str] | None = None
        #: Workers of a bulk delete write their end lines concurrently: one whole line at a time.
        self._lock = threading.Lock()
        if path is not None:
            try:
                torn = _ends_mid_line(path)
                self._fh = path.open("a", encoding="utf-8")
                if torn:  # a killed run left half a line: start ours on a line of its own
                    self._fh.write("\n")
            except OSError as err:
                raise InputError(f"cannot write the journal {path}: {err.strerror or err}") from None

    def write(self, event: str, **fields: Any) -> dict[str, Any]:
        doc = {"time": now(), "event": event, **fields}
        line = json.dumps(doc, sort_keys=False, default=str) + "\n" if self._fh is not None else ""
        with self._lock:
            if self.path is None:
                self.events.append(doc)
            if self._fh is not None:
                self._fh.write(line)
                self._fh.flush()
                os.fsync(self._fh.fileno())
        return doc

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


@dataclass
class JournalState:
    """What a journal says happened: the plan, each step's last result, and steps left hanging."""

    plan: FixPlan
    results: dict[int, dict[str, Any]] = field(default_factory=dict)
    started: set[int] = field(default_factory=set)
    events: list[dict[str, Any]] = field(default_factory=list)
    finished: bool = False
    torn_lines: int = 0
    #: The plan's digest as recorded when it was written or confirmed (None in files from before digests).
    plan_digest: str | None = None
    #: The line's copy of the plan's endpoints (``arm_endpoint``, ``ca_file``; never credentials), for people
    #: reading the journal: ``--resume`` uses ``plan.endpoints``, which the digest binds.
    endpoints: dict[str, str | None] = field(default_factory=dict)

    @property
    def interrupted(self) -> list[int]:
        return sorted(self.started - set(self.results))

    def succeeded(self) -> set[int]:
        return {n for n, r in self.results.items() if r.get("result") in SUCCEEDED}


def read_journal(path: Path) -> JournalState:
    """Read a journal (or a plan file written with ``--plan-out``, which is a journal of one line)."""
    lines = read_text(path).splitlines()
    events: list[dict[str, Any]] = []
    torn = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            doc = parse_json(line, f"{path}:{number}")
        except InputError:
            if not events:
                raise InputError(f"{path}:{number}: not a JSON line; is this an acrdoctor fix journal?") from None
            torn += 1  # half a line left by a killed process; the lines around it are whole
            continue
        if not isinstance(doc, dict):
            raise InputError(f"{path}:{number}: expected a JSON object")
        events.append(doc)
    if not events or events[0].get("event") != "plan":
        raise InputError(f"{path} does not start with a fix plan; is this an acrdoctor fix journal?")
    first = events[0]
    recorded, endpoints = first.get("plan_digest"), first.get("endpoints") or {}
    # Both end up in messages and requests: only the forms acrdoctor writes are accepted.
    if not (recorded is None or (isinstance(recorded, str) and DIGEST_FORM.match(recorded))) \
            or not endpoints_form(endpoints):
        raise InputError(f"{path}:1: malformed plan_digest or endpoints; is this an acrdoctor fix journal?")
    state = JournalState(FixPlan.from_dict(first.get("plan")), events=events, torn_lines=torn, plan_digest=recorded,
                         endpoints=endpoints)
    for doc in events[1:]:
        step = doc.get("step")
        if doc.get("event") == "start" and isinstance(step, int):
            state.started.add(step)
        elif doc.get("event") == "end" and isinstance(step, int):
            state.results[step] = doc
        elif doc.get("event") == "finish":
            state.finished = True
    return state
