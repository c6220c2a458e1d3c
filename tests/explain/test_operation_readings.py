"""Which operation an error answered decides its reading, and a reading that is one of several prints no command.

Each rule here came from a blind table of tickets (ticket_wordings4.jsonl, docs/explain.md), where the earlier
readings printed a wrong fix; each is tested with the near miss it must keep answering as before.
"""

from __future__ import annotations

import pytest

from acrdoctor.explain import explain, explain_ticket
from acrdoctor.explain.model import Match
from acrdoctor.explain.scoring import changes_something


def top(text: str, *, ticket: bool = True) -> Match:
    ranked = (explain_ticket if ticket else explain)(text).ranked
    assert ranked, text
    return ranked[0]


def test_the_words_just_before_name_unknown_say_it_was_a_pull() -> None:
    """A pull answered NAME_UNKNOWN reads as a missing repository, though the ticket asks later whether it was
    deleted; the empty-repository fix (import a placeholder, delete the repository) is not printed for it."""
    text = ("We are trying to pull the image from our registry kxxprod, repository \"ocr-engine\", tag 4.1, and "
            "always receive \"repository name not known to registry\". Can you say whether it never existed there "
            "or whether it was deleted?")
    m = top(text)
    assert m.failure_mode == "repository-not-found" and not changes_something(m)
    near = ("$ az acr repository delete --name kxxprod --repository ocr-engine --yes\n"
            "repository name not known to registry")
    assert top(near, ticket=False).failure_mode == "empty-repository"


def test_az_manifest_list_metadata_is_not_a_manifest_list() -> None:
    """`az acr manifest list-metadata` names a command, not a multi-arch image: a delete by digest answered
    'is not found' stays a missing manifest (no re-import of an index printed)."""
    text = ("I exported the untagged digests of ml/trainer with az acr manifest list-metadata and now delete them one "
            "by one; some delete calls come back with:\n"
            "Error: manifest sha256:" + "4b" * 32 + " is not found.")
    m = top(text)
    assert m.failure_mode == "manifest-not-found" and not changes_something(m)
    near = ("docker pull shipreg01.azurecr.io/web:1.4 (a manifest list for linux/amd64 and linux/arm64)\n"
            "Error response from daemon: manifest for shipreg01.azurecr.io/web:1.4 not found: manifest unknown: "
            "manifest sha256:" + "4b" * 32 + " is not found")
    assert top(near, ticket=False).failure_mode == "broken-index-references"


def test_soft_delete_said_to_be_off_or_only_used_is_no_refused_push() -> None:
    denied = ("The digest no longer shows in az acr manifest list-metadata; can it be recovered? We don't have soft "
              "delete turned on as far as I know.")
    used = ("The task deleted every tag in the repository. Luckily we had soft delete on, so we restored most of the "
            "manifests, but it cost us a Saturday.")
    for text in (denied, used):
        assert all(m.title != "Push refused: the image's digest is soft-deleted" for m in explain_ticket(text).ranked)
        assert not any(changes_something(m) for m in explain_ticket(text).ranked)
    near = "Our docker push failed: the manifest digest is soft-deleted in team/web and cannot be pushed again."
    m = top(near)
    assert m.failure_mode == "soft-delete" and any("manifest restore" in c for c in m.fix.commands)


PUSH_405 = ("$ docker push tinyreg.azurecr.io/scratch/probe:1\n"
            "The push refers to repository [tinyreg.azurecr.io/scratch/probe]\n"
            "5f70bf18a086: Preparing\n"
            "denied: The operation is disallowed on this registry, repository or image.")


def test_a_refused_push_does_not_print_an_unlock() -> None:
    """A registry at its storage limit refuses pushes (never deletes): a 405 on a push is one reading of two, so
    the unlock is shown as words to run once the confirm step shows a lock."""
    m = top(PUSH_405, ticket=False)
    assert m.failure_mode == "locked-artifacts" and m.title.startswith("Push refused")
    assert not changes_something(m) and any("--write-enabled true" in n for n in m.fix.notes)
    assert m.confirm.commands  # the reads that tell the readings apart stay commands
    locked = PUSH_405.replace("$ docker push", "The tag is locked (write-enabled false) and\n$ docker push")
    assert changes_something(top(locked, ticket=False))
    purge = ("Deleting tags for repository: web\n"
             "Error: failed to delete tags: tag web:1.0, operation not allowed, HTTP status: 405, "
             "The operation is disallowed on this registry, repository or image.")
    m = top(purge, ticket=False)
    assert m.title.startswith("Delete refused") and changes_something(m)


