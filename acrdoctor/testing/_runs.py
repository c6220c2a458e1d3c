"""ACR Tasks quick runs as ``az acr run --cmd "acr purge …" /dev/null`` drives them: scheduleRun, runs, the log blob.

Why: acrdoctor prints its purge fixes as ``az acr run … --cmd "acr purge …" /dev/null``, and the end-to-end proof
(issue 15) runs every printed fix with the real Azure CLI against the fake. What az 2.91 sends (azure-cli
``acr/run.py`` and ``_stream_utils.py``, azure-mgmt-containerregistrytasks 1.0.0b1, api-version 2025-03-01-preview):

1. ``POST …/registries/{name}/scheduleRun`` with an ``EncodedTaskRunRequest``: ``encodedTaskContent`` is base64 of
   ``version: v1.1.0`` / ``steps:`` / ``- cmd: <the --cmd text>`` (``get_yaml_template``). The SDK's ``schedule_run``
   is not a long-running operation: it accepts 200 and a ``Run`` only. The fake executes the run before answering,
   so that ``Run`` is already finished.
2. ``POST …/runs/{runId}/listLogSasUrl`` → ``{"logLink": …}``.
3. The log, read with azure-storage-blob from that URL: ``exists``/``get_blob_properties`` (HEAD) for the size and
   the metadata, then ranged GETs of 4 KiB until the size is read and metadata ``Complete`` is set; its value is the
   run's status, and az exits non-zero when it is ``Failed``. The blob is served by this same server under
   :data:`LOG_ROOT`, a path that is neither the data plane's (``/v2``, ``/acr``, ``/oauth2``) nor ARM's; the storage
   client reads ``https://127.0.0.1:PORT/<account>/<container>/<blob>`` path-style, as it does for Azurite.

``GET …/runs/{runId}`` (``az acr run --no-logs`` polls it) and ``GET …/runs`` are answered too.

The run itself: each ``cmd:`` step must be an ``acr purge`` command. It is parsed and its selection computed by
acrdoctor's own pre-flight (:func:`acrdoctor.preflight.commands.parse_command`,
:func:`acrdoctor.preflight.purge.select_purge`) over a snapshot of the fake's state at the fake's clock, then each
selected tag and manifest is deleted through the state's own ``delete_tag``/``delete_manifest``, so locks, soft
delete, orphaning and reclaim bookkeeping behave exactly as for a data-plane DELETE. **This is the one place the
fake imports code of the clients it tests** (the package rule in ``acrdoctor/testing/__init__.py``): issue 15 asks
for the project's own purge selection here, because re-implementing acr purge a second time inside the fake would
only add a second copy to keep in step. The import is lazy, so serving the fake without runs loads none of it.
What this proves is therefore that the printed *command* reaches the registry and does what the pre-flight says;
the pre-flight's fidelity to acr-cli is tested on its own (tests/preflight).

The run's identity is the registry's own: it may delete whatever the registry allows. Locks still refuse (405,
logged as skipped, as acr purge does), locked tags and manifests are left out by the selection unless
``--include-locked`` (which unlocks them first, as acr purge does), and ``denied_actions``/throttles, which model
callers of the data plane, do not apply. The log lines follow acr purge's output as the notes record it
(acr-semantics notes §2.5, from Azure/acr-cli ``cmd/acr/purge.go``, ``internal/worker/purger.go``); the run's own
first and last lines are the fake's wording.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from acrdoctor.model import Attributes, Manifest, Registry, Repository, Snapshot, Tag
from acrdoctor.testing._state import AcrError, ArmError, FakeRegistry, FakeRepository, now_iso

if TYPE_CHECKING:
    from acrdoctor.preflight.model import PurgeRequest, Selection

#: Where run logs are served: the path-style storage "account" segment. It cannot clash with a data-plane path
#: (those start with /v2, /acr or /oauth2) nor with ARM's (/subscriptions, /providers, /tenants …).
LOG_ROOT = "/acrdoctor-run-logs"
#: The blob name inside a run's container (the fake's choice: az reads whatever URL listLogSasUrl gives).
LOG_BLOB = "rawtext.log"
#: The storage service version the fake announces (the one azure-storage-blob 12.29 sends is echoed when present).
_STORAGE_VERSION = "2025-01-05"

_RUNS: weakref.WeakKeyDictionary[FakeRegistry, dict[str, FakeRun]] = weakref.WeakKeyDictionary()


@dataclass
class FakeRun:
    """One finished run: what ``GET …/runs/{id}`` shows and the bytes of its log blob."""

    run_id: str
    status: str  # Succeeded | Failed
    created: str
    finished: str
    platform: dict[str, Any]
    log: bytes
    #: The SAS ``sig`` its log link carries; a blob request without it is refused as storage refuses a bad SAS.
    sig: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    error: str | None = None

    def json(self, st: FakeRegistry) -> dict[str, Any]:
        """The ARM ``Run`` resource (shape from azure-mgmt-containerregistrytasks ``Run``/``RunProperties``)."""
        props: dict[str, Any] = {
            "runId": self.run_id, "status": self.status, "runType": "QuickRun", "createTime": self.created,
            "startTime": self.created, "finishTime": self.finished, "lastUpdatedTime": self.finished,
            "platform": self.platform, "agentConfiguration": {"cpu": 2}, "isArchiveEnabled": False,
            "provisioningState": "Succeeded",
        }
        if self.error:
            props["runErrorMessage"] = self.error
        return {"id": f"{st.resource_id}/runs/{self.run_id}", "name": self.run_id,
                "type": "Microsoft.ContainerRegistry/registries/runs", "properties": props}


def runs_of(st: FakeRegistry) -> dict[str, FakeRun]:
    """The runs of one registry state, oldest first (kept beside the state, not in it)."""
    return _RUNS.setdefault(st, {})


# -- ARM ---------------------------------------------------------------------------------------------------------


def runs_answer(st: FakeRegistry, method: str, sub: list[str], body: bytes, base_url: str,
                login_server: str) -> dict[str, Any] | None:
    """The JSON of ``scheduleRun``, ``runs``, ``runs/{id}`` and ``runs/{id}/listLogSasUrl``; None for other paths.

    ``sub`` is the path below ``registries/{name}`` (original case), ``base_url`` the scheme and host the client
    called (the log link points there), ``login_server`` the registry's as ARM reports it (for the log lines).
    """
    low = [s.lower() for s in sub]
    if low == ["schedulerun"] and method == "POST":
        return execute(st, body, login_server).json(st)
    if not low or low[0] != "runs":
        return None
    runs = runs_of(st)
    if low == ["runs"] and method == "GET":
        return {"value": [r.json(st) for r in reversed(runs.values())]}
    run = runs.get(sub[1]) if len(sub) > 1 else None
    if len(low) in (2, 3) and run is None:
        raise ArmError(404, "ResourceNotFound", f"The run '{sub[1]}' could not be found.")
    if len(low) == 2 and method == "GET" and run is not None:
        return run.json(st)
    if low[2:] == ["listlogsasurl"] and method == "POST" and run is not None:
        expiry = datetime.fromtimestamp(st.clock(), UTC) + timedelta(hours=1)
        sas = (f"sv={_STORAGE_VERSION}&sr=b&sp=r&se={quote(expiry.strftime('%Y-%m-%dT%H:%M:%SZ'))}"
               f"&sig={quote(run.sig)}")
        return {"logLink": f"{base_url}{LOG_ROOT}/{run.run_id}/{LOG_BLOB}?{sas}"}
    return None


def execute(st: FakeRegistry, body: bytes, login_server: str) -> FakeRun:
    """Run an ``EncodedTaskRunRequest`` to its end and keep it; any other request type is ARM's 400."""
    try:
        doc = json.loads(body or b"{}")
    except ValueError as e:
        raise ArmError(400, "InvalidRequestContent", "The request content was invalid.") from e
    kind = doc.get("type") if isinstance(doc, dict) else None
    if kind != "EncodedTaskRunRequest":
        # The code is the fake's (a real registry runs these); only the shape is ARM's.
        raise ArmError(400, "UnsupportedRunRequest",
                       f"The fake ACR runs only EncodedTaskRunRequest (az acr run --cmd … /dev/null, or -f FILE "
                       f"/dev/null); this request is {kind!r}.")
    with st.lock:
        runs = runs_of(st)
        run_id = f"cf{len(runs) + 1}"
        started = now_iso(st.clock())
        log = _Log(run_id)
        ok, error = _run_steps(st, run_id, str(doc.get("encodedTaskContent") or ""), login_server, log)
        status = "Succeeded" if ok else "Failed"
        log.line(f"Run ID: {run_id} {'succeeded' if ok else 'failed'} (acrdoctor fake ACR).")
        run = FakeRun(run_id, status, started, now_iso(st.clock()), dict(doc.get("platform") or {"os": "linux"}),
                      log.bytes(), error=error)
        runs[run_id] = run
        return run


