"""Inline SVG charts, drawn from numpy arrays with no plotting library and no JavaScript.

:func:`svg_line_chart` (time series with gaps, shaded bands and reference lines) and
:func:`svg_bar_chart` (grouped bars per label) serve the session report and the history page.
Coordinates are SVG user units; the charts scale to the page width.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from formcheck.report.shell import esc


@dataclass(frozen=True)
class Series:
    """One line of a chart: ``y`` has the chart's x length, NaN = gap."""

    label: str
    y: np.ndarray
    css: str = "s0"
    markers: bool = False


@dataclass(frozen=True)
class Band:
    """A shaded x interval ``[x0, x1]`` with a hover title."""

    x0: float
    x1: float
    css: str
    title: str = ""


@dataclass(frozen=True)
class RefLine:
    """A dashed horizontal reference line; ``css="limit"``: a rule's threshold (drawn red)."""

    y: float
    label: str = ""
    css: str = "ref"


def _ref_lines_svg(
    ref_lines: Iterable[Any], lo: float, hi: float, left: float, pw: float, sy: Callable[[Any], Any]
) -> list[str]:
    """Dashed reference lines (with their labels) for the values between ``lo`` and ``hi``."""
    out = []
    for r in ref_lines:
        if lo <= r.y <= hi:
            yy = sy(r.y)
            css = esc(getattr(r, "css", "ref"))
            out.append(
                f'<line class="{css}" x1="{left}" x2="{left + pw}" y1="{yy:.1f}" y2="{yy:.1f}"/>'
                f'<text class="{css}-label" x="{left + pw - 4}" y="{yy - 4:.1f}" '
                f'text-anchor="end">{esc(r.label)}</text>'
            )
    return out


#: values beyond this size are not drawn: a hand-made report or a history row written before
#: reports were checked can hold 1e308, whose scale overflows; real values are far inside it
PLOT_LIMIT = 1e9


def plottable(values: Any) -> np.ndarray:
    """``values`` as a float array, NaN (a gap) where a value is not finite or beyond
    :data:`PLOT_LIMIT`."""
    a = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(np.abs(a) <= PLOT_LIMIT, a, np.nan)


def _drawable(v: float) -> bool:
    return math.isfinite(v) and abs(v) <= PLOT_LIMIT


