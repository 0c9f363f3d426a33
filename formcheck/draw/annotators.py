"""Drawing: the skeleton, angle readouts and the coaching panel on a frame.

Annotators are configured once, then ``annotate(frame, ...) -> frame`` draws on a copy. The
same drawing serves the ``--annotate`` video (written by :class:`formcheck.io.sinks.VideoSink`)
and the live window, which adds its own large hold timer and prompt
(:mod:`formcheck.draw.overlay`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from formcheck.metrics import geometry as g
from formcheck.metrics.measures import SIDES, FrameMetrics
from formcheck.stretches.catalogue import Catalogue, fault_kind, most_important
from formcheck.stretches.coach import Verdict

GOOD = (80, 200, 80)  # BGR
BAD = (40, 40, 230)
WARN = (0, 170, 255)
NEUTRAL = (235, 235, 235)
DIM = (150, 150, 150)


def _fmt(x: float) -> str:
    return "--" if not math.isfinite(x) else f"{x:.0f}"


@dataclass
class SkeletonAnnotator:
    """Skeleton lines and joints: the working leg thicker, green; the body part of each active
    form fault (the catalogue's ``part``: the spine for back rounding, the knee for a bent knee)
    red."""

    thickness_scale: float = 1.0

    def annotate(self, image: NDArray[np.uint8], m: FrameMetrics, v: Verdict | None) -> None:
        import cv2

        if not m.person:
            return
        h, w = image.shape[:2]
        t = max(1, int(round(min(w, h) / 240 * self.thickness_scale)))
        xy = m.xy
        working = {v.side} if v is not None and v.side in SIDES else set()
        if v is not None and v.side == "both":
            working = set(SIDES)
        leg_edges = {e for side in working for e in _LEG_EDGES[side]}
        red = _edges_at_fault(v, working)
        for a, b in g.SKELETON_EDGES:
            p, q = xy[a], xy[b]
            if not (np.isfinite(p).all() and np.isfinite(q).all()):
                continue
            on_leg = (a, b) in leg_edges
            color = BAD if (a, b) in red else GOOD if on_leg else NEUTRAL
            wide = on_leg or (a, b) in red
            cv2.line(image, _pt(p), _pt(q), color, t * (2 if wide else 1), cv2.LINE_AA)
        if _SPINE in red:  # the spine itself: shoulders' middle to hips' middle
            sm, hm = g.midpoint(xy[11], xy[12]), g.midpoint(xy[23], xy[24])
            if np.isfinite(sm).all() and np.isfinite(hm).all():
                cv2.line(image, _pt(sm), _pt(hm), BAD, t * 2, cv2.LINE_AA)
        for i in range(11, 33):
            if np.isfinite(xy[i]).all():
                cv2.circle(image, _pt(xy[i]), t + 1, NEUTRAL, -1, cv2.LINE_AA)
        # readouts at the working knee(s) and hip(s)
        font = cv2.FONT_HERSHEY_SIMPLEX
        fs = max(0.4, min(w, h) / 900)
        for side in working or ({m.near_side} if m.near_side else set()):
            k = SIDES.index(side)
            _, hip, knee, *_ = g.LEG_JOINTS[side]
            for idx, val in ((knee, m.knee_extension_deg[k]), (hip, m.hip_angle_deg[k])):
                if np.isfinite(xy[idx]).all() and math.isfinite(val):
                    _label(image, f"{val:.0f}", _pt(xy[idx] + [8 * t, -8 * t]), font, fs, t)


#: each leg's skeleton edges, hip to toes
_LEG_EDGES = {
    "left": ((23, 25), (25, 27), (27, 29), (29, 31), (27, 31)),
    "right": ((24, 26), (26, 28), (28, 30), (30, 32), (28, 32)),
}
_SPINE = (-1, -1)  # stands for the line from the shoulders' middle to the hips' middle
#: the edges drawn red for a fault's body part (catalogue ``part``); "working" / "other" are
#: replaced by the working leg's and the other leg's edges
_PART_EDGES: dict[str, tuple[tuple[int, int] | str, ...]] = {
    "spine": (_SPINE, (11, 23), (12, 24)),
    "knee": ("working_knee",),
    "hips": ((23, 24), "working_thigh"),
    "other_leg": ("other",),
    "legs": ("working", "other"),
}


def _edges_at_fault(v: Verdict | None, working: set[str]) -> set[tuple[int, int]]:
    """The skeleton edges of the body parts of ``v``'s active form faults (catalogue ``part``)."""
    if v is None or not v.faults:
        return set()
    other = set(SIDES) - working if len(working) == 1 else set()
    red: set[tuple[int, int]] = set()
    for kind in v.faults:
        fk = fault_kind(kind)
        if not fk.is_form:
            continue
        for e in _PART_EDGES.get(fk.part or "", ()):
            if e == "working_knee":
                red.update(x for s in working for x in _LEG_EDGES[s][:2])
            elif e == "working_thigh":
                red.update(_LEG_EDGES[s][0] for s in working)
            elif e == "working":
                red.update(x for s in working for x in _LEG_EDGES[s])
            elif e == "other":
                red.update(x for s in other for x in _LEG_EDGES[s])
            elif isinstance(e, tuple):
                red.add(e)
    return red


def _pt(p: NDArray[np.float64]) -> tuple[int, int]:
    return int(round(p[0])), int(round(p[1]))


def _label(
    image: NDArray[np.uint8],
    text: str,
    org: tuple[int, int],
    font: int,
    fs: float,
    t: int,
    color: tuple[int, int, int] = NEUTRAL,
) -> None:
    import cv2

    cv2.putText(image, text, org, font, fs, (0, 0, 0), t + 2, cv2.LINE_AA)
    cv2.putText(image, text, org, font, fs, color, t, cv2.LINE_AA)


STRETCH_NAMES = {
    "standing_fold": "Standing fold",
    "standing_support": "Heel on support",
    "seated_floor": "Seated (floor)",
    "seated_chair": "Seated (chair)",
    "supine_raise": "Lying leg raise",
    "supine_wall": "Leg up the wall",
}


def prompt_text(v: Verdict, catalogue: Catalogue | None = None) -> str | None:
    """The text of the panel's prompt bar: the coach's prompt (the message of the most important
    active warning), else the catalogue's message of the most important active warning (in the
    stretch's own words when ``catalogue`` is given), else None."""
    if v.prompt:
        return v.prompt
    top = most_important(v.warnings)
    if top is None:
        return None
    return catalogue.message_for(top.kind, v.stretch) if catalogue is not None else top.message


@dataclass
class PanelAnnotator:
    """A status panel: stretch and side, knee / hip angles, back state, hold timer, prompt."""

    scale: float = 1.0

    def annotate(self, image: NDArray[np.uint8], v: Verdict) -> None:
        import cv2

        h, w = image.shape[:2]
        fs = max(0.45, min(w, h) / 700) * self.scale
        t = max(1, int(round(fs * 1.6)))
        font = cv2.FONT_HERSHEY_SIMPLEX
        line_h = int(28 * fs) + 6
        lines: list[tuple[str, tuple[int, int, int]]] = []
        if not v.person:
            lines.append(("No person in view", WARN))
        else:
            name = STRETCH_NAMES.get(v.stretch or "", "Not in a stretch")
            side = f" - {v.side}" if v.side else ""
            lines.append((f"{name}{side}", NEUTRAL))
            knee_ok = "knee_bent" not in v.warnings
            lines.append((f"Knee {_fmt(v.knee_extension_deg)}", GOOD if knee_ok else BAD))
            lines.append((f"Hip {_fmt(v.hip_angle_deg)}", NEUTRAL))
            if v.back_rounded is None:
                lines.append(("Back: not judged", DIM))
            else:
                rounded = v.back_rounded
                lines.append(
                    ("Back: rounded" if rounded else "Back: straight", BAD if rounded else GOOD)
                )
            if v.hold.active:
                col = GOOD if v.valid else WARN
                lines.append((f"Hold {v.hold.valid_s:4.1f} / {v.hold.target_s:.0f} s", col))
        box_w = int(max(len(s) for s, _ in lines) * 15 * fs) + 20
        overlay = image.copy()
        cv2.rectangle(overlay, (0, 0), (box_w, line_h * len(lines) + 12), (0, 0, 0), -1)
        cv2.addWeighted(overlay, 0.55, image, 0.45, 0, dst=image)
        for i, (text, color) in enumerate(lines):
            cv2.putText(image, text, (10, line_h * (i + 1)), font, fs, color, t, cv2.LINE_AA)
        prompt = prompt_text(v)
        if prompt:
            (tw, th), _ = cv2.getTextSize(prompt, font, fs, t)
            y = h - 14
            cv2.rectangle(image, (0, y - th - 14), (w, h), (0, 0, 0), -1)
            x = max(8, (w - tw) // 2)
            cv2.putText(image, prompt, (x, y - 4), font, fs, WARN, t, cv2.LINE_AA)


class FrameAnnotator:
    """Skeleton plus panel, on a copy of the frame."""

    def __init__(self) -> None:
        self.skeleton = SkeletonAnnotator()
        self.panel = PanelAnnotator()

    def annotate(self, image: NDArray[np.uint8], m: FrameMetrics, v: Verdict) -> NDArray[np.uint8]:
        out = image.copy()
        self.skeleton.annotate(out, m, v)
        self.panel.annotate(out, v)
        return out
