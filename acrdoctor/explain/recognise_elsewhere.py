"""Failures whose cause is NOT the Azure container registry: say where the cause is, and print no ACR fix.

A 401 or a 429 in a pasted log is not always ACR's. During ``az acr import`` the 401 is the *source* registry's
(Azure/acr#181, #449, #457: ``Invalid message Unauthorized Unauthorized {"errors":[...]}`` inside the import's
deployment error); a cache rule names its upstream (``authentication required with source registry for cache rule
'docker-io'``, Azure/acr#599; ``too many requests to source registry for cache rule``, Azure/acr#754); Docker Hub
answers ``toomanyrequests: You have reached your pull rate limit``; kubelet reports ``Failed to pull image … 401
Unauthorized`` when the cluster has no pull secret or is not attached to the registry; a docker credential helper or
an expired ``az login`` session fails on the client (``error getting credentials``, ``AADSTS700082``); a malformed
name fails before any registry is asked (``invalid reference format``); a proxy or TLS interception breaks the
connection (``proxyconnect tcp``, ``x509: certificate signed by unknown authority``); and a client can simply crash
(``The command failed with an unexpected error. Here is the traceback:``).

Telling a user to grant a delete role for an import's 401, or to raise an ACR tier for Docker Hub's limit, is the
one answer worse than none. So every builder here gives read-only checks only and a fix step without commands, and
:mod:`acrdoctor.explain.core` keeps ACR answers for the same lines below these (``ELSEWHERE``).

Confidence follows the strength of the evidence: a structured code or the exact phrase a tool prints ≈ 0.9–0.95,
a strong phrase ≈ 0.8, a symptom named in prose 0.4–0.7.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from acrdoctor.actions import Action, Arg, RegistryRef, shell_join
from acrdoctor.shellquote import variable

from .actions import CheckHealth, ListCacheRules, ListCredentialSets, ListSoftDeleted, ShowImage
from .model import Step
from .names import Names
from .recognise_policy import LIBRARY_NESTED
from .recognisers import (
    CLUSTER_PULL_WORDS,
    KUBE_PULL_EVENTS,
    LOCAL_RESOLVER_DOWN,
    Built,
    Hit,
    Recogniser,
    Seen,
    any_of,
    asked_by_the_scan,
    fold,
    on_match,
)

#: Prefix of every failure mode whose cause is outside ACR (the corpus labels use the same).
ELSEWHERE = "elsewhere:"

DOCS_IMPORT = "https://learn.microsoft.com/azure/container-registry/container-registry-import-images"
DOCS_CACHE = "https://learn.microsoft.com/azure/container-registry/troubleshoot-artifact-cache"
DOCS_HUB_LIMIT = "https://docs.docker.com/docker-hub/usage/"
DOCS_AKS = "https://learn.microsoft.com/azure/aks/cluster-container-registry-integration"
DOCS_LOGIN = "https://learn.microsoft.com/azure/container-registry/container-registry-troubleshoot-login"
DOCS_CREDSTORE = "https://docs.docker.com/reference/cli/docker/login/#credential-stores"
DOCS_PROXY = "https://learn.microsoft.com/azure/container-registry/container-registry-troubleshoot-access"
DOCS_REFERENCE = "https://docs.docker.com/reference/cli/docker/image/tag/"
DOCS_AZ_ISSUES = "https://github.com/Azure/azure-cli/issues"


@dataclass(frozen=True, slots=True)
class ReadCommand(Action):
    """A read-only command outside ``az acr`` (kubectl, docker, az account), quoted like every other action."""

    argv: tuple[Arg, ...]
    what: str

    def commands(self) -> tuple[str, ...]:
        return (shell_join(list(self.argv)),)

    def describe(self) -> str:
        return self.what


def _registry(n: Names) -> Arg:
    return n.get("registry")


def _login_server(n: Names) -> Arg:
    return f"{n.registry}.azurecr.io" if n.registry else variable("LOGIN_SERVER")


def _strength(line: str, strong: re.Pattern[str], medium: re.Pattern[str] | None = None,
              high: float = 0.95, mid: float = 0.8, low: float = 0.6) -> float:
    if strong.search(line):
        return high
    if medium is not None and medium.search(line):
        return mid
    return low


def _best(hits: Sequence[Hit], strong: re.Pattern[str], medium: re.Pattern[str] | None = None,
          high: float = 0.95, mid: float = 0.8, low: float = 0.6) -> float:
    return max(_strength(h.line, strong, medium, high, mid, low) for h in hits)


_ACR_CODES = re.compile(r"CONNECTIVITY_\w+_ERROR|LOGIN_SERVER_ERROR")

# --- source registry (az acr import, cache rule upstream) ---------------------------------------------------

#: The import's deployment error wraps the source registry's answer: ``Invalid message Unauthorized …``.
_IMPORT_INVALID = re.compile(r"\bInvalid message (?:Unauthorized|Forbidden|Not ?Found|Bad ?Request|Too ?Many|"
                             r"Denied|Conflict)", re.IGNORECASE)
_SOURCE_PHRASE = re.compile(
    r"(?:with|from|to|for|on|at|in) (?:the )?source registry|Unable to find manifest digest|"
    r"No value specified for Docker-Content-Digest|"
    # the import's deployment wrapper: "Operation registries-<id> failed. Resource …/registries/X <source's answer>"
    r"Operation registries-[0-9a-f-]+ failed|source registry (?:for cache rule|returned|responded|"
    r"refused|denied|unauthori[sz]ed|could not|can ?not|is not|was not)|(?:The )?source container registry can not"
    r" be found|Source cannot be found|unable to access (?:the )?source|(?:from|source) '[^']*' for cache rule|"
    r"\bupstream (?:registry )?(?:returned|responded|refused|denied|unauthori[sz]ed|authentication|credentials?|"
    r"error|failed|status)|Error copying blobs|"
    r"(?:unauthori[sz]ed|denied|refused|forbidden|401|403)[^\n]{0,40}\bfrom (?:the )?source\b|"
    # ARM's linked-access check of an import: the caller may import but may not read the source registry
    r"does not have permission to perform action '[^']*' on the linked scope",
    re.IGNORECASE)
_IMPORT_COMMAND = re.compile(r"\baz acr import\b|\bImport-AzContainerRegistryImage\b|\bimport_image\b|"
                             r"\bImportImage(?:Parameters)?\b|\bbeginImportImage\b|\bacr import\b", re.IGNORECASE)
_AUTH_WORDS = re.compile(r"\bunauthori[sz]ed\b|authentication required|incorrect username or password|"
                         r"\bdenied\b|\b401\b|\bforbidden\b|\b403\b|\bnot found\b|\b404\b|manifest unknown|"
                         r"\bnot authori[sz]ed\b", re.IGNORECASE)
#: The target registry refusing the import itself is ACR's (the caller lacks importImage/action): not elsewhere.
_TARGET_REFUSAL = re.compile(r"does not have authorization to perform action|AuthorizationFailed|"
                             r"client with IP|ResourceNotFound|was not found|could not be found|"
                             # az's own message about the target registry's token (a 401, or a 429 throttle)
                             r"Access to registry|Response code: 429|toomanyrequests|too many requests|"
                             # the target itself refusing the write: its lock, quota, firewall or resource lock
                             r"disallowed|quota|ScopeLocked|not allowed access", re.IGNORECASE)
#: The target registry refusing the imported image's write: ACR's own answer inside the import's wrapper.
_TARGET_WRITE = re.compile(r"disallowed|quota|ScopeLocked|not allowed access|does not have authorization|"
                           r"already exists in (?:the )?target registry", re.IGNORECASE)
#: Words one of the source phrases holds (a cheap test before the long pattern).
_SOURCE_WORDS = re.compile(r"source|upstream|credential set|copying blobs|manifest digest|docker-content-digest|"
                           r"linked scope|operation registries-")
#: A ticket saying an import fails: most import failures are the source's (prose, so a guess).
_IMPORT_PROSE = re.compile(r"\baz acr import\b[^\n]{0,200}?\b(?:fail|error|unauthori[sz]ed|denied|refus|break)|"
                           # "importing images from quay.io into our registry fails with 401"
                           r"\bimport(?:s|ed|ing)?\b[^\n]{0,40}?\bfrom\b[^\n]{0,120}?\b(?:fail|error|"
                           r"unauthori[sz]ed|denied|refus|401|403|not found)|"
                           # the import's --source named, and a refusal after it
                           r"--source\b[^\n]{0,300}?\b(?:401|403|unauthori[sz]ed|denied)\b", re.IGNORECASE)


#: A build step pulling its base image from another registry (``Step 1/11 : FROM mcr.microsoft.com/…``): a refusal
#: or throttle right after it, naming no Azure registry, is that registry's answer (an ACR task build's log).
_BASE_FROM = re.compile(r"^\s*(?:Step \d+/\d+ : |#\d+ \[[^\]]*\] )?FROM\s+(?:--platform=\S+\s+)?"
                        r"([a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d+)?)/", re.IGNORECASE | re.MULTILINE)
_BASE_REFUSAL = re.compile(r"\b(?:HTTP )?(?:429|401|403)\b|toomanyrequests|too many requests|unauthori[sz]ed|"
                           r"\bdenied\b|\bforbidden\b", re.IGNORECASE)


def _from_other_registry(line: str, context: str) -> bool:
    if ".azurecr." in line.lower() or not _BASE_REFUSAL.search(line):
        return False
    hosts = [m.group(1).lower() for m in _BASE_FROM.finditer(context)]
    # Docker Hub's own answers are the hub recogniser's; an Azure registry's are ACR's.
    return bool(hosts) and not any(".azurecr." in h or h.endswith("docker.io") for h in hosts)


#: Pushes refused as well as the import, into a repository a cache rule covers: the target refuses content put in by
#: hand (a rule owns the repository), whatever the import's source would answer (Azure/acr#845).
_PUSH_FAILS_TOO = re.compile(r"\b(?:oras (?:copy|cp|push)|docker push|helm push|push(?:es|ed|ing)?)\b[^.\n]{0,40}?"
                             r"\b(?:fail\w*|rejected|refused|denied|blocked)\b", re.IGNORECASE)


def _detect_source(line: str, context: str, seen: Seen) -> str | None:
    # Substring tests first: the phrase patterns are long alternations, and most lines reaching here are plain 4xx.
    low = line.lower()
    if _ACR_CODES.search(line) or ("library/" in low and LIBRARY_NESTED.search(line)):
        return None  # (a path Docker Hub cannot have: the cache rule's mapping, not the upstream's answer)
    if (("invalid message" in low and _IMPORT_INVALID.search(line)) or (
            _SOURCE_WORDS.search(low) and _SOURCE_PHRASE.search(line))) and not _TARGET_WRITE.search(line):
        return "elsewhere:source-registry"
    if "import" in low and _IMPORT_PROSE.search(line) and not _TARGET_REFUSAL.search(line) \
            and not ("cache rule" in low and _PUSH_FAILS_TOO.search(line)):
        return "elsewhere:source-registry"
    if "from" in context.lower() and _from_other_registry(line, context):
        return "elsewhere:source-registry"
    if ("import" in context.lower() and _AUTH_WORDS.search(line) and not _TARGET_REFUSAL.search(line)
            and _IMPORT_COMMAND.search(_before_refusal(line, context))):
        return "elsewhere:source-registry"
    return None


def _before_refusal(line: str, context: str) -> str:
    """The text up to the line's first refusal word: an import named after it ("can I re-point the tag with az acr
    import --force?") is a question about a fix, not the command that failed."""
    m = _AUTH_WORDS.search(line)
    if m is None or not context.endswith(line):
        return context
    return context[:len(context) - len(line) + m.start()]


def _build_source(mode: str, hits: Sequence[Hit]) -> Built:
    n = hits[0].names
    cache = any("cache rule" in h.line.lower() or "upstream" in h.line.lower() for h in hits)
    conf = max(0.95 if (_IMPORT_INVALID.search(h.line) or _SOURCE_PHRASE.search(h.line)) else
               0.85 if _AUTH_WORDS.search(h.line) and _IMPORT_COMMAND.search(h.context) else
               0.8 if _from_other_registry(h.line, h.context) else 0.6 for h in hits)
    base = not cache and all(_from_other_registry(h.line, h.context) for h in hits)
    reg = _registry(n)
    confirm: tuple[Action, ...]
    if cache:
        confirm = (ListCacheRules(RegistryRef(reg)), ListCredentialSets(RegistryRef(reg)))
        where = "the upstream registry of a cache rule"
    else:
        confirm = (ReadCommand(("docker", "manifest", "inspect", n.get("source_image")),
                               "read the source image from this machine"),)
        where = ("the registry of the build's base image (its FROM line)" if base
                 else "the source registry of the import")
    return Built(
        "The source registry refused (not your ACR)",
        f"The error comes from {where}, not from the Azure registry"
        + (f" {n.registry}" if n.registry else "") + ": it refused or could not find the image ACR asked it for",
        "az acr import and artifact cache rules make ACR pull from another registry; a 401/403/404/429 in their "
        "error is that registry's answer (wrong or missing source credentials, a private or misspelled source "
        "image, the source's rate limit). Permissions, locks and settings of your ACR do not change it.",
        Step("Check the source image and its credentials directly against the source registry ($SOURCE_IMAGE is "
             "the --source value).", confirm),
        Step("Fix it at the source: pass its credentials (az acr import --username/--password, or --registry "
             "with the source ACR's resource id), correct the source image name, or repair the cache rule's "
             "credential set. Nothing in your ACR needs changing.",
             notes=("For an ACR source, import with --registry <source registry resource id> so your Azure AD "
                    "identity is used instead of anonymous access (Azure/azure-cli#15089).",)),
        (DOCS_IMPORT, DOCS_CACHE) if cache else (DOCS_IMPORT,),
        confidence=conf,
    )


# --- Docker Hub rate limit ------------------------------------------------------------------------------------

_HUB_LIMIT = re.compile(r"rate[- ]limit\w* (?:by|from|on|at) Docker Hub|"
                        # Azure Container Instances' wording for Docker Hub refusing an anonymous pull
                        r"error response is received from the docker registry '(?:index|registry-1)\.docker\.io'|"
                        r"Docker Hub(?:'s)? (?:pull )?rate[- ]limit|"
                        r"reached your (?:unauthenticated )?pull rate limit|increase-rate-limit|download-rate-limit|"
                        r"too ?many ?requests to source registry|\bpull rate limit\b|docker hub rate limit|"
                        # the link of Docker Hub's refusal, told in words ("a link to docker.com about rate limits")
                        r"docker\.com[^\n]{0,40}?\brate[- ]limit|\brate[- ]limit\w*[^\n]{0,40}?\bdocker\.com",
                        re.IGNORECASE)
_HUB_429 = re.compile(r"(?:toomanyrequests|too many requests|\b429\b)[^\n]*?(?:registry-1\.docker\.io|index\.docker"
                      r"\.io|\bdocker\.io\b|auth\.docker\.io|hub\.docker\.com)|(?:registry-1\.docker\.io|index\.docker"
                      r"\.io|\bdocker\.io\b|auth\.docker\.io|hub\.docker\.com)[^\n]*?(?:toomanyrequests|"
                      r"too many requests|\b429\b)", re.IGNORECASE)


_HUB_429_WORDS = re.compile(r"\b(?:az acr import|import\w*|cache rule\w*|artifact cache)\b[^\n]{0,200}?"
                            r"\bDocker Hub\b[^\n]{0,200}?(?:\b429\b|too ?many ?requests)|"
                            r"\bDocker Hub\b[^\n]{0,200}?\b(?:az acr import|import\w*|cache rule\w*)\b[^\n]{0,200}?"
                            r"(?:\b429\b|too ?many ?requests)", re.IGNORECASE)
#: Words that put the 429 on the Azure registry itself.
_ACR_THROTTLE_WORDS = re.compile(r"\b(?:our|the|my) (?:Azure )?(?:container )?registry (?:is )?throttl|"
                                 r"\bACR (?:is )?throttl|\.azurecr\.io[^\n]{0,40}\b429\b", re.IGNORECASE)


_HUB_CONTEXT = re.compile(r"registry-1\.docker\.io|index\.docker\.io|\bdocker\.io/|Docker Hub", re.IGNORECASE)
_ACR_CONTEXT = re.compile(r"\.azurecr\.|\bacr purge\b|\baz acr\b", re.IGNORECASE)


def _detect_hub(line: str, context: str, seen: Seen) -> str | None:
    low = line.lower()
    if _HUB_LIMIT.search(line) or ("docker" in low and _HUB_429.search(line)):
        return "elsewhere:docker-hub-rate-limit"
    # In words: an import or cache rule from Docker Hub answered 429, with nothing saying the registry throttled.
    if "docker hub" in low and _HUB_429_WORDS.search(line) and not _ACR_THROTTLE_WORDS.search(line):
        return "elsewhere:docker-hub-rate-limit"
    # A bare 429 right after pulling from Docker Hub (FROM node:…, docker.io/library/…), with no Azure registry on it.
    if ("toomanyrequests" in low or "too many requests" in low) and ".azurecr." not in low \
            and _HUB_CONTEXT.search(context) and not _ACR_CONTEXT.search(context):
        return "elsewhere:docker-hub-rate-limit"
    return None


def _build_hub(mode: str, hits: Sequence[Hit]) -> Built:
    conf = _best(hits, re.compile(r"reached your (?:unauthenticated )?pull rate limit|increase-rate-limit",
                                  re.IGNORECASE), None, 0.95, 0.85, 0.85)
    return Built(
        "Docker Hub's pull rate limit (not your ACR)",
        "Docker Hub refused the pull with 429 toomanyrequests: the pull rate limit of the client (or of the "
        "ACR cache rule / import pulling from Docker Hub) was reached",
        "Docker Hub limits pulls per IP address (anonymous) or per account. The 429 is Docker Hub's, not ACR's "
        "throttling: ACR tiers, tokens and settings do not change it.",
        Step("See which image comes from docker.io and who pulls it (build agents behind one NAT IP share the "
             "anonymous limit)."),
        Step("Authenticate to Docker Hub (docker login, or a credential set on the ACR cache rule), pull less "
             "often, or import the base images into your ACR once and pull them from there.",
             notes=("az acr import --source docker.io/library/IMAGE:TAG --username/--password copies an image "
                    "once; later pulls come from ACR and do not count against Docker Hub.",)),
        (DOCS_HUB_LIMIT, DOCS_CACHE),
        confidence=conf,
    )


# --- kubelet / AKS pull secret -----------------------------------------------------------------------------------

_KUBE_PULL = re.compile(KUBE_PULL_EVENTS + r"|Back-off pulling image|Error: ImagePull", re.IGNORECASE)
_KUBE_AUTH = re.compile(r"\b401\b|\bunauthori[sz]ed\b|authentication required|failed to fetch anonymous token|"
                        r"failed to authorize|no basic auth credentials|pull access denied|failed to fetch oauth token|"
                        r"insufficient_scope|may require authorization", re.IGNORECASE)
