"""Render a spec: the person (Anny), the room and props (pyrender on OSMesa), video + truth file.

Needs the ``synth`` extra and Debian's ``libosmesa6`` (see docs/synth.md). Entry points:
:func:`render_spec` (one spec -> ``OUT.mp4`` or a still ``OUT.jpg`` + ``OUT.truth.json``) and
:func:`render_variations` (a seeded, varied set for the benchmark, cached by spec hash). The
body is posed and placed by :mod:`formcheck.synth.place`, the room is built by
:mod:`formcheck.synth.scene`.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.errors import OutputError
from formcheck.synth.body import Body, SynthUnavailable
from formcheck.synth.degrade import degrade_frame
from formcheck.synth.extras import LongHair, LooseTop
from formcheck.synth.holds import VALID_DEFINITION, body_size, frame_valid, hold_intervals
from formcheck.synth.meshes import material, vertex_normals
from formcheck.synth.place import Clip, Placed, pose_clip, strap_vertices
from formcheck.synth.pose import BILATERAL
from formcheck.synth.scene import build_scene, import_pyrender
from formcheck.synth.skeleton import MEDIAPIPE_NAMES
from formcheck.synth.spec import Spec, SpecError, parse_colour, parse_spec, vary_spec
from formcheck.synth.timeline import FrameState
from formcheck.synth.truth import TRUTH_SCHEMA, Camera, frame_truth, view_of_yaw

log = logging.getLogger(__name__)

STILL_SUFFIXES = (".jpg", ".jpeg", ".png")


def resolve_spec(raw: dict) -> Spec:
    """Apply the ``variation`` option, then validate."""
    if raw.get("variation"):
        raw = vary_spec(raw, int(raw.get("seed", 0)))
    return parse_spec(raw, name=str(raw.get("name", "synth")))


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
    pyrender, _ = import_pyrender()

    subject = spec.subject
    body = Body.build(
        {k: subject[k] for k in ("gender", "age", "muscle", "weight", "height", "proportions")},
        sleeves=subject["sleeves"],
        legwear=subject.get("legwear", "trousers"),
    )
    clip = pose_clip(spec, body, still=still, max_frames=max_frames)
    log.info("posed %d frames in %.1f s", len(clip.frames), time.perf_counter() - t0)
    scene = build_scene(pyrender, spec, clip)
    tmp = out.with_name(out.stem + ".part" + out.suffix)
    t_render = time.perf_counter()
    truth_frames = _render_frames(pyrender, spec, body, clip, scene, out, tmp, still)
    render_s = time.perf_counter() - t_render
    camera, dist = clip.camera, clip.distance_m
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
        "subject": {
            **subject,
            "measures_m": {k: round(v, 4) for k, v in vars(clip.measures).items()},
            **body_size(body),
        },
        "holds": hold_intervals(truth_frames),
        "valid_definition": VALID_DEFINITION,
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


def _render_frames(
    pyrender: Any,
    spec: Spec,
    body: Body,
    clip: Clip,
    scene: Any,
    out: Path,
    tmp: Path,
    still: bool,
) -> list[dict]:
    """Render every frame of ``clip`` into ``tmp`` (a video, or the picture ``out`` will be).

    Returns the truth rows, one per frame.
    """
    import cv2

    subject = spec.subject
    camera = clip.camera
    frames, placed = clip.frames, clip.placed
    materials = {
        part: material(pyrender, parse_colour(part, subject[part if part != "skin" else "skin"]))
        for part in ("skin", "hair", "top", "trousers", "socks")
    }
    part_faces = {part: body.faces[body.face_part == part] for part in materials}
    strap_mat = material(pyrender, (0.85, 0.75, 0.2))
    try:
        renderer = pyrender.OffscreenRenderer(spec.width, spec.height)
    except Exception as err:  # no OSMesa, or OpenGL already set up for another platform
        raise SynthUnavailable(
            f"cannot start offscreen rendering ({type(err).__name__}: {err}); install "
            "libosmesa6 and set PYOPENGL_PLATFORM=osmesa before anything imports OpenGL"
        ) from err
    writer = None
    if not still:
        fourcc = cv2.VideoWriter.fourcc(*"mp4v")
        writer = cv2.VideoWriter(str(tmp), fourcc, spec.fps, (spec.width, spec.height))
        if not writer.isOpened():
            raise OutputError(f"cannot write video {out} (OpenCV mp4v)")
    truth_frames: list[dict] = []
    noise_rng = np.random.default_rng(spec.seed + 7919)
    # One set of body and strap primitives for the whole clip, their vertex buffers rewritten
    # each frame: new meshes per frame leak ~60 MB a frame in OSMesa.
    v0 = placed[0].vertices.astype(np.float32)
    n0 = vertex_normals(v0, body.faces).astype(np.float32)
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
    # garments drawn over the body (docs/synth.md, "Domain randomization"), same buffer scheme
    garments: list[tuple[Any, Any, Any]] = []  # (kind, model, primitive)
    top = LooseTop.of(body) if subject.get("top_fit") == "loose" else None
    if top is not None:
        garments.append(("top", top, None))
    if subject.get("hair_length") == "long":
        garments.append(("hair", LongHair.of(body), None))
    for k, (kind, model, _) in enumerate(garments):
        gv = _garment_vertices(model, v0, n0, placed[0], top).astype(np.float32)
        prim = pyrender.Primitive(
            positions=gv,
            normals=vertex_normals(gv, model.faces).astype(np.float32),
            indices=model.faces,
            material=materials[kind],
            mode=4,
        )
        scene.add(pyrender.Mesh([prim]))
        garments[k] = (kind, model, prim)
    cam_node = scene.main_camera_node
    try:
        for f, p in zip(frames, placed, strict=True):
            v = p.vertices.astype(np.float32)
            n = vertex_normals(v, body.faces).astype(np.float32)
            if clip.moving_camera:
                scene.set_pose(cam_node, clip.camera_of(len(truth_frames)).gl_pose)
            if f.pose.arms.get("strap", 0.0) > 0.5:
                sv, sn = strap_vertices(p, f)
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
            for _, model, prim in garments:
                gv = _garment_vertices(model, v, n, p, top).astype(np.float32)
                gn = vertex_normals(gv, model.faces).astype(np.float32)
                if prim._in_context():
                    _upload(renderer, [prim], gv, gn)
                else:
                    prim.positions, prim.normals = gv, gn
            colour, _ = renderer.render(scene)
            bgr = degrade_frame(np.ascontiguousarray(colour[:, :, ::-1]), spec.post, noise_rng)
            if writer is not None:
                writer.write(bgr)
            else:
                ok = cv2.imwrite(str(tmp), bgr, [cv2.IMWRITE_JPEG_QUALITY, 92])
                if not ok:
                    raise OutputError(f"cannot write image {out}")
            cam_f = clip.camera_of(len(truth_frames)) if clip.moving_camera else camera
            row = _truth_frame(f, p, cam_f, still)
            if clip.moving_camera:
                row["camera"] = {
                    "position_m": np.round(cam_f.position, 4).tolist(),
                    "target_m": np.round(cam_f.target, 4).tolist(),
                    "world_to_camera": np.round(cam_f.world_to_camera, 6).tolist(),
                }
            truth_frames.append(row)
    finally:
        if writer is not None:
            writer.release()
        renderer.delete()
    return truth_frames


def _garment_vertices(
    model: Any, v: np.ndarray, n: np.ndarray, p: Placed, top: LooseTop | None
) -> np.ndarray:
    """One frame's vertices of a garment (the top is computed again for the hair on it)."""
    if isinstance(model, LooseTop):
        return model.vertices(v.astype(float), n, p.landmarks)
    over = (top, top.vertices(v.astype(float), n, p.landmarks)) if top is not None else None
    return model.vertices(v, n, over)


