"""The page shell shared by the session report and the history page.

Text helpers (:func:`esc`, the ``fmt_*`` formatters, :func:`stretch_name`), the inline CSS, the
document shell (:func:`html_page`) and the small building blocks both pages use: stat tiles,
tables, the left/right balance bar, chart legends and the fault-kind chip, whose label and
colour come from the stretch catalogue (:mod:`formcheck.stretches.catalogue`).

Every string that comes from the user or a file is escaped with :func:`esc`.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from typing import Any

from formcheck import __version__
from formcheck.stretches.catalogue import fault_kind

#: fault category -> chip colour: form faults red, set-up problems orange
CATEGORY_CHIP = {"form": "bad", "setup": "warn"}

#: display names of the stretches in the catalogue; other ids are shown as they are
STRETCH_NAMES = {
    "standing_fold": "Standing hamstring stretch",
    "standing_support": "Standing stretch, heel on a support",
    "seated_floor": "Sitting stretch on the floor",
    "seated_chair": "Seated stretch on a chair",
    "supine_raise": "Lying leg raise",
    "supine_wall": "Stretch on the wall",
}


def esc(value: Any) -> str:
    """``str(value)`` escaped for HTML text and attribute values."""
    return html.escape("" if value is None else str(value), quote=True)


def fmt_s(seconds: float, digits: int = 1) -> str:
    """Seconds as ``"12.3 s"``; NaN as an em dash."""
    return "—" if not math.isfinite(seconds) else f"{seconds:.{digits}f} s"


def fmt_clock(t_s: float) -> str:
    """A time in the video as ``m:ss.s``."""
    if not math.isfinite(t_s):
        return "—"
    minutes, seconds = divmod(max(0.0, t_s), 60.0)
    return f"{int(minutes)}:{seconds:04.1f}"


def fmt_deg(value: float) -> str:
    """An angle as ``"12°"``; NaN as an em dash."""
    return "—" if not math.isfinite(value) else f"{value:.0f}°"


def stretch_name(stretch_id: Any) -> str:
    """The display name of a stretch id (not escaped)."""
    if stretch_id is None:
        return "Unknown stretch"
    return STRETCH_NAMES.get(str(stretch_id), str(stretch_id).replace("_", " ").capitalize())


_DATA_URI = re.compile(r"^data:image/(?:jpeg|jpg|png|webp|gif);base64,[A-Za-z0-9+/=\s]+$")


def safe_image_uri(value: Any) -> str | None:
    """``value`` when it is a base64 ``data:image/...`` URI, else ``None`` (never a URL)."""
    if isinstance(value, str) and _DATA_URI.match(value):
        return value
    return None


def fault_chip_html(kind: Any) -> str:
    """A chip with the fault kind's label, red for form faults and orange for set-up ones."""
    fault = fault_kind(str(kind or "unknown"))
    chip = CATEGORY_CHIP.get(fault.category, "warn")
    return f'<span class="chip {chip}">{esc(fault.label)}</span>'


def legend_html(items: Sequence[tuple[str, str]]) -> str:
    """A chart legend: ``(css class, label)`` pairs."""
    spans = "".join(
        f'<span class="key"><i class="swatch {esc(css)}"></i>{esc(text)}</span>'
        for css, text in items
    )
    return f'<div class="legend">{spans}</div>'


