"""Domain randomization: one seed -> one render spec drawn from continuous ranges (issue 13).

:func:`sample_spec` draws the person (Anny's shape space, flexibility, posture habit), clothes,
room, props, light, camera, image faults and the motion (timeline) of one clip from a seed.
:class:`Holdout` names regions of the parameter space (a band of support heights, a band of
camera azimuths, a body type) that a split may exclude or be drawn from, so a sealed evaluation
split can test places nothing was tuned on. :func:`conditions_of` labels a spec by the
conditions the benchmark tables group by. Pure Python: no renderer needed.

What is sampled and what is not yet: docs/synth.md, "Domain randomization".
"""

from __future__ import annotations

import colorsys
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from formcheck.synth.motion import sample_timeline, weighted
from formcheck.synth.pose import STRETCHES
from formcheck.synth.spec import FLOOR_PATTERNS, HAIRS, SKINS, _hex, parse_colour

#: Anny's age parameter -> morphological age in years (anny/data/shape_calibration, 0.3.x)
AGE_ANCHORS = (
    (0.0, 0.0), (0.05, 1.0), (0.215, 4.0), (0.415, 11.0), (0.67, 16.0), (0.77, 18.0),
    (0.83, 64.0), (1.0, 110.0),
)  # fmt: skip
#: stretch -> (param, value at flexibility 0, value at flexibility 1)
FLEXIBILITY = {
    "standing_fold": ("hinge_deg", 40.0, 85.0),
    "standing_support": ("hinge_deg", 10.0, 42.0),
    "seated_floor": ("hinge_deg", 12.0, 50.0),
    "seated_chair": ("hinge_deg", 8.0, 35.0),
    "supine_raise": ("raise_deg", 50.0, 90.0),
}
HABITS = ("neutral", "lordosis", "early_rounding", "always_rounded")
RESOLUTIONS = {  # label -> (width, height); portrait = phone held upright
    "360p": (640, 360),
    "480p": (640, 480),
    "480p_wide": (854, 480),
    "portrait_640": (360, 640),
    "portrait_854": (480, 854),
    "720p": (1280, 720),
    "1080p": (1920, 1080),
}
FPS_CHOICES = (24.0, 25.0, 29.97, 30.0, 60.0)
SUPPORT_RANGE_M = (0.15, 0.92)  # a low step .. a hip-high table


def age_param(years: float) -> float:
    """Anny's ``age`` parameter (0..1) for an age in years (piecewise linear anchors)."""
    for (p0, y0), (p1, y1) in zip(AGE_ANCHORS, AGE_ANCHORS[1:], strict=False):
        if years <= y1:
            return p0 + (p1 - p0) * (max(years, y0) - y0) / (y1 - y0)
    return 1.0


def age_years(param: float) -> float:
    """Inverse of :func:`age_param`."""
    for (p0, y0), (p1, y1) in zip(AGE_ANCHORS, AGE_ANCHORS[1:], strict=False):
        if param <= p1:
            return y0 + (y1 - y0) * (max(param, p0) - p0) / (p1 - p0)
    return 110.0


def height_param(stature_cm: float, gender: float) -> float:
    """Anny's ``height`` parameter for a standing height (adults; measured on Anny 0.3 meshes:
    stature ~ 135.4 - 13.4 x gender + 109 x height cm, nearly independent of age 18-80)."""
    return min(1.0, max(0.0, (stature_cm - (135.4 - 13.4 * gender)) / 109.0))


