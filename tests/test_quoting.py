"""Every command acrdoctor prints, pasted into a POSIX shell, runs exactly the argv it means, whatever the names.

Names come from registries, snapshots, bundles and pasted logs, so they are generated here from shell
metacharacters, quotes, newlines and control characters. Each printed command is run by a real shell with
``az``, ``curl``, ``grep`` and ``acrdoctor`` replaced by functions that log their argv (and ``PATH`` empty, so
nothing else can run). The expected argv is the one the same command gives with plain placeholder names,
with the real names put back: the names must come out of the shell exactly as they went in, and the shell
must run nothing but the printers.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
import shutil
import subprocess
import typing
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acrdoctor import actions as fix_actions
from acrdoctor.actions import CALLER_IP_EXPR, SIGNED_IN_USER_EXPR, Action, RegistryRef, ShellExpr
from acrdoctor.demo import load_demo
from acrdoctor.engine import Catalogue, diagnose
from acrdoctor.explain import actions as explain_actions
from acrdoctor.explain.names import VARIABLES, placeholder
from acrdoctor.fix.model import FixPlan
from acrdoctor.fix.plan import make_plan
from acrdoctor.preflight.run import preflight, safe_plan_script
from acrdoctor.snapshot_io import snapshot_from_dict, snapshot_to_dict

SH = shutil.which("sh")
BASH = shutil.which("bash")
pytestmark = pytest.mark.skipif(SH is None, reason="no POSIX shell")

PROGRAMS = ("az", "curl", "grep", "acrdoctor")
NEXT = "acrdoctor_next_command"
_PRINTERS = "\n".join(f'{p}() {{ printf \'%s\\0\' "$#" {p} "$@" >>"$ACRDOCTOR_ARGV_LOG"; }}'
                      for p in (*PROGRAMS, NEXT))
#: Values for explain's placeholder variables, so a test can see they are expanded.
VARIABLE_VALUES = {v: f"value of {v}" for v in VARIABLES.values()}

_PLACEHOLDER = re.compile(r"QQ(\d+)QQ")

#: Shell metacharacters, quotes, whitespace and control characters, mixed with any other character.
NAME_CHARS = st.one_of(
    st.sampled_from([*"$`\"'\\;|&<>(){}[]*?!~#%=@:/.,+- \t\n\r\x1b\x07\x7f\x9b\u202e\u2028", "$(", "${", "'\"'"]),
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
)
NAMES = st.lists(NAME_CHARS, min_size=1, max_size=10).map("".join).filter(lambda s: not s.startswith("sha256:"))

Record = tuple[str, ...]


def run_printed(commands: Sequence[str], tmp: Path, shell: str | None = SH) -> list[list[Record]]:
    """Run each command in one shell with the printers; the argv each program got, command by command."""
    assert shell is not None
    log = tmp / "argv.log"
    log.unlink(missing_ok=True)
    empty = tmp / "empty-path"
    empty.mkdir(exist_ok=True)
    script = _PRINTERS + "\n" + "".join(f"{c}\n{NEXT}\n" for c in commands)
    done = subprocess.run([shell, "-c", script], env={"PATH": str(empty), "ACRDOCTOR_ARGV_LOG": str(log),
                                                      **VARIABLE_VALUES},
                          capture_output=True, timeout=30, check=False)
    assert done.stdout == b"" and done.stderr == b"" and done.returncode == 0, (done.stdout, done.stderr, commands)
    fields = log.read_bytes().decode("utf-8", "surrogateescape").split("\0") if log.exists() else [""]
    groups: list[list[Record]] = [[]]
    i = 0
    while i < len(fields) - 1:
        n = int(fields[i])
        prog, args = fields[i + 1], tuple(fields[i + 2:i + 2 + n])
        i += 2 + n
        if prog == NEXT:
            groups.append([])
        else:
            groups[-1].append((prog, *args))
    assert groups[-1] == []
    return groups[:-1]


def _put_back(text: str, names: Sequence[str]) -> str:
    return _PLACEHOLDER.sub(lambda m: names[int(m.group(1))], text)


def _cmd_words(record: Record, names: Sequence[str] | None, inner: bool = True) -> Record:
    """A record with the ``--cmd`` line (an ACR task's own command) split the way ``acr`` splits it.

    Without ``inner`` only its number of words is kept: checks turn names into ``--filter`` regexes there,
    so the words are not the names themselves (the action-level test checks them exactly).
    """
    out: list[str] = []
    for i, arg in enumerate(record):
        if i and record[i - 1] == "--cmd":
            words = shlex.split(arg)
            if not inner:
                out.append(f"<{len(words)} words>")
                continue
            out.append(repr([_put_back(w, names) for w in words] if names is not None else words))
        else:
            out.append(_put_back(arg, names) if names is not None else arg)
    return tuple(out)


def assert_same_argv(safe: list[list[Record]], nasty: list[list[Record]], names: Sequence[str]) -> None:
    """Command by command, the real names went through the shell as plain arguments."""
    assert len(safe) == len(nasty)
    for safe_cmd, nasty_cmd in zip(safe, nasty, strict=True):
        # sorted: the two sides of a pipeline run at the same time
        assert sorted(_cmd_words(r, names) for r in safe_cmd) == sorted(_cmd_words(r, None) for r in nasty_cmd)


# --- every Action kind ------------------------------------------------------------------------------------

def _action_kinds() -> list[type[Action]]:
    kinds = []
    for module in (fix_actions, explain_actions):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Action) and value is not Action \
                    and dataclasses.is_dataclass(value) and value not in kinds:
                kinds.append(value)
    return kinds


ACTION_KINDS = _action_kinds()
#: What an argument field may hold besides a name: acrdoctor's own expressions and explain's variables.
OWN_EXPRESSIONS: list[ShellExpr] = [CALLER_IP_EXPR, SIGNED_IN_USER_EXPR, *(placeholder(k) for k in VARIABLES)]


def _build(kind: type[Action], draw: Callable[[Any], Any], take: Callable[[bool], Any]) -> dict[str, Any]:
    """Field values for ``kind``; ``take(expr_ok)`` gives the next name slot (a name or an expression)."""
    hints = typing.get_type_hints(kind)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(kind):
        hint = hints[f.name]
        args = set(typing.get_args(hint)) or {hint}
        if hint is RegistryRef:
            values[f.name] = ("registry", take(True), take(False))
        elif bool in args:
            values[f.name] = draw(st.booleans())
        elif int in args:
            values[f.name] = 7
        elif typing.get_origin(hint) is tuple:
            values[f.name] = ("tuple", take(False), take(False))
        else:
            values[f.name] = take(ShellExpr in args)
    return values


def _realise(value: Any, names: Sequence[str]) -> Any:
    if isinstance(value, tuple) and value and value[0] == "registry":
        return RegistryRef(_realise(value[1], names), _realise(value[2], names))
    if isinstance(value, tuple) and value and value[0] == "tuple":
        return tuple(_realise(v, names) for v in value[1:])
    if isinstance(value, tuple) and value and value[0] == "name":
        return names[value[1]]
    return value


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_action_kind_prints_commands_a_shell_splits_into_the_intended_argv(data: st.DataObject,
                                                                                 tmp_path_factory: Any) -> None:
    tmp = tmp_path_factory.mktemp("sh")
    kind = data.draw(st.sampled_from(ACTION_KINDS))
    slots: list[int] = []

    def take(expr_ok: bool) -> Any:
        if expr_ok and data.draw(st.integers(0, 4)) == 0:
            return data.draw(st.sampled_from(OWN_EXPRESSIONS))
        slots.append(len(slots))
        return ("name", slots[-1])

    spec = _build(kind, data.draw, take)
    names = [data.draw(NAMES) for _ in slots]
    safe = kind(**{k: _realise(v, [f"QQ{i}QQ" for i in slots]) for k, v in spec.items()})
    nasty = kind(**{k: _realise(v, names) for k, v in spec.items()})
    assert_same_argv(run_printed(safe.commands(), tmp), run_printed(nasty.commands(), tmp), names)


def test_every_action_kind_is_covered() -> None:
    assert {"AddNetworkRule", "AssignRole", "RunPurge", "ShowManifest", "FindRepository", "ListRoleAssignments",
            "DeletePrivateEndpointConnection", "SchedulePurgeTask"} <= {k.__name__ for k in ACTION_KINDS}


def test_own_expressions_are_expanded_and_look_alikes_from_data_are_not(tmp_path: Path) -> None:
    # the printers record the command substitutions acrdoctor wrote; the same text as a name is one argument
    own = fix_actions.AddNetworkRule(RegistryRef("reg"), CALLER_IP_EXPR)
    [[curl, az]] = run_printed(own.commands(), tmp_path)
    assert curl == ("curl", "-fsS", "https://api.ipify.org") and az[-2:] == ("--ip-address", "")
    text = str(CALLER_IP_EXPR)
    [[az]] = run_printed(fix_actions.AddNetworkRule(RegistryRef("reg"), text).commands(), tmp_path)
    assert az[-2:] == ("--ip-address", text)


# --- every printed-command path: diagnose, fix plans, preflight's safe script, explain ----------------------

def renamed_demo(rename: Callable[[str], str]) -> dict[str, Any]:
    """The demo snapshot with its registry, resource group, repository, tag and connection names replaced."""
    doc = snapshot_to_dict(load_demo())
    reg = doc["registry"]
    reg["name"], reg["resourceGroup"] = rename(reg["name"]), rename(reg["resourceGroup"])
    for repo in doc["repositories"]:
        repo["name"] = rename(repo["name"])
        for tag in repo.get("tags") or ():
            tag["name"] = rename(tag["name"])
        for m in repo.get("manifests") or ():
            if m.get("tags"):
                m["tags"] = [rename(t) for t in m["tags"]]
    for pec in doc.get("private_endpoint_connections") or ():
        pec["name"] = rename(pec["name"])
    for rule in doc.get("cache_rules") or ():  # exact targets name a repository; rename them alike
        rule["name"], rule["targetRepository"] = rename(rule["name"]), rename(rule["targetRepository"])
    for rec in (doc.get("listings") or {}).get("records") or ():
        if rec.get("repository"):
            rec["repository"] = rename(rec["repository"])
    for err in doc.get("errors") or ():
        if err.get("repository"):
            err["repository"] = rename(err["repository"])
        for d in err.get("detail") or ():
            if d.get("Name"):
                d["Name"] = rename(d["Name"])
    return doc


def _pair(names: Sequence[str]) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """The demo twice, its names replaced by placeholders and by ``names``; and the names the placeholders stand for."""
    order: list[str] = []
    renamed_demo(lambda old: order.append(old) or old if old not in order else old)
    assert len(order) <= len(names)
    to_safe = {old: f"QQ{i}QQ" for i, old in enumerate(order)}
    to_nasty = dict(zip(order, names, strict=False))
    return renamed_demo(to_safe.__getitem__), renamed_demo(to_nasty.__getitem__), list(names[:len(order)])


def _sorted_records(commands: Iterable[str], tmp: Path, names: Sequence[str] | None) -> list[list[Record]]:
    commands = sorted(set(commands))
    runs = run_printed(commands, tmp)
    return sorted(sorted(_cmd_words(r, names, inner=False) for r in group) for group in runs)


def _finding_commands(doc: dict[str, Any]) -> list[str]:
    report = diagnose(snapshot_from_dict(doc), catalogue=Catalogue.load(plugins=False))
    out: list[str] = []
    for r in report.results:
        for f in r.findings:
            if f.fix is not None:
                out += [*f.fix.commands, *(c for rel in f.fix.related for c in rel.commands)]
    return out


def _plan_commands(doc: dict[str, Any]) -> list[str]:
    plan = make_plan(snapshot_from_dict(doc), Catalogue.load(plugins=False))
    # the plan read back from JSON prints the same commands: no name turned into an expression on the way
    again = FixPlan.from_dict(json.loads(json.dumps(plan.to_dict())))
    assert [s.action.commands() for s in again.steps] == [s.action.commands() for s in plan.steps]
    return [c for s in plan.steps for c in s.action.commands()] + [c for m in plan.manual for c in m.commands]


PATH_NAMES = st.lists(NAMES, min_size=100, max_size=100, unique=True)


@pytest.mark.parametrize("commands_of", [_finding_commands, _plan_commands], ids=["diagnose", "fix-plan"])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(names=PATH_NAMES)
def test_diagnose_and_fix_plan_commands_keep_every_name_one_argument(
        commands_of: Callable[[dict[str, Any]], list[str]], names: list[str], tmp_path: Path) -> None:
    safe, nasty, put_back = _pair(names)
    safe_cmds, nasty_cmds = commands_of(safe), commands_of(nasty)
    assert safe_cmds and len(safe_cmds) == len(nasty_cmds)
    assert _sorted_records(safe_cmds, tmp_path, put_back) == _sorted_records(nasty_cmds, tmp_path, None)


@pytest.mark.skipif(BASH is None, reason="the safe plan is a bash script")
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(names=PATH_NAMES)
def test_preflight_safe_plan_script_runs_only_the_intended_deletes(names: list[str], tmp_path: Path) -> None:
    safe, nasty, put_back = _pair(names)
    scripts = []
    for doc in (safe, nasty):
        snapshot = snapshot_from_dict(doc)
        for repo in snapshot.repositories or ():  # in the same order in both
            argv = ["az", "acr", "repository", "delete", "--repository", repo.name, "--yes"]
            plan = preflight(argv, snapshot)
            # the command checked is written into the script's comments, newlines and all
            scripts.append(safe_plan_script(plan, snapshot, shlex.join(argv)))
    safe_runs = run_printed(scripts[:len(scripts) // 2], tmp_path, BASH)
    assert any(safe_runs), "some safe plan deletes something"
    assert_same_argv(safe_runs, run_printed(scripts[len(scripts) // 2:], tmp_path, BASH), put_back)
