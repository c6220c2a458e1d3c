"""Customers' symptom descriptions, one failure mode at a time, and the shapes they taught.

``ticket_wordings.jsonl`` holds 197 tickets written 2026-12-03 by a helper who never saw the recognisers, from the
label definitions and the documented symptom of each failure mode (each row's ``basis``), in nine styles (terse,
frustrated, non-native, with pasted output, with a command, with numbers, with negations …). The rows split by
the SHA-256 of their text (``bench/explain_wordings.py --half``): rules were first widened from the tune half's
misses only, and the holdout half scored blind before and after (52 then 58 of 103: what the tuning generalised);
its misses then taught more shapes too, so neither half is blind any more. ``ticket_wordings2.jsonl`` (205 rows,
a second helper, the same brief with more services and a "chat" style) was then scored blind once: 130/205; its
tune half's misses taught more shapes (63 → 89 of 104) and its holdout half moved 67 → 68 of 101 (docs/explain.md).

The shape tests below are texts written here, each rule with the near miss it must not take.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from acrdoctor.explain import explain, explain_ticket
from acrdoctor.explain.scoring import ELSEWHERE_LABELS, Case, changes_something, score
from bench.explain_wordings import half_of, load

TABLE = Path(__file__).parent / "ticket_wordings.jsonl"
SECOND = Path(__file__).parent / "ticket_wordings2.jsonl"
THIRD = Path(__file__).parent / "ticket_wordings3.jsonl"
#: A fourth helper's table (2026-12-04; 148 rows, 4 per cause, ten styles incl. "wrong-guess" and support forms),
#: scored blind once: 118/148 with 7 wrong fixes; after the readings it taught, 123 and none; 122 since a ticket that
#: names no registry, image or client is not answered from its symptom words (one manager-style ticket).
FOURTH = Path(__file__).parent / "ticket_wordings4.jsonl"
#: A fifth (2026-12-04; 148 rows, ten more styles: chat threads, voice notes, machine translations, several issues
#: in one), scored blind once: 125/148 with 2 wrong fixes; after the readings it taught, 127 and none.
FIFTH = Path(__file__).parent / "ticket_wordings5.jsonl"
#: A sixth (2026-12-04; 111 rows, 3 per cause: GitHub issues, Stack Overflow questions, pager alerts, post-mortems,
#: SDK code), scored blind once: 87/111 with 4 wrong fixes (all 405s); after the 405 read by its operation, 90, none.
SIXTH = Path(__file__).parent / "ticket_wordings6.jsonl"
#: A seventh (2026-12-04, evening; 148 rows from two helpers, 2 per cause each: enterprise chat, mail and partner
#: escalations; start-ups' GitHub- and Stack-Overflow-style posts with code), scored blind once: 61/74 and 64/74,
#: 0 wrong fixes; after the readings the second half taught, 61 and 73.
SEVENTH = Path(__file__).parent / "ticket_wordings7.jsonl"
ROWS = [json.loads(line) for line in TABLE.read_text("utf-8").splitlines() if line.strip()]
#: Right answers per table and half, measured 2026-12-03 (blind first: 42/94 and 52/103; the second table 63/104 and
#: 67/101; the third, that night, 58/93 with 2 wrong fixes and 60/92): a floor.
FLOORS = {(TABLE, "tune"): 93, (TABLE, "holdout"): 95, (SECOND, "tune"): 89, (SECOND, "holdout"): 68,
          (THIRD, "tune"): 71, (THIRD, "holdout"): 60, (FOURTH, "tune"): 60, (FOURTH, "holdout"): 66,
          (FIFTH, "tune"): 64, (FIFTH, "holdout"): 65, (SIXTH, "tune"): 54, (SIXTH, "holdout"): 41,
          (SEVENTH, "tune"): 62, (SEVENTH, "holdout"): 75}


def _top(text: str, ticket: bool = True) -> str | None:
    ranked = list((explain_ticket if ticket else explain)(text).ranked)
    return ranked[0].failure_mode if ranked else None


def test_the_table_covers_every_failure_mode_in_many_styles() -> None:
    labels = Counter(r["label"] for r in ROWS)
    assert len(ROWS) >= 190
    assert set(ELSEWHERE_LABELS) <= set(labels)
    assert sum(1 for label in labels if not label.startswith("elsewhere:")) >= 25
    assert len({r["style"] for r in ROWS}) >= 8
    assert len({r["text"] for r in ROWS}) == len(ROWS)
    assert {half_of(r["text"]) for r in ROWS} == {"tune", "holdout"}


@pytest.mark.parametrize(("table", "half"), sorted(FLOORS), ids=lambda v: getattr(v, "stem", v))
def test_explain_keeps_its_figures_on_each_half_of_each_table(table: Path, half: str) -> None:
    cases: list[Case] = load(table, "ticket", half)
    result = score(cases)
    assert not result.crashes
    assert not result.wrong_fixes, [(o.case.id, o.predicted) for o in result.wrong_fixes]
    assert sum(o.right for o in result.outcomes) >= FLOORS[(table, half)]


@pytest.mark.parametrize(("text", "mode"), [
    # the 405's causes ranked by the words around it, and words the writer denies rank nothing
    ("`az acr repository delete -n shipreg01 --image api:1.0.0 --yes` fails with 'The operation is disallowed on "
     "this registry, repository or image.' We do NOT use quarantine and we are nowhere near the storage limit.",
     "locked-artifacts"),
    ("Pushes to shipreg01 fail with 'The operation is disallowed on this registry, repository or image.' and "
     "`az acr show-usage` reports the size against a limit of 42,949,672,960 bytes.", "storage-limit"),
    ("New builds cannot be pulled for about an hour after the push: 'The operation is disallowed on this registry, "
     "repository or image.' Then it starts working by itself.", "quarantined-images"),
    # what the ticket says on other lines than the error: read as one text
    ("Calling GET https://shipreg01.azurecr.io/v2/_catalog from my own client.\nI always get a 401 and this header:\n"
     '`Www-Authenticate: Bearer realm="https://shipreg01.azurecr.io/oauth2/token",service="shipreg01.azurecr.io"`\n'
     "What am I missing?", "authentication-required"),
    # check-health's steps in words
    ("Our health check of the registry fails at the challenge step: it says the registry did not issue a challenge.",
     "connectivity-challenge"),
    ("check-health for shipreg01: DNS is fine (resolves to the public IP), then the call to /v2/ times out from "
     "every subnet we tried.", "connectivity-unreachable"),
    # features described by what they do, not by their names
    ("We switched on automatic cleanup of untagged images months ago but our untagged manifests are still there "
     "and the storage has not gone down.", "retention-policy"),
    ("`az acr manifest restore -r shipreg01 -n web:1.4` says there is nothing to restore; the tag was deleted 40 "
     "days ago and our recovery window is 30 days.", "soft-delete"),
    ("`az acr repository show` prints \"manifestCount\": 4311, \"tagCount\": 12 and the registry keeps getting "
     "bigger although we delete old tags every week.", "dangling-manifests"),
    ("We deleted 300 images and usage went from 300 GB to 296 GB. They were all built on the same 2 GB CUDA base "
     "image.", "shared-layers"),
    ("We are decommissioning our old registries and the delete keeps failing for the three privately-networked "
     "ones.", "private-endpoints-block-registry-delete"),
    ("After setting -DeleteEnable $true with Update-AzContainerRegistryRepository I can no longer read or list the "
     "repository's tags.", "locked-artifacts"),
    # a cluster or a hosting service pulling with its own credential
    ("Our new cluster reports 'unauthorized' every time it tries to fetch images from the registry; engineers pull "
     "them from their laptops fine.", "elsewhere:kubelet-pull-secret"),
    ("We reference imagePullSecrets: acr-secret in the deployment.\nPods fail with 'unauthorized: authentication "
     "required'.", "elsewhere:kubelet-pull-secret"),
    # the client's own side
    ("The SDK raises a TypeError from inside its paging code when a repository has no tags, and the job stops.",
     "elsewhere:client-bug"),
    ("After I did brew upgrade of azure-cli every az acr command fails with a python exception.",
     "elsewhere:client-bug"),
    ("The second registry fails in the same PowerShell session; in a brand-new PowerShell window it works.",
     "elsewhere:client-bug"),
    ("docker login reports success, and the manifest-tool step right after it fails to authenticate to the same "
     "registry.", "elsewhere:local-credentials"),
    ("When I connect the company VPN, docker pull from our registry fails with 'no such host'; when the VPN is off "
     "it works.", "elsewhere:network-client-side"),
    ("docker login works from the office but pulls hang at Downloading for every layer; our firewall blocks the "
     "storage endpoints.", "elsewhere:network-client-side"),
])
def test_ticket_shapes(text: str, mode: str) -> None:
    assert _top(text) == mode


@pytest.mark.parametrize(("text", "mode"), [
    # a denied private endpoint is not the reason a registry delete fails
    ("There are no private endpoints, but deleting the registry still fails with a conflict; the resource group "
     "belongs to our landing zone with inherited settings.", "resource-locks"),
    # signing in again that changed nothing is not the local sign-in
    ("az acr login fails with: Access to registry was denied, response code 403. I ran az login again but get the "
     "same error.", "connectivity-refresh-token"),
    # a login that only appears to succeed is the same flow failing later, not another client working
    ("`An error occurred: CONNECTIVITY_ACCESS_TOKEN_ERROR`. az acr login to the same registry appears to succeed but "
     "pushes fail afterwards.", "connectivity-access-token"),
    # a 429 in the text outweighs the writer's purpose words ("to lock what was imported")
    ("Our script runs az acr import and then az acr repository update to lock what was imported; it fails with "
     "'Response code: 429' near the end.", "throttling"),
    # a Windows container image is no platform node: the network words decide
    ("We push a Windows container image and App Service pulls it over our VNet with a private endpoint on the "
     "registry; the pull still fails.", "network-access-denied"),
])
def test_ticket_near_misses(text: str, mode: str | None) -> None:
    assert _top(text) == mode


@pytest.mark.parametrize(("text", "mode"), [
    # Azure.Identity's refusals in .NET, and the sign-in a credential asks for
    ("Unhandled exception: Azure.Identity.CredentialUnavailableException: Please run 'Connect-AzAccount' to set up "
     "account.", "elsewhere:local-credentials"),
    ("Azure.Identity.AuthenticationFailedException: Azure CLI authentication timed out.",
     "elsewhere:local-credentials"),
    # names ACR does not allow, as az and Terraform refuse them
    ("ERROR: Registry names may contain only alpha numeric characters and must be between 5 and 50 characters",
     "elsewhere:typo"),
    ('Error: alpha numeric characters only are allowed in "name": "ship-registry"', "elsewhere:typo"),
    # a hosting service's refused pull
    ("Error pulling the container image. Please check the image name or any registry credentials to access if "
     "required.", "elsewhere:kubelet-pull-secret"),
    ("(InaccessibleImage) The image 'shipreg01.azurecr.io/web:1' in container group 'web' is not accessible. Please "
     "check the image and registry credential.", "elsewhere:kubelet-pull-secret"),
])
def test_printed_shapes(text: str, mode: str) -> None:
    assert _top(text, ticket=False) == mode


def test_a_client_release_named_with_its_tool_is_the_change() -> None:
    assert _top("Since we moved the agent to Flux CLI 2.6.0 the push fails with an identity error.") == \
        "elsewhere:client-bug"
    # the cluster's release is not a client's
    assert _top("Since we moved the cluster to Kubernetes 1.29 the pods fail to pull from our registry with 401.") \
        == "elsewhere:kubelet-pull-secret"


def test_a_hosting_services_pull_prints_no_acr_fix() -> None:
    found = explain("Error pulling the container image. Please check the image name or any registry credentials "
                    "to access if required. shipreg01.azurecr.io/web:1").ranked
    assert found[0].title.startswith("The hosting service")
    assert not any(changes_something(m) for m in found)


@pytest.mark.parametrize(("text", "mode", "ticket"), [
    # show-usage's current value equal to its limit beside the 405
    ("`az acr show-usage -n shipreg01 -o table` gives:\nSize      43980465111040    43980465111040    Bytes\n"
     "and docker push is refused: The operation is disallowed on this registry, repository or image.",
     "storage-limit", False),
    # the refused action named in words beside a 401
    ("az acr repository delete returns 401 UNAUTHORIZED and the detail names Action 'delete' on the repository.",
     "delete-permission", True),
    # az naming a command its group does not have
    ("az: 'purge' is not in the 'az acr' command group. See 'az acr --help'.", "elsewhere:typo", False),
    # Java's trust store without the inspecting proxy's root
    ("Jib: PKIX path building failed: unable to find valid certification path to requested target",
     "elsewhere:network-client-side", False),
    # a repository filled by a pull-through rule answering manifest unknown
    ("The repository is populated by a Docker Hub pull-through rule.\n"
     "Error response from daemon: manifest for shipreg01.azurecr.io/hub/nginx:1.25 not found: manifest unknown: "
     "manifest unknown", "artifact-cache", True),
    # az's SDK and API profile out of step
    ("ValueError: API version 2025-03-01-preview does not have operation group 'registries'",
     "elsewhere:client-bug", False),
    # a cluster in the lines before an anonymous-token 401
    ("We re-created our AKS cluster on Friday. Since then pulls fail:\nfailed to authorize: failed to fetch anonymous "
     "token: unexpected status: 401 Unauthorized", "elsewhere:kubelet-pull-secret", True),
    # check-health's advice to sign in again, beside its own code, is not the cause
    ("I did az login five minutes ago.\nAn error occurred: CONNECTIVITY_REFRESH_TOKEN_ERROR\n"
     "It suggests to run az login again, which I already did twice.", "connectivity-refresh-token", True),
])
def test_shapes_from_the_holdout_half(text: str, mode: str, ticket: bool) -> None:
    assert _top(text, ticket=ticket) == mode


def test_forty_tags_are_not_zero_tags() -> None:
    """"lists 40 tags" once read as "0 tags", the empty-repository trap's symptom."""
    text = ("Today `az acr repository show-tags -n shipprod --repository billing` says the repository name is unknown, "
            "while the same command against shipdev lists 40 tags.")
    assert _top(text) == "repository-not-found"


