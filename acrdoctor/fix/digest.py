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
from collections.abc import Callable
from typing import Any

from acrdoctor.actions import DeleteManifest
from acrdoctor.errors import InputError
from acrdoctor.fix.model import FixPlan, Step, action_to_dict, runs
from acrdoctor.snapshot_io import gc_paused

PREFIX = "sha256:"
DIGEST_FORM = re.compile(r"^sha256:[0-9a-f]{64}$")


def _step(s: Step) -> dict[str, Any]:
    return {"number": s.number, "phase": s.phase, "action": action_to_dict(s.action), "after": list(s.after),
            "expect": s.expect, "allow": s.allow}


def _canonical(plan: FixPlan, *, with_steps: bool = True) -> dict[str, Any]:
    endpoints = {k: v for k, v in plan.endpoints.items() if v is not None}
    return {
        # Only when set, so that a plan for the public cloud keeps the digest it had before endpoints were bound.
        **({"endpoints": endpoints} if endpoints else {}),
        "registry": plan.registry, "resource_group": plan.resource_group, "subscription": plan.subscription,
        "login_server": plan.login_server,
        **({"steps": [_step(s) for s in plan.steps]} if with_steps else {}),
    }


def reference_text(plan: FixPlan) -> str:
    """The canonical text encoded in one piece: what :func:`canonical_text` must equal (for tests)."""
    return json.dumps(_canonical(plan), sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _encoder() -> Callable[[Any], str]:
    """One encoder for every piece: ``json.dumps`` with these options builds a new encoder on each call, and
    ``JSONEncoder.encode`` a new C encoder; this keeps one C encoder (the same output, ``_json``'s own)."""
    from json import encoder

    plain = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    make = encoder.c_make_encoder
    if make is None:  # an interpreter without the _json accelerator
        return plain.encode
    one = make(None, plain.default, encoder.encode_basestring_ascii, None, ":", ",", True, False, True)

    def encode(value: Any) -> str:
        return encoder.encode_basestring_ascii(value) if isinstance(value, str) else "".join(one(value, 0))

    return encode


_ENCODE = _encoder()
#: A string's JSON (ASCII, as ``ensure_ascii`` writes it): what ``_ENCODE`` does for a ``str``, without the dispatch.
_ENCODE_STR: Callable[[str], str] = json.encoder.encode_basestring_ascii  # type: ignore[attr-defined]


def canonical_text(plan: FixPlan) -> str:
    """The text the digest hashes: :func:`_canonical` encoded with sorted keys, compact, ASCII.

    Built piecewise because a plan holds up to hundreds of thousands of manifest deletes: the part of their
    encoding that one repository's deletes share is encoded once per group (:func:`acrdoctor.fix.model.runs`),
    and only the digest, the expected state and the number per step. The result is the same text as encoding
    :func:`_canonical` whole (tests/fix/test_plan_binding.py compares the two on every demo's plans).
    """
    doc = _canonical(plan, with_steps=False)
    head = _ENCODE({**doc, "steps": []})
    marker = '"steps":[]'
    at = head.index(marker) + len(marker) - 1
    return head[:at] + ",".join(_steps_text(plan)) + head[at:]


def _steps_text(plan: FixPlan) -> list[str]:
    out: list[str] = []
    for run in runs(plan.steps):
        first = run[0]
        if len(run) == 1:
            out.append(_ENCODE(_step(first)))
            continue
        a = first.action
        assert isinstance(a, DeleteManifest)
        action_rest = _ENCODE(action_to_dict(a))
        # {"digest":"…","kind":…} → everything after the digest's value
        tail_of_action = action_rest[action_rest.index(',"kind":'):]
        middle = f'{tail_of_action},"after":{_ENCODE(list(first.after))},"allow":{{}},"expect":'
        phase = f',"phase":{_ENCODE(first.phase)}}}'
        out.extend([f'{{"action":{{"digest":{_ENCODE_STR(s.action.digest)}{middle}'  # type: ignore[attr-defined]
                    f'{_ENCODE(s.expect)},"number":{s.number}{phase}' for s in run])
    return out


def plan_digest(plan: FixPlan) -> str:
    memo = plan.digest_memo.get(PREFIX)
    if memo is None:
        with gc_paused():  # hundreds of thousands of small objects, none in a cycle
            text = canonical_text(plan)
        memo = plan.digest_memo[PREFIX] = PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()
    return memo


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
