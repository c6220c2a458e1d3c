"""Shapes from the corpus misses of 2026-12-04: client-side faults told by the lines before the failing one, chart URLs
the registry never served, a private DNS path that ends at the public address, and symptoms told only in words. Each
is written here in its program's format (or a customer's words) with a near miss; no text is copied from a case.
"""

from __future__ import annotations

import pytest

from acrdoctor.explain import explain, explain_ticket
from acrdoctor.explain.model import Match
from acrdoctor.explain.names import registry_in
from acrdoctor.explain.scoring import changes_something

ENGINE_401 = ('{"message":"Head \\"https://shipreg.azurecr.io/v2/api/manifests/7\\": unauthorized: authentication '
              'required, visit https://aka.ms/acr/authorization for more information."}')


def top(text: str, *, ticket: bool = False) -> Match:
    ranked = (explain_ticket(text) if ticket else explain(text)).ranked
    assert ranked, "nothing recognised"
    return ranked[0]


@pytest.mark.parametrize("text", [
    # the library's exception on one line, the engine's message on the next
    "System.AggregateException: One or more errors occurred.\n"
    " ---> Docker.DotNet.DockerApiException: Docker API responded with status code=InternalServerError, response=\n"
    + ENGINE_401,
    # dockerode's error names the engine's status, then the registry's answer
    "Error: (HTTP code 500) server error - Get https://shipreg.azurecr.io/v2/api/manifests/7: unauthorized: "
    "authentication required",
])
def test_a_library_driving_the_engine_sent_no_credentials(text: str) -> None:
    m = top(text)
    assert m.failure_mode == "elsewhere:client-bug" and "Docker engine" in m.title
    assert "AuthConfig" in m.confirm.summary and not any("az version" in c for c in m.confirm.commands)
    assert not any(changes_something(x) for x in explain(text).matches)


def test_app_services_own_pull_log_is_the_web_apps_registry_settings() -> None:
    # App Service's container host prints the unqualified name for its own pulls: the app's settings, not a library
    text = ("2026-01-05T10:00:00.000Z INFO  - Pulling image: shipreg.azurecr.io/api:7\n"
            "2026-01-05T10:00:01.000Z ERROR - DockerApiException: Docker API responded with status "
            "code=InternalServerError, response=" + ENGINE_401)
    assert top(text).failure_mode == "authentication-required"


def test_an_anonymous_token_used_for_an_upload_is_the_clients() -> None:
    text = ("VERBOSE: Requesting a token for shipreg.azurecr.io.\nVERBOSE: Anonymous access token retrieved.\n"
            "VERBOSE: Uploading layer 1 of 3\n"
            "ERROR: Could not upload the blob to shipreg.azurecr.io: Response status code does not indicate "
            "success: 401 (Unauthorized).")
    m = top(text)
    assert m.failure_mode == "elsewhere:client-bug" and "anonymous" in m.title
    assert any("anonymousPullEnabled" in c for c in m.confirm.commands)


def test_an_anonymous_token_then_a_refused_pull_is_not_read_as_a_push() -> None:
    text = ("VERBOSE: Anonymous access token retrieved.\n"
            "ERROR: Could not download the manifest: Response status code does not indicate success: 401 "
            "(Unauthorized).")
    assert all("anonymous" not in m.title for m in explain(text).matches)


def test_a_bare_keyerror_under_a_token_error_is_the_token_reply() -> None:
    m = top("FATAL: Failed to fetch a bearer token for shipreg.azurecr.io/api\n'token'\nCleaning up...")
    assert m.failure_mode == "elsewhere:client-bug" and "token reply" in m.title


def test_a_bare_quoted_word_alone_is_nothing() -> None:
    assert not explain("Listing keys:\n'token'\n'user'").matches


def test_the_public_clouds_registry_audience_refused() -> None:
    text = ("AADSTS50001: The application with identifier 'https://containerregistry.azure.net' was not found in "
            "the directory 'contoso-stack'.")
    m = top(text)
    assert m.failure_mode == "elsewhere:client-bug" and "audience" in m.title
    assert any(c.startswith("az cloud show") for c in m.confirm.commands)
    other = "AADSTS50001: The resource 'https://vault.azure.net' is disabled or does not exist."
    assert all("audience" not in x.title for x in explain(other).matches)


def test_a_chart_url_without_the_repository_segment_is_the_tool_that_built_it() -> None:
    text = ('level=error msg="fetch failed" err="Failed to fetch https://shipreg.azurecr.io/helm/v1/_blobs/'
            'web-1.2.0.tgz : 404 Not Found"')
    m = top(text)
    assert m.failure_mode == "elsewhere:client-bug" and "chart URL" in m.title
    right = text.replace("/helm/v1/_blobs/", "/helm/v1/repo/_blobs/")
    assert all("chart URL" not in x.title for x in explain(right).matches)


