"""Symptoms described in plain words: a support ticket rather than an error body.

Customers rarely paste the 405 body; they write "we purged 300 images and the portal still shows 480 GB" or "the
release tags are write-protected and the purge job fails on them". No single phrase is reliable, so a ticket line is
scored instead: each failure mode has *cues* (weighted patterns), a cue preceded in its clause by a negation ("nothing
is locked", "no firewall") does not count, and the mode with the highest score wins when it passes a threshold.
The answer is a guess from words, so its confidence stays between 0.4 and 0.7 (an error code on a line, recognised
by the other modules, is near 0.9 and ranks first), and every match carries a ``next_step``: what to collect to be
sure (``acrdoctor bundle-script`` for someone without acrdoctor, or the ``az`` read that settles it).

Only lines that look like sentences and hold one of the symptom words are scored (:data:`KEYWORDS`), so a build log
costs a few substring tests per line; the window of lines before the line (a ticket's earlier paragraphs) is part
of what is scored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from acrdoctor.actions import Action, RegistryRef, shell_join

from .actions import (
    CheckHealth,
    ListPrivateEndpointConnections,
    ListRoleAssignments,
    ShowRegistry,
    ShowRepository,
    ShowUsage,
)
from .model import Step
from .recognisers import (
    _STORAGE,
    Built,
    Hit,
    Recogniser,
    Seen,
    _build_disallowed,
    _build_manifest_unknown,
    _build_name_unknown,
    _build_pe,
    _build_storage,
    _build_throttled,
    _build_unauthorized,
)


@dataclass(frozen=True, slots=True)
class BundleScript(Action):
    """``acrdoctor bundle-script``: read-only az commands that write what ``diagnose --bundle`` needs."""

    registry: RegistryRef

    def commands(self) -> tuple[str, ...]:
        return (shell_join(["acrdoctor", "bundle-script", "--registry", self.registry.name]),)

    def describe(self) -> str:
        return "print the script that collects a bundle"


# --- cues ----------------------------------------------------------------------------------------------------

_I = re.IGNORECASE
#: A negation whose clause a cue sits in: "nothing is locked", "no firewall", "isn't quarantined".
_NEGATION = re.compile(r"\b(?:not|no|nothing|never|none|neither|nor|without)\b|n't\b|n’t\b", _I)
#: What ends a clause: a negation before it does not reach past it.
_CLAUSE_END = re.compile(r"[.;:!?,()]|\b(?:but|and|yet|though|however)\b", _I)

#: The storage symptom: space not given back (the first catalogue's pattern, plus more ways to say it).
_STORAGE_SYMPTOM = re.compile(
    _STORAGE.pattern
    + r"|\b(?:usage|storage|size|space|figure|number)\b[^.\n]{0,40}\bonly (?:went down|dropped|decreased|fell|shrank)"
    r"|\bonly (?:went down|dropped|decreased|fell|shrank|freed|reclaimed|got back)\b[^.\n]{0,40}"
    r"(?:fraction|few|little|bit|\d+ ?(?:[KMGT]i?B|bytes))"
    r"|\b(?:storage|usage|size|bill\w*|cost|invoice)\b[^.\n]{0,40}\b(?:keeps?|kept) "
    r"(?:climbing|growing|increasing|rising)"
    r"|\b(?:storage|usage|invoice|bill\w*)\b[^.\n]{0,60}\b(?:higher|more|bigger|larger) than\b"
    r"|\bpaying for\b|\bstill (?:being )?(?:billed|charged|paying)\b"
    r"|\b(?:portal|overview|show-usage|metric\w*)\b[^.\n]{0,50}\b(?:still|says|shows|reports)\b[^.\n]{0,40}"
    r"\d[\d.,]* ?(?:[KMGT]i?B)\b"
    r"|\b(?:expected|hoped) to (?:get back|free|reclaim|save)"
    r"|\b(?:did ?n[o']?t|does ?n[o']?t|never) (?:free|reclaim|release|give back)"
    r"|\b(?:haven't|have not|hasn't|has not|did ?n[o']?t) (?:moved|changed|budged|gone down|dropped)"
    r"|\bonly (?:ever )?(?:goes|went|going) up\b|\bkeeps? (?:going up|growing)|\boverage\b"
    r"|\bpast (?:its|our|the) included\b|\bincluded (?:storage|\d+ ?[GT]i?B)"
    r"|\b(?:dropped|went down|decreased|fell|shrank|freed|reclaimed|released)(?: by)? (?:only |barely |just |about |"
    r"roughly |around |a mere )?(?:a few |a couple |\d[\d.,]* ?(?:[KMGT]i?B|bytes))"
    r"|\bexpect\w* to (?:free|get back|reclaim|save|recover)\b"
    r"|\bwhere did (?:the|all the|that) (?:rest|space|storage|gigabytes|\d+ ?[GT]i?B) go"
    r"|\b(?:what is|what's|something is) (?:using|eating|taking|consuming)(?: up)? (?:the|all the|our)? ?"
    r"(?:space|storage)", _I)


@dataclass(frozen=True, slots=True)
class Cue:
    """A pattern that speaks for a failure mode, its weight, and whether a negation in its clause cancels it."""

    pattern: re.Pattern[str]
    weight: float
    negatable: bool = True


def _c(pattern: str, weight: float, negatable: bool = True) -> Cue:
    return Cue(re.compile(pattern, _I), weight, negatable)


_STORAGE_MODES = ("dangling-manifests", "shared-layers", "storage-accounting", "retention-policy", "soft-delete")

#: Per failure mode, what speaks for it. Weights: 3 = names the cause, 2 = a strong hint, 1 = consistent with it.
CUES: dict[str, tuple[Cue, ...]] = {
    "dangling-manifests": (
        _c(r"\buntag(?:ged|ging|s)?\b", 1.5),
        _c(r"\bre-?push\w*|\bre-?publish\w*|\bsame tags?\b|\bpush\w* the same tag|"
           r"\bpush\w*\b[^.\n]{0,40}\bagain\b|same tag again|"
           r"overwrit\w* (?:the |a )?tag|loses? (?:its|their) tag",
           2),
        _c(r"more manifests than tags|empty tag list|no tags? (?:left|at all)|without (?:any )?tags|tagless", 2.5,
           False),
        _c(r"tags[- ]only|only (?:the )?tags|show-manifests|untagged manifests", 1.5),
        _c(r"Number of deleted manifests: 0", 3, False),
        _c(r"\bdangling\b|\borphan\w*", 2),
    ),
    "shared-layers": (
        _c(r"\bbase image|\bsame base\b|\bFROM the same\b|\bshared? (?:the )?layers|\blayers? (?:are |were )?shared|"
           r"common layers|\bshare (?:a |the )?(?:common|base)", 3),
        _c(r"\badd up to\b|\bsum of\b|\beach (?:one |image )?(?:is |was |shows )?(?:about |roughly |around |~)?"
           r"[\d.]+ ?[KMGT]i?B", 1.5, False),
        _c(r"according to docker|docker (?:images|image ls) (?:says|shows)|on my laptop", 1, False),
        _c(r"only (?:went down|dropped|decreased|fell|freed|reclaimed)|small fraction|a few hundred", 1.5, False),
    ),
    "storage-accounting": (
        _c(r"geo-?replica\w*|\breplica(?:s|tion|ted)?\b|\bregions?\b", 2.5),
        _c(r"\binvoice|\bbill(?:ed|ing)?\b|\bcharged?\b", 1),
        _c(r"hours? later|next day|since yesterday|still (?:shows|reports) the same|stale|not (?:yet )?updated|"
           r"asynchron\w*|lag\w*|delay\w*", 2),
        _c(r"\bmetric\w*|StorageUsed", 1),
        _c(r"soft[- ]?delet\w*", 2),
        _c(r"none of (?:their|the) layers (?:are|were) shared|(?:layers )?(?:are|were) not shared|nothing shared|"
           r"no shared layers", 2.5, False),
    ),
    "retention-policy": (
        _c(r"\bretention\b", 6),
        _c(r"untagged (?:manifests?)?[^.\n]{0,60}(?:never|not|n't) (?:cleaned|removed|deleted|purged)|"
           r"(?:never|not|n't) (?:cleaned|removed|deleted|purged)[^.\n]{0,30}untagged", 1.5, False),
    ),
    "soft-delete": (
        _c(r"soft[- ]?delet\w*", 2.5),
        _c(r"deleted artifacts|scheduled purge date|\brestore\w*|recycle bin|\brecover\w*", 2),
        # The documented conflicts: soft delete with retention, geo-replication or artifact cache.
        _c(r"(?:can(?:no|')t|could(?:n't| not)|not supposed to)[^.\n]{0,30}(?:at the same time|together|both)|"
           r"\bconflict\w*|mutually exclusive|not supported (?:with|on)", 2, False),
    ),
    "locked-artifacts": (
        _c(r"--(?:write|delete)-enabled(?:[ =]+)false|(?:write|delete)Enabled\W+false|"
           r"(?:write|delete)-(?:protected|disabled)", 3.5, False),
        _c(r"\block(?:ed|s)?\b(?! file)|image lock|write[- ]protect\w*|read[- ]only (?:tags?|images?|repo\w*)|"
           r"\bimmutable\b|protected (?:release )?(?:tags?|images?)", 2.5),
        _c(r"\bdisallowed\b|not allowed|\b405\b|greyed out|grayed out|disabled button", 2),
        _c(r"can(?:no|')t (?:be )?delet\w*|unable to delete|won't (?:let us )?delet\w*|refus\w* (?:to )?delet\w*", 1,
           False),
    ),
    "quarantined-images": (
        _c(r"quarantin\w*", 4),
        _c(r"\bdefender\b|\bscan(?:ned|ner|ning)?\b", 1),
    ),
    "storage-limit": (
        _c(r"storage (?:quota|limit|cap\b|capacity)|(?:quota|limit|capacity) (?:exceeded|reached|hit)|"
           r"\bregistry (?:is )?full\b|maximum storage|out of (?:storage|space)|\b(?:40|100|20) ?TiB\b", 3),
    ),
    "broken-index-references": (
        _c(r"multi-?arch\w*|manifest list|image index|\bindex(?:es)?\b|--platform|\bplatforms?\b|buildx|"
           r"\b(?:arm64|amd64|linux/\w+)\b", 2.5),
        _c(r"\bsign(?:ed|ature|atures)?\b|cosign|notation|\bsbom\b|attestation|referrer\w*", 1.5),
        _c(r"(?:can(?:no|')t|could(?:n't| not)|no longer|un)(?:\s*be)?\s*pull\w*|pull\w* fails?|"
           r"manifest unknown|(?:is )?not found", 1, False),
        _c(r"--untagged|untagged", 1),
    ),
    "manifest-not-found": (
        _c(r"\bacr purge\b|\bpurg\w*", 1.5, False),
        _c(r"\b404\b|is not found|manifest unknown|MANIFEST_UNKNOWN|not found", 1.5, False),
        _c(r"--concurrency|concurrent\w*|in parallel|two (?:purge|cleanup)s?|at the same time|overlap\w*", 1.5),
        _c(r"sha256|digest", 0.5, False),
    ),
    "throttling": (
        _c(r"\b429\b|too many requests|TOOMANYREQUESTS|\bthrottl\w*", 3.5, False),
        _c(r"rate[- ]limit\w*|in parallel|concurren\w*|\bburst", 1),
    ),
    "authentication-required": (
        _c(r"authori[sz]ation required|authentication required|\b401\b|unauthori[sz]ed", 2.5, False),
        _c(r"token\w*[^.\n]{0,40}(?:expir\w*|no longer (?:valid|accepted)|invalid|times? out|lifetime|last longer)|"
           r"(?:expir\w*|stale)[^.\n]{0,20}token|refresh (?:it|the token)|log(?:ged)? (?:out|in again)|"
           r"az acr login[^.\n]{0,40}again|every (?:few )?(?:hours?|minutes?)|(?:3|three) hours", 2.5),
        _c(r"(?:after|runs? for|takes?) (?:about |roughly |~)?\d+ ?(?:minutes|mins|hours|h)\b|long(?:er)? "
           r"(?:runs?|jobs?|uploads?|pushes)", 1.5, False),
    ),
    "delete-permission": (
        _c(r"\bAcrDelete\b|Container Registry Repository Contributor|content/delete|"
           r"(?:permission|right|role|access)s? to delete|not (?:authori[sz]ed|permitted|allowed) to delete|"
           r"delete (?:permission|right|role)s?|insufficient_scope|missing (?:a |the )?(?:permission|role)",
           3),
        _c(r"\b403\b|forbidden|access denied|\bdenied\b", 1, False),
        _c(r"\bAcrPush\b|\bAcrPull\b|\bcontributor\b|\bscope[- ]map|\bABAC\b|role assignment", 1),
    ),
    "network-access-denied": (
        _c(r"\bfirewall\b|network rules?|selected networks|public (?:network )?access|ip (?:allow ?list|whitelist|"
           r"rules?|range|address(?:es)?)|allowed ip|\bnot allowed access|service endpoint|trusted services|"
           r"client ip|ip (?:address )?(?:is |was )?not allowed|public endpoint", 3),
        _c(r"\b403\b|forbidden|\bdenied\b|agent\w*|hosted (?:agent|runner)|github actions|build (?:agent|task)",
           1, False),
    ),
    "private-endpoints-block-registry-delete": (
        _c(r"private[ -]?endpoints?\b|private link|privatelink", 2.5),
        _c(r"(?:delet\w*|remov\w*|tear\w* (?:it |everything )?down|teardown|destroy\w*)"
           r"[^.\n]{0,30}(?:registry|acr|resource group)|(?:registry|acr)[^.\n]{0,60}"
           r"(?:delet\w*|remov\w*|tear\w* down|destroy\w*)|\bstuck\b|'Deleting'|\bDeleting\b|times? out", 2, False),
    ),
    "empty-repository": (
        _c(r"(?:0|zero|no) (?:tags|manifests|images)\b|\bempty (?:repo\w*)?", 2, False),
        _c(r"still (?:listed|shows|showing|there|appears)|(?:shows|listed) up|ghost|phantom|NAME_UNKNOWN|"
           r"name not known", 2, False),
        _c(r"delet\w* (?:the |a |that |this )?(?:whole |entire )?repo(?:sitory)?|repository delete", 1.5, False),
    ),
    "login-server-not-found": (
        _c(r"could not be found in subscription|resource with name [^.\n]{0,80}could not be found|"
           r"--suffix|dnl ?scope|auto-?generated (?:domain|suffix)|random(?:-| )suffix|wrong subscription|"
           r"another subscription|az account set", 3),
    ),
    "connectivity-dns": (
        _c(r"\bdns\b|does(?:n't| not) resolve|no such host|nslookup|name resolution|could not resolve", 2.5),
    ),
    "resource-locks": (
        _c(r"resource lock|CanNotDelete|ScopeLocked|\block on the (?:resource group|subscription|registry)|"
           r"management lock|az lock", 4),
    ),
    "purge-task-access": (
        _c(r"\bABAC\b|--source-acr-auth-id|repository permissions|AbacRepositoryPermissions", 2),
        _c(r"\b(?:acr )?purge (?:task|job)|scheduled (?:acr )?purge|az acr task|acr task", 1, False),
        _c(r"\b401\b|unauthori[sz]ed|token", 1, False),
    ),
}

#: A mode's cues must include one of these to be chosen: its defining words, not just supporting ones.
_ANCHORS: dict[str, re.Pattern[str]] = {
    "dangling-manifests": re.compile(_STORAGE_SYMPTOM.pattern + r"|empty tag list|loses? (?:its|their) tag|"
                                     r"untagged (?:images|manifests)|more manifests than tags|dangling", _I),
    "shared-layers": _STORAGE_SYMPTOM,
    "storage-accounting": _STORAGE_SYMPTOM,
    "retention-policy": re.compile(r"\bretention\b", _I),
    "soft-delete": re.compile(r"soft[- ]?delet\w*|deleted artifacts", _I),
    "broken-index-references": re.compile(
        r"(?:manifest unknown|not found|(?:can(?:no|')t|could(?:n't| not)|no longer|un)(?:\s*be)?\s*pull\w*|"
        r"pull\w* fails?)", _I),
    "manifest-not-found": re.compile(r"\bpurg\w*|\bdelet\w*", _I),
    "empty-repository": re.compile(r"\brepo(?:sitor(?:y|ies)|s)?\b", _I),
    "authentication-required": re.compile(r"authori[sz]ation required|authentication required|\b401\b|"
                                          r"unauthori[sz]ed|\btoken\w*|log(?:ged)? (?:out|in)|\blogin\b", _I),
    "purge-task-access": re.compile(r"\bABAC\b|--source-acr-auth-id|repository permissions", _I),
}
#: The lowest score a mode needs to be reported.
THRESHOLD = 3.0


def _affirmed(cue: Cue, text: str) -> bool:
    """Whether the cue occurs at least once outside a negated clause."""
    for m in cue.pattern.finditer(text):
        if not cue.negatable:
            return True
        start = m.start()
        before = text[max(0, start - 40):start]
        cut = [e.end() for e in _CLAUSE_END.finditer(before)]
        clause = before[cut[-1]:] if cut else before
        if not _NEGATION.search(clause):
            return True
    return False


def scores(text: str) -> dict[str, float]:
    """Every mode's score on ``text`` (only modes with some cue affirmed appear)."""
    out: dict[str, float] = {}
    storage = bool(_STORAGE_SYMPTOM.search(text))
    for mode, cues in CUES.items():
        anchor = _ANCHORS.get(mode)
        if anchor is not None and not anchor.search(text):
            continue
        total = sum(c.weight for c in cues if _affirmed(c, text))
        if mode in ("dangling-manifests", "shared-layers", "storage-accounting"):
            total += 1.5  # the symptom itself
        if mode in ("retention-policy", "soft-delete") and storage:
            total += 1.0
        if total:
            out[mode] = total
    # Storage not going down is always worth an answer: the best-supported of its three readings, and with nothing
    # else said, layers shared with what remains (the usual reason).
    if storage:
        trio = ("shared-layers", "dangling-manifests", "storage-accounting")
        best = max(trio, key=lambda m: (out.get(m, 0.0) > 1.5, out.get(m, 0.0), m == "shared-layers"))
        if out.get(best, 0.0) <= 1.5:
            best = "shared-layers"
        out[best] = max(out.get(best, 0.0), THRESHOLD)
    # A purge that freed nothing reads as tags only (Azure/acr-cli#515) unless its command had --untagged.
    if storage and re.search(r"\bpurg", text, _I) and not re.search(r"untagged", text, _I):
        out["dangling-manifests"] = out.get("dangling-manifests", 0.0) + 2.0
    return out


