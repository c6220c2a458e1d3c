"""Parse the delete command a user is about to run into a :class:`~acrdoctor.preflight.model.Request`.

Supported, verbatim as the user would type them:

* ``acr purge …`` (Azure/acr-cli ``cmd/acr/purge.go``), also inside ``az acr run --cmd "acr purge …" /dev/null``
  and ``az acr task create … --cmd "acr purge …"``;
* ``az acr repository delete --name R --repository X`` / ``--image repo:tag`` / ``--image repo@digest``;
* ``az acr repository untag --name R --image repo:tag``;
* ``az acr manifest delete --registry R --name repo:tag|repo@digest`` or
  ``az acr manifest delete R.azurecr.io/repo:tag``;
* ``az acr delete --name R``.

Anything else (an unknown command or flag, a missing value, an invalid regex or ``--ago``) raises
:class:`~acrdoctor.errors.InputError` with one line naming the culprit. The flag sets are the real ones
(acr-semantics notes §2.1; azure-cli ``acr/_params.py``), so invented flags such as ``--last-pull-older-than``
(notes §6) are refused instead of silently ignored.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal, InvalidOperation

import regex

from acrdoctor.errors import InputError
from acrdoctor.preflight.model import AzAction, AzRequest, PurgeRequest, Request
from acrdoctor.preflight.regexp2 import compile_filter

__all__ = ["MAX_AGO", "parse_ago", "parse_command", "registry_name", "split_filter"]

#: acr purge caps ``--ago`` at 150 years of 365 days (``maxAgoDurationYears`` in purge.go; acr-cli#560, PR #564).
MAX_AGO = timedelta(days=150 * 365)

#: The exact expression acr-cli uses to split ``--filter REPO:TAG``: a colon that is not part of a non-capture
#: group ``(?:``/``(?i:`` nor of a POSIX class ``[[:alpha:]]`` (``GetRepositoryAndTagRegex`` in
#: ``cmd/repository/image_functions.go`` @ cfbb835). It needs variable-length look-behind, which ``regex`` has.
_FILTER_SPLIT = regex.compile(r"(?<!\(\?[imsU-]{0,5}|\[*\^*\[\^*):(?!\]\]*)")

#: Go ``time.ParseDuration`` grammar (sign handled separately): one or more ``<decimal><unit>``, or a bare "0".
_GO_DURATION_PART = re.compile(r"([0-9]+\.?[0-9]*|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)")
_GO_UNIT_SECONDS = {
    "ns": Decimal("1e-9"), "us": Decimal("1e-6"), "µs": Decimal("1e-6"), "μs": Decimal("1e-6"),
    "ms": Decimal("1e-3"), "s": Decimal(1), "m": Decimal(60), "h": Decimal(3600),
}
_AGO_HELP = "expected [N]d[Go duration] such as 2d3h6m, 1h15m, 0d or 30m"


# -- small flag parser ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Flag:
    key: str
    kind: str  # "bool", "value" or "multi"


def _spec(*entries: tuple[str, str, str]) -> dict[str, _Flag]:
    """``(names, key, kind)`` rows, names separated by ``/`` (``"-f/--filter"``)."""
    out: dict[str, _Flag] = {}
    for names, key, kind in entries:
        for name in names.split("/"):
            out[name] = _Flag(key, kind)
    return out


_TRUE = {"true", "1", "t", "yes"}
_FALSE = {"false", "0", "f", "no"}


def _parse_flags(tokens: Sequence[str], spec: dict[str, _Flag], command: str, *,
                 positionals: int = 0, go_bools: bool = False) -> tuple[dict[str, object], list[str]]:
    """Parse ``tokens`` against ``spec``; unknown flags, missing values and extra positionals are errors.

    Accepts ``--flag value``, ``--flag=value`` and ``-fvalue``/``-f=value`` for one-letter flags taking a value.
    ``go_bools`` allows ``--dry-run=false`` as pflag does.
    """
    values: dict[str, object] = {}
    seen: dict[str, str] = {}
    rest: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if tok == "--":
            rest.extend(tokens[i:])
            break
        if not tok.startswith("-") or tok == "-":
            rest.append(tok)
            continue
        name, eq, inline = tok.partition("=")
        flag = spec.get(name)
        if flag is None and not tok.startswith("--") and len(tok) > 2 and spec.get(tok[:2]) is not None \
                and spec[tok[:2]].kind != "bool":
            name, eq, inline = tok[:2], "=", tok[2:].removeprefix("=")
            flag = spec[name]
        if flag is None:
            raise InputError(f"unknown flag {name} for {command}")
        if flag.kind == "bool":
            if eq:
                if not go_bools or inline.lower() not in _TRUE | _FALSE:
                    raise InputError(f"flag {name} of {command} takes no value (got {tok!r})")
                values[flag.key] = inline.lower() in _TRUE
            else:
                values[flag.key] = True
            seen[flag.key] = name
            continue
        if eq:
            value = inline
        else:
            if i >= len(tokens) or (tokens[i].startswith("-") and tokens[i].partition("=")[0] in spec):
                raise InputError(f"missing value for {name} in {command}")
            value = tokens[i]
            i += 1
        if flag.kind == "multi":
            current = values.setdefault(flag.key, [])
            assert isinstance(current, list)
            current.append(value)
        else:
            if flag.key in values and values[flag.key] != value:
                raise InputError(f"{name} given twice for {command} ({values[flag.key]!r} and {value!r})")
            values[flag.key] = value
        seen[flag.key] = name
    if len(rest) > positionals:
        raise InputError(f"unexpected argument {rest[positionals]!r} for {command}")
    values["__names__"] = seen
    return values, rest


def _name(values: dict[str, object], key: str, default: str) -> str:
    names = values.get("__names__")
    return names.get(key, default) if isinstance(names, dict) else default


def _int(values: dict[str, object], key: str, flag: str, command: str) -> int | None:
    raw = values.get(key)
    if raw is None:
        return None
    try:
        return int(str(raw))
    except ValueError:
        raise InputError(f"invalid value {raw!r} for {flag} in {command}: expected an integer") from None


# -- acr purge --------------------------------------------------------------------------------------------------

_PURGE = "acr purge"
_PURGE_SPEC = _spec(
    ("-f/--filter", "filter", "multi"),
    ("--ago", "ago", "value"),
    ("--keep", "keep", "value"),
    ("--untagged", "untagged", "bool"),
    ("--untagged-only", "untagged_only", "bool"),
    ("--dry-run", "dry_run", "bool"),
    ("--include-locked", "include_locked", "bool"),
    ("--concurrency", "concurrency", "value"),
    ("--repository-page-size", "page_size", "value"),
    ("--filter-timeout-seconds", "filter_timeout", "value"),
    ("--verbose", "verbose", "bool"),
    ("-r/--registry", "registry", "value"),
    ("-u/--username", "username", "value"),
    ("-p/--password", "password", "value"),
    ("-c/--config", "config", "multi"),
)


def split_filter(text: str) -> tuple[str, str]:
    """Split ``--filter REPO:TAG`` exactly as acr-cli does; ``InputError`` where acr purge would refuse it.

    acr-cli's splitter skips colons of ``(?:``, ``(?i:`` and POSIX classes (``[[:digit:]]``) only; a colon
    inside an ordinary class such as ``[a:b]`` still splits, so acr purge rejects that filter too.
    """
    parts = _FILTER_SPLIT.split(text)
    if len(parts) != 2:
        raise InputError(f"invalid --filter {text!r} for acr purge: expected exactly one REPO:TAG colon outside "
                         f"(?:…) groups and [[:class:]] (acr purge splits it into {len(parts)} part(s))")
    repo, tag = parts
    if not repo:
        raise InputError(f"invalid --filter {text!r} for acr purge: missing repository name/expression")
    if not tag:
        raise InputError(f"invalid --filter {text!r} for acr purge: missing tag name/expression")
    return repo, tag


def _check_regex(expression: str, what: str, flt: str) -> None:
    try:
        compile_filter(expression)
    except regex.error as exc:
        raise InputError(f"invalid {what} regex in --filter {flt!r} for acr purge: {exc}") from None


def _go_duration(text: str) -> Decimal | None:
    """Seconds of a Go ``time.ParseDuration`` string, or ``None`` when Go would reject it."""
    body = text[1:] if text[:1] in "+-" else text
    if body == "0":
        return Decimal(0)
    if not body:
        return None
    total = Decimal(0)
    pos = 0
    while pos < len(body):
        m = _GO_DURATION_PART.match(body, pos)
        if m is None:
            return None
        try:
            total += Decimal(m.group(1)) * _GO_UNIT_SECONDS[m.group(2)]
        except InvalidOperation:
            return None
        pos = m.end()
    return -total if text.startswith("-") else total


def parse_ago(text: str) -> tuple[timedelta, bool]:
    """``--ago`` as acr purge reads it (``parseDuration`` in purge.go): ``[N]d[Go duration]``.

    Returns the duration and whether it hit the 150-year cap. Values acr-cli would misread rather than reject
    (``1.5d`` taken as 1 day, ``d3h`` as 0, ``5days`` as the cap) and negative values are refused here.
    """
    m = re.fullmatch(r"([0-9]+)d(.*)", text, flags=re.DOTALL) if "d" in text else None
    if "d" in text and m is None:
        raise InputError(f"invalid --ago {text!r} for acr purge: {_AGO_HELP}")
    days = int(m.group(1)) if m else 0
    rest = m.group(2) if m else text
    seconds = Decimal(0)
    if rest:
        parsed = _go_duration(rest)
        if parsed is None:
            raise InputError(f"invalid --ago {text!r} for acr purge: {rest!r} is not a Go duration; {_AGO_HELP}")
        if parsed < 0:
            raise InputError(f"invalid --ago {text!r} for acr purge: negative durations select the future")
        seconds = parsed
    cap_seconds = Decimal(MAX_AGO.days * 86400)
    total = Decimal(days) * 86400 + seconds
    if total > cap_seconds:
        return MAX_AGO, True
    whole = int(total)
    micro = int((total - whole) * 1_000_000)
    return timedelta(seconds=whole, microseconds=micro), False


def _templated(value: str | None) -> bool:
    """``{{.Run.Registry}}`` or ``$REGISTRY``: the registry the ACR task runs in, filled in at run time."""
    return value is not None and (value.startswith("{{") or value.startswith("$"))


def _parse_purge(tokens: Sequence[str], raw: str) -> PurgeRequest:
    values, _ = _parse_flags(tokens, _PURGE_SPEC, _PURGE, go_bools=True)
    untagged = bool(values.get("untagged"))
    untagged_only = bool(values.get("untagged_only"))
    filters_raw = values.get("filter") or []
    assert isinstance(filters_raw, list)
    if untagged and untagged_only:
        raise InputError("--untagged and --untagged-only are mutually exclusive in acr purge")
    if not filters_raw and not untagged_only:
        raise InputError("acr purge needs --filter (or --untagged-only)")
    ago_text = values.get("ago")
    assert ago_text is None or isinstance(ago_text, str)
    if not ago_text and not untagged_only:
        raise InputError("acr purge needs --ago unless --untagged-only is given")
    ago = parse_ago(ago_text)[0] if ago_text else None
    filters: list[tuple[str, str]] = []
    for flt in filters_raw:
        repo, tag = split_filter(flt)
        _check_regex("^" + repo + "$", "repository", flt)
        if not untagged_only:  # with --untagged-only acr purge never compiles the tag part
            _check_regex(tag, "tag", flt)
        filters.append((repo, tag))
    keep = _int(values, "keep", "--keep", _PURGE) or 0
    _int(values, "concurrency", "--concurrency", _PURGE)
    _int(values, "page_size", "--repository-page-size", _PURGE)
    timeout = _int(values, "filter_timeout", "--filter-timeout-seconds", _PURGE)
    registry = values.get("registry")
    assert registry is None or isinstance(registry, str)
    return PurgeRequest(
        filters=tuple(filters), ago=ago, keep=keep, untagged=untagged, untagged_only=untagged_only,
        dry_run=bool(values.get("dry_run")), include_locked=bool(values.get("include_locked")),
        registry=None if _templated(registry) else registry,
        filter_timeout_seconds=float(timeout) if timeout and timeout > 0 else 60.0,  # <=0: default (BuildRegexFilter)
        ago_text=ago_text, raw=raw,
    )


def _is_acr_cli(token: str) -> bool:
    """``acr`` (the ACR Tasks alias) or the image ``mcr.microsoft.com/acr/acr-cli:0.x``."""
    return token == "acr" or re.fullmatch(r"(?:[\w.-]+/)*acr-cli(?::[\w.-]+)?", token) is not None


def _parse_acr(tokens: list[str], raw: str) -> PurgeRequest:
    if len(tokens) < 2:
        raise InputError("incomplete command 'acr': only 'acr purge' is supported")
    if tokens[1] != "purge":
        raise InputError(f"unsupported command 'acr {tokens[1]}': only 'acr purge' is supported")
    return _parse_purge(tokens[2:], raw)


# -- az acr -----------------------------------------------------------------------------------------------------

_AZ_GLOBAL = (
    ("--subscription", "subscription", "value"),
    ("-o/--output", "output", "value"),
    ("--query", "query", "value"),
    ("--debug", "debug", "bool"),
    ("--verbose", "verbose", "bool"),
    ("--only-show-errors", "only_show_errors", "bool"),
)
_AZ_DATA_AUTH = (
    ("--suffix", "suffix", "value"),
    ("-u/--username", "username", "value"),
    ("-p/--password", "password", "value"),
)
_REPO_DELETE_SPEC = _spec(
    ("-n/--name", "registry", "value"), ("--repository", "repository", "value"), ("-t/--image", "image", "value"),
    ("-y/--yes", "yes", "bool"), ("-g/--resource-group", "resource_group", "value"), *_AZ_DATA_AUTH, *_AZ_GLOBAL,
)
_UNTAG_SPEC = _spec(
    ("-n/--name", "registry", "value"), ("-t/--image", "image", "value"),
    ("-g/--resource-group", "resource_group", "value"), *_AZ_DATA_AUTH, *_AZ_GLOBAL,
)
_MANIFEST_DELETE_SPEC = _spec(
    ("-r/--registry", "registry", "value"), ("-n/--name", "name", "value"), ("-y/--yes", "yes", "bool"),
    *_AZ_DATA_AUTH, *_AZ_GLOBAL,
)
_REGISTRY_DELETE_SPEC = _spec(
    ("-n/--name", "registry", "value"), ("-g/--resource-group", "resource_group", "value"),
    ("-y/--yes", "yes", "bool"), *_AZ_GLOBAL,
)
_LOGIN_SUFFIX = re.compile(r"\.azurecr\.(?:io|cn|us)$|\.azurecr\.microsoft\.scloud$", re.IGNORECASE)


def registry_name(value: str) -> str:
    """A registry name as ``az`` uses it: a login server's suffix dropped (``validate_registry_name``)."""
    return _LOGIN_SUFFIX.sub("", value.strip())


