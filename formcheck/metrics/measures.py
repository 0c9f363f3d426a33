"""Per-frame measurements for both legs, from a :class:`formcheck.pose.frame.PoseFrame`.

Angles are measured on the 2D image landmarks in pixels (so the aspect ratio is right): in a
side view that is what a clinician reads off the picture, and MediaPipe's depth is its weakest
coordinate. The same angles from MediaPipe's 3D world landmarks are kept beside them
(``*_3d_deg``), which are the better estimate when the camera is not side-on.

Conventions (shared with the synthetic people's truth files) are in docs/architecture.md.
Per-leg values are arrays of shape ``(2,)`` ordered ``(left, right)`` = :data:`SIDES`.
Anything that cannot be seen is NaN, never 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from formcheck.metrics import geometry as g
from formcheck.metrics.filters import OneEuroFilter
from formcheck.metrics.sides import LegLabelTracker, swap_legs
from formcheck.pose.frame import N_LANDMARKS, PoseFrame

SIDES = ("left", "right")

#: joints that must be inside the picture to judge a hamstring stretch
BODY_JOINTS = (11, 12, 23, 24, 25, 26, 27, 28)


@dataclass(frozen=True)
class MetricsOptions:
    """Settings of the measurement stage (all overridable from TOML / CLI)."""

    min_visibility: float = 0.5  # landmarks below this are treated as unseen (NaN)
    frame_margin: float = 0.02  # a landmark this far (fraction of the size) outside is out
    smooth: bool = True
    # undo MediaPipe's left/right leg swaps (continuity, and the near leg in side views); off
    # by default: on the tuning split (2026-12-02) it turned the working leg from right to
    # wrong on 2 of 10 clips (a back view whose face MediaPipe invents, a supine raise) and
    # fixed none (docs/accuracy.md). metrics/sides.py says what it does and its tests show it.
    fix_leg_swaps: bool = False
    # One Euro on landmarks normalised by the person's size; the values MediaPipe's own legacy
    # pose graph used (pose_landmark_filtering: min_cutoff 0.05, beta 80, derivate_cutoff 1).
    smooth_min_cutoff_hz: float = 0.05
    smooth_beta: float = 80.0
    smooth_d_cutoff_hz: float = 1.0
    side_view_max_deg: float = 30.0  # |yaw - 90| within this = side view
    front_view_max_deg: float = 30.0  # yaw within this = front (or back) view


@dataclass(frozen=True)
class FrameMetrics:
    """What formcheck measures in one frame.

    Attributes
    ----------
    t_s : float
        Frame time, seconds.
    person : bool
        A person was found.
    n_people : int
        How many people MediaPipe found.
    knee_extension_deg, hip_angle_deg, leg_raise_deg : ndarray, shape (2,)
        Per leg (left, right), from the 2D image landmarks, degrees (docs/architecture.md).
    knee_extension_3d_deg, hip_angle_3d_deg : ndarray, shape (2,)
        The same from the 3D world landmarks.
    leg_visibility : ndarray, shape (2,)
        Mean MediaPipe visibility of each leg's hip, knee and ankle.
    trunk_inclination_deg : float
        Hip-mid -> shoulder-mid from vertical; 0 upright, 90 horizontal.
    yaw_deg : float
        Yaw of the body's left-right axis from the image plane, degrees in [0, 90]: 0 = facing
        the camera or facing away (not told apart), 90 = side-on (:func:`body_yaw_deg`).
    view : str or None
        ``"side"``, ``"oblique"`` or ``"front"``; None when nobody was found.
    near_side : str or None
        The leg nearer the camera (side views), from the landmarks' depth and visibility.
    in_frame : bool
        Shoulders, hips, knees and ankles all inside the picture.
    out_of_frame : tuple of str
        Landmark names outside the picture.
    xy : ndarray, shape (33, 2)
        The (smoothed) landmarks the angles were measured on, pixels.
    world : ndarray, shape (33, 3)
        The (smoothed) world landmarks, metres, origin between the hips, y down; NaN where
        unseen.
    legs_swapped : bool
        MediaPipe's leg labels were exchanged in this frame and have been put back
        (:mod:`formcheck.metrics.sides`): every per-leg value above is the true leg's.
    from_behind : bool
        A front or oblique view of the person's back (:func:`seen_from_behind`); False in side
        views, where it is not told.
    """

    t_s: float
    person: bool
    n_people: int
    knee_extension_deg: NDArray[np.float64]
    hip_angle_deg: NDArray[np.float64]
    leg_raise_deg: NDArray[np.float64]
    knee_extension_3d_deg: NDArray[np.float64]
    hip_angle_3d_deg: NDArray[np.float64]
    leg_visibility: NDArray[np.float64]
    trunk_inclination_deg: float
    yaw_deg: float
    view: str | None
    near_side: str | None
    in_frame: bool
    out_of_frame: tuple[str, ...]
    xy: NDArray[np.float64] = field(repr=False)
    world: NDArray[np.float64] = field(repr=False, default_factory=lambda: np.full((33, 3), np.nan))
    legs_swapped: bool = False
    from_behind: bool = False

    def side_value(self, name: str, side: str | None) -> float:
        """Value of a per-leg measure for ``side`` ('left'/'right'), NaN when side is None."""
        if side not in SIDES:
            return math.nan
        return float(getattr(self, name)[SIDES.index(side)])


def _nan2() -> NDArray[np.float64]:
    return np.full(2, np.nan)


def classify_view(yaw_deg: float, opts: MetricsOptions) -> str | None:
    """Return ``"side"``, ``"oblique"`` or ``"front"`` for a yaw in degrees (None for NaN).

    ``yaw_deg`` is :func:`body_yaw_deg`'s, in [0, 90] (0 = facing the camera or away, 90 =
    side-on); a yaw measured from the front up to 180 is read the same way (180 = facing away).
    """
    if not math.isfinite(yaw_deg):
        return None
    if abs(yaw_deg - 90.0) <= opts.side_view_max_deg:
        return "side"
    if yaw_deg <= opts.front_view_max_deg or yaw_deg >= 180.0 - opts.front_view_max_deg:
        return "front"
    return "oblique"


def body_yaw_deg(world: NDArray[np.float64], xy: NDArray[np.float64]) -> float:
    """Yaw of the body's left-right axis relative to the image plane, degrees in [0, 90].

    0 = the hips and shoulders lie across the picture (front or back view), 90 = they point at
    the camera (side view). Uses the world landmarks' left-right vectors (hips and shoulders);
    falls back to the image when the world landmarks are missing. Returns a value in [0, 90]
    which :func:`classify_view` reads (front/back are not distinguished).
    """
    vecs = []
    for a, b in ((g.LEFT_HIP, g.RIGHT_HIP), (g.LEFT_SHOULDER, g.RIGHT_SHOULDER)):
        v = world[a] - world[b]
        if np.isfinite(v).all() and np.linalg.norm(v) > 1e-6:
            vecs.append(v / np.linalg.norm(v))
    if vecs:
        v = np.mean(vecs, axis=0)
        # x is across the picture, z is depth; y (vertical) does not matter for yaw
        return float(np.degrees(np.arctan2(abs(v[2]), abs(v[0]))))
    # fallback: image width of the hips relative to the torso length
    hip_w = np.linalg.norm(xy[g.LEFT_HIP] - xy[g.RIGHT_HIP])
    torso = np.linalg.norm(
        g.midpoint(xy[g.LEFT_HIP], xy[g.RIGHT_HIP])
        - g.midpoint(xy[g.LEFT_SHOULDER], xy[g.RIGHT_SHOULDER])
    )
    if not (np.isfinite(hip_w) and np.isfinite(torso)) or torso <= 0:
        return math.nan
    ratio = min(float(hip_w) / (0.6 * float(torso)), 1.0)  # ~0.6 hip width / torso, facing
    return float(np.degrees(np.arccos(ratio)))


class MetricsComputer:
    """Turns pose frames into :class:`FrameMetrics`, smoothing landmarks over time.

    ``update(pose) -> FrameMetrics``; ``reset()`` forgets the smoothing state (new video,
    subject lost).
    """

    def __init__(self, options: MetricsOptions | None = None) -> None:
        self.options = options or MetricsOptions()
        o = self.options
        self._xy_filter = OneEuroFilter(o.smooth_min_cutoff_hz, o.smooth_beta, o.smooth_d_cutoff_hz)
        self._world_filter = OneEuroFilter(
            o.smooth_min_cutoff_hz, o.smooth_beta, o.smooth_d_cutoff_hz
        )
        self._legs = LegLabelTracker()

    def reset(self) -> None:
        self._xy_filter.reset()
        self._world_filter.reset()
        self._legs.reset()

    def update(self, pose: PoseFrame) -> FrameMetrics:
        o = self.options
        if not pose.person:
            self.reset()
            return empty_metrics(pose.t_s, pose.n_people)
        swapped = o.fix_leg_swaps and self._legs.update(pose)
        if swapped:
            pose = swap_legs(pose)
        w, h = pose.width, pose.height
        vis = np.nan_to_num(pose.visibility, nan=0.0)
        seen = vis >= o.min_visibility
        xy = pose.xy.copy()
        world = pose.world.copy()
        if o.smooth:
            scale = _person_scale(xy)
            if scale > 0:
                xy = self._xy_filter.update(pose.t_s, xy / scale) * scale
            world = self._world_filter.update(pose.t_s, world)
        # which landmarks are outside the picture
        mx, my = o.frame_margin * w, o.frame_margin * h
        outside = (xy[:, 0] < -mx) | (xy[:, 0] > w + mx) | (xy[:, 1] < -my) | (xy[:, 1] > h + my)
        cut = body_cut_at_bottom(pose.mask)
        if cut:
            # MediaPipe invents plausible legs inside the picture when they are cut off below;
            # the mask reaching the bottom edge says so. Feet (and knees when the cut is wide)
            # are then not trusted.
            outside[[27, 28, 29, 30, 31, 32]] = True
            if cut == "wide":
                outside[[25, 26]] = True
        out_names = tuple(g.LANDMARK_NAMES[i] for i in BODY_JOINTS if outside[i])
        usable = seen & ~outside & np.isfinite(xy).all(axis=1)
        p = np.where(usable[:, None], xy, np.nan)
        pw = np.where(usable[:, None], world, np.nan)

        knee, hip, raise_, knee3, hip3, legvis = (_nan2() for _ in range(6))
        sm = g.midpoint(p[g.LEFT_SHOULDER], p[g.RIGHT_SHOULDER])
        hm = g.midpoint(p[g.LEFT_HIP], p[g.RIGHT_HIP])
        # a single visible shoulder/hip still gives the trunk line in side views
        sm = _fallback_mid(sm, p[g.LEFT_SHOULDER], p[g.RIGHT_SHOULDER])
        hm = _fallback_mid(hm, p[g.LEFT_HIP], p[g.RIGHT_HIP])
        am = _fallback_mid(g.midpoint(p[g.LEFT_ANKLE], p[g.RIGHT_ANKLE]), p[27], p[28])
        for k, side in enumerate(SIDES):
            sh, hp, kn, an, _heel, _foot = g.LEG_JOINTS[side]
            knee[k] = g.point_angle(p[hp], p[kn], p[an])
            hip[k] = g.point_angle(p[sh], p[hp], p[kn])
            raise_[k] = g.leg_raise_angle(p[hp], p[an], sm, hm, am)
            knee3[k] = g.point_angle(pw[hp], pw[kn], pw[an])
            hip3[k] = g.point_angle(pw[sh], pw[hp], pw[kn])
            legvis[k] = (float(vis[hp]) + float(vis[kn]) + float(vis[an])) / 3.0  # np.mean's sum
        yaw = body_yaw_deg(pose.world, pose.xy)
        view = classify_view(yaw, o)
        trunk = g.inclination_from_vertical(hm, sm)
        if view in ("front", "oblique"):
            # a lean toward or away from the camera does not tilt the 2D trunk line: in these
            # views take it from the world landmarks (side views keep the picture's angle)
            wsm = _fallback_mid(g.midpoint(pw[11], pw[12]), pw[11], pw[12])
            whm = _fallback_mid(g.midpoint(pw[23], pw[24]), pw[23], pw[24])
            trunk3 = g.inclination_from_vertical_3d(whm, wsm)
            if math.isfinite(trunk3):
                trunk = trunk3
        near = _near_side(pose)
        behind = view in ("front", "oblique") and seen_from_behind(pose.xy, seen)
        return FrameMetrics(
            t_s=pose.t_s,
            person=True,
            n_people=pose.n_people,
            knee_extension_deg=knee,
            hip_angle_deg=hip,
            leg_raise_deg=raise_,
            knee_extension_3d_deg=knee3,
            hip_angle_3d_deg=hip3,
            leg_visibility=legvis,
            trunk_inclination_deg=float(trunk),
            yaw_deg=yaw,
            view=view,
            near_side=near,
            legs_swapped=swapped,
            in_frame=not out_names,
            out_of_frame=out_names,
            xy=xy,
            world=pw,
            from_behind=behind,
        )


#: the shoulders' horizontal order must be this share of their distance apart to count
_BEHIND_MIN_SPREAD = 0.25


def seen_from_behind(xy: NDArray[np.float64], seen: NDArray[np.bool_]) -> bool:
    """Whether the camera sees the person's back: the left shoulder lies to the LEFT of the
    right one in the picture (facing the camera, a person's left is on the picture's right).

    Read from MediaPipe's own labels on the shoulders (their leg labels can be swapped and put
    back, :mod:`formcheck.metrics.sides`; the shoulders never are). Not meaningful side-on,
    where the shoulders overlap. On the tuning split, every front-view frame of the clip filmed
    from behind said so (304 of 304) and none of the clips filmed from the front (0 of 720).
    Both shoulders must be seen, the right one to the right of the left by at least a quarter
    of their distance apart in the picture (a shoulder line seen nearly end-on says nothing).
    """
    ls, rs = xy[g.LEFT_SHOULDER], xy[g.RIGHT_SHOULDER]
    if not (seen[g.LEFT_SHOULDER] and seen[g.RIGHT_SHOULDER]):
        return False
    if not (np.isfinite(ls).all() and np.isfinite(rs).all()):
        return False
    dx = float(rs[0] - ls[0])  # > 0: the right shoulder on the picture's right (from behind)
    span = float(np.hypot(*(rs - ls)))
    return span > 0 and dx > _BEHIND_MIN_SPREAD * span


def body_cut_at_bottom(
    mask: NDArray[np.float32] | None, feet_frac: float = 0.03, wide_frac: float = 0.12
) -> str | None:
    """Whether the person's mask runs off the bottom edge of the picture.

    Returns None (not cut), ``"feet"`` when more than ``feet_frac`` of the bottom rows belong to
    the person, ``"wide"`` when more than ``wide_frac`` do (the legs themselves are cut).
    """
    if mask is None or mask.shape[0] < 8:
        return None
    band = mask[-2:, :] >= 0.5
    frac = float(band.mean())
    if frac > wide_frac:
        return "wide"
    if frac > feet_frac:
        return "feet"
    return None


def _fallback_mid(mid: NDArray[np.float64], a: NDArray[np.float64], b: NDArray[np.float64]):
    if np.isfinite(mid).all():
        return mid
    if np.isfinite(a).all():
        return a
    return b


def _person_scale(xy: NDArray[np.float64]) -> float:
    ok = np.isfinite(xy).all(axis=1)
    if ok.sum() < 2:
        return 0.0
    p = xy[ok]
    return float(max(np.ptp(p[:, 0]), np.ptp(p[:, 1])))


def _near_side(pose: PoseFrame) -> str | None:
    """The leg nearer the camera: smaller MediaPipe depth, ties broken by visibility."""
    left = (g.LEFT_HIP, g.LEFT_KNEE, g.LEFT_ANKLE)
    right = (g.RIGHT_HIP, g.RIGHT_KNEE, g.RIGHT_ANKLE)
    zl, zr = _mean_seen(pose.z, left), _mean_seen(pose.z, right)
    if math.isfinite(zl) and math.isfinite(zr) and abs(zl - zr) > 1e-6:
        return "left" if zl < zr else "right"
    vl, vr = _mean_seen(pose.visibility, left), _mean_seen(pose.visibility, right)
    if math.isfinite(vl) and math.isfinite(vr):
        return "left" if vl >= vr else "right"
    return None


def _mean_seen(values: NDArray[np.float64], indices: tuple[int, ...]) -> float:
    """``np.nanmean(values[indices])`` in plain floats (the same sum, in the same order): the
    mean of those that are not NaN, NaN when none is a number."""
    total, n = 0.0, 0
    for i in indices:
        v = float(values[i])
        if not math.isnan(v):
            total += v
            n += 1
    return total / n if n else math.nan


def empty_metrics(t_s: float, n_people: int = 0) -> FrameMetrics:
    """Metrics of a frame in which nobody was found (all NaN)."""
    return FrameMetrics(
        t_s=t_s,
        person=False,
        n_people=n_people,
        knee_extension_deg=_nan2(),
        hip_angle_deg=_nan2(),
        leg_raise_deg=_nan2(),
        knee_extension_3d_deg=_nan2(),
        hip_angle_3d_deg=_nan2(),
        leg_visibility=_nan2(),
        trunk_inclination_deg=math.nan,
        yaw_deg=math.nan,
        view=None,
        near_side=None,
        in_frame=False,
        out_of_frame=(),
        xy=np.full((N_LANDMARKS, 2), np.nan),
    )
