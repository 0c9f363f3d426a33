"""Body poses in clinically meaningful angles, and the skeleton posed from them.

A :class:`BodyPose` says how the body is placed (upright or lying) and how each joint is bent;
:func:`pose_skeleton` turns it into bone rotations and posed joints (body frame, see
:mod:`formcheck.synth.skeleton`). :mod:`formcheck.synth.stretch_poses` acts out the stretch
catalogue with them.

Angle signs (degrees): positive ``pelvis_pitch_deg`` tips the trunk forward over the hips;
positive ``thigh_deg`` swings the thigh forward (0 = along the body, 90 = at right angles);
positive ``knee_flexion_deg`` bends the knee; positive ``lumbar_flexion_deg`` rounds the lower
back (0 = Anny's neutral standing curve); ``body_pitch_deg`` = -90 lays the whole body on its back.
The clinical hip flexion of a leg is ``thigh_deg + pelvis_pitch_deg``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from formcheck.stretches.catalogue import STRETCH_IDS
from formcheck.synth.skeleton import (
    LUMBAR_SHARES,
    SIDES,
    PosedSkeleton,
    Skeleton,
    forward_kinematics,
    rot_x,
    rot_y,
    rot_z,
    rotation_between,
    two_bone_ik,
)

#: the stretch catalogue's ids
STRETCHES = STRETCH_IDS
#: stretches done with both legs at once by default
BILATERAL = ("standing_fold", "seated_floor")
FAULTS = ("back_rounding", "knee_bent", "bouncing", "out_of_frame")
#: arm modes: where the hands go (see :func:`hand_targets`)
ARM_MODES = ("sides", "hang", "thighs", "shins", "behind_knee", "strap", "swing")

LEFT, RIGHT = 0, 1


@dataclass(frozen=True)
class BodyPose:
    """One body pose. Pairs are ``(left, right)``; angles in degrees, lengths in metres.

    ``arms`` and ``contact`` are weights of named modes (blended when poses are interpolated).
    ``arm_leg`` is the leg the hands go to (``"left"``, ``"right"`` or ``"both"``: each hand to
    its own leg). ``arm_reach`` in 0..1 is how far along the shin the hands reach.
    """

    body_pitch_deg: float = 0.0
    pelvis_pitch_deg: float = 0.0
    thigh_deg: tuple[float, float] = (0.0, 0.0)
    hip_abduction_deg: tuple[float, float] = (0.0, 0.0)
    hip_rotation_deg: tuple[float, float] = (0.0, 0.0)
    knee_flexion_deg: tuple[float, float] = (3.0, 3.0)
    ankle_dorsiflexion_deg: tuple[float, float] = (0.0, 0.0)
    lumbar_flexion_deg: float = 0.0
    thoracic_flexion_deg: float = 0.0
    neck_flexion_deg: float = 0.0
    arms: dict[str, float] = field(default_factory=lambda: {"sides": 1.0})
    arm_leg: str = "both"
    arm_reach: float = 0.5
    swing_deg: float = 0.0
    contact: dict[str, float] = field(default_factory=lambda: {"feet": 1.0})
    heading_deg: float = 0.0
    root_forward_m: float = 0.0
    lateral_m: float = 0.0
    walk_m: float = 0.0
    frame_shift: float = 0.0

    def hip_flexion_deg(self) -> tuple[float, float]:
        """Clinical hip flexion per leg: thigh relative to the pelvis."""
        return (
            self.thigh_deg[0] + self.pelvis_pitch_deg,
            self.thigh_deg[1] + self.pelvis_pitch_deg,
        )

    def replace(self, **kw) -> BodyPose:
        return dataclasses.replace(self, **kw)


def _lerp_dict(a: dict[str, float], b: dict[str, float], w: float) -> dict[str, float]:
    keys = set(a) | set(b)
    out = {k: (1 - w) * a.get(k, 0.0) + w * b.get(k, 0.0) for k in keys}
    return {k: v for k, v in out.items() if v > 1e-6}


def interpolate(a: BodyPose, b: BodyPose, w: float) -> BodyPose:
    """Blend two poses: ``w`` = 0 gives ``a``, 1 gives ``b`` (angles linearly, modes by weight)."""
    kw: dict[str, Any] = {}
    for f in dataclasses.fields(BodyPose):
        va, vb = getattr(a, f.name), getattr(b, f.name)
        if isinstance(va, dict):
            kw[f.name] = _lerp_dict(va, vb, w)
        elif isinstance(va, tuple):
            kw[f.name] = tuple((1 - w) * x + w * y for x, y in zip(va, vb, strict=True))
        elif isinstance(va, str):
            kw[f.name] = va if w < 0.5 else vb
        else:
            kw[f.name] = (1 - w) * va + w * vb
    return BodyPose(**kw)


def ease(u: float) -> float:
    """Cosine ease in/out on 0..1."""
    u = min(max(u, 0.0), 1.0)
    return 0.5 - 0.5 * math.cos(math.pi * u)


# --------------------------------------------------------------------------- posing


def _set(rot: np.ndarray, sk: Skeleton, label: str, g: np.ndarray) -> None:
    if label in sk.labels:
        rot[sk.index(label)] = g


def _set_prefix(rot: np.ndarray, sk: Skeleton, prefix: str, suffix: str, g: np.ndarray) -> None:
    for i, label in enumerate(sk.labels):
        if label.startswith(prefix) and label.endswith(suffix):
            rot[i] = g


def body_rotations(sk: Skeleton, pose: BodyPose) -> np.ndarray:
    """Bone rotations (B, 3, 3) for everything but the arms (which follow the chest)."""
    rot = np.tile(np.eye(3), (len(sk.labels), 1, 1))
    g_body = rot_x(pose.body_pitch_deg)
    g_pel = g_body @ rot_x(pose.pelvis_pitch_deg)
    for label in ("root", "pelvis.L", "pelvis.R"):
        _set(rot, sk, label, g_pel)
    g = g_pel
    for label, share in LUMBAR_SHARES.items():
        g = g @ rot_x(share * pose.lumbar_flexion_deg)
        _set(rot, sk, label, g)
    g_chest = g @ rot_x(pose.thoracic_flexion_deg)
    _set(rot, sk, "spine01", g_chest)
    # clavicles, shoulders and the arms follow the chest until the arm IK sets them
    for i, label in enumerate(sk.labels):
        if label.split(".")[0] in ("clavicle", "shoulder01") or label.startswith(
            ("upperarm", "lowerarm", "wrist", "finger", "metacarpal")
        ):
            rot[i] = g_chest
    g = g_chest
    for label in ("neck01", "neck02", "neck03"):
        g = g @ rot_x(pose.neck_flexion_deg / 3.0)
        _set(rot, sk, label, g)
    for label in ("head", "eye.L", "eye.R"):
        _set(rot, sk, label, g)
    for k, s in enumerate(("L", "R")):
        sign = -1.0 if s == "L" else 1.0
        g_thigh = (
            g_body
            @ rot_x(-pose.thigh_deg[k])
            @ rot_y(sign * pose.hip_abduction_deg[k])
            @ rot_z(-sign * pose.hip_rotation_deg[k])
        )
        g_shank = g_thigh @ rot_x(pose.knee_flexion_deg[k])
        g_foot = g_shank @ rot_x(-pose.ankle_dorsiflexion_deg[k])
        # straighten Anny's rest legs (slightly apart and bent) so that 0 = straight down
        down = np.array([0.0, 0.0, -1.0])
        c_thigh = rotation_between(sk.head(f"lowerleg01.{s}") - sk.head(f"upperleg01.{s}"), down)
        c_shank = rotation_between(sk.head(f"foot.{s}") - sk.head(f"lowerleg01.{s}"), down)
        g_thigh = g_thigh @ c_thigh
        g_shank = g_shank @ c_shank
        g_foot = g_foot @ c_shank
        _set(rot, sk, f"upperleg01.{s}", g_thigh)
        _set(rot, sk, f"upperleg02.{s}", g_thigh)
        _set(rot, sk, f"lowerleg01.{s}", g_shank)
        _set(rot, sk, f"lowerleg02.{s}", g_shank)
        _set(rot, sk, f"foot.{s}", g_foot)
        _set_prefix(rot, sk, "toe", f".{s}", g_foot)
    return rot


def hand_targets(sk: Skeleton, posed: PosedSkeleton, pose: BodyPose) -> dict[str, np.ndarray]:
    """Where each wrist should go (body frame), blended over ``pose.arms``."""
    out: dict[str, np.ndarray] = {}
    down = np.array([0.0, 0.0, -1.0])
    floor_z = min(posed.head(f"foot.{s}")[2] for s in ("L", "R")) - sk.sole_drop_m
    floor_z = min(floor_z, float(posed.heads[:, 2].min()) - 0.05)
    root = posed.head("root")
    chest = posed.head("spine01")
    trunk_down = (root - chest) / max(np.linalg.norm(root - chest), 1e-9)
    g_chest = posed.rotations[sk.index("spine01")]
    lateral_axis = g_chest @ np.array([1.0, 0.0, 0.0])
    for side, s in SIDES.items():
        sign = 1.0 if s == "L" else -1.0
        lat = lateral_axis * sign
        shoulder = posed.head(f"upperarm01.{s}")
        reach = sk.length(f"upperarm01.{s}", f"lowerarm01.{s}") + sk.length(
            f"lowerarm01.{s}", f"wrist.{s}"
        )
        leg_s = s if pose.arm_leg == "both" else SIDES[pose.arm_leg]
        hip = posed.head(f"upperleg01.{leg_s}")
        knee = posed.head(f"lowerleg01.{leg_s}")
        ankle = posed.head(f"foot.{leg_s}")
        g_thigh = posed.rotations[sk.index(f"upperleg01.{leg_s}")]
        g_shank = posed.rotations[sk.index(f"lowerleg01.{leg_s}")]
        front_thigh = g_thigh @ np.array([0.0, -1.0, 0.0])
        front_shin = g_shank @ np.array([0.0, -1.0, 0.0])
        leg_lat = g_thigh @ np.array([1.0, 0.0, 0.0]) * sign
        # both hands on one leg: one each side of it
        hand_off = 0.07 if pose.arm_leg != "both" else 0.03
        targets: dict[str, np.ndarray] = {}
        own_hip = posed.head(f"upperleg01.{s}")
        targets["sides"] = own_hip + lat * 0.16 + trunk_down * 0.1
        hang = shoulder + down * reach * 0.96
        hang[2] = max(hang[2], floor_z + 0.12)
        targets["hang"] = hang
        targets["thighs"] = hip + 0.8 * (knee - hip) + front_thigh * 0.1 + leg_lat * hand_off
        targets["shins"] = (
            knee + pose.arm_reach * (ankle - knee) + front_shin * 0.07 + leg_lat * hand_off
        )
        targets["behind_knee"] = (
            hip + 0.7 * (knee - hip) - front_thigh * 0.09 + leg_lat * (hand_off + 0.02)
        )
        sh_mid = 0.5 * (posed.head("upperarm01.L") + posed.head("upperarm01.R"))
        to_foot = ankle - sh_mid
        targets["strap"] = shoulder + to_foot / np.linalg.norm(to_foot) * reach * 0.92 + lat * 0.02
        swing = math.radians(pose.swing_deg * sign)
        fwd = np.array([0.0, -1.0, 0.0])
        targets["swing"] = (
            shoulder + (down * math.cos(swing) + fwd * math.sin(swing)) * reach * 0.97
        )
        total = sum(pose.arms.values()) or 1.0
        out[side] = np.sum([w * targets[m] for m, w in pose.arms.items()], axis=0) / total
    return out


def pose_skeleton(sk: Skeleton, pose: BodyPose) -> PosedSkeleton:
    """Pose the skeleton: body angles, then the arms by inverse kinematics to the hand targets."""
    rot = body_rotations(sk, pose)
    posed = forward_kinematics(sk, rot)
    targets = hand_targets(sk, posed, pose)
    g_chest = rot[sk.index("spine01")]
    for side, s in SIDES.items():
        sign = 1.0 if s == "L" else -1.0
        shoulder = posed.head(f"upperarm01.{s}")
        a = sk.length(f"upperarm01.{s}", f"lowerarm01.{s}")
        b = sk.length(f"lowerarm01.{s}", f"wrist.{s}")
        pole = g_chest @ np.array([0.5 * sign, 1.0, -0.3])
        elbow, wrist = two_bone_ik(shoulder, targets[side], a, b, pole)
        rest_upper = sk.head(f"lowerarm01.{s}") - sk.head(f"upperarm01.{s}")
        rest_lower = sk.head(f"wrist.{s}") - sk.head(f"lowerarm01.{s}")
        g_upper = rotation_between(g_chest @ rest_upper, elbow - shoulder) @ g_chest
        g_lower = rotation_between(g_upper @ rest_lower, wrist - elbow) @ g_upper
        for i, label in enumerate(sk.labels):
            if not label.endswith(f".{s}"):
                continue
            if label.startswith("upperarm"):
                rot[i] = g_upper
            elif label.startswith(("lowerarm", "wrist", "finger", "metacarpal")):
                rot[i] = g_lower
    return forward_kinematics(sk, rot)
