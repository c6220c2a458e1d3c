"""The usage report as data: the versioned JSON document and the CSV tables (docs/usage.md).

The JSON document is the one source every other output reads from: the HTML report embeds it and draws from it,
so the browser test can compare what a page shows with this document. Byte counts are integers, never rounded.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from acrdoctor import __version__
from acrdoctor.usage.model import AGE_NAMES, Candidate, RepositoryUsage, UsageReport

#: Bump on any change of meaning or removal of a field; adding a field keeps the version (docs/usage.md).
USAGE_SCHEMA = 1
USAGE_KIND = "usage"


def repository_to_dict(r: RepositoryUsage) -> dict[str, Any]:
    return {
        "name": r.name,
        "collected": r.collected,
        "manifests": r.manifests,
        "tags": r.tags,
        "untagged_manifests": r.untagged_manifests,
        "dangling_manifests": r.dangling_manifests,
        "total_bytes": r.total_bytes,
        "exclusive_bytes": r.exclusive_bytes,
        "shared_bytes": r.shared_bytes,
        "dangling_bytes": r.dangling_bytes,
        "dangling_freed_bytes": r.dangling_freed_bytes,
        "in_use_exclusive_bytes": r.in_use_exclusive_bytes,
        "shared_with": [{"repository": name, "bytes": n} for name, n in r.shared_with],
        "shared_with_count": r.shared_with_count,
        "age_bytes": dict(r.age_bytes),
        "image_size_sum": r.image_size_sum,
        "last_update": r.last_update,
    }


def candidate_to_dict(rank: int, c: Candidate) -> dict[str, Any]:
    return {
        "rank": rank,
        "kind": c.kind,
        "repository": c.repository,
        "freed_bytes": c.freed_bytes,
        "manifests_deleted": c.manifests_deleted,
        "tags_deleted": c.tags_deleted,
        "command": c.command,
        "preflight_command": c.preflight_command,
        "blocker_count": c.blocker_count,
        "blockers": list(c.blockers),
    }


def report_to_dict(report: UsageReport) -> dict[str, Any]:
    t = report.totals
    return {
        "schema": USAGE_SCHEMA,
        "kind": USAGE_KIND,
        "tool": {"name": "acrdoctor", "version": __version__},
        "registry": report.registry,
        "collected_at": report.collected_at,
        "now": report.now,
        "complete": report.complete,
        "gaps": list(report.gaps),
        "older_than": report.older_than,
        "older_than_days": report.older_than_days,
        "age_buckets": list(AGE_NAMES),
        "totals": {
            "repositories": t.repositories,
            "manifests": t.manifests,
            "tags": t.tags,
            "deduplicated_bytes": t.deduplicated_bytes,
            "service_bytes": t.service_bytes,
            "image_size_sum": t.image_size_sum,
            "unexplained_bytes": t.unexplained_bytes,
            "shared_bytes": t.shared_bytes,
            "dangling_manifests": t.dangling_manifests,
            "dangling_freed_bytes": t.dangling_freed_bytes,
            "age_bytes": dict(t.age_bytes),
            "explanations": [{"code": e.code, "bytes": e.bytes, "text": e.text} for e in t.explanations],
        },
        "repositories": [repository_to_dict(r) for r in report.repositories],
        "candidates": {
            "top": report.top,
            "plans_evaluated": report.plans_evaluated,
            "combined_freed_bytes": report.top_combined_bytes,
            "summed_freed_bytes": report.top_summed_bytes,
            "items": [candidate_to_dict(i, c) for i, c in enumerate(report.candidates, 1)],
        },
    }


def render_json(report: UsageReport, pretty: bool = False) -> str:
    return json.dumps(report_to_dict(report), indent=2 if pretty else None, ensure_ascii=False) + "\n"


#: The repository table's columns, in order (docs/usage.md); ages follow as ``age_<bucket>_bytes``.
REPOSITORY_COLUMNS = ("repository", "collected", "manifests", "tags", "untagged_manifests", "dangling_manifests",
                      "total_bytes", "exclusive_bytes", "shared_bytes", "dangling_bytes", "dangling_freed_bytes",
                      "shared_with_count", "shared_most_with", "image_size_sum", "last_update")
CANDIDATE_COLUMNS = ("rank", "kind", "repository", "freed_bytes", "manifests_deleted", "tags_deleted",
                     "blocker_count", "command", "preflight_command")


def _age_column(name: str) -> str:
    return "age_" + name.replace("<", "lt").replace(">", "gt").replace("-", "_") + "_bytes"


def repository_csv(report: UsageReport) -> str:
    """One row per repository. Text cells are written as they are: CSV quoting keeps commas and quotes intact."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([*REPOSITORY_COLUMNS, *(_age_column(a) for a in AGE_NAMES)])
    for r in report.repositories:
        w.writerow([_cell(r.name), r.collected, r.manifests, r.tags, r.untagged_manifests, r.dangling_manifests,
                    r.total_bytes, r.exclusive_bytes, r.shared_bytes, r.dangling_bytes, r.dangling_freed_bytes,
                    r.shared_with_count, _cell(r.shared_with[0][0]) if r.shared_with else "", r.image_size_sum,
                    r.last_update or "", *(r.age_bytes[a] for a in AGE_NAMES)])
    return buf.getvalue()


def candidate_csv(report: UsageReport) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CANDIDATE_COLUMNS)
    for i, c in enumerate(report.candidates, 1):
        w.writerow([i, c.kind, _cell(c.repository), c.freed_bytes, c.manifests_deleted, c.tags_deleted,
                    c.blocker_count, c.command, c.preflight_command])
    return buf.getvalue()


def _cell(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (=, +, -, @ first: OWASP CSV injection); names rarely start
    so, and a leading apostrophe is what spreadsheets themselves use to mean 'text'."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def render_csv(report: UsageReport) -> str:
    """The repository table, a blank line, then the candidate table: one file, two headed sections."""
    return repository_csv(report) + "\n" + candidate_csv(report)
