"""General shapes added after scoring the corpus: each rule is checked on texts written here, and on its near miss.

The texts are synthetic, in the shapes the programs print (ACR's error body, az's argument parser, an ACR task
build log, Azure Container Instances' registry error, a JavaScript client's stack trace) or the way a customer
writes; none is copied from the corpus. Each rule comes with the text it must NOT take, so it stays narrow.
"""

from __future__ import annotations

import pytest

from acrdoctor.explain import explain, explain_ticket
from acrdoctor.explain.scoring import changes_something


def _top(text: str, ticket: bool = False) -> str | None:
    ranked = list((explain_ticket if ticket else explain)(text).ranked)
    return ranked[0].failure_mode if ranked else None


@pytest.mark.parametrize(("text", "mode"), [
    # the registry's own code for a quarantined manifest
    ('{"errors":[{"code":"IMAGE_QUARANTINED","message":"The image is quarantined.","detail":{}}]}',
     "quarantined-images"),
    # az's parser refusing the command line (an empty variable shifted the words)
    ("ERROR: unrecognized arguments: shipreg01", "elsewhere:typo"),
    ("az acr repository delete: error: the following arguments are required: --name/-n", "elsewhere:typo"),
    # a pipeline variable that was never set, reaching the tag as its literal text
    ("Error: Image tag $(buildNumber)-prod does not exist.", "elsewhere:typo"),
    ("Error response from daemon: manifest for shipreg01.azurecr.io/api:${TAG} not found: manifest unknown",
     "elsewhere:typo"),
    # an ACR task build whose base image comes from another registry, refused or throttled there
    ("Step 1/6 : FROM mcr.microsoft.com/dotnet/aspnet:8.0\n"
     "error parsing HTTP 429 response body: invalid character 'R' looking for beginning of value\n"
     "failed to run step ID: acb_step_0: exit status 1", "elsewhere:source-registry"),
    ("#4 [internal] load metadata\nFROM quay.io/acme/base:1\nERROR: failed to authorize: 401 Unauthorized",
     "elsewhere:source-registry"),
    # Azure Container Instances' wording for Docker Hub refusing an anonymous pull
    ("ERROR: (RegistryErrorResponse) An error response is received from the docker registry "
     "'registry-1.docker.io'. Please retry later.", "elsewhere:docker-hub-rate-limit"),
    # the client's own code calling what its dependency does not have
    ("TypeError: tracer.startActiveSpan is not a function\n    at /app/node_modules/@azure/core-tracing/dist/x.js:9:2",
     "elsewhere:client-bug"),
    # the stub resolver answered: the registry's name has no record (not the local resolver being down)
    ('Get "https://shipreg01.azurecr.io/v2/": dial tcp: lookup shipreg01.azurecr.io on 127.0.0.53:53: no such host',
     "connectivity-dns"),
    # ARM's answer to a GET of a registry not in that resource group
    ("(ResourceNotFound) The Resource 'Microsoft.ContainerRegistry/registries/shipreg01' under resource group "
     "'rg-ship' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
     "login-server-not-found"),
    # az's capitalised form of ACR's DENIED: the registry answered, so it is not a name that went to Docker Hub
    ("az acr repository delete --name shipreg01 --image api:1 --yes\n"
     "(DENIED) Requested access to the resource is denied.\nCode: DENIED", "delete-permission"),
    # docker's pull refusal naming an Azure registry: not signed in, most often
    ("Error response from daemon: pull access denied for shipreg01.azurecr.io/api, repository does not exist or "
     "may require 'docker login': denied: requested access to the resource is denied", "authentication-required"),
    # Azure Storage's XML refusal of a layer download, inside a kubelet event: the client's path to storage
    ('Failed to pull image "shipreg01.azurecr.io/api:2": rpc error: code = Unknown desc = error pulling image '
     'configuration: error parsing HTTP 403 response body: "<?xml version=\\"1.0\\"?><Error><Code>'
     'AuthorizationFailure</Code><Message>This request is not authorized to perform this operation.</Message>'
     '</Error>"', "elsewhere:network-client-side"),
    # an import whose caller may not read the source registry (ARM's linked-access check)
    ("The client 'abc' with object id 'abc' has permission to perform action 'Microsoft.ContainerRegistry/"
     "registries/importImage/action' on scope '/subscriptions/1/resourceGroups/a/providers/Microsoft."
     "ContainerRegistry/registries/shipreg01'; however, it does not have permission to perform action 'read' on "
     "the linked scope(s) '/subscriptions/2/resourceGroups/b/providers/Microsoft.ContainerRegistry/registries/src'.",
     "elsewhere:source-registry"),
    # an SDK client built with a login server where a URL is expected
    ("failed to advance page: no Host in request URL", "elsewhere:typo"),
    # an ACR task whose identity's token exchange is refused
    ("failed to resolve secrets: failed to get ACR refresh token, exchange API response code: 401 Unauthorized",
     "connectivity-refresh-token"),
    # ARM refusing a cache rule at creation
    ("performing Create: unexpected status 400 (400 Bad Request) with error: EnforceDockerAuthentication: Cannot "
     "create cache rule pointing to Docker Hub without credentials.", "artifact-cache"),
    # texts copied from a troubleshooting article keep its placeholders where the names go
    ('Get "https://<your-registry>.azurecr.io/v2/": context deadline exceeded', "connectivity-unreachable"),
    ('Error response from daemon: manifest for [myregistry].azurecr.io/web:<tag> not found: manifest unknown: '
     'manifest tagged by "<tag>" is not found', "tag-not-found"),
    # a config download timing out after the manifest came back: the client's path to the registry's storage
    ("error pulling image configuration: download failed after attempts=6: dial tcp 20.60.1.2:443: i/o timeout",
     "elsewhere:network-client-side"),
    # a push of a reference with no registry host went to Docker Hub: its refusal is not the registry's
    ("nerdctl push team/api:1.0\nFATA[0003] push access denied, repository does not exist or may require "
     "authorization", "elsewhere:typo"),
    # a client's own wording of the registry's 401
    ("Error fetching https://shipreg01.azurecr.io/oauth2/token?service=shipreg01.azurecr.io&scope=repository%3Aapi"
     "%3Apull - expected 200, received 401", "authentication-required"),
])
def test_printed_shapes(text: str, mode: str) -> None:
    assert _top(text) == mode


