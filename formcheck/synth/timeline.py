"""From a spec's timeline to one pose and one set of labels per frame.

Each segment moves the body from where the previous one ended to its target pose with a cosine
ease (through a crouch when the body goes between standing and the floor or a chair), then
holds it. Faults: ``back_rounding`` and ``knee_bent`` are target poses; ``bouncing`` adds a
1.5 Hz, 7 degree oscillation of the stretch's hip angle; ``out_of_frame`` slides the person
sideways out of the picture (``BodyPose.frame_shift``, resolved by the renderer). ``arrive``
walks into the picture along the same line ``away`` walks out on, then turns to stand.
``params.fidget`` (0..1) adds small shifts while still (:class:`formcheck.synth.extras.Fidget`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from formcheck.synth.extras import Fidget
from formcheck.synth.pose import BodyPose, ease, interpolate
from formcheck.synth.spec import Segment, Spec
from formcheck.synth.stretch_poses import (
    BodyMeasures,
    bounce_pose,
    squat_pose,
    stretch_pose,
    walk_pose,
)

BOUNCE_HZ = 1.5
BOUNCE_DEG = 7.0
WALK_SPEED_M_S = 1.1
ARRIVE_TURN_S = 0.8  # ``arrive``: the last this many seconds turn from walking to standing
#: phases in which the person keeps still (fidgeting happens in these)
STILL_PHASES = ("stand", "hold", "rest")


@dataclass(frozen=True)
class FrameState:
    """One frame of the timeline: the pose and the truth labels (see docs/architecture.md)."""

    i: int
    t_s: float
    pose: BodyPose
    phase: str
    stretch: str | None
    side: str | None
    fault: str | None


def _state_of(phase: str) -> str:
    return {
        "arrive": "stand",
        "stand": "stand",
        "enter": "hold",
        "hold": "hold",
        "release": "rest",
        "rest": "rest",
        "switch": "setup",
        "away": "stand",
    }[phase]


def _ease_s(seg: Segment, first: bool) -> float:
    if first or seg.phase == "arrive":
        return 0.0
    if seg.phase in ("enter", "release", "switch"):
        return seg.duration_s
    if seg.phase == "away":
        return min(1.5, 0.4 * seg.duration_s)
    return min(1.2, 0.5 * seg.duration_s)


def _is_up(pose: BodyPose) -> bool:
    return (
        abs(pose.body_pitch_deg) < 30
        and max(pose.thigh_deg) < 45
        and min(pose.knee_flexion_deg) < 60
    )


def _vias(stretch: str, a: BodyPose, b: BodyPose, m: BodyMeasures) -> list[BodyPose]:
    """Poses to pass through between ``a`` and ``b`` (crouch between standing and sitting)."""
    down_there = ("seated_floor", "seated_chair", "supine_raise", "supine_wall")
    if stretch in down_there and _is_up(a) != _is_up(b):
        squat = squat_pose(m)
        if stretch == "seated_chair":
            squat = squat.replace(
                root_forward_m=0.12, thigh_deg=(75.0, 75.0), knee_flexion_deg=(85.0, 85.0)
            )
        steps = [squat]
        if stretch.startswith("supine"):
            steps.append(stretch_pose("seated_floor", "rest", None, m))
        return steps if _is_up(a) else steps[::-1]
    if stretch == "standing_support":
        lifted = [max(x, y) for x, y in zip(a.thigh_deg, b.thigh_deg, strict=True)]
        if (
            max(lifted) > 30
            and abs(a.thigh_deg[0] - b.thigh_deg[0]) + abs(a.thigh_deg[1] - b.thigh_deg[1]) > 30
        ):
            knee = tuple(90.0 if t > 30 else 2.0 for t in lifted)
            return [interpolate(a, b, 0.5).replace(thigh_deg=tuple(lifted), knee_flexion_deg=knee)]
    return []


def _chain(poses: list[BodyPose], w: float) -> BodyPose:
    """Piecewise interpolation through ``poses`` (equal time each) at overall weight ``w``."""
    if len(poses) == 1:
        return poses[0]
    n = len(poses) - 1
    x = min(max(w, 0.0), 1.0) * n
    k = min(int(x), n - 1)
    return interpolate(poses[k], poses[k + 1], ease(x - k))


def build_frames(
    spec: Spec, m: BodyMeasures, walk_heading_deg: float = 0.0, t_list: list[float] | None = None
) -> list[FrameState]:
    """The pose and labels of every frame (or of the frames at ``t_list``)."""
    seg_start = []
    t = 0.0
    targets: list[BodyPose] = []
    starts: list[BodyPose] = []
    prev: BodyPose | None = None
    for k, seg in enumerate(spec.timeline):
        seg_start.append(t)
        params = {**spec.params, **(seg.params or {})}
        side = seg.side
        if seg.phase in ("arrive", "stand", "away"):
            side = None
        fault = seg.fault if seg.fault in ("back_rounding", "knee_bent") else None
        state = _state_of(seg.phase)
        if seg.phase == "rest" and k > 0:
            side = spec.timeline[k - 1].side
        target = stretch_pose(spec.stretch, state, side, m, fault, params)
        if seg.fault == "out_of_frame":
            target = target.replace(frame_shift=1.0)
        starts.append(prev if prev is not None else target)
        targets.append(target)
        prev = target
        t += seg.duration_s
    if t_list is None:
        n = spec.frame_count
        t_list = [i / spec.fps for i in range(n)]
    # fidgeting: on in each run of still segments, faded in over 1 s after the run has eased
    # in, and out over the last 0.5 s (the next movement starts from the plain target pose)
    runs: list[tuple[float, float]] = []
    for j, seg in enumerate(spec.timeline):
        if seg.phase not in STILL_PHASES:
            runs.append((math.inf, -math.inf))
        elif j and spec.timeline[j - 1].phase in STILL_PHASES:
            runs.append(runs[-1])
        else:
            start = seg_start[j] + _ease_s(seg, j == 0)
            end = seg_start[j] + seg.duration_s
            for nxt in spec.timeline[j + 1 :]:
                if nxt.phase not in STILL_PHASES:
                    break
                end += nxt.duration_s
            runs.append((start, end))
    frames = []
    for i, ts in enumerate(t_list):
        k = len(spec.timeline) - 1
        for j in range(len(spec.timeline)):
            if ts < seg_start[j] + spec.timeline[j].duration_s or j == len(spec.timeline) - 1:
                k = j
                break
        seg = spec.timeline[k]
        local = ts - seg_start[k]
        e = _ease_s(seg, k == 0)
        w = 1.0 if e <= 0 else min(local / e, 1.0)
        a, b = starts[k], targets[k]
        chain = [a, *_vias(spec.stretch, a, b, m), b]
        pose = _chain(chain, w) if len(chain) > 2 else interpolate(a, b, ease(w))
        fault = seg.fault
        if seg.phase == "arrive":
            walk_s = max(0.0, seg.duration_s - ARRIVE_TURN_S)
            if local < walk_s:
                left = WALK_SPEED_M_S * (walk_s - local)
                pose = walk_pose(local, -left, walk_heading_deg)
            else:
                walking = walk_pose(walk_s, 0.0, walk_heading_deg)
                turn = ease(min((local - walk_s) / ARRIVE_TURN_S, 1.0))
                pose = interpolate(walking, b, turn)
        if seg.phase == "away":
            walk_t = max(0.0, local - e)
            if walk_t > 0:
                turn = ease(min(walk_t / 0.6, 1.0))
                walked = WALK_SPEED_M_S * max(0.0, walk_t - 0.3)
                walking = walk_pose(walk_t, walked, walk_heading_deg)
                pose = interpolate(pose, walking, turn).replace(
                    heading_deg=turn * walk_heading_deg, walk_m=walked
                )
        if fault == "bouncing":
            ramp = min(local / 0.5, 1.0)
            offset = ramp * BOUNCE_DEG * math.sin(2 * math.pi * BOUNCE_HZ * local)
            pose = bounce_pose(pose, spec.stretch, seg.side, offset)
        elif (fault == "out_of_frame" and pose.frame_shift < 0.5) or (
            fault in ("back_rounding", "knee_bent") and w < 0.5
        ):
            fault = None  # not acted out enough yet
        params = {**spec.params, **(seg.params or {})}
        amp = float(params.get("fidget", 0.0))
        if amp > 0 and seg.phase in STILL_PHASES:
            lo, hi = runs[k]
            weight = min(max((ts - lo) / 1.0, 0.0), 1.0, max((hi - ts) / 0.5, 0.0))
            pose = Fidget(amp, spec.seed).apply(pose, ts, weight)
        if seg.phase in ("arrive", "stand", "away", "rest"):
            stretch, side = None, None
        else:
            stretch, side = spec.stretch, seg.side
        frames.append(FrameState(i, ts, pose, seg.phase, stretch, side, fault))
    return frames
