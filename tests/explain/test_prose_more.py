"""More ways customers describe the symptoms in words (ticket mode): tags deleted but storage kept, quarantine,
cache rules, and causes elsewhere the ticket itself reveals (a typo, a client release). Texts are written for these
tests, or written in our own words from the public sources named next to them; none is a corpus case."""

from __future__ import annotations

import pytest

from acrdoctor.explain import explain_ticket
from acrdoctor.explain.model import Match
from acrdoctor.explain.recognise_elsewhere import _one_slip
from acrdoctor.explain.scoring import changes_something


def top(text: str) -> Match:
    ranked = explain_ticket(text).ranked
    assert ranked, f"nothing recognised in {text!r}"
    return ranked[0]


def _prose_answer(text: str, mode: str) -> None:
    m = top(text)
    assert m.failure_mode == mode, (text, [(x.failure_mode, x.confidence) for x in explain_ticket(text).ranked])
    # A guess from words: the prose range, and nothing printed that changes something.
    assert 0.45 <= m.confidence <= 0.7
    assert not any(changes_something(x) for x in explain_ticket(text).matches)


# --- 1. tags deleted, storage kept: untagging leaves the manifests ----------------------------------------------

@pytest.mark.parametrize("text", [
    "We ran az acr repository delete --tag for 400 old tags in our registry but the storage usage did not go down "
    "at all.",
    "I deleted about 200 tags through the portal (Delete tag) and the registry size is still 350 GB.",
    "We untagged all the old builds with az acr repository untag, yet the bill for the registry keeps climbing.",
    "After deleting the tags of last year's releases our ACR storage has not changed; the images are gone from the "
    "tag list.",
    "We removed thousands of tags from our container registry but we are still paying for 2 TB of storage.",
    "Our nightly job untags old images in the registry, but the used storage in the portal never goes down.",
    "We clean up stale tags every week with a script, and our registry is still at 480 GB.",
    "I used the Delete tag button in the portal for every old version and the registry size is unchanged.",
    # In our own words from Azure/acr#71 (delete --tag without --manifest: the tag goes, the space stays).
    "When I delete old tags with az acr repository delete --repository myrepo --tag mytag the tag goes away, but I "
    "don't get any space back in the registry.",
])
def test_storage_kept_after_deleting_tags_is_dangling_manifests(text: str) -> None:
    _prose_answer(text, "dangling-manifests")


@pytest.mark.parametrize("text", [
    "We deleted the whole repository from our registry last week but the storage usage did not go down much.",
    "I deleted 50 images (manifests, with az acr repository delete --image) and the registry size only dropped by "
    "2 GB.",
    # docker build --tag is not a tag deletion.
    "We build with docker build --tag and push to our registry; after deleting the old repositories the storage only "
    "dropped by 5 GB.",
])
def test_storage_kept_after_deleting_images_is_not_read_as_untagging(text: str) -> None:
    assert top(text).failure_mode in ("shared-layers", "storage-accounting")


def test_deleting_tags_and_manifests_together_is_not_untagging() -> None:
    text = ("We deleted old tags and manifests with a script, and our registry storage only dropped by 3 GB; most "
            "images share the same base image.")
    assert top(text).failure_mode == "shared-layers"


# --- 2. quarantine in words ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Images pushed to our registry are stuck and we can't pull them until the scan finishes.",
    "Our new images show scan pending forever and nobody can pull them from the registry.",
    "We enabled the quarantine policy on the registry and now our deployments fail to pull fresh images.",
    "Since we turned on image scanning in our registry, freshly pushed images can't be pulled; they seem stuck "
    "waiting for the scan.",
    "The pushed tags are stuck in a pending state and docker pull fails for them from our registry.",
    "Our images are held in quarantine and the scan never completes, so nothing can be pulled from the registry.",
    "Defender scan is still in progress for our new images and the pull fails from our registry.",
    # In our own words from samcogan.com/image-quarantine-in-azure-container-registry (quarantine holds new pushes).
    "We enabled quarantine on our Premium registry and newly pushed images are not available to anyone until they "
    "are marked as passed.",
])
def test_quarantine_in_words(text: str) -> None:
    _prose_answer(text, "quarantined-images")


def test_a_quarantine_ticket_is_not_a_missing_pull_secret() -> None:
    text = "We enabled the quarantine policy on the registry and now our deployments fail to pull fresh images."
    assert all(m.failure_mode != "elsewhere:kubelet-pull-secret" for m in explain_ticket(text).matches)


