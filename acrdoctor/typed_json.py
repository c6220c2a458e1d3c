"""Checking that a dataclass filled from a user's JSON file holds the types its fields declare.

Plan files and journals are read back from disk, where anyone may have edited them. A value of the wrong
JSON type (a number where a name belongs, a string where a byte count belongs) would otherwise surface
far from the reading, as an internal error in a renderer or an SDK call. Checking once, right after
reading, turns it into one line that names the field.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from typing import Any


class WrongType(ValueError):
    """A field's value does not have the declared type; the message names the field's path."""


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def fits(value: Any, hint: Any) -> bool:
    """Whether ``value`` is of the type ``hint`` names (the forms dataclass fields of plain JSON data use)."""
    if hint is Any:
        return True
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(fits(value, a) for a in args)
    if hint is type(None):
        return value is None
    if origin is tuple:
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(fits(v, args[0]) for v in value)
        return len(args) == len(value) and all(fits(v, a) for v, a in zip(value, args, strict=True))
    if origin is list:
        return isinstance(value, list) and all(fits(v, args[0]) for v in value) if args else isinstance(value, list)
    if origin is dict:
        if not isinstance(value, dict):
            return False
        return not args or all(fits(k, args[0]) and fits(v, args[1]) for k, v in value.items())
    if origin is typing.ClassVar:
        return True
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True  # a form this checker does not know (Literal, a TypeVar...): not judged


def check_mapping(doc: dict[str, Any], types_: dict[str, Any], where: str) -> None:
    """Raise :class:`WrongType` for the first known key of ``doc`` whose value is not of its declared type."""
    for key, hint in types_.items():
        if key in doc and not fits(doc[key], hint):
            raise WrongType(f"{where}.{key} is {type(doc[key]).__name__} {_short(doc[key])}, not {_name(hint)}")


def check_types(obj: Any, where: str = "") -> None:
    """Raise :class:`WrongType` for the first field of ``obj`` (or of a dataclass inside it) of the wrong type."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        hints = _hints(type(obj))
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            path = f"{where}.{f.name}" if where else f.name
            if not fits(value, hints.get(f.name, Any)):
                raise WrongType(f"{path} is {type(value).__name__} {_short(value)}, not {_name(hints[f.name])}")
            check_types(value, path)
    elif isinstance(obj, tuple | list):
        for i, v in enumerate(obj):
            check_types(v, f"{where}[{i}]")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")
