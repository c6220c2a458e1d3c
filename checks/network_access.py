"""Failure mode 3: data-plane calls refused with 403 DENIED because of the registry's network settings.

The firewall answer arrives on ``/v2/`` as HTTP 403 with ``{"errors":[{"code":"DENIED","message":"client with
IP '…' is not allowed access. Refer https://aka.ms/acr/firewall to grant access."}]}``; on the wire the quotes
are JSON-escaped as ``\\u0027`` (docker/build-push-action#1214, notes acr-wire-behaviour.md §c.4). Firewall
rules and disabling public access are Premium features (ACR docs, "access-selected-networks" and
"private-link"), so the advice depends on the SKU.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator, Sequence

from acrdoctor.actions import (
    CALLER_IP_EXPR,
    AddNetworkRule,
    Arg,
    RegistryRef,
    RemoveNetworkRule,
    SetPublicNetworkAccess,
    UpgradeSku,
)
from acrdoctor.check_api import Check, Context, Finding, Fix, Related, Resource, Severity
from acrdoctor.model import CollectionError, Part, Registry
from acrdoctor.units import plural

from .resource_locks import with_lock_note

#: ``client with IP '1.2.3.4'``; the quote may be ``'``, ``"`` or the literal JSON escape ``\u0027``.
_DENIED_IP = re.compile(r"client with IP\s*(?:'|\"|\\u0027)?([0-9A-Fa-f:.]+)", re.IGNORECASE)
#: ACR's own words, or az's when its GET /v2/ pre-flight got the firewall's 403 (az 2.91 _get_credentials).
_NOT_ALLOWED = re.compile(r"is not allowed access|^Looks like you don't have access to registry\b", re.IGNORECASE)


def is_firewall_denial(error: CollectionError) -> bool:
    """Whether a collection error is the registry firewall refusing the caller's network, not its identity."""
    if error.status not in (403, None) and (error.code or "").upper() != "DENIED":
        return False
    return bool(_DENIED_IP.search(error.message) or _NOT_ALLOWED.search(error.message))


def firewall_denials(errors: Iterable[CollectionError]) -> list[CollectionError]:
    """The calls the registry firewall refused: what this check and a pre-flight both report as a denial."""
    return [e for e in errors if is_firewall_denial(e)]


def denied_ips(denials: Iterable[CollectionError]) -> list[str]:
    """The distinct valid caller IPs the denials name, in order of first appearance."""
    return _dedupe([ip for ip in (denied_ip(e) for e in denials) if ip])


def denied_ip(error: CollectionError) -> str | None:
    """The caller IP named by a firewall denial, validated, or None when absent or garbled."""
    match = _DENIED_IP.search(error.message)
    if not match:
        return None
    candidate = match.group(1).rstrip(".:")
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def _where(public_disabled: bool, deny: bool, reg: Registry) -> str:
    """Where a caller has to be for its data-plane calls (list, delete, purge) to get through."""
    if public_disabled:
        return ("only through a private endpoint: from a VNet (or a peered or VPN/ExpressRoute-connected network) "
                "that resolves the login server through the privatelink.azurecr.io zone")
    if deny:
        rules = reg.network_rule_set
        ips = ", ".join(rules.ip_rules) if rules and rules.ip_rules else "none"
        subnets = len(rules.virtual_network_rules) if rules else 0
        return (f"only from an allowed IP range ({ips}), an allowed subnet ({plural(subnets, 'rule')}) "
                "or through a private endpoint")
    return "only from a network the registry firewall admits"


def _dedupe(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(values))


