"""What a program printed, read for what it says about where the failure is (2026-12-04, evening).

Each reading came from an error text of the corpus the recognisers missed, and is the general fact behind it, not
the case: az aks's words when an attach cannot create its role assignment, a terminal UI's frame round a pasted line,
a connection closed with no answer, a cache rule's upstream path that Docker Hub cannot have, App Service's
"unsupported" schema 1 manifest, a cluster controller's credential chain, Bazel's token download. Each is tested
with the near miss it must keep answering as before.
"""

from __future__ import annotations

from acrdoctor.explain import explain, explain_ticket
from acrdoctor.explain.model import Match
from acrdoctor.explain.reading import logical_lines
from acrdoctor.explain.scoring import changes_something


def top(text: str, *, ticket: bool = False) -> Match:
    ranked = (explain_ticket if ticket else explain)(text).ranked
    assert ranked, text
    return ranked[0]


def modes(text: str) -> list[str]:
    return [m.failure_mode for m in explain(text).ranked]


# --- az aks update --attach-acr refused ------------------------------------------------------------------------

ATTACH = ("az aks update -g rg-apps -n aks-apps --attach-acr /subscriptions/0000/resourceGroups/rg-reg/providers/"
          "Microsoft.ContainerRegistry/registries/shopreg\n"
          "Waiting for AAD role to propagate[######        ]  30.0000%Could not create a role assignment for ACR. "
          "Are you an Owner on this subscription?")


def test_an_attach_that_cannot_assign_the_role_is_the_callers_missing_permission() -> None:
    """The attach is a role assignment: the caller lacks roleAssignments/write on the registry. The cluster's pull
    secret is not the answer (it has no pull access yet because of this), and no role is granted by command."""
    m = top(ATTACH)
    assert m.failure_mode == "delete-permission"
    assert m.extracted.action == "Microsoft.Authorization/roleAssignments/write"
    assert m.extracted.registry == "shopreg"
    assert "elsewhere:kubelet-pull-secret" not in modes(ATTACH)
    assert not changes_something(m) and "User Access Administrator" in m.fix.summary


def test_an_attach_refused_to_a_self_declared_owner_is_confirmed_first() -> None:
    text = "I am an Owner on the subscription, yet:\n" + ATTACH
    m = top(text)
    assert m.failure_mode == "delete-permission" and m.confidence < top(ATTACH).confidence
    assert "Owner" in m.fix.summary and "first" in m.fix.summary


def test_pods_refused_after_an_attach_stay_the_clusters_pull() -> None:
    """Near miss: the attach ran, and the nodes' pulls are refused: the cluster's pull access, as before."""
    text = ("az aks update -g rg-apps -n aks-apps --attach-acr shopreg\n"
            'Warning  Failed  kubelet  Failed to pull image "shopreg.azurecr.io/web:1.2": rpc error: code = Unknown '
            'desc = failed to pull and unpack image "shopreg.azurecr.io/web:1.2": failed to authorize: failed to '
            "fetch anonymous token: unexpected status: 401 Unauthorized")
    assert top(text).failure_mode == "elsewhere:kubelet-pull-secret"


# --- a terminal UI's frame, and a connection closed with no answer ---------------------------------------------

def test_a_pane_frame_is_taken_off_and_a_line_it_broke_is_joined() -> None:
    framed = ("\u2502 the pull of shopreg.azurecr.io/web failed: failed to reso \u2502\n"
              "\u2502 lve reference                                             \u2502\n"
              "\u2502 a short line                 \u2502\n"
              "\u2502 broken between two words and  \u2502\n"
              "\u2502 the rest                     \u2502")
    assert list(logical_lines([framed])) == [
        "the pull of shopreg.azurecr.io/web failed: failed to resolve reference",
        "a short line",
        "broken between two words and the rest",
    ]


def test_a_tables_rows_keep_their_frames() -> None:
    """Near miss: frames inside a line are a table's columns, not a pane round it: rows are not joined."""
    rows = "\u2502 web \u2502 1.2 \u2502\n\u2502 api \u2502 3.0 \u2502"
    assert list(logical_lines([rows])) == rows.split("\n")


