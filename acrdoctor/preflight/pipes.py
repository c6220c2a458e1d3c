"""The pipe stages of a cleanup script: the az listing that feeds it, ``head``/``tail``, and what ``xargs`` runs.

Split from :mod:`acrdoctor.preflight.script`, which walks the statements; these are pure functions of the words of
one stage. Anything they do not model raises :class:`NotEvaluable` with the reason the report prints.
"""

from __future__ import annotations

from acrdoctor.errors import InputError
from acrdoctor.model import Snapshot
from acrdoctor.preflight.azlistings import Listing
from acrdoctor.preflight.commands import _AZ_DATA_AUTH, _AZ_GLOBAL, _parse_flags, _spec
from acrdoctor.preflight.purge import check_registry

__all__ = ["NotEvaluable", "listing_of", "text_stage", "xargs_commands"]


class NotEvaluable(Exception):
    """Something in a statement that cannot be known; the message is the report's reason."""


_LISTING_SPEC = _spec(
    ("-r/--registry", "registry", "value"), ("-n/--name", "name", "value"), ("--repository", "repository", "value"),
    ("--top", "top", "value"), ("--orderby", "orderby", "value"), ("--detail", "detail", "bool"),
    ("-g/--resource-group", "resource_group", "value"), *_AZ_DATA_AUTH, *_AZ_GLOBAL,
)


def listing_of(kind: str, argv: list[str], snapshot: Snapshot) -> Listing:
    """The listing an ``az`` command asks for, with az's own flag names per command (azure-cli ``acr/_params.py``)."""
    command = "az " + " ".join(argv[1:4])
    values, rest = _parse_flags(argv[4:], _LISTING_SPEC, command, positionals=1)
    names = values["__names__"]
    assert isinstance(names, dict)
    if kind == "list-metadata":
        if "repository" in names:
            raise InputError(f"{command} has no --repository flag (its repository is --name; az refuses the command)")
        registry, repository = values.get("registry"), values.get("name")
        if rest:
            host, _, repository = rest[0].partition("/")
            registry = host.split(".")[0]
    else:
        if "registry" in names and names["registry"] == "-r":
            raise InputError(f"{command} takes the registry as --name, not -r")
        registry, repository = values.get("name"), values.get("repository")
        if rest:
            raise InputError(f"unexpected argument {rest[0]!r} for {command}")
    if not isinstance(registry, str) or not registry or not isinstance(repository, str) or not repository:
        raise InputError(f"{command} needs the registry and the repository")
    check_registry(registry, snapshot)
    top = values.get("top")
    try:
        top_n = int(str(top)) if top is not None else None
    except ValueError:
        raise InputError(f"invalid --top {top!r} for {command}") from None
    orderby = values.get("orderby")
    if kind == "show-tags" and not values.get("detail"):
        top_n, orderby = None, None  # az ignores both without --detail, with a warning
    output = values.get("output")
    query = values.get("query")
    return Listing(kind, repository, query=query if isinstance(query, str) else None,
                   orderby=orderby if isinstance(orderby, str) else None, top=top_n,
                   detail=bool(values.get("detail")), output=output if isinstance(output, str) else "json")


