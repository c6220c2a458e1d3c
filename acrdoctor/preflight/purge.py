"""What ``acr purge`` would select on a snapshot: the exact rules of Azure/acr-cli, replayed offline.

Source of every rule: acr-semantics notes §2.2–2.3, checked against Azure/acr-cli @ cfbb835
(``cmd/acr/purge.go``: ``purge``, ``getTagsToDelete``, ``purgeDanglingManifests``, ``sortManifestsByTime``;
``cmd/repository/image_functions.go``: ``CollectTagFilters``, ``GetUntaggedManifests``,
``checkManifestDeletabilityAndGetDependencies``, ``addDependentManifestsToIgnoreList``).

* Repository part: ``"^" + part + "$"`` searched in every repository name (so ``a|b`` becomes ``^a|b$``).
  Several filters hitting one repository are joined into one tag regex with ``|``.
* Tag phase: tags newest first by ``lastUpdateTime``; eligible when the tag regex is *found* in the name
  (unanchored), ``lastUpdateTime`` is strictly before ``now - ago`` and, without ``--include-locked``, both
  ``deleteEnabled`` and ``writeEnabled`` are true. ``--keep N`` skips the first N eligible tags.
* Manifest phase (``--untagged``/``--untagged-only``): locked manifests are skipped before anything else (so a
  locked index does not protect its children); a manifest keeps tags → protected; ``lastUpdateTime`` after the
  cutoff, missing or unreadable → protected (the cutoff is ``now`` without ``--ago``); a protected index protects
  all its descendants; no media type → kept; OCI manifests with a ``subject`` → kept; ``--keep N`` keeps the N
  newest remaining candidates.

Regexes run on the ``regex`` module with ``timeout=`` (acr-cli uses regexp2 with a match timeout; Python's
``re`` has none), after :mod:`acrdoctor.preflight.regexp2` respells what regexp2 writes differently.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import regex

from acrdoctor.checks.locked_artifacts import LockedArtifacts
from acrdoctor.errors import InputError
from acrdoctor.model import INDEX_MEDIA_TYPES, Manifest, Repository, Snapshot, Tag
from acrdoctor.preflight.commands import MAX_AGO, parse_ago, registry_name
from acrdoctor.preflight.model import (
    Blocked,
    BlockLevel,
    ManifestRef,
    PlanWarning,
    PurgeRequest,
    Selection,
    TagRef,
)
from acrdoctor.preflight.regexp2 import compile_filter
from acrdoctor.snapshot_io import gc_paused
from acrdoctor.times import parse_time

__all__ = ["check_registry", "select_purge"]

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_ARTIFACT = "application/vnd.oci.artifact.manifest.v1+json"
#: Media types whose body acr purge reads for a ``subject`` before deleting (the rest are deleted unread).
_SUBJECT_CHECKED = frozenset({OCI_MANIFEST, OCI_INDEX, OCI_ARTIFACT})

HUGE_AGO = timedelta(days=3650)
LOCKS = LockedArtifacts.slug
_TOOL_SKIP_TAG = ("locked (deleteEnabled or writeEnabled is false): acr purge skips it silently "
                  "without --include-locked")
_TOOL_SKIP_MANIFEST = ("locked (deleteEnabled or writeEnabled is false): acr purge skips this untagged manifest "
                       "silently without --include-locked")
#: Tag names a regex must all match to count as "matches everything" (``.*``, ``.+``, ``\w*`` …).
_BROAD_PROBES = ("latest", "v1.2.3", "1.0", "main-20240101.1", "sha256-0123abcd.sig", "x", "RC")


def check_registry(name: str | None, snapshot: Snapshot) -> None:
    """``InputError`` when the command names another registry than the snapshot's (``None``/empty: the default)."""
    if not name:
        return
    wanted = registry_name(name).lower()
    known = {snapshot.registry.name.lower(), registry_name(snapshot.registry.login_server).lower()}
    if wanted not in known:
        raise InputError(f"the command targets registry {name!r} but the snapshot is of {snapshot.registry.name!r}")


# -- regex helpers ----------------------------------------------------------------------------------------------


def _compile(expression: str, what: str) -> regex.Pattern[str]:
    try:
        return compile_filter(expression)
    except regex.error as exc:
        raise InputError(f"invalid regex {expression!r} in {what}: {exc}") from None


def _search(pattern: regex.Pattern[str], text: str, timeout: float, what: str) -> bool:
    try:
        return pattern.search(text, timeout=timeout) is not None
    except TimeoutError:
        raise InputError(f"regex of {what} timed out after {timeout:g}s on {text!r} "
                         "(acr purge stops with a timeout error too; simplify it or raise --filter-timeout-seconds)"
                         ) from None


