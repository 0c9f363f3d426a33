"""The stretch catalogue acted out: the :class:`~formcheck.synth.pose.BodyPose` of every
stretch in each of its states, with a form fault on demand, and the motions between them.

:func:`stretch_pose` gives the pose of a stretch in a state (``stand``, ``setup``, ``hold``,
``rest``), fitted to the body's :class:`BodyMeasures`; :func:`bounce_pose`, :func:`walk_pose`
and :func:`squat_pose` are the motions the timeline adds. Angle signs are those of
:mod:`formcheck.synth.pose`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from formcheck.synth.pose import LEFT, RIGHT, BodyPose
from formcheck.synth.skeleton import Skeleton


def _pair(v: float) -> tuple[float, float]:
    return (float(v), float(v))


@dataclass(frozen=True)
class BodyMeasures:
    """Lengths of the body that the stretch poses are fitted to (metres)."""

    thigh_m: float
    shank_m: float
    hip_height_m: float
    sole_drop_m: float

    @classmethod
    def of(cls, sk: Skeleton) -> BodyMeasures:
        thigh = 0.5 * (
            sk.length("upperleg01.L", "lowerleg01.L") + sk.length("upperleg01.R", "lowerleg01.R")
        )
        shank = 0.5 * (sk.length("lowerleg01.L", "foot.L") + sk.length("lowerleg01.R", "foot.R"))
        hip_h = float(sk.head("upperleg01.L")[2] - sk.head("foot.L")[2]) + sk.sole_drop_m
        return cls(thigh, shank, hip_h, sk.sole_drop_m)


def _legs(side: str | None, working, other) -> tuple:
    """(left, right) from the working leg's and the other leg's value."""
    if side == "right":
        return (other, working)
    if side == "left":
        return (working, other)
    return (working, working)


def support_leg_angle(m: BodyMeasures, box_height_m: float) -> float:
    """Thigh angle that puts the straight leg's heel on a box of that height."""
    leg = m.thigh_m + m.shank_m
    ankle_h = box_height_m + 0.8 * m.sole_drop_m
    return math.degrees(math.acos(np.clip((m.hip_height_m - ankle_h) / leg, -1.0, 1.0)))


def chair_leg_angle(m: BodyMeasures) -> float:
    """Thigh angle that puts the straight leg's heel on the floor, sitting with shins vertical."""
    leg = m.thigh_m + m.shank_m
    drop = m.shank_m - 0.2 * m.sole_drop_m
    return 90.0 - math.degrees(math.asin(np.clip(drop / leg, -1.0, 1.0)))


STANDING = BodyPose()


def stretch_pose(
    stretch: str,
    state: str,
    side: str | None,
    m: BodyMeasures,
    fault: str | None = None,
    params: dict | None = None,
) -> BodyPose:
    """The pose of a stretch in a state (see :func:`_stretch_pose`), with the person's habit.

    ``params["lumbar_offset_deg"]`` (a posture habit, degrees, default 0) is added to the lumbar
    flexion of every state: negative = a strong lordosis, positive = a back that is always a
    little rounded.
    """
    pose = _stretch_pose(stretch, state, side, m, fault, params)
    offset = float((params or {}).get("lumbar_offset_deg", 0.0))
    if offset:
        pose = pose.replace(lumbar_flexion_deg=pose.lumbar_flexion_deg + offset)
    return pose