#: Pods said (in prose) to fail pulling: the symptom, not its cause.
_PODS_PROSE = (r"\b(?:pods?|AKS|cluster|nodes?|node ?pools?|kubelet|deployments?)\b[^\n]{0,80}?"
               r"(?:fail(?:s|ed|ing)? to pull|"
               r"can ?not pull|can't pull|could not pull|unable to pull|not able to pull|"
               r"pulls fail with|pull fails with|pulls failed with|pull failed with|pulls from the registry fail)")
#: ``az aks check-acr`` output: the cluster's own verdict on its pull access.
_CHECK_ACR = re.compile(r"Validating image pull permission: FAILED|rejected token exchange|"
                        r"Validating managed identity existance: FAILED|Validating managed identity existence: FAILED",
                        re.IGNORECASE)
_KUBE_PROSE = re.compile(r"imagePullSecrets?|\bcheck-acr\b|attach-acr|attach acr|kubelet ?identity|"
                         r"kubeletidentity|pull secret|" + _PODS_PROSE, re.IGNORECASE)
_PODS = re.compile(_PODS_PROSE, re.IGNORECASE)
#: The cluster said to try a pull (in words) and be refused: "unauthorized when the cluster tries to fetch images".
_KUBE_TRIES = re.compile(r"\b(?:pods?|cluster|nodes?|kubelet)\b[^.\n]{0,40}?\b(?:" + "|".join(
    f"{verb} to {what}" for verb in ("tries", "trying", "tried", "attempts", "attempt", "attempting")
    for what in ("pull", "fetch", "download")) + ")", re.IGNORECASE)
_KUBE_OTHER = re.compile(r"client with IP|not allowed access|\bnot[- ]found\b|manifest unknown|no such host|\b404\b|"
                         r"\bcode = NotFound\b|"
                         r"<Code>Authorization|"
                         r"i/o timeout|toomanyrequests|invalid reference format|InvalidImageName|"
                         # the registry's quarantine holds the image: a pull secret would not change it
                         r"quarantin|scan pending|pending scan|waiting for (?:the )?scan", re.IGNORECASE)


#: A cluster's pull in the lines before a refusal ("We re-created our AKS cluster … pulls fail: … 401").
_CLUSTER_NEAR = re.compile(CLUSTER_PULL_WORDS, re.IGNORECASE)


#: A token request answered 403 (``failed to fetch anonymous token: unexpected status: 403 Forbidden``).
_FORBIDDEN_ONLY = re.compile(r"\b403 Forbidden\b")


#: The pod names an image pull secret the namespace does not have (kubelet's event, the API's NotFound).
_PULL_SECRET_MISSING = re.compile(r"Unable to retrieve some image pull secrets|"
                                  r"\bsecrets? \"[a-z0-9][\w.-]*\" not found", re.IGNORECASE)


#: The attach command itself on a line of its own: what was run, not what failed (its refusal, if any, follows it).
_ATTACH_COMMAND = re.compile(r"\s*(?:[$>#]\s*)?az aks (?:update|create)\b[^\n]*--attach-acr\b")


def _detect_kube(line: str, context: str, seen: Seen) -> str | None:
    if _ATTACH_COMMAND.match(line):
        return None
    if _PULL_SECRET_MISSING.search(line):
        return "elsewhere:kubelet-pull-secret"
    if _KUBE_OTHER.search(line) or _HUB_LIMIT.search(line):
        return None
    if _FORBIDDEN_ONLY.search(line) and not re.search(r"\b401\b|unauthori[sz]ed", line, re.IGNORECASE):
        return None  # ACR's 403 is its network rules refusing the node (the status recogniser's answer)
    if _TRANSPORT_FAILURE.search(line) and not _KUBE_AUTH.search(line) and _KUBE_PULL.search(line):
        return None  # the kubelet's own event, failed in transport: no credential was judged
    printed = (_KUBE_PULL.search(line) and _KUBE_AUTH.search(line)) or _CHECK_ACR.search(line)
    if not printed and PULL_ACCESS_RULED_OUT.search(line):
        return None  # words only, and the words rule the cluster's access out: leave the line to the prose reader
    if (_KUBE_PULL.search(line) and _KUBE_AUTH.search(line)) or _KUBE_PROSE.search(line) or _CHECK_ACR.search(line):
        return "elsewhere:kubelet-pull-secret"
    if _KUBE_TRIES.search(line) and _KUBE_AUTH.search(line):
        return "elsewhere:kubelet-pull-secret"
    if _KUBE_AUTH.search(line) and (_CLUSTER_NEAR.search(context) or _KUBE_PULL.search(context)) \
            and not _TRANSPORT_FAILURE.search(line):
        return "elsewhere:kubelet-pull-secret"
    if _KUBE_PULL.search(line) and not _TRANSPORT_FAILURE.search(line) and not _BACK_OFF_ONLY.search(line):
        return "elsewhere:kubelet-pull-secret"
    return None


#: The kubelet's back-off event and nothing else: it says a pull failed before, not why (its Failed event does).
_BACK_OFF_ONLY = re.compile(r"^(?:(?!Failed to pull|ErrImagePull|rpc error|failed to pull and unpack).)*"
                            r"\bBack-off pulling image\b(?:(?!rpc error|: ).)*$", re.IGNORECASE)


#: A pull that failed in transport (the connection dropped, timed out or never resolved): no credential was judged,
#: so it says nothing about the cluster's pull secret; the network recognisers read it.
_TRANSPORT_FAILURE = re.compile(r": EOF\b|\bEOF\s*$|i/o timeout|connection (?:refused|reset)|no such host|"
                                r"TLS handshake timeout|context deadline exceeded|network is unreachable|x509:|"
                                r"Client\.Timeout exceeded|"
                                # the registry's network rules refusing the node (ACR's 403), not its credentials
                                r"\b403 Forbidden\b", re.IGNORECASE)


#: The writer has ruled the cluster's pull access out: other images of the same registry pull on the same nodes, or
#: only one image fails. A 401 for that one image then reads as an image the registry does not have (reports where
#: a missing tag answered "unauthorized": Azure/AKS#1510, Azure/AKS#4052, MicrosoftDocs/azure-docs#35411), not a
#: missing pull secret.
PULL_ACCESS_RULED_OUT = re.compile(
    r"\b(?:other|all (?:the )?other|the rest of the|every other)\b[^.\n]{0,30}\b(?:images?|tags?|deployments?|"
    r"pods?|apps?|services|workloads|charts)\b[^.\n]{0,60}\b(?:pull|work|run|start|are|is)\w*\b[^.\n]{0,20}\b(?:fine|ok|okay|normally|"
    r"without (?:a |any )?(?:problem|issue)s?)\b|"
    r"\bonly (?:this|that|one|a single) (?:image|deployment|pod|tag|app)\b", re.IGNORECASE)


def _kube_conf(line: str) -> float:
    if (_KUBE_PULL.search(line) and _KUBE_AUTH.search(line)) or _CHECK_ACR.search(line):
        return 0.9
    if _PODS.search(line) and _KUBE_AUTH.search(line):
        # The cluster's pulls refused with a 401 in the same sentence: its pull credentials, before the registry.
        return 0.8
    if _KUBE_PROSE.search(line) and "check-acr" not in line.lower() and not _PODS.search(line):
        return 0.7
    if _PODS.search(line):
        return 0.6
    return 0.45


def _build_kube(mode: str, hits: Sequence[Hit]) -> Built:
    n = hits[0].names
    cluster, group, pod = variable("CLUSTER"), variable("RESOURCE_GROUP"), variable("POD")
    return Built(
        "The cluster cannot authenticate its image pull (pull secret / AKS not attached)",
        "Kubernetes (kubelet/containerd on the node) was refused pulling from the registry"
        + (f" {n.registry}" if n.registry else "")
        + ": the node has no valid credentials for it",
        "The pull is made by the node's kubelet identity or the pod's imagePullSecrets, not by you. A 401 there "
        "means the cluster is not attached to the registry (no AcrPull for the kubelet identity), the pull secret "
        "is missing, in another namespace or holds expired credentials. Your ACR's images and settings are fine.",
        Step("See the pod's pull error, and let AKS validate its access to the registry (both only read).",
             (ReadCommand(("kubectl", "describe", "pod", pod), "show the pod's events"),
              ReadCommand(("az", "aks", "check-acr", "--name", cluster, "--resource-group", group, "--acr",
                           _login_server(n)), "validate AKS access to the registry"))),
        Step("Give the cluster pull access: attach the registry to the AKS cluster (AcrPull for the kubelet "
             "identity), or create/refresh the imagePullSecret in the pod's namespace and reference it.",
             notes=("Attaching needs Owner or User Access Administrator on the registry: az aks update "
                    "--attach-acr does the role assignment.",
                    "A secret made from a token or service principal password expires with it.")),
        (DOCS_AKS,),
        confidence=0.4 if any(PULL_ACCESS_RULED_OUT.search(h.context) for h in hits)
        else max(_kube_conf(h.line) for h in hits),
    )


# --- a hosting service's pull (Container Apps, Container Instances) ---------------------------------------------

#: The service pulls with the registry credentials or identity configured on it, not the caller's: Container Apps'
#: and Container Instances' own refusal texts (azure-container-apps#50; ACI's InaccessibleImage).
_PLATFORM_PULL = re.compile(r"Error pulling the container image\. Please check the image name or any registry "
                            r"credentials|\bInaccessibleImage\b|"
                            r"is not accessible\. Please check the image and registry credential|"
                            # VS Code's deploy to App Service, which pulls with the registry's admin credentials
                            r"only supports running images from Azure Container Registries with admin enabled|"
                            # Container Apps pulling with the identity configured for the registry
                            r"unable to pull image using Managed identity\b|"
                            # az webapp / az containerapp looking up the admin credentials for the service to pull
                            # with, on a registry whose admin user is off; the portal's words for the same
                            # Container Instances refusing the group's registry credential as configured
                            # (ACI's own spelling of one code is "Resitry")
                            r"\b(?:AmbiguousImageResitryCredentialType|AmbiguousImageRegistryCredentialType|"
                            r"InvalidImageRegistryIdentity|"
                            r"InvalidImageRegistryCredentialType)\b|"
                            # Container Apps refusing the revision's image because its pull was refused
                            r"Field 'template\.containers\.[^']*\.image' is invalid with details: 'Invalid value: "
                            r"[^\n]{0,300}?(?:UNAUTHORIZED|unauthori[sz]ed|authentication required|\b401\b)|"
                            r"Failed to retrieve (?:container registry )?credentials(?: for container registry)?\. "
                            r"Please (?:either )?provide|admin credentials on the ACR are disabled",
                            re.IGNORECASE)


def _detect_platform(line: str, context: str, seen: Seen) -> str | None:
    return "elsewhere:kubelet-pull-secret" if _PLATFORM_PULL.search(line) else None


def _build_platform(mode: str, hits: Sequence[Hit]) -> Built:
    n = hits[0].names
    app, group = variable("APP"), variable("RESOURCE_GROUP")
    aci = any(re.search(r"InaccessibleImage|container group", h.line, re.IGNORECASE) for h in hits)
    show = (ReadCommand(("az", "container", "show", "--name", app, "--resource-group", group, "--query",
                         "imageRegistryCredentials"), "show the container group's registry credentials") if aci else
            ReadCommand(("az", "containerapp", "registry", "list", "--name", app, "--resource-group", group),
                        "show the registries and credentials the app pulls with"))
    return Built(
        "The hosting service cannot pull with the registry credentials configured on it",
        "The service that runs the container was refused the image"
        + (f" from {n.registry}" if n.registry else "")
        + ": it pulls with its own configured registry credentials or identity",
        "Container Apps and Container Instances pull the image themselves, with the registry server, username and "
        "password or the managed identity set on the app, not with your sign-in. Missing credentials (no "
        "--registry-server), an identity without AcrPull on the registry, or an expired password all read as "
        "this; the image and the registry are usually fine.",
        Step("See which registry credentials the service uses (read only).", (show,)),
        Step("Give the service pull access: set its registry with a managed identity that holds AcrPull on the "
             "registry (az containerapp registry set --identity), or with working credentials.",
             notes=("An identity needs the AcrPull role on the registry; a service principal's password expires.",)),
        (DOCS_AKS,),
        confidence=0.8,
    )


# --- local credentials (docker credential store, az login session) ----------------------------------------------

_CRED_STRONG = re.compile(r"\bAADSTS(?:700082|50173|70043|700024|50078|50076|70008|500133)\b|"
                          r"error (?:getting|storing|saving|listing) credentials|docker-credential-[a-z-]+|"
                          r"refresh token has expired|Please run ['\"]?az login|Interactive authentication is needed|"
                          r"run ['\"`]?az login['\"`]? to (?:setup|set up|access)|The stub received bad data|"
                          r"Cannot autolaunch D-Bus|pass not initiali[sz]ed|gpg: decryption failed|"
                          # the Azure SDKs' client-side credential chain found no usable identity on this machine
                          r"DefaultAzureCredential failed to retrieve a token|CredentialUnavailableError|"
                          # the same in .NET, Java, JavaScript and Go: Azure.Identity's exceptions, the chain's
                          # refusal, and the sign-in each credential asks for (Connect-AzAccount, az login)
                          r"\bCredentialUnavailableException\b|\bIdentity\.AuthenticationFailedException\b|"
                          r"\bAggregateAuthenticationError\b|\bChainedTokenCredential (?:failed|authentication failed)|"
                          r"\bDefaultAzureCredential:? (?:failed|could not|couldn't|was unable|unable)\b[^\n]{0,40}?"
                          r"\btoken|\brun ['\"]?Connect-AzAccount|Azure CLI authentication timed out|"
                          r"Azure CLI authentication failed|Azure PowerShell authentication timed out|"
                          r"Azure PowerShell authentication failed|"
                          # az's broker (WAM) sign-in needing the user again
                          r"Status_InteractionRequired|\binteraction_required\b|"
                          r"(?:ManagedIdentity|Environment|AzureCli|AzurePowerShell|Workload ?Identity)Credential "
                          r"authentication unavailable|ManagedIdentityCredential: no default identity is assigned",
                          re.IGNORECASE)
_CRED_MEDIUM = re.compile(r"Cannot perform an interactive login from a non TTY device|"
                          # az acr login asking for a username where no terminal can answer (a pipeline that did
                          # not sign in first: knack's prompt raises)
                          r"\bknack\.prompting\.NoTTYException\b|"
                          # the sign-in worked and saving it failed: the client's credential store, in words
                          r"\b(?:fails?|failed|failing|errors?|breaks?|broke)\b[^.\n]{0,80}?\b(?:login|credentials?|"
                          r"password|token)\b[^.\n]{0,20}?\b(?:is|are|was|were|gets?) being (?:saved|stored|written)\b|"
                          r"\b(?:fails?|failed|failing|errors?)\b[^.\n]{0,40}?\b(?:saving|storing|writing) "
                          r"(?:the |my |our )?(?:login|credentials?|password)\b|"
                          r"credential helper|credential-helper|credentialhelper|credsStore|credHelpers|"
                          # the login reported success and the next step failed to authenticate: the credential was
                          # stored where that step does not read it (a native store, another config, a logout)
                          r"\blogin\b[^.\n]{0,40}\b(?:reports?|says|shows|returns?|is|was)\b[^.\n]{0,15}\bsuccess\w*"
                          r"[^.\n]{0,120}?\bfail\w* to authenticate|"
                          r"az login (?:session )?(?:has )?expired|az login again|"
                          r"token (?:has )?expired[^\n]*az login|az login[^\n]*expired|"
                          r"AADSTS\d{5,6}|"
                          # the client's own service principal secret past its end date (a CI's stored secret)
                          r"\b(?:client |sp |service principal |app )?secret\b[^.\n]{0,60}?\b(?:expired|expires?|"
                          r"(?:created|issued|generated|made|set up) (?:a|one|two|three|several|a few|many|over a|"
                          r"more than a|\d+) "
                          r"years? ago)|"
                          r"\bexpired (?:client |sp |service principal )?secret|"
                          r"\bauthenticates with a certificate\b[^.\n]{0,30}\bexpired", re.IGNORECASE)


#: Signing in again was tried and changed nothing: the local sign-in is not what fails.
_RELOGIN_NO_HELP = re.compile(r"\b(?:az login|log(?:ged)? ?in|sign(?:ed)? ?in)\b[^.\n]{0,20}\bagain\b[^.\n]{0,60}?"
                              r"\b(?:same (?:error|result|message)|still (?:fails?|failing|the same|get)|"
                              r"did ?n[o']?t (?:help|change|fix)|no (?:luck|change|difference)|"
                              r"(?:I|we) (?:have )?already (?:did|done|tried|ran)|"
                              r"already (?:did|tried|ran) (?:that|it))",
                              re.IGNORECASE)


#: docker's standard advice after a login that worked: not a failing credential store.
_UNENCRYPTED_WARNING = re.compile(r"Configure a credential helper to remove this warning|"
                                  r"Your password will be stored unencrypted", re.IGNORECASE)


#: A workload in a cluster that pulls from the registry itself (Flux's sources, Argo CD, image updaters), named by
#: its kind, its controller or its reconciliation: the credential chain ran in its pod, not on anyone's machine.
#: ("pod" alone is not one: the Go SDK's own WorkloadIdentityCredential message says "Check webhook and pod
#: configuration" wherever it runs.)
_CLUSTER_WORKLOAD = re.compile(r"\b(?:OCIRepository|HelmRepository|HelmChart|ImageRepository|Kustomization|"
                               r"(?:source|kustomize|helm|image-reflector|image-automation)-controller|"
                               r"reconcil\w*|flux(?:cd)?|argo ?cd|argocd-\w+|kubelet|AKS|Kubernetes|k8s|"
                               r"ServiceAccount)\b|"
                               # Flux's own words for its Azure provider's sign-in (fluxcd source-controller#1071,
                               # flux2#4671): a Flux controller, wherever the resource kind was cut off
                               r"failed to get credential from '?azure\b", re.IGNORECASE)
#: The Azure SDKs' credential chain (not az's token cache, not docker's credential store).
_CHAIN = re.compile(r"DefaultAzureCredential|ManagedIdentityCredential|WorkloadIdentityCredential|"
                    r"ChainedTokenCredential|CredentialUnavailable", re.IGNORECASE)


