"""Reading an ``az`` output bundle: a directory of what read-only ``az acr`` commands printed.

A customer who cannot install acrdoctor runs the script from ``acrdoctor bundle-script`` (only ``az``
and bash needed) and sends the directory back; ``acrdoctor diagnose --bundle DIR`` reads it here. The
layout is a public contract, documented in ``docs/bundle.md``. Each file holds exactly what its command
prints with ``--output json``; ARM objects are accepted in ``az``'s flattened form and in the REST form
with a ``properties`` wrapper (:mod:`acrdoctor.collect.arm_shapes`), and data-plane items go through the
same helpers as a live collection, so a bundle and a live scan of one registry give the same snapshot.

A missing file means that part was not collected: it stays absent in the snapshot and the checks that
need it are skipped. When the command failed, the script left what az printed on stderr beside it
(``usage.error.txt`` for ``usage.json``); that becomes a collection error in ACR's terms
(:mod:`acrdoctor.collect.az_errors`), so the checks and the skip reasons see what a live collection would
have seen. A file that is there but unreadable or foreign is an error naming the file, and so is a name or a
symbolic link that leads out of the bundle directory: a bundle comes from elsewhere, and reading it must not
read anything else.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from acrdoctor.clock import iso_stamp
from acrdoctor.collect.arm_shapes import (
    private_endpoint_section,
    registry_section,
    replication_section,
    usage_section,
)
from acrdoctor.collect.az_errors import parse_az_error
from acrdoctor.collect.bundle_controls import ControlsReader
from acrdoctor.collect.dataplane import ScanResult, apply_body, manifest_doc, tag_doc
from acrdoctor.errors import InputError
from acrdoctor.manifest_body import parse_manifest_body
from acrdoctor.model import Part, Snapshot
from acrdoctor.snapshot_io import KIND, SCHEMA_VERSION, SnapshotError, snapshot_from_dict
from acrdoctor.user_files import parse_json, read_text

REGISTRY = "registry.json"
USAGE = "usage.json"
PRIVATE_ENDPOINT_CONNECTIONS = "private-endpoint-connections.json"
REPLICATIONS = "replications.json"
REPOSITORIES = "repositories.json"
REPOSITORIES_DIR = "repositories"
REPOSITORY = "repository.json"
TAGS = "tags.json"
MANIFESTS = "manifests.json"
BODIES_DIR = "manifests"
#: What a failed command leaves instead of ``NAME.json``: ``NAME`` + this, holding what az printed on stderr.
ERROR_SUFFIX = ".error.txt"
#: Left in a repository's ``manifests/`` folder when listing the digests whose bodies to fetch failed.
DIGESTS_ERROR = "digests" + ERROR_SUFFIX


def error_file_name(name: str) -> str:
    """``usage.json`` → ``usage.error.txt``: where the script keeps the error of the command that writes ``name``."""
    return name.removesuffix(".json") + ERROR_SUFFIX


#: Files that make a folder under ``repositories/`` a repository's folder.
_REPOSITORY_FILES = frozenset(n for f in (REPOSITORY, TAGS, MANIFESTS) for n in (f, error_file_name(f)))


class BundleError(InputError):
    """A bundle file that cannot be read, is not JSON, or is not what its command prints."""


def body_file_name(digest: str) -> str:
    """``sha256:abc…`` → ``sha256-abc….json`` (a colon is not allowed in Windows file names)."""
    return digest.replace(":", "-", 1) + ".json"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number"}.get(type(value), type(value).__name__)


class _Reader:
    """Reads the bundle's files; every error names the file as the user would type it (``bundle/usage.json``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.real_root = root.resolve()
        self.errors: list[dict[str, Any]] = []

    def show(self, rel: str) -> str:
        return str(self.root / rel)

    def path(self, rel: str) -> Path:
        """Where ``rel`` is, refused when it leads out of the bundle: names in it come from its own content."""
        if ".." in rel.split("/"):
            raise BundleError(f"{self.show(rel)}: a name in the bundle contains '..' and would lead out of the "
                              "bundle directory; refusing to read it")
        path = self.root / rel
        try:
            real = path.resolve()
        except (OSError, RuntimeError) as exc:  # RuntimeError: a symbolic link loop (Python 3.11)
            raise BundleError(f"{self.show(rel)}: cannot follow its symbolic links ({exc})") from None
        if not real.is_relative_to(self.real_root):
            raise BundleError(f"{self.show(rel)}: a symbolic link leads out of the bundle directory (to {real}); "
                              "refusing to follow it")
        return path

    def text(self, rel: str) -> str | None:
        """The file's text, or None when it does not exist."""
        path = self.path(rel)
        if not path.is_file():
            if path.exists():
                raise BundleError(f"{self.show(rel)}: is not a file")
            return None
        return read_text(path, BundleError)

    def json(self, rel: str) -> Any:
        """The parsed file, or None when it does not exist (the part was not collected)."""
        text = self.text(rel)
        if text is None:
            return None
        if not text.strip():
            raise BundleError(f"{self.show(rel)}: the file is empty (did the az command fail? delete the file to "
                              "mark that part as not collected)")
        try:
            return parse_json(text, self.show(rel), BundleError)
        except BundleError as exc:
            raise BundleError(f"{exc}; it must hold what the az command printed with --output json") from None

    def failed(self, rel: str, part: Part, operation: str, repository: str | None = None) -> None:
        """Record the error the script left for ``rel`` when ``rel`` itself is absent (its command failed)."""
        if not self.path(rel).exists():
            self.record(error_file_name(rel), part, operation, repository)

    def record(self, error_rel: str, part: Part, operation: str, repository: str | None = None) -> None:
        """A collection error from the error file ``error_rel``, when there is one.

        The part, repository and operation are the ones a live collection names for the same call
        (:mod:`acrdoctor.collect.dataplane`, :mod:`acrdoctor.collect.live`), so checks treat both alike.
        """
        text = self.text(error_rel)
        if text is None:
            return
        f = parse_az_error(text)
        doc = {"part": part.value, "status": f.status, "code": f.code, "message": f.message,
               "repository": repository, "operation": operation}
        self.errors.append({k: v for k, v in doc.items() if v is not None})

    def foreign(self, rel: str, expected: str, found: Any) -> BundleError:
        return BundleError(f"{self.show(rel)}: expected {expected}, found {found}")

    def items(self, rel: str, value: Any, command: str, rest_key: str,
              ok: Callable[[Any], bool], what: str) -> list[Any]:
        """A list as ``az`` prints it, or the REST form ``{rest_key: [...]}``; every item must pass ``ok``."""
        rows = value.get(rest_key) if isinstance(value, Mapping) else value
        if not isinstance(rows, list):
            raise self.foreign(rel, f"{command} output (a list of {what})",
                               _kind(value) if not isinstance(value, Mapping) else "an object without "
                               f"\"{rest_key}\"")
        for i, row in enumerate(rows):
            if not ok(row):
                raise self.foreign(rel, f"{command} output (a list of {what})", f"item {i}: {_describe(row)}")
        return rows


