"""A plug-in whose import fails, as a plug-in with a missing dependency would."""

from __future__ import annotations

raise ImportError("acrdoctor_plugin_fixture.broken needs a module that is not installed")
