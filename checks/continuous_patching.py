"""Issue 12 item 11: continuous patching piles up ``-1`` … ``-999`` tags, and its system repository is deletable.

Facts and sources [D-CP: MicrosoftDocs/azure-management-docs ``key-concept-continuous-patching.md`` and
``how-to-continuous-patching.md``; peers notes item 14]:

* Each patch pushes a new image. With the default *incremental* tag convention the patched image of tag ``T`` is
  ``T-1``, then ``T-2`` … up to ``T-999``; the workflow errors once ``-999`` is reached. Tags a user pushed with a
  ``-1`` … ``-999`` suffix are treated as patch tags too.
* The workflow keeps its configuration in the system repository ``csscpolicies/patchpolicy`` and runs three ACR
  tasks, ``cssc-trigger-workflow``, ``cssc-scan-image`` and ``cssc-patch-image``; deleting the workflow deletes the
  repository and the tasks (how-to-continuous-patching.md, "Verification"/"Delete").
* **(inference, peers notes item 14)** a broad purge filter can delete the patched images consumers pull, or the
  policy repository itself; :mod:`acrdoctor.preflight.policy` warns about both before a delete runs.

The check judges only registries where the workflow is configured (the policy repository or its tasks exist):
elsewhere a ``-N`` tag is an ordinary tag.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field

from acrdoctor.actions import Action, Preflight, PurgeKeepLatest, RegistryRef, RunPurge
from acrdoctor.check_api import Check, Context, Finding, Fix, Related, Resource, Severity
from acrdoctor.checks.retention_policy import purge_filter
from acrdoctor.completeness import Gap
from acrdoctor.model import Part, Repository, Snapshot
from acrdoctor.storage import Entry
from acrdoctor.units import human_bytes, plural

#: The system repository holding the workflow's configuration (D-CP).
POLICY_REPOSITORY = "csscpolicies/patchpolicy"
#: The tasks the workflow creates (D-CP; azure-cli-extensions ``acrcssc`` constants).
WORKFLOW_TASKS = frozenset({"cssc-trigger-workflow", "cssc-scan-image", "cssc-patch-image"})
#: The last incremental suffix; the next patch of that tag errors (D-CP).
LAST_SUFFIX = 999
#: From this suffix on, the finding warns that the end is near.
NEAR_END = 900
#: A patch tag: the base tag, ``-``, and 1 to 999 without a leading zero.
PATCH_TAG = re.compile(r"^(?P<base>.+)-(?P<n>[1-9][0-9]{0,2})$")
_REGEX_SPECIAL = re.compile(r"([.\\+*?()\[\]{}|^$])")
SHOWN = 5


def escape(text: str) -> str:
    """``text`` as a literal in acr purge's (Go RE2) regular expressions."""
    return _REGEX_SPECIAL.sub(r"\\\1", text)


def patch_filter(repository: str, base: str) -> str:
    """An acr purge ``--filter`` matching exactly the patch tags of ``base`` (acr purge leaves tags unanchored)."""
    return f"{escape(repository)}:^{escape(base)}-[1-9][0-9]{{0,2}}$"


@dataclass(slots=True)
class PatchSeries:
    """The patch tags of one base tag in one repository: ``suffixes`` maps N to the digest of ``base-N``."""

    repository: str
    base: str
    suffixes: dict[int, str] = field(default_factory=dict)

    @property
    def latest(self) -> int:
        return max(self.suffixes)

    def superseded(self) -> dict[int, str]:
        latest = self.latest
        return {n: d for n, d in self.suffixes.items() if n != latest}


def workflow_configured(snapshot: Snapshot) -> bool:
    """Whether continuous patching is set up: its policy repository or one of its tasks exists."""
    if any(r.name == POLICY_REPOSITORY for r in snapshot.repositories or ()):
        return True
    return any(t.name in WORKFLOW_TASKS for t in snapshot.tasks or ())


def patch_series(repo: Repository) -> list[PatchSeries]:
    """Series of ``base-N`` tags whose base tag also exists in the repository (the workflow patches existing tags)."""
    tags = {t.name: t.digest for t in repo.tags or ()}
    series: dict[str, PatchSeries] = {}
    for name, digest in tags.items():
        m = PATCH_TAG.match(name)
        if m is None or m.group("base") not in tags:
            continue
        s = series.setdefault(m.group("base"), PatchSeries(repo.name, m.group("base")))
        s.suffixes[int(m.group("n"))] = digest
    return sorted(series.values(), key=lambda s: s.base)


def latest_patched(repo: Repository) -> set[tuple[str, str]]:
    """``(tag, digest)`` of the newest patched image of each base: the one consumers of the patches pull."""
    return {(f"{s.base}-{s.latest}", s.suffixes[s.latest]) for s in patch_series(repo)}