@pytest.mark.parametrize(("text", "not_mode"), [
    # the base image is in an Azure registry: its 429 is that registry's throttling, not a source elsewhere
    ("Step 1/6 : FROM shipreg01.azurecr.io/base/aspnet:8.0\ntoomanyrequests: too many requests",
     "elsewhere:source-registry"),
    # the same docker words for an image with no registry host went to Docker Hub: not this registry's sign-in
    ("Error response from daemon: pull access denied for shipreg01/api, repository does not exist or may require "
     "'docker login': denied: requested access to the resource is denied", "authentication-required"),
    # OCI's UNSUPPORTED on a 405 is not a lock: nothing to unlock
    ('Error: failed to delete: DELETE "https://shipreg01.azurecr.io/v2/api/manifests/v1": response status code '
     '405: Method Not Allowed: unsupported: The operation is unsupported.', "locked-artifacts"),
    # the same refusal after a push that named the registry is the registry's
    ("docker push shipreg01.azurecr.io/api:1\ndenied: requested access to the resource is denied", "elsewhere:typo"),
    # a $ in a command line with nothing failing is not a typo
    ("az acr repository delete --name $REGISTRY --image api:1 --yes", "elsewhere:typo"),
    # "received 401" from some other service is not this registry's 401
    ("Error fetching https://login.example.com/token - expected 200, received 401", "authentication-required"),
])
def test_near_misses(text: str, not_mode: str) -> None:
    assert _top(text) != not_mode


