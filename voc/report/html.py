"""HTML building blocks of the report page: the page model, escaping, tables, and the page itself.

:class:`Chart` and :class:`Section` describe the page; the small helpers turn values into
escaped HTML fragments; :func:`_write_outputs` writes the self-contained page (inline CSS,
one tiny script, charts embedded as base64 PNGs) and one PNG file per chart.
"""

from __future__ import annotations

import base64
import html
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from voc._write import atomic_write
from voc.privacy import mask_text

_EXAMPLE_CHARS = 240


@dataclass
class Chart:
    """One chart: file name stem, alt text and PNG bytes."""

    name: str
    alt: str
    png: bytes


@dataclass
class Section:
    """One ``<section>`` of the page."""

    id: str
    title: str
    body: str = ""
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------- html helpers
def _e(value: Any) -> str:
    """Escape a value for the page; PII in it (a customer id that is a phone ...) is masked."""
    return html.escape(mask_text(str(value)), quote=True)


def _name(names: dict[str, dict[str, str]], task: str, code: str) -> str:
    """``中文名 <code>code</code>`` (escaped)."""
    zh = names.get(task, {}).get(code)
    if zh and zh != code:
        return f"{_e(zh)} <code>{_e(code)}</code>"
    return f"<code>{_e(code)}</code>"


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], cls: str = "") -> str:
    """A table; headers are escaped here, cells must already be HTML."""
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{_e(cls)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _highlight(text: str, spans: Iterable[str]) -> str:
    """Escape ``text``, wrapping the first occurrence of each span in ``<mark>``."""
    if len(text) > _EXAMPLE_CHARS:
        text = text[:_EXAMPLE_CHARS] + "…"
    hits: list[tuple[int, int]] = []
    for s in sorted({s for s in spans if isinstance(s, str) and s.strip()}, key=len, reverse=True):
        k = text.find(s)
        if k >= 0 and all(k >= b or k + len(s) <= a for a, b in hits):
            hits.append((k, k + len(s)))
    out, pos = [], 0
    for a, b in sorted(hits):
        out.append(_e(text[pos:a]) + "<mark>" + _e(text[a:b]) + "</mark>")
        pos = b
    out.append(_e(text[pos:]))
    return "".join(out)


def _pct(x: float) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.0f}%"


def _details(inner: str, summary: str = "Table") -> str:
    return f"<details><summary>{_e(summary)}</summary>{inner}</details>"


def _fmt(x: Any, spec: str = ".1f") -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "–"
    return "–" if math.isnan(v) else format(v, spec)


def _cards(cards: Sequence[tuple[str, str]]) -> str:
    return '<div class="cards">' + "".join(
        f'<div class="card"><div class="v">{_e(v)}</div><div class="k">{_e(k)}</div></div>' for k, v in cards
    ) + "</div>"


# ---------------------------------------------------------------------------- output
_CSS = """
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#1f2328;font:15px/1.5 -apple-system,"Segoe UI",Roboto,"Noto Sans",
"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC",
"WenQuanYi Micro Hei","WenQuanYi Zen Hei","SimHei",sans-serif}
header{background:#1f3a5f;color:#fff;padding:20px 32px}
header h1{margin:0 0 4px;font-size:24px}
header p{margin:0;opacity:.85;font-size:13px}
nav{padding:8px 32px;background:#fff;border-bottom:1px solid #d8dee4;font-size:13px}
nav a{margin-right:14px;color:#1f3a5f;text-decoration:none}
main{max-width:1180px;margin:0 auto;padding:16px 24px 40px;display:grid;grid-template-columns:1fr 1fr;gap:16px}
section{background:#fff;border:1px solid #d8dee4;border-radius:8px;padding:16px 20px;min-width:0}
section.wide{grid-column:1 / -1}
h2{margin:0 0 10px;font-size:19px;color:#1f3a5f}
h3{margin:14px 0 6px;font-size:15px}
figure{margin:0 0 8px}
figure img{max-width:100%;height:auto;display:block}
.note{background:#fff8e1;border-left:4px solid #f2c94c;padding:6px 10px;margin:6px 0;font-size:13px}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{border:1px solid #d8dee4;border-radius:6px;padding:8px 14px;min-width:120px}
.card .v{font-size:20px;font-weight:600}.card .k{font-size:12px;color:#57606a}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
table.wide{width:100%}
th,td{border-bottom:1px solid #eaeef2;padding:4px 8px;text-align:left;vertical-align:top}
table.num td:not(:first-child){text-align:right}
code{font-size:12px;color:#57606a;background:#f6f8fa;padding:0 3px;border-radius:3px}
mark{background:#ffe08a;padding:0 1px}
.reason{border-top:1px solid #eaeef2;padding-top:4px}
.reason .n{font-weight:normal;color:#57606a;font-size:13px}
ul.examples{margin:4px 0 8px;padding-left:20px;font-size:14px}
details summary{cursor:pointer;color:#57606a;font-size:13px}
footer{text-align:center;color:#57606a;font-size:12px;padding:0 0 24px}
@media (max-width:900px){main{grid-template-columns:1fr}}
"""


_SCRIPT = """
window.addEventListener("load", function () {
  var imgs = document.images, bad = 0;
  for (var i = 0; i < imgs.length; i++) {
    if (!imgs[i].complete || imgs[i].naturalWidth === 0) { bad++; }
  }
  document.body.setAttribute("data-charts", bad === 0 ? "ok" : "broken");
  document.body.setAttribute("data-charts-count", String(imgs.length));
  document.body.setAttribute("data-charts-broken", String(bad));
});
"""


_WIDE = {"summary", "sentiment-over-time", "non-complaint-reasons", "personas", "issues-churn", "churn-winback"}


def _write_outputs(sections: list[Section], output_html: Path, png_dir: Path, title: str, source: str) -> None:
    from voc import __version__

    output_html.parent.mkdir(parents=True, exist_ok=True)
    png_dir.mkdir(parents=True, exist_ok=True)
    parts = []
    k = 0
    for sec in sections:
        figs = []
        for chart in sec.charts:
            k += 1
            fname = f"{k:02d}_{re.sub(r'[^A-Za-z0-9_]+', '_', chart.name)}.png"
            atomic_write(png_dir / fname, lambda t, data=chart.png: t.write_bytes(data))
            b64 = base64.b64encode(chart.png).decode("ascii")
            figs.append(f'<figure class="chart" id="chart-{_e(chart.name)}" data-png="{_e(fname)}">'
                        f'<img src="data:image/png;base64,{b64}" alt="{_e(chart.alt)}"></figure>')
        notes = "".join(f'<p class="note">{_e(n)}</p>' for n in sec.notes)
        cls = "wide" if sec.id in _WIDE else ""
        parts.append(f'<section id="{_e(sec.id)}" class="{cls}"><h2>{_e(sec.title)}</h2>{notes}'
                     f'{"".join(figs)}{sec.body}</section>')
    nav = "".join(f'<a href="#{_e(s.id)}">{_e(s.title)}</a>' for s in sections)
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M")
    page = (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head>"
        f'<body><header><h1>{_e(title)}</h1><p>Source: {_e(source)} · generated {_e(stamp)} by voc '
        f"{_e(__version__)} · works offline (charts are embedded)</p></header><nav>{nav}</nav>"
        f'<main>{"".join(parts)}</main>'
        "<footer>Labels: voc taxonomy (docs/TAXONOMY.md). Example texts are normalized with personal "
        "data masked.</footer>"
        f"<script>{_SCRIPT}</script></body></html>\n"
    )
    atomic_write(output_html, lambda t: t.write_text(page, encoding="utf-8"))
