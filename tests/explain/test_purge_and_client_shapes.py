"""Shapes learnt from the fresh7 blind set, each with its near miss: an acr purge that refuses a flag, a purge that
deleted what was meant to stay, a client replaced under an unchanged setup, a registry "locked down" to networks.

The texts are written for these tests; none is copied from the corpus.
"""

from __future__ import annotations

import pytest

from acrdoctor.explain import explain, explain_ticket
from acrdoctor.explain.recognise_elsewhere import PURGE_FLAGS
from acrdoctor.explain.scoring import changes_something
from acrdoctor.preflight.commands import _PURGE_SPEC

TASK_RUN = 'az acr run --registry shipreg --cmd "acr purge --filter \'web:.*\' --ago 7d {flag} 3" /dev/null'


def test_purge_flags_are_the_ones_preflight_parses() -> None:
    assert set(_PURGE_SPEC) == PURGE_FLAGS


def top(text: str, ticket: bool = False) -> tuple[str, tuple[str, ...]]:
    ranked = (explain_ticket if ticket else explain)(text).ranked
    assert ranked, "nothing recognised"
    return ranked[0].failure_mode, ranked[0].fix.commands


def test_a_documented_purge_flag_refused_is_an_old_acr_cli() -> None:
    text = TASK_RUN.format(flag="--keep") + "\nError: unknown flag: --keep\nUsage:\n  acr purge [flags]"
    m = explain(text).ranked[0]
    assert m.failure_mode == "elsewhere:client-bug" and "--keep" in m.message
    assert not any(changes_something(x) for x in explain(text).matches)


def test_a_misspelt_purge_flag_is_the_command_line() -> None:
    text = TASK_RUN.format(flag="--keeps") + "\nError: unknown flag: --keeps"
    mode, _ = top(text)
    assert mode == "elsewhere:typo"


def test_the_refusal_told_in_words_weighs_the_flags_of_the_command() -> None:
    said = (f"I ran `{TASK_RUN.format(flag='--keep')}` and the task stops at once with unknown flag. "
            "Is the option not available in our region?")
    assert top(said, ticket=True)[0] == "elsewhere:client-bug"
    assert top(said.replace("--keep", "--keep-last"), ticket=True)[0] == "elsewhere:typo"


def test_unknown_flag_of_another_tool_is_not_about_purge() -> None:
    assert all(m.failure_mode not in ("elsewhere:client-bug", "elsewhere:typo") or "purge" not in m.title
               for m in explain("docker push --all shipreg.azurecr.io/web\nunknown flag: --all").matches)


OVERREACH = ("We only wanted the untagged leftovers gone, so the nightly purge runs `acr purge --untagged --filter "
             "'web:.*' --ago 1d`. It wiped every image in web, tagged ones included, and the deployments now fail.")


def test_a_purge_that_deleted_what_was_meant_to_stay_is_its_filter() -> None:
    m = explain_ticket(OVERREACH).ranked[0]
    assert m.failure_mode == "elsewhere:typo" and "filter" in m.title
    assert not any(changes_something(x) for x in explain_ticket(OVERREACH).matches)


def test_a_purge_that_removed_what_it_was_asked_to_is_not_an_overreach() -> None:
    meant = ("We removed all images older than 90 days with acr purge --untagged, about 4,000 manifests, but the "
             "storage only went from 2.1 TB to 2.0 TB.")
    assert all(m.title != "The purge's filter chose those tags" for m in explain_ticket(meant).matches)


@pytest.mark.parametrize("text", [
    "Since we rolled out the Helm upgrade on our agents, every chart pull from the registry fails with 401. Nothing "
    "else changed: same service principal, same registry.",
    "Pushes with kaniko are refused with unauthorized since Monday; the only difference is that the runners got a "
    "newer kaniko, the credentials are unchanged.",
])
def test_a_client_replaced_under_an_unchanged_setup_is_the_client(text: str) -> None:
    m = explain_ticket(text).ranked[0]
    assert m.failure_mode == "elsewhere:client-bug" and m.confidence >= 0.8
    assert "crashed" not in m.title  # nothing crashed: the words tie it to the new release


def test_an_aks_upgrade_is_not_a_client_upgrade() -> None:
    text = "Since the AKS upgrade last night every pod fails to pull from our registry with 401."
    assert explain_ticket(text).ranked[0].failure_mode != "elsewhere:client-bug"


def test_a_registry_locked_down_to_networks_is_the_firewall_not_an_image_lock() -> None:
    text = ("We locked our registry down to selected networks and added the agent's IP with az acr network-rule "
            "add, but the build still fails at login with a 'not allowed access' message, although I whitelisted "
            "that IP.")
    assert top(text, ticket=True)[0] == "network-access-denied"
    locked = "We locked the release tags so nobody deletes them, and now the purge is not allowed to touch them."
    assert top(locked, ticket=True)[0] == "locked-artifacts"


def test_arm_refusing_the_clients_api_version_is_the_client() -> None:
    text = ('azure: Service returned an error. Status=400 Code="NoRegisteredProviderFound" Message="No registered '
            "resource provider found for location 'westus3' and API version '2017-03-01' for type 'registries'. "
            "The supported api-versions are '2019-05-01, 2023-07-01'.\"")
    m = explain(text).ranked[0]
    assert m.failure_mode == "elsewhere:client-bug" and "API version" in m.title and m.confidence >= 0.8


def test_a_dotnet_client_timeout_is_the_clients_timer_not_a_refusal() -> None:
    text = ("Failed to push to the output registry: System.Threading.Tasks.TaskCanceledException: The request was "
            "canceled due to the configured HttpClient.Timeout of 100 seconds elapsing.")
    m = explain(text).ranked[0]
    assert m.failure_mode == "elsewhere:client-bug" and "timeout" in m.title
    # Below the floor: an ACR refusal on the same lines would still rank first.
    assert m.confidence < 0.75


