"""``acrdoctor fix``: plan fixes from findings, confirm, apply them through the SDKs, journal and verify.

Modules: :mod:`~acrdoctor.fix.plan` (findings → plan), :mod:`~acrdoctor.fix.model` (the plan as data),
:mod:`~acrdoctor.fix.state` (expected state from a snapshot, and the pure state shapes),
:mod:`~acrdoctor.fix.placeholder` (the placeholder image as data), :mod:`~acrdoctor.fix.sdk` (clients, state read
back), :mod:`~acrdoctor.fix.appliers` (the SDK side of each kind of action), :mod:`~acrdoctor.fix.apply` (checks
and steps), :mod:`~acrdoctor.fix.journal`, :mod:`~acrdoctor.fix.verify`, :mod:`~acrdoctor.fix.run` (one run as a
library call), :mod:`~acrdoctor.fix.inputs` (caller IP, journal path, the endpoints a resume may use) and
:mod:`~acrdoctor.fix.render`. Planning (``plan``, ``state``, ``placeholder``) imports no SDK module; only ``sdk``,
``appliers`` and what runs them do, and they reach Azure through :mod:`acrdoctor.azure`. The click command is
:mod:`acrdoctor.cli.fix`; nothing here imports the CLI. The fix layer sits on top of the others: it may import
the snapshot model, actions, check API, checks, engine, :mod:`acrdoctor.collect` (re-reading the registry),
:mod:`acrdoctor.azure`, :mod:`acrdoctor.preflight` (in-use references) and :mod:`acrdoctor.render`.
"""