def _fullmatch(pattern: regex.Pattern[str], text: str, timeout: float, what: str) -> bool:
    try:
        return pattern.fullmatch(text, timeout=timeout) is not None
    except TimeoutError:
        raise InputError(f"regex of {what} timed out after {timeout:g}s on {text!r}") from None


def _filter_text(flt: tuple[str, str]) -> str:
    return f"--filter {flt[0] + ':' + flt[1]!r}"


def _examples(items: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


# -- warnings about the filters themselves -----------------------------------------------------------------------


def _glob_stars(part: str) -> list[int]:
    """Positions of ``*`` that read as a shell glob: first, or right after a name character or ``/``."""
    out = []
    for i, ch in enumerate(part):
        if ch != "*":
            continue
        prev = part[i - 1] if i else ""
        escaped = i >= 2 and part[i - 2] == "\\"
        if i == 0 or ((prev.isalnum() or prev in "/-_") and not escaped):
            out.append(i)
    return out


def _top_level_alternation(part: str) -> bool:
    depth, in_class, i = 0, False, 0
    while i < len(part):
        ch = part[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if part[i + 1:i + 2] == "]":  # a leading ] is literal inside a class
                i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch == "|" and depth == 0:
            return True
        i += 1
    return False


def _repository_warnings(part: str, matched: Sequence[str]) -> list[PlanWarning]:
    out: list[PlanWarning] = []
    here = f"here it matches {_examples(list(matched))}" if matched else "here it matches no repository"
    stars = _glob_stars(part)
    if stars:
        suggestion = "".join(".*" if i in stars else ch for i, ch in enumerate(part))
        out.append(PlanWarning(
            "glob-in-repository",
            f"repository part {part!r} looks like a shell glob, but acr purge reads it as the anchored regular "
            f"expression ^{part}$ ('*' repeats the character before it); {here}. "
            f"For 'anything' write {suggestion!r} (Azure/ARO-HCP#6147).",
        ))
    if _top_level_alternation(part):
        out.append(PlanWarning(
            "repository-alternation",
            f"acr purge anchors the repository part as ^{part}$, so the top-level '|' splits the anchors: names "
            f"that merely start with the first alternative or end with the last one match too; {here}. "
            f"Group it: ({part}) (acr-cli#129).",
        ))
    return out


# -- selection --------------------------------------------------------------------------------------------------


@dataclass
class _Out:
    untag: list[TagRef] = field(default_factory=list)
    delete: list[ManifestRef] = field(default_factory=list)
    skipped: list[Blocked] = field(default_factory=list)
    warnings: list[PlanWarning] = field(default_factory=list)

    def warn(self, code: str, message: str) -> None:
        w = PlanWarning(code, message)
        if w not in self.warnings:
            self.warnings.append(w)


def _tag_time(t: Tag) -> datetime | None:
    return parse_time(t.updated)


def _repo_tags(repo: Repository, out: _Out) -> tuple[Tag, ...] | None:
    if repo.tags is not None:
        return repo.tags
    if repo.manifests is None:
        return None
    out.warn("incomplete-snapshot", f"tags of {repo.name} were not collected: tag times and locks are taken "
                                    "from its manifests, which may differ from what acr purge reads")
    return tuple(Tag(name, m.digest, m.created, m.updated) for m in repo.manifests for name in m.tags)


def _tag_phase(repo: Repository, tag_regex: str, request: PurgeRequest, cutoff: datetime, timeout: float,
               what: str, out: _Out) -> set[str]:
    """acr purge's ``getTagsToDelete`` over every page; returns the names it untags."""
    tags = _repo_tags(repo, out)
    if tags is None:
        out.warn("incomplete-snapshot", f"neither tags nor manifests of {repo.name} were collected: "
                                        "what acr purge would delete there is unknown")
        return set()
    pattern = _compile(tag_regex, what)

    # Each time is parsed once: the sort key and the age test share it.
    timed = [(_tag_time(t), t) for t in tags]
    timed.sort(key=lambda p: (p[0] is None, -p[0].timestamp() if p[0] else 0.0, p[1].name))

    eligible: list[Tag] = []
    for ts, tag in timed:  # /_tags?orderby=timedesc
        if not _search(pattern, tag.name, timeout, what):
            continue
        if ts is None:
            out.skipped.append(Blocked(f"{repo.name}:{tag.name}", "no readable lastUpdateTime in the snapshot "
                                       "(acr purge stops with a parse error on such a tag)", BlockLevel.TOOL))
            continue
        if not ts < cutoff:
            continue
        if tag.attributes.blocks_delete and not request.include_locked:
            out.skipped.append(Blocked(f"{repo.name}:{tag.name}", _TOOL_SKIP_TAG, BlockLevel.TOOL, LOCKS))
            continue
        eligible.append(tag)
    chosen = eligible[request.keep:] if request.keep > 0 else eligible
    out.untag.extend(TagRef(repo.name, t.name) for t in chosen)
    return {t.name for t in chosen}


def _descendants(m: Manifest, by_digest: dict[str, Manifest], into: set[str]) -> None:
    """``addDependentManifestsToIgnoreList``: every child, recursing through nested indexes."""
    queue = list(m.references)
    while queue:
        digest = queue.pop(0)
        if digest in into:
            continue
        into.add(digest)
        child = by_digest.get(digest)
        if child is not None and child.is_index:
            queue.extend(child.references)


def _newest_first(m: Manifest) -> tuple[bool, float, str]:
    """``sortManifestsByTime``: valid times newest first, invalid ones last, digest as the tie-breaker."""
    ts = parse_time(m.updated)
    return (ts is None, -ts.timestamp() if ts else 0.0, m.digest)


def _first(pair: tuple[tuple[bool, float, str], Manifest]) -> tuple[bool, float, str]:
    return pair[0]


def _manifest_phase(repo: Repository, untagged: set[str], request: PurgeRequest, cutoff: datetime,
                    out: _Out) -> None:
    """acr purge's ``GetUntaggedManifests`` plus the ``--keep`` of ``purgeDanglingManifests``."""
    if repo.manifests is None:
        out.warn("incomplete-snapshot", f"manifests of {repo.name} were not collected: which untagged manifests "
                                        "acr purge would delete there is unknown")
        return
    by_digest = repo.manifest_by_digest()
    tagged_by_listing: dict[str, set[str]] = {}
    for t in repo.tags or ():
        tagged_by_listing.setdefault(t.digest, set()).add(t.name)
    ignore: set[str] = set()
    #: (sort key of ``sortManifestsByTime``, manifest); the time is parsed once per manifest.
    candidates: list[tuple[tuple[bool, float, str], Manifest]] = []
    locked_candidates: list[Manifest] = []
    locked_indexes: list[Manifest] = []
    include_locked = request.include_locked
    for m in repo.manifests:
        locked = m.attributes.blocks_delete and not include_locked
        listed = tagged_by_listing.get(m.digest)
        tags_left = ((bool(m.tags) and not untagged.issuperset(m.tags))
                     or (listed is not None and not untagged.issuperset(listed)))
        updated = parse_time(m.updated)
        protected = tags_left or updated is None or updated > cutoff
        if protected:
            if m.media_type is None or m.media_type in INDEX_MEDIA_TYPES:
                if locked:  # skipped before the protection step: its children get no protection from it
                    locked_indexes.append(m)
                else:
                    _descendants(m, by_digest, ignore)
            continue
        if m.media_type is None:  # "has no media type, skipping deletion"
            if not locked:
                ignore.add(m.digest)
            continue
        if m.media_type in _SUBJECT_CHECKED and m.subject:
            if locked:
                continue
            if m.media_type == OCI_INDEX and m.references:
                # acr-cli quirk (checkManifestDeletabilityAndGetDependencies @ cfbb835): an untagged OCI index with a
                # subject protects its children but is not put on the ignore list itself, so it stays a candidate.
                _descendants(m, by_digest, ignore)
            else:
                ignore.add(m.digest)
                continue
        if locked:
            locked_candidates.append(m)
        else:
            # Same key as _newest_first; ``updated`` is a valid time here (unprotected).
            candidates.append(((False, -updated.timestamp(), m.digest), m))
    ready = [c for c in candidates if c[1].digest not in ignore]
    ready.sort(key=_first)
    final = [c[1] for c in ready]
    if request.keep > 0:
        final = final[request.keep:]
    name = repo.name
    out.delete.extend([ManifestRef(name, m.digest) for m in final])
    for m in locked_candidates:
        if m.digest not in ignore:
            out.skipped.append(Blocked(f"{repo.name}@{m.digest}", _TOOL_SKIP_MANIFEST, BlockLevel.TOOL, LOCKS))
    deleted = {m.digest for m in final}
    for index in locked_indexes:
        lost: set[str] = set()
        _descendants(index, by_digest, lost)
        if lost & deleted:
            out.warn("locked-index-children-exposed",
                     f"{repo.name}@{index.digest} is locked, so acr purge skips it before its protection step and "
                     f"its {len(lost & deleted)} untagged child manifest(s) are deleted: the locked image breaks "
                     "(manifest unknown on pull). Add --include-locked or exclude the repository.")


def _is_broad(tag_regex: str) -> bool:
    try:
        pattern = compile_filter(tag_regex)
        return all(pattern.search(p, timeout=1.0) for p in _BROAD_PROBES)
    except (regex.error, TimeoutError):
        return False


def _anchored(tag_regex: str) -> bool:
    return tag_regex.startswith("^") and tag_regex.endswith("$") and not tag_regex.endswith("\\$")


def _tag_warnings(flt: tuple[str, str], matched: Iterable[Repository], timeout: float, out: _Out) -> None:
    tag_part = flt[1]
    what = _filter_text(flt)
    if _anchored(tag_part):
        return
    pattern = _compile(tag_part, what)
    extra: list[str] = []
    for repo in matched:
        for tag in repo.tags if repo.tags is not None else ():
            if _search(pattern, tag.name, timeout, what) and not _fullmatch(pattern, tag.name, timeout, what):
                extra.append(f"{repo.name}:{tag.name}")
    if extra:
        out.warn("unanchored-tag-regex",
                 f"the tag part of {what} is not anchored: acr purge looks for {tag_part!r} anywhere in the tag "
                 f"name, so it also matches {_examples(extra)}. Anchor it as ^{tag_part.lstrip('^').rstrip('$')}$ "
                 "to mean exactly that tag.")


def _ago_warning(request: PurgeRequest, out: _Out) -> None:
    if request.ago is None:
        return
    capped = parse_ago(request.ago_text)[1] if request.ago_text else request.ago >= MAX_AGO
    if not capped and request.ago <= HUGE_AGO:
        return
    shown = request.ago_text or f"{request.ago.days}d"
    cap = (" acr purge caps it at 150 years (prints a warning; acr-cli#560)." if capped else "")
    out.warn("huge-ago",
             f"--ago {shown} is more than 10 years: nothing is that old, so it selects nothing by age.{cap} A huge "
             "--ago no longer means 'untagged only' since --untagged honours --ago (acr-cli#584); use "
             "--untagged-only to delete untagged manifests.")


def select_purge(request: PurgeRequest, snapshot: Snapshot, *, now: datetime | None = None) -> Selection:
    """What ``request`` would untag and delete on ``snapshot``, what it skips by itself, and risky-filter warnings.

    ``now`` defaults to the snapshot's ``collected_at``. Raises ``InputError`` for a registry other than the
    snapshot's, a snapshot without a repository list, an invalid regex or one that times out.
    """
    with gc_paused():
        return _select_purge(request, snapshot, now)


def _select_purge(request: PurgeRequest, snapshot: Snapshot, now: datetime | None) -> Selection:
    check_registry(request.registry, snapshot)
    if snapshot.repositories is None:
        raise InputError("the snapshot has no repository list: acr purge cannot be pre-flighted on it")
    now = now or parse_time(snapshot.collected_at) or datetime.now(UTC)
    cutoff = now - (request.ago or timedelta(0))
    timeout = request.filter_timeout_seconds if request.filter_timeout_seconds > 0 else 60.0
    repos = {r.name: r for r in snapshot.repositories}
    out = _Out()

    targets: dict[str, list[tuple[str, str]]] = {}
    if request.untagged_only and not request.filters:
        targets = {name: [] for name in repos}
    for flt in request.filters:
        what = _filter_text(flt)
        pattern = _compile("^" + flt[0] + "$", what)
        matched = [name for name in repos if _search(pattern, name, timeout, what)]
        for w in _repository_warnings(flt[0], matched):
            out.warn(w.code, w.message)
        if not matched:
            out.warn("no-repository-matched",
                     f"{what} matches no repository in the snapshot (acr purge matches the repository part as "
                     f"^{flt[0]}$, a full-name regular expression)")
        for name in matched:
            targets.setdefault(name, []).append(flt)
        if not request.untagged_only:
            _tag_warnings(flt, (repos[n] for n in matched), timeout, out)
            if request.untagged and _is_broad(flt[1]):
                out.warn("untagged-with-broad-tag-regex",
                         f"--untagged with tag regex {flt[1]!r} first untags every tag older than --ago, then deletes "
                         "the manifests left untagged: tagged images are deleted too, not only untagged ones "
                         "(acr-cli#64). To delete only untagged manifests use --untagged-only.")
    _ago_warning(request, out)
    if request.keep > 0 and request.untagged:
        out.warn("keep-with-untagged",
                 f"--keep {request.keep} applies separately to tags and to untagged manifests: each repository "
                 f"keeps up to {request.keep} tags and another {request.keep} untagged manifests (acr-cli#644)")
    if request.dry_run:
        out.warn("dry-run", "the command has --dry-run: acr purge would only print this selection and delete nothing")

    for name in sorted(targets):  # purge walks repositories in sorted order
        repo = repos[name]
        untagged: set[str] = set()
        if not request.untagged_only:
            flts = targets[name]
            what = ", ".join(_filter_text(f) for f in flts)
            untagged = _tag_phase(repo, "|".join(f[1] for f in flts), request, cutoff, timeout, what, out)
        if request.untagged or request.untagged_only:
            _manifest_phase(repo, untagged, request, cutoff, out)

    return Selection(
        request=request, untag=tuple(out.untag), delete_manifests=tuple(out.delete), skipped=tuple(out.skipped),
        warnings=tuple(out.warnings),
    )
