"""The same failure in the words of each tool and of a customer: SDK exceptions, HTTP statuses with their request,
docker/az phrasings, and ticket prose (with negations). Texts are written for these tests (synthetic variants) or
quoted from public sources named next to them; none is a corpus case."""

from __future__ import annotations

import pytest

from acrdoctor.explain import explain
from acrdoctor.explain.model import Match
from acrdoctor.explain.recognise_prose import classify
from acrdoctor.explain.scoring import changes_something


def top(text: str) -> Match:
    ranked = explain(text).ranked
    assert ranked, f"nothing recognised in {text!r}"
    return ranked[0]


# --- error texts ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, mode", [
    # .NET: Azure/azure-sdk-for-net#22826 (nightly test failure listing manifests, a read; verbatim body).
    ('Azure.RequestFailedException : Service request failed.\nStatus: 404 (Not Found)\n\nContent:\n'
     '{"errors":[{"code":"NAME_UNKNOWN","message":"repository "library/hello-world" is not found"}]}',
     "repository-not-found"),
    # az's own wording on a read (synthetic).
    ('$ az acr repository show-tags -n contosoreg --repository web/api\nRepository "web/api" is not found.',
     "repository-not-found"),
    # Go azcore (synthetic, the shape azcore prints).
    ("DELETE https://contosoreg.azurecr.io/v2/web/api/manifests/sha256:" + "ab" * 32 + "\n"
     "--------------------------------------------------------------------------------\n"
     "RESPONSE 404: 404 Not Found", "manifest-not-found"),
    # A plain HTTP status with the repository path on a delete (curl -i, synthetic).
    ("curl -X DELETE https://contosoreg.azurecr.io/acr/v1/old-app\nHTTP/1.1 404 Not Found", "empty-repository"),
    # Java (synthetic): 405 next to the registry, on a delete.
    ("com.azure.core.exception.HttpResponseException: Status code 405, deleting contosoreg.azurecr.io/web/api:1.0",
     "locked-artifacts"),
    # DENIED bodies with no firewall message (synthetic variants of the ACR body).
    ('az acr repository delete -n contosoreg --image web/api:1.0 --yes\n'
     'Error: {"errors":[{"code":"DENIED","message":"retrieving permissions failed"}]}', "delete-permission"),
    ("oras push contosoreg.azurecr.io/art/sbom:1 sbom.json\nError: insufficient_scope: authorization failed",
     "delete-permission"),
    # A masked IP in the firewall message (synthetic).
    ('Status code 403, {"errors":[{"code":"DENIED","message":"client with IP *** is not allowed access."}]}',
     "network-access-denied"),
    # 429 as the Go SDK prints it (synthetic).
    ("GET https://contosoreg.azurecr.io/acr/v1/_catalog\nRESPONSE 429: 429 Too Many Requests", "throttling"),
    # az's ARM lookup: Azure/azure-cli#27913 (verbatim error line).
    ("The resource with name 'myacr7173' and type 'Microsoft.ContainerRegistry/registries' could not be found in "
     "subscription", "login-server-not-found"),
])
def test_each_tool_s_wording_maps_to_the_failure(text: str, mode: str) -> None:
    assert top(text).failure_mode == mode


@pytest.mark.parametrize("text", [
    # containerd through kubelet (synthetic, the shape containerd prints).
    'Failed to pull image "contosoreg.azurecr.io/web/api:1.0": rpc error: code = NotFound desc = failed to pull and '
    'unpack image "contosoreg.azurecr.io/web/api:1.0": failed to resolve reference "contosoreg.azurecr.io/web/api:1.0":'
    ' contosoreg.azurecr.io/web/api:1.0: not found',
    # oras (synthetic).
    "Error: failed to resolve: contosoreg.azurecr.io/web/api:1.0: not found",
    # skopeo (synthetic).
    'time="2026-01-01T00:00:00Z" level=fatal msg="Error parsing image name \\"docker://contosoreg.azurecr.io/web/api:1.0'
    '\\": reading manifest 1.0 in contosoreg.azurecr.io/web/api: manifest unknown: manifest unknown"',
])
def test_a_reference_that_does_not_resolve_is_a_missing_tag(text: str) -> None:
    m = top(text)
    assert m.failure_mode == "tag-not-found" and not changes_something(m)
    assert (m.extracted.registry, m.extracted.repository) == ("contosoreg", "web/api")


