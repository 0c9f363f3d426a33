"""Domain-randomization extras (issue 13): loose tops, long hair, fidgeting, a handheld camera.

Each is off by default and switched on by an optional spec key (docs/synth.md):
``subject.top_fit = "loose"`` (:class:`LooseTop`), ``subject.hair_length = "long"``
(:class:`LongHair`), ``params.fidget`` (:func:`fidget_pose`) and ``camera.shake_deg`` /
``camera.drift_deg`` (:func:`camera_at`). None of them changes the pose angles the truth is made
of: garments and hair are drawn over the body, fidgeting moves the head, the hands' reach, the
heading and a sideways weight shift only, and a moving camera changes the projection (the truth
projects each frame with that frame's camera).

Pure numpy: the garment and hair meshes are made from the posed Anny vertices of each frame.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np

from formcheck.synth.meshes import vertex_normals
from formcheck.synth.pose import BodyPose
from formcheck.synth.truth import Camera

#: bones whose skin a loose top covers (the arms keep the body's own sleeves)
TOP_BONES = ("spine", "clavicle", "shoulder", "root", "pelvis", "upperleg01")
#: the loose top: cloth this far off the skin (m), hem this far below the hip joints (m)
TOP_OFFSET_M = 0.028
TOP_HEM_BELOW_HIP_M = 0.03
#: long hair: shell off the skin (m), and how far below the shoulder joints it reaches (m)
HAIR_OFFSET_M = 0.012
HAIR_BELOW_SHOULDER_M = 0.14


def _sub_faces(faces: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vertex indices of ``keep`` (bool mask) and the faces wholly inside it, re-indexed."""
    idx = np.flatnonzero(keep)
    remap = -np.ones(len(keep), np.int64)
    remap[idx] = np.arange(len(idx))
    inside = keep[faces].all(axis=1)
    return idx, remap[faces[inside]]


