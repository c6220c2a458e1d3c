"""kill -9 at any moment of a concurrent apply, then ``--resume``: no delete twice, nothing outside the plan.

The apply runs in its own process (tests/fix/kill_driver.py) against the fake in this one, with 20 ms added to
every response so that requests are in flight when the signal lands. It is killed once its journal holds
``lines`` lines (right after confirmation, early, in the middle, near the end), then the journal is resumed here.
The fake's request log is the witness: every DELETE it answered is of a planned manifest, and each at most once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from acrdoctor.actions import DeleteManifest
from acrdoctor.engine import Catalogue
from acrdoctor.fix.journal import Journal, read_journal
from acrdoctor.fix.run import EXIT_DONE, execute, start_journal
from acrdoctor.testing import Faults, serve_fake_acr
from tests.fix.bulk_registry import bulk_state, clients_for, endpoints, plan_for

ROOT = Path(__file__).resolve().parents[2]


def _lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


@pytest.mark.parametrize("lines", [1, 9, 60, 200])
def test_kill_9_then_resume_sends_no_delete_twice(tmp_path: Path, lines: int) -> None:
    state = bulk_state()
    with serve_fake_acr(state, port=0) as srv:
        info = endpoints(srv, state)
        plan = plan_for(info)
        before = {(r.name, d) for r in state.repositories.values() for d in r.manifests}
        planned = {(s.action.repository, s.action.digest) for s in plan.steps if isinstance(s.action, DeleteManifest)}
        (tmp_path / "info.json").write_text(json.dumps(info))
        Journal(tmp_path / "plan.jsonl").write("plan", plan=plan.to_dict())
        journal_path = tmp_path / "journal.jsonl"
        state.faults = Faults(slow_seconds=0.02)
        srv.reset_log()
        proc = subprocess.Popen([sys.executable, "-m", "tests.fix.kill_driver", str(tmp_path / "info.json"),
                                 str(tmp_path / "plan.jsonl"), str(journal_path), "8"], cwd=ROOT,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
        deadline = time.monotonic() + 120
        while _lines(journal_path) < lines and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL, "the apply finished before it could be killed: kill earlier"
        saved = read_journal(journal_path)
        assert not saved.finished and len(saved.succeeded()) < len(plan.steps)

        state.faults = None
        clients = clients_for(info, retry_total=0)
        journal = Journal(journal_path)
        start_journal(journal, saved.plan, "--yes", resumed=True)
        run = execute(saved.plan, clients, journal, Catalogue.load(plugins=False), done=saved.results, resumed=True,
                      concurrency=8)
        journal.close()
        clients.close()
        sent = [r for r in srv.requests if r.method == "DELETE" and r.status != 401]

    assert run.exit_code == EXIT_DONE or not run.verification, run.applied.outcomes
    assert {o.result for o in run.applied.outcomes.values()} <= {"done", "already"}
    allowed = {f"/v2/{repo}/manifests/{digest}" for repo, digest in planned}
    assert {r.path for r in sent} <= allowed, "a DELETE outside the plan"
    twice = {p: n for p, n in Counter(r.path for r in sent).items() if n > 1}
    assert not twice, f"deleted twice: {twice}"
    assert {(r.name, d) for r in state.repositories.values() for d in r.manifests} == before - planned
    assert read_journal(journal_path).finished
