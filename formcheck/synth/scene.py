"""The synthetic room in pyrender: floor, walls, props, camera and lights around a posed clip.

pyrender is imported by :func:`import_pyrender` only, which picks the OSMesa platform first
(see docs/synth.md).
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from formcheck.synth.body import SynthUnavailable
from formcheck.synth.meshes import box, floor_mesh, solid
from formcheck.synth.place import Clip
from formcheck.synth.spec import Spec, parse_colour


def import_pyrender() -> tuple[Any, Any]:
    """Return the ``pyrender`` and ``trimesh`` modules, set up for offscreen OSMesa rendering.

    Raises
    ------
    SynthUnavailable
        If the ``synth`` extra or OSMesa is missing.
    """
    os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")
    if not hasattr(np, "infty"):
        np.infty = np.inf  # type: ignore[attr-defined]  # pyrender 0.1.45 still uses it
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
    stabilise_program_cache()
    return pyrender, trimesh


def stabilise_program_cache() -> None:
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


def build_scene(pyrender: Any, spec: Spec, clip: Clip) -> Any:
    """Return the pyrender scene of ``spec`` around ``clip``, without the body.

    Floor, four walls with skirting, the props (a mat under a lying or seated body), the camera
    and the lights. The random draws (floor tiles, mat colour) come from ``spec.seed``.
    """
    rng = np.random.default_rng(spec.seed)
    scene = pyrender.Scene(
        ambient_light=[spec.scene["ambient"]] * 3,
        bg_color=[*parse_colour("scene.wall", spec.scene["wall"]), 1.0],
    )
    camera, dist, props = clip.camera, clip.distance_m, clip.props
    centre = camera.target.copy()
    half = max(5.0, dist + 1.5)
    scene.add(
        floor_mesh(
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
            walls.append(box(lo, hi))
            s_lo, s_hi = lo.copy(), hi.copy()
            s_hi[1] = 0.09
            if sgn < 0:
                s_hi[axis] += 0.02
            else:
                s_lo[axis] -= 0.02
            skirting.append(box(s_lo, s_hi))
    scene.add(solid(pyrender, walls, wall_rgb))
    scene.add(solid(pyrender, skirting, tuple(0.75 * np.asarray(wall_rgb))))
    prop_colour = {
        "box": parse_colour("box", spec.scene["box_color"]),
        "chair": parse_colour("chair", spec.scene["chair_color"]),
        "wall": tuple(0.95 * np.asarray(wall_rgb)),
    }
    if "mat" in props:
        allv = np.concatenate(
            [
                p.vertices[::5]
                for p, f in zip(clip.placed, clip.frames, strict=True)
                if f.phase not in ("arrive", "stand", "away")
            ]
            or [clip.placed[0].vertices]
        )
        low = allv[allv[:, 1] < 0.15]
        if len(low):
            lo, hi = low.min(0), low.max(0)
            props["mat"] = [
                box([lo[0] - 0.1, -0.002, lo[2] - 0.15], [hi[0] + 0.1, 0.006, hi[2] + 0.15])
            ]
            mat_rgb = tuple(
                rng.choice(
                    [[0.35, 0.5, 0.6], [0.55, 0.3, 0.45], [0.3, 0.45, 0.3], [0.2, 0.2, 0.25]]
                )
            )
            prop_colour["mat"] = mat_rgb
    for name, boxes in props.items():
        if boxes:
            scene.add(solid(pyrender, boxes, prop_colour[name]))
    for lo, hi, rgb in clutter_boxes(spec, clip, rng):
        scene.add(solid(pyrender, [box(lo, hi)], rgb))
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
    return scene


def clutter_boxes(
    spec: Spec, clip: Clip, rng: np.random.Generator
) -> list[tuple[np.ndarray, np.ndarray, tuple[float, float, float]]]:
    """``scene.clutter`` pieces of furniture (boxes) behind the person, seen from the camera.

    Each is 1.4-3.0 m beyond the person's centre, up to 2.2 m to either side, 0.3-1.0 m wide
    and 0.2-1.9 m tall, in a random colour; none stands between the camera and the person.
    """
    n = int(spec.scene.get("clutter", 0))
    if n <= 0:
        return []
    cam = clip.camera
    away = cam.target - cam.position
    away[1] = 0.0
    away /= max(float(np.linalg.norm(away)), 1e-9)
    side = np.cross(away, [0.0, 1.0, 0.0])
    out = []
    for _ in range(n):
        c = cam.target + away * rng.uniform(1.4, 3.0) + side * rng.uniform(-2.2, 2.2)
        w, d, h = rng.uniform(0.3, 1.0), rng.uniform(0.3, 0.8), rng.uniform(0.2, 1.9)
        lo = np.array([c[0] - w / 2, 0.0, c[2] - d / 2])
        hi = np.array([c[0] + w / 2, h, c[2] + d / 2])
        r, g, b = (float(x) for x in rng.uniform(0.1, 0.9, 3))
        out.append((lo, hi, (r, g, b)))
    return out
