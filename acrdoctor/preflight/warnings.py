"""How much each pre-flight warning matters, so ``--fail-on`` can gate a pipeline on them.

A warning that means "this deletes more than you think" (an unanchored tag regex, ``--untagged`` with a
broad tag regex, an index losing a platform) is high; one that means "this may not do what you think"
is medium; advice is low or info. Codes not listed count as medium.
"""

from __future__ import annotations

from acrdoctor.check_api import Severity

WARNING_SEVERITY: dict[str, Severity] = {
    "unanchored-tag-regex": Severity.HIGH,
    "untagged-with-broad-tag-regex": Severity.HIGH,
    "breaks-index": Severity.HIGH,
    "repository-alternation": Severity.HIGH,
    "locked-index-children-exposed": Severity.HIGH,
    "co-deleted-tags": Severity.MEDIUM,
    "glob-in-repository": Severity.MEDIUM,
    "huge-ago": Severity.MEDIUM,
    "no-repository-matched": Severity.MEDIUM,
    "not-found": Severity.MEDIUM,
    "emptied-repository": Severity.MEDIUM,
    "locked-referrer": Severity.MEDIUM,
    "blocked-but-cascaded": Severity.MEDIUM,
    "purge-stops-at-unauthorized": Severity.MEDIUM,
    "keep-with-untagged": Severity.LOW,
    "left-dangling": Severity.LOW,
    "untag-frees-nothing": Severity.LOW,
    # Missing data is reported by exit code 3 (``data_missing``); at medium it would turn into exit 1 instead.
    "incomplete-snapshot": Severity.LOW,
    "private-endpoints-unknown": Severity.LOW,
    "permission-unknown": Severity.LOW,
    "resource-locks-unknown": Severity.LOW,
    "connected-registries": Severity.MEDIUM,
    "dry-run": Severity.INFO,
    "geo-replication-propagation": Severity.INFO,
}


def severity_of(code: str) -> Severity:
    return WARNING_SEVERITY.get(code, Severity.MEDIUM)