def classify(text: str) -> tuple[str, float] | None:
    """The most likely failure mode of a ticket text and its score, or None below :data:`THRESHOLD`."""
    s = scores(text)
    if not s:
        return None
    mode, best = max(s.items(), key=lambda kv: kv[1])
    return (mode, best) if best >= THRESHOLD else None


def confidence(score: float) -> float:
    """A score mapped into the prose range 0.45..0.7: more cues, more confidence, never an error code's."""
    return round(min(0.7, 0.45 + 0.04 * (score - THRESHOLD)), 2)


# --- the recogniser ------------------------------------------------------------------------------------------

#: Words a symptom line holds; every alternative of :data:`_TRIGGER` contains one (tests/explain/test_streaming.py).
#: Words common in build output (delete, pull, push, repository, registry) are left out on purpose: every line
#: holding a keyword costs a test per recogniser, and a ticket names its symptom with one of these anyway.
KEYWORDS: tuple[str, ...] = (
    "storage", "usage", "space", "purg", "untag", "retention", "soft", "lock", "quarantin", "disallowed", "protect",
    "429", "too many", "throttl", "expir", "authori", "permission", "firewall", "network", "private", "invoice",
    "bill", "portal", "tags", "tag ", "subscription", "suffix", "-enabled", "stuck", "greyed", "grayed",
    "can't", "cannot", "why", "last longer",
)
_TRIGGER = re.compile(r"storage|usage|space|purg|untag|retention|soft|lock|quarantin|disallowed|protect|429|"
                      r"too many|throttl|expir|authori|permission|firewall|network|private|invoice|bill|portal|"
                      r"tags|tag |subscription|suffix|-enabled|stuck|greyed|grayed|can't|cannot|why|"
                      r"last longer", _I)
