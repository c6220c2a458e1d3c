"""One ``acrdoctor fix --apply`` run as a library call: journal, apply, re-collect, verify, exit code.

The CLI only parses options, asks for confirmation and renders; everything here works without click.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from acrdoctor import __version__
from acrdoctor.engine import Catalogue
from acrdoctor.fix.apply import Applier, ApplyResult
from acrdoctor.fix.bulk import DEFAULT_CONCURRENCY
from acrdoctor.fix.digest import plan_digest
from acrdoctor.fix.journal import SUCCEEDED, Journal
from acrdoctor.fix.model import FixPlan, Step
from acrdoctor.fix.outcome import Outcome, error_info, error_text
from acrdoctor.fix.sdk import FixClients
from acrdoctor.fix.verify import FindingStatus, verify
from acrdoctor.model import Snapshot

EXIT_DONE = 0
EXIT_INCOMPLETE = 1
EXIT_CHANGED = 4
EXIT_NOT_CONFIRMED = 5

#: Verification results that count as success.
FINE = frozenset({"fixed", "improved", "relocked"})

#: Re-collect what the plan touched: given repository names still in the catalog, return a snapshot.
Recollect = Callable[[tuple[str, ...]], Snapshot]


@dataclass
class FixRun:
    plan: FixPlan
    applied: ApplyResult
    verification: list[FindingStatus] = field(default_factory=list)
    verify_error: str | None = None

    @property
    def exit_code(self) -> int:
        if self.applied.stopped:
            return EXIT_CHANGED
        outcomes = self.applied.outcomes
        all_ran = all(outcomes.get(s.number) and outcomes[s.number].result in SUCCEEDED for s in self.plan.steps)
        fixed = self.verify_error is None and all(v.status in FINE for v in self.verification)
        return EXIT_DONE if all_ran and fixed else EXIT_INCOMPLETE

    def summary(self) -> dict[str, Any]:
        a = self.applied
        return {"done": a.count("done"), "already": a.count("already"), "failed": a.count("failed"),
                "skipped": a.count("skipped"), "not_run": a.count("not-run"),
                "left": len(self.plan.steps) - len(a.outcomes), "stopped": a.stopped,
                "fixed": sum(v.status == "fixed" for v in self.verification),
                "improved": sum(v.status == "improved" for v in self.verification),
                "relocked": sum(v.status == "relocked" for v in self.verification),
                "not_fixed": sum(v.status == "not fixed" for v in self.verification),
                "unknown": sum(v.status == "unknown" for v in self.verification)}


def start_journal(journal: Journal, plan: FixPlan, confirmed_by: str, *, resumed: bool) -> None:
    """Record the confirmation: the plan (first run) with its digest, or a resume of it.

    The line also copies the plan's endpoints where people reading the journal look for them; only the plan's
    own (bound by the digest) are ever used.
    """
    digest = plan_digest(plan)
    if resumed:
        journal.write("resume", confirmed_by=confirmed_by, plan_digest=digest, acrdoctor=__version__)
    else:
        journal.write("plan", plan=plan.to_dict(), plan_digest=digest, endpoints=plan.endpoints,
                      confirmed_by=confirmed_by, acrdoctor=__version__)


def execute(plan: FixPlan, clients: FixClients, journal: Journal, catalogue: Catalogue, *,
            recollect: Recollect | None = None, done: dict[int, dict[str, Any]] | None = None,
            resumed: bool = False, on_step: Callable[[Step, Outcome], None] | None = None,
            concurrency: int = DEFAULT_CONCURRENCY) -> FixRun:
    """Apply a confirmed plan (the journal already holds it), then verify; KeyboardInterrupt is journaled."""
    applier = Applier(plan, clients, journal, done=done, resumed=resumed, on_step=on_step, concurrency=concurrency)
    try:
        applied = applier.run()
    except KeyboardInterrupt:
        journal.write("interrupted", completed=sorted(applier.result.outcomes))
        raise
    run = FixRun(plan, applied)
    if applied.stopped or recollect is None:
        journal.write("finish", summary=run.summary())
        return run
    try:
        listed = clients.repository_names(fresh=True) if plan.touched_repositories else set()
        after = recollect(tuple(r for r in plan.touched_repositories if r in listed))
        run.verification = verify(plan, after, catalogue)
    except Exception as err:  # noqa: BLE001 - the changes are made; a failed read-back must not hide them
        run.verify_error = error_text(error_info(err))
    journal.write("verify", findings=[v.to_dict() for v in run.verification], error=run.verify_error)
    journal.write("finish", summary=run.summary())
    return run
