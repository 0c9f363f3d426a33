"""Live on a slow computer (formcheck.live.adapt): the decisions down and back up on synthetic
timings with known answers, the adapter over a session on a fake clock (fake step times, no
model), and a whole session whose stand-in pose model is slow, no model file needed."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from formcheck.config import Settings
from formcheck.errors import ModelError
from formcheck.live.adapt import (
    COOLDOWN_WINDOWS,
    LADDER,
    MEASURE_FRAMES,
    MODEL_COST,
    SESSION_LADDER,
    STEP_UP_SHARE,
    STEP_UP_WINDOWS,
    WARMUP_FRAMES,
    Adaptation,
    LiveAdapter,
    Step,
    choose_step,
    choose_step_up,
    frame_budget_ms,
)
from formcheck.live.session import LiveOptions, LiveSession
from formcheck.pipeline import Analyzer
from formcheck.pose.frame import PoseFrame
from formcheck.pose.options import PoseOptions
from tests.media import write_video
from tests.stickfigure import figure

FULL, FULL_HALF_MASK, LITE, LITE_HALF_MASK = LADDER


# --------------------------------------------------------------------------- the decision
def test_budget_is_25_fps_for_a_30_fps_camera() -> None:
    assert frame_budget_ms(30.0) == (40.0, 25.0)


def test_budget_follows_a_slow_camera_and_the_latency_goal() -> None:
    # 15 fps camera: 66.7 ms a frame would do for the rate, but waiting half a frame (33 ms)
    # leaves 80 - 33 = 47 ms for the latency goal
    budget, fps = frame_budget_ms(15.0)
    assert fps == 15.0 and budget == pytest.approx(80 - 1000 / 30)


def test_fast_enough_stays() -> None:
    d = choose_step([30.0, 32.0, 35.0], FULL)
    assert not d.changed and d.to_step == FULL
    assert "within the 40 ms budget for 25 fps" in d.reason


def test_the_slow_laptop_of_issue_19_gets_the_fastest_step_and_is_told_it_is_not_enough() -> None:
    # the full model took 60-70 ms a frame: every step is predicted over 40 ms (lite 47 ms,
    # lite with the mask every other frame 44 ms), so the last one, saying so
    d = choose_step([60.0, 64.0, 70.0, 64.0, 62.0], FULL)
    assert d.to_step == LITE_HALF_MASK
    assert d.reason == (
        "lite model, mask every other frame: full took 64 ms a frame, over the 40 ms budget "
        "for 25 fps (still about 44 ms: the fastest there is)"
    )
    assert d.measured_ms == 64.0 and d.predicted_ms == pytest.approx(64 * 0.73 * 0.95)


def test_the_session_ladder_is_the_models_only() -> None:
    """The mask every other frame measured slower in live mode (docs/speed.md): a session
    steps between models only."""
    assert SESSION_LADDER == (FULL, LITE)
    d = choose_step([60.0, 64.0, 70.0, 64.0, 62.0], FULL, ladder=SESSION_LADDER)
    assert d.to_step == LITE
    assert d.as_report()["from"] == "full model"
    assert d.as_report()["to"] == "lite model"


def test_a_ladder_of_models_only_on_the_slow_laptop_takes_lite() -> None:
    d = choose_step([60.0, 64.0, 70.0, 64.0, 62.0], FULL, ladder=(FULL, LITE))
    assert d.to_step == LITE and d.predicted_ms == pytest.approx(64 * 0.73)
    assert d.reason.startswith("lite model: full took 64 ms a frame, over the 40 ms budget")


def test_lite_when_it_fits() -> None:
    # 50 ms: the mask every other frame gives 45 ms, lite 36.5 ms
    d = choose_step([50.0] * 10, FULL)
    assert d.to_step == LITE and d.predicted_ms == pytest.approx(36.5)
    assert d.reason == "lite model: full took 50 ms a frame, over the 40 ms budget for 25 fps"


def test_slightly_slow_only_skips_the_mask_every_other_frame() -> None:
    d = choose_step([42.0] * 10, FULL)  # 42 * 0.9 = 37.8 ms
    assert d.to_step == FULL_HALF_MASK
    assert d.reason.startswith("full model, mask every other frame: full took 42 ms")


def test_far_too_slow_takes_the_last_step_and_says_so() -> None:
    d = choose_step([120.0] * 10, FULL)
    assert d.to_step == LITE_HALF_MASK
    assert "the fastest there is" in d.reason


def test_the_bottom_of_the_ladder_stays() -> None:
    d = choose_step([90.0] * 10, LITE_HALF_MASK)
    assert not d.changed and "nothing faster" in d.reason


def test_a_ladder_of_models_only() -> None:
    assert choose_step([42.0] * 10, FULL, ladder=(FULL, LITE)).to_step == LITE


def test_nothing_measured_stays() -> None:
    d = choose_step([float("nan")], FULL)
    assert not d.changed and d.reason == "nothing measured"


# --------------------------------------------------------------------------- back up
def test_the_step_up_waits_for_quiet_windows_in_a_row() -> None:
    assert (STEP_UP_SHARE, STEP_UP_WINDOWS) == (0.75, 3)
    # lite at 14.6 ms a frame: full predicted at 20 ms, within 30 ms (3/4 of 40 ms)
    quiet = [14.6] * MEASURE_FRAMES
    d = choose_step_up([quiet, quiet], LITE, ladder=SESSION_LADDER)
    assert not d.changed and d.reason == "lite model: 2 of 3 windows measured"
    d = choose_step_up([quiet] * 3, LITE, ladder=SESSION_LADDER)
    assert d.changed and d.up and d.to_step == FULL
    assert d.predicted_ms == pytest.approx(20.0)
    assert d.reason == (
        "full model: lite model took 15 ms a frame, full model predicted at 20 ms, within 30 ms "
        "(75% of the 40 ms budget for 25 fps) 3 windows in a row"
    )


def test_the_step_up_needs_headroom_in_every_window() -> None:
    quiet, busy = [14.6] * MEASURE_FRAMES, [25.0] * MEASURE_FRAMES
    # lite at 25 ms: within the budget (no step down), but full predicted at 34 ms > 30 ms
    assert not choose_step([25.0] * 20, LITE, ladder=SESSION_LADDER).changed
    d = choose_step_up([busy, quiet, quiet], LITE, ladder=SESSION_LADDER)
    assert not d.changed and d.measured_ms == 25.0
    assert d.reason == (
        "lite model: lite model took 25 ms a frame, full model predicted at 34 ms, over 30 ms "
        "(75% of the 40 ms budget for 25 fps)"
    )
    # only the last three count: the busy one has dropped out
    assert choose_step_up([busy, quiet, quiet, quiet], LITE, ladder=SESSION_LADDER).changed
    nothing = [float("nan")] * MEASURE_FRAMES
    assert not choose_step_up([quiet, nothing, quiet], LITE, ladder=SESSION_LADDER).changed


def test_the_top_of_the_ladder_has_nothing_sharper() -> None:
    d = choose_step_up([[5.0] * 20] * 3, FULL, ladder=SESSION_LADDER)
    assert not d.changed and d.reason == "full model: nothing sharper"
    # on the benchmark's ladder, one rung at a time
    assert choose_step_up([[5.0] * 20] * 3, LITE_HALF_MASK).to_step == LITE


# --------------------------------------------------------------------------- a session
class SlowPose:
    """A stand-in pose model: the same stick figure, ``delay_s`` seconds a frame; with
    ``mask``, a mask each frame (as an estimator made with ``segmentation``)."""

    def __init__(self, model: str, delay_s: float, *, mask: bool = True) -> None:
        self.model_path = Path(f"{model}.task")
        self.delay_s = delay_s
        self.mask = mask
        self.closed = False
        self.calls = 0

    def detect(self, image: np.ndarray, t_s: float, rgb: np.ndarray | None = None) -> PoseFrame:
        time.sleep(self.delay_s)
        self.calls += 1
        pf = figure(t_s=t_s)
        if self.mask:
            pf = dataclasses.replace(pf, mask=np.ones((pf.height, pf.width), np.float32))
        return pf

    def close(self) -> None:
        self.closed = True


@pytest.fixture(scope="module")
def blank_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("adapt") / "blank.mp4"
    return write_video(out, (np.zeros((120, 160, 3), np.uint8) for _ in range(150)), 30.0)


def _slow_session(
    video: Path, lines: list[str], delay_s: float = 0.065, threaded: bool = True
) -> tuple[dict, SlowPose]:
    settings = Settings()
    slow = SlowPose("full", delay_s)
    analyzer = Analyzer(settings, video=True, pose=slow)  # type: ignore[arg-type]
    # a screenshot never taken (after 60 s): every frame is drawn, the banner on it
    options = LiveOptions(
        source=str(video), window=False, speed=2.0, adapt=True,
        screenshot=str(video.with_suffix(".png")), screenshot_after_s=60.0, threaded=threaded,
    )  # fmt: skip
    report = LiveSession(settings, None, options, analyzer=analyzer, on_line=lines.append).run()
    return report, slow


def _fake_estimators(monkeypatch: pytest.MonkeyPatch, delay_s: float = 0.0) -> list[SlowPose]:
    """PoseEstimator and resolve_model replaced: each estimator made is a SlowPose taking
    ``delay_s`` a frame, with a mask when made with ``segmentation``."""
    made: list[SlowPose] = []

    def fast_estimator(options: PoseOptions, *, video: bool) -> SlowPose:
        made.append(SlowPose(Path(options.model).stem, delay_s, mask=options.segmentation))
        return made[-1]

    monkeypatch.setattr("formcheck.pose.estimator.PoseEstimator", fast_estimator)
    monkeypatch.setattr(
        "formcheck.pose.models.resolve_model", lambda spec, provision: Path(f"{spec}.task")
    )
    return made


@pytest.mark.parametrize("threaded", [True, False], ids=["threaded", "serial"])
def test_a_slow_session_switches_to_lite_with_the_mask_every_other_frame(
    threaded: bool, blank_video: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 35 ms a frame after the switch: within the budget, and too slow for lite with the mask
    # on every frame to be predicted within 3/4 of it (37 ms > 30 ms): no step back up, however
    # busy the machine (a busier one only makes it slower, and this is the bottom step)
    made = _fake_estimators(monkeypatch, delay_s=0.035)
    # the mask steps, off the session's ladder (measured slower), still work when put on it
    monkeypatch.setattr("formcheck.live.adapt.SESSION_LADDER", LADDER)
    lines: list[str] = []
    report, slow = _slow_session(blank_video, lines, threaded=threaded)
    # a lite landmarker with the mask and one without; the full one closed
    assert [(p.model_path.name, p.mask) for p in made] == [
        ("lite.task", True), ("lite.task", False),
    ]  # fmt: skip
    assert slow.closed  # the full one; an injected analyzer's estimator is left open at the end
    adapted = report["live"]["adapted"]
    assert adapted["changed"] is True
    assert (adapted["from"], adapted["to"]) == ("full model", "lite model, mask every other frame")
    assert [(h["from"], h["to"]) for h in adapted["history"]] == [
        ("full model", "lite model, mask every other frame")
    ]
    assert adapted["history"][0]["frame"] == WARMUP_FRAMES + MEASURE_FRAMES
    assert adapted["measured_ms"] >= 60 and adapted["budget_ms"] == 40.0
    assert adapted["reason"].startswith("lite model, mask every other frame: full took")
    assert sum("slow computer: lite model, mask every other frame" in ln for ln in lines) == 1
    assert report["session"]["model"] == "lite.task"
    assert report["live"]["pose_step"] == "lite model, mask every other frame"
    assert report["live"]["threaded"] is threaded
    n = report["live"]["frames_processed"]
    assert n > WARMUP_FRAMES + MEASURE_FRAMES
    # after the switch the two lite landmarkers took turns: the masked one first
    masked, unmasked = made
    after = n - slow.calls
    assert masked.calls == (after + 1) // 2 and unmasked.calls == after // 2


def test_a_slightly_slow_session_keeps_its_model_and_skips_every_other_mask(
    blank_video: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = _fake_estimators(monkeypatch)
    monkeypatch.setattr("formcheck.live.adapt.SESSION_LADDER", LADDER)
    # 42 ms a frame: the mask every other frame is predicted at 37.8 ms, within 40 ms; and it
    # takes that after the switch (within the budget; full predicted at 42 ms: no step back up)
    _fixed_times(monkeypatch, {FULL: 42.0, FULL_HALF_MASK: 42.0 * 0.9})
    lines: list[str] = []
    report, slow = _slow_session(blank_video, lines, delay_s=0.0, threaded=False)
    # the full estimator in use is kept (its tracking too) as the masked one: one new,
    # unmasked full landmarker
    assert [(p.model_path.name, p.mask) for p in made] == [("full.task", False)]
    adapted = report["live"]["adapted"]
    assert adapted["to"] == "full model, mask every other frame"
    assert report["live"]["pose_step"] == "full model, mask every other frame"
    assert report["session"]["model"] == "full.task"
    # after the decision the full estimator takes every other frame, and the next one too when
    # the last mask is older than a quarter of a second (a slow moment of a busy machine)
    times = [r["t_s"] for r in report["frames"]][WARMUP_FRAMES + MEASURE_FRAMES :]
    unmasked, last = 0, None
    for t in times:
        if last is None or t - last > 0.25:
            last = t
        else:
            unmasked, last = unmasked + 1, None
    assert made[0].calls == unmasked > 0
    assert slow.calls == WARMUP_FRAMES + MEASURE_FRAMES + len(times) - unmasked


def _fixed_times(monkeypatch: pytest.MonkeyPatch, ms: dict[Step, float]) -> None:
    """The decisions down and up made as if each frame with ``step`` took ``ms[step]``."""

    def down(times: list[float], current: Step, **kw: Any) -> Adaptation:
        return choose_step([ms[current]] * len(times), current, **kw)

    def up(windows: list[list[float]], current: Step, **kw: Any) -> Adaptation:
        return choose_step_up([[ms[current]] * len(w) for w in windows], current, **kw)

    monkeypatch.setattr("formcheck.live.adapt.choose_step", down)
    monkeypatch.setattr("formcheck.live.adapt.choose_step_up", up)


def test_a_model_not_provisioned_is_named_not_fetched(
    blank_video: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(spec: str, provision: bool) -> Path:
        assert provision is False
        raise ModelError(f"pose model {spec!r} is not provisioned; run `formcheck models fetch`")

    monkeypatch.setattr("formcheck.pose.models.resolve_model", missing)
    lines: list[str] = []
    report, slow = _slow_session(blank_video, lines)
    adapted = report["live"]["adapted"]
    assert adapted["changed"] is False and not slow.closed
    assert adapted["reason"].startswith("full model kept (")
    assert "formcheck models fetch" in adapted["reason"]
    assert adapted["history"] == []  # no switch made, and not tried again
    assert sum("slow computer: full model kept" in line for line in lines) == 1
    assert report["session"]["model"] == "full.task"


def test_the_banner_shows_for_a_few_seconds_after_a_switch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("formcheck.live.adapt.apply_step", lambda analyzer, step, guard: None)
    analyzer: Any = SimpleNamespace(settings=Settings(), pose=None)
    adapter = LiveAdapter(30.0, show_s=4.0)
    done = [adapter.update(analyzer, 0.064, 10.0) for _ in range(WARMUP_FRAMES + MEASURE_FRAMES)]
    assert done[-1] is not None and not any(done[:-1])
    assert adapter.banner(12.0) == "faster: lite model (64 ms a frame)"
    assert adapter.banner(14.5) is None
    assert adapter.update(analyzer, 0.064, 15.0) is None  # the next window: the cool-down


# --------------------------------------------------------------------------- on a fake clock
#: the fake clock's frame interval, seconds (25 processed frames a second)
TICK_S = 0.04


def _window_of(frame: int) -> int:
    """The measurement window of the ``frame``-th processed frame (from 1; 0: the first
    decision's; -1: warm-up)."""
    return -1 if frame <= WARMUP_FRAMES else (frame - WARMUP_FRAMES - 1) // MEASURE_FRAMES


def _last_frame(window: int) -> int:
    return WARMUP_FRAMES + MEASURE_FRAMES * (window + 1)


def _by_window(ms: Callable[[int], float]) -> Callable[[int], float]:
    """A frame's time from its window's."""
    return lambda frame: ms(_window_of(frame))


class FakeMachine:
    """An adapter fed fake step times on a fake clock; ``apply_step`` replaced (the model is
    named in the settings, nothing loaded). ``full_ms(frame)``: what the ``frame``-th frame
    (from 1) takes with the full model; another model takes :data:`MODEL_COST` of it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, full_ms: Callable[[int], float]) -> None:
        self.full_ms = full_ms
        self.applied: list[tuple[int, Step]] = []
        self.analyzer: Any = SimpleNamespace(settings=Settings(), pose=None)
        self.adapter = LiveAdapter(30.0, show_s=4.0)
        self.frame = 0
        self.said: list[tuple[int, Adaptation]] = []
        monkeypatch.setattr("formcheck.live.adapt.apply_step", self._apply)

    def _apply(self, analyzer: Any, step: Step, guard: Any) -> None:
        self.applied.append((self.frame, step))
        analyzer.settings.pose = dataclasses.replace(analyzer.settings.pose, model=step.model)

    @property
    def now_s(self) -> float:
        return self.frame * TICK_S

    def run(self, windows: int) -> FakeMachine:
        """Process frames up to the end of window ``windows - 1``."""
        while self.frame < _last_frame(windows - 1):
            self.frame += 1
            model = self.analyzer.settings.pose.model
            ms = self.full_ms(self.frame) * MODEL_COST[model]
            if d := self.adapter.update(self.analyzer, ms / 1000.0, self.now_s):
                self.said.append((self.frame, d))
        return self

    @property
    def steps(self) -> list[Step]:
        return [step for _, step in self.applied]


def test_a_session_that_becomes_slow_after_200_fast_frames_steps_down(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # full: 25 ms a frame for 200 frames (within 40 ms), then 64 ms (lite: 47 ms, the fastest)
    m = FakeMachine(monkeypatch, lambda frame: 25.0 if frame <= 200 else 64.0).run(10)
    assert m.applied == [] and m.adapter.decision is not None
    assert not m.adapter.decision.changed  # the first decision kept full
    m.run(30)
    # window 9 (frames 184-203, 3 of them slow) has a median of 25 ms; window 10 (204-223) is
    # slow: down at its end
    assert m.applied == [(_last_frame(10), LITE)] == [(223, LITE)]
    ((frame, d),) = m.said
    assert frame == 223 and d.to_step == LITE and not d.up and d.measured_ms == 64.0
    assert m.adapter.banner(m.now_s) is None  # shown for 4 s, long gone
    assert m.adapter.banner(223 * TICK_S + 1.0) == "faster: lite model (64 ms a frame)"
    report = m.adapter.as_report()
    assert report is not None
    assert (report["changed"], report["from"], report["to"]) == (True, "full model", "lite model")
    assert report["history"] == [
        {
            "t_s": round(222 * TICK_S, 2),
            "frame": 223,
            "from": "full model",
            "to": "lite model",
            "measured_ms": 64.0,
            "reason": "lite model: full took 64 ms a frame, over the 40 ms budget for 25 fps "
            "(still about 47 ms: the fastest there is)",
        }
    ]


def test_a_stepped_down_session_that_becomes_fast_steps_up_after_3_quiet_windows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # full 64 ms in the first window: down to lite; then the machine gets quiet (full 20 ms,
    # lite 14.6 ms) except window 3, busy (full 35 ms: lite 25.6 ms is within the budget, but
    # full predicted at 35 ms is not within 30 ms)
    busy = {0: 64.0, 3: 35.0}
    m = FakeMachine(monkeypatch, _by_window(lambda w: busy.get(w, 20.0))).run(1)
    assert m.steps == [LITE]
    # window 1: the cool-down; window 2 quiet, 3 busy, 4 and 5 quiet: not yet
    m.run(6)
    assert m.steps == [LITE]
    # window 6: the third quiet window in a row
    m.run(7)
    assert m.applied == [(_last_frame(0), LITE), (_last_frame(6), FULL)]
    frame, d = m.said[-1]
    assert frame == _last_frame(6) and d.up and d.to_step == FULL
    assert d.measured_ms == pytest.approx(14.6) and d.predicted_ms == pytest.approx(20.0)
    assert m.adapter.banner(m.now_s) == "sharper: full model (15 ms a frame)"
    m.run(40)  # quiet from now on: full stays
    assert m.steps == [LITE, FULL]
    report = m.adapter.as_report()
    assert report is not None and (report["from"], report["to"]) == ("lite model", "full model")
    assert [(h["from"], h["to"]) for h in report["history"]] == [
        ("full model", "lite model"), ("lite model", "full model"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("slow", "expected"),
    [
        # strictly alternating: never three quiet windows in a row, so never back up
        (lambda w: w % 2 == 0, [LITE]),
        # slow 2 windows in 6: down, up after the cool-down and 3 quiet windows, down again;
        # after that the session stays down (without the bound: 10 switches in 30 windows)
        (lambda w: w % 6 in (0, 1), [LITE, FULL, LITE]),
    ],
    ids=["every-other-window", "two-in-six"],
)
def test_alternating_fast_and_slow_windows_do_not_flap(
    slow: Callable[[int], bool], expected: list[Step], monkeypatch: pytest.MonkeyPatch
) -> None:
    m = FakeMachine(monkeypatch, _by_window(lambda w: 64.0 if slow(w) else 20.0)).run(30)
    assert m.steps == expected
    assert len(m.adapter.history) == len(expected)


@pytest.mark.parametrize(
    ("warm_window", "steps"),
    [(5, [LITE, FULL]), (6, [LITE, FULL, LITE])],
    ids=["in-the-cool-down", "after-it"],
)
def test_the_first_window_after_a_switch_is_left_out(
    warm_window: int, steps: list[Step], monkeypatch: pytest.MonkeyPatch
) -> None:
    # full 64 ms in window 0: down to lite; quiet after (full 20 ms), except one window where
    # full takes 200 ms a frame (a model that warms up)
    slow = {0: 64.0, warm_window: 200.0}
    m = FakeMachine(monkeypatch, _by_window(lambda w: slow.get(w, 20.0))).run(12)
    assert COOLDOWN_WINDOWS == 1
    # window 1, the first with lite, is left out: windows 2-4 are the three quiet ones
    assert m.applied[:2] == [(_last_frame(0), LITE), (_last_frame(4), FULL)]
    # window 5, the first with full again, is left out (no step down); window 6 is not
    assert m.steps == steps


def test_no_adaptation_unless_asked(blank_video: Path) -> None:
    settings = Settings()
    analyzer = Analyzer(settings, video=True, pose=SlowPose("full", 0.0))  # type: ignore[arg-type]
    options = LiveOptions(source=str(blank_video), window=False, speed=4.0, duration_s=1.0)
    report = LiveSession(settings, None, options, analyzer=analyzer).run()
    assert report["live"]["adapted"] is None


@pytest.mark.parametrize(
    ("extra", "adapt"), [((), True), (("--no-adapt",), False), (("--model", "full"), False)]
)
def test_the_cli_adapts_only_when_the_model_was_not_chosen(
    extra: tuple[str, ...], adapt: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from formcheck.cli import main

    seen: list[LiveOptions] = []

    class Stop(Exception):
        pass

    def fake_run_live(settings: object, plan: object, options: LiveOptions, **kw: object) -> None:
        seen.append(options)
        raise Stop

    monkeypatch.setattr("formcheck.live.session.run_live", fake_run_live)
    args = ["live", "--source", "x.mp4", "--no-window", "--mute", "--no-history"]
    with pytest.raises(Stop):
        main([*args, "--out", str(tmp_path), *extra])
    assert seen[0].adapt is adapt