def _describe(value: Any) -> str:
    if isinstance(value, Mapping):
        keys = ", ".join(sorted(map(str, value))[:6])
        return f"an object with keys {keys}" if keys else "an empty object"
    return _kind(value)


def _is_obj_with(*keys: str) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, Mapping) and all(isinstance(v.get(k), str) for k in keys)


def _props(value: Mapping[str, Any]) -> Mapping[str, Any]:
    props = value.get("properties")
    return props if isinstance(props, Mapping) else value


def _registry(r: _Reader) -> dict[str, Any]:
    value = r.json(REGISTRY)
    if value is None:
        failed = r.text(error_file_name(REGISTRY))
        why = f"'az acr show' failed: {parse_az_error(failed).message}" if failed is not None else \
            "a bundle needs at least the output of 'az acr show' (see docs/bundle.md)"
        raise BundleError(f"{r.show(REGISTRY)}: not found; {why}")
    expected = "az acr show output (an ARM registry object with \"name\" and \"loginServer\")"
    if not isinstance(value, Mapping):
        raise r.foreign(REGISTRY, expected, _kind(value))
    if not isinstance(value.get("name"), str) or not value["name"] or "loginServer" not in _props(value):
        raise r.foreign(REGISTRY, expected, _describe(value))
    return registry_section(value)


def _usage(r: _Reader) -> list[dict[str, Any]] | None:
    value = r.json(USAGE)
    if value is None:
        r.failed(USAGE, Part.USAGE, "list_usage")
        return None
    expected = "az acr show-usage output (an object with \"value\")"
    if not isinstance(value, Mapping):
        raise r.foreign(USAGE, expected, _kind(value))
    rows = value.get("value")
    if not isinstance(rows, list):
        raise r.foreign(USAGE, expected, _describe(value))
    for i, row in enumerate(rows):
        if not _is_obj_with("name")(row):
            raise r.foreign(USAGE, expected + " whose rows have \"name\"", f"value[{i}]: {_describe(row)}")
    return usage_section(value)


