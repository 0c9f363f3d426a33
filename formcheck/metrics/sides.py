"""Left and right legs that survive MediaPipe's label swaps.

In side views MediaPipe now and then labels the near leg "left" and the far leg "right" when it is
the other way round, for a few frames or for a whole clip. The body did not move: only the labels
did. Two cues undo it, both free of the labels themselves:

- **continuity**: between two frames a few hundredths of a second apart, each leg stays where it
  was. When the leg labelled left now lies where the right leg was, and the right where the left
  was, while keeping the labels would need both legs to jump, the labels swapped;
- **which leg is near the camera**: the way the person faces (nose ahead of the ears) and the
  way the trunk points (hips to shoulders) say which side of the body is toward the camera in a
  side view (left = up x forward); the depth of the legs (MediaPipe's ``z``) and their
  visibility (the far leg is partly hidden) say which labelled leg is near. When both say the
  labelled near leg is on the side turned away, for ``anchor_s`` seconds running, the labels are
  swapped.

:class:`LegLabelTracker` keeps the swap state over time (``update(pose) -> swapped``, ``reset()``),
and :func:`swap_legs` exchanges the two legs' landmarks (hips to toes) of a pose frame.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from numpy.typing import NDArray

from formcheck.pose.frame import PoseFrame

#: (left, right) landmark pairs of the legs: hips, knees, ankles, heels, toes
LEG_PAIRS = ((23, 24), (25, 26), (27, 28), (29, 30), (31, 32))
_LEFT = [a for a, _ in LEG_PAIRS]
_RIGHT = [b for _, b in LEG_PAIRS]
_TRACKED_LEFT = [25, 27, 29, 31]  # knees down: the hips sit together in a side view
_TRACKED_RIGHT = [26, 28, 30, 32]


def swap_legs(pose: PoseFrame) -> PoseFrame:
    """``pose`` with the left and right legs' landmarks (hips to toes) exchanged."""
    order = np.arange(len(pose.xy))
    order[_LEFT], order[_RIGHT] = _RIGHT, _LEFT
    return dataclasses.replace(
        pose,
        xy=pose.xy[order],
        z=pose.z[order],
        visibility=pose.visibility[order],
        presence=pose.presence[order],
        world=pose.world[order],
    )


def facing_left_away(xy: NDArray[np.float64]) -> float:
    """Which side of the body faces away from the camera, from label-free image cues.

    Returns the z component of left = up x forward (image axes: x right, y down, z away), with
    up = hip-mid -> shoulder-mid and forward = ear-mid -> nose, both normalised: about +1 when
    the left side is away (the right leg near), -1 when it is near, near 0 in front views or
    when the face is not seen; NaN when not measurable.
    """
    sm, hm, em = _mid(xy, 11, 12), _mid(xy, 23, 24), _mid(xy, 7, 8)
    up, fwd = sm - hm, xy[0] - em
    nu, nf = float(np.linalg.norm(up)), float(np.linalg.norm(fwd))
    if not (math.isfinite(nu) and math.isfinite(nf)) or nu < 1e-6 or nf < 1e-6:
        return math.nan
    return float((up[0] * fwd[1] - up[1] * fwd[0]) / (nu * nf))


