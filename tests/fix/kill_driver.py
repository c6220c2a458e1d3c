"""The process tests/fix/test_kill_resume.py kills with SIGKILL: it applies a saved plan with a file journal.

``python -m tests.fix.kill_driver INFO.json PLAN.jsonl JOURNAL.jsonl CONCURRENCY``: INFO holds the fake's endpoints
(tests/fix/bulk_registry.endpoints); the plan file is one written with ``--plan-out``'s format.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from acrdoctor.engine import Catalogue
from acrdoctor.fix.journal import Journal, read_journal
from acrdoctor.fix.pace import Pace
from acrdoctor.fix.run import execute, start_journal
from tests.fix.bulk_registry import clients_for


def main(argv: list[str]) -> int:
    info = json.loads(Path(argv[0]).read_text())
    plan = read_journal(Path(argv[1])).plan
    clients = clients_for(info, retry_total=0, pace=lambda sku: Pace.for_sku(sku, max_deletes_per_minute=60_000))
    journal = Journal(Path(argv[2]))
    start_journal(journal, plan, "--yes", resumed=False)
    execute(plan, clients, journal, Catalogue.load(plugins=False), concurrency=int(argv[3]))
    journal.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
