"""A squarified treemap layout: rectangles whose areas are proportional to values, as square as rows allow.

The algorithm is the one of Bruls, Huizing and van Wijk, "Squarified Treemaps" (2000): items, largest first,
are added to a row along the shorter side of the free space as long as that does not make the row's worst aspect
ratio worse; then the row is laid out and the free space shrinks. Written here because the HTML report must be one
self-contained file: no charting library is fetched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    @property
    def area(self) -> float:
        return self.w * self.h


def _worst(row: Sequence[float], side: float) -> float:
    """The largest aspect ratio in a row of areas laid along a side of length ``side``."""
    total = sum(row)
    if total <= 0 or side <= 0:
        return float("inf")
    thickness = total / side
    return max(max(thickness * thickness / a, a / (thickness * thickness)) for a in row)


def squarify(values: Sequence[int], width: float, height: float) -> list[Rect]:
    """One rectangle per value, in the order given, tiling ``width`` × ``height``; zero values get empty ones.

    Values should come largest first (the layout is squarest then); any order still tiles the space.
    """
    total = sum(v for v in values if v > 0)
    out: list[Rect] = [Rect(0.0, 0.0, 0.0, 0.0)] * len(values)
    if total <= 0 or width <= 0 or height <= 0:
        return out
    scale = width * height / total
    items = [(i, v * scale) for i, v in enumerate(values) if v > 0]
    x, y, w, h = 0.0, 0.0, float(width), float(height)
    row: list[tuple[int, float]] = []
    pos = 0
    while pos < len(items):
        side = min(w, h)
        candidate = [*row, items[pos]]
        if not row or _worst([a for _, a in candidate], side) <= _worst([a for _, a in row], side):
            row = candidate
            pos += 1
            continue
        x, y, w, h = _place(row, x, y, w, h, out)
        row = []
    if row:
        _place(row, x, y, w, h, out, last=True)
    return out


def _place(row: list[tuple[int, float]], x: float, y: float, w: float, h: float,
           out: list[Rect], last: bool = False) -> tuple[float, float, float, float]:
    """Lay ``row`` along the shorter side of the free space; return the space left.

    Each item's length is its share of the side (the lengths add up to the side, whatever the rounding), and the
    last row takes the whole depth left: a sliver left by subtracting nearly equal widths would otherwise give its
    items a length computed from a depth with no correct digits.
    """
    total = sum(a for _, a in row)
    if w >= h:  # a column on the left, items stacked top to bottom
        thickness = w if last else min(total / h, w)
        cy = y
        for i, a in row:
            length = h * a / total
            out[i] = Rect(x, cy, thickness, length)
            cy += length
        return x + thickness, y, w - thickness, h
    thickness = h if last else min(total / w, h)  # a row on top, items side by side
    cx = x
    for i, a in row:
        length = w * a / total
        out[i] = Rect(cx, y, length, thickness)
        cx += length
    return x, y + thickness, w, h - thickness


def split(rect: Rect, parts: Sequence[int]) -> list[Rect]:
    """``rect`` cut along its longer side into slices proportional to ``parts`` (zero parts get empty slices)."""
    total = sum(p for p in parts if p > 0)
    out = []
    offset = 0.0
    for p in parts:
        share = p / total if total > 0 and p > 0 else 0.0
        if rect.w >= rect.h:
            out.append(Rect(rect.x + offset, rect.y, rect.w * share, rect.h))
            offset += rect.w * share
        else:
            out.append(Rect(rect.x, rect.y + offset, rect.w, rect.h * share))
            offset += rect.h * share
    return out
