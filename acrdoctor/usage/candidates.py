"""Cleanup candidates: per repository, what one command would free, computed by the pre-flight itself.

Each candidate is a command acrdoctor already prints elsewhere (``acr purge`` through ``az acr run``, ``az acr
repository delete``), parsed back and planned by :mod:`acrdoctor.preflight` exactly as ``acrdoctor preflight``
would: acr purge's own selection rules and silent skips, ACR's refusals, referrers deleted with their subject,
bytes from registry-wide deduplication. So the figure next to a command is the figure its pre-flight prints.

Three shortcuts keep a thousand repositories fast without changing a figure: only candidates that can still rank
are planned (:func:`candidates`); each plan runs on a snapshot holding only the candidate's repository (its filter
is anchored to that one name, so no other repository could match); and one storage index over the whole registry,
which does not look up holders, is shared by every plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from acrdoctor.actions import Action, DeleteRepository, RegistryRef, RunPurge
from acrdoctor.checks.retention_policy import purge_filter
from acrdoctor.errors import InputError
from acrdoctor.model import Repository, Snapshot
from acrdoctor.preflight.azmap import select_az
from acrdoctor.preflight.commands import parse_command
from acrdoctor.preflight.model import Plan, PurgeRequest
from acrdoctor.preflight.plan import evaluate
from acrdoctor.preflight.purge import select_purge
from acrdoctor.shellquote import shell_join
from acrdoctor.storage import Entry, StorageIndex
from acrdoctor.usage.model import KIND_OLDER_THAN, KIND_REPOSITORY, KIND_UNTAGGED, Candidate

#: Blocker reasons kept per candidate (all are counted).
BLOCKERS_SHOWN = 3


def actions_for(snapshot: Snapshot, repo: Repository, older_than: str) -> list[tuple[str, Action]]:
    """The three cleanups of one repository, as the action objects whose commands are printed."""
    reg = snapshot.registry
    ref = RegistryRef(reg.name, reg.resource_group)
    flt = (purge_filter(repo.name),)
    return [
        (KIND_UNTAGGED, RunPurge(ref, flt, ago="0d", untagged_only=True)),
        (KIND_OLDER_THAN, RunPurge(ref, flt, ago=older_than, untagged_only=False, untagged=True)),
        (KIND_REPOSITORY, DeleteRepository(ref, repo.name)),
    ]


def preflight_command(snapshot: Snapshot, command: str) -> str:
    """``acrdoctor preflight`` of ``command`` against the same registry, to run before the command itself."""
    reg = snapshot.registry
    head = ["acrdoctor", "preflight", "--registry", reg.name]
    if reg.resource_group:
        head += ["--resource-group", reg.resource_group]
    return f"{shell_join([*head, '--'])} {command}"


def plan_of(command: str, alone: Snapshot, index: StorageIndex, now: datetime) -> Plan:
    """The pre-flight plan of ``command`` on ``alone``, the snapshot cut down to the candidate's repository.

    Bytes stay registry-wide: ``index`` is built over the whole snapshot and ``alone`` keeps its blob table, so
    a blob another repository uses is retained exactly as in a pre-flight of the whole snapshot. What the cut
    saves is the plan's registry-wide reads (listing checks, policy warnings) repeated for every candidate.
    """
    request = parse_command(command)
    if isinstance(request, PurgeRequest):
        selection = select_purge(request, alone, now=now)
    else:
        selection = select_az(request, alone)
    return evaluate(selection, alone, storage=index)


_KIND_ORDER = {KIND_UNTAGGED: 0, KIND_OLDER_THAN: 1, KIND_REPOSITORY: 2}


def _rank(c: Candidate) -> tuple[int, int, str]:
    return (-c.freed_bytes, _KIND_ORDER[c.kind], c.repository)


def candidates(snapshot: Snapshot, index: StorageIndex, now: datetime, older_than: str, limit: int,
               bound: Mapping[str, int]) -> tuple[list[Candidate], int]:
    """The ``limit`` candidates that free the most bytes, ranked, and how many plans that took.

    Every candidate deletes manifests of one repository only (referrers go with their subject, in the same
    repository), so it frees at most that repository's exclusive bytes (``bound``). Repositories are planned
    from the largest bound down, and the search stops once ``limit`` candidates free more than the next bound:
    no repository left can rank among them. On a registry of a thousand repositories that plans a few dozen
    instead of three thousand, and the result is the same as planning all of them.
    """
    found: list[Candidate] = []
    planned = 0
    index_of = {r.name: ri for ri, r in enumerate(index.repositories)}
    order = sorted((r for r in index.repositories if r.manifests is not None),
                   key=lambda r: (-bound.get(r.name, 0), r.name))
    for repo in order:
        most = bound.get(repo.name, 0)
        if most <= 0 or (len(found) >= limit and found[limit - 1].freed_bytes > most):
            break
        alone = replace(snapshot, repositories=(repo,))
        for kind, action in actions_for(snapshot, repo, older_than):
            command = action.commands()[0]
            try:
                plan = plan_of(command, alone, index, now)
            except InputError:
                # A name acr purge cannot address (a ':' splits its --filter; ACR never allows one in a name, but
                # a snapshot from elsewhere may hold anything): no command does this, so it is no candidate.
                continue
            planned += 1
            if plan.reclaimable_bytes <= 0:
                continue
            blockers = [f"{b.resource}: {b.reason}" for b in plan.blocked]
            found.append(Candidate(
                kind=kind, repository=repo.name, command=command,
                preflight_command=preflight_command(snapshot, command),
                freed_bytes=plan.reclaimable_bytes, manifests_deleted=len(plan.delete_manifests),
                tags_deleted=len(plan.delete_tags), blockers=tuple(blockers[:BLOCKERS_SHOWN]),
                blocker_count=len(blockers),
                deleted=frozenset((index_of[m.repository], m.digest) for m in plan.delete_manifests),
            ))
        found.sort(key=_rank)
    return found[:limit], planned


def combined_freed(index: StorageIndex, chosen: Sequence[Candidate]) -> int:
    """What running all of ``chosen`` frees: computed on the union of what they delete, never summed.

    Candidates overlap (a repository's untagged manifests are part of the whole repository) and two deletions
    can free together a layer that each alone leaves to the other, so the sum can be too high or too low.
    """
    wanted: dict[int, set[str]] = {}
    for c in chosen:
        for ri, digest in c.deleted:
            wanted.setdefault(ri, set()).add(digest)
    return index.freed_by(_entries(index, wanted))


def _entries(index: StorageIndex, wanted: dict[int, set[str]]) -> Iterable[Entry]:
    for ri, digests in wanted.items():
        for m in index.repositories[ri].manifests or ():
            if m.digest in digests:
                yield ri, m