def _detect_cred(line: str, context: str, seen: Seen) -> str | None:
    if _ACR_CODES.search(line) or _UNENCRYPTED_WARNING.search(line):
        return None
    if _CRED_STRONG.search(line):
        if _CHAIN.search(line) and _CLUSTER_WORKLOAD.search(context):
            return "elsewhere:kubelet-pull-secret"  # the cluster workload's identity, not this machine's sign-in
        return "elsewhere:local-credentials"
    # check-health's own advice ("run az login again") beside its error code is not the cause either.
    if _CRED_MEDIUM.search(line) and not _RELOGIN_NO_HELP.search(line) and not _ACR_CODES.search(context):
        return "elsewhere:local-credentials"
    return None


#: IMDS's answer through the SDKs when a machine has user-assigned identities but no system-assigned one.
_NO_DEFAULT_IDENTITY = re.compile(r"no default identity is assigned", re.IGNORECASE)


def _build_cred(mode: str, hits: Sequence[Hit]) -> Built:
    n = hits[0].names
    if mode == "elsewhere:kubelet-pull-secret":
        return _build_workload_identity(n)
    reg = _registry(n)
    return Built(
        "Expired or broken credentials on this machine (not your ACR)",
        "The client could not produce a valid credential: the az login session has expired, or docker's "
        "credential store / credential helper failed",
        "docker, oras and az acr login keep credentials on the client (a credential helper such as "
        "docker-credential-desktop, wincred, osxkeychain, pass, or az's token cache). When that store fails or "
        "the Azure AD refresh token has expired (AADSTS700082 after 90 days idle, sign-in frequency policies), "
        "every request fails before ACR decides anything; the registry's permissions are not the cause.",
        Step("See whether the az session is still valid and which identity it is (both read only).",
             (ReadCommand(("az", "account", "show", "--output", "table"), "show the signed-in account"),
              ReadCommand(("az", "account", "get-access-token", "--output", "none"),
                          "check that a token can still be issued"))),
        Step("Sign in again on this machine (az login, then az acr login), or repair the docker credential "
             "helper (the credsStore entry in ~/.docker/config.json).",
             notes=("A credsStore naming a helper that is not installed (docker-credential-desktop on a build "
                    "agent) breaks every login and pull: remove that entry or install the helper.",
                    "az acr login --name " + (reg if isinstance(reg, str) else "REGISTRY")
                    + " --expose-token gives a token without docker's credential store.",
                    *(("'No default identity is assigned': this machine has only user-assigned managed identities; "
                       "name one (AZURE_CLIENT_ID=<its client id>, or az login --identity with its client id).",)
                      if any(_NO_DEFAULT_IDENTITY.search(h.context) for h in hits) else ()))),
        (DOCS_LOGIN, DOCS_CREDSTORE),
        confidence=_best(hits, _CRED_STRONG, _CRED_MEDIUM, 0.92, 0.75, 0.6),
    )


def _build_workload_identity(n: Names) -> Built:
    cluster, group = variable("CLUSTER"), variable("RESOURCE_GROUP")
    return Built(
        "A cluster workload found no Azure identity to pull with (its identity, not your ACR)",
        "A controller in the cluster that pulls from the registry itself could not get an Azure token: every "
        "credential of the Azure SDK's chain was tried in its pod and none worked",
        "Controllers that pull from ACR on their own (Flux's OCIRepository and HelmRepository sources, Argo CD, "
        "image updaters) get their token inside their pod: through workload identity (a service account federated "
        "with an Azure identity), or through the node's managed identity. 'No default identity is assigned' means "
        "the nodes have only user-assigned identities and the pod did not name one; 'missing environment "
        "variables for workload identity' means the pod is not set up for it. No token, so the registry never "
        "judged anything.",
        Step("See the identity the nodes pull with (its client id), and the controller's service account and pod "
             "settings.",
             (ReadCommand(("az", "aks", "show", "--name", cluster, "--resource-group", group, "--query",
                           "identityProfile.kubeletidentity.clientId", "--output", "tsv"),
                          "show the kubelet identity's client id"),
              ReadCommand(("kubectl", "get", "serviceaccounts", "--all-namespaces", "--output", "wide"),
                          "list service accounts"))),
        Step("Tell the controller which identity to use: set AZURE_CLIENT_ID on its pod to the client id of an "
             "identity with AcrPull on the registry (the kubelet identity, or a user-assigned one on the nodes), "
             "or set up workload identity for its service account (a federated credential, the "
             "azure.workload.identity/client-id annotation, the azure.workload.identity/use label on its pods).",
             notes=("With Flux, patch the source-controller deployment (its env, or its service account's "
                    "annotation) in the cluster's flux-system kustomization, so the next bootstrap keeps it.",)),
        ("https://learn.microsoft.com/azure/aks/workload-identity-overview", DOCS_AKS),
        confidence=0.8,
    )


# --- typo in the name -----------------------------------------------------------------------------------------------

#: The private link FQDN is DNS only: the login server stays REGISTRY.azurecr.io (certificates are for *.azurecr.io).
_PRIVATELINK_NAME = re.compile(r"certificate is valid for [^\n]*not [a-z0-9.-]*\.privatelink\.azurecr\.io|"
                               r"\b[a-z0-9]{5,50}\.privatelink\.azurecr\.io/[a-z0-9]", re.IGNORECASE)
#: A reference pulled without a tag reads as ``:latest``; a repository with no ``latest`` then answers not found.
_IMPLICIT_LATEST = re.compile(r"Failed to pull image \"[^\"\s:@]+(?:\.azurecr\.[a-z]+)?/[^\"\s:@]+\"[^\n]*latest[^\n]*"
                              r"not found", re.IGNORECASE)
#: An image tagged without the login server goes to Docker Hub: ``The push refers to repository [docker.io/…]``.
_DOCKER_IO_PUSH = re.compile(r"The push refers to repository \[docker\.io/|failed to put manifest docker\.io/|"
                             r"requested access to the resource is denied", re.IGNORECASE)
#: Prose naming the mistake itself (a ticket written after finding it, or suspecting it).
_TYPO_PROSE = re.compile(r"\b(?:typo|typos|misspel\w*|mistyped)\b|"
                         # the reference had no registry host, so docker went to Docker Hub
                         r"\b(?:go(?:es)?|went|going|tries to go|tried to go|push(?:es|ed)?|sent)\b[^.\n]{0,20}?\bto "
                         r"(?:registry-1\.docker\.io|docker\.io|index\.docker\.io|Docker Hub)\b[^.\n]{0,20}?"
                         r"\binstead of\b|"
                         r"\b(?:spelled|spelt) (?:it )?(?:wrong|incorrectly)|\b(?:typed|written) (?:it )?wrong|"
                         r"\bwrong(?:ly)? (?:spelled|spelt|typed)|\bspelling (?:mistake|error)|"
                         r"\b(?:registry|image|repo\w*|login server) name (?:was |is |had been )?wrong\b|"
                         r"\b(?:the )?wrong (?:registry|image|repo\w*) name\b", re.IGNORECASE)
#: Two spellings of one name in a ticket line ("pushed to contosoreg, pulls from contsoreg"): a transposition or
#: one letter dropped, doubled or changed; names that differ by a digit or a version are different names.
_NAME_TOKEN = re.compile(r"\b[a-z][a-z0-9-]{5,49}\b")
_TWO_NAMES_CONTEXT = re.compile(r"instead of| vs\.? |pushed to|pulls from|pull from|pulling from|"
                                r"pulled from", re.IGNORECASE)
_NAMES_FAIL = re.compile(r"\b(?:fail\w*|not found|could ?n[o']?t|can(?:no|')t|unable|does ?n[o']?t exist|"
                         r"denied|error|no such|wrong)\b", re.IGNORECASE)
_COMMON_WORDS = frozenset({"deployment", "deployments", "registry", "registries", "pipeline", "pipelines", "another",
                           "nothing", "pushed", "pulled", "pushes", "pulls", "images", "because", "manifest",
                           "manifests", "repository", "repositories", "cluster", "clusters"})


def _one_slip(a: str, b: str) -> bool:
    """Whether b is a with one typing slip: two adjacent letters swapped, or one letter dropped, added or changed."""
    if a == b or abs(len(a) - len(b)) > 1 or a.rstrip("s") == b.rstrip("s"):
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]:
            return True
        return len(diff) == 1 and a[diff[0]].isalpha() and b[diff[0]].isalpha()
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    for i in range(len(long_)):
        if long_[:i] + long_[i + 1:] == short:
            return long_[i].isalpha() or long_[i] == "-"
    return False


#: Someone writing: a build log's "Pulling from library/node … error" is not a ticket comparing two names.
_WRITER = re.compile(r"\b(?:we|our|I|my|us|the (?:deployment|pipeline|chart|manifest|cluster))\b", re.IGNORECASE)


_ACR_NAME = re.compile(r"\b([a-z0-9]{3,50})\.azurecr\.(?:io|cn|us)\b", re.IGNORECASE)
_CONTRAST = re.compile(r"\b(?:but|instead of|whereas|wrong|different|mismatch\w*|points? (?:at|to))\b", re.IGNORECASE)
#: Two Azure registries on purpose: an import or a copy between them, a replica, a cache.
_TWO_ON_PURPOSE = re.compile(r"\bimport|\bcopy|\bcopie|\breplica|\bcache|\bmigrat|\bsync|\bfrom\b[^.\n]{0,60}\binto\b",
                             re.IGNORECASE)


def _two_registries(line: str) -> bool:
    """A ticket line naming two Azure registries against each other ("the deployment pulls from contoso.azurecr.io
    but the registry is contosoreg.azurecr.io"): the reference names the wrong registry."""
    if line.lower().count(".azurecr.") < 2 or len(line) > 2000:
        return False
    names = {m.lower() for m in _ACR_NAME.findall(line)}
    return len(names) >= 2 and bool(_CONTRAST.search(line)) and not _TWO_ON_PURPOSE.search(line)


#: Letters and digits a hand or an eye takes for each other: a tag typed 2.1O.0 for 2.10.0.
_CONFUSABLE = frozenset({frozenset("o0"), frozenset("l1"), frozenset("i1")})
_SPELLED = re.compile(r"[A-Za-z0-9][\w.-]{3,}|[A-Za-z0-9][A-Za-z0-9_-]{3,}")


def _slip(a: str, b: str) -> bool:
    """One typing slip (:func:`_one_slip`), or one letter read as a digit."""
    if _one_slip(a, b):
        return True
    if len(a) != len(b):
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diff) == 1 and frozenset((a[diff[0]], b[diff[0]])) in _CONFUSABLE


#: Labels of Azure's own host names that the name reader may take for a registry.
_NOT_A_NAME = frozenset({"privatelink", "azurecr", "data", "management", "login"})


def other_spelling(names: Names, text: str) -> tuple[str, str] | None:
    """A name the failure is about (registry, repository part, tag) and another spelling of it one slip away
    elsewhere in the ticket ("Helm values: fabrikamprd.azurecr.io" where the registry is fabrikamprod, a tag
    2.1O.0 beside the 2.10.0 that was pushed): the name that fails was typed wrong."""
    registry = names.registry.lower() if names.registry and names.registry.lower() not in _NOT_A_NAME else None
    typed = [(t.lower(), False) for t in (*(names.repository or "").split("/"), names.tag) if t and len(t) >= 4]
    if registry and len(registry) >= 4:
        typed.insert(0, (registry, True))
    if not typed or len(text) > 20_000:
        return None
    words = {w.lower().strip("._-") for w in _SPELLED.findall(text)}
    words |= {part for w in list(words) for part in re.split(r"[./:@]", w) if len(part) >= 4}
    for name, is_registry in dict.fromkeys(typed):
        for word in sorted(words):
            # A registry's name is letters and digits only: "private-link" is no spelling of one.
            if word != name and len(word) >= 4 and (word.isalnum() or not is_registry) and _slip(name, word):
                return name, word
    return None



def _two_spellings(line: str) -> bool:
    if len(line) > 2000 or not _TWO_NAMES_CONTEXT.search(line) or not _NAMES_FAIL.search(line) \
            or not _WRITER.search(line):
        return False
    words = sorted({w for w in _NAME_TOKEN.findall(line.lower()) if w not in _COMMON_WORDS}, key=len)
    if len(words) > 30:
        return False
    return any(_one_slip(a, b) for i, a in enumerate(words) for b in words[i + 1:] if len(b) - len(a) <= 1)
_TYPO_STRONG = re.compile(r"invalid reference format|\bInvalidImageName\b|could not parse reference|"
                          # an endpoint given without its scheme (a login server where a URL is expected)
                          r"\bno Host in request URL\b|\bunsupported protocol scheme\b|"
                          r"repository name must be lowercase|repository name must be canonical|"
                          r"\bname must use only lowercase\b|\bname must be lowercase\b|\bname must be all lowercase\b|"
                          r"invalid repository name|not a valid repository/tag|"
                          # ACR Tasks' own check of a task's image name (az acr task create: Azure/azure-cli#12553)
                          r"\bImage name '[^'\n]*' is invalid|"
                          # docker push/tag of a name that was never tagged locally: the name typed is not the image's
                          r"An image does not exist locally with the tag|\bNo such image: |tag does not exist: |"
                          # a URL scheme or a transport prefix where the host goes (``skopeo login docker://x``,
                          # ``helm registry login oci://x``): the client looks up "docker" or "https" as the host
                          r"\blookup (?:docker|https?|oci)(?: on [\d.:\[\]a-f]+)?: no such host|"
                          # an image reference written as a URL (Pulumi: "https://REG.azurecr.io/app should not contain
                          # a tag: //REG.azurecr.io/app"): the scheme is not part of an image's name
                          r"\bshould not contain a tag: //|"
                          # az acr import onto a tag the target has: it never overwrites without --force
                          r"already exists in (?:the )?target registry|"
                          # Docker Hub's official-images prefix before a namespaced image (library/bitnami/redis):
                          # no such repository exists there
                          r"\bdocker\.io/library/[\w.-]+/[\w.-]+|"
                          # a CI variable left unexpanded where the host goes (https://$(ACR_LOGIN_SERVER)/v2/)
                          r"https?://\$(?:\(\w+\)|\{\w+\})|"
                          # a reference of the login server alone: parsed as a Docker Hub repository named after it
                          r"\blibrary/[\w-]+\.azurecr\.(?:io|cn|us)\b|"
                          # a registry name ACR does not allow: az's and Terraform's checks (an empty variable, a
                          # login server's prefix or a hyphen where the name goes)
                          r"\bRegistry names may contain only alpha ?numeric|"
                          r"\balpha ?numeric characters only are allowed in \"name\"|"
                          r"\bThe login server suffix is not valid for the current cloud|"
                          # the parse failure told in words
                          r"\b(?:can ?not|can't|could ?n[o']?t|unable to|fails? to|failed to) parse (?:the |my |our )?"
                          r"(?:image )?reference\b",
                          re.IGNORECASE)
#: ``pull access denied for NAME`` where NAME has no registry host: the pull went to Docker Hub, not to ACR.
_HUB_LOOKUP = re.compile(r"pull access denied for (?![\w.-]+\.[\w.-]+/|[\w-]+:\d+/)[\w./-]+, repository does not exist",
                         re.IGNORECASE)
#: The dot before azurecr.io typed as a hyphen or underscore: ``navdocker.az-azurecr.io`` (a domain typed wrong
#: otherwise is :func:`misspelt_login_domain`'s).
_TYPO_HOST = re.compile(r"\b[a-z0-9][\w.-]{0,60}(?:-azurecr\.io|_azurecr\.io)\b", re.IGNORECASE)


#: A login server whose domain is a letter or two off ``azurecr.io`` (``azureacr.io``, ``azurcr.io``, ``azurerc.io``,
#: ``azure.cr.io``) or ``azurecr`` under another top-level domain (``.com``, ``.net``, ``.i``): no registry answers
#: there, whatever the error that follows (a DNS failure, a 503 from whoever owns the name, a refused login).
_NEAR_SUFFIX = re.compile(r"(?<=[\w\]\}>)$-])[._-](?P<label>(?:azure[.-])?[a-z]{0,9}(?:cr\.io|rc\.io|cr\.oi|rc\.oi|"
                          r"cr\.co|rc\.co|cr\.net|rc\.net|cr\.org|cr\.i|cr\.ip))(?![\w-])|"
                          r"(?<=[\w\]\}>)$-])[._-](?P<other>azurecr\.[a-z]{1,4})(?![\w-])", re.IGNORECASE)
_LOGIN_DOMAINS = frozenset({"azurecr.io", "azurecr.cn", "azurecr.us", "azurecr.de"})


def _distance(a: str, b: str) -> int:
    """Edits (insert, delete, change, swap two neighbours) from ``a`` to ``b``: how a hand types a name wrong."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            d = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                d = min(d, prev2[j - 2] + 1)
            cur.append(d)
        prev2, prev = prev, cur
    return prev[-1]


def misspelt_login_domain(line: str) -> str | None:
    """The login server's domain as typed, when it is near ``azurecr.io`` but is not an Azure registry domain."""
    for m in _NEAR_SUFFIX.finditer(line):
        typed = (m.group("label") or m.group("other")).lower()
        if typed in _LOGIN_DOMAINS:
            continue
        label, _, tld = typed.rpartition(".")
        if label.replace(".", "").replace("-", "") == "azurecr" or \
                (tld in ("io", "oi") and 0 < _distance(label.replace(".", "").replace("-", ""), "azurecr") <= 2):
            return typed
    return None


#: The command line itself was wrong: az's argument parser refusing it (an empty variable shifts the words, a
#: quote splits one), or a pipeline variable that was never set reaching a name as its literal text
#: (``Image tag $(gitCommitHash)-qa does not exist``, Azure DevOps' unset-variable syntax; ``${TAG}``, ``$REPO``).
_BAD_COMMAND_LINE = re.compile(r"\bunrecognized arguments:|\bthe following arguments are required:|"
                               r"\bexpected one argument\b|"
                               # az naming a command that its group does not have ("'purge' is not in the 'az acr'
                               # command group": acr purge runs inside a task, az acr run --cmd)
                               r"\bis not in the '[\w -]+' command group\b|"
                               # az acr login needing a docker daemon where there is none: --expose-token was meant
                               r"\brequires running the docker daemon, which is not supported in Azure Cloud Shell|"
                               # ACR Tasks refusing the build request's values (an upper-case image name)
                               r"\bSome of the properties of 'buildRequest' are invalid", re.IGNORECASE)
#: A login server where az wants a repository or image name (``--repository x.azurecr.io/web``).
_SERVER_AS_NAME = re.compile(r"\baz acr \w+\b[^\n]*?(?:--repository |--repository=|--image |--image=)['\"]?"
                             r"[\w.-]+\.azurecr\.(?:io|cn|us)/", re.IGNORECASE)
_UNSET_VARIABLE = re.compile(r"(?:\$\(\w[\w.]*\)|\$\{\w+\}|\$[A-Z][A-Z0-9_]{2,})[^\n]{0,80}?"
                             r"\b(?:does ?n[o']?t exist|not found|is not found|invalid|unknown|denied|not known)|"
                             r"\b(?:invalid|not found|does not exist|unknown)\b[^\n]{0,40}?"
                             r"(?:\$\(\w[\w.]*\)|\$\{\w+\}|\$[A-Z][A-Z0-9_]{2,})")


