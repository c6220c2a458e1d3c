"""The real Azure CLI pointed at a running fake: its environment and a runner, shared by the az-against-fake tests.

``az`` comes from the ``azcli`` extra installed next to this interpreter; without it the importing module is
skipped (or fails when ``ACRDOCTOR_REQUIRE_AZCLI`` is set, as ``.ci/run`` does). Every proxy points at a closed
loopback port, so nothing az or acrdoctor starts can reach the internet.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from acrdoctor.testing._server import FakeAcrServer
from acrdoctor.testing._session import LOGIN_SERVER_SUFFIX, Session, session_for

BIN = Path(sys.executable).parent
AZ = shutil.which("az", path=str(BIN))

OFFLINE = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
           "NO_PROXY": f"127.0.0.1,localhost,{LOGIN_SERVER_SUFFIX}"}


def require_az() -> str:
    """az's path; skips the calling module without it, unless CI requires it."""
    if AZ is None:
        if os.environ.get("ACRDOCTOR_REQUIRE_AZCLI"):
            pytest.fail("ACRDOCTOR_REQUIRE_AZCLI is set but the azcli extra's az is not installed", pytrace=False)
        pytest.skip("the azcli extra (azure-cli) is not installed in this environment", allow_module_level=True)
    return AZ


def signed_in_environment(srv: FakeAcrServer, root: Path) -> tuple[dict[str, str], Session]:
    """The printed session's environment with az signed in to the fake (its setup lines run), offline."""
    session = session_for(srv, root)
    env = {k: v for k, v in os.environ.items() if k not in session.unset and not k.endswith("_PROXY")}
    env.update(session.environment)
    env.update(OFFLINE)
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")
    for line in session.az_setup:
        az(env, *shlex.split(line)[1:])
    return env, session


def az(env: dict[str, str], *args: str) -> str:
    """Run ``az ARGS``; its stdout, or the test fails with its stderr."""
    r = subprocess.run([str(AZ), *args], env=env, capture_output=True, text=True, timeout=180, check=False)
    assert r.returncode == 0, f"az {' '.join(args)}: {r.stderr}"
    return r.stdout


def shell(env: dict[str, str], command: str) -> subprocess.CompletedProcess[str]:
    """A printed command run as a user pastes it: by bash, expressions expanded, nothing checked."""
    return subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True, timeout=300, check=False)