@pytest.mark.parametrize(("ticket", "mode"), [
    ("We removed roughly 3,000 old images from shipreg01 on Monday and the Overview page still reads 900 GB. "
     "How long until the number drops?", "storage-accounting"),
    ("I tried to delete the repository team/api and got an error that the operation is not allowed, although I "
     "own the subscription.", "locked-artifacts"),
    ("Nobody can delete anything in registry shipreg01: az answers that the scope is locked.", "resource-locks"),
    ("Soft delete is on for our registry; we deleted 300 GB of images and the used storage has not gone down.",
     "soft-delete"),
    ("Every image is about 2 GB in docker images, yet deleting ten of them freed almost nothing: we got back "
     "maybe 60 MB.", "shared-layers"),
    ("az acr repository show says our repo does not exist, but the portal lists it with zero tags.",
     "empty-repository"),
    ("Our pushes to the Basic registry now fail with storage quota exceeded.", "storage-limit"),
    ("Our job deletes images with DELETE /v2/api/manifests/<digest>, using the config.digest from the manifest "
     "JSON, and the registry answers that the manifest is not there.", "manifest-not-found"),
    ("Since this morning az acr login fails for two of us with an internal server error; colleagues with the same "
     "role can still sign in.", "connectivity-refresh-token"),
])
def test_more_ticket_shapes(ticket: str, mode: str) -> None:
    assert _top(ticket, ticket=True) == mode


@pytest.mark.parametrize(("ticket", "mode"), [
    ("Every release tag in our registry gets locked right after the push so nobody can overwrite it. The nightly "
     "acr purge now leaves all those old locked tags in place and the storage keeps growing.", "locked-artifacts"),
    ("I run az acr repository delete with --tag for every old build, the tags disappear but the registry doesn't "
     "get any smaller. What else do I need to do?", "dangling-manifests"),
    ("Pushes to shipreg01.azurecr.io fail since the afternoon. I did az acr login this morning and nothing changed "
     "on the registry. Did something break on your side?", "authentication-required"),
    ("After last night's purge with --untagged, images we never selected fail to pull: the tags are still there "
     "but something underneath is gone.", "broken-index-references"),
    ("Our new node pool can't pull any images from the registry, every pull is a 401 Unauthorized, while the old "
     "pool with the same identity works.", "elsewhere:kubelet-pull-secret"),
])
def test_ticket_shapes(ticket: str, mode: str) -> None:
    assert _top(ticket, ticket=True) == mode


@pytest.mark.parametrize(("ticket", "mode"), [
    ("oras 1.2 cannot push our artifact to shipreg01 any more, it says unauthorized, but oras 1.1 with the same "
     "login works.", "elsewhere:client-bug"),
    ("The Bicep deployment of the registry failed with an odd error; upgrading the Azure CLI fixed it.",
     "elsewhere:client-bug"),
    ("Our release pipeline pushes with a service principal and fails with unauthorized since Monday; its client "
     "secret was created two years ago.", "elsewhere:local-credentials"),
    ("The chart pulls shipreg.azurecr.io/api but our registry is shipreg01.azurecr.io, so the pods never started.",
     "elsewhere:typo"),
    ("We log in to shipreg01.azurecr.io in the workflow, yet the push step goes to registry-1.docker.io instead of "
     "our registry and fails.", "elsewhere:typo"),
    ("Deleting the whole registry fails: the portal says something about the scope being locked.",
     "resource-locks"),
])
def test_elsewhere_ticket_shapes(ticket: str, mode: str) -> None:
    assert _top(ticket, ticket=True) == mode


def test_two_registries_on_purpose_are_not_a_typo() -> None:
    text = ("We import images from shipreg.azurecr.io into shipreg01.azurecr.io every night but the import fails "
            "with unauthorized.")
    assert _top(text, ticket=True) != "elsewhere:typo"


