"""SARIF 2.1.0 output, so findings land in the same dashboards as code-scanning and cloud-posture tools.

SARIF was made for source files; acrdoctor's findings are about cloud resources, so each result
carries a *logical* location (``kind`` plus a fully qualified name such as
``contoso.azurecr.io/app@sha256:...``) rather than a file and line. The severity mapping follows the
usual convention of security tools (critical/high → error, medium → warning, low/info → note) plus a
numeric ``security-severity`` that GitHub code scanning uses to rank alerts.

Only failed findings become results. Checks that could not judge (skipped, errored, incomplete) are
not silent passes: they are reported as tool execution notifications, as are checks whose findings are
a lower bound and every collection error, and a crashed check marks the invocation as unsuccessful.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from acrdoctor import __version__
from acrdoctor.check_api import Finding, ResourceKind, Severity, Status
from acrdoctor.engine import CheckResult, Report
from acrdoctor.grouping import ManifestDeletes, printed, shown_commands
from acrdoctor.model import CollectionError, Registry
from acrdoctor.render.json_report import _jsonable, error_to_dict, fix_to_dict

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

LEVELS: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}

#: GitHub buckets security-severity as critical > 9.0, high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9;
#: each value sits inside its bucket so the dashboard shows the same word acrdoctor does.
SECURITY_SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}

#: ARM child types of a registry, for resources that have no data-plane name under the login server.
_ARM_CHILD = {
    ResourceKind.PRIVATE_ENDPOINT_CONNECTION: "privateEndpointConnections",
    ResourceKind.REPLICATION: "replications",
}


def rule_name(slug: str) -> str:
    """SARIF wants an identifier-like friendly name; derive it from the slug so plug-ins get one too."""
    return "".join(part.capitalize() for part in slug.split("-"))


def qualified_name(registry: Registry, kind: ResourceKind, name: str) -> str:
    """A name that identifies the resource across registries, in the notation users paste into tools.

    Data-plane objects use the ``docker pull`` form under the login server; ARM children use the
    resource id when the registry's id is known, because that is what ``az`` accepts with ``--ids``.
    """
    login = registry.login_server
    if kind is ResourceKind.REGISTRY:
        return registry.id or login
    if kind in (ResourceKind.REPOSITORY, ResourceKind.MANIFEST, ResourceKind.TAG):
        return f"{login}/{name}"
    child = _ARM_CHILD.get(kind)
    if child is not None and registry.id:
        return f"{registry.id}/{child}/{name}"
    return f"{login}/{kind.value}/{name}"


def _rule(r: CheckResult) -> dict[str, Any]:
    check = r.check
    rule: dict[str, Any] = {
        "id": check.slug,
        "name": rule_name(check.slug),
        "shortDescription": {"text": check.title},
        "fullDescription": {"text": check.cause},
        "defaultConfiguration": {"level": LEVELS[check.severity]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[check.severity],
            "tags": ["acrdoctor", "azure-container-registry", check.severity.value],
            "severity": check.severity.value,
        },
    }
    if check.docs:
        rule["helpUri"] = check.docs[0]
    help_lines = [x for x in (check.failure_mode, check.cause) if x]
    help_lines += [f"See {url}" for url in check.docs]
    rule["help"] = {"text": "\n".join(help_lines)}
    return rule


def _lines(items: list[str | ManifestDeletes], multiline: bool) -> list[str]:
    return [line for cmd in shown_commands(items, None, multiline).commands for line in cmd]


def _message(f: Finding, grouped: bool) -> dict[str, str]:
    """Plain text for every viewer and markdown for those that render it; both carry the commands (a group of
    deletes as one ``for`` loop, :mod:`acrdoctor.grouping`)."""
    text = [f"{f.resource.kind.value} {f.resource.name}: {f.message}", f"Why: {f.cause}"]
    md = [f"{f.resource.kind.value} `{f.resource.name}`: {f.message}", "", f"**Why:** {f.cause}"]
    if f.fix is not None:
        items = printed(f.fix.actions, f.fix.extra_commands, grouped)
        text.append(f"Fix: {f.fix.summary}")
        text.extend(f"  $ {cmd}" for cmd in _lines(items, multiline=False))
        text.extend(f"  * {note}" for note in f.fix.notes)
        md += ["", f"**Fix:** {f.fix.summary}"]
        if items:
            block = _lines(items, multiline=True)
            fence = "```"
            while any(fence in line for line in block):
                fence += "`"
            md += ["", fence + "bash", *block, fence]
        md += [f"* {note}" for note in f.fix.notes]
        for rel in f.fix.related:
            related = printed(rel.actions, (), grouped)
            text.append(f"{rel.label.capitalize()}: {rel.summary}")
            text.extend(f"  $ {cmd}" for cmd in _lines(related, multiline=False))
            md += ["", f"**{rel.label.capitalize()}:** {rel.summary}"]
            if related:
                md += ["", "```bash", *_lines(related, multiline=True), "```"]
    return {"text": "\n".join(text), "markdown": "\n".join(md)}


def _fingerprint(f: Finding) -> str:
    """Stable across runs so a dashboard can tell a recurring finding from a new one."""
    key = f"{f.check}\0{f.resource.kind.value}\0{f.resource.name}\0{f.message}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _result(f: Finding, rule_index: int, registry: Registry, lower_bound: bool, grouped: bool) -> dict[str, Any]:
    props: dict[str, Any] = {"severity": f.severity.value, "security-severity": SECURITY_SEVERITY[f.severity],
                             "lowerBound": lower_bound}
    if f.fix is not None:
        props["fix"] = fix_to_dict(f.fix, grouped)
    if f.details:
        props["details"] = _jsonable(f.details)
    return {
        "ruleId": f.check,
        "ruleIndex": rule_index,
        "level": LEVELS[f.severity],
        "message": _message(f, grouped),
        "locations": [{
            "logicalLocations": [{
                "kind": f.resource.kind.value,
                "name": f.resource.name,
                "fullyQualifiedName": qualified_name(registry, f.resource.kind, f.resource.name),
            }],
        }],
        "partialFingerprints": {"acrdoctorFinding/v1": _fingerprint(f)},
        "properties": props,
    }


def _notification(r: CheckResult, rule_index: int) -> dict[str, Any]:
    errored = r.status is Status.ERRORED
    status = "lower bound" if r.lower_bound else r.status.value
    note: dict[str, Any] = {
        "level": "error" if errored else "warning",
        "message": {"text": f"{r.slug} {status}: {r.reason or 'no reason given'}"},
        "associatedRule": {"id": r.slug, "index": rule_index},
    }
    if errored:
        kind, _, message = (r.reason or "").partition(": ")
        note["exception"] = {"kind": kind, "message": message or kind}
    return note


def _collection_error(e: CollectionError) -> dict[str, Any]:
    return {"level": "warning", "message": {"text": f"collection error: {e.describe()}"},
            "properties": {"collectionError": error_to_dict(e)}}


def report_to_sarif(report: Report, grouped: bool = True) -> dict[str, Any]:
    """The SARIF log as a dict, for callers that post-process it before writing; ``grouped`` as for the JSON report
    (:func:`acrdoctor.render.json_report.render_json`)."""
    registry = report.snapshot.registry
    rules = [_rule(r) for r in report.results]
    index = {r.slug: i for i, r in enumerate(report.results)}
    results = [
        _result(f, index[r.slug], registry, r.lower_bound, grouped)
        for r in report.results if r.status is Status.FAILED
        for f in r.findings
    ]
    notifications = [_notification(r, index[r.slug]) for r in report.results if r.incomplete]
    notifications += [_collection_error(e) for e in report.snapshot.errors]
    invocation: dict[str, Any] = {
        "executionSuccessful": not any(r.status is Status.ERRORED for r in report.results),
        "toolExecutionNotifications": notifications,
    }
    if report.plugin_warnings:
        invocation["toolConfigurationNotifications"] = [
            {"level": "warning", "message": {"text": w}} for w in report.plugin_warnings
        ]
    snap = report.snapshot
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "acrdoctor",
            "version": __version__,
            "semanticVersion": __version__,
            "rules": rules,
        }},
        "invocations": [invocation],
        "results": results,
        "properties": {
            "registry": {
                "name": registry.name,
                "login_server": registry.login_server,
                "id": registry.id,
                "sku": registry.sku,
            },
            "source": snap.source,
            "collected_at": snap.collected_at,
        },
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(report: Report, grouped: bool = True) -> str:
    return json.dumps(report_to_sarif(report, grouped), indent=2) + "\n"
