"""Domain-randomization extras (issue 13): loose tops, shorts, long hair, walking in,
fidgeting and a handheld camera.

The spec, timeline and camera tests are pure; the two render tests draw a few tiny stills when
the ``synth`` extra is installed and are skipped otherwise.
"""

from __future__ import annotations

import copy
import importlib.util
import math
import sys

import numpy as np
import pytest

from formcheck.synth.extras import _upper_hull, camera_at
from formcheck.synth.randomize import EXTRA_RATES, conditions_of, sample_spec
from formcheck.synth.skeleton import default_skeleton
from formcheck.synth.spec import OPTIONAL_CAMERA, OPTIONAL_SUBJECT, SpecError, parse_spec
from formcheck.synth.stretch_poses import BodyMeasures
from formcheck.synth.timeline import build_frames
from formcheck.synth.truth import Camera
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import splits  # noqa: E402

#: spec hashes of sample_spec(seed) computed before the extras existed (2026-12-02)
HASH_BEFORE = {
    # seeds that get no extra: the spec must be byte-for-byte what it was
    3: "83ca84aecdec906c",
    4: "95bb320dd9f59dfd",
    9: "0054ce9f9d9aab8a",
    12: "f2bcca41cb540a19",
    18: "dfbf8b27c285ac83",
    36: "eec3681ae28c1c5f",
    # seeds that get extras: without them, the spec must be what it was
    0: "7d92f8e85f4211b4",
    1: "0005ee1e47716553",
    2: "bf277473d5fd8cd3",
    6: "66d85eca4e71268d",
    7: "6d546dcdd2dd01ca",
    10: "4cb8484624c57083",
}
#: accuracy-split clips that get no extra, with their spec hashes from before (cached renders)
SPLIT_HASH_BEFORE = {
    "tuning_01_standing_support": "6df1baf05940f7da",
    "tuning_02_seated_floor": "8221d19ddbc12831",
    "tuning_03_seated_chair": "36deec2196de3801",
    "tuning_04_supine_raise": "64e136ea17063763",
    "tuning_05_supine_wall": "5076665c7cc53d6f",
    "tuning_18_standing_fold": "f68af2073f98e1e0",
    "sealed_13_supine_raise": "a8170bb9ecefdb9f",
    "sealed_14_supine_wall": "6256bb683c5bc77a",
    "sealed_16_standing_support": "c32023b69e74d6ba",
}


def strip_extras(raw: dict) -> dict:
    """``raw`` without anything :func:`add_extras` adds."""
    out = copy.deepcopy(raw)
    for k in OPTIONAL_SUBJECT:
        out["subject"].pop(k, None)
    for k in OPTIONAL_CAMERA:
        out["camera"].pop(k, None)
    out["params"].pop("fidget", None)
    out["timeline"] = [s for s in out["timeline"] if s["phase"] != "arrive"]
    out["meta"].pop("extras", None)
    return out


def test_specs_without_extras_keep_their_hash():
    for seed in (3, 4, 9, 12, 18, 36):
        raw = sample_spec(seed)
        assert "extras" not in raw["meta"]
        assert parse_spec(raw).digest() == HASH_BEFORE[seed]


def test_extras_change_nothing_else():
    for seed in (0, 1, 2, 6, 7, 10):
        raw = sample_spec(seed)
        assert raw["meta"]["extras"]
        assert parse_spec(raw).digest() != HASH_BEFORE[seed]
        assert parse_spec(strip_extras(raw)).digest() == HASH_BEFORE[seed]


def test_split_clips_without_extras_keep_their_hash():
    for name in ("tuning", "sealed"):
        for raw in splits.split_specs(name):
            if raw["name"] in SPLIT_HASH_BEFORE:
                assert "extras" not in raw["meta"]
                assert parse_spec(raw).digest() == SPLIT_HASH_BEFORE[raw["name"]]


def test_extra_rates_over_200_seeds():
    specs = [sample_spec(seed) for seed in range(200)]
    for name, rate in EXTRA_RATES.items():
        pool = specs
        if name == "walk_in":  # only clips that start standing can walk in
            pool = [r for r in specs if r["timeline"][0]["phase"] in ("stand", "arrive")]
        got = sum(name in r["meta"].get("extras", []) for r in pool) / len(pool)
        assert abs(got - rate) < 0.08, (name, got, rate)
    none = sum(not r["meta"].get("extras") for r in specs) / len(specs)
    assert 0.1 < none < 0.35  # about 0.7 x 0.8 x 0.75 x 0.85 x 0.7 x 0.8


