"""Waiting for a throttled Azure: capped, announced on stderr, and a stop (exit 3) past the cap."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import acrdoctor.azure.session as session
from acrdoctor.azure.waits import Waits, WaitTooLong
from acrdoctor.builder import SnapshotBuilder
from acrdoctor.cli import cli
from acrdoctor.testing import AsyncFakeCredential, FakeCredential, FakeRegistry, Throttle, serve_fake_acr


def test_a_wait_past_the_cap_is_refused_without_sleeping() -> None:
    slept: list[float] = []
    said: list[str] = []
    waits = Waits(max_wait=120, sleep=slept.append, say=said.append)
    with pytest.raises(WaitTooLong) as caught:
        waits.wait(3600, "ACR answered 429 TOOMANYREQUESTS for GET /acr/v1/_catalog (Retry-After 3600)")
    assert slept == [] and said == []
    assert "not waiting 3600 s" in str(caught.value) and "--max-wait 120 s" in str(caught.value)


def test_a_wait_under_the_cap_says_what_it_waits_for_and_sleeps() -> None:
    slept: list[float] = []
    said: list[str] = []
    waits = Waits(max_wait=120, sleep=slept.append, say=said.append)
    waits.wait(30, "ACR answered 429 TOOMANYREQUESTS for DELETE /acr/v1/web (Retry-After 30)")
    waits.wait(1, "a short pause")
    assert slept == [30, 1]
    assert said == ["waiting 30 s: ACR answered 429 TOOMANYREQUESTS for DELETE /acr/v1/web (Retry-After 30)"]


def test_retry_after_an_hour_stops_a_collection_with_exit_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    b = SnapshotBuilder(sku="Standard")
    for r in range(8):
        b.repository(f"team/app{r}").image(["v1"], layers=[(f"l{r}", 10)])
    snap = b.build()
    state = FakeRegistry.from_snapshot(snap)
    # One read an hour after a burst of four: the fifth read is told Retry-After 3600.
    state.throttle = Throttle(read_per_minute=1 / 60, write_per_minute=None, delete_per_minute=None, burst=4)
    monkeypatch.setattr(session, "credentials", lambda opts: (FakeCredential(), AsyncFakeCredential()))
    reg = snap.registry
    with serve_fake_acr(state, port=0) as srv:
        started = time.monotonic()
        result = CliRunner().invoke(cli, [
            "diagnose", "--registry", reg.name, "--subscription", reg.subscription_id or "", "-g",
            reg.resource_group or "", "--arm-endpoint", srv.arm_endpoint, "--ca-file", srv.ca_pem, "--no-cache",
            "--quiet"])
        elapsed = time.monotonic() - started
        throttled = [r for r in srv.requests if r.status == 429]
    assert result.exit_code == 3, result.output
    assert elapsed < 30
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("acrdoctor: error: not waiting 3600 s: ACR answered 429"), lines
    assert "(Retry-After 3600)" in lines[0] and "--max-wait 120 s" in lines[0]
    # The scan stopped together: no worker went on asking after the refusal (at most the requests in flight).
    assert 1 <= len(throttled) <= 16


class _Body:
    def __init__(self, text: str) -> None:
        self._text = text

    def text(self) -> str:
        return self._text


@pytest.mark.parametrize(("body", "code"), [
    ('{"errors":[{"code":"TOOMANYREQUESTS","message":"too many requests"}]}', "TOOMANYREQUESTS"),
    ('{"error":{"code":"TooManyRequests","message":"…"}}', "TooManyRequests"),
    ('{"errors":[{"code":"\\u001b[2J fake"}]}', None),
    ("not json", None),
])
def test_only_a_code_shaped_error_code_reaches_the_wait_message(body: str, code: str | None) -> None:
    from acrdoctor.azure.failures import error_code

    assert error_code(_Body(body)) == code
