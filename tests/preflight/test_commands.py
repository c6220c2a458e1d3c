"""Parsing the user's delete command: every supported form, and every refusal naming its culprit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from acrdoctor.errors import InputError
from acrdoctor.preflight.commands import MAX_AGO, parse_ago, parse_command, split_filter
from acrdoctor.preflight.model import AzAction, AzRequest, PurgeRequest


def purge(cmd: str | list[str]) -> PurgeRequest:
    req = parse_command(cmd)
    assert isinstance(req, PurgeRequest)
    return req


def az(cmd: str | list[str]) -> AzRequest:
    req = parse_command(cmd)
    assert isinstance(req, AzRequest)
    return req


# -- acr purge ----------------------------------------------------------------------------------------------


def test_purge_all_flags() -> None:
    req = purge("acr purge -r myreg -f 'hello:^v1$' --filter 'api/.*:.*' --ago 2d3h6m --keep 3 --untagged "
                "--dry-run --include-locked --concurrency 8 --repository-page-size 50 --filter-timeout-seconds 5 "
                "-u user -p secret -c cfg.json --verbose")
    assert req.filters == (("hello", "^v1$"), ("api/.*", ".*"))
    assert req.ago == timedelta(days=2, hours=3, minutes=6)
    assert req.ago_text == "2d3h6m"
    assert (req.keep, req.untagged, req.untagged_only, req.dry_run, req.include_locked) == (3, True, False, True, True)
    assert req.registry == "myreg"
    assert req.filter_timeout_seconds == 5.0
    assert req.raw.startswith("acr purge -r myreg")


def test_purge_defaults_and_argv_form() -> None:
    req = purge(["acr", "purge", "--filter", "hello:.*", "--ago", "0d"])
    assert req.ago == timedelta(0)
    assert (req.keep, req.untagged, req.dry_run, req.include_locked, req.registry) == (0, False, False, False, None)
    assert req.filter_timeout_seconds == 60.0
    assert req.raw == "acr purge --filter 'hello:.*' --ago 0d"


def test_purge_single_quoted_string_in_argv() -> None:
    assert purge(["acr purge --filter 'a:b' --ago 1d"]).filters == (("a", "b"),)


def test_purge_equals_and_shorthand_forms() -> None:
    req = purge("acr purge --filter=a:b -fc:d --ago=1h --dry-run=false --untagged=true")
    assert req.filters == (("a", "b"), ("c", "d"))
    assert req.dry_run is False and req.untagged is True


def test_purge_filter_timeout_zero_means_default() -> None:
    assert purge("acr purge --filter a:b --ago 1d --filter-timeout-seconds 0").filter_timeout_seconds == 60.0


def test_purge_acr_cli_image_form() -> None:
    assert purge("mcr.microsoft.com/acr/acr-cli:0.17 purge --filter a:b --ago 1d").filters == (("a", "b"),)


def test_untagged_only_needs_neither_filter_nor_ago() -> None:
    req = purge("acr purge --untagged-only")
    assert req.untagged_only and req.filters == () and req.ago is None


def test_untagged_only_does_not_compile_tag_part() -> None:
    # acr purge never builds the tag regex with --untagged-only: only the repository part is used.
    assert purge("acr purge --untagged-only --filter 'app:(' ").filters == (("app", "("),)


@pytest.mark.parametrize(("text", "expected"), [
    ("repo:(?:a|b)", ("repo", "(?:a|b)")),
    ("repo:(?i:v1)", ("repo", "(?i:v1)")),
    ("repo:[[:digit:]]+", ("repo", "[[:digit:]]+")),
    ("repo:[^:]+", ("repo", "[^:]+")),
    ("team/.*:v.*", ("team/.*", "v.*")),
])
def test_filter_split_like_acr_cli(text: str, expected: tuple[str, str]) -> None:
    assert split_filter(text) == expected


@pytest.mark.parametrize(("text", "culprit"), [
    ("repo:[a:b]", "3 part"),  # acr-cli's splitter does split a colon inside an ordinary class
    ("a:b:c", "3 part"),
    ("repo", "1 part"),
    ("repo:", "missing tag"),
    (":v1", "missing repository"),
])
def test_filter_split_refusals(text: str, culprit: str) -> None:
    with pytest.raises(InputError, match=culprit) as exc:
        split_filter(text)
    assert text in str(exc.value)


@pytest.mark.parametrize(("text", "expected", "capped"), [
    ("2d3h6m", timedelta(days=2, hours=3, minutes=6), False),
    ("1h15m", timedelta(hours=1, minutes=15), False),
    ("0d", timedelta(0), False),
    ("30m", timedelta(minutes=30), False),
    ("7d", timedelta(days=7), False),
    ("1.5h", timedelta(minutes=90), False),
    ("0", timedelta(0), False),
    ("999999d", MAX_AGO, True),
    ("54750d", MAX_AGO, False),
    ("54750d1h", MAX_AGO, True),
    ("2000000h", MAX_AGO, True),
])
def test_parse_ago(text: str, expected: timedelta, capped: bool) -> None:
    assert parse_ago(text) == (expected, capped)


@pytest.mark.parametrize("text", ["abc", "5", "1.5d", "d3h", "5days", "1d2d", "-1h", "1w"])
def test_parse_ago_refusals(text: str) -> None:
    with pytest.raises(InputError, match="--ago") as exc:
        parse_ago(text)
    assert repr(text) in str(exc.value)


# -- wrappers: az acr run / az acr task create ----------------------------------------------------------------


def test_az_acr_run_wrapper() -> None:
    req = purge('az acr run --registry myreg --cmd "acr purge --filter \'hello-world:.*\' --untagged --ago 1d" '
                "/dev/null --timeout 3600")
    assert req.filters == (("hello-world", ".*"),) and req.untagged
    assert req.registry == "myreg"
    assert req.raw == "acr purge --filter 'hello-world:.*' --untagged --ago 1d"


def test_az_acr_run_inner_registry_wins_and_template_falls_back() -> None:
    assert purge('az acr run -r outer --cmd "acr purge -r inner --filter a:b --ago 1d" /dev/null').registry == "inner"
    req = purge('az acr run -r outer --cmd "acr purge -r {{.Run.Registry}} --filter a:b --ago 1d" /dev/null')
    assert req.registry == "outer"


def test_az_acr_task_create_wrapper() -> None:
    req = purge('az acr task create --name purgeTask -r myreg --cmd "acr purge --filter a:b --ago 7d --keep 2" '
                '--schedule "0 0 * * *" --context /dev/null')
    assert req.keep == 2 and req.registry == "myreg"


@pytest.mark.parametrize(("cmd", "culprit"), [
    ("az acr run -r r /dev/null", "without --cmd"),
    ('az acr run -r r --cmd "$PURGE_CMD" /dev/null', "$PURGE_CMD"),
    ('az acr run -r r --cmd "acr tag list -r r" /dev/null', "acr tag"),
    ('az acr run -r r --cmd "docker images" /dev/null', "docker images"),
    ("az acr run -r r --cmd", "--cmd"),
    ('az acr run --cmd "acr purge --filter a:b --ago 1d --last-pull-older-than 30d" /dev/null',
     "--last-pull-older-than"),
])
def test_wrapper_refusals(cmd: str, culprit: str) -> None:
    with pytest.raises(InputError) as exc:
        parse_command(cmd)
    assert culprit in str(exc.value)


# -- az acr commands ------------------------------------------------------------------------------------------


def test_repository_delete_by_repository() -> None:
    req = az("az acr repository delete --name myreg --repository app --yes -g rg --suffix t -u u -p p")
    assert (req.action, req.registry, req.repository, req.tag, req.digest, req.resource_group) == (
        AzAction.DELETE_REPOSITORY, "myreg", "app", None, None, "rg")


def test_repository_delete_by_tag_and_digest() -> None:
    by_tag = az("az acr repository delete -n myreg.azurecr.io --image team/app:v1 -y")
    assert (by_tag.action, by_tag.registry, by_tag.repository, by_tag.tag) == (
        AzAction.DELETE_IMAGE, "myreg", "team/app", "v1")
    by_digest = az("az acr repository delete -n myreg -t app@sha256:abc123")
    assert (by_digest.repository, by_digest.tag, by_digest.digest) == ("app", None, "sha256:abc123")


def test_repository_untag() -> None:
    req = az("az acr repository untag --name myreg --image app:v1 --output none")
    assert (req.action, req.repository, req.tag) == (AzAction.UNTAG, "app", "v1")


def test_manifest_delete_forms() -> None:
    flags = az("az acr manifest delete --registry myreg --name app:v1 --yes")
    assert (flags.action, flags.registry, flags.repository, flags.tag) == (
        AzAction.DELETE_MANIFEST, "myreg", "app", "v1")
    positional = az("az acr manifest delete myreg.azurecr.io/app@sha256:abc -y")
    assert (positional.registry, positional.repository, positional.digest) == ("myreg", "app", "sha256:abc")
    both = az("az acr manifest delete -r myreg myreg.azurecr.io/team/app:v2")
    assert (both.repository, both.tag) == ("team/app", "v2")


def test_registry_delete() -> None:
    req = az("az acr delete --name myreg -g rg --yes")
    assert (req.action, req.registry, req.resource_group) == (AzAction.DELETE_REGISTRY, "myreg", "rg")


def test_registry_name_may_come_from_az_defaults() -> None:
    assert az("az acr delete --yes").registry == ""


@pytest.mark.parametrize(("cmd", "culprit"), [
    ("", "no command"),
    ("kubectl delete pod x", "kubectl"),
    ("az storage blob delete", "az storage"),
    ("az acr", "az acr"),
    ("az acr repository", "az acr repository"),
    ("az acr repository show -n r --repository a", "az acr repository show"),
    ("az acr manifest list-metadata -r r -n a", "az acr manifest list-metadata"),
    ("acr", "acr"),
    ("acr tag delete", "acr tag"),
    ("acr purge --filter a:b --ago 1d --last-pull-older-than 30d", "unknown flag --last-pull-older-than for acr purge"),
    ("acr purge --filter a:b --ago 1d extra", "'extra'"),
    ("acr purge --filter a:b --ago", "missing value for --ago"),
    ("acr purge --filter --ago 1d", "missing value for --filter"),
    ("acr purge --ago 1d", "--filter"),
    ("acr purge --filter a:b", "--ago"),
    ("acr purge --filter a:b --ago 1d --untagged --untagged-only", "mutually exclusive"),
    ("acr purge --filter a:b --ago 1d --keep many", "--keep"),
    ("acr purge --filter a:b --ago 1d --concurrency x", "--concurrency"),
    ("acr purge --filter a:b --ago 1d --filter-timeout-seconds 0.5", "--filter-timeout-seconds"),
    ("acr purge --filter a:b --ago 1d --dry-run=maybe", "--dry-run"),
    ("acr purge --filter 'a:v(' --ago 1d", "tag regex"),
    ("acr purge --filter 'a(:v' --ago 1d", "repository regex"),
    ("acr purge --filter 'repo:[a:b]' --ago 1d", "repo:[a:b]"),
    ("acr purge --filter a:b --ago 1week", "1week"),
    ("acr purge --filter 'a:b --ago 1d", "cannot split"),
    ("az acr repository delete -n r", "--repository or --image"),
    ("az acr repository delete -n r --repository a --image a:v1", "not both"),
    ("az acr repository delete -n r --image app", "'app'"),
    ("az acr repository delete -n r --image app@nodigest", "'app@nodigest'"),
    ("az acr repository delete -n r --repository a --force", "unknown flag --force for az acr repository delete"),
    ("az acr repository delete -n r --repository", "missing value for --repository"),
    ("az acr repository untag -n r --image app@sha256:abc", "'app@sha256:abc'"),
    ("az acr repository untag -n r --image app:v1 --yes", "unknown flag --yes for az acr repository untag"),
    ("az acr repository untag -n r", "--image"),
    ("az acr manifest delete -r r", "--name"),
    ("az acr manifest delete -r r -n app", "'app'"),
    ("az acr manifest delete app:v1", "'app:v1'"),
    ("az acr manifest delete -r other myreg.azurecr.io/app:v1", "'other'"),
    ("az acr manifest delete -n app:v1 myreg.azurecr.io/app:v1", "not both"),
    ("az acr manifest delete -r r -n app:v1 -g rg", "unknown flag -g for az acr manifest delete"),
    ("az acr manifest delete r.azurecr.io/a:v1 r.azurecr.io/b:v1", "'r.azurecr.io/b:v1'"),
    ("az acr delete -n r --repository a", "unknown flag --repository for az acr delete"),
    ("az acr delete -n r -n s", "given twice"),
])
def test_refusals_name_the_culprit(cmd: str, culprit: str) -> None:
    with pytest.raises(InputError) as exc:
        parse_command(cmd)
    message = str(exc.value)
    assert culprit in message
    assert "\n" not in message
