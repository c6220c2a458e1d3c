"""Every failure ``explain`` knows, from real bodies in several formats, with the names it must extract."""

from __future__ import annotations

import json
import re
import shlex

import pytest

from acrdoctor.explain import FAILURE_MODES, Match, explain
from acrdoctor.explain.actions import registry_id_expr
from acrdoctor.explain.names import placeholder
from acrdoctor.shellquote import shell_join, shell_word

from . import bodies as b


def only(text: str) -> Match:
    result = explain(text)
    assert len(result.matches) == 1, [m.failure_mode for m in result.matches]
    return result.matches[0]


def commands(m: Match) -> list[str]:
    return [*m.confirm.commands, *m.fix.commands]


def no_placeholders(m: Match) -> None:
    for cmd in commands(m):
        assert "<" not in cmd and ">" not in cmd.replace("2>", ""), cmd
        assert "__ACRDOCTOR_" not in cmd, cmd


# --- NAME_UNKNOWN -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, repo", [
    (b.NAME_UNKNOWN_JSON, "not_real_repo"),
    (b.NAME_UNKNOWN_PORTAL, "mailhog"),
    (b.NAME_UNKNOWN_SDK, "not_real_repo"),
    (json.dumps({"message": b.NAME_UNKNOWN_JSON}), "not_real_repo"),  # \"-escaped inside another JSON string
])
def test_name_unknown_formats(text: str, repo: str) -> None:
    m = only(text)
    assert m.failure_mode == "empty-repository" and m.in_catalogue
    assert m.extracted.repository == repo
    assert f'az acr repository show --name "$REGISTRY" --repository {repo}' in m.confirm.commands
    assert f'az acr repository list --name "$REGISTRY" --output tsv | grep -Fx -- {repo}' in m.confirm.commands
    assert "empty-repository trap" in m.cause and "does not exist" in m.cause
    assert "$REGISTRY" in (m.variable_note() or "")
    no_placeholders(m)


def test_name_unknown_cli_with_the_delete_command_fills_every_name() -> None:
    text = "$ az acr repository delete -n contosoreg --repository mailhog --yes\n" + b.NAME_UNKNOWN_CLI
    m = only(text)
    assert m.failure_mode == "empty-repository"
    assert m.extracted.as_dict() == {"registry": "contosoreg", "repository": "mailhog",
                                     "correlation_id": "530afbd4-2a76-4a52-b70f-890dac6b46ce"}
    assert m.fix.commands == (
        "az acr import --name contosoreg --source mcr.microsoft.com/mcr/hello-world:latest "
        "--image mailhog:acrdoctor-placeholder",
        "az acr repository delete --name contosoreg --repository mailhog --yes",
    )
    assert m.variables == []


def test_name_unknown_on_a_read_is_a_repository_that_does_not_exist() -> None:
    m = only("$ az acr repository show-tags --name contosoreg --repository tyop\n" + b.NAME_UNKNOWN_CLI)
    assert m.failure_mode == "repository-not-found" and not m.in_catalogue
    assert "az acr repository list --name contosoreg --output tsv | grep -Fx -- tyop" in m.confirm.commands
    assert "empty-repository trap" in m.cause


# --- TAG_UNKNOWN / MANIFEST_UNKNOWN -------------------------------------------------------------------------

def test_tag_unknown_with_the_untag_command() -> None:
    m = only("az acr repository untag -n contosoreg --image web/app:old\n" + b.TAG_UNKNOWN_JSON)
    assert m.failure_mode == "tag-not-found"
    assert (m.extracted.registry, m.extracted.repository, m.extracted.tag) == ("contosoreg", "web/app", "old")
    assert "az acr repository show --name contosoreg --image web/app:old" in m.confirm.commands