def test_extras_are_recorded_and_exposed_as_conditions():
    seen = set()
    for seed in range(60):
        raw = sample_spec(seed)
        c = conditions_of(raw)
        ex = raw["meta"].get("extras", [])
        assert (c["top"] == "loose_top") == ("loose_top" in ex)
        assert (c["legwear"] == "shorts") == ("shorts" in ex)
        assert (c["hair"] == "long") == ("long_hair" in ex)
        assert (c["entry"] == "walks_in") == ("walk_in" in ex)
        assert (c["fidget"] == "fidget") == ("fidget" in ex)
        assert (c["camera_motion"] == "handheld") == ("handheld" in ex)
        seen.update(ex)
    assert seen == set(EXTRA_RATES)


def test_optional_keys_are_validated_and_only_hashed_when_given():
    raw = {"stretch": "standing_fold", "timeline": [{"phase": "hold", "duration_s": 1.0}]}
    spec = parse_spec(raw)
    assert spec.subject["top_fit"] == "fitted" and spec.camera["shake_deg"] == 0.0
    assert "top_fit" not in spec.raw["subject"] and "shake_deg" not in spec.raw["camera"]
    loose = parse_spec({**raw, "subject": {"top_fit": "loose"}})
    assert loose.raw["subject"]["top_fit"] == "loose" and loose.digest() != spec.digest()
    with pytest.raises(SpecError, match="top_fit"):
        parse_spec({**raw, "subject": {"top_fit": "baggy"}})
    with pytest.raises(SpecError, match="hair_length"):
        parse_spec({**raw, "subject": {"hair_length": 3}})
    with pytest.raises(SpecError, match="shake_deg"):
        parse_spec({**raw, "camera": {"shake_deg": 30.0}})


def _measures() -> BodyMeasures:
    return BodyMeasures.of(default_skeleton())


def test_walk_in_frames_are_not_a_stretch():
    raw = {
        "stretch": "standing_support",
        "fps": 10.0,
        "timeline": [
            {"phase": "arrive", "duration_s": 2.5},
            {"phase": "stand", "duration_s": 0.5},
            {"phase": "enter", "side": "left", "duration_s": 1.0},
            {"phase": "hold", "side": "left", "duration_s": 1.0},
        ],
    }
    frames = build_frames(parse_spec(raw), _measures(), walk_heading_deg=30.0)
    arrive = [f for f in frames if f.phase == "arrive"]
    assert len(arrive) == 25
    assert all(f.stretch is None and f.side is None and f.fault is None for f in arrive)
    # starts ~1.9 m back along the walking line, walks forward, ends on the spot facing ahead
    assert arrive[0].pose.walk_m == pytest.approx(-1.1 * 1.7, abs=0.01)
    walked = [f.pose.walk_m for f in arrive]
    assert all(b >= a - 1e-9 for a, b in zip(walked, walked[1:], strict=False))
    assert arrive[5].pose.heading_deg == pytest.approx(30.0)
    stand = next(f for f in frames if f.phase == "stand")
    assert stand.pose.walk_m == 0.0 and stand.pose.heading_deg == pytest.approx(0.0)
    assert any(f.stretch == "standing_support" for f in frames)


def test_fidget_moves_head_and_weight_but_not_the_form():
    base = {
        "stretch": "seated_floor",
        "fps": 10.0,
        "seed": 5,
        "timeline": [
            {"phase": "rest", "duration_s": 1.0},
            {"phase": "enter", "duration_s": 1.0},
            {"phase": "hold", "duration_s": 4.0},
            {"phase": "release", "duration_s": 1.0},
        ],
    }
    m = _measures()
    still = build_frames(parse_spec(base), m)
    fidget = build_frames(parse_spec({**base, "params": {"fidget": 1.0}}), m)
    neck = []
    for a, b in zip(still, fidget, strict=True):
        assert a.phase == b.phase and a.stretch == b.stretch and a.fault == b.fault
        assert a.pose.hip_flexion_deg() == b.pose.hip_flexion_deg()
        assert a.pose.knee_flexion_deg == b.pose.knee_flexion_deg
        assert a.pose.lumbar_flexion_deg == b.pose.lumbar_flexion_deg
        assert abs(b.pose.lateral_m - a.pose.lateral_m) <= 0.02 * 1.6 + 1e-9
        neck.append(b.pose.neck_flexion_deg - a.pose.neck_flexion_deg)
        if a.phase in ("enter", "release"):
            assert a.pose == b.pose  # moving: no fidgeting
    assert max(abs(x) for x in neck) > 1.0  # the head moves in the hold


