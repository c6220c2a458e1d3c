"""A fake Azure Container Registry for tests: data plane and ARM over real HTTPS on loopback.

Plug-in authors and acrdoctor's own tests use it to drive the *unmodified* Azure SDK clients
(``azure-containerregistry`` sync and aio, ``azure-mgmt-containerregistry``) against a registry whose
state they control, including the failure modes acrdoctor diagnoses: orphaned empty repositories,
locks, private endpoints blocking registry deletion, firewall denials, throttling and flaky responses.

Typical use::

    from acrdoctor.testing import FakeRegistry, FakeCredential, serve_fake_acr
    from azure.containerregistry import ContainerRegistryClient

    state = FakeRegistry.from_snapshot(snapshot)          # or FakeRegistry(name="contoso") + push_image(...)
    with serve_fake_acr(state) as srv:
        client = ContainerRegistryClient(srv.endpoint, FakeCredential("alice"),
                                         connection_verify=srv.ca_pem, retry_total=0)
        print(list(client.list_repository_names()))

See ``docs/fake-acr.md`` for the behaviours modelled and where each comes from (recorded traffic or
documentation only).

It may import only the snapshot model (``model``, ``manifest_body``, ``builder``…): the fake stands in for Azure,
so it must not share code with the clients it is used to test. The one exception is ``_runs`` (``az acr run`` of an
``acr purge``), which uses the pre-flight's purge selection on purpose; its docstring says why.
"""

from acrdoctor.testing._credentials import AsyncFakeCredential, FakeCredential
from acrdoctor.testing._runs import FakeRun, runs_of
from acrdoctor.testing._server import FakeAcrServer, RequestRecord, serve_fake_acr
from acrdoctor.testing._state import (
    DOCKER_LIST,
    DOCKER_MANIFEST,
    OCI_INDEX,
    OCI_MANIFEST,
    AcrError,
    ArmError,
    FakeManifest,
    FakeRegistry,
    FakeRepository,
    FakeTag,
    Faults,
    Throttle,
)

__all__ = [
    "DOCKER_LIST",
    "DOCKER_MANIFEST",
    "OCI_INDEX",
    "OCI_MANIFEST",
    "AcrError",
    "ArmError",
    "AsyncFakeCredential",
    "FakeAcrServer",
    "FakeCredential",
    "FakeManifest",
    "FakeRegistry",
    "FakeRepository",
    "FakeRun",
    "FakeTag",
    "Faults",
    "RequestRecord",
    "Throttle",
    "runs_of",
    "serve_fake_acr",
]