class NetworkAccessDenied(Check):
    slug = "network-access-denied"
    title = "Registry network settings that refuse the caller"
    severity = Severity.HIGH
    needs = frozenset({Part.REGISTRY})
    failure_mode = "Data-plane calls fail with 403 DENIED \"client with IP … is not allowed access\""
    cause = (
        "The registry only accepts data-plane traffic from selected networks: with public network access disabled "
        "or the firewall's default action set to Deny, every call from any other IP is refused with 403 DENIED, "
        "whatever the caller's permissions."
    )
    docs = (
        "https://learn.microsoft.com/azure/container-registry/container-registry-access-selected-networks",
        "https://learn.microsoft.com/azure/container-registry/container-registry-private-link",
    )

    def run(self, ctx: Context) -> Iterator[Finding]:
        reg = ctx.snapshot.registry
        public_disabled = (reg.public_network_access or "").lower() == "disabled"
        rules = reg.network_rule_set
        deny = rules is not None and rules.default_action.lower() == "deny"
        denials = firewall_denials(ctx.snapshot.errors)
        if not (public_disabled or deny or denials):
            return
        ips = denied_ips(denials)

        problems: list[str] = []
        if denials:
            who = f"client IP {', '.join(ips)}" if ips else "this client"
            problems.append(f"{plural(len(denials), 'call')} refused with 403 DENIED for {who}")
        if public_disabled:
            problems.append("public network access is Disabled")
        if deny and not public_disabled:
            problems.append("the firewall's default action is Deny")
        message = "; ".join(problems) + f"; data-plane calls work {_where(public_disabled, deny, reg)}"
        # An observed refusal is the failure itself; a restrictive setting without one is a warning for callers
        # elsewhere (the collection itself got through).
        severity = None if denials else Severity.LOW
        yield with_lock_note(ctx.snapshot, self.finding(
            Resource.registry(reg.name),
            message,
            fix=self._fix(reg, public_disabled, ips),
            severity=severity,
            details={
                "public_network_access": reg.public_network_access,
                "default_action": rules.default_action if rules else None,
                "ip_rules": list(rules.ip_rules) if rules else [],
                "virtual_network_rules": len(rules.virtual_network_rules) if rules else 0,
                "denied_calls": len(denials),
                "denied_ips": ips,
                "sku": reg.sku,
                "premium": reg.is_premium,
            },
        ))

    def _fix(self, reg: Registry, public_disabled: bool, ips: list[str]) -> Fix:
        ref = RegistryRef(reg.name, reg.resource_group)
        targets: list[Arg] = [*ips] or [CALLER_IP_EXPR]
        rules = tuple(AddNetworkRule(ref, ip) for ip in targets)
        removals = tuple(RemoveNetworkRule(ref, ip) for ip in targets)
        related: list[Related] = []
        notes: list[str] = [
            "Or run the delete from inside the registry's VNet (a self-hosted build agent or a VM there) or "
            "through its private endpoint; then no firewall change is needed.",
        ]
        if public_disabled:
            summary = ("Open public access temporarily with default action Deny, allow only the caller's IP, "
                       "and close it again when the cleanup is done.")
            actions = (SetPublicNetworkAccess(ref, enabled=True, default_action="Deny"), *rules)
            after = Related("afterwards", "Remove the rule and disable public access again when the cleanup is "
                            "done (disabling public access overrides all firewall rules).",
                            (*removals, SetPublicNetworkAccess(ref, enabled=False)))
        else:
            summary = "Allow the caller's IP through the registry firewall."
            actions = rules
            after = Related("afterwards", "If the rule is only for this cleanup, take it back.", removals)
        if not ips:
            notes.append(f"{CALLER_IP_EXPR} is the public IP of the machine you run it on; from a pipeline, "
                         "use the agent's outbound IP instead.")
        if not reg.is_premium:
            tier = reg.sku or "unknown"
            notes.append(f"IP network rules and disabling public access are Premium features and this registry's "
                         f"SKU is {tier}: on Basic or Standard the network-rule commands are refused, so upgrade "
                         "or run from an allowed network.")
            related.append(Related("upgrade", "Move the registry to Premium, where IP network rules exist.",
                                   (UpgradeSku(ref),)))
        return Fix(summary=summary, actions=actions, notes=tuple(notes), related=(after, *related))