def test_tag_unknown_from_the_acr_path() -> None:
    m = only("DELETE https://contosoreg.azurecr.io/acr/v1/does_not_exist/_tags/does_not_exist 404\n"
             + b.TAG_UNKNOWN_JSON.replace('"', "'"))
    assert (m.extracted.repository, m.extracted.tag) == ("does_not_exist", "does_not_exist")


def test_manifest_unknown_on_delete() -> None:
    m = only(f"DELETE /v2/repo93d41b55/manifests/{b.DIGEST_MISSING}\n" + b.MANIFEST_UNKNOWN_JSON)
    assert m.failure_mode == "manifest-not-found"
    assert m.extracted.repository == "repo93d41b55" and m.extracted.digest == b.DIGEST_MISSING
    assert f'az acr repository show --name "$REGISTRY" --image repo93d41b55@{b.DIGEST_MISSING}' in m.confirm.commands


def test_manifest_unknown_in_acr_purge_names_repository_and_digest() -> None:
    m = only(b.MANIFEST_UNKNOWN_PURGE)
    assert m.failure_mode == "manifest-not-found"
    assert m.extracted.repository == "msi-connector-svc.deployer.ev2" and m.extracted.digest == b.DIGEST_459
    assert any("acr-cli#459" in n for n in m.fix.notes)


def test_manifest_unknown_on_pull_is_a_broken_index_child() -> None:
    m = only(b.BROKEN_INDEX_PULL)
    assert m.failure_mode == "broken-index-references" and m.in_catalogue
    assert m.extracted.as_dict() == {"registry": "contosoreg", "repository": "web/app", "tag": "1.4",
                                     "digest": b.DIGEST_459, "login_server": "contosoreg.azurecr.io"}
    assert "az acr manifest show --registry contosoreg --name web/app:1.4" in m.confirm.commands
    assert ('az acr import --name contosoreg --source "$SOURCE_IMAGE" --image web/app:1.4 --force'
            in m.fix.commands)


# --- 405 ----------------------------------------------------------------------------------------------------

def test_disallowed_from_acr_purge_log() -> None:
    m = only("$ az acr run --registry contosoreg --cmd \"acr purge --filter 'mads:.*' --ago 0d\" /dev/null\n"
             + b.DISALLOWED_PURGE)
    assert m.failure_mode == "locked-artifacts"
    assert (m.extracted.registry, m.extracted.repository) == ("contosoreg", "mads")
    assert ("az acr repository update --name contosoreg --repository mads --delete-enabled true --write-enabled true"
            in m.fix.commands)
    assert "az acr show --name contosoreg --query policies.quarantinePolicy" in m.confirm.commands
    assert "az acr show-usage --name contosoreg --output table" in m.confirm.commands
    assert "quarantine" in m.cause and "storage" in m.cause
    assert any("--include-locked" in n for n in m.fix.notes)


@pytest.mark.parametrize("text", [b.DISALLOWED_CLI, b.DISALLOWED_DOTNET])
def test_disallowed_other_formats(text: str) -> None:
    m = only(text)
    assert m.failure_mode == "locked-artifacts" and m.occurrences == 1
    assert set(m.variables) >= {"REGISTRY", "REPOSITORY"}


def test_disallowed_cli_keeps_the_correlation_id() -> None:
    assert only(b.DISALLOWED_CLI).extracted.correlation_id == "0f6e1d2c-3b4a-4c5d-8e9f-a0b1c2d3e4f5"


def test_purge_skips_are_counted_once_with_a_fix_per_tag() -> None:
    m = only(b.DISALLOWED_PURGE_SKIPS)
    assert m.occurrences == 3
    for tag in ("v1", "v2", "v3"):
        assert (f"az acr repository update --name contosoreg --image team/api:{tag} --delete-enabled true "
                "--write-enabled true") in m.fix.commands