def _arm_list(r: _Reader, rel: str, command: str, section: Callable[[Any], list[dict[str, Any]]],
              part: Part) -> list[dict[str, Any]] | None:
    value = r.json(rel)
    if value is None:
        r.failed(rel, part, f"list_{part.value}")
        return None
    rows = r.items(rel, value, command, "value", _is_obj_with("name"), "ARM objects with \"name\"")
    return section(rows)


def _repository_names(r: _Reader) -> list[str] | None:
    value = r.json(REPOSITORIES)
    if value is None:
        r.failed(REPOSITORIES, Part.REPOSITORIES, "list_repository_names")
        return None
    names = r.items(REPOSITORIES, value, "az acr repository list", "repositories",
                    lambda v: isinstance(v, str) and bool(v), "repository names")
    return sorted(set(names))


def _discovered_repositories(r: _Reader) -> list[str]:
    """Repository folders under ``repositories/`` (``a/b`` is ``repositories/a/b/``), for a bundle without a list.

    The walk does not enter linked folders, and any link met on the way that leads out of the bundle is refused.
    """
    base = r.path(REPOSITORIES_DIR)
    if not base.is_dir():
        return []
    found = set()
    for folder, dirs, files in os.walk(base):
        here = Path(folder).relative_to(base)
        for name in (*dirs, *files):
            if (Path(folder) / name).is_symlink():
                r.path((Path(REPOSITORIES_DIR) / here / name).as_posix())
        if here != Path(".") and _REPOSITORY_FILES.intersection(files):
            found.add(here.as_posix())
    return sorted(found)


def _repository(r: _Reader, name: str, blobs: ScanResult) -> tuple[dict[str, Any], int, int]:
    """One repository document; also how many of its manifests had a body file and how many did not."""
    folder = f"{REPOSITORIES_DIR}/{name}"
    doc: dict[str, Any] = {"name": name}
    props_rel = f"{folder}/{REPOSITORY}"
    props = r.json(props_rel)
    if props is None:
        r.failed(props_rel, Part.REPOSITORIES, "get_repository_properties", name)
    else:
        expected = "az acr repository show --repository output (an object with \"imageName\" and \"manifestCount\")"
        if not isinstance(props, Mapping):
            raise r.foreign(props_rel, expected, _kind(props))
        if "manifestCount" not in props and "imageName" not in props:
            raise r.foreign(props_rel, expected, _describe(props))
        attrs = props.get("changeableAttributes")
        doc.update({k: props.get(k) for k in ("createdTime", "lastUpdateTime", "manifestCount", "tagCount")})
        if isinstance(attrs, Mapping):
            doc["changeableAttributes"] = {k: attrs[k] for k in ("deleteEnabled", "writeEnabled", "readEnabled",
                                                                 "listEnabled") if isinstance(attrs.get(k), bool)}
    manifests_rel = f"{folder}/{MANIFESTS}"
    manifests = r.json(manifests_rel)
    with_body = without_body = 0
    if manifests is None:
        r.failed(manifests_rel, Part.MANIFESTS, "list_manifests", name)
    else:
        rows = r.items(manifests_rel, manifests, "az acr manifest list-metadata", "manifests",
                       _is_obj_with("digest"), "manifest objects with \"digest\"")
        docs = [manifest_doc(dict(m)) for m in rows]
        if docs:
            r.record(f"{folder}/{BODIES_DIR}/{DIGESTS_ERROR}", Part.MANIFEST_BODIES, "list_manifests", name)
        for m in docs:
            body_rel = f"{folder}/{BODIES_DIR}/{body_file_name(m['digest'])}"
            body = r.json(body_rel)
            if body is None:
                r.failed(body_rel, Part.MANIFEST_BODIES, "get_manifest", name)
                without_body += 1
                continue
            if not isinstance(body, Mapping) or not ({"schemaVersion", "layers", "manifests", "config"} & set(body)):
                raise r.foreign(body_rel, f"az acr manifest show --raw output for {m['digest']} (a manifest with "
                                "\"schemaVersion\" and \"layers\" or \"manifests\")", _describe(body))
            with_body += 1
            apply_body(m, parse_manifest_body(body), blobs.blob)
        doc["manifests"] = docs
    tags_rel = f"{folder}/{TAGS}"
    tags = r.json(tags_rel)
    if tags is None:
        r.failed(tags_rel, Part.TAGS, "list_tags", name)
    else:
        raw = tags.get("tags") if isinstance(tags, Mapping) else tags
        if isinstance(raw, list) and raw and all(isinstance(t, str) for t in raw):
            raise r.foreign(tags_rel, "az acr repository show-tags --detail output (tag objects)",
                            "tag names only: run the command with --detail")
        rows = r.items(tags_rel, tags, "az acr repository show-tags --detail", "tags",
                       _is_obj_with("name", "digest"), "tag objects with \"name\" and \"digest\"")
        doc["tags"] = [tag_doc(dict(t)) for t in rows]
    return {k: v for k, v in doc.items() if v is not None}, with_body, without_body


