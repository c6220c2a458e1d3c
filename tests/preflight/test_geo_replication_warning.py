"""Pre-flight on a geo-replicated registry warns that deletes reach the replicas later [D-GEO]."""

from __future__ import annotations

from acrdoctor.builder import SnapshotBuilder
from acrdoctor.check_api import Severity
from acrdoctor.preflight.model import AzAction, AzRequest, ManifestRef, Selection
from acrdoctor.preflight.plan import evaluate
from acrdoctor.preflight.warnings import severity_of

CODE = "geo-replication-propagation"


def registry(*locations: str) -> tuple[SnapshotBuilder, str]:
    b = SnapshotBuilder()
    for loc in locations:
        b.replication(loc)
    m = b.repository("app").image(["v1"], layers=[("a", 100)])
    return b, m.digest


def plan_for(b: SnapshotBuilder, digest: str):  # type: ignore[no-untyped-def]
    sel = Selection(request=AzRequest(AzAction.DELETE_IMAGE, "contoso"),
                    delete_manifests=(ManifestRef("app", digest),))
    return evaluate(sel, b.build())


def test_a_replicated_registry_gets_the_warning_naming_the_replicas() -> None:
    b, digest = registry("westeurope", "eastus")
    (w,) = [w for w in plan_for(b, digest).warnings if w.code == CODE]
    assert "also in eastus" in w.message and "pullable" in w.message
    assert severity_of(CODE) is Severity.INFO


def test_no_replica_no_warning() -> None:
    for locations in ((), ("westeurope",)):  # the home region alone is no replica
        b, digest = registry(*locations)
        assert CODE not in [w.code for w in plan_for(b, digest).warnings]
