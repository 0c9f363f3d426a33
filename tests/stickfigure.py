"""Synthetic side-view stick figures with known angles, as :class:`PoseFrame` objects.

The figure faces +x in the image (y down). Segment directions are given in degrees:

- ``trunk_deg``: hip->shoulder from the upward vertical, + leaning forward (toward +x);
  -90 = lying on the back with the head toward -x.
- ``thigh_deg`` / ``shank_deg`` per leg: hip->knee and knee->ankle from the downward vertical,
  + forward (toward +x); 90 = horizontal forward, 180 = straight up.

So for a leg, knee extension = 180 - |thigh - shank|, and the hip angle = 180 - |trunk + thigh|
(trunk measured from up, thigh from down; e.g. lying flat: trunk -90, thigh 90 -> 180).
"""

from __future__ import annotations

import math

import numpy as np

from formcheck.pose.frame import N_LANDMARKS, PoseFrame

TORSO = 100.0
THIGH = 90.0
SHANK = 85.0


def _dir_down(deg: float) -> np.ndarray:
    r = math.radians(deg)
    return np.array([math.sin(r), math.cos(r)])


def _dir_up(deg: float) -> np.ndarray:
    r = math.radians(deg)
    return np.array([math.sin(r), -math.cos(r)])


def figure(
    *,
    hip=(320.0, 300.0),
    trunk_deg: float = 0.0,
    thigh_deg: tuple[float, float] = (0.0, 0.0),  # (left, right)
    shank_deg: tuple[float, float] | None = None,
    wrist=None,  # (x, y) for both wrists, default: hanging from the shoulders
    t_s: float = 0.0,
    width: int = 640,
    height: int = 480,
    near: str = "left",
    n_people: int = 1,
) -> PoseFrame:
    shank_deg = shank_deg or thigh_deg
    h = np.array(hip, float)
    xy = np.full((N_LANDMARKS, 2), np.nan)
    sh = h + TORSO * _dir_up(trunk_deg)
    head = sh + 0.45 * TORSO * _dir_up(trunk_deg) + 0.15 * TORSO * _dir_up(trunk_deg + 90)
    for i in range(0, 11):
        xy[i] = head
    xy[7] = xy[8] = head - 0.1 * TORSO * _dir_up(trunk_deg + 90)  # ears behind the nose
    xy[11] = xy[12] = sh
    xy[23] = xy[24] = h
    if wrist is None:
        elbow = sh + 0.4 * TORSO * _dir_down(0)
        wr = elbow + 0.4 * TORSO * _dir_down(0)
    else:
        wr = np.array(wrist, float)
        elbow = (sh + wr) / 2
    xy[13] = xy[14] = elbow
    for i in (15, 16, 17, 18, 19, 20, 21, 22):
        xy[i] = wr
    for k, (_hip_i, knee_i, ankle_i, heel_i, foot_i) in enumerate(
        ((23, 25, 27, 29, 31), (24, 26, 28, 30, 32))
    ):
        kn = h + THIGH * _dir_down(thigh_deg[k])
        an = kn + SHANK * _dir_down(shank_deg[k])
        xy[knee_i] = kn
        xy[ankle_i] = an
        xy[heel_i] = an + 0.1 * SHANK * _dir_down(shank_deg[k])
        xy[foot_i] = an + 0.2 * SHANK * _dir_down(shank_deg[k] - 90)
    # depth: the near side of the body is nearer the camera (smaller z)
    z = np.zeros(N_LANDMARKS)
    left = [1, 2, 3, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31]
    right = [4, 5, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32]
    sgn = -1.0 if near == "left" else 1.0
    z[left] = sgn * 20.0
    z[right] = -sgn * 20.0
    world = np.zeros((N_LANDMARKS, 3))
    world[:, :2] = (xy - h) / 200.0
    world[:, 2] = z / 200.0
    vis = np.ones(N_LANDMARKS)
    return PoseFrame(t_s, width, height, xy, z, vis, vis.copy(), world, None, n_people)


def knee_ext(thigh: float, shank: float) -> float:
    return 180.0 - abs(thigh - shank)


def hip_angle(trunk: float, thigh: float) -> float:
    a = abs(trunk + thigh) % 360.0
    return 180.0 - (a if a <= 180.0 else 360.0 - a)
