"""Talking to Azure: credentials, the ARM client, subscription and resource-group discovery, data-plane clients.

Every way acrdoctor reaches Azure (collection, fix apply, verification, and future readers of tasks, locks or
role assignments) opens its clients here, so sign-in, the CA file, token reuse and the capped retry behave the
same everywhere. It owns :mod:`~acrdoctor.azure.session` (credentials, subscription), :mod:`~acrdoctor.azure.arm`
(the management client, finding a registry), :mod:`~acrdoctor.azure.dataplane_client` (the registry clients),
:mod:`~acrdoctor.azure.tokens` (the token-reuse policy), :mod:`~acrdoctor.azure.retry` (the capped retry),
:mod:`~acrdoctor.azure.waits` (every wait for Azure, capped and announced), :mod:`~acrdoctor.azure.failures`
(what an Azure error means: status, ACR code, one actionable line) and :mod:`~acrdoctor.azure.ids` (ARM ids). It
may import the Azure SDKs (inside functions where start-up matters), :mod:`acrdoctor.errors` and
:mod:`acrdoctor.model`; it never imports a way in (:mod:`acrdoctor.collect`), the checks, actions or the fix layer.
"""
