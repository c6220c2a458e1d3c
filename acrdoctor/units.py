"""Human-readable numbers for messages; raw integers always stay in finding details."""

from __future__ import annotations


def human_bytes(n: int) -> str:
    """Binary units (KiB, MiB...) because that is what ACR's usage and the Azure portal report."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"
