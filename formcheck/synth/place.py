"""Putting the posed body into the world, fitting props and the camera to it.

:class:`Placer` turns each frame's :class:`~formcheck.synth.pose.BodyPose` into world vertices
and landmarks (metres, y up, floor at y = 0); :func:`pose_clip` does that for a whole spec and
frames the camera on the person; :func:`build_props` fits the box, chair or wall to the poses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from formcheck.synth.body import Body
from formcheck.synth.extras import camera_at
from formcheck.synth.meshes import box, segment_box
from formcheck.synth.pose import BodyPose, pose_skeleton
from formcheck.synth.skeleton import ANNY_TO_WORLD, PosedSkeleton, rot_world_y
from formcheck.synth.spec import Spec
from formcheck.synth.stretch_poses import BodyMeasures, stretch_pose
from formcheck.synth.timeline import FrameState, build_frames
from formcheck.synth.truth import Camera

#: bones of the arms (their vertices do not rest on the floor)
ARM_BONES = ("upperarm", "lowerarm", "wrist", "finger", "metacarpal")


@dataclass
class Placed:
    """A posed body in the world: vertices (V, 3), landmarks, and the pose's bone rotations."""

    vertices: np.ndarray
    landmarks: dict[str, np.ndarray]
    rotation: np.ndarray  # body frame -> world
    translation: np.ndarray
    posed: PosedSkeleton


class Placer:
    """Puts a :class:`BodyPose` of one body into the world (floor contact, heading, offsets)."""

    def __init__(self, body: Body) -> None:
        self.body = body
        labels = body.skeleton.labels
        vb = body.vertex_bone
        is_foot = np.array([lab.startswith(("foot", "toe")) for lab in labels])[vb]
        is_arm = np.array([lab.startswith(ARM_BONES) for lab in labels])[vb]
        self.sets = {"feet": np.flatnonzero(is_foot), "lowest": np.flatnonzero(~is_arm)}
        self.walk_dir = np.array([1.0, 0.0, 0.0])
        self.shift_dir = np.array([1.0, 0.0, 0.0])
        self.shift_m = 0.0

    def place(self, pose: BodyPose) -> Placed:
        posed = pose_skeleton(self.body.skeleton, pose)
        verts = self.body.vertices(posed.rotations, posed.head("root"))
        rot = rot_world_y(pose.heading_deg) @ ANNY_TO_WORLD
        world = verts @ rot.T
        heading = rot_world_y(pose.heading_deg) @ np.array([1.0, 0.0, 0.0])
        right = np.cross(heading, [0.0, 1.0, 0.0])
        trans = heading * pose.root_forward_m + right * pose.lateral_m
        trans = (
            trans + self.walk_dir * pose.walk_m + self.shift_dir * self.shift_m * pose.frame_shift
        )
        total = sum(pose.contact.values()) or 1.0
        lift = sum(w * -world[self.sets[k], 1].min() for k, w in pose.contact.items()) / total
        trans[1] = lift
        world += trans
        lms = {k: rot @ v + trans for k, v in posed.landmarks().items()}
        return Placed(world, lms, rot, trans, posed)


# --------------------------------------------------------------------------- props and camera


