"""Texts for the content recognisers (quarantine, storage limit, soft delete), each with where it comes from.

Only the quarantine pull is a real transcript (Azure/acr docs/preview/quarantine/readme.md). No recorded body exists
for a 405 at the storage limit or for a soft-delete refusal: those texts are the real 405 body (bodies.py
DISALLOWED_CLI, Azure/acr-cli#70) with the words a user or a pipeline puts next to it, or the documented rule
phrased as a CLI would print it; they test the ranking, not a wire format.
"""

from __future__ import annotations

from tests.explain import bodies as b

DIGEST = "sha256:80f0d5c8786bb9e621a45ece0db56d11cdc624ad20da9fe62e9d25490f331d7d"

# Azure/acr docs/preview/quarantine/readme.md, "Attempt to pull the image by its digest" (registry renamed).
QUARANTINE_PULL = (f"$ docker pull contosoreg.azurecr.io/helloworld@{DIGEST}\n"
                   "Error response from daemon: unknown: The operation is disallowed.")
# The real 405 (DISALLOWED_CLI) after a pipeline's note about quarantine.
QUARANTINE_405 = ("$ az acr repository delete --name contosoreg --image apps/api:1.3 --yes\n"
                  "# the image is still quarantined: the scanner has not finished\n" + b.DISALLOWED_CLI)
# The real 405 after a push, with the storage words of a support ticket (SUP-PUSH: pushes fail at the limit).
STORAGE_405 = ("$ docker push contosoreg.azurecr.io/apps/api:1.3\n"
               "registry storage quota exceeded? usage is at 40 TiB\n" + b.DISALLOWED_CLI)
# [D-SD] "pushing an image with the same digest as a soft-deleted one is refused": no wire text recorded.
SOFT_DELETE_PUSH = ("$ docker push contosoreg.azurecr.io/apps/api:1.2\n"
                    f"error: manifest {DIGEST} is soft-deleted: restore it instead of pushing it again")
# [D-SD] "the soft delete policy doesn't support a geo-replicated registry": no wire text recorded.
SOFT_DELETE_GEO = "(BadRequest) The soft delete policy is not supported on a geo-replicated registry."

ALL = (QUARANTINE_PULL, QUARANTINE_405, STORAGE_405, SOFT_DELETE_PUSH, SOFT_DELETE_GEO)
