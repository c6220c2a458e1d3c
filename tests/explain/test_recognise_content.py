from __future__ import annotations

import pytest

from acrdoctor.explain import FAILURE_MODES, Match, explain
from acrdoctor.explain.recognise_content import RECOGNISERS
from acrdoctor.explain.recognisers import fold
from tests.explain import bodies as b
from tests.explain import content_bodies as c


def only(text: str) -> Match:
    (m,) = explain(text).matches
    return m


def test_the_new_modes_are_known() -> None:
    assert {"quarantined-images", "storage-limit", "soft-delete"} <= set(FAILURE_MODES)


def test_a_plain_405_is_still_read_as_a_lock_with_every_cause_in_the_confirm_step() -> None:
    m = only(b.DISALLOWED_CLI)
    assert m.failure_mode == "locked-artifacts"
    assert any("quarantineState" in n for n in m.fix.notes)
    assert any("MaximumStorageCapacity" in n for n in m.fix.notes)


def test_a_405_next_to_quarantine_words_is_a_quarantine() -> None:
    m = only(c.QUARANTINE_405)
    assert m.failure_mode == "quarantined-images"
    assert m.confirm.commands[0] == "az acr manifest show-metadata --registry contosoreg --name apps/api:1.3"
    assert "az acr show --name contosoreg --query policies.quarantinePolicy" in m.confirm.commands
    (disable,) = m.fix.commands
    assert disable.startswith('az resource update --ids "$(az acr show --name contosoreg --query id --output tsv)"')
    assert disable.endswith("--set properties.policies.quarantinePolicy.status=disabled")


def test_a_405_next_to_storage_words_is_the_storage_limit() -> None:
    m = only(c.STORAGE_405)
    assert m.failure_mode == "storage-limit"
    assert m.confirm.commands[0] == "az acr show-usage --name contosoreg --output table"
    assert "az acr update --name contosoreg --sku Premium" in m.fix.commands
    assert m.fix.commands[0].startswith("acrdoctor diagnose --registry contosoreg --check storage-limit")


def test_the_quarantine_pull_by_digest_transcript() -> None:
    m = only(c.QUARANTINE_PULL)
    assert m.failure_mode == "quarantined-images"
    assert m.confirm.commands[0] == f"az acr manifest show-metadata --registry contosoreg --name helloworld@{c.DIGEST}"


def test_a_push_refused_for_a_soft_deleted_digest_is_restored_instead() -> None:
    m = only(c.SOFT_DELETE_PUSH)
    assert m.failure_mode == "soft-delete"
    assert m.fix.commands == (f"az acr manifest restore --registry contosoreg --name apps/api:1.2 --digest {c.DIGEST}",)
    assert "az acr manifest list-deleted --registry contosoreg --name apps/api --output table" in m.confirm.commands


def test_soft_delete_with_geo_replication_is_a_conflict() -> None:
    m = only(c.SOFT_DELETE_GEO)
    assert m.failure_mode == "soft-delete"
    assert m.title.startswith("Soft delete conflicts")
    assert m.fix.commands == ('az acr config soft-delete update --registry "$REGISTRY" --status disabled',)


@pytest.mark.parametrize("text", ["soft delete is enabled, nothing else", "we deleted the manifest yesterday",
                                  "The operation is disallowed for reasons"])
def test_unrelated_lines_are_not_matched_by_the_content_recognisers(text: str) -> None:
    assert not any(m.failure_mode in ("soft-delete", "quarantined-images") for m in explain(text).matches)


def test_keywords_find_the_triggers_in_these_texts() -> None:
    for text in c.ALL:
        for line in text.split("\n"):
            for rec in RECOGNISERS:
                if rec.trigger.search(line):
                    assert any(k in fold(line) for k in rec.keywords), (rec.name, line)
