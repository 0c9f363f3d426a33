"""The body's skeleton: rest joints, forward kinematics and the MediaPipe landmark mapping.

Pure numpy. The rest skeleton comes either from Anny (any body shape, see
:mod:`formcheck.synth.body`) or from ``default_skeleton.json`` (Anny's average body), so the
truth geometry can be computed and tested without Anny installed.

Frames
------
*Body frame* (Anny's): x = the person's left, y = backwards, z = up; metres; the root (pelvis
centre) near the origin. Every bone has a *rotation* ``G`` (3x3, body frame) that takes it from
its rest direction to its posed direction; forward kinematics moves each bone head with its
parent: ``head_c = head_p + G_p (rest_c - rest_p)``.

*World frame*: x, y = up, z; metres; the floor is ``y = 0``. :data:`ANNY_TO_WORLD` maps the body
frame of a person standing and facing +x into it (left = -z).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

#: body frame (x left, y back, z up) -> world (facing +x, y up, left = -z)
ANNY_TO_WORLD = np.array([[0.0, -1.0, 0.0], [0.0, 0.0, 1.0], [-1.0, 0.0, 0.0]])

#: MediaPipe's 33 pose landmark names, in its order
MEDIAPIPE_NAMES = (
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)

#: landmark -> the bone whose head is that joint centre (``{s}`` = ``L`` or ``R``)
JOINT_BONES = {
    "{side}_shoulder": "upperarm01.{s}",
    "{side}_elbow": "lowerarm01.{s}",
    "{side}_wrist": "wrist.{s}",
    "{side}_pinky": "finger5-3.{s}",
    "{side}_index": "finger2-3.{s}",
    "{side}_thumb": "finger1-3.{s}",
    "{side}_hip": "upperleg01.{s}",
    "{side}_knee": "lowerleg01.{s}",
    "{side}_ankle": "foot.{s}",
    "{side}_foot_index": "toe2-3.{s}",
    "{side}_eye": "eye.{s}",
}

#: landmarks that are surface points carried by a bone (rest position found on the mesh)
SURFACE_POINTS = (
    "nose",
    "left_eye_inner",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_heel",
    "right_heel",
)

#: lumbar (+ lower thoracic) bones and their share of ``lumbar_flexion_deg``
LUMBAR_SHARES = {"spine05": 0.3, "spine04": 0.3, "spine03": 0.25, "spine02": 0.15}

SIDES = {"left": "L", "right": "R"}


def rot_x(deg: float) -> np.ndarray:
    """Rotation about the body's lateral axis; positive tips +z (up) towards -y (forward)."""
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def rot_y(deg: float) -> np.ndarray:
    """Rotation about the body's front-back axis (y)."""
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def rot_z(deg: float) -> np.ndarray:
    """Rotation about the vertical axis (z in the body frame, y in the world frame is separate)."""
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def rot_world_y(deg: float) -> np.ndarray:
    """Rotation of the world frame about its vertical axis (+deg turns +x towards -z)."""
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest rotation taking direction ``a`` to direction ``b`` (both (3,), any length)."""
    a = a / np.linalg.norm(a)
    b = b / np.linalg.norm(b)
    v = np.cross(a, b)
    c = float(np.dot(a, b))
    if c < -0.999999:  # opposite: turn half way about any axis perpendicular to a
        axis = np.cross(a, [1.0, 0.0, 0.0])
        if np.linalg.norm(axis) < 1e-6:
            axis = np.cross(a, [0.0, 1.0, 0.0])
        axis /= np.linalg.norm(axis)
        return 2.0 * np.outer(axis, axis) - np.eye(3)
    vx = np.array([[0.0, -v[2], v[1]], [v[2], 0.0, -v[0]], [-v[1], v[0], 0.0]])
    return np.eye(3) + vx + vx @ vx / (1.0 + c)


@dataclass(frozen=True)
class Skeleton:
    """A rest skeleton.

    Attributes
    ----------
    labels : tuple of str
        Bone names (Anny's), root first.
    parents : tuple of int
        Parent index of each bone, -1 for the root; parents come before children.
    rest_heads : np.ndarray, shape (B, 3)
        Bone heads at rest, body frame, metres.
    surface_points : dict
        Landmark name -> (bone label, rest position (3,)) for the landmarks that are points on
        the skin (nose, ears, mouth corners, eye corners, heels).
    sole_drop_m : float
        Height of the ankle joint centre above the sole at rest.
    """

    labels: tuple[str, ...]
    parents: tuple[int, ...]
    rest_heads: np.ndarray
    surface_points: dict[str, tuple[str, np.ndarray]]
    sole_drop_m: float

    def index(self, label: str) -> int:
        return self.labels.index(label)

    def head(self, label: str) -> np.ndarray:
        return self.rest_heads[self.labels.index(label)]

    def length(self, a: str, b: str) -> float:
        """Rest distance between two bone heads, metres."""
        return float(np.linalg.norm(self.head(a) - self.head(b)))

    def to_json(self) -> dict:
        return {
            "labels": list(self.labels),
            "parents": list(self.parents),
            "rest_heads": np.round(self.rest_heads, 5).tolist(),
            "surface_points": {
                k: [bone, np.round(p, 5).tolist()] for k, (bone, p) in self.surface_points.items()
            },
            "sole_drop_m": round(self.sole_drop_m, 5),
        }

    @classmethod
    def from_json(cls, data: dict) -> Skeleton:
        return cls(
            labels=tuple(data["labels"]),
            parents=tuple(int(p) for p in data["parents"]),
            rest_heads=np.asarray(data["rest_heads"], dtype=float),
            surface_points={
                k: (bone, np.asarray(p, dtype=float))
                for k, (bone, p) in data["surface_points"].items()
            },
            sole_drop_m=float(data["sole_drop_m"]),
        )


@lru_cache(maxsize=1)
def default_skeleton() -> Skeleton:
    """Anny's average body (all phenotype parameters 0.5), shipped with the package."""
    text = resources.files("formcheck.synth").joinpath("default_skeleton.json").read_text()
    return Skeleton.from_json(json.loads(text))


def find_surface_points(
    labels: tuple[str, ...],
    rest_heads: np.ndarray,
    rest_vertices: np.ndarray,
    vertex_bone: np.ndarray,
) -> tuple[dict[str, tuple[str, np.ndarray]], float]:
    """Rest positions of the skin landmarks, found on the rest mesh.

    Parameters
    ----------
    rest_vertices : np.ndarray, shape (V, 3)
        Rest mesh, body frame.
    vertex_bone : np.ndarray, shape (V,)
        Index of each vertex's most weighted bone.

    Returns
    -------
    points, sole_drop_m
    """

    def head(label: str) -> np.ndarray:
        return rest_heads[labels.index(label)]

    head_idx = labels.index("head")
    on_head = vertex_bone == head_idx
    hv = rest_vertices[on_head]
    eye_l, eye_r = head("eye.L"), head("eye.R")
    eye_z = 0.5 * (eye_l[2] + eye_r[2])
    points: dict[str, tuple[str, np.ndarray]] = {}
    # nose tip: the most forward (min y) head point near the midline, below the eyes
    band = hv[(np.abs(hv[:, 0]) < 0.015) & (hv[:, 2] < eye_z) & (hv[:, 2] > eye_z - 0.06)]
    if len(band) == 0:
        band = hv
    points["nose"] = ("head", band[np.argmin(band[:, 1])])
    nose = points["nose"][1]
    for side, s, sign in (("left", "L", 1.0), ("right", "R", -1.0)):
        eye = head(f"eye.{s}")
        points[f"{side}_eye_inner"] = ("head", eye + np.array([-sign * 0.012, -0.008, 0.0]))
        points[f"{side}_eye_outer"] = ("head", eye + np.array([sign * 0.014, -0.004, 0.0]))
        ear_band = hv[np.abs(hv[:, 2] - (eye_z - 0.01)) < 0.02]
        ear = ear_band[np.argmax(sign * ear_band[:, 0])] if len(ear_band) else eye
        points[f"{side}_ear"] = ("head", ear)
        points[f"mouth_{side}"] = (
            "head",
            np.array([sign * 0.022, nose[1] + 0.02, nose[2] - 0.035]),
        )
        foot = labels.index(f"foot.{s}")
        fv = rest_vertices[vertex_bone == foot]
        if len(fv) == 0:
            fv = rest_vertices[np.abs(rest_vertices[:, 0] - head(f"foot.{s}")[0]) < 0.06]
        low = fv[fv[:, 2] < fv[:, 2].min() + 0.03]
        points[f"{side}_heel"] = (f"foot.{s}", low[np.argmax(low[:, 1])])
    soles = rest_vertices[:, 2].min()
    sole_drop = float(0.5 * (head("foot.L")[2] + head("foot.R")[2]) - soles)
    return points, sole_drop


@dataclass(frozen=True)
class PosedSkeleton:
    """A posed skeleton in the body frame.

    Attributes
    ----------
    rotations : np.ndarray, shape (B, 3, 3)
        Rest -> posed rotation of each bone (``G``).
    heads : np.ndarray, shape (B, 3)
        Posed bone heads, metres (root at ``root_m``).
    """

    skeleton: Skeleton
    rotations: np.ndarray
    heads: np.ndarray

    def head(self, label: str) -> np.ndarray:
        return self.heads[self.skeleton.index(label)]

    def point(self, bone: str, rest_point: np.ndarray) -> np.ndarray:
        """Where a rest-pose point carried by ``bone`` goes."""
        i = self.skeleton.index(bone)
        return self.heads[i] + self.rotations[i] @ (rest_point - self.skeleton.rest_heads[i])

    def landmarks(self) -> dict[str, np.ndarray]:
        """All 33 MediaPipe landmarks (joint centres and skin points), body frame."""
        out: dict[str, np.ndarray] = {}
        for side, s in SIDES.items():
            for name, bone in JOINT_BONES.items():
                out[name.format(side=side)] = self.head(bone.format(s=s))
        for name, (bone, p) in self.skeleton.surface_points.items():
            out[name] = self.point(bone, p)
        return {name: out[name] for name in MEDIAPIPE_NAMES}


def forward_kinematics(
    skeleton: Skeleton, rotations: np.ndarray, root_m: np.ndarray | None = None
) -> PosedSkeleton:
    """Posed bone heads from per-bone rotations.

    Parameters
    ----------
    rotations : np.ndarray, shape (B, 3, 3)
        Rest -> posed rotation of each bone, body frame.
    root_m : np.ndarray, shape (3,), optional
        Where the root head goes (default: its rest position).
    """
    heads = np.empty_like(skeleton.rest_heads)
    rest = skeleton.rest_heads
    for i, p in enumerate(skeleton.parents):
        if p < 0:
            heads[i] = rest[i] if root_m is None else root_m
        else:
            heads[i] = heads[p] + rotations[p] @ (rest[i] - rest[p])
    return PosedSkeleton(skeleton, rotations, heads)


def two_bone_ik(
    root: np.ndarray, target: np.ndarray, a: float, b: float, pole: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Analytic two-bone inverse kinematics.

    Parameters
    ----------
    root, target : np.ndarray, shape (3,)
        Start of the chain (shoulder) and where its end (wrist) should go; an unreachable
        target is pulled in along the line to it.
    a, b : float
        Lengths of the two bones (upper arm, forearm), metres.
    pole : np.ndarray, shape (3,)
        Direction the middle joint (elbow) bends towards.

    Returns
    -------
    middle, end : np.ndarray, shape (3,)
    """
    d_vec = target - root
    d = float(np.linalg.norm(d_vec))
    u = d_vec / max(d, 1e-9)
    d = float(np.clip(d, abs(a - b) + 1e-3, a + b - 1e-3))
    end = root + u * d
    cos_a = (a * a + d * d - b * b) / (2.0 * a * d)
    sin_a = np.sqrt(max(0.0, 1.0 - cos_a * cos_a))
    perp = pole - np.dot(pole, u) * u
    n = np.linalg.norm(perp)
    if n < 1e-9:
        perp = np.cross(u, [1.0, 0.0, 0.0])
        n = np.linalg.norm(perp)
    perp /= n
    middle = root + a * (cos_a * u + sin_a * perp)
    return middle, end