def _stretch_pose(
    stretch: str,
    state: str,
    side: str | None,
    m: BodyMeasures,
    fault: str | None = None,
    params: dict | None = None,
) -> BodyPose:
    """The pose of a stretch in a state.

    Parameters
    ----------
    stretch : str
        One of :data:`STRETCHES`.
    state : str
        ``stand`` (upright, before/after), ``setup`` (in position, not yet stretching),
        ``hold`` (the stretch), ``rest`` (between sides).
    side : str or None
        Working leg: ``left``, ``right`` or ``both``/None for two legs at once.
    fault : str or None
        Form fault acted out in ``hold``: ``back_rounding`` or ``knee_bent`` (``bouncing`` and
        ``out_of_frame`` are motions added by the timeline).
    params : dict
        Optional tweaks: ``hinge_deg`` (forward lean of the pelvis in the hold), ``box_height_m``,
        ``hands`` (``strap`` or ``behind_knee`` for supine_raise), ``raise_deg``.
    """
    p = params or {}
    s = None if side in (None, "both") else side
    hinge = float(
        p.get(
            "hinge_deg",
            {
                "standing_fold": 70,
                "standing_support": 30,
                "seated_floor": 35,
                "seated_chair": 25,
            }.get(stretch, 0),
        )
    )
    if state == "stand":
        pose = STANDING
        if stretch == "seated_chair":
            pose = pose.replace(root_forward_m=0.32)
        return pose

    if stretch == "standing_fold":
        if state in ("setup", "rest"):
            return STANDING
        pose = BodyPose(
            pelvis_pitch_deg=hinge,
            knee_flexion_deg=_pair(8),
            lumbar_flexion_deg=10,
            thoracic_flexion_deg=10,
            neck_flexion_deg=20,
            arms={"hang": 1.0},
        )
        if fault == "back_rounding":
            pose = pose.replace(
                pelvis_pitch_deg=hinge - 22,
                lumbar_flexion_deg=45,
                thoracic_flexion_deg=25,
                neck_flexion_deg=30,
            )
        elif fault == "knee_bent":
            pose = pose.replace(thigh_deg=_pair(18), knee_flexion_deg=_pair(38))
        return pose

    if stretch == "standing_support":
        if state == "rest":
            return STANDING
        box = float(p.get("box_height_m", 0.55 * m.hip_height_m))
        up = support_leg_angle(m, box)
        pose = BodyPose(
            thigh_deg=_legs(s or "left", up, 0.0),
            knee_flexion_deg=_legs(s or "left", 2.0, 2.0),
            ankle_dorsiflexion_deg=_legs(s or "left", 15.0, 0.0),
            pelvis_pitch_deg=5.0,
            lumbar_flexion_deg=-3,
            arms={"thighs": 1.0},
            arm_leg=s or "left",
        )
        if state == "setup":
            return pose
        pose = pose.replace(pelvis_pitch_deg=hinge, lumbar_flexion_deg=-6, neck_flexion_deg=-5)
        if fault == "back_rounding":
            pose = pose.replace(
                pelvis_pitch_deg=hinge - 15,
                lumbar_flexion_deg=38,
                thoracic_flexion_deg=25,
                neck_flexion_deg=15,
                arms={"shins": 1.0},
                arm_reach=0.75,
            )
        elif fault == "knee_bent":
            pose = pose.replace(
                thigh_deg=_legs(s or "left", up + 12, 0.0),
                knee_flexion_deg=_legs(s or "left", 32.0, 2.0),
            )
        return pose

    if stretch == "seated_floor":
        other_thigh, other_knee = (90.0, 125.0) if s else (90.0, 3.0)
        pose = BodyPose(
            thigh_deg=_legs(s, 90.0, other_thigh),
            knee_flexion_deg=_legs(s, 3.0, other_knee),
            hip_abduction_deg=_legs(s, 3.0, 35.0 if s else 3.0),
            hip_rotation_deg=_legs(s, 0.0, 75.0 if s else 0.0),
            ankle_dorsiflexion_deg=_legs(s, 5.0, 0.0),
            lumbar_flexion_deg=3,
            arms={"sides": 1.0},
            contact={"lowest": 1.0},
            arm_leg=s or "both",
        )
        if state in ("setup", "rest"):
            return pose
        pose = pose.replace(
            pelvis_pitch_deg=hinge,
            lumbar_flexion_deg=6,
            thoracic_flexion_deg=8,
            neck_flexion_deg=10,
            arms={"shins": 1.0},
            arm_reach=0.55,
        )
        if fault == "back_rounding":
            pose = pose.replace(
                pelvis_pitch_deg=hinge - 22,
                lumbar_flexion_deg=42,
                thoracic_flexion_deg=28,
                neck_flexion_deg=25,
                arm_reach=0.95,
            )
        elif fault == "knee_bent":
            pose = pose.replace(
                thigh_deg=_legs(s, 105.0, other_thigh),
                knee_flexion_deg=_legs(s, 32.0, other_knee),
            )
        return pose

    if stretch == "seated_chair":
        straight = chair_leg_angle(m)
        pose = BodyPose(
            thigh_deg=_pair(90.0),
            knee_flexion_deg=_pair(90.0),
            arms={"thighs": 1.0},
            arm_leg="both",
        )
        if state == "rest":
            return pose
        pose = pose.replace(
            thigh_deg=_legs(s or "left", straight, 90.0),
            knee_flexion_deg=_legs(s or "left", 3.0, 90.0),
            ankle_dorsiflexion_deg=_legs(s or "left", 20.0, 0.0),
            arm_leg=s or "left",
        )
        if state == "setup":
            return pose
        pose = pose.replace(pelvis_pitch_deg=hinge, lumbar_flexion_deg=-4)
        if fault == "back_rounding":
            pose = pose.replace(
                pelvis_pitch_deg=hinge - 18,
                lumbar_flexion_deg=38,
                thoracic_flexion_deg=22,
                neck_flexion_deg=18,
                arms={"shins": 1.0},
                arm_reach=0.45,
            )
        elif fault == "knee_bent":
            pose = pose.replace(
                thigh_deg=_legs(s or "left", straight + 8, 90.0),
                knee_flexion_deg=_legs(s or "left", 35.0, 90.0),
            )
        return pose

    if stretch == "supine_raise":
        lying = BodyPose(
            body_pitch_deg=-90.0,
            knee_flexion_deg=_pair(2.0),
            arms={"sides": 1.0},
            contact={"lowest": 1.0},
        )
        if state == "rest":
            return lying
        hands = p.get("hands", "strap")
        up = float(p.get("raise_deg", 75.0))
        if state == "setup":
            return lying.replace(
                thigh_deg=_legs(s or "left", 105.0, 0.0),
                knee_flexion_deg=_legs(s or "left", 110.0, 2.0),
                arms={"behind_knee": 1.0},
                arm_leg=s or "left",
            )
        pose = lying.replace(
            thigh_deg=_legs(s or "left", up, 0.0),
            knee_flexion_deg=_legs(s or "left", 6.0, 2.0),
            ankle_dorsiflexion_deg=_legs(s or "left", 10.0, 0.0),
            arms={hands: 1.0},
            arm_leg=s or "left",
        )
        if hands == "behind_knee":
            pose = pose.replace(thoracic_flexion_deg=18, neck_flexion_deg=15)
        if fault == "back_rounding":
            pose = pose.replace(pelvis_pitch_deg=-22, lumbar_flexion_deg=22)
        elif fault == "knee_bent":
            pose = pose.replace(
                thigh_deg=_legs(s or "left", up + 10, 0.0),
                knee_flexion_deg=_legs(s or "left", 42.0, 2.0),
            )
        return pose

    if stretch == "supine_wall":
        lying = BodyPose(
            body_pitch_deg=-90.0,
            knee_flexion_deg=_pair(2.0),
            arms={"sides": 1.0},
            contact={"lowest": 1.0},
        )
        lateral = 0.4 if s == "right" else -0.4
        pose = lying.replace(
            thigh_deg=_legs(s or "left", 72.0, 0.0),
            knee_flexion_deg=_legs(s or "left", 65.0, 2.0),
            lateral_m=lateral,
            arm_leg=s or "left",
        )
        if state in ("setup", "rest"):
            return pose
        pose = pose.replace(
            thigh_deg=_legs(s or "left", 88.0, 0.0),
            knee_flexion_deg=_legs(s or "left", 4.0, 2.0),
            ankle_dorsiflexion_deg=_legs(s or "left", 5.0, 0.0),
        )
        if fault == "back_rounding":
            pose = pose.replace(pelvis_pitch_deg=-18, lumbar_flexion_deg=18)
        elif fault == "knee_bent":
            pose = pose.replace(knee_flexion_deg=_legs(s or "left", 38.0, 2.0))
        return pose

    raise ValueError(f"unknown stretch {stretch!r}")