def test_dockers_pull_refusal_is_less_sure_than_acrs_own_401() -> None:
    match = explain("Error response from daemon: pull access denied for shipreg01.azurecr.io/api, repository does "
                    "not exist or may require 'docker login': denied: requested access to the resource is "
                    "denied").ranked[0]
    assert match.confidence < 0.9
    assert any("repository" in note for note in match.fix.notes)


def test_a_placeholder_is_never_taken_for_the_registrys_name() -> None:
    match = explain('Get "https://<your-registry>.azurecr.io/v2/": context deadline exceeded').ranked[0]
    assert "your-registry" not in " ".join(match.confirm.commands + match.fix.commands)
    assert "$REGISTRY" in " ".join(match.confirm.commands)


def test_a_cause_elsewhere_prints_no_acr_fix() -> None:
    for text in ("ERROR: unrecognized arguments: shipreg01",
                 "Step 1/6 : FROM mcr.microsoft.com/dotnet/aspnet:8.0\ntoomanyrequests: too many requests"):
        for match in explain(text).ranked:
            if not match.failure_mode.startswith("elsewhere:"):
                assert not changes_something(match), (text, match.failure_mode)


def test_a_cluster_whose_other_images_pull_is_not_missing_its_pull_secret() -> None:
    """One image refused with 401 while the others pull on the same nodes: the reference, not the cluster's access."""
    ticket = ("Pods of one deployment in our AKS cluster can't pull from shipreg01, the event says 401 Unauthorized. "
              "All the other images from the same registry pull fine on these nodes.")
    ranked = list(explain_ticket(ticket).ranked)
    assert ranked[0].failure_mode != "elsewhere:kubelet-pull-secret"
    assert all(m.confidence <= 0.4 for m in ranked if m.failure_mode == "elsewhere:kubelet-pull-secret")
    # in words only (no status the registry printed), the missing image is the answer
    words = ("One deployment in our AKS cluster keeps failing to pull its image with an authorization error, while "
             "all the other images from the same registry pull fine on these nodes.")
    assert explain_ticket(words).ranked[0].failure_mode in ("tag-not-found", "elsewhere:typo")
    # without the sentence that rules the access out, the cluster's pull secret stays the first answer
    plain = "Pods of one deployment in our AKS cluster can't pull from shipreg01, the event says 401 Unauthorized."
    assert explain_ticket(plain).ranked[0].failure_mode == "elsewhere:kubelet-pull-secret"


@pytest.mark.parametrize(("text", "mode", "ticket"), [
    # the dot before azurecr.io typed as a hyphen: the name has no DNS record because it is misspelled
    ("docker pull shipreg01.prod-azurecr.io/api:2\nError response from daemon: Get "
     '"https://shipreg01.prod-azurecr.io/v2/": dial tcp: lookup shipreg01.prod-azurecr.io: no such host',
     "elsewhere:typo", False),
    # the pod names a pull secret its namespace does not have
    ('Warning  FailedToRetrieveImagePullSecret  kubelet  Unable to retrieve some image pull secrets (acr-auth); '
     "attempting to pull the image may not succeed.", "elsewhere:kubelet-pull-secret", False),
    ("Our deployment pulls from shipreg01.azurecr.io and the pods sit in Pending; the events keep saying "
     '`secrets "acr-auth" not found`. We never created that secret in the new namespace.',
     "elsewhere:kubelet-pull-secret", True),
    # Python's own errors inside az: the client's bug, whatever the registry would have said
    ("az acr cache create -r shipreg01 -n hub-nginx --source-repo docker.io/library/nginx --target-repo nginx\n"
     "UnboundLocalError: cannot access local variable 'cred' where it is not associated with a value",
     "elsewhere:client-bug", False),
    ("ModuleNotFoundError: No module named 'azure.mgmt.containerregistry.v2023_11_01_preview'",
     "elsewhere:client-bug", False),
    # an import from Docker Hub answered 429, told in words
    ("Our release job runs `az acr import` for three images from Docker Hub without credentials, and a few times a "
     "week the import fails with HTTP 429, which stops the release.", "elsewhere:docker-hub-rate-limit", True),
])
def test_third_round_shapes(text: str, mode: str, ticket: bool) -> None:
    assert _top(text, ticket=ticket) == mode


