"""Planted in the main demo: an image waiting in quarantine (check ``quarantined-images``).

The story: contoso turned the quarantine policy on for its new checkout service; the scanner has not marked build
1.1 yet, so it is quarantined (``quarantineState`` Quarantined) with every lock flag enabled. Pulls by tag answer
"manifest not found", by digest "The operation is disallowed." (https://github.com/Azure/acr/tree/main/docs/preview/
quarantine), and unlocking changes nothing. Build 1.0 was scanned and reads Passed.
"""

from __future__ import annotations

from dataclasses import replace

from acrdoctor.builder import SnapshotBuilder
from acrdoctor.model import Policy

MB = 1_000_000
NODE_BASE_AMD64 = [("debian-bookworm-slim-amd64", 29_130_000), ("node-20-runtime-amd64", 41_250_000)]


def plant(b: SnapshotBuilder) -> None:
    b.registry(quarantine_policy=Policy("enabled"))
    repo = b.repository("apps/checkout")
    passed = repo.image(["1.0"], layers=[*NODE_BASE_AMD64, ("checkout-app-1.0", 14 * MB)],
                        config=("checkout-config-1.0", 7_210), age_days=9)
    waiting = repo.image(["1.1", "latest"], layers=[*NODE_BASE_AMD64, ("checkout-app-1.1", 15 * MB)],
                         config=("checkout-config-1.1", 7_230), age_days=0.2)
    repo.manifests[repo.manifests.index(passed)] = replace(passed, quarantine_state="Passed")
    repo.manifests[repo.manifests.index(waiting)] = replace(waiting, quarantine_state="Quarantined")
