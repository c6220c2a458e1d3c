from __future__ import annotations

import shlex
from collections.abc import Callable

import pytest

from acrdoctor.builder import SnapshotBuilder
from acrdoctor.check_api import Fix, Related, ResourceKind, Severity, Status
from acrdoctor.checks.network_access import denied_ip, is_firewall_denial
from acrdoctor.model import CollectionError, NetworkRuleSet, Part
from tests.conftest import run_check

SLUG = "network-access-denied"
FIREWALL = ("client with IP '172.214.169.102' is not allowed access. "
            "Refer https://aka.ms/acr/firewall to grant access.")


def related(fix: Fix, label: str) -> Related:
    """The one related group with this label (several would make the assertion ambiguous)."""
    (group,) = [r for r in fix.related if r.label == label]
    return group


def test_denied_error_on_premium_firewall_gives_rule_for_the_extracted_ip() -> None:
    b = SnapshotBuilder(sku="Premium", network_rule_set=NetworkRuleSet("Deny", ip_rules=("16.17.18.0/24",)))
    b.error(Part.REPOSITORIES, 403, "DENIED", FIREWALL)
    b.error(Part.REPOSITORIES, 403, "DENIED", FIREWALL)
    result = run_check(SLUG, b.build())
    assert result.status is Status.FAILED
    (f,) = result.findings
    assert f.resource.kind is ResourceKind.REGISTRY and f.resource.name == "contoso"
    assert f.severity is Severity.HIGH
    assert f.message == (
        "2 calls refused with 403 DENIED for client IP 172.214.169.102; the firewall's default action is Deny; "
        "data-plane calls work only from an allowed IP range (16.17.18.0/24), an allowed subnet (0 rules) "
        "or through a private endpoint"
    )
    assert f.fix is not None
    assert f.fix.commands == (
        "az acr network-rule add --name contoso --resource-group rg-contoso --ip-address 172.214.169.102",
    )
    assert [r.label for r in f.fix.related] == ["afterwards"]
    assert related(f.fix, "afterwards").commands == (
        "az acr network-rule remove --name contoso --resource-group rg-contoso --ip-address 172.214.169.102",
    )
    assert not any("Premium features" in n for n in f.fix.notes)
    assert f.details["denied_ips"] == ["172.214.169.102"]
    assert f.details["denied_calls"] == 2


def test_public_access_disabled_opens_temporarily_and_says_how_to_close() -> None:
    b = SnapshotBuilder(sku="Premium", public_network_access="Disabled", network_rule_set=NetworkRuleSet("Deny"))
    result = run_check(SLUG, b.build())
    (f,) = result.findings
    # No refusal was observed (the collector got through), so this is a warning for callers elsewhere.
    assert f.severity is Severity.LOW
    assert f.message.startswith("public network access is Disabled; data-plane calls work only through a private "
                                "endpoint")
    assert f.fix is not None
    assert f.fix.commands == (
        "az acr update --name contoso --resource-group rg-contoso --public-network-enabled true --default-action Deny",
        'az acr network-rule add --name contoso --resource-group rg-contoso --ip-address '
        '"${ACRDOCTOR_CALLER_IP:-$(curl -fsS https://api.ipify.org)}"',
    )
    # Closing again means taking the rule back and disabling public access, in that order.
    assert [r.label for r in f.fix.related] == ["afterwards"]
    assert related(f.fix, "afterwards").commands == (
        'az acr network-rule remove --name contoso --resource-group rg-contoso --ip-address '
        '"${ACRDOCTOR_CALLER_IP:-$(curl -fsS https://api.ipify.org)}"',
        "az acr update --name contoso --resource-group rg-contoso --public-network-enabled false",
    )
    notes = " ".join(f.fix.notes)
    assert "inside the registry's VNet" in notes


def test_json_escaped_quotes_and_non_premium_sku_are_handled(builder: SnapshotBuilder) -> None:
    builder.error(Part.REPOSITORIES, 403, "DENIED",
                  "client with IP \\u00272001:db8::7\\u0027 is not allowed access. Refer https://aka.ms/acr/firewall")
    (f,) = run_check(SLUG, builder.build()).findings
    assert f.details["denied_ips"] == ["2001:db8::7"]
    assert f.fix is not None
    assert f.fix.commands == ("az acr network-rule add --name contoso --resource-group rg-contoso "
                              "--ip-address 2001:db8::7",)
    premium = [n for n in f.fix.notes if "Premium features" in n]
    assert len(premium) == 1 and "SKU is Standard" in premium[0]
    assert [r.label for r in f.fix.related] == ["afterwards", "upgrade"]
    assert related(f.fix, "upgrade").commands == (
        "az acr update --name contoso --resource-group rg-contoso --sku Premium",
    )
    assert related(f.fix, "afterwards").commands == (
        "az acr network-rule remove --name contoso --resource-group rg-contoso --ip-address 2001:db8::7",
    )


def firewall_denied_on_premium() -> SnapshotBuilder:
    b = SnapshotBuilder(sku="Premium", network_rule_set=NetworkRuleSet("Deny", ip_rules=("16.17.18.0/24",)))
    b.error(Part.REPOSITORIES, 403, "DENIED", FIREWALL)
    return b


def public_access_disabled() -> SnapshotBuilder:
    return SnapshotBuilder(sku="Premium", public_network_access="Disabled", network_rule_set=NetworkRuleSet("Deny"))


def denied_without_ip_on_basic() -> SnapshotBuilder:
    b = SnapshotBuilder(sku="Basic", network_rule_set=NetworkRuleSet("Deny"))
    b.error(Part.REPOSITORIES, 403, "DENIED", "client is not allowed access. Refer https://aka.ms/acr/firewall")
    return b


@pytest.mark.parametrize("make", [firewall_denied_on_premium, public_access_disabled, denied_without_ip_on_basic])
def test_every_printed_command_is_a_shell_parsable_az_command(make: Callable[[], SnapshotBuilder]) -> None:
    (f,) = run_check(SLUG, make().build()).findings
    assert f.fix is not None
    related_commands = [c for r in f.fix.related for c in r.commands]
    assert f.fix.commands and related_commands
    for cmd in (*f.fix.commands, *related_commands):
        assert cmd.startswith("az "), cmd
        argv = shlex.split(cmd)
        assert argv[0] == "az" and len(argv) > 2, cmd


def test_ip_extraction() -> None:
    def err(msg: str, status: int | None = 403, code: str | None = "DENIED") -> CollectionError:
        return CollectionError("repositories", status, code, msg)

    assert denied_ip(err("client with IP '10.1.2.3' is not allowed access")) == "10.1.2.3"
    assert denied_ip(err('client with IP "10.1.2.3" is not allowed access')) == "10.1.2.3"
    assert denied_ip(err("client with IP 'not-an-ip' is not allowed access")) is None
    assert is_firewall_denial(err("client with IP 'not-an-ip' is not allowed access"))
    assert not is_firewall_denial(err("requested access to the resource is denied"))
    assert not is_firewall_denial(err("client with IP '1.2.3.4' is not allowed access", status=404, code="X"))


def test_open_registry_passes_even_with_other_403s(builder: SnapshotBuilder) -> None:
    builder.error(Part.REPOSITORIES, 401, "UNAUTHORIZED", "authentication required",
                  detail={"Type": "repository", "Name": "app", "Action": "delete"})
    result = run_check(SLUG, builder.build())
    assert result.status is Status.PASSED
    assert result.findings == ()
