"""The live start screen names the stretch or plan about to run and shows its set-up steps
(issue 17)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from formcheck.live.plan import Plan, default_plan
from formcheck.live.start import draw_start_screen, show_start_screen, start_lines
from formcheck.stretches.catalogue import load_catalogue
from formcheck.stretches.setup import setup_steps

CAT = load_catalogue()


def test_names_the_stretch_and_the_plan_with_its_setup():
    title, details, steps = start_lines(default_plan("seated_chair", None, CAT), CAT)
    assert title == f"Next: {CAT['seated_chair'].name}"
    assert details[0].startswith("3 x 30 s hold")
    assert steps == list(setup_steps(CAT["seated_chair"]))


def test_names_a_plan_file():
    plan = Plan(stretch="supine_raise", sides=("left",), reps=2, hold_s=20.0,
                source_file="plans/morning.toml")  # fmt: skip
    title, details, _ = start_lines(plan, CAT)
    assert title == f"Plan morning: {CAT['supine_raise'].name}"
    assert "2 x 20 s hold, left leg" in details[0]


def test_without_a_stretch_says_any():
    title, details, steps = start_lines(default_plan(None, None, CAT), CAT)
    assert "any hamstring stretch" in title
    assert steps == []
    assert any("formcheck stretches" in d for d in details)


class FakeWindow:
    def __init__(self, keys):
        self.keys = list(keys)
        self.shown = []

    def show(self, canvas):
        self.shown.append(canvas)

    def poll_key(self, wait_ms=1):
        return self.keys.pop(0) if self.keys else 255

    def closed(self):
        return False


def test_window_shows_the_screen_until_a_key():
    win = FakeWindow([255, 255, ord("x")])
    canvas, key = show_start_screen(default_plan("standing_fold", None, CAT), CAT, win,
                                    (640, 360), wait_s=5.0)  # fmt: skip
    assert key == ord("x")
    assert win.shown and win.shown[0] is canvas
    assert canvas.shape == (360, 640, 3) and canvas.dtype == np.uint8
    assert canvas.std() > 5  # text drawn


def test_without_a_window_the_lines_are_printed():
    lines: list[str] = []
    canvas, key = show_start_screen(default_plan("seated_floor", None, CAT), CAT, None,
                                    (640, 360), on_line=lines.append)  # fmt: skip
    assert canvas is None and key is None
    assert lines[0] == f"Next: {CAT['seated_floor'].name}"
    assert any(ln.strip().startswith("1. Sit on the floor") for ln in lines)


def test_draw_fits_small_windows():
    lines = start_lines(default_plan("standing_support", None, CAT), CAT)
    assert draw_start_screen(lines, (320, 240)).shape == (240, 320, 3)


@pytest.mark.slow
def test_headless_session_prints_the_start_screen_first(tmp_path: Path):
    from formcheck.config import Settings
    from formcheck.live.session import LiveOptions, LiveSession
    from formcheck.pipeline import Analyzer
    from tests.media import write_video
    from tests.unit.live.test_session import ReplayPose

    video = write_video(tmp_path / "b.mp4", (np.zeros((120, 160, 3), np.uint8) for _ in range(30)),
                        30.0)  # fmt: skip
    plan = Plan(stretch="supine_raise", sides=("left",), reps=1, hold_s=4.0)
    settings = Settings()
    analyzer = Analyzer(settings, video=True, hold_target_s=4.0, pose=ReplayPose())
    lines: list[str] = []
    opts = LiveOptions(source=str(video), window=False, speed=4.0)
    LiveSession(settings, plan, opts, analyzer=analyzer, on_line=lines.append).run()
    assert lines[0] == f"Next: {CAT['supine_raise'].name}"  # before any frame's line
    assert lines[1].startswith("1 x 4 s hold, left leg")
