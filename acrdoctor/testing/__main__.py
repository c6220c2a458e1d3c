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
    p.add_argument("--no-replay", dest="replay", action="store_false",
                   help="do not answer the snapshot's recorded 401s and 429s again, and reclaim nothing")
    p.add_argument("--retry-after-scale", type=_scale, default=DEFAULT_RETRY_AFTER_SCALE, metavar="FACTOR",
                   help="factor on recorded Retry-After waits (default %(default)s: the demo's 60 s become 3 s)")
    p.add_argument("--deny-identity", action="store_true",
                   help="refuse the served identity the recorded denied actions too (by default only other "
                        "callers are refused: the identity holds AcrDelete so that the printed fixes can run)")
    return p


#: The command's factor on recorded ``Retry-After``: a one-minute trial should not sit out a recorded minute.
DEFAULT_RETRY_AFTER_SCALE = 0.05


def _scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a factor (a number from 0)")
    return value


def _state(demo: str | bool | None, snapshot: Path | None, identity: str, *, replay: bool = True,
           retry_after_scale: float = DEFAULT_RETRY_AFTER_SCALE, deny_identity: bool = False) -> Any:
    """The fake's state for the source, prepared as the demo's own collection saw it.

    With ``replay`` it answers the snapshot's recorded refusals and throttles again (``FakeRegistry.replay``).
    The served identity is exempt from the replayed denials unless ``deny_identity``: it is granted AcrDelete on the
    registry so that the printed fixes can run, and a refusal its own role assignment contradicts could not be
    diagnosed from what the fake serves.
    """
    from acrdoctor.testing._credentials import default_object_id
    from acrdoctor.testing._state import FakeRegistry

    if demo:
        from acrdoctor.demo import load_demo

        snap = load_demo(demo if isinstance(demo, str) else None)
    else:
        from acrdoctor.snapshot_io import load_snapshot

        assert snapshot is not None
        snap = load_snapshot(snapshot)
    state = FakeRegistry.from_snapshot(snap, replay=replay, retry_after_scale=retry_after_scale)
    if not deny_identity:
        state.replay.exempt.add(identity)
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
        state = _state(args.demo, args.snapshot, args.identity, replay=args.replay,
                       retry_after_scale=args.retry_after_scale, deny_identity=args.deny_identity)
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