def nice_ticks(lo: float, hi: float, count: int = 5) -> np.ndarray:
    """Round tick values (1, 2, 2.5, 5 x 10^k steps) covering ``[lo, hi]`` (within
    :data:`PLOT_LIMIT`)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return np.array([0.0, 1.0])
    lo, hi = (min(max(v, -PLOT_LIMIT), PLOT_LIMIT) for v in (lo, hi))
    if hi <= lo:
        lo, hi = lo - 1.0, hi + 1.0
    raw = (hi - lo) / max(1, count)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    stop = math.ceil(hi / step) * step
    return np.round(np.arange(start, stop + step / 2, step), 10)


def _fmt_tick(v: float) -> str:
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:g}"


def decimate(x: np.ndarray, ys: Sequence[np.ndarray], max_points: int) -> tuple[np.ndarray, list]:
    """Average consecutive samples into at most ``max_points`` buckets; all-NaN buckets stay NaN."""
    n = x.size
    if n <= max_points:
        return x, list(ys)
    edges = np.linspace(0, n, max_points + 1).astype(int)
    xs = np.add.reduceat(x, edges[:-1]) / np.diff(edges)
    out = []
    for y in ys:
        finite = np.isfinite(y)
        sums = np.add.reduceat(np.where(finite, y, 0.0), edges[:-1])
        counts = np.add.reduceat(finite.astype(float), edges[:-1])
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append(np.where(counts > 0, sums / np.maximum(counts, 1), np.nan))
    return xs, out


def _path(px: np.ndarray, py: np.ndarray) -> tuple[str, list[tuple[float, float]]]:
    """SVG path data for a polyline broken where ``py`` is NaN, and the isolated points."""
    finite = np.isfinite(py)
    parts: list[str] = []
    singles: list[tuple[float, float]] = []
    idx = np.flatnonzero(finite)
    if idx.size == 0:
        return "", singles
    breaks = np.flatnonzero(np.diff(idx) > 1)
    for run in np.split(idx, breaks + 1):
        if run.size == 1:
            singles.append((float(px[run[0]]), float(py[run[0]])))
            continue
        parts.append("M" + " L".join(f"{px[i]:.1f},{py[i]:.1f}" for i in run))
    return " ".join(parts), singles


def svg_line_chart(
    x: Sequence[float] | np.ndarray,
    series: Sequence[Series],
    *,
    bands: Sequence[Band] = (),
    ref_lines: Sequence[RefLine] = (),
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    x_ticks: Sequence[tuple[float, str]] | None = None,
    x_fmt: Callable[[float], str] = _fmt_tick,
    y_unit: str = "",
    width: int = 960,
    height: int = 170,
    label: str = "chart",
    max_points: int = 1200,
) -> str:
    """An inline SVG line chart.

    Parameters
    ----------
    x : array, shape (n,)
        Shared x values (seconds, or day numbers with ``x_ticks`` labels).
    series : sequence of Series
        Lines to draw; NaN breaks a line into separate runs (a gap), a lone finite point is a dot.
    bands : sequence of Band
        Shaded x intervals drawn behind the lines (holds, warnings).
    ref_lines : sequence of RefLine
        Dashed horizontal lines (e.g. 180° = straight knee).
    x_ticks : sequence of (x, label), optional
        Explicit x tick marks; default round values formatted with ``x_fmt``.
    """
    xa = plottable(x)
    xs, ys = decimate(xa, [plottable(s.y) for s in series], max_points)
    ys = [np.where(np.isfinite(xs), y, np.nan) for y in ys]  # no point without its x
    left, right, top, bottom = 44, 12, 8, 22
    pw, ph = width - left - right, height - top - bottom
    finite_x = xa[np.isfinite(xa)]
    if x_range is None or not all(_drawable(v) for v in x_range):
        x_range = (float(finite_x.min()), float(finite_x.max())) if finite_x.size else (0.0, 1.0)
    x0, x1 = x_range
    if x1 <= x0:
        x0, x1 = x0 - 0.5, x1 + 0.5
    finite_vals = [v for y in ys for v in y[np.isfinite(y)]]
    if y_range is not None:
        ylo, yhi = y_range
    elif finite_vals:
        ylo, yhi = float(min(finite_vals)), float(max(finite_vals))
        for r in ref_lines:
            if ylo - 0.5 * (yhi - ylo + 10) <= r.y <= yhi + 0.5 * (yhi - ylo + 10):
                ylo, yhi = min(ylo, r.y), max(yhi, r.y)
        pad = max(2.0, 0.06 * (yhi - ylo))
        ylo, yhi = ylo - pad, yhi + pad
    else:
        ylo, yhi = 0.0, 1.0
    yt = nice_ticks(ylo, yhi, 4)
    ylo, yhi = min(ylo, float(yt[0])), max(yhi, float(yt[-1]))

    def sx(v: np.ndarray | float) -> Any:
        return left + (np.asarray(v) - x0) / (x1 - x0) * pw

    def sy(v: np.ndarray | float) -> Any:
        return top + (1 - (np.asarray(v) - ylo) / (yhi - ylo)) * ph

    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{esc(label)}" preserveAspectRatio="xMidYMid meet">'
    ]
    out.append(f'<rect class="plot-bg" x="{left}" y="{top}" width="{pw}" height="{ph}"/>')
    for b in bands:
        bx0, bx1 = max(b.x0, x0), min(b.x1, x1)
        if not (math.isfinite(bx0) and math.isfinite(bx1)) or bx1 <= bx0:
            continue
        out.append(
            f'<rect class="band {esc(b.css)}" x="{sx(bx0):.1f}" y="{top}" '
            f'width="{max(1.0, sx(bx1) - sx(bx0)):.1f}" height="{ph}">'
            + (f"<title>{esc(b.title)}</title>" if b.title else "")
            + "</rect>"
        )
    for v in yt:
        yy = sy(v)
        out.append(f'<line class="grid" x1="{left}" x2="{left + pw}" y1="{yy:.1f}" y2="{yy:.1f}"/>')
        out.append(
            f'<text class="tick" x="{left - 6}" y="{yy + 3.5:.1f}" text-anchor="end">'
            f"{esc(_fmt_tick(float(v)))}{esc(y_unit)}</text>"
        )
    ticks = (
        x_ticks
        if x_ticks is not None
        else [
            (float(v), x_fmt(float(v)))
            for v in nice_ticks(x0, x1, 8)
            if x0 - 1e-9 <= v <= x1 + 1e-9
        ]
    )
    for v, text in ticks:
        xx = sx(v)
        out.append(
            f'<line class="xtick" x1="{xx:.1f}" x2="{xx:.1f}" y1="{top + ph}" y2="{top + ph + 4}"/>'
        )
        out.append(
            f'<text class="tick" x="{xx:.1f}" y="{top + ph + 16}" text-anchor="middle">'
            f"{esc(text)}</text>"
        )
    out.extend(_ref_lines_svg(ref_lines, ylo, yhi, left, pw, sy))
    out.append(f'<rect class="frame" x="{left}" y="{top}" width="{pw}" height="{ph}"/>')
    for s, y in zip(series, ys, strict=True):
        px, py = sx(xs), sy(y)
        d, singles = _path(px, py)
        if d:
            out.append(
                f'<path class="line {esc(s.css)}" d="{d}"><title>{esc(s.label)}</title></path>'
            )
        dots = (
            singles
            if not s.markers
            else [(float(a), float(b)) for a, b in zip(px, py, strict=True) if math.isfinite(b)]
        )
        for cx, cy in dots:
            out.append(
                f'<circle class="dot {esc(s.css)}" cx="{cx:.1f}" cy="{cy:.1f}" '
                f'r="{3 if s.markers else 1.6}"/>'
            )
    out.append("</svg>")
    return "".join(out)


def svg_bar_chart(
    labels: Sequence[str],
    groups: Sequence[Series],
    *,
    ref_lines: Sequence[RefLine] = (),
    y_unit: str = "",
    width: int = 960,
    height: int = 190,
    label: str = "bar chart",
    max_labels: int = 16,
) -> str:
    """An inline SVG bar chart: one slot per label, one bar per group side by side; NaN = no bar."""
    n = len(labels)
    left, right, top, bottom = 44, 12, 8, 22
    pw, ph = width - left - right, height - top - bottom
    values = [plottable(g.y) for g in groups]
    vmax = max(
        [float(np.nanmax(v)) for v in values if np.isfinite(v).any()]
        + [r.y for r in ref_lines if _drawable(r.y)]
        + [1.0]
    )
    yt = nice_ticks(0.0, vmax * 1.08, 4)
    yhi = float(yt[-1])

    def sy(v: float) -> float:
        return top + (1 - v / yhi) * ph

    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{esc(label)}">',
        f'<rect class="plot-bg" x="{left}" y="{top}" width="{pw}" height="{ph}"/>',
    ]
    for v in yt:
        yy = sy(float(v))
        out.append(f'<line class="grid" x1="{left}" x2="{left + pw}" y1="{yy:.1f}" y2="{yy:.1f}"/>')
        out.append(
            f'<text class="tick" x="{left - 6}" y="{yy + 3.5:.1f}" text-anchor="end">'
            f"{esc(_fmt_tick(float(v)))}{esc(y_unit)}</text>"
        )
    slot = pw / max(1, n)
    bar_w = slot * 0.7 / max(1, len(groups))
    every = max(1, math.ceil(n / max_labels))
    for i, text in enumerate(labels):
        cx = left + slot * (i + 0.5)
        for g_i, (g, v) in enumerate(zip(groups, values, strict=True)):
            val = float(v[i]) if i < v.size else math.nan
            if not math.isfinite(val):
                continue
            bx = cx - slot * 0.35 + g_i * bar_w
            out.append(
                f'<rect class="bar {esc(g.css)}" x="{bx:.1f}" y="{sy(val):.1f}" '
                f'width="{max(1.0, bar_w - 1):.1f}" height="{max(0.0, sy(0) - sy(val)):.1f}">'
                f"<title>{esc(text)}: {esc(g.label)} {esc(_fmt_tick(round(val, 1)))}{esc(y_unit)}"
                "</title></rect>"
            )
        if i % every == 0:
            out.append(
                f'<text class="tick" x="{cx:.1f}" y="{top + ph + 16}" text-anchor="middle">'
                f"{esc(text)}</text>"
            )
    out.extend(_ref_lines_svg(ref_lines, 0, yhi, left, pw, sy))
    out.append(f'<rect class="frame" x="{left}" y="{top}" width="{pw}" height="{ph}"/>')
    out.append("</svg>")
    return "".join(out)
