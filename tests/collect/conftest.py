"""Cassettes for the collector tests: pytest-recording configuration and the fake ACR they are recorded from.

Replay is the default (pytest-recording's ``--record-mode=none``): no server starts and nothing touches
the network. ``--record-mode=once|rewrite|new_episodes|all`` (or ``--disable-recording``) starts the fake
ACR on the fixed port :data:`PORT`, so that the recorded URIs (host AND port are part of vcrpy's request
matching) are the ones replay asks for. See ``docs/testing.md``.

Every token is scrubbed before an interaction is written: the ``Authorization`` header, the ``access_token``
/ ``refresh_token`` / ``password`` form fields sent to ``/oauth2/exchange`` and ``/oauth2/token``, and the
tokens in their response bodies. As a last line of defence each scrubbed interaction is run through
:func:`acrdoctor.redact.find_secrets`; a hit fails the test before the cassette is saved.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import pytest

from acrdoctor.redact import REDACTED, find_secrets
from acrdoctor.testing import FakeAcrServer, FakeRegistry, serve_fake_acr

#: Fixed: a cassette recorded on another port would not match in replay.
PORT = 18500
ENDPOINT = f"https://localhost:{PORT}"
CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"

#: Request form fields (``/oauth2/exchange``, ``/oauth2/token``, AAD) that carry credentials.
SECRET_FORM_FIELDS = ("access_token", "refresh_token", "password", "client_secret", "client_assertion")
#: JSON keys in response bodies whose values are credentials (ACR token endpoints, ``listCredentials``).
SECRET_JSON_KEYS = frozenset({"access_token", "refresh_token", "id_token", "password", "client_secret"})
#: Identity fields of ARM bodies (identity, systemData): not credentials, but personal or tenant data.
ZEROED_ID_KEYS = frozenset({"tenantId", "principalId", "clientId"})
PERSON_KEYS = frozenset({"createdBy", "lastModifiedBy"})
ZERO_ID = "00000000-0000-0000-0000-000000000000"
REDACTED_PERSON = "redacted@example.com"
#: Request headers not worth keeping: the token, and values that change on every run (noisy diffs).
DROPPED_REQUEST_HEADERS = ("authorization", "user-agent", "x-ms-client-request-id")
#: Response headers removed: Retry-After makes replayed LRO pollers sleep; cookies may carry session state;
#: Date and Server change with every run or machine and would make each re-recording a noisy diff.
DROPPED_RESPONSE_HEADERS = frozenset({"retry-after", "set-cookie", "date", "server"})


class SecretInCassette(AssertionError):
    """Raised while recording when a scrubbed interaction still looks like it holds a credential."""


def _refuse_secrets(what: str, text: str) -> None:
    hits = find_secrets(text)
    if hits:
        raise SecretInCassette(f"not recording {what}: it still holds {hits}; extend the scrubbing in {__file__}")


def _scrub_json(value: Any) -> tuple[Any, bool]:
    """Replace the values of credential keys anywhere in a JSON document; report whether anything changed."""
    changed = False
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in SECRET_JSON_KEYS and v not in (None, "", REDACTED):
                out[k], changed = REDACTED, True
            elif k in ZEROED_ID_KEYS and isinstance(v, str) and v != ZERO_ID:
                out[k], changed = ZERO_ID, True
            elif k in PERSON_KEYS and isinstance(v, str) and "@" in v and v != REDACTED_PERSON:
                out[k], changed = REDACTED_PERSON, True
            elif k == "passwords" and isinstance(v, list):  # ARM listCredentials: [{"name", "value"}]
                out[k] = [{**p, "value": REDACTED} if isinstance(p, dict) and "value" in p else p for p in v]
                changed = True
            else:
                out[k], sub = _scrub_json(v)
                changed = changed or sub
        return out, changed
    if isinstance(value, list):
        items = [_scrub_json(v) for v in value]
        return [v for v, _ in items], any(c for _, c in items)
    return value, False


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """vcrpy ``before_record_response``: tokens, identity ids and emails redacted; Retry-After and cookies dropped.

    A JSON body is re-serialised only when something in it was replaced, so manifest bodies (whose sha256
    the SDK checks against the digest) are kept byte for byte.
    """
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in DROPPED_RESPONSE_HEADERS:
            del headers[name]
    body = response.get("body", {}).get("string")
    if body:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            data = None
        if data is not None:
            data, changed = _scrub_json(data)
            if changed:
                new = json.dumps(data).encode()
                response["body"]["string"] = new
                for name in list(headers):
                    if name.lower() == "content-length":
                        headers[name] = [str(len(new))]
        final = response["body"]["string"]
        _refuse_secrets("a response body", final.decode("utf-8", "replace") if isinstance(final, bytes) else str(final))
    _refuse_secrets("response headers", json.dumps(headers, default=str))
    return response


def normalize_request(request: Any) -> Any:
    """vcrpy ``before_record_request``, run after the header and form filters.

    The aio transport hands aiohttp the form as a dict that holds a str-Enum
    (``PostContentSchemaGrantType.ACCESS_TOKEN``); the safe YAML dumper refuses it and the cassette would
    not be saved, so the values become plain strings.
    """
    if isinstance(request.body, dict):
        request.body = {k: (v.value if isinstance(v, Enum) else v) for k, v in request.body.items() if v is not None}
    body = request.body
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else json.dumps(body, default=str)
    _refuse_secrets(f"{request.method} {request.path}", f"{request.uri}\n{dict(request.headers)}\n{text}")
    return request


#: Token endpoints of the public and sovereign clouds, and the managed-identity endpoint (IMDS).
AAD_HOSTS = ("login.microsoftonline.com", "login.microsoft.com", "login.windows.net", "login.chinacloudapi.cn",
             "login.microsoftonline.us", "169.254.169.254")
#: Re-recording against a real registry: its full ARM resource id (see docs/testing.md).
REAL_REGISTRY_ENV = "ACRDOCTOR_RECORD_REGISTRY"
REAL_REGISTRY_TEST = "test_collecting_a_real_registry"
REAL_REGISTRY_CASSETTE = CASSETTES / "test_cassettes" / f"{REAL_REGISTRY_TEST}.yaml"


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {
        "filter_headers": [(h, None) for h in DROPPED_REQUEST_HEADERS],
        "filter_post_data_parameters": [(f, REDACTED) for f in SECRET_FORM_FIELDS],
        "before_record_request": normalize_request,
        "before_record_response": scrub_response,
        "decode_compressed_response": True,
        # Re-recording a real registry: DefaultAzureCredential's own traffic to Entra ID (and managed identity)
        # goes out unrecorded. Replay uses FakeCredential, which makes no requests at all.
        "ignore_hosts": list(AAD_HOSTS),
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    """``<repo>/cassettes/<test module>``: the top-level directory the secret scan covers."""
    return str(CASSETTES / request.module.__name__.rsplit(".", 1)[-1])


def recording(config: pytest.Config) -> bool:
    """True when the tests talk to a server: any record mode but ``none``, or ``--disable-recording``."""
    return (config.getoption("--record-mode") or "none") != "none" or bool(config.getoption("--disable-recording"))


def _real_registry_skip_reason(config: pytest.Config) -> str | None:
    if recording(config):
        if not os.environ.get(REAL_REGISTRY_ENV):
            return f"recording a real registry needs {REAL_REGISTRY_ENV}=<registry resource id>"
    elif not REAL_REGISTRY_CASSETTE.exists():
        return "no real-registry cassette recorded (optional; see docs/testing.md)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the real-registry test at collection, before pytest-recording's fixture runs.

    A skip from inside the test would come too late: with ``--record-mode=rewrite`` pytest-recording
    deletes the cassette when it sets the test up, so re-recording the fake would lose the real cassette.
    """
    for item in items:
        if item.name == REAL_REGISTRY_TEST:
            reason = _real_registry_skip_reason(config)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@dataclass
