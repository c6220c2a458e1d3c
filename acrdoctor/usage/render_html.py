"""The usage report as one self-contained HTML file: treemap, totals, repositories, candidates.

Made to be attached to a ticket and opened offline: CSS, the SVG treemap and a few lines of script (sorting the
repository table) are inline, nothing is fetched, and a Content-Security-Policy forbids the page any network
access and any script but its own (by hash). Every text from data passes :func:`html.escape` (quotes included,
for attributes) after :func:`~acrdoctor.textsafe.visible`, so a repository named ``<script>`` is shown, not run;
the policy is a second line of defence, not the first.

Every byte figure is shown twice, human-readable and exact (``data-bytes`` holds the integer): the browser test
reads both back from the rendered page and compares them with the JSON report.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape

from acrdoctor.textsafe import visible
from acrdoctor.units import human_bytes, plural
from acrdoctor.usage.model import AGE_NAMES, RepositoryUsage, UsageReport
from acrdoctor.usage.treemap import Rect, split, squarify

MAP_WIDTH = 960
MAP_HEIGHT = 520
#: Treemap colours of the three kinds of bytes (same order as the bar segments of the console).
KIND_COLOURS = (("exclusive", "#3b8f5a"), ("dangling", "#d9a21b"), ("shared", "#3f7fbf"))

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1d232a;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:#5a6570}.warn{background:#fff4d6;border:1px solid #e5c46b;padding:8px 12px;border-radius:4px}
table{border-collapse:collapse;margin:6px 0}th,td{padding:4px 10px;border-bottom:1px solid #e3e6ea;
text-align:left;vertical-align:top}th{background:#f4f6f8;cursor:default}th.sortable{cursor:pointer}
td.num,th.num{text-align:right;white-space:nowrap}.exact{display:block;color:#7a858f;font-size:11px}
code{font:12px/1.4 ui-monospace,Menlo,Consolas,monospace;background:#f4f6f8;padding:2px 4px;border-radius:3px;
word-break:break-all;display:block;margin:2px 0}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 14px;vertical-align:-1px}
svg text{font:11px system-ui,sans-serif;fill:#fff;pointer-events:none}
svg rect.repo{fill:none;stroke:#fff;stroke-width:2}
"""

_SCRIPT = """
document.querySelectorAll('table.sortable').forEach(function (table) {
  table.querySelectorAll('th').forEach(function (th, col) {
    th.classList.add('sortable');
    th.addEventListener('click', function () {
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var down = th.getAttribute('data-order') !== 'desc';
      rows.sort(function (a, b) {
        var x = a.cells[col], y = b.cells[col];
        var p = x.getAttribute('data-bytes') || x.getAttribute('data-value'),
            q = y.getAttribute('data-bytes') || y.getAttribute('data-value');
        var r = (p !== null && q !== null) ? Number(p) - Number(q) : x.textContent.localeCompare(y.textContent);
        return down ? -r : r;
      });
      rows.forEach(function (row) { body.appendChild(row); });
      th.setAttribute('data-order', down ? 'desc' : 'asc');
    });
  });
});
"""


def text(value: str) -> str:
    """Data as HTML text or attribute value: controls made visible, markup and quotes escaped."""
    return escape(visible(value), quote=True)


def _bytes_cell(n: int | None, cls: str = "num", ident: str | None = None) -> str:
    id_attr = f' id="{ident}"' if ident else ""
    if n is None:
        return f'<td class="{cls}"{id_attr}>not collected</td>'
    return (f'<td class="{cls}"{id_attr} data-bytes="{n}">{escape(human_bytes(n))}'
            f'<span class="exact">{n:,}</span></td>')


def _count_cell(n: int) -> str:
    return f'<td class="num" data-value="{n}">{n:,}</td>'


def _csp() -> str:
    digest = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
    return f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{digest}'"


