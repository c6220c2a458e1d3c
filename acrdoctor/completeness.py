"""Which parts of a snapshot were not collected everywhere, so that partial data is never reported as a pass.

A listing can fail for some repositories only (a 5xx left after retries, a truncated body, a 403 on one
repository). The part then counts as collected and no check is skipped for it, yet a check reading it saw
only part of the registry: finding nothing there is not a pass, and what it did find is a lower bound.
The engine asks :class:`Coverage`, once per check, for the gaps in the parts that check reads.

What was collected is decided by the data, as everywhere in a snapshot (``docs/snapshot.md``): a listing
present for a repository is complete for it even when an earlier attempt was refused. Errors decide only
where the data cannot show its own absence (repository properties) and name the cause of each gap.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from acrdoctor.model import CollectionError, Part, Snapshot
from acrdoctor.units import plural

#: Parts held per repository: a failed repository list also leaves them uncollected.
PER_REPOSITORY = frozenset({Part.REPOSITORIES, Part.MANIFESTS, Part.TAGS, Part.MANIFEST_BODIES})
#: Parts a check can lack without a gap: the registry is always there, and errors are what gaps are made of.
_ALWAYS = frozenset({Part.REGISTRY, Part.ERRORS})
_ORDER = {p: i for i, p in enumerate(Part)}
#: How many repository names a gap's text shows; ``Gap.repositories`` always has all of them.
SHOWN = 5


@dataclass(frozen=True, slots=True)
class Gap:
    """One part a check reads that was not collected everywhere, and why when the collector recorded it.

    ``repositories`` names those it is missing for; it is empty when the collector did not say which
    (a scan limited to chosen repositories) or when ``everywhere`` is set (the part's collection failed).
    """

    part: Part
    repositories: tuple[str, ...] = ()
    errors: tuple[CollectionError, ...] = ()
    everywhere: bool = False

    def describe(self) -> str:
        label = self.part.label
        n = len(self.repositories)
        if self.everywhere:
            text = f"{label} could not be collected"
        elif n:
            names = ", ".join(self.repositories[:SHOWN]) + (f" and {n - SHOWN} more" if n > SHOWN else "")
            text = f"{label} missing for {plural(n, 'repository', 'repositories')} ({names})"
        else:
            text = f"{label} collected for only some repositories"
        if self.errors:
            text += f" ({self.errors[0].describe()}"
            more = len(self.errors) - 1
            text += f", and {plural(more, 'more error')})" if more else ")"
        return text


def describe_gaps(gaps: Iterable[Gap]) -> str:
    return "; ".join(g.describe() for g in gaps)


class Coverage:
    """The gaps of one snapshot, part by part, each worked out once and shared by every check."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self._gaps: dict[Part, Gap | None] = {}

    def gaps(self, parts: Iterable[Part]) -> tuple[Gap, ...]:
        out = []
        for part in sorted(set(parts), key=_ORDER.__getitem__):
            if part not in self._gaps:
                self._gaps[part] = self._gap(part)
            gap = self._gaps[part]
            if gap is not None:
                out.append(gap)
        return tuple(out)

    def _errors(self, part: Part) -> list[CollectionError]:
        return [e for e in self.snapshot.errors_for(part) if e.during_collection]

    def _gap(self, part: Part) -> Gap | None:
        if part in _ALWAYS:
            return None
        s = self.snapshot
        errors = self._errors(part)
        if not s.has(part):
            # Never asked for is a choice (a check that merely uses the part judges without it); asked for and
            # refused is a gap. Per-repository parts also fail with the repository list.
            if part in PER_REPOSITORY and s.repositories is None:
                errors += [e for e in self._errors(Part.REPOSITORIES) if e.repository is None]
            return Gap(part, errors=tuple(errors), everywhere=True) if errors else None
        missing = self._missing(part, errors)
        if not missing and part not in s.partial:
            return None
        if missing:
            errors = [e for e in errors if e.repository is None or e.repository in missing]
        return Gap(part, tuple(sorted(missing)), tuple(errors))

    def _missing(self, part: Part, errors: list[CollectionError]) -> set[str]:
        repos = self.snapshot.repositories or ()
        if part is Part.REPOSITORIES:
            # A repository whose properties could not be read is still listed, with its locks unknown.
            listed = {r.name for r in repos}
            return {e.repository for e in errors if e.repository in listed and e.repository is not None}
        if part is Part.MANIFESTS:
            return {r.name for r in repos if r.manifests is None}
        if part is Part.TAGS:
            return {r.name for r in repos if r.tags is None}
        if part is Part.MANIFEST_BODIES:
            return {r.name for r in repos
                    if r.manifests is not None and any(not m.is_index and not m.has_body for m in r.manifests)}
        return set()
