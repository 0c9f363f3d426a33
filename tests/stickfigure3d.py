"""3D stick people in known poses, filmed by a level pinhole camera from any azimuth.

Independent of the synthetic generator (formcheck.synth): plain segment geometry, so the
recognition tests check the geometry itself, not one renderer's habits.

Scene coordinates, metres: X forward (the way a standing or sitting person faces; lying, from the
head toward the feet), Y up, Z to the person's right (so the person's left is -Z). The floor is
Y = 0. Segment lengths (a 1.75 m adult, Drillis & Contini): torso 0.50, thigh 0.42, shank 0.41,
ankle 0.07 above the sole.

:func:`pose` builds the 33 MediaPipe landmarks of a named pose; :func:`film` projects them for a
camera at ``azimuth_deg`` (0 = in front of the person, 90 = on their left, -90 = on their right)
into a :class:`PoseFrame` with image landmarks (pixels), depth and world landmarks
(camera-aligned, metres, origin between the hips, y down), as MediaPipe gives them.
"""

from __future__ import annotations

import math

import numpy as np

from formcheck.pose.frame import N_LANDMARKS, PoseFrame

TORSO, THIGH, SHANK, ANKLE = 0.50, 0.42, 0.41, 0.07
HIP_HALF, SHOULDER_HALF = 0.09, 0.18
X, Y, Z = np.eye(3)
LEFT = -Z


def direction(elev_deg: float, azim_deg: float = 0.0) -> np.ndarray:
    """A unit vector ``elev_deg`` above the level, turned ``azim_deg`` from +X toward +Z."""
    e, a = math.radians(elev_deg), math.radians(azim_deg)
    return np.array([math.cos(e) * math.cos(a), math.sin(e), math.cos(e) * math.sin(a)])


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _leg(p: np.ndarray, hip: np.ndarray, k: int, thigh: np.ndarray, shank: np.ndarray) -> None:
    """Place leg ``k`` (0 left, 1 right): hip, knee, ankle, heel, toe."""
    hip_i, knee_i, ankle_i, heel_i, toe_i = ((23, 25, 27, 29, 31), (24, 26, 28, 30, 32))[k]
    knee = hip + THIGH * _unit(thigh)
    ankle = knee + SHANK * _unit(shank)
    s = _unit(shank)
    f = X - np.dot(X, s) * s if abs(np.dot(X, s)) < 0.8 else Y - np.dot(Y, s) * s
    f = _unit(f)
    p[hip_i], p[knee_i], p[ankle_i] = hip, knee, ankle
    p[heel_i] = ankle + ANKLE * s - 0.04 * f
    p[toe_i] = ankle + ANKLE * s + 0.15 * f


def skeleton(
    hip_height: float,
    trunk: np.ndarray,
    thighs: tuple[np.ndarray, np.ndarray],
    shanks: tuple[np.ndarray, np.ndarray],
    wrists: tuple[np.ndarray, np.ndarray] | None = None,
    *,
    face: np.ndarray | None = None,
    twist_deg: float = 0.0,
    hip_x: float = 0.0,
) -> np.ndarray:
    """33 landmarks (scene coordinates) from segment directions; ``wrists`` None: arms hang."""
    p = np.full((N_LANDMARKS, 3), np.nan)
    hc = np.array([hip_x, hip_height, 0.0])
    t = _unit(trunk)
    sc = hc + TORSO * t
    tw = math.radians(twist_deg)
    across = math.cos(tw) * LEFT + math.sin(tw) * np.cross(t, LEFT)
    for k, sgn in ((0, 1.0), (1, -1.0)):
        hip = hc + sgn * HIP_HALF * LEFT
        _leg(p, hip, k, thighs[k], shanks[k])
        p[11 + k] = sc + sgn * SHOULDER_HALF * _unit(across)
    face = X if face is None else _unit(face)
    head = sc + 0.2 * t
    p[0:11] = head + 0.08 * face
    p[7] = head + 0.07 * LEFT
    p[8] = head - 0.07 * LEFT
    for k in (0, 1):
        sh = p[11 + k]
        wr = sh + np.array([0.0, -0.55, 0.0]) if wrists is None else wrists[k]
        p[13 + k] = (sh + wr) / 2
        for i in (15, 17, 19, 21):
            p[i + k] = wr
    return p


def _ankle_angle(hip_h: float, target_h: float, length: float = THIGH + SHANK) -> float:
    """Elevation of a straight leg from a hip at ``hip_h`` to an ankle at ``target_h``."""
    return math.degrees(math.asin(np.clip((target_h - hip_h) / length, -1, 1)))


def _pair(side: str, working, other):
    return (working, other) if side == "left" else (other, working)


