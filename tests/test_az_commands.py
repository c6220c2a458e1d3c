"""Every ``az`` command acrdoctor prints is accepted by the real Azure CLI's argument parser.

Needs the optional ``azcli`` extra (the ``azure-cli`` package); skipped without it. ``.ci/run`` installs it in a
separate environment and runs this file there.

The commands are handed to the real CLI in this process with an empty configuration directory and no login.
A command that parses goes on to fail for lack of a login or a network (exit 1); an argument error
(unrecognized arguments, missing required arguments, invalid choices) is exit 2 with argparse's message.
To make sure nothing reaches the internet while the CLI tries, every proxy points at a closed loopback
port and name resolution is refused for anything but loopback.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import shlex
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

azure_cli_core = pytest.importorskip("azure.cli.core", reason="the azcli extra (azure-cli) is not installed")

from acrdoctor.builder import SnapshotBuilder, locked  # noqa: E402
from acrdoctor.controls import CacheRule  # noqa: E402
from acrdoctor.demo import load_demo  # noqa: E402
from acrdoctor.engine import Catalogue, Report, diagnose  # noqa: E402
from acrdoctor.grouping import expand_commands, group_from_json  # noqa: E402
from acrdoctor.model import NetworkRuleSet, Part, Policy, Snapshot  # noqa: E402
from acrdoctor.preflight.run import preflight, safe_plan_script  # noqa: E402
from acrdoctor.render.json_report import report_to_dict  # noqa: E402

ARGUMENT_ERRORS = ("unrecognized arguments", "the following arguments are required", "invalid choice",
                   "expected one argument", "not allowed with argument")
#: What az says when a command registered with ``confirmation=True`` runs without ``--yes`` and no terminal: a
#: pasted command stops there ("Operation cancelled."), so every such printed command must carry ``--yes``.
CONFIRMATION_ERRORS = ("Operation cancelled", "Unable to prompt for confirmation")

#: Shell expressions the printed commands use for values only known where they run, and a stand-in for each.
SUBSTITUTIONS = {
    "${ACRDOCTOR_CALLER_IP:-$(curl -fsS https://api.ipify.org)}": "203.0.113.10",
    "$(acrdoctor whoami --object-id)": "00000000-0000-0000-0000-0000000000aa",
    "$(acrdoctor whoami --principal-type)": "ServicePrincipal",
}


def variant_snapshots() -> dict[str, Snapshot]:
    """Registries that drive the checks down their other branches (non-Premium, private, ABAC, full)."""
    basic = SnapshotBuilder(name="fabrikam", sku="Basic", resource_group=None,
                            public_network_access="Enabled", network_rule_set=NetworkRuleSet("Deny"),
                            retention_policy=Policy("enabled", 3))
    repo = basic.repository("team/app", attributes=locked(delete=False, write=True))
    repo.image(["v1"], layers=[("base", 100)], tag_attributes={"v1": locked()})
    repo.image(layers=[("old", 50)], age_days=40)
    basic.repository("empty", counts=(0, 0))
    basic.error(Part.REPOSITORIES, 403, "DENIED", "client with IP '198.51.100.20' is not allowed access.")
    basic.error(Part.MANIFESTS, 401, "UNAUTHORIZED", "authentication required",
                repository="team/app", detail={"Type": "repository", "Name": "team/app", "Action": "delete"})
    basic.set_usage(size=100, limit=105)
    basic.listing("catalog", False, items=2, reason="an empty page before the end")
    basic.repository("short", counts=(4, 2)).image(["v1"], layers=[("short", 5)])

    private = SnapshotBuilder(name="northwind", sku="Premium", public_network_access="Disabled",
                              network_rule_set=NetworkRuleSet("Deny"), role_assignment_mode="AbacRepositoryPermissions",
                              soft_delete_policy=Policy("enabled", 30))
    private.repository("svc").image(["1.0"], layers=[("x", 10)])
    private.error(Part.MANIFESTS, 401, "UNAUTHORIZED", "authentication required", repository="svc",
                  detail={"Type": "repository", "Name": "svc", "Action": "delete"})
    private.error(Part.MANIFEST_BODIES, 429, "TOOMANYREQUESTS", "too many requests", retry_after=30.0)
    private.private_endpoint("0123abcd")
    private.replication("eastus")
    private.cache_rule("dockerhub-nginx", "docker.io/library/nginx", "mirror/nginx")  # soft-delete: unsupported
    private.set_usage()
    private.controls["cache_rules"] = (CacheRule("mirror", "docker.io/library/*", "svc", provisioning_state="Failed"),)
    # resource-locks at the registry scope (--resource/--resource-type) and a ReadOnly one; a connected registry.
    private.lock("freeze", "ReadOnly", "registry", notes="change freeze")
    private.lock("sub-guard", "CanNotDelete", "subscription")
    private.connected_registry("factory-1", "ReadOnly", sync_token_id="/x/tokens/factory-1-sync-token")
    out = {"demo": load_demo(), "basic": basic.build(), "private": private.build()}
    # The documented demo variants (soft-delete, storage-limit...) drive their checks down the other branches.
    from acrdoctor.demo.variants import MAIN_VARIANT, build_variant, variant_names

    for name in variant_names():
        if name != MAIN_VARIANT:
            out[f"demo:{name}"] = build_variant(name)
    return out


def printed_commands() -> list[str]:
    """Every fix, related and safe-plan command acrdoctor prints for the demo and the variants."""
    out: list[str] = []
    catalogue = Catalogue.load(plugins=False)
    for snap in variant_snapshots().values():
        report = diagnose(snap, catalogue=catalogue)
        for f in report.findings():
            if f.fix is None:
                continue
            out += f.fix.commands
            out += [c for rel in f.fix.related for c in rel.commands]
        out += json_report_commands(report)
    from acrdoctor.explain import explain
    from tests.explain.test_explain_cli import explain_texts
    from tests.explain.test_recognise_locks import TEXTS as LOCK_TEXTS

    for text in (*explain_texts(), *LOCK_TEXTS):
        for match in explain(text).matches:
            for cmd in (*match.confirm.commands, *match.fix.commands):
                out.append(_fill_variables(cmd.split(" | ")[0]))
    out += bundle_script_commands()
    out += fix_plan_commands(catalogue)
    from acrdoctor.usage import build_usage

    for snap in variant_snapshots().values():  # acrdoctor usage's cleanup candidates
        out += [c.command for c in build_usage(snap, top=30).candidates]
    demo = load_demo()
    for command in (["acr", "purge", "--filter", "apps/.*:.*", "--ago", "30d", "--untagged"],
                    ["az", "acr", "repository", "delete", "--name", "contoso", "--image", "apps/web:3.4.1", "--yes"],
                    ["az", "acr", "repository", "delete", "--name", "contoso", "--repository", "ml/batch-scorer"],
                    ["az", "acr", "repository", "untag", "--name", "contoso", "--image", "apps/web:latest"]):
        plan = preflight(command, demo)
        out += [line for line in safe_plan_script(plan, demo, " ".join(command)).splitlines()
                if line.startswith("az ")]
    return out


def json_report_commands(report: Report) -> list[str]:
    """The commands of the JSON report as a script reads them: groups of deletes expanded, and each group's template
    with a digest in place of ``"$digest"`` (acrdoctor.grouping)."""
    out: list[str] = []
    for result in report_to_dict(report)["results"]:
        for f in result["findings"]:
            items = [*f["fix"]["commands"], *(c for rel in f["fix"]["related"] for c in rel["commands"])] if f["fix"] \
                else []
            out += expand_commands(items)
            out += [group_from_json(g).template().replace("$digest", "sha256:" + "d" * 64)
                    for g in items if isinstance(g, dict)]
    return out


def fix_plan_commands(catalogue: Catalogue) -> list[str]:
    """Every step and manual command of ``acrdoctor fix`` plans that name every check, relock and retention."""
    from acrdoctor.fix.plan import make_plan

    out: list[str] = []
    for snap in variant_snapshots().values():
        for ip in (None, "203.0.113.9"):
            plan = make_plan(snap, catalogue, catalogue.slugs(), relock=True, enable_retention=True, caller_ip=ip)
            out += [c for step in plan.steps for c in step.action.commands()]
            out += [c for m in plan.manual for c in m.commands]
    return out


#: Values for the shell variables explain prints when the text did not name something.
VARIABLES = {"REGISTRY": "contosoreg", "REPOSITORY": "app", "TAG": "v1", "DIGEST": "sha256:" + "c" * 64,
             "CLIENT_IP": "203.0.113.10", "CONNECTION": "c1", "SOURCE_IMAGE": "docker.io/library/hello-world:latest",
             "SCOPE_MAP": "cleanup-map", "TASK": "nightly-purge", "TOKEN": "cleanup-token",
             "LOCK": "platform-lock", "LOCK_ID": "/subscriptions/0/providers/Microsoft.Authorization/locks/l1"}


def _fill_variables(cmd: str) -> str:
    cmd = re.sub(r'"\$\((?:[^()]|\([^()]*\))*\)"', "VALUE", cmd)
    return re.sub(r"\$\{?([A-Z_]+)\}?", lambda m: VARIABLES[m.group(1)], cmd)


def bundle_script_commands() -> list[str]:
    """The az commands of the bundle script, joined across continuation lines, with its variables filled in."""
    from acrdoctor.collect.bundle_script import bundle_script

    text = bundle_script("contoso", resource_group="rg-contoso").replace("\\\n", " ")
    commands = []
    for line in text.splitlines():
        found = re.search(r"(?:^|\s|\$\()(az (?:acr|lock|role|account|ad) .*)",
                          line.split("#")[0] if line.lstrip().startswith("#") else line)
        if found is None or line.lstrip().startswith(("#", "echo")):
            continue
        cmd = re.split(r"\s(?:[<>|]|2>|\)\s*\|\||\) \|\||\|\|)|\)\s*\|\|", found.group(1))[0]
        cmd = cmd.replace('"$repo@$digest"', "app@sha256:" + "c" * 64).replace('"$repo"', "app")
        cmd = cmd.replace('"${role##*/}"', "c2f4ef07-c644-48eb-af81-4b1b4947fb11")
        commands.append(re.sub(r'"\$\{?[A-Za-z_]+\}?"', "contoso", cmd))
    assert len(commands) >= 8, text
    return commands


def shapes(commands: list[str]) -> dict[str, list[str]]:
    """One representative per command shape (digests and names vary, flags do not), as argv."""
    seen: dict[str, list[str]] = {}
    for text in commands:
        for expr, value in SUBSTITUTIONS.items():
            text = text.replace(f'"{expr}"', value)
        argv = shlex.split(text)
        if argv[0] != "az" or argv[1] == "login":  # acrdoctor's own commands, or az login (interactive)
            continue
        key = " ".join(a if a.startswith("-") or i < 4 else "_" for i, a in enumerate(argv))
        seen.setdefault(key, argv[1:])
    return seen


@contextlib.contextmanager
def offline() -> Iterator[None]:
    """No byte leaves the machine: proxies point at a closed loopback port, non-loopback lookups fail."""
    saved = {k: os.environ.get(k) for k in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "AZURE_CONFIG_DIR")}
    os.environ.update({"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""})
    scratch = tempfile.TemporaryDirectory(prefix="acrdoctor-az-")
    os.environ["AZURE_CONFIG_DIR"] = scratch.name
    real = socket.getaddrinfo

    def loopback_only(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise socket.gaierror(f"name resolution disabled in this test: {host}")
        return real(host, *args, **kwargs)

    socket.getaddrinfo = loopback_only
    try:
        yield
    finally:
        socket.getaddrinfo = real
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        scratch.cleanup()


def parse_result(argv: list[str]) -> tuple[int, str]:
    from azure.cli.core import get_default_cli

    cli = get_default_cli()
    out, err = io.StringIO(), io.StringIO()
    # The CLI reports argument errors through logging as well as stderr: collect both.
    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.invoke(argv, out_file=out)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
    finally:
        root.removeHandler(handler)
    return code, err.getvalue() + "\n".join(records)


COMMANDS = printed_commands()


def test_fix_plans_print_every_applied_kind_of_change() -> None:
    from acrdoctor.fix.plan import make_plan

    catalogue = Catalogue.load(plugins=False)
    plan = make_plan(load_demo(), catalogue, catalogue.slugs(), relock=True, caller_ip="203.0.113.9")
    kinds = {type(s.action).__name__ for s in plan.steps}
    assert {"SetAttributes", "DeletePrivateEndpointConnection", "ImportPlaceholder", "DeleteManifest",
            "DeleteRepository", "AddNetworkRule"} <= kinds
    corpus = set(fix_plan_commands(catalogue))
    assert all(c in corpus for s in plan.steps for c in s.action.commands())


def test_the_corpus_covers_every_kind_of_fix() -> None:
    verbs = {" ".join(shlex.split(c)[:4]) for c in COMMANDS}
    for expected in ("az acr repository update", "az acr repository delete", "az acr import --name",
                     "az acr private-endpoint-connection delete", "az acr network-rule add", "az acr run --registry",
                     "az acr config soft-delete", "az role assignment create", "az acr repository untag"):
        assert any(v.startswith(expected) for v in verbs), f"no {expected!r} command in the corpus"


@pytest.mark.parametrize("argv", list(shapes(COMMANDS).values()), ids=lambda a: " ".join(a[:3]))
def test_az_accepts_the_command(argv: list[str], tmp_path: Path) -> None:
    with offline():
        code, err = parse_result(argv)
    assert code != 2 and not any(e in err for e in ARGUMENT_ERRORS), f"az rejected: az {' '.join(argv)}\n{err}"
    assert not any(e in err for e in CONFIRMATION_ERRORS), f"az asks to confirm: az {' '.join(argv)}\n{err}"


def test_the_parser_check_would_catch_a_bad_command() -> None:
    with offline():
        code, err = parse_result(["acr", "private-endpoint-connection", "delete", "--registry-name", "contoso",
                                  "--name", "pe", "--yes"])
    assert code == 2 and "unrecognized arguments" in err


def test_the_confirmation_check_would_catch_a_command_without_yes() -> None:
    with offline():
        _, err = parse_result(["acr", "cache", "delete", "--registry", "contoso", "--name", "rule"])
    assert any(e in err for e in CONFIRMATION_ERRORS), err
