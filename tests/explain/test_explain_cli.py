"""The ``explain`` command: text, stdin, a file, exit codes and the JSON contract."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from acrdoctor import __version__
from acrdoctor.cli import cli
from acrdoctor.explain import EXPLAIN_SCHEMA_VERSION

from . import bodies as b
from . import content_bodies

LOG = "\n".join([b.DISALLOWED_PURGE, b.DENIED_DOCKER, b.THROTTLED_JSON, b.THROTTLED_JSON])


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(cli, ["explain", *args], input=stdin)


def test_text_argument_console() -> None:
    r = run(b.NAME_UNKNOWN_PORTAL)
    assert r.exit_code == 0, r.output
    assert "empty-repository" in r.output and "mailhog" in r.output
    assert 'az acr repository show --name "$REGISTRY" --repository mailhog' in r.output
    assert "REGISTRY=" in r.output


def test_stdin() -> None:
    r = run("-", "--output", "json", stdin=LOG)
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert [m["failure_mode"] for m in data["matches"]] == ["locked-artifacts", "network-access-denied", "throttling"]
    assert data["matches"][2]["occurrences"] == 2


def test_file(tmp_path: Path) -> None:
    log = tmp_path / "purge.log"
    log.write_text(LOG, "utf-8")
    r = run(str(log), "-o", "json")
    assert r.exit_code == 0
    assert json.loads(r.output)["recognised"] is True


def test_nothing_recognised_exits_1_and_suggests_diagnose() -> None:
    r = run("Login Succeeded")
    assert r.exit_code == 1
    assert "acrdoctor diagnose" in r.output
    data = json.loads(run("Login Succeeded", "-o", "json").output)
    assert data["matches"] == [] and "acrdoctor diagnose" in data["suggestion"]


def test_nothing_recognised_says_what_to_collect_for_what_the_text_was_doing() -> None:
    """A push with no error text: the sign-in check and the bundle for the registry the text names; a delete: usage.
    (Read as pasted: in ticket mode the vocabulary guesses instead, tests/explain/test_vocabulary.py.)"""
    data = json.loads(run("Our docker push to shipreg01.azurecr.io is rejected and nothing gets "
                          "uploaded; the image builds fine locally.", "-o", "json").output)
    step = data["next_step"]
    assert data["recognised"] is False and "push or pull" in step["summary"]
    assert step["commands"] == ["az acr check-health --name shipreg01 --ignore-errors --yes",
                                "acrdoctor bundle-script --registry shipreg01"]
    assert step["notes"] == []
    data = json.loads(run("We removed half of the old images last week and the number in the portal looks odd "
                          "to us.", "-o", "json").output)
    step = data["next_step"]
    assert "delete or storage" in step["summary"] and "push or pull" not in step["summary"]
    assert step["commands"] == ['az acr show-usage --name "$REGISTRY" --output table',
                                'acrdoctor bundle-script --registry "$REGISTRY"']
    assert "REGISTRY=" in step["notes"][0]
    console = run("We removed half of the old images last week and the number in the portal looks odd to us.").output
    assert "next:" in console and "az acr show-usage" in console and "REGISTRY=" in console


def test_a_login_server_is_not_a_sign_in() -> None:
    """'login server' names the host, not a sign-in: the reads follow the push, not an auth failure."""
    data = json.loads(run("I tagged the image with the registry's login server name and the upload never finishes.",
                          "-o", "json").output)
    assert "sign-in" not in data["next_step"]["summary"] and "push or pull" in data["next_step"]["summary"]


def test_unreadable_input_exits_2(tmp_path: Path) -> None:
    r = run(str(tmp_path))
    assert r.exit_code == 2
    assert r.output.startswith("acrdoctor: error: cannot read") and r.output.count("\n") == 1


def test_json_contract() -> None:
    data = json.loads(run(LOG, "-o", "json").output)
    assert data["schema_version"] == EXPLAIN_SCHEMA_VERSION
    assert data["tool"] == {"name": "acrdoctor", "version": __version__}
    for m in data["matches"]:
        assert {"failure_mode", "message", "cause", "extracted", "confirm", "fix", "docs"} <= set(m)
        assert isinstance(m["extracted"], dict) and all(isinstance(v, str) for v in m["extracted"].values())
        assert isinstance(m["confirm"]["commands"], list) and isinstance(m["fix"]["commands"], list)
        assert m["docs"] and all(d.startswith("https://") for d in m["docs"])
    denied = data["matches"][1]
    assert denied["extracted"]["client_ip"] == "172.214.169.102"
    assert denied["fix"]["commands"][0] == "az acr network-rule add --name contosoreg --ip-address 172.214.169.102"


# Every az command explain prints is checked by tests/test_az_commands.py, through azure-cli's parser in-process
# and offline (see explain_texts() below, which that test imports).


def explain_texts() -> list[str]:
    """Texts whose explanations cover every recogniser, for the az parser test."""
    return [LOG, b.NAME_UNKNOWN_JSON, b.TAG_UNKNOWN_JSON, b.BROKEN_INDEX_PULL, b.UNAUTHORIZED_DETAIL,
            b.UNAUTHORIZED_ANON, b.MANIFEST_UNKNOWN_PURGE, "Deleting the registry failed: private endpoints",
            "untagged them all and storage did not go down",
            b.PURGE_TASK_TOKEN_401, b.CACHE_RULE_CONFLICT, b.CACHED_MANIFEST_UNKNOWN,
            *(b.health_output(c, msg) for c, msg in b.HEALTH.values()), *content_bodies.ALL, *NIGHT_SHAPES]


#: Texts of the shapes added on 2026-12-03's night round whose answers print az commands (read or, as words, fix).
NIGHT_SHAPES = (
    "Operation failed with status: 'Bad Request'. Details: Cannot perform credential operations for "
    "/subscriptions/0/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/shipreg as Admin user is "
    "disabled. Enable Admin user feature and try again.",
    "az acr build --registry shipreg --image web:1 .\nCould not get SAS URL to upload.",
    "We only wanted the untagged leftovers gone, so the nightly purge ran `acr purge --untagged --filter 'web:.*' "
    "--ago 1d` on shipreg. It wiped every image in web, tagged ones included.",
    "az acr import -n shipreg --source shipreg.azurecr.io/web:base --image web:1.0.0\nERROR: (Conflict) Operation "
    "registries-1 failed. Tag web:1.0.0 already exists in target registry.",
    "An error occurred: CONNECTIVITY_REFRESH_TOKEN_ERROR\nAccess to registry 'shipreg.azurecr.io' was denied. "
    "Response code: 403.",
)