def test_docker_hub_s_pull_access_denied_is_not_a_missing_role() -> None:
    text = ("docker: Error response from daemon: pull access denied for acr, repository does not exist or may require "
            "'docker login': denied: requested access to the resource is denied.")
    assert not any(changes_something(m) for m in explain(text).matches)


def test_pull_of_a_tag_that_is_not_there_is_a_missing_tag_not_a_broken_index() -> None:
    text = ("$ docker pull contosoreg.azurecr.io/web/api:v9\nError response from daemon: manifest for "
            "contosoreg.azurecr.io/web/api:v9 not found: manifest unknown: manifest unknown")
    m = top(text)
    assert m.failure_mode == "tag-not-found" and not changes_something(m)


def test_pull_of_a_multi_arch_tag_missing_a_child_is_a_broken_index() -> None:
    text = ("$ docker pull --platform linux/arm64 contosoreg.azurecr.io/web/api:2\n"
            "Error response from daemon: manifest unknown")
    assert top(text).failure_mode == "broken-index-references"


@pytest.mark.parametrize("text", [
    "Error: toomanyrequests: You have reached your pull rate limit. https://www.docker.com/increase-rate-limit",
    "az acr import -n contosoreg --source docker.io/library/nginx:1\nunauthorized: authentication required",
    "The push refers to repository [docker.io/someone/app]\ndenied: requested access to the resource is denied",
])
def test_someone_else_s_refusal_is_not_explained_as_this_registry_s(text: str) -> None:
    # Docker Hub's limit, an import's source, a push that went to Docker Hub: no ACR fix.
    assert not any(changes_something(m) and m.failure_mode in ("throttling", "delete-permission",
                                                                "authentication-required")
                   for m in explain(text).matches)
    assert not any(m.failure_mode in ("throttling", "delete-permission", "authentication-required")
                   for m in explain(text).matches)


# --- ticket prose ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, mode", [
    ("Last week we ran `acr purge --filter 'svc/.*:.*' --ago 30d` and it removed about 900 tags, yet the Overview "
     "blade still says 612 GB used, same as before.", "dangling-manifests"),
    ("Our CI re-pushes the `main` tag on every merge and the storage used keeps climbing although we only ever "
     "keep a handful of tags.", "dangling-manifests"),
    ("We deleted 60 microservice images, about 900 MB each per docker, but usage only dropped by 3 GB. Every "
     "service is built on our shared base image.", "shared-layers"),
    ("Removed 25 repositories this morning. None of their layers are shared with anything we kept. The portal "
     "still shows 1.4 TB used hours later and our registry is geo-replicated to two regions.",
     "storage-accounting"),
    ("The retention policy for untagged manifests is on with 7 days, but untagged manifests from last year are "
     "still there and storage hasn't changed.", "retention-policy"),
    ("Teams can't pull anything pushed since Monday; we switched on the quarantine policy for the registry and "
     "images seem to stay quarantined.", "quarantined-images"),
    ("Our nightly cleanup job gets HTTP 429 responses from the registry halfway through and stops; nothing about "
     "permissions changed.", "throttling"),
    ("The pipeline deletes old images but fails on our release tags: they were set with `--delete-enabled false` "
     "so nobody removes them by accident.", "locked-artifacts"),
    ("We can't tear down the test registry anymore: it has a private endpoint and the delete just hangs in "
     "Deleting until the job times out.", "private-endpoints-block-registry-delete"),
    ("We turned on soft delete last month, deleted a lot of images since, and now the registry bill is higher "
     "than before, while `az acr show-usage` hasn't dropped.", "storage-accounting"),
])
def test_a_ticket_in_plain_words_maps_to_the_failure(text: str, mode: str) -> None:
    m = top(text)
    assert m.failure_mode == mode
    assert 0.4 <= m.confidence <= 0.7
    assert m.next_step is not None and m.next_step.commands
    assert m.next_step.commands[0].startswith("acrdoctor bundle-script")
    assert not changes_something(m)  # from words alone, nothing that changes the registry is printed


