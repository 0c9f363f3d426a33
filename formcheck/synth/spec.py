"""Render specs: a TOML file saying who does which stretch how, where, seen from where.

See docs/synth.md for the format. :func:`load_spec` / :func:`parse_spec` validate everything
where it enters and raise :class:`SpecError` (a :class:`~formcheck.errors.ConfigError`) naming
the key, what was expected and what was found. :func:`vary_spec` fills in a seeded random
subject, scene and camera.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import random
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formcheck.errors import ConfigError
from formcheck.synth.pose import BILATERAL, FAULTS, STRETCHES

PHASES = ("arrive", "stand", "enter", "hold", "release", "rest", "switch", "away")
SIDES = ("left", "right", "both")
VIEWS = {"side": 90.0, "oblique": 45.0, "front": 0.0}
FLOOR_PATTERNS = ("plain", "planks", "checker", "tiles")
PHENOTYPE_KEYS = ("gender", "age", "muscle", "weight", "height", "proportions")
COLOUR_KEYS = ("top", "trousers", "skin", "hair", "socks")
TOP_KEYS = {
    "stretch",
    "name",
    "fps",
    "width",
    "height",
    "seed",
    "variation",
    "still_t_s",
    "subject",
    "post",
    "meta",
    "camera",
    "scene",
    "params",
    "timeline",
}

DEFAULT_SUBJECT: dict[str, Any] = {
    "gender": 0.5,
    "age": 0.5,
    "muscle": 0.5,
    "weight": 0.5,
    "height": 0.5,
    "proportions": 0.5,
    "top": "#3567a8",
    "trousers": "#2b2b33",
    "skin": "#d9a98a",
    "hair": "#3a2a1f",
    "socks": "#e8e8e8",
    "sleeves": "short",
}
#: optional subject keys (issue 13, domain randomization): written into the resolved spec (and
#: so its hash) only when the spec gives them, so specs from before they existed keep their hash
OPTIONAL_SUBJECT: dict[str, tuple[str, ...]] = {
    "top_fit": ("fitted", "loose"),  # loose: a garment mesh that hides the line of the back
    "legwear": ("trousers", "shorts"),  # shorts: thighs covered above the knee only
    "hair_length": ("short", "long"),  # long: hair over the back of the neck and upper back
}
#: optional camera keys (degrees; 0 = a camera on a tripod), same rule as OPTIONAL_SUBJECT
OPTIONAL_CAMERA: dict[str, tuple[float, float]] = {
    "shake_deg": (0.0, 5.0),  # handheld jitter: ~2 Hz wobble of the aim, this amplitude
    "drift_deg": (0.0, 30.0),  # a slow pan / tilt of the aim over the clip, this amplitude
}
DEFAULT_CAMERA: dict[str, Any] = {
    "yaw_deg": 90.0,
    "height_m": None,
    "distance_m": None,
    "fov_deg": 50.0,
    "distance_scale": 1.0,
    "tilt_deg": 0.0,
}
DEFAULT_SCENE: dict[str, Any] = {
    "wall": "#d9d3c7",
    "floor": "#9a7653",
    "floor_pattern": "planks",
    "light_intensity": 3.0,
    "light_azimuth_deg": 35.0,
    "light_elevation_deg": 55.0,
    "ambient": 0.35,
    "props": True,
    "door_frame": True,
    "box_color": "#6f6a61",
    "chair_color": "#5b3b26",
    "chair_backrest": True,
    "clutter": 0,
}
#: image degradations applied to each rendered frame (formcheck.synth.degrade); defaults: none
DEFAULT_POST: dict[str, Any] = {
    "blur_sigma_px": 0.0,
    "noise_sigma": 0.0,
    "jpeg_quality": 100,
    "gain": 1.0,
}


class SpecError(ConfigError):
    """A render spec has a bad value."""


@dataclass(frozen=True)
class Segment:
    """One timeline segment: a phase held or moved into for ``duration_s``."""

    phase: str
    duration_s: float
    side: str | None = None
    fault: str | None = None
    params: dict | None = None


@dataclass(frozen=True)
class Spec:
    """A validated render spec (see docs/synth.md). ``raw`` is the spec as a plain dict."""

    stretch: str
    name: str
    fps: float
    width: int
    height: int
    seed: int
    subject: dict
    camera: dict
    scene: dict
    params: dict
    timeline: tuple[Segment, ...]
    still_t_s: float | None
    raw: dict
    post: dict = field(default_factory=lambda: dict(DEFAULT_POST))

    @property
    def duration_s(self) -> float:
        return sum(s.duration_s for s in self.timeline)

    @property
    def frame_count(self) -> int:
        return max(1, int(round(self.duration_s * self.fps)))

    def digest(self) -> str:
        """Stable hash of everything that changes the render (for caches)."""
        text = json.dumps(self.raw, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _num(where: str, value: Any, lo: float | None = None, hi: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(f"{where}: expected a number, found {value!r}")
    v = float(value)
    if not math.isfinite(v) or (lo is not None and v < lo) or (hi is not None and v > hi):
        raise SpecError(f"{where}: expected a number in [{lo}, {hi}], found {value!r}")
    return v


def parse_colour(where: str, value: Any) -> tuple[float, float, float]:
    """``"#rrggbb"`` or ``[r, g, b]`` (0..1) -> (r, g, b) floats."""
    if isinstance(value, str) and len(value) == 7 and value.startswith("#"):
        try:
            return tuple(int(value[i : i + 2], 16) / 255.0 for i in (1, 3, 5))  # type: ignore[return-value]
        except ValueError:
            pass
    if isinstance(value, list | tuple) and len(value) == 3:
        return tuple(_num(where, v, 0.0, 1.0) for v in value)  # type: ignore[return-value]
    raise SpecError(f"{where}: expected a colour '#rrggbb' or [r, g, b] in 0..1, found {value!r}")


def _table(raw: dict, key: str, defaults: dict) -> dict:
    table = raw.get(key, {})
    if not isinstance(table, dict):
        raise SpecError(f"[{key}]: expected a table, found {table!r}")
    unknown = set(table) - set(defaults)
    if unknown:
        raise SpecError(f"[{key}]: unknown keys {sorted(unknown)}; known: {sorted(defaults)}")
    out = dict(defaults)
    out.update(table)
    return out


def parse_spec(raw: dict, name: str = "synth") -> Spec:
    """Validate a spec given as a dict (the parsed TOML)."""
    if not isinstance(raw, dict):
        raise SpecError(f"spec: expected a table, found {type(raw).__name__}")
    unknown = set(raw) - TOP_KEYS
    if unknown:
        raise SpecError(f"spec: unknown keys {sorted(unknown)}; known: {sorted(TOP_KEYS)}")
    stretch = raw.get("stretch")
    if stretch not in STRETCHES:
        raise SpecError(f"stretch: expected one of {', '.join(STRETCHES)}, found {stretch!r}")
    fps = _num("fps", raw.get("fps", 30.0), 1.0, 240.0)
    width = int(_num("width", raw.get("width", 640), 16, 4096))
    height = int(_num("height", raw.get("height", 480), 16, 4096))
    seed = int(_num("seed", raw.get("seed", 0)))
    given_subject = dict(raw.get("subject", {})) if isinstance(raw.get("subject"), dict) else {}
    optional_subject = {k: v[0] for k, v in OPTIONAL_SUBJECT.items()}
    subject = _table(raw, "subject", {**DEFAULT_SUBJECT, **optional_subject})
    for k, choices in OPTIONAL_SUBJECT.items():
        if subject[k] not in choices:
            raise SpecError(f"subject.{k}: expected one of {choices}, found {subject[k]!r}")
    for k in PHENOTYPE_KEYS:
        subject[k] = _num(f"subject.{k}", subject[k], 0.0, 1.0)
    for k in COLOUR_KEYS:
        parse_colour(f"subject.{k}", subject[k])
    if subject["sleeves"] not in ("short", "long"):
        raise SpecError(
            f"subject.sleeves: expected 'short' or 'long', found {subject['sleeves']!r}"
        )
    given_camera = dict(raw.get("camera", {})) if isinstance(raw.get("camera"), dict) else {}
    optional_camera = {k: 0.0 for k in OPTIONAL_CAMERA}
    camera = _table(raw, "camera", {**DEFAULT_CAMERA, **optional_camera, "view": None})
    for k, (lo, hi) in OPTIONAL_CAMERA.items():
        camera[k] = _num(f"camera.{k}", camera[k], lo, hi)
    if camera["view"] is not None:
        if camera["view"] not in VIEWS:
            raise SpecError(
                f"camera.view: expected one of {sorted(VIEWS)}, found {camera['view']!r}"
            )
        if "yaw_deg" not in raw.get("camera", {}):
            camera["yaw_deg"] = VIEWS[camera["view"]]
    camera["yaw_deg"] = _num("camera.yaw_deg", camera["yaw_deg"], -360, 360)
    camera["fov_deg"] = _num("camera.fov_deg", camera["fov_deg"], 10, 120)
    for k in ("height_m", "distance_m"):
        if camera[k] is not None:
            camera[k] = _num(f"camera.{k}", camera[k], 0.05 if k == "height_m" else 0.5, 20)
    camera["distance_scale"] = _num("camera.distance_scale", camera["distance_scale"], 0.3, 5)
    camera["tilt_deg"] = _num("camera.tilt_deg", camera["tilt_deg"], -60, 60)
    scene = _table(raw, "scene", DEFAULT_SCENE)
    for k in ("wall", "floor", "box_color", "chair_color"):
        parse_colour(f"scene.{k}", scene[k])
    if scene["floor_pattern"] not in FLOOR_PATTERNS:
        raise SpecError(
            f"scene.floor_pattern: expected one of {FLOOR_PATTERNS}, "
            f"found {scene['floor_pattern']!r}"
        )
    scene["light_intensity"] = _num("scene.light_intensity", scene["light_intensity"], 0, 50)
    scene["ambient"] = _num("scene.ambient", scene["ambient"], 0, 2)
    scene["light_azimuth_deg"] = _num("scene.light_azimuth_deg", scene["light_azimuth_deg"])
    scene["light_elevation_deg"] = _num(
        "scene.light_elevation_deg", scene["light_elevation_deg"], 0, 90
    )
    scene["clutter"] = int(_num("scene.clutter", scene["clutter"], 0, 12))
    if not isinstance(scene["chair_backrest"], bool):
        raise SpecError(
            f"scene.chair_backrest: expected true or false, found {scene['chair_backrest']!r}"
        )
    post = _table(raw, "post", DEFAULT_POST)
    post["blur_sigma_px"] = _num("post.blur_sigma_px", post["blur_sigma_px"], 0, 10)
    post["noise_sigma"] = _num("post.noise_sigma", post["noise_sigma"], 0, 50)
    post["jpeg_quality"] = int(_num("post.jpeg_quality", post["jpeg_quality"], 5, 100))
    post["gain"] = _num("post.gain", post["gain"], 0.05, 3)
    params = raw.get("params", {})
    if not isinstance(params, dict):
        raise SpecError(f"[params]: expected a table, found {params!r}")
    if not isinstance(raw.get("meta", {}), dict):
        raise SpecError(f"[meta]: expected a table, found {raw['meta']!r}")
    timeline_raw = raw.get("timeline")
    if not isinstance(timeline_raw, list) or not timeline_raw:
        raise SpecError("timeline: expected at least one [[timeline]] segment, found none")
    segments: list[Segment] = []
    default_side = "both" if stretch in BILATERAL else "left"
    for i, seg in enumerate(timeline_raw):
        where = f"timeline[{i}]"
        if not isinstance(seg, dict):
            raise SpecError(f"{where}: expected a table, found {seg!r}")
        extra = set(seg) - {"phase", "duration_s", "side", "fault", "params"}
        if extra:
            raise SpecError(f"{where}: unknown keys {sorted(extra)}")
        phase = seg.get("phase")
        if phase not in PHASES:
            raise SpecError(f"{where}.phase: expected one of {', '.join(PHASES)}, found {phase!r}")
        dur = _num(f"{where}.duration_s", seg.get("duration_s"), 0.0, 600.0)
        side = seg.get("side")
        if side is not None and side not in SIDES:
            raise SpecError(f"{where}.side: expected one of {SIDES}, found {side!r}")
        if side == "both" and stretch not in BILATERAL:
            raise SpecError(f"{where}.side: {stretch} is done one leg at a time, found 'both'")
        if phase in ("enter", "hold", "release", "switch") and side is None:
            side = segments[-1].side if segments and segments[-1].side else default_side
        fault = seg.get("fault")
        if fault is not None:
            if fault not in FAULTS:
                raise SpecError(
                    f"{where}.fault: expected one of {', '.join(FAULTS)}, found {fault!r}"
                )
            if phase not in ("hold", "rest") and fault != "out_of_frame":
                raise SpecError(
                    f"{where}.fault: faults are acted out in 'hold', found phase {phase!r}"
                )
        seg_params = seg.get("params")
        if seg_params is not None and not isinstance(seg_params, dict):
            raise SpecError(f"{where}.params: expected a table, found {seg_params!r}")
        segments.append(Segment(phase, dur, side, fault, seg_params))
    still = raw.get("still_t_s")
    if still is not None:
        still = _num("still_t_s", still, 0.0)
    resolved = copy.deepcopy(raw)
    resolved.update(
        subject={
            k: v for k, v in subject.items() if k not in OPTIONAL_SUBJECT or k in given_subject
        },
        camera={k: v for k, v in camera.items() if k not in OPTIONAL_CAMERA or k in given_camera},
        scene=scene,
    )
    if "post" in raw:
        resolved["post"] = post
    return Spec(
        stretch=stretch,
        name=str(raw.get("name", name)),
        fps=fps,
        width=width,
        height=height,
        seed=seed,
        subject=subject,
        camera=camera,
        scene=scene,
        params=dict(params),
        timeline=tuple(segments),
        still_t_s=still,
        raw=resolved,
        post=post,
    )


def load_spec(path: str | Path) -> dict:
    """Read a spec TOML file into a dict (validate it with :func:`parse_spec`)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as err:
        raise SpecError(f"cannot read spec {p}: {err.strerror}") from err
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SpecError(f"spec {p} is not valid TOML: {err}") from err
    raw.setdefault("name", p.stem)
    return raw


