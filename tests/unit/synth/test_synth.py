"""Synthetic people: truth geometry, specs and timelines (pure numpy), and one tiny render.

The geometry and spec tests use the skeleton shipped with the package and need no extra; the
render test needs the ``synth`` extra (anny, pyrender, OSMesa) and is skipped without it.
"""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest

from formcheck.errors import ConfigError, FormcheckError
from formcheck.metrics import geometry
from formcheck.synth.pose import STRETCHES, BodyPose, pose_skeleton
from formcheck.synth.skeleton import ANNY_TO_WORLD, MEDIAPIPE_NAMES, default_skeleton
from formcheck.synth.spec import SpecError, load_spec, parse_spec
from formcheck.synth.stretch_poses import BodyMeasures, stretch_pose
from formcheck.synth.timeline import BOUNCE_DEG, build_frames
from formcheck.synth.truth import Camera, compute_angles, frame_truth, view_of_yaw

SPECS = Path(__file__).resolve().parents[3] / "samples" / "specs"
UP = np.array([0.0, 1.0, 0.0])


def world_joints(pose: BodyPose) -> dict[str, np.ndarray]:
    posed = pose_skeleton(default_skeleton(), pose)
    return {k: ANNY_TO_WORLD @ v for k, v in posed.landmarks().items()}


def side_camera(joints: dict[str, np.ndarray]) -> Camera:
    centre = np.mean(np.stack(list(joints.values())), axis=0)
    return Camera(centre + np.array([0.0, 0.0, -4.0]), centre, 640, 480, 50.0)


# --------------------------------------------------------------------------- geometry


def test_knee_flexion_30_gives_knee_extension_150():
    a = compute_angles(world_joints(BodyPose(knee_flexion_deg=(30.0, 30.0))), UP)
    assert a["knee_extension_deg"]["left"] == pytest.approx(150.0, abs=0.5)
    assert a["knee_extension_deg"]["right"] == pytest.approx(150.0, abs=0.5)


def test_standing_upright_angles():
    a = compute_angles(world_joints(BodyPose(knee_flexion_deg=(0.0, 0.0))), UP)
    for side in ("left", "right"):
        assert a["knee_extension_deg"][side] == pytest.approx(180.0, abs=0.5)
        assert a["hip_angle_deg"][side] > 165.0
        assert a["leg_raise_deg"][side] == pytest.approx(-90.0, abs=3.0)
    assert a["trunk_inclination_deg"] < 5.0


def test_hip_hinge_seen_from_the_side():
    joints = world_joints(BodyPose(pelvis_pitch_deg=60.0, knee_flexion_deg=(0.0, 0.0)))
    cam = side_camera(joints)
    a3, a2, j2, in_frame = frame_truth(joints, cam, 0.0)
    assert in_frame
    # the trunk leans ~60 degrees (plus Anny's neutral spine curve)
    assert a2["trunk_inclination_deg"] == pytest.approx(60.0, abs=6.0)
    assert a2["hip_angle_deg"]["left"] == pytest.approx(120.0, abs=6.0)
    assert a2["knee_extension_deg"]["left"] == pytest.approx(180.0, abs=1.0)
    assert set(j2) == set(MEDIAPIPE_NAMES)


def test_supine_leg_raise():
    pose = BodyPose(body_pitch_deg=-90.0, thigh_deg=(90.0, 0.0), knee_flexion_deg=(0.0, 0.0))
    a = compute_angles(world_joints(pose), UP)
    assert a["leg_raise_deg"]["left"] == pytest.approx(90.0, abs=3.0)
    assert a["leg_raise_deg"]["right"] == pytest.approx(0.0, abs=3.0)
    assert a["trunk_inclination_deg"] == pytest.approx(90.0, abs=5.0)


def test_lumbar_truth_is_the_applied_flexion():
    pose = stretch_pose(
        "standing_fold", "hold", "both", BodyMeasures.of(default_skeleton()), fault="back_rounding"
    )
    joints = world_joints(pose)
    a3, _, _, _ = frame_truth(joints, side_camera(joints), pose.lumbar_flexion_deg)
    assert a3["lumbar_flexion_deg"] == pytest.approx(pose.lumbar_flexion_deg, abs=0.01)
    assert pose.lumbar_flexion_deg >= 30.0