def test_usage_at_the_tiers_maximum_in_words_ranks_the_storage_limit() -> None:
    for words in ("In the portal the Overview page shows storage used at the same number as the included amount.",
                  "The usage chart in the portal is flat at its maximum since Monday.",
                  "az acr show-usage says Size 107374182400 of 107374182400."):
        text = words + "\n" + PUSH_405
        assert top(text).failure_mode == "storage-limit", words
    near = "The usage chart in the portal is nowhere near its maximum.\n" + PUSH_405
    assert top(near).failure_mode != "storage-limit"


def test_a_platform_team_is_no_multi_platform_image() -> None:
    """"the platform team" says nothing of an index: a tag that does not pull while others do is the missing tag;
    a pull for a platform (`--platform linux/arm64`) answered manifest unknown still reads as the index's child."""
    text = ("Hi, this is the platform team. Our AKS deployment is stuck in ImagePullBackOff and the event says not "
            "found: manifest unknown for the tag 3.8.0-rc2, while 3.7.4 pulls fine from the same repository; in the "
            "portal I see rc1 but no rc2 at all.")
    m = top(text)
    assert m.failure_mode == "tag-not-found" and not changes_something(m)
    near = ("docker pull --platform linux/arm64 shipreg01.azurecr.io/web:1.4\n"
            "Error response from daemon: manifest unknown: manifest sha256:" + "4b" * 32 + " is not found")
    assert top(near, ticket=False).failure_mode == "broken-index-references"


UNAUTH = "unauthorized: authentication required, visit https://aka.ms/acr/authorization for more information."


def test_a_delete_refused_while_push_and_pull_work_lacks_the_delete_permission() -> None:
    """ACR answers a delete the identity may not do with a bare 401 "authentication required": when the text says
    the same identity pushes and pulls, it is signed in, and the delete permission is what it lacks (0.8, the grant
    shown as words until the role list confirms it)."""
    text = ("Our pipeline service principal can push and pull to the registry just fine, but "
            f"`az acr repository delete -n buildacr --image ci/worker:pr-1881 --yes` fails with \"{UNAUTH}\"")
    m = top(text)
    assert m.failure_mode == "delete-permission" and m.confidence == 0.8 and not changes_something(m)
    assert any("role assignment list" in c for c in m.confirm.commands)
    command = ("docker push buildacr.azurecr.io/ci/worker:pr-1881 works, the push finished.\n"
               "$ az acr repository delete -n buildacr --image ci/worker:pr-1881 --yes\n" + UNAUTH)
    assert top(command, ticket=False).failure_mode == "delete-permission"
    near = [f"Our docker push to buildacr.azurecr.io fails with \"{UNAUTH}\"",
            f"We try to delete old images from buildacr and the delete fails with \"{UNAUTH}\"",
            "Our scheduled ACR task runs acr purge; its login succeeds, then listing repositories fails with "
            f"\"{UNAUTH}\""]
    for text in near:
        assert top(text).failure_mode != "delete-permission", text


def test_a_gateway_answering_the_registrys_v2_is_the_challenge_step() -> None:
    """docker login's GET /v2/ answered 502/503/504 never reached the registry's challenge (the step check-health
    calls CONNECTIVITY_CHALLENGE_ERROR); a 401 there is the registry's own answer."""
    text = ("Error response from daemon: login attempt to https://fourthcoffeeacr.azurecr.io/v2/ failed with status: "
            "502 Bad Gateway")
    assert top(text, ticket=False).failure_mode == "connectivity-challenge"
    near = text.replace("502 Bad Gateway", "401 Unauthorized")
    assert top(near, ticket=False).failure_mode != "connectivity-challenge"


def test_docker_hubs_rate_limit_told_by_its_link() -> None:
    text = ("Builds fail at \"Step 1/12 : FROM python:3.12-slim\" with \"toomanyrequests\" and a link to docker.com "
            "about rate limits; our registry alpineskiacr itself works for pulls and pushes.")
    assert top(text).failure_mode == "elsewhere:docker-hub-rate-limit"
    near = ("Our nightly purge against alpineskiacr.azurecr.io hits a rate limit: toomanyrequests after 300 deletes, "
            "see https://aka.ms/acr/faq for more.")
    assert top(near).failure_mode == "throttling"