def test_helm_repo_add_at_the_bare_login_server() -> None:
    text = ("$ helm repo add ship https://shipreg.azurecr.io\n"
            'Error: looks like "https://shipreg.azurecr.io" is not a valid chart repository or cannot be reached: '
            "failed to fetch https://shipreg.azurecr.io/index.yaml : 404 Not Found")
    m = top(text)
    assert m.failure_mode == "elsewhere:typo" and "chart repository URL" in m.title
    assert "oci://" in m.fix.summary and "oci://" in m.cause
    deeper = "failed to fetch https://shipreg.azurecr.io/helm/v1/repo/index.yaml : 404 Not Found"
    assert all("chart repository URL" not in x.title for x in explain(deeper).matches)


def test_privatelink_name_resolving_to_the_public_address_is_the_clients_dns() -> None:
    text = ("From the build agents in our spoke network pushes to shipreg fail. nslookup shows "
            "shipreg.azurecr.io -> shipreg.privatelink.azurecr.io and then resolves to a public 52.x address, "
            "not the 10.1.2.5 private endpoint IP. The spoke uses its own DNS servers.")
    m = top(text, ticket=True)
    assert m.failure_mode == "elsewhere:network-client-side" and "private DNS zone" in m.title
    assert any("privatelink.azurecr.io" in c for c in m.confirm.commands)
    public = "Our registry shipreg is public and nslookup resolves it to a public 52.x address; the pull is fine."
    assert all("private DNS zone" not in x.title for x in explain_ticket(public).matches)


@pytest.mark.parametrize(("text", "mode"), [
    ("Each of our 800 worker pods pulls the same rules image from our registry when it starts, all at the same "
     "time. The pods pull it again and again until the registry stops letting them read, then the jobs fail.",
     "throttling"),
    ("The release deployed tag 4411 of our app image but the pull failed. In the repository there are only older "
     "tags; build 4411 never pushed the image because its push step was skipped.", "tag-not-found"),
    ("We mirrored the controller images into our registry by tag, but the Helm chart pins an image by digest and "
     "that digest isn't present in our repository, so the pod never starts.", "manifest-not-found"),
])
def test_symptoms_told_in_words(text: str, mode: str) -> None:
    assert top(text, ticket=True).failure_mode == mode


def test_pushes_and_imports_refused_into_a_cached_repository_are_the_cache_rule() -> None:
    text = ("We added a cache rule for tools/cli pointing at an upstream registry. Since then docker push to "
            "tools/cli is rejected and az acr import into it fails as well. How do we fill a repo that has a "
            "cache rule?")
    assert top(text, ticket=True).failure_mode == "artifact-cache"
    only_import = "Our az acr import from quay.io fails with 401 since yesterday; the token for quay is new."
    assert top(only_import, ticket=True).failure_mode == "elsewhere:source-registry"


def test_a_registry_named_in_brackets_after_the_word() -> None:
    assert registry_in("We created a Premium registry (shipreg01) for the team.") == "shipreg01"
    assert registry_in("the registry (see above) is fine") is None


def test_a_distribution_registrys_401_for_a_one_word_name_is_not_acrs() -> None:
    hub = ('Response status code does not indicate success: 401 (Unauthorized). {"errors":[{"code":"UNAUTHORIZED",'
           '"message":"authentication required","detail":[{"Type":"repository","Class":"","Name":"redis",'
           '"Action":"pull"}]}]}')
    m = top(hub)
    assert m.failure_mode == "elsewhere:typo" and "library/" in m.title
    assert not any(changes_something(x) for x in explain(hub).matches)
    # ACR's own body: no Class field, and its message points at aka.ms/acr: a missing permission of the caller
    acr = ('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required, visit '
           'https://aka.ms/acr/authorization for more information.","detail":[{"Type":"repository","Name":"redis",'
           '"Action":"pull"}]}]}')
    assert not top(acr).failure_mode.startswith("elsewhere:")


def test_going_back_to_the_previous_release_unnumbered_is_the_client() -> None:
    text = ("Since we updated kubectl-acr on the runners the push step says access is refused. Going back to the "
            "previous plugin release makes pushes work again with the same settings.")
    assert top(text, ticket=True).failure_mode == "elsewhere:client-bug"
    # going back to the previous registry is not a client release
    other = "Pushes to shipreg are refused with 401. Going back to the previous registry makes pushes work again."
    assert all(m.failure_mode != "elsewhere:client-bug" for m in explain_ticket(other).ranked)


def test_tagged_images_gone_after_a_purge_is_the_filter() -> None:
    text = ("I ran acr purge with --untagged and a filter for one repository to clear the untagged manifests. "
            "Afterwards the tagged images were gone too, not just the untagged ones. Why did that happen?")
    assert top(text, ticket=True).failure_mode == "elsewhere:typo"
    meant = ("We ran acr purge with --ago 30d on the app repository and the tagged images older than that were "
             "deleted as planned, but the storage did not go down.")
    assert top(meant, ticket=True).failure_mode != "elsewhere:typo"
