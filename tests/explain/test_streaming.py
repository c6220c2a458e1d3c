"""explain over whole logs: the same answers as on the error alone, work and memory that grow no faster than the
input, a progress line only on a terminal."""

from __future__ import annotations

import codecs
import io
import random
import re
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from acrdoctor.cli import cli
from acrdoctor.explain import core, explain, explain_chunks, explain_file, explanation_to_dict, names
from acrdoctor.explain.catalogue import RECOGNISERS
from acrdoctor.explain.core import MAX_KEPT_HITS
from acrdoctor.explain.names import _REPO, _named_not_found
from acrdoctor.explain.progress import PROGRESS_FROM_BYTES, ReadProgress
from acrdoctor.explain.reading import MAX_LINE_CHARS
from acrdoctor.explain.recognisers import fold

from . import bodies as b
from .test_explain_cli import LOG

#: Ordinary build output that names nothing explain looks for (no registry, no error words).
NOISE = (
    "#12 [build 4/9] RUN pip install --no-cache-dir -r requirements.txt",
    "  Downloading click-8.1.7-py3-none-any.whl (97 kB)",
    "2026/11/30 10:00:00 Step 3/14 : COPY . /src",
    "tests/test_app.py::test_case_17 PASSED [ 40%]",
    "",
    "npm WARN deprecated inflight@1.0.6: this module is not supported",
    "cache blob: " + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo" * 600,  # longer than a line is examined
)

MULTI = "\n".join([
    "2024/05/01 10:00:00 starting cleanup", b.DENIED_DOCKER, b.DENIED_DOCKER, b.NAME_UNKNOWN_JSON,
    b.UNAUTHORIZED_PURGE, b.THROTTLED_JSON, b.THROTTLED_JSON, b.DISALLOWED_PURGE_SKIPS,
])


def noise(n: int, seed: int = 1) -> list[str]:
    r = random.Random(seed)
    return [r.choice(NOISE) for _ in range(n)]


def answer(text: str) -> dict[str, Any]:
    """The explanation without the line numbers, which noise around the error shifts."""
    data = explanation_to_dict(explain(text))
    del data["lines"]
    for m in data["matches"]:
        del m["first_line"]
        m["evidence"] = [e["text"] for e in m["evidence"]]
    return data


@pytest.mark.parametrize("text", [LOG, MULTI, b.NAME_UNKNOWN_SDK, b.BROKEN_INDEX_PULL, b.UNAUTHORIZED_PURGE,
                                  "$ az acr repository delete -n contosoreg --repository mailhog --yes\n"
                                  + b.NAME_UNKNOWN_CLI])
def test_an_error_among_many_noise_lines_is_explained_as_the_error_alone(text: str) -> None:
    # Noise further than the context window (8 lines before, 2 after) away changes nothing.
    embedded = "\n".join([*noise(1000), *[""] * 9, text, *[""] * 3, *noise(1000, seed=2)])
    assert answer(embedded) == answer(text)
    assert answer(text)["recognised"]


def test_evidence_near_the_start_and_near_the_end_of_a_large_input_are_both_reported() -> None:
    first = b.DENIED_DOCKER
    last = "$ az acr repository delete -n contosoreg --repository mailhog --yes\n" + b.NAME_UNKNOWN_CLI
    body = noise(4000)
    text = "\n".join([first, *body, last])
    assert len(text) > 10_000_000
    result = explain(text)
    assert [(m.failure_mode, m.first_line, m.occurrences) for m in result.matches] == [
        ("network-access-denied", 1, 1), ("empty-repository", len(body) + 3, 1)]
    assert result.matches[0].extracted.client_ip == "172.214.169.102"
    assert result.matches[1].extracted.repository == "mailhog"
    assert result.lines == len(body) + 3


def test_errors_at_both_ends_of_a_very_long_line_are_found() -> None:
    filler = "=" * (10 * MAX_LINE_CHARS)
    result = explain(f"{b.THROTTLED_JSON} {filler}\n{filler} {b.DISALLOWED_CLI}")
    assert [m.failure_mode for m in result.matches] == ["throttling", "locked-artifacts"]
    assert result.matches[1].extracted.correlation_id == "0f6e1d2c-3b4a-4c5d-8e9f-a0b1c2d3e4f5"