def test_2d_truth_matches_formcheck_geometry():
    pose = BodyPose(body_pitch_deg=-90.0, thigh_deg=(70.0, 0.0), knee_flexion_deg=(20.0, 0.0))
    joints = world_joints(pose)
    cam = side_camera(joints)
    _, a2, j2, _ = frame_truth(joints, cam, 0.0)
    p = {k: np.array(v) for k, v in j2.items()}
    knee = geometry.joint_angle(p["left_hip"], p["left_knee"], p["left_ankle"])
    hip = geometry.joint_angle(p["left_shoulder"], p["left_hip"], p["left_knee"])
    sm = geometry.midpoint(p["left_shoulder"], p["right_shoulder"])
    hm = geometry.midpoint(p["left_hip"], p["right_hip"])
    raise_ = geometry.leg_raise_angle(p["left_hip"], p["left_ankle"], sm, hm)
    # joints_2d are rounded to 0.1 px
    assert a2["knee_extension_deg"]["left"] == pytest.approx(knee, abs=0.3)
    assert a2["hip_angle_deg"]["left"] == pytest.approx(hip, abs=0.3)
    assert a2["leg_raise_deg"]["left"] == pytest.approx(raise_, abs=0.3)


def test_camera_projects_its_target_to_the_centre():
    cam = Camera(np.array([0.0, 1.0, -3.0]), np.array([0.5, 0.8, 0.0]), 640, 480, 50.0)
    assert cam.project(cam.target) == pytest.approx([320.0, 240.0], abs=1e-6)
    above = cam.project(cam.target + [0.0, 0.5, 0.0])
    assert above[1] < 240.0  # up in the world is up in the image


@pytest.mark.parametrize(
    ("yaw", "view"),
    [
        (90, "side"),
        (-90, "side"),
        (45, "oblique"),
        (0, "front"),
        (180, "front"),
        (-135, "oblique"),
        (70, "side"),
    ],
)
def test_view_of_yaw(yaw, view):
    assert view_of_yaw(yaw) == view


@pytest.mark.parametrize("stretch", STRETCHES)
def test_every_stretch_hold_pose_is_a_stretch(stretch):
    m = BodyMeasures.of(default_skeleton())
    side = "both" if stretch in ("standing_fold", "seated_floor") else "left"
    a = compute_angles(world_joints(stretch_pose(stretch, "hold", side, m)), UP)
    # the working leg is straight-ish and the hip is flexed
    assert a["knee_extension_deg"]["left"] > 165.0
    assert a["hip_angle_deg"]["left"] < 125.0
    bent = compute_angles(world_joints(stretch_pose(stretch, "hold", side, m, "knee_bent")), UP)
    assert bent["knee_extension_deg"]["left"] < 155.0


# --------------------------------------------------------------------------- specs


def minimal(**kw) -> dict:
    raw = {"stretch": "standing_fold", "timeline": [{"phase": "hold", "duration_s": 1.0}]}
    raw.update(kw)
    return raw


def test_bad_stretch_is_a_formcheck_error():
    with pytest.raises(SpecError, match="stretch: expected one of .*found 'toe_touch'"):
        parse_spec(minimal(stretch="toe_touch"))
    assert issubclass(SpecError, ConfigError)
    assert issubclass(SpecError, FormcheckError)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"timeline": []}, "at least one"),
        ({"timeline": [{"phase": "nap", "duration_s": 1}]}, r"timeline\[0\]\.phase"),
        ({"timeline": [{"phase": "hold", "duration_s": -1}]}, "duration_s"),
        ({"timeline": [{"phase": "hold", "duration_s": 1, "fault": "slouch"}]}, "fault"),
        ({"timeline": [{"phase": "enter", "duration_s": 1, "fault": "knee_bent"}]}, "hold"),
        (
            {
                "stretch": "supine_raise",
                "timeline": [{"phase": "hold", "duration_s": 1, "side": "both"}],
            },
            "one leg at a time",
        ),
        ({"subject": {"height": 2.0}}, r"subject\.height"),
        ({"subject": {"top": "blue"}}, r"subject\.top"),
        ({"camera": {"view": "top"}}, r"camera\.view"),
        ({"scene": {"floor_pattern": "shag"}}, "floor_pattern"),
        ({"colour": 1}, "unknown keys"),
    ],
)
def test_spec_validation_errors(change, message):
    with pytest.raises(SpecError, match=message):
        parse_spec(minimal(**change))


def test_spec_defaults_and_view():
    spec = parse_spec(minimal(camera={"view": "oblique"}))
    assert spec.fps == 30.0 and (spec.width, spec.height) == (640, 480)
    assert spec.camera["yaw_deg"] == 45.0
    assert spec.timeline[0].side == "both"
    assert spec.frame_count == 30


