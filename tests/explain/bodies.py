"""Real error bodies and messages, each with where it comes from.

Sources: ../shared/reference/notes/acr-wire-behaviour.md (§a, §b, §c.1–c.4) and the public issues it cites.
Where a format is built around a real body (portal single quotes, SDK ``str(err)``), the body is the real one.
"""

from __future__ import annotations

DIGEST_MISSING = "sha256:5122f6204b6a3596e048758cabba3c46b1c937a46b5be6225b835daaaaaaaaaa"
DIGEST_459 = "sha256:5e4ef89a6d7f7d4c67600a2a88a637ba0379918aba710cf4df53972e5a20b3ec"

# §c.2, REC-SDK test_delete_repository_does_not_exist (wire-exact).
NAME_UNKNOWN_JSON = ('{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry",'
                     '"detail":{"name":"not_real_repo"}}]}')
# §c.2, the portal form quoted by the support article (single quotes).
NAME_UNKNOWN_PORTAL = ("{'code':'NAME_UNKNOWN','message':'repository name not known to registry',"
                       "'detail':{'name':'mailhog'}}")
# §b, Azure/acr#631.
NAME_UNKNOWN_CLI = ("azure.cli.command_modules.acr._docker_utils.RegistryException: Error: repository name not known "
                    "to registry. Correlation ID: 530afbd4-2a76-4a52-b70f-890dac6b46ce")
NAME_UNKNOWN_SDK = ("Operation returned an invalid status 'Not Found'\nContent: " + NAME_UNKNOWN_JSON)

# §c.3, REC-SDK (re-serialised spacing).
TAG_UNKNOWN_JSON = '{"errors": [{"code": "TAG_UNKNOWN", "message": "the specified tag does not exist"}]}'
MANIFEST_UNKNOWN_JSON = ('{"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest ' + DIGEST_MISSING
                         + ' is not found"}]}')
# Azure/acr-cli#459 (acr purge, autorest).
MANIFEST_UNKNOWN_PURGE = (
    'Error: failed to purge manifests: acr.BaseClient#GetManifest: Failure responding to request: StatusCode=404 -- '
    'Original Error: autorest/azure: Service returned an error. Status=404 Code="Unknown" Message="Unknown service '
    'error" Details=[{"errors":[{"code":"MANIFEST_UNKNOWN","detail":{"Name":"msi-connector-svc.deployer.ev2",'
    '"Revision":"' + DIGEST_459 + '"},"message":"manifest ' + DIGEST_459 + ' is not found"}]}]')
# Azure/acr-cli#342: docker pull of a buildx image after purge --untagged.
BROKEN_INDEX_PULL = (
    "$ docker pull contosoreg.azurecr.io/web/app:1.4\n1.4: Pulling from web/app\n"
    "Error response from daemon: manifest for contosoreg.azurecr.io/web/app:1.4 not found: manifest unknown: "
    "manifest " + DIGEST_459 + " is not found")

# §c.4, Azure/acr-cli#70 (acr purge inside az acr run).
DISALLOWED_PURGE = (
    "Deleting tags for repository: mads\n"
    'Error: failed to purge tags: acr.BaseClient#DeleteAcrTag: Failure responding to request: StatusCode=405 -- '
    'Original Error: autorest/azure: Service returned an error. Status=405 Code="Unknown" Message="Unknown service '
    'error" Details=[{"errors":[{"code":"REGISTRY_DISALLOWED_OPERATION","detail":{},"message":"The operation is '
    'disallowed on this registry, repository or image. View troubleshooting steps at '
    'https://aka.ms/acr/faq/#why-does-my-pull-or-push-request-fail-with-disallowed-operation"}]}]\n'
    "2020/06/22 07:57:28 Container failed during run: acb_step_0. No retries remaining.")
# §c.4, the CLI's RegistryException for a 405.
DISALLOWED_CLI = ("Error: The operation is disallowed on this registry, repository or image. View troubleshooting "
                  "steps at https://aka.ms/acr/faq/#why-does-my-pull-or-push-request-fail-with-disallowed-operation."
                  " Correlation ID: 0f6e1d2c-3b4a-4c5d-8e9f-a0b1c2d3e4f5")
# Azure/azure-sdk-for-net#22827 (.NET RequestFailedException text).
DISALLOWED_DOTNET = (
    "Azure.RequestFailedException : Service request failed.\nStatus: 405 (Method Not Allowed)\n\nContent:\n"
    '{"errors":[{"code":"REGISTRY_DISALLOWED_OPERATION","message":"The operation is disallowed on this registry, '
    'repository or image. View troubleshooting steps at https://aka.ms/acr/faq/#why-does-my-pull-or-push-request-'
    'fail-with-disallowed-operation","detail":{}}]}')
# notes §2.5 (acr purge real-run output).
DISALLOWED_PURGE_SKIPS = "\n".join(
    f"Skipped contosoreg.azurecr.io/team/api:{t}, operation not allowed, HTTP status: 405" for t in ("v1", "v2", "v3"))

# §c.4, docker/build-push-action#1214 (quotes \u0027-escaped on the wire).
DENIED_DOCKER = ('error response from daemon: Get "https://contosoreg.azurecr.io/v2/": denied: {"errors":[{"code":'
                 '"DENIED","message":"client with IP \\u0027172.214.169.102\\u0027 is not allowed access. Refer '
                 'https://aka.ms/acr/firewall to grant access."}]}')
