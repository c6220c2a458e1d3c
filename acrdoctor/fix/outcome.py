"""What one applied step came to, and the comparisons that decide it: shared by the one-at-a-time path and the pool.

``differences`` says how an object read back differs from what the plan expected; ``error_info`` turns an exception
into the status, code and message the journal records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from acrdoctor.azure.waits import WaitTooLong
from acrdoctor.fix.model import Step
from acrdoctor.fix.sdk import ApplyError

#: The keys that say *which* object it is and what it holds, as opposed to its lock flags, which the plan's
#: own unlock steps change: a delete is re-checked on these only, and so is every step of a resumed run.
IDENTITY_KEYS = ("present", "tags", "manifests")


@dataclass
class Outcome:
    number: int
    result: str  # done | already | failed | skipped | not-run
    detail: str
    error: dict[str, Any] | None = None


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value[:5]) + (", …" if len(value) > 5 else "") + "]"
    return str(value)


def differences(step: Step, state: dict[str, Any], identity_only: bool = False) -> list[str]:
    """How ``state`` differs from what the plan expected (after allowing what the plan itself adds)."""
    expect = step.expect
    if expect is None:
        return []
    out: list[str] = []
    if expect.get("present") != state.get("present"):
        was, now = ("present", "gone") if expect.get("present") else ("absent", "present")
        return [f"was {was} when planned, now {now}"]
    for key, want in expect.items():
        if key == "present" or (identity_only and key not in IDENTITY_KEYS):
            continue
        got = state.get(key)
        if isinstance(want, list) and isinstance(got, list):
            extra = set(step.allow.get(key, ()))
            got_cmp = sorted(x for x in got if x not in extra)
            if got_cmp != sorted(want):
                added = sorted(set(got_cmp) - set(want))
                removed = sorted(set(want) - set(got_cmp))
                parts = ([f"added {_show(added)}"] if added else []) + ([f"removed {_show(removed)}"] if removed
                                                                         else [])
                out.append(f"{key}: {'; '.join(parts)}")
        elif got != want:
            out.append(f"{key}: {_show(want)} when planned, now {_show(got)}")
    return out


def error_info(err: BaseException) -> dict[str, Any]:
    # Imported here for start-up speed: it imports azure-core, which ``acrdoctor --help`` never needs.
    from acrdoctor.azure.failures import describe

    if isinstance(err, ApplyError | WaitTooLong):  # their text already says what happened
        return {"status": None, "code": None, "message": str(err)}
    f = describe(err)
    return {"status": f.status, "code": f.code, "message": f.message[:300]}


def error_text(e: dict[str, Any]) -> str:
    head = " ".join(str(x) for x in (e.get("status"), e.get("code")) if x)
    return f"{head}: {e['message']}" if head else e["message"]
