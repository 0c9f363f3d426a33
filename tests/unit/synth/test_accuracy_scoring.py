"""The accuracy benchmark's scoring against truth (benchmarks/accuracy_synth.py), on a made-up
clip and report whose answers are known: no model, no renderer."""

from __future__ import annotations

import sys

import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from accuracy_real import label_back, label_class, label_knee, label_view  # noqa: E402
from accuracy_synth import compare_clip, summarize  # noqa: E402

ANG = {
    "knee_extension_deg": {"left": 178.0, "right": 178.0},
    "hip_angle_deg": {"left": 95.0, "right": 95.0},
    "leg_raise_deg": {"left": -80.0, "right": -80.0},
    "trunk_inclination_deg": 70.0,
    "lumbar_flexion_deg": 5.0,
}


def _truth_row(i, phase, fault=None, lumbar=5.0):
    stretch = None if phase == "stand" else "standing_fold"
    a = {**ANG, "lumbar_flexion_deg": lumbar}
    return {"i": i, "t_s": i * 0.5, "phase": phase, "stretch": stretch,
            "side": "both" if stretch else None, "fault": fault, "in_frame": True,
            "angles_3d": a, "angles_2d": a}  # fmt: skip


def _report_row(stretch, rounded=False, knee=176.0):
    return {"person": True, "stretch": stretch, "side": "both" if stretch else None,
            "back_rounded": rounded, "knee_extension_left_deg": knee,
            "knee_extension_right_deg": knee, "hip_angle_left_deg": 95.0,
            "hip_angle_right_deg": 95.0, "leg_raise_left_deg": -80.0,
            "leg_raise_right_deg": -80.0, "lumbar_flexion_deg": 5.0}  # fmt: skip


def test_compare_clip_counts_the_goal_measures():
    phases = ["stand", "stand", "hold", "hold", "hold", "hold", "hold", "hold", "stand", "stand"]
    faults = [None] * 6 + ["back_rounding", "back_rounding", None, None]
    lumbar = [5.0] * 6 + [40.0, 40.0, 5.0, 5.0]
    truth = {
        "stretch": "standing_fold",
        "camera": {},
        "spec": {"camera": {"yaw_deg": 90.0}, "meta": {"body_type": "adult_mid"}},
        "frames": [
            _truth_row(i, p, f, lu)
            for i, (p, f, lu) in enumerate(zip(phases, faults, lumbar, strict=True))
        ],
    }
    rows = [_report_row(None), _report_row("standing_fold")]  # one non-stretch frame wrong
    rows += [_report_row("standing_fold") for _ in range(4)]
    rows += [_report_row("standing_fold", rounded=True) for _ in range(2)]
    rows += [_report_row(None), _report_row(None)]
    report = {
        "frames": rows,
        "warnings": [{"kind": "back_rounding", "start_s": 3.2, "end_s": 4.0}],
        "holds": [{"start_s": 1.0, "end_s": 4.0, "valid_s": 2.0}],
    }
    c = compare_clip(report, truth, rounded_deg=20.0)
    assert c["recog"] == [True] * 6
    assert c["no_stretch"] == [True, False, True, True]
    assert c["round"] == (2, 0, 0)
    assert c["onsets"] == [pytest.approx(0.2)]
    (hold,) = c["holds"]
    assert hold["truth_s"] == pytest.approx(2.0)  # 4 valid frames of 0.5 s
    assert abs(hold["error_s"]) <= 1.0
    assert c["conditions"]["view"] == "side"
    g = summarize([c])
    assert g["no_stretch"] == pytest.approx(0.75)
    assert g["episodes_warned"] == g["episodes"] == 1
    assert g["false_warn_s_per_min"] == 0.0
    assert g["knee"]["mae"] == pytest.approx(2.0)


def test_the_working_leg_is_scored_apart_from_recognition():
    """'working leg right' counts every hold frame (a frame with no stretch named is wrong);
    'where a stretch is named' only those with one, so a swap shows apart from a miss."""
    truth = {
        "stretch": "standing_support",
        "camera": {},
        "spec": {"camera": {"yaw_deg": 90.0}},
        "frames": [
            {**_truth_row(i, "hold"), "stretch": "standing_support", "side": "left"}
            for i in range(4)
        ],
    }
    rows = [{**_report_row("standing_support"), "side": s} for s in ("left", "left", "right")] + [
        _report_row(None)
    ]
    c = compare_clip({"frames": rows, "warnings": [], "holds": []}, truth, rounded_deg=20.0)
    g = summarize([c])
    assert g["side"] == pytest.approx(0.5)
    assert g["side_named"] == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("row", "cls", "view", "knee", "back"),
    [
        ({"file": "negative__x__001.jpg", "class": "negative", "view": "front", "knee": "na",
          "back": "na"}, "negative", "front", None, None),
        ({"file": "standing_forward_fold__x__001.jpg", "view": "side (slightly oblique)",
          "shows": "legs straight", "back_form": "ROUNDED back"}, "standing_fold", "side",
         "straight", True),
        ({"file": "video_plank_correct__x__001.mp4", "view": "side", "shows": "plank",
          "back_form": "flat (correct)"}, "negative", "side", None, False),
    ],
)  # fmt: skip
def test_real_labels_from_either_inventory(row, cls, view, knee, back):
    assert label_class(row) == cls
    assert label_view(row) == view
    assert label_knee(row) == knee
    assert label_back(row) is back
