"""Spotting credentials in text we write to disk (snapshots, cassettes, bundles).

Snapshots and cassettes travel: attached to tickets, committed to repositories. The collectors scrub
tokens before writing, and the tests run :func:`find_secrets` over every stored file to prove it.
"""

from __future__ import annotations

import re

# A JWT: three base64url parts, the first starting with the encoding of '{"' (eyJ).
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")
# JSON or form fields that carry credentials, with a non-empty value that is not a redaction marker. A prompt
# followed by a JSON-escaped line break (``Enter Password:\nDEBU…`` in a recorded log) or a mask (``...``, ``***``,
# ``<password>``) carries none, nor does an error message's refusal word where the value would be (skopeo's
# ``invalid username/password: unauthorized: authentication required``).
_FIELD = re.compile(
    r"""(?ix)
    ["']?(access_token|refresh_token|password|client_secret|id_token)["']?
    \s*[:=]\s*["']?(?!REDACTED|["'&,}\s]|null|none|\\[nrt]|\.\.\.|\*\*\*|…|<
                    |(?:unauthori[sz]ed|denied|invalid|incorrect|required|failed)\b)([^"'&,}\s]{4,})
    """
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+(?!REDACTED)([A-Za-z0-9._~+/=-]{16,})")
# The tokens acrdoctor.testing's fake ACR hands out: ``fake-aad:<identity>`` (the AAD token its credentials
# return, short and with a colon, so _BEARER misses it) and ``fake-acr-refresh-<hex>`` / ``fake-acr-access-<hex>``.
# They grant nothing, but a cassette holding one proves the scrubbing failed, and would leak a real token too.
_FAKE = re.compile(r"\bfake-(?:aad:[A-Za-z0-9._@-]+|acr-(?:refresh|access)-[0-9A-Fa-f]{8,})")

REDACTED = "REDACTED"


def find_secrets(text: str) -> list[str]:
    """Every credential-looking fragment in ``text`` (shortened, so reports do not leak them again)."""
    hits = [m.group(0) for m in _JWT.finditer(text)]
    hits += [f"{m.group(1)}={m.group(2)[:4]}…" for m in _FIELD.finditer(text)]
    hits += [f"{m.group(1)} {m.group(2)[:4]}…" for m in _BEARER.finditer(text)]
    hits += [m.group(0)[:13] + "…" for m in _FAKE.finditer(text)]
    return [h[:24] + ("…" if len(h) > 24 else "") for h in hits]
