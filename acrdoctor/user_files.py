"""Files the user names: reading them as text or JSON, and checking an output path before the work starts.

Every file acrdoctor reads comes from someone: a snapshot from a colleague, a bundle from a customer, a
plan or journal from an earlier run, a list of images in use. Whatever is wrong with it (missing, binary,
not JSON, nested deeper than the parser's recursion limit) is the input's fault, so it must end as one
line naming the file (exit 2), never as an internal error. One place decides how, so a new reader cannot
forget a case.
"""

from __future__ import annotations

import codecs
import json
import os
import ssl
from pathlib import Path
from typing import Any

from acrdoctor.errors import InputError


def read_text(path: Path, error: type[InputError] = InputError) -> str:
    """The file's text, or ``error`` with one line naming the file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except IsADirectoryError:
        raise error(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror or exc}") from None
    return decode_text(raw, str(path), error)


def decode_text(raw: bytes, source: str, error: type[InputError] = InputError) -> str:
    """UTF-8 (with or without a BOM) or UTF-16 with a BOM, the encodings files written on Windows arrive in.

    PowerShell's ``>`` writes UTF-16 with a BOM; Notepad and some shells add a UTF-8 BOM. Anything else that
    does not decode is most likely a binary file given by mistake.
    """
    encoding = "utf-16" if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise _not_text(source, exc, error) from None


def _not_text(source: str, exc: UnicodeDecodeError, error: type[InputError]) -> InputError:
    return error(f"{source}: not text in UTF-8 or UTF-16 ({exc.reason} at byte {exc.start}); is it a binary file?")


def parse_json(data: str | bytes, source: str, error: type[InputError] = InputError) -> Any:
    """The parsed document, or ``error`` naming ``source`` (a file, or ``file:line``).

    Python's parser recurses once per nesting level, so a document nested a few thousand levels deep
    raises ``RecursionError``; no acrdoctor document is nested more than a dozen levels, so it is bad input.
    """
    try:
        return json.loads(data)
    except RecursionError:
        raise error(f"{source}: JSON nested too deeply to read; no acrdoctor or az document nests more than a "
                    "few levels") from None
    except UnicodeDecodeError as exc:
        raise _not_text(source, exc, error) from None
    except json.JSONDecodeError as exc:
        raise error(f"{source}: not valid JSON (line {exc.lineno} column {exc.colno}: {exc.msg})") from None


def check_writable(path: Path, option: str) -> None:
    """Refuse an output path that cannot be written, before a scan that may take minutes is thrown away.

    Nothing is created or truncated here: an existing file keeps its content until the result is written.
    """
    where = f"cannot write {option} {path}"
    if path.is_dir():
        raise InputError(f"{where}: it is a directory")
    parent = path.parent
    if not parent.exists():
        raise InputError(f"{where}: the directory {parent} does not exist")
    if not parent.is_dir():
        raise InputError(f"{where}: {parent} is not a directory")
    target, mode = (path, os.W_OK) if path.exists() else (parent, os.W_OK | os.X_OK)
    if not os.access(target, mode):
        raise InputError(f"{where}: permission denied")


def check_ca_file(path: Path) -> None:
    """Refuse a CA bundle without a certificate now: read at the first connection, it looks like a network failure."""
    try:
        ssl.create_default_context(cafile=str(path))
    except ssl.SSLError as exc:
        raise InputError(f"--ca-file {path}: no PEM certificate in it ({exc.reason or exc})") from None
    except OSError as exc:
        raise InputError(f"cannot read --ca-file {path}: {exc.strerror or exc}") from None
