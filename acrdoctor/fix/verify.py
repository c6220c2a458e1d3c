"""After applying: read back what the plan touched, run its checks again, say per finding fixed or not."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from acrdoctor.engine import Catalogue, run_checks
from acrdoctor.fix.model import FixPlan
from acrdoctor.fix.plan import finding_key
from acrdoctor.model import Snapshot


@dataclass(frozen=True)
class FindingStatus:
    key: str
    check: str
    resource: str
    status: str  # fixed | not fixed | unknown
    now: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)


def verify(plan: FixPlan, after: Snapshot, catalogue: Catalogue) -> list[FindingStatus]:
    """Compare the plan's findings with what its checks find on ``after`` (a re-collection)."""
    known = set(catalogue.slugs())
    results = run_checks(after, catalogue.select([c for c in plan.checks if c in known]))
    now = {finding_key(f): f for r in results for f in r.findings}
    unknown = {r.slug: r.reason for r in results if r.reason}
    out: list[FindingStatus] = []
    for f in plan.findings:
        if f.check in unknown or f.check not in known:
            out.append(FindingStatus(f.key, f.check, f.resource, "unknown",
                                     unknown.get(f.check) or "the check is not installed"))
        elif f.key in now:
            out.append(FindingStatus(f.key, f.check, f.resource, "not fixed", now[f.key].message))
        else:
            out.append(FindingStatus(f.key, f.check, f.resource, "fixed"))
    return out
