"""Test-only acrdoctor plug-in (see ../pyproject.toml)."""