@dataclass(frozen=True)
class Holdout:
    """Regions of the parameter space held out of tuning.

    ``support_height_m`` and ``yaw_abs_deg`` are closed bands; ``body`` is a body type:
    ``older_heavy`` = age >= ``older_years`` and Anny weight >= ``heavy_weight``.
    """

    support_height_m: tuple[float, float] = (0.30, 0.45)
    yaw_abs_deg: tuple[float, float] = (120.0, 150.0)
    older_years: float = 60.0
    heavy_weight: float = 0.7

    def body_held_out(self, years: float, weight: float) -> bool:
        return years >= self.older_years and weight >= self.heavy_weight

    def hits(self, raw: Mapping[str, Any]) -> list[str]:
        """Which held-out regions a sampled spec lies in (``support``, ``azimuth``, ``body``)."""
        meta = raw.get("meta", {})
        out = []
        box = raw.get("params", {}).get("box_height_m")
        if box is not None and _inside(box, self.support_height_m):
            out.append("support")
        if _inside(abs(_wrap(raw["camera"]["yaw_deg"])), self.yaw_abs_deg):
            out.append("azimuth")
        if self.body_held_out(meta.get("age_years", 0.0), raw["subject"]["weight"]):
            out.append("body")
        return out


def _inside(x: float, band: tuple[float, float]) -> bool:
    return band[0] <= x <= band[1]


def _wrap(yaw: float) -> float:
    return (yaw + 180.0) % 360.0 - 180.0


def _colour(rng: random.Random, s: tuple[float, float], v: tuple[float, float]) -> str:
    return _hex(colorsys.hsv_to_rgb(rng.random(), rng.uniform(*s), rng.uniform(*v)))


def _near(rng: random.Random, colour: str, spread: float = 0.06) -> str:
    """A colour within ``spread`` (per channel, 0..1) of ``colour``."""
    rgb = parse_colour("colour", colour)
    return _hex(tuple(min(1.0, max(0.0, c + rng.uniform(-spread, spread))) for c in rgb))


def _yaw_abs(
    rng: random.Random,
    band: tuple[float, float] | None,
    avoid: tuple | None,
    behind_feet_wall: bool = False,
) -> float:
    """|camera azimuth| (0 in front, 90 side-on, 180 behind): side +-45 most often.

    ``behind_feet_wall`` (the wall stretch: a wall stands beyond the feet, where azimuth 0
    is): an azimuth on the feet's side is mirrored to the head's side (``180 - a``), so the
    camera is never behind the wall, whatever distance the framing picks.
    """
    if band is not None:
        return rng.uniform(*band)
    while True:
        zone = weighted(rng, {"side": 0.65, "front": 0.175, "back": 0.175})
        y = {"side": (45.0, 135.0), "front": (0.0, 45.0), "back": (135.0, 180.0)}[zone]
        val = rng.uniform(*y)
        if behind_feet_wall and val < 90.0:
            val = 180.0 - val
        if avoid is None or not _inside(val, avoid):
            return val


