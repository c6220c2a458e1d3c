"""Applying a confirmed plan: check it still holds, run each step, journal everything, go on where safe.

Order of events (docs/fix.md):

1. the network steps are checked against the plan and run first: until the firewall lets the caller in,
   nothing else can even be read;
2. every other step's object is read again and compared with the plan; any difference stops the run
   before anything else changes, and the differences are reported;
3. the steps run in plan order, runs of manifest deletes by a pool of workers at the registry's pace
   (:mod:`acrdoctor.fix.bulk`). A step whose prerequisite did not succeed is not run; a delete is checked
   once more just before it runs (a new tag on a manifest or a new image in a repository makes it skip);
   an error (429 after retries, 5xx, 405 from a lock set meanwhile) fails that step only.

Nothing outside the plan is touched: every change is one of the plan's steps, and each step changes only
its own object.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from acrdoctor.fix import appliers
from acrdoctor.fix.bulk import DEFAULT_CONCURRENCY, FRESH_SECONDS, BulkDeleter, Listings, is_bulk, segments
from acrdoctor.fix.journal import SUCCEEDED, Journal
from acrdoctor.fix.model import FixPlan, Step
from acrdoctor.fix.outcome import Outcome, differences, error_info, error_text
from acrdoctor.fix.sdk import FixClients


@dataclass
class Change:
    """An object that is not what the plan expected."""

    number: int
    subject: str
    differences: list[str]


@dataclass
class ApplyResult:
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)

    @property
    def stopped(self) -> bool:
        """True when the check against the plan found changes: the remaining steps were not run."""
        return bool(self.changes)

    def count(self, *results: str) -> int:
        return sum(1 for o in self.outcomes.values() if o.result in results)


class Applier:
    """Runs one plan against one registry. ``done`` holds results carried over from a resumed journal."""

    def __init__(self, plan: FixPlan, clients: FixClients, journal: Journal, *,
                 done: dict[int, dict[str, Any]] | None = None, resumed: bool = False,
                 on_step: Callable[[Step, Outcome], None] | None = None,
                 concurrency: int = DEFAULT_CONCURRENCY, fresh: float = FRESH_SECONDS) -> None:
        self.plan, self.c, self.journal = plan, clients, journal
        self.resumed = resumed
        self.on_step = on_step
        self.concurrency, self.fresh = concurrency, fresh
        self.result = ApplyResult()
        for n, doc in (done or {}).items():
            if doc.get("result") in SUCCEEDED:
                self.result.outcomes[n] = Outcome(n, str(doc["result"]), f"{doc.get('detail', '')} (earlier run)")

    def _todo(self, steps: list[Step]) -> list[Step]:
        return [s for s in steps if s.number not in self.result.outcomes]

    def check(self, steps: list[Step]) -> list[Change]:
        """Read every step's object again and compare with the plan."""
        changes: list[Change] = []
        # Manifest deletes are compared with one listing per repository, taken once for this check.
        listings = Listings(self.c.manifest_states, float("inf"))
        for step in self._todo(steps):
            if step.expect is None:
                continue
            try:
                if is_bulk(step):
                    state = listings.state(step.action.repository, step.action.digest)  # type: ignore[attr-defined]
                else:
                    state = appliers.observe(step.action, self.c)
            except Exception as err:  # noqa: BLE001 - cannot verify: treat as changed, never guess
                changes.append(Change(step.number, step.subject, [f"could not be read: {error_text(error_info(err))}"]))
                continue
            diff = differences(step, state, identity_only=self.resumed)
            if diff and step.action.settled(state):
                continue  # already as the step would leave it (an interrupted run, or someone else): harmless
            if diff:
                changes.append(Change(step.number, step.subject, diff))
        return changes

    def run(self) -> ApplyResult:
        network = [s for s in self.plan.steps if s.phase == "network"]
        rest = [s for s in self.plan.steps if s.phase != "network"]
        for group in (network, rest):
            changes = self.check(group)
            if changes:
                self.result.changes = changes
                self.journal.write("changed", changes=[c.__dict__ for c in changes])
                return self.result
            for bulk, run in segments(self._todo(group)):
                if bulk:
                    BulkDeleter(self, self.concurrency, self.fresh).run(run)
                else:
                    self._record(run[0], self._run(run[0]))
        return self.result

    def _record(self, step: Step, outcome: Outcome) -> None:
        self.result.outcomes[step.number] = outcome
        if self.on_step is not None:
            self.on_step(step, outcome)

    def _run(self, step: Step) -> Outcome:
        n = step.number
        outcomes = self.result.outcomes
        blocked = [p for p in step.after if p in outcomes and outcomes[p].result not in SUCCEEDED]
        if blocked:
            return self._end(n, step, None, "not-run", f"not run: step {', '.join(map(str, blocked))} did not "
                             "succeed")
        try:
            before = appliers.observe(step.action, self.c)
        except Exception as err:  # noqa: BLE001
            return self._end(n, step, None, "failed", "could not read the object", error_info(err))
        self.journal.write("start", step=n, action=type(step.action).__name__, object=step.subject,
                           commands=list(step.action.commands()), state_before=before)
        settled = step.action.settled(before)
        if settled:
            return self._end(n, step, before, "already", settled)
        if step.action.destructive:
            diff = differences(step, before, identity_only=True)
            if diff:
                return self._end(n, step, before, "skipped", "changed since the plan: " + "; ".join(diff))
        try:
            detail = appliers.apply(step.action, self.c)
        except Exception as err:  # noqa: BLE001 - one failed step must not stop the others
            return self._end(n, step, before, "failed", "", error_info(err))
        return self._end(n, step, before, "done", detail)

    def _end(self, n: int, step: Step, before: dict[str, Any] | None, result: str, detail: str,
             error: dict[str, Any] | None = None) -> Outcome:
        if error is not None:
            detail = (detail + ": " if detail else "") + error_text(error)
        self.journal.write("end", step=n, action=type(step.action).__name__, object=step.subject,
                           state_before=before, result=result, detail=detail, error=error)
        return Outcome(n, result, detail, error)


def apply_plan(plan: FixPlan, clients: FixClients, journal: Journal, **kw: Any) -> ApplyResult:
    """The library entry point behind ``acrdoctor fix --apply`` (after confirmation)."""
    return Applier(plan, clients, journal, **kw).run()