#: A sentence: words separated by spaces, with a lower-case word of a few letters among the first ones.
_SENTENCE = re.compile(r"(?:\b[A-Za-z'’]{2,}\b[ ,]+){5}")


#: What a program prints, not a person: such a line is left to the recognisers of error codes and bodies.
_PRINTED = re.compile(r"\b[A-Z]{3,}_[A-Z_]{3,}\b|\b(?:DENIED|UNAUTHORIZED|TOOMANYREQUESTS|ScopeLocked)\b|"
                      r"[\"']code[\"']\s*:|\b(?:Error|ERROR|error|fatal|FATAL)\b\s*[:=]|Correlation ID|"
                      r"Status ?[Cc]ode\b|HTTP status|\bstatus(?: code)? \d{3}\b|rpc error|Error response from daemon|"
                      r"^\s*(?:denied|unauthorized|toomanyrequests|Error|WARNING|ERROR|#|\$|>|\[)|"
                      r"\b(?:Exception|RestError|ResponseError)\b|Traceback|^\d{4}[-/]\d\d[-/]\d\d|"
                      r"^\s*\(\w+\) |The push refers to|Looks like you|Please refer to|aka\.ms/|run 'az |"
                      r"for more information")


#: A customer writes about themselves: a ticket line says we, our, I, my (build output almost never does).
_PERSON = re.compile(r"\b(?:[Ww]e|WE|[Oo]ur|[Uu]s|I|[Mm]y|[Mm]e|[Ww]e're|[Ww]e've|I'm|I've|[Ww]hy|[Ss]omeone|[Nn]obody|"
                     r"[Aa]nyone|[Cc]ustomers?)\b")