@pytest.mark.parametrize(("text", "mode"), [
    # a correct login server with a hyphen in the registry's own name is no typo
    ('Get "https://ship-reg01.azurecr.io/v2/": dial tcp: lookup ship-reg01.azurecr.io on 10.0.0.10:53: no such host',
     "connectivity-dns"),
    # a Key Vault secret that is missing is not a pull secret
    ("(SecretNotFound) A secret with (name/id) acr-password was not found in this key vault.", None),
    # the registry itself throttling, with Docker Hub only mentioned: not Docker Hub's limit
    ("Pulls from shipreg01.azurecr.io get 429 too many requests during our import window; ACR is throttling us "
     "while Docker Hub pulls are fine.", "throttling"),
])
def test_third_round_near_misses(text: str, mode: str | None) -> None:
    assert _top(text) == mode


@pytest.mark.parametrize(("ticket", "mode"), [
    # refused as not signed in, in the word people use
    ("Every few hours our developers' pulls from the registry come back unauthenticated and they have to run "
     "`az acr login` again before anything works.", "authentication-required"),
    # growth with tags moved by re-pushes: the old manifests stay, untagged
    ("Our container registry keeps getting bigger every week even though our pipeline re-pushes the same tags "
     "each night and we never add new ones.", "dangling-manifests"),
    # another client against the same registry works, on a registry that only its own network may reach
    ("Our registry has public network access disabled and only private endpoints. `az acr build` fails every time, "
     "while docker push from a VM in our VNet to the same registry works.", "network-access-denied"),
])
def test_third_round_ticket_shapes(ticket: str, mode: str) -> None:
    assert _top(ticket, ticket=True) == mode


@pytest.mark.parametrize(("ticket", "mode"), [
    # the same contrast without any network restriction: the client that fails is the suspect
    ("Since this morning `oras push` to our registry fails, while docker push from the same machine to the same "
     "registry works.", "elsewhere:client-bug"),
    # growth in words, with nothing about a registry
    ("Our team keeps getting bigger every month and onboarding takes longer each time we hire.", None),
])
def test_third_round_ticket_near_misses(ticket: str, mode: str | None) -> None:
    assert _top(ticket, ticket=True) == mode


@pytest.mark.parametrize(("text", "mode", "ticket"), [
    # a 401 raised by Azure AD's own library, its AADSTS code on the line before: the sign-in failed, not ACR
    ("Microsoft.Identity.Client.MsalServiceException: AADSTS7000215: Invalid client secret provided.\n"
     "   ---> System.Net.Http.HttpRequestException: Response status code does not indicate success: 401 "
     "(Unauthorized).", "elsewhere:local-credentials", False),
    # a login server's domain typed a letter or two off, whatever error follows it
    ("docker push shipreg01.azurcr.io/web:3\nThe push refers to repository [shipreg01.azurcr.io/web]\n"
     "Get https://shipreg01.azurcr.io/v2/: dial tcp: lookup shipreg01.azurcr.io: no such host", "elsewhere:typo",
     False),
    ("Error response from daemon: Get \"https://<registry>.azurecr.net/v2/\": service unavailable", "elsewhere:typo",
     False),
    ("helm pull oci://shipreg01.azure.cr.io/charts/web --version 1.2.0\nError: failed to do request: Head "
     "\"https://shipreg01.azure.cr.io/v2/charts/web/manifests/1.2.0\": dial tcp: lookup shipreg01.azure.cr.io: "
     "no such host", "elsewhere:typo", False),
    # a transport prefix where the host goes: the client looks up "docker" as a host
    ("$ skopeo login docker://shipreg01.azurecr.io -u shipreg01\nFATA[0002] error authenticating creds for "
     "\"docker:\": error pinging docker registry docker:: Get \"https://docker/v2/\": dial tcp: lookup docker on "
     "10.0.0.10:53: no such host", "elsewhere:typo", False),
    # another client tool works with the same registry and sign-in: the failing client is the suspect
    ("Our Gradle Jib build can't push to shipreg01.azurecr.io: it always gets 401. Docker and crane log in with the "
     "same service principal and push fine.", "elsewhere:client-bug", True),
    ("We replicate from our on-prem registry product to ACR and every job fails with a strange error. Pushing to "
     "the same ACR from docker with the same admin user credentials works.", "elsewhere:client-bug", True),
])
def test_fourth_round_shapes(text: str, mode: str, ticket: bool) -> None:
    assert _top(text, ticket=ticket) == mode