# -- the run -----------------------------------------------------------------------------------------------------


class _Log:
    """The run log as az streams it: lines end in CRLF (az prints up to each ``\\r\\n`` it finds)."""

    def __init__(self, run_id: str) -> None:
        self.lines: list[str] = []
        self.run_id = run_id

    def line(self, text: str) -> None:
        self.lines.append(text)

    def bytes(self) -> bytes:
        return "".join(f"{t}\r\n" for t in self.lines).encode("utf-8")


_STEP = re.compile(r"^\s*(?:-\s+)?cmd:(?:\s+(?P<value>.*))?$")


def cmd_steps(yaml_text: str) -> list[str]:
    """The ``cmd:`` step values of a task YAML, each on one line, as YAML reads a plain or quoted scalar.

    Only the form ``az acr run --cmd`` writes (and one-line steps of ``-f FILE``) is read; a block scalar
    (``cmd: |``) raises ``ValueError``, which fails the run with the reason.
    """
    steps: list[str] = []
    for raw in yaml_text.splitlines():
        m = _STEP.match(raw)
        if not m:
            continue
        value = (m.group("value") or "").strip()
        if value[:1] in ("|", ">"):
            raise ValueError("the fake reads only one-line cmd: steps, not block scalars")
        if len(value) > 1 and value[0] == value[-1] == "'":
            value = value[1:-1].replace("''", "'")
        elif len(value) > 1 and value[0] == value[-1] == '"':
            value = json.loads(value)
        else:
            value = re.split(r"\s#", value, maxsplit=1)[0].rstrip()  # a plain scalar ends at " #"
        steps.append(value)
    return steps


