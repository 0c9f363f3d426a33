"""Which stretch is being done, and with which leg, from the pose alone.

Recognition reads the body's layout. Heights come from MediaPipe's 3D world landmarks (metres,
y down; they do not shrink when a body part points at the camera), falling back to the image
(a level camera is assumed: image y is vertical). All heights are in torso lengths.

- the floor line is the lowest visible point of the body (feet, hips, shoulders);
- a trunk lying near the floor and pointing away from the legs is lying (``supine_*``);
- otherwise the hips' height above the floor tells standing (>= ``standing_min``) from sitting
  on a chair (>= ``chair_min``) from sitting on the floor (``seated_floor``);
- standing with one ankle well above the other is ``standing_support``, else ``standing_fold``;
- lying with a raised leg and the hands up on it (hands behind the knee, a towel or strap) is
  ``supine_raise``; with the arms resting on the floor it is ``supine_wall``.

The working leg is the raised / forward / straighter one (see each branch). Per-frame labels
are made steady by :class:`LabelSmoother` (a label must win for ``hold_s`` seconds before it
replaces the current one), so a stretch is not re-recognised on every jitter.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from formcheck.metrics import geometry as g
from formcheck.metrics.measures import SIDES, FrameMetrics


@dataclass(frozen=True)
class RecognizeOptions:
    standing_min: float = 1.5  # hips above the floor, torso lengths: standing above this
    chair_min: float = 0.85  # chair sitting between this and standing_min; floor below
    lying_trunk_min_deg: float = 60.0  # lying: trunk inclination at least this
    lying_shoulder_max: float = 0.6  # lying: shoulders at most this high above the floor
    support_ankle_diff: float = 0.45  # ankle height difference (torso lengths) for a support
    raised_leg_min_deg: float = 25.0  # lying: a leg raised above this is being stretched
    hands_up_min: float = 0.35  # lying: wrists this high (torso lengths) hold the leg
    one_leg_knee_diff_deg: float = 30.0  # seated floor: one leg bent this much more = one-leg


@dataclass(frozen=True)
class Layout:
    """Posture features of one frame (NaN where not measurable)."""

    torso_px: float
    hip_height: float  # hips above the floor line, torso lengths
    shoulder_height: float  # shoulders above the floor line, torso lengths
    ankle_height: NDArray[np.float64]  # (2,) per leg, torso lengths
    wrist_height: float  # highest wrist above the floor line, torso lengths
    folds_toward_feet: bool  # shoulders are on the feet's side of the hips


@dataclass(frozen=True)
class Recognition:
    stretch: str | None
    side: str | None  # "left" | "right" | "both" | None
    posture: str | None  # standing | chair_sitting | floor_sitting | lying | None


def layout(m: FrameMetrics) -> Layout | None:
    """The posture features of a frame, or None when the trunk is not visible."""
    lay = _layout_from(m.world, m.xy, m.world)
    if lay is None:
        lay = _layout_from(m.xy, m.xy, None)
    return lay


_FLOOR_POINTS = [11, 12, 23, 24, 27, 28, 29, 30, 31, 32]


def _layout_from(
    p: NDArray[np.float64], xy: NDArray[np.float64], world: NDArray[np.float64] | None
) -> Layout | None:
    """Layout from points ``p`` (world metres or image pixels, y down in both)."""
    sm = _mid(p[g.LEFT_SHOULDER], p[g.RIGHT_SHOULDER])
    hm = _mid(p[g.LEFT_HIP], p[g.RIGHT_HIP])
    if not (np.isfinite(sm).all() and np.isfinite(hm).all()):
        return None
    torso = float(np.linalg.norm(sm - hm))
    if torso <= 1e-6:
        return None
    pts = p[_FLOOR_POINTS]
    ys = pts[np.isfinite(pts).all(axis=1), 1]
    floor_y = float(ys.max())
    ankles = np.array(
        [(floor_y - p[a, 1]) / torso for a in (g.LEFT_ANKLE, g.RIGHT_ANKLE)], dtype=float
    )
    wrists = p[[g.LEFT_WRIST, g.RIGHT_WRIST], 1]
    wrist_h = math.nan
    if np.isfinite(wrists).any():
        wrist_h = float(np.nanmax((floor_y - wrists) / torso))
    # which way the head points relative to the legs: from the image (a side view shows it)
    s2 = _mid(xy[g.LEFT_SHOULDER], xy[g.RIGHT_SHOULDER])
    h2 = _mid(xy[g.LEFT_HIP], xy[g.RIGHT_HIP])
    am = np.nanmean(xy[[g.LEFT_ANKLE, g.RIGHT_ANKLE]], axis=0)
    toward = bool(
        np.isfinite(am).all() and np.isfinite(s2).all() and (s2[0] - h2[0]) * (am[0] - h2[0]) > 0
    )
    return Layout(
        torso, (floor_y - hm[1]) / torso, (floor_y - sm[1]) / torso, ankles, wrist_h, toward
    )


def _mid(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    if np.isfinite(a).all() and np.isfinite(b).all():
        return (a + b) / 2
    return a if np.isfinite(a).all() else b


def _argmax_side(values: NDArray[np.float64]) -> str | None:
    if not np.isfinite(values).any():
        return None
    return SIDES[int(np.nanargmax(values))]


def recognize_frame(m: FrameMetrics, opts: RecognizeOptions | None = None) -> Recognition:
    """Recognise the stretch and working leg in one frame (no smoothing over time)."""
    o = opts or RecognizeOptions()
    if not m.person:
        return Recognition(None, None, None)
    lay = layout(m)
    if lay is None or not math.isfinite(lay.hip_height):
        return Recognition(None, None, None)
    trunk = m.trunk_inclination_deg
    lying = (
        math.isfinite(trunk)
        and trunk >= o.lying_trunk_min_deg
        and not lay.folds_toward_feet
        and lay.shoulder_height <= o.lying_shoulder_max
    )
    if lying:
        raise_ = m.leg_raise_deg
        side = _argmax_side(raise_)
        if side is None or float(np.nanmax(raise_)) < o.raised_leg_min_deg:
            return Recognition(None, None, "lying")
        hands_up = math.isfinite(lay.wrist_height) and lay.wrist_height >= o.hands_up_min
        return Recognition("supine_raise" if hands_up else "supine_wall", side, "lying")
    if lay.hip_height >= o.standing_min:
        diff = lay.ankle_height[0] - lay.ankle_height[1]
        if np.isfinite(diff) and abs(diff) >= o.support_ankle_diff:
            return Recognition("standing_support", "left" if diff > 0 else "right", "standing")
        return Recognition("standing_fold", "both", "standing")
    if lay.hip_height >= o.chair_min:
        # the outstretched leg: the straighter knee
        return Recognition("seated_chair", _argmax_side(m.knee_extension_deg), "chair_sitting")
    knees = m.knee_extension_deg
    if np.isfinite(knees).all() and abs(knees[0] - knees[1]) >= o.one_leg_knee_diff_deg:
        return Recognition("seated_floor", _argmax_side(knees), "floor_sitting")
    return Recognition("seated_floor", "both", "floor_sitting")


class LabelSmoother:
    """Keeps a label steady: a new label replaces the current one only after it has been the
    majority of the last ``window_s`` seconds for at least ``hold_s`` seconds.

    ``update(t_s, label) -> label``; ``reset()``. Time comes from the frame timestamps.
    """

    def __init__(self, window_s: float = 1.0, hold_s: float = 0.6) -> None:
        self.window_s = window_s
        self.hold_s = hold_s
        self.reset()

    def reset(self) -> None:
        self._hist: deque[tuple[float, object]] = deque()
        self._current: object = None
        self._cand: object = None
        self._cand_since = math.nan

    def update(self, t_s: float, label: object) -> object:
        self._hist.append((t_s, label))
        while self._hist and self._hist[0][0] < t_s - self.window_s:
            self._hist.popleft()
        counts: dict[object, int] = {}
        for _, lab in self._hist:
            counts[lab] = counts.get(lab, 0) + 1
        top = max(counts, key=lambda k: counts[k])
        if top == self._current:
            self._cand = None
            return self._current
        if top != self._cand:
            self._cand, self._cand_since = top, t_s
        if self._current is None and len(self._hist) == 1:
            self._current = top  # the very first frame: nothing to keep
        elif t_s - self._cand_since >= self.hold_s:
            self._current, self._cand = top, None
        return self._current
