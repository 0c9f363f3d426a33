"""Meshes of the synthetic scene: boxes (props, walls, a strap), normals, the tiled floor.

Geometry is plain numpy (vertices ``(V, 3)`` in metres, faces ``(F, 3)``); the functions that
make pyrender meshes take the ``pyrender`` module as their first argument, so that nothing
imports it before :func:`formcheck.synth.scene.import_pyrender` has set up OSMesa.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def box(lo: Any, hi: Any) -> tuple[np.ndarray, np.ndarray]:
    """An axis-aligned box from corner ``lo`` to corner ``hi`` (metres): vertices, faces."""
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


def segment_box(a: np.ndarray, b: np.ndarray, thickness: float) -> tuple[np.ndarray, np.ndarray]:
    """A thin box from point a to point b (a strap)."""
    d = b - a
    length = float(np.linalg.norm(d))
    v, f = box([-thickness, 0.0, -thickness * 2.5], [thickness, length, thickness * 2.5])
    y = d / max(length, 1e-9)
    x = np.cross(y, [0.0, 1.0, 0.0])
    if np.linalg.norm(x) < 1e-6:
        x = np.cross(y, [1.0, 0.0, 0.0])
    x /= np.linalg.norm(x)
    z = np.cross(x, y)
    return v @ np.stack([x, y, z]) + a, f


def vertex_normals(v: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Unit normals (V, 3) of vertices ``v`` (V, 3): the area-weighted sum of their faces'."""
    fn = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    n = np.zeros_like(v)
    for k in range(3):
        np.add.at(n, f[:, k], fn)
    norm = np.linalg.norm(n, axis=1, keepdims=True)
    return n / np.where(norm > 0, norm, 1.0)


def floor_mesh(pyrender, centre, half, colour, pattern, rng):
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


def material(pyrender, rgb, rough=0.85):
    """A matt (non-metallic) pyrender material of colour ``rgb`` (0..1)."""
    return pyrender.MetallicRoughnessMaterial(
        baseColorFactor=[*rgb, 1.0], metallicFactor=0.0, roughnessFactor=rough
    )


def solid(pyrender, boxes, rgb):
    """One flat-shaded pyrender mesh of ``boxes`` (list of (vertices, faces)) in colour ``rgb``."""
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
                material=material(pyrender, rgb),
                mode=4,
            )
        )
    return pyrender.Mesh(prims)