#: Or the line states a symptom or a cause by itself ("storage did not go down", "the retention policy is on").
_STATES = re.compile(_STORAGE_SYMPTOM.pattern + r"|retention|quarantin|soft[- ]?delet|\block|\b429\b|too many requests|"
                     r"throttl|private[ -]?endpoint|firewall|disallowed|permission", _I)


#: The longest line read as prose.
MAX_PROSE_LINE = 4000


def _detect(line: str, context: str, seen: Seen) -> str | None:
    # A ticket paragraph is not 4000 characters of one line (a base64 blob, minified JSON): not scored.
    if not 40 <= len(line) <= MAX_PROSE_LINE or not _TRIGGER.search(line) or not _SENTENCE.search(line, 0, 400) \
            or _PRINTED.search(line):
        return None
    if not (_PERSON.search(line) or _STATES.search(line)):
        return None
    found = classify(context)
    return found[0] if found else None


def _next_step(mode: str, ref: RegistryRef, repo: str | None) -> Step:
    reads: list[Action] = [BundleScript(ref)]
    if mode in _STORAGE_MODES or mode == "storage-limit":
        reads.append(ShowUsage(ref))
    elif mode in ("locked-artifacts", "quarantined-images", "empty-repository"):
        reads.append(ShowRepository(ref, repo, query="changeableAttributes" if mode != "empty-repository" else None))
    elif mode in ("delete-permission", "purge-task-access"):
        reads += [ListRoleAssignments(ref), ShowRegistry(ref, "roleAssignmentMode", "tsv")]
    elif mode == "network-access-denied":
        reads += [ShowRegistry(ref, "networkRuleSet"), ShowRegistry(ref, "publicNetworkAccess", "tsv")]
    elif mode == "private-endpoints-block-registry-delete":
        reads.append(ListPrivateEndpointConnections(ref))
    elif mode in ("authentication-required", "throttling", "connectivity-dns", "login-server-not-found"):
        reads.append(CheckHealth(ref))
    return Step("The ticket describes the symptom in words: paste the exact error text, or collect the registry's "
                "state (read-only) and run acrdoctor diagnose on it, to be sure.", tuple(reads))


