"""What a fix run is given besides its plan: the caller's IP, the journal's path, the endpoints it may use.

Rules the command line applies but that belong to fixing, not to parsing: a resume repeats the endpoints its run
started with (a journal records them, never credentials). Imports only the standard library and
:mod:`acrdoctor.errors`; :mod:`acrdoctor.cli.fix` calls it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from acrdoctor.errors import InputError
from acrdoctor.fix.model import FixPlan


def parse_caller_ip(value: str | None) -> str | None:
    """The firewall rule's address as az writes it: a single address without ``/32``, a range as a CIDR."""
    if value is None:
        return None
    try:
        return str(ipaddress.ip_network(value, strict=True)).removesuffix("/32")
    except ValueError:
        raise InputError(f"--caller-ip {value!r} is not an IPv4 address or CIDR range") from None


def default_journal_path(registry: str) -> Path:
    """One journal per run, named so that runs against one registry sort by start time."""
    return Path(f"acrdoctor-fix-{registry}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.jsonl")


def used_endpoints(arm_endpoint: str | None, ca_file: Path | str | None) -> dict[str, str | None]:
    """What the journal records of how Azure was reached: endpoints and trust, never credentials."""
    return {"arm_endpoint": arm_endpoint, "ca_file": str(Path(ca_file).resolve()) if ca_file else None}


def bind_endpoints(plan: FixPlan, arm_endpoint: str | None, ca_file: Path | str | None) -> FixPlan:
    """The plan with the endpoints it runs through, when it has none of its own and some are given.

    A plan carries them (and its digest binds them) so that a saved plan and a resumed run reach the same
    Azure as the run that was confirmed; a plan for the public cloud keeps none.
    """
    used = used_endpoints(arm_endpoint, ca_file)
    return replace(plan, endpoints=used) if not plan.endpoints and any(used.values()) else plan


def resume_endpoints(recorded: dict[str, str | None], arm_endpoint: str | None, ca_file: Path | None,
                     origin: str = "the run started with") -> tuple[str | None, Path | None]:
    """The ARM endpoint and CA file for a saved plan or a resume: the plan's own, which may be repeated, not changed."""
    given = used_endpoints(arm_endpoint, ca_file)
    out: dict[str, Any] = {"arm_endpoint": arm_endpoint, "ca_file": ca_file}
    for key, option in (("arm_endpoint", "--arm-endpoint"), ("ca_file", "--ca-file")):
        was = recorded.get(key)
        if given[key] is not None and was is not None and given[key] != was:
            raise InputError(f"{origin} {option} {was}; it runs against the same endpoint, not {given[key]}")
        if given[key] is None and was is not None:
            if key == "ca_file" and not Path(was).is_file():
                raise InputError(f"{origin} --ca-file {was}, which is no longer there; pass --ca-file with the same "
                                 "CA bundle")
            out[key] = Path(was) if key == "ca_file" else was
    return out["arm_endpoint"], out["ca_file"]