def render_html(report: UsageReport) -> str:
    name = text(report.registry)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_csp()}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Storage of registry {name} (acrdoctor usage)</title>",
        f"<style>{_CSS}</style></head><body>",
        f'<h1>Storage of registry <span id="registry">{name}</span></h1>',
        f'<p class="meta">Collected at {text(report.collected_at or "an unknown time")}; ages measured from '
        f'{text(report.now)}. Written by acrdoctor usage; every figure counts each layer and config once across '
        "the registry.</p>",
    ]
    if report.gaps:
        parts.append('<p class="warn" id="gaps">Data incomplete: byte figures are lower bounds. '
                     + text("; ".join(report.gaps)) + "</p>")
    parts += _totals(report)
    parts += _treemap(report)
    parts += _repositories(report)
    parts += _candidates(report)
    parts.append(f"<script>{_SCRIPT}</script></body></html>\n")
    return "\n".join(parts)


def _totals(report: UsageReport) -> list[str]:
    t = report.totals
    rows = [
        ("total-deduplicated", "Stored, deduplicated (configs and layers)", t.deduplicated_bytes),
        ("total-service", "Service's Size usage", t.service_bytes),
        ("total-image-size", "Sum of imageSize (shared layers counted once per manifest)", t.image_size_sum),
        ("total-unexplained", "Difference, service − deduplicated", t.unexplained_bytes),
        ("total-shared", "Shared by several repositories", t.shared_bytes),
        ("total-dangling-freed", f"Freed by deleting all {plural(t.dangling_manifests, 'dangling manifest')}",
         t.dangling_freed_bytes),
    ]
    out = ["<h2>Registry totals</h2>", '<table id="totals"><tbody>']
    for ident, label, value in rows:
        out.append(f"<tr><th>{escape(label)}</th>{_bytes_cell(value, ident=ident)}</tr>")
    out.append("</tbody></table>")
    out.append('<ul id="explanations">')
    for e in t.explanations:
        amount = f" ({escape(human_bytes(e.bytes))})" if e.bytes is not None else ""
        out.append(f'<li data-code="{text(e.code)}"><b>{text(e.code)}</b>{amount}: {text(e.text)}</li>')
    out.append("</ul>")
    out.append('<h2>Bytes by last update</h2><table id="ages"><thead><tr>')
    out += [f'<th class="num">{escape(a)}</th>' for a in AGE_NAMES]
    out.append("</tr></thead><tbody><tr>")
    out += [_bytes_cell(t.age_bytes[a]) for a in AGE_NAMES]
    out.append("</tr></tbody></table>")
    return out


def _treemap(report: UsageReport) -> list[str]:
    repos = sorted((r for r in report.repositories if r.total_bytes > 0), key=lambda r: (-r.total_bytes, r.name))
    out = ["<h2>Repositories by bytes</h2>",
           '<p class="legend">Area: distinct bytes of each repository.'
           + "".join(f'<span style="background:{c}"></span>{k}' for k, c in KIND_COLOURS)
           + " (exclusive: only this repository, a tag reaches it; dangling: only its untagged, unreachable "
           "manifests; shared: other repositories hold it too)</p>",
           f'<svg id="treemap" xmlns="http://www.w3.org/2000/svg" width="{MAP_WIDTH}" height="{MAP_HEIGHT}" '
           f'viewBox="0 0 {MAP_WIDTH} {MAP_HEIGHT}" role="img" aria-label="treemap of repositories">']
    rects = squarify([r.total_bytes for r in repos], MAP_WIDTH, MAP_HEIGHT)
    for r, box in zip(repos, rects, strict=True):
        out.append(_tile(r, box))
    out.append("</svg>")
    return out


