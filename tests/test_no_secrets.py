"""Cassettes, snapshots and bundled data never hold a token, password or refresh token."""

from __future__ import annotations

from pathlib import Path

import pytest

from acrdoctor.redact import find_secrets

ROOT = Path(__file__).resolve().parent.parent
STORED = ("cassettes", "acrdoctor/data", "tests")
SUFFIXES = {".json", ".yaml", ".yml", ".jsonl", ".txt"}


def stored_files() -> list[Path]:
    files = []
    for top in STORED:
        for p in sorted((ROOT / top).rglob("*")):
            if p.is_file() and p.suffix in SUFFIXES and "plugin_fixture" not in p.parts:
                files.append(p)
    return files


def test_there_are_stored_files_to_scan() -> None:
    assert any(p.name == "demo-snapshot.json" for p in stored_files()), "the demo snapshot should be scanned"


@pytest.mark.parametrize("path", stored_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_stored_file_has_no_credentials(path: Path) -> None:
    assert find_secrets(path.read_text("utf-8", errors="replace")) == []


@pytest.mark.parametrize(
    "text",
    [
        '{"refresh_token": "abcd1234efgh"}',
        "grant_type=refresh_token&service=x.azurecr.io&access_token=eyJhbGciOi.eyJzdWIiOiJ4.sig",
        "Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123",
        "password=hunter2hunter2",
        "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJBenVyZSJ9.c2lnbmF0dXJl",
        # the fake ACR's tokens (acrdoctor.testing): an unscrubbed cassette recorded from it holds these
        "authorization:\n- Bearer fake-aad:alice",
        "{access_token: fake-aad:alice, grant_type: access_token}",
        '"Bearer fake-acr-access-0123456789abcdef0123456789abcdef"',
        "fake-acr-refresh-0123456789abcdef0123456789abcdef",
    ],
)
def test_scanner_catches_planted_credentials(text: str) -> None:
    assert find_secrets(text)


@pytest.mark.parametrize(
    "text",
    [
        '{"refresh_token": "REDACTED"}',
        "grant_type=refresh_token&service=x.azurecr.io",
        '{"access_token": null}',
        "sha256:5122f6204b6a3596e048758cabba3c46b1c937a46b5be6225b835d091b90e46c",
        "Authorization: Bearer REDACTED",
        "Credentials whose AAD token is `fake-aad:<identity>`.",
        # an error message's refusal word where a value would be (skopeo)
        "unable to retrieve auth token: invalid username/password: unauthorized: authentication required",
    ],
)
def test_scanner_accepts_redacted_or_harmless_text(text: str) -> None:
    assert find_secrets(text) == []


@pytest.mark.parametrize(
    "text",
    [
        # a recorded log's password prompt, its line break escaped in JSON: no value follows it
        '"Enter Password:\\nDEBU[0002] Ignoring hosts dir"',
        # masked in the source
        "Password: ...", "password=***", "--password <password>",
    ],
)
def test_scanner_passes_prompts_and_masks(text: str) -> None:
    assert find_secrets(text) == []
