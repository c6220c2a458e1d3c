"""Built-in acrdoctor checks: one module per failure mode. Installed as ``acrdoctor.checks``.

``CATALOGUE_ORDER`` fixes the order reports use: the failure modes in the order of the design brief
(blockers of a delete first, then storage, then what the collector ran into), not the alphabet.

Checks are pure functions of a snapshot: they may import the snapshot model, :mod:`acrdoctor.check_api` and
:mod:`acrdoctor.actions` (their fixes), never a collector, Azure, the engine or a renderer.
"""

CATALOGUE_ORDER = (
    "empty-repository",
    "private-endpoints-block-registry-delete",
    "resource-locks",
    "connected-registries",
    "network-access-denied",
    "locked-artifacts",
    "quarantined-images",
    "storage-limit",
    "delete-permission",
    "purge-task-access",
    "broken-index-references",
    "dangling-manifests",
    "shared-layers",
    "storage-accounting",
    "soft-delete",
    "geo-replication",
    "retention-policy",
    "throttling",
)
