"""Pre-flight for bulk deletes: the exact plan, blockers and bytes freed, before anything is deleted.

Owns parsing the user's delete command (``acr purge`` with acr-cli's regex dialect, ``az acr repository``/``az acr``
deletes), selecting what that tool would delete from a snapshot, and judging the plan: co-deleted tags, in-use
references, blockers asked of the checks' own predicates, exact bytes freed. May import the snapshot model,
:mod:`acrdoctor.actions`, :mod:`acrdoctor.check_api`, the built-in checks, the engine and the markdown helpers of
:mod:`acrdoctor.render`; it does no I/O of its own (a live pre-flight collects through the CLI first).
"""
