"""The HTTPS server: ACR data plane and the ARM resource provider on one loopback port.

Why real HTTPS on a real socket instead of mocking the transport: the Azure SDK clients refuse bearer
tokens over plain http, parse ACR's 401 challenge strictly, verify manifest digests, follow ``Link``
headers and poll ARM long-running operations. Serving the wire protocol lets tests run the unmodified
sync and aio clients, record cassettes with pytest-recording, and catch contract drift.

Wire formats follow the project notes (``reference/notes/azure-sdk.md`` §1.7, §3.1 and
``acr-wire-behaviour.md`` §c). Where no recording exists the code says it is modelled from documentation.
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import json
import re
import socket
import ssl
import struct
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from acrdoctor.testing._arm import cloud_metadata, import_image, is_arm_path, not_found, subscription_answer
from acrdoctor.testing._controls import id_key, id_name
from acrdoctor.testing._credentials import identity_of
from acrdoctor.testing._identity import IDENTITY_PATH, identity_answer
from acrdoctor.testing._registry_auth import ANONYMOUS, Principal
from acrdoctor.testing._runs import is_log_path, log_blob_answer, runs_answer
from acrdoctor.testing._state import (
    SKU_SIZE_LIMITS,
    UNAUTHORIZED_MESSAGE,
    AcrError,
    ArmError,
    FakeManifest,
    FakeRegistry,
    FakeRepository,
    canonical_json,
    disallowed,
    name_unknown,
    sha256_digest,
)


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request as the fake saw it. ``path`` is percent-decoded; ``identity`` is None when unauthenticated."""

    method: str
    path: str
    query: Mapping[str, str]
    status: int
    identity: str | None
    time: float


class _Reset(Exception):
    """Drop the connection with a TCP reset (fault injection)."""


class _Response:
    def __init__(self, status: int, body: bytes = b"", headers: Mapping[str, str] | None = None,
                 content_type: str | None = "application/json; charset=utf-8", head: bool = False) -> None:
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        if content_type and (body or head) and "Content-Type" not in self.headers:
            self.headers["Content-Type"] = content_type
        self.head = head


def _json(status: int, obj: Any, headers: Mapping[str, str] | None = None) -> _Response:
    return _Response(status, canonical_json(obj), headers)


_PAGE_DEFAULT = 100
_PAGE_MAX = 1000


class FakeAcrServer:
    """A running fake. Use through :func:`serve_fake_acr`; the attributes are the public surface."""

    def __init__(self, state: FakeRegistry, port: int = 0, host: str = "127.0.0.1", *,
                 login_server_suffix: str | None = None, managed_identity: str = "fake-managed-identity") -> None:
        self.state = state
        #: With a suffix (``.azurecr.localhost``), ARM reports ``loginServer`` as ``name + suffix + :port``, as a
        #: real registry's is its name plus the cloud's suffix; without, the host the client used (the default).
        self.login_server_suffix = login_server_suffix
        #: The identity the managed-identity endpoint (``srv.identity_endpoint``) hands tokens out for.
        self.managed_identity = managed_identity
        #: The ``IDENTITY_HEADER`` secret that endpoint requires, as App Service's does.
        self.identity_header = uuid.uuid4().hex
        #: Seconds announced in ``Retry-After`` on ARM's long-running 202s (0 keeps tests fast).
        self.lro_retry_after = 0
        self._tmp = tempfile.TemporaryDirectory(prefix="fake-acr-")
        extra = (f"*{login_server_suffix}", f"{state.name}{login_server_suffix}") if login_server_suffix else ()
        ca, cert = _certificates(extra)
        ca_path = Path(self._tmp.name) / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_path))
        self.ca_pem = str(ca_path)
        self._ssl = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(self._ssl)
        self._log: list[RequestRecord] = []
        self._log_lock = threading.Lock()
        self._httpd = _TLSServer((host, port), _Handler, self)
        self.port: int = self._httpd.server_address[1]
        self.login_server = f"localhost:{self.port}"
        self.endpoint = f"https://{self.login_server}"
        self.arm_endpoint = self.endpoint
        self.identity_endpoint = f"https://127.0.0.1:{self.port}{IDENTITY_PATH}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-acr", daemon=True)

    def login_server_for(self, name: str, host: str) -> str:
        """The ``loginServer`` ARM reports for registry ``name`` to a client that called ``host``."""
        if not self.login_server_suffix:
            return host
        return f"{name.lower()}{self.login_server_suffix}" + ("" if self.port == 443 else f":{self.port}")

    # -- log ----------------------------------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        """A copy of the request log (thread-safe)."""
        with self._log_lock:
            return list(self._log)

    def reset_log(self) -> None:
        with self._log_lock:
            self._log.clear()

    def _record(self, rec: RequestRecord) -> None:
        with self._log_lock:
            self._log.append(rec)

    # -- lifecycle ----------------------------------------------------------------------------------------

    def start(self) -> FakeAcrServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.close_all()
        self._httpd.server_close()
        self._thread.join(timeout=5)
        self._tmp.cleanup()

    def __enter__(self) -> FakeAcrServer:
        return self.start()

    def __exit__(self, *args: object) -> None:
        self.stop()


_CA: Any = None
_CERTS: dict[tuple[str, ...], Any] = {}
_CERTS_LOCK = threading.Lock()


def _certificates(extra_names: tuple[str, ...] = ()) -> tuple[Any, Any]:
    """One throwaway trustme CA per process, and a certificate per set of names (generation is the slow part).

    Every certificate names localhost and 127.0.0.1; ``extra_names`` adds the registry's own host names.
    """
    global _CA
    with _CERTS_LOCK:
        if _CA is None:
            import trustme  # optional dependency (the ``testing`` extra)

            _CA = trustme.CA()
        if extra_names not in _CERTS:
            _CERTS[extra_names] = _CA.issue_cert("localhost", "127.0.0.1", *extra_names)
        return _CA, _CERTS[extra_names]


@contextlib.contextmanager
def serve_fake_acr(state: FakeRegistry, port: int = 0, **options: Any) -> Iterator[FakeAcrServer]:
    """Serve ``state`` over HTTPS on loopback for the duration of the ``with`` block.

    ``port=0`` picks a free port; pass a fixed port when recording cassettes, because the port is part
    of every recorded URI. The server answers both the data plane (``srv.endpoint``) and ARM
    (``srv.arm_endpoint``, the same origin). Trust it with ``connection_verify=srv.ca_pem``. ``options`` are
    :class:`FakeAcrServer`'s keywords (``login_server_suffix``, ``managed_identity``).
    """
    srv = FakeAcrServer(state, port, **options)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