def test_a_negated_cause_does_not_count() -> None:
    locked = "We cannot delete the old images; the tags are locked and the repository shows 0 B freed."
    not_locked = ("We deleted the old images, nothing is locked, and storage did not go down; all our images "
                  "are built on the same base image.")
    assert classify(locked) is not None and classify(locked)[0] == "locked-artifacts"
    assert top(not_locked).failure_mode == "shared-layers"
    assert "locked-artifacts" not in {m.failure_mode for m in explain(not_locked).matches}


def test_an_error_code_outranks_the_prose_around_it() -> None:
    text = ("We tried to clean up old images this morning and storage did not go down because the delete "
            "failed:\n"
            '{"errors":[{"code":"DENIED","message":"client with IP \'10.1.2.3\' is not allowed access."}]}')
    ranked = explain(text).ranked
    assert ranked[0].failure_mode == "network-access-denied" and ranked[0].confidence > 0.7
    assert any(m.confidence <= 0.7 for m in ranked[1:])


def test_a_build_log_line_is_not_read_as_a_ticket() -> None:
    log = ("2026/11/30 10:00:00 Step 4/9 : RUN rm -rf /var/cache/apk && du -sh /usr\n"
           "#12 [build 4/9] deleting 30 files from the image to save space, storage driver overlay2\n")
    assert not explain(log).matches


