"""What ``az acr`` listing commands would print for a snapshot, so a script's ``--query`` runs on the real shape.

Cleanup scripts pick what to delete with a listing and a JMESPath ``--query``, then pipe the result to ``xargs``:

* ``az acr manifest list-metadata -r REG -n REPO`` prints the ``manifests`` array of ``GET /acr/v1/{repo}/_manifests``
  unchanged (azure-cli ``acr/manifest.py`` ``acr_manifest_metadata_list`` returns ``_obtain_data_from_registry(...,
  result_index='manifests')``): ``digest``, ``imageSize``, ``createdTime``, ``lastUpdateTime``, ``architecture``,
  ``os``, ``mediaType``, ``tags`` (absent when untagged: the ACR delete docs, "The tags array is removed from
  meta-data when an image is untagged"), ``changeableAttributes`` and, for an index, ``references``. The fake ACR
  serves the same objects (``acrdoctor.testing``; a test compares both).
* ``az acr repository show-tags`` prints tag *names* without ``--detail`` and the ``tags`` array of
  ``GET /acr/v1/{repo}/_tags`` with it (azure-cli ``acr/repository.py``: "For backward compatibility, convert the
  results to the old schema").
* ``az acr repository show-manifests`` (deprecated) prints ``{digest, tags, timestamp}`` rows without ``--detail``,
  ``timestamp`` being ``lastUpdateTime`` (same file), which older versions of the docs' script query.

``--orderby time_asc|time_desc`` sorts by ``lastUpdateTime`` (the service's ``timeasc``/``timedesc``); without it the
service lists by digest or tag name, as the fake does. ``--top N`` keeps the first N. The query is evaluated with
the ``jmespath`` library, which the Azure CLI uses for ``--query``; ``-o tsv`` is rendered as az's TSV output does
for scalars and rows of scalars (one line each, columns joined by tabs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

from acrdoctor.model import Attributes, Manifest, Repository, Snapshot

__all__ = ["Listing", "ListingError", "list_rows", "run_listing", "tsv_lines"]


class ListingError(ValueError):
    """A listing acrdoctor cannot evaluate on the snapshot; the message says why, for the report."""


@dataclass(frozen=True, slots=True)
class Listing:
    """One listing command: which, where, and how its output is shaped."""

    kind: str  # "list-metadata", "show-tags" or "show-manifests"
    repository: str
    query: str | None = None
    orderby: str | None = None
    top: int | None = None
    detail: bool = False
    output: str = "json"


def _attributes(a: Attributes) -> dict[str, Any]:
    return {"deleteEnabled": a.delete_enabled, "writeEnabled": a.write_enabled, "readEnabled": a.read_enabled,
            "listEnabled": a.list_enabled}


def _tags_by_digest(repo: Repository) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if repo.tags is not None:
        for t in sorted(repo.tags, key=lambda t: t.name):
            out.setdefault(t.digest, []).append(t.name)
        return out
    for m in repo.manifests or ():
        if m.tags:
            out[m.digest] = sorted(m.tags)
    return out


def _manifest_row(m: Manifest, tags: list[str], by_digest: dict[str, Manifest]) -> dict[str, Any]:
    row: dict[str, Any] = {"digest": m.digest, "imageSize": m.image_size, "createdTime": m.created,
                           "lastUpdateTime": m.updated}
    if m.architecture:
        row["architecture"] = m.architecture
    if m.os:
        row["os"] = m.os
    row["mediaType"] = m.media_type
    if tags:
        row["tags"] = tags
    attrs = _attributes(m.attributes)
    if m.quarantine_state:
        attrs["quarantineState"] = m.quarantine_state
    row["changeableAttributes"] = attrs
    if m.references:
        refs = []
        for d in m.references:
            child = by_digest.get(d)
            ref: dict[str, Any] = {"digest": d}
            if child is not None and child.architecture:
                ref["architecture"] = child.architecture
            if child is not None and child.os:
                ref["os"] = child.os
            refs.append(ref)
        row["references"] = refs
    return row


def _find(snapshot: Snapshot, name: str) -> Repository:
    if snapshot.repositories is None:
        raise ListingError("the snapshot has no repository list")
    for r in snapshot.repositories:
        if r.name == name:
            return r
    for r in snapshot.repositories:
        if r.name.lower() == name.lower():
            return r
    raise ListingError(f"repository {name!r} is not in the registry (az fails with NAME_UNKNOWN and prints nothing)")


def _ordered(rows: list[dict[str, Any]], orderby: str | None, key: str) -> list[dict[str, Any]]:
    if orderby is None:
        return sorted(rows, key=lambda r: str(r.get(key) or ""))
    if orderby not in ("time_asc", "time_desc"):
        raise ListingError(f"--orderby {orderby!r} is not one of time_asc, time_desc")
    # Equal times fall back to the name, as the fake ACR orders them (the service documents no tie-break).
    return sorted(rows, key=lambda r: (str(r.get("lastUpdateTime") or ""), str(r.get(key) or "")),
                  reverse=orderby == "time_desc")


def list_rows(listing: Listing, snapshot: Snapshot) -> list[Any]:
    """The JSON value az prints for ``listing`` before ``--query``."""
    repo = _find(snapshot, listing.repository)
    if listing.kind in ("list-metadata", "show-manifests"):
        if repo.manifests is None:
            raise ListingError(f"the manifests of {repo.name} were not collected")
        tags = _tags_by_digest(repo)
        by_digest = repo.manifest_by_digest()
        rows = _ordered([_manifest_row(m, tags.get(m.digest, []), by_digest) for m in repo.manifests],
                        listing.orderby, "digest")
        if listing.top is not None:
            rows = rows[:listing.top]
        if listing.kind == "show-manifests" and not listing.detail:
            return [{"digest": r["digest"], "tags": r.get("tags", []), "timestamp": r.get("lastUpdateTime") or ""}
                    for r in rows]
        return rows
    if listing.kind == "show-tags":
        if repo.tags is None:
            raise ListingError(f"the tags of {repo.name} were not collected")
        tag_rows = _ordered([{"name": t.name, "digest": t.digest, "createdTime": t.created,
                              "lastUpdateTime": t.updated, "signed": False,
                              "changeableAttributes": _attributes(t.attributes)} for t in repo.tags],
                            listing.orderby, "name")
        if listing.top is not None:
            tag_rows = tag_rows[:listing.top]
        return tag_rows if listing.detail else [r["name"] for r in tag_rows]
    raise ListingError(f"listing {listing.kind!r} is not modelled")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)  # az's TSV prints Python's True/False
    if isinstance(value, (str, int, float)):
        return str(value)
    raise ListingError("the query yields nested values, which az's TSV output does not print as plain lines")


def tsv_lines(value: Any) -> list[str]:
    """az ``-o tsv`` of a query result: a scalar per line, or a row of scalars joined by tabs."""
    if value is None:
        return []
    items: Sequence[Any] = value if isinstance(value, list) else [value]
    lines: list[str] = []
    for item in items:
        if isinstance(item, list):
            lines.append("\t".join(_cell(x) for x in item))
        elif isinstance(item, dict):
            lines.append("\t".join(_cell(x) for x in item.values()))
        else:
            lines.append(_cell(item))
    return lines


def run_listing(listing: Listing, snapshot: Snapshot) -> list[str]:
    """The lines ``listing`` prints with ``-o tsv`` (its ``--query`` applied), as a pipe passes them on."""
    rows = list_rows(listing, snapshot)
    if listing.query is not None:
        try:
            rows = jmespath.search(listing.query, rows)
        except JMESPathError as exc:
            raise ListingError(f"invalid --query {listing.query!r}: {exc}") from None
    if listing.output != "tsv":
        raise ListingError(f"the listing prints {listing.output} (not -o tsv), so the next command would receive "
                           "JSON text, not one value per line")
    return tsv_lines(rows)
