"""Bad files and bad output paths on every command: one line on stderr, exit 2, and no registry read first."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from azure.core.pipeline.transport import HttpTransport

import acrdoctor.azure.session as session
import acrdoctor.cli.common as cli_common
from acrdoctor.demo import load_demo
from acrdoctor.engine import Catalogue
from acrdoctor.errors import InputError
from acrdoctor.explain.argument import looks_like_path
from acrdoctor.testing import AsyncFakeCredential, FakeCredential, FakeRegistry, Faults, serve_fake_acr
from acrdoctor.user_files import check_writable
from tests.test_cli import assert_one_line_error, invoke

#: Deeper than Python's JSON parser can recurse (its limit follows the interpreter's, about 1,000).
DEEP_JSON = "[" * 100_000 + "]" * 100_000
#: The first bytes of a gzip file: what a user sends when they compress a log or a plan "to make it smaller".
BINARY = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xcb\x48\xcd\xc9\xc9\x07\x00"
BUILT_IN = Catalogue.load(plugins=False)
PREFLIGHT_COMMAND = ("--", "az", "acr", "repository", "delete", "-n", "contoso", "--repository", "app", "--yes")


def closed_port() -> int:
    """A loopback port nothing listens on: bound, then released, so connecting is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Stands in for a live scan and records that one started, so a test can prove none did."""
    started: list[str] = []

    def scan(registry: str, *args: Any, **kwargs: Any) -> Any:
        started.append(registry)
        raise AssertionError("a scan started although the output path cannot be written")

    monkeypatch.setattr(cli_common, "collect_live", scan)
    return started


def unwritable_paths(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Output paths that fail whoever runs the tests (root ignores permission bits, so none relies on them)."""
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a directory\n")
    return {
        "missing directory": (tmp_path / "no-such-dir" / "out", "does not exist"),
        "parent is a file": (a_file / "out", "is not a directory"),
    }


@pytest.mark.parametrize("case", ["missing directory", "parent is a file"])
@pytest.mark.parametrize(("command", "option"), [
    (("collect", "--registry", "contoso"), "--out"),
    (("preflight", "--registry", "contoso"), "--safe-plan-out"),
    (("fix", "--registry", "contoso"), "--plan-out"),
    (("fix", "--registry", "contoso", "--apply", "--yes"), "--journal"),
])
def test_an_unwritable_output_path_fails_before_any_scan(tmp_path: Path, scans: list[str], case: str,
                                                         command: tuple[str, ...], option: str) -> None:
    path, why = unwritable_paths(tmp_path)[case]
    tail = PREFLIGHT_COMMAND if command[0] == "preflight" else ()
    result = invoke(*command, option, str(path), *tail)
    assert_one_line_error(result, f"cannot write {option} {path}", why)
    assert scans == []