#: Tickets written for these tests, one or two per failure mode, in words the catalogue does not use.
TICKETS = [
    ('empty-repository',
     "There's a repository in our ACR with nothing in it, zero images, and every attempt to remove it, "
     'from the CLI or the portal, errors out.'),
    ('manifest-not-found',
     'Deleting an image by digest says the manifest is not found, but it was there five minutes ago; '
     'maybe another job already removed it?'),
    ('broken-index-references',
     "Since last week's cleanup, docker pull on our Apple Silicon laptops fails for the multi-arch tag "
     'while the amd64 build servers still work.'),
    ('throttling',
     'We are getting throttled by ACR when our 300 microservices all deploy at the same moment.'),
    ('private-endpoints-block-registry-delete',
     'Removing the old registry fails; the error says something about private endpoint connections that '
     'must be removed first.'),
    ('resource-locks',
     'We cannot delete the registry or any repository in it; someone placed a ReadOnly lock on the '
     'subscription.'),
    ('purge-task-access',
     'The scheduled acr purge task fails with unauthorized after we switched the registry to ABAC '
     '(repository permissions).'),
    ('soft-delete',
     'We accidentally deleted the prod image; since soft delete is on, how do we restore it?'),
    ('storage-limit',
     'Our Basic ACR reached its storage limit, so every new push is refused now.'),
    ('network-access-denied',
     'After disabling public network access, az acr repository delete from my laptop fails with 403 even '
     "though I'm Owner."),
    ('shared-layers',
     "Cost didn't decrease after we wiped half of the images from our ACR; each was several GB but the "
     'footprint barely changed.'),
    ('dangling-manifests',
     'Our registry is bloated: CI pushes :latest dozens of times a day and the old images seem to hang '
     'around forever even though no tag points to them.'),
    ('storage-accounting',
     "The consumed storage in the Azure portal hasn't changed since we removed the repositories on "
     'Friday; does it take time to update?'),
    ('dangling-manifests',
     'We run acr purge with --filter and --ago every night, it says it deleted tags, but our billed '
     'storage keeps growing month over month.'),
    ('network-access-denied',
     'Our self-hosted runner in another region can no longer reach the registry since networking was '
     'changed to private access only; pushes get 403.'),
    ('delete-permission',
     'A colleague with Reader on the registry cannot delete tags; the portal says she is not authorized '
     'to perform this action.'),
    ('throttling',
     'The registry started returning HTTP 429 during our blue/green rollout when 50 nodes pulled at once.'),
    ('authentication-required',
     'Every few hours our build agent loses access to the registry and pushes fail with 401 until someone '
     'runs az acr login again.'),
    ('locked-artifacts',
     'Our retention job cannot remove images tagged prod-*, we had made them immutable by disabling '
     'delete on them last year.'),
    ('quarantined-images',
     'After turning on the quarantine feature, pulls of newly pushed images fail until someone marks them '
     'as scanned.'),
    ('artifact-cache',
     'We use a cache rule for nginx; after deleting the cached repository to force a refresh, pulling the '
     'old tag through our registry now fails with manifest unknown.'),
    ('artifact-cache',
     'Our pull-through cache keeps serving an old version of the image even though the tag was updated '
     'upstream weeks ago.'),
    ('connected-registries',
     'We deleted the connected registry for our factory site, but its sync token and scope map are still '
     'there in the parent registry.'),
    ('repository-not-found',
     "The release job says the repository does not exist, but I'm sure we pushed it to the registry last "
     'week.'),
    ('tag-not-found',
     'Deploy fails because the tag does not exist in the registry, the build for that tag was cancelled '
     'before the push.'),
    ('throttling',
     'Our nightly cleanup is being rate limited by the registry; it slows down and then fails after a few '
     'thousand deletes.'),
    ('authentication-required',
     'docker login to our registry says Login Succeeded, but the push right after still says '
     'unauthorized: authentication required.'),
    ('authentication-required',
     "The pipeline's registry login seems to expire after a few hours, so the long integration job fails "
     'at the final push step.'),
    ('network-access-denied',
     'We locked the registry down to our VNet and now the Azure DevOps hosted agent gets a 403 when it pushes.'),
    ('network-access-denied',
     'After enabling the registry firewall only our office IP range can reach it, and the cleanup job '
     'that runs in a container app is refused.'),
    ('delete-permission',
     'Our cleanup service principal only has AcrPull and AcrPush, and every delete call comes back 401 unauthorized.'),
    ('delete-permission',
     'Developers can push to the registry but nobody except the admin can delete anything; what role grants delete?'),
    ('locked-artifacts',
     "We can't remove a few old images, the error says the operation is disallowed on this image although "
     'nobody recalls locking it.'),
    ('resource-locks',
     "Can't delete anything in our registry since the platform team put a CanNotDelete lock on the resource group."),
    ('quarantined-images',
     'Images we push stay in quarantine and can never be pulled, even though the vulnerability scan found nothing.'),
    ('storage-limit',
     'Our Basic registry is full at 10 GB included storage? Pushes now fail and we need to know how to '
     'free space or raise the limit.'),
    ('dangling-manifests',
     'I untagged 500 old images but usage in the portal is still 300 GB, what am I missing?'),
    ('dangling-manifests',
     'We clean up by removing tags with the REST API; the registry size keeps going up anyway.'),
    ('shared-layers',
     'Deleting the whole nodejs repository freed only 300 MB although the images in it show 1.5 GB each; '
     'the other repos use the same node base.'),
    ('storage-accounting',
     "Deleted 80 GB of images on Monday and the usage figure still hasn't moved on Wednesday."),
    ('retention-policy',
     'We set a retention policy of 7 days on our Premium registry but the untagged manifests older than '
     'that are never deleted.'),
    ('soft-delete',
     'With soft delete enabled, deleted images still count against our storage for 7 days; is there a way '
     'to purge them early?'),
    ('empty-repository',
     'The repository shows 0 tags and 0 manifests in the portal but deleting it gives repository name not '
     'known to registry.'),
    ('private-endpoints-block-registry-delete',
     'Terraform destroy fails to delete the container registry while the private endpoint connection still exists.'),
    ('broken-index-references',
     'After cleaning up untagged manifests, our multi-platform image tag can no longer be pulled on arm64 hosts.'),
    ('manifest-not-found',
     'The purge task sometimes stops with manifest is not found for a digest while another cleanup job '
     'runs at the same time.'),
    ('connectivity-dns',
     "Pushing from our on-prem agent fails because the registry hostname can't be resolved; DNS "
     "forwarding to the private zone isn't set up."),
    ('login-server-not-found',
     'az acr build -r myreg says the resource could not be found in subscription, but the registry exists '
     'in another subscription we also use.'),
    ('purge-task-access',
     'Since the registry moved to ABAC repository permissions our acr purge task gets 401 when it fetches a token.'),
    ('dangling-manifests',
     "We ran the cleanup script that untags anything older than 90 days but the registry size didn't "
     "budge at all, still about 350 GB."),
    ('dangling-manifests',
     "Deleting tags with `az acr repository untag` hasn't freed up any space on our registry."),
    ('dangling-manifests',
     "acr purge finished fine and reported hundreds of deleted tags, but we didn't get any storage back."),
    ('dangling-manifests',
     'There are thousands of untagged manifests in our repos because CI overwrites latest; how do I get '
     'rid of them? Storage is 800 GB.'),
    ('shared-layers',
     'I deleted 10 images that were 2 GB each but the registry only shrank by 500 MB.'),
    ('shared-layers',
     'Removed the old repo completely, expected ~50 GB back, got maybe 4 GB. Images were built from the same base.'),
    ('storage-accounting',
     'We deleted a ton of repositories yesterday and the size shown in the portal is still exactly the same today.'),
    ('storage-accounting',
     "Usage in the metrics blade and what az acr show-usage says don't match, and we have a replica in West Europe."),
    ('storage-accounting',
     "Is the storage figure delayed? We removed 200 GB of images an hour ago and the portal hasn't updated."),
    ('retention-policy',
     'Retention is enabled for 30 days but old untagged manifests are still piling up.'),
    ('soft-delete',
     "We can't push an image with the same digest we deleted yesterday; soft delete is turned on for the registry."),
    ('soft-delete',
     'Where do deleted images go when soft delete is enabled? We need to restore one we deleted by mistake.'),
    ('locked-artifacts',
     'Trying to delete an old tag in the portal but the delete button is greyed out, and the CLI says the '
     'operation is disallowed.'),
    ('locked-artifacts',
     "Our cleanup can't remove some images; someone had set them read-only with write-enabled false a long time ago."),
    ('quarantined-images',
     "Newly pushed images can't be pulled, the registry has quarantine enabled and nothing marks them as passed."),
    ('storage-limit',
     'Pushes started failing this morning; I think we hit the registry storage limit on our Basic SKU.'),
    ('throttling',
     'Our purge of 40k images keeps getting throttled by the registry, lots of 429s.'),
    ('throttling',
     'During big parallel deployments AKS nodes get too many requests errors from our ACR.'),
    ('authentication-required',
     'My access token seems to expire after 3 hours during long pushes and then the push fails as unauthorized.'),
    ('delete-permission',
     'The service principal used by our pipeline can push and pull but deleting tags fails with 403; it '
     'only has AcrPush.'),
    ('delete-permission',
     "Our cleanup identity doesn't have permission to delete in the registry, which role do we need?"),
    ('network-access-denied',
     'Since we restricted the registry to selected networks, our hosted build agents get 403 when pushing.'),
    ('network-access-denied',
     "We disabled public network access on the ACR and now our GitHub Actions runner can't push."),
    ('private-endpoints-block-registry-delete',
     "I'm trying to delete a registry and it fails because it still has a private endpoint connection."),
    ('empty-repository',
     "I deleted every image in the repo but the repository itself is still listed with zero tags and I "
     "can't delete it."),
    ('resource-locks',
     'Deleting images fails and az says the scope is locked; our resource group has a CanNotDelete lock.'),
    ('login-server-not-found',
     'az acr login says the registry could not be found in subscription, but it exists in another subscription.'),
    ('connectivity-dns',
     "From the build VM the registry name doesn't resolve, nslookup gives nothing, we use a private endpoint."),
    ('purge-task-access',
     'After switching the registry to ABAC repository permissions our scheduled acr purge task fails with 401.'),
    ('broken-index-references',
     'After our purge with --untagged, pulling the multi-arch image on ARM nodes fails with manifest unknown.'),
    ('manifest-not-found',
     'Our purge job dies with a 404 for a manifest digest when two purges run at the same time.'),
    ('shared-layers',
     "Storage didn't go down after deleting images; nothing is locked, no quarantine, no retention policy."),
    ('storage-accounting',
     'We deleted 30 repos, we do not use soft delete, and two hours later usage still shows 920 GB.'),
]