EOF_EVENT = ('Warning  Failed  12m (x4 over 13m)  kubelet, aks-np1-vmss000002  Failed to pull image '
             '"shopreg.azurecr.io/web:1.2": rpc error: code = Unknown desc = failed to pull and unpack image '
             '"shopreg.azurecr.io/web:1.2": failed to resolve reference "shopreg.azurecr.io/web:1.2": failed to do '
             'request: Head "https://shopreg.azurecr.io/v2/web/manifests/1.2": EOF')


def test_a_request_to_the_registry_closed_without_an_answer_is_the_path_to_it() -> None:
    """A kubelet pull that ended in EOF judged no credential: the connection was cut on the way (firewall, proxy,
    TLS inspection, DNS to another address). Read-only checks, no change printed."""
    m = top(EOF_EVENT)
    assert m.failure_mode == "elsewhere:network-client-side" and "EOF" in m.title
    assert m.confidence <= 0.6 and not changes_something(m)
    assert any(c.startswith("nslookup shopreg.azurecr.io") for c in m.confirm.commands)
    assert "elsewhere:kubelet-pull-secret" not in modes(EOF_EVENT)


def test_the_same_event_broken_by_a_pane_reads_the_same() -> None:
    cut = EOF_EVENT.index("failed to do")
    framed = EOF_EVENT[:cut] + " \u2502\n\u2502 " + EOF_EVENT[cut:]
    assert top(framed).failure_mode == "elsewhere:network-client-side"


def test_a_kubelet_refused_with_401_is_still_the_pull_secret() -> None:
    """Near miss: the same event answered 401 is the cluster's credential."""
    text = EOF_EVENT.replace(": EOF", ": 401 Unauthorized")
    assert top(text).failure_mode == "elsewhere:kubelet-pull-secret"


def test_an_eof_from_docker_hub_is_not_the_azure_registrys_path() -> None:
    assert "elsewhere:network-client-side" not in modes(
        'Error response from daemon: Get "https://registry-1.docker.io/v2/library/nginx/manifests/1.27": EOF')


# --- a cache rule mapping namespaced images under library/ -------------------------------------------------------

def test_a_cache_rule_asking_for_library_with_a_namespace_is_the_rules_mapping() -> None:
    text = ("docker pull shopreg.azurecr.io/hub/grafana/loki:3.1\n"
            "Error response from daemon: pull access denied for shopreg.azurecr.io/hub/grafana/loki, repository does "
            "not exist or may require 'docker login': denied: requested access to pull from source "
            "'docker.io/library/grafana/loki' for cache rule 'hub-all' has been denied.")
    m = top(text)
    assert m.failure_mode == "artifact-cache" and "library/" in m.title
    assert not changes_something(m)
    assert "elsewhere:source-registry" not in modes(text) and "elsewhere:typo" not in modes(text)


def test_an_official_image_refused_upstream_stays_the_sources_answer() -> None:
    """Near miss: library/NAME one name deep is a real path: its refusal is the upstream's (credentials, limits)."""
    text = ("Error response from daemon: denied: requested access to pull from source 'docker.io/library/nginx' for "
            "cache rule 'hub-official' has been denied.")
    assert top(text).failure_mode == "elsewhere:source-registry"


def test_library_with_a_namespace_typed_by_hand_stays_a_typo() -> None:
    """Near miss: no cache rule named, the user wrote library/ before a namespace."""
    text = ("docker pull docker.io/library/bitnami/redis:7.2\n"
            "Error response from daemon: pull access denied for docker.io/library/bitnami/redis, repository does not "
            "exist or may require 'docker login'")
    assert top(text).failure_mode == "elsewhere:typo"


# --- App Service's "unsupported" schema 1 manifest ---------------------------------------------------------------