# --- 403 DENIED ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, registry, ip", [
    (b.DENIED_DOCKER, "contosoreg", "172.214.169.102"),
    (b.DENIED_DOCKER.replace("\\u0027", "'"), "contosoreg", "172.214.169.102"),
    (b.DENIED_TASK, "myregistryname", "52.138.231.5"),
])
def test_firewall_denial(text: str, registry: str, ip: str) -> None:
    m = only(text)
    assert m.failure_mode == "network-access-denied"
    assert (m.extracted.registry, m.extracted.client_ip) == (registry, ip)
    assert m.fix.commands[0] == f"az acr network-rule add --name {registry} --ip-address {ip}"
    assert f"az acr show --name {registry} --query networkRuleSet" in m.confirm.commands


def test_firewall_denial_in_an_acr_task_explains_the_changing_agent_ip() -> None:
    assert any("agent pool" in n for n in only(b.DENIED_TASK).fix.notes)


def test_check_health_forbidden_is_the_firewall() -> None:
    m = only(b.FORBIDDEN_CLI)
    assert m.failure_mode == "network-access-denied" and m.extracted.registry == "contosoreg"
    assert ('az acr network-rule add --name contosoreg --ip-address '
            '"${ACRDOCTOR_CALLER_IP:-$(curl -fsS https://api.ipify.org)}"') in m.fix.commands


# --- 401 ----------------------------------------------------------------------------------------------------

def test_unauthorized_detail_names_the_missing_action() -> None:
    m = only(b.UNAUTHORIZED_DETAIL)
    assert m.failure_mode == "delete-permission"
    assert m.extracted.as_dict() == {"repository": "not_real_repo", "action": "delete", "action_type": "repository",
                                     "action_name": "not_real_repo"}
    assert ('az role assignment create --assignee-object-id "$(acrdoctor whoami --object-id)" '
        '--assignee-principal-type "$(acrdoctor whoami --principal-type)" '
            '--role AcrDelete --scope "$(az acr show --name "$REGISTRY" --query id --output tsv)"') in m.fix.commands


def test_unauthorized_multiline_purge_error() -> None:
    m = only("acr purge --registry contosoreg --filter '.*:.*' --ago 7d --untagged\n" + b.UNAUTHORIZED_PURGE)
    assert m.failure_mode == "delete-permission" and m.occurrences == 1
    assert (m.extracted.action, m.extracted.action_name, m.extracted.registry) == ("pull", "my_image_name",
                                                                                     "contosoreg")
    assert any("--role AcrPull" in c for c in m.fix.commands)


def test_unauthorized_without_detail_is_a_sign_in_problem() -> None:
    m = only('Get "https://contosoreg.azurecr.io/v2/": ' + b.UNAUTHORIZED_ANON)
    assert m.failure_mode == "authentication-required"
    assert m.fix.commands == ("az login", "az acr login --name contosoreg")


# --- 429 ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [b.THROTTLED_TOKEN, b.THROTTLED_JSON, b.THROTTLED_SDK])
def test_throttling(text: str) -> None:
    m = only(text)
    assert m.failure_mode == "throttling"
    assert any("Retry-After" in n for n in m.fix.notes)


def test_throttled_token_exchange_is_not_a_refresh_token_error() -> None:
    m = only(b.THROTTLED_TOKEN)
    assert m.extracted.registry == "contosoreg"
    assert any("misleading" in n for n in m.fix.notes)


# --- check-health -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", sorted(b.HEALTH))
def test_check_health_codes(mode: str) -> None:
    code, message = b.HEALTH[mode]
    m = only(b.health_output(code, message))
    assert m.failure_mode == mode and m.occurrences == 1
    assert m.extracted.registry == "contosoreg"
    assert "az acr check-health --name contosoreg --ignore-errors --yes" in m.confirm.commands
    assert any(code.lower() in d for d in m.docs)


def test_check_health_message_alone_is_enough() -> None:
    assert only(b.HEALTH["connectivity-dns"][1]).failure_mode == "connectivity-dns"


