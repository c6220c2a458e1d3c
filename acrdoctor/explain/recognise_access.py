"""Access failures of the second catalogue that ``explain`` recognises on their own: purge tasks refused a token,
a registry whose admin user is off, ``az acr build`` refused the upload of its source, and content trust refused
the signer.

On an ABAC registry an ACR task has no data-plane access unless an identity is attached with
``--source-acr-auth-id`` [D-ABAC appendix]; acr purge then fails getting its token. The text quoted is Azure/acr-cli#641
(``acr.BaseClient#GetAcrAccessToken: Failure responding to request: StatusCode=401``, a purge task on an ABAC
registry), whose own cause, the 3-hour refresh-token expiry, the explanation also names, with Azure/acr-cli#501 (old
acr-cli images asked ABAC registries for a registry-wide token and got 401).

ARM refusing credential operations while the admin user is disabled (``Cannot perform credential operations for … as
Admin user is disabled``, az acr credential show; Azure/azure-cli#1898) is a sign-in answer:
the registry has no username and password to give. ``Could not get SAS URL to upload.`` is az acr build failing
to get the upload URL for its source (``listBuildSourceUploadUrl``), which the caller needs a role for
(Azure/azure-cli#8140).

A refused delete (401 naming ``delete``) is not recognised here: the first catalogue's ``unauthorized`` recogniser
already claims that line (two recognisers of one line would report it twice); it ranks the mode-dependent fixes
with :func:`acrdoctor.explain.access_fixes.delete_fixes`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from acrdoctor.actions import RegistryRef, SetTaskSourceIdentity, shell_join
from acrdoctor.checks.effective_access import CATALOG_LISTER_ROLE, CONTRIBUTOR_ROLE
from acrdoctor.checks.purge_task_access import PurgeTaskAccess
from acrdoctor.shellquote import variable

from .actions import ListRoleAssignments, ShowRegistry
from .model import Step
from .recognisers import (
    DOCS_PURGE,
    TASK_RUN,
    TASK_TOKEN_REFUSED,
    Built,
    Hit,
    Recogniser,
    Seen,
    any_of,
    confirm_first,
    on_match,
)

# --- purge task token refused ---------------------------------------------------------------------------------

_TASK_TOKEN = re.compile(r"BaseClient#GetAcr(?:Access|Refresh)Token\b[^\n]*?(?:StatusCode=401|\b401\b)",
                         re.IGNORECASE)


def _detect_task_token(line: str, context: str, seen: Seen) -> str | None:
    if _TASK_TOKEN.search(line):
        return "purge-task-access"
    # acr-cli's own words for the same refusal, in a task: the task's identity (a purge task's, or any task's that
    # cleans up, on a registry whose ABAC mode gives a task nothing without one).
    return "purge-task-access" if TASK_TOKEN_REFUSED.search(line) and TASK_RUN.search(context) else None


def _build_task_token(mode: str, hits: Sequence[Hit]) -> Built:
    n = hits[0].names
    ref = RegistryRef(n.get("registry"))
    task = variable("TASK")
    show_task = shell_join(["az", "acr", "task", "show", "--name", task, "--registry", ref.name,
                            "--query", "credentials.sourceRegistry.identity", "--output", "tsv"])
    return Built(
        "acr purge was refused a registry token (401)",
        "acr purge could not get an ACR access token"
        + (f" for registry {n.registry}" if n.registry else "") + ": the registry refused its identity",
        PurgeTaskAccess.cause + " On ABAC registries a purge that runs for more than about three hours also fails "
        "this way when its refresh token expires (Azure/acr-cli#641), and acr-cli before the ABAC batching "
        "(Azure/acr-cli#577) asked for a registry-wide token that ABAC registries refuse (Azure/acr-cli#501).",
        Step("See whether the registry is in ABAC mode and whether the task has an identity for it (empty or "
             "'none' means it has none).", (ShowRegistry(ref, "roleAssignmentMode", "tsv"),),
             extra_commands=(show_task,)),
        Step("Attach an identity to the task for its own registry, then give that identity Container Registry "
             "Repository Contributor and Catalog Lister on the registry.", (SetTaskSourceIdentity(ref, task),),
             (f"Then assign {CONTRIBUTOR_ROLE} and {CATALOG_LISTER_ROLE} on the registry to the task identity's "
              "principal id (az acr task show … --query identity.principalId) [D-ABAC appendix].",
              "If the task ran for about three hours before failing, split the purge into several tasks with "
              "narrower --filter values, each finishing sooner (Azure/acr-cli#641 workaround).",
              "Use a current acr-cli image (mcr.microsoft.com/acr/acr-cli) in the task: older ones cannot purge ABAC "
              "registries at all (Azure/acr-cli#501).")),
        tuple(dict.fromkeys((*PurgeTaskAccess.docs, DOCS_PURGE))),
    )


# --- ACR Tasks not permitted: a purge task cannot run at all ---------------------------------------------------

#: ARM refusing every ACR Tasks request for the registry (``TasksOperationsNotAllowed``: "ACR Tasks requests for the
#: registry … are not permitted. Please file an Azure support request"; seen in public az acr build and VS Code
#: threads): some subscription types have ACR Tasks turned off. A scheduled acr purge is an ACR task, so it never
#: runs. Only read as the purge's cause where a purge is in sight; a build refused the same way is not a purge.
_TASKS_NOT_ALLOWED = re.compile(r"\bTasksOperationsNotAllowed\b|ACR Tasks requests for the registry [^\n]{0,120}?"
                                r"are not permitted", re.IGNORECASE)
_PURGE_IN_SIGHT = re.compile(r"\bacr purge\b|\bpurge\b", re.IGNORECASE)


def _detect_tasks_off(line: str, context: str, seen: Seen) -> str | None:
    if not _TASKS_NOT_ALLOWED.search(line):
        return None
    return "purge-task-access" if _PURGE_IN_SIGHT.search(context) or _PURGE_IN_SIGHT in seen else None


def _build_tasks_off(mode: str, hits: Sequence[Hit]) -> Built:
    return Built(
        "ACR Tasks are not permitted for this registry: the purge task cannot run",
        "Azure refused to run an ACR task for the registry (TasksOperationsNotAllowed)",
        "Some subscription types have ACR Tasks turned off, and a scheduled acr purge is an ACR task: it is "
        "refused before it starts. No role on the registry changes that.",
        Step("Confirm with the message's own advice: an Azure support request can turn ACR Tasks on for the "
             "subscription."),
        Step("Until then run the same purge outside ACR Tasks: the acr-cli image (mcr.microsoft.com/acr/acr-cli) "
             "runs acr purge from any machine or pipeline signed in to the registry."),
        tuple(dict.fromkeys((*PurgeTaskAccess.docs, DOCS_PURGE))), confidence=0.85)


# --- the admin user is disabled ------------------------------------------------------------------------------

_ADMIN_DISABLED = re.compile(r"\bas Admin user is disabled\b|\bAdmin user is disabled\. Enable Admin user\b",
                            re.IGNORECASE)


def _build_admin(mode: str, hits: Sequence[Hit]) -> Built:
    ref = RegistryRef(hits[0].names.get("registry"))
    enable = Step("", (), (), (shell_join(["az", "acr", "update", "--name", ref.name, "--admin-enabled", "true"]),))
    return Built(
        "The registry's admin user is disabled",
        "The registry has no admin username and password to give: its admin user is off",
        "The admin user is a shared username and password, off by default; az acr credential show, docker login "
        "with the registry's name as the user, and services configured with admin credentials all need it on.",
        Step("Read the setting.", (ShowRegistry(ref, "adminUserEnabled"),)),
        confirm_first(enable, "Prefer an identity (az acr login with Entra ID, a service principal, a managed "
                              "identity, or a repository-scoped token); turn the admin user on only where a tool "
                              "needs a username and password."),
        ("https://learn.microsoft.com/azure/container-registry/container-registry-authentication#admin-account",),
        confidence=0.9)


# --- az acr build cannot upload its source ------------------------------------------------------------------

_NO_SAS = re.compile(r"\bCould not get SAS URL to upload\b", re.IGNORECASE)


def _build_no_sas(mode: str, hits: Sequence[Hit]) -> Built:
    ref = RegistryRef(hits[0].names.get("registry"))
    return Built(
        "The caller may not start an ACR build (no upload URL for the source)",
        "az acr build could not get the URL to upload its source to: the registry refused the caller",
        "az acr build first asks the registry for an upload URL (listBuildSourceUploadUrl); a caller whose role "
        "lacks the ACR Tasks actions (AcrPush and AcrPull do not have them) is refused there, before any build.",
        Step("List the caller's roles on the registry.", (ListRoleAssignments(ref),)),
        Step("Give the caller a role with the ACR Tasks actions (Contributor, or a custom role with "
             "Microsoft.ContainerRegistry/registries/listBuildSourceUploadUrl/action and scheduleRun/action), then "
             "sign in again."),
        ("https://learn.microsoft.com/azure/container-registry/container-registry-roles",), confidence=0.75)


# --- content trust: signing refused -----------------------------------------------------------------------

#: docker's content trust (notary) refused the signing of a push: on ACR signing needs the AcrImageSigner role on
#: top of push rights (container-registry-content-trust; content trust is being retired in favour of Notation).
_SIGN_REFUSED = re.compile(r"failed to sign\W+(?:[^\n]{0,40}\W)?you are not authorized to perform this operation\b|"
                           # notary's own refusal of a content-trust pull or push, without the signing step's words
                           r"you are not authorized to perform this operation: server returned 401", re.IGNORECASE)


def _build_sign(mode: str, hits: Sequence[Hit]) -> Built:
    ref = RegistryRef(hits[0].names.get("registry"))
    signing = any(re.search(r"failed to sign", h.line, re.IGNORECASE) for h in hits)
    return Built(
        "Content trust refused the signer" if signing else "Content trust refused the caller",
        "docker's content trust (notary) answered 401: "
        + ("the registry refused to let this identity sign" if signing else "the trust data was refused"),
        "With content trust on, docker talks to the registry's notary endpoint as well: pushing a signed image "
        "needs the AcrImageSigner role besides push rights, and repository-scoped tokens cannot use content trust "
        "at all (ACR content-trust docs). ACR's content trust is being retired: Notation signatures stored next "
        "to the image need no extra role.",
        Step("List the caller's roles on the registry (a token has none: it cannot use content trust).",
             (ListRoleAssignments(ref),)),
        Step("Give the signing identity AcrImageSigner on the registry, use an Entra identity instead of a token for "
             "trusted pulls and pushes, or turn content trust off on the client (DOCKER_CONTENT_TRUST=0) and move to "
             "Notation."),
        ("https://learn.microsoft.com/azure/container-registry/container-registry-content-trust",), confidence=0.8)


RECOGNISERS: tuple[Recogniser, ...] = (
    Recogniser("purge-task-token", ("purge-task-access",), _detect_task_token, _build_task_token,
               any_of(_TASK_TOKEN, TASK_TOKEN_REFUSED), ("baseclient#getacr", "failed to get")),
    Recogniser("tasks-not-permitted", ("purge-task-access",), _detect_tasks_off, _build_tasks_off,
               _TASKS_NOT_ALLOWED, ("tasksoperationsnotallowed", "acr tasks requests for the registry"),
               remembers=((_PURGE_IN_SIGHT, "purge"),)),
    Recogniser("admin-disabled", ("authentication-required",),
               on_match(_ADMIN_DISABLED, "authentication-required"), _build_admin, _ADMIN_DISABLED,
               ("admin user is disabled",)),
    Recogniser("sign-refused", ("delete-permission",), on_match(_SIGN_REFUSED, "delete-permission"), _build_sign,
               _SIGN_REFUSED, ("failed to sign", "not authorized to perform this operation: server returned")),
    Recogniser("build-upload-refused", ("delete-permission",), on_match(_NO_SAS, "delete-permission"),
               _build_no_sas, _NO_SAS, ("could not get sas url",)),
)
#: A task's token is about the registry as a whole: names on nearby lines are not its.
REGISTRY_LEVEL: frozenset[str] = frozenset({"purge-task-access"})