def test_a_bare_disallowed_on_a_push_does_not_print_the_unlock() -> None:
    """"unknown: The operation is disallowed." is not the lock's own sentence: on a push (pulls said to work) it reads
    as a lock, a full registry or quarantine, so the unlock waits for the confirm step; a red storage bar ranks the
    full registry first."""
    text = ("Every push task fails with `unknown: The operation is disallowed.` Pulls from those repos still work.")
    found = explain_ticket(text).ranked
    assert found[0].failure_mode == "locked-artifacts"
    assert not changes_something(found[0])
    red = text + " The storage bar on the registry's Overview page is completely red."
    assert _top(red) == "storage-limit"


ERRORS = Path(__file__).parent / "error_texts.jsonl"
#: Real error texts from public threads (53, a helper who never saw the recognisers, 2026-12-03): blind 15/22 and
#: 16/31; the tune half's misses taught two shapes, the holdout half's four more (docs/explain.md). A floor.
ERROR_FLOORS = {"tune": 19, "holdout": 24}


@pytest.mark.parametrize("half", sorted(ERROR_FLOORS))
def test_explain_keeps_its_figures_on_the_real_error_texts(half: str) -> None:
    result = score(load(ERRORS, "error", half))
    assert not result.crashes
    assert not result.wrong_fixes, [(o.case.id, o.predicted) for o in result.wrong_fixes]
    assert sum(o.right for o in result.outcomes) >= ERROR_FLOORS[half]
    assert all(o.case.source.startswith("https://") for o in result.outcomes)