@pytest.mark.parametrize("text", [
    "What I checked:\n1. Pipeline variable ACR_HOST = \"fabrikamprod.azurecr.io\"\n"
    "2. Helm values: image.repository = \"fabrikamprd.azurecr.io/orders/api\"\n"
    "Symptom: pods fail with \"dial tcp: lookup fabrikamprd.azurecr.io on 10.0.0.10:53: no such host\".",
    "14:00 pushed litwarecr.azurecr.io/crm/portal:2.10.0, the portal shows the tag.\n"
    "14:11 App Service log: manifest for litwarecr.azurecr.io/crm/portal:2.1O.0 not found: manifest unknown",
    "We cannot pull: docker pull contosoreg.azurecr.io/paymnet-service:2.1.0 answers \"repository name not known to "
    "registry\". In the portal the repository payment-service has the tag 2.1.0.",
])
def test_a_failing_name_one_slip_from_another_the_ticket_gives_is_the_typo(text: str) -> None:
    """Dropped, swapped or a letter read as a digit: the name that fails is another spelling of one the ticket also
    names, so the typo ranks first (0.92) and nothing is fixed in the registry."""
    m = top(text)
    assert m.failure_mode == "elsewhere:typo" and "one typing slip away" in m.message
    assert not any(changes_something(x) for x in explain_ticket(text).ranked)


def test_names_that_differ_as_names_do_are_no_slip() -> None:
    versions = ("We deploy contosoreg.azurecr.io/team/api:v1.2.4 and get \"manifest for "
                "contosoreg.azurecr.io/team/api:v1.2.4 not found: manifest unknown\"; v1.2.3 pulls fine.")
    assert top(versions).failure_mode == "tag-not-found"
    zones = ("Since we moved to central private DNS zones our apps cannot pull from our ACR: "
             "\"dial tcp: lookup contosoreg.privatelink.azurecr.io: no such host\". Which private-link zones "
             "should exist?")
    assert all("slip" not in m.message for m in explain_ticket(zones).ranked)
    pasted = versions.replace("We deploy", "deploy").replace("v1.2.3 pulls fine.", "")
    assert all("slip" not in m.message for m in explain(pasted).ranked)


FULL_405 = "The operation is disallowed on this registry, repository or image."


def test_a_405_on_a_pull_is_quarantine_and_across_every_repository_the_storage_limit() -> None:
    """A lock's write and delete flags never refuse a pull, and no lock refuses pushes to every repository, new ones
    too: those 405s read as quarantine and the storage limit, at 0.8 with their fixes as words (nothing in the text
    names either). The same 405 on a delete stays the lock, with its unlock."""
    pull = ("docker pull secreg.azurecr.io/apps/portal:1.0.44\n"
            f"Error response from daemon: unknown: {FULL_405}")
    m = top(pull, ticket=False)
    assert m.failure_mode == "quarantined-images" and m.confidence == 0.8 and not changes_something(m)
    read_lock = "The tag has readEnabled set to false.\n" + pull
    assert top(read_lock, ticket=False).failure_mode == "locked-artifacts"
    wide = ("Every push to our registry fails since this morning, in every repo. Deletes still work.\n"
            f"ERROR: failed to push smallshop.azurecr.io/web/shop:sha-9f1c2: unknown: {FULL_405}")
    m = top(wide)
    assert m.failure_mode == "storage-limit" and m.confidence == 0.8 and not changes_something(m)
    one = ("One push fails, the others work.\n"
           f"ERROR: failed to push smallshop.azurecr.io/web/shop:1.0: unknown: {FULL_405}")
    assert top(one).failure_mode == "locked-artifacts" and not changes_something(top(one))
    delete = f"$ az acr repository delete -n smallshop --image web/shop:1.0 --yes\nError: {FULL_405}"
    m = top(delete, ticket=False)
    assert m.failure_mode == "locked-artifacts" and m.title.startswith("Delete refused") and changes_something(m)


# --- the seventh blind table's readings (2026-12-04, evening) -------------------------------------------------------

