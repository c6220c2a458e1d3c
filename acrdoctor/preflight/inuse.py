"""Images that are running somewhere (``--in-use FILE``): a pre-flight must not plan to delete them.

The file holds image references, one a line, as printed by for example
``kubectl get pods -A -o jsonpath='{range .items[*]}{range .spec.containers[*]}{.image}{"\\n"}{end}{end}'``.
Accepted forms (Docker reference grammar, distribution/distribution ``reference/regexp.go``)::

    contoso.azurecr.io/app:v1
    contoso.azurecr.io/team/app@sha256:<64 hex>
    contoso.azurecr.io/app:v1@sha256:<64 hex>     # pinned: the digest is what the runtime pulls
    contoso.azurecr.io/app                        # no tag means ``latest``
    app:v1                                        # no registry host: taken as a repository of this registry
    docker-pullable://contoso.azurecr.io/app@sha256:...   # kubectl ``imageID`` form

Blank lines and ``#`` comments are ignored; several references on one line separated by white space
(``jsonpath='{..image}'`` output) are read one by one. References to another registry
(``docker.io/library/nginx``, ``mcr.microsoft.com/...``) are ignored but counted. A line that is not an
image reference is an :class:`~acrdoctor.errors.InputError` naming its line number.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from acrdoctor.errors import InputError

__all__ = ["ImageRef", "InUse"]

# distribution/distribution reference grammar, simplified to what matters here.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(
    rf"^(?:(?P<domain>{_DOMAIN})/)?(?P<path>{_COMPONENT}(?:/{_COMPONENT})*)"
    rf"(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?$"
)
_PREFIXES = ("docker-pullable://", "docker://", "containerd://")


@dataclass(frozen=True, slots=True)
class ImageRef:
    """One reference to this registry: ``tag`` is None when pinned by digest (the digest is what is pulled)."""

    repository: str
    tag: str | None
    digest: str | None
    line: int
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class InUse:
    """The in-use references to one registry, indexed by repository."""

    refs: tuple[ImageRef, ...] = ()
    #: References to other registries, ignored.
    other_registries: int = 0
    _by_tag: dict[str, dict[str, ImageRef]] = field(default_factory=dict, repr=False, compare=False)
    _by_digest: dict[str, dict[str, ImageRef]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_tag: dict[str, dict[str, ImageRef]] = defaultdict(dict)
        by_digest: dict[str, dict[str, ImageRef]] = defaultdict(dict)
        for ref in self.refs:
            if ref.digest is not None:
                by_digest[ref.repository].setdefault(ref.digest, ref)
            elif ref.tag is not None:
                by_tag[ref.repository].setdefault(ref.tag, ref)
        self._by_tag.update(by_tag)
        self._by_digest.update(by_digest)

    @classmethod
    def parse(cls, text: str, registry_login_server: str) -> InUse:
        """Read references, keeping those of ``registry_login_server`` (case-insensitive, ``:443`` allowed)."""
        server = registry_login_server.strip().lower().removesuffix(":443")
        refs: list[ImageRef] = []
        other = 0
        for number, raw in enumerate(text.splitlines(), start=1):
            for token in raw.split():
                if token.startswith("#"):
                    break
                ref = _parse_one(token, number)
                if ref is None:
                    continue
                domain, image = ref
                if domain is not None and domain.lower().removesuffix(":443") != server:
                    other += 1
                    continue
                refs.append(image)
        return cls(refs=tuple(refs), other_registries=other)

    # -- queries --------------------------------------------------------------------------------------

    @property
    def repositories(self) -> frozenset[str]:
        return frozenset(self._by_tag) | frozenset(self._by_digest)

    def tags(self, repository: str) -> dict[str, ImageRef]:
        """In-use tags of a repository (references pinned by digest are not here: their tag is not pulled)."""
        return self._by_tag.get(repository, {})

    def digests(self, repository: str) -> dict[str, ImageRef]:
        return self._by_digest.get(repository, {})

    def blocks_tag(self, repository: str, tag: str) -> ImageRef | None:
        """The reference that pulls ``repository:tag``, if any: removing the tag breaks that pull."""
        return self._by_tag.get(repository, {}).get(tag)

    def blocks(self, repository: str, digest: str, tags: tuple[str, ...] | list[str] = ()) -> ImageRef | None:
        """The reference that pulls this manifest, by its digest or by one of its ``tags``, if any."""
        hit = self._by_digest.get(repository, {}).get(digest)
        if hit is not None:
            return hit
        by_tag = self._by_tag.get(repository)
        if by_tag:
            for t in tags:
                hit = by_tag.get(t)
                if hit is not None:
                    return hit
        return None

    def __len__(self) -> int:
        return len(self.refs)


def _parse_one(token: str, line: int) -> tuple[str | None, ImageRef] | None:
    text = token.strip().strip("'\"")
    if not text:
        return None
    for prefix in _PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix):]
            break
    m = _REFERENCE.match(text)
    if m is None:
        raise InputError(f"--in-use line {line}: {token!r} is not an image reference "
                         "(expected e.g. contoso.azurecr.io/app:v1 or app@sha256:...)")
    domain, path, tag, digest = m.group("domain"), m.group("path"), m.group("tag"), m.group("digest")
    # As in Docker: a first component is a registry host only if it has a dot or a port, or is localhost.
    if domain is not None and "." not in domain and ":" not in domain and domain != "localhost":
        path = f"{domain.lower()}/{path}" if domain == domain.lower() else ""
        if not path:
            raise InputError(f"--in-use line {line}: {token!r} is not an image reference (upper case repository)")
        domain = None
    if digest is not None:
        tag_out, digest_out = None, digest.lower()
    else:
        tag_out, digest_out = tag or "latest", None
    return domain, ImageRef(repository=path, tag=tag_out, digest=digest_out, line=line, text=text)