@pytest.mark.parametrize(("text", "mode"), [
    # the registry's bare challenge beside the 401: no token was accepted, whatever action the detail names
    ('< HTTP/1.1 401 Unauthorized\n< Www-Authenticate: Bearer realm="https://shipreg01.azurecr.io/oauth2/token",'
     'service="shipreg01.azurecr.io",scope="registry:catalog:*"\n{"errors":[{"code":"UNAUTHORIZED","message":'
     '"authentication required","detail":[{"Type":"registry","Name":"catalog","Action":"*"}]}]}',
     "authentication-required"),
    # a node's token request answered 403: the registry's network rules, not its pull secret
    ('Failed to pull image "shipreg01.azurecr.io/web:1": rpc error: code = Unknown desc = failed to pull and unpack '
     'image "shipreg01.azurecr.io/web:1": failed to resolve reference "shipreg01.azurecr.io/web:1": failed to '
     "authorize: failed to fetch anonymous token: unexpected status: 403 Forbidden", "network-access-denied"),
    # names refused for their case, az's Cloud Shell refusal and ACR Tasks' invalid build request
    ("argument error: Connected registry name must use only lowercase.", "elsewhere:typo"),
    ("This command requires running the docker daemon, which is not supported in Azure Cloud Shell. You may want to "
     "use 'az acr login -n shipreg01 --expose-token'", "elsewhere:typo"),
    ("az acr build -t web/MyApp .\nSending build context (411.000 Bytes) to ACR.\n"
     "Some of the properties of 'buildRequest' are invalid", "elsewhere:typo"),
    # az reporting docker's warning after a login that worked as its error
    ("az acr login --name shipreg01\nLogin Succeeded\nERROR: docker: WARNING! Your password will be stored "
     "unencrypted in /root/.docker/config.json.\nConfigure a credential helper to remove this warning.",
     "elsewhere:client-bug"),
])
def test_shapes_from_the_real_error_texts(text: str, mode: str) -> None:
    assert _top(text, ticket=False) == mode


def test_a_401_whose_challenge_says_insufficient_scope_is_still_a_missing_permission() -> None:
    text = ('< Www-Authenticate: Bearer realm="https://shipreg01.azurecr.io/oauth2/token",error="insufficient_scope"\n'
            '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":[{"Type":"repository",'
            '"Name":"web","Action":"delete"}]}]}')
    assert _top(text, ticket=False) == "delete-permission"
