"""What a failed ``az`` command printed on stderr, in the terms a live collection records.

The bundle script keeps each failed command's stderr beside the file it did not write. To judge it as a live
collection judges the service's answer, the reader needs the HTTP status, the ACR or ARM error code and the
message, but az prints neither status nor ACR code for data-plane calls. What az does print, from its 2.91
source (facts in ../shared/reference/notes/acr-wire-behaviour.md §b "How the CLI reacts to data-plane HTTP
statuses" and §c.4):

- every error as ``ERROR: <message>`` (knack), warnings as ``WARNING: …`` (silenced by ``--only-show-errors``);
- ARM failures as azure-core formats them: ``(Code) message`` then ``Code: …`` and ``Message: …`` lines;
- data-plane failures as ``Error: <ACR's errors[0].message>``, with `` Detail: …`` when the detail is a string,
  `` Correlation ID: <id>.`` and a UTC timestamp prefix when the response had a correlation id, or az's
  fallback text per status (``Authentication required.`` for 401, …) when the body had no message;
- a 403 on its ``GET /v2/`` pre-flight, which only the registry firewall answers (the call carries no identity),
  as ``Looks like you don't have access to registry '…'. To see configured firewall rules, …``.

The status and code come back from ACR's own message texts, each sent with one status and code (notes §c.1-c.4),
and from az's fallback texts; anything else keeps the message verbatim with no status.
"""

from __future__ import annotations

import re

from acrdoctor.azure.failures import Failure

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?\s+")
_ERROR_PREFIX = re.compile(r"^ERROR:\s*")
_ACR_PREFIX = re.compile(r"^Error:\s*")
_CORRELATION = re.compile(r"\s*Correlation ID:\s*[0-9A-Za-z-]+\.?\s*$")
_ARM_CODE = re.compile(r"^\(([A-Za-z_][\w.]*)\)\s*(.*)$")
_CODE_LINE = re.compile(r"^Code:\s*(\S+)\s*$")

#: ACR's own messages and az's texts that stand for one status and code: (pattern, status, code).
_KNOWN: tuple[tuple[re.Pattern[str], int, str | None], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), status, code) for pattern, status, code in (
        (r"client with IP .* is not allowed access", 403, "DENIED"),
        # az's pre-flight GET /v2/ answered 403: the firewall (_docker_utils._get_credentials)
        (r"^Looks like you don't have access to registry\b", 403, "DENIED"),
        (r"CONNECTIVITY_TOOMANYREQUESTS_ERROR|^Too many requests, access to registry", 429,
         "CONNECTIVITY_TOOMANYREQUESTS_ERROR"),
        (r"^too many requests", 429, "TOOMANYREQUESTS"),
        (r"^authentication required, visit", 401, "UNAUTHORIZED"),
        (r"^repository name not known to registry", 404, "NAME_UNKNOWN"),
        (r"^manifest unknown|^manifest sha256:[0-9a-f]+ is not found", 404, "MANIFEST_UNKNOWN"),
        (r"^the specified tag does not exist", 404, "TAG_UNKNOWN"),
        (r"^The operation is disallowed on this registry", 405, "REGISTRY_DISALLOWED_OPERATION"),
        # az's fallback texts when ACR's body had no message (request_data_from_registry)
        (r"^Authentication required\.$", 401, None),
        (r"^The requested data does not exist\.$", 404, None),
        (r"^This operation is not supported\.$", 405, None),
        (r"^Failed to request data due to a conflict\.$", 409, None),
    ))


def _error_lines(text: str) -> list[str]:
    """The lines of the error az printed, from its ``ERROR:`` line on (or all of them when there is none)."""
    lines = [line.strip() for line in _ANSI.sub("", text).splitlines()]
    lines = [line for line in lines if line]
    start = next((i for i, line in enumerate(lines) if _ERROR_PREFIX.match(line)), None)
    if start is None:
        return [line for line in lines if not line.startswith("WARNING:")]
    return lines[start:]


def parse_az_error(text: str) -> Failure:
    """Status, code and message of what a failed az command printed on stderr."""
    lines = _error_lines(text)
    if not lines:
        return Failure(None, None, "the command failed without an error message")
    message = _ERROR_PREFIX.sub("", lines[0])
    message = _ACR_PREFIX.sub("", _TIMESTAMP.sub("", message))
    message = _CORRELATION.sub("", message).strip()
    code: str | None = None
    arm = _ARM_CODE.match(message)
    if arm:
        code, message = arm.group(1), arm.group(2).strip()
    else:
        code = next((m.group(1) for m in map(_CODE_LINE.match, lines[1:]) if m), None)
    status: int | None = None
    for pattern, known_status, known_code in _KNOWN:
        if pattern.search(message):
            status, code = known_status, code or known_code
            break
    return Failure(status, code, message or lines[0])
