"""Comparing a snapshot collected from the fake with the snapshot the fake was seeded from."""

from __future__ import annotations

import re
from typing import Any

from acrdoctor.engine import Report

#: Findings that come from a snapshot's recorded collection errors (the demo's 401, 429 and 403 belong to
#: another collection), which a fresh collection does not have.
FROM_COLLECTION_ERRORS = frozenset({"delete-permission", "throttling", "network-access-denied"})


def repos(doc: dict[str, Any]) -> dict[str, Any]:
    return {r["name"]: r for r in doc.get("repositories", [])}


def blob_digests(doc: dict[str, Any], m: dict[str, Any]) -> list[str]:
    digests = doc["blobs"]["digests"]
    return [digests[i] for i in ([m["config"]] if "config" in m else []) + m.get("layers", [])]


def assert_same_registry(live: dict[str, Any], want: dict[str, Any]) -> None:
    """Registry settings, private endpoints, usage and every repository, manifest, blob and tag agree."""
    for key in ("sku", "publicNetworkAccess", "networkRuleSet", "policies", "resourceGroup"):
        assert live["registry"].get(key) == want["registry"].get(key), key
    assert live["private_endpoint_connections"] == want["private_endpoint_connections"]
    usage = {u["name"]: u["currentValue"] for u in live["usage"]}
    assert usage == {u["name"]: u["currentValue"] for u in want["usage"]}
    got, exp = repos(live), repos(want)
    assert sorted(got) == sorted(exp)
    for name, repo in exp.items():
        g = got[name]
        for key in ("manifestCount", "tagCount", "changeableAttributes"):
            assert g.get(key) == repo.get(key), (name, key)
        gm = {m["digest"]: m for m in g.get("manifests", [])}
        em = {m["digest"]: m for m in repo.get("manifests", [])}
        assert set(gm) == set(em), name
        for digest, m in em.items():
            for key in ("mediaType", "tags", "references", "subject", "changeableAttributes", "architecture", "os"):
                assert gm[digest].get(key) == m.get(key), (name, digest, key)
            assert blob_digests(live, gm[digest]) == blob_digests(want, m), (name, digest)
        assert sorted(t["name"] for t in g.get("tags", [])) == sorted(t["name"] for t in repo.get("tags", []))


def keyed_findings(report: Report) -> set[tuple[str, str, str]]:
    """Findings as comparable keys; ages are measured from the collection time, so they are blanked."""
    return {(f.check, f.resource.name, re.sub(r"\d+ days? ago", "N days ago", f.message))
            for f in report.findings() if f.check not in FROM_COLLECTION_ERRORS}
