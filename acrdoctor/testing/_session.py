"""What a shell needs to talk to a running fake with the real ``az`` and ``acrdoctor``: environment and commands.

Why a sitecustomize: the registry's login server is a host name (``<name>.azurecr.localhost``), because az and
the SDKs build URLs from it and a real one is always a name. Nothing resolves that name without an /etc/hosts
entry (glibc does not map ``*.localhost``), and editing /etc/hosts needs root and outlives the session. Python
imports ``sitecustomize`` from ``PYTHONPATH`` at start-up, so a directory holding one, put on ``PYTHONPATH`` only in
the printed environment, makes the fake's names resolve to 127.0.0.1 for az and acrdoctor in that shell and for
nothing else. It needs a Python started without ``-I``/``-E`` (the pip-installed ``az`` is).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from acrdoctor.shellquote import quote
from acrdoctor.testing._arm import CLOUD_NAME
from acrdoctor.testing._server import FakeAcrServer

#: The login server suffix of the fake cloud: under .localhost (RFC 6761), so the name can never reach real DNS.
LOGIN_SERVER_SUFFIX = ".azurecr.localhost"
#: The variable the sitecustomize reads: the name suffix it maps to 127.0.0.1.
HOSTS_VARIABLE = "ACRDOCTOR_FAKE_HOST_SUFFIX"

SITECUSTOMIZE = '''"""acrdoctor's fake ACR: names ending in $ACRDOCTOR_FAKE_HOST_SUFFIX resolve to 127.0.0.1."""
import os
import socket

_suffix = os.environ.get("ACRDOCTOR_FAKE_HOST_SUFFIX", "").lower()
_real_getaddrinfo = socket.getaddrinfo


def _getaddrinfo(host, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else host
    if _suffix and isinstance(name, str) and (name.lower().endswith(_suffix) or name.lower() == _suffix[1:]):
        host = "127.0.0.1"
    return _real_getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _getaddrinfo
'''


@dataclass(frozen=True, slots=True)
class Session:
    """The environment variables and commands for one running fake, rooted in a directory the caller owns."""

    environment: dict[str, str]
    unset: tuple[str, ...]
    az_setup: tuple[str, ...]
    diagnose: str


#: Variables that would make DefaultAzureCredential or az sign in somewhere else than the fake.
CONFLICTING = ("AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_FEDERATED_TOKEN_FILE",
               "AZURE_USERNAME", "MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT", "IDENTITY_SERVER_THUMBPRINT")


def write_sitecustomize(directory: Path) -> Path:
    """The resolver override, alone in ``directory`` (which goes on ``PYTHONPATH``)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "sitecustomize.py"
    path.write_text(SITECUSTOMIZE, encoding="utf-8")
    return directory


def session_for(srv: FakeAcrServer, root: Path) -> Session:
    """Write the sitecustomize and a private az configuration under ``root``; return what to export and run."""
    site = write_sitecustomize(root / "site")
    st = srv.state
    arm = f"https://127.0.0.1:{srv.port}"
    env = {
        "AZURE_CONFIG_DIR": str(root / "azure"),  # a separate az profile: your own sign-in is left alone
        "REQUESTS_CA_BUNDLE": srv.ca_pem,         # requests (az, msal, the sync SDKs) trusts the fake's CA
        "SSL_CERT_FILE": srv.ca_pem,              # so does aiohttp (the async SDK clients)
        "IDENTITY_ENDPOINT": srv.identity_endpoint,
        "IDENTITY_HEADER": srv.identity_header,
        "PYTHONPATH": str(site) + (os.pathsep + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else ""),
        HOSTS_VARIABLE: srv.login_server_suffix or LOGIN_SERVER_SUFFIX,
        "AZURE_SUBSCRIPTION_ID": st.subscription_id,
        # every acrdoctor command in this shell (the printed preflight commands too) reads ARM and trusts the fake
        "ACRDOCTOR_ARM_ENDPOINT": arm,
        "ACRDOCTOR_CA_FILE": srv.ca_pem,
        "AZURE_CORE_COLLECT_TELEMETRY": "false",
        "AZURE_CORE_SURVEY_MESSAGE": "false",
    }
    az = (f"az cloud register --name {CLOUD_NAME} --endpoint-resource-manager {arm}",
          f"az cloud set --name {CLOUD_NAME}",
          "az login --identity --output none")
    diagnose = (f"acrdoctor diagnose --registry {quote(st.name)} --subscription {quote(st.subscription_id)} "
                f"--arm-endpoint {arm} --ca-file {quote(srv.ca_pem)}")
    return Session(env, CONFLICTING, az, diagnose)


def shell_lines(session: Session) -> list[str]:
    """The session as POSIX shell lines, every value quoted."""
    lines = [f"export {k}={quote(v)}" for k, v in session.environment.items()]
    lines.append("unset " + " ".join(session.unset))
    return lines


__all__ = ["LOGIN_SERVER_SUFFIX", "Session", "session_for", "shell_lines", "write_sitecustomize"]
