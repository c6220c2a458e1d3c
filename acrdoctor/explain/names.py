"""Names pulled out of error text, and shell variables standing in for the ones that are not there.

Every extractor is a pure function over one logical line (a log line, with a JSON body that spans several
lines joined into it). Quotes are normalised first, so portal JSON with single quotes, ``\\u0027``-escaped
quotes (the firewall message on the wire, docker/build-push-action#1214) and ``\\"``-escaped bodies inside
Go/autorest errors (Azure/acr-cli#70, #459, #523) all read the same.

A name that cannot be found becomes a shell variable (``"$REGISTRY"``) in the printed commands, never a
``<placeholder>``: the command stays valid shell and says what to set. The variable is a
:class:`~acrdoctor.shellquote.ShellExpr`, so it is told apart from the names found in the text by its type:
a name from the text is always quoted, however much it looks like ``$REGISTRY`` or ``$(…)``.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace

from acrdoctor.actions import RegistryRef
from acrdoctor.shellquote import Arg, ShellExpr, needed_variables, variable

#: Shell variable used for each name when the text does not give it.
VARIABLES: Mapping[str, str] = {
    "registry": "REGISTRY",
    "repository": "REPOSITORY",
    "tag": "TAG",
    "digest": "DIGEST",
    "client_ip": "CLIENT_IP",
    "connection": "CONNECTION",
    "source_image": "SOURCE_IMAGE",
    "login_server": "LOGIN_SERVER",
}

def placeholder(name: str) -> ShellExpr:
    """The shell variable an action gets instead of a name the text does not give."""
    return variable(VARIABLES[name])


def variables_in(actions: Iterable[object]) -> list[str]:
    """Shell variables the actions' commands need, in first-use order: found by type, never in the text."""
    values: list[object] = []
    for action in actions:
        for f in fields(action):  # type: ignore[arg-type]
            value = getattr(action, f.name)
            if isinstance(value, RegistryRef):
                values.append(value.name)
            elif isinstance(value, tuple):  # an argv (ReadCommand): its expressions count one by one
                values.extend(value)
            else:
                values.append(value)
    return list(needed_variables(values))


# --- normalising -------------------------------------------------------------------------------------------

