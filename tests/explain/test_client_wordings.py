"""Each client's wording of each registry failure, read as the same failure.

``client_wordings.jsonl`` holds one line per (client, failure): ``verbatim`` lines are what a program printed in a
public issue (``evidence`` names it); ``composed`` lines join a client's own format string (its source file is the
evidence) to ACR's documented error body, names filled in. Gathered 2026-12-03 for issue 13 by a helper who never
saw the recognisers. ``expect`` is the failure the wording shows; where explain's rules read it otherwise on purpose,
``why`` says which rule (a cluster's 401 is its pull secret, an import's 404 is the source's, …).
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acrdoctor.explain import explain
from acrdoctor.explain.paste_forms import FORMS, composite

ROWS = [json.loads(line) for line in (Path(__file__).parent / "client_wordings.jsonl").read_text("utf-8").splitlines()
        if line.strip()]


def test_the_table_covers_many_clients_and_every_failure_it_names() -> None:
    assert len(ROWS) >= 80
    assert len({r["client"] for r in ROWS}) >= 12
    assert {r["expect"] for r in ROWS} >= {"authentication-required", "delete-permission", "repository-not-found",
                                           "tag-not-found", "locked-artifacts", "throttling", "network-access-denied",
                                           "connectivity-dns", "elsewhere:network-client-side",
                                           "elsewhere:docker-hub-rate-limit"}
    assert all(r["evidence"] and r["kind"] in ("verbatim", "composed") for r in ROWS)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r['client']}:{r['expect']}")
def test_each_clients_wording_names_its_failure(row: dict) -> None:
    found = explain(row["text"]).ranked
    assert found and found[0].failure_mode == row["expect"], row.get("why", "")


#: Forms the table's texts are not expected to survive: re-cased text, prose wrapping between words, and texts held
#: inside another record (docs/explain.md, "As texts are pasted").
_NOT_EXPECTED = ("mail-72", "upper-case", "lower-case", "kubelet-klog", "json-log-record", "escaped-newlines")


@pytest.mark.parametrize("form", ["all-at-once", "each-in-turn"])
def test_each_clients_wording_survives_being_pasted(form: str) -> None:
    """Every row wrapped by a console, timestamped, quoted, with web-page characters (paste_forms): the same answer."""
    steps = [composite] if form == "all-at-once" else [f for name, f in FORMS.items() if name not in _NOT_EXPECTED]
    lost = []
    for row in ROWS:
        for step in steps:
            found = explain(step(row["text"])).ranked
            if not found or found[0].failure_mode != row["expect"]:
                lost.append((row["client"], row["expect"], found[0].failure_mode if found else None))
    assert lost == []


def test_a_digest_in_a_request_path_is_a_digest_not_a_tag_named_sha256() -> None:
    """``/v2/team/web/manifests/sha256:…`` (crane, oras, the Go SDK print the request): the tag pattern used to stop
    at the colon and report tag ``sha256``."""
    from acrdoctor.explain.names import from_line

    digest = "sha256:" + "a2e844a1cd201d2048e897dedb7b3bb48fe3c5bc7de10bb36e59687471a600b5"
    for path in (digest, digest.replace(":", "%3A")):
        names = from_line(f"Error: DELETE https://shipreg01.azurecr.io/v2/team/web/manifests/{path}: UNAUTHORIZED")
        assert (names.repository, names.tag, names.digest) == ("team/web", None, digest)
    assert from_line("GET https://shipreg01.azurecr.io/v2/team/web/manifests/1.4.2: x").tag == "1.4.2"


def test_go_printed_detail_names_the_missing_action() -> None:
    """Go clients print ACR's detail as a decoded map: ``[map[Action:delete Name:team/web Type:repository]]``."""
    from acrdoctor.checks.delete_permission import Missing, missing_permissions
    from acrdoctor.model import CollectionError

    message = ("UNAUTHORIZED: authentication required, visit https://aka.ms/acr/authorization for more information.; "
               "[map[Action:delete Name:team/web Type:repository] map[Action:pull Name:team/web Type:repository]]")
    assert missing_permissions(CollectionError("explain", 401, "UNAUTHORIZED", message)) == [
        Missing("delete", "repository", "team/web"), Missing("pull", "repository", "team/web")]


