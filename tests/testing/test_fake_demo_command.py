"""``python -m acrdoctor.testing --demo`` in a subprocess: it prints the lines, serves, and diagnose works with them."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from acrdoctor.check_api import Status
from acrdoctor.demo import load_demo
from acrdoctor.engine import diagnose

#: Every proxy points at a closed port: nothing the commands start may leave the machine.
OFFLINE = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
           "NO_PROXY": "127.0.0.1,localhost,.azurecr.localhost"}


def _start(*args: str) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen([sys.executable, "-m", "acrdoctor.testing", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    lines: list[str] = []
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("acrdoctor diagnose"):
            break
    return proc, lines


def printed_environment(lines: list[str]) -> dict[str, str]:
    """The environment a shell has after the printed ``export`` and ``unset`` lines."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_PROXY")}
    for line in lines:
        words = shlex.split(line)
        if words and words[0] == "export":
            key, _, value = words[1].partition("=")
            env[key] = value
        elif words and words[0] == "unset":
            for key in words[1:]:
                env.pop(key, None)
    return {**env, **OFFLINE}


#: What live diagnose cannot find that the offline demo finds, and why (docs/testing.md): the demo's delete refusal
#: was recorded for its collector, a token; a live diagnose never deletes and signs in as the served identity, whose
#: AcrDelete (so that the fixes can run) the check reads and passes.
NOT_LIVE = {"delete-permission"}
#: Failure modes the demo has only because the fake replays what the snapshot recorded.
REPLAYED = {"throttling"}


@pytest.mark.parametrize("replay", [True, False], ids=["replay", "no-replay"])
def test_demo_prints_the_lines_serves_and_diagnose_works_with_them(tmp_path: Path, replay: bool) -> None:
    proc, lines = _start("--demo", *(() if replay else ("--no-replay",)))
    try:
        assert proc.poll() is None, "the server stopped"
        exports = [x for x in lines if x.startswith("export ")]
        names = {shlex.split(x)[1].split("=", 1)[0] for x in exports}
        assert {"REQUESTS_CA_BUNDLE", "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "PYTHONPATH", "AZURE_CONFIG_DIR"} <= names
        assert any(x.startswith("az cloud register --name ") for x in lines)
        assert "az login --identity --output none" in lines
        env = printed_environment(lines)
        site = Path(env["PYTHONPATH"].split(os.pathsep)[0]) / "sitecustomize.py"
        assert site.is_file()
        argv = shlex.split(lines[-1])
        assert argv[:4] == ["acrdoctor", "diagnose", "--registry", load_demo().registry.name]
        result = subprocess.run([sys.executable, "-m", "acrdoctor", *argv[1:], "--no-cache", "--quiet",
                                 "--output", "json"], env=env, capture_output=True, text=True, timeout=300,
                                check=False)
        assert result.returncode == 1, result.stderr  # findings, from the live collection of the fake
        report = json.loads(result.stdout)
        port = re.search(r":(\d+)/msi/token$", env["IDENTITY_ENDPOINT"])
        assert port is not None
        assert report["registry"]["source"] == "live"
        assert report["registry"]["login_server"] == f"{load_demo().registry.name}.azurecr.localhost:{port.group(1)}"
        failed = {r["check"] for r in report["results"] if r["status"] == "failed"}
        # the content failure modes the offline demo shows, found again through ARM, the identity and the data plane
        offline = {r.slug for r in diagnose(load_demo()).results if r.status is Status.FAILED}
        content = {"empty-repository", "locked-artifacts", "private-endpoints-block-registry-delete",
                   "dangling-manifests", "shared-layers", "broken-index-references"}
        assert content <= offline
        assert content <= failed, content - failed
        assert offline >= NOT_LIVE | REPLAYED
        # every check the offline demo fails, live too, but what cannot be seen live; without replay the recorded
        # 429 is not answered again and the throttling check passes
        assert failed == offline - NOT_LIVE - (set() if replay else REPLAYED), failed ^ (offline - NOT_LIVE)
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "stopped" in err


@pytest.mark.parametrize("args, fragment", [
    (("--demo", "no-such-variant"), "no-such-variant"),
    (("--snapshot", "/nonexistent/snap.json"), "snap.json"),
    ((), "--demo"),
    (("--demo", "--retry-after-scale", "soon"), "--retry-after-scale"),
    (("--demo", "--retry-after-scale=-1"), "--retry-after-scale"),
])
def test_bad_input_is_one_line_and_exit_2(args: tuple[str, ...], fragment: str) -> None:
    r = subprocess.run([sys.executable, "-m", "acrdoctor.testing", *args], capture_output=True, text=True,
                       timeout=60, check=False)
    assert r.returncode == 2 and r.stdout == ""
    (line,) = r.stderr.splitlines()
    assert line.startswith("acrdoctor.testing: error: ") and fragment in line


def test_a_port_in_use_is_one_line_and_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = subprocess.run([sys.executable, "-m", "acrdoctor.testing", "--demo", "--port", str(port)],
                           capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 2 and r.stdout == ""
    (line,) = r.stderr.splitlines()
    assert re.search(rf"cannot listen on 127\.0\.0\.1:{port}", line)