def _generic(mode: str, hits: Sequence[Hit]) -> Built:
    """A mode with no error-code builder to borrow: what the words point at, and what to read to confirm it."""
    n = hits[0].names
    ref = RegistryRef(n.get("registry"))
    text = {
        "retention-policy": ("Retention policy does not remove the untagged manifests",
                             "The retention policy deletes untagged manifests only after the period, only those "
                             "untagged after it was enabled, and not while soft delete is on (the two conflict); "
                             "with geo-replication, manifests untagged through a replica have been reported to "
                             "stay."),
        "soft-delete": ("Deleted artifacts are kept by the soft-delete policy",
                        "With soft delete on, deleted and purged manifests are kept (and billed) until their "
                        "retention days pass; soft delete conflicts with the retention policy, geo-replication "
                        "and artifact cache."),
        "empty-repository": ("Repository still listed after its images were deleted",
                             "A repository emptied image by image keeps orphaned metadata: it is still listed with "
                             "0 tags, and deleting it answers NAME_UNKNOWN until an image is pushed to it again."),
        "login-server-not-found": ("Registry not found under that name or subscription",
                                   "az looks the registry up through ARM in the current subscription: a registry in "
                                   "another subscription, or one created with a domain-name label scope (a hashed "
                                   "suffix in its login server), is not found by its short name."),
        "connectivity-dns": ("Registry name does not resolve",
                             "The login server name does not resolve from the caller's network (a private DNS "
                             "zone not linked, a misspelt name, a proxy)."),
        "resource-locks": ("A resource lock refuses the delete",
                           "An Azure resource lock (CanNotDelete or ReadOnly) on the registry, its resource group or "
                           "subscription refuses deletes with 409 ScopeLocked; remove it (az lock delete) first."),
        "purge-task-access": ("The purge task cannot get a token",
                              "On a registry in ABAC repository-permissions mode an ACR task has no data-plane "
                              "access unless it runs with --source-acr-auth-id and its identity holds a role."),
        "delete-permission": ("The identity may lack the delete permission",
                              "Deleting needs AcrDelete (or Container Registry Repository Contributor in ABAC mode, "
                              "or content/delete in a token's scope map)."),
        "network-access-denied": ("The registry firewall may refuse the caller",
                                  "With network rules or public access disabled, calls from other IPs (hosted "
                                  "build agents change IP) answer 403 DENIED."),
        "quarantined-images": ("Images held in quarantine",
                               "With the quarantine policy on, a pushed image cannot be pulled until a scanner "
                               "marks it Passed; without such a scanner it stays quarantined."),
        "storage-limit": ("Registry at its storage limit",
                          "A registry at its maximum storage refuses pushes with 405 until space is freed."),
    }
    title, cause = text.get(mode, (mode, mode))
    next_step = _next_step(mode, ref, n.repository)
    return Built(title, f"The ticket describes {title[0].lower() + title[1:]}", cause,
                 next_step, Step("Collect the evidence first (next step): the fix depends on what it shows."), (),
                 next_step=next_step)


