"""Finding the checks and running them over a snapshot.

Built-in checks live in the ``acrdoctor.checks`` package (the repository's top-level ``checks/``
folder, installed under ``acrdoctor`` so the wheel claims no generic top-level name). Plug-ins
register classes under the entry-point group ``acrdoctor.checks``; they get the same interface and
the same validation. A built-in slug always wins over a plug-in that reuses it, so a plug-in cannot
silently replace a catalogue entry.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import traceback
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from acrdoctor.check_api import Check, Context, Finding, Severity, SkipCheck, Status, validate_check
from acrdoctor.completeness import Coverage, Gap, describe_gaps
from acrdoctor.errors import InputError, UnknownCheckError
from acrdoctor.model import Snapshot
from acrdoctor.printed_once import print_each_command_once
from acrdoctor.snapshot_io import gc_paused

ENTRY_POINT_GROUP = "acrdoctor.checks"


@dataclass(frozen=True, slots=True)
class CheckResult:
    check: type[Check]
    status: Status
    findings: tuple[Finding, ...] = ()
    reason: str | None = None
    #: For errored checks: the exception's traceback, shown only with --verbose.
    trace: str | None = None
    #: Parts the check reads that were not collected everywhere (for incomplete and lower-bound results).
    gaps: tuple[Gap, ...] = ()

    @property
    def slug(self) -> str:
        return self.check.slug

    @property
    def lower_bound(self) -> bool:
        """Findings made on partial data: there may be more in what the collector could not see."""
        return self.status is Status.FAILED and bool(self.gaps)

    @property
    def incomplete(self) -> bool:
        """Whether this result leaves the registry "not known to be clean" (exit code 3)."""
        return self.status in (Status.SKIPPED, Status.ERRORED, Status.INCOMPLETE) or self.lower_bound

    def worst(self) -> Severity | None:
        if not self.findings:
            return None
        return max((f.severity for f in self.findings), key=lambda s: s.rank)


@dataclass(frozen=True, slots=True)
class Report:
    snapshot: Snapshot
    results: tuple[CheckResult, ...]
    plugin_warnings: tuple[str, ...] = field(default_factory=tuple)

    def findings(self) -> list[Finding]:
        return [f for r in self.results for f in r.findings]

    def counts(self) -> dict[Status, int]:
        out = {s: 0 for s in Status}
        for r in self.results:
            out[r.status] += 1
        return out

    @property
    def judged_everything(self) -> bool:
        """Whether every check judged complete data: no skip, error, incomplete result or lower bound."""
        return not any(r.incomplete for r in self.results)

    def exit_code(self, fail_on: Severity) -> int:
        """0 clean, 1 findings at or above ``fail_on``, 3 data incomplete (skipped, errored or incomplete
        checks, or findings that are a lower bound)."""
        if any(f.severity.at_least(fail_on) for f in self.findings()):
            return 1
        if not self.judged_everything:
            return 3
        return 0


def _check_classes_in(module: object) -> list[type[Check]]:
    found = []
    for _, obj in inspect.getmembers(module, inspect.isclass):
        if issubclass(obj, Check) and obj is not Check and obj.__module__ == getattr(module, "__name__", None) \
                and getattr(obj, "slug", None):
            found.append(obj)
    return found


def builtin_checks() -> list[type[Check]]:
    import acrdoctor.checks as pkg

    out: list[type[Check]] = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        out.extend(_check_classes_in(module))
    order = {slug: i for i, slug in enumerate(getattr(pkg, "CATALOGUE_ORDER", ()))}
    return sorted(out, key=lambda c: (order.get(c.slug, len(order)), c.slug))


def plugin_checks(warn: list[str]) -> list[type[Check]]:
    """Load checks from the entry-point group; a broken plug-in is reported, never fatal."""
    # Reading the installed distributions' metadata costs tens of milliseconds: only when plug-ins load.
    from importlib.metadata import entry_points

    out: list[type[Check]] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
        except Exception as exc:  # noqa: BLE001 - a plug-in may fail in any way
            warn.append(f"plug-in {ep.name!r} ({ep.value}) failed to load: {exc}")
            continue
        classes = [obj] if inspect.isclass(obj) else _check_classes_in(obj)
        for cls in classes:
            if not (inspect.isclass(cls) and issubclass(cls, Check)):
                warn.append(f"plug-in {ep.name!r} ({ep.value}) is not an acrdoctor Check class or module")
                continue
            out.append(cls)
    return out


class Catalogue:
    """Every known check, validated, keyed by slug, in a stable order (built-ins first)."""

    def __init__(self, checks: Sequence[type[Check]], warnings_: Sequence[str] = ()) -> None:
        self.warnings: list[str] = list(warnings_)
        self._by_slug: dict[str, type[Check]] = {}
        for cls in checks:
            try:
                validate_check(cls)
            except ValueError as exc:
                self.warnings.append(f"ignored check: {exc}")
                continue
            if cls.slug in self._by_slug:
                self.warnings.append(f"ignored check {cls.__module__}.{cls.__name__}: slug {cls.slug!r} is taken")
                continue
            self._by_slug[cls.slug] = cls

    @classmethod
    def load(cls, plugins: bool = True) -> Catalogue:
        warn: list[str] = []
        found = builtin_checks()
        if plugins:
            found += plugin_checks(warn)
        return cls(found, warn)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._by_slug.values())

    def __len__(self) -> int:
        return len(self._by_slug)

    def slugs(self) -> list[str]:
        return list(self._by_slug)

    def get(self, slug: str) -> type[Check]:
        try:
            return self._by_slug[slug]
        except KeyError:
            raise UnknownCheckError(
                f"unknown check {slug!r}; run 'acrdoctor checks list' to see the {len(self)} known checks"
            ) from None

    def select(self, slugs: Iterable[str] | None = None, skip: Iterable[str] = ()) -> list[type[Check]]:
        """The checks to run; a selection that ``skip`` empties is an input error.

        Running nothing would report "no issues found" and exit 0: a pass on data no check looked at.
        """
        chosen = list(self) if not slugs else [self.get(s) for s in dict.fromkeys(slugs)]
        skipped = {self.get(s).slug for s in skip}
        selected = [c for c in chosen if c.slug not in skipped]
        if chosen and not selected:
            what = f"every check selected is also skipped ({', '.join(c.slug for c in chosen)})" if slugs else \
                f"all {len(chosen)} checks are skipped"
            raise InputError(f"nothing to run: {what}")
        return selected


def _skip_reason(check: type[Check], snapshot: Snapshot) -> str | None:
    missing = [p for p in sorted(check.needs, key=lambda p: p.value) if not snapshot.has(p)]
    if not missing:
        return None
    failed = [e for p in missing for e in snapshot.errors_for(p)]
    why = "; ".join(e.describe() for e in failed[:2])
    text = "needs " + ", ".join(p.label for p in missing) + ", which " + (
        "was" if len(missing) == 1 else "were") + " not collected"
    return f"{text} ({why})" if why else text


def run_checks(snapshot: Snapshot, checks: Sequence[type[Check]],
               context: Context | None = None) -> tuple[CheckResult, ...]:
    """Run each check; missing data skips it, an exception marks it errored, and the run goes on.

    Data collected for only some repositories turns an empty result into ``incomplete`` and marks
    findings as a lower bound, naming what the check could not see. ``context`` (of this snapshot) lets a
    caller reuse what the checks computed, such as the storage index a fix plan needs again.
    """
    ctx = context if context is not None and context.snapshot is snapshot else Context(snapshot)
    coverage = Coverage(snapshot)
    results = []
    for cls in checks:
        reason = _skip_reason(cls, snapshot)
        if reason:
            results.append(CheckResult(cls, Status.SKIPPED, reason=reason))
            continue
        try:
            check = cls()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                findings = tuple(check.run(ctx))
                gaps = check.blind_spots(ctx, coverage.gaps(cls.needs | cls.uses))
        except SkipCheck as skip:
            results.append(CheckResult(cls, Status.SKIPPED, reason=str(skip)))
            continue
        except Exception as exc:  # noqa: BLE001 - isolating crashing checks is the point
            results.append(CheckResult(cls, Status.ERRORED, reason=f"{type(exc).__name__}: {exc}",
                                       trace=traceback.format_exc()))
            continue
        if findings:
            # Worst first; the sort is stable, so a check's own order survives within one severity.
            findings = tuple(sorted(findings, key=lambda f: -f.severity.rank))
            reason = f"lower bound, could not see: {describe_gaps(gaps)}" if gaps else None
            results.append(CheckResult(cls, Status.FAILED, findings, reason=reason, gaps=gaps))
        elif gaps:
            results.append(CheckResult(cls, Status.INCOMPLETE, reason=f"could not see: {describe_gaps(gaps)}",
                                       gaps=gaps))
        else:
            results.append(CheckResult(cls, Status.PASSED))
    return tuple(results)


def diagnose(snapshot: Snapshot, slugs: Iterable[str] | None = None, skip: Iterable[str] = (),
             catalogue: Catalogue | None = None) -> Report:
    """The library entry point behind ``acrdoctor diagnose``."""
    cat = catalogue or Catalogue.load()
    checks = cat.select(slugs, skip)
    # The checks create hundreds of thousands of small acyclic objects on a large registry (findings, one delete
    # action per dangling manifest); the cyclic collector rescanning them cost about a fifth of the checks' time
    # (0.65 s of 3.3 s CPU at 200,000 manifests, 1.1 s at 400,000). Reference counting still frees them.
    with gc_paused():
        return Report(snapshot, print_each_command_once(run_checks(snapshot, checks)), tuple(cat.warnings))