def _upper_hull(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The upper concave hull of points sorted by ``x`` (a cloth pulled taut over them)."""
    hx: list[float] = []
    hy: list[float] = []
    for px, py in zip(x.tolist(), y.tolist(), strict=True):
        while (
            len(hx) >= 2
            and (hx[-1] - hx[-2]) * (py - hy[-2]) - (hy[-1] - hy[-2]) * (px - hx[-2]) >= 0
        ):
            hx.pop()
            hy.pop()
        hx.append(px)
        hy.append(py)
    return np.asarray(hx), np.asarray(hy)


@dataclass
class LooseTop:
    """A loose top: the torso's skin (down over the hips) pushed out to a taut envelope.

    Around the trunk axis (hip centre -> shoulder centre), each direction's profile of the skin
    from the hem to the chest is replaced by its upper concave hull, so the cloth spans the
    hollows (the lumbar curve, the waist) straight from the chest or shoulder blades to the
    buttocks or belly, then it is lifted :data:`TOP_OFFSET_M` off that along the skin's
    normals. The silhouette shows no lumbar curve; the true lumbar flexion is unchanged (the
    cloth is not the body).
    """

    index: np.ndarray  # body vertex indices the garment is made from
    faces: np.ndarray  # garment faces (into ``index``)
    offset_m: float = TOP_OFFSET_M

    @classmethod
    def of(cls, body, offset_m: float = TOP_OFFSET_M) -> LooseTop:
        labels = body.skeleton.labels
        on_torso = np.array([lab.startswith(TOP_BONES) for lab in labels])[body.vertex_bone]
        rest = body.rest_vertices
        hip_z = 0.5 * (
            body.skeleton.head("upperleg01.L")[2] + body.skeleton.head("upperleg01.R")[2]
        )
        keep = on_torso & (rest[:, 2] > hip_z - TOP_HEM_BELOW_HIP_M)
        idx, faces = _sub_faces(body.faces, keep)
        return cls(idx, faces, offset_m)

    def vertices(
        self, v: np.ndarray, normals: np.ndarray, landmarks: dict[str, np.ndarray]
    ) -> np.ndarray:
        """The garment's vertices for one frame: ``v`` = the posed body's world vertices,
        ``normals`` its vertex normals, ``landmarks`` its MediaPipe landmarks (world)."""
        p = v[self.index]
        hip = 0.5 * (landmarks["left_hip"] + landmarks["right_hip"])
        sh = 0.5 * (landmarks["left_shoulder"] + landmarks["right_shoulder"])
        axis = sh - hip
        length = float(np.linalg.norm(axis))
        axis = axis / max(length, 1e-9)
        lat = landmarks["left_hip"] - landmarks["right_hip"]
        lat = lat - np.dot(lat, axis) * axis
        lat = lat / max(float(np.linalg.norm(lat)), 1e-9)
        fwd = np.cross(axis, lat)
        d = p - hip
        s = d @ axis
        rad = d - s[:, None] * axis
        r = np.linalg.norm(rad, axis=1)
        theta = np.arctan2(rad @ fwd, rad @ lat)
        nb = 36
        b = ((theta + math.pi) / (2 * math.pi) * nb).astype(int) % nb
        s_top = 0.8 * length  # the chest line: above it the cloth follows the shoulders
        ds = 0.025
        s_lo = float(s.min())
        sb = np.floor((s - s_lo) / ds).astype(int)
        env = np.zeros((nb, len(p)))
        region = s <= s_top
        for k in range(nb):
            m = (b == k) & region
            if not m.any():
                env[k] = r
                continue
            bins = np.unique(sb[m])
            rmax = np.array([r[m & (sb == j)].max() for j in bins])
            hx, hy = _upper_hull(s_lo + (bins + 0.5) * ds, rmax)
            env[k] = np.interp(s, hx, hy) if len(hx) > 1 else hy[0]
        # smooth across directions: the mean of a vertex's own direction and its neighbours'
        cols = np.arange(len(p))
        e = (env[b, cols] + env[(b - 1) % nb, cols] + env[(b + 1) % nb, cols]) / 3.0
        taut = np.where(region, np.maximum(r, e), r)
        unit = rad / np.maximum(r, 1e-9)[:, None]
        return hip + s[:, None] * axis + unit * taut[:, None] + normals[self.index] * self.offset_m


@dataclass
class LongHair:
    """Long hair: a shell over the back of the head, the back of the neck and the upper back
    (down to :data:`HAIR_BELOW_SHOULDER_M` below the shoulder joints), carried by the head,
    neck and upper-spine bones, so it follows the head every frame. The shell stands off the
    skin most where the neck is hollow, so it hangs from the back of the head to the back."""

    index: np.ndarray
    faces: np.ndarray
    offset_m: np.ndarray  # per garment vertex

    @classmethod
    def of(cls, body) -> LongHair:
        sk = body.skeleton
        labels = sk.labels
        rest = body.rest_vertices
        on_head = np.array([lab.startswith("head") for lab in labels])[body.vertex_bone]
        upper = np.array([lab.startswith(("neck", "spine01", "spine02", "clavicle", "shoulder"))
                          for lab in labels])[body.vertex_bone]  # fmt: skip
        eye = sk.head("eye.L")
        z_head = sk.head("head")[2]
        z_sh = 0.5 * (sk.head("upperarm01.L")[2] + sk.head("upperarm01.R")[2])
        neck_y = sk.head("neck01")[1]
        x, y, z = rest[:, 0], rest[:, 1], rest[:, 2]
        cap = on_head & ((z > eye[2] + 0.035) | (y > eye[1] + 0.06))
        back = (
            upper
            & (y > neck_y - 0.01)
            & (z > z_sh - HAIR_BELOW_SHOULDER_M + 0.5 * np.abs(x))
            & (np.abs(x) < 0.06 + 0.35 * np.clip(z_head - z, 0.0, 0.2))
        )
        keep = cap | back
        idx, faces = _sub_faces(body.faces, keep)
        zi = z[idx]
        mid = 0.5 * (z_head + z_sh)
        half = max(0.5 * (z_head - z_sh), 1e-3)
        bump = np.clip(1.0 - np.abs(zi - mid) / half, 0.0, 1.0)
        return cls(idx, faces, HAIR_OFFSET_M + 0.03 * bump)

    def vertices(
        self, v: np.ndarray, normals: np.ndarray, top: tuple[LooseTop, np.ndarray] | None = None
    ) -> np.ndarray:
        """The hair's vertices for one frame; over a loose top (``top`` = the top and its
        vertices this frame), the hair lies on the cloth where the cloth covers the skin."""
        base = v[self.index].astype(float)
        off = self.offset_m.copy()
        nrm = normals[self.index].astype(float)
        if top is not None:
            garment, gv = top
            pos = np.full(len(v), -1, np.int64)
            pos[garment.index] = np.arange(len(garment.index))
            on = pos[self.index]
            covered = on >= 0
            if covered.any():
                gn = vertex_normals(gv, garment.faces)
                base[covered] = gv[on[covered]]
                nrm[covered] = gn[on[covered]]
                off[covered] = HAIR_OFFSET_M
        return base + nrm * off[:, None]


# --------------------------------------------------------------------------- motion extras


def _smooth_noise(rng: random.Random, freqs: tuple[float, float], n: int = 3):
    """A smooth random signal of time in about [-1, 1]: ``n`` sines in the band ``freqs`` Hz."""
    parts = [(rng.uniform(*freqs), rng.uniform(0, 2 * math.pi)) for _ in range(n)]
    scale = 1.0 / n

    def f(t: float) -> float:
        return scale * sum(math.sin(2 * math.pi * fr * t + ph) for fr, ph in parts) * 1.6

    return f


@dataclass
class Fidget:
    """Small shifts while holding still: head nods and turns, the hands' reach, the heading
    (+-2 deg x amplitude) and a sideways weight shift (+-2 cm x amplitude). The hip, knee and
    spine angles are not touched, so the form (and the truth's verdict) stays what it was."""

    amplitude: float
    seed: int

    def __post_init__(self) -> None:
        rng = random.Random(f"{self.seed}:fidget")
        self._neck = _smooth_noise(rng, (0.1, 0.5))
        self._reach = _smooth_noise(rng, (0.1, 0.4))
        self._heading = _smooth_noise(rng, (0.05, 0.3))
        self._lateral = _smooth_noise(rng, (0.05, 0.25))

    def apply(self, pose: BodyPose, t_s: float, weight: float) -> BodyPose:
        a = self.amplitude * weight
        if a <= 0:
            return pose
        return pose.replace(
            neck_flexion_deg=pose.neck_flexion_deg + 8.0 * a * self._neck(t_s),
            arm_reach=min(1.0, max(0.0, pose.arm_reach + 0.12 * a * self._reach(t_s))),
            heading_deg=pose.heading_deg + 2.0 * a * self._heading(t_s),
            lateral_m=pose.lateral_m + 0.02 * a * self._lateral(t_s),
        )


def camera_at(base: Camera, shake_deg: float, drift_deg: float, seed: int, t_s: float) -> Camera:
    """The camera of one frame: ``base`` aimed off by a ~1.5-3 Hz handheld wobble of amplitude
    ``shake_deg`` plus a slow (0.03-0.12 Hz) pan and tilt of amplitude ``drift_deg``, its
    position wobbling ~1 cm per degree of shake. ``base`` itself when both are 0."""
    if shake_deg <= 0 and drift_deg <= 0:
        return base
    rng = random.Random(f"{seed}:camera")
    shake = [_smooth_noise(rng, (1.5, 3.0)) for _ in range(4)]
    drift = [_smooth_noise(rng, (0.03, 0.12), 2) for _ in range(2)]
    yaw = shake_deg * shake[0](t_s) + drift_deg * drift[0](t_s)
    pitch = 0.7 * shake_deg * shake[1](t_s) + 0.4 * drift_deg * drift[1](t_s)
    rot = base.rotation  # columns: right, down, forward
    right, down = rot[:, 0], rot[:, 1]
    pos = base.position + 0.01 * shake_deg * (shake[2](t_s) * right + shake[3](t_s) * down)
    aim = base.target - base.position
    dist = float(np.linalg.norm(aim))
    fwd = aim / dist
    ty, tp = math.tan(math.radians(yaw)), math.tan(math.radians(pitch))
    new_fwd = fwd + ty * right - tp * down
    target = pos + dist * new_fwd / np.linalg.norm(new_fwd)
    return Camera(pos, target, base.width, base.height, base.fov_deg)
