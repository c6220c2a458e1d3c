"""``acrdoctor explain``: recognise known ACR failures in error text and explain each with its fix.

Pure functions over text, usable from Python::

    from acrdoctor.explain import explain
    result = explain(open("purge.log").read())
    for m in result.matches:
        print(m.failure_mode, m.fix.commands)

Recognisers and their sources: :mod:`acrdoctor.explain.recognisers`; the JSON contract: docs/explain.md.
"""

from __future__ import annotations

from .core import explain
from .model import Explanation, Match, Step
from .names import Names
from .recognisers import FAILURE_MODES
from .render import EXPLAIN_SCHEMA_VERSION, explanation_to_dict, render_console, render_json

__all__ = [
    "EXPLAIN_SCHEMA_VERSION",
    "FAILURE_MODES",
    "Explanation",
    "Match",
    "Names",
    "Step",
    "explain",
    "explanation_to_dict",
    "render_console",
    "render_json",
]