def _truth_frame(f: FrameState, p: Placed, camera: Camera, still: bool) -> dict:
    """The truth file's row of one frame: phase, fault, angles, joints (2D pixels, 3D metres)."""
    a3, a2, j2, in_frame = frame_truth(p.landmarks, camera, f.pose.lumbar_flexion_deg)
    row = {
        "i": f.i if not still else 0,
        "t_s": round(f.t_s if not still else 0.0, 4),
        "phase": f.phase,
        "stretch": f.stretch,
        "side": f.side,
        "fault": f.fault,
        "in_frame": in_frame,
        "valid": False,  # set below, from the row itself (formcheck.synth.holds.frame_valid)
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
        "joints_3d": {k: [round(float(x), 4) for x in p.landmarks[k]] for k in MEDIAPIPE_NAMES},
    }
    row["valid"] = frame_valid(row)
    return row


def _upload(renderer, prims, v: np.ndarray, n: np.ndarray) -> None:
    """Rewrite the vertex buffers (positions + normals, interleaved) of live primitives."""
    from OpenGL.GL import GL_ARRAY_BUFFER, glBindBuffer, glBufferSubData

    data = np.ascontiguousarray(np.hstack([v, n]).astype(np.float32).ravel())
    renderer._platform.make_current()
    for prim in prims:
        glBindBuffer(GL_ARRAY_BUFFER, prim._buffers[0])
        glBufferSubData(GL_ARRAY_BUFFER, 0, data.nbytes, data)
    glBindBuffer(GL_ARRAY_BUFFER, 0)


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
