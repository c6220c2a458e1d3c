"""Shared fixtures: a snapshot builder and a way to run one check over a snapshot."""

from __future__ import annotations

import pytest

from acrdoctor.builder import SnapshotBuilder
from acrdoctor.engine import Catalogue, CheckResult, run_checks
from acrdoctor.model import Snapshot


@pytest.fixture
def builder() -> SnapshotBuilder:
    return SnapshotBuilder()


def run_check(slug: str, snapshot: Snapshot) -> CheckResult:
    """Run one built-in check by slug, through the engine (so skip/error handling applies)."""
    cls = Catalogue.load(plugins=False).get(slug)
    (result,) = run_checks(snapshot, [cls])
    return result
