"""Renderers of a diagnosis: console table, JSON, SARIF and markdown, from one :class:`~acrdoctor.engine.Report`.

Renderers decide nothing: statuses, findings, gaps and collection errors come from the engine, and every value
that comes from data is escaped here (:mod:`acrdoctor.textsafe`) or encoded (JSON, SARIF). May import the
snapshot model, :mod:`acrdoctor.actions`, :mod:`acrdoctor.check_api` and :mod:`acrdoctor.engine`; pre-flight and
fix reuse the markdown helpers, never the other way round.
"""
