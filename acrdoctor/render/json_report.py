"""The documented, versioned JSON report (``docs/output.md``): the full detail, nothing capped."""

from __future__ import annotations

import json
from typing import Any

from acrdoctor import __version__
from acrdoctor.check_api import Finding, Fix, Severity
from acrdoctor.completeness import Gap
from acrdoctor.engine import CheckResult, Report
from acrdoctor.grouping import commands_to_json, printed
from acrdoctor.model import CollectionError

#: 2: the ``incomplete`` status, ``lower_bound`` and ``gaps`` on results, ``collection_errors``; 3: a ``commands``
#: item may be a ``delete-manifests`` group object (docs/output.md).
REPORT_SCHEMA_VERSION = 3


#: Values the JSON encoder writes as they are (``bool`` is a subclass of ``int`` but ``type()`` tells them apart).
_PLAIN = frozenset({str, int, float, bool, type(None)})


def fix_to_dict(fix: Fix, grouped: bool = True) -> dict[str, Any]:
    """Deletes of several manifests of one repository are one group object unless ``grouped`` is false
    (:mod:`acrdoctor.grouping`); the other commands are strings."""
    return {
        "summary": fix.summary,
        "commands": commands_to_json(printed(fix.actions, fix.extra_commands, grouped)),
        "notes": list(fix.notes),
        "docs": list(fix.docs),
        "related": [
            {"label": r.label, "summary": r.summary, "commands": commands_to_json(printed(r.actions, (), grouped))}
            for r in fix.related
        ],
    }


def finding_to_dict(f: Finding, grouped: bool = True) -> dict[str, Any]:
    return {
        "check": f.check,
        "severity": f.severity.value,
        "resource": f.resource.name,
        "resource_kind": f.resource.kind.value,
        "message": f.message,
        "cause": f.cause,
        "fix": None if f.fix is None else fix_to_dict(f.fix, grouped),
        "details": _jsonable(f.details),
    }


def _jsonable(value: Any) -> Any:
    if type(value) is list and set(map(type, value)) <= _PLAIN:  # digest lists of 100,000s: checked in C
        return value
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


def result_to_dict(r: CheckResult, grouped: bool = True) -> dict[str, Any]:
    worst = r.worst()
    return {
        "check": r.slug,
        "title": r.check.title,
        "status": r.status.value,
        "severity": (worst or r.check.severity).value,
        "reason": r.reason,
        "lower_bound": r.lower_bound,
        "gaps": [gap_to_dict(g) for g in r.gaps],
        "findings": [finding_to_dict(f, grouped) for f in r.findings],
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


def report_to_dict(report: Report, grouped: bool = True) -> dict[str, Any]:
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
        "results": [result_to_dict(r, grouped) for r in report.results],
        "collection_errors": [error_to_dict(e) for e in s.errors],
        "warnings": list(report.plugin_warnings),
    }


def render_json(report: Report, pretty: bool = True, grouped: bool = True) -> str:
    """Indented for people; compact for pipes, where it is several times faster on big registries
    (the indenting encoder is pure Python, the compact one is C). ``grouped=False`` prints every delete of a
    manifest as its own command (``--commands full``), as schema version 2 did."""
    doc = report_to_dict(report, grouped)
    if pretty:
        return json.dumps(doc, indent=2) + "\n"
    return json.dumps(doc, separators=(",", ":")) + "\n"