def test_access_token_lacking_permissions_is_delete_permission() -> None:
    text = ("An error occurred: CONNECTIVITY_ACCESS_TOKEN_ERROR\nYou have pull permissions to the repository. You "
            "are lacking delete repository permissions. Please verify if you have full read, write, and delete "
            "permissions to the repository in the registry.")
    assert only(text).failure_mode == "delete-permission"


# --- private endpoints, storage -----------------------------------------------------------------------------

def test_registry_delete_blocked_by_private_endpoints() -> None:
    text = ("$ az acr delete --name contosoreg --yes\n(Conflict) The registry cannot be deleted because private "
            "endpoint connection contosoreg.822bd3cf07874f72b98e1b0041105393 is still attached.")
    m = only(text)
    assert m.failure_mode == "private-endpoints-block-registry-delete"
    assert m.extracted.connection == "contosoreg.822bd3cf07874f72b98e1b0041105393"
    assert m.fix.commands == (
        "az acr private-endpoint-connection delete --registry-name contosoreg --name "
        "contosoreg.822bd3cf07874f72b98e1b0041105393",
        "az acr delete --name contosoreg --yes",
    )


def test_private_endpoint_without_names_uses_variables() -> None:
    m = only("Deleting the registry failed: it still has private endpoints")
    assert 'az acr private-endpoint-connection delete --registry-name "$REGISTRY" --name "$CONNECTION"' \
        in m.fix.commands
    assert m.variables == ["REGISTRY", "CONNECTION"]


@pytest.mark.parametrize("text, mode", [
    ("Purge ran for hours on contosoreg.azurecr.io, but az acr show-usage is unchanged: storage did not go down",
     "dangling-manifests"),
    ("We untagged 300 images and the storage did not go down", "dangling-manifests"),
    ("Our storage is unchanged after the nightly purge:\nNumber of deleted tags: 120\nNumber of deleted manifests: 0",
     "dangling-manifests"),
    ("Deleted two repositories but storage used did not decrease much", "shared-layers"),
    ("We deleted the images yesterday and the usage is still the same this morning", "storage-accounting"),
])
def test_storage_did_not_go_down(text: str, mode: str) -> None:
    m = explain(text).ranked[0]  # the purge summary under its complaint is also read as words (ranked after it)
    assert m.failure_mode == mode and m.in_catalogue
    assert any(c.startswith("az acr show-usage") for c in m.confirm.commands)
    assert any(c.startswith("acrdoctor diagnose") for c in m.confirm.commands)
    if "Number of deleted" in text:  # acr purge's own summary under the complaint: certain enough to print
        assert any("--untagged-only" in c and "--dry-run" not in c for c in m.fix.commands)
    else:  # words only: nothing that deletes is printed until the confirm step shows it applies
        assert not any("--dry-run" not in c and "purge" in c for c in m.fix.commands)
        assert any("--untagged-only" in n for n in m.fix.notes)
        assert 0.4 <= m.confidence <= 0.7 and m.next_step is not None


def test_a_purge_summary_alone_is_no_complaint() -> None:
    """Every tags-only purge prints "deleted manifests: 0": with no word of storage around it, it is a side note
    (0.7) whose untagged-only purge is shown as words, and a refusal in the same log ranks first (a lock's 405)."""
    m = only("Number of deleted tags: 120\nNumber of deleted manifests: 0")
    assert m.failure_mode == "dangling-manifests" and m.confidence == 0.7
    assert not any("purge" in c and "--dry-run" not in c for c in m.fix.commands)
    assert any("--untagged-only" in n for n in m.fix.notes)
    text = ("Deleting tags for repository: analytics/spark-job\n"
            "Skipped analytics/spark-job:2023-golden, operation not allowed, may be locked\n"
            "Number of deleted tags: 2\nNumber of deleted manifests: 0\n"
            "$ az acr repository delete -n litwaredata --image analytics/spark-job:2023-golden --yes\n"
            "ERROR: Error: The operation is disallowed on this registry, repository or image.")
    assert explain(text).ranked[0].failure_mode == "locked-artifacts"