# --- 3. cache rules in words ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "We set up a pull-through cache for Docker Hub in our registry and the cached image came back after we deleted "
    "it.",
    "I deleted a repository that a cache rule points at, and the image came back the next time someone pulled it.",
    "Our cache rule won't create because the repo already exists in the registry.",
    "We can't create a caching rule for library/nginx, the target repository exists already in our ACR.",
    "We deleted the cached images but they keep coming back in our registry; it is a pull through cache of mcr.",
    "We use a pull through cache rule for docker hub and deleted images from the cached repo reappear in our "
    "registry.",
    # In our own words from Azure/acr#789 and Azure/ARO-HCP#5176 (a rule's target matches existing repositories).
    "Creating a wildcard cache rule fails in our registry, although a static cache rule worked; the registry "
    "already had repositories under that path.",
    "Our cache rule deployment failed because the registry already has images under the target repository prefix "
    "of the rule.",
    # In our own words from Azure/acr#765 (a deleted cached path is not fetched again).
    "We deleted a whole cached path in our registry and now pulling it through the cache rule gives not found "
    "instead of fetching it again from upstream.",
])
def test_cache_rules_in_words(text: str) -> None:
    _prose_answer(text, "artifact-cache")


# --- 4. causes elsewhere the ticket reveals ------------------------------------------------------------------------

@pytest.mark.parametrize("text, mode", [
    ("Turns out we had a typo in the registry name in the pipeline variable, sorry.", "elsewhere:typo"),
    ("We pushed to contosoregistry but the deployment pulls from contosoregsitry, which is why it could not find "
     "the image.", "elsewhere:typo"),
    ("The image name in our manifest was spelled wrong (webapi vs web-api), that is why the pull failed.",
     "elsewhere:typo"),
    ("Pulls fail because the Helm chart uses the wrong registry name; the registry is contosoprod, not contosoprd.",
     "elsewhere:typo"),
    ("I typed the registry name wrong in the service connection, that's why the push failed.", "elsewhere:typo"),
    ("Our pipeline pushed to myregistry but the app pulls from myregistyr, so the pull fails with not found.",
     "elsewhere:typo"),
    ("The push fails since we upgraded buildx on our build agents; nothing changed on the registry.",
     "elsewhere:client-bug"),
    ("After we updated the Terraform provider our registry deployment fails.", "elsewhere:client-bug"),
    ("Deleting images worked with the previous version of the CLI, after upgrading az it fails on every "
     "repository.", "elsewhere:client-bug"),
    ("After upgrading Docker Desktop, docker push to our registry fails; the same command works on a colleague's "
     "machine with the older version.", "elsewhere:client-bug"),
    ("Since we updated the Azure CLI to 2.61 the purge command crashes; downgrading to 2.60 fixes it.",
     "elsewhere:client-bug"),
    ("It worked fine with the previous version of oras, since upgrading our pushes to the registry fail.",
     "elsewhere:client-bug"),
])
def test_causes_elsewhere_in_words(text: str, mode: str) -> None:
    m = top(text)
    assert m.failure_mode == mode
    assert m.confidence <= 0.7
    assert not any(changes_something(x) for x in explain_ticket(text).matches)


@pytest.mark.parametrize("text", [
    "After updating the firewall rules of our registry, pushes from the build agents fail with 403.",
    "The deployment worked with the previous version of our image, but now the pods fail to pull the new tag from "
    "the registry.",
    "After upgrading the registry to Premium, our storage usage did not go down.",
    "We rolled back the retention policy change and it worked, but the storage is still high in our registry.",
])
def test_an_upgrade_of_something_else_is_not_a_client_bug(text: str) -> None:
    assert all(m.failure_mode != "elsewhere:client-bug" for m in explain_ticket(text).matches)


@pytest.mark.parametrize("text", [
    "We have two registries, contosoreg1 and contosoreg2, and pushing to contosoreg2 fails with 403.",
    "We pushed web-api-v1 instead of web-api-v2 and now the release pipeline fails to find the image.",
    "We pushed to contosoreg and pull from contosoreg, but the pull fails with not found.",
])
def test_two_different_names_are_not_a_typo(text: str) -> None:
    assert all(m.failure_mode != "elsewhere:typo" for m in explain_ticket(text).matches)


@pytest.mark.parametrize("a, b, slip", [
    ("contosoregistry", "contosoregsitry", True),   # two letters swapped
    ("contosoprod", "contosoprd", True),            # one dropped
    ("web-api", "webapi", True),                    # a hyphen dropped
    ("contosoreg1", "contosoreg2", False),          # a digit: another name
    ("images", "image", False),                     # a plural
    ("contosoreg", "contosoreg", False),
])
def test_one_slip(a: str, b: str, slip: bool) -> None:
    assert _one_slip(a, b) is slip and _one_slip(b, a) is slip
