"""A registry whose names attack every output: HTML, rich markup, terminal escapes, spreadsheet formulas."""

from __future__ import annotations

from acrdoctor.builder import SnapshotBuilder
from acrdoctor.model import Snapshot

#: Runs in a browser if the HTML report ever inserts it unescaped: the browser test looks for the attribute.
SCRIPT = "<script>document.documentElement.setAttribute('data-pwned','1')</script>"
IMG = '"><img src=x onerror="document.documentElement.setAttribute(\'data-pwned\',\'2\')">'
MARKUP = "[red]team[/red]/app"
ESCAPE = "evil\x1b[2J/app"
FORMULA = "=HYPERLINK(\"http://x\")/app"
NAMES = (SCRIPT, IMG, MARKUP, ESCAPE, FORMULA)


def hostile() -> Snapshot:
    b = SnapshotBuilder("hostile", resource_group="rg-hostile")
    for i, name in enumerate(NAMES):
        repo = b.repository(name)
        repo.image(["v1"], layers=[("shared-base", 1_000), (f"own-{i}", 100 * (i + 1))], config=(f"cfg-{i}", 10))
        repo.image([], layers=[(f"old-{i}", 50 * (i + 1))], config=(f"cfg-old-{i}", 5), age_days=200)
    b.set_usage()
    return b.build()
