"""acrdoctor: why deleting things in Azure Container Registry fails or frees less than expected.

The data flows one way (docs/architecture.md): ways in (:mod:`acrdoctor.collect` live and bundles,
:mod:`acrdoctor.snapshot_io` files, :mod:`acrdoctor.demo`, :mod:`acrdoctor.explain` for pasted text) produce a
:class:`~acrdoctor.model.Snapshot`; the checks (``acrdoctor.checks``, written against :mod:`acrdoctor.check_api`)
turn it into findings through :mod:`acrdoctor.engine`; :mod:`acrdoctor.render`, :mod:`acrdoctor.preflight` and
:mod:`acrdoctor.fix` use the findings; :mod:`acrdoctor.azure` is the only door to Azure and :mod:`acrdoctor.cli`
the only command line. ``tests/test_layers.py`` holds the rules of who may import whom.
"""

__version__ = "0.1.0"
