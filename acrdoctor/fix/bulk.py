"""Deleting many manifests at the registry's pace: a bounded pool of workers, one listing per repository.

Why: one step at a time, with a GET before and after each DELETE, a bulk delete runs at a quarter of the rate
ACR allows, or less over the internet (issue 16: 150–480 deletes a minute against Basic/Standard's 500 and
Premium's 2,000). Here a run of delete steps is handed to ``concurrency`` workers; every request waits for its
bucket (:mod:`acrdoctor.fix.pace`), so the pool goes as fast as the documented limit and no faster.

What keeps it as safe as one step at a time:

* each repository's manifests are read from one listing (100 a page) taken at most :data:`FRESH_SECONDS` before
  a delete is sent; the delete is skipped when the manifest gained a tag or vanished since the plan, as before.
  ACR has no conditional delete, so a tag pushed inside that window is deleted with its manifest, as it would
  be inside the GET-then-DELETE window of a single step;
* the DELETE's own status says what happened (202 deleted, 404 already gone), so no read-back per step;
* every step's ``start`` line (with the state it was checked against) is in the journal before its DELETE is
  sent, and its ``end`` line once the answer is back, in whatever order answers come. A run killed at any
  moment leaves steps that are done, steps that started, and steps never begun; ``--resume`` redoes only the
  started ones, each after reading it again, so no delete is sent twice for a manifest already gone and nothing
  outside the plan is ever sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Protocol

from acrdoctor.actions import DeleteManifest
from acrdoctor.fix.journal import SUCCEEDED, Journal
from acrdoctor.fix.model import Step
from acrdoctor.fix.outcome import Outcome, differences, error_info
from acrdoctor.fix.sdk import FixClients

#: How old a repository's listing may be when a delete is checked against it.
FRESH_SECONDS = 30.0
#: Default number of workers: enough to keep Premium's 2,000 deletes a minute busy at 100 ms a round trip.
DEFAULT_CONCURRENCY = 8


def is_bulk(step: Step) -> bool:
    """Manifest deletes go through the pool; every other step runs on its own, in plan order."""
    return isinstance(step.action, DeleteManifest) and step.phase == "delete"


def segments(steps: Iterable[Step]) -> list[tuple[bool, list[Step]]]:
    """Consecutive steps split into runs of manifest deletes (bulk) and single other steps, order kept."""
    out: list[tuple[bool, list[Step]]] = []
    for step in steps:
        bulk = is_bulk(step)
        if bulk and out and out[-1][0]:
            out[-1][1].append(step)
        else:
            out.append((bulk, [step]))
    return out


class Listings:
    """Repository → its manifests' states, re-read when older than ``fresh`` seconds."""

    def __init__(self, read: Callable[[str], dict[str, dict[str, Any]]], fresh: float = FRESH_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.read, self.fresh, self.clock = read, fresh, clock
        self._taken: dict[str, tuple[float, dict[str, dict[str, Any]] | Exception]] = {}

    def state(self, repository: str, digest: str) -> dict[str, Any]:
        """The manifest's state from its repository's listing; a listing that failed fails again until it is stale
        (a refused repository costs one listing per ``fresh`` seconds, not one per planned delete)."""
        now = self.clock()
        taken = self._taken.get(repository)
        if taken is None or now - taken[0] > self.fresh:
            try:
                taken = (now, self.read(repository))
            except Exception as err:  # noqa: BLE001 - kept and raised again for the repository's other steps
                taken = (now, err)
            self._taken[repository] = taken
        listing = taken[1]
        if isinstance(listing, Exception):
            raise listing
        return listing.get(digest) or {"present": False}


class Runner(Protocol):
    """What the pool needs of :class:`acrdoctor.fix.apply.Applier` (named here, so this module need not import it)."""

    c: FixClients
    journal: Journal
    result: Any

    def _record(self, step: Step, outcome: Outcome) -> None: ...

    def _end(self, n: int, step: Step, before: dict[str, Any] | None, result: str, detail: str,
             error: dict[str, Any] | None = None) -> Outcome: ...


class BulkDeleter:
    """Runs one segment of manifest deletes for an :class:`~acrdoctor.fix.apply.Applier` (its journal, outcomes)."""

    def __init__(self, applier: Runner, concurrency: int = DEFAULT_CONCURRENCY, fresh: float = FRESH_SECONDS) -> None:
        self.a = applier
        self.concurrency = max(1, concurrency)
        #: Deletes sent or queued at once: one per worker plus one waiting each, so a worker never idles while the
        #: main thread records answers; one worker keeps one (a run as ordered as before, step by step).
        self.window = self.concurrency * 2 if self.concurrency > 1 else 1
        self.listings = Listings(applier.c.manifest_states, fresh)
        #: The state each submitted step was checked against, for its end line (written by the worker).
        self._before: dict[int, dict[str, Any]] = {}

    def run(self, steps: list[Step]) -> None:
        a = self.a
        inflight: dict[Future[Outcome], Step] = {}
        pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="acrdoctor-delete")
        try:
            for step in steps:
                stopped = a.c.pace.stopped if a.c.pace is not None else None
                if stopped is not None:
                    a._record(step, a._end(step.number, step, None, "not-run", f"not run: {stopped}"))
                    continue
                ready = self._prepare(step)
                if ready is not None:
                    a._record(step, ready)
                    continue
                inflight[pool.submit(self._delete, step)] = step
                while len(inflight) >= self.window:
                    self._collect(inflight, FIRST_COMPLETED)
            while inflight:
                self._collect(inflight, FIRST_COMPLETED)
        finally:
            # Ctrl-C: nothing new starts; the requests already sent finish and journal their end.
            pool.shutdown(wait=True, cancel_futures=True)
            for future, step in list(inflight.items()):
                if future.done() and not future.cancelled():  # journaled by its worker; no callbacks now
                    a.result.outcomes[step.number] = future.result()

    def _collect(self, inflight: dict[Future[Outcome], Step], how: str) -> None:
        done, _ = wait(list(inflight), return_when=how)
        for future in done:
            step = inflight.pop(future)
            self.a._record(step, future.result())

    def _prepare(self, step: Step) -> Outcome | None:
        """The outcome when the step must not be sent (blocked, gone, changed, unreadable), else None."""
        a, n, action = self.a, step.number, step.action
        assert isinstance(action, DeleteManifest)
        outcomes = a.result.outcomes
        blocked = [p for p in step.after if p in outcomes and outcomes[p].result not in SUCCEEDED]
        if blocked:
            return a._end(n, step, None, "not-run", f"not run: step {', '.join(map(str, blocked))} did not succeed")
        try:
            before = self.listings.state(action.repository, action.digest)
        except Exception as err:  # noqa: BLE001 - one unreadable repository fails its own steps only
            return a._end(n, step, None, "failed", "could not read the object", error_info(err))
        settled = action.settled(before)
        diff = [] if settled else differences(step, before, identity_only=True)
        if not (settled or diff):
            self._before[n] = before
            return None  # the worker writes its start line just before the DELETE goes out
        self._start(step, before)
        if settled:
            return a._end(n, step, before, "already", settled)
        return a._end(n, step, before, "skipped", "changed since the plan: " + "; ".join(diff))

    def _start(self, step: Step, before: dict[str, Any] | None) -> None:
        self.a.journal.write("start", step=step.number, action=type(step.action).__name__, object=step.subject,
                             commands=list(step.action.commands()), state_before=before)

    def _delete(self, step: Step) -> Outcome:
        """In a worker: the DELETE, and the step's end line as soon as the answer is back."""
        a, n, action = self.a, step.number, step.action
        assert isinstance(action, DeleteManifest)
        before = self._before.pop(n, None)
        self._start(step, before)
        try:
            status = a.c.delete_manifest(action.repository, action.digest)
        except Exception as err:  # noqa: BLE001 - one failed delete must not stop the others
            return a._end(n, step, before, "failed", "", error_info(err))
        if status == 404:
            return a._end(n, step, before, "already", "the manifest no longer exists (404 on delete)")
        return a._end(n, step, before, "done", "deleted")