@pytest.mark.parametrize(("text", "expect"), [
    ("PS> Get-AzContainerRegistryTag -RegistryName shipreg01 -RepositoryName team/web -Name 1.4.2\n"
     "Get-AzContainerRegistryTag: Operation returned an invalid status code 'NotFound'", "tag-not-found"),
    ("PS> Remove-AzContainerRegistryManifest -RegistryName shipreg01 -RepositoryName team/web -Manifest sha256:ab\n"
     "Remove-AzContainerRegistryManifest: Operation returned an invalid status code 'NotFound'", "manifest-not-found"),
    ("PS> Remove-AzContainerRegistryRepository -RegistryName shipreg01 -Name team/web\n"
     "Remove-AzContainerRegistryRepository: Operation returned an invalid status code 'MethodNotAllowed'",
     "locked-artifacts"),
    # The same words from another Azure service's cmdlet are not the registry's answer.
    ("PS> Get-AzWebApp -Name shop -ResourceGroupName rg\nOperation returned an invalid status code 'NotFound'", None),
    ("PS> Get-AzKeyVaultSecret -VaultName kv -Name x\nOperation returned an invalid status code 'Forbidden'", None),
])
def test_a_status_code_by_its_dotnet_name_is_read_with_the_cmdlet_that_asked(text: str, expect: str | None) -> None:
    """AutoRest clients and Az PowerShell name the status (``'NotFound'``) instead of printing its number."""
    found = explain(text).ranked
    assert (found[0].failure_mode if found else None) == expect


def test_an_az_powershell_cmdlet_names_what_it_asked_for() -> None:
    """-RegistryName, -RepositoryName and -Name (a tag for …Tag, a repository for …Repository) are the cmdlet's names;
    the answer quotes the status it saw, not an error code nobody printed."""
    from acrdoctor.explain.names import from_command

    names = from_command("PS> Get-AzContainerRegistryTag -RegistryName ShipReg01 -RepositoryName team/web -Name 1.4.2")
    assert (names.registry, names.repository, names.tag) == ("shipreg01", "team/web", "1.4.2")
    names = from_command("Remove-AzContainerRegistryRepository -RegistryName shipreg01 -Name 'team/web'")
    assert (names.registry, names.repository, names.tag) == ("shipreg01", "team/web", None)
    assert from_command("Get-AzContainerRegistry -ResourceGroupName rg -Name shipreg01").registry == "shipreg01"
    assert from_command("Get-AzWebApp -Name shop -ResourceGroupName rg") == from_command("")
    found = explain("PS> Get-AzContainerRegistryTag -RegistryName shipreg01 -RepositoryName team/web -Name 1.4.2\n"
                    "Get-AzContainerRegistryTag: Operation returned an invalid status code 'NotFound'").ranked[0]
    assert "TAG_UNKNOWN" not in found.message and "404 Not Found" in found.message
    assert found.confirm.commands[0] == ("az acr repository show-tags --name shipreg01 --repository team/web --detail "
                                         "--output table")


def test_a_flag_written_with_its_value_after_an_equals_sign() -> None:
    """`--name=VALUE` is one word: it names the same as `--name VALUE` (the reader used to step back onto the same
    word forever, so one `--dry-run=false` in a pasted purge hung explain)."""
    from acrdoctor.explain.names import from_command

    names = from_command("az acr repository delete --name=shipreg01 --image=team/web:1.4.2 --yes")
    assert (names.registry, names.repository, names.tag) == ("shipreg01", "team/web", "1.4.2")
    names = from_command("acr purge --registry=shipreg01 --filter='team-x/api:.*' --ago=30d --dry-run=false")
    assert (names.registry, names.repository) == ("shipreg01", "team-x/api")
    text = ("$ acr purge --registry abacreg.azurecr.io --filter 'team-x/api:.*' --ago 30d --untagged --dry-run=false\n"
            'Error: failed to purge manifests: acr.BaseClient#DeleteManifest: Failure responding to request: '
            'StatusCode=401 -- Original Error: autorest/azure: Service returned an error. Status=401 Code="Unknown" '
            'Message="Unknown service error" Details=[{"errors":[{"code":"UNAUTHORIZED","detail":[{"Action":"delete",'
            '"Name":"team-x/api","Type":"repository"}],"message":"authentication required"}]}]')
    top = explain(text).ranked[0]
    assert top.failure_mode == "delete-permission" and top.extracted.registry == "abacreg"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["az", "acr", "purge", "repository", "delete", "--name", "-n", "--registry",
                                 "--image", "--filter", "--cmd", "run", "manifest", "import", "--source", "=", "x",
                                 "team/web:1", "a=b", "--dry-run=false", "--name=", "--image=r:t", "'q'", '"', "`"]),
                max_size=12))
def test_the_command_reader_ends_on_any_words(words: list[str]) -> None:
    """Whatever words a pasted command holds (flags with and without '=', quotes left open), reading it ends: the
    reader once stepped back onto `--flag=value` forever. An alarm turns a hang into a failure."""
    from acrdoctor.explain.names import from_command

    def hung(*_: object) -> None:
        raise TimeoutError(" ".join(words))

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(5)
    try:
        from_command(" ".join(words))
        from_command("az acr " + " ".join(words))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