def _run_steps(st: FakeRegistry, run_id: str, encoded: str, login_server: str, log: _Log) -> tuple[bool, str | None]:
    try:
        yaml_text = base64.b64decode(encoded, validate=True).decode("utf-8")
        steps = cmd_steps(yaml_text)
    except (ValueError, binascii.Error, UnicodeDecodeError) as e:
        return _fail(log, f"the task could not be read: {e}")
    if not steps:
        return _fail(log, "the task has no cmd: step")
    for n, cmd in enumerate(steps, 1):
        cmd = cmd.replace("{{.Run.Registry}}", login_server).replace("{{.Run.ID}}", run_id)
        log.line(f"Step {n} of {len(steps)}: {cmd}")
        ok, error = _purge_step(st, cmd, login_server, log)
        if not ok:
            return False, error
    return True, None


def _fail(log: _Log, reason: str) -> tuple[bool, str]:
    log.line(f"Error: {reason}")
    return False, reason


def _purge_step(st: FakeRegistry, cmd: str, login_server: str, log: _Log) -> tuple[bool, str | None]:
    # Lazy: the one import of client code in the fake (see the module docstring for why).
    from acrdoctor.errors import InputError
    from acrdoctor.preflight.commands import parse_command
    from acrdoctor.preflight.model import PurgeRequest
    from acrdoctor.preflight.purge import select_purge

    now = datetime.fromtimestamp(st.clock(), UTC)
    image = cmd.split(maxsplit=1)[0] if cmd.strip() else ""
    if image != "acr" and not re.fullmatch(r"(?:[\w.-]+/)*acr-cli(?::[\w.-]+)?", image):
        return _fail(log, f"the fake runs only acr purge steps (the acr alias or the acr-cli image), not {cmd!r}")
    try:
        request = parse_command(cmd)
        if not isinstance(request, PurgeRequest):  # not reached: only acr-cli commands get here
            return _fail(log, f"the fake runs only acr purge steps, not {cmd!r}")
        selection = select_purge(request, snapshot_of(st, login_server, now), now=now)
    except InputError as e:
        return _fail(log, str(e))
    return _apply(st, request, selection, login_server, log)