def build_props(spec: Spec, placer: Placer, m: BodyMeasures) -> dict[str, list]:
    """Prop boxes (name -> list of (vertices, faces)), fitted to the person's poses."""
    props: dict[str, list] = {}
    if not spec.scene["props"]:
        return props
    sides = sorted({s.side for s in spec.timeline if s.side in ("left", "right")}) or ["left"]
    st = spec.stretch
    if st == "standing_support":
        lo = np.array([np.inf] * 3)
        hi = -lo
        top = []
        for side in sides:
            p = placer.place(stretch_pose(st, "hold", side, m, None, spec.params))
            heel = p.landmarks[f"{side}_heel"]
            foot = p.vertices[placer.sets["feet"]]
            foot = foot[np.linalg.norm(foot - p.landmarks[f"{side}_ankle"], axis=1) < 0.3]
            top.append(float(foot[:, 1].min()))
            lo = np.minimum(lo, heel - [0.12, 0, 0.22])
            hi = np.maximum(hi, heel + [0.38, 0, 0.22])
        h = float(np.mean(top)) + 0.004
        props["box"] = [box([lo[0], 0.0, lo[2]], [hi[0], h, hi[2]])]
    elif st == "seated_chair":
        p = placer.place(stretch_pose(st, "rest", None, m))
        labels = placer.body.skeleton.labels
        seat_bones = np.array([lab.startswith(("root", "pelvis", "upperleg01")) for lab in labels])
        vs = p.vertices[seat_bones[placer.body.vertex_bone]]
        hip = 0.5 * (p.landmarks["left_hip"] + p.landmarks["right_hip"])
        behind = vs[vs[:, 0] < hip[0] + 0.05]
        seat = float(behind[:, 1].min()) + 0.012
        front = hip[0] + 0.1
        zc = hip[2]
        back = front - 0.46
        boxes = [box([back, seat - 0.05, zc - 0.23], [front, seat, zc + 0.23])]
        for x in (back + 0.02, front - 0.05):
            for z in (zc - 0.21, zc + 0.18):
                boxes.append(box([x, 0.0, z], [x + 0.03, seat - 0.05, z + 0.03]))
        if spec.scene.get("chair_backrest", True):
            boxes.append(box([back - 0.03, seat, zc - 0.23], [back, seat + 0.48, zc + 0.23]))
        props["chair"] = boxes
    elif st == "supine_wall":
        xs = []
        for side in sides:
            p = placer.place(stretch_pose(st, "hold", side, m, None, spec.params))
            s = "L" if side == "left" else "R"
            labels = placer.body.skeleton.labels
            leg = np.array(
                [
                    lab.endswith(f".{s}")
                    and lab.startswith(("lowerleg", "foot", "toe", "upperleg02"))
                    for lab in labels
                ]
            )[placer.body.vertex_bone]
            xs.append(float(p.vertices[leg, 0].max()))
        xw = max(xs) + 0.005
        gap = 0.4
        # a wall piece behind each raised leg; the leg on the floor goes through the doorway
        boxes = []
        if "left" in sides:
            boxes.append(box([xw, 0.0, -1.5], [xw + 0.12, 2.4, -gap]))
        if "right" in sides:
            boxes.append(box([xw, 0.0, gap], [xw + 0.12, 2.4, 1.5]))
        if spec.scene["door_frame"]:
            boxes.append(box([xw - 0.02, 2.02, -gap - 0.07], [xw + 0.14, 2.4, gap + 0.07]))
            if "left" in sides:
                boxes.append(box([xw - 0.02, 0.0, -gap - 0.07], [xw + 0.14, 2.02, -gap]))
            if "right" in sides:
                boxes.append(box([xw - 0.02, 0.0, gap], [xw + 0.14, 2.02, gap + 0.07]))
        props["wall"] = boxes
    if st in ("seated_floor", "supine_raise", "supine_wall"):
        props["mat"] = []  # filled once the body's position is known
    return props


def fit_camera(spec: Spec, points: np.ndarray) -> Camera:
    """A camera at the spec's yaw/height that frames ``points`` (N, 3)."""
    cam = spec.camera
    yaw = math.radians(cam["yaw_deg"])
    d = np.array([math.cos(yaw), 0.0, -math.sin(yaw)])  # from the person towards the camera
    lo, hi = points.min(0), points.max(0)
    centre = 0.5 * (lo + hi)
    right = np.cross(-d, [0.0, 1.0, 0.0])
    rel = points - centre
    half_w = float(np.abs(rel @ right).max())
    half_h = 0.5 * float(hi[1] - lo[1])
    depth = float(np.abs(rel @ d).max())
    t = math.tan(math.radians(cam["fov_deg"]) / 2.0)
    aspect = spec.width / spec.height
    dist = cam["distance_m"]
    if dist is None:
        dist = 1.25 * max(half_h / t, half_w / (aspect * t)) + depth
        dist = max(dist, 1.5) * float(cam.get("distance_scale", 1.0))
    height = cam["height_m"] if cam["height_m"] is not None else max(0.5, centre[1] + 0.3)
    target = centre.copy()
    position = centre + d * dist
    position[1] = height
    # tilt: the lens pitched up (+) or down (-) from looking at the body's centre
    tilt = float(cam.get("tilt_deg", 0.0))
    if tilt:
        target[1] += math.tan(math.radians(tilt)) * float(np.hypot(*(target - position)[[0, 2]]))
    return Camera(
        position=position,
        target=target,
        width=spec.width,
        height=spec.height,
        fov_deg=cam["fov_deg"],
    )


# --------------------------------------------------------------------------- a whole clip


def still_time(spec: Spec) -> float:
    """The time (seconds) of the still a spec renders to a picture: its ``still_t_s``, else
    60 % into the first hold."""
    if spec.still_t_s is not None:
        return min(spec.still_t_s, spec.duration_s)
    t = 0.0
    for seg in spec.timeline:
        if seg.phase == "hold":
            return t + 0.6 * seg.duration_s
        t += seg.duration_s
    return spec.duration_s