#: ACR's DENIED code as az and the SDKs print it: the registry answered, so the name reached it.
_ACR_DENIED_CODE = re.compile(r"\(DENIED\)|Code: DENIED|ErrorCode: DENIED|\"code\":\s*\"DENIED\"")


#: A push or pull of a reference with no registry host (``nerdctl push myregistry/app:1``): the client went to Docker
#: Hub, whatever registry it logged in to; its "access denied" is Docker Hub's.
_HOSTLESS_COMMAND = re.compile(r"\b(?:docker|nerdctl|podman|buildah) (?:image )?(?:push|pull) (?:-\S+ )*"
                               r"(?![\w.-]+\.[\w.-]+/|[\w.-]+:\d+/|localhost/)[a-z0-9][\w.-]*/[\w./-]+(?::[\w.-]+)?(?:\s|$)",
                               re.IGNORECASE)
_ACCESS_DENIED = re.compile(r"\b(?:push|pull) access denied\b|requested access to the resource is denied",
                            re.IGNORECASE)


#: The typo recogniser's keywords but the registry host (which only the two-registries test needs).
#: Client commands that name an image: a host in them is the one the client signs in to.
_DOCKER_VERBS = tuple(f"{tool} {verb}" for tool in ("docker", "podman", "nerdctl")
                      for verb in ("push", "pull", "tag", "run"))
_TYPO_WORDS = ("invalid", "valid repository", "alpha", "characters only", "command group", "--repository ",
               "--repository=", "--image ", "--image=", "cloud shell",
               "lowercase", "lower case",
               "not valid for the current cloud",
               "could not parse", "must be", "-azurecr.io", "_azurecr.io",
               "privatelink.azurecr", "no such host", "library/", "parse",
               "to pull", "[docker.io/", "manifest docker.io/", "requested access", "image does not exist locally",
               "no such image", "tag does not exist", "pull access denied", "typo", "misspel", "mistyped",
               "should not contain a tag", "://$", "uppercase characters are detected", *_DOCKER_VERBS,
               "already exists in",
               "spel", "wrong", "instead of", " vs", "pushed to", "pull from", "pulls from", "pulling from",
               "pulled from", "arguments", "expected one argument", "$", "no host in request", "unsupported protocol",
               "access denied")


#: A registry's host written with upper-case letters in a docker command, or az's own warning about it: az acr login
#: stores the credentials under the lower-case host, so docker finds none for the host as typed and the push or pull
#: is refused (az: "Uppercase characters are detected in the registry name … use all lowercase").
_UPPER_HOST = re.compile(r"\b(?:" + "|".join(_DOCKER_VERBS) + r")\b[^\n]*?(?<![\w.-])"
                         r"(?=[\w-]*[A-Z])[A-Za-z0-9][\w-]*\.azurecr\.(?:io|cn|us)\b|"
                         r"Uppercase characters are detected in the registry name")
_VERB_CALL = re.compile(r"\b(?:" + "|".join(_DOCKER_VERBS) + r")\b")
_HOST_TOKEN = re.compile(r"(?<![\w.-])[A-Za-z0-9][\w-]*\.azurecr\.(?:io|cn|us)\b")


def upper_host(line: str) -> bool:
    """What :data:`_UPPER_HOST` matches, in time linear in the line: the pattern's lazy scan after each verb is
    quadratic on a line that repeats the verb ("docker push " over 96 KiB took 3 s). A host token after the first
    verb, with an upper-case letter in its name, or az's warning."""
    if "Uppercase characters are detected in the registry name" in line:
        return True
    verb = _VERB_CALL.search(line)
    if verb is None:
        return False
    return any(any(c.isupper() for c in m.group(0).split(".", 1)[0]) for m in _HOST_TOKEN.finditer(line, verb.end()))


#: A Helm chart repository added at the registry's bare login server (``helm repo add x https://REG.azurecr.io`` then
#: ``Failed to fetch https://REG.azurecr.io/index.yaml : 404``): ACR never served a chart index there; its retired
#: Helm repository was under /helm/v1/repo, and charts are OCI artifacts now (bitnami/azure-marketplace-charts#9).
_HELM_ROOT_INDEX = re.compile(r"\bhttps?://[\w.-]+\.azurecr\.(?:io|cn|us)/index\.yaml\b|"
                              r"\bhttps?://[\w.-]+\.azurecr\.(?:io|cn|us)/?\"? is not a valid chart repository",
                              re.IGNORECASE)


#: A Docker distribution registry's 401 (its access record has a "Class" field, ACR's has none) for a one-word
#: repository name: Docker Hub keeps its official images under library/ and answers 401, not 404, for a name it does
#: not hold, so "gcc" where "library/gcc" was meant reads as a refusal (dotnet/docker-tools#1847). 0.7: another
#: registry with one-word names would answer the same to missing credentials.
_BARE_NAME_ELSEWHERE = re.compile(r'\\?"Class\\?"\s*:\s*\\?"\\?"\s*,\s*\\?"Name\\?"\s*:\s*\\?"[a-z0-9._-]+\\?"',
                                  re.IGNORECASE)


#: A push whose reference names a registry host (a dot or a port before the first slash, not Docker Hub's): it went
#: where it was meant to (an on-premises connected registry, another registry), not to Docker Hub by a missing host.
_HOSTED_PUSH = re.compile(r"\b(?:docker|podman|nerdctl) push (?:--?\S+ )*(?!docker\.io/|index\.docker\.io/)"
                          r"[\w-]+(?:\.[\w-]+)+(?::\d+)?/|\b(?:docker|podman|nerdctl) push (?:--?\S+ )*[\w-]+:\d+/")


def _detect_typo(line: str, context: str, seen: Seen) -> str | None:
    low = fold(line)
    if "cache rule" in low and LIBRARY_NESTED.search(line):
        return None  # the rule's mapping wrote library/ in front of the namespace, not the user
    if '"class' in low and "aka.ms/acr" not in low and _BARE_NAME_ELSEWHERE.search(line):
        return "elsewhere:typo"
    if ("index.yaml" in low or "chart repository" in low) and _HELM_ROOT_INDEX.search(line):
        return "elsewhere:typo"
    if ("docker " in low or "podman " in low or "nerdctl " in low or "uppercase" in low) and upper_host(line):
        return "elsewhere:typo"
    if not any(w in low for w in _TYPO_WORDS):
        # Only a contrast word brought the line here: two registries named against each other, or nothing.
        return "elsewhere:typo" if _two_registries(line) else None
    if _TYPO_STRONG.search(line):
        return "elsewhere:typo"
    if "access denied" in low and _ACCESS_DENIED.search(line) and _HOSTLESS_COMMAND.search(context):
        return "elsewhere:typo"
    if ("--repository" in low or "--image" in low) and _SERVER_AS_NAME.search(line):
        return "elsewhere:typo"
    if (("argument" in low or "command group" in low or "cloud shell" in low or "buildrequest" in low)
            and _BAD_COMMAND_LINE.search(line)) or (
            "$" in line and _UNSET_VARIABLE.search(line)):
        return "elsewhere:typo"
    hit = (_TYPO_HOST.search(line) or _PRIVATELINK_NAME.search(line) or _IMPLICIT_LATEST.search(line)
           or _HUB_LOOKUP.search(line) or _TYPO_PROSE.search(line) or _two_spellings(line) or _two_registries(line))
    if not hit and _DOCKER_IO_PUSH.search(line) and "cache rule" not in low:
        # (a cache rule's own refusal names its upstream: the rule's answer, not a push that went to Docker Hub)
        # Docker Hub's refusal, unless the lines around it show the push went to an Azure registry. The same words
        # with ACR's error code (az's "(DENIED) Requested access …", an SDK's "Code: DENIED") are ACR's own.
        low = context.lower()
        hit = "docker.io/" in low or (".azurecr." not in low and "push" in low and not _ACR_DENIED_CODE.search(context)
                                      and not _HOSTED_PUSH.search(context))
    return "elsewhere:typo" if hit else None


#: What lets a line reach :func:`misspelt_login_domain`: the common slips (a letter dropped, doubled, swapped or
#: added; another top-level domain), none of which a correct login server contains. "cr.io" itself would let every
#: line naming the registry through (thousands in a build log), so rarer slips are left unread.
_TYPO_DOMAIN_STEMS = ("azureacr", "azurcr", "azuercr", "azurerc", "azruecr", "auzrecr", "azuecr", "azrecr", "azurecrr",
                      "azzurecr", "azurec.io", "azure.cr.", "azure-cr.", ".azurecr.co", ".azurecr.net", ".azurecr.org",
                      ".azurecr.oi")
_TYPO_DOMAIN = re.compile("|".join(re.escape(s) for s in _TYPO_DOMAIN_STEMS), re.IGNORECASE)


def _detect_typo_domain(line: str, context: str, seen: Seen) -> str | None:
    return "elsewhere:typo" if _TYPO_DOMAIN.search(line) and misspelt_login_domain(line) else None


_TAG_TAKEN = re.compile(r"already exists in (?:the )?target registry", re.IGNORECASE)


def _build_typo(mode: str, hits: Sequence[Hit]) -> Built:
    if any(_BARE_NAME_ELSEWHERE.search(h.line) for h in hits):
        return Built(
            "Another registry refused a one-word repository name (official images are library/NAME)",
            "A Docker distribution registry (not ACR: its 401 carries a \"Class\" field ACR's does not) refused a "
            "repository named without a namespace",
            "Docker Hub keeps its official images under library/ (library/gcc, not gcc) and answers 401 "
            "authentication required, rather than 404, for a repository it does not hold, so a name missing its "
            "namespace reads as a refusal. The image reference (an az acr import --source, a FROM line, a cache "
            "rule's source) needs the full name; nothing in your Azure registry refused anything.",
            Step("Check the full name of the image at its source (docker.io/library/NAME for official images)."),
            Step("Write the reference with its namespace: docker.io/library/NAME:TAG."),
            (DOCS_REFERENCE,),
            confidence=0.7)
    if any(_HELM_ROOT_INDEX.search(h.line) for h in hits):
        return Built(
            "The chart repository URL is not one the registry serves",
            "Helm looked for a chart index (index.yaml) at the registry's bare login server",
            "ACR never served a Helm chart index at https://REGISTRY.azurecr.io/; its Helm repository (now retired) "
            "was at https://REGISTRY.azurecr.io/helm/v1/repo, and Helm 3 keeps charts in the registry as OCI "
            "artifacts, read with helm pull oci://REGISTRY.azurecr.io/REPOSITORY --version X. The registry is not "
            "refusing anything.",
            Step("List what the registry holds as charts (OCI repositories).",
                 (ReadCommand(("az", "acr", "repository", "list", "--name", _registry(hits[0].names), "--output",
                               "table"), "list repositories"),)),
            Step("Use the URL the chart's publisher documents, or pull the chart as OCI: helm registry login "
                 "REGISTRY.azurecr.io, then helm pull oci://REGISTRY.azurecr.io/REPOSITORY --version X."),
            ("https://learn.microsoft.com/azure/container-registry/container-registry-helm-repos",),
            confidence=0.8)
    if any(_TAG_TAKEN.search(h.line) for h in hits):
        return Built(
            "The import's target tag already exists",
            "az acr import refused to replace a tag the target registry already has (Conflict)",
            "az acr import never overwrites an existing tag unless it is asked to (--force); the registry kept the "
            "image the tag points at. Nothing is wrong with either registry.",
            Step("See what the tag points at now before replacing it.",
                 (ShowImage(RegistryRef(_registry(hits[0].names)), hits[0].names.get("repository"),
                            tag=hits[0].names.get("tag")),)),
            Step("Import under another tag, or run the same az acr import again with --force to move the tag (the "
                 "image it pointed at stays, untagged, until a cleanup removes it)."),
            ("https://learn.microsoft.com/azure/container-registry/container-registry-import-images",),
            confidence=0.85)
    return Built(
        "The image or registry name is malformed (a typo)",
        "The client rejected the name before asking any registry, or the registry's login server is misspelled",
        "Image references are lowercase REGISTRY.azurecr.io/REPOSITORY:TAG; an upper-case letter, a stray space "
        "or quote, an empty variable, or a misspelled login server fails on the client. ACR is never reached.",
        Step("Print the exact reference the command used (a variable in a pipeline may be empty), and the "
             "registry's real login server.",
             (ReadCommand(("az", "acr", "show", "--name", _registry(hits[0].names), "--query", "loginServer",
                           "--output", "tsv"), "show the login server"),)),
        Step("Correct the name: lowercase repository, REGISTRY.azurecr.io as the login server, no spaces or "
             "quotes inside the reference."),
        (DOCS_REFERENCE,),
        confidence=max(0.85 if any_of(_TYPO_STRONG, _TYPO_HOST, _PRIVATELINK_NAME, _HUB_LOOKUP, _BAD_COMMAND_LINE,
                                      _UNSET_VARIABLE).search(h.line) else
                       # the case of the host alone: likely, not certain (0.7, below the floor)
                       0.7 if upper_host(h.line) else
                       0.8 if _ACCESS_DENIED.search(h.line) and _HOSTLESS_COMMAND.search(h.context) else
                       0.85 if _DOCKER_IO_PUSH.search(h.line) and "docker.io/" in h.context.lower() else
                       0.65 if _DOCKER_IO_PUSH.search(h.line) else
                       0.6 if (_TYPO_PROSE.search(h.line) or _two_spellings(h.line) or _two_registries(h.line))
                       and not _IMPLICIT_LATEST.search(h.line) else 0.75
                       for h in hits),
    )


def _build_slip(mode: str, hits: Sequence[Hit]) -> Built:
    """A ticket whose failing name has another spelling elsewhere in it (:func:`other_spelling`)."""
    n = hits[0].names
    typed, other = other_spelling(n, hits[0].context) or ("", "")
    return Built(
        "The name that fails is a misspelling of one the ticket also names",
        f"The failure is about '{typed}'; the ticket also names '{other}', one typing slip away",
        "A name one letter off (dropped, doubled, swapped, or a letter read as a digit) is another name to the "
        "registry and to DNS: the registry answers for the name it was given, which does not exist. Nothing in the "
        "registry needs to change.",
        Step("Compare the reference the command used (its values file, pipeline variable or deployment) with the "
             "registry's own names.",
             (ReadCommand(("az", "acr", "repository", "list", "--name", _registry(n), "--output", "table"),
                          "list repositories"),)),
        Step(f"Correct the name where it is configured ('{other}' rather than '{typed}', if that is the one meant), "
             "then retry."),
        (DOCS_REFERENCE,),
        confidence=0.92,
    )


#: Asked by the ticket scan about the names that failed (:func:`other_spelling`), not by lines: not among
#: :data:`RECOGNISERS`.
NAME_SLIP = asked_by_the_scan("name-slip", ("elsewhere:typo",), _build_slip)


# --- client bug -----------------------------------------------------------------------------------------------------

#: A login server with the registry domain twice (``x.azurecr.us.azurecr.io``): the tool appended the suffix to a
#: name that had one already (az aks check-acr given a sovereign-cloud login server).
_DOUBLE_SUFFIX = re.compile(r"\.azurecr\.io\.azurecr\.|\.azurecr\.us\.azurecr\.|\.azurecr\.cn\.azurecr\.",
                            re.IGNORECASE)
_BUG_STRONG = re.compile(r"The command failed with an unexpected error\. Here is the traceback|"
                         r"\bpanic: runtime error\b|\bpanic: assignment to entry in nil map|"
                         r"invalid memory address or nil pointer dereference", re.IGNORECASE)
#: A blob pushed in one request larger than the registry accepts: the client's upload strategy (chunking), not ACR's.
_TOO_LARGE = re.compile(r"\b413 Request Entity Too Large|status code:? 413\b|\bHTTP 413\b", re.IGNORECASE)
#: Prose: another release or another client works with the same registry and credentials.
_VERSION_PROSE = re.compile(r"\b(?:one|a|an|two) (?:version|release)s? (?:older|earlier)\b[^\n]{0,40}?"
                            r"\b(?:works?|working|is fine|ok)\b|"
                            r"\b(?:pinning|pinned|pin|downgrad\w*|roll(?:ing|ed)? back|revert\w*)\b[^\n]{0,60}?"
                            r"\b(?:previous|older|earlier)(?: [\w.-]+)? (?:release|version)|"
                            r"\bsame (?:registry|identity|token|credentials)\b[^\n]{0,60}?\b(?:works|pass|succeed)|"
                            r"\b(?:pass(?:es)?|works|succeeds)\b[^\n]{0,60}?\bsame (?:registry|identity|token|"
                            r"credentials)\b[^\n]{0,40}?\bsame (?:registry|identity|token|credentials)\b|"
                            r"\b(?:works|succeeds|goes through)\b[^\n]{0,80}?\bsame (?:registry|identity|token|"
                            r"credentials)\b", re.IGNORECASE)
#: Prose: another client tool works against the same registry with the same sign-in ("docker push of the same
#: image works, the maven plugin gets unauthorized", "docker and podman log in with the same token"): the registry
#: and the identity are fine, the failing client handles ACR's token flow wrong. Read inside one sentence; another
#: machine or network working instead (a laptop, an agent, a VNet) points at that environment, not at a client.
_TOOL = (r"(?:docker|podman|nerdctl|crane|skopeo|oras|helm|regctl|buildah|kaniko|jib|maven|mvn|gradle|harbor|curl|"
         r"the portal|azure cli|powershell|ctr|crictl|buildkit|buildx)")
_SAME_THING = (r"\bsame (?:[\w-]+ ){0,2}?(?:registry|registries|acr|identity|token|credentials?|login|password|"
               r"service principal|sp|account|user(?:name)?|secret|pat|key|keys|id|image|repository|repo|chart|"
               r"job|pipeline|step|machine|dockerfile)\b")
_WORKS = (r"\b(?:works?|worked|pass(?:es|ed)?|succeed(?:s|ed)?|goes through|went through|fine(?!-)|"
          r"without (?:any )?(?:problems?|issues?|errors?))\b")
_OTHER_CLIENT_WORKS = re.compile(
    rf"\b{_TOOL}\b[^.!?\n]{{0,80}}?{_SAME_THING}[^.!?\n]{{0,60}}?{_WORKS}|"
    rf"\b{_TOOL}\b[^.!?\n]{{0,80}}?{_WORKS}[^.!?\n]{{0,80}}?{_SAME_THING}|"
    rf"{_SAME_THING}[^.!?\n]{{0,60}}?\b{_TOOL}\b[^.!?\n]{{0,60}}?{_WORKS}", re.IGNORECASE)