@pytest.mark.parametrize("size", [1, 7, 64, 4096])
def test_the_answer_does_not_depend_on_how_the_text_arrives(size: int) -> None:
    text = "\r\n".join([MULTI, b.DISALLOWED_DOTNET, "\\u0027quoted\\u0027", LOG]) + "\r"
    pieces = [text[i:i + size] for i in range(0, len(text), size)]
    assert explanation_to_dict(explain_chunks(pieces)) == explanation_to_dict(explain(text))


def test_a_crlf_split_between_two_pieces_is_one_newline() -> None:
    assert explain_chunks(["Login Succeeded\r", "\nok"]).lines == explain("Login Succeeded\nok").lines == 2


def test_work_per_hit_does_not_grow_with_the_log(monkeypatch: pytest.MonkeyPatch) -> None:
    # Throttling bodies name no registry; a log that names none anywhere once cost a scan of every line per hit.
    calls = 0
    real = getattr(names.from_line, "__wrapped__", names.from_line)  # uncached: count every extraction

    def counting(line: str) -> names.Names:
        nonlocal calls
        calls += 1
        return real(line)

    monkeypatch.setattr(names, "from_line", counting)
    monkeypatch.setattr(core, "from_line", counting, raising=False)
    lines = [f"2026/11/30 step {i} RUN make target-{i}" for i in range(3000)]
    text = "\n".join(line + ("\n" + b.THROTTLED_JSON if i % 30 == 0 else "") for i, line in enumerate(lines))
    result = explain(text)
    assert result.matches[0].occurrences == 100
    assert calls <= 100 * 11 + len(lines) // 10


def test_a_failure_seen_thousands_of_times_is_counted_but_kept_bounded() -> None:
    text = "\n".join(f"Skipped contosoreg.azurecr.io/team/api:v{i}, operation not allowed, HTTP status: 405"
                     for i in range(3 * MAX_KEPT_HITS))
    m = explain(text).matches[0]
    assert m.occurrences == 3 * MAX_KEPT_HITS
    assert len(m.targets) == MAX_KEPT_HITS
    assert "az acr repository update --name contosoreg --image team/api:v0 --delete-enabled true " \
           "--write-enabled true" in m.fix.commands