def test_load_spec_reports_bad_toml(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("stretch = \n")
    with pytest.raises(SpecError, match="not valid TOML"):
        load_spec(p)
    with pytest.raises(SpecError, match="cannot read"):
        load_spec(tmp_path / "missing.toml")


@pytest.mark.parametrize("path", sorted(SPECS.glob("*.toml")), ids=lambda p: p.stem)
def test_sample_specs_parse(path):
    spec = parse_spec(load_spec(path))
    assert 5.0 <= spec.duration_s <= 13.0
    assert spec.fps == 30.0


# --------------------------------------------------------------------------- timelines


def test_timeline_labels_and_fault_motion():
    raw = {
        "stretch": "seated_floor",
        "timeline": [
            {"phase": "rest", "duration_s": 1.0},
            {"phase": "enter", "duration_s": 1.0},
            {"phase": "hold", "duration_s": 2.0, "fault": "bouncing"},
            {"phase": "hold", "duration_s": 2.0, "fault": "back_rounding"},
            {"phase": "release", "duration_s": 1.0},
        ],
    }
    spec = parse_spec(raw)
    frames = build_frames(spec, BodyMeasures.of(default_skeleton()))
    assert len(frames) == 210
    assert [frames[i].phase for i in (0, 45, 90, 150, 200)] == [
        "rest",
        "enter",
        "hold",
        "hold",
        "release",
    ]
    assert frames[0].stretch is None and frames[45].stretch == "seated_floor"
    assert frames[45].side == "both"
    bounce = [f.pose.pelvis_pitch_deg for f in frames[75:120]]
    assert max(bounce) - min(bounce) == pytest.approx(2 * BOUNCE_DEG, abs=2.5)
    assert frames[90].fault == "bouncing"
    assert frames[125].fault is None  # still easing into the rounded back
    assert frames[170].fault == "back_rounding"
    assert frames[170].pose.lumbar_flexion_deg > 30.0
    assert frames[0].pose.lumbar_flexion_deg < 10.0
    # smooth: no jumps between frames
    steps = [
        abs(b.pose.pelvis_pitch_deg - a.pose.pelvis_pitch_deg)
        for a, b in zip(frames, frames[1:], strict=False)
    ]
    assert max(steps) < 3.0


# --------------------------------------------------------------------------- rendering


@pytest.mark.synth
@pytest.mark.slow
def test_tiny_render(tmp_path):
    pytest.importorskip("anny")
    # pyrender is imported by the renderer itself: it must pick the OSMesa platform and patch
    # NumPy 2 first (see formcheck/synth/render.py), so only check that it is installed here
    if importlib.util.find_spec("pyrender") is None:
        pytest.skip("pyrender is not installed (synth extra)")
    cv2 = pytest.importorskip("cv2")
    from formcheck.synth.body import SynthUnavailable
    from formcheck.synth.render import render_spec

    raw = {
        "stretch": "supine_raise",
        "fps": 30.0,
        "width": 160,
        "height": 120,
        "timeline": [{"phase": "hold", "side": "right", "duration_s": 0.1}],
    }
    out = tmp_path / "tiny.mp4"
    try:
        truth = render_spec(raw, out)
    except SynthUnavailable as err:  # e.g. no OSMesa
        pytest.skip(str(err))
    cap = cv2.VideoCapture(str(out))
    assert cap.get(cv2.CAP_PROP_FPS) == 30.0
    n = 0
    while cap.read()[0]:
        n += 1
    assert n == 3
    on_disk = json.loads((tmp_path / "tiny.truth.json").read_text())
    assert on_disk["schema"] == "formcheck-truth/1"
    assert on_disk["frame_count"] == 3 and len(on_disk["frames"]) == 3
    f = on_disk["frames"][0]
    assert f["phase"] == "hold" and f["side"] == "right" and f["stretch"] == "supine_raise"
    assert f["angles_3d"]["knee_extension_deg"]["right"] > 165
    assert f["angles_3d"]["leg_raise_deg"]["right"] == pytest.approx(
        truth["frames"][0]["angles_3d"]["leg_raise_deg"]["right"]
    )
    assert set(f["joints_2d"]) == set(MEDIAPIPE_NAMES)
    assert on_disk["camera"]["view"] == "side"
    assert np.asarray(on_disk["camera"]["K"]).shape == (3, 3)
    assert math.isfinite(f["angles_2d"]["hip_angle_deg"]["right"])