def _image(value: str, command: str, flag: str, *, allow_digest: bool = True) -> tuple[str, str | None, str | None]:
    """``repo:tag`` or ``repo@digest`` (azure-cli ``_parse_image_name``): ``(repository, tag, digest)``."""
    if allow_digest and "@" in value:
        repo, _, digest = value.partition("@")
        algo, colon, hexpart = digest.partition(":")
        if not repo or "@" in digest or not colon or not algo or not hexpart:
            raise InputError(f"invalid {flag} {value!r} for {command}: expected repo@sha256:<hex>")
        return repo, None, digest
    parts = value.split(":")
    if len(parts) != 2 or not parts[0] or not parts[1] or "@" in value:
        form = "'repo:tag' or 'repo@digest'" if allow_digest else "'repo:tag'"
        raise InputError(f"invalid {flag} {value!r} for {command}: expected {form}")
    return parts[0], parts[1], None


def _str(values: dict[str, object], key: str) -> str | None:
    v = values.get(key)
    return v if isinstance(v, str) else None


def _az_repository(sub: str, args: list[str], raw: str) -> AzRequest:
    if sub == "delete":
        command = "az acr repository delete"
        values, _ = _parse_flags(args, _REPO_DELETE_SPEC, command)
        registry = registry_name(_str(values, "registry") or "")
        repository, image = _str(values, "repository"), _str(values, "image")
        if repository is not None and image is not None:
            raise InputError(f"{command} takes --repository or --image, not both")
        if repository is None and image is None:
            raise InputError(f"{command} needs --repository or --image")
        rg = _str(values, "resource_group")
        if repository is not None:
            if not repository:
                raise InputError(f"empty --repository for {command}")
            return AzRequest(AzAction.DELETE_REPOSITORY, registry, repository=repository, resource_group=rg, raw=raw)
        assert image is not None
        repo, tag, digest = _image(image, command, _name(values, "image", "--image"))
        return AzRequest(AzAction.DELETE_IMAGE, registry, repository=repo, tag=tag, digest=digest,
                         resource_group=rg, raw=raw)
    if sub == "untag":
        command = "az acr repository untag"
        values, _ = _parse_flags(args, _UNTAG_SPEC, command)
        image = _str(values, "image")
        if image is None:
            raise InputError(f"{command} needs --image repo:tag")
        repo, tag, _digest = _image(image, command, _name(values, "image", "--image"), allow_digest=False)
        return AzRequest(AzAction.UNTAG, registry_name(_str(values, "registry") or ""), repository=repo, tag=tag,
                         resource_group=_str(values, "resource_group"), raw=raw)
    raise InputError(f"unsupported command 'az acr repository {sub}': supported are delete and untag")