def sample_spec(
    seed: int,
    *,
    stretch: str | None = None,
    name: str | None = None,
    holdout: Holdout | None = None,
    exclude_holdout: bool = False,
    force: str | None = None,
    max_duration_s: float = 14.0,
) -> dict:
    """A raw render spec (see docs/synth.md) drawn from ``seed``.

    Parameters
    ----------
    seed : int
    stretch : str, optional
        The stretch; drawn when None.
    holdout : Holdout, optional
        The held-out regions (default :class:`Holdout`).
    exclude_holdout : bool
        Never draw from the held-out regions (the tuning split).
    force : {"support", "azimuth", "body"}, optional
        Draw that parameter from its held-out region (a sealed clip that tests it);
        ``support`` also makes the stretch ``standing_support``.
    max_duration_s : float
        Upper bound on the clip's length (seconds), not counting the 2.2-3.2 s of walking into
        the picture that :func:`add_extras` puts in front of some clips.

    Returns
    -------
    dict
        The spec, with ``meta`` holding what was drawn beyond the renderer's keys (age in years,
        body type, flexibility, habit, clothing, light, resolution label, held-out hits).
    """
    rng = random.Random(seed)
    ho = holdout or Holdout()
    if force == "support":
        stretch = "standing_support"
    sid = stretch or rng.choice(STRETCHES)
    # body: Anny's shape space (stature and BMI follow from it; the truth records both)
    while True:
        years = round(rng.uniform(18.0, 80.0), 1)
        weight = round(rng.uniform(0.05, 0.95), 4)
        if force == "body":
            years = round(rng.uniform(ho.older_years, 80.0), 1)
            weight = round(rng.uniform(ho.heavy_weight, 0.95), 4)
        if not (exclude_holdout and ho.body_held_out(years, weight)):
            break
    wall = _colour(rng, (0.0, 0.35), (0.45, 0.95))
    floor = _colour(rng, (0.05, 0.5), (0.25, 0.75))
    camo = rng.random() < 0.2
    gender = rng.random()
    stature_cm = rng.uniform(150.0, 200.0)
    subject = {
        "gender": gender,
        "age": round(age_param(years), 4),
        "muscle": rng.uniform(0.1, 0.9),
        "weight": weight,
        "height": height_param(stature_cm, gender),
        "proportions": rng.uniform(0.25, 0.75),
        "top": _near(rng, wall) if camo else _colour(rng, (0.0, 0.9), (0.1, 0.95)),
        "trousers": _near(rng, floor, 0.08)
        if rng.random() < 0.15
        else _colour(rng, (0.0, 0.7), (0.05, 0.7)),
        "skin": _near(rng, rng.choice(SKINS), 0.04),
        "hair": _near(rng, rng.choice(HAIRS), 0.04),
        "socks": _colour(rng, (0.0, 0.5), (0.1, 0.95)),
        "sleeves": rng.choice(["short", "long"]),
    }
    body_type = ("older" if years >= ho.older_years else "adult") + (
        "_heavy" if weight >= ho.heavy_weight else "_light" if weight < 0.3 else "_mid"
    )
    flex = rng.betavariate(2.0, 2.0)
    habit = weighted(
        rng, {"neutral": 0.55, "lordosis": 0.15, "early_rounding": 0.15, "always_rounded": 0.15}
    )
    params: dict[str, Any] = {}
    if sid in FLEXIBILITY:
        key, lo, hi = FLEXIBILITY[sid]
        params[key] = round(lo + (hi - lo) * flex, 2)
    if habit == "lordosis":
        params["lumbar_offset_deg"] = round(rng.uniform(-15.0, -6.0), 2)
    elif habit == "neutral":
        params["lumbar_offset_deg"] = round(rng.uniform(-4.0, 6.0), 2)
    if sid == "standing_support":
        band = ho.support_height_m
        while True:
            h = rng.uniform(*band) if force == "support" else rng.uniform(*SUPPORT_RANGE_M)
            if not (exclude_holdout and _inside(h, band)):
                break
        params["box_height_m"] = round(h, 3)
    if sid == "supine_raise":
        params["hands"] = rng.choice(["strap", "strap", "behind_knee"])
    # light: normal, dim, or back-lit (key light from behind the person, little fill)
    light = weighted(rng, {"normal": 0.65, "dim": 0.175, "backlit": 0.175})
    scene = {
        "wall": wall,
        "floor": floor,
        "floor_pattern": rng.choice(FLOOR_PATTERNS),
        "light_intensity": rng.uniform(2.0, 5.0),
        "light_azimuth_deg": rng.uniform(-80.0, 80.0),
        "light_elevation_deg": rng.uniform(25.0, 75.0),
        "ambient": rng.uniform(0.2, 0.55),
        "props": True,
        "door_frame": rng.random() < 0.7,
        "box_color": _colour(rng, (0.0, 0.5), (0.2, 0.8)),
        "chair_color": _colour(rng, (0.0, 0.6), (0.15, 0.7)),
        "chair_backrest": rng.random() < 0.7,
        "clutter": rng.randint(0, 6),
    }
    post = {
        "gain": rng.uniform(0.85, 1.15),
        "blur_sigma_px": rng.uniform(0.5, 2.2) if rng.random() < 0.3 else 0.0,
        "noise_sigma": rng.uniform(1.5, 8.0) if rng.random() < 0.4 else 0.0,
        "jpeg_quality": rng.randint(20, 80) if rng.random() < 0.5 else 100,
    }
    if light == "dim":
        scene.update(light_intensity=rng.uniform(0.6, 1.5), ambient=rng.uniform(0.08, 0.2))
        post["gain"] = rng.uniform(0.35, 0.6)
        post["noise_sigma"] = max(post["noise_sigma"], rng.uniform(3.0, 9.0))
    elif light == "backlit":
        scene.update(
            light_intensity=rng.uniform(5.0, 9.0),
            light_azimuth_deg=rng.uniform(150.0, 210.0),
            light_elevation_deg=rng.uniform(10.0, 40.0),
            ambient=rng.uniform(0.08, 0.2),
            wall=_near(rng, "#f4f4f0", 0.04),
        )
    # camera
    band = ho.yaw_abs_deg
    yaw_abs = _yaw_abs(
        rng,
        band if force == "azimuth" else None,
        band if exclude_holdout else None,
        behind_feet_wall=sid == "supine_wall",
    )
    camera = {
        "yaw_deg": round(rng.choice([-1.0, 1.0]) * yaw_abs, 2),
        "height_m": round(rng.uniform(0.1, 1.8), 3),
        "tilt_deg": round(rng.uniform(-8.0, 8.0), 2),
        "fov_deg": round(rng.uniform(38.0, 70.0), 2),
        "distance_scale": round(
            rng.uniform(0.72, 0.9) if rng.random() < 0.2 else rng.uniform(0.95, 1.5), 3
        ),
    }
    res = weighted(
        rng,
        {"360p": 0.22, "480p": 0.22, "480p_wide": 0.14, "portrait_640": 0.14,
         "portrait_854": 0.1, "720p": 0.12, "1080p": 0.06},
    )  # fmt: skip
    fps = rng.choices(FPS_CHOICES, weights=(0.2, 0.2, 0.25, 0.2, 0.15))[0]
    timeline, motion = sample_timeline(
        rng, sid, habit, max_duration_s, fast=fps > 50 or res == "1080p"
    )
    width, height = RESOLUTIONS[res]
    raw: dict[str, Any] = {
        "stretch": sid,
        "name": name or f"rand_{seed}_{sid}",
        "fps": fps,
        "width": width,
        "height": height,
        "seed": int(seed),
        "subject": subject,
        "camera": camera,
        "scene": scene,
        "post": {k: round(v, 3) if isinstance(v, float) else v for k, v in post.items()},
        "params": params,
        "timeline": timeline,
        "meta": {
            "age_years": round(years, 1),
            "stature_cm_target": round(stature_cm, 1),
            "body_type": body_type,
            "flexibility": round(flex, 3),
            "habit": habit,
            "clothing": "close_to_background" if camo else "contrasting",
            "light": light,
            "resolution": res,
            "motion": motion,
        },
    }
    raw["meta"]["held_out"] = ho.hits(raw)
    add_extras(raw, seed)
    return raw