def test_app_services_schema_1_complaint_is_a_tag_to_check_first() -> None:
    text = ("2026-03-02T08:11:40.101Z ERROR - Image pull for shopreg.azurecr.io/web:2026.03 failed. Unsupported "
            "image manifest. The manifest with version 'application/vnd.docker.distribution.manifest.v1+json' has "
            "not been supported yet.")
    m = top(text)
    assert m.failure_mode == "tag-not-found" and m.confidence == 0.6
    assert m.extracted.repository == "web" and m.extracted.tag == "2026.03"
    assert not changes_something(m) and any("show-tags" in c for c in m.confirm.commands)


def test_another_tools_schema_1_refusal_is_not_app_services() -> None:
    """Near miss: a puller refusing a real schema 1 image (go-containerregistry's wording) names its media type."""
    text = ('Image pull was unsuccessful: reading image "quay.io/org/old@sha256:' + "ab" * 32 + '": unsupported '
            'MediaType: "application/vnd.docker.distribution.manifest.v1+prettyjws"')
    assert "tag-not-found" not in modes(text)


# --- a cluster controller's credential chain ---------------------------------------------------------------------

CHAIN = ("failed to get credential from azure: DefaultAzureCredential: failed to acquire a token.\n"
         "Attempted credentials:\n"
         "        EnvironmentCredential: missing environment variable AZURE_TENANT_ID\n"
         "        WorkloadIdentityCredential: missing environment variables for workload identity. Check webhook "
         "and pod configuration\n"
         "        ManagedIdentityCredential: no default identity is assigned to this resource")


def test_a_controllers_credential_chain_is_the_clusters_identity_not_a_login() -> None:
    text = "\u2717 HelmRepository reconciliation failed: '" + CHAIN
    m = top(text)
    assert m.failure_mode == "elsewhere:kubelet-pull-secret" and "workload" in m.title
    assert "AZURE_CLIENT_ID" in m.fix.summary and not changes_something(m)


def test_the_same_chain_in_a_script_is_this_machines_credentials() -> None:
    """Near miss: no cluster workload named (the SDK's own "pod configuration" does not count): this machine's."""
    text = "python publish.py --registry shopreg\n" + CHAIN.replace("failed to get credential from azure: ", "")
    m = top(text)
    assert m.failure_mode == "elsewhere:local-credentials"
    assert any("AZURE_CLIENT_ID" in note for note in m.fix.notes)


# --- Bazel's rules_oci fetching the token itself -----------------------------------------------------------------

def test_bazels_token_download_refused_is_rules_oci_without_credentials() -> None:
    text = ("ERROR: An error occurred during the fetch of repository 'web_base':\n"
            "Error in download: java.io.IOException: Error downloading [https://shopreg.azurecr.io/oauth2/token?"
            "scope=repository:base/web:pull&service=shopreg.azurecr.io] to /home/ci/.cache/bazel/_bazel_ci/0f/"
            "external/web_base/www-authenticate.json: GET returned 401 Unauthorized")
    m = top(text)
    assert m.failure_mode == "elsewhere:client-bug" and "rules_oci" in m.title
    assert not changes_something(m)


def test_a_token_request_refused_elsewhere_is_not_bazels() -> None:
    """Near miss: the same endpoint refused to curl is the caller's sign-in, not rules_oci."""
    text = ('curl -s "https://shopreg.azurecr.io/oauth2/token?scope=repository:base/web:pull&service=shopreg.azurecr.io"'
            '\n{"errors":[{"code":"UNAUTHORIZED","message":"authentication required, visit '
            'https://aka.ms/acr/authorization for more information."}]}')
    assert top(text).failure_mode != "elsewhere:client-bug"


# --- names in the registry's private DNS zone --------------------------------------------------------------------

def test_a_private_dns_name_names_its_registry_not_the_zone() -> None:
    """REG.privatelink.azurecr.io and REG.REGION.data.privatelink.azurecr.io are the registry's records in the
    private zone: the registry is REG, never the zone's label."""
    from acrdoctor.explain.names import registry_in

    assert registry_in("nslookup shopreg.privatelink.azurecr.io") == "shopreg"
    assert registry_in("Address: shopreg.westeurope.data.privatelink.azurecr.io") == "shopreg"
    m = top('Error response from daemon: Head "https://shopreg.privatelink.azurecr.io/v2/web/manifests/1.2": EOF')
    assert m.extracted.registry == "shopreg"