def _az_manifest_delete(args: list[str], raw: str) -> AzRequest:
    command = "az acr manifest delete"
    values, rest = _parse_flags(args, _MANIFEST_DELETE_SPEC, command, positionals=1)
    registry = _str(values, "registry")
    spec = _str(values, "name")
    if rest:
        if spec is not None:
            raise InputError(f"{command} takes a fully qualified name or --name, not both")
        host, slash, spec = rest[0].partition("/")
        if not slash or "." not in host or not spec:
            raise InputError(f"invalid artifact {rest[0]!r} for {command}: expected R.azurecr.io/repo:tag "
                             "or R.azurecr.io/repo@digest")
        host_registry = registry_name(host).split(".")[0]
        if registry is not None and registry_name(registry).lower() != host_registry.lower():
            raise InputError(f"{command}: --registry {registry!r} does not match the login server {host!r}")
        registry = host_registry
    if spec is None:
        raise InputError(f"{command} needs --name repo:tag|repo@digest or R.azurecr.io/repo:tag")
    repo, tag, digest = _image(spec, command, "--name")
    return AzRequest(AzAction.DELETE_MANIFEST, registry_name(registry or ""), repository=repo, tag=tag, digest=digest,
                     raw=raw)


def _az_registry_delete(args: list[str], raw: str) -> AzRequest:
    values, _ = _parse_flags(args, _REGISTRY_DELETE_SPEC, "az acr delete")
    return AzRequest(AzAction.DELETE_REGISTRY, registry_name(_str(values, "registry") or ""),
                     resource_group=_str(values, "resource_group"), raw=raw)


