"""The real Azure CLI against the fake: the printed setup, ``az login --identity``, reads and a delete.

Needs the ``azcli`` extra (skipped without it, required under ``.ci/run`` where ``ACRDOCTOR_REQUIRE_AZCLI=1``);
how az is found, run and kept offline is :mod:`tests.testing.azcli`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from acrdoctor.testing import FakeRegistry
from acrdoctor.testing._server import FakeAcrServer
from acrdoctor.testing._session import LOGIN_SERVER_SUFFIX
from tests.testing.azcli import az_ok, require_az, signed_in

require_az()
_az = az_ok


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[tuple[FakeAcrServer, dict[str, str]]]:
    state = FakeRegistry(name="fabrikam", resource_group="rg-fab")
    state.push_image("apps/web", ["1.0", "latest"], [("base", 100), ("web", 20)])
    state.push_image("apps/api", ["2.0"], [("base", 100), ("api", 30)])
    state.add_repository("empty", orphaned=True)
    with signed_in(state, tmp_path, "mi-az") as pair:
        yield pair


def test_az_signs_in_with_the_identity_and_reads_and_deletes(fake: tuple[FakeAcrServer, dict[str, str]]) -> None:
    srv, env = fake
    st = srv.state
    account = json.loads(_az(env, "account", "show", "--output", "json"))
    assert account["id"] == st.subscription_id and account["user"]["type"] == "servicePrincipal"
    reg = json.loads(_az(env, "acr", "show", "--name", st.name, "--output", "json"))
    assert reg["id"] == st.resource_id and reg["loginServer"] == f"{st.name}{LOGIN_SERVER_SUFFIX}:{srv.port}"
    repos = json.loads(_az(env, "acr", "repository", "list", "--name", st.name, "--output", "json"))
    assert repos == sorted(st.repositories)
    tags = json.loads(_az(env, "acr", "repository", "show-tags", "--name", st.name, "--repository", "apps/web",
                          "--output", "json"))
    assert tags == sorted(st.repositories["apps/web"].tags)
    _az(env, "acr", "repository", "delete", "--name", st.name, "--repository", "apps/api", "--yes")
    assert "apps/api" not in st.repositories and "apps/web" in st.repositories
    deletes = [r for r in srv.requests if r.method == "DELETE"]
    assert [(r.path, r.status, r.identity) for r in deletes] == [("/acr/v1/apps/api", 202, "mi-az")]


def test_az_clears_an_orphaned_empty_repository_by_import_then_delete(
        fake: tuple[FakeAcrServer, dict[str, str]]) -> None:
    """The empty-repository fix as acrdoctor prints it: a placeholder imported into the orphan, then the delete."""
    srv, env = fake
    st = srv.state
    assert st.repositories["empty"].orphaned
    _az(env, "acr", "import", "--name", st.name, "--source", "docker.io/library/hello-world:latest",
        "--image", "empty:placeholder")
    assert list(st.repositories["empty"].tags) == ["placeholder"] and not st.repositories["empty"].orphaned
    _az(env, "acr", "repository", "delete", "--name", st.name, "--repository", "empty", "--yes")
    assert "empty" not in st.repositories
