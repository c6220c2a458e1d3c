"""Who may get which registry access token: the admin user, repository-scoped tokens and anonymous pull.

A mixin of :class:`~acrdoctor.testing._state.FakeRegistry`. Registry clients other than az and the Azure SDK
(docker, skopeo, oras) never talk to Entra ID: they answer the ``/v2/`` Bearer challenge with
``GET /oauth2/token?service=…&scope=…`` and HTTP Basic credentials, as ACR documents in "Token with Basic Auth"
(Azure/acr ``docs/Token-BasicAuth.md``). Those credentials are the admin user (user name = registry name, two
passwords), a repository-scoped token (its name and one of its two passwords, actions from its scope map), or the
null-GUID user whose password is an ACR refresh token (what ``az acr login --expose-token`` prints).

The answer is an access token limited to what the caller may do. ACR answers 200 even when nothing is granted
(notes acr-wire-behaviour §c.1: an empty ``access`` list); the request that then needs the missing action gets
the usual 401 ``UNAUTHORIZED`` challenge. The fake does the same: it narrows the scope at issue time.
"""

from __future__ import annotations

import fnmatch
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

#: ``az acr login --expose-token`` tells users to log in with this user name and the refresh token as password.
NULL_GUID_USER = "00000000-0000-0000-0000-000000000000"

#: Scope-map actions (``repositories/<repo>/<action>``) and the token-scope action each one grants, from the
#: table in "Repository-scoped permissions" (container-registry-repository-scoped-permissions.md).
SCOPE_MAP_ACTIONS = {
    "content/read": "pull",
    "content/write": "push",
    "content/delete": "delete",
    "metadata/read": "metadata_read",
    "metadata/write": "metadata_write",
}

#: What ``repository:<name>:*`` asks for: every repository action a scope map can grant.
_ALL_REPOSITORY_ACTIONS = tuple(SCOPE_MAP_ACTIONS.values())

TOKEN_IDENTITY_PREFIX = "token:"


@dataclass(frozen=True, slots=True)
class Principal:
    """A caller the token endpoint recognised. ``kind`` is ``admin``, ``token``, ``aad`` or ``anonymous``."""

    identity: str
    kind: str


ANONYMOUS = Principal("anonymous", "anonymous")
ADMIN = Principal("admin", "admin")  # admin calls share one identity for throttling, as ACR documents


def parse_scopes(scopes: Iterable[str]) -> list[tuple[str, str, list[str]]]:
    """``["repository:a/b:pull,push registry:catalog:*"]`` → ``[("repository", "a/b", ["pull", "push"]), …]``.

    Docker clients send one ``scope`` parameter per resource, ACR's own clients one space-separated string;
    both forms are accepted. The name is everything between the first and the last colon.
    """
    out: list[tuple[str, str, list[str]]] = []
    for item in scopes:
        for part in item.split():
            kind, _, rest = part.partition(":")
            name, sep, actions = rest.rpartition(":")
            if kind and sep and name:
                out.append((kind, name, [a for a in actions.split(",") if a]))
    return out