def _hex(rgb) -> str:
    return "#" + "".join(f"{int(round(255 * c)):02x}" for c in rgb)


TOPS = [
    "#3567a8",
    "#b03a2e",
    "#2e8b57",
    "#f2f2f2",
    "#333333",
    "#8e44ad",
    "#d68910",
    "#5d6d7e",
    "#1abc9c",
    "#c0392b",
    "#f5b7b1",
    "#2874a6",
]
TROUSERS = ["#2b2b33", "#1f3a5f", "#4d4d4d", "#6b4f3a", "#111111", "#5a6e3a", "#7f8c8d", "#283747"]
SKINS = ["#f1c6a7", "#e0ac8c", "#c68863", "#a0683f", "#7a4b2a", "#5c3a21"]
HAIRS = ["#1c1410", "#3a2a1f", "#6d4c2f", "#a67b4d", "#d9c38a", "#8a8a8a"]
WALLS = ["#d9d3c7", "#e8e4da", "#c9d6df", "#dfe6d3", "#efe2cf", "#b9b3a9", "#f4f4f4", "#d7c4b0"]
FLOORS = ["#9a7653", "#b58b5a", "#6f5540", "#8c8c8c", "#c2b280", "#5e4b3c", "#a9a39a"]


def vary_spec(raw: dict, seed: int) -> dict:
    """A copy of ``raw`` with a seeded random subject, clothes, room, light and camera.

    Keys the spec sets explicitly win; the camera keeps its view class (side / oblique /
    front) and is jittered within it.
    """
    rng = random.Random(seed)
    out = copy.deepcopy(raw)
    subj = {
        "gender": rng.random(),
        "age": rng.uniform(0.77, 0.889),  # adults 18-80 years (Anny's age anchors)
        "muscle": rng.uniform(0.2, 0.8),
        "weight": rng.uniform(0.15, 0.85),
        "height": rng.uniform(0.1, 0.9),
        "proportions": rng.uniform(0.3, 0.7),
        "top": rng.choice(TOPS),
        "trousers": rng.choice(TROUSERS),
        "skin": rng.choice(SKINS),
        "hair": rng.choice(HAIRS),
        "socks": rng.choice(["#e8e8e8", "#222222", "#888888", "#d9a98a"]),
        "sleeves": rng.choice(["short", "long"]),
    }
    subj.update(raw.get("subject", {}))
    out["subject"] = subj
    scene = {
        "wall": rng.choice(WALLS),
        "floor": rng.choice(FLOORS),
        "floor_pattern": rng.choice(FLOOR_PATTERNS),
        "light_intensity": rng.uniform(2.0, 4.5),
        "light_azimuth_deg": rng.uniform(-80, 80),
        "light_elevation_deg": rng.uniform(30, 75),
        "ambient": rng.uniform(0.25, 0.5),
    }
    scene.update(raw.get("scene", {}))
    out["scene"] = scene
    cam_raw = dict(raw.get("camera", {}))
    view = cam_raw.get("view", "side")
    base = cam_raw.get("yaw_deg", VIEWS.get(view, 90.0))
    sign = rng.choice([-1.0, 1.0]) if "yaw_deg" not in cam_raw and view != "front" else 1.0
    cam = {
        "yaw_deg": sign * base + rng.uniform(-10, 10),
        "height_m": rng.uniform(0.6, 1.5),
        "fov_deg": rng.uniform(42, 62),
    }
    cam.update({k: v for k, v in cam_raw.items() if k != "yaw_deg"})
    if "yaw_deg" in cam_raw:
        cam["yaw_deg"] = cam_raw["yaw_deg"]
    out["camera"] = cam
    out["seed"] = seed
    out.pop("variation", None)
    return out