def test_the_upper_case_host_reading_is_the_patterns_in_linear_time() -> None:
    """upper_host answers as the documented pattern does (kept for the keyword test), without its quadratic scan."""
    from acrdoctor.explain.recognise_elsewhere import _UPPER_HOST, upper_host

    lines = ["docker push MyReg.azurecr.io/web:1", "docker push myreg.azurecr.io/web:1",
             "podman pull x.azurecr.io/a and docker tag ShopReg.azurecr.io/b", "ShopReg.azurecr.io then docker push",
             "docker push ShopReg.azurecr.io.evil", "nerdctl run a-Reg.azurecr.cn/x", "docker pushed MyReg.azurecr.io",
             "Uppercase characters are detected in the registry name", "docker run my.MyReg.azurecr.io/x",
             "docker run My_Reg.azurecr.us/x"]
    for line in lines:
        assert upper_host(line) == bool(_UPPER_HOST.search(line)), line
    assert not upper_host("docker push " * 8000)  # (its time is bench/explain_hostile.py's to measure)


# --- a lock on something that is not a registry -------------------------------------------------------------------

LOCKED = ("(ScopeLocked) The scope '/subscriptions/1111/resourceGroups/rg-crm' cannot perform delete operation "
          "because following scope(s) are locked: '/subscriptions/1111/resourceGroups/rg-crm'. Please remove the lock "
          "and try again.")


def test_a_lock_on_a_group_with_no_registry_in_sight_is_not_unlocked_by_command() -> None:
    """A resource group's delete refused by its lock, no registry named anywhere: the reading holds (a lock), the
    unlock is words until whoever placed it is asked."""
    m = top("$ az group delete -n rg-crm --yes\n" + LOCKED, ticket=True)
    assert m.failure_mode == "resource-locks" and m.confidence == 0.6 and not changes_something(m)


def test_a_registry_delete_refused_by_a_group_lock_keeps_its_unlock() -> None:
    """Near miss: the same refusal for az acr delete names the registry: the unlock command stays."""
    m = top("$ az acr delete -n crmreg -g rg-crm --yes\n" + LOCKED)
    assert m.failure_mode == "resource-locks" and changes_something(m)


# --- fresh9's misses (2026-12-04, evening): Flux's words, a registry URL as a token's resource, PowerShell's view ----

def test_fluxs_own_words_name_the_controller_when_the_kind_is_cut_off() -> None:
    text = ("failed to get credential from 'azure': DefaultAzureCredential: failed to acquire a token.\\nAttempted "
            "credentials:\\n\\tEnvironmentCredential: missing environment variable AZURE_TENANT_ID\\n\\t"
            "ManagedIdentityCredential: no default identity is assigned to this resource")
    m = top(text)
    assert m.failure_mode == "elsewhere:kubelet-pull-secret" and "workload" in m.title


def test_a_token_asked_for_the_registrys_url_is_the_clients_scope() -> None:
    text = ("AADSTS500011: The resource principal named https://shopreg.azurecr.io/ was not found in the tenant named "
            "contoso. This can happen if the application has not been installed by the administrator of the tenant.")
    m = top(text)
    assert m.failure_mode == "elsewhere:client-bug" and "registry's URL" in m.title and not changes_something(m)


def test_another_resource_missing_in_the_tenant_is_not_the_registry_scope() -> None:
    """Near miss: the same code for another resource says nothing about how a client asks for a registry token."""
    text = ("AADSTS500011: The resource principal named https://vault.azure.net was not found in the tenant named "
            "contoso.")
    assert all("registry's URL" not in m.title for m in explain(text).ranked)