class _TLSServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr: tuple[str, int], handler: type, owner: FakeAcrServer) -> None:
        self.owner = owner
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(addr, handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        # TLS handshake in the worker thread, so one slow client cannot stall accept()
        with self._conns_lock:
            self._conns.add(request)
        with contextlib.suppress(OSError):  # no Nagle/delayed-ACK stalls between header and body writes
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            tls = self.owner._ssl.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            with self._conns_lock:
                self._conns.discard(request)

    def close_all(self) -> None:
        with self._conns_lock:
            for s in list(self._conns):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _TLSServer

    def log_message(self, format: str, *args: Any) -> None:  # silence stderr logging
        pass

    def do_GET(self) -> None:
        self._dispatch()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    # -- plumbing -------------------------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _dispatch(self) -> None:
        owner = self.server.owner
        state = owner.state
        split = urlsplit(self.path)
        raw_path = re.sub("/{2,}", "/", split.path)
        path = unquote(raw_path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        body = self._read_body()
        ctx = _Ctx(self, state, self.command, path, query, body)
        try:
            resp = ctx.handle()
        except _Reset:
            owner._record(RequestRecord(self.command, path, query, 0, ctx.identity, time.time()))
            self._reset()
            return
        owner._record(RequestRecord(self.command, path, query, resp.status, ctx.identity, time.time()))
        self.send_response(resp.status)
        headers = dict(resp.headers)
        if not ctx.arm:
            headers.setdefault("Docker-Distribution-Api-Version", "registry/2.0")
        if not (resp.head and "Content-Length" in headers):  # HEAD announces the length GET would send
            headers["Content-Length"] = str(len(resp.body))
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header_end_with_body(resp.body if self.command != "HEAD" else b"")

    def send_header_end_with_body(self, body: bytes) -> None:
        """Headers and body in one write: one TLS record, no client-side delayed-ACK wait."""
        self._headers_buffer.append(b"\r\n" + body)  # type: ignore[attr-defined]
        self.flush_headers()
        self.wfile.flush()

    def _reset(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with contextlib.suppress(OSError):
            raw = self.connection.unwrap() if isinstance(self.connection, ssl.SSLSocket) else self.connection
            raw.close()


# ---------------------------------------------------------------------------------------------------------
# Request handling
# ---------------------------------------------------------------------------------------------------------

_ARM_RE = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)(?:/resourcegroups/(?P<rg>[^/]+))?/providers/microsoft\.containerregistry"
    r"/(?P<rest>.*)$", re.IGNORECASE)
#: Error codes of injected ARM faults, by status (the fake's choice: no recording holds one).
_ARM_FAULT_CODES = {500: "InternalServerError", 502: "BadGateway", 503: "ServiceUnavailable", 429: "TooManyRequests",
                    403: "AuthorizationFailed"}


class _Ctx:
    def __init__(self, handler: _Handler, state: FakeRegistry, method: str, path: str, query: dict[str, str],
                 body: bytes) -> None:
        self.h = handler
        self.state = state
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.identity: str | None = None
        #: the scope string of the access token the request came with ("" before authentication)
        self.granted = ""
        #: every ``scope`` parameter: docker clients send one per resource (``dict(query)`` keeps only the last)
        self.scope_params = [v for k, v in parse_qsl(urlsplit(handler.path).query, keep_blank_values=True)
                             if k == "scope"]
        self.arm = is_arm_path(path, query)
        host = handler.headers.get("Host") or f"localhost:{handler.server.owner.port}"
        self.host = host
        self.service = host.split(":")[0]

    # -- entry ------------------------------------------------------------------------------------------------

    def handle(self) -> _Response:
        faults = self.state.faults
        if faults and faults.slow_seconds and self._faultable():
            time.sleep(faults.slow_seconds)
        try:
            if self.path == IDENTITY_PATH:  # the managed-identity endpoint: no firewall, no faults, no token
                owner = self.h.server.owner
                status, doc = identity_answer(owner.managed_identity, owner.identity_header, self.h.headers,
                                              self.query, time.time())
                return _json(status, doc)
            if self.path == "/metadata/endpoints" and self.method == "GET":
                suffix = self.h.server.owner.login_server_suffix or ".azurecr.io"
                return _json(200, cloud_metadata(f"https://{self.host}", suffix))
            if is_log_path(self.path):  # a run's log blob (storage, not the registry): no firewall, no token
                status, body, headers = log_blob_answer(self.state, self.method, self.path, self.query, self.h.headers)
                return _Response(status, body, headers, content_type=None, head=self.method == "HEAD")
            if self.arm:
                return self._arm()
            return self._data_plane()
        except AcrError as e:
            headers = dict(e.headers)
            return _Response(e.status, e.body(), headers)
        except ArmError as e:
            return _Response(e.status, e.body())

    def _faultable(self) -> bool:
        faults = self.state.faults
        if faults is None or self.path.startswith("/oauth2/"):
            return False
        return not faults.path_pattern or re.search(faults.path_pattern, self.path) is not None

    def _maybe_fault(self) -> None:
        """Faults that hit an authenticated (or ARM) request: reset or 5xx."""
        faults = self.state.faults
        if not self._faultable() or faults is None:
            return
        with self.state.lock:
            reset = faults.roll(faults.reset_rate)
            err = not reset and faults.roll(faults.error_rate_5xx)
        if reset:
            raise _Reset
        if err:
            status = faults.error_status
            if self.arm:
                code = _ARM_FAULT_CODES.get(status, "InternalServerError")
                raise ArmError(status, code, f"{code} (fault injected)")
            if status == 429:
                raise AcrError(429, "TOOMANYREQUESTS", "too many requests (fault injected)")
            raise AcrError(status, "UNKNOWN", "unknown error (fault injected)")

    # -- data plane ----------------------------------------------------------------------------------------

    def _data_plane(self) -> _Response:
        st = self.state
        if st.firewall_blocks():
            # Body as quoted in docker/build-push-action#1214, quotes JSON-escaped as on the wire (notes §c.4).
            msg = (f"client with IP \\u0027{st.client_ip}\\u0027 is not allowed access. "
                   "Refer https://aka.ms/acr/firewall to grant access.")
            raw = ('{"errors":[{"code":"DENIED","message":"' + msg + '"}]}').encode()
            raise AcrError(403, "DENIED", msg, raw_body=raw)
        if self.path == "/oauth2/exchange" and self.method == "POST":
            return self._exchange()
        if self.path == "/oauth2/token" and self.method in ("POST", "GET"):
            return self._token()
        route, params = _route(self.method, self.path)
        if route is None:
            raise AcrError(404, "NOT_FOUND", "The requested resource was not found")
        scope, action = _scope_for(route, params, self.method)
        self._authenticate(scope, action, params.get("repo"))
        self._maybe_fault()
        with st.lock:
            replayed = st.replay.throttled(self.method, route, params.get("repo"), st.clock())
        if replayed is not None:  # a 429 the snapshot recorded (acrdoctor.testing._replay)
            throttle, wait = replayed
            raise AcrError(429, throttle.code, throttle.message, headers={"Retry-After": str(wait)})
        if st.throttle is not None:
            category = {"GET": "read", "HEAD": "read", "OPTIONS": "read", "DELETE": "delete"}.get(self.method, "write")
            with st.lock:
                retry_after = st.throttle.take(self.identity or "anonymous", category, st.clock())
            if retry_after is not None:
                # Documented (container-registry-skus.md "API request rate limits"); code from the OCI spec.
                raise AcrError(429, "TOOMANYREQUESTS", "too many requests, retry later",
                               headers={"Retry-After": str(retry_after)})
        with st.lock:
            return getattr(self, "_dp_" + route)(**params)

    def _challenge(self, scope: str | None, error: str | None = None) -> str:
        parts = [f'realm="https://{self.host}/oauth2/token"', f'service="{self.service}"']
        if scope:
            parts.append(f'scope="{scope}"')
        if error:
            parts.append(f'error="{error}"')
        return "Bearer " + ",".join(parts)

    def _unauthorized(self, scope: str | None, detail: Any, error: str | None = None) -> AcrError:
        return AcrError(401, "UNAUTHORIZED", UNAUTHORIZED_MESSAGE, detail,
                        headers={"WWW-Authenticate": self._challenge(scope, error)})

    def _authenticate(self, scope: str | None, action: str | None, repo: str | None) -> None:
        auth = self.h.headers.get("Authorization", "")
        detail = _detail_for(scope)
        if auth.startswith("Basic "):
            token = self._basic_grant(auth, scope)
        elif auth.startswith("Bearer "):
            token = self.state.access_token(auth[len("Bearer "):].strip())
        else:
            raise self._unauthorized(scope, detail if scope else None)
        if token is None:
            raise self._unauthorized(scope, detail, "invalid_token")
        identity, granted = token
        self.identity = identity
        self.granted = granted
        if scope is None:
            return
        if not _scope_covers(granted, scope):
            # ACR binds an access token to the scope it was issued for (notes §c.1).
            raise self._unauthorized(scope, detail, "insufficient_scope")
        if identity == "anonymous" and not (self.state.anonymous_pull_enabled and action == "pull"):
            raise self._unauthorized(scope, detail, "insufficient_scope")
        if repo is not None and action and self.state.is_denied(identity, repo, action):
            raise self._unauthorized(scope, detail, "insufficient_scope")
        recorded = self.state.replay.denied(identity, repo, action) if repo is not None and action else None
        if recorded is not None:  # a 401 the snapshot recorded, with its detail as recorded
            raise self._unauthorized(scope, [dict(x) for x in recorded], "insufficient_scope")

    def _basic_grant(self, auth: str, scope: str | None) -> tuple[str, str] | None:
        """HTTP Basic straight on a registry call, as az sends admin credentials (notes §b step 5): the identity and
        the scope its credentials would get from the token endpoint (plus pull on a mount's ``from``), or None."""
        principal = self.state.principal_for(*_basic_pair(auth))
        if principal is None:
            return None
        scopes = [scope or ""]
        if self.query.get("mount") and self.query.get("from"):
            scopes.append(f"repository:{self.query['from']}:pull")
        return principal.identity, self.state.grant_scope(principal, scopes)

    def _form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True)) if self.body else dict(self.query)

    def _exchange(self) -> _Response:
        form = self._form()
        identity = identity_of(form.get("access_token", ""))
        if form.get("grant_type") != "access_token" or identity is None:
            raise AcrError(401, "UNAUTHORIZED", "failed to exchange the AAD token for a refresh token")
        self.identity = identity
        return _json(200, {"refresh_token": self.state.issue_refresh_token(identity)})

    def _token(self) -> _Response:
        if self.method == "GET":
            return self._token_basic()
        form = self._form()
        grant = form.get("grant_type")
        scope = form.get("scope", "")
        if grant == "refresh_token":
            identity = self.state.identity_of_refresh_token(form.get("refresh_token", ""))
            if identity is None:
                raise AcrError(401, "UNAUTHORIZED", "invalid refresh token")
        elif grant == "password":
            # Anonymous callers (no username) share one identity, as do admin credentials (throttling doc).
            principal = self.state.principal_for(form["username"], form.get("password", "")) \
                if form.get("username") else ANONYMOUS
            return self._issue(principal, [scope])
        else:
            raise AcrError(400, "UNSUPPORTED", f"unsupported grant_type {grant!r}")
        self.identity = identity
        return _json(200, {"access_token": self.state.issue_access_token(identity, scope)})

    def _token_basic(self) -> _Response:
        """``GET /oauth2/token?service=&scope=`` with HTTP Basic, as docker clients ask (Token-BasicAuth.md).

        Without credentials the caller is anonymous, which only a registry with anonymous pull lets in.
        """
        auth = self.h.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            return self._issue(self.state.principal_for(*_basic_pair(auth)), self.scope_params)
        return self._issue(ANONYMOUS if self.state.anonymous_pull_enabled else None, self.scope_params)

    def _issue(self, principal: Principal | None, scopes: list[str]) -> _Response:
        """An access token narrowed to what ``principal`` may do, or ACR's 401 for credentials it refuses.

        The refusal (a Basic challenge and the ``UNAUTHORIZED`` body of a /v2/ 401) is not verified on a real
        registry: no recording holds a wrong password.
        """
        if principal is None:
            raise AcrError(401, "UNAUTHORIZED", UNAUTHORIZED_MESSAGE, None,
                           headers={"WWW-Authenticate": f'Basic realm="https://{self.host}/oauth2/token"'})
        self.identity = principal.identity
        token = self.state.issue_access_token(principal.identity, self.state.grant_scope(principal, scopes))
        return _json(200, {"access_token": token})

    # -- data-plane routes -----------------------------------------------------------------------------

    def _page(self, items: list[Any], key: Any, base: str, with_orderby: bool = True) -> tuple[list[Any], dict]:
        try:
            n = int(self.query.get("n") or _PAGE_DEFAULT)
        except ValueError:
            n = _PAGE_DEFAULT
        n = max(1, min(n, _PAGE_MAX))
        last = self.query.get("last")
        start = 0
        if last:
            keys = [key(i) for i in items]
            if last in keys:
                start = keys.index(last) + 1
            else:
                start = sum(1 for k in keys if k <= last) if self.query.get("orderby") in (None, "", "none") else 0
        page = items[start:start + n]
        headers = {}
        if start + n < len(items) and page:
            cursor = key(page[-1])
            fault = self.state.faults.listing_fault if self.state.faults and self._faultable() else None
            if fault == "truncate":
                return page, headers  # the listing ends here, silently short (Azure/acr#875)
            if fault == "repeat":
                cursor = last or ""  # the next link asks for this same page again
            q = f"last={quote(cursor, safe='')}&n={n}"
            if with_orderby:
                q += f"&orderby={quote(self.query.get('orderby') or '', safe='')}"
            headers["Link"] = f'<{base}?{q}>; rel="next"'
        return page, headers

    def _repo(self, name: str) -> FakeRepository:
        r = self.state.repositories.get(name)
        if r is None:
            raise name_unknown(name)
        return r

    def _dp_base(self) -> _Response:
        return _json(200, {})

    def _dp_catalog(self, v2: bool = False) -> _Response:
        names = sorted(self.state.repositories)
        page, headers = self._page(names, lambda x: x, "/v2/_catalog" if v2 else "/acr/v1/_catalog", not v2)
        return _json(200, {"repositories": page}, headers)

    def _dp_deleted_catalog(self) -> _Response:
        """``az acr repository list-deleted``: repositories holding soft-deleted manifests (shape not verified)."""
        names = sorted({d["repository"] for d in self.state.deleted_manifests})
        page, headers = self._page(names, lambda x: x, "/acr/v1/_deleted/_catalog", False)
        return _json(200, {"repositories": page}, headers)

    def _dp_deleted_manifests(self, repo: str) -> _Response:
        """``az acr manifest list-deleted``: items with ``digest`` and ``deletedAt`` (the keys azure-cli reads).

        With soft delete disabled the fake answers an empty list; what ACR answers then is not verified.
        """
        items = [{k: v for k, v in d.items() if k != "repository"} for d in self.state.deleted_manifests
                 if d["repository"] == repo]
        items.sort(key=lambda d: d["digest"])
        page, headers = self._page(items, lambda d: d["digest"], f"/acr/v1/_deleted/{quote(repo, safe='')}/_manifests",
                                   False)
        return _json(200, {"registry": self.host, "imageName": repo, "manifests": page}, headers)

    def _dp_deleted_tags(self, repo: str) -> _Response:
        items = [{"tag": t, "digest": d["digest"], "deletedAt": d["deletedAt"]}
                 for d in self.state.deleted_manifests if d["repository"] == repo for t in d.get("tags", [])]
        return _json(200, {"registry": self.host, "imageName": repo, "tags": items})

    def _dp_tags_list(self, repo: str) -> _Response:
        """OCI ``GET /v2/<name>/tags/list`` with ``n``/``last`` paging and a ``Link: <…>; rel="next"`` header.

        Tags come in name order, as the distribution spec asks. A repository-scoped token also needs
        ``metadata/read`` to list tags, not only ``content/read`` (Azure/acr#600, #690: a ``_repositories_pull``
        token can pull but not list); that refusal names ``metadata_read`` (shape not verified).
        """
        if self.identity and not self.state.identity_may(self.identity, repo, "metadata_read"):
            scope = f"repository:{repo}:metadata_read"
            raise self._unauthorized(scope, _detail_for(scope), "insufficient_scope")
        r = self._repo(repo)
        page, headers = self._page(sorted(r.tags), lambda t: t, f"/v2/{repo}/tags/list", with_orderby=False)
        return _json(200, {"name": repo, "tags": page}, headers)

    def _storage_full(self) -> bool:
        """Pushes are refused once Size reaches MaximumStorageCapacity (FAQ "disallowed operation"; [D-FAQ])."""
        cap = self.state.maximum_storage_capacity
        return cap is not None and self.state.reported_size() >= cap

    def _repo_json(self, r: FakeRepository) -> dict[str, Any]:
        return {"registry": self.host, "imageName": r.name, "createdTime": r.created, "lastUpdateTime": r.updated,
                "manifestCount": len(r.manifests), "tagCount": len(r.tags),
                "changeableAttributes": {**r.attributes, "teleportEnabled": False}}

    def _dp_repo(self, repo: str) -> _Response:
        r = self._repo(repo)
        if self.method == "GET":
            return _json(200, self._repo_json(r))
        if self.method == "PATCH":
            r.attributes.update(_flags(self.body))
            return _json(200, self._repo_json(r))
        if self.method == "DELETE":
            return _json(202, self.state.delete_repository(repo))
        raise _unsupported()

    def _tag_json(self, r: FakeRepository, name: str) -> dict[str, Any]:
        t = r.tags[name]
        out: dict[str, Any] = {"name": t.name, "digest": t.digest, "createdTime": t.created,
                               "lastUpdateTime": t.updated, "signed": False}
        m = r.manifests.get(t.digest)
        if m is not None and m.quarantine_state:
            out["quarantineState"] = m.quarantine_state
        out["changeableAttributes"] = dict(t.attributes)
        return out

    def _dp_tags(self, repo: str) -> _Response:
        r = self._repo(repo)
        tags = list(r.tags.values())
        if self.query.get("digest"):
            tags = [t for t in tags if t.digest == self.query["digest"]]
        tags = _ordered(tags, self.query.get("orderby"), lambda t: t.name)
        page, headers = self._page(tags, lambda t: t.name, f"/acr/v1/{quote(repo, safe='')}/_tags")
        return _json(200, {"registry": self.host, "imageName": repo,
                           "tags": [self._tag_json(r, t.name) for t in page]}, headers)

    def _dp_tag(self, repo: str, tag: str) -> _Response:
        if self.method == "DELETE":
            self.state.delete_tag(repo, tag)
            return _Response(202)
        r = self.state.repositories.get(repo)
        if r is None or tag not in r.tags:
            raise AcrError(404, "TAG_UNKNOWN", "the specified tag does not exist")
        if self.method == "PATCH":
            r.tags[tag].attributes.update(_flags(self.body))
        elif self.method != "GET":
            raise _unsupported()
        return _json(200, {"registry": self.host, "imageName": repo, "tag": self._tag_json(r, tag)})

    def _manifest_json(self, r: FakeRepository, m: FakeManifest) -> dict[str, Any]:
        out: dict[str, Any] = {"digest": m.digest, "imageSize": m.image_size, "createdTime": m.created,
                               "lastUpdateTime": m.updated}
        if m.architecture:
            out["architecture"] = m.architecture
        if m.os:
            out["os"] = m.os
        out["mediaType"] = m.media_type
        tags = r.tags_of(m.digest)
        if tags:
            out["tags"] = tags
        attrs: dict[str, Any] = dict(m.attributes)
        if m.quarantine_state:
            attrs["quarantineState"] = m.quarantine_state
        out["changeableAttributes"] = attrs
        if m.references:
            out["references"] = [dict(x) for x in m.references]
        return out

    def _dp_manifests(self, repo: str) -> _Response:
        r = self._repo(repo)
        ms = _ordered(list(r.manifests.values()), self.query.get("orderby"), lambda m: m.digest)
        page, headers = self._page(ms, lambda m: m.digest, f"/acr/v1/{quote(repo, safe='')}/_manifests")
        return _json(200, {"registry": self.host, "imageName": repo,
                           "manifests": [self._manifest_json(r, m) for m in page]}, headers)

    def _dp_manifest_attrs(self, repo: str, ref: str) -> _Response:
        r = self.state.repositories.get(repo)
        m = r.manifests.get(ref) if r else None
        if r is None or m is None:
            raise AcrError(404, "MANIFEST_UNKNOWN", "manifest unknown")
        if self.method == "PATCH":
            m.attributes.update(_flags(self.body))
        elif self.method != "GET":
            raise _unsupported()
        return _json(200, {"registry": self.host, "imageName": repo, "manifest": self._manifest_json(r, m)})

    def _dp_manifest(self, repo: str, ref: str) -> _Response:
        st = self.state
        if self.method in ("GET", "HEAD"):
            faults = st.faults
            if faults and self._faultable() and faults.roll(faults.manifest_unknown_rate):
                raise AcrError(404, "MANIFEST_UNKNOWN", "manifest unknown")
            r = self._repo(repo)
            digest = ref if ref.startswith("sha256:") else (r.tags[ref].digest if ref in r.tags else None)
            m = r.manifests.get(digest) if digest else None
            if m is None:
                raise AcrError(404, "MANIFEST_UNKNOWN", "manifest unknown")
            if ((m.quarantine_state or "").lower() == "quarantined" and self.identity not in st.quarantine_readers
                    and str(st.policies.get("quarantinePolicy", {}).get("status", "")).lower() == "enabled"):
                # The FAQ lists quarantine among the causes of "disallowed operation" [D-FAQ]; answered with the
                # 405 body of acr-cli#70. Identities with AcrQuarantineReader (quarantine_readers) may pull. Not
                # verified on a real registry; deletes are not refused (not verified).
                raise disallowed()
            headers = {"Docker-Content-Digest": m.digest, "ETag": f'"{m.digest}"'}
            if self.method == "HEAD":
                return _Response(200, b"", {**headers, "Content-Type": m.media_type,
                                            "Content-Length": str(len(m.body))}, head=True)
            return _Response(200, m.body, headers, content_type=m.media_type)
        if self.method == "PUT":
            return self._put_manifest(repo, ref)
        if self.method == "DELETE":
            if not ref.startswith("sha256:"):
                raise AcrError(400, "UNSUPPORTED", "The operation is unsupported.")
            st.delete_manifest(repo, ref)
            return _Response(202)
        raise _unsupported()

    def _put_manifest(self, repo: str, ref: str) -> _Response:
        st = self.state
        if self._storage_full():
            raise disallowed()
        digest = sha256_digest(self.body)
        if ref.startswith("sha256:") and ref != digest:
            raise AcrError(400, "DIGEST_INVALID", "provided digest did not match uploaded content")
        try:
            doc = json.loads(self.body)
        except ValueError as e:
            raise AcrError(400, "MANIFEST_INVALID", "manifest invalid") from e
        for d in [doc.get("config", {}).get("digest"), *(x.get("digest") for x in doc.get("layers", []))]:
            if d and d not in st.blob_sizes:
                raise AcrError(400, "MANIFEST_BLOB_UNKNOWN", f"blob unknown to registry: {d}")
        r = st.repositories.get(repo)
        if r is not None:
            if not r.attributes.get("writeEnabled", True):
                raise disallowed()
            existing = r.manifests.get(digest)
            tag = r.tags.get(ref)
            if (existing and not existing.attributes.get("writeEnabled", True)) or (
                    tag and not tag.attributes.get("writeEnabled", True)):
                raise disallowed()
        media_type = (self.h.headers.get("Content-Type") or doc.get("mediaType") or "").split(";")[0] or None
        arch = os_ = None
        cfg = doc.get("config") or {}
        if cfg.get("digest") in st.blob_content:
            with contextlib.suppress(ValueError, AttributeError):
                c = json.loads(st.blob_content[cfg["digest"]])
                arch, os_ = c.get("architecture"), c.get("os")
        tags = [] if ref.startswith("sha256:") else [ref]
        st.put_manifest(repo, self.body, media_type, tags=tags, architecture=arch, os=os_)
        return _Response(201, b"", {"Docker-Content-Digest": digest, "Location": f"/v2/{repo}/manifests/{digest}"})

    def _dp_upload(self, repo: str, upload: str) -> _Response:
        st = self.state
        if self.method == "POST" and not upload:
            if self._storage_full():
                raise disallowed()
            mounted = self._mount(repo)
            if mounted is not None:
                return mounted
            uid = str(uuid.uuid4())
            st._uploads[uid] = bytearray()
            return _Response(202, b"", {"Location": f"/v2/{repo}/blobs/uploads/{uid}", "Docker-Upload-UUID": uid,
                                        "Range": "0-0"})
        buf = st._uploads.get(upload)
        if buf is None:
            raise AcrError(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry")
        if self.method == "PATCH":
            buf += self.body
            return _Response(202, b"", {"Location": f"/v2/{repo}/blobs/uploads/{upload}", "Docker-Upload-UUID": upload,
                                        "Range": f"0-{max(0, len(buf) - 1)}"})
        if self.method == "PUT":
            buf += self.body
            digest = sha256_digest(bytes(buf))
            if self.query.get("digest") and self.query["digest"] != digest:
                raise AcrError(400, "DIGEST_INVALID", "provided digest did not match uploaded content")
            del st._uploads[upload]
            st.add_blob(digest, len(buf), bytes(buf))
            st.add_repository(repo)
            st.blob_links.setdefault(repo, set()).add(digest)
            return _Response(201, b"", {"Docker-Content-Digest": digest, "Location": f"/v2/{repo}/blobs/{digest}"})
        if self.method == "DELETE":
            del st._uploads[upload]
            return _Response(204)
        raise _unsupported()

    def _mount(self, repo: str) -> _Response | None:
        """``POST …/blobs/uploads/?mount=<digest>&from=<repo>``: 201 when the blob is in ``from`` and the token may
        pull there, else None, and the caller starts a normal upload (202), as the distribution spec says a
        registry that cannot mount does. ACR answers a mount like the spec (not verified on a real registry).
        """
        st = self.state
        digest, source = self.query.get("mount"), self.query.get("from")
        if not digest or not source:
            return None
        if not st.repository_holds_blob(source, digest) or not _scope_covers(self.granted, f"repository:{source}:pull"):
            return None
        if self.identity is not None and st.is_denied(self.identity, source, "pull"):
            return None
        st.add_repository(repo)
        st.blob_links.setdefault(repo, set()).add(digest)
        return _Response(201, b"", {"Location": f"/v2/{repo}/blobs/{digest}", "Docker-Content-Digest": digest})

    def _dp_blob(self, repo: str, digest: str) -> _Response:
        st = self.state
        if not st.repository_holds_blob(repo, digest):
            # Blobs are stored once per registry but reachable only through a repository that holds them (OCI
            # distribution spec); so a push to another repository mounts or uploads them (not verified on ACR).
            raise AcrError(404, "BLOB_UNKNOWN", "blob unknown to registry")
        if self.method == "DELETE":
            st.blob_content.pop(digest, None)
            return _Response(202, b"", {"Docker-Content-Digest": digest})
        size = st.blob_sizes[digest]
        # Blobs known only by size (from a snapshot) are served as zeros; their digest will not verify.
        data = st.blob_content.get(digest)
        headers = {"Docker-Content-Digest": digest}
        rng = re.match(r"bytes=(\d+)-(\d*)", self.h.headers.get("Range", ""))
        if self.method == "HEAD":
            return _Response(200, b"", {**headers, "Content-Length": str(size)}, "application/octet-stream", head=True)
        if rng:
            start = int(rng.group(1))
            end = min(int(rng.group(2)) if rng.group(2) else size - 1, size - 1)
            if start >= size:
                raise AcrError(416, "BLOB_UNKNOWN", "requested range not satisfiable")
            chunk = data[start:end + 1] if data is not None else bytes(end - start + 1)
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
            return _Response(206, chunk, headers, "application/octet-stream")
        return _Response(200, data if data is not None else bytes(size), headers, "application/octet-stream")

    def _dp_referrers(self, repo: str, digest: str) -> _Response:
        r = self._repo(repo)
        want = self.query.get("artifactType")
        items = []
        for m in r.manifests.values():
            if m.subject != digest:
                continue
            doc = json.loads(m.body)
            art = doc.get("artifactType") or (doc.get("config") or {}).get("mediaType")
            if want and art != want:
                continue
            desc = {"mediaType": m.media_type, "digest": m.digest, "size": len(m.body)}
            if art:
                desc["artifactType"] = art
            items.append(desc)
        index = "application/vnd.oci.image.index.v1+json"
        return _Response(200, canonical_json({"schemaVersion": 2, "mediaType": index, "manifests": items}),
                         content_type=index)

    # -- ARM --------------------------------------------------------------------------------------------

    def _arm(self) -> _Response:
        auth = self.h.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            raise ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
        token = auth[len("Bearer "):]
        self.identity = identity_of(token) or "arm"
        self._maybe_fault()
        st = self.state
        if self.identity in st.arm_denied_identities:
            # ARM's RBAC refusal, in the shape ARM documents for AuthorizationFailed (not from a recording).
            raise ArmError(403, "AuthorizationFailed",
                           f"The client '{self.identity}' with object id '{self.identity}' does not have authorization "
                           f"to perform action 'Microsoft.ContainerRegistry/registries/read' over scope "
                           f"'{st.resource_id}' or the scope is invalid.")
        if "/providers/microsoft.authorization/" in self.path.lower():
            with st.lock:
                return self._arm_authorization()
        m = _ARM_RE.match(self.path)
        if m is None:
            with st.lock:
                found = subscription_answer(st, self.method, self.path, self.query)
            if found is None:
                raise not_found(self.path)
            return _json(200, found)
        rest = m.group("rest").split("/")
        with st.lock:
            if rest[0].lower() == "locations" and len(rest) == 4 and rest[2].lower() == "operationresults":
                return self._arm_operation(rest[3])
            if rest[0].lower() != "registries":
                raise ArmError(404, "InvalidResourceType", "The resource type could not be found.")
            mine = (m.group("sub") == st.subscription_id and not st.deleted
                    and (m.group("rg") is None or m.group("rg").lower() == st.resource_group.lower()))
            if len(rest) == 1:
                if self.method != "GET":
                    raise ArmError(405, "MethodNotAllowed", "The method is not allowed.")
                return _json(200, {"value": [self._registry_json()] if mine else []})
            if m.group("rg") is None:
                raise ArmError(404, "InvalidResourceType", "The resource type could not be found.")
            if not mine or rest[1].lower() != st.name.lower():
                raise ArmError(404, "ResourceNotFound",
                               f"The Resource 'Microsoft.ContainerRegistry/registries/{rest[1]}' under resource group "
                               f"'{m.group('rg')}' was not found. For more details please go to "
                               "https://aka.ms/ARMResourceNotFoundFix")
            sub = [x.lower() for x in rest[2:]]
            if not sub:
                return self._arm_registry()
            if sub == ["importimage"] and self.method == "POST":
                import_image(st, self.body)
                return self._lro("importimage")
            if sub[0] in ("schedulerun", "runs"):
                run = runs_answer(st, self.method, rest[2:], self.body, f"https://{self.host}",
                                  self.h.server.owner.login_server_for(st.name, self.host))
                if run is not None:
                    return _json(200, run)
            if sub == ["listusages"] and self.method in ("GET", "POST"):
                return _json(200, {"value": self._usages()})
            if sub[0] == "privateendpointconnections":
                return self._arm_pec(rest[3] if len(rest) > 3 else None)
            if sub[0] in _SATELLITES:
                if sub[0] == "tasks" and sub[2:] == ["listdetails"] and self.method == "POST":
                    # az acr task update/show reads the task with its credentials through listDetails first
                    return _json(200, self._satellite_item(sub[0], rest[3]))
                return self._arm_satellite(sub[0], rest[3] if len(rest) > 3 else None)
            if sub[0] == "replications" and self.method == "GET":
                if len(rest) == 3:
                    return _json(200, {"value": list(st.replications.values())})
                rep = st.replications.get(rest[3])
                if rep is None:
                    raise ArmError(404, "ResourceNotFound", f"The resource {rest[3]} could not be found.")
                return _json(200, rep)
            raise ArmError(404, "InvalidResourceType", "The resource type could not be found.")

    def _registry_json(self) -> dict[str, Any]:
        st = self.state
        nrs: dict[str, Any] = {"defaultAction": st.network_default_action,
                               "ipRules": [{"action": "Allow", "value": v} for v in st.ip_rules]}
        if st.virtual_network_rules:
            nrs["virtualNetworkRules"] = [{"action": "Allow", "id": v} for v in st.virtual_network_rules]
        props: dict[str, Any] = {
            "loginServer": self.h.server.owner.login_server_for(st.name, self.host),
            "creationDate": st.creation_date, "provisioningState": "Succeeded",
            "adminUserEnabled": st.admin_user_enabled, "networkRuleSet": nrs, "policies": st.policies,
            "encryption": {"status": "disabled"}, "dataEndpointEnabled": st.data_endpoint_enabled,
            "dataEndpointHostNames": st.data_endpoint_host_names,
            "privateEndpointConnections": list(st.private_endpoint_connections.values()),
            "publicNetworkAccess": st.public_network_access,
            "networkRuleBypassOptions": st.network_rule_bypass_options,
            "zoneRedundancy": st.zone_redundancy, "anonymousPullEnabled": st.anonymous_pull_enabled,
        }
        if st.role_assignment_mode:
            props["roleAssignmentMode"] = st.role_assignment_mode
        system = {"createdBy": "fake-user@example.com", "createdByType": "User", "createdAt": st.creation_date,
                  "lastModifiedBy": "fake-user@example.com", "lastModifiedByType": "User",
                  "lastModifiedAt": st.creation_date}
        return {"sku": {"name": st.sku, "tier": st.sku}, "type": "Microsoft.ContainerRegistry/registries",
                "id": st.resource_id, "name": st.name, "location": st.location, "tags": dict(st.tags),
                "systemData": system, "properties": props}

    def _usages(self) -> list[dict[str, Any]]:
        st = self.state
        limit = st.size_limit if st.size_limit is not None else SKU_SIZE_LIMITS.get(st.sku, SKU_SIZE_LIMITS["Standard"])
        counts = {**st.usage_counts, "Geo-replications": len(st.replications), "IPRules": len(st.ip_rules),
                  "VNetRules": len(st.virtual_network_rules),
                  "PrivateEndpointConnections": len(st.private_endpoint_connections)}
        rows = [{"name": "Size", "limit": limit, "currentValue": st.reported_size(), "unit": "Bytes"}]
        if st.maximum_storage_capacity is not None:
            # Azure/azure-cli#32263: listUsages gained MaximumStorageCapacity next to Size (row shape not verified).
            rows.append({"name": "MaximumStorageCapacity", "limit": st.maximum_storage_capacity,
                         "currentValue": st.maximum_storage_capacity, "unit": "Bytes"})
        limits = {"Webhooks": 500, "Geo-replications": -1, "IPRules": 100, "VNetRules": 100,
                  "PrivateEndpointConnections": 200, "ScopeMaps": 50000, "Tokens": 50000}
        for name, lim in limits.items():
            rows.append({"name": name, "limit": lim, "currentValue": counts.get(name, 0), "unit": "Count"})
        return rows

    def _arm_registry(self) -> _Response:
        st = self.state
        if self.method == "GET":
            return _json(200, self._registry_json())
        if self.method == "PATCH":
            self._check_locks(write=True)
            try:
                doc = json.loads(self.body or b"{}")
            except ValueError as e:
                raise ArmError(400, "InvalidRequestContent", "The request content was invalid.") from e
            _apply_registry_patch(st, doc)
            return _json(200, self._registry_json())
        if self.method == "DELETE":
            self._check_locks(write=False)
            if st.private_endpoint_connections:
                # Modelled from documentation only: the support article ("Issue 2") says the delete fails while
                # private endpoints are attached; no recording shows ARM's real status or body.
                names = ", ".join(sorted(st.private_endpoint_connections))
                raise ArmError(409, "RegistryDeletionBlockedByPrivateEndpoints",
                               f"Registry '{st.name}' cannot be deleted because it has private endpoint "
                               f"connections: {names}. Delete the private endpoint connections first.")
            st.deleted = True
            # Both recorded registry deletes (CLI 2023, 2025) answered 200 with an empty body; the SDK also
            # accepts 202 + Location, which ``registry_delete_lro`` turns on to exercise the poller.
            return self._lro("registries") if st.registry_delete_lro else _Response(200)
        raise ArmError(405, "MethodNotAllowed", "The method is not allowed.")

    def _arm_pec(self, name: str | None) -> _Response:
        st = self.state
        if name is None:
            if self.method != "GET":
                raise ArmError(405, "MethodNotAllowed", "The method is not allowed.")
            return _json(200, {"value": list(st.private_endpoint_connections.values())})
        pec = st.private_endpoint_connections.get(name)
        if self.method == "GET":
            if pec is None:
                raise ArmError(404, "ResourceNotFound", f"The resource {name} could not be found.")
            return _json(200, pec)
        if self.method == "DELETE":
            self._check_locks(write=False, what=f"{st.resource_id}/privateEndpointConnections/{name}")
            if pec is None:
                return _Response(204, headers={"x-ms-warning": "The private endpoint connection does not exist."})
            del st.private_endpoint_connections[name]
            return self._lro("privateendpointconnections")
        raise ArmError(405, "MethodNotAllowed", "The method is not allowed.")

    def _check_locks(self, write: bool, what: str | None = None) -> None:
        """ARM refuses a delete under any lock and a write under a ReadOnly lock with 409 ``ScopeLocked``.

        The delete message follows ARM's recorded wording (Azure/apiops#606 quotes the whole body:
        ``{"error":{"code":"ScopeLocked","message":"The scope '…' cannot perform delete operation because following
        scope(s) are locked: '…'. Please remove the lock and try again."}}``); the write wording is the same with
        "write" (by analogy, not verified).
        """
        st = self.state
        lock = st.blocking_lock(write)
        if lock is None:
            return
        verb = "write" if write else "delete"
        raise ArmError(409, "ScopeLocked",
                       f"The scope '{what or st.resource_id}' cannot perform {verb} operation because following "
                       f"scope(s) are locked: '{st.scope_id(lock['scope'])}'. Please remove the lock and try again.")

    def _arm_authorization(self) -> _Response:
        """Microsoft.Authorization at any scope: locks, role assignments (``assignedTo()``), role definitions."""
        st = self.state
        low = self.path.lower()
        cut = low.index("/providers/microsoft.authorization/")
        scope, tail = self.path[:cut], low[cut + len("/providers/microsoft.authorization/"):].strip("/").split("/")
        if self.method == "DELETE" and len(tail) == 2 and tail[0] == "locks":
            return self._delete_lock(scope, id_name(self.path))
        if self.method == "PUT" and len(tail) == 2 and tail[0] == "roleassignments":
            return self._put_role_assignment(scope, id_name(self.path))
        if self.method != "GET":
            raise ArmError(405, "MethodNotAllowed", "The method is not allowed.")
        if tail == ["locks"]:
            return _json(200, {"value": st.locks_at(scope)})
        if tail == ["roleassignments"]:
            m = re.search(r"assignedTo\('([^']*)'\)", self.query.get("$filter", ""), re.IGNORECASE)
            return _json(200, {"value": st.role_assignments_at(scope, m.group(1) if m else None)})
        if tail == ["roledefinitions"]:
            # az role assignment create --role NAME: roleDefinitions?$filter=roleName eq 'NAME' at the scope
            m = re.search(r"roleName\s+eq\s+'([^']*)'", self.query.get("$filter", ""), re.IGNORECASE)
            if m is not None:
                st.define_builtin_role(m.group(1))
            found = [d for d in st.role_definitions.values()
                     if m is None or d["properties"]["roleName"].lower() == m.group(1).lower()]
            return _json(200, {"value": found})
        if len(tail) == 2 and tail[0] == "roledefinitions":
            d = st.role_definitions.get(tail[1])
            if d is None:
                # Code as ARM documents it for an unknown role definition (not from a recording).
                raise ArmError(404, "RoleDefinitionDoesNotExist", "The specified role definition with ID "
                               f"'{tail[1]}' does not exist.")
            return _json(200, d)
        raise ArmError(404, "InvalidResourceType", "The resource type could not be found.")

    def _patch_task(self, name: str) -> _Response:
        """``az acr task update``: PATCH tasks/{name} with TaskUpdateParameters, merged into the task as ARM merges a
        PATCH (objects key by key, everything else replaced); 200 with the task. A ReadOnly lock refuses it."""
        st = self.state
        task = self._satellite_item("tasks", name)
        self._check_locks(write=True, what=task.get("id"))
        doc = json.loads(self.body or b"{}") or {}
        with st.lock:
            _merge(task, {k: v for k, v in doc.items() if k in ("properties", "identity", "tags")})
        return _json(200, task)

    def _put_role_assignment(self, scope: str, name: str) -> _Response:
        """``az role assignment create``: PUT roleAssignments/{new guid} at the scope (Azure RBAC REST reference).

        201 with the assignment; the same principal, role and scope again is 409 ``RoleAssignmentExists``, which az
        turns into a listing (azure-cli role ``custom.py``); an unknown role definition is 400
        ``RoleDefinitionDoesNotExist`` (code as documented; status not verified). A lock does not stop it here.
        """
        st = self.state
        props = (json.loads(self.body or b"{}") or {}).get("properties") or {}
        rd_id, principal = str(props.get("roleDefinitionId") or ""), str(props.get("principalId") or "")
        guid = id_name(rd_id).lower()
        if not principal or guid not in st.role_definitions:
            raise ArmError(400, "RoleDefinitionDoesNotExist" if principal else "InvalidPrincipalId",
                           f"The role definition '{rd_id}' or principal '{principal}' is not valid.")
        for ra in st.role_assignments:
            p = ra["properties"]
            if (id_key(p["scope"]), p["principalId"], id_name(p["roleDefinitionId"]).lower()) == \
                    (id_key(scope), principal, guid):
                raise ArmError(409, "RoleAssignmentExists", "The role assignment already exists.")
        with st.lock:
            ra = st.add_role_assignment(principal, rd_id, scope=scope,
                                        principal_type=str(props.get("principalType") or "User"),
                                        condition=props.get("condition"),
                                        condition_version=props.get("conditionVersion"),
                                        assignment_id=f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}")
        ra["name"] = name
        return _json(201, ra)

    def _delete_lock(self, scope: str, name: str) -> _Response:
        """``az lock delete``: 200 when the lock was there, 204 when not (ARM locks REST reference, 2016-09-01);
        404 for a scope other than the three the fake serves. No lock refuses deleting a lock."""
        st = self.state
        if id_key(scope) not in {id_key(st.scope_id(s)) for s in ("registry", "resourceGroup", "subscription")}:
            raise ArmError(404, "ResourceNotFound", f"The scope '{scope}' could not be found.")
        return _Response(200) if st.delete_lock(scope, name) else _Response(204)

    def _delete_child(self, kind: str, name: str) -> _Response:
        """DELETE of a connected registry, token, scope map or cache rule: refused under any lock (409
        ``ScopeLocked``), a sync token while its connected registry exists (409, docs; code not verified), 204 when
        absent, else an LRO."""
        st = self.state
        items: dict[str, dict[str, Any]] = getattr(st, _SATELLITES[kind])
        self._check_locks(write=False, what=(items.get(name) or {}).get("id") or f"{st.resource_id}/{kind}/{name}")
        if kind == "tokens" and name in items and st.sync_token_of(name) is not None:
            # overview-connected-registry-access.md: "The sync token cannot be deleted until the connected registry
            # associated with the token is deleted."
            raise ArmError(409, "Conflict", f"The token '{name}' is the sync token of connected registry "
                           f"'{st.sync_token_of(name)['name']}'. Delete the connected registry first.")
        if not st.delete_child(kind, name):
            return _Response(204)
        return self._lro(kind)

    def _satellite_item(self, kind: str, name: str) -> dict[str, Any]:
        items: dict[str, dict[str, Any]] = getattr(self.state, _SATELLITES[kind])
        item = items.get(name)
        if item is None:
            raise ArmError(404, "ResourceNotFound", f"The resource {name} could not be found.")
        return item

    def _arm_satellite(self, kind: str, name: str | None) -> _Response:
        """Tokens, scope maps, tasks, cache rules and connected registries: list and get; connected registries,
        tokens, scope maps and cache rules also DELETE."""
        if self.method == "DELETE" and name is not None and kind in _DELETABLE:
            return self._delete_child(kind, name)
        if self.method == "PATCH" and name is not None and kind == "tasks":
            return self._patch_task(name)
        if self.method != "GET":
            raise ArmError(405, "MethodNotAllowed", "The method is not allowed.")
        if name is None:
            return _json(200, {"value": list(getattr(self.state, _SATELLITES[kind]).values())})
        return _json(200, self._satellite_item(kind, name))

    def _lro(self, kind: str) -> _Response:
        """202 + absolute Location; the first poll answers 202 again, the second 200 (notes §b, §3.1)."""
        op = f"{kind}-{uuid.uuid4()}"
        self.state._operations[op] = 1
        loc = (f"https://{self.host}/subscriptions/{self.state.subscription_id}/providers/"
               f"Microsoft.ContainerRegistry/locations/{self.state.location.upper()}/operationResults/{op}"
               f"?api-version={self.query.get('api-version', '2025-11-01')}")
        return _Response(202, b"", {"Location": loc, "Retry-After": str(self.h.server.owner.lro_retry_after)})

    def _arm_operation(self, op: str) -> _Response:
        remaining = self.state._operations.get(op)
        if remaining is None:
            raise ArmError(404, "ResourceNotFound", f"The operation {op} could not be found.")
        if remaining > 0:
            self.state._operations[op] = remaining - 1
            return _Response(202, b"", {"Location": f"https://{self.host}{self.h.path}",
                                        "Retry-After": str(self.h.server.owner.lro_retry_after)})
        return _Response(200)


# ---------------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------------

_ROUTES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^/v2/?$"), "base"),
    (re.compile(r"^/acr/v1/_deleted/_catalog$"), "deleted_catalog"),
    (re.compile(r"^/acr/v1/_deleted/(?P<repo>.+)/_manifests$"), "deleted_manifests"),
    (re.compile(r"^/acr/v1/_deleted/(?P<repo>.+)/_tags$"), "deleted_tags"),
    (re.compile(r"^/acr/v1/_catalog$"), "catalog"),
    (re.compile(r"^/v2/_catalog$"), "catalog_v2"),
    (re.compile(r"^/acr/v1/(?P<repo>.+)/_tags/(?P<tag>[^/]+)$"), "tag"),
    (re.compile(r"^/acr/v1/(?P<repo>.+)/_tags$"), "tags"),
    (re.compile(r"^/acr/v1/(?P<repo>.+)/_manifests/(?P<ref>[^/]+)$"), "manifest_attrs"),
    (re.compile(r"^/acr/v1/(?P<repo>.+)/_manifests$"), "manifests"),
    (re.compile(r"^/acr/v1/(?P<repo>[^_].*)$"), "repo"),
    (re.compile(r"^/v2/(?P<repo>.+)/tags/list$"), "tags_list"),
    (re.compile(r"^/v2/(?P<repo>.+)/manifests/(?P<ref>[^/]+)$"), "manifest"),
    (re.compile(r"^/v2/(?P<repo>.+)/blobs/uploads/?(?P<upload>[^/]*)$"), "upload"),
    (re.compile(r"^/v2/(?P<repo>.+)/blobs/(?P<digest>[^/]+)$"), "blob"),
    (re.compile(r"^/v2/(?P<repo>.+)/referrers/(?P<digest>[^/]+)$"), "referrers"),
]