_ELSEWHERE_WORKS = re.compile(r"(?<!same )\b(?:laptop|machine|computer|pc|vm|agent|runner|node|cluster|network|"
                              r"vnet|office|home|locally|on-prem\w*|subnet|proxy|vpn)\b", re.IGNORECASE)


#: What only seems to work ("az acr login to the same registry appears to succeed, but pushes fail afterwards")
#: is the same flow failing later, not another client working.
_LOGIN_ONLY = re.compile(r"\b(?:appears?|seems?) to (?:succeed|work)", re.IGNORECASE)


def _contrast_here(pattern: re.Pattern[str], line: str) -> bool:
    """A contrast ("another client works", "the previous release works") made on the same machine and network: one
    naming another machine or network (a laptop against an agent) points at that environment, not at a client."""
    return any(not _ELSEWHERE_WORKS.search(m.group(0)) and not _LOGIN_ONLY.search(m.group(0))
               for m in pattern.finditer(line))


def _other_client_works(line: str) -> bool:
    return _contrast_here(_OTHER_CLIENT_WORKS, line)


#: It worked before an upgrade of the client ("the same access ID worked before the upgrade", "since we moved Argo CD
#: to 2.7.8 … fails", "since we started deploying with the pipeline task … rejected"): the change was the client's.
_CLIENT_CHANGED = re.compile(
    r"\b(?:worked|was working|were working|was fine|used to work)\b[^.\n]{0,40}?\bbefore (?:the|our|we|I|this)\b"
    r"[^.\n]{0,30}?\b(?:upgrad\w*|updat\w*|new version)|"
    r"\b(?:after|since) (?:we |I )?(?:moved|bumped|switched|went|migrated|upgraded|updated)\b(?P<what>[^.\n]{0,40}?)"
    r"\bto (?:[A-Za-z][\w-]* ){0,3}?(?:v(?:ersion)? ?)?\d+\.\d+(?:\.\d+)?\b"
    r"[^\n]{0,160}?\b(?:fails?|failing|failed|broke|broken|no longer|"
    r"stopped|unhealthy|errors?|crash\w*|refused|rejected)\b|"
    r"\b(?:after|since)\b(?P<newer>[^.\n]{0,50}?\bnewer (?:[\w.-]+ ){0,2}?(?:release|version|build)s?)"
    r"\b[^\n]{0,160}?\b(?:fails?|failing|failed|broke|broken|no longer|stopped|rejected|refused)\b|"
    r"\b(?:after|since) (?:we |I )?(?:started using|started deploying with|started building with|began using|"
    r"switched to using|moved to using)\b"
    r"(?P<tool>[^.\n]{0,80}?\b(?:task|plugin|action|extension|provider|module|operator|"
    r"controller|tool|sdk|library)\b)[^\n]{0,160}?\b(?:fails?|failing|failed|broke|broken|no longer|stopped|"
    r"rejected|refused|unauthori[sz]ed)\b", re.IGNORECASE)
#: What an upgrade of is not a client's: the cluster, its nodes, the registry's tier.
_NOT_A_CLIENT = re.compile(r"\b(?:cluster|aks|kubernetes|k8s|nodes?|node ?pools?|sku|tier|premium|standard|"
                           r"registry|acr)\b", re.IGNORECASE)


def _contrast_blames_client(line: str) -> bool:
    return _contrast_here(_VERSION_PROSE, line)


def _client_changed(line: str) -> bool:
    return any(not _NOT_A_CLIENT.search(m.group("what") or m.group("tool") or m.group("newer") or "")
               for m in _CLIENT_CHANGED.finditer(line))


#: Prose: it broke with a new release of the client, or an older release works ("worked with the previous version
#: of the CLI", "after upgrading Docker Desktop it fails", "downgrading fixed it"). A guess from words: 0.6.
#: The client named: the tool upgraded, not the registry's tier, the cluster or an image.
_CLIENT = (r"(?:az\b|azure[- ]cli|(?:the )?cli\b|docker(?: desktop| engine| cli)?\b|desktop\b|oras\b|sdk\b|client\b|"
           r"helm\b|buildx\b|acr-cli\b|extension\b|plugin\b|terraform\b|(?:azurerm )?provider\b|skopeo\b|crane\b|"
           r"podman\b|containerd\b|notation\b|regctl\b|azure-containerregistry\b|package\b|argo ?cd\b|flux\b|"
           r"kaniko\b|jib\b)")
#: "After I do brew upgrade of azure-cli": the upgrade as run through a package manager.
_MANAGER = r"(?:do |did |ran |run )?(?:a )?(?:brew |pip |apt |apt-get |choco |winget |npm |yum |dnf )?"
_UPGRADE_PROSE = re.compile(
    r"\b(?:worked|works|working|used to work|was fine|were fine|succeeded)\b[^\n]{0,60}?\b(?:previous|older|"
    r"earlier)(?: [\w.-]+)? (?:release|version|build) of (?:the |our )?" + _CLIENT + "|"
    + "|".join(rf"\b(?:after|since) (?:we |I )?{_MANAGER}{v}\w* "
               rf"(?:to |of )?(?:the |our |to )?(?:[\w.-]+ ){{0,2}}?{_CLIENT}"
               rf"[^\n]{{0,80}}?\b(?:fails?|failing|failed|broke|broken|crash\w*|errors?|stopped working|"
               rf"no longer works?|hangs?)\b|"
               rf"\b(?:fails?|failing|failed|broke|broken|crash\w*|stopped working|no longer works?)\b[^\n]{{0,80}}?"
               rf"\b(?:after|since) (?:we |I )?{_MANAGER}{v}\w* "
               rf"(?:to |of )?(?:the |our |to )?(?:[\w.-]+ ){{0,2}}?{_CLIENT}"
               for v in ("upgrad", "updat")) + "|"
    r"\b(?:downgrad\w*|roll(?:ing|ed)? back)\b (?:to |the |our )?(?:[\w.-]+ ){0,2}?(?:" + _CLIENT
    + r"|v?\d+\.\d+)[^\n]{0,60}?\b(?:fix\w*|works?|worked|solv\w*|resolv\w*|helped)\b|"
    # "going back to CLI 2.5.1 on the same agent makes it work again": another release of the client cures it
    r"\b(?:going|went|switch\w*|gone) back to (?:the |an? )?(?:[A-Za-z][\w.-]* ){0,3}?"
    r"v?\d+\.\d+(?:\.\d+)?\b[^.\n]{0,80}?\b(?:works? again|work(?:s|ed|ing)? again|fix\w*|solv\w*|resolv\w*)\b|"
    # the same with the release unnumbered: "going back to the previous Skaffold release makes pushes work again"
    r"\b(?:going|went|switch\w*|gone) back to (?:the |an? )?(?:previous|older|earlier|last) (?:[A-Za-z][\w.-]* ){0,2}?"
    r"(?:release|version|build)\b[^.\n]{0,80}?\b(?:works? again|work(?:s|ed|ing)? again|fix\w*|solv\w*|resolv\w*)\b|"
    # "rolling Azure.Core back to 1.32.0 makes it work again"
    r"\broll(?:ing|ed)? [\w.-]+ back to v?\d+\.\d+[^\n]{0,80}?\b(?:fix\w*|works?|worked|work again)\b|"
    # "upgrading the azurerm provider fixed it": a newer client cured it, so the older one had the bug
    r"\b(?:upgrad|updat)\w* (?:to |the |our )?(?:[\w.-]+ ){0,2}?(?:" + _CLIENT
    + r"|v?\d+\.\d+)[^\n]{0,40}?\b(?:fixed|solved|resolved|cured|helped)\b|"
    # two releases of one client compared: "helm 3.13 cannot push …, but helm 3.12 with the same login works"
    r"\b" + _CLIENT + r" ?v?\d+\.\d+(?:\.\d+)?\b[^\n]{0,160}?\b(?:but|while|whereas|yet)\b[^\n]{0,40}?"
    r"\bv?\d+\.\d+(?:\.\d+)?\b[^\n]{0,60}?\b(?:works|worked|is fine|was fine|succeeds|passes)\b", re.IGNORECASE)
#: The client replaced under an unchanged setup, said with the upgrade as a noun or the new release as something
#: received: "since we rolled our Argo CD upgrade", "the build agents just got a newer helm". With a failure on
#: the same line; a guess from words like the rest of this prose (0.7).
_NEWER_CLIENT = re.compile(
    "|".join(r"\b(?:after|since) (?:we |I )?(?:rolled (?:out )?|did |applied |ran |installed )?(?:the |our |an? |"
             r"this |last week's )?(?:[\w.-]+ ){0,2}?" + _CLIENT + rf" ?(?:v?\d+(?:\.\d+)+ )?{noun}\b"
             for noun in ("upgrade", "update")) + "|"
    r"\b(?:got|gets|get|received|picked up|pulled in|came with|were given|now (?:have|has|runs?|uses?|ships?)) "
    r"(?:a |the )?(?:newer |new |updated )(?:version of |release of |build of )?(?:the )?" + _CLIENT,
    re.IGNORECASE)
_CLIENT_FAILS = re.compile(r"\b(?:fails?|failing|failed|broke|broken|no longer|stopped|unauthori[sz]ed|401|403|"
                           r"errors? out|rejected|refused)\b", re.IGNORECASE)


def _newer_client(line: str) -> bool:
    return bool(_NEWER_CLIENT.search(line)) and bool(_CLIENT_FAILS.search(line))


#: The rest of the setup said to be unchanged: with a new client the one change left is the client's (0.8, enough
#: to rank above the registry's own 401 on the same lines).
_NOTHING_ELSE_CHANGED = re.compile(
    r"\bnothing (?:else )?(?:has )?changed\b|\b(?:haven't|have not|hasn't|has not|didn't|did not) (?:touch|chang)\w*|"
    r"\b(?:same|exact|unchanged) (?:setup|config\w*|credentials?|yaml|pipeline|definition)\b|"
    r"\bworked (?:fine )?for (?:months|years|weeks)\b|\b(?:are|is|stayed|stays|remain\w*) (?:unchanged|the same)\b|"
    r"\bthe only (?:difference|change|thing that changed)\b", re.IGNORECASE)


#: The same command works in a fresh shell or session and not after another in the same one: the client keeps
#: state (a cached token or context) between calls (Azure/azure-powershell#14849).
_SESSION_WORDS = tuple(f"{a} {b}" for a in ("new", "fresh")
                       for b in ("powershell", "pwsh", "terminal", "shell", "console", "window", "session", "tab"))
_FRESH_SESSION = re.compile(r"\b(?:" + "|".join(_SESSION_WORDS) + r")\b[^.\n]{0,80}?\b(?:it )?(?:works|worked|"
                            r"succeeds|succeeded|is fine)\b", re.IGNORECASE)

#: A Python traceback by itself: every SDK exception prints one, ACR's refusals included, so it only hints (0.5,
#: below the floor at which a cause elsewhere outranks ACR answers on the same lines).
_TRACEBACK = re.compile(r"Traceback \(most recent call last\)", re.IGNORECASE)
_BUG_MEDIUM = re.compile(r"\bAttributeError: '?\w+'? object has no attribute|\bKeyError: '|"
                         # az reporting docker's warning after a login that worked as an error (az acr login exits 1)
                         r"\bERROR: docker: WARNING!|"
                         # az's SDK and its API profile out of step: a build of the CLI, not the registry
                         r"\bValueError: API version [\w.-]+ does not have operation group|"
                         r"\bTypeError: \w+\(\) (?:got|missing|takes)|NullReferenceException|"
                         r"Object reference not set to an instance of an object|"
                         r"java\.lang\.NullPointerException|\bSegmentation fault\b|SIGSEGV: segmentation violation|"
                         r"TypeError: Cannot read propert(?:y|ies) of (?:undefined|null)|"
                         # the client's own code calling what is not there (a dependency of the wrong version)
                         r"\bTypeError: [\w.$]+ is not a (?:function|constructor)\b|\bReferenceError: \w+ is not "
                         r"defined\b|\bTypeError: '?NoneType'? object\b|\bNameError: name '|"
                         # Python's own errors in the client's code: a variable, an index, a module it lacks
                         r"\bUnboundLocalError: (?:cannot access )?local variable|"
                         r"\bIndexError: (?:list|tuple|string) index out of range|"
                         r"\bModuleNotFoundError: No module named '|\bImportError: cannot import name '|"
                         # Python's TypeError quoted without its name ("ends in 'NoneType' object is not callable")
                         r"'NoneType' object is not (?:callable|subscriptable|iterable)", re.IGNORECASE)
#: A client that cannot read the token the registry answered with: it expected another field (skopeo releases that
#: wanted "token" where ACR answers "access_token", corpus eco-002; serde's "missing field `token`").
_TOKEN_REPLY = re.compile(r"\bmissing field [`'\"]token[`'\"]|"
                          r"\b(?:malformed|unexpected|invalid|unable to (?:parse|decode)|failed to (?:parse|decode|"
                          r"unmarshal))\b[^\n]{0,60}?\b(?:json|response|token)\b[^\n]{0,40}?"
                          r"\"(?:access_token|refresh_token)\"", re.IGNORECASE)
#: A ticket saying the client printed a traceback or stack trace (its own crash, in words).
_CRASH_PROSE = re.compile(r"\b(?:a |with a |prints? a |printed a |shows? a |throws? a |python |long )(?:python )?"
                          r"(?:traceback|stacktrace|stack trace)\b|"
                          # the client's own exception named in words: "the SDK raises a TypeError from its paging"
                          r"\b(?:raises?|raised|throws?|threw|thrown)\b[^.\n]{0,20}?\b(?:a |an )?(?:TypeError|"
                          r"AttributeError|KeyError|IndexError|NullReferenceException|NullPointerException)\b|"
                          r"\bfail\w* with (?:a |an )?python exception|"
                          r"\bthrows?\b[^.\n]{0,20}\b\w+Exception\b[^.\n]{0,30}\bfrom inside\b|"
                          # the client says it worked when the run failed
                          r"\b(?:exits|exit|exited) with (?:code 0|status 0)\b[^.\n]{0,60}\b(?:fail|error)|"
                          r"\balways reports? success\b",
                          re.IGNORECASE)


#: The registry's network is restricted: when another client "works against the same registry", the difference is
#: where each runs (ACR Tasks run outside a private network), not a bug in either client.
_RESTRICTED_NETWORK = re.compile(r"public (?:network )?access (?:is |was )?(?:disabled|off|turned off|denied)|"
                                 r"(?:disabled|turned off|switched off) public (?:network )?access|private endpoints?|"
                                 r"private link|selected networks|\bfirewall\b|network rules?", re.IGNORECASE)


def _detect_bug(line: str, context: str, seen: Seen) -> str | None:
    low = line.lower()
    if ("same " in low or "previous" in low or "older" in low or "earlier" in low) and _contrast_blames_client(line) \
            and not ("same " in low and _RESTRICTED_NETWORK.search(line) and not _UPGRADE_PROSE.search(line)):
        return "elsewhere:client-bug"
    if "same " in low and _other_client_works(line) and not _RESTRICTED_NETWORK.search(line):
        return "elsewhere:client-bug"
    if ("before" in low or "since" in low or "after" in low) and _client_changed(line):
        return "elsewhere:client-bug"
    if ("grad" in low or "updat" in low or "roll" in low or "previous" in low or "older" in low
            or "earlier" in low or "install" in low or "back to" in low or " but " in low or " while " in low
            or " whereas " in low or " yet " in low) \
            and _UPGRADE_PROSE.search(line):
        return "elsewhere:client-bug"
    if ("unexpected error" in low or "panic" in low or "invalid memory" in low) and _BUG_STRONG.search(line):
        return "elsewhere:client-bug"
    if ("error" in low or "exception" in low or "reference" in low or "segment" in low or "object is not" in low
            or "_token" in low) and _BUG_MEDIUM.search(line):
        return "elsewhere:client-bug"
    if ("traceback" in low or "stack" in low or "error" in low or "exception" in low) and _CRASH_PROSE.search(line):
        return "elsewhere:client-bug"
    if ("upgrade" in low or "update" in low or "newer" in low or "new " in low) \
            and _newer_client(line):
        return "elsewhere:client-bug"
    if ("new " in low or "fresh " in low) and _FRESH_SESSION.search(line):
        return "elsewhere:client-bug"
    if "traceback" in low and _TRACEBACK.search(line):
        return "elsewhere:client-bug"
    if ("io.azurecr." in low or "us.azurecr." in low or "cn.azurecr." in low) and _DOUBLE_SUFFIX.search(line):
        return "elsewhere:client-bug"
    if "413" in low and _TOO_LARGE.search(line):
        return "elsewhere:client-bug"
    if ("api" in low or "task" in low or "httpclient" in low or "oauth" in low or "token" in low) \
            and any_of(_OLD_API, _CLIENT_TIMEOUT, _TOKEN_400, _TOKEN_REPLY).search(line):
        return "elsewhere:client-bug"
    if ("accept header" in low or "authentication information" in low or "invalidauthenticationinfo" in low
            or "manifest_invalid" in low) \
            and _CLIENT_REQUEST.search(line):
        return "elsewhere:client-bug"
    if ("aadsts5000" in low or "invalid_resource" in low) and _WRONG_AUDIENCE.search(line):
        return "elsewhere:client-bug"
    if "/helm/v1/_blobs/" in low and _HELM_BLOB_PATH.search(line):
        return "elsewhere:client-bug"
    if ("aadsts500011" in low or "invalid_resource" in low) and _REGISTRY_AS_AUDIENCE.search(line):
        return "elsewhere:client-bug"
    if "missing property" in low and _MISSING_PROPERTY.search(line):
        return "elsewhere:client-bug"
    if "www-authenticate.json" in low and _BAZEL_TOKEN.search(line):
        return "elsewhere:client-bug"
    if ("401" in low or "unauthori" in low or "authentication required" in low or "token" in low) \
            and (_context_fault(context) or _bare_token_key(context)):
        return "elsewhere:client-bug"
    return None


#: What the client printed of its own failure, as against words about which release of it works.
_CRASHED = any_of(_BUG_STRONG, _BUG_MEDIUM, _TRACEBACK, _CRASH_PROSE, _DOUBLE_SUFFIX, _TOO_LARGE)
#: ARM refusing the API version a client asked with (``NoRegisteredProviderFound … API version '2016-06-27-preview'``,
#: ``InvalidApiVersionParameter``): the client's SDK is older (or newer) than the service it calls
#: (wercker/wercker#364).
_OLD_API = re.compile(r"\bNoRegisteredProviderFound\b|\bInvalidApiVersionParameter\b|"
                      r"\bThe supported api-versions are\b", re.IGNORECASE)
