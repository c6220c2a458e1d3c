"""The HTML report in a real headless browser (Debian's chromium): it renders, its script runs under its own
Content-Security-Policy, the numbers on the page equal the JSON report, a screenshot is produced, and a
repository named ``<script>`` is shown as text without running.

The page is loaded from a file (``file://``), the DOM is read back after scripts ran (``--dump-dom``) and parsed
with the standard library. Skipped only when no chromium is installed; ``.ci/run`` installs it and sets
``ACRDOCTOR_REQUIRE_BROWSER=1``, which turns that skip into a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from acrdoctor.demo import load_demo
from acrdoctor.units import human_bytes
from acrdoctor.usage import build_usage
from acrdoctor.usage.model import AGE_NAMES, UsageReport
from acrdoctor.usage.render_data import render_json
from acrdoctor.usage.render_html import MAP_HEIGHT, MAP_WIDTH, render_html
from tests.usage.hostile import NAMES, hostile

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
BROWSER = next((path for name in BROWSERS if (path := shutil.which(name))), None)

REQUIRED = os.environ.get("ACRDOCTOR_REQUIRE_BROWSER") == "1"

pytestmark = pytest.mark.skipif(BROWSER is None and not REQUIRED,
                                reason="no chromium on PATH (.ci/run installs Debian's chromium)")

_VOID = frozenset({"meta", "link", "br", "img", "input", "hr", "area", "base", "col", "source", "wbr"})


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def walk(self) -> list[Node]:
        out = [self]
        for c in self.children:
            if isinstance(c, Node):
                out += c.walk()
        return out

    def find(self, tag: str | None = None, **attrs: str) -> list[Node]:
        return [n for n in self.walk() if (tag is None or n.tag == tag)
                and all(n.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())]

    def by_id(self, ident: str) -> Node:
        (node,) = self.find(id=ident)
        return node


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    b = _Builder()
    b.feed(html)
    b.close()
    return b.root


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert BROWSER is not None, "ACRDOCTOR_REQUIRE_BROWSER=1 but no chromium on PATH"
    profile = tmp_path / "profile"
    return subprocess.run(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120, check=False)


def rendered_dom(tmp_path: Path, html: str) -> Node:
    page = tmp_path / "usage.html"
    page.write_text(html, "utf-8")
    result = chromium(tmp_path, "--dump-dom", page.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    assert "<html" in result.stdout, result.stderr[-2000:]
    return parse(result.stdout)


def shown_bytes(cell: Node) -> tuple[int, str, int]:
    """(data-bytes, the human figure shown, the exact figure shown) of a byte cell."""
    (exact,) = cell.find("span", **{"class": "exact"})
    human = cell.text()[: -len(exact.text())] if exact.text() else cell.text()
    return int(cell.attrs["data-bytes"]), human.strip(), int(exact.text().replace(",", ""))


def assert_cell(cell: Node, expected: int) -> None:
    data, human, exact = shown_bytes(cell)
    assert data == exact == expected
    assert human == human_bytes(expected)


@pytest.fixture(scope="module")
def demo_report() -> UsageReport:
    return build_usage(load_demo(None), top=8)


def test_the_page_shows_the_numbers_of_the_json(tmp_path: Path, demo_report: UsageReport) -> None:
    doc = json.loads(render_json(demo_report))
    dom = rendered_dom(tmp_path, render_html(demo_report))

    # The page's own script ran (the policy's hash admits it): it marks the sortable headers.
    assert all("sortable" in th.attrs.get("class", "") for th in dom.by_id("repositories").find("th"))

    t = doc["totals"]
    for ident, key in (("total-deduplicated", "deduplicated_bytes"), ("total-service", "service_bytes"),
                       ("total-image-size", "image_size_sum"), ("total-unexplained", "unexplained_bytes"),
                       ("total-shared", "shared_bytes"), ("total-dangling-freed", "dangling_freed_bytes")):
        assert_cell(dom.by_id(ident), t[key])
    age_cells = dom.by_id("ages").find("td")
    assert len(age_cells) == len(AGE_NAMES)
    for cell, name in zip(age_cells, AGE_NAMES, strict=True):
        assert_cell(cell, t["age_bytes"][name])
    assert [li.attrs["data-code"] for li in dom.by_id("explanations").find("li")] == [
        e["code"] for e in t["explanations"]]

    rows = dom.by_id("repositories").find("tr", )[1:]
    by_name = {r["name"]: r for r in doc["repositories"]}
    assert sorted(row.attrs["data-repository"] for row in rows) == sorted(by_name)
    for row in rows:
        repo = by_name[row.attrs["data-repository"]]
        cells = row.find("td")
        assert cells[0].text() == repo["name"]
        for cell, key in zip(cells[1:6], ("total_bytes", "exclusive_bytes", "shared_bytes", "dangling_freed_bytes",
                                          "dangling_bytes"), strict=True):
            assert_cell(cell, repo[key])
        assert [int(c.text().replace(",", "")) for c in cells[6:9]] == [
            repo["manifests"], repo["tags"], repo["untagged_manifests"]]
        for cell, name in zip(cells[9:9 + len(AGE_NAMES)], AGE_NAMES, strict=True):
            assert_cell(cell, repo["age_bytes"][name])

    items = doc["candidates"]["items"]
    crow = dom.by_id("candidates").find("tr")[1:]
    assert len(crow) == len(items)
    for row, item in zip(crow, items, strict=True):
        cells = row.find("td")
        assert [cells[0].text(), cells[1].text(), cells[2].text()] == [str(item["rank"]), item["kind"],
                                                                       item["repository"]]
        assert_cell(cells[3], item["freed_bytes"])
        assert row.find("code", **{"class": "command"})[0].text() == item["command"]
        assert row.find("code", **{"class": "preflight"})[0].text() == item["preflight_command"]
    combined = dom.by_id("combined")
    assert int(combined.attrs["data-bytes"]) == doc["candidates"]["combined_freed_bytes"]
    assert f"{doc['candidates']['combined_freed_bytes']:,} bytes" in combined.text()
    assert int(dom.by_id("summed").attrs["data-bytes"]) == doc["candidates"]["summed_freed_bytes"]

    # The treemap: one tile per repository holding bytes, its area in proportion, its parts adding up.
    tiles = dom.by_id("treemap").find("g", **{"class": "tile"})
    holding = {r["name"]: r for r in doc["repositories"] if r["total_bytes"] > 0}
    assert sorted(g.attrs["data-repository"] for g in tiles) == sorted(holding)
    total = sum(r["total_bytes"] for r in holding.values())
    for g in tiles:
        repo = holding[g.attrs["data-repository"]]
        (outline,) = g.find("rect", **{"class": "repo"})
        area = float(outline.attrs["width"]) * float(outline.attrs["height"])
        assert area == pytest.approx(MAP_WIDTH * MAP_HEIGHT * repo["total_bytes"] / total, rel=1e-3, abs=2.0)
        parts = {r.attrs["class"]: int(r.attrs["data-bytes"]) for r in g.find("rect") if "data-bytes" in r.attrs}
        expected = {"exclusive": repo["in_use_exclusive_bytes"], "dangling": repo["dangling_freed_bytes"],
                    "shared": repo["shared_bytes"]}
        assert parts == {k: v for k, v in expected.items() if v > 0}


def test_a_screenshot_is_produced(tmp_path: Path, demo_report: UsageReport) -> None:
    page = tmp_path / "usage.html"
    page.write_text(render_html(demo_report), "utf-8")
    shot = tmp_path / "usage.png"
    result = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2400", "--hide-scrollbars",
                      page.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000  # a blank page is a few KiB; the treemap and tables are far more
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 2400)


def test_hostile_names_are_shown_not_run(tmp_path: Path) -> None:
    report = build_usage(hostile(), top=20)
    dom = rendered_dom(tmp_path, render_html(report))
    (html,) = dom.find("html")
    assert "data-pwned" not in html.attrs
    assert not dom.find("img")
    assert len(dom.find("script")) == 1
    shown = [row.find("td")[0].text() for row in dom.by_id("repositories").find("tr")[1:]]
    expected = {n.replace("\x1b", "\\x1b") for n in NAMES}
    assert set(shown) == expected