def normalise(text: str) -> str:
    """One quoting style: ``\\u0027`` → ``'``, ``\\"`` (any depth of escaping) → ``"``, CRLF → LF."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"\\+u0027", "'", text)
    text = re.sub(r"\\+u0022", '"', text)
    return re.sub(r'\\+"', '"', text)


# --- the names ---------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Names:
    """What one occurrence names. ``None`` means the text did not say."""

    registry: str | None = None
    repository: str | None = None
    tag: str | None = None
    digest: str | None = None
    client_ip: str | None = None
    action: str | None = None
    action_type: str | None = None
    action_name: str | None = None
    correlation_id: str | None = None
    connection: str | None = None
    #: The login server as written, with its port if the text gave one (``myreg.azurecr.io:443``).
    login_server: str | None = None
    #: The ``--source`` of a pasted ``az acr import``: the image in another registry that ACR was asked to copy.
    source_image: str | None = None

    def merged(self, other: Names) -> Names:
        """Fill the gaps of this one from ``other``."""
        return replace(self, **{f.name: getattr(other, f.name) for f in fields(self)
                                if getattr(self, f.name) is None and getattr(other, f.name) is not None})

    def as_dict(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    def get(self, name: str) -> Arg:
        """The value, or the shell variable standing in for it."""
        value = getattr(self, name)
        return value if value else placeholder(name)


_Q = "[\"']"
_REG_NAME = r"[A-Za-z0-9]{5,50}"
#: A registry's host: its login server, a data endpoint (REG.REGION.data.azurecr.io) or either name in the private
#: DNS zone (REG.privatelink.azurecr.io, REG.REGION.data.privatelink.azurecr.io; the zone's label is no registry).
_HOST = re.compile(rf"\b({_REG_NAME})(?:\.[a-z0-9-]+\.data)?(?:\.privatelink)?"
                   r"\.azurecr\.(?:io|cn|us|microsoftazure\.de)\b", re.IGNORECASE)
_ARM_ID = re.compile(r"/providers/Microsoft\.ContainerRegistry/registries/([A-Za-z0-9]{5,50})", re.IGNORECASE)
_QUOTED_REGISTRY = re.compile(rf"registry (?:login server )?['\"]({_REG_NAME})['\"]", re.IGNORECASE)
#: A login server as written (not the tail of a data endpoint, nor of a doubled suffix), with its port if any.
_LOGIN_SERVER = re.compile(r"(?<![\w.-])([A-Za-z0-9]{5,50}\.azurecr\.(?:io|cn|us)(?::\d{1,5})?)(?![\w-]|\.[a-z])",
                           re.IGNORECASE)
#: Prose naming the registry: "our registry contosoprod", "the ACR called `teamacr01`", "registry named X",
#: "registry (contosoprod)".
_PROSE_REGISTRY = re.compile(r"\b(?:(?:our|my)\s+(?:registry|ACR|acr)(?:\s+(?:is\s+)?(?:named|called))?|"
                             r"(?:registry|ACR|acr)\s+(?:is\s+)?(?:named|called))"
                             r"\s+[`'\"]?([a-z0-9]{5,50})[`'\"]?(?=[\s.,;:)!?]|$)|"
                             r"\b(?:registry|ACR|acr)\s+(?:`([a-z0-9]{5,50})`|([a-z]{2,40}[0-9][a-z0-9]{0,40}))"
                             r"(?=[\s.,;:)!?]|$)|"
                             # az and ARM messages: "… policy for registry contosoprod using …"
                             r"\b(?:for|of|on) registry ([a-z0-9]{5,50})(?=[\s.,;:)!?]|$)|"
                             # the name in brackets after the word: "a Basic registry (acrpwshmods)"
                             r"\b(?:registry|ACR|acr) \(([a-z0-9]{5,50})\)")
#: Words that follow "registry"/"ACR" in prose without being its name.
_NOT_A_NAME = frozenset({
    "about", "admin", "after", "again", "already", "always", "another", "anymore", "around", "based", "because",
    "before", "being", "called", "cannot", "carries", "cleanup", "config", "configured", "contains", "could",
    "delete", "deleted", "deletes", "deletion", "doesnt", "either", "empty", "every", "failed", "failing", "fails",
    "firewall", "first", "from", "getting", "gives", "growing", "happens", "holds", "images", "instance", "itself",
    "keeps", "level", "limit", "listed", "login", "looks", "named", "network", "never", "nothing", "often", "other",
    "pricing", "private", "public", "purge", "quota", "really", "refuses", "registry", "reports", "repository",
    "request", "returned", "returns", "right", "said", "says", "settings", "should", "showed", "shows", "since",
    "size", "still", "storage", "suddenly", "tasks", "tells", "their", "there", "these", "thing", "those", "through",
    "throws", "tokens", "usage", "using", "went", "which", "while", "within", "without", "works", "would", "write",
})
DIGEST = re.compile(r"\bsha256:[0-9a-f]{64}\b")
_REPO = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
#: ``<registry>.azurecr.io/<repo>[:tag][@digest]`` as docker, oras and acr purge print it.
_IMAGE_REF = re.compile(
    rf"\b{_REG_NAME}(?:\.[a-z0-9-]+\.data)?\.azurecr\.(?:io|cn|us)/(?!v2/|acr/v1/|oauth2/)({_REPO})"
    rf"(?::({_TAG}))?(?:@(sha256:[0-9a-f]{{64}}))?", re.IGNORECASE)
_ACR_PATH = re.compile(rf"/acr/v1/(?!_catalog|_deleted)({_REPO})(?:/_tags/({_TAG})|/_manifests/(sha256(?::|%3A)"
                       r"[0-9a-f]{64}))?", re.IGNORECASE)
_V2_PATH = re.compile(
    rf"/v2/(?!_catalog)({_REPO})/(?:manifests|blobs|tags)(?:/(sha256(?::|%3A)[0-9a-f]{{64}}|{_TAG}))?", re.IGNORECASE)
_DETAIL_NAME = re.compile(rf"{_Q}detail{_Q}\s*:\s*\{{\s*{_Q}name{_Q}\s*:\s*{_Q}({_REPO}){_Q}", re.IGNORECASE)
_REVISION = re.compile(rf"{_Q}Name{_Q}\s*:\s*{_Q}({_REPO}){_Q}\s*,\s*{_Q}Revision{_Q}", re.IGNORECASE)
#: A quoted image with no registry host after push/pull: "Unable to push 'web-api:1.2' to registry …".
_QUOTED_IMAGE = re.compile(rf"\b(?:push|pull)\w*\s+['\"]({_REPO})(?::({_TAG}))?['\"]", re.IGNORECASE)
_REPO_WORDS = re.compile(
    rf"repository (?:named )?['\"]({_REPO})['\"]|\brepository: ({_REPO})\b|for repository:? ({_REPO})(?=[\s.,;]|$)",
    re.IGNORECASE)
#: ``X repository not found`` (acr purge) is read backwards from the phrase, see :func:`_named_not_found`.
_NOT_FOUND = re.compile(r" repository not found", re.IGNORECASE)
_REPO_RUN = re.compile(r"[a-z0-9._/-]*", re.IGNORECASE)
_ALNUM_RUNS = re.compile(r"([^a-z0-9]+)", re.IGNORECASE)
_REPO_SEPARATOR = re.compile(r"[._]|__|-+|/")
_WORD = re.compile(r"\w")
_IP = re.compile(r"client with IP\s*['\"]?([0-9A-Fa-f:.]+)|"
                 # prose: "our build agent's public IP is 20.1.2.3", "outbound IP address: 52.1.1.1"
                 r"\b(?:client|public|outbound|egress|agent'?s?|runner'?s?|NAT) IP(?: address)?(?: is| was| of)?:?\s*"
                 r"['\"`]?(\d{1,3}(?:\.\d{1,3}){3})\b", re.IGNORECASE)
_CORRELATION = re.compile(
    r"(?:correlation[ _-]?(?:request[ _-]?)?id|x-ms-correlation-request-id|correlationId)['\"]?\s*[:=]?\s*['\"]?"
    r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})", re.IGNORECASE)
_CONNECTION = re.compile(r"(?:privateEndpointConnections/)?\b([A-Za-z0-9]{5,50}\.[0-9a-f]{32})\b")
_COMMAND_START = re.compile(r"(?:^|[\s$>`'\"(])((?:az\s+acr|acr\s+purge|acr)\s.*)$")

#: ``az acr`` groups whose ``-n/--name`` is not the registry (it is the repository, connection, task...).
_NAME_IS_NOT_REGISTRY = frozenset({
    "manifest", "private-endpoint-connection", "task", "replication", "webhook", "scope-map", "token",
    "agentpool", "cache", "credential-set", "connected-registry", "taskrun", "pack", "helm", "artifact-streaming",
})


def correlation_in(line: str) -> str | None:
    """The correlation id the line names (az's ``Correlation ID: …``, ``x-ms-correlation-request-id``), or None."""
    m = _CORRELATION.search(line)
    return m.group(1) if m else None


def client_ip_in(line: str) -> str | None:
    """The client IP the line names (ACR's firewall message, or prose naming a public/outbound IP), or None."""
    m = _IP.search(line)
    return _valid_ip(m.group(1) or m.group(2)) if m else None


def login_server_in(line: str) -> str | None:
    """The first login server the line names as written (with its port), or None."""
    m = _LOGIN_SERVER.search(line)
    return m.group(1) if m else None


def _valid_ip(candidate: str) -> str | None:
    try:
        return str(ipaddress.ip_address(candidate.rstrip(".:")))
    except ValueError:
        return None


def _split_image(value: str) -> tuple[str | None, str | None, str | None]:
    """``repo:tag``, ``repo@sha256:…`` or ``<login server>/repo:tag`` → (repository, tag, digest)."""
    value = value.strip("'\"")
    if ".azurecr." in value and "/" in value:
        value = value.split("/", 1)[1]
    digest = None
    if "@" in value:
        value, _, digest = value.partition("@")
    repo, _, tag = value.partition(":")
    return (repo or None), (tag or None), (digest if digest and DIGEST.fullmatch(digest) else None)


#: An Az.ContainerRegistry cmdlet (``Get-AzContainerRegistryTag -RegistryName r -RepositoryName web -Name 1.4``)
#: and its named parameters.
_CMDLET = re.compile(r"\b(?:Get|Remove|Update|New|Import|Connect)-AzContainerRegistry(?P<noun>\w*)\b(?P<args>[^\n]*)",
                     re.IGNORECASE)
_CMDLET_PARAM = re.compile(r"(?:^|\s)-(?P<name>[A-Za-z]+)\s+(?P<value>'[^']*'|\"[^\"]*\"|[^\s|;]+)")


def _from_cmdlet(line: str) -> Names:
    """Names from an Az PowerShell cmdlet: -RegistryName, -RepositoryName (or -Repository), -Tag, -Manifest, and
    -Name as the cmdlet's noun says (a tag for …Tag, a repository for …Repository, the registry for the registry)."""
    m = _CMDLET.search(line) if "azcontainerregistry" in line.lower() else None
    if m is None:
        return Names()
    noun = m.group("noun").lower()
    found: dict[str, str] = {}
    for p in _CMDLET_PARAM.finditer(m.group("args")):
        name, value = p.group("name").lower(), p.group("value").strip("'\"")
        if name == "registryname" or (name == "name" and noun == ""):
            found.setdefault("registry", value.lower())
        elif name in ("repositoryname", "repository") or (name == "name" and noun == "repository"):
            found.setdefault("repository", value)
        elif name == "tag" or (name == "name" and noun == "tag"):
            found.setdefault("tag", value)
        elif name == "manifest" and value.startswith("sha256:"):
            found.setdefault("digest", value)
    if "registry" in found and not re.fullmatch(_REG_NAME, found["registry"]):
        del found["registry"]
    return Names(**found)


def from_command(line: str) -> Names:
    """Names from an ``az acr …`` or ``acr purge …`` command pasted into the text (or an Az PowerShell cmdlet)."""
    match = _COMMAND_START.search(line)
    if not match:
        return _from_cmdlet(line)
    command = match.group(1)
    if match.start(1) > 0 and line[match.start(1) - 1] == "`":
        command = command.split("`", 1)[0]  # a command quoted inside a sentence ends at its closing backtick
    try:
        argv = shlex.split(command, comments=False)
    except ValueError:
        argv = command.split()
    if not argv:
        return Names()
    group = argv[2] if argv[0] == "az" and len(argv) > 2 else (argv[1] if len(argv) > 1 else "")
    registry = repository = tag = digest = source_image = None
    i = 0
    while i < len(argv):
        arg, value = argv[i], (argv[i + 1] if i + 1 < len(argv) else None)
        if "=" in arg and arg.startswith("--"):
            arg, value = arg.split("=", 1)  # --name=VALUE: one word (the loop moves on by one word either way)
        if value is not None:
            if arg in ("--registry", "-r", "--registry-name"):
                registry = value
            elif arg in ("--name", "-n"):
                if group == "manifest":
                    repository, tag, digest = _split_image(value)
                elif group not in _NAME_IS_NOT_REGISTRY and registry is None:
                    registry = value
            elif arg == "--repository":
                repository = value
            elif arg == "--source" and group == "import":
                source_image = value
            elif arg in ("--image", "-t", "--t"):
                repository, tag, digest = _split_image(value)
            elif arg == "--filter" and group == "purge" and repository is None:
                # acr purge --filter 'REPO:TAGREGEX': the repository part, when it is a plain name (not a regex)
                repository = value.split(":", 1)[0] if re.fullmatch(_REPO, value.split(":", 1)[0]) else None
            elif arg == "--cmd" and group == "run":
                inner = from_command(" " + value)  # az acr run --cmd "acr purge …": the purge names the objects
                repository, tag, digest = repository or inner.repository, tag or inner.tag, digest or inner.digest
        i += 1
    if registry:
        registry = registry.lower().split(".azurecr.")[0].removeprefix("https://")
        if not re.fullmatch(_REG_NAME, registry):
            registry = None
    return Names(registry=registry, repository=repository, tag=tag, digest=digest, source_image=source_image)


def _named_not_found(line: str) -> tuple[int, str] | None:
    """Where ``<repository> repository not found`` names a repository first, and the name.

    The same as searching ``\\b(REPO) repository not found``, but linear: that search starts at every word in a
    long dotted token and matches to its end each time. Here each occurrence of the phrase is read backwards:
    the run of name characters before it is split into alphanumeric parts and separators, and the name starts
    at the leftmost part that a chain of valid separators connects to the phrase and that a word boundary
    precedes.
    """
    done = 0
    for phrase in _NOT_FOUND.finditer(line):
        end = phrase.start()
        run = _REPO_RUN.match(line[end - 1:done - 1 if done else None:-1]) if end > done else None
        done = phrase.end() - len("found")  # the next name may start with this word: no space in between
        if run is None or not run.group():
            continue
        start = end - run.end()
        parts = _ALNUM_RUNS.split(line[start:end])  # alnum, separator, alnum, ..., alnum
        if not parts[-1]:
            continue
        first = len(parts) - 1
        while first >= 2 and parts[first - 2] and _REPO_SEPARATOR.fullmatch(parts[first - 1]):
            first -= 2
        offset = start + sum(len(p) for p in parts[:first])
        for k in range(first, len(parts), 2):
            if offset == 0 or not _WORD.match(line[offset - 1]):
                return offset, line[offset:end]
            offset += len(parts[k]) + (len(parts[k + 1]) if k + 1 < len(parts) else 0)
    return None


@functools.lru_cache(maxsize=1024)
def from_line(line: str) -> Names:
    """Every name one logical line gives, the most specific source first."""
    registry = repository = tag = digest = None
    cmd = from_command(line)
    registry = _registry_of(line)
    m = _DETAIL_NAME.search(line) or _REVISION.search(line)
    if m:
        repository = m.group(1)
    for pattern in (_IMAGE_REF, _ACR_PATH, _V2_PATH):
        for m in pattern.finditer(line):
            repository = repository or m.group(1)
            ref = (m.group(2) or "").replace("%3A", ":").replace("%3a", ":")
            if pattern is _IMAGE_REF and m.group(3):
                digest = digest or m.group(3)
            if pattern is _ACR_PATH and m.group(3):
                digest = digest or m.group(3).replace("%3A", ":").replace("%3a", ":")
            if ref.startswith("sha256:"):
                digest = digest or ref
            elif ref and m.group(1) == repository:
                tag = tag or ref
    if repository is None:
        m = _QUOTED_IMAGE.search(line)
        if m:
            repository, tag = m.group(1), tag or m.group(2)
    if repository is None:
        m = _REPO_WORDS.search(line)
        not_found = _named_not_found(line)
        if m and (not_found is None or m.start() <= not_found[0]):
            repository = next(g for g in m.groups() if g)
        elif not_found is not None:
            repository = not_found[1]
    if digest is None:
        m = DIGEST.search(line)
        digest = m.group(0) if m else None
    ip_match = _IP.search(line)
    corr = _CORRELATION.search(line)
    conn = _CONNECTION.search(line)
    names = Names(
        registry=registry, repository=repository, tag=tag, digest=digest,
        client_ip=_valid_ip(ip_match.group(1) or ip_match.group(2)) if ip_match else None,
        correlation_id=corr.group(1) if corr else None,
        connection=conn.group(1) if conn and not conn.group(1).lower().startswith("sha256") else None,
        login_server=login_server_in(line),
    )
    return cmd.merged(names) if cmd != Names() else names


@functools.lru_cache(maxsize=256)
def registry_in(line: str) -> str | None:
    """``from_line(line).registry``, for the many lines searched only for a registry: a pasted command's wins,
    then the most specific mention (ARM id, host, ``registry '…'``)."""
    registry = from_command(line).registry
    if registry:
        return registry
    return _registry_of(line)


def _registry_of(line: str) -> str | None:
    """The most specific mention: ARM id, host, ``registry '…'``, then prose ("our registry contosoprod")."""
    for pattern in (_ARM_ID, _HOST, _QUOTED_REGISTRY):
        m = pattern.search(line)
        if m:
            return m.group(1).lower()
    for m in _PROSE_REGISTRY.finditer(line):
        name = next(g for g in m.groups() if g)
        if name not in _NOT_A_NAME and not name.isdigit():
            return name
    return None


def around(lines: Sequence[str], index: int, before: int = 8, after: int = 2, *,
           others: frozenset[int] = frozenset(), objects_nearby: bool = True) -> Names:
    """Names of line ``index``, gaps filled from the nearest lines before it, then just after it.

    Lines in ``others`` (other errors) and, when ``objects_nearby`` is false, every other line lend only the
    registry: a repository or a tag from another error in the same log would be wrong. ``lines`` need only be
    the window around ``index``; a registry named nowhere near is the caller's to fill in from the first line
    of the text that names one.
    """
    names = from_line(lines[index])
    order = [*range(index - 1, max(-1, index - before - 1), -1), *range(index + 1, min(len(lines), index + after + 1))]
    for j in order:
        near = from_line(lines[j])
        if j in others or not objects_nearby:
            near = Names(registry=near.registry)
        elif names.repository and near.repository and near.repository != names.repository:
            near = replace(near, tag=None, digest=None)
        names = names.merged(replace(near, client_ip=None, connection=None, correlation_id=None))
    return names
