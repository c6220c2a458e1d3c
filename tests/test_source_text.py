"""Source files hold no control characters: a pattern written through a shell here-doc once carried a backspace
(0x08) where ``\\b`` was meant, which silently matched nothing."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = {"\n", "\t", "\r"}


def test_no_source_file_holds_a_control_character() -> None:
    files = [p for d in ("acrdoctor", "checks", "bench", "tests") for p in (ROOT / d).rglob("*.py")]
    assert len(files) > 100
    bad = [(str(p.relative_to(ROOT)), n) for p in files
           for n, line in enumerate(p.read_text("utf-8").splitlines(), 1)
           if any(ord(c) < 32 and c not in ALLOWED for c in line)]
    assert not bad, bad