class LegLabelTracker:
    """Decides, frame by frame, whether MediaPipe's leg labels are swapped.

    ``update(pose) -> bool`` (True: exchange the legs of this frame, :func:`swap_legs`);
    ``reset()``. Time comes from the frame timestamps, in seconds.

    Parameters
    ----------
    max_gap_s : float
        Frames further apart than this are not compared for continuity.
    jump_torso : float
        Keeping the labels must move the legs at least this far (mean of both legs, torso
        lengths, between two frames) before a swap is considered.
    cross_ratio : float
        ... and the swapped reading must need less than this fraction of that movement.
    anchor_s : float
        Near-leg evidence (side views) must disagree with the labels this long to swap them.
    min_facing : float
        :func:`facing_left_away` must be at least this far from 0 to count (side-on).
    min_depth_torso : float
        The legs' depth difference (MediaPipe z, torso lengths) that counts as one being near.
    min_visibility_gap : float
        ... and the near leg's visibility must exceed the far one's by this much (occlusion: the
        two cues of "near" must agree before the labels are doubted).
    """

    def __init__(
        self,
        max_gap_s: float = 0.25,
        jump_torso: float = 0.2,
        cross_ratio: float = 0.5,
        anchor_s: float = 1.0,
        min_facing: float = 0.6,
        min_depth_torso: float = 0.08,
        min_visibility_gap: float = 0.1,
    ) -> None:
        self.max_gap_s = max_gap_s
        self.jump_torso = jump_torso
        self.cross_ratio = cross_ratio
        self.anchor_s = anchor_s
        self.min_facing = min_facing
        self.min_depth_torso = min_depth_torso
        self.min_visibility_gap = min_visibility_gap
        self.reset()

    def reset(self) -> None:
        self.swapped = False
        self._prev: tuple[float, NDArray[np.float64], NDArray[np.float64]] | None = None
        self._disagree_since: float | None = None

    def update(self, pose: PoseFrame) -> bool:
        xy = pose.xy
        torso = _torso(xy)
        if not math.isfinite(torso) or torso <= 0:
            return self.swapped
        left, right = xy[_TRACKED_LEFT], xy[_TRACKED_RIGHT]
        if self.swapped:
            left, right = right, left
        # continuity: did the labels jump between the legs since the last frame?
        if self._prev is not None and pose.t_s - self._prev[0] <= self.max_gap_s:
            _, pl, pr = self._prev
            keep = _dist(left, pl) + _dist(right, pr)
            cross = _dist(left, pr) + _dist(right, pl)
            if keep > 2 * self.jump_torso * torso and cross < self.cross_ratio * keep:
                self.swapped = not self.swapped
                left, right = right, left
                self._disagree_since = None
        self._prev = (pose.t_s, left.copy(), right.copy())
        # anchor: the near leg (depth) against the side the body turns to the camera
        verdict = self._near_leg_agrees(pose, torso)
        if verdict is False:
            if self._disagree_since is None:
                self._disagree_since = pose.t_s
            elif pose.t_s - self._disagree_since >= self.anchor_s:
                self.swapped = not self.swapped
                self._disagree_since = None
                self._prev = (pose.t_s, right.copy(), left.copy())
        else:
            self._disagree_since = None
        return self.swapped

    def _near_leg_agrees(self, pose: PoseFrame, torso: float) -> bool | None:
        """True / False: the labelled near leg is / is not the one the body turns to the
        camera; None: no evidence (not side-on, face unseen, legs at the same depth)."""
        facing = facing_left_away(pose.xy)
        if not math.isfinite(facing) or abs(facing) < self.min_facing:
            return None
        zl, zr = _mean(pose.z[[25, 27]]), _mean(pose.z[[26, 28]])
        if not (math.isfinite(zl) and math.isfinite(zr)):
            return None
        if abs(zl - zr) < self.min_depth_torso * torso:
            return None
        left_near = zl < zr
        # the far leg is partly hidden: its visibility must say the same as the depth
        vl, vr = _mean(pose.visibility[[25, 27, 29]]), _mean(pose.visibility[[26, 28, 30]])
        if not (math.isfinite(vl) and math.isfinite(vr)):
            return None
        if (vl - vr if left_near else vr - vl) < self.min_visibility_gap:
            return None
        if self.swapped:
            left_near = not left_near
        return left_near == (facing < 0)


def _mean(v: NDArray[np.float64]) -> float:
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else math.nan


def _mid(xy: NDArray[np.float64], a: int, b: int) -> NDArray[np.float64]:
    """The mean of two landmarks (either one when the other is unseen; NaN when neither)."""
    rows = xy[[a, b]]
    rows = rows[np.isfinite(rows).all(axis=1)]
    return rows.mean(axis=0) if len(rows) else np.full(xy.shape[1], np.nan)


def _torso(xy: NDArray[np.float64]) -> float:
    return float(np.linalg.norm(_mid(xy, 11, 12) - _mid(xy, 23, 24)))


def _dist(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    d = np.linalg.norm(a - b, axis=1)
    d = d[np.isfinite(d)]
    return float(d.mean()) if d.size else math.nan
