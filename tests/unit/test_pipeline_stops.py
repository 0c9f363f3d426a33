"""Issue 16: an analysis that stops early keeps what it measured and says what that was.

No model: the pose estimator is replaced by one that replays a stick figure (and, on a chosen
frame, fails or receives Ctrl-C), on a small generated video.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from formcheck import pipeline
from formcheck.io.prefetch import prefetch
from formcheck.pipeline import analyze
from formcheck.pose.frame import PoseFrame
from tests.media import pattern_video
from tests.stickfigure import figure

N_FRAMES = 60  # 2 s at 30 fps


class FailingPose:
    """The pose stage: a standing stick figure; ``on_frame(n)`` runs before the n-th frame
    (1-based) is measured, in the thread that runs the pose model."""

    model_path = Path("replay.task")
    on_frame: Callable[[int], None] = staticmethod(lambda n: None)

    def __init__(self, options: object = None, *, video: bool = True) -> None:
        self.n = 0

    def detect(self, image: np.ndarray, t_s: float, rgb: np.ndarray | None = None) -> PoseFrame:
        self.n += 1
        type(self).on_frame(self.n)
        return figure(t_s=t_s)

    def close(self) -> None:
        pass


@pytest.fixture
def video(tmp_path: Path) -> Path:
    return pattern_video(tmp_path / "v.mp4", N_FRAMES)


def _with_pose(monkeypatch: pytest.MonkeyPatch, on_frame: Callable[[int], None]) -> None:
    monkeypatch.setattr(FailingPose, "on_frame", staticmethod(on_frame))
    monkeypatch.setattr(pipeline, "PoseEstimator", FailingPose)


def test_an_inference_error_keeps_the_frames_measured(
    video: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(n: int) -> None:
        if n == 21:
            raise RuntimeError("CalculatorGraph::Run() failed\nmore native detail")

    _with_pose(monkeypatch, fail)
    report = analyze(video)
    assert len(report["frames"]) == 20, "the 20 frames measured before the error are kept"
    assert report["session"]["partial"] is True and report["session"]["interrupted"] is False
    note = next(n for n in report["notes"] if "stopped early" in n)
    assert "RuntimeError: CalculatorGraph::Run() failed" in note and "more native" not in note
    assert report["session"]["error"].startswith("RuntimeError")
    assert report["source"]["frames"] == 20 and report["source"]["file_frames"] == N_FRAMES


def test_an_interrupted_analysis_reports_what_was_measured(
    video: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C after 15 frames: ``source.frames`` / ``duration_s`` are the part measured, not
    the whole file's (kept as ``file_frames`` / ``file_duration_s``)."""
    main = threading.main_thread().ident or 0

    def ctrl_c(n: int) -> None:
        if n == 15:
            signal.pthread_kill(main, signal.SIGINT)
            time.sleep(0.5)  # the main thread stops before the rest of the file is read

    _with_pose(monkeypatch, ctrl_c)
    # Python's own Ctrl-C handler, even when the test runner was started ignoring SIGINT (a
    # background job of a shell without job control, nohup)
    saved = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        report = analyze(video)
    finally:
        signal.signal(signal.SIGINT, saved)
    src, frames = report["source"], report["frames"]
    assert report["session"]["interrupted"] is True and report["session"]["partial"] is True
    assert 0 < len(frames) < N_FRAMES
    assert src["frames"] == len(frames)
    assert src["duration_s"] == pytest.approx(frames[-1]["t_s"] + 1 / 30, abs=1e-3)
    assert src["file_frames"] == N_FRAMES
    assert src["file_duration_s"] == pytest.approx(N_FRAMES / 30, abs=1e-3)


def test_closing_a_prefetch_waits_for_the_item_in_hand() -> None:
    """The analysis releases the decoder and the model right after closing its prefetch
    threads: a thread still working on an item would use them after they were freed."""
    long_item = threading.Event()
    state = {"in_hand": False}

    def slow() -> Iterator[int]:
        for i in range(3):
            state["in_hand"] = True
            if i == 1:  # a frame that takes long (a loaded machine)
                long_item.set()
                time.sleep(3.0)
            state["in_hand"] = False
            yield i

    it = prefetch(slow(), depth=1)
    assert next(it) == 0
    assert long_item.wait(5)  # the producer is now inside the long item
    it.close()  # type: ignore[attr-defined]
    assert not state["in_hand"], "prefetch returned while its thread was still working"
