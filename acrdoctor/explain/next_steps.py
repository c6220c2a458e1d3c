"""What to collect when the text is not enough: read-only commands attached to uncertain or competing answers.

A ticket that says "the portal still shows 480 GB" can mean untagged manifests, shared layers, soft delete or
asynchronous reclaim; a bare 401 can be a missing role or an expired token. Rather than pick one and print its fix
with false confidence, an answer below :data:`SURE` confidence, or one whose runner-up is within :data:`CLOSE`,
gets a ``next_step``: the exact ``acrdoctor bundle-script`` that gathers the registry's facts, and the one or two
``az`` reads that tell the candidates apart. Every command here only reads.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from acrdoctor.actions import Action, RegistryRef

from .actions import BundleScript, CheckHealth, ListManifestMetadata, ListRoleAssignments, ShowRegistry, ShowUsage
from .model import Match, Step
from .names import placeholder

#: Below this confidence the text alone does not settle the cause.
SURE = 0.7
#: A runner-up this close in confidence is a real alternative.
CLOSE = 0.1

_STORAGE = frozenset({"dangling-manifests", "shared-layers", "storage-accounting", "retention-policy", "soft-delete",
                      "storage-limit"})
_ACCESS = frozenset({"delete-permission", "authentication-required", "purge-task-access"})
_NETWORK = frozenset({"network-access-denied", "private-endpoints-block-registry-delete", "connectivity-dns",
                      "connectivity-ssl", "connectivity-challenge", "connectivity-aad-login",
                      "connectivity-refresh-token", "connectivity-access-token", "login-server-not-found",
                      "connectivity-unreachable", "throttling"})


def _reads(m: Match) -> tuple[Action, ...]:
    n = m.extracted
    ref = RegistryRef(n.get("registry"))
    mode = m.failure_mode
    if mode in _STORAGE:
        return (ShowUsage(ref), ListManifestMetadata(ref, n.get("repository")))
    if mode in _ACCESS:
        return (ListRoleAssignments(ref), ShowRegistry(ref, "roleAssignmentMode", "tsv"))
    if mode in _NETWORK:
        return (CheckHealth(ref),)
    if mode.startswith("elsewhere:"):
        return ()
    return (CheckHealth(ref),)


def next_step_for(m: Match, rivals: Sequence[Match]) -> Step:
    """Read-only commands that tell ``m`` from its ``rivals`` (or confirm it when the text was thin)."""
    # A cause elsewhere has no registry facts to collect: its own checks (kubectl, az account, the source image)
    # are the reads that settle it; they only read, like every command of a confirm step.
    actions: list[Action] = list(_reads(m) or m.confirm.actions)
    for r in rivals:
        actions += [a for a in (_reads(r) or r.confirm.actions) if a not in actions]
    if not m.failure_mode.startswith("elsewhere:") or any(not r.failure_mode.startswith("elsewhere:") for r in rivals):
        actions.append(BundleScript(RegistryRef(m.extracted.get("registry"))))
    names = ", ".join(r.failure_mode for r in rivals)
    why = (f"The text fits {names} almost as well." if rivals else
           "The text alone does not settle this cause.")
    return Step(why + " Collect these (they only read) and explain their output, or run the bundle script and "
                "`acrdoctor diagnose --bundle` on what it writes.", tuple(actions))


def with_next_steps(matches: Sequence[Match]) -> list[Match]:
    """The matches, each uncertain or contested one given a ``next_step`` unless its recogniser chose one."""
    out: list[Match] = []
    for m in matches:
        rivals = [r for r in matches if r is not m and r.failure_mode != m.failure_mode
                  and abs(r.confidence - m.confidence) <= CLOSE]
        if m.next_step is None and (m.confidence < SURE or rivals):
            m = replace(m, next_step=next_step_for(m, rivals))
        out.append(m)
    return out


# --- nothing recognised ------------------------------------------------------------------------------------------

#: What a text that matched nothing is about, read from its beginning (a ticket, a pasted error): the operation that
#: failed decides which reads settle it. Tested on the folded line.
_OPERATIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("sign-in", re.compile(r"\blog ?in\b(?! ?server)|\bsign(?:ed|ing)? ?in\b|\b401\b|unauthori|authenticat|"
                           r"\btokens?\b|credential|\bdenied\b|forbidden|\b403\b")),
    ("push or pull", re.compile(r"\bpush|\bpull|\bupload|\bdownload|imagepull")),
    ("delete or storage", re.compile(r"\bdelet|\bremov|\bpurg|\buntag|\bstorage\b|\busage\b|\d ?[gt]i?b\b|"
                                     r"\bretention\b|\bclean ?up")),
    ("network", re.compile(r"time ?out|timed out|no such host|\bresolv|\bdns\b|firewall|private endpoint|\bproxy|"
                           r"x509|certificate|connection (?:refused|reset)")),
    ("a pod's pull", re.compile(r"back-off pulling|imagepullbackoff|errimagepull|failed to pull image")),
)
#: How much of a text's beginning is read for the operation (a build log's first part; a whole ticket).
OPERATIONS_HEAD = 64 * 1024


def operations_in(folded: str) -> frozenset[str]:
    """The operations a folded line speaks of (see :data:`_OPERATIONS`)."""
    return frozenset(op for op, pattern in _OPERATIONS if pattern.search(folded))


def unrecognised_step(registry: str | None, operations: frozenset[str]) -> Step:
    """What to collect when nothing was recognised: the registry's own checks for what the text was doing, then the
    bundle that gathers the rest. Only reads, like every next step."""
    ref = RegistryRef(registry if registry else placeholder("registry"))
    actions: list[Action] = []
    if operations & {"sign-in", "push or pull", "network", "a pod's pull"} or not operations:
        actions.append(CheckHealth(ref))
    if "delete or storage" in operations:
        actions.append(ShowUsage(ref))
    actions.append(BundleScript(ref))
    about = (" The text speaks of " + ", ".join(op for op, _ in _OPERATIONS if op in operations) + "."
             if operations else "")
    notes = () if registry else ("The text did not name the registry: set REGISTRY=… (its name, without "
                                 ".azurecr.io) first.",)
    pod = (" For a pod's pull, paste the kubelet's Failed event (kubectl describe pod POD, under Events): a back-off "
           "only says that an earlier pull failed, the Failed event says why." if "a pod's pull" in operations else "")
    return Step("Nothing in the text names a known failure." + about + pod + " Paste the exact error the command "
                "printed (its whole output, with --debug for az), and collect the registry's side (these only read).",
                tuple(actions), notes)