def test_checking_an_existing_output_file_leaves_it_untouched(tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    path.write_text("previous run\n")
    check_writable(path, "--out")
    assert path.read_text() == "previous run\n"


@pytest.mark.parametrize("command", [("preflight", "--demo", *PREFLIGHT_COMMAND), ("fix", "--demo")])
def test_a_binary_in_use_file_is_one_line_naming_it(tmp_path: Path, command: tuple[str, ...]) -> None:
    in_use = tmp_path / "in-use.gz"
    in_use.write_bytes(BINARY)
    args = (*command[:2], "--in-use", str(in_use), *command[2:])
    assert_one_line_error(invoke(*args), f"{in_use}: not text in UTF-8 or UTF-16", "binary file")


def test_an_in_use_file_from_powershell_is_read(tmp_path: Path) -> None:
    """PowerShell's '>' writes UTF-16 with a BOM: that is text, and its references protect what they name."""
    in_use = tmp_path / "in-use.txt"
    in_use.write_bytes("contoso.azurecr.io/tools/ci-runner:1.9\n".encode("utf-16"))
    result = invoke("preflight", "--demo", "--in-use", str(in_use), "-o", "json", "--", "az", "acr", "repository",
                    "delete", "-n", "contoso", "--repository", "tools/ci-runner", "--yes")
    (in_use_block,) = [b for b in json.loads(result.stdout)["blocked"] if b["level"] == "in-use"]
    assert "contoso.azurecr.io/tools/ci-runner:1.9" in in_use_block["reason"]


def _bundle(tmp_path: Path, content: str | bytes) -> Path:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    target = bundle / "registry.json"
    target.write_bytes(content if isinstance(content, bytes) else content.encode())
    return target


@pytest.mark.parametrize(("content", "fragment"), [(DEEP_JSON, "JSON nested too deeply"),
                                                   (BINARY, "not text in UTF-8 or UTF-16")], ids=["deep", "binary"])
@pytest.mark.parametrize("option", ["--snapshot", "--bundle", "--from-plan", "--resume", "--inspect"])
def test_deep_or_binary_json_is_one_line_wherever_json_is_read(tmp_path: Path, option: str, content: str | bytes,
                                                              fragment: str) -> None:
    if option == "--bundle":
        named = _bundle(tmp_path, content)
        given = named.parent
    else:
        named = given = tmp_path / "file.json"
        named.write_bytes(content if isinstance(content, bytes) else content.encode())
    command = ("diagnose",) if option in ("--snapshot", "--bundle") else ("fix",)
    line = assert_one_line_error(invoke(*command, option, str(given)))
    assert str(named) in line
    # A journal whose first line is not JSON keeps the journal's own wording ("not a JSON line").
    journal_line = option in ("--from-plan", "--resume", "--inspect") and isinstance(content, str)
    assert ("not a JSON line" if journal_line else fragment) in line


# -- --check and --skip ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "fragment"), [
    (("--check", "empty-repository", "--skip", "empty-repository"), "every check selected is also skipped "
                                                                    "(empty-repository)"),
    (tuple(a for slug in BUILT_IN.slugs() for a in ("--skip", slug)), f"all {len(BUILT_IN)} checks are skipped"),
], ids=["check-and-skip", "skip-everything"])
def test_a_selection_that_skip_empties_is_a_usage_error(args: tuple[str, ...], fragment: str) -> None:
    assert_one_line_error(invoke("diagnose", "--demo", "--no-plugins", *args), "nothing to run", fragment)


def test_the_library_refuses_an_emptied_selection_too() -> None:
    with pytest.raises(InputError, match="nothing to run"):
        BUILT_IN.select(["throttling"], ["throttling"])
    assert [c.slug for c in BUILT_IN.select(["throttling", "empty-repository"], ["throttling"])] == \
        ["empty-repository"]


# -- Azure failing is not the user's input -----------------------------------------------------------------


@pytest.fixture
def retry_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The SDK's waits between retries, recorded instead of slept (about 5 s per test otherwise)."""
    waits: list[float] = []
    monkeypatch.setattr(HttpTransport, "sleep", lambda self, duration: waits.append(duration))
    monkeypatch.setattr(time, "sleep", waits.append)  # acrdoctor's capped retry sleeps through Waits
    monkeypatch.setattr(session, "credentials", lambda opts: (FakeCredential(), AsyncFakeCredential()))
    return waits


@pytest.mark.parametrize("status", [500, 503, 429])
def test_arm_failing_after_retries_is_exit_3_with_the_reason(retry_waits: list[float], status: int) -> None:
    """The SDK retries 429 and 5xx (three times here); when it gives up, trying later may work: exit 3, not 2."""
    demo = load_demo()
    state = FakeRegistry.from_snapshot(demo)
    state.faults = Faults(error_rate_5xx=1.0, error_status=status, path_pattern="^/subscriptions/")
    reg = demo.registry
    with serve_fake_acr(state, port=0) as srv:
        result = invoke("diagnose", "--registry", reg.name, "--subscription", reg.subscription_id or "",
                        "-g", reg.resource_group or "", "--arm-endpoint", srv.arm_endpoint, "--ca-file", srv.ca_pem,
                        "--no-cache", "--quiet")
        arm_requests = [r for r in srv.requests if r.path.startswith("/subscriptions/")]
    assert result.exit_code == 3, result.output
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("acrdoctor: error: Azure answered ") and f"{status} " in line and "try again later" in line
    assert len(arm_requests) == 4  # the first try and three retries


def test_an_unreachable_management_endpoint_is_exit_3(retry_waits: list[float]) -> None:
    result = invoke("diagnose", "--registry", "contoso", "--subscription", "0000", "-g", "rg",
                    "--arm-endpoint", f"https://127.0.0.1:{closed_port()}", "--no-cache", "--quiet")
    assert result.exit_code == 3, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith("acrdoctor: error: cannot reach registry 'contoso'")
    assert retry_waits  # it was retried before giving up


