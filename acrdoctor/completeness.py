"""Which parts of a snapshot were not collected everywhere, so that partial data is never reported as a pass.

A listing can fail for some repositories only (a 5xx left after retries, a truncated body, a 403 on one
repository). The part then counts as collected and no check is skipped for it, yet a check reading it saw
only part of the registry: finding nothing there is not a pass, and what it did find is a lower bound.
The engine asks :class:`Coverage`, once per check, for the gaps in the parts that check reads.

What was collected is decided by the data, as everywhere in a snapshot (``docs/snapshot.md``): a listing
present for a repository is complete for it even when an earlier attempt was refused. Errors decide only
where the data cannot show its own absence (repository properties) and name the cause of each gap.

One exception: a listing that ended early is present but not complete. Very large registries have answered
``az acr repository list`` with a partial catalog and no error (Azure/acr#875), so :func:`cut_short` treats as
short every listing the collector recorded as incomplete (``Snapshot.listings``) and every one the data itself
contradicts: ACR's own ``manifestCount``/``tagCount`` above what was listed, a tag pointing at a digest the
manifest listing lacks, the same digest or tag listed twice (pages that overlapped, so others may be missing).
Checks reading those listings then get a gap instead of a pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from acrdoctor.model import CollectionError, Part, Repository, Snapshot
from acrdoctor.units import plural

#: Parts held per repository: a failed repository list also leaves them uncollected.
PER_REPOSITORY = frozenset({Part.REPOSITORIES, Part.MANIFESTS, Part.TAGS, Part.MANIFEST_BODIES})
#: Parts a check can lack without a gap: the registry is always there, and errors are what gaps are made of.
_ALWAYS = frozenset({Part.REGISTRY, Part.ERRORS})
_ORDER = {p: i for i, p in enumerate(Part)}
#: How many repository names a gap's text shows; ``Gap.repositories`` always has all of them.
SHOWN = 5


#: Said of an inferred short listing: ACR leaves objects locked with listEnabled=false out of listings (image-lock
#: docs), which the data cannot tell from a listing that stopped; either way the snapshot does not show them.
_HIDDEN = " (or they are locked with list-enabled=false, which hides them from listings)"

#: Which snapshot part each listing fills.
LISTING_PART = {"catalog": Part.REPOSITORIES, "manifests": Part.MANIFESTS, "tags": Part.TAGS}


@dataclass(frozen=True, slots=True)
class ShortListing:
    """One listing known to have ended early: recorded so by the collector, or contradicted by the data.

    ``listed`` is what the snapshot holds, ``expected`` what ACR said elsewhere (its counts), when known.
    ``recorded`` tells a collector's own record (``Snapshot.listings``) from an inference from the data.
    """

    listing: str
    repository: str | None
    reason: str
    listed: int | None = None
    expected: int | None = None
    recorded: bool = False

    @property
    def part(self) -> Part:
        return LISTING_PART.get(self.listing, Part.REPOSITORIES)

    def describe(self) -> str:
        where = f"{self.listing} of {self.repository}" if self.repository else f"the {self.listing}"
        return f"{where}: {self.reason}"


def _derived(repo: Repository) -> list[ShortListing]:
    """What one repository's own data says about its listings having ended early."""
    out: list[ShortListing] = []
    name = repo.name
    if repo.manifests is not None:
        n = len(repo.manifests)
        digests = {m.digest for m in repo.manifests}
        if repo.manifest_count is not None and repo.manifest_count > n:
            out.append(ShortListing("manifests", name, f"ACR counts {repo.manifest_count:,} manifests, "
                                    f"{n:,} were listed" + _HIDDEN, n, repo.manifest_count))
        elif len(digests) < n:
            out.append(ShortListing("manifests", name, f"{n - len(digests):,} digests listed twice (pages "
                                    "overlapped, so others may be missing)", n, repo.manifest_count))
        elif repo.tags is not None:
            unlisted = sorted({t.digest for t in repo.tags} - digests)
            if unlisted:
                reason = f"{len(unlisted):,} tagged digests are not in the manifest listing (first {unlisted[0][:19]}…)"
                out.append(ShortListing("manifests", name, reason + _HIDDEN, n, repo.manifest_count))
    if repo.tags is not None:
        n = len(repo.tags)
        names = {t.name for t in repo.tags}
        if repo.tag_count is not None and repo.tag_count > n:
            out.append(ShortListing("tags", name, f"ACR counts {repo.tag_count:,} tags, {n:,} were listed" + _HIDDEN,
                                    n, repo.tag_count))
        elif len(names) < n:
            out.append(ShortListing("tags", name, f"{n - len(names):,} tags listed twice (pages overlapped, so "
                                    "others may be missing)", n, repo.tag_count))
    return out


def cut_short(snapshot: Snapshot) -> tuple[ShortListing, ...]:
    """Every listing of ``snapshot`` that ended early, the collector's records first, one per listing."""
    out: dict[tuple[str, str | None], ShortListing] = {}
    listings = snapshot.listings
    for rec in listings.incomplete() if listings is not None else ():
        key = (rec.listing, rec.repository if rec.listing != "catalog" else None)
        if key in out:
            continue
        reason = rec.reason or "the collector recorded it as incomplete"
        if rec.items is not None and rec.expected is not None:
            reason += f" ({rec.items:,} of {rec.expected:,} listed)"
        elif rec.items is not None:
            reason += f" ({rec.items:,} listed" + (f" in {rec.pages:,} pages)" if rec.pages else ")")
        out[key] = ShortListing(rec.listing, key[1], reason, rec.items, rec.expected, recorded=True)
    for repo in snapshot.repositories or ():
        for short in _derived(repo):
            out.setdefault((short.listing, short.repository), short)
    return tuple(out.values())


def short_listings(snapshot: Snapshot) -> set[str]:
    """Repositories whose manifest or tag listing ended early: nothing read from them is complete."""
    return {s.repository for s in cut_short(snapshot) if s.repository is not None and s.listing != "catalog"}


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
    #: Listings of this part that are present but ended early (their repositories are in ``repositories`` too).
    cut_short: tuple[ShortListing, ...] = ()

    def describe(self) -> str:
        label = self.part.label
        short = {c.repository for c in self.cut_short}
        n = len([r for r in self.repositories if r not in short])
        if self.everywhere:
            text = f"{label} could not be collected"
        elif self.cut_short and not n:
            shown = "; ".join(c.describe() for c in self.cut_short[:SHOWN])
            more = len(self.cut_short) - SHOWN
            text = f"{label} cut short ({shown}" + (f"; and {more} more)" if more > 0 else ")")
        elif n:
            names = ", ".join(self.repositories[:SHOWN]) + (f" and {n - SHOWN} more" if n > SHOWN else "")
            text = f"{label} missing for {plural(n, 'repository', 'repositories')} ({names})"
            if self.cut_short:
                text += f", and cut short for {plural(len(self.cut_short), 'listing')}"
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
        self._short: tuple[ShortListing, ...] | None = None

    def short(self, part: Part) -> tuple[ShortListing, ...]:
        """The listings of ``part`` that ended early (worked out once for every part)."""
        if self._short is None:
            self._short = cut_short(self.snapshot)
        return tuple(c for c in self._short if c.part is part)

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
        short = self.short(part) if part in LISTING_PART.values() else ()
        if not missing and not short and part not in s.partial:
            return None
        names = missing | {c.repository for c in short if c.repository is not None}
        if names:
            errors = [e for e in errors if e.repository is None or e.repository in names]
        return Gap(part, tuple(sorted(names)), tuple(errors), cut_short=short)

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
