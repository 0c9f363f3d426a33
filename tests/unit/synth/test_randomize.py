"""Domain randomization, the shared hold definition, image faults and the accuracy splits.

All but the last test are pure (no renderer). The smoke test renders one short, small clip of
the sealed split when the ``synth`` extra is installed and is skipped otherwise.
"""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest

from formcheck.synth.degrade import degrade_frame, is_identity
from formcheck.synth.holds import frame_valid, hold_intervals
from formcheck.synth.randomize import (
    Holdout,
    age_param,
    age_years,
    conditions_of,
    height_param,
    sample_spec,
    view_band,
)
from formcheck.synth.spec import parse_spec
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import splits  # noqa: E402


def test_sampled_specs_are_valid_and_repeatable():
    for seed in range(40):
        raw = sample_spec(seed)
        spec = parse_spec(raw)
        assert raw == sample_spec(seed)
        # rounding of the segments; walking in (an extra) comes on top of the cap
        arrive = sum(s["duration_s"] for s in raw["timeline"] if s["phase"] == "arrive")
        assert arrive <= 3.2
        assert 2.0 <= spec.duration_s - arrive <= 14.1
        assert 18.0 <= age_years(raw["subject"]["age"]) <= 80.0 + 1e-6
        assert set(conditions_of(raw)) >= {"view", "support", "body", "clothing", "resolution"}


def test_age_and_height_maps():
    assert age_param(18.0) == pytest.approx(0.77)
    assert age_years(age_param(50.0)) == pytest.approx(50.0)
    assert height_param(135.4, 0.0) == pytest.approx(0.0)
    assert 0.0 < height_param(150.0, 1.0) < height_param(200.0, 1.0) <= 1.0


def test_exclude_holdout_never_samples_held_out_regions():
    ho = Holdout()
    for seed in range(60):
        raw = sample_spec(seed, stretch="standing_support", holdout=ho, exclude_holdout=True)
        assert ho.hits(raw) == []


@pytest.mark.parametrize("force", ["support", "azimuth", "body"])
def test_force_draws_from_the_held_out_region(force):
    raw = sample_spec(3, holdout=Holdout(), force=force)
    assert force in raw["meta"]["held_out"]


def test_view_band():
    assert view_band(90) == view_band(-95) == "side"
    assert view_band(40) == "oblique"
    assert view_band(-135) == "back_oblique"
    assert view_band(10) == "front"
    assert view_band(175) == "back"


def test_splits_differ_by_seed_body_and_held_out_region():
    cfg = splits.load_config()
    tuning, sealed = splits.split_specs("tuning", cfg), splits.split_specs("sealed", cfg)
    assert len(tuning) == cfg["split"]["tuning"]["clips"]
    assert not {r["seed"] for r in tuning} & {r["seed"] for r in sealed}
    assert all(not r["meta"]["held_out"] for r in tuning)
    hits = {h for r in sealed for h in r["meta"]["held_out"]}
    assert hits == {"support", "azimuth", "body"}
    min_d = cfg["split"]["sealed"]["min_body_distance"]
    for s in sealed:
        for t in tuning:
            d = max(
                abs(s["subject"][k] - t["subject"][k])
                for k in ("gender", "age", "height", "weight", "muscle", "proportions")
            )
            assert d >= min_d


def _row(t, phase="hold", fault=None, knee=178.0, trunk=70.0):
    a = {
        "knee_extension_deg": {"left": knee, "right": knee},
        "hip_angle_deg": {"left": 95.0, "right": 95.0},
        "leg_raise_deg": {"left": -80.0, "right": -80.0},
        "trunk_inclination_deg": trunk,
        "lumbar_flexion_deg": 5.0,
    }
    return {"t_s": t, "phase": phase, "stretch": "standing_fold" if phase != "stand" else None,
            "side": "both" if phase != "stand" else None, "fault": fault, "in_frame": True,
            "angles_3d": a, "angles_2d": a}  # fmt: skip


def test_valid_needs_hold_position_and_no_fault():
    assert frame_valid(_row(0.0))
    assert not frame_valid(_row(0.0, phase="enter"))
    assert not frame_valid(_row(0.0, fault="back_rounding"))
    assert not frame_valid(_row(0.0, phase="stand"))
    assert not frame_valid(_row(0.0, trunk=10.0))  # upright: not in the fold's position


def test_hold_intervals_count_valid_and_fault_time():
    rows = [
        _row(0.0, "stand"),
        _row(0.5),
        _row(1.0),
        _row(1.5, fault="knee_bent"),
        _row(2.0, "release"),
    ]
    for r in rows:
        r["valid"] = frame_valid(r)
    (h,) = hold_intervals(rows)
    assert (h["start_s"], h["end_s"]) == (0.5, 2.0)
    assert h["valid_s"] == pytest.approx(1.0)
    assert h["fault_s"] == pytest.approx(0.5)


def test_degrade_frame():
    img = np.full((40, 60, 3), 200, np.uint8)
    assert is_identity({}) and degrade_frame(img, {}, np.random.default_rng(0)) is img
    dim = degrade_frame(img, {"gain": 0.5}, np.random.default_rng(0))
    assert dim.shape == img.shape and abs(int(dim.mean()) - 100) <= 1
    noisy = degrade_frame(img, {"noise_sigma": 5.0, "jpeg_quality": 30}, np.random.default_rng(0))
    assert noisy.dtype == np.uint8 and noisy.std() > 0


@pytest.mark.synth
@pytest.mark.slow
def test_sealed_smoke_clip_renders(tmp_path):
    pytest.importorskip("anny")
    # not imported here: the renderer picks OSMesa before pyrender loads OpenGL
    if importlib.util.find_spec("pyrender") is None:
        pytest.skip("pyrender is not installed (synth extra)")
    from formcheck.synth.body import SynthUnavailable
    from formcheck.synth.render import render_spec

    raw = splits.smoke_spec()
    try:
        truth = render_spec(raw, tmp_path / "smoke.mp4")
    except SynthUnavailable as err:
        pytest.skip(str(err))
    assert (tmp_path / "smoke.mp4").stat().st_size > 0
    assert truth["frame_count"] == len(truth["frames"]) >= 5
    assert all("valid" in f for f in truth["frames"])
    assert truth["subject"]["stature_cm"] > 100
    assert isinstance(truth["holds"], list)


def test_the_wall_stretch_camera_never_stands_beyond_the_feet():
    """The wall stands beyond the feet (azimuth 0 for a lying person): every wall-stretch
    camera is on the head's side of side-on, in the same share of side and end views."""
    yaws = [abs(sample_spec(s, stretch="supine_wall")["camera"]["yaw_deg"]) for s in range(300)]
    assert min(yaws) >= 90.0
    assert 0.1 < sum(y >= 135.0 for y in yaws) / len(yaws) < 0.5  # back (mirrored front) views