def bundle_to_dict(path: str | Path) -> dict[str, Any]:
    """The snapshot document (``docs/snapshot.md``) a bundle directory describes."""
    root = Path(path)
    if not root.exists():
        raise BundleError(f"bundle directory not found: {root}")
    if not root.is_dir():
        raise BundleError(f"{root}: not a directory; a bundle is the directory the bundle script wrote "
                          "(unpack it first if it was sent as an archive)")
    r = _Reader(root)
    registry = _registry(r)
    reg_file = r.path(REGISTRY)
    collected = iso_stamp(datetime.fromtimestamp(reg_file.stat().st_mtime, UTC))
    doc: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "kind": KIND, "collected_at": collected,
                           "source": "bundle", "registry": registry}
    for key, value in (
        ("usage", _usage(r)),
        ("private_endpoint_connections", _arm_list(r, PRIVATE_ENDPOINT_CONNECTIONS,
                                                   "az acr private-endpoint-connection list",
                                                   private_endpoint_section, Part.PRIVATE_ENDPOINT_CONNECTIONS)),
        ("replications", _arm_list(r, REPLICATIONS, "az acr replication list", replication_section,
                                   Part.REPLICATIONS)),
    ):
        if value is not None:
            doc[key] = value
    partial: set[str] = set()
    names = _repository_names(r)
    if names is None:
        # No list: a bundle made for chosen repositories (--repository) still has their folders.
        names = _discovered_repositories(r) or None
        if names is not None:
            partial |= {Part.REPOSITORIES.value, Part.MANIFESTS.value, Part.MANIFEST_BODIES.value}
    if names is not None:
        blobs = ScanResult()
        repos = []
        with_body = without_body = 0
        for name in names:
            repo, got, missing = _repository(r, name, blobs)
            repos.append(repo)
            with_body, without_body = with_body + got, without_body + missing
        for part, key in ((Part.MANIFESTS, "manifests"), (Part.TAGS, "tags")):
            have = sum(key in repo for repo in repos)
            if 0 < have < len(repos):
                partial.add(part.value)
        if with_body and without_body:
            partial.add(Part.MANIFEST_BODIES.value)
        doc["repositories"] = repos
        doc["blobs"] = blobs.blob_table()
    controls = ControlsReader(r, registry)
    doc.update(controls.read(names))
    partial |= controls.partial
    if partial:
        doc["partial"] = sorted(partial)
    doc["errors"] = r.errors
    return doc


def load_bundle(path: str | Path) -> Snapshot:
    """Read a bundle directory (``docs/bundle.md``) into a snapshot whose ``source`` is ``bundle``."""
    doc = bundle_to_dict(path)
    try:
        return snapshot_from_dict(doc)
    except SnapshotError as exc:
        raise BundleError(_locate(_Reader(Path(path)), str(exc), doc)) from None


_TOP_FILES = {"registry": REGISTRY, "usage": USAGE, "private_endpoint_connections": PRIVATE_ENDPOINT_CONNECTIONS,
              "replications": REPLICATIONS}
_REPO_PATH = re.compile(r"^repositories\[(\d+)\](?:\.(manifests|tags)(\[\d+\])?)?\.?(.*)$", re.DOTALL)


def _locate(r: _Reader, message: str, doc: Mapping[str, Any]) -> str:
    """Point a snapshot reader's complaint (``repositories[3].manifests[17].imageSize: …``) at the bundle file."""
    top = re.match(r"^(\w+)", message)
    if top and top.group(1) in _TOP_FILES:
        return f"{r.show(_TOP_FILES[top.group(1)])}: {message}"
    m = _REPO_PATH.match(message)
    if m:
        name = doc["repositories"][int(m.group(1))]["name"]
        listing, item, rest = m.group(2), m.group(3) or "", m.group(4)
        rel = f"{REPOSITORIES_DIR}/{name}/{MANIFESTS if listing == 'manifests' else TAGS if listing else REPOSITORY}"
        return f"{r.show(rel)}: {item}{'.' if item and rest and rest[0] != ':' else ''}{rest}"
    return f"{r.root}: {message}"