CSS = """
:root{--bg:#f4f6f8;--card:#fff;--ink:#1f2933;--muted:#66727f;--line:#e3e8ee;
--good:#2e9e4f;--good-bg:#e6f5ea;--bad:#d1453b;--bad-bg:#fdecea;--warn:#e08a00;--warn-bg:#fff4e0;
--accent:#2f6fdf;--left:#2f6fdf;--right:#8e44ad}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1080px;margin:0 auto;padding:24px 20px 48px}
header.page{margin-bottom:16px}
header.page h1{font-size:26px;margin:0 0 4px}
.meta{color:var(--muted);font-size:14px;overflow-wrap:anywhere}
.meta b{color:var(--ink);font-weight:600}
.card{background:var(--card);border-radius:12px;padding:18px 20px;margin:16px 0;
box-shadow:0 1px 2px rgba(16,24,40,.06),0 1px 3px rgba(16,24,40,.08)}
.card h2{font-size:18px;margin:0 0 12px}
.card h3{font-size:15px;margin:14px 0 6px}
.banner{border-radius:12px;padding:12px 16px;margin:16px 0;font-weight:500}
.banner.partial{background:var(--warn-bg);border:1px solid #f3c56b;color:#7a4b00}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px}
.tile{background:var(--card);border-radius:12px;padding:14px 16px;
box-shadow:0 1px 2px rgba(16,24,40,.06),0 1px 3px rgba(16,24,40,.08)}
.tile .v{font-size:24px;font-weight:650}
.tile .l{color:var(--muted);font-size:13px}
.tile.good .v{color:var(--good)} .tile.bad .v{color:var(--bad)} .tile.warn .v{color:var(--warn)}
table{border-collapse:collapse;width:100%;font-size:14px}
.nowrap{white-space:nowrap}
th,td{text-align:left;padding:7px 8px;border-bottom:1px solid var(--line);vertical-align:middle}
th{color:var(--muted);font-weight:600;font-size:12px;text-transform:uppercase;letter-spacing:.03em}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.chip{display:inline-block;border-radius:999px;padding:1px 10px;font-size:12.5px;font-weight:600;
white-space:nowrap}
.chip.good{background:var(--good-bg);color:#1d6b34}.chip.bad{background:var(--bad-bg);color:#a5281f}
.chip.warn{background:var(--warn-bg);color:#8a5300}.chip.info{background:#eef2f7;color:#3c4a5a}
.bar-track{background:#edf0f3;border-radius:6px;height:10px;min-width:120px;position:relative;
overflow:hidden}
.bar-fill{height:100%;border-radius:6px;background:var(--warn)}
.bar-fill.done{background:var(--good)}
.balance{display:flex;height:26px;border-radius:8px;overflow:hidden;margin:6px 0 4px;
font-size:12.5px;font-weight:600;color:#fff}
.balance div{display:flex;align-items:center;padding:0 10px;white-space:nowrap}
.balance .l{background:var(--left)} .balance .r{background:var(--right);justify-content:flex-end}
.muted{color:var(--muted)}
.thumb{max-width:160px;max-height:100px;border-radius:6px;display:block;
border:1px solid var(--line)}
figure.key{margin:0;display:flex;gap:16px;align-items:center;flex-wrap:wrap}
figure.key img{max-width:360px;width:100%;border-radius:8px;border:1px solid var(--line)}
.advice-list{list-style:none;padding:0;margin:0}
.advice{border-left:4px solid var(--bad);background:#fafbfc;border-radius:6px;padding:8px 12px;
margin:8px 0}
.advice.good{border-color:var(--good)} .advice.info{border-color:var(--accent)}
.advice span{color:#3c4a5a}
cite.cite{font-style:normal;color:var(--muted);font-size:13px}
cite.cite a{color:var(--accent);text-decoration:none}
.sources ol{padding-left:0;list-style:none;margin:0;font-size:13.5px}
.sources li{margin:3px 0}
.chart-block{margin:6px 0 14px}
.chart-title{font-size:13.5px;font-weight:600;margin:0 0 2px;color:#334155}
svg.chart{display:block;height:auto;max-width:100%}
svg.chart .plot-bg{fill:#fbfcfd} svg.chart .frame{fill:none;stroke:#cfd6de}
svg.chart .grid{stroke:#e9edf1} svg.chart .xtick{stroke:#aab4bf}
svg.chart .tick{font-size:11px;fill:#66727f;font-family:system-ui,-apple-system,Arial,sans-serif}
svg.chart .ref{stroke:#8894a2;stroke-dasharray:4 4}
svg.chart .ref-label{font-size:10.5px;fill:#8894a2;font-family:system-ui,Arial,sans-serif}
svg.chart .limit{stroke:#c62828;stroke-width:1.5;stroke-dasharray:7 3}
svg.chart .limit-label{font-size:10.5px;fill:#c62828;font-family:system-ui,Arial,sans-serif}
svg.chart .line{fill:none;stroke-width:1.6;stroke-linejoin:round}
svg.chart .band.hold{fill:var(--good);opacity:.13}
svg.chart .band.form{fill:var(--bad);opacity:.22}
svg.chart .band.setup{fill:var(--warn);opacity:.2}
.s0{stroke:#1f2933;fill:#1f2933}.s1{stroke:var(--accent);fill:var(--accent)}
.s-left{stroke:var(--left);fill:var(--left)}.s-right{stroke:var(--right);fill:var(--right)}
.s-mean{stroke:#94a3b8;fill:#94a3b8}.s-good{stroke:var(--good);fill:var(--good)}
.legend{display:flex;flex-wrap:wrap;gap:14px;font-size:13px;color:var(--muted);margin:0 0 8px}
.swatch{display:inline-block;width:14px;height:10px;border-radius:3px;margin-right:6px;
vertical-align:middle}
.swatch.hold{background:#c5e8cf}.swatch.form{background:#f5b9b4}.swatch.setup{background:#fbd9a0}
.swatch.s0{background:#1f2933}.swatch.s-left{background:var(--left)}
.swatch.s-right{background:var(--right)}.swatch.s-mean{background:#94a3b8}
.swatch.s-good{background:var(--good)}.swatch.s1{background:var(--accent)}
.swatch.ref{background:none;border-top:2px dashed #8894a2;height:0;border-radius:0}
.swatch.limit{background:none;border-top:2px dashed #c62828;height:0;border-radius:0}
footer{color:var(--muted);font-size:12.5px;margin-top:24px}
@media print{body{background:#fff}.card,.tile{box-shadow:none;border:1px solid var(--line)}}
"""


