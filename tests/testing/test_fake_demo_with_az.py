"""The real Azure CLI against the demo as ``python -m acrdoctor.testing --demo`` serves it (replay on).

Two of the demo's printed fixes, run as printed: ``az lock delete`` and ``az acr connected-registry delete --cleanup``
(refused while the resource group's lock stands, as ARM refuses it, then accepted once the lock is gone); and the
recorded 401 reproduced by az when the served identity is not exempt from it.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest

from acrdoctor.demo import load_demo
from acrdoctor.engine import diagnose
from acrdoctor.testing.__main__ import _state
from tests.testing.azcli import az_ok as az
from tests.testing.azcli import require_az, run_az
from tests.testing.azcli import signed_in as az_session

require_az()

IDENTITY = "mi-demo"


def _printed(check: str) -> list[list[str]]:
    """The fix commands the offline demo prints for one check, as argument lists without the leading ``az``."""
    commands = [c for f in diagnose(load_demo()).findings() if f.check == check and f.fix for c in f.fix.commands]
    assert commands, f"the demo prints no fix command for {check}"
    out = [shlex.split(c) for c in commands]
    assert all(words[0] == "az" for words in out)
    return [words[1:] for words in out]


@pytest.fixture
def demo_az(tmp_path: Path) -> Iterator[tuple[object, dict[str, str]]]:
    with az_session(_state(True, None, IDENTITY), tmp_path, IDENTITY) as served:
        yield served


def test_the_printed_lock_and_connected_registry_fixes_run(demo_az) -> None:
    srv, env = demo_az
    st = srv.state
    (connected,) = _printed("connected-registries")
    (unlock,) = _printed("resource-locks")
    snap = load_demo()
    (cr,) = snap.connected_registries or ()
    sync_token = (cr.sync_token_id or "").rsplit("/", 1)[-1]
    assert sync_token in st.registry_tokens

    refused = run_az(env, *connected)
    assert refused.returncode != 0 and "ScopeLocked" in refused.stderr
    assert cr.name in st.connected_registries

    az(env, *unlock)
    assert st.locks == []
    az(env, *connected)
    assert cr.name not in st.connected_registries
    assert sync_token not in st.registry_tokens and cr.name not in st.scope_maps  # --cleanup took both
    assert {t.name for t in snap.tokens or ()} <= set(st.registry_tokens)  # and nothing else


def test_az_reproduces_the_recorded_401_for_a_caller_it_applies_to(tmp_path: Path) -> None:
    snap = load_demo()
    (error,) = [e for e in snap.errors if e.status == 401 and e.repository]
    state = _state(True, None, IDENTITY, deny_identity=True)
    with az_session(state, tmp_path, IDENTITY) as (srv, env):
        r = run_az(env, "acr", "repository", "delete", "--name", snap.registry.name, "--repository",
                   str(error.repository), "--yes")
        assert r.returncode != 0
        assert error.repository in srv.state.repositories
        refused = [x for x in srv.requests if x.method == "DELETE"]
        assert refused and all(x.status == 401 and x.identity == IDENTITY for x in refused)