#: Registry sub-resources the fake lists and gets, by lower-cased ARM type segment: the FakeRegistry attribute.
_SATELLITES = {"tokens": "registry_tokens", "scopemaps": "scope_maps", "tasks": "tasks", "cacherules": "cache_rules",
               "connectedregistries": "connected_registries"}
#: The ones a DELETE removes (what ``az acr connected-registry delete --cleanup`` deletes).
#: az acr cache delete is CacheRules.begin_delete, an LRO like the others (azure-mgmt-containerregistry); locks
#: refuse it as they refuse any child delete (not verified on a real registry for cache rules).
_DELETABLE = frozenset({"connectedregistries", "tokens", "scopemaps", "cacherules"})


def _route(method: str, path: str) -> tuple[str | None, dict[str, str]]:
    for rx, name in _ROUTES:
        m = rx.match(path)
        if m:
            repo = m.groupdict().get("repo")
            if repo is not None and (repo.startswith("_") or "/_" in repo):
                return None, {}  # ACR extension paths the fake does not implement (_streaming, _deleted, ...)
            if name == "catalog_v2":
                return "catalog", {"v2": True}  # type: ignore[dict-item]
            return name, m.groupdict()
    return None, {}


def _scope_for(route: str, params: Mapping[str, Any], method: str) -> tuple[str | None, str | None]:
    """The token scope ACR's challenge names for a request, and the action checked against it."""
    if route == "base":
        return None, None
    if route == "catalog":
        return "registry:catalog:*", "*"
    if route == "deleted_catalog":
        return "registry:deleted_catalog:*", "*"  # scope per notes acr-wire-behaviour §b (az repository list-deleted)
    repo = params["repo"]
    if route in ("deleted_manifests", "deleted_tags"):
        return f"repository:{repo}:deleted_read", "deleted_read"  # azure-cli RepoAccessTokenPermission.DELETED_READ
    if method == "DELETE" and route in ("repo", "tag", "manifest", "blob"):
        action = "delete"
    elif route in ("repo", "tag", "tags", "manifests", "manifest_attrs"):
        action = "metadata_write" if method == "PATCH" else "metadata_read"
    elif method in ("GET", "HEAD"):
        action = "pull"
    else:
        return f"repository:{repo}:pull,push", "push"
    return f"repository:{repo}:{action}", action