@pytest.mark.parametrize(("text", "mode", "ticket"), [
    # ACR's own 401 with no identity provider in sight stays ACR's
    ("Response status code does not indicate success: 401 (Unauthorized) from https://shipreg01.azurecr.io/v2/",
     "authentication-required", False),
    # the right domains are not typos: the US and China clouds, the data endpoint, other registries
    ('Get "https://shipreg01.azurecr.us/v2/": dial tcp: lookup shipreg01.azurecr.us on 10.0.0.10:53: no such host',
     "connectivity-dns", False),
    ('Get "https://shipreg01.westeurope.data.azurecr.io/v2/": dial tcp: lookup '
     'shipreg01.westeurope.data.azurecr.io on 10.0.0.10:53: no such host', "connectivity-dns", False),
    ('Error response from daemon: Get "https://ghcr.io/v2/": net/http: request canceled', None, False),
])
def test_fourth_round_near_misses(text: str, mode: str | None, ticket: bool) -> None:
    assert _top(text, ticket=ticket) == mode


def test_the_same_sign_in_working_on_another_machine_does_not_blame_the_client() -> None:
    """The environment differs (a laptop against a build agent), not the tool: no client bug is claimed."""
    ticket = ("docker push to shipreg01.azurecr.io works from my laptop with the same credentials but the build agent "
              "gets unauthorized.")
    assert _top(ticket, ticket=True) != "elsewhere:client-bug"


@pytest.mark.parametrize(("text", "mode", "ticket"), [
    # a kubelet pull that failed in transport says nothing about the pull secret
    ('Warning  Failed  kubelet  Failed to pull image "shipreg01.azurecr.io/web:3": rpc error: code = Unknown desc = '
     'failed to pull and unpack image: failed to do request: Head "https://shipreg01.azurecr.io/v2/web/manifests/3": '
     'dial tcp 10.1.2.3:443: i/o timeout', "connectivity-unreachable", False),
    # Azure's global endpoints not resolving: the machine's DNS, whatever registry was meant
    ("request to https://management.azure.com/subscriptions/x/providers/Microsoft.ContainerRegistry/registries "
     "failed, reason: getaddrinfo ENOTFOUND management.azure.com", "elsewhere:network-client-side", False),
    # a client's own crash quoted in words, and a client that cannot read the token the registry sent
    ("Our pipeline's az acr build step stops at once with a Python traceback ending in \"'NoneType' object is not "
     "callable\", before any build output appears.", "elsewhere:client-bug", True),
    ('Malformed JSON response: {"access_token":"[redacted]"}', "elsewhere:client-bug", False),
    # the client changed just before it failed
    ("Since we moved our deploy tool to 3.4.1, charts that depend on oci://shipreg01.azurecr.io/helm no longer "
     "render.", "elsewhere:client-bug", True),
    ("Replication to our Azure registry stopped after the update of our on-prem registry product; the same access "
     "ID and secret worked before the upgrade.", "elsewhere:client-bug", True),
    # a setting's upper-case name inside a paragraph someone wrote does not make it printed output
    ("We run the web app on our private network with VNet integration. We also set WEBSITE_PULL_IMAGE_OVER_VNET to "
     "true, and the registry only has a private endpoint. The app still cannot pull the image.",
     "network-access-denied", True),
    # a push refused as unauthorized, in words
    ("Building our modules works, but the push step fails with 'unauthorized' errors when it uploads the images to "
     "our registry.", "authentication-required", True),
    # a scope map that lets an identity pull but not list tags
    ("Our token uses the _repositories_pull scope map. Pulling the chart works, but helm dependency update fails "
     "with 401 while listing the tags.", "delete-permission", True),
    # the registry's own credential set, printed or in words
    ("Error: credential set dockerhub-creds is unhealthy", "artifact-cache", False),
    ("The credential set behind our Docker Hub cache rule shows Unhealthy since security rotated the key vault "
     "secrets, and new pulls through the cache fail.", "artifact-cache", True),
])
def test_fifth_round_shapes(text: str, mode: str, ticket: bool) -> None:
    assert _top(text, ticket=ticket) == mode