# -- not signed in ----------------------------------------------------------------------------------------


def signed_out_env(home: Path, **extra: str) -> dict[str, str]:
    """An environment in which no Azure credential exists: empty HOME, no az on PATH, no AZURE_* variables.

    ``AZURE_TOKEN_CREDENTIALS=dev`` leaves the managed identity out of DefaultAzureCredential (it would probe
    IMDS, which is not there off Azure and takes seconds to give up); in case an azure-identity ignores that
    variable, the probe is pointed at a closed loopback port, so no test reaches the network.
    """
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("AZURE_", "MSI_", "IDENTITY_", "IMDS_", "ACRDOCTOR_")) and k not in ("HOME", "PATH")}
    return {**keep, "HOME": str(home), "PATH": str(home / "bin"), "AZURE_TOKEN_CREDENTIALS": "dev",
            "AZURE_POD_IDENTITY_AUTHORITY_HOST": f"http://127.0.0.1:{closed_port()}", **extra}


def test_not_signed_in_is_one_line_with_the_command_to_sign_in(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "bin").mkdir(parents=True)
    args = [sys.executable, "-m", "acrdoctor", "diagnose", "--registry", "contoso", "--subscription",
            "00000000-0000-0000-0000-000000000000", "-g", "rg", "--arm-endpoint",
            f"https://127.0.0.1:{closed_port()}", "--no-cache", "--quiet"]
    result = subprocess.run(args, env=signed_out_env(home), capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("acrdoctor: error: not signed in to Azure") and "run 'az login'" in line
    # The SDK's own account of each credential it tried is still there for whoever asks for it.
    debug = subprocess.run(args, env=signed_out_env(home, ACRDOCTOR_DEBUG="1"), capture_output=True, text=True,
                           timeout=120, check=False)
    assert "Attempted credentials:" in debug.stderr and debug.stderr.splitlines()[-1] == line


# -- explain's argument -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["missing.log", "logs/build", "C:\\logs\\my build.txt"])
def test_explain_a_file_that_does_not_exist_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    name: str) -> None:
    monkeypatch.chdir(tmp_path)
    assert_one_line_error(invoke("explain", name), f"no such file: {name}", "--text")


@pytest.mark.parametrize("arg", ["", "   "])
def test_explain_an_empty_argument_is_nothing_to_explain(arg: str) -> None:
    assert_one_line_error(invoke("explain", arg), "nothing to explain")


def test_explain_text_that_merely_looks_like_a_file_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("explain", "--text", "missing.log", "-o", "json")
    assert result.exit_code == 1 and json.loads(result.stdout)["recognised"] is False
    result = invoke("explain", "NAME_UNKNOWN", "-o", "json")  # one word, no extension: error text, as before
    assert result.exit_code == 0 and json.loads(result.stdout)["recognised"] is True


@pytest.mark.parametrize(("arg", "path_like"), [
    ("missing.log", True), ("logs/build", True), ("C:\\logs\\my build.txt", True), ("./x", True),
    ("NAME_UNKNOWN", False), ("step 3.1 failed", False), ("v1.2", False),
    ("Error: repository name not known to registry. Correlation ID: 530afbd4", False),
    ("denied: requested access to the resource is denied", False), ("a\nb.log", False),
])
def test_what_looks_like_a_path(arg: str, path_like: bool) -> None:
    assert looks_like_path(arg) is path_like


@pytest.mark.parametrize("command", [("diagnose",), ("collect", "-o", "snap.json"), ("fix",),
                                     ("preflight", *PREFLIGHT_COMMAND)])
def test_a_ca_file_without_a_certificate_is_refused_before_any_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    scans: list[str], command: tuple[str, ...]) -> None:
    """Read at the first connection, a wrong CA file would pass for a network failure (exit 3)."""
    monkeypatch.chdir(tmp_path)
    ca = tmp_path / "ca.gz"
    ca.write_bytes(BINARY)
    args = (command[0], "--registry", "contoso", "--ca-file", str(ca), *command[1:])
    assert_one_line_error(invoke(*args), f"--ca-file {ca}: no PEM certificate in it")
    assert scans == []