def bounce_pose(pose: BodyPose, stretch: str, side: str | None, offset_deg: float) -> BodyPose:
    """The pose with the stretch angle moved by ``offset_deg`` (hip angle oscillation)."""
    if stretch.startswith("supine"):
        k = RIGHT if side == "right" else LEFT
        thigh = list(pose.thigh_deg)
        thigh[k] += offset_deg
        return pose.replace(thigh_deg=tuple(thigh))
    return pose.replace(pelvis_pitch_deg=pose.pelvis_pitch_deg + offset_deg)


def walk_pose(t_s: float, walked_m: float, heading_deg: float) -> BodyPose:
    """Walking: legs and arms swing at ~0.9 strides per second."""
    ph = 2 * math.pi * 0.9 * t_s
    swing = 25.0 * math.sin(ph)
    return BodyPose(
        thigh_deg=(swing, -swing),
        knee_flexion_deg=(
            5 + 30 * max(0.0, -math.sin(ph + 0.6)),
            5 + 30 * max(0.0, math.sin(ph + 0.6)),
        ),
        arms={"swing": 1.0},
        swing_deg=-0.8 * swing,
        heading_deg=heading_deg,
        walk_m=walked_m,
    )


def squat_pose(m: BodyMeasures) -> BodyPose:
    """Crouched half way down: the way between standing and sitting."""
    return BodyPose(
        thigh_deg=_pair(95.0),
        knee_flexion_deg=_pair(115.0),
        pelvis_pitch_deg=30.0,
        lumbar_flexion_deg=10.0,
        arms={"thighs": 1.0},
        contact={"feet": 1.0},
    )
