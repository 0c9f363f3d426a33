"""Render a spec: the person (Anny), the room and props (pyrender on OSMesa), video + truth file.

Needs the ``synth`` extra and Debian's ``libosmesa6`` (see docs/synth.md). Entry points:
:func:`render_spec` (one spec -> ``OUT.mp4`` or a still ``OUT.jpg`` + ``OUT.truth.json``) and
:func:`render_variations` (a seeded, varied set for the benchmark, cached by spec hash).
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from formcheck.errors import OutputError
from formcheck.synth.body import Body, SynthUnavailable
from formcheck.synth.pose import BILATERAL, BodyMeasures, BodyPose, pose_skeleton, stretch_pose
from formcheck.synth.skeleton import ANNY_TO_WORLD, MEDIAPIPE_NAMES, PosedSkeleton, rot_world_y
from formcheck.synth.spec import Spec, SpecError, parse_colour, parse_spec, vary_spec
from formcheck.synth.timeline import FrameState, build_frames
from formcheck.synth.truth import TRUTH_SCHEMA, Camera, frame_truth, view_of_yaw

log = logging.getLogger(__name__)

STILL_SUFFIXES = (".jpg", ".jpeg", ".png")
ARM_BONES = ("upperarm", "lowerarm", "wrist", "finger", "metacarpal")


def _import_pyrender():
    os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")
    if not hasattr(np, "infty"):
        np.infty = np.inf  # pyrender 0.1.45 still uses it
    try:
        import pyrender
        import trimesh
    except ImportError as err:
        raise SynthUnavailable(
            f"the synthetic-people renderer needs the 'synth' extra ({err.name} is missing); "
            "see docs/synth.md"
        ) from err
    except Exception as err:  # OSMesa missing shows up as an OpenGL import error
        raise SynthUnavailable(
            f"pyrender cannot start ({err}); install libosmesa6 and set "
            "PYOPENGL_PLATFORM=osmesa, see docs/synth.md"
        ) from err
    _stabilise_program_cache()
    return pyrender, trimesh


def _stabilise_program_cache() -> None:
    """Make pyrender's shader cache hit under OSMesa.

    pyrender 0.1.45 keys its shader programs by ``OpenGL.contextdata.getContext()``; under
    OSMesa that is a new ctypes pointer object on every call, equal to nothing, so every draw
    compiled a new program and leaked ~3 MB (~50 MB a frame here). Key by the address instead.
    """
    import ctypes
    import types

    import OpenGL.contextdata as contextdata
    import pyrender.shader_program as shader_program

    if getattr(shader_program, "_formcheck_patched", False):
        return

    def stable_context():
        ctx = contextdata.getContext()
        try:
            return ctypes.cast(ctx, ctypes.c_void_p).value
        except (TypeError, ctypes.ArgumentError):
            return ctx

    shader_program.OpenGL = types.SimpleNamespace(
        contextdata=types.SimpleNamespace(getContext=stable_context)
    )
    shader_program._formcheck_patched = True


# --------------------------------------------------------------------------- placing the body


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


# --------------------------------------------------------------------------- scene building


def _box(lo, hi) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    v = np.array(
        [[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])]
    )
    f = np.array(
        [
            [0, 1, 3],
            [0, 3, 2],
            [4, 6, 7],
            [4, 7, 5],
            [0, 4, 5],
            [0, 5, 1],
            [2, 3, 7],
            [2, 7, 6],
            [0, 2, 6],
            [0, 6, 4],
            [1, 5, 7],
            [1, 7, 3],
        ]
    )
    return v, f


def _segment_box(a: np.ndarray, b: np.ndarray, thickness: float) -> tuple[np.ndarray, np.ndarray]:
    """A thin box from point a to point b (a strap)."""
    d = b - a
    length = float(np.linalg.norm(d))
    v, f = _box([-thickness, 0.0, -thickness * 2.5], [thickness, length, thickness * 2.5])
    y = d / max(length, 1e-9)
    x = np.cross(y, [0.0, 1.0, 0.0])
    if np.linalg.norm(x) < 1e-6:
        x = np.cross(y, [1.0, 0.0, 0.0])
    x /= np.linalg.norm(x)
    z = np.cross(x, y)
    return v @ np.stack([x, y, z]) + a, f


def _vertex_normals(v: np.ndarray, f: np.ndarray) -> np.ndarray:
    fn = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    n = np.zeros_like(v)
    for k in range(3):
        np.add.at(n, f[:, k], fn)
    norm = np.linalg.norm(n, axis=1, keepdims=True)
    return n / np.where(norm > 0, norm, 1.0)


def _floor_mesh(pyrender, centre, half, colour, pattern, rng):
    """Floor tiles (vertex colours, no material) at y = 0."""
    colour = np.asarray(colour)
    if pattern == "planks":
        tw, tl = 0.16, 1.2
    elif pattern == "checker":
        tw = tl = 0.35
    elif pattern == "tiles":
        tw = tl = 0.45
    else:
        tw = tl = 1.0
    xs = np.arange(centre[0] - half, centre[0] + half, tl)
    zs = np.arange(centre[2] - half, centre[2] + half, tw)
    pos, cols, idx = [], [], []
    for j, z in enumerate(zs):
        off = (j * 0.37 % 1.0) * tl if pattern == "planks" else 0.0
        for i, x in enumerate(xs):
            x0 = x - off
            if pattern == "checker":
                c = colour * (1.0 if (i + j) % 2 == 0 else 0.55)
            elif pattern == "planks":
                c = colour * rng.uniform(0.8, 1.12)
            elif pattern == "tiles":
                c = colour * rng.uniform(0.93, 1.05)
            else:
                c = colour * rng.uniform(0.97, 1.02)
            gap = 0.006 if pattern in ("planks", "tiles") else 0.0
            k = len(pos)
            pos += [
                [x0, 0.0, z],
                [x0 + tl - gap, 0.0, z],
                [x0 + tl - gap, 0.0, z + tw - gap],
                [x0, 0.0, z + tw - gap],
            ]
            cols += [np.clip(c, 0, 1).tolist() + [1.0]] * 4
            idx += [[k, k + 2, k + 1], [k, k + 3, k + 2]]
    pos_a = np.asarray(pos, np.float32)
    normals = np.tile([0.0, 1.0, 0.0], (len(pos_a), 1)).astype(np.float32)
    # grout / gaps: a dark plane just below
    prim = pyrender.Primitive(
        positions=pos_a,
        normals=normals,
        indices=np.asarray(idx),
        color_0=np.asarray(cols, np.float32),
        mode=4,
    )
    return pyrender.Mesh([prim])


def _material(pyrender, rgb, rough=0.85):
    return pyrender.MetallicRoughnessMaterial(
        baseColorFactor=[*rgb, 1.0], metallicFactor=0.0, roughnessFactor=rough
    )


def _solid(pyrender, boxes, rgb):
    prims = []
    for v, f in boxes:
        # flat shading: split the faces
        vv = v[f].reshape(-1, 3)
        ff = np.arange(len(vv)).reshape(-1, 3)
        n = np.repeat(np.cross(vv[1::3] - vv[0::3], vv[2::3] - vv[0::3]), 3, axis=0)
        n /= np.linalg.norm(n, axis=1, keepdims=True)
        prims.append(
            pyrender.Primitive(
                positions=vv.astype(np.float32),
                normals=n.astype(np.float32),
                indices=ff,
                material=_material(pyrender, rgb),
                mode=4,
            )
        )
    return pyrender.Mesh(prims)


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
        props["box"] = [_box([lo[0], 0.0, lo[2]], [hi[0], h, hi[2]])]
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
        boxes = [_box([back, seat - 0.05, zc - 0.23], [front, seat, zc + 0.23])]
        for x in (back + 0.02, front - 0.05):
            for z in (zc - 0.21, zc + 0.18):
                boxes.append(_box([x, 0.0, z], [x + 0.03, seat - 0.05, z + 0.03]))
        boxes.append(_box([back - 0.03, seat, zc - 0.23], [back, seat + 0.48, zc + 0.23]))
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
            boxes.append(_box([xw, 0.0, -1.5], [xw + 0.12, 2.4, -gap]))
        if "right" in sides:
            boxes.append(_box([xw, 0.0, gap], [xw + 0.12, 2.4, 1.5]))
        if spec.scene["door_frame"]:
            boxes.append(_box([xw - 0.02, 2.02, -gap - 0.07], [xw + 0.14, 2.4, gap + 0.07]))
            if "left" in sides:
                boxes.append(_box([xw - 0.02, 0.0, -gap - 0.07], [xw + 0.14, 2.02, -gap]))
            if "right" in sides:
                boxes.append(_box([xw - 0.02, 0.0, gap], [xw + 0.14, 2.02, gap + 0.07]))
        props["wall"] = boxes
    if st in ("seated_floor", "supine_raise", "supine_wall"):
        props["mat"] = []  # filled once the body's position is known
    return props


# --------------------------------------------------------------------------- the camera


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
        dist = max(dist, 1.5)
    height = cam["height_m"] if cam["height_m"] is not None else max(0.5, centre[1] + 0.3)
    target = centre.copy()
    position = centre + d * dist
    position[1] = height
    return Camera(
        position=position,
        target=target,
        width=spec.width,
        height=spec.height,
        fov_deg=cam["fov_deg"],
    )


# --------------------------------------------------------------------------- rendering


def resolve_spec(raw: dict) -> Spec:
    """Apply the ``variation`` option, then validate."""
    if raw.get("variation"):
        raw = vary_spec(raw, int(raw.get("seed", 0)))
    return parse_spec(raw, name=str(raw.get("name", "synth")))


def _still_time(spec: Spec) -> float:
    if spec.still_t_s is not None:
        return min(spec.still_t_s, spec.duration_s)
    t = 0.0
    for seg in spec.timeline:
        if seg.phase == "hold":
            return t + 0.6 * seg.duration_s
        t += seg.duration_s
    return spec.duration_s


def render_spec(
    spec_raw: dict,
    out_path: str | Path,
    *,
    width: int | None = None,
    height: int | None = None,
    fps: float | None = None,
    seed: int | None = None,
    max_frames: int | None = None,
) -> dict:
    """Render a spec to ``out_path`` (.mp4, or .jpg/.png for one still) and its truth file.

    Returns the truth dict (also written to ``<out stem>.truth.json``).
    """
    raw = dict(spec_raw)
    for key, val in (("width", width), ("height", height), ("fps", fps), ("seed", seed)):
        if val is not None:
            raw[key] = val
    spec = resolve_spec(raw)
    out = Path(out_path)
    still = out.suffix.lower() in STILL_SUFFIXES
    if not still and out.suffix.lower() != ".mp4":
        raise OutputError(f"output {out}: expected a .mp4 video or a .jpg/.png still")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"cannot create {out.parent}: {err.strerror}") from err
    t0 = time.perf_counter()
    pyrender, _ = _import_pyrender()
    import cv2

    subject = spec.subject
    body = Body.build(
        {k: subject[k] for k in ("gender", "age", "muscle", "weight", "height", "proportions")},
        sleeves=subject["sleeves"],
    )
    m = BodyMeasures.of(body.skeleton)
    placer = Placer(body)
    # walking away: along the camera's horizontal axis, the way the person already faces
    yaw = math.radians(spec.camera["yaw_deg"])
    right = np.array([-math.sin(yaw), 0.0, -math.cos(yaw)])
    walk = right if right[0] >= 0 else -right
    placer.walk_dir = walk
    walk_heading = math.degrees(math.atan2(-walk[2], walk[0]))
    times = [_still_time(spec)] if still else None
    frames = build_frames(spec, m, walk_heading, times)
    if max_frames is not None:
        frames = frames[:max_frames]
    placed = [placer.place(f.pose) for f in frames]
    # camera: frame the person in the frames where they are meant to be seen
    framing = [
        p.vertices
        for p, f in zip(placed, frames, strict=True)
        if f.phase != "away" and f.pose.frame_shift == 0
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
    log.info("posed %d frames in %.1f s", len(frames), time.perf_counter() - t0)

    rng = np.random.default_rng(spec.seed)
    scene = pyrender.Scene(
        ambient_light=[spec.scene["ambient"]] * 3,
        bg_color=[*parse_colour("scene.wall", spec.scene["wall"]), 1.0],
    )
    centre = camera.target.copy()
    half = max(5.0, dist + 1.5)
    scene.add(
        _floor_mesh(
            pyrender,
            centre,
            half,
            parse_colour("floor", spec.scene["floor"]),
            spec.scene["floor_pattern"],
            rng,
        )
    )
    wall_rgb = parse_colour("wall", spec.scene["wall"])
    walls, skirting = [], []
    for axis in (0, 2):
        for sgn in (-1, 1):
            lo = centre - half
            hi = centre + half
            lo[1], hi[1] = 0.0, 2.8
            if sgn < 0:
                hi[axis] = lo[axis] + 0.05
            else:
                lo[axis] = hi[axis] - 0.05
            walls.append(_box(lo, hi))
            s_lo, s_hi = lo.copy(), hi.copy()
            s_hi[1] = 0.09
            if sgn < 0:
                s_hi[axis] += 0.02
            else:
                s_lo[axis] -= 0.02
            skirting.append(_box(s_lo, s_hi))
    scene.add(_solid(pyrender, walls, wall_rgb))
    scene.add(_solid(pyrender, skirting, tuple(0.75 * np.asarray(wall_rgb))))
    prop_colour = {
        "box": parse_colour("box", spec.scene["box_color"]),
        "chair": parse_colour("chair", spec.scene["chair_color"]),
        "wall": tuple(0.95 * np.asarray(wall_rgb)),
    }
    if "mat" in props:
        allv = np.concatenate(
            [
                p.vertices[::5]
                for p, f in zip(placed, frames, strict=True)
                if f.phase not in ("stand", "away")
            ]
            or [placed[0].vertices]
        )
        low = allv[allv[:, 1] < 0.15]
        if len(low):
            lo, hi = low.min(0), low.max(0)
            props["mat"] = [
                _box([lo[0] - 0.1, -0.002, lo[2] - 0.15], [hi[0] + 0.1, 0.006, hi[2] + 0.15])
            ]
            mat_rgb = tuple(
                rng.choice(
                    [[0.35, 0.5, 0.6], [0.55, 0.3, 0.45], [0.3, 0.45, 0.3], [0.2, 0.2, 0.25]]
                )
            )
            prop_colour["mat"] = mat_rgb
    for name, boxes in props.items():
        if boxes:
            scene.add(_solid(pyrender, boxes, prop_colour[name]))
    scene.add(
        pyrender.PerspectiveCamera(
            yfov=math.radians(camera.fov_deg), aspectRatio=spec.width / spec.height
        ),
        pose=camera.gl_pose,
    )
    az = math.radians(spec.camera["yaw_deg"] + spec.scene["light_azimuth_deg"])
    el = math.radians(spec.scene["light_elevation_deg"])
    light_dir = -np.array([math.cos(el) * math.cos(az), math.sin(el), -math.cos(el) * math.sin(az)])
    lp = np.eye(4)
    zaxis = -light_dir
    xaxis = np.cross([0.0, 1.0, 0.0], zaxis)
    xaxis = xaxis / np.linalg.norm(xaxis) if np.linalg.norm(xaxis) > 1e-6 else np.array([1.0, 0, 0])
    lp[:3, 0], lp[:3, 1], lp[:3, 2] = xaxis, np.cross(zaxis, xaxis), zaxis
    scene.add(
        pyrender.DirectionalLight(color=np.ones(3), intensity=spec.scene["light_intensity"]),
        pose=lp,
    )
    scene.add(
        pyrender.PointLight(
            color=np.ones(3), intensity=0.25 * spec.scene["light_intensity"] * dist**2
        ),
        pose=camera.gl_pose,
    )
    materials = {
        part: _material(pyrender, parse_colour(part, subject[part if part != "skin" else "skin"]))
        for part in ("skin", "hair", "top", "trousers", "socks")
    }
    part_faces = {part: body.faces[body.face_part == part] for part in materials}
    strap_mat = _material(pyrender, (0.85, 0.75, 0.2))
    try:
        renderer = pyrender.OffscreenRenderer(spec.width, spec.height)
    except Exception as err:  # no OSMesa, or OpenGL already set up for another platform
        raise SynthUnavailable(
            f"cannot start offscreen rendering ({type(err).__name__}: {err}); install "
            "libosmesa6 and set PYOPENGL_PLATFORM=osmesa before anything imports OpenGL"
        ) from err
    writer = None
    tmp = out.with_name(out.stem + ".part" + out.suffix)
    if not still:
        fourcc = cv2.VideoWriter.fourcc(*"mp4v")
        writer = cv2.VideoWriter(str(tmp), fourcc, spec.fps, (spec.width, spec.height))
        if not writer.isOpened():
            raise OutputError(f"cannot write video {out} (OpenCV mp4v)")
    truth_frames = []
    t_render = time.perf_counter()
    # One set of body and strap primitives for the whole clip, their vertex buffers rewritten
    # each frame: new meshes per frame leak ~60 MB a frame in OSMesa.
    v0 = placed[0].vertices.astype(np.float32)
    n0 = _vertex_normals(v0, body.faces).astype(np.float32)
    body_prims = [
        pyrender.Primitive(
            positions=v0, normals=n0, indices=part_faces[part], material=materials[part], mode=4
        )
        for part in materials
        if len(part_faces[part])
    ]
    scene.add(pyrender.Mesh(body_prims))
    strap_v0 = np.zeros((72, 3), np.float32)
    strap_prim = pyrender.Primitive(
        positions=strap_v0,
        normals=strap_v0 + [0, 1, 0],
        indices=np.arange(72).reshape(-1, 3),
        material=strap_mat,
        mode=4,
    )
    scene.add(pyrender.Mesh([strap_prim]))
    try:
        for f, p in zip(frames, placed, strict=True):
            v = p.vertices.astype(np.float32)
            n = _vertex_normals(v, body.faces).astype(np.float32)
            if f.pose.arms.get("strap", 0.0) > 0.5:
                sv, sn = _strap_vertices(p, f)
            else:
                sv = np.repeat(v[:1], 72, axis=0)
                sn = np.zeros_like(sv) + [0.0, 1.0, 0.0]
            if body_prims[0]._in_context():
                _upload(renderer, body_prims, v, n)
                _upload(renderer, [strap_prim], sv, sn)
            else:
                for prim in body_prims:
                    prim.positions, prim.normals = v, n
                strap_prim.positions, strap_prim.normals = sv, sn
            colour, _ = renderer.render(scene)
            bgr = np.ascontiguousarray(colour[:, :, ::-1])
            if writer is not None:
                writer.write(bgr)
            else:
                ok = cv2.imwrite(str(tmp), bgr, [cv2.IMWRITE_JPEG_QUALITY, 92])
                if not ok:
                    raise OutputError(f"cannot write image {out}")
            a3, a2, j2, in_frame = frame_truth(p.landmarks, camera, f.pose.lumbar_flexion_deg)
            truth_frames.append(
                {
                    "i": f.i if not still else 0,
                    "t_s": round(f.t_s if not still else 0.0, 4),
                    "phase": f.phase,
                    "stretch": f.stretch,
                    "side": f.side,
                    "fault": f.fault,
                    "in_frame": in_frame,
                    "angles_3d": a3,
                    "angles_2d": a2,
                    "joints_2d": j2,
                    "pose": {
                        "hip_flexion_deg": dict(
                            zip(
                                ("left", "right"),
                                (round(x, 2) for x in f.pose.hip_flexion_deg()),
                                strict=True,
                            )
                        ),
                        "knee_flexion_deg": dict(
                            zip(
                                ("left", "right"),
                                (round(x, 2) for x in f.pose.knee_flexion_deg),
                                strict=True,
                            )
                        ),
                        "pelvis_pitch_deg": round(f.pose.pelvis_pitch_deg, 2),
                        "thoracic_flexion_deg": round(f.pose.thoracic_flexion_deg, 2),
                    },
                    "joints_3d": {
                        k: [round(float(x), 4) for x in p.landmarks[k]] for k in MEDIAPIPE_NAMES
                    },
                }
            )
    finally:
        if writer is not None:
            writer.release()
        renderer.delete()
    render_s = time.perf_counter() - t_render
    tmp.replace(out)
    truth = {
        "schema": TRUTH_SCHEMA,
        "video": out.name,
        "kind": "image" if still else "video",
        "fps": spec.fps,
        "frame_count": len(truth_frames),
        "width": spec.width,
        "height": spec.height,
        "stretch": spec.stretch,
        "spec": spec.raw,
        "spec_hash": spec.digest(),
        "subject": {**subject, "measures_m": {k: round(v, 4) for k, v in vars(m).items()}},
        "camera": {
            "view": view_of_yaw(spec.camera["yaw_deg"]),
            "yaw_deg": round(spec.camera["yaw_deg"], 2),
            "height_m": round(float(camera.position[1]), 3),
            "distance_m": round(dist, 3),
            "fov_deg": round(camera.fov_deg, 2),
            **camera.to_json(),
        },
        "render": {
            "seconds": round(time.perf_counter() - t0, 2),
            "seconds_per_frame": round(render_s / max(1, len(truth_frames)), 4),
        },
        "frames": truth_frames,
    }
    truth_path = out.with_name(out.stem + ".truth.json")
    tmp_json = truth_path.with_name(truth_path.name + ".part")
    tmp_json.write_text(json.dumps(truth, separators=(",", ":")), encoding="utf-8")
    tmp_json.replace(truth_path)
    log.info("rendered %s: %d frames in %.1f s", out, len(truth_frames), time.perf_counter() - t0)
    return truth


def _upload(renderer, prims, v: np.ndarray, n: np.ndarray) -> None:
    """Rewrite the vertex buffers (positions + normals, interleaved) of live primitives."""
    from OpenGL.GL import GL_ARRAY_BUFFER, glBindBuffer, glBufferSubData

    data = np.ascontiguousarray(np.hstack([v, n]).astype(np.float32).ravel())
    renderer._platform.make_current()
    for prim in prims:
        glBindBuffer(GL_ARRAY_BUFFER, prim._buffers[0])
        glBufferSubData(GL_ARRAY_BUFFER, 0, data.nbytes, data)
    glBindBuffer(GL_ARRAY_BUFFER, 0)


def _strap_vertices(p: Placed, f: FrameState) -> tuple[np.ndarray, np.ndarray]:
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
        v, fc = _segment_box(grip, loop, 0.006)
        vv = v[fc].reshape(-1, 3)
        nn = np.repeat(np.cross(vv[1::3] - vv[0::3], vv[2::3] - vv[0::3]), 3, axis=0)
        nn /= np.maximum(np.linalg.norm(nn, axis=1, keepdims=True), 1e-9)
        vs.append(vv)
        ns.append(nn)
    return np.concatenate(vs).astype(np.float32), np.concatenate(ns).astype(np.float32)


# --------------------------------------------------------------------------- varied sets


def variation_spec(stretch: str, seed: int, fault: str | None = None) -> dict:
    """A short spec for one stretch with a seeded random person, room and camera."""
    rng = np.random.default_rng(seed)
    bilateral = stretch in BILATERAL
    side = "both" if bilateral else str(rng.choice(["left", "right"]))
    start = "stand" if stretch.startswith("standing") else "rest"
    timeline = [
        {"phase": start, "duration_s": 1.0},
        {"phase": "enter", "side": side, "duration_s": 2.0},
        {"phase": "hold", "side": side, "duration_s": 3.0},
    ]
    if fault:
        timeline.append({"phase": "hold", "side": side, "duration_s": 3.0, "fault": fault})
    timeline.append({"phase": "release", "side": side, "duration_s": 1.5})
    view = str(rng.choice(["side", "side", "side", "oblique", "front"]))
    return {
        "stretch": stretch,
        "name": f"{stretch}_{seed}" + (f"_{fault}" if fault else ""),
        "fps": 30.0,
        "width": 640,
        "height": 480,
        "seed": int(seed),
        "variation": True,
        "camera": {"view": view},
        "timeline": timeline,
    }


def render_variations(
    stretch: str,
    n: int,
    seed: int,
    out_dir: str | Path,
    *,
    fault: str | None = None,
    width: int | None = None,
    height: int | None = None,
) -> list[Path]:
    """Render ``n`` varied clips of ``stretch`` into ``out_dir``; cached by spec hash.

    A clip whose ``.truth.json`` carries the same spec hash is not rendered again.
    Returns the video paths.
    """
    out_dir = Path(out_dir)
    paths = []
    for k in range(n):
        raw = variation_spec(stretch, seed + k, fault)
        if width:
            raw["width"] = width
        if height:
            raw["height"] = height
        spec = resolve_spec(raw)
        path = out_dir / f"{raw['name']}_{spec.digest()[:8]}.mp4"
        truth = path.with_name(path.stem + ".truth.json")
        if path.exists() and truth.exists():
            try:
                if json.loads(truth.read_text())["spec_hash"] == spec.digest():
                    paths.append(path)
                    continue
            except (OSError, ValueError, KeyError):
                pass
        render_spec(raw, path)
        paths.append(path)
    return paths


__all__ = ["render_spec", "render_variations", "variation_spec", "resolve_spec", "SpecError"]