def html_page(title: str, body: str) -> str:
    """A complete, self-contained HTML document (``title`` is escaped here, ``body`` is HTML)."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<meta name="generator" content="formcheck {esc(__version__)}">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


def tiles_html(tiles: Sequence[tuple[str, str, str]]) -> str:
    """Stat tiles: ``(value, label, tone)``; value and label are escaped."""
    return (
        '<div class="tiles">'
        + "".join(
            f'<div class="tile {esc(tone)}"><div class="v">{esc(v)}</div>'
            f'<div class="l">{esc(lbl)}</div></div>'
            for v, lbl, tone in tiles
        )
        + "</div>"
    )


def table_html(
    headers: Sequence[str], rows: Sequence[Sequence[str]], num: Sequence[int] = ()
) -> str:
    """A table; ``headers`` are escaped, cells are HTML already; ``num`` = right-aligned columns."""
    head = "".join(
        f"<th{' class=num' if i in num else ''}>{esc(h)}</th>" for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(f"<td{' class=num' if i in num else ''}>{c}</td>" for i, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def balance_bar_html(left_s: float, right_s: float) -> str:
    """A split bar of left against right seconds."""
    total = left_s + right_s
    if total <= 0:
        return '<p class="muted">No good-form hold time on either side.</p>'
    lp = max(12.0, min(88.0, 100 * left_s / total))
    return (
        f'<div class="balance" role="img" aria-label="left {left_s:.0f} s, right {right_s:.0f} s">'
        f'<div class="l" style="width:{lp:.1f}%">Left {left_s:.0f} s</div>'
        f'<div class="r" style="width:{100 - lp:.1f}%">Right {right_s:.0f} s</div></div>'
    )