PS_VIEW = ("Import-AzContainerRegistryImage_ImportExpanded: /home/vsts/work/1/s/deploy/import.ps1:12\n"
           "Line |\n"
           "  12 |  Import-AzContainerRegistryImage `\n"
           "     |  ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\n"
           "     | Missing property parameters.TargetTags for the operation against the\n"
           "     | resource with name shopreg.")


def test_powershells_message_under_its_mark_is_read_as_one_line() -> None:
    lines = list(logical_lines([PS_VIEW]))
    assert "Missing property parameters.TargetTags for the operation against the resource with name shopreg." in lines
    m = top(PS_VIEW)
    assert m.failure_mode == "elsewhere:client-bug" and "cmdlet" in m.title and not changes_something(m)


def test_bar_lines_without_powershells_mark_stay_lines() -> None:
    """Near miss: a markdown table's rows start with a bar too, with no tilde mark above them."""
    table = "| registry | sku |\n| shopreg | Basic |"
    assert list(logical_lines([table])) == table.split("\n")


def test_a_tasks_image_name_refused_as_invalid_is_the_name_written() -> None:
    text = ("InvalidInputValue - Some of the properties of 'taskCreateParameters' are invalid.. InnerErrors: "
            "DockerBuildStep:Image name 'WebApp:{{.Run.ID}}' is invalid.")
    assert top(text).failure_mode == "elsewhere:typo"


def test_a_back_off_alone_names_no_cause_and_asks_for_the_failed_event() -> None:
    text = ('Normal   BackOff    32s   kubelet   Back-off pulling image "shopreg.azurecr.io/web:1.2@sha256:'
            + "ab" * 32 + '"')
    result = explain(text)
    assert not result.ranked and "Failed event" in result.next_step.summary


def test_a_back_off_with_the_refusal_on_its_line_is_still_the_clusters_pull() -> None:
    """Near miss: the back-off line that carries the 401 says why."""
    text = ('Warning  Failed  kubelet  Error: ImagePullBackOff; Back-off pulling image "shopreg.azurecr.io/web:1.2": '
            "401 Unauthorized")
    assert top(text).failure_mode == "elsewhere:kubelet-pull-secret"


# --- containerd's NotFound, cut before its ": not found" (fresh10) ----------------------------------------------------

def test_containerds_not_found_code_names_the_missing_reference() -> None:
    """gRPC's NotFound from containerd is the registry's 404 to the node's own credentials: a digest reference is a
    manifest the repository does not have, a tag reference a tag; the line needs no ': not found' at its end."""
    digest = "sha256:" + "f3" * 32
    ref = f"shopreg.azurecr.io/hooks/certgen@{digest}"
    event = (f'Warning  Failed  pod/web-1  Failed to pull image "shopreg.azurecr.io/hooks/certgen:v1.5.1@{digest}": '
             f'[rpc error: code = NotFound desc = failed to pull and unpack image "{ref}": failed to resolve '
             f'reference "{ref}"')
    m = top(event)
    assert m.failure_mode == "manifest-not-found" and "elsewhere:kubelet-pull-secret" not in modes(event)
    tagged = ('Failed to pull image "shopreg.azurecr.io/web:1.2": rpc error: code = NotFound desc = failed to pull and '
              'unpack image "shopreg.azurecr.io/web:1.2": failed to resolve reference "shopreg.azurecr.io/web:1.2"')
    assert top(tagged).failure_mode == "tag-not-found"


def test_containerds_unknown_code_with_a_401_stays_the_clusters_pull() -> None:
    """Near miss: code Unknown with the registry's 401 in it is a refusal of the node's credentials."""
    text = ('Failed to pull image "shopreg.azurecr.io/web:1.2": rpc error: code = Unknown desc = failed to pull and '
            'unpack image "shopreg.azurecr.io/web:1.2": failed to resolve reference "shopreg.azurecr.io/web:1.2": '
            "failed to authorize: failed to fetch anonymous token: unexpected status: 401 Unauthorized")
    assert top(text).failure_mode == "elsewhere:kubelet-pull-secret"
