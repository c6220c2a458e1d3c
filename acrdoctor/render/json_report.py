"""The documented, versioned JSON report (``docs/output.md``): the full detail, nothing capped."""

from __future__ import annotations

import json
from typing import Any

from acrdoctor import __version__
from acrdoctor.check_api import Finding, Severity
from acrdoctor.completeness import Gap
from acrdoctor.engine import CheckResult, Report
from acrdoctor.model import CollectionError

#: 2: the ``incomplete`` status, ``lower_bound`` and ``gaps`` on results, ``collection_errors`` (docs/output.md).
REPORT_SCHEMA_VERSION = 2


def finding_to_dict(f: Finding) -> dict[str, Any]:
    fix = f.fix
    return {
        "check": f.check,
        "severity": f.severity.value,
        "resource": f.resource.name,
        "resource_kind": f.resource.kind.value,
        "message": f.message,
        "cause": f.cause,
        "fix": None if fix is None else {
            "summary": fix.summary,
            "commands": list(fix.commands),
            "notes": list(fix.notes),
            "docs": list(fix.docs),
            "related": [
                {"label": r.label, "summary": r.summary, "commands": list(r.commands)} for r in fix.related
            ],
        },
        "details": _jsonable(f.details),
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_jsonable(v) for v in value]
        return sorted(items) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def error_to_dict(e: CollectionError) -> dict[str, Any]:
    return {"part": e.part, "repository": e.repository, "operation": e.operation, "status": e.status,
            "code": e.code, "message": e.message, "retry_after": e.retry_after}


def gap_to_dict(g: Gap) -> dict[str, Any]:
    return {"part": g.part.value, "label": g.part.label, "everywhere": g.everywhere,
            "repositories": list(g.repositories), "errors": [error_to_dict(e) for e in g.errors]}


def result_to_dict(r: CheckResult) -> dict[str, Any]:
    worst = r.worst()
    return {
        "check": r.slug,
        "title": r.check.title,
        "status": r.status.value,
        "severity": (worst or r.check.severity).value,
        "reason": r.reason,
        "lower_bound": r.lower_bound,
        "gaps": [gap_to_dict(g) for g in r.gaps],
        "findings": [finding_to_dict(f) for f in r.findings],
    }


def summary(report: Report) -> dict[str, Any]:
    counts = report.counts()
    by_sev = {s.value: 0 for s in reversed(list(Severity))}
    for f in report.findings():
        by_sev[f.severity.value] += 1
    return {
        **{s.value: n for s, n in counts.items()},
        "findings": sum(by_sev.values()),
        "by_severity": by_sev,
    }


def report_to_dict(report: Report) -> dict[str, Any]:
    s = report.snapshot
    reg = s.registry
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "tool": {"name": "acrdoctor", "version": __version__},
        "registry": {
            "name": reg.name,
            "login_server": reg.login_server,
            "sku": reg.sku,
            "resource_group": reg.resource_group,
            "source": s.source,
            "collected_at": s.collected_at,
        },
        "summary": summary(report),
        "results": [result_to_dict(r) for r in report.results],
        "collection_errors": [error_to_dict(e) for e in s.errors],
        "warnings": list(report.plugin_warnings),
    }


def render_json(report: Report, pretty: bool = True) -> str:
    """Indented for people; compact for pipes, where it is several times faster on big registries
    (the indenting encoder is pure Python, the compact one is C)."""
    if pretty:
        return json.dumps(report_to_dict(report), indent=2) + "\n"
    return json.dumps(report_to_dict(report), separators=(",", ":")) + "\n"