class ContinuousPatching(Check):
    slug = "continuous-patching"
    title = "Continuous patching piles up -1 … -999 tags"
    severity = Severity.LOW
    needs = frozenset({Part.REPOSITORIES, Part.TAGS})
    uses = frozenset({Part.TASKS, Part.MANIFESTS, Part.MANIFEST_BODIES})
    failure_mode = "Storage grows with every patch, and patching fails once a tag reaches -999"
    cause = (
        "ACR continuous patching pushes each patched image under a new incremental tag (-1, -2 … -999) and keeps "
        "the earlier ones, so storage grows with every patch and the workflow errors after -999; user tags with "
        "such suffixes count as patch tags."
    )
    docs = (
        "https://learn.microsoft.com/azure/container-registry/key-concept-continuous-patching",
        "https://learn.microsoft.com/azure/container-registry/how-to-continuous-patching",
        "https://learn.microsoft.com/azure/container-registry/container-registry-auto-purge",
    )

    def run(self, ctx: Context) -> Iterator[Finding]:
        snap = ctx.snapshot
        if not workflow_configured(snap):
            return
        reg = snap.registry
        ref = RegistryRef(reg.name, reg.resource_group)
        names = {r.name for r in snap.repositories or ()}
        tasks = [t.name for t in snap.tasks or () if t.name in WORKFLOW_TASKS]
        if POLICY_REPOSITORY not in names and tasks:
            yield self._policy_gone(reg.name, tasks)
        for ri, repo in enumerate(snap.repositories or ()):
            series = patch_series(repo)
            if series:
                yield self._series(ctx, ref, ri, repo, series)

    def blind_spots(self, ctx: Context, gaps: tuple[Gap, ...]) -> tuple[Gap, ...]:
        """Without the workflow no tag is a patch tag; a short catalog or task list may still hide the workflow."""
        if workflow_configured(ctx.snapshot):
            return gaps
        return tuple(g for g in gaps if g.part in (Part.REPOSITORIES, Part.TASKS))

    def _policy_gone(self, registry: str, tasks: list[str]) -> Finding:
        fix = Fix(
            summary="Configure the workflow again (az acr supply-chain workflow create/update with the "
                    "continuous patching JSON), or delete it so its tasks go too.",
            notes=(f"The workflow's configuration lives in {POLICY_REPOSITORY}; deleting the workflow deletes it "
                   "and the tasks together (continuous patching docs).",),
        )
        return self.finding(
            Resource.registry(registry),
            f"continuous patching tasks ({', '.join(sorted(tasks))}) exist but the repository {POLICY_REPOSITORY} "
            "does not: the workflow has lost its configuration, most likely to a delete or purge",
            fix=fix,
            severity=Severity.MEDIUM,
            details={"tasks": sorted(tasks)},
        )

    def _series(self, ctx: Context, ref: RegistryRef, ri: int, repo: Repository,
                series: list[PatchSeries]) -> Finding:
        by_digest = repo.manifest_by_digest()
        tags_of: dict[str, set[str]] = {}
        for t in repo.tags or ():
            tags_of.setdefault(t.digest, set()).add(t.name)
        # Superseded patched images that carry no other tag than patch tags of their base.
        entries: list[Entry] = []
        for s in series:
            current = s.suffixes[s.latest]
            for digest in s.superseded().values():
                m = by_digest.get(digest) if digest != current else None
                others = {t for t in tags_of.get(digest, ()) if not _is_patch_of(t, s.base)}
                if m is not None and not others:
                    entries.append((ri, m))
        freed = ctx.storage.freed_by(entries) if entries else 0
        shown_bytes = ("" if ctx.storage.complete else "at least ") + human_bytes(freed)
        total = sum(len(s.suffixes) for s in series)
        highest = max(series, key=lambda s: s.latest)
        severity = self.severity
        if highest.latest >= NEAR_END:
            severity = Severity.HIGH if highest.latest >= LAST_SUFFIX else Severity.MEDIUM
        listing = ", ".join(f"{s.base} up to -{s.latest} ({len(s.suffixes)} tags)" for s in series[:SHOWN])
        if len(series) > SHOWN:
            listing += f" and {len(series) - SHOWN} more"
        end = ""
        if highest.latest >= NEAR_END:
            end = (f"; {highest.base}-{highest.latest} is {LAST_SUFFIX - highest.latest} patches from "
                   f"-{LAST_SUFFIX}, after which patching that tag fails")
        # acr purge OR-joins the filters hitting one repository and applies --keep to their union, so each base
        # tag gets its own purge; the manifests they leave untagged go in one --untagged-only run afterwards.
        purges = tuple(PurgeKeepLatest(ref, (patch_filter(repo.name, s.base),), keep=1, untagged=False)
                       for s in series[:SHOWN])
        sweep = RunPurge(ref, (purge_filter(repo.name),), ago="0d", untagged_only=True)
        actions: tuple[Action, ...] = (*purges, sweep)
        previews = (*(Preflight(ref, p.purge_words()) for p in purges),
                    Preflight(ref, tuple(shlex.split(sweep.purge_command()))))
        fix = Fix(
            summary="Delete the superseded patch tags, keeping the newest patch of each base tag, then the images "
                    "they leave untagged.",
            actions=actions,
            notes=(
                "One purge per base tag: acr purge joins the filters that hit one repository into one tag regex, "
                "so --keep 1 over several bases would keep only one tag in all.",
                "The last command deletes every untagged manifest of the repository, not only former patch images: "
                "preview it first.",
                "Consumers pinned to an older -N tag lose it: check what pulls them before running the purge.",
                f"After -{LAST_SUFFIX} the next patch of that tag fails: switch the workflow to the floating tag "
                "convention (one mutable -patched tag) or move consumers to a new base tag.",
            ),
            related=(Related("preview", "What each purge would delete and free, without deleting anything (the last "
                                        "one shows today's untagged manifests: the images the first ones untag join "
                                        "them).", previews),),
        )
        return self.finding(
            Resource.repository(repo.name),
            f"{plural(total, 'patch tag')} for {plural(len(series), 'base tag')} in {repo.name} ({listing}); "
            f"{plural(len(entries), 'superseded patched image')} hold {shown_bytes} that only they use{end}",
            fix=fix,
            severity=severity,
            details={
                "series": {s.base: {"tags": len(s.suffixes), "latest": s.latest} for s in series},
                "patch_tags": total, "superseded_images": len(entries), "freed_bytes": freed,
                "bytes_exact": ctx.storage.complete, "highest_suffix": highest.latest,
                "suffixes_left": LAST_SUFFIX - highest.latest,
            },
        )


def _is_patch_of(tag: str, base: str) -> bool:
    m = PATCH_TAG.match(tag)
    return m is not None and m.group("base") == base
