"""``python -m acrdoctor.testing --demo``: serve the fake ACR in the foreground and print how to use it.

Why a command: trying acrdoctor live otherwise needs an Azure subscription and a registry in a bad state. The
fake serves the bundled demo (or a variant, or any snapshot) with ARM and a managed-identity endpoint, and the
printed lines point the real ``az`` and ``acrdoctor diagnose --registry`` at it. Ctrl-C stops it.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any, NoReturn

from acrdoctor.errors import InputError
from acrdoctor.shellquote import quote
from acrdoctor.textsafe import visible


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        _fail(message)


def _fail(message: str) -> NoReturn:
    print(f"acrdoctor.testing: error: {visible(message)}", file=sys.stderr)
    raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m acrdoctor.testing",
                description="Serve the fake ACR (data plane, ARM, managed identity) on loopback and print how to "
                            "point az and acrdoctor at it.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--demo", nargs="?", const=True, metavar="VARIANT",
                     help="the bundled demo registry, or one of its variants")
    src.add_argument("--snapshot", type=Path, metavar="FILE", help="a registry snapshot (acrdoctor collect)")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free one)")
    p.add_argument("--identity", default="acrdoctor-demo-identity",
                   help="name of the managed identity the token endpoint signs in")
    return p


def _state(demo: str | bool | None, snapshot: Path | None, identity: str) -> Any:
    """The fake's state for the source, prepared as the demo's own collection saw it."""
    from acrdoctor.testing._credentials import default_object_id
    from acrdoctor.testing._state import FakeRegistry

    if demo:
        from acrdoctor.demo import load_demo

        snap = load_demo(demo if isinstance(demo, str) else None)
    else:
        from acrdoctor.snapshot_io import load_snapshot

        assert snapshot is not None
        snap = load_snapshot(snapshot)
    state = FakeRegistry.from_snapshot(snap)
    rules = snap.registry.network_rule_set
    if rules and rules.ip_rules:  # the caller stands inside the firewall, as the snapshot's collector did
        state.client_ip = rules.ip_rules[0].split("/")[0]
    state.quarantine_readers = {identity}
    state.grant(default_object_id(identity), "AcrDelete")  # the identity may delete, so the fixes can run
    return state


def _serve(args: argparse.Namespace) -> int:
    from acrdoctor.testing._server import FakeAcrServer
    from acrdoctor.testing._session import LOGIN_SERVER_SUFFIX, session_for, shell_lines

    try:
        state = _state(args.demo, args.snapshot, args.identity)
    except InputError as e:
        _fail(str(e))
    except OSError as e:
        _fail(f"cannot read {args.snapshot}: {e.strerror or e}")
    if not 0 <= args.port <= 65535:
        _fail(f"--port {args.port} is not a port number")
    try:
        srv = FakeAcrServer(state, args.port, login_server_suffix=LOGIN_SERVER_SUFFIX,
                            managed_identity=args.identity)
    except ImportError:
        _fail("the fake ACR needs the testing extra: pip install 'acrdoctor[testing]'")
    except OSError as e:
        _fail(f"cannot listen on 127.0.0.1:{args.port}: {e.strerror or e}")
    srv.lro_retry_after = 1
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with tempfile.TemporaryDirectory(prefix="acrdoctor-fake-") as tmp, srv:
        session = session_for(srv, Path(tmp))
        out = [f"# The fake ACR serves registry {visible(state.name)} on 127.0.0.1:{srv.port} "
               "(Ctrl-C stops it). In another shell:", *shell_lines(session), *session.az_setup,
               f"az acr repository list --name {quote(state.name)} --output table", session.diagnose]
        print("\n".join(out), flush=True)
        while not stop.wait(0.2):
            pass
    print("acrdoctor.testing: stopped", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    return _serve(_parser().parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
