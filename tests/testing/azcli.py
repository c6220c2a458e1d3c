"""The real Azure CLI (the ``azcli`` extra) against a running fake: finding ``az``, its environment, running it.

Shared by the modules that drive ``az`` so that each sets up the printed session the same way: ``az`` runs as a
subprocess with the environment :func:`acrdoctor.testing._session.session_for` prints and every proxy pointing at a
closed loopback port, so nothing reaches the internet. A module that needs az calls :func:`require_az` at module
level: skipped when az is absent, failed under ``ACRDOCTOR_REQUIRE_AZCLI=1`` (``.ci/run``). Importing this module
alone skips nothing, so a module with in-process tests as well can import it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from acrdoctor.testing import FakeRegistry, serve_fake_acr
from acrdoctor.testing._server import FakeAcrServer
from acrdoctor.testing._session import LOGIN_SERVER_SUFFIX, Session, session_for

AZ = shutil.which("az", path=str(Path(sys.executable).parent))
OFFLINE = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
           "NO_PROXY": f"127.0.0.1,localhost,{LOGIN_SERVER_SUFFIX}"}


def require_az() -> str:
    """The az executable, or a skip (a failure when ``ACRDOCTOR_REQUIRE_AZCLI`` is set). Usable at module level."""
    if AZ is None:
        if os.environ.get("ACRDOCTOR_REQUIRE_AZCLI"):
            pytest.fail("ACRDOCTOR_REQUIRE_AZCLI is set but the azcli extra's az is not installed", pytrace=False)
        pytest.skip("the azcli extra (azure-cli) is not installed in this environment", allow_module_level=True)
    return AZ


def signed_in_environment(srv: FakeAcrServer, root: Path) -> tuple[dict[str, str], Session]:
    """The printed session's environment (offline) with its az setup lines run, and the session itself."""
    az = require_az()
    session = session_for(srv, root)
    env = {k: v for k, v in os.environ.items() if k not in session.unset and not k.endswith("_PROXY")}
    env.update(session.environment)
    env.update(OFFLINE)
    env["PATH"] = str(Path(az).parent) + os.pathsep + env.get("PATH", "")
    for line in session.az_setup:
        az_ok(env, *shlex.split(line)[1:])
    return env, session


@contextmanager
def signed_in(state: FakeRegistry, root: Path, identity: str) -> Iterator[tuple[FakeAcrServer, dict[str, str]]]:
    """Serve ``state`` and run the printed ``az`` setup (cloud register, login --identity) in a private profile."""
    with serve_fake_acr(state, login_server_suffix=LOGIN_SERVER_SUFFIX, managed_identity=identity) as srv:
        env, _ = signed_in_environment(srv, root)
        yield srv, env


def run_az(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([require_az(), *args], env=env, capture_output=True, text=True, timeout=180, check=False)


def az_ok(env: dict[str, str], *args: str) -> str:
    """az's stdout; the test fails with az's stderr when it exits non-zero."""
    r = run_az(env, *args)
    assert r.returncode == 0, f"az {' '.join(args)}: {r.stderr}"
    return r.stdout


def shell(env: dict[str, str], command: str) -> subprocess.CompletedProcess[str]:
    """A printed command run as a user pastes it: by bash, expressions expanded, nothing checked."""
    return subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True, timeout=300, check=False)
