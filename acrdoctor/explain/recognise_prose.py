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

from acrdoctor.actions import Action, RegistryRef

from . import recognise_access, recognise_content, recognise_elsewhere, recognise_locks, recognise_policy
from .actions import (
    BundleScript,
    CheckHealth,
    ListCacheRules,
    ListCredentialSets,
    ListPrivateEndpointConnections,
    ListRepositories,
    ListRoleAssignments,
    ShowRegistry,
    ShowRepository,
    ShowSoftDelete,
    ShowTags,
    ShowUsage,
)
from .model import Step
from .negation import affirmed
from .recognisers import (
    _STORAGE,
    AGAINST_LIMIT,
    FIRST_CATALOGUE,
    STORAGE_BAR_FULL,
    STORAGE_NEAR_CAP,
    USAGE_AT_LIMIT,
    USAGE_EQUALS_CAP,
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
    confirm_first,
)

# --- cues ----------------------------------------------------------------------------------------------------

_I = re.IGNORECASE
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
    r"|\b(?:shrunk|shrank|dropped|went down|decreased|fell) by only\b|\bwent down by (?:only |about |just )?\d+ ?%"
    r"|\b(?:went|go(?:es)?|dropped|fell) from [\d.,]+ ?[KMGT]i?B to (?:only |just )?[\d.,]+ ?[KMGT]i?B"
    r"|\bchange[sd]? (?:only|just|by only|by just) [\d.,]+ ?[KMGT]i?B|\b(?:storage|usage|size)\b (?:\w+ )?unchanged\b"
    # "the Size is basically identical", "usage is about the same as before"
    r"|\b(?:storage|usage|size)\b (?:is|was|stays|stayed|remains|remained) (?:basically |essentially |about |roughly |"
    r"pretty much |more or less |practically )?(?:identical|the same|unchanged)\b"
    r"|\bstill (?:\w+ ){0,2}(?:the )?old (?:total|figure|number|value|size)\b"
    r"|\b\d+(?:\.\d+)? ?(?:x|times) (?:what|more than|higher than|bigger than)\b"
    # growth and small changes told with their numbers: "storage has climbed to 800 GB", "went from 300 GB to 298 GB"
    r"|\b(?:storage|usage|size|space)\b[^.\n]{0,30}\b(?:climbed|grew|has grown|went up|increased|rose|risen|jumped|"
    r"ballooned)\b|\bwent from [\d.,]+ ?[KMGT]i?B to [\d.,]+ ?[KMGT]i?B"
    r"|\bkeeps? (?:getting|becoming) (?:bigger|larger)\b|\b(?:getting|growing) (?:bigger|larger) (?:and (?:bigger|"
    r"larger)|every (?:day|week|month|night))"
    r"|\bpast (?:its|our|the) included\b|\bincluded (?:storage|\d+ ?[GT]i?B)"
    r"|\b(?:dropped|went down|decreased|fell|shrank|freed|reclaimed|released)(?: by)? (?:only |barely |just |about |"
    r"roughly |around |a mere )?(?:a few |a couple |\d[\d.,]* ?(?:[KMGT]i?B|bytes))"
    r"|\bexpect\w* to (?:free|get back|reclaim|save|recover)\b"
    r"|\bwhere did (?:the|all the|that) (?:rest|space|storage|gigabytes|\d+ ?[GT]i?B) go"
    r"|\b(?:what is|what's|something is) (?:using|eating|taking|consuming)(?: up)? (?:the|all the|our)? ?"
    r"(?:space|storage)"
    r"|\b(?:has ?n[o']?t|have ?n[o']?t|did ?n[o']?t|does ?n[o']?t|never|not) "
    r"(?:freed?|reclaim\w*|release\w*|give back|gave back|"
    r"recover\w*)(?: up)?\b[^.\n]{0,30}\b(?:space|storage|anything|much|any|GB|TB)"
    r"|\b(?:did ?n[o']?t|do ?n[o']?t|does ?n[o']?t|have ?n[o']?t|never|not) (?:get|got|gotten) "
    r"(?:any |much |the |our )?(?:storage|space|"
    r"gigabytes|\w+ )?back\b"
    r"|\bexpected [^.\n]{0,25}\bback\b|\bgot (?:back )?(?:maybe |only |just |about |barely )?[\d.,]+ ?[KMGT]i?B\b"
    r"|\b(?:free[sd]?|reclaim\w*|releas\w*|gave back|gives back)\b (?:almost |next to |basically |practically |"
    r"virtually )?nothing\b"
    r"|\b(?:storage|usage|size|space|figure|number|bill)\b[^.\n]{0,60}\b(?:still|exactly|remains?|stays?|stayed)\b"
    r"[^.\n]{0,20}\bthe same\b"
    r"|\b(?:storage|usage|size|space|figure|number)\b[^.\n]{0,80}\b(?:do ?n[o']?t|does ?n[o']?t|did ?n[o']?t) match\b"
    r"|\b(?:storage|usage|size|space|figure|number|portal|metric\w*)\b[^.\n]{0,80}\b(?:has ?n[o']?t|did ?n[o']?t|"
    r"not|never) (?:been )?(?:updat|refresh|reflect)\w*"
    r"|\b(?:storage|usage|size)\b[^.\n]{0,20}\b(?:delayed|lagging|stale)\b"
    r"|\bstill count\w* (?:against|toward)"
    r"|\b(?:cost|footprint|bill\w*|invoice|consumption|consumed storage|storage|usage|size)\b[^.\n]{0,40}"
    r"\b(?:did ?n[o']?t|does ?n[o']?t|not|never|barely|hardly|has ?n[o']?t)\b[^.\n]{0,25}?"
    r"\b(?:go(?:ne|es|ing)? down|went down|decrease|drop|reduc|chang|shrink|budge|move)"
    r"|\b(?:storage|usage|size|bill|invoice)\b[^.\n]{0,30}\b(?:is|was|remains?|stay(?:s|ed)?|looks?) "
    r"(?:exactly |still )?unchanged\b"
    r"|\bbloat\w*|\bhang(?:s|ing)? around|\bpil(?:e|es|ing) up"
    r"|\b(?:does ?n[o']?t|did ?n[o']?t|do ?n[o']?t|won't|never|not) (?:get|gets|got|become|becomes|grow)(?: any)? "
    r"(?:smaller|lighter|leaner)\b|\b(?:does ?n[o']?t|did ?n[o']?t|never|not) shrink\w*", _I)


@dataclass(frozen=True, slots=True)
class Cue:
    """A pattern that speaks for a failure mode, its weight, and whether a negation in its clause cancels it."""

    pattern: re.Pattern[str]
    weight: float
    negatable: bool = True


def _c(pattern: str, weight: float, negatable: bool = True) -> Cue:
    return Cue(re.compile(pattern, _I), weight, negatable)


#: Words a mode's cue and its anchor share (written once): soft delete by what it does, a long purge's expiring
#: token, a registry's private networking.
#: Deleted content back again after a push (soft delete restores a deleted repository when it is pushed to).
_CAME_BACK = (r"\b(?:deleted|removed|purged)\b[^.\n]{0,120}\b(?:came|come|coming) back\b|"
              r"\b(?:came|come) back\b[^.\n]{0,60}\b(?:after|once|when) (?:we |I )?(?:re-?)?push")
#: ACR's 405 in words: a lock, quarantine or a full registry answer it alike, so it counts for all three and the
#: words around it decide (as the 405 reader ranks them, recognisers._detect_disallowed).
_REFUSED_405 = r"\bdisallowed\b|not allowed(?! access)|\b405\b"
_RESTORE_INSTEAD = r"\brestor\w* instead\b|\bshould be restored\b|\brecover\w* deleted\b"
_RECOVERY_WORDS = (r"\bmanifest restore\b|\blist-deleted\b|\brecovery (?:window|period|days)\b|"
                   # soft delete by what it does: "the deleted-artifact recovery preview"
                   r"\bdeleted[- ]artifacts? recovery\b|"
                   r"\bdeletion[- ]recovery\b|\bundelete\b|\b\d+[- ]day recovery\b|\brecovery (?:for|of) deleted\b|"
                   r"\bkeep(?:s|ing)? deleted (?:images|artifacts|manifests)\b")
