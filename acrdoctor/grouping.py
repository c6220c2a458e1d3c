"""Deletes of several manifests of one repository as one group: registry and repository once, the digests listed.

Why: a fix that deletes 5,000 dangling manifests held 5,000 fully quoted ``az acr repository delete`` commands that
differ only in the digest; on a registry of 200,000 manifests that made the JSON report 43.6 MB and most of its
render time. Reports therefore show a run of :class:`~acrdoctor.actions.DeleteManifest` actions of one repository as
a :class:`ManifestDeletes` group: one command template with a shell variable for the digest, and the digests.
The per-manifest commands stay one call away (:meth:`ManifestDeletes.expand`, :func:`expand_commands` for a JSON
report, ``--commands full`` on the command line), and the fix actions themselves are unchanged: only how reports
print them is grouped (``acrdoctor fix`` plans its steps on its own).

Every value from data stays quoted: the template is :meth:`DeleteManifest.command_line` with a :class:`ShellExpr`
for the digest, and a loop quotes each digest like any other argument.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from acrdoctor.actions import Action, DeleteManifest, RegistryRef
from acrdoctor.shellquote import quote, variable

#: The ``action`` of a group in the JSON report (docs/output.md).
GROUP_ACTION = "delete-manifests"
#: The shell variable the template reads; a loop sets it to each digest in turn.
DIGEST_VARIABLE = "digest"
#: Fewer deletes than this stay single commands: a group of one is longer than the command it replaces.
MIN_GROUP = 2


@dataclass(frozen=True, slots=True)
class ManifestDeletes:
    """Consecutive deletes by digest in one repository of one registry, in their order."""

    registry: RegistryRef
    repository: str
    digests: tuple[str, ...]

    def template(self) -> str:
        """The delete of one manifest with ``"$digest"`` in place of its digest."""
        return DeleteManifest.command_line(self.registry, self.repository, variable(DIGEST_VARIABLE))

    def loop(self, digests: Sequence[str] | None = None) -> str:
        """A runnable one-line ``for`` loop over ``digests`` (all of the group's by default), each digest quoted."""
        words = [quote(d) for d in (self.digests if digests is None else digests)]
        return f"for {DIGEST_VARIABLE} in {' '.join(words)}; do {self.template()}; done"

    def loop_lines(self, digests: Sequence[str] | None = None) -> list[str]:
        """The same loop with one digest a line (continued with backslashes), for fenced blocks; as lines, so a
        renderer still escapes control characters line by line."""
        words = [quote(d) for d in (self.digests if digests is None else digests)]
        listed = [f"    {w} \\" for w in words[:-1]] + [f"    {w}" for w in words[-1:]]
        return [f"for {DIGEST_VARIABLE} in \\", *listed, "do", f"    {self.template()}", "done"]

    def actions(self) -> tuple[DeleteManifest, ...]:
        return tuple(DeleteManifest(self.registry, self.repository, d) for d in self.digests)

    def expand(self) -> tuple[str, ...]:
        """The per-manifest commands, exactly as the ungrouped actions print them."""
        return tuple(c for a in self.actions() for c in a.commands())

    def to_json(self) -> dict[str, Any]:
        return {"action": GROUP_ACTION, "registry": self.registry.name, "repository": self.repository,
                "digests": list(self.digests), "command": self.template()}


#: What a report prints for a fix or a related entry: an action's commands, or a group of deletes.
Step = Action | ManifestDeletes


def group_deletes(actions: Iterable[Action]) -> list[Step]:
    """``actions`` with each run of at least :data:`MIN_GROUP` consecutive deletes of the same repository of the same
    registry replaced by one :class:`ManifestDeletes`; the order of everything, digests included, is kept (it matters:
    referrers go before their subjects, indexes before their children). Only deletes naming data are grouped: a
    name that is a shell expression (explain's ``"$REPOSITORY"``) is left alone.

    Runs once per fix over every action, 200,000 on a large registry: the loop compares the shared
    :class:`RegistryRef` by identity before equality and checks types exactly.
    """
    out: list[Step] = []
    run: list[DeleteManifest] = []
    registry: RegistryRef | None = None
    repository: object = None

    def flush() -> None:
        if len(run) >= MIN_GROUP:
            first = run[0]
            out.append(ManifestDeletes(first.registry, str(first.repository), tuple(a.digest for a in run)))
        else:
            out.extend(run)
        run.clear()

    for action in actions:
        if (type(action) is DeleteManifest and type(action.repository) is str
                and type(action.registry.name) is str):
            if run and (action.repository != repository
                        or (action.registry is not registry and action.registry != registry)):
                flush()
            if not run:
                registry, repository = action.registry, action.repository
            run.append(action)
            continue
        flush()
        out.append(action)
    flush()
    return out


def printed(actions: Iterable[Action], extra: Iterable[str] = (), grouped: bool = True) -> list[str | ManifestDeletes]:
    """What a report prints for these actions (a fix's or a related entry's), in order, then ``extra`` commands:
    groups of deletes kept whole when ``grouped``, otherwise every action's own commands (``--commands full``)."""
    if not grouped:
        return [*(c for a in actions for c in a.commands()), *extra]
    out: list[str | ManifestDeletes] = []
    for step in group_deletes(actions):
        if isinstance(step, ManifestDeletes):
            out.append(step)
        else:
            out.extend(step.commands())
    out.extend(extra)
    return out


@dataclass(frozen=True, slots=True)
class Shown:
    """The commands a capped report prints, each as its lines, and what it left out."""

    commands: list[list[str]]
    commands_left: int
    digests_left: int


def shown_commands(items: Sequence[str | ManifestDeletes], limit: int | None, multiline: bool = False) -> Shown:
    """At most ``limit`` commands, a group counting as one loop over at most ``limit`` of its digests."""
    shown = items if limit is None else items[:limit]
    out: list[list[str]] = []
    digests_left = 0
    for item in shown:
        if isinstance(item, ManifestDeletes):
            digests = item.digests if limit is None else item.digests[:limit]
            digests_left += len(item.digests) - len(digests)
            out.append(item.loop_lines(digests) if multiline else [item.loop(digests)])
        else:
            out.append([item])
    return Shown(out, len(items) - len(shown), digests_left)


def commands_to_json(items: Iterable[str | ManifestDeletes]) -> list[str | dict[str, Any]]:
    return [item.to_json() if isinstance(item, ManifestDeletes) else item for item in items]


def group_from_json(item: Mapping[str, Any]) -> ManifestDeletes:
    """A group read back from a JSON report; ``ValueError`` for an object that is not one."""
    if item.get("action") != GROUP_ACTION:
        raise ValueError(f"not a {GROUP_ACTION} group: action {item.get('action')!r}")
    registry, repository, digests = item.get("registry"), item.get("repository"), item.get("digests")
    if not (isinstance(registry, str) and isinstance(repository, str) and isinstance(digests, list)
            and all(isinstance(d, str) for d in digests)):
        raise ValueError(f"malformed {GROUP_ACTION} group: registry, repository and digests are required")
    return ManifestDeletes(RegistryRef(registry), repository, tuple(digests))


def expand_commands(items: Iterable[str | Mapping[str, Any]]) -> list[str]:
    """Every per-step command of a JSON report's ``commands`` array (``fix.commands``, ``related[].commands``):
    strings as they are, each group expanded to one command per digest."""
    out: list[str] = []
    for item in items:
        if isinstance(item, str):
            out.append(item)
        else:
            out.extend(group_from_json(item).expand())
    return out
