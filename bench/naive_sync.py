"""The straightforward script a user would write to read every manifest with the SDK's synchronous client.

``python bench/naive_sync.py https://myregistry.azurecr.io`` (``DefaultAzureCredential``), or against the
fake ACR: ``python bench/naive_sync.py https://localhost:PORT --ca CA.pem --fake-identity alice``.

This is the baseline ``bench/collect_bench.py --compare`` measures the collector against: one
``ContainerRegistryClient``, ``list_repository_names()``, ``list_manifest_properties()`` per repository,
``get_manifest()`` per manifest, one request at a time. Nothing is tuned: the SDK keeps no access token
(each call is a 401 challenge, a token request and the call again), and the default retry policy
handles 429 by sleeping for ``Retry-After`` and trying again (up to 10 times).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from typing import Any


@dataclass
class NaiveResult:
    repositories: int = 0
    manifests: int = 0
    bodies: int = 0
    failures: int = 0
    seconds: float = 0.0


def scan(client: Any) -> NaiveResult:
    """What a user writes: list everything, then fetch each manifest."""
    out = NaiveResult()
    start = time.perf_counter()
    for repo in client.list_repository_names():
        out.repositories += 1
        for props in client.list_manifest_properties(repo):
            out.manifests += 1
            try:
                client.get_manifest(repo, props.digest)
                out.bodies += 1
            except Exception:  # noqa: BLE001 - a user script logs and carries on
                out.failures += 1
    out.seconds = time.perf_counter() - start
    return out


def client_for(endpoint: str, credential: Any, ca: str | None = None) -> Any:
    from azure.containerregistry import ContainerRegistryClient

    kwargs: dict[str, Any] = {}
    if ca:
        kwargs["connection_verify"] = ca
    return ContainerRegistryClient(endpoint, credential, **kwargs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("endpoint", help="https://NAME.azurecr.io (or the fake's https://localhost:PORT)")
    ap.add_argument("--ca", help="CA bundle to verify TLS with (the fake's srv.ca_pem)")
    ap.add_argument("--fake-identity", help="use acrdoctor.testing.FakeCredential(IDENTITY) instead of Azure")
    args = ap.parse_args(argv)
    if args.fake_identity:
        from acrdoctor.testing import FakeCredential

        credential: Any = FakeCredential(args.fake_identity)
    else:
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
    with client_for(args.endpoint, credential, args.ca) as client:
        r = scan(client)
    print(f"{r.repositories} repositories, {r.manifests} manifests, {r.bodies} bodies, {r.failures} failures "
          f"in {r.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
