"""A video or photo without a stretch says so: no faults, no history session (issue 14, item 2)."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import pytest

from formcheck.commands.analyze import write_outputs
from formcheck.config import Settings
from formcheck.pipeline import Analyzer, SessionRecorder
from formcheck.pose.frame import PoseFrame
from tests.stickfigure3d import film, pose


class ReplayPose:
    """Stands in for the pose estimator: one 3D stick pose, filmed side-on, at every frame."""

    model_path = Path("replay.task")

    def __init__(self, name: str, side: str = "left") -> None:
        self.p = pose(name, side)

    def detect(self, image: np.ndarray, t_s: float, rgb: np.ndarray | None = None) -> PoseFrame:
        return film(self.p, 90, t_s=t_s)

    def close(self) -> None:
        pass


def _report(name: str, kind: str = "video", seconds: float = 4.0) -> dict:
    settings = Settings()
    analyzer = Analyzer(settings, video=kind == "video", pose=ReplayPose(name))  # type: ignore[arg-type]
    info = {"path": f"{name}.mp4", "kind": kind, "fps": 30.0, "frames": 0, "duration_s": seconds,
            "width": 640, "height": 480}  # fmt: skip
    rec = SessionRecorder(info, settings)
    n = 1 if kind == "image" else int(seconds * 30)
    for i in range(n):
        rec.add(analyzer.measure(analyzer.detect(np.zeros((4, 4, 3), np.uint8), i / 30)), None)
    return rec.build(analyzer.coach)


@pytest.mark.parametrize("name", ["upright", "plank", "lunge", "squat", "twist"])
def test_a_video_without_a_stretch_says_so_with_no_faults(name):
    report = _report(name)
    assert any(n.startswith("no stretch recognised in the video") for n in report["notes"])
    assert report["session"]["stretch_recognized"] is False
    assert report["warnings"] == [] and report["holds"] == []
    for f in report["frames"]:
        assert f["stretch"] is None and f["faults"] == []
        assert f["stretch_confidence"] < 0.5
        assert f["recognition_note"].startswith("no stretch recognised")


def test_a_photo_without_a_stretch_says_so():
    report = _report("upright", kind="image")
    assert (
        "no stretch recognised in the image (standing upright: not folding forward)"
        in (report["notes"])
    )


def test_a_stretch_is_recognised_with_its_confidence():
    report = _report("standing_support")
    assert report["session"]["stretch_recognized"] is True
    last = report["frames"][-1]
    assert last["stretch"] == "standing_support" and last["side"] == "left"
    assert 0.5 <= last["stretch_confidence"] <= 1.0 and last["recognition_note"] is None
    assert not any("no stretch" in n for n in report["notes"])


def test_no_history_session_without_a_stretch(tmp_path):
    args = argparse.Namespace(
        no_html=True, no_csv=True, no_history=False, db=str(tmp_path / "h.db")
    )
    paths = {"json": tmp_path / "r.json", "html": tmp_path / "r.html", "csv": tmp_path / "r.csv"}
    lines = write_outputs(_report("plank"), paths, args)
    assert any("not added (no stretch recognised)" in line for line in lines)
    assert not (tmp_path / "h.db").exists()
    lines = write_outputs(_report("standing_support"), paths, args)
    assert any("added to" in line for line in lines)


def test_confidence_is_nan_without_a_person():
    from formcheck.metrics.measures import empty_metrics
    from formcheck.stretches.recognize import recognize_frame

    r = recognize_frame(empty_metrics(0.0))
    assert r.stretch is None and math.isnan(r.confidence)