#: .NET's HttpClient giving up on its own timer (100 s unless set): a large layer upload outlives it
#: (dotnet/sdk-container-builds#386). Said by the client, not answered by the registry.
_CLIENT_TIMEOUT = re.compile(r"\bThe request was canceled due to the configured HttpClient\.Timeout\b|"
                             r"\bTaskCanceledException: A task was canceled\b", re.IGNORECASE)
#: The registry's token endpoint answering 400 to a client's request: the request itself was malformed (containerd
#: and nerdctl releases that posted the wrong form for a username and password; corpus fb-007). 0.65: a guess.
_TOKEN_400 = re.compile(r"failed to fetch oauth token: unexpected status: 400\b", re.IGNORECASE)
#: ACR telling the client its request cannot carry the answer: an OCI index or artifact asked for with an Accept
#: header that lacks their media types (az acr manifest before azure-cli PR #25353); and Azure Storage refusing a
#: layer download that carried the registry's Authorization header into the storage redirect (Renovate, and
#: error_texts row 23). Both are the client's request.
_CLIENT_REQUEST = re.compile(r"\bfound, but accept header does not support\b|\bMANIFEST_INVALID\b|"
                             r"Authentication information is not given in the correct format|"
                             r"<Code>InvalidAuthenticationInfo</Code>", re.IGNORECASE)
#: The Microsoft identity platform refusing the registry's audience (``AADSTS50001 … Requested resource:
#: 'https://containerregistry.azure.net'``): that resource is the public cloud's; a client asking for it in Azure
#: Stack / Azure Local or a sovereign cloud asks for something that cloud does not have (azure-cli#33674).
_WRONG_AUDIENCE = re.compile(r"\b(?:AADSTS500011?|invalid_resource)\b[^\n]*?containerregistry\.azure\.net",
                             re.IGNORECASE)
#: Microsoft Entra ID asked for a token whose resource is the registry's own URL (``AADSTS500011: The resource
#: principal named https://REG.azurecr.io/ was not found``): no application is named after a registry, so Entra
#: refuses before ACR is asked. A client signs in for the registry audience (https://containerregistry.azure.net) or
#: ARM's and exchanges that token at the registry (external-secrets#2244, fixed by building the scope that way).
_REGISTRY_AS_AUDIENCE = re.compile(r"\b(?:AADSTS500011|invalid_resource)\b[^\n]*?resource principal named "
                                   r"https?://[\w.-]+\.azurecr\.(?:io|cn|us)", re.IGNORECASE)
#: AutoRest's client-side check of a request body (Az PowerShell's generated cmdlets): a property the operation
#: requires was not set, though no parameter of the cmdlet asked for it, so the script ran until the call. A
#: release that made the property required (Import-AzContainerRegistryImage's target tags; azure-sdk-for-js#26526,
#: fixed by passing -TargetTag) breaks scripts that worked: the cmdlet's, not the registry's.
_MISSING_PROPERTY = re.compile(r"\bMissing property parameters\.\w+ for the operation\b", re.IGNORECASE)
#: A chart URL with ACR's retired Helm repository path cut short (``…/helm/v1/_blobs/chart.tgz``, where the
#: repository is ``…/helm/v1/repo``): the tool joined the repository URL and the chart's path wrongly
#: (fluxcd/flux#1784, a trailing slash decided it).
_HELM_BLOB_PATH = re.compile(r"\.azurecr\.(?:io|cn|us)/helm/v1/_blobs/", re.IGNORECASE)
#: Bazel's downloader fetching the registry's token endpoint itself into rules_oci's ``www-authenticate.json`` and
#: answered 401: rules_oci asked for the token with no credentials, since the releases before its OAuth2 support
#: (bazel-contrib/rules_oci#626) did not use the identity token az acr login writes into the Docker config
#: (bazel-contrib/rules_oci#475, the same text in #626's thread). docker and podman pull the same image.
_BAZEL_TOKEN = re.compile(r"Error downloading \[https://[^\]\s]+/oauth2/token\?[^\]\s]*\] to [^\n]*?"
                          r"www-authenticate\.json: GET returned 401\b", re.IGNORECASE)
#: Faults told by the lines before the failing one as well as by it (the pattern reads the hit's context, which ends
#: with the failing line).
#: A program driving the Docker engine through a library that reads no `docker login` config (Docker.DotNet, whose
#: exceptions print their namespace; dockerode, whose errors read "(HTTP code 500) server error") gets the registry's
#: 401 back inside the engine's error. The engine signs in with what the caller sends (the X-Registry-Auth header),
#: so the program sent no credentials, or not the identity token az acr login stores (testcontainers-dotnet#841,
#: ga4gh-tes#797). App Service's own container host prints the short "DockerApiException:" for its pulls: a web
#: app's registry settings, not a client's code, so the unqualified name is not read here.
_ENGINE_API_401 = re.compile(r"(?:\bDocker\.DotNet\.DockerApiException\b|\(HTTP code \d{3}\) [\w ]{0,20}error\b)"
                             r"[\s\S]{0,400}?(?:\bunauthori[sz]ed\b|authentication required|\b401\b)", re.IGNORECASE)
#: The client says it took an anonymous token, then its write is refused: it pushed without its credentials
#: (PSResourceGet asked anonymously when the registry allowed anonymous pull; PowerShell/PSResourceGet#1906).
_ANONYMOUS_WRITE = re.compile(r"\banonymous (?:access |bearer )?token (?:retrieved|obtained|acquired|received|"
                              r"fetched|granted)\b[\s\S]{0,600}?\b(?:upload|push|publish|PUT|PATCH|POST)\w*\b"
                              r"[^\n]{0,200}?(?:\b401\b|\bunauthori[sz]ed\b)", re.IGNORECASE)
#: Python's KeyError printed bare under a token error (``Error getting token …`` then ``'token'``): the client looked
#: for a "token" field in the registry's token reply, which ACR names access_token (apptainer/singularity#1622).
_BARE_TOKEN_KEY = re.compile(r"^\s*['\"]token['\"]\s*$")
_CONTEXT_FAULTS = (_ENGINE_API_401, _ANONYMOUS_WRITE)
_CONTEXT_FAULT = any_of(*_CONTEXT_FAULTS)
#: A token reply the client cannot read, said on one line or as a bare KeyError under the token error.
_TOKEN_FIELD = any_of(_TOKEN_REPLY, _BARE_TOKEN_KEY)


def _context_fault(context: str) -> bool:
    """A fault of :data:`_CONTEXT_FAULTS` in the lines up to the hit; their words are tested first, since every 401
    line of a log reaches here with its context."""
    ctx = context.lower()
    words = "docker.dotnet" in ctx or "(http code" in ctx or "anonymous" in ctx
    return words and bool(_CONTEXT_FAULT.search(context))


def _bare_token_key(context: str) -> bool:
    """The hit's line is a bare 'token' and the line before it a token error (substring tests: linear on any line)."""
    parts = context.rsplit("\n", 2)
    if len(parts) < 2 or not _BARE_TOKEN_KEY.match(parts[-1]):
        return False
    before = parts[-2].lower()
    return "token" in before and ("error" in before or "fail" in before)


def _shows(pattern: re.Pattern[str], line: str, context: str) -> bool:
    """Whether a hit's text shows the fault: its line, or for faults told over several lines, its context."""
    if pattern is _TOKEN_FIELD:
        return bool(_TOKEN_REPLY.search(line)) or _bare_token_key(context)
    return bool(pattern.search(context if pattern in _CONTEXT_FAULTS else line))


#: Per kind of client-side fault: title, what the text shows, why it is the client's, and how sure its pattern makes
#: the answer (None: a crash, whose confidence depends on which of its words matched; see _build_bug).
_BUG_KINDS: tuple[tuple[re.Pattern[str], str, str, str, float | None], ...] = (
    (_CRASHED, "The client tool crashed (a bug in it, not a registry answer)",
     "The command failed inside the client (a traceback or a panic), before or instead of reporting an answer "
     "from the registry",
     "A traceback or a Go panic is the client's own failure: a bug in that version of az / acr-cli / the SDK, "
     "often fixed in a later release. Nothing in the registry needs to change.", None),
    # ARM's own code for the API version
    (_OLD_API, "The client asks Azure with an API version the service does not offer",
     "Azure Resource Manager refused the API version the client sent",
     "Each client pins the ARM API versions it calls; a client older than the region or the feature (or one "
     "using a retired preview version) is refused before the registry is asked anything. A current release of the "
     "client, or of the SDK inside it, asks with a supported version.", 0.85),
    (_TOKEN_FIELD, "The client cannot read the registry's token reply",
     "The client failed parsing the token the registry answered with",
     "ACR answers a token request with the fields the registry token protocol names (access_token, refresh_token); "
     "a client built to expect another field name fails on a valid answer. A release of the client that reads "
     "them, or another client, signs in with the same credentials.", 0.8),
    (_CLIENT_REQUEST, "The client's request cannot be answered as it was sent",
     "The registry (or its storage) answered that the client's request itself is not acceptable",
     "ACR answers an OCI index or artifact only to a client whose Accept header lists those media types (az "
     "releases before its OCI support did not); a layer download is redirected to Azure Storage, which refuses a "
     "request that still carries the registry's Authorization header. A current release of the client asks "
     "correctly; nothing in the registry needs to change.", 0.8),
    (_TOKEN_400, "The registry refused the client's token request as malformed (400)",
     "The client's request for a registry token was answered 400 Bad Request",
     "A wrong password is answered 401; a 400 from the token endpoint means the request itself was not one the "
     "registry reads (a form field missing or misnamed), which is how some containerd and nerdctl releases asked. "
     "Another client (docker, oras) signing in with the same credentials tells the two apart.", 0.65),
    (_ENGINE_API_401, "The program calling the Docker engine sent it no registry credentials",
     "The registry's 401 came back through the Docker engine's API, inside the error of the library driving it",
     "A program that pulls through the engine's API with Docker.DotNet or dockerode must send "
     "the registry credentials with each request; the engine does not use what `docker login` or `az acr login` "
     "stored for the CLI. A library that sends none, or ignores the identity token az acr login writes (user "
     "00000000-0000-0000-0000-000000000000), is refused by any private registry. Pass credentials to the library "
     "(for a token: az acr login --expose-token), or use a release that reads the identity token.", 0.8),
    (_ANONYMOUS_WRITE, "The client pushed with an anonymous token",
     "The client said it took an anonymous token, then the registry refused its upload",
     "An anonymous token can only read (and only where anonymous pull is enabled); every write needs the caller's "
     "own credentials. The client did not use them for the push: it has none configured for this registry, or it "
     "chose the anonymous token by mistake (PSResourceGet did so on registries with anonymous pull). Nothing in the "
     "registry needs to change.", 0.8),
    (_WRONG_AUDIENCE, "The client asks for the public cloud's registry audience",
     "Microsoft Entra ID refused the resource the client asked a token for (https://containerregistry.azure.net)",
     "containerregistry.azure.net is the registry audience of Azure's public cloud; Azure Stack Hub, Azure Local "
     "and the sovereign clouds have their own. A client (or a release of it) that asks for the public audience "
     "there is refused before any registry is asked. Set the client's cloud (az cloud set, or the SDK's audience "
     "option), or use a release that takes the audience from the cloud it runs in.", 0.85),
    (_REGISTRY_AS_AUDIENCE, "The client asked Entra ID for a token for the registry's URL",
     "Microsoft Entra ID refused the resource the client asked a token for: the registry's own URL",
     "ACR takes Entra tokens issued for the registry audience (https://containerregistry.azure.net) or for Azure "
     "Resource Manager, exchanged at the registry's /oauth2/exchange; no application is named after a registry's "
     "URL, so Entra refuses (AADSTS500011) before the registry is asked. The client builds the wrong scope.", 0.85),
    (_MISSING_PROPERTY, "The cmdlet's release requires a value the script does not pass",
     "Az PowerShell's generated client refused to send the request: a property the operation requires is not set",
     "AutoRest cmdlets check the request body before sending it. A property missing there, with no mandatory "
     "parameter asking for it, means the cmdlet's release requires a value the script was not written to pass "
     "(Import-AzContainerRegistryImage came to require target tags). The registry was never called.", 0.75),
    (_HELM_BLOB_PATH, "The tool built a chart URL the registry does not serve",
     "A chart was fetched from .../helm/v1/_blobs/..., which lacks the repository's /repo segment",
     "ACR's (retired) Helm repository lives under https://REGISTRY.azurecr.io/helm/v1/repo, and its chart files "
     "under .../helm/v1/repo/_blobs/; the tool joined the repository URL and the chart path so that /repo was lost "
     "(a trailing slash on the repository URL decides it in several tools). Write the repository URL with a "
     "trailing slash, or move the charts to OCI (helm push / helm pull oci://REGISTRY.azurecr.io/...).", 0.8),
    (_BAZEL_TOKEN, "Bazel's rules_oci asked the registry for a token without credentials",
     "Bazel's downloader fetched the registry's token endpoint for rules_oci and was answered 401",
     "rules_oci fetches the pull token itself; releases before its OAuth2 support (bazel-contrib/rules_oci#626) "
     "did not send the identity token that az acr login writes into the Docker config, so the request carried no "
     "credentials and any private registry refuses it. docker and podman, which read that token, pull the same "
     "image. Nothing in the registry needs to change.", 0.8),
    # a client-side timeout might also be a slow link: below the floor
    (_CLIENT_TIMEOUT, "The client's own timeout ended the request",
     "The client cancelled the request on its own timer (.NET's HttpClient gives up after 100 s unless told "
     "otherwise)",
     "A large layer upload or a slow link outlives a client-side timeout; the registry did not refuse anything. "
     "Raise the client's timeout (or use a release that sets a longer one), or push from closer to the registry.",
     0.7),
)


#: Where a client-side fault of another tool than az is followed (az's own go to its issue tracker).
_BUG_DOCS: dict[re.Pattern[str], tuple[str, ...]] = {
    _BAZEL_TOKEN: ("https://github.com/bazel-contrib/rules_oci/pull/626",),
    _MISSING_PROPERTY: ("https://github.com/Azure/azure-powershell/issues",),
    _REGISTRY_AS_AUDIENCE: ("https://learn.microsoft.com/azure/container-registry/container-registry-authentication",),
}


def _fault_confidence(line: str, context: str) -> float | None:
    """The confidence of the first client-side fault (other than a crash) the hit shows, as _BUG_KINDS gives it."""
    return next((c for p, _, _, _, c in _BUG_KINDS if c is not None and _shows(p, line, context)), None)


def _own_steps(pattern: re.Pattern[str] | None, n: Names) -> tuple[Step, Step] | None:
    """How to confirm and fix the client-side faults that are not a release of az or acr-cli (their own steps: the
    generic ones name az's version and a traceback, which a .NET program or a chart URL does not have)."""
    if pattern is _ENGINE_API_401:
        return (Step("Find where the program hands registry credentials to the library (Docker.DotNet's AuthConfig, "
                     "dockerode's authconfig): a docker pull of the same image from the docker CLI on that host, "
                     "after az acr login, tells the registry's side apart."),
                Step("Pass the registry's credentials with each pull (a token: az acr login --name REGISTRY "
                     "--expose-token, user 00000000-0000-0000-0000-000000000000), or use a library release that "
                     "reads the identity token az acr login stores."))
    if pattern is _ANONYMOUS_WRITE:
        return (Step("See whether the registry offers anonymous pull (a client may then take the anonymous token by "
                     "mistake), and run the client with its verbose log to see which token it asks for.",
                     (ReadCommand(("az", "acr", "show", "--name", _registry(n), "--query", "anonymousPullEnabled",
                                   "--output", "tsv"), "show whether anonymous pull is on"),)),
                Step("Give the client its credentials for the push (sign in with it first), or use a release that "
                     "does not push with the anonymous token; nothing in the registry needs to change."))
    if pattern is _WRONG_AUDIENCE:
        return (Step("See which cloud the client is set to.",
                     (ReadCommand(("az", "cloud", "show", "--query", "name", "--output", "tsv"),
                                  "show the cloud az is set to"),)),
                Step("Register and select the cloud the registry is in (az cloud register / az cloud set), or set "
                     "the SDK's audience for it; report the release that asks for the public audience there."))
    if pattern is _BAZEL_TOKEN:
        return (Step("See which rules_oci release the workspace uses (MODULE.bazel or WORKSPACE), and whether "
                     "~/.docker/config.json holds an identitytoken for the registry rather than a password."),
                Step("Use a rules_oci release with OAuth2 support (bazel-contrib/rules_oci#626); until then, sign "
                     "in with a password instead of the identity token: docker login REGISTRY.azurecr.io with user "
                     "00000000-0000-0000-0000-000000000000 and the token az acr login --name REGISTRY "
                     "--expose-token prints."))
    if pattern is _REGISTRY_AS_AUDIENCE:
        return (Step("See which scope the client asks Entra ID for (its configuration, or the code that builds it)."),
                Step("Ask for https://containerregistry.azure.net/.default (or the ARM scope) and exchange the token "
                     "at https://REGISTRY.azurecr.io/oauth2/exchange, or use a release of the tool that does."))
    if pattern is _MISSING_PROPERTY:
        return (Step("See which module release ran and what the cmdlet asks for now.",
                     (ReadCommand(("pwsh", "-NoProfile", "-Command", "Get-Module Az.ContainerRegistry -ListAvailable"),
                                  "list the installed Az.ContainerRegistry releases"),)),
                Step("Pass the value the message names (for Import-AzContainerRegistryImage, -TargetTag "
                     "REPOSITORY:TAG), or pin the module release the script was written for."))
    if pattern is _HELM_BLOB_PATH:
        return (Step("Compare the repository URL the tool was given with https://REGISTRY.azurecr.io/helm/v1/repo/ "
                     "(with its trailing slash), in the tool's configuration and in its credentials file."),
                Step("Write the repository URL with the trailing slash wherever it is configured, or move the charts "
                     "to OCI (helm push / helm pull oci://REGISTRY.azurecr.io/...)."))
    return None


