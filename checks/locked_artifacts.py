"""Failure mode 5: deletes refused with 405 REGISTRY_DISALLOWED_OPERATION because something is locked.

ACR keeps ``writeEnabled``/``deleteEnabled`` separately on repositories, manifests and tags (ACR image-lock
docs; notes acr-semantics-and-peers.md §4 facts 9–13):

* either flag false on an object blocks deleting that object (Azure/acr#561; acr-cli#70 for write=false);
* repository ``writeEnabled=false`` locks the repository and every image in it; repository
  ``deleteEnabled=false`` only blocks deleting the repository — its images can still be deleted;
* tag and manifest locks are independent: locking one does not lock the other, and unlocking a repository
  leaves manifest and tag locks in place;
* ``acr purge`` skips locked tags and manifests silently unless ``--include-locked`` (acr-cli ≥ 0.17), and
  never reads repository attributes, so a repository lock shows up only as a 405 at delete time.
"""

from __future__ import annotations

from collections.abc import Iterator

from acrdoctor.actions import RegistryRef, SetAttributes
from acrdoctor.check_api import Check, Context, Finding, Fix, Resource, Severity
from acrdoctor.model import Attributes, Manifest, Part, Repository, Tag
from acrdoctor.units import plural

_PURGE_NOTE = ("`acr purge` skips locked tags and manifests without saying so; `--include-locked` unlocks and "
               "deletes them.")
_DELIBERATE_NOTE = "If the lock is deliberate (a protected release), keep it and leave this object out of the cleanup."
_SHOWN_TAGS = 5


def lock_flags(a: Attributes) -> str:
    """The flags that lock an object, as ACR names them (``writeEnabled=false and deleteEnabled=false``)."""
    off = [name for name, on in (("writeEnabled", a.write_enabled), ("deleteEnabled", a.delete_enabled)) if not on]
    return " and ".join(f"{name}=false" for name in off)


def locks_its_images(repo: Repository) -> bool:
    """Whether the repository's own lock also refuses deleting and untagging every image in it (fact 11: only
    ``writeEnabled=false`` does; ``deleteEnabled=false`` refuses deleting the repository as a whole)."""
    return not repo.attributes.write_enabled


def _short(digest: str) -> str:
    algo, _, hexpart = digest.partition(":")
    return f"{algo}:{hexpart[:12]}" if hexpart else digest


def _names(tags: tuple[str, ...]) -> str:
    shown = ", ".join(tags[:_SHOWN_TAGS])
    return shown + (f" and {len(tags) - _SHOWN_TAGS} more" if len(tags) > _SHOWN_TAGS else "")


def _details(level: str, a: Attributes, **extra: object) -> dict[str, object]:
    return {"level": level, "write_enabled": a.write_enabled, "delete_enabled": a.delete_enabled, **extra}


class LockedArtifacts(Check):
    slug = "locked-artifacts"
    title = "Locked repositories, manifests and tags that refuse deletion"
    severity = Severity.MEDIUM
    needs = frozenset({Part.REPOSITORIES})
    uses = frozenset({Part.MANIFESTS, Part.TAGS})
    failure_mode = ("Deletes fail with 405 REGISTRY_DISALLOWED_OPERATION \"The operation is disallowed on this "
                    "registry, repository or image.\"")
    cause = (
        "ACR refuses to delete an object whose writeEnabled or deleteEnabled attribute is false, answering 405 "
        "REGISTRY_DISALLOWED_OPERATION; locks are set separately on the repository, each manifest and each tag."
    )
    docs = (
        "https://learn.microsoft.com/azure/container-registry/container-registry-image-lock",
        "https://learn.microsoft.com/troubleshoot/azure/azure-container-registry/delete-operation-issues",
    )

    def run(self, ctx: Context) -> Iterator[Finding]:
        reg = ctx.snapshot.registry
        ref = RegistryRef(reg.name, reg.resource_group)
        for repo in ctx.snapshot.repositories or ():
            if repo.attributes.blocks_delete:
                yield self._repository(ref, repo)
            locked_digests: set[str] = set()
            for m in repo.manifests or ():
                if m.attributes.blocks_delete:
                    locked_digests.add(m.digest)
                    yield self._manifest(ref, repo, m)
            for t in repo.tags or ():
                if t.attributes.blocks_delete:
                    yield self._tag(ref, repo, t, t.digest in locked_digests)

    def _repository(self, ref: RegistryRef, repo: Repository) -> Finding:
        a = repo.attributes
        counts = ""
        if repo.manifest_count is not None and repo.tag_count is not None:
            counts = f" ({plural(repo.manifest_count, 'manifest')}, {plural(repo.tag_count, 'tag')})"
        if locks_its_images(repo):
            message = (f"{lock_flags(a)}: every delete inside it{counts} and deleting the repository itself fail "
                       "with 405 REGISTRY_DISALLOWED_OPERATION")
            blocks = "repository, manifests, tags"
        else:
            message = ("deleteEnabled=false: deleting the whole repository fails with 405, but its images and "
                       f"tags{counts} can still be deleted one by one")
            blocks = "repository"
        fix = Fix(
            summary="Unlock the repository.",
            actions=(SetAttributes(ref, repo.name, write_enabled=True, delete_enabled=True),),
            notes=(
                "Unlocking the repository does not unlock manifests or tags locked on their own; they are listed "
                "as separate findings.",
                "`acr purge` never reads repository attributes: it reports these deletes as "
                "\"Skipped ... operation not allowed\".",
                _DELIBERATE_NOTE,
            ),
        )
        return self.finding(Resource.repository(repo.name), message, fix=fix,
                            details=_details("repository", a, repository=repo.name, blocks=blocks))

    def _manifest(self, ref: RegistryRef, repo: Repository, m: Manifest) -> Finding:
        a = m.attributes
        message = f"{lock_flags(a)}: deleting this manifest by digest fails with 405"
        if len(m.tags) == 1:
            message += f", and so does deleting it by its tag {m.tags[0]}"
        elif m.tags:
            message += f", and so does deleting any of its {plural(len(m.tags), 'tag')} ({_names(m.tags)}) by tag"
        fix = Fix(
            summary="Unlock the manifest.",
            actions=(SetAttributes(ref, repo.name, digest=m.digest, write_enabled=True, delete_enabled=True),),
            notes=(
                "Tag locks are separate: unlocking the manifest leaves any locked tag on it locked.",
                _PURGE_NOTE,
                _DELIBERATE_NOTE,
            ),
        )
        return self.finding(Resource.manifest(repo.name, m.digest), message, fix=fix,
                            details=_details("manifest", a, repository=repo.name, digest=m.digest,
                                             tags=list(m.tags)))

    def _tag(self, ref: RegistryRef, repo: Repository, t: Tag, manifest_locked: bool) -> Finding:
        a = t.attributes
        message = f"{lock_flags(a)}: untagging or deleting this tag fails with 405"
        if manifest_locked:
            message += f"; its manifest {_short(t.digest)} is locked as well (listed separately)"
        else:
            message += f"; the lock does not extend to its manifest {_short(t.digest)}"
        fix = Fix(
            summary="Unlock the tag.",
            actions=(SetAttributes(ref, repo.name, tag=t.name, write_enabled=True, delete_enabled=True),),
            notes=(_PURGE_NOTE, _DELIBERATE_NOTE),
        )
        return self.finding(Resource.tag(repo.name, t.name), message, fix=fix,
                            details=_details("tag", a, repository=repo.name, tag=t.name, digest=t.digest,
                                             manifest_locked=manifest_locked))