class FakeAcr:
    """Where the cassette tests point the SDK clients; the same URLs whether recording or replaying."""

    endpoint: str
    arm_endpoint: str
    connection_verify: str | bool
    server: FakeAcrServer | None

    def serving(self, state: FakeRegistry) -> FakeAcr:
        """Make ``state`` the registry the fake serves (recording); a no-op in replay."""
        if self.server is not None:
            self.server.state = state
        return self


@pytest.fixture(scope="session")
def fake_acr_server(pytestconfig: pytest.Config) -> Iterator[FakeAcrServer | None]:
    """The fake ACR on :data:`PORT` while recording; None in replay (no server, no sockets)."""
    if not recording(pytestconfig):
        yield None
        return
    with serve_fake_acr(FakeRegistry(name="placeholder"), port=PORT) as srv:
        assert srv.endpoint == ENDPOINT, srv.endpoint
        yield srv


@pytest.fixture
def fake_acr(fake_acr_server: FakeAcrServer | None) -> Callable[[FakeRegistry], FakeAcr]:
    """``fake_acr(state)`` serves ``state`` when recording and returns the endpoints to use.

    In replay ``connection_verify`` is True: requests still opens a CA *path* during replay, and the
    throwaway CA file only exists while the server runs.
    """

    def serve(state: FakeRegistry) -> FakeAcr:
        verify: str | bool = fake_acr_server.ca_pem if fake_acr_server is not None else True
        return FakeAcr(ENDPOINT, ENDPOINT, verify, fake_acr_server).serving(state)

    return serve
