"""Shared fixtures: a snapshot builder and a way to run one check over a snapshot.

``--clock-shift-days N`` runs the whole suite with the process's clock moved N days ahead (time-machine
patches ``datetime.now``, ``time.time`` and friends, in every thread: the fake ACR's too). CI runs the
suite at +1 and +10 years to prove no test depends on today's date. Subprocesses a test starts keep the
real clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from acrdoctor.builder import SnapshotBuilder
from acrdoctor.engine import Catalogue, CheckResult, run_checks
from acrdoctor.model import Snapshot


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--clock-shift-days", type=int, default=0, metavar="N",
                     help="run the suite with the clock moved N days ahead (proves date independence)")


def pytest_configure(config: pytest.Config) -> None:
    days = config.getoption("--clock-shift-days")
    if not days:
        return
    import time_machine

    traveller = time_machine.travel(datetime.now(UTC) + timedelta(days=days), tick=True)
    traveller.start()
    config.stash[_TRAVELLER] = traveller


def pytest_unconfigure(config: pytest.Config) -> None:
    traveller = config.stash.get(_TRAVELLER, None)
    if traveller is not None:
        traveller.stop()


def pytest_report_header(config: pytest.Config) -> str | None:
    days = config.getoption("--clock-shift-days")
    return f"clock shifted {days} days ahead: now is {datetime.now(UTC):%Y-%m-%d}" if days else None


_TRAVELLER = pytest.StashKey[object]()


@pytest.fixture
def builder() -> SnapshotBuilder:
    return SnapshotBuilder()


def run_check(slug: str, snapshot: Snapshot) -> CheckResult:
    """Run one built-in check by slug, through the engine (so skip/error handling applies)."""
    cls = Catalogue.load(plugins=False).get(slug)
    (result,) = run_checks(snapshot, [cls])
    return result
