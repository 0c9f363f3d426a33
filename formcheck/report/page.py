"""The per-session HTML report: one self-contained page built from a JSON report.

The page opens offline: CSS is inline, plots are inline SVG drawn here from numpy arrays, images
are ``data:`` URIs carried by the report, and nothing refers to another file or a URL. Every
string that comes from the user or a file (source path, titles, messages, stretch ids) is
HTML-escaped.

The report is read as the JSON REPORT CONTRACT (schema_version 1, ``docs/architecture.md``)
describes it; the optional keys ``session``, ``thumbnails``, ``key_frames`` and extra frame keys
(``trunk_inclination_deg``, ``knee_extension_left_deg`` ...) are used when present.

The SVG plotting helpers (:func:`svg_line_chart`, :func:`svg_bar_chart`) and the page shell
(:func:`html_page`) are shared with the history page (:mod:`formcheck.history.page`).
"""

from __future__ import annotations

import html
import math
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from formcheck import __version__
from formcheck.io.atomic import atomic_write_text
from formcheck.report.schema import validate_report

#: the seed documents the advice traces to: number -> (file stem, title)
SEEDS: dict[str, tuple[str, str]] = {
    "000": ("000_579d7d0376cbbc75", "Hamstring Stretches for Back Pain Relief (Winternheimer)"),
    "001": ("001_c2ad853bb3b68543", "Hamstring Stretch for Back Pain Relief (Donald)"),
    "002": ("002_983fef0d022f2fa6", "Hamstring Stretches For Lower Back Pain (Ekberg)"),
    "003": (
        "003_78221f8b2662a3b6",
        "Three Of The Best Hamstring Stretches To Help Relieve Lower Back Pain And Sciatica",
    ),
    "004": ("004_dd8bd610c47a4b7d", "Hamstring Stretching Exercises for Sciatica Pain Relief"),
}

#: display names of the stretches in the catalogue; other ids are shown as they are
STRETCH_NAMES = {
    "standing_fold": "Standing hamstring stretch",
    "standing_support": "Standing stretch, heel on a support",
    "seated_floor": "Sitting stretch on the floor",
    "seated_chair": "Seated stretch on a chair",
    "supine_raise": "Lying leg raise",
    "supine_wall": "Stretch on the wall",
}

#: warning kind -> (label, category); "form" faults are red, "setup" problems orange
WARNING_KINDS = {
    "back_rounding": ("Back rounding", "form"),
    "knee_bent": ("Knee bent", "form"),
    "bouncing": ("Bouncing", "form"),
    "not_side_view": ("Not side-on to the camera", "setup"),
    "no_person": ("Nobody in view", "setup"),
    "out_of_frame": ("Out of frame", "setup"),
}

#: the plotted measurements: frame key, title, reference line (value, label)
PLOTS = (
    ("knee_extension_deg", "Knee extension", (180.0, "straight")),
    ("hip_angle_deg", "Hip angle (smaller = deeper fold)", (90.0, "right angle")),
    ("lumbar_flexion_deg", "Lumbar flexion (positive = rounding)", (0.0, "neutral")),
    ("leg_raise_deg", "Leg raise", (90.0, "vertical")),
    ("trunk_inclination_deg", "Trunk inclination", (90.0, "horizontal")),
)

#: a balance of left and right below this ratio (smaller / larger valid seconds) is an imbalance
BALANCE_RATIO = 0.8

_DATA_URI = re.compile(r"^data:image/(?:jpeg|jpg|png|webp|gif);base64,[A-Za-z0-9+/=\s]+$")


# --- small helpers -------------------------------------------------------------------------


def esc(value: Any) -> str:
    """``str(value)`` escaped for HTML text and attribute values."""
    return html.escape("" if value is None else str(value), quote=True)


