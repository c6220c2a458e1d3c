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