def _scope_covers(granted: str, required: str) -> bool:
    def parse(s: str) -> dict[tuple[str, str], set[str]]:
        out: dict[tuple[str, str], set[str]] = {}
        for part in s.split(" "):
            bits = part.split(":")
            if len(bits) >= 3:
                out.setdefault((bits[0], ":".join(bits[1:-1])), set()).update(bits[-1].split(","))
        return out

    have = parse(granted)
    for key, actions in parse(required).items():
        got = have.get(key, set())
        if "*" not in got and not actions <= got:
            return False
    return True


def _basic_pair(auth: str) -> tuple[str, str]:
    """User name and password of an ``Authorization: Basic …`` header; empty strings when it does not decode."""
    try:
        user, _, password = base64.b64decode(auth[len("Basic "):].strip(), validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return "", ""
    return user, password


def _detail_for(scope: str | None) -> Any:
    if not scope:
        return None
    kind, _, rest = scope.partition(":")
    name, _, actions = rest.rpartition(":")
    return [{"Type": kind, "Name": name, "Action": a} for a in actions.split(",")]


def _flags(body: bytes) -> dict[str, bool]:
    try:
        doc = json.loads(body or b"{}")
    except ValueError as e:
        raise AcrError(400, "INVALID_REQUEST", "invalid JSON body") from e
    keys = ("deleteEnabled", "writeEnabled", "readEnabled", "listEnabled")
    return {k: bool(doc[k]) for k in keys if k in doc and doc[k] is not None}


def _ordered(items: list[Any], orderby: str | None, name_key: Any) -> list[Any]:
    if orderby == "timedesc":
        return sorted(items, key=lambda i: (i.updated, name_key(i)), reverse=True)
    if orderby == "timeasc":
        return sorted(items, key=lambda i: (i.updated, name_key(i)))
    return sorted(items, key=name_key)


def _unsupported() -> AcrError:
    return AcrError(405, "UNSUPPORTED", "The operation is unsupported.")


def _merge(into: dict[str, Any], patch: Mapping[str, Any]) -> None:
    """A JSON merge patch without deletions: objects merged key by key, other values (lists too) replaced."""
    for key, value in patch.items():
        if value is None:
            continue
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = json.loads(json.dumps(value))


def _check_ip_rules(doc: Mapping[str, Any]) -> None:
    """An IP rule must be an IPv4 address or range: a printed rule whose IP lookup failed arrives empty, and must
    change nothing (ARM validates the value; its exact status and code are not verified on a real registry)."""
    nrs = (doc.get("properties") or {}).get("networkRuleSet") or {}
    for rule in nrs.get("ipRules") or []:
        value = rule.get("value") or rule.get("ipAddressOrRange") if isinstance(rule, Mapping) else None
        try:
            ok = isinstance(value, str) and ipaddress.ip_network(value, strict=False).version == 4
        except ValueError:
            ok = False
        if not ok:
            raise ArmError(400, "BadRequest",
                           f"The IP rule value '{value or ''}' is not a valid IPv4 address or range.")


def _apply_registry_patch(st: FakeRegistry, doc: Mapping[str, Any]) -> None:
    _check_ip_rules(doc)
    sku = (doc.get("sku") or {}).get("name")
    if sku:
        st.sku = sku
    if isinstance(doc.get("tags"), dict):
        st.tags = {str(k): str(v) for k, v in doc["tags"].items()}
    props = doc.get("properties") or {}
    if "publicNetworkAccess" in props:
        st.public_network_access = props["publicNetworkAccess"]
    nrs = props.get("networkRuleSet")
    if nrs:
        st.network_default_action = nrs.get("defaultAction", st.network_default_action)
        if "ipRules" in nrs:
            st.ip_rules = [r.get("value") or r.get("ipAddressOrRange") for r in nrs["ipRules"] or []]
        if "virtualNetworkRules" in nrs:
            st.virtual_network_rules = [r.get("id") for r in nrs["virtualNetworkRules"] or []]
    for key, attr in (("adminUserEnabled", "admin_user_enabled"), ("anonymousPullEnabled", "anonymous_pull_enabled"),
                      ("dataEndpointEnabled", "data_endpoint_enabled"),
                      ("networkRuleBypassOptions", "network_rule_bypass_options"),
                      ("roleAssignmentMode", "role_assignment_mode")):
        if key in props:
            setattr(st, attr, props[key])
    for name, pol in (props.get("policies") or {}).items():
        if isinstance(pol, dict):
            st.policies.setdefault(name, {}).update({k: v for k, v in pol.items() if v is not None})


__all__ = ["FakeAcrServer", "RequestRecord", "serve_fake_acr"]
