"""Known-answer tests of the trial detector and the assessment protocol (no model)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from formcheck.assess.norms import get_test, load_norms
from formcheck.assess.protocol import Assessment, sides_for
from formcheck.assess.sample import AssessSample, pelvis_height
from formcheck.assess.trials import TrialDetector, detect_trials
from tests.unit.assess.synthetic import TrialSpec, sequence

FPS = (15.0, 30.0, 60.0)


@pytest.mark.parametrize("fps", FPS)
@pytest.mark.parametrize("top", [30.0, 55.0, 80.0, 110.0])
def test_slr_value_is_the_top_of_the_raise(fps, top):
    seq = sequence("slr", [TrialSpec("right", top)], fps=fps)
    trials = detect_trials(seq, "slr")
    assert len(trials) == 1
    t = trials[0]
    assert t.side == "right" and t.valid and t.completed
    assert t.value_deg == pytest.approx(top, abs=0.5)
    # top reached at 1.5 s rest + 1.5 s raise, held 1 s
    assert 2.9 <= t.top_s <= 4.1
    assert t.start_s < t.top_s < t.end_s


@pytest.mark.parametrize("fps", FPS)
@pytest.mark.parametrize("shortfall", [0.0, 20.0, 45.0, 70.0])
def test_ake_value_is_the_shortfall_from_full_extension(fps, shortfall):
    seq = sequence("ake", [TrialSpec("left", 180.0 - shortfall)], fps=fps)
    trials = detect_trials(seq, "ake")
    assert len(trials) == 1
    t = trials[0]
    assert t.side == "left" and t.valid, t.reasons
    assert t.value_deg == pytest.approx(shortfall, abs=0.5)


@pytest.mark.parametrize("fps", FPS)
def test_three_trials_each_side_in_turn(fps):
    specs = [TrialSpec("right", v) for v in (70, 72, 74)] + [
        TrialSpec("left", v) for v in (80, 82, 81)
    ]
    trials = detect_trials(sequence("slr", specs, fps=fps), "slr")
    assert [t.side for t in trials] == ["right"] * 3 + ["left"] * 3
    assert [round(t.value_deg) for t in trials] == [70, 72, 74, 80, 82, 81]


@pytest.mark.parametrize("fps", FPS)
@pytest.mark.parametrize("seed", range(4))
def test_noisy_signal_gives_one_trial_per_raise_within_two_degrees(fps, seed):
    specs = [TrialSpec("right", 65.0), TrialSpec("right", 75.0), TrialSpec("left", 90.0)]
    trials = detect_trials(sequence("slr", specs, fps=fps, noise_deg=1.5, seed=seed), "slr")
    assert len(trials) == 3
    for t, s in zip(trials, specs, strict=True):
        assert t.side == s.side
        assert t.value_deg == pytest.approx(s.top_deg, abs=2.0)
        assert t.valid, t.reasons


@pytest.mark.parametrize("fps", FPS)
def test_noisy_ake(fps):
    specs = [TrialSpec("right", 150.0), TrialSpec("right", 155.0)]
    trials = detect_trials(sequence("ake", specs, fps=fps, noise_deg=1.5, seed=3), "ake")
    assert [round(t.value_deg) for t in trials] == pytest.approx([30, 25], abs=2)


def test_bent_knee_invalidates_slr_and_names_the_angle():
    seq = sequence("slr", [TrialSpec("right", 75.0, knee_deg=152.0)])
    (t,) = detect_trials(seq, "slr")
    assert not t.valid
    assert t.reasons == ("the raised knee bent (152°)",)


def test_other_leg_lifted_invalidates_both_tests():
    (t,) = detect_trials(sequence("slr", [TrialSpec("left", 70.0, other_leg_deg=25.0)]), "slr")
    assert t.reasons == ("the other leg lifted (25°)",)
    spec = TrialSpec("left", 150.0, other_leg_deg=25.0)
    (t,) = detect_trials(sequence("ake", [spec]), "ake")
    assert t.reasons == ("the other leg lifted (25°)",)


def test_pelvis_lift_invalidates_slr():
    (t,) = detect_trials(sequence("slr", [TrialSpec("right", 85.0, pelvis_lift=0.2)]), "slr")
    assert t.reasons == ("the pelvis lifted",)
    assert t.at_top["pelvis_lift_torso"] == pytest.approx(0.2, abs=0.01)


@pytest.mark.parametrize("hip, ok", [(82.0, True), (98.0, True), (75.0, False), (110.0, False)])
def test_ake_hip_must_be_at_90_plus_minus_10(hip, ok):
    (t,) = detect_trials(sequence("ake", [TrialSpec("right", 160.0, hip_deg=hip)]), "ake")
    assert t.valid is ok
    if not ok:
        assert t.reasons == (f"hip not at 90° ({hip:.0f}°)",)


def test_oblique_camera_invalidates_the_trial():
    (t,) = detect_trials(sequence("slr", [TrialSpec("right", 70.0, off_side_deg=45.0)]), "slr")
    assert t.reasons == ("the camera is not side-on (45° off)",)


def test_trial_cut_off_by_the_end_of_the_input_is_measured():
    seq = sequence("slr", [TrialSpec("right", 60.0, lower_s=0.1, rest_s=0.0)])
    seq = [s for s in seq if s.t_s < 4.0]  # ends during the hold
    (t,) = detect_trials(seq, "slr")
    assert not t.completed and t.value_deg == pytest.approx(60.0, abs=0.5)


def test_small_wobble_is_not_a_trial():
    seq = sequence("slr", [TrialSpec("right", 8.0)], noise_deg=1.0)
    assert detect_trials(seq, "slr") == []


def test_not_lying_is_not_a_trial():
    seq = [
        AssessSample(t_s=i / 30, lying=False, leg_raise_deg=np.array([0.0, 60.0 * (i > 30)]))
        for i in range(120)
    ]
    assert detect_trials(seq, "slr") == []


def test_detector_rejects_time_going_back():
    d = TrialDetector("slr", "left")
    d.update(AssessSample(t_s=1.0))
    with pytest.raises(ValueError, match="must increase"):
        d.update(AssessSample(t_s=1.0))


def test_sample_checks_shapes():
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        AssessSample(t_s=0.0, leg_raise_deg=np.zeros(3))


def test_pelvis_height_in_torso_lengths():
    # shoulders at (0, 100), ankle at (200, 100): floor line y = 100; hips 10 px above it
    h = pelvis_height(np.array([0.0, 100.0]), np.array([100.0, 90.0]), np.array([200.0, 100.0]))
    assert h == pytest.approx(10.0 / math.hypot(100, 10))
    assert math.isnan(pelvis_height(np.array([np.nan, 0]), np.zeros(2), np.ones(2)))


# -- the protocol ------------------------------------------------------------------------


def _run(a: Assessment, seq):
    prompts = []
    for s in seq:
        st = a.update(s)
        if st.prompt:
            prompts.append(st.prompt)
    end = a.finish()
    return prompts, end


def test_protocol_repeats_an_invalid_trial_and_keeps_best_and_mean():
    specs = [
        TrialSpec("right", 70.0),
        TrialSpec("right", 75.0, knee_deg=150.0),  # not counted, repeated
        TrialSpec("right", 72.0),
        TrialSpec("right", 74.0),
        TrialSpec("left", 86.0),
        TrialSpec("left", 84.0),
        TrialSpec("left", 85.0),
    ]
    a = Assessment("slr", sides_for("both"))
    prompts, end = _run(a, sequence("slr", specs))
    assert a.done and end.done
    assert any("Not counted: the raised knee bent (150°). Repeat trial 2." in p for p in prompts)
    assert any("Right leg done: best 74°, mean 72°" in p for p in prompts)
    assert any("Right leg, trial 1 of 3" in p for p in prompts)
    s = a.summary()
    assert s["sides"]["right"]["trials"] == 3
    assert s["sides"]["right"]["best_deg"] == pytest.approx(74.0, abs=0.5)
    assert s["sides"]["right"]["mean_deg"] == pytest.approx(72.0, abs=0.5)
    assert s["sides"]["left"]["mean_deg"] == pytest.approx(85.0, abs=0.5)
    assert s["sides"]["left"]["interpretation"]["label"] == "usual"
    assert s["sides"]["right"]["interpretation"]["label"] == "below the usual range"
    assert [r["counted"] for r in s["trials"]] == [True, False, True, True, True, True, True]
    assert s["side_difference"]["difference_deg"] == pytest.approx(13.0, abs=1.0)
    assert s["side_difference"]["flagged"] is True


def test_protocol_ake_best_is_the_smallest_shortfall():
    specs = [TrialSpec("left", 150.0), TrialSpec("left", 160.0), TrialSpec("left", 155.0)]
    a = Assessment("ake", ("left",))
    _run(a, sequence("ake", specs))
    r = a.summary()["sides"]["left"]
    assert r["best_deg"] == pytest.approx(20.0, abs=0.5)
    assert r["mean_deg"] == pytest.approx(25.0, abs=0.5)
    assert r["interpretation"]["label"] == "tight range"
    assert a.summary()["side_difference"] is None


def test_protocol_says_when_the_view_is_too_oblique():
    seq = [AssessSample(t_s=i / 30, off_side_deg=50.0) for i in range(90)]
    a = Assessment("slr", ("right",))
    prompts, _ = _run(a, seq)
    assert any("50° from side-on" in p for p in prompts)


def test_protocol_says_to_lie_down():
    seq = [AssessSample(t_s=i / 30, lying=False) for i in range(90)]
    prompts, _ = _run(Assessment("ake", ("right",)), seq)
    assert any(p.startswith("Lie on your back") for p in prompts)


def test_sides_for():
    assert sides_for(None) == ("right", "left")
    assert sides_for("left") == ("left",)
    with pytest.raises(ValueError):
        sides_for("middle")


def test_norm_bands_and_mdc():
    slr, ake = get_test("slr"), get_test("ake")
    assert slr.interpret(85).label == "usual"
    assert slr.interpret(75).label == "below the usual range"
    assert slr.interpret(60).label == "tight range"
    assert ake.interpret(10).label == "usual"
    assert ake.interpret(35).label == "tight range"
    assert slr.interpret(math.nan) is None
    assert slr.change_label(70, 76) == "no measurable change"
    assert slr.change_label(70, 78) == "improved"
    assert slr.change_label(78, 70) == "declined"
    assert ake.change_label(30, 21) == "improved"  # smaller shortfall
    assert ake.change_label(30, 37) == "no measurable change"
    for t in (slr, ake):
        for b in t.bands:
            assert b.source and b.checked in ("abstract", "secondary", "unchecked")
            assert "diagnos" not in b.text.lower()
    assert "not a diagnosis" in load_norms().disclaimer


@pytest.mark.parametrize("fps", (5.0, 15.0, 30.0))
def test_a_one_frame_leg_swap_does_not_split_a_trial(fps):
    seq = sequence("slr", [TrialSpec("left", 85.0, hold_s=3.0)], fps=fps)
    i = next(j for j, s in enumerate(seq) if s.t_s >= 3.8)  # mid-hold: the labels swap once
    s = seq[i]
    seq[i] = AssessSample(
        t_s=s.t_s,
        knee_extension_deg=s.knee_extension_deg[::-1],
        hip_angle_deg=s.hip_angle_deg[::-1],
        leg_raise_deg=s.leg_raise_deg[::-1],
        pelvis_height_torso=s.pelvis_height_torso,
        off_side_deg=s.off_side_deg,
    )
    trials = detect_trials(seq, "slr")
    assert len(trials) == 1
    assert trials[0].value_deg == pytest.approx(85.0, abs=1.0)
    assert trials[0].start_s <= trials[0].top_s <= trials[0].end_s


@pytest.mark.parametrize("tilt", [0.0, 25.0, -20.0])
@pytest.mark.parametrize("raise_deg", [30.0, 70.0, 100.0])
def test_leg_raise_3d_is_the_same_whatever_the_camera_tilt(tilt, raise_deg):
    from formcheck.assess.sample import leg_raise_3d

    # lying along +x, head at -x, hips 0.3 m apart along z, y down; the right leg raised
    w = np.full((33, 3), np.nan)
    w[11], w[12] = (-0.5, 0.0, -0.15), (-0.5, 0.0, 0.15)
    w[23], w[24] = (0.0, 0.0, -0.15), (0.0, 0.0, 0.15)
    w[27] = (0.9, 0.0, -0.15)
    r = math.radians(raise_deg)
    w[28] = (0.9 * math.cos(r), -0.9 * math.sin(r), 0.15)
    a = math.radians(tilt)  # the camera pitched: the world turns about the x axis
    rot = np.array([[1, 0, 0], [0, math.cos(a), -math.sin(a)], [0, math.sin(a), math.cos(a)]])
    assert leg_raise_3d(w @ rot.T, "right") == pytest.approx(raise_deg, abs=1e-6)


def test_floor_raise_measures_from_the_resting_leg_not_the_picture_edge():
    from formcheck.assess.sample import floor_raise

    hip = np.array([100.0, 200.0])
    # the floor line tilted 16 degrees in the picture (an oblique, elevated camera)
    tilt = math.radians(-16.0)
    floor = np.array([math.cos(tilt), -math.sin(tilt)])  # head -> feet, going down-right
    for raise_deg in (0.0, 30.0, 90.0, 110.0):
        a = tilt + math.radians(raise_deg)
        ankle = hip + 150.0 * np.array([math.cos(a), -math.sin(a)])
        assert floor_raise(hip, ankle, floor) == pytest.approx(raise_deg, abs=1e-6)
    # facing the other way (feet to the left): the same
    ankle = hip + 150.0 * np.array([-math.cos(math.radians(40)), -math.sin(math.radians(40))])
    assert floor_raise(hip, ankle, np.array([-1.0, 0.0])) == pytest.approx(40.0)
    assert math.isnan(floor_raise(hip, np.array([np.nan, 0.0]), floor))