@pytest.mark.parametrize("mode, text", TICKETS)
def test_tickets_in_other_words(mode: str, text: str) -> None:
    m = top(text)
    assert m.failure_mode == mode
    if m.confidence <= 0.7:  # answered from the words: nothing that changes the registry is printed
        assert not changes_something(m) and m.next_step is not None


def test_soft_delete_policy_refused_for_an_old_api_version_prints_no_change() -> None:
    # Synthetic variant of ARM's refusal to a client on an API version older than the policy.
    text = ("azurerm_container_registry.main: updating: Code=\"BadRequest\" Message=\"Cannot override non-default "
            "values of soft delete policy for registry contosoreg using api-version 2021-09-01.\"")
    m = top(text)
    assert m.failure_mode == "soft-delete" and "API version" in m.title
    assert not changes_something(m)


#: Tickets that rule causes out (negations before and after the cause), written for these tests.
NEGATED = [
    ('shared-layers',
     'We deleted 40 images to save space but usage only dropped by 2 GB. There are no locks, no soft '
     'delete and no geo-replication on this registry, and the images share a base image.'),
    ('dangling-manifests',
     "Our nightly job untags old builds but the registry keeps growing. We don't use retention, soft "
     'delete is off, nothing is quarantined.'),
    ('storage-accounting',
     "Storage did not go down after deleting 20 repos this morning. It's not a permissions problem, the "
     'deletes succeeded; the portal just still shows 700 GB hours later.'),
    ('throttling',
     "It's not the firewall and not permissions: the purge just gets 429 too many requests after a few "
     'minutes.'),
    ('network-access-denied',
     "Deletes from the hosted agent fail with 403. It's not a role issue, the SP is Owner; we recently "
     'enabled the registry firewall with selected networks.'),
    ('delete-permission',
     "The cleanup identity gets 403 forbidden on every delete; there's no firewall on the registry and "
     'public access is enabled. It only has AcrPull.'),
    ('locked-artifacts',
     "Delete fails with disallowed operation, the registry isn't full and nothing is quarantined, but the "
     'repo has write-enabled false.'),
    ('artifact-cache',
     'We set up a cache rule for docker hub images, deleted the cached repository to refresh it, and now '
     'pulling the tag through the cache says manifest unknown.'),
    ('tag-not-found',
     'The pipeline fails pulling myreg.azurecr.io/app:1.4.2 with manifest unknown, but that tag was never '
     'pushed, the build step for it failed earlier.'),
]