def as_float(value: Any) -> float:
    """A number as float; ``None``, booleans, strings and other non-numbers become NaN."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value)


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
    return "—" if not math.isfinite(value) else f"{value:.0f}°"


def stretch_name(stretch_id: Any) -> str:
    """The display name of a stretch id (not escaped)."""
    if stretch_id is None:
        return "Unknown stretch"
    return STRETCH_NAMES.get(str(stretch_id), str(stretch_id).replace("_", " ").capitalize())


def safe_image_uri(value: Any) -> str | None:
    """``value`` when it is a base64 ``data:image/...`` URI, else ``None`` (never a URL)."""
    if isinstance(value, str) and _DATA_URI.match(value):
        return value
    return None


def cite(seeds: Sequence[str]) -> str:
    """HTML citation of seed documents, linked to the sources list: ``(seeds 003, 004)``."""
    links = ", ".join(f'<a href="#seed-{esc(s)}">{esc(s)}</a>' for s in seeds)
    word = "seed" if len(seeds) == 1 else "seeds"
    return f'<cite class="cite">({word} {links})</cite>'


# --- reading a saved report ----------------------------------------------------------------


# --- facts about one session ---------------------------------------------------------------


@dataclass
class SideStats:
    """The holds of one stretch on one side."""

    holds: int = 0
    completed: int = 0
    valid_s: float = 0.0
    best_valid_s: float = 0.0
    target_s: float = math.nan


@dataclass
class SessionFacts:
    """What a session shows, as the report and the advice need it."""

    duration_s: float
    stretches: list[str]
    sides: dict[str, dict[str, SideStats]]  # stretch -> side -> stats
    side_valid_s: dict[str, float]  # left/right -> valid seconds over all stretches
    warning_counts: dict[str, int]
    warning_s: dict[str, float]
    partial: bool
    person_fraction: float
    frames: int
    best_hold: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def holds(self) -> int:
        return sum(s.holds for sides in self.sides.values() for s in sides.values())

    @property
    def completed(self) -> int:
        return sum(s.completed for sides in self.sides.values() for s in sides.values())

    @property
    def valid_s(self) -> float:
        return sum(s.valid_s for sides in self.sides.values() for s in sides.values())

    @property
    def best_valid_s(self) -> float:
        return max(
            (s.best_valid_s for sides in self.sides.values() for s in sides.values()), default=0.0
        )

    @property
    def balance_ratio(self) -> float:
        """Smaller / larger valid seconds of left and right; NaN when neither side held."""
        left, right = self.side_valid_s.get("left", 0.0), self.side_valid_s.get("right", 0.0)
        if max(left, right) <= 0:
            return math.nan
        return min(left, right) / max(left, right)


def session_info(report: dict[str, Any]) -> dict[str, Any]:
    """The optional ``session`` block of a report (``{}`` when absent or not an object)."""
    session = report.get("session")
    return session if isinstance(session, dict) else {}


def _end_s(item: dict[str, Any], duration_s: float) -> float:
    end = as_float(item.get("end_s"))
    return end if math.isfinite(end) else duration_s


def session_duration_s(report: dict[str, Any]) -> float:
    """Length of the session: ``source.duration_s``, else the last frame time."""
    duration = as_float(report.get("source", {}).get("duration_s"))
    if math.isfinite(duration) and duration > 0:
        return duration
    times = [as_float(f.get("t_s")) for f in report.get("frames", [])]
    finite = [t for t in times if math.isfinite(t)]
    return max(finite, default=0.0)


def summarize_report(report: dict[str, Any]) -> SessionFacts:
    """Count holds, valid time, balance and faults of a report (schema_version 1)."""
    frames = report.get("frames", [])
    duration = session_duration_s(report)
    sides: dict[str, dict[str, SideStats]] = {}
    side_valid: dict[str, float] = {"left": 0.0, "right": 0.0}
    best_hold = None
    for hold in report.get("holds", []):
        stretch = str(hold.get("stretch") or "unknown")
        side = str(hold.get("side") or "unknown")
        stats = sides.setdefault(stretch, {}).setdefault(side, SideStats())
        valid = as_float(hold.get("valid_s"))
        valid = valid if math.isfinite(valid) else 0.0
        stats.holds += 1
        stats.completed += bool(hold.get("completed"))
        stats.valid_s += valid
        stats.best_valid_s = max(stats.best_valid_s, valid)
        target = as_float(hold.get("target_s"))
        if math.isfinite(target):
            stats.target_s = (
                target if not math.isfinite(stats.target_s) else max(stats.target_s, target)
            )
        if side in side_valid:
            side_valid[side] += valid
        if best_hold is None or valid > as_float(best_hold.get("valid_s")):
            best_hold = hold
    stretches = list(sides)
    for f in frames:
        s = f.get("stretch")
        if s and str(s) not in stretches:
            stretches.append(str(s))
    counts: dict[str, int] = {}
    spans: dict[str, float] = {}
    for w in report.get("warnings", []):
        kind = str(w.get("kind") or "unknown")
        counts[kind] = counts.get(kind, 0) + 1
        start = as_float(w.get("start_s"))
        span = _end_s(w, duration) - start if math.isfinite(start) else math.nan
        spans[kind] = spans.get(kind, 0.0) + (span if math.isfinite(span) else 0.0)
    person = [bool(f.get("person")) for f in frames]
    session = session_info(report)
    return SessionFacts(
        duration_s=duration,
        stretches=stretches,
        sides=sides,
        side_valid_s=side_valid,
        warning_counts=counts,
        warning_s=spans,
        partial=bool(session.get("partial")),
        person_fraction=(sum(person) / len(person)) if person else math.nan,
        frames=len(frames),
        best_hold=best_hold,
    )


# --- advice traced to the seeds ------------------------------------------------------------


@dataclass(frozen=True)
class Advice:
    """One piece of advice: a headline, a sentence, the seeds it comes from, a tone."""

    key: str
    headline: str
    detail: str
    seeds: tuple[str, ...]
    tone: str = "fix"  # "fix" | "good" | "info"


@dataclass(frozen=True)
class AdviceRule:
    """Advice given when ``applies(facts)`` is true; ``text(facts)`` -> (headline, detail)."""

    key: str
    applies: Callable[[SessionFacts], bool]
    text: Callable[[SessionFacts], tuple[str, str]]
    seeds: tuple[str, ...]
    tone: str = "fix"


def _short_holds(f: SessionFacts) -> bool:
    """Some stretch and side never reached its target hold in good form."""
    return any(
        st.best_valid_s < (st.target_s if math.isfinite(st.target_s) else 30.0)
        for sides in f.sides.values()
        for st in sides.values()
    )


def _target(f: SessionFacts) -> float:
    targets = [
        s.target_s for sd in f.sides.values() for s in sd.values() if math.isfinite(s.target_s)
    ]
    return max(targets, default=30.0)


def _weakest_s(f: SessionFacts) -> float:
    return min((st.best_valid_s for sd in f.sides.values() for st in sd.values()), default=0.0)


def _imbalanced(f: SessionFacts) -> bool:
    r = f.balance_ratio
    return math.isfinite(r) and r < BALANCE_RATIO


def _faulted(kind: str) -> Callable[[SessionFacts], bool]:
    return lambda f: f.warning_counts.get(kind, 0) > 0


def _balance_text(f: SessionFacts) -> tuple[str, str]:
    left, right = f.side_valid_s["left"], f.side_valid_s["right"]
    weak = "left" if left < right else "right"
    if min(left, right) <= 0:
        return (
            "Stretch both sides equally",
            f"Only one side was held in good form; repeat the stretch with the {weak} leg.",
        )
    return (
        "Stretch both sides equally",
        f"Good-form hold time was left {left:.0f} s, right {right:.0f} s. "
        f"Give the {weak} leg the same holds as the other.",
    )


#: the advice rules, in the order they are shown; each cites the seeds it comes from
ADVICE_RULES: tuple[AdviceRule, ...] = (
    AdviceRule(
        "no_bouncing",
        _faulted("bouncing"),
        lambda f: (
            "Never bounce",
            "Bouncing can trigger a muscle spasm: enter the stretch gently and hold it still.",
        ),
        ("004",),
    ),
    AdviceRule(
        "straight_back",
        _faulted("back_rounding"),
        lambda f: (
            "Keep the back straight, hinge at the hips",
            "Your back rounded during a hold. Keep the chest up and the lower-back curve, and "
            "lean from the hips only as far as the back stays straight.",
        ),
        ("001", "002"),
    ),
    AdviceRule(
        "straight_knee",
        _faulted("knee_bent"),
        lambda f: (
            "Keep the working knee straight, not locked",
            "The knee bent during a hold. Straighten it as far as is comfortable; do not lock it.",
        ),
        ("000", "001", "003"),
    ),
    AdviceRule(
        "gentler_position",
        lambda f: f.warning_counts.get("back_rounding", 0) > 0 and "standing_fold" in f.stretches,
        lambda f: (
            "Lying down is the gentlest position",
            "If the standing stretch strains your back, do the stretch lying on your back.",
        ),
        ("004",),
        "info",
    ),
    AdviceRule(
        "progress_hold",
        _short_holds,
        lambda f: (
            f"Progress the hold from 10 s toward {_target(f):.0f} s",
            f"Your shortest side's best good-form hold was {_weakest_s(f):.0f} s. Start with "
            "10 s holds and add a few seconds each session until you reach 30 s.",
        ),
        ("004",),
    ),
    AdviceRule(
        "hold_reached",
        lambda f: f.holds > 0 and not _short_holds(f),
        lambda f: (
            "Target hold reached",
            f"Your longest good-form hold was {f.best_valid_s:.0f} s: keep holding about 30 s "
            "per leg.",
        ),
        ("003", "004"),
        "good",
    ),
    AdviceRule("both_sides", _imbalanced, _balance_text, ("002", "003")),
    AdviceRule(
        "twice_a_day",
        lambda f: True,
        lambda f: (
            "Twice a day",
            "Stretch both hamstrings twice a day; tie it to something you already do twice "
            "daily, such as brushing your teeth.",
        ),
        ("003", "004"),
        "info",
    ),
    AdviceRule(
        "breathe",
        lambda f: f.holds > 0,
        lambda f: ("Breathe", "Remember to breathe while you hold the stretch."),
        ("004",),
        "info",
    ),
)


def advise(facts: SessionFacts, rules: Iterable[AdviceRule] = ADVICE_RULES) -> list[Advice]:
    """The advice the session calls for, each traced to its seed documents."""
    out = []
    for rule in rules:
        if rule.applies(facts):
            headline, detail = rule.text(facts)
            out.append(Advice(rule.key, headline, detail, rule.seeds, rule.tone))
    return out


def advice_html(items: Sequence[Advice]) -> str:
    """An advice list with citations."""
    lis = "".join(
        f'<li class="advice {esc(a.tone)}"><strong>{esc(a.headline)}</strong> '
        f"{cite(a.seeds)}<br><span>{esc(a.detail)}</span></li>"
        for a in items
    )
    return f'<ul class="advice-list">{lis}</ul>'


def sources_html() -> str:
    """The list of seed documents that citations link to."""
    lis = "".join(
        f'<li id="seed-{esc(num)}"><b>{esc(num)}</b> {esc(title)} '
        f'<span class="muted">({esc(stem)})</span></li>'
        for num, (stem, title) in SEEDS.items()
    )
    return (
        '<section class="card sources"><h2>Sources</h2>'
        '<p class="muted">The advice above follows these documents (the project\'s seeds).</p>'
        f"<ol>{lis}</ol></section>"
    )


# --- SVG plotting --------------------------------------------------------------------------


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
    """A dashed horizontal reference line."""

    y: float
    label: str = ""


def _ref_lines_svg(
    ref_lines: Iterable[Any], lo: float, hi: float, left: float, pw: float, sy: Callable[[Any], Any]
) -> list[str]:
    """Dashed reference lines (with their labels) for the values between ``lo`` and ``hi``."""
    out = []
    for r in ref_lines:
        if lo <= r.y <= hi:
            yy = sy(r.y)
            out.append(
                f'<line class="ref" x1="{left}" x2="{left + pw}" y1="{yy:.1f}" y2="{yy:.1f}"/>'
                f'<text class="ref-label" x="{left + pw - 4}" y="{yy - 4:.1f}" text-anchor="end">'
                f"{esc(r.label)}</text>"
            )
    return out


def nice_ticks(lo: float, hi: float, count: int = 5) -> np.ndarray:
    """Round tick values (1, 2, 2.5, 5 x 10^k steps) covering ``[lo, hi]``."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return np.array([0.0, 1.0])
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
    xa = np.asarray(x, dtype=float)
    xs, ys = decimate(xa, [np.asarray(s.y, dtype=float) for s in series], max_points)
    left, right, top, bottom = 44, 12, 8, 22
    pw, ph = width - left - right, height - top - bottom
    x0, x1 = x_range or ((float(np.nanmin(xa)), float(np.nanmax(xa))) if xa.size else (0.0, 1.0))
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
    values = [np.asarray(g.y, dtype=float) for g in groups]
    vmax = max(
        [float(np.nanmax(v)) for v in values if np.isfinite(v).any()]
        + [r.y for r in ref_lines]
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


def legend_html(items: Sequence[tuple[str, str]]) -> str:
    """A chart legend: ``(css class, label)`` pairs."""
    spans = "".join(
        f'<span class="key"><i class="swatch {esc(css)}"></i>{esc(text)}</span>'
        for css, text in items
    )
    return f'<div class="legend">{spans}</div>'


# --- the page shell ------------------------------------------------------------------------

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


# --- the session report --------------------------------------------------------------------


def _frame_array(frames: Sequence[dict[str, Any]], key: str) -> np.ndarray:
    return np.array([as_float(f.get(key)) for f in frames], dtype=float)


def _summary_section(facts: SessionFacts) -> str:
    parts = ['<section class="card"><h2>Session summary</h2>']
    if not facts.sides:
        parts.append('<p class="muted">No hold was recorded in this session.</p>')
    for stretch in facts.stretches:
        sides = facts.sides.get(stretch, {})
        parts.append(f"<h3>{esc(stretch_name(stretch))}</h3>")
        if not sides:
            parts.append('<p class="muted">Seen, but no hold was recorded.</p>')
            continue
        rows = []
        order = sorted(sides, key=lambda s: {"left": 0, "right": 1, "both": 2}.get(s, 3))
        for side in order:
            st = sides[side]
            target = st.target_s if math.isfinite(st.target_s) else 30.0
            frac = min(1.0, st.best_valid_s / target) if target > 0 else 1.0
            done = st.completed > 0
            status = (
                '<span class="chip good">Completed</span>'
                if done
                else '<span class="chip warn">Not yet</span>'
            )
            bar = (
                f'<div class="bar-track" title="{st.best_valid_s:.1f} of {target:.0f} s">'
                f'<div class="bar-fill{" done" if done else ""}" style="width:{100 * frac:.0f}%">'
                "</div></div>"
            )
            rows.append(
                [
                    esc(side.capitalize()),
                    f"{st.holds}",
                    f"{st.completed} of {st.holds}",
                    bar,
                    f"{st.best_valid_s:.1f} / {target:.0f} s",
                    f"{st.valid_s:.1f} s",
                    status,
                ]
            )
        parts.append(
            table_html(
                [
                    "Side",
                    "Holds (reps)",
                    "Completed",
                    "Best hold vs target",
                    "",
                    "Good-form time",
                    "Status",
                ],
                rows,
                num=(1, 2, 4, 5),
            )
        )
    left, right = facts.side_valid_s["left"], facts.side_valid_s["right"]
    if left + right > 0:
        ratio = facts.balance_ratio
        verdict = (
            '<span class="chip good">Balanced</span>'
            if ratio >= BALANCE_RATIO
            else '<span class="chip bad">Unbalanced</span>'
        )
        parts.append(f"<h3>Left / right balance {verdict}</h3>")
        parts.append(balance_bar_html(left, right))
        parts.append(
            '<p class="muted">Good-form hold seconds per side over all stretches; balanced when '
            f"the smaller side has at least {BALANCE_RATIO:.0%} of the larger.</p>"
        )
    parts.append("</section>")
    return "".join(parts)


def _warning_thumbnail(report: dict[str, Any], index: int, warning: dict[str, Any]) -> str | None:
    """The snapshot of warning ``index``: ``warning["thumbnail"]`` as a data URI, or as a key
    of ``report["thumbnails"]``, or the warning's index, ``key`` or ``id`` as such a key."""
    ref = warning.get("thumbnail")
    direct = safe_image_uri(ref)
    if direct:
        return direct
    thumbs = report.get("thumbnails")
    if not isinstance(thumbs, dict):
        return None
    for key in (ref, str(index), warning.get("key"), warning.get("id")):
        if key is not None and str(key) in thumbs:
            return safe_image_uri(thumbs[str(key)])
    return None


def _faults_section(report: dict[str, Any], duration: float) -> str:
    warnings = report.get("warnings", [])
    parts = ['<section class="card"><h2>Faults and warnings</h2>']
    if not warnings:
        parts.append(
            '<p><span class="chip good">No faults</span> Nothing to correct.</p></section>'
        )
        return "".join(parts)
    rows = []
    for i, w in enumerate(warnings):
        kind = str(w.get("kind") or "unknown")
        label, cat = WARNING_KINDS.get(kind, (kind.replace("_", " ").capitalize(), "setup"))
        start = as_float(w.get("start_s"))
        end = _end_s(w, duration)
        thumb = _warning_thumbnail(report, i, w)
        img = (
            f'<img class="thumb" src="{esc(thumb)}" alt="{esc(label)} at {esc(fmt_clock(start))}">'
            if thumb
            else '<span class="muted">—</span>'
        )
        rows.append(
            [
                f'<span class="chip {"bad" if cat == "form" else "warn"}">{esc(label)}</span>',
                f'<span class="nowrap">{esc(fmt_clock(start))}–{esc(fmt_clock(end))}</span>',
                esc(fmt_s(end - start)),
                esc(w.get("message") or ""),
                img,
            ]
        )
    parts.append(table_html(["Fault", "Time", "Duration", "Message", "Snapshot"], rows, num=(2,)))
    parts.append("</section>")
    return "".join(parts)


def _plots_section(report: dict[str, Any], duration: float) -> str:
    frames = report.get("frames", [])
    if len(frames) < 2:
        return _single_frame_section(frames)
    t = _frame_array(frames, "t_s")
    if not np.isfinite(t).any():
        return ""
    bands = [
        Band(
            as_float(h.get("start_s")),
            _end_s(h, duration),
            "hold",
            f"{stretch_name(h.get('stretch'))}, {h.get('side')}: "
            f"hold {fmt_s(as_float(h.get('valid_s')))} good form",
        )
        for h in report.get("holds", [])
    ]
    for w in report.get("warnings", []):
        kind = str(w.get("kind") or "unknown")
        label, cat = WARNING_KINDS.get(kind, (kind, "setup"))
        start = as_float(w.get("start_s"))
        bands.append(Band(start, _end_s(w, duration), cat, f"{label} at {fmt_clock(start)}"))
    x_range = (0.0, max(duration, float(np.nanmax(t))))
    blocks = []
    for key, title, (ref_y, ref_label) in PLOTS:
        stem = key[: -len("_deg")]
        per_leg = [f"{stem}_left_deg", f"{stem}_right_deg"]
        if all(any(k in f for f in frames) for k in per_leg):
            series = [
                Series("left", _frame_array(frames, per_leg[0]), "s-left"),
                Series("right", _frame_array(frames, per_leg[1]), "s-right"),
            ]
        elif any(key in f for f in frames):
            series = [Series(title, _frame_array(frames, key), "s0")]
        else:
            continue
        if not any(np.isfinite(s.y).any() for s in series):
            chart = '<p class="muted">Not measured in this session.</p>'
        else:
            chart = svg_line_chart(
                t,
                series,
                bands=bands,
                ref_lines=[RefLine(ref_y, f"{ref_y:.0f}° {ref_label}")],
                x_range=x_range,
                x_fmt=lambda v: fmt_clock(v)[:-2] if x_range[1] >= 120 else f"{v:g} s",
                y_unit="°",
                label=f"{title} over time",
            )
        blocks.append(
            f'<div class="chart-block"><p class="chart-title">{esc(title)}</p>{chart}</div>'
        )
    if not blocks:
        return ""
    keys = [("hold", "hold"), ("form", "form fault"), ("setup", "setup warning")]
    if any(f"{p[0][:-4]}_left_deg" in frames[0] for p in PLOTS):
        keys = [("s-left", "left leg"), ("s-right", "right leg"), *keys]
    else:
        keys = [("s0", "working leg"), *keys]
    return (
        '<section class="card"><h2>Angles over time</h2>'
        + legend_html([*keys, ("ref", "reference")])
        + '<p class="muted">Gaps are moments when the angle could not be measured. '
        "Hover a shaded band for details.</p>" + "".join(blocks) + "</section>"
    )


def _single_frame_section(frames: Sequence[dict[str, Any]]) -> str:
    if not frames:
        return ""
    f = frames[0]
    rows = [[esc(title), esc(fmt_deg(as_float(f.get(key))))] for key, title, _ in PLOTS if key in f]
    return (
        '<section class="card"><h2>Measured angles</h2>'
        + table_html(["Angle", "Value"], rows, num=(1,))
        + "</section>"
    )


def _key_frame_section(report: dict[str, Any], facts: SessionFacts) -> str:
    kf = report.get("key_frames")
    uri = safe_image_uri(kf.get("best_hold")) if isinstance(kf, dict) else None
    if not uri:
        return ""
    caption = "The best hold of the session."
    hold = facts.best_hold
    if hold:
        caption = (
            f"Best hold: {stretch_name(hold.get('stretch'))}, {hold.get('side')} side, "
            f"{fmt_s(as_float(hold.get('valid_s')))} in good form "
            f"({fmt_clock(as_float(hold.get('start_s')))}–{fmt_clock(as_float(hold.get('end_s')))})."
        )
    return (
        '<section class="card"><h2>Best hold</h2><figure class="key">'
        f'<img src="{esc(uri)}" alt="best hold key frame"><figcaption>{esc(caption)}'
        "</figcaption></figure></section>"
    )


def render_html_report(report: dict[str, Any], *, title: str | None = None) -> str:
    """The report page of one session as a self-contained HTML document.

    Parameters
    ----------
    report : dict
        A schema_version 1 report (see ``docs/architecture.md``).
    title : str, optional
        Page title; default ``"formcheck report: <source file name>"``. Escaped.

    Raises
    ------
    InputError
        The report is not a schema_version 1 report.
    """
    validate_report(report)
    source = report.get("source") or {}
    session = session_info(report)
    facts = summarize_report(report)
    src_path = str(source.get("path") or "")
    src_name = Path(src_path).name if src_path else "session"
    title = title if title is not None else f"formcheck report: {src_name}"

    meta = [f"<b>Source</b> {esc(src_path or '—')}"]
    if session.get("started_at"):
        meta.append(f"<b>Started</b> {esc(session['started_at'])}")
    if session.get("mode"):
        meta.append(f"<b>Mode</b> {esc(session['mode'])}")
    if session.get("id"):
        meta.append(f"<b>Session</b> {esc(session['id'])}")
    kind = source.get("kind")
    if kind:
        meta.append(f"<b>Input</b> {esc(kind)}")
    body = [
        f'<header class="page"><h1>{esc(title)}</h1><div class="meta">'
        + " &nbsp;·&nbsp; ".join(meta)
        + "</div></header>"
    ]
    if facts.partial:
        body.append(
            '<div class="banner partial" role="alert">Partial report: the session stopped '
            f"early (interrupted or cut short). Figures cover the first "
            f"{esc(fmt_s(facts.duration_s))} only.</div>"
        )
    form_faults = sum(
        n for k, n in facts.warning_counts.items() if WARNING_KINDS.get(k, ("", ""))[1] == "form"
    )
    body.append(
        tiles_html(
            [
                (
                    fmt_clock(facts.duration_s)[:-2]
                    if facts.duration_s >= 60
                    else fmt_s(facts.duration_s),
                    "session length",
                    "",
                ),
                (
                    f"{facts.completed} / {facts.holds}",
                    "holds completed",
                    "good"
                    if facts.holds and facts.completed == facts.holds
                    else "warn"
                    if facts.holds
                    else "",
                ),
                (fmt_s(facts.valid_s, 0), "good-form hold time", ""),
                (f"{form_faults}", "form faults", "bad" if form_faults else "good"),
                (
                    "—"
                    if not math.isfinite(facts.person_fraction)
                    else f"{facts.person_fraction:.0%}",
                    "time in view",
                    "",
                ),
            ]
        )
    )
    body.append(_summary_section(facts))
    body.append(_faults_section(report, facts.duration_s))
    body.append(_plots_section(report, facts.duration_s))
    body.append(_key_frame_section(report, facts))
    body.append('<section class="card"><h2>Advice</h2>' + advice_html(advise(facts)) + "</section>")
    body.append(sources_html())
    body.append(
        f"<footer>Made by formcheck {esc(__version__)} from a schema_version "
        f"{esc(report.get('schema_version'))} report. Not medical advice: check with your doctor "
        f"before starting a routine {cite(('001',))}, and stop if a stretch hurts.</footer>"
    )
    return html_page(title, "".join(body))


def write_html_report(
    report: dict[str, Any], path: str | os.PathLike[str], *, title: str | None = None
) -> Path:
    """Render the report page and write it atomically to ``path``; returns the path."""
    return atomic_write_text(path, render_html_report(report, title=title))