def test_a_large_file_is_read_in_bounded_memory(tmp_path: Path) -> None:
    log = tmp_path / "build.log"
    with log.open("w", encoding="utf-8") as fh:
        fh.write(b.DENIED_DOCKER + "\n")
        for line in noise(4000):
            fh.write(line + "\n")
    size = log.stat().st_size
    assert size > 12_000_000
    tracemalloc.start()
    try:
        r = CliRunner().invoke(cli, ["explain", str(log), "-o", "json"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert r.exit_code == 0 and '"network-access-denied"' in r.output
    assert peak < 8 * 2**20  # the whole file, as a string, would be 12 MB on its own


# --- progress ----------------------------------------------------------------------------------------------

def big_log(tmp_path: Path) -> Path:
    log = tmp_path / "big.log"
    log.write_text("\n".join([*noise(1600), b.THROTTLED_JSON]), "utf-8")
    assert log.stat().st_size > 2 * PROGRESS_FROM_BYTES
    return log


def test_progress_on_a_terminal_shows_bytes_read_and_clears_the_line(tmp_path: Path) -> None:
    log = big_log(tmp_path)
    err = io.StringIO()
    with ReadProgress(err, log.stat().st_size, tty=True) as progress:
        result = explain_file(log, progress)
    assert result.recognised
    shown = err.getvalue()
    updates = re.findall(r"\rexplain: read ([\d.,]+) MiB of ([\d.,]+) MiB \((\d+) %\)", shown)
    assert len(updates) >= 2 and updates[-1][2] == "100"
    assert all(float(read) >= PROGRESS_FROM_BYTES / 2**20 for read, _, _ in updates)
    assert shown.endswith("\r") and shown.rstrip("\r ").endswith("%)")  # the last write blanks the line


def test_no_progress_when_stderr_is_not_a_terminal_or_the_input_is_small(tmp_path: Path) -> None:
    log = big_log(tmp_path)
    err = io.StringIO()
    with ReadProgress(err, log.stat().st_size, tty=False) as progress:
        explain_file(log, progress)
    small = tmp_path / "small.log"
    small.write_text(LOG, "utf-8")
    with ReadProgress(err, small.stat().st_size, tty=True) as progress:
        explain_file(small, progress)
    assert err.getvalue() == ""
    r = CliRunner().invoke(cli, ["explain", str(log), "-o", "json"])
    assert r.exit_code == 0 and "explain: read" not in r.output


def test_stdin_progress_has_no_total() -> None:
    err = io.StringIO()
    progress = ReadProgress(err, None, tty=True)
    progress(3 * 2**20)
    assert err.getvalue() == "\rexplain: read 3.0 MiB"


# --- the fast paths give the answers of the slow ones -------------------------------------------------------

def _mandatory_runs(items: Any) -> list[list[str]]:
    """Each way through a parsed pattern, as the literal texts every match along it must contain."""
    from re import _constants as c  # type: ignore[attr-defined]

    paths: list[tuple[list[str], str]] = [([], "")]
    for op, av in items:
        if op is c.LITERAL:
            paths = [(runs, cur + chr(av)) for runs, cur in paths]
        elif op is c.AT:
            continue
        elif op is c.SUBPATTERN:
            inner = _mandatory_runs(av[3])
            paths = [([*runs, cur, *sub[:-1]], sub[-1]) for runs, cur in paths for sub in (["", *s] for s in inner)]
        elif op is c.BRANCH:
            alts = [r for alt in av[1] for r in _mandatory_runs(alt)]
            paths = [([*runs, cur, *alt], "") for runs, cur in paths for alt in alts]
        else:
            paths = [([*runs, cur], "") for runs, cur in paths]
    return [[*runs, cur] for runs, cur in paths]


@pytest.mark.parametrize("rec", RECOGNISERS, ids=lambda r: r.name)
def test_every_way_a_trigger_can_match_holds_a_keyword(rec: Any) -> None:
    from re import _parser  # type: ignore[attr-defined]

    for runs in _mandatory_runs(_parser.parse(rec.trigger.pattern, rec.trigger.flags)):
        text = " | ".join(r.lower() for r in runs if r)
        assert any(k in r.lower() for k in rec.keywords for r in runs), f"{rec.name}: no keyword in {text!r}"


@pytest.mark.parametrize("rec", [r for r in RECOGNISERS if r.remembers], ids=lambda r: r.name)
def test_every_way_a_remembered_pattern_can_match_holds_its_word(rec: Any) -> None:
    from re import _parser  # type: ignore[attr-defined]

    for pattern, word in rec.remembers:
        for runs in _mandatory_runs(_parser.parse(pattern.pattern, pattern.flags)):
            assert any(word in r.lower() for r in runs), f"{rec.name}: {word!r} not in {runs!r}"


def test_fold_reads_every_character_a_case_insensitive_pattern_reads_as_an_ascii_letter() -> None:
    letters = {ch: re.compile(ch, re.IGNORECASE) for ch in "abcdefghijklmnopqrstuvwxyz"}
    for cp in [*range(0x80, 0x3000), 0x212A, 0x212B, 0xFB05, 0xFB06]:
        ch = chr(cp)
        for letter, pattern in letters.items():
            if pattern.fullmatch(ch):
                assert letter in fold(f"x{ch}y"), hex(cp)


def test_keywords_find_triggers_in_real_bodies() -> None:
    texts = [v for v in vars(b).values() if isinstance(v, str)] + [LOG, MULTI]
    for text in texts:
        for line in text.split("\n"):
            for rec in RECOGNISERS:
                if rec.trigger.search(line):
                    assert any(k in fold(line) for k in rec.keywords), (rec.name, line)


def test_repository_before_not_found_reads_as_the_pattern_did() -> None:
    pattern = re.compile(rf"\b({_REPO}) repository not found", re.IGNORECASE)
    r = random.Random(5)
    alphabet = ["a", "B", "7", ".", "_", "__", "-", "--", "/", " ", "İ", "K", "ſ", "é", "found",
                " repository not found", " REPOSITORY NOT FOUND"]
    for _ in range(20_000):
        s = "".join(r.choice(alphabet) for _ in range(r.randrange(1, 14)))
        m = pattern.search(s)
        assert _named_not_found(s) == ((m.start(), m.group(1)) if m else None), s


def test_repository_before_not_found_on_a_long_dotted_token() -> None:
    token = ".".join("a" for _ in range(50_000))
    assert _named_not_found(f"resolved {token} repository not found") == (9, token)
    assert _named_not_found(f"resolved {token} repository not foun") is None


def test_the_registry_search_reads_a_line_as_the_full_extraction_does() -> None:
    lines = [line for v in vars(b).values() if isinstance(v, str) for line in v.split("\n")]
    lines += ["az acr login -n otherreg", "x contosoreg.azurecr.io/app:1 az acr show -n b", "registry 'abcde1'",
              "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerRegistry/registries/armreg1 x",
              "acr purge -r purgereg1 --filter a:b", "az acr repository show -n ***", "Logging in to registry"]
    for line in lines:
        assert names.registry_in(line) == names.from_line(line).registry, line


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-8-sig"])
def test_a_log_written_with_a_byte_order_mark_is_explained_as_its_text(tmp_path: Path, encoding: str) -> None:
    """PowerShell's ``>`` writes UTF-16 with a BOM; read as UTF-8 every other byte was a NUL and nothing matched."""
    text = ("Step 7/9 : RUN az acr repository delete --name contosoreg --repository legacy/app --yes\n"
            "ERROR: (NAME_UNKNOWN) repository name not known to registry\n")
    bom = {"utf-16-le": codecs.BOM_UTF16_LE}.get(encoding, b"")
    path = tmp_path / "build.log"
    path.write_bytes(bom + text.encode(encoding))
    got, want = explain_file(path), explain(text)
    assert got.matches and [m.failure_mode for m in got.matches] == [m.failure_mode for m in want.matches]


def test_the_keyword_gate_pattern_matches_exactly_where_a_keyword_occurs() -> None:
    words = ("denied", "den", "401", "4012", "cred", "credential helper", "a.b", "x+y", "proxy")
    pattern = core.keyword_pattern(words)
    r = random.Random(7)
    alphabet = "den4012crapoxy.+b "
    for _ in range(3000):
        text = "".join(r.choice(alphabet) for _ in range(r.randint(0, 12)))
        assert bool(pattern.search(text)) == any(w in text for w in words), text
    assert all(core._GATE_PATTERN.search(k) for k in core.KEYWORDS)


@pytest.mark.parametrize("registry", ["contosoreg", "***"])
def test_few_lines_of_a_build_log_reach_a_recogniser(registry: str) -> None:
    """The keywords gate: a word common in build logs (``login``, ``install``, ``az acr``) as a keyword sent one line
    in ten of the generated log to the recognisers and made a 50 MB log take 27 s (docs/benchmarks.md). Counted, not
    timed: the share of lines that pass the gate and run a recogniser."""
    import sys
    from pathlib import Path

    from acrdoctor.explain import core

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    import buildlog  # type: ignore[import-not-found]

    scan = core._Scan()
    calls = 0
    detect = scan._detect

    def counting(entry: Any, low: str) -> None:
        nonlocal calls
        calls += 1
        detect(entry, low)

    scan._detect = counting  # type: ignore[method-assign]
    n = 0
    for n, line in enumerate(buildlog.lines(2_000_000, registry=registry)):
        scan.line(n, line.rstrip("\n"))
    assert n > 20_000
    assert calls / n < 0.03, f"{calls} of {n} lines reached a recogniser"


@pytest.mark.parametrize(("text", "lines"), [("", 0), ("one", 1), ("one\n", 1), ("one\ntwo\n", 2), ("one\n\ntwo", 3),
                                             ("one\n\n", 2), ("one\r\ntwo\r\n", 2)])
def test_lines_read_count_as_wc_does_for_a_final_newline(text: str, lines: int) -> None:
    assert explain(text).lines == lines
    assert explain_chunks([text[:2], text[2:]]).lines == lines
