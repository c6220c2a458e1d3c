"""The registry as a plan leaves it: a new snapshot without what the plan deletes.

A cleanup script runs its deletes one after the other, each on the registry as the previous ones left it (a
later ``acr purge --keep 3`` counts only the tags still there). ``apply_plan`` is that step, pure: it returns a new
:class:`~acrdoctor.model.Snapshot` and leaves the old one alone. Only what the registry would really do is applied
(``Plan.delete_manifests`` already excludes blocked targets and includes cascaded referrers; ``Plan.delete_tags``
holds untagged tags and the tags of deleted manifests). A repository deleted as a whole disappears from the list;
one emptied manifest by manifest stays, with no manifests and no tags, as ACR keeps it (the NAME_UNKNOWN trap).
The blob table is kept whole: storage arithmetic counts only blobs that remaining manifests reference.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from acrdoctor.model import Repository, Snapshot
from acrdoctor.preflight.model import Plan

__all__ = ["apply_plan"]


def apply_plan(snapshot: Snapshot, plan: Plan) -> Snapshot:
    """``snapshot`` after ``plan`` ran; the same object when the plan deletes nothing."""
    if plan.registry_deleted:
        return replace(snapshot, repositories=())
    gone_manifests: dict[str, set[str]] = defaultdict(set)
    for m in plan.delete_manifests:
        gone_manifests[m.repository].add(m.digest)
    gone_tags: dict[str, set[str]] = defaultdict(set)
    for t in plan.delete_tags:
        gone_tags[t.repository].add(t.tag)
    whole = set(plan.deleted_repositories)
    if not (gone_manifests or gone_tags or whole) or snapshot.repositories is None:
        return snapshot
    repos: list[Repository] = []
    for repo in snapshot.repositories:
        if repo.name in whole:
            continue
        digests, tags = gone_manifests.get(repo.name, set()), gone_tags.get(repo.name, set())
        if not digests and not tags:
            repos.append(repo)
            continue
        manifests = None if repo.manifests is None else tuple(
            m if not tags.intersection(m.tags) else replace(m, tags=tuple(t for t in m.tags if t not in tags))
            for m in repo.manifests if m.digest not in digests)
        tag_rows = None if repo.tags is None else tuple(
            t for t in repo.tags if t.name not in tags and t.digest not in digests)
        repos.append(replace(
            repo, manifests=manifests, tags=tag_rows,
            manifest_count=len(manifests) if manifests is not None else _less(repo.manifest_count, len(digests)),
            tag_count=len(tag_rows) if tag_rows is not None else _less(repo.tag_count, len(tags))))
    return replace(snapshot, repositories=tuple(repos))


def _less(count: int | None, removed: int) -> int | None:
    return None if count is None else max(count - removed, 0)


def with_attributes(snapshot: Snapshot, repository: str, changes: dict[str, bool], *, tag: str | None = None,
                    digest: str | None = None) -> tuple[Snapshot, bool]:
    """``snapshot`` with ``changeableAttributes`` changed on a repository, one tag or one manifest, as ``az acr
    repository update`` / ``az acr manifest update-metadata`` change them; and whether the target exists.

    ``changes`` maps ``delete_enabled``/``write_enabled``/``read_enabled``/``list_enabled`` to the new value. A tag's
    change applies to the tag only: a manifest's lock is its own (ACR image-lock docs).
    """
    found = False
    repos: list[Repository] = []
    for repo in snapshot.repositories or ():
        if repo.name != repository:
            repos.append(repo)
            continue
        if tag is None and digest is None:
            found = True
            repos.append(replace(repo, attributes=replace(repo.attributes, **changes)))
            continue
        if tag is not None and repo.tags is not None:
            found = any(t.name == tag for t in repo.tags)
            repos.append(replace(repo, tags=tuple(replace(t, attributes=replace(t.attributes, **changes))
                                                  if t.name == tag else t for t in repo.tags)))
            continue
        target = digest
        if tag is not None:  # tags not listed: the manifest listing's tags say where the tag points
            target = next((m.digest for m in repo.manifests or () if tag in m.tags), None)
        found = target is not None and any(m.digest == target for m in repo.manifests or ())
        repos.append(replace(repo, manifests=None if repo.manifests is None else tuple(
            replace(m, attributes=replace(m.attributes, **changes)) if m.digest == target else m
            for m in repo.manifests)))
    if snapshot.repositories is None:
        return snapshot, False
    return replace(snapshot, repositories=tuple(repos)), found