#: how often each extra is drawn (docs/synth.md, "Domain randomization"); ``walk_in`` applies
#: to clips that start standing only
EXTRA_RATES = {
    "loose_top": 0.30,
    "shorts": 0.20,
    "long_hair": 0.25,
    "walk_in": 0.20,
    "fidget": 0.30,
    "handheld": 0.20,
}


def add_extras(raw: dict[str, Any], seed: int) -> list[str]:
    """Draw the extras of issue 13 (loose top, shorts, long hair, walking in, fidgeting, a
    handheld camera) into ``raw`` from their own stream, ``random.Random(f"{seed}:extras")``.

    Every value is drawn whether it is used or not, so each extra is independent of the others
    and of everything :func:`sample_spec` drew before; a clip that gets none is left exactly as
    it was (same spec hash as before the extras existed). Returns the extras applied (also in
    ``meta["extras"]`` when there are any).
    """
    rng = random.Random(f"{seed}:extras")
    draws = {name: rng.random() < rate for name, rate in EXTRA_RATES.items()}
    walk_s = round(rng.uniform(2.2, 3.2), 2)
    fidget = round(rng.uniform(0.4, 1.0), 3)
    shake = round(rng.uniform(0.3, 1.2), 3)
    drift = round(rng.uniform(0.5, 4.0), 3)
    applied = []
    if draws["loose_top"]:
        raw["subject"]["top_fit"] = "loose"
        applied.append("loose_top")
    if draws["shorts"]:
        raw["subject"]["legwear"] = "shorts"
        applied.append("shorts")
    if draws["long_hair"]:
        raw["subject"]["hair_length"] = "long"
        applied.append("long_hair")
    if draws["walk_in"] and raw["timeline"][0]["phase"] == "stand":
        raw["timeline"].insert(0, {"phase": "arrive", "duration_s": walk_s})
        applied.append("walk_in")
    if draws["fidget"]:
        raw["params"]["fidget"] = fidget
        applied.append("fidget")
    if draws["handheld"]:
        raw["camera"].update(shake_deg=shake, drift_deg=drift)
        applied.append("handheld")
    if applied:
        raw["meta"]["extras"] = applied
    return applied