def test_app_service_needing_the_admin_account_is_the_hosting_service() -> None:
    text = ("Error Message: Azure App service currently only supports running images from Azure Container "
            "Registries with admin enabled")
    assert explain(text).ranked[0].failure_mode == "elsewhere:kubelet-pull-secret"


# --- from the third ticket table's tune half (2026-12-03, night), each with its near miss -------------------------

@pytest.mark.parametrize(("text", "mode"), [
    ("All pushes to shipreg are refused since this morning, pulls OK; the portal shows storage used equals the SKU "
     "maximum.", "storage-limit"),
    ("From the CLI `az acr repository delete` returns 401 with authentication required and the detail lists the "
     "action as delete; I can push and pull fine.", "delete-permission"),
    ("The purge task deleted hundreds of images an hour ago but the Used figure on the Overview has not changed "
     "yet. How long it takes until it updates?", "storage-accounting"),
    ("Cleanup of untagged manifests was enabled on 2024-04-01 with 30 days, yet 4,412 untagged manifests from "
     "before then are all still there.", "retention-policy"),
    ("We turned on 7-day recovery for deleted images and now our registry storage never shrinks.", "soft-delete"),
    ("Since we created a mirroring rule for mcr.microsoft.com, every copy of those modules into the registry is "
     "rejected.", "artifact-cache"),
])
def test_ticket_vocabulary_of_the_third_table(text: str, mode: str) -> None:
    assert top(text, ticket=True)[0] == mode


@pytest.mark.parametrize(("text", "mode"), [
    ("Imported 30 public images; three failed with UNAUTHORIZED: docker.io/library/bitnami/redis:7.2 among them.",
     "elsewhere:typo"),
    ("The login step shows it trying to contact https://$(ACR_LOGIN_SERVER)/v2/ and then no such host.",
     "elsewhere:typo"),
    ("`docker push KidsPortal.azurecr.io/centres` fails right away although `az acr login --name KidsPortal` "
     "succeeded.", "elsewhere:typo"),
    ("The manifest request returns 200, but every layer download then hangs; our firewall allows only "
     "shipreg.azurecr.io:443.", "elsewhere:network-client-side"),
    ("docker push fails with dial tcp: lookup shipreg.azurecr.io on 192.168.65.1:53: no such host, while the "
     "browser resolves it.", "elsewhere:network-client-side"),
    ("az acr login --name shipreg\nHTTPSConnectionPool(host='shipreg.azurecr.io', port=443): Max retries exceeded "
     "with url: /v2/ (Caused by NewConnectionError: [WinError 10060] A connection attempt failed because the "
     "connected party did not properly respond after a period of time)", "connectivity-unreachable"),
])
def test_shapes_of_the_third_table(text: str, mode: str) -> None:
    assert top(text, ticket=True)[0] == mode


def test_near_misses_of_the_third_table() -> None:
    # a lower-case host, the official image under library/, a variable that was expanded, soft delete said off
    assert all(m.failure_mode != "elsewhere:typo" for m in explain(
        "docker push shipreg.azurecr.io/centres\nunauthorized: authentication required").matches)
    assert all(m.failure_mode != "elsewhere:typo" for m in explain(
        "az acr import --name shipreg --source docker.io/library/redis:7.2\nERROR: unauthorized").matches)
    assert top("Deleting the registry fails; it has two private endpoint connections. Retention/soft delete "
               "features are off and there are no locks.", ticket=True)[0] == "private-endpoints-block-registry-delete"
    dump = ('"retentionPolicy": {"days": 0, "status": "enabled"},\n"softDeletePolicy": {"retentionDays": 7, '
            '"status": "enabled"}\nUntagged manifests never get removed.')
    assert not any(changes_something(m) for m in explain_ticket(dump).matches)  # two settings shown, no refusal


@pytest.mark.parametrize(("text", "mode"), [
    # the 405 in words counts for all three of its readings; the words around it decide
    ("Push denied with 'operation is disallowed'. No locks anywhere, no quarantine policy. The registry is huge: "
     "41 TB according to the usage blade.", "storage-limit"),
    ("Pushes of new tags are refused with 'operation is disallowed' for about an hour after each push, then it "
     "works by itself.", "quarantined-images"),
    ("Deleting the tag fails with 'operation is disallowed'; someone set write-enabled false on the release tags.",
     "locked-artifacts"),
    # deleted content back after a push: soft delete restores the repository
    ("I deleted the repository tmp/test, then pushed one new image there, and all the old tags came back.",
     "soft-delete"),
])
def test_the_405_family_and_soft_delete_in_words(text: str, mode: str) -> None:
    assert top(text, ticket=True)[0] == mode


def test_cached_images_that_come_back_stay_the_cache_rule() -> None:
    text = ("We deleted the cached nginx tags from the repository our cache rule fills, and they came back the next "
            "day.")
    assert top(text, ticket=True)[0] == "artifact-cache"


@pytest.mark.parametrize(("flag", "mode"), [("--keep", "elsewhere:client-bug"), ("--keeps", "elsewhere:typo")])
def test_a_refusal_with_acr_purges_usage_below_it(flag: str, mode: str) -> None:
    # cobra names the command only in the usage block it prints after the error
    text = f"Error: unknown flag: {flag}\nUsage:\n  acr purge [flags]\n\nFlags:\n      --ago string"
    assert top(text)[0] == mode


def test_acr_purges_usage_alone_is_no_refusal() -> None:
    assert not explain("Usage:\n  acr purge [flags]\n\nFlags:\n      --ago string").matches
