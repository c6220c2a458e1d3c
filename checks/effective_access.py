"""Whether the caller may delete in each repository, judged from its role assignments or its token's scope map.

A pure model of the documented rules, shared by ``delete-permission``, ``purge-task-access``, the pre-flight and
``explain``. Sources (ids resolved in docs/sources.md): [D-ABAC]
container-registry-rbac-abac-repository-permissions.md (ms.date
2025-12-11), [D-ROLES] container-registry-rbac-built-in-roles-directory-reference.md, [D-TRBL]
container-registry-troubleshoot-login-authn-authz.md, [D-TOK]
container-registry-token-based-repository-permissions.md, and the Azure built-in roles page for Containers
(MicrosoftDocs/azure-docs ``articles/role-based-access-control/built-in-roles/containers.md``, [AZ-ROLES] below).

The rules encoded:

* Legacy mode (``roleAssignmentMode`` other than ``AbacRepositoryPermissions``): AcrDelete grants delete through
  the *action* ``Microsoft.ContainerRegistry/registries/artifacts/delete`` (its definition has no data actions,
  [AZ-ROLES]); Owner and Contributor (``*`` actions) have "full data plane access" in this mode [D-ROLES, privileged
  roles, "RBAC Registry Permissions" tab]. This mode "only honor[s] the AcrPull, AcrPush, or AcrDelete roles to
  read, write, or delete images" [D-TRBL "Validate identity permissions and role assignments"], so an ABAC-mode
  role (data actions only) is ignored there. It "supports only standard RBAC assignments without ABAC conditions"
  [D-ROLES]: what a conditional assignment does there is not documented, so it is *not judged*.
* ABAC mode: AcrPull/AcrPush/AcrDelete are not honoured and Owner/Contributor/Reader grant control plane only
  [D-ABAC "Effect on existing role assignments"]; delete needs the data action
  ``Microsoft.ContainerRegistry/registries/repositories/content/delete`` (Container Registry Repository
  Contributor). An assignment without a condition is registry-wide; a condition scopes it to repositories
  [D-ABAC "ABAC-enabled built-in roles"]. The documented condition form is
  ``(!(ActionMatches{'a'}) AND …) OR (@Request[…repositories:name] StringStartsWithIgnoreCase 'p/' OR …)``: an
  action the condition does not list is not restricted by it [D-ABAC CLI examples; Azure ABAC condition format].
* Tokens: a scope map grants ``repositories/<repo>/content/delete``; ``<repo>`` may be ``*`` (every repository) or
  end in ``/*`` (a prefix), and wildcard rules add up [D-TOK "How to use scope maps…", "Root level wildcards"].

Anything outside these rules (an unparseable condition, a role definition not collected, a token not found) makes
the repository *unknown*, never allowed: a report must not say "passed" about what it could not judge.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from acrdoctor.controls import Access, RoleAssignment, RoleDefinition, RolePermission
from acrdoctor.model import Registry, Snapshot

ABAC_MODE = "abacrepositorypermissions"
#: The data action an ABAC-mode delete needs [D-ABAC; D-ROLES Container Registry Repository Contributor].
DELETE_DATA_ACTION = "Microsoft.ContainerRegistry/registries/repositories/content/delete"
#: The data action that changes repository/tag/manifest attributes (locks) in ABAC mode [D-ABAC].
METADATA_WRITE_DATA_ACTION = "Microsoft.ContainerRegistry/registries/repositories/metadata/write"
#: AcrDelete's only permission, an *action* (not a data action) [AZ-ROLES, AcrDelete JSON].
LEGACY_DELETE_ACTION = "Microsoft.ContainerRegistry/registries/artifacts/delete"
#: The data actions of the ABAC repository roles, for conditions that restrict all of them [D-ABAC examples].
REPOSITORY_DATA_ACTIONS = (
    "Microsoft.ContainerRegistry/registries/repositories/content/read",
    "Microsoft.ContainerRegistry/registries/repositories/metadata/read",
    "Microsoft.ContainerRegistry/registries/repositories/content/write",
    "Microsoft.ContainerRegistry/registries/repositories/metadata/write",
    DELETE_DATA_ACTION,
)

CONTRIBUTOR_ROLE = "Container Registry Repository Contributor"
CATALOG_LISTER_ROLE = "Container Registry Repository Catalog Lister"
LEGACY_DELETE_ROLE = "AcrDelete"
_LEGACY_ROLES = frozenset({"acrdelete", "acrpush", "acrpull"})


def _perm(actions: Sequence[str] = (), not_actions: Sequence[str] = (), data: Sequence[str] = ()) -> RolePermission:
    return RolePermission(tuple(actions), tuple(not_actions), tuple(data))


#: Built-in roles by definition GUID, used only when the caller's definitions were not collected. Each entry
#: carries its source. Only what matters for delete is kept.
BUILTIN_ROLES: dict[str, RoleDefinition] = {
    # [AZ-ROLES] AcrDelete JSON: actions [registries/artifacts/delete], no data actions.
    "c2f4ef07-c644-48eb-af81-4b1b4947fb11": RoleDefinition(
        "c2f4ef07-c644-48eb-af81-4b1b4947fb11", "AcrDelete", (_perm([LEGACY_DELETE_ACTION]),), "BuiltInRole"),
    # [AZ-ROLES] AcrPull / AcrPush: no delete permission (AcrPull 7f951dda…, AcrPush 8311e382…).
    "7f951dda-4ed3-4680-a7ca-43fe172d538d": RoleDefinition(
        "7f951dda-4ed3-4680-a7ca-43fe172d538d", "AcrPull",
        (_perm(["Microsoft.ContainerRegistry/registries/pull/read"]),), "BuiltInRole"),
    "8311e382-0749-4cb8-b61a-304f252e45ec": RoleDefinition(
        "8311e382-0749-4cb8-b61a-304f252e45ec", "AcrPush",
        (_perm(["Microsoft.ContainerRegistry/registries/pull/read",
                "Microsoft.ContainerRegistry/registries/push/write"]),), "BuiltInRole"),
    # Azure built-in Owner / Contributor: actions "*", no data actions (Azure built-in roles, General category).
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": RoleDefinition(
        "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "Owner", (_perm(["*"]),), "BuiltInRole"),
    "b24988ac-6180-42a0-ab88-20f7382dd24c": RoleDefinition(
        "b24988ac-6180-42a0-ab88-20f7382dd24c", "Contributor",
        (_perm(["*"], ["Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write"]),), "BuiltInRole"),
    # Container Registry Repository Contributor: read, write and delete data actions [D-ROLES]. GUID as
    # published in role listings (third-party code copies; not found on a Microsoft page stored here: unverified).
    "2efddaa5-3f1f-4df3-97df-af3f13818f4c": RoleDefinition(
        "2efddaa5-3f1f-4df3-97df-af3f13818f4c", CONTRIBUTOR_ROLE, (_perm(data=REPOSITORY_DATA_ACTIONS),),
        "BuiltInRole"),
}


# --- wildcards ------------------------------------------------------------------------------------------------

def action_matches(pattern: str, action: str) -> bool:
    """Azure RBAC action patterns: ``*`` stands for any characters, matching is case-insensitive."""
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, action, re.IGNORECASE) is not None


def _grants(permissions: Iterable[RolePermission], action: str, data: bool) -> bool:
    """An action is granted when some permission block includes it and that block does not exclude it."""
    for p in permissions:
        allow, deny = (p.data_actions, p.not_data_actions) if data else (p.actions, p.not_actions)
        if any(action_matches(a, action) for a in allow) and not any(action_matches(a, action) for a in deny):
            return True
    return False


# --- ABAC conditions ------------------------------------------------------------------------------------------

class ConditionError(ValueError):
    """A condition outside the forms this module understands: its assignment cannot be judged."""


_TOKEN = re.compile(r"""\s*(?:
    (?P<lp>\() | (?P<rp>\)) | (?P<not>!) |
    (?P<and>\bAND\b|&&) | (?P<or>\bOR\b|\|\|) |
    (?P<am>ActionMatches\s*\{\s*'(?P<am_v>[^']*)'\s*\}) |
    (?P<attr>@(?:Request|Resource)\[Microsoft\.ContainerRegistry/registries/repositories:name\]\s+
        (?P<any>ForAnyOfAnyValues:)?(?P<op>[A-Za-z]+)\s+
        (?:'(?P<one>[^']*)'|\{(?P<many>\s*'[^']*'(?:\s*,\s*'[^']*')*\s*)\}))
)""", re.VERBOSE | re.IGNORECASE)

_OPS = {
    "stringequals": lambda v, x: v == x,
    "stringequalsignorecase": lambda v, x: v.lower() == x.lower(),
    "stringstartswith": lambda v, x: v.startswith(x),
    "stringstartswithignorecase": lambda v, x: v.lower().startswith(x.lower()),
    "stringlike": lambda v, x: action_matches(x, v),  # '*' wildcard; case-insensitive
    "stringnotequals": lambda v, x: v != x,
    "stringnotequalsignorecase": lambda v, x: v.lower() != x.lower(),
    "stringnotstartswith": lambda v, x: not v.startswith(x),
    "stringnotstartswithignorecase": lambda v, x: not v.lower().startswith(x.lower()),
}


@dataclass(frozen=True, slots=True)
class Condition:
    """A parsed repository condition, evaluated per (action, repository)."""

    text: str
    _tokens: tuple[tuple[str, object], ...] = field(repr=False, default=())

    @classmethod
    def parse(cls, text: str) -> Condition:
        tokens: list[tuple[str, object]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = _TOKEN.match(text, pos)
            if m is None:
                raise ConditionError(f"cannot read the condition at {text[pos:pos + 40].strip()!r}")
            pos = m.end()
            if m.group("am"):
                tokens.append(("am", m.group("am_v")))
            elif m.group("attr"):
                op = m.group("op").lower()
                if op not in _OPS:
                    raise ConditionError(f"operator {m.group('op')} is not one this judge knows")
                many = m.group("many")
                values = tuple(re.findall(r"'([^']*)'", many)) if many is not None else (m.group("one"),)
                if len(values) > 1 and not m.group("any"):
                    raise ConditionError("a value list without ForAnyOfAnyValues")
                tokens.append(("attr", (op, values)))
            else:
                for name in ("lp", "rp", "not", "and", "or"):
                    if m.group(name):
                        tokens.append((name, None))
                        break
        cond = cls(text, tuple(tokens))
        cond.evaluate("x", "x")  # syntax check: raises ConditionError on a malformed expression
        return cond

    def evaluate(self, action: str, repository: str) -> bool:
        parser = _Parser(self._tokens, action, repository)
        value = parser.expr()
        if parser.i != len(self._tokens):
            raise ConditionError("unbalanced condition")
        return value


class _Parser:
    """expr := term (OR term)*; term := factor (AND factor)*; factor := ! factor | ( expr ) | atom."""

    def __init__(self, tokens: Sequence[tuple[str, object]], action: str, repository: str) -> None:
        self.tokens, self.action, self.repository, self.i = tokens, action, repository, 0

    def peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def expr(self) -> bool:
        values = [self.term()]
        while self.peek() == "or":
            self.i += 1
            values.append(self.term())
        return any(values)

    def term(self) -> bool:
        values = [self.factor()]
        while self.peek() == "and":
            self.i += 1
            values.append(self.factor())
        return all(values)

    def factor(self) -> bool:
        kind = self.peek()
        if kind is None:
            raise ConditionError("the condition ends early")
        self.i += 1
        if kind == "not":
            return not self.factor()
        if kind == "lp":
            value = self.expr()
            if self.peek() != "rp":
                raise ConditionError("unbalanced parentheses")
            self.i += 1
            return value
        payload = self.tokens[self.i - 1][1]
        if kind == "am":
            return action_matches(str(payload), self.action)
        if kind == "attr":
            op, values = payload  # type: ignore[misc]
            return any(_OPS[op](self.repository, v) for v in values)
        raise ConditionError(f"unexpected {kind}")


# --- verdicts -------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Grant:
    """One assignment (or scope-map rule) that grants the action, and where."""

    source: str
    condition: Condition | None = None
    prefixes: tuple[str, ...] = ()  # token rules: '' means every repository

    def allows(self, action: str, repository: str) -> bool:
        if self.condition is not None:
            return self.condition.evaluate(action, repository)
        if self.prefixes:
            return any(p == "" or repository.lower() == p.lower() or
                       (p.endswith("/") and repository.lower().startswith(p.lower())) for p in self.prefixes)
        return True

    @property
    def everywhere(self) -> bool:
        return self.condition is None and (not self.prefixes or "" in self.prefixes)


@dataclass(frozen=True, slots=True)
class AccessVerdict:
    """What the access data says about one action: grants, what was ignored and why, and what stays unknown.

    ``reason`` is set when nothing can be judged at all (the data needed is missing); ``uncertain`` lists
    assignments that might grant the action but could not be judged, each with why.
    """

    action: str
    caller: str
    kind: str
    reason: str | None = None
    grants: tuple[Grant, ...] = ()
    ignored: tuple[str, ...] = ()
    uncertain: tuple[str, ...] = ()
    abac: bool = False

    @property
    def judged(self) -> bool:
        return self.reason is None

    def allowed(self, repository: str) -> bool:
        return any(g.allows(self.action, repository) for g in self.grants)

    def split(self, repositories: Iterable[str]) -> tuple[list[str], list[str]]:
        """(denied, unknown) among ``repositories``: unknown when denied by what was judged but something
        uncertain might grant it."""
        denied: list[str] = []
        unknown: list[str] = []
        for r in repositories:
            if self.allowed(r):
                continue
            (unknown if self.uncertain else denied).append(r)
        return denied, unknown

    @property
    def uniform(self) -> bool:
        """Whether the verdict is the same for every repository (so no repository list is needed)."""
        return not self.grants or any(g.everywhere for g in self.grants)


def _under(scope: str, registry_id: str | None) -> bool:
    """Whether an assignment at ``scope`` applies to the registry: its own id or an ancestor of it."""
    if not registry_id:
        return True  # the collector reads assignments at the registry's scope and above only
    s, r = scope.rstrip("/").lower(), registry_id.rstrip("/").lower()
    return s in ("", "/") or r == s or r.startswith(s + "/")


def _definition(access: Access, ra: RoleAssignment) -> RoleDefinition | None:
    found = access.definition(ra.role_definition_id)
    if found is not None:
        return found
    return BUILTIN_ROLES.get(ra.role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower())


def caller_label(access: Access) -> str:
    c = access.caller
    if c.kind == "token":
        return f"token {c.token_name}" if c.token_name else "a repository-scoped token"
    who = c.name or c.principal_id
    kind = (c.principal_type or "identity").replace("ServicePrincipal", "service principal").lower()
    return f"{kind} {who}" if who else "the caller"


def judge(snapshot: Snapshot, action: str = DELETE_DATA_ACTION) -> AccessVerdict | None:
    """The caller's verdict for ``action`` (a data action); None when access was not collected at all."""
    access = snapshot.access
    if access is None:
        return None
    reg = snapshot.registry
    label = caller_label(access)
    kind = access.caller.kind
    if kind == "token":
        return _judge_token(snapshot, access, action, label)
    if kind != "entra":
        what = "the admin user" if kind == "admin" else "an identity of unknown kind"
        return AccessVerdict(action, label, kind, reason=f"the collector signed in as {what}, whose rights role "
                             "assignments do not describe")
    return _judge_entra(reg, access, action, label)


def _judge_entra(reg: Registry, access: Access, action: str, label: str) -> AccessVerdict:
    abac = (reg.role_assignment_mode or "").lower() == ABAC_MODE
    if access.role_assignments is None:
        return AccessVerdict(action, label, "entra", reason="the caller's role assignments were not collected",
                             abac=abac)
    legacy_action = LEGACY_DELETE_ACTION if action == DELETE_DATA_ACTION else None
    if not abac and legacy_action is None:
        return AccessVerdict(action, label, "entra", reason=f"the docs name no legacy-mode action for {action}",
                             abac=abac)
    grants: list[Grant] = []
    ignored: list[str] = []
    uncertain: list[str] = []
    for ra in access.role_assignments:
        if not _under(ra.scope, reg.id):
            continue
        definition = _definition(access, ra)
        name = ra.role_name or (definition.role_name if definition else None) or ra.role_definition_id
        source = f"{name} at {_scope_label(ra.scope, reg)}"
        if definition is None:
            uncertain.append(f"{source}: its role definition was not collected")
            continue
        by_data = _grants(definition.permissions, action, data=True)
        by_action = legacy_action is not None and _grants(definition.permissions, legacy_action, data=False)
        if abac:
            if not by_data:
                if definition.role_name.lower() in _LEGACY_ROLES:
                    ignored.append(f"{source}: legacy role, not honoured on a registry in ABAC mode [D-ABAC]")
                elif by_action:
                    ignored.append(f"{source}: grants delete as a control-plane action only, which gives no "
                                   "data-plane access on a registry in ABAC mode [D-ABAC]")
                continue
            if ra.condition:
                try:
                    grants.append(Grant(source, Condition.parse(ra.condition)))
                except ConditionError as exc:
                    uncertain.append(f"{source}: its ABAC condition cannot be judged ({exc})")
                continue
            grants.append(Grant(source))
        else:
            if ra.condition and (by_action or by_data):
                uncertain.append(f"{source}: a conditional assignment on a registry not in ABAC mode, whose effect "
                                 "the docs do not describe")
            elif by_action:
                grants.append(Grant(source))
            elif by_data:
                ignored.append(f"{source}: an ABAC-mode role, not honoured on a registry in RBAC Registry "
                               "Permissions mode, which honours only AcrPull/AcrPush/AcrDelete for images [D-TRBL]")
    return AccessVerdict(action, label, "entra", grants=tuple(grants), ignored=tuple(ignored),
                         uncertain=tuple(uncertain), abac=abac)


def _scope_label(scope: str, reg: Registry) -> str:
    if reg.id and scope.rstrip("/").lower() == reg.id.lower():
        return "the registry"
    if "/resourcegroups/" in scope.lower():
        return "its resource group" if "/providers/" not in scope.lower() else scope
    return "the subscription" if scope.lower().startswith("/subscriptions/") else scope


#: The scope-map suffix for a data action [D-TOK actions table].
_TOKEN_ACTIONS = {DELETE_DATA_ACTION: "content/delete", METADATA_WRITE_DATA_ACTION: "metadata/write"}
_SCOPE_ACTION = re.compile(r"^repositories/(?P<repo>.+)/(?P<action>(?:content|metadata)/[a-z]+)$", re.IGNORECASE)


def token_rules(actions: Iterable[str], wanted: str) -> tuple[str, ...]:
    """Repository patterns a scope map grants ``wanted`` (``content/delete``) on, as prefixes: ``''`` for ``*``,
    ``'team/'`` for ``team/*``, the name itself otherwise [D-TOK wildcards]."""
    out: list[str] = []
    for a in actions:
        m = _SCOPE_ACTION.match(a.strip())
        if m is None or m.group("action").lower() != wanted:
            continue
        repo = m.group("repo")
        out.append("" if repo == "*" else repo[:-1] if repo.endswith("/*") else repo)
    return tuple(dict.fromkeys(out))


def _judge_token(snapshot: Snapshot, access: Access, action: str, label: str) -> AccessVerdict:
    wanted = _TOKEN_ACTIONS.get(action)
    name = access.caller.token_name
    if wanted is None:
        return AccessVerdict(action, label, "token", reason=f"no scope-map action is documented for {action}")
    if snapshot.tokens is None or snapshot.scope_maps is None:
        return AccessVerdict(action, label, "token", reason="the registry's tokens and scope maps were not collected")
    token = next((t for t in snapshot.tokens if name and t.name.lower() == name.lower()), None)
    if token is None:
        return AccessVerdict(action, label, "token", reason=f"the caller's token {name or '(unnamed)'} is not among "
                             "the tokens collected")
    if (token.status or "enabled").lower() == "disabled":
        return AccessVerdict(action, label, "token", ignored=(f"token {token.name} is disabled",))
    tail = (token.scope_map_id or "").rstrip("/").rsplit("/", 1)[-1].lower()
    scope_map = next((s for s in snapshot.scope_maps if s.name.lower() == tail), None)
    if scope_map is None:
        return AccessVerdict(action, label, "token", reason=f"the scope map of token {token.name} was not collected")
    prefixes = token_rules(scope_map.actions, wanted)
    grants = (Grant(f"scope map {scope_map.name}", prefixes=prefixes),) if prefixes else ()
    return AccessVerdict(action, label, "token", grants=grants)


def token_scope_map(snapshot: Snapshot) -> str | None:
    """The scope map name of the caller's token, when collected."""
    access = snapshot.access
    if access is None or access.caller.kind != "token" or not snapshot.tokens:
        return None
    token = next((t for t in snapshot.tokens if t.name == access.caller.token_name), None)
    if token is None or not token.scope_map_id:
        return None
    return token.scope_map_id.rstrip("/").rsplit("/", 1)[-1]


def prefix_condition(repositories: Sequence[str], actions: Sequence[str] = REPOSITORY_DATA_ACTIONS) -> str:
    """An ABAC condition in the documented form restricting ``actions`` to the repositories' namespaces
    (``team/`` for ``team/api``, the exact name for a top-level repository) [D-ABAC CLI examples: prefixes keep
    their trailing slash]."""
    prefixes: dict[str, str] = {}
    for r in repositories:
        if "'" in r:
            continue  # not a valid repository name; never let data close the quoted value
        head, sep, _ = r.partition("/")
        prefixes.setdefault(head + "/" if sep else r, "StringStartsWithIgnoreCase" if sep else "StringEqualsIgnoreCase")
    guard = " AND ".join(f"!(ActionMatches{{'{a}'}})" for a in actions)
    attr = "@Request[Microsoft.ContainerRegistry/registries/repositories:name]"
    repo_part = " OR ".join(f"{attr} {op} '{value}'" for value, op in prefixes.items())
    return f"(({guard}) OR ({repo_part}))"
