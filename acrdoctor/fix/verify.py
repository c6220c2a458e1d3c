"""After applying: read back what the plan touched, run its checks again, say per finding fixed or not.

``fixed``: the check no longer reports it. ``improved``: still reported, at a lower severity.
``relocked``: a lock finding whose unlock ``--relock`` undid on purpose. ``not fixed``: reported as
before. ``unknown``: the check could not run on what was read back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from acrdoctor.check_api import Severity, Status
from acrdoctor.completeness import describe_gaps
from acrdoctor.engine import Catalogue, CheckResult, run_checks
from acrdoctor.fix.model import FixPlan
from acrdoctor.fix.plan import finding_key
from acrdoctor.model import Snapshot


@dataclass(frozen=True)
class FindingStatus:
    key: str
    check: str
    resource: str
    status: str  # fixed | improved | relocked | not fixed | unknown
    now: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)


def _cannot_verify(r: CheckResult) -> str | None:
    """Why a check's result says nothing about the plan's findings: it did not run, or reading back failed.

    The read-back covers only the repositories the plan touched, on purpose, so a gap that names no
    repository (the others were not read) does not count; a listing that failed on a touched one does.
    """
    if r.status in (Status.SKIPPED, Status.ERRORED):
        return r.reason or r.status.value
    failed = [g for g in r.gaps if g.repositories or g.everywhere]
    return f"could not see: {describe_gaps(failed)}" if failed else None


def verify(plan: FixPlan, after: Snapshot, catalogue: Catalogue) -> list[FindingStatus]:
    """Compare the plan's findings with what its checks find on ``after`` (a re-collection)."""
    known = set(catalogue.slugs())
    results = run_checks(after, catalogue.select([c for c in plan.checks if c in known]))
    now = {finding_key(f): f for r in results for f in r.findings}
    unknown = {r.slug: why for r in results if (why := _cannot_verify(r))}
    # A lock finding whose unlock --relock undid on purpose is still found, and that is the intended end.
    relocked = {s.subject for s in plan.steps if s.phase == "relock"}
    restored = {k for s in plan.steps if s.phase == "unlock" and s.subject in relocked for k in s.findings}
    restored -= {k for s in plan.steps if s.phase not in ("unlock", "relock") for k in s.findings}
    acted = {k for s in plan.steps for k in s.findings}
    out: list[FindingStatus] = []
    for f in plan.findings:
        if f.key not in acted:
            continue  # only manual steps: nothing acrdoctor did can have fixed it
        if f.check in unknown or f.check not in known:
            out.append(FindingStatus(f.key, f.check, f.resource, "unknown",
                                     unknown.get(f.check) or "the check is not installed"))
        elif f.key in now and f.key in restored:
            out.append(FindingStatus(f.key, f.check, f.resource, "relocked", "unlocked for the plan, locked again"))
        elif f.key in now and now[f.key].severity.rank < Severity(f.severity).rank:
            # Still reported, but less severe: the firewall finding becomes a low "restrictive setting"
            # warning once the caller is no longer denied.
            out.append(FindingStatus(f.key, f.check, f.resource, "improved",
                                     f"now {now[f.key].severity.value}: {now[f.key].message}"))
        elif f.key in now:
            out.append(FindingStatus(f.key, f.check, f.resource, "not fixed", now[f.key].message))
        else:
            out.append(FindingStatus(f.key, f.check, f.resource, "fixed"))
    return out