def _scan_wrapper(args: list[str], command: str) -> tuple[str, str | None]:
    """``--cmd`` and ``-r/--registry`` of ``az acr run`` / ``az acr task create``; their other flags are irrelevant."""
    cmd: str | None = None
    registry: str | None = None
    i = 0
    while i < len(args):
        name, eq, inline = args[i].partition("=")
        i += 1
        if name not in ("--cmd", "-r", "--registry"):
            continue
        if eq:
            value = inline
        elif i < len(args):
            value = args[i]
            i += 1
        else:
            raise InputError(f"missing value for {name} in {command}")
        if name == "--cmd":
            cmd = value
        else:
            registry = value
    if cmd is None:
        raise InputError(f"{command} without --cmd: nothing to pre-flight (expected --cmd \"acr purge …\")")
    if cmd.strip().startswith("$"):
        raise InputError(f"--cmd {cmd!r} of {command} is a shell variable: paste the acr purge command itself")
    return cmd, registry


def _az_wrapped(args: list[str], command: str) -> PurgeRequest:
    cmd, registry = _scan_wrapper(args, command)
    inner = _split(cmd)
    if not inner or not _is_acr_cli(inner[0]):
        raise InputError(f"unsupported --cmd {cmd!r} in {command}: only 'acr purge …' is supported")
    request = _parse_acr(inner, cmd)
    if request.registry is None and registry is not None and not _templated(registry):
        # Inside a task, acr purge falls back to ACR_DEFAULT_REGISTRY: the registry the task runs in.
        request = replace(request, registry=registry)
    return request