def _apply(st: FakeRegistry, request: PurgeRequest, selection: Selection, login: str,
           log: _Log) -> tuple[bool, str | None]:
    """Delete what the selection names, repository by repository (tags, then untagged manifests), as acr purge."""
    dry = request.dry_run
    if dry:
        log.line("DRY RUN: The following output shows what WOULD be deleted if the purge command was executed. "
                 "Nothing is deleted.")
    phases: list[tuple[str, str]] = []
    if not request.untagged_only:
        phases.append(("tags", ":"))
    if request.untagged or request.untagged_only:
        phases.append(("manifests", "@"))
    repos = sorted({t.repository for t in selection.untag} | {m.repository for m in selection.delete_manifests})
    counts = {"tags": 0, "manifests": 0}
    for repo in repos:
        for kind, sep in phases:
            log.line(f"{'Would delete' if dry else 'Deleting'} {kind} for repository: {repo}")
            for ref in _in_order(selection, kind, repo):
                shown = f"{login}/{repo}{sep}{ref}"
                if dry:
                    log.line(f"Would delete: {shown}")
                    counts[kind] += 1
                    continue
                counted, error = _delete(st, repo, kind, ref, shown, request.include_locked, log)
                if error is not None:
                    return _fail(log, error)
                counts[kind] += counted
    if dry:
        log.line(f"Number of tags to be deleted: {counts['tags']}")
        log.line(f"Number of manifests to be deleted: {counts['manifests']}")
    else:
        log.line(f"Number of deleted tags: {counts['tags']}")
        log.line(f"Number of deleted manifests: {counts['manifests']}")
    return True, None


def _in_order(selection: Selection, kind: str, repo: str) -> list[str]:
    """The selection's own order within a repository (newest first, as acr purge walks them)."""
    if kind == "tags":
        return [t.tag for t in selection.untag if t.repository == repo]
    return [m.digest for m in selection.delete_manifests if m.repository == repo]


def _delete(st: FakeRegistry, repo: str, kind: str, ref: str, shown: str, include_locked: bool,
            log: _Log) -> tuple[bool, str | None]:
    """One delete through the state, logged as acr purge's worker does: (counted as deleted, error ending the run).

    404 is logged as skipped but counted, 405 skipped and not counted, anything else ends the run (notes §2.3, §2.4).
    """
    target: dict[str, Any] = {"tag": ref} if kind == "tags" else {"digest": ref}
    try:
        if include_locked and _locked(st.repositories.get(repo), kind, ref):
            st.set_attributes(repo, **target, delete_enabled=True, write_enabled=True)
            log.line(f"Unlocked {shown}")
        if kind == "tags":
            st.delete_tag(repo, ref)
        else:
            st.delete_manifest(repo, ref)
    except AcrError as e:
        if e.status == 404:
            log.line(f"Skipped {shown}, HTTP status: 404")
            return True, None
        if e.status == 405:
            log.line(f"Skipped {shown}, operation not allowed, HTTP status: 405")
            return False, None
        log.line(f"Failed to delete {shown}, error: {e.status} {e.code}")
        return False, f"deleting {shown} failed with {e.status} {e.code}"
    log.line(f"Deleted {shown}")
    return True, None


def _locked(repo: FakeRepository | None, kind: str, ref: str) -> bool:
    if repo is None:
        return False
    item = repo.tags.get(ref) if kind == "tags" else repo.manifests.get(ref)
    return item is not None and not (item.attributes.get("deleteEnabled", True)
                                     and item.attributes.get("writeEnabled", True))


# -- the state as the pre-flight reads it ------------------------------------------------------------------------


def _attributes(flags: Mapping[str, bool]) -> Attributes:
    return Attributes(delete_enabled=flags.get("deleteEnabled", True), write_enabled=flags.get("writeEnabled", True),
                      read_enabled=flags.get("readEnabled", True), list_enabled=flags.get("listEnabled", True))


