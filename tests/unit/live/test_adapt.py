"""Live on a slow computer (formcheck.live.adapt): the decision on synthetic timings with known
answers, and a whole session whose stand-in pose model is slow, no model file needed."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from formcheck.config import Settings
from formcheck.errors import ModelError
from formcheck.live.adapt import (
    LADDER,
    MEASURE_FRAMES,
    SESSION_LADDER,
    WARMUP_FRAMES,
    LiveAdapter,
    choose_step,
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


def _fake_estimators(monkeypatch: pytest.MonkeyPatch) -> list[SlowPose]:
    """PoseEstimator and resolve_model replaced: each estimator made is a fast SlowPose,
    with a mask when made with ``segmentation``."""
    made: list[SlowPose] = []

    def fast_estimator(options: PoseOptions, *, video: bool) -> SlowPose:
        made.append(SlowPose(Path(options.model).stem, 0.0, mask=options.segmentation))
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
    made = _fake_estimators(monkeypatch)
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
    # 42 ms a frame: the mask every other frame is predicted at 37.8 ms, within 40 ms
    monkeypatch.setattr("formcheck.live.adapt.choose_step", _fixed_times(choose_step, 42.0))
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


def _fixed_times(choose: Any, ms: float) -> Any:
    def fixed(times: list[float], current: Any, **kw: Any) -> Any:
        return choose([ms] * len(times), current, **kw)

    return fixed


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
    assert adapter.update(analyzer, 0.064, 15.0) is None  # decided once


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