# Azure/azure-cli#27253 (acr purge as an ACR task).
DENIED_TASK = (
    "Queued a run with ID: cg2\nWaiting for an agent...\n"
    "2023/08/24 12:43:23 Logging in to registry: myregistryname.azurecr.io\n"
    "failed to login, ran out of retries: failed to set docker credentials: Error response from daemon: Get "
    "\"https://myregistryname.azurecr.io/v2/\": denied: client with IP '52.138.231.5' is not allowed access. "
    "Refer https://aka.ms/acr/firewall to grant access.")
# §a step 7 / the CLI pre-flight message (sic, no space after the period).
FORBIDDEN_CLI = ("Looks like you don't have access to registry 'contosoreg.azurecr.io'. To see configured firewall "
                 "rules, run 'az acr show --query networkRuleSet --name contosoreg'. To see if public network access "
                 "is enabled, run 'az acr show --query publicNetworkAccess'.Please refer to "
                 "https://aka.ms/acr/errors#connectivity_forbidden_error for more information.")

# §c.1, REC-SDK test_delete_repository_does_not_exist (401 with detail).
UNAUTHORIZED_DETAIL = ('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required, visit '
                       'https://aka.ms/acr/authorization for more information.","detail":[{"Type":"repository",'
                       '"Name":"not_real_repo","Action":"delete"}]}]}')
# Azure/acr-cli#523 (multi-line, as pasted in the issue).
UNAUTHORIZED_PURGE = (
    "Error: failed to purge manifests: acr.BaseClient#GetManifest: Failure responding to request:\n"
    "StatusCode=401 -- Original Error: autorest/azure: Service returned an error.\n"
    'Status=401 Code="Unknown" Message="Unknown service error"\n'
    'Details=[{"errors":[{"code":"UNAUTHORIZED",\n'
    '"detail":[{"Action":"pull","Name":"my_image_name","Type":"repository"}],\n'
    '"message":"authentication required, visit https://aka.ms/acr/authorization for more information."}]}]')
# §c.1, anonymous GET /v2/.
UNAUTHORIZED_ANON = ('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required, visit '
                     'https://aka.ms/acr/authorization for more information.","detail":null}]}')

# Azure/azure-cli#24886 (429 on the token exchange).
THROTTLED_TOKEN = (
    "WARNING: Unable to get AAD authorization tokens with message: 2022-12-12 16:05:11.564324 An error occurred: "
    "CONNECTIVITY_REFRESH_TOKEN_ERROR\nAccess to registry 'contosoreg.azurecr.io' was denied. Response code: 429. "
    "Please try running 'az login' again to refresh permissions.")
THROTTLED_JSON = '{"errors":[{"code":"TOOMANYREQUESTS","message":"too many requests"}]}'
THROTTLED_SDK = "Operation returned an invalid status 'Too Many Requests'\nContent: " + THROTTLED_JSON

# §a, check-health titles and messages (2.91.0).
HEALTH = {
    "connectivity-dns": ("CONNECTIVITY_DNS_ERROR", "Failed to reach DNS for registry 'contosoreg'. Please check if "
                         "the spelling is correct, if the CLI environment is on correct cloud and your network "
                         "connectivity."),
    "connectivity-ssl": ("CONNECTIVITY_SSL_ERROR", "Unable to establish a secure connection to the registry "
                         "'contosoreg'. Are you using a proxy server?"),
    "connectivity-challenge": ("CONNECTIVITY_CHALLENGE_ERROR", "Registry 'contosoreg' did not issue a challenge."),
    "connectivity-aad-login": ("CONNECTIVITY_AAD_LOGIN_ERROR", "Registry 'contosoreg' does not support AAD login."),
    "connectivity-refresh-token": ("CONNECTIVITY_REFRESH_TOKEN_ERROR", "Access to registry 'contosoreg' was denied. "
                                   "Response code: 401. Please try running 'az login' again to refresh permissions."),
    "connectivity-access-token": ("CONNECTIVITY_ACCESS_TOKEN_ERROR", "Access to registry 'contosoreg' was denied. "
                                  "Response code: 403. Please try running 'az login' again to refresh permissions."),
    "login-server-not-found": ("LOGIN_SERVER_ERROR", "An error occurred while retrieving the login server for "
                               "registry 'contosoreg'. Please check if the spelling is correct, if the CLI environment "
                               "is on correct cloud and if you have the right permissions on it."),
}


def health_output(code: str, message: str) -> str:
    """How check-health prints an error without --ignore-errors (notes §a)."""
    return (f"2024-05-01 10:00:00.000000 An error occurred: {code}\n{message}\n"
            f"Please refer to https://aka.ms/acr/errors#{code.lower()} for more information.\n"
            "Please refer to https://aka.ms/acr/health-check for more information.")

# Azure/acr-cli#641: acr purge run as an ACR task on an ABAC-enabled registry (acr-cli 0.19).
PURGE_TASK_TOKEN_401 = ("Error: failed to purge manifests: acr.BaseClient#GetAcrAccessToken: Failure responding to "
                        "request: StatusCode=401")