def _parse_az(tokens: list[str], raw: str) -> Request:
    if len(tokens) < 2 or tokens[1] != "acr":
        shown = " ".join(tokens[:2])
        raise InputError(f"unsupported command {shown!r}: only 'az acr …' delete commands are supported")
    if len(tokens) < 3:
        raise InputError("incomplete command 'az acr'")
    group = tokens[2]
    if group == "delete":
        return _az_registry_delete(tokens[3:], raw)
    if group == "run":
        return _az_wrapped(tokens[3:], "az acr run")
    if len(tokens) < 4:
        raise InputError(f"incomplete command 'az acr {group}'")
    sub = tokens[3]
    if group == "repository":
        return _az_repository(sub, tokens[4:], raw)
    if group == "manifest" and sub == "delete":
        return _az_manifest_delete(tokens[4:], raw)
    if group == "task" and sub == "create":
        return _az_wrapped(tokens[4:], "az acr task create")
    raise InputError(f"unsupported command 'az acr {group} {sub}'")


# -- entry point ------------------------------------------------------------------------------------------------


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise InputError(f"cannot split the command {text!r}: {exc}") from None


def parse_command(argv: Sequence[str] | str) -> Request:
    """The user's command (the argv after ``--``, or one string) as a ``PurgeRequest`` or ``AzRequest``."""
    if isinstance(argv, str):
        tokens, raw = _split(argv), argv.strip()
    else:
        tokens = list(argv)
        if len(tokens) == 1 and " " in tokens[0]:  # one quoted string after ``--``
            tokens, raw = _split(tokens[0]), tokens[0].strip()
        else:
            raw = shlex.join(tokens)
    if not tokens:
        raise InputError("no command given to pre-flight")
    if _is_acr_cli(tokens[0]):
        return _parse_acr(tokens, raw)
    if tokens[0] in ("az", "az.cmd"):
        return _parse_az(tokens, raw)
    raise InputError(f"unsupported command {tokens[0]!r}: expected 'acr purge …' or 'az acr …'")
