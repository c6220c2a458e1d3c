"""A fix plan: the ordered steps ``acrdoctor fix`` would take, and everything needed to check and redo them.

A plan is plain data that survives a round trip through JSON: it is the first line of every journal, so a
resumed run applies exactly the plan that was confirmed, never a new one made from a changed registry.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Any

from acrdoctor import actions as _actions
from acrdoctor.actions import EXPRESSIONS, Action, RegistryRef, ShellExpr
from acrdoctor.errors import InputError
from acrdoctor.shellquote import variable
from acrdoctor.typed_json import WrongType, check_mapping, check_types

#: Phases in the order they run. Network first (the data plane may be unreachable until then), unlocks
#: before the deletes that need them, relocks last so an object ends as locked as it started.
PHASES = ("network", "unlock", "endpoints", "placeholder", "delete", "policy", "relock")

#: The keys of ``FixPlan.options`` that acrdoctor reads back, with their types (checked when a plan is read).
OPTION_TYPES: dict[str, Any] = {
    "relock": bool, "enable_retention": bool, "in_use_references": int | None,
    "snapshot_collected_at": str | None, "skipped_checks": dict[str, str], "after_delete": str | None,
}

#: What ``FixPlan.endpoints`` may hold.
ENDPOINT_TYPES: dict[str, Any] = {"arm_endpoint": str | None, "ca_file": str | None}


def endpoints_form(doc: Any) -> bool:
    """Whether ``doc`` has the form acrdoctor writes for endpoints: known keys, plain one-line text or null.

    They are used for requests and printed in messages, so nothing else is accepted wherever they are read.
    """
    return isinstance(doc, dict) and set(doc) <= set(ENDPOINT_TYPES) and all(
        v is None or (isinstance(v, str) and v.isprintable()) for v in doc.values())


PLAN_KIND = "acrdoctor-fix-plan"
#: 2: runs of manifest deletes in one repository are written as one group (docs/fix.md); version 1 files still read.
PLAN_VERSION = 2
READABLE_VERSIONS = (1, 2)
#: The ``group`` value of a run of manifest deletes written together.
DELETE_GROUP = "delete-manifests"


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def _expression_to_json(value: Any) -> Any:
    """An expression is saved by name (``{"expression": "caller-ip"}``), never as text a reader could mistake."""
    if not isinstance(value, ShellExpr):
        return value
    names = [name for name, expr in EXPRESSIONS.items() if expr == value]
    if not names:
        raise ValueError(f"the expression {value} has no name to save it under")
    return {"expression": names[0]}


def _expression_from_json(value: Any) -> Any:
    """The inverse: a string stays data whatever it looks like; only a known name becomes an expression."""
    if not (isinstance(value, dict) and set(value) == {"expression"}):
        return value
    expr = EXPRESSIONS.get(str(value["expression"]))
    if expr is None:
        raise InputError(f"unknown expression {value['expression']!r} in the plan (known: {', '.join(EXPRESSIONS)})")
    return expr


def action_to_dict(action: Action) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": type(action).__name__}
    for name in _field_names(type(action)):
        value = _expression_to_json(getattr(action, name))
        if isinstance(value, RegistryRef):
            value = {"name": value.name, "resource_group": value.resource_group}
        elif isinstance(value, tuple):
            value = list(value)
        out[name] = value
    return out


def action_from_dict(doc: dict[str, Any]) -> Action:
    if not isinstance(doc, dict):
        raise InputError(f"an action in the plan is {type(doc).__name__}, not an object")
    kind = doc.get("kind")
    cls = getattr(_actions, str(kind), None)
    if not (isinstance(cls, type) and issubclass(cls, Action) and dataclasses.is_dataclass(cls)):
        raise InputError(f"unknown action kind {kind!r} in the plan")
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in doc:
            continue
        value = _expression_from_json(doc[f.name])
        if f.name == "registry" and isinstance(value, dict):
            try:
                value = RegistryRef(**value)
            except TypeError as err:
                raise InputError(f"action {kind} in the plan has a malformed registry: {err}") from None
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[f.name] = value
    try:
        return cls(**kwargs)
    except TypeError as err:
        raise InputError(f"action {kind} in the plan is malformed: {err}") from None


@dataclass(frozen=True)
class Step:
    """One change. ``expect`` is the object's state when the plan was made (None: not known beforehand);
    ``after`` names steps that must have succeeded first; ``allow`` lists manifests and tags that earlier
    steps of the plan itself add (the placeholder), which the check before a delete tolerates."""

    number: int
    phase: str
    action: Action
    findings: tuple[str, ...] = ()
    expect: dict[str, Any] | None = None
    after: tuple[int, ...] = ()
    allow: dict[str, list[str]] = field(default_factory=dict)
    impact: str = ""

    @property
    def subject(self) -> str:
        return self.action.subject()

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "phase": self.phase, "action": action_to_dict(self.action),
                "describe": self.action.describe(), "commands": list(self.action.commands()),
                "subject": self.subject, "findings": list(self.findings), "expect": self.expect,
                "after": list(self.after), "allow": self.allow, "impact": self.impact}

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Step:
        return cls(int(doc["number"]), str(doc["phase"]), action_from_dict(doc["action"]),
                   tuple(doc.get("findings") or ()), doc.get("expect"), tuple(doc.get("after") or ()),
                   dict(doc.get("allow") or {}), str(doc.get("impact") or ""))


def _group_key(step: Step) -> tuple[Any, ...] | None:
    """Steps with the same key, numbered one after another, are written as one group (only manifest deletes)."""
    a = step.action
    if type(a) is not _actions.DeleteManifest or step.allow:
        return None
    return (step.phase, a.registry, a.repository, step.findings, step.after)


def runs(steps: tuple[Step, ...] | list[Step]) -> list[list[Step]]:
    """Consecutive steps split into groups (two or more manifest deletes of one repository) and single steps."""
    out: list[list[Step]] = []
    key_of_last: tuple[Any, ...] | None = None
    for step in steps:
        key = _group_key(step)
        if key is not None and key == key_of_last and out and step.number == out[-1][-1].number + 1:
            out[-1].append(step)
        else:
            out.append([step])
        key_of_last = key
    return out


def group_to_dict(run: list[Step]) -> dict[str, Any]:
    """Registry, repository, findings and prerequisites once; digests, expectations that differ and impacts listed.

    ``expect`` is the state most steps expect (the first step's); ``expect_except`` maps a digest's position to its
    own where it differs. ``command`` is the delete with the shell variable ``$digest`` for the digest, the template
    ``diagnose`` prints for the same group (:mod:`acrdoctor.grouping`): ``for digest in …; do COMMAND; done``.
    """
    from acrdoctor.grouping import DIGEST_VARIABLE

    first = run[0]
    a = first.action
    assert isinstance(a, _actions.DeleteManifest)
    common = first.expect
    command = a.command_line(a.registry, a.repository, variable(DIGEST_VARIABLE))
    return {"group": DELETE_GROUP, "first": first.number, "phase": first.phase,
            "registry": {"name": a.registry.name, "resource_group": a.registry.resource_group},
            "repository": a.repository, "findings": list(first.findings), "after": list(first.after),
            "command": command, "expect": common,
            "expect_except": {str(i): s.expect for i, s in enumerate(run) if s.expect != common},
            "digests": [s.action.digest for s in run],  # type: ignore[attr-defined]
            "impacts": [s.impact for s in run]}


def group_from_dict(doc: dict[str, Any]) -> list[Step]:
    if doc.get("group") != DELETE_GROUP:
        raise InputError(f"unknown step group {doc.get('group')!r} in the plan")
    reg = doc["registry"]
    ref = RegistryRef(reg["name"], reg.get("resource_group"))
    digests, impacts = doc["digests"], doc.get("impacts") or [""] * len(doc["digests"])
    if not (isinstance(digests, list) and isinstance(impacts, list) and len(impacts) == len(digests)):
        raise InputError("a step group in the plan needs lists of digests and impacts of the same length")
    first, phase, repository = int(doc["first"]), str(doc["phase"]), doc["repository"]
    findings, after, common = tuple(doc.get("findings") or ()), tuple(doc.get("after") or ()), doc.get("expect")
    exceptions = dict(doc.get("expect_except") or {})
    return [Step(first + i, phase, _actions.DeleteManifest(ref, repository, digest), findings,
                 exceptions.get(str(i), common), after, {}, str(impacts[i])) for i, digest in enumerate(digests)]


def steps_to_json(steps: tuple[Step, ...], *, expand: bool = False) -> list[dict[str, Any]]:
    """The plan's steps as written: grouped (the default), or every step in full with its command (``expand``)."""
    if expand:
        return [s.to_dict() for s in steps]
    return [group_to_dict(run) if len(run) > 1 else run[0].to_dict() for run in runs(steps)]


def steps_from_json(docs: list[Any]) -> tuple[Step, ...]:
    out: list[Step] = []
    for doc in docs:
        if isinstance(doc, dict) and "group" in doc:
            out.extend(group_from_dict(doc))
        else:
            out.append(Step.from_dict(doc))
    return tuple(out)


@dataclass(frozen=True)
class ManualStep:
    """A fix command acrdoctor does not run itself (a role assignment, an SKU change, a purge task)."""

    finding: str
    commands: tuple[str, ...]
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"finding": self.finding, "commands": list(self.commands), "reason": self.reason}


