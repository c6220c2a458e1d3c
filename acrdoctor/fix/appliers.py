"""The SDK side of each kind of action: how ``acrdoctor fix`` reads its object and makes its change.

An action (:mod:`acrdoctor.actions`) declares the change and renders its ``az`` command; the applier registered
here for its class performs the same change through :class:`~acrdoctor.fix.sdk.FixClients` and reads the one
object it touches back, in the shapes :mod:`acrdoctor.fix.state` predicts from a snapshot. Actions never import
this module; it imports actions, :mod:`acrdoctor.fix.sdk`, :mod:`acrdoctor.fix.state` and the shell expression
type. A new applied action gets an entry in :data:`APPLIERS` and ``applies = True`` on its class.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from acrdoctor import actions
from acrdoctor.actions import Action
from acrdoctor.fix.sdk import ApplyError, FixClients
from acrdoctor.fix.state import network_state, retention_state, rule_set_body
from acrdoctor.shellquote import ShellExpr

State = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ActionApplier:
    """Reading and changing go together: a step is checked with ``observe`` before ``apply`` runs it."""

    observe: Callable[[Any, FixClients], State]
    apply: Callable[[Any, FixClients], str]


def _observe_flags(a: actions.SetAttributes, c: FixClients) -> State:
    return c.lock_state(a.repository, a.digest, a.tag)


def _set_flags(a: actions.SetAttributes, c: FixClients) -> str:
    flags = {k: v for k, v in (("can_write", a.write_enabled), ("can_delete", a.delete_enabled)) if v is not None}
    if a.digest:
        c.data.update_manifest_properties(a.repository, a.digest, **flags)
    elif a.tag:
        c.data.update_tag_properties(a.repository, a.tag, **flags)
    else:
        c.data.update_repository_properties(a.repository, **flags)
    return "flags set"


def _observe_repository(a: actions.DeleteRepository | actions.ImportPlaceholder, c: FixClients) -> State:
    return c.repository_state(a.repository)


def _delete_repository(a: actions.DeleteRepository, c: FixClients) -> str:
    # The SDK treats 404 NAME_UNKNOWN as success (azure-sdk-for-python#18667), which is exactly the
    # answer an orphaned repository gives: only the catalog tells whether the delete happened.
    c.data.delete_repository(a.repository)
    if a.repository in c.repository_names(fresh=True):
        raise ApplyError("the delete was accepted but the repository is still in the catalog (ACR answered "
                         "NAME_UNKNOWN, which the SDK does not report): push an image into it and delete again")
    return "deleted; gone from the catalog"


def _observe_manifest(a: actions.DeleteManifest, c: FixClients) -> State:
    return c.lock_state(a.repository, a.digest)


def _delete_manifest(a: actions.DeleteManifest, c: FixClients) -> str:
    # The status says what happened (the SDK's method hides a 404), so no read-back is needed.
    if c.delete_manifest(a.repository, a.digest) == 404:
        return "the manifest no longer exists (404 on delete)"
    return "deleted"


def _push_placeholder(a: actions.ImportPlaceholder, c: FixClients) -> str:
    # Same effect as the import (an image under this name makes ACR know the repository again), without
    # pulling from the internet: a tiny image built by acrdoctor, pushed with blob uploads and a manifest put.
    digest = c.push_placeholder(a.repository, a.tag)
    return f"pushed placeholder {a.repository}:{a.tag} ({digest})"


def _observe_connection(a: actions.DeletePrivateEndpointConnection, c: FixClients) -> State:
    return c.connection_state(a.connection)


def _delete_connection(a: actions.DeletePrivateEndpointConnection, c: FixClients) -> str:
    c.delete_connection(a.connection)  # a long-running operation: polled until ARM says it is done
    return "deleted (long-running operation completed)"


def _observe_network(a: actions.AddNetworkRule | actions.SetPublicNetworkAccess, c: FixClients) -> State:
    return network_state(c.registry(fresh=True))


def _add_network_rule(a: actions.AddNetworkRule, c: FixClients) -> str:
    if isinstance(a.ip, ShellExpr):
        raise ApplyError("the caller's IP is not known: pass --caller-ip")
    c.patch_registry({"networkRuleSet": rule_set_body(c.registry(fresh=True).network_rule_set, add_ip=a.ip)})
    return f"{a.ip} allowed"


def _set_public_network_access(a: actions.SetPublicNetworkAccess, c: FixClients) -> str:
    props: dict[str, Any] = {"publicNetworkAccess": "Enabled" if a.enabled else "Disabled"}
    if a.default_action:
        props["networkRuleSet"] = rule_set_body(c.registry(fresh=True).network_rule_set,
                                                default_action=a.default_action)
    c.patch_registry(props)
    return "set"


def _observe_retention(a: actions.SetRetentionPolicy, c: FixClients) -> State:
    return retention_state(c.registry(fresh=True))


def _set_retention(a: actions.SetRetentionPolicy, c: FixClients) -> str:
    status = "enabled" if a.enabled else "disabled"
    c.patch_registry({"policies": {"retentionPolicy": {"status": status, "days": a.days}}})
    return f"retention policy {status} ({a.days} days)"


#: One applier per action class whose ``applies`` is true; every other action is a step to run by hand.
APPLIERS: dict[type[Action], ActionApplier] = {
    actions.SetAttributes: ActionApplier(_observe_flags, _set_flags),
    actions.DeleteRepository: ActionApplier(_observe_repository, _delete_repository),
    actions.DeleteManifest: ActionApplier(_observe_manifest, _delete_manifest),
    actions.ImportPlaceholder: ActionApplier(_observe_repository, _push_placeholder),
    actions.DeletePrivateEndpointConnection: ActionApplier(_observe_connection, _delete_connection),
    actions.AddNetworkRule: ActionApplier(_observe_network, _add_network_rule),
    actions.SetPublicNetworkAccess: ActionApplier(_observe_network, _set_public_network_access),
    actions.SetRetentionPolicy: ActionApplier(_observe_retention, _set_retention),
}


def applier_for(action: Action) -> ActionApplier:
    """Looked up along the class's bases, so a subclass of an applied action is applied as its parent was."""
    for cls in type(action).__mro__:
        found = APPLIERS.get(cls)
        if found is not None:
            return found
    raise NotImplementedError(f"{type(action).__name__} cannot be applied by acrdoctor")


def observe(action: Action, clients: FixClients) -> State:
    """The state of the one object ``action`` changes, read live (compared with the plan before any change)."""
    return applier_for(action).observe(action, clients)


def apply(action: Action, clients: FixClients) -> str:
    """Make the change ``action`` stands for; the text says what happened, for the journal and the summary."""
    return applier_for(action).apply(action, clients)
