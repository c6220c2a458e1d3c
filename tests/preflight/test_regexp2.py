"""acr purge's regex dialect (regexp2 in RE2 mode): what it accepts is accepted, with the same matches."""

from __future__ import annotations

import pytest
import regex
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from acrdoctor.builder import SnapshotBuilder
from acrdoctor.cli import cli
from acrdoctor.errors import InputError
from acrdoctor.preflight.commands import parse_command
from acrdoctor.preflight.purge import select_purge
from acrdoctor.preflight.regexp2 import compile_filter, translate
from acrdoctor.snapshot_io import dump_snapshot

#: Names in ACR's repository/tag alphabet, in both cases so that the ignore-case option matters.
NAMES = st.text(alphabet="abcABC019._-/", min_size=0, max_size=8)
#: Option letters regexp2 reads in (?…) (``optionFromCode``), any case.
OPTION_RUN = st.text(alphabet="imnsxuIMNSXU+-", min_size=1, max_size=6).filter(lambda r: any(c.isalpha() for c in r))


def _ignores_case(run: str) -> bool:
    """Whether regexp2 ends an option run with IgnoreCase on (the last i/I wins, - switches off, + on)."""
    state, off = False, False
    for ch in run:
        if ch in "+-":
            off = ch == "-"
        elif ch.lower() == "i":
            state = not off
    return state


def test_acr_cli_own_filter_examples_compile() -> None:
    # cmd/acr/purge_test.go (Azure/acr-cli @ cfbb835): filters its splitter test accepts.
    for flt in ("(?imsU:test):[[:digit:]]", "(?imsU:test):[[:digit:]][tes:]",
                "[^[:alpha:]](?ims-U:abc)(?:.*)?:test123[[^:digit:]](?-imUs:.*)"):
        request = parse_command(["acr", "purge", "--filter", flt, "--ago", "1d"])
        assert request.filters  # type: ignore[union-attr]


def test_flag_group_filter_plans_instead_of_exit_2(tmp_path) -> None:
    b = SnapshotBuilder(name="contoso")
    b.repository("test").image(["1", "v"], layers=[("l", 10)], config=("c", 1), age_days=30)
    b.repository("other").image(["1"], layers=[("m", 10)], config=("d", 1), age_days=30)
    path = tmp_path / "snap.json"
    dump_snapshot(b.build(), path)
    result = CliRunner().invoke(cli, ["preflight", "--snapshot", str(path), "-o", "json", "--",
                                      "acr", "purge", "--filter", "(?imsU:TEST):[[:digit:]]", "--ago", "1d"])
    assert result.exit_code != 2, result.output
    assert '"tag":"1"' in result.stdout.replace(" ", "") and '"repository":"other"' not in result.stdout


@given(run=OPTION_RUN, body=st.text(alphabet="abcAB", min_size=1, max_size=4), name=NAMES)
def test_scoped_options_match_as_regexp2_would(run: str, body: str, name: str) -> None:
    pattern = compile_filter(f"^(?{run}:{body})$")
    expected = name.lower() == body.lower() if _ignores_case(run) else name == body
    assert (pattern.search(name) is not None) is expected


@given(run=OPTION_RUN, prefix=st.sampled_from(["", "a", "x"]), first=st.sampled_from(["b", "B"]),
       second=st.sampled_from(["c", "C"]), name=NAMES)
def test_bare_options_reach_the_end_of_the_group_across_alternatives(run: str, prefix: str, first: str,
                                                                      second: str, name: str) -> None:
    pattern = compile_filter(f"^{prefix}(?{run}){first}|{second}$")
    fold = _ignores_case(run)

    def eq(text: str, want: str) -> bool:
        return text.lower() == want.lower() if fold else text == want

    starts = name.startswith(prefix) and len(name) > len(prefix) and eq(name[len(prefix)], first)
    ends = len(name) > 0 and eq(name[-1], second)
    assert (pattern.search(name) is not None) is (starts or ends)


@given(expression=st.sampled_from([".*", "^v[0-9]+$", "[[:digit:]]+", "a|b", "(?:x|y)z", r"\d{2,}", "[(|)]"]),
       name=NAMES)
def test_expressions_without_dialect_constructs_are_unchanged(expression: str, name: str) -> None:
    assert translate(expression) == expression
    assert (compile_filter(expression).search(name) is None) is (regex.compile(expression).search(name) is None)


def test_dotnet_group_names_and_backreferences() -> None:
    assert compile_filter(r"^(?'v'[a-z])-\k'v'$").search("a-a")
    assert compile_filter(r"^(?<v>[a-z])-\k<v>$").search("b-b")
    assert not compile_filter(r"^(?<v>[a-z])-\k<v>$").search("a-b")


@pytest.mark.parametrize("flt", ["app:(?r:x)", "app:(?a)x", "(?L:app):x", "app:(?i", "app:[", "app:x(?#y"])
def test_truly_invalid_regexes_still_exit_2(flt: str) -> None:
    with pytest.raises(InputError):
        parse_command(["acr", "purge", "--filter", flt, "--ago", "1d"])


def test_built_request_with_flag_groups_selects(tmp_path) -> None:
    b = SnapshotBuilder(name="contoso")
    b.repository("App").image(["V1"], layers=[("l", 10)], config=("c", 1), age_days=30)
    request = parse_command(["acr", "purge", "--filter", "(?i)app:(?iU)^v1$", "--ago", "1d"])
    selection = select_purge(request, b.build())  # type: ignore[arg-type]
    assert [str(t) for t in selection.untag] == ["App:V1"]