class RegistryAuthMixin:
    """Admin user and token passwords, and the narrowing of a requested scope to what a principal may do."""

    name: str
    admin_user_enabled: bool
    anonymous_pull_enabled: bool
    registry_tokens: dict[str, dict[str, Any]]
    scope_maps: dict[str, dict[str, Any]]
    repositories: dict[str, Any]
    identity_of_refresh_token: Callable[[str], str | None]

    def _init_registry_auth(self) -> None:
        #: The admin user's two passwords (ARM ``listCredentials`` has ``password`` and ``password2``); random per
        #: state, so no fixed credential sits in the code. Read them here; both work while the admin user is enabled.
        self.admin_passwords: list[str] = [secrets.token_urlsafe(24), secrets.token_urlsafe(24)]
        #: Token name → its passwords (ACR generates ``password1``/``password2`` on request; none until then).
        self.token_passwords: dict[str, list[str]] = {}
        #: Repository → blobs uploaded into it: what a cross-repository mount may take ``from`` there besides the
        #: blobs its manifests name.
        self.blob_links: dict[str, set[str]] = {}

    # -- credentials ----------------------------------------------------------------------------------------------

    def set_token_password(self, token_name: str, password: str | None = None) -> str:
        """Give the repository-scoped token ``token_name`` a password (generated when not given); return it."""
        if token_name not in self.registry_tokens:
            raise KeyError(f"no token named {token_name!r}; add it with add_token() first")
        password = password or secrets.token_urlsafe(24)
        self.token_passwords.setdefault(token_name, []).append(password)
        return password

    def principal_for(self, username: str, password: str) -> Principal | None:
        """The principal HTTP Basic (or ``grant_type=password``) credentials name, or None when they are wrong.

        A disabled admin user or a disabled token is refused like a wrong password (ACR's wording for either
        is not verified).
        """
        if not username:
            return None
        if username.lower() == self.name.lower():
            ok = self.admin_user_enabled and any(secrets.compare_digest(password, p) for p in self.admin_passwords)
            return ADMIN if ok else None
        if username == NULL_GUID_USER:
            identity = self.identity_of_refresh_token(password)
            return Principal(identity, "aad") if identity else None
        token = self.registry_tokens.get(username)
        if token is None or str(token["properties"].get("status", "enabled")).lower() != "enabled":
            return None
        if any(secrets.compare_digest(password, p) for p in self.token_passwords.get(username, ())):
            return Principal(TOKEN_IDENTITY_PREFIX + username, "token")
        return None

    def repository_holds_blob(self, repo: str, digest: str) -> bool:
        """Whether ``digest`` is reachable in ``repo``: uploaded or mounted there, or named by one of its manifests."""
        if digest in self.blob_links.get(repo, ()):
            return True
        r = self.repositories.get(repo)
        return r is not None and any(digest in m.blobs for m in r.manifests.values())

    # -- permissions ---------------------------------------------------------------------------------------------

    def _scope_map_actions(self, token_name: str) -> list[str]:
        token = self.registry_tokens.get(token_name)
        sm_id = str((token or {}).get("properties", {}).get("scopeMapId") or "")
        if not sm_id:
            return []
        for sm in self.scope_maps.values():
            if sm["id"].lower() == sm_id.lower() or sm["name"].lower() == sm_id.rsplit("/", 1)[-1].lower():
                return list(sm["properties"].get("actions", []))
        return []

    def principal_may(self, principal: Principal, kind: str, name: str, action: str) -> bool:
        """Whether ``principal`` may be granted ``kind:name:action``.

        The admin user may do everything (ACR docs: "admin account … full permissions"). Entra identities get
        what they ask for here; their missing permissions are the fake's ``denied_actions``, checked per request.
        Anonymous callers may only pull, and only with anonymous pull enabled. A repository-scoped token may do
        what its scope map lists; ``repositories/<pattern>/…`` patterns with ``*`` are matched as globs
        (ACR's wildcard scope maps); registry-level scopes (the catalog) are never granted to a token (Azure/acr#675).
        """
        if principal.kind in ("admin", "aad"):
            return True
        if principal.kind == "anonymous":
            return kind == "repository" and action == "pull" and self.anonymous_pull_enabled
        if kind != "repository":
            return False
        token_name = principal.identity.removeprefix(TOKEN_IDENTITY_PREFIX)
        for entry in self._scope_map_actions(token_name):
            head, _, rest = entry.partition("/")
            repo_pattern, _, perm = rest.rpartition("/")
            repo_pattern, _, group = repo_pattern.rpartition("/")
            if head != "repositories" or SCOPE_MAP_ACTIONS.get(f"{group}/{perm}") != action:
                continue
            if repo_pattern == name or fnmatch.fnmatchcase(name, repo_pattern):
                return True
        return False

    def identity_may(self, identity: str, repo: str, action: str) -> bool:
        """``principal_may`` for the identity an access token is bound to (tokens are checked by scope map)."""
        if not identity.startswith(TOKEN_IDENTITY_PREFIX):
            return True
        return self.principal_may(Principal(identity, "token"), "repository", repo, action)

    def grant_scope(self, principal: Principal, scopes: Iterable[str]) -> str:
        """The requested scopes narrowed to what ``principal`` may do, as one space-separated scope string.

        ``repository:<name>:*`` is kept as ``*`` for callers that may do everything and otherwise expanded to the
        actions the caller has (the docker token spec's meaning of ``*``; ACR's own expansion is not verified).
        """
        granted: list[str] = []
        for kind, name, actions in parse_scopes(scopes):
            allowed: list[str] = []
            for action in actions:
                if action == "*" and kind == "repository" and principal.kind not in ("admin", "aad"):
                    allowed += [a for a in _ALL_REPOSITORY_ACTIONS if self.principal_may(principal, kind, name, a)]
                elif self.principal_may(principal, kind, name, action):
                    allowed.append(action)
            if allowed:
                granted.append(f"{kind}:{name}:{','.join(dict.fromkeys(allowed))}")
        return " ".join(granted)


__all__ = ["ADMIN", "ANONYMOUS", "NULL_GUID_USER", "Principal", "RegistryAuthMixin", "parse_scopes"]
