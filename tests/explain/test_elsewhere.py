"""Causes outside ACR: said where they are, ranked above ACR answers for the same lines, never an ACR fix.

The texts are synthetic variants written for these tests in the shapes the tools print (az's import deployment
error, Docker Hub's 429, kubelet events, docker's credential store, proxies); none is copied from the corpus.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from acrdoctor.cli import cli
from acrdoctor.explain import explain, explain_ticket
from acrdoctor.explain.names import from_line
from acrdoctor.explain.scoring import changes_something

IMPORT_401 = (
    "$ az acr import --name shipreg01 --source docker.io/acme/tool:2.1 --image tool:2.1\n"
    "Deployment failed. Correlation ID: 1f2e3d4c-0000-4a4a-9b9b-123456789abc. Operation registries-77 failed. "
    "Resource /subscriptions/0000/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/shipreg01 "
    'Invalid message Unauthorized Unauthorized {"errors":[{"code":"UNAUTHORIZED","message":"authentication required",'
    '"detail":[{"Type":"repository","Name":"acme/tool","Action":"pull"}]}]}'
)
IMPORT_PLAIN_401 = (
    "az acr import -n shipreg01 --source quay.io/team/app:7 -t app:7\n"
    "ERROR: unauthorized: authentication required"
)
HUB_LIMIT = ("Error response from daemon: toomanyrequests: You have reached your unauthenticated pull rate limit. "
             "https://www.docker.com/increase-rate-limit")
KUBELET_401 = ('Warning  Failed  12s  kubelet  Failed to pull image "fleetreg.azurecr.io/api/web:3.2": '
               'failed to authorize: failed to fetch anonymous token: unexpected status: 401 Unauthorized')
KUBELET_FIREWALL = ('Warning  Failed  kubelet  Failed to pull image "fleetreg.azurecr.io/api/web:3.2": '
                    "403 Forbidden: client with IP '203.0.113.9' is not allowed access. Refer "
                    "https://aka.ms/acr/firewall to grant access.")
EXPIRED_AZ = ("ERROR: AADSTS700082: The refresh token has expired due to inactivity. The token was issued on "
              "2026-01-02 and was inactive for 90.00:00:00.")
CRED_HELPER = ('Error saving credentials: error storing credentials - err: exec: "docker-credential-desktop": '
               "executable file not found in $PATH, out: ``")
TYPO_REF = 'docker: invalid reference format: repository name must be lowercase.'
TYPO_HOST = "Get https://teamreg.azurecr.com/v2/: dial tcp: lookup teamreg.azurecr.com: no such host"
HUB_PUSH = ("The push refers to repository [docker.io/library/orders-api]\n"
            "denied: requested access to the resource is denied")
AZ_CRASH = ("The command failed with an unexpected error. Here is the traceback:\n"
            "AttributeError: 'NoneType' object has no attribute 'login_server'")
PROXY = ('Error response from daemon: Get "https://teamreg.azurecr.io/v2/": proxyconnect tcp: dial tcp '
         "10.1.2.3:3128: connect: connection refused")

WRAPPED = ("Deployment failed. Correlation ID: 0b0b0b0b-1111-4222-8333-444455556666. Operation "
           "registries-5e5e5e5e-aaaa-bbbb-cccc-ddddeeeeffff failed. Resource /subscriptions/0000/resourceGroups/rg/"
           "providers/Microsoft.ContainerRegistry/registries/shipreg01 Unable to find manifest digest  Repo: "
           "nexus.example.com/team/api Tag: 4.0 Manifest:")
SDK_CHAIN = ("azure.identity._exceptions.CredentialUnavailableError: DefaultAzureCredential failed to retrieve a token "
             "from the included credentials.")
CURL_PROXY = "curl: (56) Received HTTP code 407 from proxy after CONNECT"
HUB_DOCS = ("toomanyrequests: Too Many Requests. Please see "
            "https://docs.docker.com/docker-hub/download-rate-limit/")
STORAGE_EOF = ('Failed to pull image "fleetreg.azurecr.io/api/web:3.2": failed to copy: httpReadSeeker: failed open: '
               'failed to do request: Get "https://eusmanaged7.blob.core.windows.net/abc/data?sig=x": EOF')
DOUBLED = ("Failed to resolve specified fqdn fleetreg.azurecr.us.azurecr.io: lookup fleetreg.azurecr.us.azurecr.io "
           "on 10.0.0.10:53: no such host")
BLOB_413 = "error pushing blob: http status code: 413, body: 413 Request Entity Too Large"
PRIVATELINK = ('Get "https://fleetreg.privatelink.azurecr.io/v2/": x509: certificate is valid for *.azurecr.io, '
               "not fleetreg.privatelink.azurecr.io")
LOCAL_DNS = ('Get "https://fleetreg.azurecr.io/v2/": dial tcp: lookup fleetreg.azurecr.io on 127.0.0.53:53: read udp '
             "127.0.0.1:40000->127.0.0.53:53: read: connection refused")

CASES = [
    (WRAPPED, "elsewhere:source-registry"),
    (SDK_CHAIN, "elsewhere:local-credentials"),
    (CURL_PROXY, "elsewhere:network-client-side"),
    (HUB_DOCS, "elsewhere:docker-hub-rate-limit"),
    (STORAGE_EOF, "elsewhere:network-client-side"),
    (DOUBLED, "elsewhere:client-bug"),
    (BLOB_413, "elsewhere:client-bug"),
    (PRIVATELINK, "elsewhere:typo"),
    (LOCAL_DNS, "elsewhere:network-client-side"),
    ("Error response from daemon: pull access denied for ordersapi, repository does not exist or may require "
     "'docker login': denied: requested access to the resource is denied", "elsewhere:typo"),
    ("An image does not exist locally with the tag: fleetreg.azurecr.io/web", "elsewhere:typo"),
    ("#5 [internal] load metadata for docker.io/library/node:18\n#5 ERROR: toomanyrequests: Too Many Requests.",
     "elsewhere:docker-hub-rate-limit"),
    ('Exception in thread "main" java.lang.NullPointerException', "elsewhere:client-bug"),
    ("Error: x509: certificate has expired or is not yet valid", "elsewhere:network-client-side"),
    ("[2026-03-01T10:00:00Z] Validating image pull permission: FAILED", "elsewhere:kubelet-pull-secret"),
    ("Error: Cannot perform an interactive login from a non TTY device", "elsewhere:local-credentials"),
    ("ERROR: (pii). Status: Response_Status.Status_InteractionRequired, Error code: 3399614476",
     "elsewhere:local-credentials"),
    (IMPORT_401, "elsewhere:source-registry"),
    (IMPORT_PLAIN_401, "elsewhere:source-registry"),
    (HUB_LIMIT, "elsewhere:docker-hub-rate-limit"),
    (KUBELET_401, "elsewhere:kubelet-pull-secret"),
    (EXPIRED_AZ, "elsewhere:local-credentials"),
    (CRED_HELPER, "elsewhere:local-credentials"),
    (TYPO_REF, "elsewhere:typo"),
    (TYPO_HOST, "elsewhere:typo"),
    (HUB_PUSH, "elsewhere:typo"),
    (AZ_CRASH, "elsewhere:client-bug"),
    (PROXY, "elsewhere:network-client-side"),
]


@pytest.mark.parametrize(("text", "mode"), CASES, ids=[m for _, m in CASES])
def test_a_cause_elsewhere_is_the_top_answer_and_no_answer_prints_an_acr_fix(text: str, mode: str) -> None:
    result = explain(text)
    top = result.most_likely
    assert top is not None and top.failure_mode == mode
    assert top.fix.commands == ()
    assert not any(changes_something(m) for m in result.matches), [m.failure_mode for m in result.matches]


def test_an_imports_401_does_not_become_a_delete_permission_grant() -> None:
    result = explain(IMPORT_401)
    modes = [m.failure_mode for m in result.ranked]
    assert modes[0] == "elsewhere:source-registry"
    acr = [m for m in result.ranked if not m.failure_mode.startswith("elsewhere:")]
    assert all(m.confidence < result.ranked[0].confidence for m in acr)
    assert all("Not printed" in m.fix.summary for m in acr if m.fix.summary.startswith("Not printed"))


def test_the_target_registry_refusing_the_import_stays_an_acr_answer() -> None:
    text = ("az acr import -n shipreg01 --source docker.io/acme/tool:2.1\n"
            "(AuthorizationFailed) The client 'ci@contoso.com' with object id '1234' does not have authorization to "
            "perform action 'Microsoft.ContainerRegistry/registries/importImage/action' over scope "
            "'/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/shipreg01'")
    assert not any(m.failure_mode == "elsewhere:source-registry" for m in explain(text).matches)


def test_the_target_refusing_the_imported_write_inside_the_wrapper_is_not_the_source() -> None:
    text = WRAPPED.replace("Unable to find manifest digest", "The operation is disallowed on this registry")
    assert not any(m.failure_mode == "elsewhere:source-registry" for m in explain(text).matches)


def test_a_weak_prose_guess_elsewhere_does_not_outrank_an_acr_code_on_the_same_line() -> None:
    # "ImagePullBackOff" alone is a symptom (0.45): the firewall body on the same line decides.
    text = ("pod web-1 ImagePullBackOff; events: Error: denied: client with IP '198.51.100.4' is not allowed "
            "access. Refer https://aka.ms/acr/firewall to grant access.")
    top = explain(text).most_likely
    assert top is not None and top.failure_mode == "network-access-denied"


def test_a_429_near_an_azure_registry_stays_acr_throttling() -> None:
    text = ("Pulling from docker.io/library/node:18 done\n$ docker push fleetreg.azurecr.io/web:1\n"
            '{"errors":[{"code":"TOOMANYREQUESTS","message":"too many requests"}]}')
    top = explain(text).most_likely
    assert top is not None and top.failure_mode == "throttling"


def test_pull_access_denied_for_an_azure_registry_name_is_not_called_a_typo() -> None:
    text = ("Error response from daemon: pull access denied for fleetreg.azurecr.io/web, repository does not exist "
            "or may require 'docker login'")
    assert not any(m.failure_mode == "elsewhere:typo" for m in explain(text).matches)


def test_a_python_sdk_traceback_around_an_acr_refusal_is_the_refusal() -> None:
    text = ("Traceback (most recent call last):\n  File \"clean.py\", line 3, in <module>\n"
            "azure.core.exceptions.HttpResponseError: (DENIED) client with IP '20.1.2.3' is not allowed access. "
            "Refer https://aka.ms/acr/firewall to grant access.")
    top = explain(text).most_likely
    assert top is not None and top.failure_mode == "network-access-denied"


def test_kubelet_refused_by_the_registry_firewall_is_the_firewall() -> None:
    result = explain(KUBELET_FIREWALL)
    assert result.most_likely is not None and result.most_likely.failure_mode == "network-access-denied"


def test_an_acr_throttle_far_from_a_docker_hub_limit_keeps_its_rank_but_not_its_fix_when_hub_is_first() -> None:
    text = "\n".join([HUB_LIMIT, *["step output"] * 20,
                      '{"errors":[{"code":"TOOMANYREQUESTS","message":"too many requests"}]}'])
    result = explain(text)
    assert result.ranked[0].failure_mode == "elsewhere:docker-hub-rate-limit"
    assert not any(changes_something(m) for m in result.matches)


def test_beside_a_cause_elsewhere_only_an_acr_answer_backed_by_a_code_keeps_its_fix() -> None:
    from dataclasses import replace

    from acrdoctor.explain.core import prefer_elsewhere

    firewall = explain("Error: denied: client with IP '198.51.100.7' is not allowed access.").matches[0]
    hint = explain("Pods in our staging namespace cannot pull from the registry.").matches[0]
    assert firewall.fix.commands and hint.confidence >= 0.5
    far = {id(firewall): frozenset({40}), id(hint): frozenset({1})}
    kept = prefer_elsewhere([hint, firewall], far)[1]
    assert kept.fix.commands == firewall.fix.commands  # a code-level answer, lines apart: its fix stands
    unsure = replace(firewall, confidence=0.8)
    withheld = prefer_elsewhere([hint, unsure], {id(unsure): frozenset({40}), id(hint): frozenset({1})})[1]
    assert withheld.fix.commands == () and withheld.fix.summary.startswith("Not printed")


def test_evidence_quotes_up_to_three_triggering_lines_with_their_numbers() -> None:
    lines = [f"Error: denied: client with IP '198.51.100.{i}' is not allowed access" for i in range(5)]
    m = explain("\n".join(lines)).matches[0]
    assert [n for n, _ in m.evidence_lines] == [1, 2, 3]
    assert m.evidence_lines[0][1] == lines[0]


@pytest.mark.parametrize(("text", "mode"), [
    ("Importing images from quay.io into our registry fails with 401 since yesterday", "elsewhere:source-registry"),
    ("Our AKS cluster cannot pull images from the registry after we rotated things", "elsewhere:kubelet-pull-secret"),
    ("We get rate limited by Docker Hub in our nightly builds", "elsewhere:docker-hub-rate-limit"),
    ("we sit behind a corporate proxy and docker login times out", "elsewhere:network-client-side"),
    ("it turned out I had a typo in the image name", "elsewhere:typo"),
    ("after running az login again it works", "elsewhere:local-credentials"),
])
def test_causes_elsewhere_described_in_prose_are_named_with_a_prose_confidence(text: str, mode: str) -> None:
    top = explain(text).most_likely
    assert top is not None and top.failure_mode == mode
    assert 0.4 <= top.confidence <= 0.85 and top.fix.commands == ()


def test_a_prose_symptom_gets_a_read_only_next_step() -> None:
    result = explain("Pods in our staging namespace cannot pull from the registry since this morning.")
    m = result.most_likely
    assert m is not None and m.failure_mode == "elsewhere:kubelet-pull-secret"
    assert m.confidence < 0.7 and m.next_step is not None
    assert any(c.startswith("kubectl describe pod") for c in m.next_step.commands)


def test_contested_acr_answers_name_the_bundle_script_as_their_next_step() -> None:
    text = ("Error: denied: client with IP '198.51.100.7' is not allowed access. Refer https://aka.ms/acr/firewall\n"
            "…\n…\n…\n…\n"
            '{"errors":[{"code":"TOOMANYREQUESTS","message":"too many requests"}]}')
    result = explain(text)
    assert {m.failure_mode for m in result.matches} >= {"network-access-denied", "throttling"}
    contested = [m for m in result.matches if m.next_step is not None]
    assert contested
    commands = [c for m in contested for c in m.next_step.commands]  # type: ignore[union-attr]
    assert any(c.startswith("acrdoctor bundle-script --registry") for c in commands)
    assert any(c.startswith("az acr check-health") for c in commands)


# --- names from anywhere -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("line", "expected"), [
    ("docker login crewreg7.azurecr.io:443 -u 00000000-0000-0000-0000-000000000000",
     {"registry": "crewreg7", "login_server": "crewreg7.azurecr.io:443"}),
    ("docker push localhost:5000/app:1", {"repository": None, "registry": None, "login_server": None}),
    ("our registry contosoprod keeps growing", {"registry": "contosoprod"}),
    ("the registry teamacr01 shows 480 GB in the portal", {"registry": "teamacr01"}),
    ("Deleting the registry failed because of the endpoints", {"registry": None}),
    ("I ran `az acr repository delete --name webreg --repository shop/cart --yes` and it answered 404",
     {"registry": "webreg", "repository": "shop/cart"}),
    ("the task runs `acr purge --filter 'team/api:^v1\\..*' --ago 7d` nightly", {"repository": "team/api"}),
    ('az acr run --registry opsreg42 --cmd "acr purge --filter \'jobs/etl:.*\' --untagged --ago 1d" /dev/null',
     {"registry": "opsreg42", "repository": "jobs/etl"}),
    ("Unable to push 'billing-svc:2.4' to registry 'crewreg7.azurecr.io' : unauthorized",
     {"registry": "crewreg7", "repository": "billing-svc", "tag": "2.4"}),
    ("Could not update the retention policy for registry northwind using api-version 2019-05-01",
     {"registry": "northwind"}),
    ("pushing to registry storage failed", {"registry": None}),
])
def test_names_are_taken_from_prose_commands_and_hosts(line: str, expected: dict[str, str | None]) -> None:
    names = from_line(line)
    for key, value in expected.items():
        assert getattr(names, key) == value, key


def test_a_correlation_id_and_client_ip_named_once_anywhere_fill_the_match() -> None:
    text = ("Hi, our build agent's public IP is 20.30.40.50 and since Monday docker push to our registry webshop7 "
            "fails.\nCorrelation ID: 530afbd4-1111-4a4a-9b9b-123456789abc\n"
            "Error: denied: client with IP is not allowed access. Refer https://aka.ms/acr/firewall to grant access.")
    m = explain(text).most_likely
    assert m is not None and m.failure_mode == "network-access-denied"
    assert (m.extracted.registry, m.extracted.client_ip, m.extracted.correlation_id) == (
        "webshop7", "20.30.40.50", "530afbd4-1111-4a4a-9b9b-123456789abc")


def test_two_different_correlation_ids_are_not_guessed_between() -> None:
    text = ("Correlation ID: 11111111-1111-4111-8111-111111111111\n" + "\n".join(["step"] * 12)
            + "\nCorrelation ID: 22222222-2222-4222-8222-222222222222\n" + "\n".join(["step"] * 12)
            + '\n{"errors":[{"code":"TOOMANYREQUESTS","message":"too many requests"}]}')
    m = explain(text).most_likely
    assert m is not None and m.extracted.correlation_id is None


def test_the_login_server_named_elsewhere_in_the_text_fills_the_match() -> None:
    text = "docker push crewreg7.azurecr.io:443/web:1\n...\n" + IMPORT_PLAIN_401.replace("shipreg01", "crewreg7")
    m = explain(text).most_likely
    assert m is not None and m.extracted.login_server == "crewreg7.azurecr.io:443"


# --- ticket mode ---------------------------------------------------------------------------------------------------

TICKET = ("Hi team, our nightly job copies base images into our registry shipreg01 and since Monday it fails.\n"
          + IMPORT_401 + "\nWe did not change any role assignments.\nThe job log is long.\nIt retries.\n"
          "From a laptop at home the same registry also said:\n"
          "Error response from daemon: denied: client with IP '198.51.100.7' is not allowed access. Refer "
          "https://aka.ms/acr/firewall to grant access.\nCan you help?")


def test_explain_ticket_puts_the_most_likely_cause_first() -> None:
    result = explain_ticket(TICKET)
    assert result.most_likely is not None
    assert result.most_likely.failure_mode == "elsewhere:source-registry"
    assert result.most_likely.extracted.registry == "shipreg01"


def test_a_ticket_reads_its_prose_well_above_the_pasted_error() -> None:
    ticket = "\n".join([
        "$ az acr import -n shipreg01 --source quay.io/team/app:7 -t app:7",
        *[f"(progress line {i})" for i in range(15)],
        "ERROR: unauthorized: authentication required",
    ])
    assert explain_ticket(ticket).most_likely.failure_mode == "elsewhere:source-registry"  # type: ignore[union-attr]
    assert all(m.failure_mode != "elsewhere:source-registry" for m in explain(ticket).matches)


def test_ticket_cli_console_and_json() -> None:
    r = CliRunner().invoke(cli, ["explain", "--ticket", TICKET])
    assert r.exit_code == 0, r.output
    assert "Most likely: elsewhere:source-registry" in r.output
    assert "Also possible:" in r.output and "network-access-denied" in r.output
    # The cause elsewhere comes first, so the firewall answer's fix is kept as words, not commands.
    assert "az acr network-rule add" not in r.output
    r = CliRunner().invoke(cli, ["explain", "--ticket", "--output", "json", TICKET])
    data = json.loads(r.output)
    assert data["mode"] == "ticket" and data["schema_version"] == 2
    first = data["matches"][0]
    assert first["rank"] == 1 and first["cause_elsewhere"] and first["fix"]["commands"] == []
    assert 0 < first["confidence"] <= 1 and first["evidence"][0]["line"] >= 1
    assert [m["rank"] for m in data["matches"]] == list(range(1, len(data["matches"]) + 1))
    assert [m["confidence"] for m in data["matches"]] == sorted((m["confidence"] for m in data["matches"]),
                                                                reverse=True)