def _tile(r: RepositoryUsage, box: Rect) -> str:
    label = text(r.name)
    title = text(f"{r.name}: {human_bytes(r.total_bytes)} — exclusive {human_bytes(r.in_use_exclusive_bytes)}, "
                 f"dangling {human_bytes(r.dangling_freed_bytes)}, shared {human_bytes(r.shared_bytes)}")
    kinds = (r.in_use_exclusive_bytes, r.dangling_freed_bytes, r.shared_bytes)
    g = [f'<g class="tile" data-repository="{label}" data-bytes="{r.total_bytes}"><title>{title}</title>']
    for (kind, colour), part, n in zip(KIND_COLOURS, split(box, kinds), kinds, strict=True):
        if n > 0:
            g.append(f'<rect class="{kind}" data-bytes="{n}" x="{part.x:.2f}" y="{part.y:.2f}" '
                     f'width="{part.w:.2f}" height="{part.h:.2f}" fill="{colour}"/>')
    g.append(f'<rect class="repo" x="{box.x:.2f}" y="{box.y:.2f}" width="{box.w:.2f}" height="{box.h:.2f}"/>')
    if box.w > 60 and box.h > 18:
        g.append(f'<svg x="{box.x:.2f}" y="{box.y:.2f}" width="{box.w:.2f}" height="{box.h:.2f}">'
                 f'<text x="4" y="14">{label}</text></svg>')
    g.append("</g>")
    return "".join(g)


def _repositories(report: UsageReport) -> list[str]:
    heads = ("repository", "total", "exclusive", "shared", "dangling frees", "dangling holds", "manifests",
             "tags", "untagged", *AGE_NAMES, "shares most with")
    out = ["<h2>Repositories</h2>", '<table id="repositories" class="sortable"><thead><tr>']
    out += [f'<th class="{"" if h in ("repository", "shares most with") else "num"}">{escape(h)}</th>'
            for h in heads]
    out.append("</tr></thead><tbody>")
    for r in sorted(report.repositories, key=lambda r: (-r.total_bytes, r.name)):
        most = ""
        if r.shared_with:
            other, n = r.shared_with[0]
            most = f"{text(other)} ({escape(human_bytes(n))})"
            if r.shared_with_count > 1:
                most += f" and {r.shared_with_count - 1} more"
        cells = [f'<td class="name">{text(r.name)}</td>'] + [
            _bytes_cell(n) for n in (r.total_bytes, r.exclusive_bytes, r.shared_bytes, r.dangling_freed_bytes,
                                     r.dangling_bytes)]
        cells += [_count_cell(n) for n in (r.manifests, r.tags, r.untagged_manifests)]
        cells += [_bytes_cell(r.age_bytes[a]) for a in AGE_NAMES]
        cells.append(f"<td>{most}</td>")
        out.append(f'<tr data-repository="{text(r.name)}">' + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return out


def _candidates(report: UsageReport) -> list[str]:
    out = [f"<h2>Cleanup candidates by exact bytes freed (older-than {text(report.older_than)})</h2>"]
    if not report.candidates:
        out.append("<p>No cleanup candidate frees any byte.</p>")
        return out
    out.append(
        f'<p>All {len(report.candidates)} together free <b id="combined" data-bytes="{report.top_combined_bytes}">'
        f'{escape(human_bytes(report.top_combined_bytes))} ({report.top_combined_bytes:,} bytes)</b>, computed on '
        f'what they delete together; their own figures add up to <span id="summed" '
        f'data-bytes="{report.top_summed_bytes}">{escape(human_bytes(report.top_summed_bytes))}</span>: candidates '
        "overlap, and a shared layer is freed only when every holder goes. Run the pre-flight before each "
        "command.</p>")
    out.append('<table id="candidates"><thead><tr><th class="num">#</th><th>kind</th><th>repository</th>'
               '<th class="num">frees</th><th class="num">manifests</th><th class="num">tags</th>'
               "<th>check first, then run</th></tr></thead><tbody>")
    for i, c in enumerate(report.candidates, 1):
        blockers = "".join(f'<div class="warn">{text(b)}</div>' for b in c.blockers)
        if c.blocker_count > len(c.blockers):
            blockers += f'<div class="warn">and {c.blocker_count - len(c.blockers)} more (see the pre-flight)</div>'
        out.append(
            f'<tr data-rank="{i}"><td class="num">{i}</td><td>{text(c.kind)}</td><td class="name">'
            f"{text(c.repository)}</td>{_bytes_cell(c.freed_bytes)}{_count_cell(c.manifests_deleted)}"
            f'{_count_cell(c.tags_deleted)}<td><code class="preflight">{text(c.preflight_command)}</code>'
            f'<code class="command">{text(c.command)}</code>{blockers}</td></tr>')
    out.append("</tbody></table>")
    return out