@pytest.mark.parametrize(("text", "mode", "ticket"), [
    # an upgrade of the cluster is not a client's: no client bug claimed
    ("Since we upgraded the cluster to 1.29, pods fail to pull from our registry with 401 unauthorized.",
     "elsewhere:kubelet-pull-secret", True),
    # the upstream refusing a cache rule is still the source registry's answer
    ("Error response from daemon: unauthorized: authentication required with source registry for cache rule "
     "'docker-io'", "elsewhere:source-registry", False),
    # a registry's own host not resolving stays the registry's DNS
    ('Get "https://shipreg01.azurecr.io/v2/": dial tcp: lookup shipreg01.azurecr.io on 10.0.0.10:53: no such host',
     "connectivity-dns", False),
])
def test_fifth_round_near_misses(text: str, mode: str | None, ticket: bool) -> None:
    assert _top(text, ticket=ticket) == mode


def test_every_mode_the_ticket_reader_can_answer_has_a_title_of_its_own() -> None:
    """A prose answer is never titled with its slug ("artifact-cache · artifact-cache")."""
    from acrdoctor.explain.names import Names
    from acrdoctor.explain.recognise_prose import CUES, _build
    from acrdoctor.explain.recognisers import Hit

    for mode in CUES:
        built = _build(mode, [Hit(1, "Our registry fails.", Names(), "Our registry fails.")])
        assert built.title != mode and built.cause != mode, mode


@pytest.mark.parametrize(("text", "mode", "ticket"), [
    # the login server alone given as the reference: the client parsed it as a Docker Hub repository
    ("Server error: url https://index.docker.io/v2/library/shipreg01.azurecr.io/blobs/uploads/, code: 401, message: "
     '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}', "elsewhere:typo", False),
    # the reference parse failure told in words
    ("The scan step in our pipeline fails at once saying it cannot parse the image reference we pass for our "
     "registry's image.", "elsewhere:typo", True),
    # a newer client release picked up just before the failure
    ("Since our build agents picked up a newer Helm release, every chart install from our registry fails with a 401 "
     "while downloading the archive.", "elsewhere:client-bug", True),
    # the sign-in worked and saving it failed: the client's credential store, in words
    ("az acr login into our registry now fails every time from the dev container: the error comes right after the "
     "token is obtained, when the login is being saved.", "elsewhere:local-credentials", True),
])
def test_sixth_round_shapes(text: str, mode: str, ticket: bool) -> None:
    assert _top(text, ticket=ticket) == mode


@pytest.mark.parametrize(("text", "mode", "ticket"), [
    # secrets kept in a key vault are not a failing credential store
    ("The username and token for our cache rule are stored as secrets in our key vault, and the credential set "
     "shows Unhealthy since Monday.", "artifact-cache", True),
    # a newer release of the cluster is not a client's
    ("Since the cluster moved to a newer Kubernetes version, pods fail to pull from our registry with 401.",
     "elsewhere:kubelet-pull-secret", True),
])
def test_sixth_round_near_misses(text: str, mode: str | None, ticket: bool) -> None:
    assert _top(text, ticket=ticket) == mode
