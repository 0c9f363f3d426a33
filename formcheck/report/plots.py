"""The report page's "Angles over time": one chart per measurement that applies to the stretch.

Each chart draws the form rule's threshold as a red dashed line (the knee limit of the stretch's
``knee_straight`` rule, the back-rounding judge's absolute limit on the lumbar flexion), read
from the catalogue and the judge, never copied here. Measurements that no rule or position
condition of the session's stretches reads are left out (a leg raise in a standing fold, the
trunk's lean when lying); knee extension and hip angle, the two angles of every hamstring
stretch, are always shown. A session with no stretch recognised shows them all.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import numpy as np

from formcheck.metrics.lumbar import BackRoundingJudge
from formcheck.report.charts import Band, RefLine, Series, svg_line_chart
from formcheck.report.facts import as_float, end_s
from formcheck.report.media import session_stretches
from formcheck.report.shell import (
    esc,
    fmt_clock,
    fmt_deg,
    fmt_s,
    legend_html,
    stretch_name,
    table_html,
)
from formcheck.stretches.catalogue import Catalogue, fault_kind, load_catalogue

#: the plotted measurements: frame key, title, reference line (value, label)
PLOTS = (
    ("knee_extension_deg", "Knee extension", (180.0, "straight")),
    ("hip_angle_deg", "Hip angle (smaller = deeper fold)", (90.0, "right angle")),
    ("lumbar_flexion_deg", "Lumbar flexion (positive = rounding)", (0.0, "neutral")),
    ("leg_raise_deg", "Leg raise", (90.0, "vertical")),
    ("trunk_inclination_deg", "Trunk inclination", (90.0, "horizontal")),
)

#: shown for every stretch: the two angles of a hamstring stretch
ALWAYS = frozenset({"knee_extension_deg", "hip_angle_deg"})


def rounding_limit_deg() -> float:
    """The back-rounding judge's absolute limit (degrees of lumbar flexion; its default)."""
    default = inspect.signature(BackRoundingJudge).parameters["absolute_deg"].default
    return float(default)


def _measures_of(cat: Catalogue, sid: str) -> set[str]:
    s = cat[sid]
    used = {r.measure for r in cat.rules_for(sid)} | {c.measure for c in s.engaged}
    if "back_rounded" in used:
        used.add("lumbar_flexion_deg")
    return used


def applies(key: str, stretches: Sequence[str], cat: Catalogue) -> bool:
    """Whether the chart of ``key`` applies to any of ``stretches`` (all apply when none)."""
    known = [sid for sid in stretches if sid in cat.stretches]
    if not known or key in ALWAYS:
        return True
    return any(key in _measures_of(cat, sid) for sid in known)


def limit_lines(key: str, stretches: Sequence[str], cat: Catalogue) -> list[RefLine]:
    """The rules' thresholds on ``key`` for ``stretches`` (working leg), one line per value."""
    lines: dict[float, RefLine] = {}
    for sid in stretches:
        if sid not in cat.stretches:
            continue
        for rule in cat.rules_for(sid):
            if rule.measure == "back_rounded" and key == "lumbar_flexion_deg":
                y = rounding_limit_deg()
                lines.setdefault(y, RefLine(y, f"{y:g}° rounding limit", "limit"))
            if rule.measure != key or rule.leg == "other":
                continue
            for bound, word in ((rule.min, "min"), (rule.max, "max")):
                if bound is not None and bound not in lines:
                    what = "knee limit" if key == "knee_extension_deg" else f"{word} limit"
                    label = f"{bound:g}° {what}" + (
                        f" ({stretch_name(sid)})" if len(stretches) > 1 else ""
                    )
                    lines[bound] = RefLine(float(bound), label, "limit")
    return list(lines.values())


def _frame_array(frames: Sequence[dict[str, Any]], key: str) -> np.ndarray:
    return np.array([as_float(f.get(key)) for f in frames], dtype=float)


def plots_section(
    report: dict[str, Any], duration: float, catalogue: Catalogue | None = None
) -> str:
    """The "Angles over time" card ("" when nothing can be drawn); a photo: a table."""
    cat = catalogue or load_catalogue()
    stretches = session_stretches(report)
    frames = report.get("frames", [])
    if len(frames) < 2:
        return single_frame_section(frames, stretches, cat)
    t = _frame_array(frames, "t_s")
    if not np.isfinite(t).any():
        return ""
    bands = [
        Band(
            as_float(h.get("start_s")),
            end_s(h, duration),
            "hold",
            f"{stretch_name(h.get('stretch'))}, {h.get('side')}: "
            f"hold {fmt_s(as_float(h.get('valid_s')))} good form",
        )
        for h in report.get("holds", [])
    ]
    for w in report.get("warnings", []):
        fault = fault_kind(str(w.get("kind") or "unknown"))
        start = as_float(w.get("start_s"))
        bands.append(
            Band(start, end_s(w, duration), fault.category, f"{fault.label} at {fmt_clock(start)}")
        )
    x_range = (0.0, max(duration, float(np.nanmax(t))))
    blocks = []
    any_limit = False
    for key, title, (ref_y, ref_label) in PLOTS:
        if not applies(key, stretches, cat):
            continue
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
        limits = limit_lines(key, stretches, cat)
        if not any(np.isfinite(s.y).any() for s in series):
            chart = '<p class="muted">Not measured in this session.</p>'
        else:
            any_limit = any_limit or bool(limits)
            chart = svg_line_chart(
                t,
                series,
                bands=bands,
                ref_lines=[RefLine(ref_y, f"{ref_y:.0f}° {ref_label}"), *limits],
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
    keys.append(("ref", "reference"))
    if any_limit:
        keys.append(("limit", "rule's limit"))
    return (
        '<section class="card"><h2>Angles over time</h2>'
        + legend_html(keys)
        + '<p class="muted">Gaps are moments when the angle could not be measured. '
        "Hover a shaded band for details.</p>" + "".join(blocks) + "</section>"
    )


def single_frame_section(
    frames: Sequence[dict[str, Any]], stretches: Sequence[str] = (), cat: Catalogue | None = None
) -> str:
    """A photo's measured angles as a table (only those that apply to its stretch)."""
    if not frames:
        return ""
    cat = cat or load_catalogue()
    f = frames[0]
    rows = [
        [esc(title), esc(fmt_deg(as_float(f.get(key))))]
        for key, title, _ in PLOTS
        if key in f and applies(key, stretches, cat)
    ]
    return (
        '<section class="card"><h2>Measured angles</h2>'
        + table_html(["Angle", "Value"], rows, num=(1,))
        + "</section>"
    )