@pytest.mark.parametrize("mode, text", NEGATED)
def test_causes_ruled_out_in_words_do_not_count(mode: str, text: str) -> None:
    assert top(text).failure_mode == mode


@pytest.mark.parametrize("text, mode", [
    # Python autorest without a body, synthetic.
    ("azure.core.exceptions.HttpResponseError: Operation returned an invalid status 'Method Not Allowed'",
     "locked-artifacts"),
    ("azure.core.exceptions.ClientAuthenticationError: Operation returned an invalid status 'Unauthorized'",
     "authentication-required"),
    # .NET with its ErrorCode line, synthetic.
    ("Azure.RequestFailedException: Service request failed.\nStatus: 429 (Too Many Requests)", "throttling"),
    # Go azcore: the request line, then the status and the code, synthetic.
    ("DELETE https://contosoreg.azurecr.io/acr/v1/web/_tags/1.0\n" + "-" * 80 + "\nRESPONSE 404: 404 Not Found\n"
     "ERROR CODE: TAG_UNKNOWN", "tag-not-found"),
])
def test_sdk_exceptions_of_each_language(text: str, mode: str) -> None:
    ranked = explain(text).ranked
    assert ranked[0].failure_mode == mode
    assert all(m.failure_mode == mode for m in ranked)  # the status line does not add a second reading


