"""Anny, NAVER's parametric human body model, posed from :class:`~formcheck.synth.pose.BodyPose`.

Needs the ``synth`` extra (``anny`` with CPU torch). Anny builds its model data on first use
(~45 s, ~0.8 GB) into ``ANNY_CACHE_DIR``, which defaults here to ``<repo>/.cache/anny``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from formcheck.errors import FormcheckError
from formcheck.synth.skeleton import Skeleton, find_surface_points

log = logging.getLogger(__name__)

#: body phenotype parameters Anny takes, each in 0..1
PHENOTYPES = ("gender", "age", "muscle", "weight", "height", "proportions")

#: clothing parts: which bones' skin each covers
PART_OF_BONE_PREFIX = (
    ("head", "skin_head"),
    ("eye", "skin_head"),
    ("neck", "skin"),
    ("wrist", "skin"),
    ("finger", "skin"),
    ("metacarpal", "skin"),
    ("lowerarm", "skin"),
    ("foot", "socks"),
    ("toe", "socks"),
    ("upperarm", "top"),
    ("spine", "top"),
    ("clavicle", "top"),
    ("shoulder", "top"),
    ("root", "trousers"),
    ("pelvis", "trousers"),
    ("upperleg", "trousers"),
    ("lowerleg", "trousers"),
)


class SynthUnavailable(FormcheckError):
    """The synthetic-people extra (anny, pyrender, OSMesa) is not installed."""


def default_cache_dir() -> Path:
    return Path(__file__).resolve().parents[2] / ".cache" / "anny"


def _import_anny():
    os.environ.setdefault("ANNY_CACHE_DIR", str(default_cache_dir()))
    try:
        import anny
        import torch
    except ImportError as err:
        raise SynthUnavailable(
            f"the synthetic-people renderer needs the 'synth' extra ({err.name} is missing); "
            "see docs/synth.md"
        ) from err
    torch.set_grad_enabled(False)
    return anny, torch


_MODEL = None


def anny_model():
    """The Anny model (built once per process; cached on disk by Anny)."""
    global _MODEL
    if _MODEL is None:
        anny, _ = _import_anny()
        log.info("building the Anny body model (first time ~45 s)")
        _MODEL = anny.Anny(pose_parameterization="world-orient")
    return _MODEL


@dataclass
class Body:
    """One person's body: rest mesh, skeleton, and the parts of the mesh (for clothing).

    Attributes
    ----------
    phenotype : dict
        Anny phenotype parameters.
    skeleton : Skeleton
    faces : np.ndarray, shape (F, 3)
    face_part : np.ndarray of str, shape (F,)
        Clothing part of each triangle (``skin``, ``skin_head``, ``hair``, ``top``, ``trousers``,
        ``socks``).
    vertex_bone : np.ndarray, shape (V,)
        Most weighted bone of each vertex.
    """

    phenotype: dict
    skeleton: Skeleton
    faces: np.ndarray
    face_part: np.ndarray
    vertex_bone: np.ndarray
    _rest_rot: np.ndarray
    _root_rest: np.ndarray
    stature_m: float = float("nan")  # standing height of the rest mesh
    volume_m3: float = float("nan")  # enclosed volume of the rest mesh (mass ~ 1000 kg/m3 x this)
    rest_vertices: np.ndarray | None = None  # (V, 3) Anny rest mesh (z up, +y to the back)

    @classmethod
    def build(
        cls, phenotype: dict | None = None, sleeves: str = "short", legwear: str = "trousers"
    ) -> Body:
        anny, torch = _import_anny()
        model = anny_model()
        phen = {k: float(v) for k, v in (phenotype or {}).items() if k in PHENOTYPES}
        out = model(phenotype_kwargs=phen)
        rest_heads = out["rest_bone_heads"][0].double().numpy()
        rest_poses = out["rest_bone_poses"][0].double().numpy()
        rest_vertices = out["rest_vertices"][0].double().numpy()
        labels = tuple(model.bone_labels)
        parents = tuple(int(p) for p in model.bone_parents)
        weights = model.vertex_bone_weights.numpy()
        indices = model.vertex_bone_indices.numpy()
        vertex_bone = indices[np.arange(len(indices)), np.argmax(weights, axis=1)]
        points, sole = find_surface_points(labels, rest_heads, rest_vertices, vertex_bone)
        skeleton = Skeleton(labels, parents, rest_heads, points, sole)
        faces = model.faces.numpy().astype(np.int64)
        if faces.shape[1] != 3:
            faces = model.get_triangular_faces().numpy()
        part_of_bone = []
        for label in labels:
            part = "skin"
            for prefix, name in PART_OF_BONE_PREFIX:
                if label.startswith(prefix):
                    part = name
                    break
            if sleeves == "long" and label.startswith("lowerarm"):
                part = "top"
            if legwear == "shorts" and label.startswith(("lowerleg", "upperleg02")):
                part = "skin"
            part_of_bone.append(part)
        vpart = np.array(part_of_bone, dtype=object)[vertex_bone]
        # hair: the top and back of the head
        eye_z = skeleton.head("eye.L")[2]
        eye_y = skeleton.head("eye.L")[1]
        hair = (vpart == "skin_head") & (
            (rest_vertices[:, 2] > eye_z + 0.035)
            | ((rest_vertices[:, 2] > eye_z - 0.06) & (rest_vertices[:, 1] > eye_y + 0.11))
        )
        vpart[hair] = "hair"
        vpart[vpart == "skin_head"] = "skin"
        # a face takes the part most of its vertices have
        fp = vpart[faces]
        face_part = np.where(fp[:, 1] == fp[:, 2], fp[:, 1], fp[:, 0])
        return cls(
            phenotype=phen,
            skeleton=skeleton,
            faces=faces,
            face_part=face_part,
            vertex_bone=vertex_bone,
            _rest_rot=rest_poses[:, :3, :3],
            _root_rest=rest_heads[0],
            stature_m=float(np.ptp(rest_vertices[:, 2])),
            volume_m3=_mesh_volume_m3(rest_vertices, faces),
            rest_vertices=rest_vertices,
        )

    def vertices(self, rotations: np.ndarray, root_m: np.ndarray | None = None) -> np.ndarray:
        """Skinned vertices (V, 3), body frame, for per-bone rotations (B, 3, 3)."""
        _, torch = _import_anny()
        model = anny_model()
        world = np.einsum("bij,bjk->bik", rotations, self._rest_rot)
        delta = np.tile(np.eye(4), (len(rotations), 1, 1))
        delta[:, :3, :3] = world
        delta[0, :3, 3] = self._root_rest if root_m is None else root_m
        dtype = model.template_vertices.dtype
        out = model(
            pose_parameters=torch.as_tensor(delta[None], dtype=dtype),
            phenotype_kwargs=self.phenotype,
        )
        return out["vertices"][0].double().numpy()


def _mesh_volume_m3(vertices: np.ndarray, faces: np.ndarray) -> float:
    """Enclosed volume of a triangle mesh (divergence theorem; small holes barely matter)."""
    a, b, c = (vertices[faces[:, k]] for k in range(3))
    return float(abs(np.einsum("ij,ij->i", a, np.cross(b, c)).sum()) / 6.0)