def test_storage_kept_by_soft_delete_names_the_policy() -> None:
    """Soft delete on and usage unchanged: the deleted artifacts are still billed, the answer that names the setting."""
    m = only("Deleted the images yesterday, soft delete is enabled, and usage is unchanged")
    assert m.failure_mode == "soft-delete"
    assert any(c.startswith("az acr show-usage") for c in m.confirm.commands)
    assert any("soft-delete" in c or "soft_delete" in c or "softDelete" in c for c in m.confirm.commands)
    assert not m.fix.commands


# --- whole logs, nothing recognised, shell safety ----------------------------------------------------------

def test_multi_failure_log_reports_each_once_in_order() -> None:
    text = "\n".join([
        "2024/05/01 10:00:00 starting cleanup",
        b.DENIED_DOCKER, b.DENIED_DOCKER,
        b.NAME_UNKNOWN_JSON,
        b.UNAUTHORIZED_PURGE,
        b.THROTTLED_JSON, b.THROTTLED_JSON, b.THROTTLED_JSON,
        b.DISALLOWED_PURGE_SKIPS,
    ])
    result = explain(text)
    assert [(m.failure_mode, m.occurrences) for m in result.matches] == [
        ("network-access-denied", 2), ("empty-repository", 1), ("delete-permission", 1), ("throttling", 3),
        ("locked-artifacts", 3)]
    # Names do not leak from one error into the next.
    assert result.matches[1].extracted.repository == "not_real_repo"
    assert result.matches[0].extracted.repository is None


@pytest.mark.parametrize("text", ["", "all good\nDeleted 3 images", "Login Succeeded",
                                  "Deleted contosoreg.azurecr.io/app:v1", "Please refer to "
                                  "https://aka.ms/acr/errors#connectivity_dns_error for more information."])
def test_nothing_recognised(text: str) -> None:
    result = explain(text)
    assert not result.recognised and result.exit_code() == 1


def test_names_that_need_quoting_are_quoted() -> None:
    # shell metacharacters in a name never reach the shell unquoted
    m = only("az acr repository delete --name contosoreg --repository 'a;rm -rf ~' --yes\n" + b.NAME_UNKNOWN_CLI)
    assert all("'a;rm -rf ~'" in c for c in m.fix.commands if "--repository" in c)


def test_placeholders_print_as_quoted_variables() -> None:
    reg, tag = placeholder("registry"), placeholder("tag")
    assert shell_join(["az", "acr", "show", "--name", reg]) == 'az acr show --name "$REGISTRY"'
    assert shell_join(["x", "--image", shell_word("app", ":", tag)]) == 'x --image "app:$TAG"'
    assert shell_join(["x", registry_id_expr(reg)]) == 'x "$(az acr show --name "$REGISTRY" --query id --output tsv)"'
    assert shell_join(["x", shell_word(reg, "abc")]) == 'x "${REGISTRY}abc"'


@pytest.mark.parametrize("name", ["$(touch pwned)", "x__ACRDOCTOR_REPOSITORY__y", "$REPOSITORY"])
def test_a_name_from_the_text_that_looks_like_shell_stays_data(name: str) -> None:
    # only acrdoctor's own expressions are expanded; the same text taken from the log is single-quoted
    m = only(f"az acr repository delete --name contosoreg --repository '{name}' --yes\n" + b.NAME_UNKNOWN_CLI)
    with_repo = [c for c in (*m.confirm.commands, *m.fix.commands) if "--repository" in c]
    assert with_repo and all(shlex.split(c)[shlex.split(c).index("--repository") + 1] == name for c in with_repo)
    assert "REPOSITORY" not in m.variables


def test_every_failure_mode_is_documented() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "explain.md").read_text("utf-8")
    for mode in FAILURE_MODES:
        assert re.search(rf"^\| `{re.escape(mode)}` \|", doc, flags=re.M), f"{mode} missing from docs/explain.md"