def test_handheld_camera_wobbles_around_the_tripod_aim():
    base = Camera(np.array([0.0, 1.0, 3.0]), np.array([0.0, 0.9, 0.0]), 640, 480, 50.0)
    assert camera_at(base, 0.0, 0.0, 1, 0.5) is base
    offs = []
    for t in np.arange(0.0, 6.0, 1 / 30):
        cam = camera_at(base, 1.0, 3.0, 1, float(t))
        a = base.target - base.position
        b = cam.target - cam.position
        cos = np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b)
        offs.append(math.degrees(math.acos(min(1.0, cos))))
        assert np.linalg.norm(cam.position - base.position) < 0.03
    assert 0.3 < max(offs) < 1.6 * (1.0 + 3.0) * 1.2
    # the same seed and time give the same camera (reproducible renders)
    c1, c2 = camera_at(base, 1.0, 3.0, 7, 2.0), camera_at(base, 1.0, 3.0, 7, 2.0)
    assert np.allclose(c1.target, c2.target)


# --------------------------------------------------------------------------- rendering


def _render_still(tmp_path, raw: dict, name: str):
    import cv2

    from formcheck.synth.body import SynthUnavailable
    from formcheck.synth.render import render_spec

    try:
        truth = render_spec(raw, tmp_path / f"{name}.png")
    except SynthUnavailable as err:
        pytest.skip(str(err))
    return cv2.imread(str(tmp_path / f"{name}.png")), truth["frames"][0]


def _needs_renderer():
    pytest.importorskip("anny")
    if importlib.util.find_spec("pyrender") is None:
        pytest.skip("pyrender is not installed (synth extra)")


def _back_hollow_px(img: np.ndarray, row: dict) -> tuple[float, int]:
    """Depth (px) of the hollow of the back's outline between the shoulders and the knees
    (the outline's distance inside the taut line over it), and the clothes' area (px)."""
    b, g, r = (img[:, :, k].astype(int) for k in range(3))
    mask = ((g > r + 60) & (g > b + 60)) | ((b > r + 60) & (b > g + 60))  # green top, blue legs
    j = row["joints_2d"]
    y0 = int(round(j["left_shoulder"][1]))
    y1 = int(round(j["left_knee"][1]))
    back = 1 if j["left_foot_index"][0] < j["left_heel"][0] else -1  # away from the toes
    ys, xs = [], []
    for y in range(y0, y1 + 1):
        cols = np.flatnonzero(mask[y])
        if len(cols):
            ys.append(float(y))
            xs.append(float(back * (cols.max() if back > 0 else cols.min())))
    ya, xa = np.asarray(ys), np.asarray(xs)
    hx, hy = _upper_hull(ya, xa)
    return float((np.interp(ya, hx, hy) - xa).max()), int(mask.sum())


#: a tiny side-view standing fold for the render tests
SMALL_SIDE_VIEW = {
    "stretch": "standing_fold",
    "fps": 10.0,
    "width": 120,
    "height": 160,
    "seed": 1,
    "camera": {"yaw_deg": 90.0, "height_m": 1.0},
}