def test_a_cache_rule_s_upstream_refusal_is_not_answered_as_this_registry_s() -> None:
    text = ("Our cache rule for docker hub fails: the upstream refuses with 401 because the credential set has an "
            "expired token.")
    assert not any(m.failure_mode in ("authentication-required", "delete-permission", "artifact-cache")
                   for m in explain(text).matches)


def test_a_kubernetes_pull_in_words_is_not_answered_as_a_registry_sign_in() -> None:
    text = ("Our AKS cluster cannot pull images from our registry anymore, pods are stuck in ImagePullBackOff with 401 "
            "unauthorized since the service principal was rotated.")
    assert "authentication-required" not in {m.failure_mode for m in explain(text).matches if m.confidence <= 0.7}


def test_az_s_refused_token_exchange_without_a_code_is_the_refresh_token_step() -> None:
    # The message check-health documents for CONNECTIVITY_REFRESH_TOKEN_ERROR, printed by az acr login without it.
    text = ("Access to registry 'contosoreg.azurecr.io' was denied. Response code: 403. Please try running 'az "
            "login' again to refresh permissions.")
    m = top(text)
    assert m.failure_mode == "connectivity-refresh-token" and m.confidence < 0.9


def test_a_status_code_quoted_in_a_sentence_is_still_read_as_a_ticket() -> None:
    text = ("The service principal used by our pipeline can push and pull but deleting tags fails with status code "
            "403; it only has AcrPush.")
    m = top(text)
    assert m.failure_mode == "delete-permission" and 0.4 <= m.confidence <= 0.7


def test_english_in_a_build_log_is_not_a_ticket() -> None:
    # Sentences a build log prints, written for this test: symptom words without a refusal or without the registry.
    log = "\n".join([
        "We recommend that you upgrade your storage account to use the latest TLS version before the end of the year.",
        "Our tests use a temporary storage directory that is removed after each run; it does not go down to zero.",
        "Your branch is up to date with 'origin/main'. Nothing to commit, working tree clean, and no tags were pushed.",
        "warning: We could not lock the ref 'refs/heads/main' because another git process seems to be running here.",
        "Note: our pipeline uses the private agent pool in the VNet for all of its steps and jobs today.",
        "I/O statistics: 4.2 GB read, 1.1 GB written, usage of the cache was 83 percent during the build step.",
    ])
    assert not explain(log).matches


@pytest.mark.parametrize("text, mode", [
    ("we purged 300 images and the portal still shows 480 GB", "dangling-manifests"),
    ("storage didn't go down after we deleted the old images from the registry", "shared-layers"),
    ("I deleted the repo but it's still listed in the portal", "empty-repository"),
    ("I can't delete the image, it says disallowed", "locked-artifacts"),
    ("The delete button is greyed out for our old tags in the portal", "locked-artifacts"),
])
def test_the_short_complaints_support_hears_most(text: str, mode: str) -> None:
    m = top(text)
    assert m.failure_mode == mode and 0.4 <= m.confidence <= 0.7 and not changes_something(m)