def _build_bug(mode: str, hits: Sequence[Hit]) -> Built:
    shown = next(((p, t, m, c) for p, t, m, c, _ in _BUG_KINDS if any(_shows(p, h.line, h.context) for h in hits)),
                 None)
    pattern, *kind = shown or (None, "A change in the client, not the registry, is the likely cause",
                               "The text ties the failure to the client: it began with a new release of it, or another "
                               "release or client works with the same registry and credentials",
                               "When only the client changed, a regression in that release is the likelier cause "
                               "(tools such as helm, Argo CD, kaniko and the Docker tasks have each shipped releases "
                               "that broke signing in to ACR); the registry answers the old and the new release alike.")
    confirm, fix = _own_steps(pattern, hits[0].names) or (
        Step("Note the client's version and run the same command with --debug to see the last request it made.",
             (ReadCommand(("az", "version", "--output", "table"), "show the az and extension versions"),)),
        Step("Upgrade the client (az upgrade, a current acr-cli image), or report the traceback to the tool's "
             "issue tracker; retry the same operation with another client (the portal, az acr repository, oras) "
             "in the meantime."))
    return Built(
        *kind,
        confirm,
        fix,
        _BUG_DOCS.get(pattern, (DOCS_AZ_ISSUES,)) if pattern is not None else (DOCS_AZ_ISSUES,),
        # Another release or another client working with the same registry and credentials rules ACR out: 0.8.
        confidence=max(0.8 if _contrast_blames_client(h.line) or _other_client_works(h.line) else
                       # the words only say the client changed before it failed: a guess, below the floor
                       0.8 if (_client_changed(h.line) or _newer_client(h.line))
                       and _NOTHING_ELSE_CHANGED.search(h.line) else
                       0.7 if _client_changed(h.line) or _newer_client(h.line) else
                       0.6 if _UPGRADE_PROSE.search(h.line) else
                       0.5 if _TRACEBACK.search(h.line) and not any_of(_BUG_STRONG, _BUG_MEDIUM).search(h.line) else
                       _fault_confidence(h.line, h.context) or _strength(h.line, any_of(_BUG_STRONG, _DOUBLE_SUFFIX),
                                                              any_of(_BUG_MEDIUM, _TOO_LARGE), 0.9, 0.8, 0.65)
                       for h in hits),
    )


# --- network on the client side (proxy, TLS interception) ------------------------------------------------------------

_NET_STRONG = re.compile(r"\bproxyconnect tcp\b|Proxy Authentication Required|\b407 Proxy|\bProxyError\b|"
                         r"\b407 from proxy|Proxy CONNECT aborted|"
                         r"tunneling socket could not be established|self[- ]signed certificate in certificate chain|"
                         r"unable to get local issuer certificate|\bZscaler\b|"
                         + LOCAL_RESOLVER_DOWN + "|"
                         # Docker Hub itself unreachable from the client: its network, not any Azure registry
                         r"registry-1\.docker\.io[^\n]*?(?:Client\.Timeout exceeded|i/o timeout|connection refused|"
                         r"TLS handshake timeout|no such host)|"
                         # Azure's global endpoints (the same for every customer) not resolving or not reachable:
                         # the client's DNS or network is broken, whatever registry it meant
                         r"(?:ENOTFOUND|getaddrinfo|no such host|Name or service not known|Could not resolve host|"
                         r"Temporary failure in name resolution|Failed to resolve)[^\n]{0,80}?"
                         r"(?:management\.azure\.com|login\.microsoftonline\.com|management\.core\.windows\.net|graph\.microsoft\.com)|"
                         r"(?:management\.azure\.com|login\.microsoftonline\.com)[^\n]{0,80}?(?:ENOTFOUND|getaddrinfo "
                         r"failed|no such host|Name or service not known|Temporary failure in name resolution)",
                         re.IGNORECASE)
#: Layers come from the registry's storage (``*.blob.core.windows.net``) or data endpoint: a client that reaches the
#: login server but not those is blocked on its own side (firewall/proxy rules missing the storage host).
_STORAGE_FETCH = re.compile(r"httpReadSeeker: failed open: failed to do request|"
                            # a layer or config download (from the registry's storage) timing out after the
                            # login server answered the manifest: the path to storage is blocked on the client's side
                            r"(?:error pulling image configuration|failed to copy|failed to fetch blob)\b[^\n]*?"
                            r"(?:i/o timeout|connection reset|connection refused|TLS handshake timeout)|"
                            # Azure Storage's own XML refusal of a layer or config download (a storage firewall
                            # or service endpoint policy on the client's subnet): ACR's answers are JSON
                            r"<Code>(?:AuthorizationFailure|AuthorizationPermissionMismatch|"
                            r"AuthorizationSourceIPMismatch)</Code>|"
                            r"blob\.core\.windows\.net[^\n]*?(?:: EOF\b|i/o timeout|"
                            r"connection reset|connection refused|no such host|TLS handshake timeout)", re.IGNORECASE)
_VPN_WORDS = ("the vpn", "our vpn", "a vpn", "my vpn", "company vpn", "corporate vpn")
_NET_MEDIUM = re.compile(r"x509: certificate signed by unknown authority|CERTIFICATE_VERIFY_FAILED|"
                         r"certificate verify failed|\bbad handshake\b|"
                         r"corporate (?:proxy|firewall|network)|\bHTTPS?_PROXY\b|"
                         r"certificate has expired or is not yet valid|SSL: WRONG_VERSION_NUMBER|wrong version number|"
                         r"Unable to connect to (?:the )?proxy|Cannot connect to (?:the )?proxy|"
                         r"behind (?:a|our|the) (?:corporate |company |web )?proxy|"
                         # Java's trust store without the interceptor's root: PKIX / SSLHandshakeException
                         r"\bPKIX path building failed\b|unable to find valid certification path|"
                         # the client's own name resolution overridden, or the layers' storage host blocked by it
                         r"\bhosts file\b|\betc[\\/]hosts\b|\b(?:blocks?|blocked|blocking)\b[^.\n]{0,30}"
                         r"blob\.core\.windows\.net|"
                         # in words: the layers' storage blocked from here, or only the VPN breaks it
                         r"\bstorage endpoints?\b[^.\n]{0,60}\b(?:blocked|not allowed|denied)|\b(?:blocks?|blocked|"
                         r"block\w*)\b[^.\n]{0,60}\bstorage endpoints?\b|"
                         # (the VPN named with a word before it: three letters alone turn up inside base64 blobs)
                         r"\b(?:" + "|".join(_VPN_WORDS) + r")\b[^.\n]{0,80}\b(?:no such host|fail\w*|can(?:no|')t|"
                         r"time[sd]? out)\b|\bwhen the vpn is (?:off|disconnected)\b|"
                         # it works only off the VPN: "can only publish when they are NOT connected to the company VPN"
                         r"\bonly\b[^.\n]{0,60}\bwhen (?:they are |we are |I am |I'm |we're |they're |you are )?"
                         r"(?:not|off|disconnected from)\b[^.\n]{0,40}\bvpn\b|"
                         # in words: the manifest answered, then every layer download stalls (storage blocked here)
                         r"\b(?:every |each |all (?:the )?)?layer(?:s| downloads?| pulls?)\b[^.\n]{0,30}\b(?:then )?"
                         # ("stall" and "hang" alone are inside "install" and "change": not words to gate on)
                         r"(?:hangs|hung|times out|time out|timed out|never finish(?:es)?|never complete[sd]?)\b|"
                         # Docker Desktop's own resolver inside its VM (192.168.65.x): the host resolves, docker not
                         r"\blookup \S+ on 192\.168\.65\.\d+:53\b", re.IGNORECASE)


#: The registry's privatelink name resolving to its public address from a network that should reach the private
#: endpoint: the client's DNS path skips the private DNS zone (the zone is not linked to the client's virtual
#: network, or its own DNS servers do not forward to Azure DNS); Microsoft's troubleshooting article "Can't resolve
#: the container registry FQDN to a private IP address". The private endpoint itself is not at fault.
_PRIVATE_DNS_PATH = re.compile(
    r"\bprivatelink\.azurecr\.(?:io|cn|us)\b[^.\n]{0,160}?\bresolv\w*[^.\n]{0,60}?\bpublic (?:[\d.x]+ )?(?:ip|"
    r"address)|\bresolv\w* (?:all the way )?to (?:a|the|its) public (?:[\d.x]+ )?(?:ip|address)\b[^.\n]{0,40}?"
    r"\b(?:instead of|rather than|not) (?:the |its |our )?(?:[\d.x]+ )?private", re.IGNORECASE)


#: A request to the registry that ended with the connection closed before any HTTP answer (Go's ``: EOF`` after the
#: URL, as docker, containerd and helm print it): something between the client and the registry cut it (a firewall
#: or proxy without a rule for the registry's hosts, TLS inspection, a private DNS record leading elsewhere). ACR
#: itself answers every refusal with a status and a body.
_REGISTRY_EOF = re.compile(r"https://[\w.-]+\.azurecr\.(?:io|cn|us)(?::\d+)?/[^\s\"]*\"?: (?:unexpected )?EOF\b")


def _detect_net(line: str, context: str, seen: Seen) -> str | None:
    if _ACR_CODES.search(line):
        return None
    if _NET_STRONG.search(line) or _NET_MEDIUM.search(line) or _STORAGE_FETCH.search(line):
        return "elsewhere:network-client-side"
    if _REGISTRY_EOF.search(line):
        return "elsewhere:network-client-side"
    if ("privatelink" in line.lower() or " public " in line.lower()) and _PRIVATE_DNS_PATH.search(line):
        return "elsewhere:network-client-side"
    return None


def _build_net(mode: str, hits: Sequence[Hit]) -> Built:
    n = hits[0].names
    if all(_REGISTRY_EOF.search(h.line) for h in hits):
        return _build_eof(n)
    if any(_PRIVATE_DNS_PATH.search(h.line) for h in hits):
        name = f"{n.registry}.azurecr.io" if n.registry else "REGISTRY.azurecr.io"
        return Built(
            "The client's DNS does not use the registry's private DNS zone",
            "The registry's privatelink name resolves to its public address where the private endpoint's is expected",
            "A private endpoint answers only at its private IP; the CNAME to privatelink.azurecr.io resolves to "
            "that IP only through the privatelink.azurecr.io private DNS zone. When the client's virtual network is "
            "not linked to the zone, or its own DNS servers do not forward to Azure DNS (168.63.129.16), the chain "
            "ends at the public address, which a registry with public access disabled refuses. The private endpoint "
            "and the registry are fine.",
            Step("Resolve the login server from the failing machine, and list the networks linked to the zone.",
                 (ReadCommand(("nslookup", name), "show what the client resolves"),
                  ReadCommand(("az", "network", "private-dns", "link", "vnet", "list", "--zone-name",
                               "privatelink.azurecr.io", "--resource-group", variable("ZONE_RESOURCE_GROUP"),
                               "--output", "table"), "list the virtual networks linked to the zone"))),
            Step("Link the privatelink.azurecr.io zone to the client's virtual network, or make the custom DNS "
                 "servers forward privatelink.azurecr.io to Azure DNS (168.63.129.16) from a linked network."),
            ("https://learn.microsoft.com/troubleshoot/azure/azure-container-registry/"
             "cant-resolve-container-registry-fqdn-private-ip-address",),
            confidence=0.8)
    host = f"{n.registry}.azurecr.io" if n.registry else "mcr.microsoft.com"
    return Built(
        "The client's network is in the way (proxy, TLS interception)",
        "The connection failed between this machine and the registry: a proxy refused or intercepted it",
        "A corporate proxy that needs authentication, or that re-signs TLS with its own certificate, breaks "
        "docker, az and oras before ACR answers. The registry's network rules are not involved: ACR answers "
        "403 DENIED naming the client IP when they are.",
        Step("See how this machine reaches the registry and which certificate it is shown.",
             (CheckHealth(RegistryRef(n.get("registry"))),
              ReadCommand(("curl", "-sv", f"https://{host}/v2/"), "show the TLS handshake and any proxy"))),
        Step("Configure the proxy for the client (HTTPS_PROXY / NO_PROXY, docker's proxy settings) and trust the "
             "proxy's root certificate, or bypass the proxy for *.azurecr.io and *.data.azurecr.io."),
        (DOCS_PROXY,),
        confidence=max(0.92 if _STORAGE_FETCH.search(h.line) else _strength(h.line, _NET_STRONG, _NET_MEDIUM, 0.85,
                                                                                0.7, 0.6) for h in hits),
    )


def _build_eof(n: Names) -> Built:
    host = f"{n.registry}.azurecr.io" if n.registry else "REGISTRY.azurecr.io"
    return Built(
        "The connection to the registry was closed before it answered (EOF)",
        f"The request to {host} ended with the connection closed (EOF): no answer came from the registry",
        "ACR answers every refusal (sign-in, permission, firewall, missing image) with an HTTP status and a body. A "
        "connection closed with none is cut on the way: a firewall or proxy with no rule for the registry's hosts, "
        "TLS inspection, or a private DNS record that leads to an address other than the registry's private "
        "endpoint. The registry's settings and the client's credentials are not what failed.",
        Step("From the failing machine (the node, the agent), see what the registry's name resolves to and how far "
             "the connection gets; check-health tests the same path.",
             (ReadCommand(("nslookup", host), "show what the client resolves"),
              ReadCommand(("curl", "-sv", f"https://{host}/v2/"), "show the TLS handshake and the answer, if any"),
              CheckHealth(RegistryRef(n.get("registry"))))),
        Step("Let the connection through: allow the registry's login server and its data endpoints "
             "(REGISTRY.REGION.data.azurecr.io, or *.blob.core.windows.net without them) in the firewall or proxy, "
             "exempt them from TLS inspection, and make the private DNS record point at the registry's private "
             "endpoint."),
        (DOCS_PROXY,),
        confidence=0.6,
    )


# --- acr purge refusing a flag ---------------------------------------------------------------------------------

#: The flags today's acr purge documents (acr-cli ``cmd/acr/purge.go``; the same list preflight parses, which a
#: test holds equal). A refused flag from this list means the acr-cli that ran predates it: an old image behind
#: the task's ``acr`` alias or a pinned tag (Azure/acr-cli#76: ``--keep`` refused until ACR Tasks updated).
PURGE_FLAGS: frozenset[str] = frozenset({
    "-f", "--filter", "--ago", "--keep", "--untagged", "--untagged-only", "--dry-run", "--include-locked",
    "--concurrency", "--repository-page-size", "--filter-timeout-seconds", "--verbose", "-r", "--registry",
    "-u", "--username", "-p", "--password", "-c", "--config"})
#: cobra's refusal (``Error: unknown flag: --keep``, ``unknown shorthand flag: 'k' in -k``), or the same in words.
_UNKNOWN_FLAG = re.compile(r"\bunknown flag\b|\bunknown shorthand flag\b|\bflag provided but not defined\b",
                           re.IGNORECASE)
#: acr purge refusing its --filter's text (Azure/acr#271): the command line, whatever the registry holds.
_FILTER_UNPARSED = re.compile(r"\bunable to correctly parse filter flag\b", re.IGNORECASE)
_NAMED_FLAG = re.compile(r"(?:unknown flag|not defined):? ['\"]?(--?[\w-]+)|unknown shorthand flag:? '(\w)'",
                         re.IGNORECASE)
_PURGE_COMMAND = re.compile(r"\bacr purge\b([^\n]*)", re.IGNORECASE)
#: cobra's usage block printed after its refusal ("Error: unknown flag: --keep" / "Usage:" / "  acr purge [flags]"):
#: the command is named only below the error, so the usage line is where the refusal is read.
_PURGE_USAGE = re.compile(r"\bacr purge \[flags\]")
_FLAG_TOKEN = re.compile(r"(?<![\w-])(--?[a-z][\w-]*)")


def _flag(named: re.Match[str]) -> str:
    return named.group(1) or f"-{named.group(2)}"


def _refused_flags(line: str, context: str) -> list[str] | None:
    """The flags acr purge refused on this line: the one cobra names, else every flag its command line gave; None
    when the line is not acr purge refusing a flag (cobra's usage block below the error names the command)."""
    if _PURGE_USAGE.search(line):
        named = _NAMED_FLAG.search(context)
        return [_flag(named)] if named else None
    if not _UNKNOWN_FLAG.search(line):
        return None
    command = _PURGE_COMMAND.search(line) or _PURGE_COMMAND.search(context)
    if command is None:
        return None
    named = _NAMED_FLAG.search(line)
    flags = [_flag(named)] if named else [f.split("=", 1)[0] for f in _FLAG_TOKEN.findall(command.group(1))]
    return flags or None


def _detect_purge_flag(line: str, context: str, seen: Seen) -> str | None:
    """client-bug when every refused flag is one acr purge documents (an older acr-cli), typo when one is not."""
    if _FILTER_UNPARSED.search(line):
        return "elsewhere:typo"
    flags = _refused_flags(line, context)
    if flags is None:
        return None
    return "elsewhere:typo" if any(f not in PURGE_FLAGS for f in flags) else "elsewhere:client-bug"


def _build_purge_flag(mode: str, hits: Sequence[Hit]) -> Built:
    flags = _refused_flags(hits[0].line, hits[0].context) or []
    which = ", ".join(dict.fromkeys([f for f in flags if f not in PURGE_FLAGS] or flags))
    known = "--filter, --ago, --keep, --untagged, --untagged-only, --dry-run, --include-locked, --concurrency"
    if any(_FILTER_UNPARSED.search(x.line) for x in hits):
        return Built(
            "acr purge could not read its --filter",
            "acr purge refused the text of its --filter",
            "A --filter is REPOSITORY:TAG, both regular expressions, split at the first colon outside a group: a "
            "filter without the colon, with the shell's quotes left inside it, or with a colon in a character "
            "class is refused before the registry is asked anything.",
            Step("Check the exact filter the task received: acrdoctor preflight -- followed by the purge command "
                 "reads it the way acr purge splits it."),
            Step("Write the filter as 'repository-regex:tag-regex', quoted once for the shell that runs it (az acr "
                 "run --cmd adds one more level of quoting), then run again with --dry-run."),
            ("https://learn.microsoft.com/azure/container-registry/container-registry-auto-purge",), confidence=0.85)
    if mode == "elsewhere:client-bug":
        return Built(
            "The acr purge that ran is older than a flag it was given",
            f"acr purge refused {which}, which today's acr purge documents",
            "ACR Tasks run acr purge from the acr-cli image behind the task's acr alias, or from the image the "
            "task names: an older acr-cli refuses flags added since. The registry is not involved; the command "
            "never reached it.",
            Step("Check which acr-cli the task runs: the image in the task's cmd (az acr task show --name TASK "
                 "--registry REGISTRY shows it) or the acr alias of the run."),
            Step("Run the purge with a current acr-cli image (name mcr.microsoft.com/acr/acr-cli with a current tag "
                 "in the task), or leave the flag out until the task's acr alias is updated."),
            ("https://github.com/Azure/acr-cli",), confidence=0.75)
    return Built(
        "acr purge does not have that flag",
        f"acr purge refused {which}: no acr purge flag is spelled so",
        "The command line is wrong, not the registry: acr purge stops before it reaches the registry when a flag "
        "is unknown.",
        Step(f"Compare with acr purge's flags: {known} (acr purge --help lists them all)."),
        Step("Correct the flag and run the purge again, first with --dry-run."),
        ("https://learn.microsoft.com/azure/container-registry/container-registry-auto-purge",), confidence=0.8)


# --- acr purge deleting more than was meant -----------------------------------------------------------------