def test_an_import_named_after_the_failure_is_a_question_not_the_command() -> None:
    text = ("AKS shows `manifest for shopreg.azurecr.io/web:stable not found: manifest unknown`. Someone untagged "
            "floating tags yesterday. Can I re-point stable at 1.8.3 with `az acr import --force`?")
    assert top(text).failure_mode in ("tag-not-found", "manifest-not-found")
    near = ("az acr import -n shopreg --source vendor.example.com/db:14.2\n"
            "(InvalidParameters) manifest unknown: the requested manifest is not found in the source")
    assert top(near, ticket=False).failure_mode == "elsewhere:source-registry"


def test_push_and_pull_said_ok_with_an_arrow_leave_the_delete_permission() -> None:
    text = ("3. `docker push harbor.azurecr.io/team-a/api:918` -> OK\n4. `docker pull` the same -> OK\n"
            "5. `az acr repository delete -n harbor --image team-a/api:700 --yes` ->\n"
            "Error: authentication required, visit https://aka.ms/acr/authorization for more information.")
    assert top(text).failure_mode == "delete-permission"


def test_a_tasks_own_token_refused_is_the_tasks_access() -> None:
    line = "Log says `Error: failed to get ACR access token ... 401 Unauthorized`."
    text = "The ACR Task nightly-cleanup on ferncr fails every night since the role assignment mode changed. " + line
    assert top(text).failure_mode == "purge-task-access"
    assert top("docker login ferncr.azurecr.io worked. " + line).failure_mode != "purge-task-access"


def test_a_registry_still_connected_to_the_private_network_blocks_its_delete() -> None:
    text = ("We asked the team to delete the project's container registry; the deletion keeps failing because it "
            "is still connected to the private network the contractor set up. What must be removed first?")
    assert top(text).failure_mode == "private-endpoints-block-registry-delete"
    near = "Our registry is connected to the private network and pulls from the cluster are slow."
    # (no rule takes it; the words alone may still lean there, as a guess at the vocabulary's 0.35)
    assert all(m.failure_mode != "private-endpoints-block-registry-delete" or m.confidence <= 0.35
               for m in explain_ticket(near).ranked)


def test_entries_with_no_tag_and_the_same_size_are_the_untagged_manifests() -> None:
    text = ("I untagged 3,800 tags with az acr repository untag. On Monday the Size is basically identical, 1.21 TB "
            "before and after, and the manifests view shows hundreds of entries with no tag next to them.")
    assert top(text).failure_mode == "dangling-manifests"


def test_soft_delete_by_what_it_does_conflicts_with_retention() -> None:
    text = ("We enabled the deleted-artifact recovery preview with 30-day retention. Now `az acr config retention "
            "update -r tallowcr --status enabled --days 7 --type UntaggedManifests` fails: the policies cannot both "
            "be enabled.")
    assert top(text).failure_mode == "soft-delete"
    denied = ("We do NOT have retention or the deleted-artifacts recovery feature turned on, and deleting 300 of 340 "
              "images freed only about 6% of the space.")
    assert all(m.failure_mode != "soft-delete" for m in explain_ticket(denied).ranked)


def test_a_push_to_a_named_host_refused_is_no_push_that_went_to_docker_hub() -> None:
    hosted = ("The local connected registry (ReadOnly mode) refuses pushes: `denied: requested access to the resource "
              "is denied` on `docker push 192.168.20.5:8080/vision/qc:2024.6`.")
    assert top(hosted).failure_mode != "elsewhere:typo"
    hostless = ("docker push vision/qc:2024.6\nThe push refers to repository [docker.io/vision/qc]\n"
                "denied: requested access to the resource is denied")
    assert top(hostless, ticket=False).failure_mode == "elsewhere:typo"


def test_an_unanchored_purge_filter_that_took_prod_tags_is_the_filter() -> None:
    text = ("Ran: `az acr run -r juniper --cmd \"acr purge --filter 'web:.*feat.*' --ago 30d\" /dev/null`\n"
            "Output listed 212 deleted tags, including web:release-feature-flags, which are prod images.")
    m = top(text)
    assert m.failure_mode == "elsewhere:typo" and any("anywhere in the tag" in n for n in m.fix.notes)
    anchored = text.replace("'web:.*feat.*'", "'web:^feat-'")
    assert all("anywhere in the tag" not in n for m2 in explain_ticket(anchored).ranked for n in m2.fix.notes)


def test_uploads_that_work_only_off_the_vpn_are_the_clients_network() -> None:
    text = ("Our developers can only publish new versions when they are NOT connected to the company VPN; on it, "
            "every upload to the registry fails with a connection error.")
    assert top(text).failure_mode == "elsewhere:network-client-side"