_LONG_PURGE = r"\bpurg\w*[^\n]{0,200}?\b(?:3|three) hours|\b(?:3|three) hours[^\n]{0,200}?\bpurg"
_PRIVATE_NETWORKING = (r"\bprivate access\b|\bprivately[- ]networked\b|\bprivate networking\b|"
                       # the registry "still connected to the private network": its private endpoint connections
                       r"\b(?:connected|connections?) to (?:the |a |our |their )?private network\b|\bnetworking "
                       r"(?:blade|tab)\b|\b(?:approved |pending )?connections? (?:from|in) (?:the |another |other )?"
                       r"(?:hub|spoke|subscriptions?|vnets?)\b")

#: A pinned digest the repository does not hold, in words (a chart's default digest, an image copied by tag).
_DIGEST_ABSENT = (r"\bdigest\b[^.\n]{0,60}?\b(?:is ?n[o']?t|isn't|not|never) (?:present|there|"
                  r"in (?:our|the|my|your))\b|"
                  r"\bdigest\b[^.\n]{0,40}?\b(?:does ?n[o']?t|does not|doesn't) exist")
_STORAGE_MODES = ("dangling-manifests", "shared-layers", "storage-accounting", "retention-policy", "soft-delete")

#: Per failure mode, what speaks for it. Weights: 3 = names the cause, 2 = a strong hint, 1 = consistent with it.
CUES: dict[str, tuple[Cue, ...]] = {
    "dangling-manifests": (
        _c(r"\b\d+ tags? but [\d,]+ manifests\b|\b[\d,]+ manifests\b[^.\n]{0,30}\bonly \d+ tags\b|"
           r"\bwith (?:the )?tag :?[\w.-]+ and nothing else\b|"
           r"\bonly (?:ever )?(?:push|use)\w* (?:the )?(?:one |a single )?tag\b", 3, False),
        # Counted: a repository's manifests far outnumber its tags (az acr repository show), one tag pushed over and
        # over ("pushes `latest` about 50 times a day"), tags deleted through an SDK (delete_tag).
        _c(r"manifestCount\W{1,4}\d{3,}\D{1,40}tagCount\W{1,4}\d{1,2}\b|tagCount\W{1,4}\d{1,2}\D{1,40}"
           r"manifestCount\W{1,4}\d{3,}|\bpush\w*\b[^.\n]{0,60}\b(?:dozens of|hundreds of|many|multiple|\d+) times|"
           r"\bonly (?:about |around |~ ?)?\d+ tags\b|\bnever keep (?:any )?(?:other|old) tags|\bdelete[_ ]tag\b|"
           r"\boverwrit\w* (?:the |a |our )?same tag|\b(?:remov|delet)\w* (?:maybe|approximately|roughly|like|"
           r"~ ?)\s*\d[\d,]* tags", 2.5, False),
        _c(r"\buntag(?:ged|ging|s)?\b", 1.5),
        _c(r"\bre-?push\w*|\bre-?publish\w*|\bsame tags?\b|\bpush\w* the same tag|"
           r"\bpush\w*\b[^.\n]{0,40}\bagain\b|same tag again|"
           r"overwrit\w* (?:the |a )?tag|loses? (?:its|their) tag",
           2),
        _c(r"more manifests than tags|empty tag list|no tags? (?:left|at all)|without (?:any )?tags|tagless|"
           r"no tags? (?:points?|pointing|refer\w*) to|push\w*[^.\n]{0,25}(?:dozens|hundreds|many|multiple|\d+) times",
           2.5, False),
        # (untagged manifests in other words: "hundreds of entries with no tag next to them")
        _c(r"tags[- ]only|only (?:the )?tags|show-manifests|untagged manifests|"
           r"\b(?:entries|manifests|digests|rows|images|versions) with no tags?\b", 1.5),
        _c(r"\bremov\w* (?:the |old |their )?tags|\bdelet\w* (?:the |old )?tags\b(?! and)|"
           r"only (?:delete|remove)s? tags",
           2),
        # Tags deleted by name (az acr repository delete --tag, untag, the portal's "Delete tag"): the manifests stay.
        _c(r"\brepository (?:delete|untag)\b[^.\n]{0,80}--tag\b|\buntag\b|\bdelete tag\b|"
           r"\b(?:delet|remov|drop|clean)\w*(?: up)? (?:(?:about|around|over|some|all|the|our|old|unused|stale|"
           r"obsolete|many|\d[\d,]*|(?:hundreds|thousands|dozens|lots|a lot) of)\s+)*"
           r"tags\b(?! and (?:the |their )?(?:manifests|images))",
           2),
        _c(r"Number of deleted manifests: 0", 3, False),
        _c(r"\bdangling\b|\borphan\w*", 2),
    ),
    "shared-layers": (
        _c(r"\bLayer already exists\b|\bsum\w*\b[^.\n]{0,60}\bimageSize|\bimageSize\b[^.\n]{0,60}\b(?:sum|add)|"
           r"\bgolden image\b|\bFROM (?:our|the|a|an) (?:[\w-]+ ){0,3}?(?:image|base)\b", 3),
        _c(r"\bsame (?:[\w./-]+ ){1,4}?base\b|\bbuilt (?:on|from) (?:the )?same\b|\badds? up the (?:manifest|image) "
           r"sizes\b|\bsum of (?:the )?(?:manifest|image) sizes\b", 3),
        _c(r"\bbase image|\bsame base\b|\bFROM the same\b|\bshared? (?:the )?layers|\blayers? (?:are |were )?shared|"
           r"common layers|\bshare (?:a |the )?(?:common|base)", 3),
        _c(r"\badd up to\b|\bsum of\b|\beach (?:one |image )?(?:is |was |shows )?(?:about |roughly |around |~)?"
           r"[\d.]+ ?[KMGT]i?B", 1.5, False),
        _c(r"according to docker|docker (?:images|image ls) (?:says|shows)|on my laptop", 1, False),
        _c(r"only (?:went down|dropped|decreased|fell|freed|reclaimed)|small fraction|a few hundred", 1.5, False),
    ),
    "storage-accounting": (
        _c(r"\bkept (?:reporting|showing|saying)\b|\bfor hours\b", 2, False),
        _c(r"\bstill (?:\w+ ){0,2}(?:the )?old (?:total|figure|number|value|size)\b|\b\d+(?:\.\d+)? ?(?:x|times) "
           r"(?:what|more than|higher than)\b", 2, False),
        _c(r"geo-?replica\w*|\breplica(?:s|tion|ted)?\b|\bregions?\b", 2.5),
        _c(r"\binvoice|\bbill(?:ed|ing)?\b|\bcharged?\b", 1),
        _c(r"\b(?:on|since|by|until) (?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b|days? later|"
           r"overnight|next morning|hours? later|next day|since yesterday|(?:an|\d+|few) hours? ago|"
           r"still (?:\w+ ){0,3}the same|stale|"
           r"not (?:yet )?updated|"
           r"asynchron\w*|lag\w*|delay\w*", 2),
        _c(r"\bmetric\w*|StorageUsed", 1),
        # Asking when the figure will catch up: the writer expects it to, later.
        _c(r"how long (?:until|before|does it take|will it take|it takes)|(?:has ?n[o']?t|have ?n[o']?t|not) "
           r"(?:changed|moved|updated|dropped|gone down|decreased) yet|when (?:will|does|should) (?:it|the (?:usage|"
           r"number|figure|size|storage)) (?:drop|update|go down|change|reflect|refresh)", 2, False),
        _c(r"soft[- ]?delet\w*", 2),
        _c(r"none of (?:their|the) layers (?:are|were) shared|(?:layers )?(?:are|were) not shared|nothing shared|"
           r"no shared layers", 2.5, False),
    ),
    "retention-policy": (
        # The policy by what it does, not its name: "the untagged-cleanup policy", "automatic cleanup of untagged".
        _c(r"\b(?:untagged|automatic|auto)[- ]?(?:cleanup|clean-up|purge|deletion|delete|removal)\b[^.\n]{0,20}"
           r"\b(?:policy|feature|setting|rule|option)|\bautomatic (?:cleanup|clean-up|deletion|purge|removal) of "
           r"(?:old )?untagged|\b(?:cleanup|clean-up|deletion|removal|purging) of untagged manifests (?:is |was |got )?"
           r"(?:enabled|turned on|switched on|configured|set up|on)\b", 5),
        _c(r"\bretention(?![a-z])(?!\s+(?:job|script|task|pipeline|process|tool|run))", 6),
        _c(r"\buntagged[- ]cleanup\b", 3),
        _c(r"untagged (?:manifests?)?[^.\n]{0,60}(?:never|not|n't) (?:cleaned|removed|deleted|purged)|"
           r"(?:never|not|n't) (?:cleaned|removed|deleted|purged)[^.\n]{0,30}untagged", 1.5, False),
    ),
    "soft-delete": (
        _c(_RESTORE_INSTEAD + r"|\bpreview (?:undelete|recover\w*)", 3, False),
        _c(_RECOVERY_WORDS, 3),
        # deleted content back after a push: pushing to a soft-deleted repository restores it with its tags
        _c(_CAME_BACK, 3, False),
        _c(r"soft[- ]?delet\w*", 2.5),
        _c(r"deleted artifacts|scheduled purge date|\brestore\w*|recycle bin|\brecover\w*", 2),
        _c(r"count(?:s|ed)? (?:against|toward)|still (?:billed|charged|counted)|purge them (?:early|now)|"
           r"retention days|for \d+ days", 1.5, False),
        # The documented conflicts: soft delete with retention, geo-replication or artifact cache.
        _c(r"(?:can(?:no|')t|could(?:n't| not)|not supposed to)[^.\n]{0,30}(?:at the same time|together|both)|"
           r"\bconflict\w*|mutually exclusive|not supported (?:with|on)", 2, False),
    ),
    "locked-artifacts": (
        # The repository's or image's attributes changed just before ("Update-AzContainerRegistryRepository
        # -DeleteEnable $true", az acr repository update): the flags set with it lock reads or writes.
        _c(r"\bUpdate-AzContainerRegistry(?:Repository|Manifest|Tag)\b|\b(?:repository|manifest) update\b|"
           r"-(?:Delete|Write|Read|List)Enabled?\b|--(?:delete|write|read|list)-enabled\b", 1.5),
        _c(r"(?:can(?:no|')t|can no longer|could(?:n't| not)|unable to|no longer able to)[^.\n]{0,20}"
           r"\b(?:read|list)\b", 1.5, False),
        _c(r"[\"'“]?read[- ]only[\"'”]?[^.\n]{0,30}\b(?:tags?|images?|repo\w*|digests?)\b", 2.5),
        _c(r"(?:--)?(?:write|delete)[- ]?enabled(?:[ =]+|\s+(?:set to|to|is|was|=)\s*)false|"
           r"(?:write|delete)Enabled\W+false|(?:write|delete)-(?:protected|disabled)|disabl\w* (?:delete|write)s?\b|"
           r"(?:delete|write)s? (?:is |are |was |were )?disabled", 3.5, False),
        # Tags or images locked (not a resource lock): a purge leaves them in place without a word.
        _c(r"\block(?:ed|s|ing)? (?:every|all|each|the|our|old|release|those|these)? ?(?:\w+ )?(?:tags?|images?|"
           r"manifests?|digests?)\b|\b(?:tags?|images?|manifests?) (?:are|were|is|was|get|got) locked\b|"
           r"\bpurg\w*[^.\n]{0,80}\b(?:skip\w*|leav\w*|ignor\w*|left)\b[^.\n]{0,60}\block", 2),
        _c(r"\block(?:ed|s)?\b(?! file)(?!(?: \w+){0,2} down\b)|image lock|write[- ]protect\w*|"
           r"read[- ]only (?:tags?|images?|repo\w*)|"
           r"\bimmutable\b|protected (?:release )?(?:tags?|images?)|set (?:\w+ ){0,2}read[- ]only", 2.5),
        _c(_REFUSED_405, 2),
        # ACR's own refusal, paraphrased: "the operation is not allowed"
        _c(r"operation (?:is |was )?(?:not allowed|disallowed)", 1.5, False),
        _c(r"greyed out|grayed out|disabled button|button is disabled", 1.5),
        _c(r"delete (?:button|option|menu|icon)[^.\n]{0,30}(?:greyed|grayed|disabled)|(?:greyed|grayed) out[^.\n]{0,30}"
           r"delet", 1.5, False),
        _c(r"can(?:no|')t (?:be )?(?:delet|remov)\w*|unable to (?:delete|remove)|won't (?:let us )?delet\w*|"
           r"refus\w* (?:to )?delet\w*", 1,
           False),
    ),
    "quarantined-images": (
        _c(r"\bexcept (?:the |our )?(?:[\w-]+ ){0,4}?(?:scann\w*|vendor)\b|\b(?:every|any|all) (?:image|tag)s? pushed "
           r"since\b|\bby digest\b[^.\n]{0,20}\bdisallowed\b", 3, False),
        # new pushes refused while older images pull, for a while after each push
        _c(r"\b(?:new|fresh|brand-new|newly pushed|just pushed) (?:pushes|images|tags|builds|versions)\b[^.\n]{0,60}"
           r"(?:can(?:no|')t|fail\w*|disallowed|\b405\b|refused)|\bpushed before\b[^.\n]{0,40}\b(?:pulls?|works?)\b"
           r"[^.\n]{0,10}\bfine\b|\b\d+\s*(?:-\s*\d+\s*)?min\w*,? then (?:ok|fine|it works)\b", 3, False),
        # A refusal that clears by itself some time after the push: the scan finished.
        _c(r"\b(?:for |about |around )*(?:an|one|\d+|a few|several) (?:hours?|minutes?|mins?) after (?:the |a |each )?"
           r"push|\b(?:starts?|begins?) (?:to )?work\w* (?:again )?(?:by itself|on its own)|"
           r"\bworks? again (?:by itself|on its own)", 3, False),
        _c(r"\bquarantineState\b|\bafter (?:the )?scan\w*[^.\n]{0,15}\b(?:finish|complet|done|pass)|"
           r"\b(?:must|have to|need to|should) be scanned\b|\bscann(?:er|ing)(?: service)? (?:holds?|blocks?|gates?)|"
           r"\b(?:holds?|blocks?|gates?) new (?:pushes|images)", 3.5, False),
        _c(r"quarantin\w*", 4),
        _c(r"\bdefender\b|\bscan(?:ned|ner|ning)?\b", 1),
        # The symptom in words: pushed images held until a scan they wait for finishes.
        _c(r"\bscan\w*[^.\n]{0,30}\b(?:pending|in progress|not (?:yet )?(?:finished|complete\w*|done|passed))|"
           r"\b(?:pending|awaiting|waiting for|wait for)[^.\n]{0,20}\bscan|"
           r"\buntil (?:the |a |an )?(?:\w+ )?scan\w*[^.\n]{0,20}\b(?:finish|complet|done|pass)", 3.5, False),
        _c(r"\bstuck (?:in |at |as )?(?:a )?pending|\bpending (?:state|status)", 2, False),
        _c(_REFUSED_405, 2, False),
        _c(r"(?:can(?:no|')t|could(?:n't| not)|unable to|fails? to|not able to) (?:\w+ )?pull|\bpull\w* fails?",
           1, False),
    ),
    "storage-limit": (
        _c(r"\b(?:39|4\d|9\d|1\d\d),\d{3},\d{3},\d{3},\d{3}\b|\blimit of exactly the same\b|" + STORAGE_BAR_FULL, 3,
           False),
        # show-usage's current value equal to its limit ("Size 43980465111040 43980465111040 Bytes"), a registry
        # "at 100%", or a ceiling asked to be raised
        _c(USAGE_AT_LIMIT + r"|\b100 ?% (?:full|used)|" + USAGE_EQUALS_CAP, 3),
        _c(STORAGE_NEAR_CAP, 2.5),
        _c(AGAINST_LIMIT, 2.5),
        _c(r"\bpush\w*\b[^.\n]{0,40}\bfail\w*", 1, False),
        _c(r"storage (?:quota|limit|cap\b|capacity)|(?:quota|limit|capacity) (?:exceeded|reached|hit)|"
           r"\bregistry (?:is )?full\b|maximum storage|out of (?:storage|space)|\b(?:40|100|20) ?TiB\b", 3),
        _c(r"push(?:es)? (?:now )?(?:fail|are refused|are rejected|get refused)\w*|can(?:no|')t push|"
           r"\bpush(?:es)? (?:is |are |was |were )?(?:denied|refused|rejected|blocked)\b", 1.5, False),
        _c(_REFUSED_405, 2, False),
    ),
    "broken-index-references": (
        _c(r"\bWindows (?:workloads|pods|apps)\b|\bmulti-OS\b|\bLinux ones\b", 2.5),
        _c(r"\bM[1-4](?:/M[1-4])* Macs?\b|\bx64\b|\bwithout (?:a |any )?tags?\b", 2),
        _c(r"\bWindows (?:Server|nodes?|hosts?)\b|\bLinux nodes?\b|\barm/v\d\b|\bx86\b|\bRaspberry Pi\b",
           2.5),
        _c(r"multi-?arch\w*|manifest list|image index|\bindex(?:es)?\b|--platform|\bplatforms?\b|buildx|"
           r"\b(?:arm64|amd64|linux/\w+|Apple Silicon|Graviton)\b", 2.5),
        _c(r"\bsign(?:ed|ature|atures)?\b|cosign|notation|\bsbom\b|attestation|referrer\w*", 1.5),
        _c(r"(?:can(?:no|')t|could(?:n't| not)|no longer|un)(?:\s*be)?\s*pull\w*|pull\w* fails?|"
           r"pull\w*\b[^.\n]{0,40}\bfail\w*|fail\w* to pull|"
           r"manifest unknown|(?:is )?not found", 1, False),
        _c(r"--untagged|untagged|clean-?up|\bpurg\w*", 1),
        # What went missing is under a kept image: its platform (child) manifests, deleted as untagged.
        _c(r"\bunderneath\b|\bchild(?:ren)? manifests?|\bsub-?manifests?|\bplatform manifests?|"
           r"something (?:underneath|inside|below|under it) (?:has |is |was )?(?:gone|missing|deleted)", 2.5, False),
        _c(r"(?:not|n't|never) (?:in scope|deleted|listed|touched|selected)[^.\n]{0,100}\bpull|"
           r"\bpull[^.\n]{0,100}(?:not|n't|never) (?:in scope|deleted|listed|touched|selected)", 1.5, False),
    ),
    "manifest-not-found": (
        _c(r"\bmanifest[- ]not[- ]found\b", 2, False),
        _c(r"\b(?:colleague|someone else|another (?:team|person|engineer|job))\b[^.\n]{0,60}\b(?:cleanup|clean-up|"
           r"purg\w*|delet\w*)", 1.5, False),
        _c(r"\bacr purge\b|\bpurg\w*", 1.5, False),
        _c(r"\b404\b|is not found|manifest unknown|MANIFEST_UNKNOWN|not found|(?:is|are) ?n[o']?t there|"
           r"does ?n[o']?t exist", 1.5, False),
        _c(r"--concurrency|concurrent\w*|in parallel|two (?:purge|cleanup)s?|at the same time|overlap\w*|"
           r"another (?:job|process|pipeline|run|purge)|already (?:removed|deleted|gone)", 1.5),
        _c(r"sha256|digest", 0.5, False),
        _c(_DIGEST_ABSENT, 3, False),
        # The digest of the image's config (docker's image id) is not a manifest's: the registry has no such manifest.
        _c(r"\bconfig(?:uration)?(?:\.| blob'?s? | )digest|digest of the config|\bimage id\b|\bconfig blob\b",
           2, False),
    ),
    "connectivity-refresh-token": (
        _c(r"Access to registry (?:'[^'\n]*' )?was denied|Unable to get admin user credentials|"
           r"\brefresh token\b[^.\n]{0,40}(?:fail|error|denied|refused)|ARM audience|azureADAuthenticationAsArmPolicy",
           3.5, False),
        # Signing in fails on the service's side: the token exchange behind az acr login answers 5xx.
        _c(r"(?:az acr login|docker login|\blog(?:ging)? ?in(?:to)?\b|sign(?:ing)? ?in)[^.\n]{0,80}"
           r"(?:internal server error|\b50[0234]\b|server error|service unavailable)", 3, False),
    ),
    "throttling": (
        _c(r"\b429\b|too many requests|TOOMANYREQUESTS|\bthrottl\w*", 5, False),
        _c(r"rate[- ]limit\w*|in parallel|concurren\w*|\bburst|at the same time|simultaneous\w*", 1),
        _c(r"rate[- ]limit\w*", 2.5),
        # The registry cutting a client off after the same reads repeated, told in words (microsoft/fhir-server#3318).
        _c(r"\b(?:again and again|over and over|repeatedly)\b[^.\n]{0,120}?\buntil\b[^.\n]{0,60}?\b(?:stops?|stopped|"
           r"block\w*|refus\w*|reject\w*|cuts? (?:it|us|them) off)\b|"
           r"\b(?:stops?|stopped) (?:letting|allowing) (?:it|us|them|the \w+) (?:read|pull|download)", 3, False),
    ),
    "authentication-required": (
        # the client's own login never done ("I never ran helm registry login first")
        _c(r"\b(?:never|did ?n[o']?t|have ?n[o']?t|haven't) (?:ran|run|do|did|done|used) (?:a |any |the )?"
           r"(?:[\w-]+ ){0,2}?login\b|\bwithout (?:a |any |running )?(?:[\w-]+ ){0,2}?login\b", 3, False),
        # The registry's challenge: a client that stops at it never asked for a token.
        _c(r"\bWww-Authenticate\b[^\n]{0,20}\bBearer\b|\bBearer realm=", 3, False),
        _c(r"authori[sz]ation required|authentication required|\b401\b|unauthori[sz]ed|unauthenticated|"
           r"\bnot (?:logged|signed) in\b", 2.5, False),
        _c(r"token\w*[^.\n]{0,40}(?:expir\w*|no longer (?:valid|accepted)|invalid|times? out|lifetime|last longer)|"
           r"(?:expir\w*|stale)[^.\n]{0,20}token|refresh (?:it|the token)|log(?:ged)? (?:out|in again)|"
           r"az acr login[^.\n]{0,40}again|every (?:few )?(?:hours?|minutes?)|(?:3|three) hours|"
           r"(?:login|log-in|sign-?in|session|credential\w*)[^.\n]{0,30}expir\w*", 2.5),
        # A login some hours before the failure: the token az acr login stored lives about three hours.
        _c(r"(?:az acr login|docker login|logged in|signed in)[^.\n]{0,60}\b(?:earlier|this morning|yesterday|"
           r"(?:an|one|two|three|several|a few|\d+) hours? (?:ago|before|earlier)|(?:at|in) the (?:morning|start))\b",
           3),
        _c(r"(?:after|runs? for|takes?) (?:about |roughly |~|a few |several |some )?\d* ?(?:minutes|mins|hours|h)\b|"
           r"long(?:er)? (?:\w+ )?(?:runs?|jobs?|builds?|uploads?|pushes)", 1.5, False),
        # The refusal on a push or a pull itself (not on a delete, a listing or an admin call).
        _c(r"\b(?:push\w*|pull\w*|upload\w*)\b[^.\n]{0,60}(?:unauthori[sz]ed|\b401\b|authentication required)|"
           r"(?:unauthori[sz]ed|\b401\b|authentication required)[^.\n]{0,60}\b(?:push\w*|pull\w*|upload\w*)\b", 1,
           False),
        # The registry's admin user: its password regenerated or typed wrong where it is stored.
        _c(r"\badmin (?:account|user|credentials?|password|login)\b", 1),
    ),
    "delete-permission": (
        _c(r"\b(?:remov\w*|delet\w*|clean\w* up)\b[^.\n]{0,80}\bnot authori[sz]ed|\bnot authori[sz]ed\b[^.\n]{0,60}"
           r"\b(?:remov|delet)|\b(?:do|does|did) not have authori[sz]ation\b|\bAction '?delete'?|"
           r"\bnames? (?:the )?action\b", 3, False),
        _c(r"\bpush role\b", 1, False),
        _c(r"\bAcrDelete\b|Container Registry Repository Contributor|content/delete|"
           r"(?:permission|right|role|access)s? to delete|not (?:authori[sz]ed|permitted|allowed) to delete|"
           r"delete (?:permission|right|role)s?|insufficient_scope|missing (?:a |the )?(?:permission|role)",
           3, False),
        _c(r"only (?:has|have|holds?|got|gets) (?:the )?Acr(?:Pull|Push)|(?:what|which) role|"
           r"role[^.\n]{0,20}\bdelet\w*|\bdelet\w*[^.\n]{0,20}\brole|nobody [^.\n]{0,30}can delete", 3, False),
        _c(r"delet\w*[^.\n]{0,40}\b40[13]\b|delet\w*[^.\n]{0,40}(?:fails?|failed|refused|denied|forbidden)|"
           r"\b40[13]\b[^.\n]{0,40}delet\w*", 2, False),
        _c(r"\b403\b|forbidden|access denied|\bdenied\b", 1, False),
        _c(r"\bAcrPush\b|\bAcrPull\b|\bcontributor\b|\bReader\b|\bscope[- ]map|\bABAC\b|role assignment", 1),
        _c(r"not authori[sz]ed to (?:perform|do|delete)|does not have authorization|AuthorizationFailed|"
           r"permission denied", 2.5, False),
        # A scope map's built-in or custom grants: pull (content/read) does not list tags (metadata/read).
        _c(r"\b_repositories_(?:pull|push|admin)\b|\b(?:content|metadata)/(?:read|write|delete)\b", 2, False),
        _c(r"(?:list(?:ing)? (?:of |the )?tags|tags? list|catalog)[^.\n]{0,60}(?:\b401\b|unauthori[sz]ed|denied|"
           r"fail\w*)|(?:\b401\b|unauthori[sz]ed|denied)[^.\n]{0,60}(?:list(?:ing)? (?:of |the )?tags|tags? list)",
           1.5, False),
    ),
    "network-access-denied": (
        _c(r"\bharden\w*|\bsecurity team (?:changed|restricted|locked)", 2),
        # It works from one place and not from another: the registry's network rules allow by address.
        _c(r"\b(?:another|different|other) (?:country|office|location|site|city)\b|\bfrom (?:the|our) office\b|"
           r"\boffice network\b|\bhome network\b|\bfrom home\b", 2),
        _c(r"\bfirewall\b|network[- ]rules?|selected networks|public (?:network )?access|ip (?:allow ?list|whitelist|"
           r"rules?|range|address(?:es)?)|allowed ip|\bnot allowed access|service endpoint|trusted services|"
           r"client ip|ip (?:address )?(?:is |was )?not allowed|public endpoint|\bvnet\b|virtual network|"
           r"locked (?:\w+ ){0,2}down|\bwhitelist\w*|\ballow-?list\w*|private network|"
           r"private (?:access|network|endpoints?) only|"
           r"networking (?:was |has been )?changed|network settings", 3),
        _c(r"\b403\b|forbidden|\bdenied\b|agent\w*|hosted (?:agent|runner)|github actions|build (?:agent|task)",
           1, False),
    ),
    "private-endpoints-block-registry-delete": (
        _c(_PRIVATE_NETWORKING, 2.5),
        _c(r"private[ -]?endpoints?\b|private link|privatelink", 2.5),
        _c(r"(?:delet\w*|remov\w*|tear\w* (?:it |everything )?down|teardown|destroy\w*|decommission\w*)"
           r"[^.\n]{0,60}(?:registry|registries|acr|resource group)|(?:registry|acr)[^.\n]{0,60}"
           r"(?:delet\w*|remov\w*|tear\w* down|destroy\w*)|\bstuck\b|'Deleting'|\bDeleting\b|times? out", 2, False),
    ),
    "empty-repository": (
        _c(r"\b(?:0|zero|no) (?:tags|manifests|images)\b|\bempty repo\w*|nothing in it|(?:repo\w*|it|they) (?:is|are) "
           r"(?:now )?empty", 2, False),
        _c(r"still (?:listed|shows|showing|show up|there|appears)|(?:shows|listed|show) up|ghost|phantom|NAME_UNKNOWN|"
           r"name (?:is ?n[o']?t|not) known|"
           r"name not known|\blists? it\b|\bis listed\b|(?:portal|list\w*|show\w*)[^.\n]{0,40}"
           r"\b(?:0|zero|no) (?:tags|manifests)", 2, False),
        _c(r"delet\w* (?:the |a |that |this )?(?:whole |entire )?repo(?:sitory)?|"
           r"repository delete(?!(?:\s+-\S+(?:\s+[^-\s]\S*)?)*\s+--(?:image|tag)\b)|"
           r"(?:remov|delet)\w* it\b", 1.5, False),
    ),
    "login-server-not-found": (
        _c(r"\bGet-AzContainerRegistry\b[^.\n]{0,120}\bResourceNotFound\b|\bof type Microsoft\.ContainerRegistry/"
           r"registries could not be found", 3, False),
        _c(r"\bretriev\w* (?:the )?login server|\blogin server\b[^.\n]{0,30}\b(?:not found|could not|cannot|"
           r"can't|unable)", 3, False),
        _c(r"could not be found in subscription|resource with name [^.\n]{0,80}could not be found|"
           r"\bbe found in the subscription\b|\bno resource with (?:that|this|the) name\b|"
           r"--suffix|dnl ?scope|auto-?generated (?:domain|suffix)|random(?:-| )suffix|wrong subscription|"
           r"another subscription|az account set", 3),
    ),
    "connectivity-dns": (
        _c(r"\bcheck-health\b[^.\n]{0,60}\bdns\b|\bdns (?:error|step|check|lookup) (?:fail|error)", 2, False),
        _c(r"\bdns\b|does(?:n't| not) resolve|no such host|nslookup|name resolution|could not resolve|\bNXDOMAIN\b",
           3, False),
    ),
    "resource-locks": (
        _c(r"\bgovernance\b|\b(?:resource group|subscription|rg)\b[^.\n]{0,30}\bread-only\b", 2.5),
        _c(r"\blanding zone\b|\binherited (?:\w+ )?(?:settings?|locks?|polic\w*)", 2),
        _c(r"\b(?:conflict|409)\b", 1.5, False),
        _c(r"resource lock|CanNotDelete|ScopeLocked|\block on the (?:resource group|subscription|registry)|"
           r"management lock|az lock|\bscope (?:is |was |being |has been )?locked|\blocked scope|"
           r"\b(?:resource group|subscription)s? (?:is |are |was |were |being |has been )?locked", 4),
    ),
    "artifact-cache": (
        _c(r"\bmanaged by (?:a |the )?(?:cache )?rule\b|\brule\b[^.\n]{0,40}\b(?:owns|manages)\b", 3, False),
        _c(r"cache_rules?\b|\b(?:through|via|from) (?:the |our |a )?(?:\w+ )?cache\b|\bregistry cache\b", 3),
        _c(r"cache rules?|artifact cache|pull-?through|cached (?:image|repo\w*|tag)s?|caching rules?|"
           r"mirroring rules?|mirror rules?", 3),
        _c(r"manifest unknown|not found|stale|old(?:er)? (?:version|digest)|(?:does ?n[o']?t|never) (?:update|refresh)|"
           r"delet\w*", 1, False),
        # A rule that cannot be created over an existing repository, or cached images that come back.
        _c(r"(?:can(?:no|')t|could(?:n't| not)|unable to|fails? to|won't|will not) (?:create|add|set up) "
           r"(?:a |the |our |any |this )?(?:cache|caching) rule|"
           r"(?:cache|caching)[_ ]rules?[^.\n]{0,80}(?:already exists?|exists already)", 3, False),
        _c(r"(?:came|come|comes|coming) back|reappear\w*|re-?appear\w*|keeps? (?:coming back|reappearing)", 1, False),
        # The registry's own side of a rule: its credential set (Key Vault secrets read by the registry's identity)
        # unhealthy, or a repository a rule owns refusing content put in by hand.
        _c(r"credential ?sets?\b[^.\n]{0,80}\b(?:unhealthy|degraded|key ?vault|secrets? (?:expired|rotated))|"
           r"\bunhealthy\b[^.\n]{0,60}\bcredential ?sets?\b", 3, False),
        _c(r"cache rule[^.\n]{0,120}\b(?:push\w*|import\w*|cop(?:y|ies|ied)|populat\w*|put (?:content|images?))\b|"
           r"\b(?:push\w*|import\w*|cop(?:y|ies|ied)|populat\w*)\b[^.\n]{0,80}\brepo\w*[^.\n]{0,40}"
           r"(?:cache|pull-?through) rule",
           2, False),
    ),
    "connected-registries": (
        _c(r"\bsync[- ]tokens?\b|\bsync[- ]scope[- ]maps?\b|\bconnected-registry\b|\bon-?prem(?:ises)? (?:mirror|"
           r"registry|registries)\b|\bedge registr\w*|\btoken is (?:still )?in use\b", 3.5),
        _c(r"connected registr(?:y|ies)|sync tokens?|\bon-?prem(?:ises)? registry (?:synced|syncing)", 3.5),
        _c(r"scope[- ]maps?|\bsync\w*|parent registry|ReadOnly mode|read-only mode", 1),
    ),
    "connectivity-ssl": (
        _c(r"\bSSL error|\bTLS handshake (?:error|fail\w*|timeout)|\bsecure connection\b|\b(?:ssl|tls)\b[^.\n]{0,20}"
           r"\b(?:error|fail\w*)|\bprotocol[_ ](?:alert|version)\b|\bfatal alert\b|\bhandshake\b[^.\n]{0,30}\bfail",
           3.5, False),
    ),
    "connectivity-challenge": (
        _c(r"(?:did ?n[o']?t|does ?n[o']?t|not|never|no) (?:issue|return|send|give)\w* (?:a |any )?challenge|"
           r"\bchallenge\b[^.\n]{0,30}\b(?:fail\w*|error|missing)|\bfail\w* (?:at|on|in) (?:the )?(?:step of )?"
           r"challenge", 3.5, False),
    ),
    "connectivity-aad-login": (
        _c(r"\bBasic realm\b|(?:azure ad|\baad\b|entra(?: id)?)[^.\n]{0,40}\b(?:login|sign-?in|auth\w*)\b[^.\n]{0,40}"
           r"\b(?:not (?:being )?supported|unsupported|error|fail\w*)|\b(?:login|sign-?in)\b[^.\n]{0,30}not (?:being )?"
           r"supported|(?:not|n't) support\w* (?:azure ad|aad|entra)|(?:azure ad|\baad\b|entra)[^.\n]{0,20}\b(?:login|"
           r"sign-?in)\b[^.\n]{0,10}\b(?:is ?n[o']?t|not) (?:being )?supported", 3.5, False),
    ),
    "connectivity-access-token": (
        _c(r"\bCONNECTIVITY_ACCESS_TOKEN_ERROR\b|\baccess token\b[^.\n]{0,40}(?:fail|error|denied|refused)|"
           r"\baccess token step\b|\bfails? (?:on|at) (?:the )?access token\b", 3.5, False),
    ),
    "connectivity-unreachable": (
        _c(r"\bcontext deadline exceeded\b|\bi/o timeout\b", 2.5, False),
        _c(r"\bdial tcp [\d.]+:443: i/o timeout|\b(?:tcp )?connection (?:just )?never opens", 3, False),
        _c(r"(?:/v2/|login server|registry|azurecr\.io)[^.\n]{0,40}\b(?:times? out|timed out|timeouts?|connection "
           r"refused|unreachable)\b|\b(?:times? out|timed out|timeouts?|connection refused)\b[^.\n]{0,40}"
           r"(?:/v2/|login server|azurecr\.io)", 3, False),
    ),
    "repository-not-found": (
        _c(r"\bno longer has anything under\b|\bnothing (?:left )?under\b", 3, False),
        _c(r"\b(?:repo(?:sitory)?|name) (?:is |was )?unknown\b|\bname unknown\b|\bnot known to (?:the )?registry\b|"
           r"\brepository[^.\n]{0,30}\bunknown\b", 3, False),
        _c(r"repo(?:sitory)? (?:\S+ )?(?:does ?n[o']?t|does not|no longer) exists?|repo(?:sitory)? (?:is )?not found|"
           r"(?:can(?:no|')t|could(?:n't| not)) find (?:the |our |that )?repo(?:sitory)?|no such repo(?:sitory)?", 3,
           False),
    ),
    "tag-not-found": (
        _c(r"\b(?:get_tag_properties|getTagProperties|GetTagProperties)\b[^.\n]{0,80}\b(?:ResourceNotFound\w*|not "
           r"found|404)|\b(?:do ?n[o']?t|NOT|no longer|never) (?:push|build|publish)\w* (?:a |the |any )?latest\b", 3,
           False),
        _c(r"\btag[^.\n]{0,30}\bnever (?:arriv\w*|made it|reach\w*|got (?:there|pushed)|landed)|"
           r"\b(?:image|tag) [\w./:-]+ is not found\b", 3, False),
        _c(r"\btag[^.\n]{0,20}\b(?:can(?:no|')t|could(?:n't| not)) be found|\btag (?:is )?unknown\b", 3, False),
        # The build that should have pushed the tag never did: only an older tag is there.
        _c(r"\bnever (?:actually |really )?(?:got |was |were )?push(?:ed)? (?:it|them|that tag|the tag|the image|"
           r"that image)\b", 3, False),
        _c(r"\btag (?:\S+ )?(?:does ?n[o']?t|does not|no longer) exists?|\btag (?:is )?(?:missing|not found|gone)|"
           r"no such tag|(?:can(?:no|')t|could(?:n't| not)) find (?:the |that )?tag|"
           r"tag (?:was )?never (?:pushed|built)",
           3, False),
        # One image refused while the others pull: the reference, not the access (ACR answers 401 for it).
        Cue(recognise_elsewhere.PULL_ACCESS_RULED_OUT, 1.5, False),
        _c(r"\b401\b|unauthori[sz]ed|authentication required|authori[sz]ation (?:error|failure|failed)|"
           r"access denied", 1.5, False),
    ),
    "purge-task-access": (
        _c(r"\bacr-cli:\d|\bold (?:acr-cli|acr purge) image|\baz acr run\b[^\n]{0,40}\bacr purge\b", 2.5, False),
        _c(r"\bpermission (?:model|mode)\b|\bnew (?:permission|role) mode\b", 2),
        _c(r"\b(?:scheduled|nightly|weekly) (?:registry )?(?:cleanup|clean-up|purge) (?:job|task)|"
           r"\bruns as a (?:scheduled )?task\b|\btask inside the registry\b", 1.5, False),
        # A long purge whose requests turn 401 after about three hours: its token expires (Azure/acr-cli#641).
        _c(_LONG_PURGE, 6, False),
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
    "retention-policy": re.compile(r"\bretention(?![a-z])|\b(?:untagged|automatic|auto)[- ]?(?:cleanup|clean-up|purge|"
                                   r"deletion|delete|removal)\b|\b(?:cleanup|clean-up|deletion|removal|purging) of "
                                   r"untagged\b", _I),
    "soft-delete": re.compile(r"soft[- ]?delet\w*|deleted artifacts|" + _RECOVERY_WORDS + "|" + _RESTORE_INSTEAD + "|"
                              + _CAME_BACK, _I),
    "broken-index-references": re.compile(
        r"(?:manifest unknown|not found|(?:can(?:no|')t|could(?:n't| not)|no longer|un)(?:\s*be)?\s*pull\w*|"
        r"pull\w* fails?|pull\w*\b[^.\n]{0,40}\bfail\w*|fail\w* to pull)", _I),
    "manifest-not-found": re.compile(r"\bpurg\w*|\bdelet\w*|" + _DIGEST_ABSENT, _I),
    "empty-repository": re.compile(r"\brepo(?:sitor(?:y|ies)|s)?\b", _I),
    "authentication-required": re.compile(r"authori[sz]ation required|authentication required|\b401\b|"
                                          r"unauthori[sz]ed|unauthenticated|\btoken\w*|log(?:ged)? (?:out|in)|"
                                          r"\blogin\b", _I),
    "purge-task-access": re.compile(r"\bABAC\b|--source-acr-auth-id|repository permissions|per-repository (?:role|"
                                    r"permission)|"
                                    r"\bpermission (?:model|mode)\b|" + _LONG_PURGE, _I),
    "private-endpoints-block-registry-delete": re.compile(
        r"private[ -]?endpoint|private link|privatelink|" + _PRIVATE_NETWORKING, _I),
    "connectivity-dns": re.compile(r"\bdns\b|resolv|nslookup|no such host", _I),
    "locked-artifacts": re.compile(r"lock|protect|enabled?\b|disallowed|not allowed|405|greyed|grayed|read[- ]only|"
                                   r"immutable", _I),
}
#: Something failed: a refusal is only a refusal when the text says something did not work.
_FAILURE = re.compile(r"fail|error|denied|refus|forbidden|\b40[13459]\b|\b429\b|can(?:no|')t|could(?:n't| not)|unable|"
                      r"not allowed|disallowed|blocked|rejected|(?:doesn't|does not|won't|will not|didn't|did not) "
                      r"(?:work|let|allow)|stopped working|broken|stuck|hangs?\b|times? out|timed out|no longer|"
                      r"greyed|grayed|never|dies|died|halts?|halting|unpullable|too many|throttl|rate[- ]limit|expir|"
                      r"nobody|only (?:has|have)|lack|missing|\bnot\b|n't\b|\bno\b|nothing|required\b|unauthori|"
                      r"unauthenticated|"
                      r"time limit|exceed", _I)
#: The registry is what the text is about (a storage directory of a test run is not).
_REGISTRY_TALK = re.compile(r"registr|\bacr\b|azurecr|image|repo|manifest|purg|untag|show-usage|portal|container|"
                            r"\btags?\b|digest|artifact", _I)
_REFUSALS = ("network-access-denied", "delete-permission", "authentication-required", "locked-artifacts",
             "quarantined-images", "throttling", "login-server-not-found", "connectivity-dns", "resource-locks",
             "purge-task-access", "storage-limit", "manifest-not-found")
#: A second condition some modes need: a private endpoint blocks only the registry's own deletion.
_ALSO_NEEDS: dict[str, re.Pattern[str]] = {
    **{mode: _FAILURE for mode in _REFUSALS},
    **{mode: _REGISTRY_TALK for mode in _STORAGE_MODES},
    "private-endpoints-block-registry-delete": re.compile(
        r"(?:delet\w*|remov\w*|tear\w* (?:it |everything )?down|teardown|destroy\w*|decommission\w*)[^.\n]{0,60}"
        r"(?:the |our |a |this |test |\d+ )*(?:container )?(?:registry|registries|acr|resource group)\b|"
        r"(?:registry|acr)\b[^.\n]{0,30}(?:delet\w*|tear\w* down|destroy\w*)|'Deleting'|stuck in deleting", _I),
}
#: Where a refusal is someone else's: an import's or a cache rule's source, Kubernetes' pull secret, the local login.
_ELSEWHERE_WORDS = (r"upstream|source registry|credential set|az acr import|imagePullSecrets?|pull secrets?|kubelet|"
                    r"docker hub|docker\.io|credential (?:helper|store)|credsStore|az login|\bAKS\b|ImagePullBackOff|"
                    r"ErrImagePull|\bpods?\b|attach-acr|kubernetes|\bk8s\b")
#: What rules a mode out: Docker Hub's pull limit is not this registry throttling (elsewhere:docker-hub-rate-limit).
_VETO: dict[str, re.Pattern[str]] = {
    "authentication-required": re.compile(_ELSEWHERE_WORDS, _I),
    "delete-permission": re.compile(_ELSEWHERE_WORDS, _I),
    # The writer says the name resolves: "DNS ok (resolves to public IP)", "DNS lookup step is OK".
    "connectivity-dns": re.compile(r"\bdns(?: lookup)?(?: step)? (?:is |was )?(?:ok|okay|fine|works|passe[sd])\b|"
                                   r"\bpasse[sd] (?:the )?dns\b|\bresolves to (?:a |the |its )?(?:public|private) ip",
                                   _I),
    "throttling": re.compile(r"docker ?hub|docker\.io|pull rate limit|anonymous pulls?|mcr\.microsoft|upstream|"
                             r"source registry", _I),
    # The upstream refusing a cache rule is the source registry's failure (elsewhere:source-registry), not ACR's.
    "artifact-cache": re.compile(r"upstream[^.\n]{0,40}(?:refus|denied|401|403|429|unauthori|rate)|source registry|"
                                 r"(?:refus\w*|denied|\b401\b|\b403\b|unauthori\w*)[^.\n]{0,40}\bupstream\b|"
                                 r"credential set\b(?![^.\n]{0,80}\b(?:unhealthy|degraded|key ?vault|secrets? "
                                 r"(?:expired|rotated)))|credentials? (?:for|of) the (?:cache|upstream)", _I),
}
#: The lowest score a mode needs to be reported.
THRESHOLD = 3.0


def _affirmed(cue: Cue, text: str) -> bool:
    """Whether the cue occurs at least once outside a negated clause."""
    return cue.pattern.search(text) is not None if not cue.negatable else affirmed(cue.pattern, text)


def scores(text: str) -> dict[str, float]:
    """Every mode's score on ``text`` (only modes with some cue affirmed appear)."""
    out: dict[str, float] = {}
    # Several modes share one anchor or requirement (the failure words, the storage symptom): each pattern is
    # searched once per text, which on a long ticket was most of the time spent here.
    seen: dict[re.Pattern[str], bool] = {}

    def holds(pattern: re.Pattern[str]) -> bool:
        found = seen.get(pattern)
        if found is None:
            found = seen[pattern] = pattern.search(text) is not None
        return found

    storage = holds(_STORAGE_SYMPTOM) and holds(_REGISTRY_TALK)
    for mode, cues in CUES.items():
        anchor, needs = _ANCHORS.get(mode), _ALSO_NEEDS.get(mode)
        if (anchor is not None and not (holds(anchor) and affirmed(anchor, text))) or (
                needs is not None and not holds(needs)):
            continue  # (an anchor the writer denies everywhere, "we do NOT have X turned on", anchors nothing)
        veto = _VETO.get(mode)
        if veto is not None and holds(veto):
            continue
        total = sum(c.weight for c in cues if _affirmed(c, text))
        if storage and mode in ("dangling-manifests", "shared-layers", "storage-accounting"):
            total += 1.5  # the symptom itself
        if mode in ("retention-policy", "soft-delete") and storage:
            # Soft delete on and storage not going down: the deleted artifacts still count until purged, the
            # answer that names the setting, ahead of usage that merely lags.
            total += 2.0 if mode == "soft-delete" else 1.0
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


def support(mode: str, text: str) -> float:
    """How much the text's own words speak for one mode: its cues alone, without anchors or vetoes (cheaper than
    :func:`scores` when the mode is already chosen and only the line that shows it best is wanted)."""
    return sum(c.weight for c in CUES.get(mode, ()) if _affirmed(c, text))


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
#: A ticket line says who is writing ("we", "our", "I", "my") or names its symptom. Words common in build output
#: (delete, pull, push, repository, cache, token) are not keywords: every line holding a keyword costs a test per
#: recogniser, and every keyword a substring test on every line of a log.
KEYWORDS: tuple[str, ...] = (
    "we ", "we'", "our ", " i ", "i'm", "i've", "my ", "storage", "usage", "purg", "untag", "tags", "retention",
    "soft", "lock", "quarantin", "disallowed", "429", "401", "403", "too many", "throttl", "permission", "firewall",
    "private", " gb", "expir", "role", "subscription", "t exist", "still listed", "still there", "still show",
    "greyed", "grayed", "not found", "i can", "i tried", "i deleted", "i ran", "i get", "i got", "i see",
    "delete tag",
)
_TRIGGER = re.compile(r"we |we'|our | i |i'm|i've|my |storage|usage|purg|untag|tags|retention|soft|lock|quarantin|"
                      r"disallowed|429|401|403|too many|throttl|permission|firewall|private| gb|expir|role|"
                      r"subscription|t exist|still listed|still there|still show|greyed|grayed|not found|i can|"
                      r"i tried|"
                      r"i deleted|i ran|i get|i got|i see|delete tag", _I)
#: A sentence: words separated by spaces, with a lower-case word of a few letters among the first ones.
_SENTENCE = re.compile(r"(?:\b[A-Za-z'’]+\b[ ,;:]+){5}")


#: What a program prints, not a person: such a line is left to the recognisers of error codes and bodies.
_PRINTED = re.compile(r"\b(?:DENIED|UNAUTHORIZED|TOOMANYREQUESTS|ScopeLocked)\b|"
                      r"[\"']code[\"']\s*:|\b(?:ERROR|fatal|FATAL)\b\s*[:=]|\bError: [A-Z]|Correlation ID|"
                      r"Status ?[Cc]ode[:=]|HTTP status:|rpc error|Error response from daemon|"
                      r"^\s*(?:denied|unauthorized|toomanyrequests|Error|WARNING|ERROR|#|\$|>|\[)|"
                      r"\b(?:Exception|RestError|ResponseError)\b|Traceback|^\d{4}[-/]\d\d[-/]\d\d|"
                      r"^\s*\(\w+\) |The push refers to|Looks like you|Please refer to|aka\.ms/|run 'az |"
                      r"for more information")


#: An upper-case code (``NAME_UNKNOWN``) marks a printed line, unless the line is a paragraph someone wrote: two
#: sentences and a person in them ("… the app setting WEBSITE_PULL_IMAGE_OVER_VNET is set to true. The app still …").
_CODE_TOKEN = re.compile(r"\b[A-Z]{3,}_[A-Z_]{3,}\b")
_PARAGRAPH = re.compile(r"[a-z)]{2}[.?!] +[A-Z][^.?!\n]{10,}?[a-z)]{2}[.?!](?: |$)")
_PERSON = re.compile(r"\b(?:we|our|us|I|my)\b", _I)


def written_by_someone(text: str) -> bool:
    """Whether a person speaks in the text ("we", "our", "I", "my"): a ticket, not a bare paste of output."""
    return _PERSON.search(text) is not None


def printed(line: str) -> bool:
    """Whether a program printed the line (an error body, a log line), not a person (a ticket's sentence)."""
    if _PRINTED.search(line):
        return True
    return bool(_CODE_TOKEN.search(line)) and not (_PARAGRAPH.search(line) and _PERSON.search(line))


_OTHERS: list[Recogniser] = []


def _explained_elsewhere(line: str, context: str, seen: Seen) -> bool:
    """Whether a recogniser of error texts finds its failure on the line: then it explains it, from the tool's own
    words, and a second answer from the same line's prose would only repeat it with less confidence."""
    if not _OTHERS:
        _OTHERS.extend((*recognise_elsewhere.RECOGNISERS, *recognise_locks.RECOGNISERS,
                        *recognise_access.RECOGNISERS, *recognise_content.RECOGNISERS,
                        *recognise_policy.RECOGNISERS, *FIRST_CATALOGUE))
    return any(r.trigger.search(line) and r.detect(line, context, seen) is not None for r in _OTHERS)


#: The longest line read as prose.
MAX_PROSE_LINE = 4000


#: The most of the lines before a sentence that are scored with it. A ticket's window is 40 lines, and 40 long lines
#: of cue words made each sentence cost a second (ticket mode read 2 KiB/s of "We tried …"); what a ticket says
#: about its error sits in the few paragraphs before it (the corpus's longest ticket is 1,250 characters).
MAX_PROSE_CONTEXT = 4000


def _recent(context: str) -> str:
    return context if len(context) <= MAX_PROSE_CONTEXT else context[-MAX_PROSE_CONTEXT:]


def _detect(line: str, context: str, seen: Seen) -> str | None:
    # A ticket paragraph is not 4000 characters of one line (a base64 blob, minified JSON): not scored.
    if not 40 <= len(line) <= MAX_PROSE_LINE or not _TRIGGER.search(line) or not _SENTENCE.search(line, 0, 400) \
            or printed(line):
        return None
    found = classify(_recent(context))
    # The line itself must speak for the answer: in a log, the lines before a sentence may be about anything.
    if not found or found[0] not in scores(line) or _explained_elsewhere(line, context, seen):
        return None
    return found[0]


def _next_step(mode: str, ref: RegistryRef, repo: str | None) -> Step:
    reads: list[Action] = [BundleScript(ref)]
    if mode in _STORAGE_MODES or mode == "storage-limit":
        reads.append(ShowUsage(ref))
        if mode == "soft-delete":
            reads.append(ShowSoftDelete(ref))
    elif mode == "artifact-cache":
        reads += [ListCacheRules(ref), ListCredentialSets(ref)]
    elif mode == "tag-not-found":
        reads.append(ShowTags(ref, repo))
    elif mode == "repository-not-found":
        reads.append(ListRepositories(ref))
    elif mode in ("locked-artifacts", "quarantined-images", "empty-repository"):
        reads.append(ShowRepository(ref, repo, query="changeableAttributes" if mode != "empty-repository" else None))
    elif mode in ("delete-permission", "purge-task-access"):
        reads += [ListRoleAssignments(ref), ShowRegistry(ref, "roleAssignmentMode", "tsv")]
    elif mode == "network-access-denied":
        reads += [ShowRegistry(ref, "networkRuleSet"), ShowRegistry(ref, "publicNetworkAccess", "tsv")]
    elif mode == "private-endpoints-block-registry-delete":
        reads.append(ListPrivateEndpointConnections(ref))
    elif mode in ("authentication-required", "throttling", "connectivity-dns", "login-server-not-found",
                  "connectivity-refresh-token") or mode.startswith("connectivity-"):
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
        "connectivity-refresh-token": ("Signing in to the registry fails on the service's side",
                                       "az acr login exchanges the Entra ID token for an ACR refresh token "
                                       "(/oauth2/exchange); a 5xx there is the service's answer, not a missing "
                                       "role. check-health shows which step fails; if it persists for some "
                                       "accounts only, open a support case with the correlation id."),
        "artifact-cache": ("A cache rule does not serve what is expected",
                           "An artifact cache rule maps a target repository in this registry to a source "
                           "repository upstream: a wrong source path (Docker Hub's official images live under "
                           "library/), an unhealthy credential set (its Key Vault secrets expired or rotated, or the "
                           "registry's identity lost access to the vault), or a rule owning a repository that "
                           "content is pushed or imported into by hand each stop the pull-through."),
        "connected-registries": ("A connected registry's leftovers or sync settings",
                                 "A connected registry syncs through its own token and scope map: deleting it "
                                 "without --cleanup leaves them behind, and a repository outside the scope map is "
                                 "not synced."),
        "connectivity-ssl": ("The TLS connection to the registry fails",
                             "The registry's name resolves but the TLS handshake with it fails: something between "
                             "this network and ACR (an inspecting proxy or firewall, an old TLS setting) answers "
                             "instead. check-health shows the step; compare with another network."),
        "connectivity-challenge": ("The registry did not answer with a sign-in challenge",
                                   "A registry's /v2/ answers 401 with a Bearer challenge naming its token endpoint; "
                                   "an HTML page, a 5xx or no challenge means something between the client and "
                                   "ACR answered instead (a proxy, a gateway), or the service had an incident. "
                                   "check-health shows the step."),
        "connectivity-aad-login": ("Signing in with Entra ID is not supported by this registry",
                                   "A registry whose challenge is Basic, not Bearer, does not take Entra ID tokens: "
                                   "az acr login falls back to the admin user or asks for credentials. check-health "
                                   "names the step; the registry's SKU and age decide it."),
        "connectivity-access-token": ("The registry refused the access token for the repository",
                                      "After the refresh token, the client asks /oauth2/token for a token scoped to "
                                      "the repository and action; a 401/403 there is the identity's role or a "
                                      "token's scope map not covering that repository."),
        "connectivity-unreachable": ("The registry's endpoint does not answer from this network",
                                     "The name resolves but the connection to the login server times out or is "
                                     "refused: a firewall or route between this network and the registry (or its "
                                     "private endpoint) drops it. check-health shows the step; try from another "
                                     "network to tell the client's side from the registry's."),
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
    "repository-not-found": _build_name_unknown, "tag-not-found": _build_manifest_unknown,
}


def _build(mode: str, hits: Sequence[Hit]) -> Built:
    found = classify(_recent(hits[0].context))
    conf = confidence(found[1]) if found else 0.45
    n = hits[0].names
    builder = _BORROW.get(mode)
    if mode == "empty-repository":
        builder = _build_name_unknown
    built = builder(mode, hits) if builder else _generic(mode, hits)
    next_step = _next_step(mode, RegistryRef(n.get("registry")), n.repository)
    if builder:
        # From words alone nothing is certain: the borrowed fix is shown as notes, to run once confirmed.
        built = replace(built, fix=confirm_first(built.fix, built.fix.summary + " (From a description only: confirm "
                                                                                  "first.)"))
    return replace(built, confidence=conf, next_step=next_step)


RECOGNISERS: tuple[Recogniser, ...] = (
    Recogniser("symptom-prose", (*CUES,), _detect, _build, _TRIGGER, KEYWORDS, confidence=0.5),
)
#: A ticket's words speak of the registry as a whole unless they name an object.
REGISTRY_LEVEL: frozenset[str] = frozenset()