def snapshot_of(st: FakeRegistry, login_server: str, now: datetime) -> Snapshot:
    """What acr purge would read from the registry at ``now``: every repository with its manifests and tags."""
    repos: list[Repository] = []
    for r in sorted(st.repositories.values(), key=lambda x: x.name):
        manifests = tuple(
            Manifest(m.digest, media_type=m.media_type, image_size=m.image_size, created=m.created,
                     updated=m.updated, tags=tuple(r.tags_of(m.digest)), attributes=_attributes(m.attributes),
                     references=tuple(str(d.get("digest")) for d in m.references), subject=m.subject)
            for m in r.manifests.values())
        tags = tuple(Tag(t.name, t.digest, t.created, t.updated, _attributes(t.attributes)) for t in r.tags.values())
        repos.append(Repository(r.name, created=r.created, updated=r.updated, manifest_count=len(manifests),
                                tag_count=len(tags), attributes=_attributes(r.attributes), manifests=manifests,
                                tags=tags))
    registry = Registry(st.name, login_server, sku=st.sku, id=st.resource_id, resource_group=st.resource_group,
                        subscription_id=st.subscription_id)
    return Snapshot(registry=registry, collected_at=now.isoformat(), source="fake-acr-run",
                    repositories=tuple(repos))


# -- the log blob ------------------------------------------------------------------------------------------------


def is_log_path(path: str) -> bool:
    return path.startswith(LOG_ROOT + "/")


def _storage_error(status: int, code: str, message: str, extra: Mapping[str, str] | None = None,
                   head: bool = False) -> tuple[int, bytes, dict[str, str]]:
    """Blob storage's error: XML body and ``x-ms-error-code`` (a HEAD gets the header only, as storage answers)."""
    body = b"" if head else (f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code>'
                             f"<Message>{message}</Message></Error>").encode()
    headers = {"x-ms-error-code": code, **(extra or {})}
    if body:
        headers["Content-Type"] = "application/xml"
    return status, body, headers


def log_blob_answer(st: FakeRegistry, method: str, path: str, query: Mapping[str, str],
                    headers: Mapping[str, str]) -> tuple[int, bytes, dict[str, str]]:
    """HEAD and GET (whole or ``x-ms-range``/``Range``) of a run's log blob: status, body, headers.

    Headers are the ones azure-storage-blob reads: size from ``Content-Length`` (HEAD) or ``Content-Range``
    (206), metadata from ``x-ms-meta-*`` (``Complete`` = the run's status, which az's log streamer waits for),
    ``x-ms-blob-type``, ``ETag`` and ``Last-Modified``.
    """
    head = method == "HEAD"
    parts = path[len(LOG_ROOT) + 1:].split("/")
    run = runs_of(st).get(parts[0]) if len(parts) == 2 and parts[1] == LOG_BLOB else None
    if method not in ("GET", "HEAD"):
        return _storage_error(405, "UnsupportedHttpVerb", "The resource doesn't support specified Http Verb.",
                              head=head)
    if run is None:
        return _storage_error(404, "BlobNotFound", "The specified blob does not exist.", head=head)
    if query.get("sig") != run.sig:
        return _storage_error(403, "AuthenticationFailed", "Server failed to authenticate the request.", head=head)
    size = len(run.log)
    finished = datetime.fromisoformat(run.finished)
    common = {"x-ms-blob-type": "AppendBlob", "ETag": f'"0x{hashlib.sha256(run.log).hexdigest()[:16].upper()}"',
              "Last-Modified": format_datetime(finished, usegmt=True), "Accept-Ranges": "bytes",
              "x-ms-version": headers.get("x-ms-version") or _STORAGE_VERSION, "x-ms-meta-Complete": run.status,
              "Content-Type": "text/plain; charset=utf-8"}
    wanted = headers.get("x-ms-range") or headers.get("Range")
    if head or not wanted:
        return 200, b"" if head else run.log, {**common, "Content-Length": str(size)}
    m = re.fullmatch(r"bytes=(\d+)-(\d*)", wanted.strip())
    if m is None:
        return 200, run.log, {**common, "Content-Length": str(size)}
    start = int(m.group(1))
    end = min(int(m.group(2)) if m.group(2) else size - 1, size - 1)
    if start >= size:
        return _storage_error(416, "InvalidRange", "The range specified is invalid for the current size of the "
                              "resource.", {"Content-Range": f"bytes */{size}"})
    chunk = run.log[start:end + 1]
    return 206, chunk, {**common, "Content-Length": str(len(chunk)), "Content-Range": f"bytes {start}-{end}/{size}"}


__all__ = ["LOG_BLOB", "LOG_ROOT", "FakeRun", "cmd_steps", "execute", "is_log_path", "log_blob_answer", "runs_answer",
           "runs_of", "snapshot_of"]
