"""explain recognises the artifact cache failures (acrdoctor.explain.recognise_policy)."""

from __future__ import annotations

from acrdoctor.explain import explain

from . import bodies as b


def test_cache_rule_conflict_names_the_rule_target_and_the_fix() -> None:
    (m,) = explain(b.CACHE_RULE_CONFLICT).matches
    assert m.failure_mode == "artifact-cache" and m.in_catalogue
    assert m.extracted.registry == "contosoreg" and m.extracted.repository == "hub/nginx"
    assert m.confirm.commands == ("az acr cache list --registry contosoreg --output table",
                                  "az acr repository list --name contosoreg --output table")
    assert m.fix.commands == ("az acr repository delete --name contosoreg --repository hub/nginx --yes",)
    assert "https://github.com/Azure/acr/issues/789" in m.docs


def test_manifest_unknown_on_a_cached_repository_is_explained_first() -> None:
    matches = explain(b.CACHED_MANIFEST_UNKNOWN).matches
    m = matches[0]
    assert m.failure_mode == "artifact-cache"
    assert "Azure/acr#765" in m.cause and m.extracted.tag == "1.27"
    assert m.confirm.commands == (
        "az acr cache list --registry contosoreg --output table",
        "az acr repository show-tags --name contosoreg --repository hub/nginx --detail --output table")
    # The generic reading is still offered next to it.
    assert len(matches) == 2


def test_manifest_unknown_without_any_cache_is_not_the_cache() -> None:
    assert "artifact-cache" not in [m.failure_mode for m in explain(b.BROKEN_INDEX_PULL).matches]