def pose(name: str, side: str = "left", *, support_m: float = 0.30, seat_m: float = 0.45):
    """The landmarks of pose ``name`` (scene coordinates), working leg ``side``.

    Stretches: standing_fold, standing_support (heel on a support ``support_m`` high),
    seated_chair (seat ``seat_m`` high), seated_floor (``side`` = "both" for both legs),
    supine_raise, supine_wall. Not stretches: upright, plank, lunge, squat, twist, seated_twist,
    lying_flat.
    """
    down = direction(-90)
    stand_h = THIGH + SHANK + ANKLE
    if name == "standing_fold":
        return skeleton(stand_h, direction(20), (down, down), (down, down), hip_x=-0.1)
    if name == "upright":
        return skeleton(stand_h, direction(90), (down, down), (down, down))
    if name == "twist":
        return skeleton(stand_h, direction(88), (down, down), (down, down), twist_deg=60)
    if name == "standing_support":
        raised = direction(_ankle_angle(stand_h, support_m + ANKLE))
        return skeleton(stand_h, direction(65), *[_pair(side, raised, down)] * 2)
    if name == "seated_chair":
        h = seat_m + 0.09
        bent = direction(_ankle_angle(h, SHANK + ANKLE, THIGH))
        straight = direction(_ankle_angle(h, ANKLE))
        return skeleton(h, direction(60), _pair(side, straight, bent), _pair(side, straight, down))
    if name in ("seated_floor", "seated_twist"):
        h = 0.10
        flat = direction(_ankle_angle(h, ANKLE))
        if side == "both":
            return skeleton(h, direction(45), (flat, flat), (flat, flat))
        out = 50 if side == "left" else -50  # the bent knee falls outward (left = -Z)
        bent_thigh = direction(-5, -out)
        bent_shank = direction(-5, -out + (150 if out > 0 else -150))
        trunk, twist = (direction(50), 0.0) if name == "seated_floor" else (direction(85), 60.0)
        return skeleton(
            h, trunk, _pair(side, flat, bent_thigh), _pair(side, flat, bent_shank), twist_deg=twist
        )
    if name in ("supine_raise", "supine_wall", "lying_flat"):
        h = 0.10
        flat = direction(0)
        raised = direction(80 if name == "supine_wall" else 70)
        if name == "lying_flat":
            raised = flat
        thighs = shanks = _pair(side, raised, flat)
        p0 = skeleton(h, -X, thighs, shanks, face=Y)
        if name == "supine_raise":  # hands behind the raised knee
            knee = p0[25 if side == "left" else 26]
            wrists = (knee + 0.05 * LEFT, knee - 0.05 * LEFT)
        else:  # arms along the body, on the floor
            wrists = (np.array([0.05, 0.05, -0.25]), np.array([0.05, 0.05, 0.25]))
        return skeleton(h, -X, thighs, shanks, wrists, face=Y)
    if name == "plank":  # prone on straight arms, body straight and inclined 24 degrees
        legs = direction(-24)
        h = ANKLE + (THIGH + SHANK) * math.sin(math.radians(24))
        hands = (np.array([-0.46, 0.0, -0.18]), np.array([-0.46, 0.0, 0.18]))
        return skeleton(h, direction(24, 180), (legs, legs), (legs, legs), hands, face=-Y)
    if name == "lunge":
        h = SHANK + ANKLE
        front_t, front_s = direction(0), down
        back = direction(_ankle_angle(h, 0.12), 180)
        return skeleton(h, direction(85), _pair(side, front_t, back), _pair(side, front_s, back))
    if name == "squat":
        h = 0.42
        thigh = direction(-15)
        shank = direction(-70, 180)
        return skeleton(h, direction(55), (thigh, thigh), (shank, shank))
    raise ValueError(f"unknown pose {name!r}")


def film(
    p: np.ndarray,
    azimuth_deg: float,
    *,
    t_s: float = 0.0,
    distance_m: float = 3.5,
    camera_height_m: float = 0.8,
    focal_px: float = 500.0,
    size: tuple[int, int] = (640, 480),
) -> PoseFrame:
    """``p`` (scene coordinates) seen by a level camera at ``azimuth_deg`` around the body."""
    w, h = size
    a = math.radians(azimuth_deg)
    centre = np.nanmean(p[[11, 12, 23, 24, 27, 28]], axis=0)
    cam = np.array(
        [centre[0] + distance_m * math.cos(a), camera_height_m, distance_m * math.sin(a) * -1.0]
    )
    d = np.array([centre[0] - cam[0], 0.0, centre[2] - cam[2]])
    d = d / np.linalg.norm(d)
    r = np.cross(d, Y)
    rel = p - cam
    xc, yc, zc = rel @ r, -(rel @ Y), rel @ d
    xy = np.column_stack([w / 2 + focal_px * xc / zc, h / 2 + focal_px * yc / zc])
    hip = (p[23] + p[24]) / 2
    zh = float((hip - cam) @ d)
    z = (zc - zh) * focal_px / zh
    q = p - hip
    world = np.column_stack([q @ r, -(q @ Y), q @ d])
    # the far leg is partly hidden behind the near one (MediaPipe's visibility drops)
    vis = np.ones(N_LANDMARKS)
    legs = np.arange(23, 33)
    vis[legs] = np.where(z[legs] > 2.0, 0.7, 0.95)
    return PoseFrame(t_s, w, h, xy, z, vis, vis.copy(), world, None, 1)
