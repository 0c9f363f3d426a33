"""The lumbar curve (back rounding) from the segmentation mask's back outline.

MediaPipe has no spine landmarks, and the shoulder-hip-knee angle cannot tell a hip hinge from a
rounded back: both close it. What the picture does show, in a side view, is the outline of the
back. formcheck measures it like this:

1. The chord from the hip (H) to the shoulder (S) of the side nearer the camera, and its normal
   pointing to the *back* (away from the face: the nose is always on the front side of the
   chord, standing, folded, sitting or lying).
2. For stations ``t`` along the chord (0 = hip, 1 = shoulder), the distance ``d(t)`` from the
   chord to where the mask ends along that normal: the back's outline.
3. Over the whole trunk (``t`` 0.12 to 0.88), a parabola fitted to ``d(t)`` gives the outline's
   sagitta ``s`` (its bulge beyond the straight line through its ends); the *bend* is the
   central angle of the arc with that sagitta, ``4 atan(2 s / chord)`` degrees.
4. Over the low back only (``t`` 0 to 0.6: pelvis to lower ribs), a parabola fitted to
   ``d(t) / chord`` gives the *low-back turn*: the angle the outline turns through between its
   two ends, ``atan(d'(0)) - atan(d'(0.6))`` degrees, + when it bulges (rounded). It leaves out
   the upper back, whose own curve (kyphosis, a hunched posture, a loose top over the shoulder
   blades) made the whole-trunk bend read a neutral fold as rounded.
5. Landmark cue: the head's drop (angle between the trunk line and shoulder->ear).
6. ``lumbar_flexion_deg = intercept + slope * bend + low_turn_coef * low_turn +
   head_coef * head_drop``, the coefficients fitted against the synthetic people's ground truth,
   with an intercept per posture (standing, sitting on a chair, sitting on the floor: the
   neutral outline differs between them) and a pooled one for postures without their own.
   The committed calibration is the whole-trunk form (``low_turn_coef`` 0,
   ``benchmarks/calibrate_lumbar.py``); ``benchmarks/lumbar_cv.py --write`` writes one with the
   low-back turn and the head drop (``slope`` 0), measured on 2026-12-02 and not adopted yet
   (docs/lumbar.md: it missed the committed chair-rounding sample).

Where the view is not sideways enough, or there is no mask, or the outline is not measured over
the trunk, the back is not judged: NaN and a verdict of None, never a guess.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
from numpy.typing import NDArray

from formcheck.metrics import geometry as g
from formcheck.metrics.backref import BackReference, UprightCollector

STATIONS = np.linspace(0.12, 0.88, 20)
#: stations of the low back (pelvis to lower ribs) for the low-back turn
LOW_STATIONS = np.linspace(0.0, 0.6, 25)


@dataclass(frozen=True)
class LumbarCalibration:
    intercept: float = 0.0
    slope: float = 1.0
    head_coef: float = 0.0
    #: weight of the low-back turn (0: the whole-trunk bend form)
    low_turn_coef: float = 0.0
    threshold_deg: float = 20.0  # back_rounded above this
    hysteresis_deg: float = 3.0
    #: back_rounded above this many degrees over the person's own neutral back (backref.py);
    #: chosen on the tuning split (docs/lumbar.md, "The reference")
    reference_threshold_deg: float = 18.0
    source: str = "uncalibrated default"
    #: posture -> {"intercept", "slope", "head_coef", "low_turn_coef"} overriding the pooled fit
    by_posture: dict[str, dict[str, float]] = field(default_factory=dict)

    def coefficients(self, posture: str | None) -> tuple[float, float, float]:
        c = self.by_posture.get(posture or "", {})
        return (
            float(c.get("intercept", self.intercept)),
            float(c.get("slope", self.slope)),
            float(c.get("head_coef", self.head_coef)),
        )

    def low_turn_coefficient(self, posture: str | None) -> float:
        c = self.by_posture.get(posture or "", {})
        return float(c.get("low_turn_coef", self.low_turn_coef))


def load_calibration() -> LumbarCalibration:
    """The committed calibration (or the neutral default when none is committed yet)."""
    try:
        text = (
            resources.files("formcheck.metrics")
            .joinpath("lumbar_calibration.json")
            .read_text("utf-8")
        )
    except (FileNotFoundError, OSError):
        return LumbarCalibration()
    d = json.loads(text)
    fields = LumbarCalibration.__dataclass_fields__
    return LumbarCalibration(**{k: v for k, v in d.items() if k in fields})


@dataclass(frozen=True)
class BackShape:
    """Raw back-outline features of one frame (NaN where not measurable)."""

    bend_deg: float  # central angle of the back outline's arc, + = bulging (rounded)
    head_drop_deg: float  # angle between hip->shoulder and shoulder->ear
    chord_px: float
    profile: NDArray[np.float64]  # d(t) at STATIONS, pixels
    #: angle (degrees) the low back's outline turns through, hip to lower ribs; + = bulging
    low_turn_deg: float = math.nan


NAN_SHAPE = BackShape(math.nan, math.nan, math.nan, np.full(len(STATIONS), np.nan))


def back_profile(
    mask: NDArray[np.float32],
    hip: NDArray[np.float64],
    shoulder: NDArray[np.float64],
    back_normal: NDArray[np.float64],
    *,
    threshold: float = 0.5,
    max_frac: float = 0.7,
    stations: NDArray[np.float64] = STATIONS,
) -> NDArray[np.float64]:
    """Distances (px) from the chord hip->shoulder to the mask's edge along ``back_normal``.

    Parameters
    ----------
    mask : ndarray, shape (H, W)
        Person probability in [0, 1].
    hip, shoulder : ndarray, shape (2,)
        Chord ends in pixels.
    back_normal : ndarray, shape (2,)
        Unit vector perpendicular to the chord, pointing to the back.
    stations : ndarray, optional
        Where along the chord (0 = hip, 1 = shoulder); default :data:`STATIONS`.

    Returns
    -------
    ndarray, shape (len(stations),)
        NaN where the station is outside the mask or the edge is not found within
        ``max_frac`` of the chord length.
    """
    h, w = mask.shape
    chord = shoulder - hip
    length = float(np.linalg.norm(chord))
    if not math.isfinite(length) or length < 8:
        return np.full(len(stations), np.nan)
    steps = np.arange(0.0, max_frac * length, 1.0)
    base = hip[None, :] + stations[:, None] * chord[None, :]  # (N, 2)
    # the rays' points, x and y apart (two (N, R) arrays are quicker than one (N, R, 2))
    xi = np.rint(base[:, 0:1] + steps[None, :] * back_normal[0]).astype(int)
    yi = np.rint(base[:, 1:2] + steps[None, :] * back_normal[1]).astype(int)
    inside_img = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
    vals = np.zeros(xi.shape, dtype=np.float32)
    vals[inside_img] = mask[yi[inside_img], xi[inside_img]]
    on = vals >= threshold
    # each station's edge: its ray's first step off the mask, when the ray starts on it
    off = ~on
    first_off = off.argmax(axis=1)
    found = on[:, 0] & off.any(axis=1)
    return np.where(found, steps[first_off], np.nan)


def arc_bend_deg(profile: NDArray[np.float64], chord_px: float) -> float:
    """Central angle (degrees) of the arc through the profile, + when it bulges outwards."""
    ok = np.isfinite(profile)
    if ok.sum() < max(6, len(profile) // 2) or chord_px <= 0:
        return math.nan
    t = STATIONS[ok]
    c2, _c1, _c0 = np.polyfit(t, profile[ok], 2)
    span = float(t.max() - t.min())
    sagitta = -c2 * span**2 / 4.0  # bulge of the parabola at mid-span over its chord
    return float(np.degrees(4.0 * math.atan2(2.0 * sagitta, chord_px * span)))


def low_back_turn_deg(profile: NDArray[np.float64], chord_px: float) -> float:
    """Angle (degrees) the low back's outline turns through, + when it bulges outwards.

    ``profile``: distances (px) from the chord to the outline at :data:`LOW_STATIONS`. A
    parabola fitted to ``profile / chord_px`` against ``t`` (both in chord lengths) gives the
    outline's slope at both ends; the turn is ``atan(slope at hip) - atan(slope at ribs)``
    (a circular arc turning through ``a`` degrees reads about ``a``).
    """
    ok = np.isfinite(profile)
    if ok.sum() < max(5, int(0.6 * len(profile))) or not chord_px > 0:
        return math.nan
    t = LOW_STATIONS[ok]
    c2, c1, _c0 = np.polyfit(t, profile[ok] / chord_px, 2)
    lo, hi = float(LOW_STATIONS[0]), float(LOW_STATIONS[-1])
    s_lo, s_hi = 2.0 * c2 * lo + c1, 2.0 * c2 * hi + c1
    return float(np.degrees(math.atan(s_lo) - math.atan(s_hi)))


def measure_back(
    xy: NDArray[np.float64], mask: NDArray[np.float32] | None, side: str | None
) -> BackShape:
    """Back-outline features from the landmarks (pixels) and the mask, on the given side.

    ``side`` is the body side nearer the camera ('left'/'right'); None uses the mid points.
    """
    if mask is None:
        return NAN_SHAPE
    if side == "left":
        sh, hp, ear = xy[g.LEFT_SHOULDER], xy[g.LEFT_HIP], xy[g.LEFT_EAR]
    elif side == "right":
        sh, hp, ear = xy[g.RIGHT_SHOULDER], xy[g.RIGHT_HIP], xy[g.RIGHT_EAR]
    else:
        sh = g.midpoint(xy[g.LEFT_SHOULDER], xy[g.RIGHT_SHOULDER])
        hp = g.midpoint(xy[g.LEFT_HIP], xy[g.RIGHT_HIP])
        ear = g.midpoint(xy[g.LEFT_EAR], xy[g.RIGHT_EAR])
    if not (np.isfinite(sh).all() and np.isfinite(hp).all()):
        return NAN_SHAPE
    chord = sh - hp
    length = float(np.linalg.norm(chord))
    if length < 8:
        return NAN_SHAPE
    normal = np.array([-chord[1], chord[0]]) / length
    # the face is in front: the back normal points away from the nose (or the ear/knee side)
    front = xy[g.NOSE]
    if not np.isfinite(front).all():
        front = ear
    if np.isfinite(front).all():
        if np.dot(front - hp, normal) > 0:
            normal = -normal
    else:
        return NAN_SHAPE
    profile = back_profile(mask, hp, sh, normal)
    bend = arc_bend_deg(profile, length)
    low = back_profile(mask, hp, sh, normal, max_frac=0.8, stations=LOW_STATIONS)
    low_turn = low_back_turn_deg(low, length)
    head = g.point_angle(hp, sh, ear) if np.isfinite(ear).all() else math.nan
    head_drop = 180.0 - float(head) if math.isfinite(head) else math.nan
    return BackShape(bend, head_drop, length, profile, low_turn)


def lumbar_flexion_deg(
    shape: BackShape, cal: LumbarCalibration, posture: str | None = None
) -> float:
    """Calibrated lumbar flexion estimate (degrees) from the back-outline features.

    NaN (not judged) when the whole-trunk outline is not measured, or when a feature the
    calibration uses (the low-back turn) is not; a missing head drop counts as 0.
    """
    if not math.isfinite(shape.bend_deg):
        return math.nan
    head = shape.head_drop_deg if math.isfinite(shape.head_drop_deg) else 0.0
    intercept, slope, head_coef = cal.coefficients(posture)
    low_coef = cal.low_turn_coefficient(posture)
    est = intercept + slope * shape.bend_deg + head_coef * head
    if low_coef != 0.0:
        if not math.isfinite(shape.low_turn_deg):
            return math.nan
        est += low_coef * shape.low_turn_deg
    return est


class BackRoundingJudge:
    """``update(t_s, flexion_deg, judgeable, key) -> bool | None``: the back-rounding verdict.

    The calibrated estimate alone separates bodies poorly: a neutral back of one build can read
    as high as a rounded back of another (docs/lumbar.md). So the verdict is taken against the
    person's own neutral back (:mod:`formcheck.metrics.backref`) when there is one: the
    session's stand-tall calibration or upright frames (``observe_upright``), else a saved
    ``reference`` from the history. With a reference, the back is rounded when
    ``estimate - reference.bias_deg`` exceeds ``reference_threshold_deg`` (default: the
    calibration's).

    Without one, a conservative population rule: the estimate exceeds ``absolute_deg``, or rises
    ``relative_deg`` above the least flexed estimate seen in the session per posture (``key``;
    over ``baseline_window_s`` medians, so one glitch does not set it) and is above ``min_deg``
    (with ``relative_deg = 0``: the calibration's plain ``threshold_deg``). Hysteresis of
    ``cal.hysteresis_deg`` on every rule. None when the back cannot be judged.
    """

    def __init__(
        self,
        cal: LumbarCalibration | None = None,
        *,
        relative_deg: float = 15.0,
        absolute_deg: float = 35.0,
        min_deg: float = 5.0,
        baseline_window_s: float = 0.5,
        reference: BackReference | None = None,
        reference_threshold_deg: float | None = None,
    ) -> None:
        self.cal = cal or load_calibration()
        self.saved = reference
        self.reference_threshold_deg = (
            self.cal.reference_threshold_deg
            if reference_threshold_deg is None
            else reference_threshold_deg
        )
        self.relative_deg = relative_deg
        self.absolute_deg = absolute_deg
        self.min_deg = min_deg
        self.baseline_window_s = baseline_window_s
        self.reset()

    def reset(self) -> None:
        self._state = False
        self._recent: dict[str, list[tuple[float, float]]] = {}
        self._baseline: dict[str, float] = {}
        # this session's upright frames: pooled, and per posture ("" = pooled)
        self._upright: dict[str, UprightCollector] = {}
        self._own: dict[str, BackReference] = {}
        self._own_source: dict[str, str] = {}

    @property
    def reference(self) -> BackReference | None:
        """What the verdict is judged against: this session's own reference (calibration or
        upright frames), else the saved one; None: the population rule."""
        return self._own.get("") or self.saved

    def reference_for(self, key: str | None) -> BackReference | None:
        """The reference of a posture: this session's upright frames in that posture (the
        estimate's neutral reading differs between postures), else :attr:`reference`."""
        return self._own.get(key or "") or self.reference

    @property
    def references_by_posture(self) -> dict[str, BackReference]:
        """This session's own references per posture (its upright frames in each)."""
        return {k: v for k, v in self._own.items() if k}

    def observe_upright(
        self,
        t_s: float,
        flexion_deg: float,
        source: str = "upright_frames",
        key: str | None = None,
    ) -> None:
        """Add the estimate of a frame where the person stands or sits upright in posture
        ``key`` (``source``: ``"calibration"`` during live mode's stand-tall step)."""
        for k in ("", key) if key else ("",):
            c = self._upright.setdefault(k, UprightCollector())
            was_ready = c.ready
            c.add(t_s, flexion_deg)
            if c.ready:
                if not was_ready:
                    self._own_source[k] = source
                ref = c.reference(self._own_source[k])
                if ref is not None:
                    self._own[k] = ref

    def baseline(self, key: str | None = None) -> float:
        return self._baseline.get(key or "", math.nan)

    def update(
        self,
        t_s: float,
        flexion_deg: float,
        judgeable: bool = True,
        key: str | None = None,
    ) -> bool | None:
        if not judgeable or not math.isfinite(flexion_deg):
            return None
        hy = self.cal.hysteresis_deg
        sign = -1.0 if self._state else 1.0  # stay on until the value drops below - hysteresis
        ref = self.reference_for(key)
        if ref is not None:
            self._state = flexion_deg - ref.bias_deg > self.reference_threshold_deg + sign * hy
            return self._state
        if self.relative_deg <= 0:
            self._state = flexion_deg > self.cal.threshold_deg + sign * hy
            return self._state
        k = key or ""
        recent = self._recent.setdefault(k, [])
        recent.append((t_s, flexion_deg))
        while recent and recent[0][0] < t_s - self.baseline_window_s:
            recent.pop(0)
        med = float(np.median([v for _, v in recent]))
        base = min(self._baseline.get(k, med), med)
        self._baseline[k] = base
        rel = flexion_deg - base >= self.relative_deg + sign * hy and flexion_deg > self.min_deg
        self._state = rel or flexion_deg > self.absolute_deg + sign * hy
        return self._state
