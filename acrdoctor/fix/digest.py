"""The digest that binds the plan someone reviewed to the plan that is applied.

Why: a plan travels as a file (``--plan-out`` / ``--from-plan``) and lives on as a journal's first line
(``--resume``); either can be edited, and an added delete would otherwise be applied without notice. The
digest is printed with the plan, recorded in the file and at confirmation, and checked again before
anything is applied; ``--plan-digest`` lets automation with ``--yes`` pin the one a person reviewed.

It covers what the run does and what guards it — the registry, the endpoints it goes through (when not the
public cloud), and per step its number, phase, action
(kind and every parameter), prerequisites, expected state and allowances — and nothing volatile or derived
(creation time, descriptions, byte estimates, findings text), so the same registry planned twice in the
same state gives the same digest.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from acrdoctor.errors import InputError
from acrdoctor.fix.model import FixPlan, action_to_dict

PREFIX = "sha256:"
DIGEST_FORM = re.compile(r"^sha256:[0-9a-f]{64}$")


def _canonical(plan: FixPlan) -> dict[str, Any]:
    endpoints = {k: v for k, v in plan.endpoints.items() if v is not None}
    return {
        # Only when set, so that a plan for the public cloud keeps the digest it had before endpoints were bound.
        **({"endpoints": endpoints} if endpoints else {}),
        "registry": plan.registry, "resource_group": plan.resource_group, "subscription": plan.subscription,
        "login_server": plan.login_server,
        "steps": [{"number": s.number, "phase": s.phase, "action": action_to_dict(s.action), "after": list(s.after),
                   "expect": s.expect, "allow": s.allow} for s in plan.steps],
    }


def plan_digest(plan: FixPlan) -> str:
    text = json.dumps(_canonical(plan), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_digest(value: str) -> str:
    """A ``--plan-digest`` value, as printed with the plan (``sha256:`` and 64 hex digits; the prefix optional)."""
    text = value.strip().lower()
    if not text.startswith(PREFIX):
        text = PREFIX + text
    if not DIGEST_FORM.match(text):
        raise InputError(f"--plan-digest {value!r} is not a plan digest: expected sha256: and 64 hex digits, as "
                         "printed with the plan")
    return text


def check_digest(plan: FixPlan, *, recorded: str | None, source: str | None, pinned: str | None) -> str:
    """The plan's digest, after refusing a plan that differs from what was recorded or pinned.

    ``recorded``: the digest the plan file or journal holds (None for a fresh plan, or an older file);
    ``source``: that file's name, for the message.
    """
    digest = plan_digest(plan)
    if recorded is not None and recorded != digest:
        raise InputError(f"{source}: the plan was changed after it was written (its steps now have digest {digest}, "
                         f"the file recorded {recorded}); nothing was applied. Make and review a new plan")
    if pinned is not None and pinned != digest:
        raise InputError(f"the plan's digest is {digest}, not the --plan-digest {pinned} that was reviewed; nothing "
                         "was applied. Review this plan, or make a new one")
    return digest
