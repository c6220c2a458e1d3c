"""Ways in that read a registry: the live scan through the Azure SDKs, and ``az`` output bundles.

Owns the live collector (:mod:`~acrdoctor.collect.live`: which parts to read for the selected checks, ARM
sections, the concurrent, token-reusing, throttle-aware data-plane scan in :mod:`~acrdoctor.collect.dataplane`,
the manifest cache) and the bundle script and reader (:mod:`~acrdoctor.collect.bundle_script`,
:mod:`~acrdoctor.collect.bundle`, :mod:`~acrdoctor.collect.az_errors`). Every way in ends in the same immutable
:class:`~acrdoctor.model.Snapshot`. May import the snapshot model and its readers (``model``, ``snapshot_io``,
``manifest_body``, ``limits``, ``clock``…), :mod:`acrdoctor.azure` for clients, and :mod:`acrdoctor.check_api`
(a check's ``needs`` decide what is read); never the checks, the engine, renderers, pre-flight or fix.
"""