#: A purge (or a cleanup task) said to have deleted what was to be kept: tagged images, everything, production.
#: acr purge deletes every tag its --filter matches that is older than --ago; --untagged adds the manifests left
#: untagged, it does not restrict the purge to them (acr-cli README; Azure/acr#577). So the command line, not the
#: registry, chose those tags.
_PURGE_SUBJECT = r"\b(?:acr purge|purg\w*|clean-?up (?:task|job|run|script))\b"
_OVERREACH = (r"(?:\b(?:deleted|removed|wiped|nuked|purged|took out|killed|got rid of|erased|deleting|removing|"
              r"wiping)\b[^.\n]{0,80}?\b(?:tagged (?:ones|images?|manifests?)|tagged\b(?! leftovers)|everything|"
              r"every (?:image|tag|single)|all (?:the |our )?(?:images|tags|versions)|production|more than (?:we|I|"
              r"it should|intended|expected)|images? (?:we|that we|I) (?:still )?(?:need|needed|use|used|wanted))\b|"
              # the same told of what is left: "the tagged images were gone too, not just the untagged ones"
              r"\btagged (?:ones|images?|manifests?|versions)\b[^.\n]{0,60}?\b(?:were|are|got|have been|had been|was) "
              r"(?:also |all |completely )?(?:gone|deleted|removed|wiped|purged)\b)")
_PURGE_OVERREACH = re.compile(_PURGE_SUBJECT + r"[^\n]{0,300}?" + _OVERREACH + "|" + _OVERREACH
                              + r"[^\n]{0,120}?" + _PURGE_SUBJECT + r"|\binstead of only (?:clearing|deleting|"
                              r"removing|purging) (?:the )?(?:untagged|dangling)", re.IGNORECASE)


#: What says the deletion was not meant: "removed all images older than 6 months with acr purge" was.
_UNMEANT = re.compile(r"\b(?:instead|accident\w*|by mistake|mistaken\w*|unintend\w*|unexpected\w*|even|included|"
                      r"including|too|shouldn't have|should not have|not what|surpris\w*|how did|why did|"
                      r"now (?:failing|fail|broken|missing|gone)|(?:is|are) gone)\b", re.IGNORECASE)


_OVERREACH_WORDS = re.compile(_OVERREACH, re.IGNORECASE)
_PURGE_WORD = re.compile(_PURGE_SUBJECT, re.IGNORECASE)
_INSTEAD_OF_ONLY = re.compile(r"\binstead of only (?:clearing|deleting|removing|purging) (?:the )?"
                              r"(?:untagged|dangling)", re.IGNORECASE)


def _overreach(line: str) -> bool:
    """What :data:`_PURGE_OVERREACH` matches, found from the deletion words outwards: a purge word searched in the
    window around each (a line of repeated purge words costs a window per deletion, not 300 characters per word)."""
    if _INSTEAD_OF_ONLY.search(line):
        return True
    return any(_PURGE_WORD.search(line, max(0, m.start() - 300), m.end() + 120)
               for m in _OVERREACH_WORDS.finditer(line))


#: acr purge with a tag pattern that is not anchored: acr-cli matches the tag part of --filter anywhere in the tag
#: (the repository part is anchored, the tag part is not; acr-cli cmd/repository/image_functions.go), so 'web:feat'
#: also selects release-feature-flags.
_UNANCHORED_FILTER = re.compile(r"\bacr purge\b[^\n]*?--filter[= ]+['\"]?[^'\"\s:]+:(?!\^)(?=[^'\"\s]*[A-Za-z])"
                                r"[^'\"\s]+", re.IGNORECASE)
#: Words that a purge took what it should not have: deleted tags "including" the kept ones, "supposed to match only".
_TOOK_MORE = re.compile(r"\b(?:delet\w*|remov\w*|purged|gone)\b[^.\n]{0,80}?\b(?:including|prod\w*|release\w*)\b|"
                        r"\b(?:supposed|meant|expected) to (?:match|delete|remove|purge|select) only\b", re.IGNORECASE)


def _detect_purge_overreach(line: str, context: str, seen: Seen) -> str | None:
    if _UNMEANT.search(line) and _overreach(line):
        return "elsewhere:typo"
    if "purge" in context.lower() and _TOOK_MORE.search(line) and _UNANCHORED_FILTER.search(context):
        return "elsewhere:typo"
    return None


def _build_purge_overreach(mode: str, hits: Sequence[Hit]) -> Built:
    n = hits[0].names
    ref = RegistryRef(n.get("registry"))
    return Built(
        "The purge's filter chose those tags",
        "A purge deleted images that were meant to stay",
        "acr purge deletes every tag its --filter matches that is older than --ago (keeping the newest --keep); "
        "--untagged adds the manifests left without a tag, it does not limit the purge to them. A filter such as "
        "'repo:.*' therefore selects every tag of the repository. Only locked tags and manifests are skipped.",
        Step("See what the exact command selects, tag by tag, before it runs again: acrdoctor preflight -- followed "
             "by the purge command, verbatim. With soft delete on, the deleted manifests can still be listed.",
             (ListSoftDeleted(ref, n.get("repository")),)),
        Step("Restore what is needed (az acr manifest restore, where soft delete was on; otherwise push the images "
             "again), then narrow the tag part of --filter, or purge only untagged manifests with --untagged-only "
             "where the acr-cli in use has it; lock the tags that must never go (--write-enabled false).",
             notes=("The tag part of --filter is matched anywhere in the tag, not from its start: 'web:feat' also "
                    "selects release-feature-flags. Anchor it ('web:^feat-') to select tags that start so.",)
             if any(_UNANCHORED_FILTER.search(h.context) for h in hits) else ()),
        ("https://learn.microsoft.com/azure/container-registry/container-registry-auto-purge",), confidence=0.65)


# --- the client machine's own tools: docker or helm missing where az runs -----------------------------------

#: az's check-health codes for the client's own tools (azure-cli acr/check_health.py; notes §a): docker missing
#: or its daemon down, helm missing or too old. ``az acr login`` needs docker to store what it gets
#: (Azure/azure-cli#14768: DOCKER_COMMAND_ERROR from az acr login where podman stood in for docker).
_CLIENT_TOOL_CODE = re.compile(r"\b(?:DOCKER_COMMAND_ERROR|DOCKER_DAEMON_ERROR|DOCKER_VERSION_ERROR|"
                               r"HELM_COMMAND_ERROR|HELM_VERSION_ERROR)\b")
#: The same in the tools' own words, only on a line of az acr login's or check-health's run.
_DOCKER_ABSENT = re.compile(r"Cannot connect to the Docker daemon at |Is the docker daemon running\?|"
                            r"The command 'docker' could not be found|docker: command not found|"
                            r"Please verify if Docker (?:client is installed|daemon is running)", re.IGNORECASE)
_AZ_LOGIN_RUN = re.compile(r"\baz acr (?:login|check-health)\b", re.IGNORECASE)


def _detect_client_tool(line: str, context: str, seen: Seen) -> str | None:
    if _CLIENT_TOOL_CODE.search(line):
        return "elsewhere:local-credentials"
    if _DOCKER_ABSENT.search(line) and (_AZ_LOGIN_RUN.search(context) or _AZ_LOGIN_RUN in seen):
        return "elsewhere:local-credentials"
    return None


def _build_client_tool(mode: str, hits: Sequence[Hit]) -> Built:
    helm = any(re.search(r"\bHELM_", h.line) for h in hits)
    if helm:
        return Built(
            "Helm is missing or too old where az runs",
            "az acr check-health found no usable Helm client on this machine",
            "check-health's Helm step checks the local client only (helm 2.11 or later); the registry is not "
            "involved.",
            Step("See which helm the shell finds.",
                 (ReadCommand(("helm", "version", "--client"), "show helm's version"),)),
            Step("Install or upgrade helm on this machine, or ignore the step if Helm is not used here."),
            ("https://learn.microsoft.com/azure/container-registry/container-registry-health-error-reference",),
            confidence=0.85)
    return Built(
        "Docker is missing or not running where az acr login runs",
        "az could not use docker on this machine, so it could not store the registry's credentials for it",
        "az acr login signs in through the local docker (it runs docker login with the token it gets); without a "
        "docker client or a running daemon it fails before the registry matters. Podman standing in for docker, "
        "WSL without Docker Desktop's integration, and Cloud Shell (no daemon) all end here.",
        Step("Check the docker client and daemon this shell finds.",
             (ReadCommand(("docker", "version"), "show the docker client and daemon"),)),
        Step("Start (or install) docker here; or get a token without docker: az acr login --expose-token prints one "
             "for docker login, oras, helm or podman to use (az acr login --name REGISTRY --expose-token).",
             (), ("This says nothing about the registry yet: az acr check-health --ignore-errors goes on past the "
                  "docker steps to the registry's own.",)),
        ("https://learn.microsoft.com/azure/container-registry/container-registry-health-error-reference",),
        confidence=0.85)


# --- a push that references what the registry never received --------------------------------------------------

#: OCI distribution codes for a push out of order: a manifest naming blobs the repository lacks, a blob upload
#: the registry no longer knows (an expired or foreign upload session). The client's push, not a refusal
#: (Azure/azure-sdk-for-js#25849: blobs never uploaded; Azure/azure-sdk-for-net#42293).
_PUSH_OUT_OF_ORDER = re.compile(r"\bMANIFEST_BLOB_UNKNOWN\b|\bBLOB_UPLOAD_UNKNOWN\b|blob upload unknown to registry")


def _build_push_order(mode: str, hits: Sequence[Hit]) -> Built:
    session = any(re.search(r"BLOB_UPLOAD_UNKNOWN|blob upload unknown", h.line) for h in hits)
    return Built(
        "The push sent what the registry had not received" if not session else
        "The blob upload session is unknown to the registry",
        "The registry does not have the blobs the manifest names in this repository (MANIFEST_BLOB_UNKNOWN)"
        if not session else "The registry no longer knows the upload the client continued (BLOB_UPLOAD_UNKNOWN)",
        "A push uploads every layer and the config first, then the manifest that names them: a manifest sent "
        "before its blobs, or with blobs uploaded to another repository, is refused; an upload continued after "
        "its session expired or at a location from another registry is unknown. Both are the client's push.",
        Step("Push the same image with docker or oras: if it goes through, the failing client's push order is "
             "the cause."),
        Step("Upload every blob (layers and config) to this repository before its manifest, and finish each "
             "upload in one session; upgrade the client library if it does otherwise."),
        ("https://github.com/opencontainers/distribution-spec/blob/main/spec.md",), confidence=0.6)


RECOGNISERS: tuple[Recogniser, ...] = (
    Recogniser("hub-rate-limit", ("elsewhere:docker-hub-rate-limit",), _detect_hub, _build_hub,
               any_of(_HUB_LIMIT, _HUB_429, _HUB_429_WORDS),
               ("rate limit", "rate-limit", "docker hub", "dockerhub", "requests to source", "toomanyrequests",
                "docker.com",
                "received from the docker registry",
                "too many requests", "429"),
               confidence=0.9),
    Recogniser("source-registry", ("elsewhere:source-registry",), _detect_source, _build_source,
               any_of(_IMPORT_INVALID, _SOURCE_PHRASE, _AUTH_WORDS, _IMPORT_PROSE),
               ("invalid message", "source registry", "source container", "manifest digest", "docker-content-digest",
                "operation registries-", "source cannot", "unable to access", "linked scope",
                "for cache rule", "upstream", "credential set", "copying blobs", "unauthori", "not authori", "refused",
                "authentication required", "incorrect username", "denied", "forbidden", "401", "403", "404",
                "not found", "manifest unknown", "import", "429", "too many requests", "toomanyrequests"),
               confidence=0.9),
    Recogniser("kubelet-pull", ("elsewhere:kubelet-pull-secret",), _detect_kube, _build_kube,
               any_of(_KUBE_PULL, _KUBE_PROSE, _CHECK_ACR, _PULL_SECRET_MISSING, _KUBE_TRIES),
               ("imagepull", "to pull", "to fetch", "to download", "pull fail", "pulls fail",
                "pulls from the registry fail",
                "not pull", "n't pull", "pulling image", "check-acr", "attach", "kubelet",
                "pull secret", "image pull permission", "token exchange", "managed identity exist",
                '" not found'),
               confidence=0.8),
    Recogniser("platform-pull", ("elsewhere:kubelet-pull-secret",), _detect_platform, _build_platform,
               _PLATFORM_PULL, ("error pulling the container image", "inaccessibleimage", "is not accessible",
                                "with admin enabled", "using managed identity", "failed to retrieve",
                                "admin credentials on the acr", "is invalid with details", "imageresitrycredential",
                                "imageregistrycredential", "imageregistryidentity"),
               confidence=0.8),
    Recogniser("local-credentials", ("elsewhere:local-credentials", "elsewhere:kubelet-pull-secret"), _detect_cred,
               _build_cred,
               any_of(_CRED_STRONG, _CRED_MEDIUM),
               ("cred", "aadsts", "to authenticate", "with a certificate", "authenticationfailed",
                "aggregateauthentication", "connect-azaccount", "cli authentication", "powershell authentication",
                "refresh token", "az login",
                "non tty", "nottyexception", "interactionrequired", "secret", "saved",
                "stored", "written", "saving", "storing", "writing",
                "interaction_required", "interactive auth", "stub received", "d-bus", "pass not", "gpg:"),
               confidence=0.85),
    Recogniser("typo", ("elsewhere:typo",), _detect_typo, _build_typo,
               any_of(_TYPO_STRONG, _TYPO_HOST, _PRIVATELINK_NAME, _IMPLICIT_LATEST, _DOCKER_IO_PUSH, _HUB_LOOKUP,
                      _TYPO_PROSE, _TWO_NAMES_CONTEXT, _BAD_COMMAND_LINE, _UNSET_VARIABLE, _CONTRAST, _ACCESS_DENIED,
                      _UPPER_HOST, _HELM_ROOT_INDEX, _BARE_NAME_ELSEWHERE),
               # A registry's host is on thousands of lines of a named build log; the contrast two registries
               # named against each other need is on a few.
               (*_TYPO_WORDS, "but", "whereas", "different", "mismatch", "point", "index.yaml", "chart repository",
                '"class'),
               confidence=0.8),
    Recogniser("purge-flag", ("elsewhere:client-bug", "elsewhere:typo"), _detect_purge_flag, _build_purge_flag,
               any_of(_UNKNOWN_FLAG, _FILTER_UNPARSED, _PURGE_USAGE),
               ("unknown flag", "unknown shorthand flag", "not defined", "parse filter flag", "acr purge [flags]"),
               confidence=0.8),
    Recogniser("purge-overreach", ("elsewhere:typo",), _detect_purge_overreach, _build_purge_overreach,
               _PURGE_OVERREACH, ("purg", "clean", "instead of only", "including", "supposed to", "meant to"),
               confidence=0.65),
    Recogniser("client-tool", ("elsewhere:local-credentials",), _detect_client_tool, _build_client_tool,
               any_of(_CLIENT_TOOL_CODE, _DOCKER_ABSENT),
               ("docker_command_error", "docker_daemon_error", "docker_version_error", "helm_command_error",
                "helm_version_error", "docker daemon", "'docker' could not be found", "docker: command not found",
                "verify if docker"),
               remembers=((_AZ_LOGIN_RUN, "az acr "),), confidence=0.85),
    Recogniser("push-order", ("elsewhere:client-bug",), on_match(_PUSH_OUT_OF_ORDER, "elsewhere:client-bug"),
               _build_push_order, _PUSH_OUT_OF_ORDER,
               ("manifest_blob_unknown", "blob_upload_unknown", "blob upload unknown"), confidence=0.6),
    Recogniser("typo-domain", ("elsewhere:typo",), _detect_typo_domain, _build_typo, _TYPO_DOMAIN,
               _TYPO_DOMAIN_STEMS, confidence=0.8),
    Recogniser("client-bug", ("elsewhere:client-bug",), _detect_bug, _build_bug,
               any_of(_BUG_STRONG, _BUG_MEDIUM, _DOUBLE_SUFFIX, _TOO_LARGE, _VERSION_PROSE, _OTHER_CLIENT_WORKS,
                      _CLIENT_CHANGED, _UPGRADE_PROSE, _TRACEBACK, _CRASH_PROSE, _FRESH_SESSION, _NEWER_CLIENT,
                      _OLD_API, _CLIENT_TIMEOUT, _TOKEN_400, _TOKEN_REPLY, _CLIENT_REQUEST),
               ("io.azurecr.", "us.azurecr.", "cn.azurecr.", "413", "previous", "older", "earlier", "same ",
                "but", "while", "whereas", "yet", "fixed", "solved", "resolved", "cured", "helped",
                "grad", "updat", "roll", "back to", "python exception", "operation group", "from inside",
                "docker: warning", "code 0", "status 0", "always report", *_SESSION_WORDS,
                "unexpected error", "panic", "invalid memory", "attributeerror", "keyerror", "typeerror",
                "nullreference", "object reference", "traceback", "nullpointerexception", "segmentation",
                "cannot read propert", "referenceerror", "nameerror", "unboundlocalerror", "indexerror",
                "modulenotfounderror", "importerror", "object is not", "access_token", "refresh_token",
                "stack trace", "stacktrace", "moved", "bumped", "switched", "went", "migrat", "newer", "missing field",
                "oauth token: unexpected status: 400", "accept header does not support", "authentication information",
                "manifest_invalid",
                "invalidauthenticationinfo",
                "started using", "started deploying", "started building", "began using", "new version",
                "upgrade", "update", "newer", "new ", "noregisteredproviderfound", "invalidapiversion",
                "supported api-versions", "httpclient.timeout", "a task was canceled", "aadsts5000",
                "invalid_resource", "/helm/v1/_blobs/", "www-authenticate.json", "aadsts500011", "missing property",
                "401", "unauthori", "authentication required", "'token'",
                '"token"'),
               confidence=0.8),
    Recogniser("client-network", ("elsewhere:network-client-side",), _detect_net, _build_net,
               any_of(_NET_STRONG, _NET_MEDIUM, _STORAGE_FETCH, _PRIVATE_DNS_PATH, _REGISTRY_EOF),
               ("proxy", "tunneling socket", "certificate", "zscaler", "corporate", "bad handshake", "lookup ",
                "wrong_version_number", "wrong version number", "httpreadseeker", "blob.core", "registry-1.docker.io",
                "<code>authorization", "image configuration", "failed to copy", "failed to fetch blob",
                "management.azure.com", "login.microsoftonline.com", "management.core.windows", "graph.microsoft",
                "storage endpoint", "pkix", "certification path", "hosts", "hangs", "hung", "timed out",
                "time out", "times out", "never finish", "never complete", "privatelink", " public ", "vpn", "eof",
                *_VPN_WORDS),
               confidence=0.75),
)

#: Causes elsewhere are about the client or another registry: names of objects nearby are still the user's.
REGISTRY_LEVEL: frozenset[str] = frozenset()
