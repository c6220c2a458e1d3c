"""Names with escape sequences, CRs, newlines, bidi overrides or rich markup reach no terminal raw.

The demo registry is renamed so that every registry, resource group, repository, tag and connection name
carries a clear-screen sequence, a carriage return, a newline followed by a fake report line, a right-to-left
override and rich markup; then every command that prints to a terminal is run through the CLI.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from acrdoctor.actions import CALLER_IP_EXPR, AddNetworkRule, RegistryRef, ShellExpr
from acrdoctor.cli import cli
from acrdoctor.errors import InputError
from acrdoctor.fix.model import action_from_dict, action_to_dict
from acrdoctor.textsafe import markup, visible
from tests.test_quoting import renamed_demo

RAW = ("\x1b", "\r", "\x9b", "\u202e", "\x07")


def nasty(old: str) -> str:
    return f"{old}\x1b[2J\x9b31m\r\nFAKE {old}\u202e[red]x[/red][bold]"


@pytest.fixture(scope="module")
def snapshot_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("nasty") / "snapshot.json"
    path.write_text(json.dumps(renamed_demo(nasty)), "utf-8")
    return path


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), prog_name="acrdoctor")


def assert_terminal_safe(text: str) -> None:
    for raw in RAW:
        assert raw not in text, f"raw {raw!r} in the output"
    fake = [line for line in text.splitlines() if line.lstrip(" $-•*#>|`'\"").startswith("FAKE")]
    assert not fake, f"a name wrote its own line: {fake[:3]}"


@pytest.mark.parametrize("args", [
    ("diagnose",), ("diagnose", "--verbose"), ("diagnose", "--output", "markdown"), ("fix",),
    ("preflight", "--", "acr", "purge", "--filter", ".*:.*", "--ago", "0d"),
], ids=["diagnose", "diagnose-verbose", "markdown", "fix", "preflight"])
def test_names_from_a_snapshot_reach_the_terminal_escaped(snapshot_file: Path, args: tuple[str, ...]) -> None:
    command, *rest = args
    r = run(command, "--snapshot", str(snapshot_file), *rest)
    assert r.exit_code in (0, 1), r.output
    assert "FAKE" in r.output, "the renamed names are in the report"
    assert_terminal_safe(r.output)
    # markup in a name is shown as written, never applied
    assert "[red]x[/red][bold]" in r.output


def test_preflight_markdown_and_safe_plan_keep_names_inside_their_lines(snapshot_file: Path, tmp_path: Path) -> None:
    name = nasty("ml/batch-scorer")
    script = tmp_path / "safe.sh"
    r = run("preflight", "--snapshot", str(snapshot_file), "--output", "markdown", "--safe-plan-out", str(script),
            "--", "az", "acr", "repository", "delete", "--repository", name, "--yes")
    assert r.exit_code in (0, 1), r.output
    assert_terminal_safe(r.output)
    # the comment lines hold the whole names: a newline in them would end the comment and run the rest
    comments = [line for line in script.read_text("utf-8").splitlines() if line.startswith("#")]
    assert any(line.startswith("# for registry") and "FAKE contoso" in line for line in comments)
    assert any(line.startswith("# Command checked:") and "FAKE ml/batch-scorer" in line for line in comments)


def test_explain_shows_names_from_the_text_escaped() -> None:
    # (A terminal colour sequence is taken off pasted text before it is read, acrdoctor.explain.pasted: the control
    # characters here are the ones that stay, and must be escaped.)
    repo = "app\u202e\x07[bold]x"
    r = run("explain", f"az acr repository delete --name contosoreg --repository '{repo}\rFAKE' --yes\n"
                       "ERROR: (NAME_UNKNOWN) repository name not known to registry")
    assert r.exit_code == 0, r.output
    assert_terminal_safe(r.output)
    assert "\\u202e\\x07[bold]x" in r.output


def test_explain_drops_a_colour_sequence_from_a_pasted_name() -> None:
    r = run("explain", "az acr repository delete --name contosoreg --repository 'app\x1b[2J[bold]x' --yes\n"
                       "ERROR: (NAME_UNKNOWN) repository name not known to registry")
    assert r.exit_code == 0, r.output
    assert_terminal_safe(r.output)
    assert "app[bold]x" in r.output and "x1b" not in r.output


def test_error_lines_escape_the_value_they_name(tmp_path: Path) -> None:
    r = run("diagnose", "--snapshot", str(tmp_path / "missing\x1b[2J\nFAKE.json"))
    assert r.exit_code == 2
    assert_terminal_safe(r.stderr)
    assert len(r.stderr.strip().splitlines()) == 1


def test_visible_writes_every_control_character_as_an_escape() -> None:
    assert visible("a\x1b[2Jb\r\n\t\x00\x7f\x9b\u202e\u2066\u2028\ud800") == \
        "a\\x1b[2Jb\\r\\n\\t\\x00\\x7f\\x9b\\u202e\\u2066\\u2028\\ud800"
    assert visible("café naïve 日本 ok") == "café naïve 日本 ok"
    assert markup("[bold]x\x1b") == "\\[bold]x\\x1b"


def test_a_plan_read_back_keeps_data_as_data_and_expressions_as_expressions() -> None:
    expr = AddNetworkRule(RegistryRef("reg"), CALLER_IP_EXPR)
    doc = action_to_dict(expr)
    assert doc["ip"] == {"expression": "caller-ip"}
    assert action_from_dict(json.loads(json.dumps(doc))) == expr
    # the text of the expression, as a plan file might hold it, stays an IP string: quoted when printed
    text = action_from_dict({**doc, "ip": str(CALLER_IP_EXPR)})
    assert not isinstance(text.ip, ShellExpr) and f"'{CALLER_IP_EXPR}'" in text.commands()[0]
    with pytest.raises(InputError, match="unknown expression"):
        action_from_dict({**doc, "ip": {"expression": "rm -rf ~"}})


@pytest.mark.parametrize("output", ["console", "markdown"])
def test_incomplete_reasons_and_lower_bounds_name_repositories_escaped(tmp_path: Path, output: str) -> None:
    """A listing missing for one repository makes checks incomplete or lower bounds; their reasons name it."""
    doc = renamed_demo(nasty)
    victim = next(r for r in doc["repositories"] if r.get("manifests"))
    del victim["manifests"]
    path = tmp_path / "partial.json"
    path.write_text(json.dumps(doc), "utf-8")
    fmt = ["--output", "markdown"] if output == "markdown" else []
    r = run("diagnose", "--snapshot", str(path), "--verbose", *fmt)
    assert r.exit_code in (1, 3), r.output
    assert "incomplete" in r.output or "lower bound" in r.output
    assert victim["name"].split("\x1b")[0] in r.output
    assert_terminal_safe(r.output)
