"""``acrdoctor whoami``: the caller's object id and type from an ARM token, for printed role assignments."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from acrdoctor.cli import cli
from acrdoctor.collect.whoami import signed_in
from acrdoctor.errors import InputError
from acrdoctor.testing import FakeCredential


@pytest.mark.parametrize("kind", ["User", "ServicePrincipal"])
def test_the_object_id_and_type_come_from_the_token(kind: str) -> None:
    cred = FakeCredential("pipeline", object_id="11111111-2222-3333-4444-555555555555", principal_type=kind)
    who = signed_in(cred)
    assert (who["principalId"], who["principalType"]) == ("11111111-2222-3333-4444-555555555555", kind)
    assert cred.scopes_requested == [("https://management.azure.com/.default",)]


def test_a_token_without_an_object_id_is_an_error() -> None:
    class Opaque:
        def get_token(self, *scopes: str) -> object:
            return type("T", (), {"token": "not-a-jwt"})()

    with pytest.raises(InputError, match="no object id"):
        signed_in(Opaque())


def _fake_az(tmp_path: Path, script: str) -> dict[str, str]:
    """An ``az`` on PATH that answers ``account get-access-token`` as ``script`` says."""
    az = tmp_path / "az"
    az.write_text("#!/bin/sh\n" + script, "utf-8")
    az.chmod(az.stat().st_mode | stat.S_IEXEC)
    return {"PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}


def test_the_cli_prints_only_the_field_asked_for(tmp_path: Path) -> None:
    token = FakeCredential("mi", object_id="aaaaaaaa-0000-0000-0000-000000000001",
                          principal_type="ServicePrincipal").get_token("x").token
    env = _fake_az(tmp_path, f"""echo '{{"accessToken": "{token}", "expiresOn": "2999-01-01 00:00:00.000000",
"expires_on": 32503680000, "subscription": "s", "tenant": "t", "tokenType": "Bearer"}}'\n""")
    runner = CliRunner()
    r = runner.invoke(cli, ["whoami", "--object-id"], env=env)
    assert (r.exit_code, r.output) == (0, "aaaaaaaa-0000-0000-0000-000000000001\n"), r.output
    r = runner.invoke(cli, ["whoami", "--principal-type"], env=env)
    assert (r.exit_code, r.output) == (0, "ServicePrincipal\n")


def test_without_a_sign_in_it_is_one_line_and_exit_1(tmp_path: Path) -> None:
    env = _fake_az(tmp_path, "echo 'ERROR: Please run az login to setup account.' >&2\nexit 1\n")
    r = CliRunner().invoke(cli, ["whoami", "--object-id"], env=env)
    assert r.exit_code == 1 and r.stdout == ""
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith("acrdoctor: error: cannot get a token from the Azure CLI")