def test_the_short_disallowed_answer_on_a_push_is_a_lock_not_a_quarantine() -> None:
    # docker's wording of the 405 on a push (synthetic); quarantine only holds back pulls.
    text = ("docker push contosoreg.azurecr.io/web/api:2\n"
            "The push refers to repository [contosoreg.azurecr.io/web/api]\nunknown: The operation is disallowed.")
    assert top(text).failure_mode == "locked-artifacts"
    pulled = "docker pull contosoreg.azurecr.io/web/api@sha256:" + "b" * 64 + "\nunknown: The operation is disallowed."
    assert top(pulled).failure_mode == "quarantined-images"


def test_the_challenge_in_a_debug_trace_is_not_a_refusal() -> None:
    # oras --debug prints every response; the first 401 is the challenge that starts the token flow (synthetic).
    trace = ('time=2026-01-01T00:00:00Z level=debug msg=Response #1\n< Response Status: "401 Unauthorized"\n'
             '   "Www-Authenticate": "Bearer realm=\\"https://contosoreg.azurecr.io/oauth2/token\\""')
    assert not explain(trace).matches


@pytest.mark.parametrize("text, mode", [
    # docker through a cloud resolver (synthetic): the registry's name does not resolve.
    ('Error response from daemon: Get "https://contosoreg.azurecr.io/v2/": dial tcp: lookup contosoreg.azurecr.io on '
     "168.63.129.16:53: no such host", "connectivity-dns"),
    ('Error response from daemon: Get "https://contosoreg.azurecr.io/v2/": dial tcp 20.42.1.2:443: i/o timeout',
     "connectivity-unreachable"),
])
def test_the_network_s_own_words_about_the_registry(text: str, mode: str) -> None:
    m = top(text)
    assert m.failure_mode == mode and m.extracted.registry == "contosoreg" and not changes_something(m)


def test_the_machine_s_own_resolver_down_is_not_the_registry_s_dns() -> None:
    text = ('Get "https://contosoreg.azurecr.io/v2/": dial tcp: lookup contosoreg.azurecr.io on [::1]:53: read udp: '
            "connection refused")
    assert "connectivity-dns" not in {m.failure_mode for m in explain(text).matches}


@pytest.mark.parametrize("ip", ["<your IP address>", "***", "x.x.x.x", "<client-ip>"])
def test_the_firewall_message_with_its_ip_masked_is_still_the_firewall(ip: str) -> None:
    """Docs, SDK guides and CI logs mask the IP: the message is still the firewall's, never a missing role."""
    body = ('{"errors":[{"code":"DENIED","message":"client with IP \'' + ip + '\' is not allowed access. '
            'Refer https://aka.ms/acr/firewall to grant access."}]}')
    assert top(body).failure_mode == "network-access-denied"


def test_a_denied_with_no_delete_in_sight_grants_nothing() -> None:
    """A bare DENIED from the registry, with no command that deletes: which action was refused is unknown, so no
    role grant is printed as a command (the grants stay as 'once confirmed' notes)."""
    m = top('Error: {"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]} '
            "while reading fabrikam.azurecr.io/tools/linter:3")
    assert m.failure_mode == "delete-permission"
    assert not changes_something(m)
    assert any(n.startswith("Once confirmed: az role assignment create") for n in m.fix.notes)


def test_a_denied_on_a_delete_is_read_as_the_missing_delete() -> None:
    m = top("$ az acr repository delete --name fabrikam --image tools/linter:3 --yes\n"
            'Error: {"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}')
    assert m.failure_mode == "delete-permission"
    assert m.extracted.action == "delete" and m.confidence == 0.75