@dataclass(frozen=True)
class LeftOut:
    """Something a finding's fix would delete that the plan refuses to, and why."""

    subject: str
    finding: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"subject": self.subject, "finding": self.finding, "reason": self.reason}


@dataclass(frozen=True)
class PlannedFinding:
    key: str
    check: str
    severity: str
    resource: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class FixPlan:
    registry: str
    resource_group: str | None
    subscription: str | None
    login_server: str
    created_at: str
    checks: tuple[str, ...]
    findings: tuple[PlannedFinding, ...]
    steps: tuple[Step, ...]
    manual: tuple[ManualStep, ...] = ()
    left_out: tuple[LeftOut, ...] = ()
    freed_bytes: int | None = None
    bytes_exact: bool = True
    options: dict[str, Any] = field(default_factory=dict)
    #: How Azure was reached when the plan was made (``arm_endpoint``, ``ca_file``; empty for the public cloud and
    #: for plans made from a file). Part of the plan, so the digest binds them: a saved plan or a journal edited to
    #: send a resume (and its ARM token) to another endpoint is refused like an edited step.
    endpoints: dict[str, str | None] = field(default_factory=dict)
    #: The digest, once computed (``acrdoctor.fix.digest``): a 200,000-step plan is hashed once, not per use.
    #: Not an init field, so ``dataclasses.replace`` (new endpoints) starts without it.
    digest_memo: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    def step(self, number: int) -> Step:
        for s in self.steps:
            if s.number == number:
                return s
        raise KeyError(number)

    @property
    def touched_repositories(self) -> tuple[str, ...]:
        return tuple(sorted({r for s in self.steps if (r := getattr(s.action, "repository", None))}))

    def to_dict(self, *, expand: bool = False) -> dict[str, Any]:
        """The plan as written to files and reports; ``expand`` lists every step in full instead of groups."""
        return {
            "kind": PLAN_KIND, "version": PLAN_VERSION, "registry": self.registry,
            "resource_group": self.resource_group, "subscription": self.subscription,
            "login_server": self.login_server, "created_at": self.created_at, "checks": list(self.checks),
            "findings": [f.to_dict() for f in self.findings], "steps": steps_to_json(self.steps, expand=expand),
            "manual": [m.to_dict() for m in self.manual], "left_out": [x.to_dict() for x in self.left_out],
            "freed_bytes": self.freed_bytes, "bytes_exact": self.bytes_exact, "options": self.options,
            **({"endpoints": self.endpoints} if self.endpoints else {}),
        }

    @classmethod
    def from_dict(cls, doc: Any) -> FixPlan:
        if not isinstance(doc, dict) or doc.get("kind") != PLAN_KIND:
            raise InputError("not an acrdoctor fix plan (expected \"kind\": \"acrdoctor-fix-plan\")")
        if doc.get("version") not in READABLE_VERSIONS:
            raise InputError(f"fix plan version {doc.get('version')!r} is not supported (this acrdoctor reads "
                             f"versions {' and '.join(map(str, READABLE_VERSIONS))})")
        try:
            plan = cls(
                registry=str(doc["registry"]), resource_group=doc.get("resource_group"),
                subscription=doc.get("subscription"), login_server=str(doc["login_server"]),
                created_at=str(doc["created_at"]), checks=tuple(doc.get("checks") or ()),
                findings=tuple(PlannedFinding(**f) for f in doc.get("findings") or ()),
                steps=steps_from_json(doc.get("steps") or []),
                manual=tuple(ManualStep(m["finding"], tuple(m["commands"]), m["reason"])
                             for m in doc.get("manual") or ()),
                left_out=tuple(LeftOut(**x) for x in doc.get("left_out") or ()),
                freed_bytes=doc.get("freed_bytes"), bytes_exact=bool(doc.get("bytes_exact", True)),
                options=dict(doc.get("options") or {}),
                endpoints=dict(doc.get("endpoints") or {}),
            )
            check_types(plan)
            check_mapping(plan.options, OPTION_TYPES, "options")
            check_mapping(plan.endpoints, ENDPOINT_TYPES, "endpoints")
            if not endpoints_form(plan.endpoints):
                raise WrongType(f"endpoints holds something other than {' and '.join(ENDPOINT_TYPES)} as plain text")
        except WrongType as err:
            raise InputError(f"the fix plan is malformed: {err}") from None
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise InputError(f"the fix plan is malformed: {type(err).__name__}: {err}") from None
        return plan
