"""The ground truth: the camera, projection, and the angles of docs/architecture.md.

World frame: y up, floor at ``y = 0``, metres. Pure numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

TRUTH_SCHEMA = "formcheck-truth/1"
#: the joints that must be in the image for ``in_frame``
FRAME_JOINTS = tuple(
    f"{side}_{j}" for side in ("left", "right") for j in ("shoulder", "hip", "knee", "ankle")
)


def compute_angle_deg(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """Angle at ``b`` between ``b->a`` and ``b->c`` (any dimension), degrees; NaN if degenerate."""
    u = np.asarray(a, float) - np.asarray(b, float)
    v = np.asarray(c, float) - np.asarray(b, float)
    nu, nv = np.linalg.norm(u), np.linalg.norm(v)
    if nu < 1e-9 or nv < 1e-9:
        return float("nan")
    cos = float(np.clip(np.dot(u, v) / (nu * nv), -1.0, 1.0))
    return math.degrees(math.acos(cos))


def compute_angles(joints: dict[str, np.ndarray], up: np.ndarray) -> dict:
    """The angles of docs/architecture.md from joint positions.

    Parameters
    ----------
    joints : dict
        MediaPipe landmark name -> position, (3,) world metres or (2,) image pixels.
    up : np.ndarray
        The "against gravity" direction in the same coordinates: ``(0, 1, 0)`` in the world,
        ``(0, -1)`` in an image (pixel rows grow downwards).

    Returns
    -------
    dict
        ``knee_extension_deg``, ``hip_angle_deg``, ``leg_raise_deg`` (each ``{"left", "right"}``)
        and ``trunk_inclination_deg``.
    """
    up = np.asarray(up, float) / np.linalg.norm(up)
    sh_mid = 0.5 * (joints["left_shoulder"] + joints["right_shoulder"])
    hip_mid = 0.5 * (joints["left_hip"] + joints["right_hip"])
    trunk = sh_mid - hip_mid
    incl = (
        compute_angle_deg(hip_mid + up, hip_mid, sh_mid) if np.linalg.norm(trunk) > 0 else math.nan
    )
    # "away from the head" is the floor line's direction only when lying (trunk near
    # horizontal, head on the other side of the hips from the feet); otherwise the leg's own
    # horizontal direction, so the raise is a plain elevation in [-90, 90].
    down_trunk = hip_mid - sh_mid
    along_dir = down_trunk - np.dot(down_trunk, up) * up
    ankle_mid = 0.5 * (joints["left_ankle"] + joints["right_ankle"])
    feet = ankle_mid - hip_mid
    feet_h = feet - np.dot(feet, up) * up
    lying = math.isfinite(incl) and incl >= 60.0 and float(np.dot(along_dir, feet_h)) > 0
    n_along = np.linalg.norm(along_dir)
    out: dict = {"knee_extension_deg": {}, "hip_angle_deg": {}, "leg_raise_deg": {}}
    for side in ("left", "right"):
        sh, hip = joints[f"{side}_shoulder"], joints[f"{side}_hip"]
        knee, ankle = joints[f"{side}_knee"], joints[f"{side}_ankle"]
        out["knee_extension_deg"][side] = compute_angle_deg(hip, knee, ankle)
        out["hip_angle_deg"][side] = compute_angle_deg(sh, hip, knee)
        leg = ankle - hip
        vertical = float(np.dot(leg, up))
        horiz = leg - vertical * up
        if lying and n_along > 1e-9:
            along = float(np.dot(horiz, along_dir / n_along))
        else:
            along = float(np.linalg.norm(horiz))
        out["leg_raise_deg"][side] = math.degrees(math.atan2(vertical, along))
    out["trunk_inclination_deg"] = incl
    return out


def view_of_yaw(yaw_deg: float) -> str:
    """``side`` / ``oblique`` / ``front`` from the camera yaw (0 = in front of the person)."""
    y = abs((yaw_deg + 180.0) % 360.0 - 180.0)  # 0..180
    if abs(y - 90.0) <= 30.0:
        return "side"
    if y <= 30.0 or y >= 150.0:
        return "front"
    return "oblique"


@dataclass(frozen=True)
class Camera:
    """A pinhole camera looking at ``target`` from ``position`` (world, metres), square pixels.

    ``K`` is OpenCV's intrinsic matrix; ``world_to_camera`` (4x4) maps world points into
    OpenCV camera coordinates (x right, y down, z forward).
    """

    position: np.ndarray
    target: np.ndarray
    width: int
    height: int
    fov_deg: float  # vertical field of view

    @property
    def rotation(self) -> np.ndarray:
        """Camera-to-world rotation, OpenCV axes as columns (right, down, forward)."""
        fwd = self.target - self.position
        fwd = fwd / np.linalg.norm(fwd)
        right = np.cross(fwd, [0.0, 1.0, 0.0])
        right /= np.linalg.norm(right)
        down = np.cross(fwd, right)
        return np.stack([right, down, fwd], axis=1)

    @property
    def K(self) -> np.ndarray:
        f = 0.5 * self.height / math.tan(math.radians(self.fov_deg) / 2.0)
        return np.array([[f, 0.0, self.width / 2.0], [0.0, f, self.height / 2.0], [0.0, 0.0, 1.0]])

    @property
    def world_to_camera(self) -> np.ndarray:
        r = self.rotation
        m = np.eye(4)
        m[:3, :3] = r.T
        m[:3, 3] = -r.T @ self.position
        return m

    @property
    def gl_pose(self) -> np.ndarray:
        """Camera-to-world pose in OpenGL axes (x right, y up, looking down -z), for pyrender."""
        r = self.rotation
        m = np.eye(4)
        m[:3, 0] = r[:, 0]
        m[:3, 1] = -r[:, 1]
        m[:3, 2] = -r[:, 2]
        m[:3, 3] = self.position
        return m

    def project(self, points: np.ndarray) -> np.ndarray:
        """World points (..., 3) -> pixels (..., 2); NaN behind the camera."""
        p = np.asarray(points, float)
        cam = (p - self.position) @ self.rotation
        z = cam[..., 2:3]
        uv = cam[..., :2] / np.where(z > 1e-6, z, np.nan)
        k = self.K
        return np.concatenate(
            [uv[..., :1] * k[0, 0] + k[0, 2], uv[..., 1:2] * k[1, 1] + k[1, 2]], axis=-1
        )

    def to_json(self) -> dict:
        return {
            "K": np.round(self.K, 4).tolist(),
            "world_to_camera": np.round(self.world_to_camera, 6).tolist(),
            "position_m": np.round(self.position, 4).tolist(),
            "target_m": np.round(self.target, 4).tolist(),
            "axes": "world: y up, floor y=0; camera: OpenCV (x right, y down, z forward)",
        }


def _round(x):
    if isinstance(x, dict):
        return {k: _round(v) for k, v in x.items()}
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return None
    return round(float(x), 2)


def frame_truth(
    joints_world: dict[str, np.ndarray], camera: Camera, lumbar_flexion_deg: float
) -> tuple[dict, dict, dict, bool]:
    """``angles_3d``, ``angles_2d``, ``joints_2d`` and ``in_frame`` of one frame."""
    a3 = compute_angles(joints_world, np.array([0.0, 1.0, 0.0]))
    a3["lumbar_flexion_deg"] = lumbar_flexion_deg
    names = list(joints_world)
    px = camera.project(np.stack([joints_world[n] for n in names]))
    j2 = {n: px[i] for i, n in enumerate(names)}
    a2 = compute_angles(j2, np.array([0.0, -1.0]))
    a2["lumbar_flexion_deg"] = lumbar_flexion_deg
    in_frame = all(
        np.all(np.isfinite(j2[n]))
        and 0 <= j2[n][0] < camera.width
        and 0 <= j2[n][1] < camera.height
        for n in FRAME_JOINTS
    )
    joints_2d = {
        n: None if not np.all(np.isfinite(p)) else [round(float(p[0]), 1), round(float(p[1]), 1)]
        for n, p in j2.items()
    }
    return _round(a3), _round(a2), joints_2d, bool(in_frame)