@pytest.mark.synth
@pytest.mark.slow
def test_loose_top_hides_the_back_curve(tmp_path):
    _needs_renderer()
    raw = {
        **SMALL_SIDE_VIEW,
        "still_t_s": 0.05,
        "subject": {"gender": 0.9, "weight": 0.6, "top": "#00c000", "trousers": "#0000c0"},
        "params": {"lumbar_offset_deg": -15.0},  # a strong lordosis
        "timeline": [{"phase": "stand", "duration_s": 0.2}],
    }
    fitted, row_f = _render_still(tmp_path, raw, "fitted")
    loose_raw = copy.deepcopy(raw)
    loose_raw["subject"]["top_fit"] = "loose"
    loose, row_l = _render_still(tmp_path, loose_raw, "loose")
    hollow_f, area_f = _back_hollow_px(fitted, row_f)
    hollow_l, area_l = _back_hollow_px(loose, row_l)
    assert hollow_f >= 5.0  # the lumbar curve shows through a fitted top
    assert hollow_l < 0.7 * hollow_f  # the loose top hangs straight over it
    assert area_l > 1.1 * area_f
    # the truth is the body's, not the cloth's
    assert row_l["angles_3d"] == row_f["angles_3d"]
    assert row_l["joints_2d"] == row_f["joints_2d"]


@pytest.mark.synth
@pytest.mark.slow
def test_long_hair_hangs_below_the_shoulders_and_follows_the_head(tmp_path):
    _needs_renderer()
    raw = {
        **SMALL_SIDE_VIEW,
        "subject": {"hair": "#ff00ff", "top": "#20a020"},
        "timeline": [{"phase": "stand", "duration_s": 0.2}, {"phase": "hold", "duration_s": 1.5}],
    }
    got = {}
    for hair in ("short", "long"):
        for t in (0.05, 1.6):  # standing, then folded (head down by the knees)
            r = copy.deepcopy(raw)
            r["subject"]["hair_length"] = hair
            r["still_t_s"] = t
            img, row = _render_still(tmp_path, r, f"{hair}_{t}")
            b, g, red = (img[:, :, k].astype(int) for k in range(3))
            ys, xs = np.nonzero((red > g + 60) & (b > g + 60))
            j = row["joints_2d"]
            ear = 0.5 * (np.asarray(j["left_ear"]) + np.asarray(j["right_ear"]))
            got[hair, t] = {
                "px": len(ys),
                "lowest": int(ys.max()),
                "shoulder": j["left_shoulder"][1],
                "to_ear": float(np.hypot(xs - ear[0], ys - ear[1]).min()),
            }
    for t in (0.05, 1.6):
        assert got["long", t]["px"] > 1.5 * got["short", t]["px"]
        assert got["long", t]["to_ear"] < 4.0  # on the head, wherever the head is
    standing_long, standing_short = got["long", 0.05], got["short", 0.05]
    assert standing_short["lowest"] < standing_short["shoulder"]  # a cap on the head
    assert standing_long["lowest"] > standing_long["shoulder"] + 3  # over the upper back


@pytest.mark.synth
@pytest.mark.slow
def test_walk_in_with_a_handheld_camera_renders_with_per_frame_truth(tmp_path):
    _needs_renderer()
    from formcheck.synth.body import SynthUnavailable
    from formcheck.synth.render import render_spec

    raw = {
        "stretch": "standing_support",
        "fps": 5.0,
        "width": 160,
        "height": 120,
        "seed": 2,
        "subject": {"top_fit": "loose", "hair_length": "long", "legwear": "shorts"},
        "camera": {"yaw_deg": 90.0, "shake_deg": 1.0, "drift_deg": 2.0},
        "params": {"fidget": 1.0},
        "timeline": [
            {"phase": "arrive", "duration_s": 2.2},
            {"phase": "stand", "duration_s": 0.4},
        ],
    }
    try:
        truth = render_spec(raw, tmp_path / "walk_in.mp4")
    except SynthUnavailable as err:
        pytest.skip(str(err))
    rows = truth["frames"]
    assert [r["phase"] for r in rows] == ["arrive"] * 11 + ["stand"] * 2
    assert all(r["stretch"] is None and not r["valid"] for r in rows)
    assert not rows[0]["in_frame"] and rows[-1]["in_frame"]  # walks into the picture
    k = np.asarray(truth["camera"]["K"])
    aims = set()
    for r in rows:
        w2c = np.asarray(r["camera"]["world_to_camera"])
        aims.add(tuple(np.round(r["camera"]["target_m"], 3)))
        p = w2c @ np.append(r["joints_3d"]["left_hip"], 1.0)
        uv = (k @ p[:3])[:2] / p[2]
        # the truth's 2D joints are projected with that frame's camera
        assert np.allclose(uv, r["joints_2d"]["left_hip"], atol=0.2)
    assert len(aims) == len(rows)  # the camera moves every frame
