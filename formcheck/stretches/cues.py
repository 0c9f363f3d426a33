"""The body's layout in one frame, as cues that do not depend on the camera's view or the prop.

Recognition (:mod:`formcheck.stretches.recognize`) reads these cues and nothing else. They come
from MediaPipe's 3D world landmarks (metres, origin between the hips, y down: a level camera is
assumed, so y is vertical), which keep their lengths whatever way a limb points relative to the
camera; the image landmarks (pixels, y down) stand in when the world landmarks are missing (then
depth is unknown and only a side view gives the full picture). Every length is in torso lengths
(hip-mid to shoulder-mid), so a child and an adult, near or far, read the same.

Cues that name a leg are arrays of shape ``(2,)`` ordered ``(left, right)``; NaN where not seen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from formcheck.metrics import geometry as g
from formcheck.metrics.measures import FrameMetrics

#: per leg: hip, knee, ankle, heel, toe (foot index)
_LEG = ((23, 25, 27, 29, 31), (24, 26, 28, 30, 32))
#: points that can touch the floor: shoulders, hips, ankles, heels, toes
_FLOOR_POINTS = [11, 12, 23, 24, 27, 28, 29, 30, 31, 32]
_FEET = [27, 28, 29, 30, 31, 32]
#: a trunk this far from upright rests on the floor when no foot is seen (lying)
_LEVEL_TRUNK_DEG = 60.0
#: ... unless a knee hangs this far below the hips (torso lengths; a standing thigh: 0.85)
_KNEE_HANGS = 0.5

#: cue name -> what it measures (the names the catalogue's [recognition] conditions use)
CUE_NAMES = {
    "hip_height": "hips above the floor line, torso lengths",
    "shoulder_height": "shoulders above the floor line, torso lengths",
    "trunk_deg": "trunk (hip-mid -> shoulder-mid) from the vertical, 3D: 0 upright, 90 level",
    "foot_height": "per leg: the foot's lowest point (ankle, heel, toe) above the floor line",
    "knee_ext_deg": "per leg: knee extension, 3D, 180 straight",
    "leg_elev_deg": "per leg: hip -> ankle above the horizontal, 3D: -90 down, 90 up",
    "reach": "per leg: horizontal distance from the hip to the ankle, torso lengths",
    "hip_over_knee": "hips above the higher knee, torso lengths (standing ~0.8, chair ~0)",
    "head_toward_feet": "cosine between the trunk and the legs, level plane: > 0 folded over them",
    "recline_deg": "trunk from the vertical, + leaning away from the legs, - folded over them",
    "feet_same_side": "cosine between hip -> left ankle and hip -> right ankle, level plane",
    "wrist_height": "the higher wrist above the floor line, torso lengths",
    "twist_deg": "shoulder line against hip line in the level plane, degrees (0 square)",
    "loaded_knee_ext_deg": "knee extension of the leg standing on the floor (the lower foot)",
}


@dataclass(frozen=True)
class Cues:
    """View-independent cues of one frame (see :data:`CUE_NAMES`); ``source`` is ``"world"``
    (3D world landmarks) or ``"image"`` (pixels: depth unknown)."""

    source: str
    hip_height: float
    shoulder_height: float
    trunk_deg: float
    foot_height: NDArray[np.float64]
    knee_ext_deg: NDArray[np.float64]
    leg_elev_deg: NDArray[np.float64]
    reach: NDArray[np.float64]
    hip_over_knee: float
    head_toward_feet: float
    recline_deg: float
    feet_same_side: float
    wrist_height: float
    twist_deg: float
    loaded_knee_ext_deg: float

    def value(self, name: str, leg: int | None = None) -> float:
        """The cue ``name`` (a per-leg cue for ``leg`` 0 = left, 1 = right)."""
        v = getattr(self, name)
        if isinstance(v, np.ndarray):
            return math.nan if leg is None else float(v[leg])
        return float(v)


def measure_cues(m: FrameMetrics) -> Cues | None:
    """The cues of a frame: from the world landmarks when the trunk is seen there, else from
    the image; None when the trunk is not seen at all."""
    if m.person:
        world = np.asarray(m.world, float)
        # side-on, the legs bend in the picture's plane: the picture shows a bent knee as bent
        side_xy = np.asarray(m.xy, float) if m.view == "side" else None
        cues = _cues_from(world, "world", side_xy)
        if cues is not None:
            return cues
    return image_cues(m)


def _mid(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    ok_a, ok_b = bool(np.isfinite(a).all()), bool(np.isfinite(b).all())
    if ok_a and ok_b:
        return (a + b) / 2
    return a if ok_a else b


def _level(v: NDArray[np.float64]) -> NDArray[np.float64]:
    """The level (horizontal) part of a vector: x and z (z = 0 when depth is unknown)."""
    return np.array([v[0], 0.0, 0.0 if not math.isfinite(v[2]) else v[2]])


def _angle_from_vertical(v: NDArray[np.float64]) -> float:
    lv = float(np.linalg.norm(_level(v)))
    return math.degrees(math.atan2(lv, -v[1])) if np.isfinite(v[:2]).all() else math.nan


def _cues_from(
    p: NDArray[np.float64], source: str, xy: NDArray[np.float64] | None = None
) -> Cues | None:
    """Cues from points ``p`` (33, 3), y down; z NaN when depth is unknown. ``xy``: the image
    landmarks of a side view beside world ones (a knee straight there is straight: see below)."""
    pts = p[:, :2] if source == "image" else p
    sm = _mid(pts[g.LEFT_SHOULDER], pts[g.RIGHT_SHOULDER])
    hm = _mid(pts[g.LEFT_HIP], pts[g.RIGHT_HIP])
    if not (np.isfinite(sm).all() and np.isfinite(hm).all()):
        return None
    torso = float(np.linalg.norm(sm - hm))
    if torso <= 1e-6:
        return None
    hip_c = np.array([hm[0], hm[1], hm[2] if source == "world" else math.nan])
    sh_c = np.array([sm[0], sm[1], sm[2] if source == "world" else math.nan])
    trunk_v = sh_c - hip_c
    trunk_deg = _angle_from_vertical(trunk_v)
    # The floor line: the lowest foot point; with no foot in the picture, the trunk when it
    # lies level with no knee hanging well below the hips (lying or sitting on the floor, not
    # folding over standing legs), else unknown (the heights above it are then NaN).
    feet_ys = p[_FEET, 1]
    knee_drop = (p[[25, 26], 1] - hm[1]) / torso
    hanging = bool(np.any(knee_drop[np.isfinite(knee_drop)] > _KNEE_HANGS))
    if np.isfinite(feet_ys).any() or (trunk_deg >= _LEVEL_TRUNK_DEG and not hanging):
        floor_ys = p[_FLOOR_POINTS, 1]
        floor = float(floor_ys[np.isfinite(floor_ys)].max())
    else:
        floor = math.nan

    def height(i: int | list[int]) -> float:
        ys = np.atleast_1d(p[i, 1])
        ys = ys[np.isfinite(ys)]
        return math.nan if ys.size == 0 else (floor - float(ys.max())) / torso

    foot_h, knee_x, elev, reach, knee_h = (np.full(2, np.nan) for _ in range(5))
    for k, (hip, knee, ankle, heel, toe) in enumerate(_LEG):
        foot_h[k] = height([ankle, heel, toe])
        knee_h[k] = height(knee)
        a = p[hip] if np.isfinite(p[hip, :2]).all() else hip_c
        use = slice(0, 3) if source == "world" else slice(0, 2)
        knee_x[k] = g.point_angle(a[use], p[knee, use], p[ankle, use])
        if xy is not None:
            # A straight leg projects to a straight line in every view, a knee bending in the
            # picture's plane (side-on) keeps its angle, and MediaPipe's depth is its weakest
            # coordinate: side-on, a knee straight in the picture but bent in 3D is a depth error.
            flat = g.point_angle(xy[hip], xy[knee], xy[ankle])
            if math.isfinite(flat) and not flat <= knee_x[k]:
                knee_x[k] = flat
        leg = p[ankle] - a
        if np.isfinite(leg[:2]).all():
            lv = float(np.linalg.norm(_level(leg)))
            elev[k] = math.degrees(math.atan2(-leg[1], lv))
            reach[k] = lv / torso

    # the legs' direction from the hips (level plane) against the trunk's
    ankles = _mid(p[27], p[28]) if source == "world" else _mid(p[27, :2], p[28, :2])
    if ankles.size == 2:
        ankles = np.array([ankles[0], ankles[1], math.nan])
    toward = math.nan
    if np.isfinite(ankles[:2]).all():
        lt, ll = _level(trunk_v), _level(ankles - hip_c)
        nt, nl = float(np.linalg.norm(lt)), float(np.linalg.norm(ll))
        if nt > 0.25 * torso and nl > 0.25 * torso:
            toward = float(np.dot(lt, ll) / (nt * nl))

    recline = trunk_deg
    if math.isfinite(toward) and toward > 0:
        recline = -trunk_deg
    same = math.nan
    legs = [_level(p[ankle] - hip_c) for ankle in (27, 28)]
    norms = [float(np.linalg.norm(v)) for v in legs]
    if all(math.isfinite(n) and n > 0.2 * torso for n in norms):
        same = float(np.dot(legs[0], legs[1]) / (norms[0] * norms[1]))

    twist = math.nan
    if source == "world":
        hl, sl = _level(p[23] - p[24]), _level(p[11] - p[12])
        nh, ns = float(np.linalg.norm(hl)), float(np.linalg.norm(sl))
        if nh > 0.1 * torso and ns > 0.1 * torso:
            c = abs(float(np.dot(hl, sl))) / (nh * ns)
            twist = math.degrees(math.acos(min(1.0, c)))

    wrist_h = height([15, 16])
    if np.isfinite(p[[15, 16], 1]).all():
        wrist_h = max((floor - float(p[15, 1])) / torso, (floor - float(p[16, 1])) / torso)
    knee_top = float(np.nanmax(knee_h)) if np.isfinite(knee_h).any() else math.nan
    hip_h = (floor - float(hm[1])) / torso
    loaded = math.nan
    if np.isfinite(foot_h).all():
        loaded = float(knee_x[int(np.argmin(foot_h))])
    return Cues(
        source=source,
        hip_height=hip_h,
        shoulder_height=(floor - float(sm[1])) / torso,
        trunk_deg=trunk_deg,
        foot_height=foot_h,
        knee_ext_deg=knee_x,
        leg_elev_deg=elev,
        reach=reach,
        hip_over_knee=(knee_top if math.isnan(knee_top) else hip_h - knee_top),
        head_toward_feet=toward,
        recline_deg=recline,
        feet_same_side=same,
        wrist_height=wrist_h,
        twist_deg=twist,
        loaded_knee_ext_deg=loaded,
    )


def image_cues(m: FrameMetrics) -> Cues | None:
    """The cues from the image landmarks alone (no depth): what the picture itself shows."""
    if not m.person:
        return None
    xy = np.asarray(m.xy, float)
    return _cues_from(np.column_stack([xy, np.full(len(xy), np.nan)]), "image")
