"""A report prints each fix command once: pasting every command of a diagnosis runs each change once."""

from __future__ import annotations

from collections import Counter

import pytest

from acrdoctor.demo import load_demo
from acrdoctor.demo.variants import variant_names
from acrdoctor.engine import Catalogue, diagnose, run_checks


@pytest.mark.parametrize("variant", variant_names())
def test_each_command_is_printed_once_and_none_is_lost(variant: str) -> None:
    snap = load_demo(variant)
    catalogue = Catalogue.load(plugins=False)
    report = diagnose(snap, catalogue=catalogue)
    printed = Counter(c for f in report.findings() if f.fix for c in f.fix.commands)
    assert [c for c, n in printed.items() if n > 1] == []
    # the checks on their own (what the fix planner sees) prescribe exactly the same set of commands
    unfolded = run_checks(snap, catalogue.select(None, ()))
    wanted = {c for r in unfolded for f in r.findings if f.fix for c in f.fix.commands}
    assert set(printed) == wanted
    # a finding that lost a command says where it is printed
    before = {(f.check, str(f.resource), f.message): f.fix.commands for r in unfolded for f in r.findings if f.fix}
    for f in report.findings():
        if f.fix is None:
            continue
        lost = set(before[(f.check, str(f.resource), f.message)]) - set(f.fix.commands)
        if lost:
            assert any(n.startswith("Also fixed by") and "printed under" in n for n in f.fix.notes), f


def test_the_demo_had_commands_under_two_findings() -> None:
    """The case the folding exists for: without it the demo's delete and soft-delete commands repeat."""
    snap = load_demo()
    catalogue = Catalogue.load(plugins=False)
    unfolded = Counter(c for r in run_checks(snap, catalogue.select(None, ())) for f in r.findings if f.fix
                       for c in f.fix.commands)
    repeated = [c for c, n in unfolded.items() if n > 1]
    assert any(" repository delete " in c for c in repeated)
    assert any("soft-delete update" in c for c in repeated)