def view_band(yaw_deg: float) -> str:
    """``side`` (|azimuth| 60..120), ``oblique`` (30..60), ``back_oblique`` (120..150),
    ``front`` (< 30) or ``back`` (> 150)."""
    y = abs(_wrap(yaw_deg))
    if 60.0 <= y <= 120.0:
        return "side"
    if 30.0 <= y < 60.0:
        return "oblique"
    if 120.0 < y <= 150.0:
        return "back_oblique"
    return "front" if y < 30.0 else "back"


def support_band(box_height_m: float | None) -> str:
    if box_height_m is None:
        return "-"
    if box_height_m < 0.30:
        return "step <30cm"
    if box_height_m <= 0.45:
        return "30-45cm"
    if box_height_m <= 0.70:
        return "45-70cm"
    return "table >70cm"


def conditions_of(raw: Mapping[str, Any]) -> dict[str, str]:
    """The conditions a sampled spec was drawn under, for the benchmark's tables."""
    meta = raw.get("meta", {})
    cam = raw.get("camera", {})
    return {
        "view": view_band(float(cam.get("yaw_deg", 90.0))),
        "support": support_band(raw.get("params", {}).get("box_height_m")),
        "body": str(meta.get("body_type", "-")),
        "clothing": str(meta.get("clothing", "-")),
        "resolution": str(meta.get("resolution", f"{raw.get('width')}x{raw.get('height')}")),
        "light": str(meta.get("light", "-")),
        "habit": str(meta.get("habit", "-")),
        "held_out": ",".join(meta.get("held_out", [])) or "none",
        **extra_conditions(raw),
    }


def extra_conditions(raw: Mapping[str, Any]) -> dict[str, str]:
    """The extras' conditions (read from the spec itself, so hand-written specs group too)."""
    subj = raw.get("subject", {})
    cam = raw.get("camera", {})
    timeline = raw.get("timeline", [])
    moving = float(cam.get("shake_deg", 0.0)) > 0 or float(cam.get("drift_deg", 0.0)) > 0
    return {
        "top": "loose_top" if subj.get("top_fit") == "loose" else "fitted_top",
        "legwear": str(subj.get("legwear", "trousers")),
        "hair": str(subj.get("hair_length", "short")),
        "camera_motion": "handheld" if moving else "static",
        "entry": "walks_in" if any(s.get("phase") == "arrive" for s in timeline) else "in_place",
        "fidget": "fidget" if float(raw.get("params", {}).get("fidget", 0.0)) > 0 else "still",
    }
