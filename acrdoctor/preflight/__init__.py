"""Pre-flight for bulk deletes: the exact plan, blockers and bytes freed, before anything is deleted."""