@dataclass
class Clip:
    """A spec's frames posed in the world, with its props and the camera framing them."""

    measures: BodyMeasures
    placer: Placer
    frames: list[FrameState]
    placed: list[Placed]
    props: dict[str, list]
    camera: Camera
    distance_m: float
    #: each frame's camera (the spec's ``shake_deg`` / ``drift_deg``); ``camera`` when static
    cameras: list[Camera] | None = None

    def camera_of(self, i: int) -> Camera:
        return self.cameras[i] if self.cameras is not None else self.camera

    @property
    def moving_camera(self) -> bool:
        return self.cameras is not None


def pose_clip(spec: Spec, body: Body, *, still: bool, max_frames: int | None = None) -> Clip:
    """Pose every frame of ``spec`` (one still, or at most ``max_frames``), fit props and camera."""
    m = BodyMeasures.of(body.skeleton)
    placer = Placer(body)
    # walking away: along the camera's horizontal axis, the way the person already faces
    yaw = math.radians(spec.camera["yaw_deg"])
    right = np.array([-math.sin(yaw), 0.0, -math.cos(yaw)])
    walk = right if right[0] >= 0 else -right
    placer.walk_dir = walk
    walk_heading = math.degrees(math.atan2(-walk[2], walk[0]))
    times = [still_time(spec)] if still else None
    frames = build_frames(spec, m, walk_heading, times)
    if max_frames is not None:
        frames = frames[:max_frames]
    placed = [placer.place(f.pose) for f in frames]
    # camera: frame the person in the frames where they are meant to be seen
    framing = [
        p.vertices
        for p, f in zip(placed, frames, strict=True)
        if f.phase not in ("arrive", "away") and f.pose.frame_shift == 0
    ]
    if still or not framing:
        ref = frames[0] if still else None
        framing = [
            placer.place(ref.pose if ref else stretch_pose(spec.stretch, "hold", None, m)).vertices
        ]
    pts = np.concatenate([v[::7] for v in framing[:: max(1, len(framing) // 40)]])
    props = build_props(spec, placer, m)
    for name, boxes in props.items():
        for v, _ in boxes:
            if name in ("box", "chair"):
                pts = np.concatenate([pts, v])
    camera = fit_camera(spec, pts)
    # out of frame: slide by ~ a frame width at the person's distance
    placer.shift_dir = np.cross(camera.target - camera.position, [0.0, 1.0, 0.0])
    placer.shift_dir /= np.linalg.norm(placer.shift_dir)
    dist = float(np.linalg.norm(camera.target - camera.position))
    placer.shift_m = (
        1.1 * dist * math.tan(math.radians(camera.fov_deg) / 2) * spec.width / spec.height
    )
    placed = [
        placer.place(f.pose) if f.pose.frame_shift > 0 else p
        for p, f in zip(placed, frames, strict=True)
    ]
    cameras = None
    shake, drift = (
        float(spec.camera.get("shake_deg", 0.0)),
        float(spec.camera.get("drift_deg", 0.0)),
    )
    if (shake > 0 or drift > 0) and not still:
        cameras = [camera_at(camera, shake, drift, spec.seed, f.t_s) for f in frames]
    return Clip(m, placer, frames, placed, props, camera, dist, cameras)


def strap_vertices(p: Placed, f: FrameState) -> tuple[np.ndarray, np.ndarray]:
    """A strap (two thin boxes) from the hands around the working foot: (72, 3) x 2."""
    side = f.pose.arm_leg if f.pose.arm_leg in ("left", "right") else "left"
    s = "L" if side == "left" else "R"
    posed = p.posed
    sk = posed.skeleton
    foot_rest = sk.head(f"foot.{s}") + np.array([0.0, -0.07, -sk.sole_drop_m - 0.01])
    loop = p.rotation @ posed.point(f"foot.{s}", foot_rest) + p.translation
    vs, ns = [], []
    for hand in ("left", "right"):
        wrist = p.landmarks[f"{hand}_wrist"]
        index = p.landmarks[f"{hand}_index"]
        grip = wrist + 0.6 * (index - wrist)
        v, fc = segment_box(grip, loop, 0.006)
        vv = v[fc].reshape(-1, 3)
        nn = np.repeat(np.cross(vv[1::3] - vv[0::3], vv[2::3] - vv[0::3]), 3, axis=0)
        nn /= np.maximum(np.linalg.norm(nn, axis=1, keepdims=True), 1e-9)
        vs.append(vv)
        ns.append(nn)
    return np.concatenate(vs).astype(np.float32), np.concatenate(ns).astype(np.float32)
