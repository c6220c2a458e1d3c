"""``acrdoctor explain``: recognise known ACR failures in error text and explain each with its fix.

Pure functions over text, usable from Python::

    from acrdoctor.explain import explain, explain_file
    result = explain_file("purge.log")          # or explain(text); both read line by line
    for m in result.matches:
        print(m.failure_mode, m.fix.commands)

Recognisers and their sources: :mod:`acrdoctor.explain.recognisers`; the JSON contract: docs/explain.md.
A way in for pasted text: it maps what it recognises onto the same checks and fix actions a diagnosis uses, so it
may import the snapshot model, :mod:`acrdoctor.actions`, :mod:`acrdoctor.check_api`, the built-in checks and the
engine; never a collector, pre-flight or fix.
"""

from __future__ import annotations

from .catalogue import FAILURE_MODES
from .core import explain, explain_chunks, explain_file, explain_stream, explain_ticket
from .model import Explanation, Match, Step
from .names import Names
from .render import EXPLAIN_SCHEMA_VERSION, explanation_to_dict, render_console, render_json, render_ticket

__all__ = [
    "EXPLAIN_SCHEMA_VERSION",
    "FAILURE_MODES",
    "Explanation",
    "Match",
    "Names",
    "Step",
    "explain",
    "explain_chunks",
    "explain_file",
    "explain_stream",
    "explain_ticket",
    "explanation_to_dict",
    "render_console",
    "render_json",
    "render_ticket",
]
