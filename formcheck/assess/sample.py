"""What the trial detector reads from one frame: :class:`AssessSample`.

A few numbers per frame, taken from :class:`formcheck.metrics.measures.FrameMetrics`
(:func:`sample_from_metrics`), so that the detector and its tests need no model and no
landmarks: a test builds the samples of a known movement directly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from formcheck.metrics import geometry as g
from formcheck.metrics.measures import SIDES, FrameMetrics

#: trunk at least this far from vertical (degrees): lying (docs/architecture.md, leg_raise_deg)
LYING_MIN_DEG = 60.0


def _nan2() -> NDArray[np.float64]:
    return np.full(2, np.nan)


@dataclass(frozen=True)
class AssessSample:
    """One frame's measures for the flexibility tests.

    Attributes
    ----------
    t_s : float
        Frame time, seconds.
    person : bool
        A person was found.
    lying : bool
        The trunk is at least :data:`LYING_MIN_DEG` from vertical.
    knee_extension_deg, hip_angle_deg, leg_raise_deg : ndarray, shape (2,)
        Per leg (left, right), degrees, as in :class:`FrameMetrics`; NaN where unseen.
    pelvis_height_torso : ndarray, shape (2,)
        Height of the hips above the floor line (shoulders -> the OTHER leg's ankle), in torso
        lengths, when leg ``k`` is the tested one; NaN where not measurable.
    off_side_deg : float
        How far the camera is from side-on, degrees (0 = side-on; ``|90 - yaw|``).
    floor_raise_deg : ndarray, shape (2,)
        Per leg, its elevation above the floor line as the picture shows it: the angle from
        the OTHER leg (hip -> ankle, lying on the floor) to this one (:func:`floor_raise`),
        so that a camera that is not square to the body or looks down does not tilt the
        reference; NaN when not measurable (the SLR then reads ``leg_raise_deg``).
    leg_raise_3d_deg, knee_extension_3d_deg : ndarray, shape (2,)
        The same angles from MediaPipe's 3D world landmarks (:func:`leg_raise_3d`), kept
        beside the 2D ones for the accuracy benchmark; NaN where not measurable.
    """

    t_s: float
    person: bool = True
    lying: bool = True
    knee_extension_deg: NDArray[np.float64] = field(default_factory=_nan2)
    hip_angle_deg: NDArray[np.float64] = field(default_factory=_nan2)
    leg_raise_deg: NDArray[np.float64] = field(default_factory=_nan2)
    pelvis_height_torso: NDArray[np.float64] = field(default_factory=_nan2)
    off_side_deg: float = math.nan
    floor_raise_deg: NDArray[np.float64] = field(default_factory=_nan2)
    leg_raise_3d_deg: NDArray[np.float64] = field(default_factory=_nan2)
    knee_extension_3d_deg: NDArray[np.float64] = field(default_factory=_nan2)

    def __post_init__(self) -> None:
        for name in (
            "knee_extension_deg",
            "hip_angle_deg",
            "leg_raise_deg",
            "pelvis_height_torso",
            "floor_raise_deg",
            "leg_raise_3d_deg",
            "knee_extension_3d_deg",
        ):
            a = np.asarray(getattr(self, name), dtype=float)
            if a.shape != (2,):
                raise ValueError(f"AssessSample.{name} must have shape (2,), found {a.shape}")
            object.__setattr__(self, name, a)
        if not math.isfinite(self.t_s):
            raise ValueError(f"AssessSample.t_s must be a finite time in seconds, found {self.t_s}")

    def slr_deg(self, k: int) -> float:
        """Leg ``k``'s elevation for the SLR: above the floor line when measurable, else
        above the horizontal."""
        v = float(self.floor_raise_deg[k])
        return v if math.isfinite(v) else float(self.leg_raise_deg[k])

    def other_leg_lift_deg(self, k: int) -> float:
        """How far the leg other than ``k`` is lifted: 180 - its hip angle (trunk to thigh,
        both on the floor = 0), else its elevation above the horizontal."""
        hip = float(self.hip_angle_deg[1 - k])
        return 180.0 - hip if math.isfinite(hip) else float(self.leg_raise_deg[1 - k])


def floor_raise(
    hip: NDArray[np.float64], ankle: NDArray[np.float64], floor: NDArray[np.float64]
) -> float:
    """Elevation of ``hip -> ankle`` above the direction ``floor`` (head to feet), degrees.

    Image points in pixels (y down). Positive = raised (toward the top of the picture), more
    than 90 past vertical. NaN when a point is missing.
    """
    leg = np.asarray(ankle, float) - np.asarray(hip, float)
    f = np.asarray(floor, float)
    nf = float(np.linalg.norm(f))
    if not (np.isfinite(leg).all() and np.isfinite(f).all()) or nf <= 0:
        return math.nan
    f = f / nf
    n = np.array([f[1], -f[0]])
    if n[1] > 0:  # point it up
        n = -n
    return math.degrees(math.atan2(float(np.dot(leg, n)), float(np.dot(leg, f))))


def pelvis_height(
    shoulder_mid: NDArray[np.float64],
    hip_mid: NDArray[np.float64],
    ankle: NDArray[np.float64],
) -> float:
    """Height of ``hip_mid`` above the line ``shoulder_mid -> ankle``, in torso lengths.

    Image points in pixels (y down); positive = above the line (against gravity). NaN when a
    point is missing or the torso has no length.
    """
    s, h, a = (np.asarray(p, float) for p in (shoulder_mid, hip_mid, ankle))
    if not (np.isfinite(s).all() and np.isfinite(h).all() and np.isfinite(a).all()):
        return math.nan
    line = a - s
    torso = float(np.linalg.norm(h - s))
    n_line = float(np.linalg.norm(line))
    if torso <= 0 or n_line <= 0:
        return math.nan
    normal = np.array([line[1], -line[0]]) / n_line
    if normal[1] > 0:  # point it up (image y grows downwards)
        normal = -normal
    return float(np.dot(h - s, normal)) / torso


def leg_raise_3d(world: NDArray[np.float64], side: str) -> float:
    """Elevation of ``side``'s hip -> ankle above the floor plane, from world landmarks (deg).

    The floor plane of a person lying on the back is spanned by the body's long axis
    (shoulders -> the other leg's ankle) and the hips' left-right axis; "up" is its normal on
    the side away from gravity (MediaPipe's world y points down); so it is meaningful for the
    tested leg, the other one lying on the floor. Unlike the 2D angle, it
    does not shrink when the camera looks down on the body or is not square to it, but it
    rests on MediaPipe's depth, its weakest coordinate. NaN when a point is missing.
    """
    w = np.asarray(world, float)
    _sh, hp, _kn, an, _he, _ft = g.LEG_JOINTS[side]
    other = g.LEG_JOINTS["left" if side == "right" else "right"][3]
    sm = g.midpoint(w[g.LEFT_SHOULDER], w[g.RIGHT_SHOULDER])
    along = w[other] - sm
    lateral = w[g.RIGHT_HIP] - w[g.LEFT_HIP]
    leg = w[an] - w[hp]
    if not (np.isfinite(along).all() and np.isfinite(lateral).all() and np.isfinite(leg).all()):
        return math.nan
    up = np.cross(along, lateral)
    n = float(np.linalg.norm(up))
    if n <= 1e-9:
        return math.nan
    up /= n
    if up[1] > 0:  # world y points down: up must point against it
        up = -up
    # the floor direction square to the hips' axis, pointing from the head to the feet
    along_n = np.cross(lateral, up)
    along_n /= float(np.linalg.norm(along_n))
    if np.dot(along_n, along) < 0:
        along_n = -along_n
    return math.degrees(math.atan2(float(np.dot(leg, up)), float(np.dot(leg, along_n))))


def sample_from_metrics(m: FrameMetrics) -> AssessSample:
    """The detector's sample of one frame's metrics."""
    if not m.person:
        return AssessSample(t_s=m.t_s, person=False, lying=False)
    xy = m.xy
    sm = g.midpoint(xy[g.LEFT_SHOULDER], xy[g.RIGHT_SHOULDER])
    hm = g.midpoint(xy[g.LEFT_HIP], xy[g.RIGHT_HIP])
    pelvis = _nan2()
    floor = _nan2()
    for k, side in enumerate(SIDES):
        other = SIDES[1 - k]
        o_hip, o_ankle = xy[g.LEG_JOINTS[other][1]], xy[g.LEG_JOINTS[other][3]]
        pelvis[k] = pelvis_height(sm, hm, o_ankle)
        if not math.isfinite(float(m.leg_raise_deg[k])):
            continue  # the leg itself is not seen
        ref = o_ankle - o_hip if math.isfinite(float(m.leg_raise_deg[1 - k])) else hm - sm
        floor[k] = floor_raise(xy[g.LEG_JOINTS[side][1]], xy[g.LEG_JOINTS[side][3]], ref)
    incl = m.trunk_inclination_deg
    return AssessSample(
        t_s=m.t_s,
        person=True,
        lying=bool(math.isfinite(incl) and incl >= LYING_MIN_DEG),
        knee_extension_deg=m.knee_extension_deg,
        hip_angle_deg=m.hip_angle_deg,
        leg_raise_deg=m.leg_raise_deg,
        pelvis_height_torso=pelvis,
        off_side_deg=abs(90.0 - m.yaw_deg) if math.isfinite(m.yaw_deg) else math.nan,
        floor_raise_deg=floor,
        leg_raise_3d_deg=np.array([leg_raise_3d(m.world, s) for s in SIDES]),
        knee_extension_3d_deg=m.knee_extension_3d_deg,
    )


__all__ = [
    "LYING_MIN_DEG",
    "AssessSample",
    "floor_raise",
    "leg_raise_3d",
    "pelvis_height",
    "sample_from_metrics",
]
