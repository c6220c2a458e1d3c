"""What an ``az acr`` delete-family command would try to delete on a snapshot.

The mapping follows the CLI's REST calls (acr-wire-behaviour notes §b, §d.2): ``repository delete --repository``
is one ``DELETE /acr/v1/{repo}``; ``--image repo:tag`` and ``manifest delete repo:tag`` resolve the tag to its
digest and delete that *manifest* (every other tag on it goes too; the plan finds those); ``untag`` deletes the tag
only; ``az acr delete`` deletes the registry. A name the snapshot does not know becomes a ``not-found`` warning:
the real command would fail with ``NAME_UNKNOWN``, ``TAG_UNKNOWN`` or ``MANIFEST_UNKNOWN`` and delete nothing.
"""

from __future__ import annotations

from acrdoctor.model import Repository, Snapshot
from acrdoctor.preflight.model import AzAction, AzRequest, ManifestRef, PlanWarning, Selection, TagRef
from acrdoctor.preflight.purge import check_registry

__all__ = ["select_az"]


def _find_repository(snapshot: Snapshot, name: str) -> Repository | None:
    for repo in snapshot.repositories or ():
        if repo.name == name:
            return repo
    return None


def _tag_digest(repo: Repository, tag: str) -> str | None:
    for t in repo.tags or ():
        if t.name == tag:
            return t.digest
    for m in repo.manifests or ():
        if tag in m.tags:
            return m.digest
    return None


def _not_found(request: AzRequest, snapshot: Snapshot, what: str, code: str) -> Selection:
    return Selection(request=request, warnings=(PlanWarning(
        "not-found", f"{what} is not in the snapshot of registry {snapshot.registry.name}: the command would fail "
                     f"with {code} and delete nothing"),))


def _unknown(request: AzRequest, what: str) -> Selection:
    return Selection(request=request, warnings=(PlanWarning(
        "incomplete-snapshot", f"the snapshot did not collect the listings needed to resolve {what}"),))


def select_az(request: AzRequest, snapshot: Snapshot) -> Selection:
    """The selection of one ``az acr`` command; ``InputError`` when it names another registry than the snapshot's."""
    check_registry(request.registry, snapshot)
    if request.action is AzAction.DELETE_REGISTRY:
        return Selection(request=request, delete_registry=True)
    repo_name = request.repository or ""
    if snapshot.repositories is None:
        if request.action is AzAction.DELETE_REPOSITORY:
            return Selection(request=request, delete_repositories=(repo_name,))
        return _unknown(request, repo_name)
    repo = _find_repository(snapshot, repo_name)
    if request.action is AzAction.DELETE_REPOSITORY:
        if repo is None:
            return _not_found(request, snapshot, f"repository {repo_name!r}", "404 NAME_UNKNOWN")
        return Selection(request=request, delete_repositories=(repo.name,))
    if repo is None:
        if request.action is AzAction.UNTAG:
            code = "404 TAG_UNKNOWN"  # DELETE /acr/v1/{repo}/_tags/{tag} on a missing repository (wire notes §c.3)
        elif request.tag is not None:
            code = "404 NAME_UNKNOWN or TAG_UNKNOWN"
        else:
            code = "404 NAME_UNKNOWN or MANIFEST_UNKNOWN"
        return _not_found(request, snapshot, f"repository {repo_name!r}", code)

    if request.tag is not None:
        ref = TagRef(repo.name, request.tag)
        if repo.tags is None and repo.manifests is None:
            return _unknown(request, str(ref))
        digest = _tag_digest(repo, request.tag)
        if digest is None:
            return _not_found(request, snapshot, f"tag {str(ref)!r}", "404 TAG_UNKNOWN")
        if request.action is AzAction.UNTAG:
            return Selection(request=request, untag=(ref,), named_tags=frozenset({ref}))
        return Selection(request=request, delete_manifests=(ManifestRef(repo.name, digest),),
                         named_tags=frozenset({ref}))

    digest = request.digest or ""
    ref_text = f"{repo.name}@{digest}"
    if repo.manifests is None:
        return _unknown(request, ref_text)
    if digest not in repo.manifest_by_digest():
        return _not_found(request, snapshot, f"manifest {ref_text!r}", "404 MANIFEST_UNKNOWN")
    return Selection(request=request, delete_manifests=(ManifestRef(repo.name, digest),))
