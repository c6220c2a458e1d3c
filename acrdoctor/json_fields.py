"""Typed access to the fields of a snapshot document: a wrong type becomes one error line naming the JSON path.

Shared by the snapshot reader (:mod:`acrdoctor.snapshot_io`) and the reader of its schema-2 parts
(:mod:`acrdoctor.controls_io`), so every part of a snapshot reports a bad value the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from acrdoctor.errors import SnapshotError


class JsonFields:
    """Typed accessors that turn a wrong type into an error naming the JSON path."""

    @staticmethod
    def obj(value: Any, path: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise SnapshotError(f"{path}: expected an object, found {kind_of(value)}")
        return value

    @staticmethod
    def arr(value: Any, path: str) -> Sequence[Any]:
        if not isinstance(value, list):
            raise SnapshotError(f"{path}: expected an array, found {kind_of(value)}")
        return value

    @staticmethod
    def string(d: Mapping[str, Any], key: str, path: str, required: bool = False) -> str | None:
        v = d.get(key)
        if v is None:
            if required:
                raise SnapshotError(f"{path}: missing required field '{key}'")
            return None
        if not isinstance(v, str):
            raise SnapshotError(f"{path}.{key}: expected a string, found {kind_of(v)}")
        return v

    @staticmethod
    def integer(d: Mapping[str, Any], key: str, path: str, required: bool = False) -> int | None:
        v = d.get(key)
        if v is None:
            if required:
                raise SnapshotError(f"{path}: missing required field '{key}'")
            return None
        if isinstance(v, bool) or not isinstance(v, int):
            raise SnapshotError(f"{path}.{key}: expected an integer, found {kind_of(v)}")
        return v

    @staticmethod
    def boolean(d: Mapping[str, Any], key: str, path: str) -> bool | None:
        v = d.get(key)
        if v is None:
            return None
        if not isinstance(v, bool):
            raise SnapshotError(f"{path}.{key}: expected true or false, found {kind_of(v)}")
        return v

    @staticmethod
    def strings(d: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
        v = d.get(key)
        if v is None:
            return ()
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise SnapshotError(f"{path}.{key}: expected an array of strings")
        return tuple(v)


def kind_of(value: Any) -> str:
    """How an error message names a JSON value's type."""
    if value is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "a number",
            float: "a number"}.get(type(value), type(value).__name__)
