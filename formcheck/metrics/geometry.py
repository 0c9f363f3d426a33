"""Pure angle functions on landmark arrays.

Every function takes numpy arrays of points (``(..., 2)`` or ``(..., 3)``) and returns angles in
degrees. Missing points are NaN, and NaN in gives NaN out: nothing here ever turns a missing
point into ``0``. Image coordinates have ``y`` pointing *down*; functions that need "up" say so.
The conventions (what 180 means, signs) are in docs/architecture.md and are shared with the
synthetic people's truth files.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

# MediaPipe pose landmark indices (33-point model)
NOSE = 0
LEFT_EAR, RIGHT_EAR = 7, 8
LEFT_SHOULDER, RIGHT_SHOULDER = 11, 12
LEFT_ELBOW, RIGHT_ELBOW = 13, 14
LEFT_WRIST, RIGHT_WRIST = 15, 16
LEFT_HIP, RIGHT_HIP = 23, 24
LEFT_KNEE, RIGHT_KNEE = 25, 26
LEFT_ANKLE, RIGHT_ANKLE = 27, 28
LEFT_HEEL, RIGHT_HEEL = 29, 30
LEFT_FOOT, RIGHT_FOOT = 31, 32  # foot index (toe)

#: landmark names in index order, as MediaPipe names them
LANDMARK_NAMES = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
    "right_heel", "left_foot_index", "right_foot_index",
)  # fmt: skip

#: per side: (shoulder, hip, knee, ankle, heel, foot) indices
LEG_JOINTS = {
    "left": (LEFT_SHOULDER, LEFT_HIP, LEFT_KNEE, LEFT_ANKLE, LEFT_HEEL, LEFT_FOOT),
    "right": (RIGHT_SHOULDER, RIGHT_HIP, RIGHT_KNEE, RIGHT_ANKLE, RIGHT_HEEL, RIGHT_FOOT),
}

#: skeleton edges for drawing
SKELETON_EDGES = (
    (11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (11, 23), (12, 24), (23, 24),
    (23, 25), (25, 27), (27, 29), (29, 31), (27, 31), (24, 26), (26, 28), (28, 30),
    (30, 32), (28, 32), (0, 7), (0, 8),
)  # fmt: skip


def joint_angle(a: ArrayLike, b: ArrayLike, c: ArrayLike) -> NDArray[np.float64] | float:
    """Angle at ``b`` between the rays ``b->a`` and ``b->c``, in degrees, in ``[0, 180]``.

    Parameters
    ----------
    a, b, c : array_like, shape (..., D)
        Points (D = 2 or 3). Broadcasts over leading dimensions.

    Returns
    -------
    float or ndarray
        The angle in degrees; NaN where any point is NaN or a ray has zero length.
    """
    a, b, c = (np.asarray(p, dtype=float) for p in (a, b, c))
    u = a - b
    v = c - b
    nu = np.linalg.norm(u, axis=-1)
    nv = np.linalg.norm(v, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.sum(u * v, axis=-1) / (nu * nv)
    cos = np.where((nu > 0) & (nv > 0), cos, np.nan)
    out = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
    return float(out) if np.ndim(out) == 0 else out


#: one point, 2D or 3D: a landmark array's row, or a sequence of numbers
Point = Sequence[float] | NDArray[np.float64]


def point_angle(a: Point, b: Point, c: Point) -> float:
    """:func:`joint_angle` of three single points (2D or 3D), degrees; NaN as there.

    The same number as :func:`joint_angle`, bit for bit: the same operations in the same order
    (numpy adds the coordinates' products left to right), in plain float arithmetic, which is
    about 15 times faster on one point than numpy's machinery; the measures of every frame
    take a dozen such angles.
    """
    ux, uy = float(a[0]) - float(b[0]), float(a[1]) - float(b[1])
    vx, vy = float(c[0]) - float(b[0]), float(c[1]) - float(b[1])
    uu, vv, uv = ux * ux + uy * uy, vx * vx + vy * vy, ux * vx + uy * vy
    if len(b) == 3:
        uz, vz = float(a[2]) - float(b[2]), float(c[2]) - float(b[2])
        uu, vv, uv = uu + uz * uz, vv + vz * vz, uv + uz * vz
    nu, nv = math.sqrt(uu), math.sqrt(vv)
    if not (nu > 0 and nv > 0):  # a point missing (NaN) or a ray of zero length
        return math.nan
    if not 0 < nu * nv < math.inf:  # lengths beyond float's range: numpy's rules, not ours
        return float(joint_angle(a, b, c))
    cos = uv / (nu * nv)
    cos = 1.0 if cos > 1.0 else -1.0 if cos < -1.0 else cos  # NaN stays NaN, as np.clip
    return math.degrees(math.acos(cos))


def inclination_from_vertical(
    lower: ArrayLike, upper: ArrayLike, *, y_down: bool = True
) -> NDArray[np.float64] | float:
    """Angle of the segment ``lower->upper`` from the upward vertical, degrees in ``[0, 180]``.

    0 = ``upper`` straight above ``lower``, 90 = horizontal, 180 = straight below. ``y_down``
    says the second coordinate grows downwards (image pixels); 2D points only.
    """
    lower, upper = np.asarray(lower, float), np.asarray(upper, float)
    d = upper - lower
    up = -d[..., 1] if y_down else d[..., 1]
    horiz = np.abs(d[..., 0])
    out = np.degrees(np.arctan2(horiz, up))
    out = np.where(np.isfinite(d).all(axis=-1) & (np.hypot(d[..., 0], d[..., 1]) > 0), out, np.nan)
    return float(out) if np.ndim(out) == 0 else out


def inclination_from_vertical_3d(lower: ArrayLike, upper: ArrayLike) -> float:
    """Angle of the 3D segment ``lower->upper`` from the upward vertical, degrees in ``[0, 180]``.

    For MediaPipe's world landmarks (metres, y down, x and z horizontal when the camera is
    level): unlike the 2D angle, it sees a lean toward or away from the camera. NaN in, NaN out.
    """
    d = np.asarray(upper, float) - np.asarray(lower, float)
    if d.shape[-1] != 3 or not np.isfinite(d).all() or not np.any(d):
        return math.nan
    return float(np.degrees(np.arctan2(math.hypot(d[0], d[2]), -d[1])))


def leg_raise_angle(
    hip: ArrayLike,
    ankle: ArrayLike,
    shoulder_mid: ArrayLike,
    hip_mid: ArrayLike,
    ankle_mid: ArrayLike | None = None,
    *,
    y_down: bool = True,
) -> float:
    """Elevation of ``hip->ankle`` above the floor line, in degrees (2D image points).

    ``atan2(up, along)``: ``up`` is the component against gravity; ``along`` is the horizontal
    component *away from the head* when the person is lying (trunk at least 60 degrees from
    vertical and the head on the other side of the hips from ``ankle_mid``), so that a leg
    pulled past vertical reads more than 90; otherwise ``along`` is the leg's horizontal length
    and the result is a plain elevation in [-90, 90]. Lying with the leg on the floor = 0, leg
    vertical = 90, standing about -90, a heel on a hip-high support about 0. Assumes a level
    camera (image x horizontal). The synthetic truth (formcheck/synth/truth.py) uses the same rule.
    """
    hip, ankle = np.asarray(hip, float), np.asarray(ankle, float)
    sm, hm = np.asarray(shoulder_mid, float), np.asarray(hip_mid, float)
    leg = ankle - hip
    body = hm - sm
    if not (np.isfinite(leg).all() and np.isfinite(body).all()):
        return math.nan
    up = -leg[1] if y_down else leg[1]
    body_up = -body[1] if y_down else body[1]  # hips above shoulders > 0
    incl = math.degrees(math.atan2(abs(body[0]), -body_up)) if np.any(body) else math.nan
    lying = math.isfinite(incl) and incl >= 60.0
    if lying and ankle_mid is not None:
        am = np.asarray(ankle_mid, float)
        lying = bool(np.isfinite(am).all() and (am[0] - hm[0]) * body[0] > 0)
    along = leg[0] * math.copysign(1.0, body[0]) if lying else abs(leg[0])
    return math.degrees(math.atan2(up, along))


def midpoint(a: ArrayLike, b: ArrayLike) -> NDArray[np.float64]:
    """Midpoint of two points (NaN if either is NaN)."""
    return (np.asarray(a, float) + np.asarray(b, float)) / 2.0