_BORROW = {
    "dangling-manifests": _build_storage, "shared-layers": _build_storage, "storage-accounting": _build_storage,
    "locked-artifacts": _build_disallowed, "throttling": _build_throttled,
    "broken-index-references": _build_manifest_unknown, "manifest-not-found": _build_manifest_unknown,
    "authentication-required": _build_unauthorized,
    "private-endpoints-block-registry-delete": _build_pe,
}


def _build(mode: str, hits: Sequence[Hit]) -> Built:
    found = classify(hits[0].context)
    conf = confidence(found[1]) if found else 0.45
    n = hits[0].names
    builder = _BORROW.get(mode)
    if mode == "empty-repository":
        builder = _build_name_unknown
    built = builder(mode, hits) if builder else _generic(mode, hits)
    next_step = _next_step(mode, RegistryRef(n.get("registry")), n.repository)
    if builder:
        # From words alone nothing is certain: the borrowed fix is shown as notes, to run once confirmed.
        fix = built.fix
        built = replace(built, fix=Step(
            fix.summary + " (From a description only: confirm first.)", (),
            (*fix.notes, *("Once confirmed: " + c for c in fix.commands))))
    return replace(built, confidence=conf, next_step=next_step)


RECOGNISERS: tuple[Recogniser, ...] = (
    Recogniser("symptom-prose", (*CUES,), _detect, _build, _TRIGGER, KEYWORDS, confidence=0.5),
)
#: A ticket's words speak of the registry as a whole unless they name an object.
REGISTRY_LEVEL: frozenset[str] = frozenset()
