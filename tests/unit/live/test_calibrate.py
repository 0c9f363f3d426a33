"""Live mode's stand-tall step (formcheck/live/calibrate.py)."""

from __future__ import annotations

import pytest

from formcheck.config import Settings
from formcheck.live.calibrate import CALIBRATE_TIMEOUT_S, PROMPT, TURN_PROMPT, CalibrationStep
from formcheck.live.plan import default_plan
from formcheck.live.session import LiveOptions, run_live
from formcheck.stretches.coach import Coach, Verdict
from formcheck.stretches.timer import HoldState
from tests.conftest import sample


def _verdict(t: float, *, person: bool = True, engaged: bool = False) -> Verdict:
    return Verdict(
        t_s=t, person=person, stretch=None, side=None, posture="standing", engaged=engaged,
        knee_extension_deg=float("nan"), hip_angle_deg=float("nan"), leg_raise_deg=float("nan"),
        lumbar_flexion_deg=float("nan"), back_rounded=None, faults=(), warnings=(), valid=False,
        hold=HoldState(False), prompt=None, reason=None,
    )  # fmt: skip


def test_the_step_asks_until_the_calibration_is_measured() -> None:
    coach = Coach()
    step = CalibrationStep(coach)
    assert coach.calibrating and step.active
    assert step.update(0.0, _verdict(0.0), "front") == (TURN_PROMPT, None)
    for i in range(40):  # 1.3 s of upright, side-on frames: the coach feeds the judge
        t = i / 30
        coach.judge.observe_upright(t, 4.0, "calibration" if coach.calibrating else "x")
        prompt, line = step.update(t, _verdict(t), "side")
        if line:
            break
    assert line is not None and line.startswith("back calibrated: your stand-tall calibration")
    assert prompt is None and step.state == "done" and not coach.calibrating
    assert coach.judge.reference is not None and coach.judge.reference.source == "calibration"
    assert step.update(2.0, _verdict(2.0), "side") == (None, None)  # over: silent


def test_the_step_can_be_skipped_left_out_or_overtaken() -> None:
    skipped = CalibrationStep(Coach())
    assert skipped.update(0.0, _verdict(0.0), "side") == (PROMPT, None)
    assert "skipped" in (skipped.skip(0.5) or "")
    assert skipped.state == "skipped" and skipped.skip(0.6) is None
    off = CalibrationStep(Coach(), enabled=False)
    assert off.state == "off" and not off.coach.calibrating
    assert off.update(0.0, _verdict(0.0), "side") == (None, None)
    # straight into the stretch: the step gives way
    eager = CalibrationStep(Coach())
    _, line = eager.update(0.0, _verdict(0.0, engaged=True), "side")
    assert eager.state == "in_stretch" and line and "stretch began first" in line
    # nobody in view does not use up the time; someone who never turns side-on does
    slow = CalibrationStep(Coach())
    assert slow.update(0.0, _verdict(0.0, person=False), None)[0] == PROMPT
    slow.update(100.0, _verdict(100.0), "front")
    _, line = slow.update(100.0 + CALIBRATE_TIMEOUT_S, _verdict(0.0), "front")
    assert slow.state == "timed_out" and line and "timed out" in line


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize("calibrate", [True, False])
def test_a_live_session_calibrates_on_the_stand_in_videos_upright_start(calibrate: bool) -> None:
    lines: list[str] = []
    options = LiveOptions(
        source=str(sample("standing_fold_good.mp4")), window=False, speed=2.0, calibrate=calibrate
    )
    plan = default_plan()
    report = run_live(Settings(), plan, options, on_line=lines.append)
    ref = report["back_reference"]
    if calibrate:
        assert report["live"]["calibration"]["state"] == "done", lines
        assert ref["source"] == "calibration"
        assert any("back calibrated" in ln for ln in lines)
        assert any(PROMPT in ln for ln in lines)  # it asked first
    else:
        assert report["live"]["calibration"]["state"] == "off"
        assert ref["source"] == "upright_frames"
        assert not any(PROMPT in ln for ln in lines)
