"""Every recogniser explain runs, in rank order, and the tables derived from them.

The first catalogue's recognisers live in :mod:`.recognisers`; each later group of failure modes has a module of
its own (``recognise_*.py``) exposing ``RECOGNISERS`` and ``REGISTRY_LEVEL``, so adding a failure mode is adding a
module and a line here, not editing one long file. Order is rank: when two recognisers explain the same line, the
earlier one is the more specific (a resource lock's ScopeLocked before a generic "not allowed").
"""

from __future__ import annotations

from . import (
    recognise_access,
    recognise_content,
    recognise_elsewhere,
    recognise_locks,
    recognise_policy,
    recognise_prose,
)
from .recognisers import FIRST_CATALOGUE, FIRST_REGISTRY_LEVEL, Recogniser

#: Recognisers of the second catalogue, ranked before the first catalogue's more generic ones.
SECOND_CATALOGUE: tuple[Recogniser, ...] = (*recognise_locks.RECOGNISERS, *recognise_access.RECOGNISERS,
                                            *recognise_content.RECOGNISERS, *recognise_policy.RECOGNISERS)
SECOND_REGISTRY_LEVEL: frozenset[str] = (recognise_locks.REGISTRY_LEVEL | recognise_access.REGISTRY_LEVEL
                                         | recognise_content.REGISTRY_LEVEL | recognise_policy.REGISTRY_LEVEL)

#: Causes outside ACR (recognise_elsewhere) rank first: an import's 401 is the source registry's, not a grant to fix.
RECOGNISERS: tuple[Recogniser, ...] = (*recognise_elsewhere.RECOGNISERS, *SECOND_CATALOGUE, *FIRST_CATALOGUE,
                                      *recognise_prose.RECOGNISERS)

#: Every recogniser's keywords: a line holding none of them is not examined.
KEYWORDS: tuple[str, ...] = tuple(dict.fromkeys(k for r in RECOGNISERS for k in r.keywords))

#: Failure modes about the registry as a whole: names of objects on nearby lines are not theirs.
REGISTRY_LEVEL = FIRST_REGISTRY_LEVEL | SECOND_REGISTRY_LEVEL

#: Every failure mode explain can report, catalogue slugs and explain-only ones.
FAILURE_MODES: tuple[str, ...] = tuple(dict.fromkeys(m for r in RECOGNISERS for m in r.modes))