def _count(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise NotEvaluable(f"{what} {value!r} is not a number") from None


def text_stage(argv: list[str], lines: list[str]) -> list[str]:
    """``head -n N`` / ``tail -n N`` / ``tail -n +N`` between a listing and xargs."""
    name, args = argv[0], argv[1:]
    if name in ("head", "tail") and len(args) <= 2:
        spec = args[1] if len(args) == 2 and args[0] == "-n" else (args[0][2:] if args and args[0].startswith("-n")
                                                                  else args[0][1:] if args else "10")
        if name == "head":
            n = _count(spec, "head -n")
            return lines[:n] if n >= 0 else lines[:n or None]
        if spec.startswith("+"):
            return lines[_count(spec[1:], "tail -n +") - 1:]
        n = _count(spec, "tail -n")
        return lines[-n:] if n else []
    raise NotEvaluable(f"'{' '.join(argv)}' between the listing and xargs is not modelled")


def xargs_commands(argv: list[str], lines: list[str]) -> list[list[str]]:
    """The commands ``xargs`` would run for ``lines`` (GNU xargs: ``-I R`` replaces R in each argument, one line per
    command; otherwise whitespace-separated items are appended, ``-n N`` at a time)."""
    if argv[:1] != ["xargs"]:
        raise NotEvaluable(f"the listing is piped to {argv[0]!r}, not to xargs")
    replace_str: str | None = None
    per: int | None = None
    i = 1
    while i < len(argv) and argv[i].startswith("-"):
        a = argv[i]
        i += 1
        if a in ("-r", "--no-run-if-empty", "-t", "--verbose", "-x", "--exit"):
            continue
        if a == "-i":
            replace_str = "{}"
        elif a.startswith("--replace"):
            replace_str = a.partition("=")[2] or "{}"
        elif a.startswith("-I"):
            if len(a) > 2:
                replace_str = a[2:]
            elif i < len(argv):
                replace_str, i = argv[i], i + 1
        elif a[:2] in ("-n", "-L", "-P") or a.startswith(("--max-args", "--max-procs", "--max-lines")):
            value = a[2:] if a[:2] in ("-n", "-L", "-P") and len(a) > 2 else a.partition("=")[2]
            if not value and i < len(argv):
                value, i = argv[i], i + 1
            if a[:2] in ("-n", "-L") or a.startswith(("--max-args", "--max-lines")):
                per = _count(value, "xargs -n")
        else:
            raise NotEvaluable(f"xargs option {a!r} is not modelled")
    template = argv[i:]
    if not template:
        raise NotEvaluable("xargs without a command runs echo")
    if replace_str is not None:
        items = [ln.lstrip() for ln in lines if ln.strip()]
        return [[t.replace(replace_str, item) for t in template] for item in items]
    words = [w for ln in lines for w in ln.split()]
    if not words:
        return []
    size = per or len(words)
    return [template + words[k:k + size] for k in range(0, len(words), size)]


_UPDATE_SPEC = _spec(
    ("-n/--name", "name", "value"), ("-r/--registry", "registry", "value"), ("--repository", "repository", "value"),
    ("-t/--image", "image", "value"), ("-g/--resource-group", "resource_group", "value"),
    ("--delete-enabled", "delete_enabled", "value"), ("--write-enabled", "write_enabled", "value"),
    ("--read-enabled", "read_enabled", "value"), ("--list-enabled", "list_enabled", "value"),
    *_AZ_DATA_AUTH, *_AZ_GLOBAL,
)
_BOOL = {"true": True, "false": False}


def attribute_update(argv: list[str], snapshot: Snapshot) -> tuple[str, str | None, str | None, dict[str, bool]]:
    """``(repository, tag, digest, changes)`` of ``az acr repository update`` or ``az acr manifest update-metadata``
    (azure-cli ``acr/_params.py``: the repository command takes the registry as ``--name`` and ``--repository`` or
    ``--image``; the manifest command ``--registry`` and ``--name repo:tag|repo@digest``)."""
    command = "az " + " ".join(argv[1:4])
    values, rest = _parse_flags(argv[4:], _UPDATE_SPEC, command, positionals=1)
    if argv[2] == "repository":
        registry, repository, image = values.get("name"), values.get("repository"), values.get("image")
    else:
        registry, repository, image = values.get("registry"), None, values.get("name")
        if rest:
            host, _, image = rest[0].partition("/")
            registry = host.split(".")[0]
    if not isinstance(registry, str) or not registry:
        raise InputError(f"{command} needs the registry")
    check_registry(registry, snapshot)
    changes: dict[str, bool] = {}
    for key in ("delete_enabled", "write_enabled", "read_enabled", "list_enabled"):
        raw = values.get(key)
        if raw is None:
            continue
        if str(raw).lower() not in _BOOL:
            raise InputError(f"invalid value {raw!r} for --{key.replace('_', '-')} in {command}: expected true|false")
        changes[key] = _BOOL[str(raw).lower()]
    tag = digest = None
    if isinstance(image, str) and image:
        if "@" in image:
            repository, _, digest = image.partition("@")
        else:
            repository, _, tag = image.partition(":")
            if not tag:
                raise InputError(f"{command}: --image {image!r} needs a tag or a digest")
    if not isinstance(repository, str) or not repository:
        raise InputError(f"{command} needs --repository or --image")
    return repository, tag, digest, changes
