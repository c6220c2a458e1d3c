"""Talking to Azure: credentials, the ARM client, subscription and resource-group discovery, data-plane clients.

Every way acrdoctor reaches Azure (collection, fix apply, verification, and future readers of tasks, locks or
role assignments) opens its clients here, so sign-in, the CA file, token reuse and the capped retry behave the
same everywhere. It owns :mod:`~acrdoctor.azure.session` (credentials, subscription), :mod:`~acrdoctor.azure.arm`
(the management client, finding a registry), :mod:`~acrdoctor.azure.dataplane_client` (the registry clients),
:mod:`~acrdoctor.azure.tokens` (the token-reuse policy) and :mod:`~acrdoctor.azure.retry` (the capped retry). It
may import the Azure SDKs (inside functions, so importing this package stays cheap), :mod:`acrdoctor.errors` and
the leaf modules of :mod:`acrdoctor.collect` that describe Azure's answers (``waits``, ``failures``,
``arm_shapes``); it never imports the scan, the checks, actions or the fix layer.
"""
