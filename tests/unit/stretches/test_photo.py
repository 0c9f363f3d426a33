"""A photo is judged on its one frame: every fault seen is reported, no hold timer (issue 14,
item 5). Known answers: a standing fold with the knees bent to 140 degrees (the rule asks 150)."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from formcheck import pipeline
from formcheck.metrics.measures import MetricsComputer, MetricsOptions
from formcheck.stretches.coach import Coach
from tests.stickfigure import figure

#: a standing fold (trunk 80 degrees forward), knees bent to 140 degrees of extension
BENT_FOLD = dict(hip=(320, 200), trunk_deg=80, thigh_deg=(20, 20), shank_deg=(-20, -20))
GOOD_FOLD = dict(hip=(320, 200), trunk_deg=80)


def _photo_verdict(**kw):
    coach = Coach(photo=True)
    v = coach.update(MetricsComputer(MetricsOptions(smooth=False)).update(figure(**kw)), None)
    return v, coach.finish()


def test_a_photo_with_a_bent_knee_gets_the_fault():
    v, (holds, warnings) = _photo_verdict(**BENT_FOLD)
    assert v.stretch == "standing_fold" and v.engaged
    assert v.knee_extension_deg == pytest.approx(140, abs=1)
    assert "knee_bent" in v.faults and "knee_bent" in v.warnings
    assert not v.valid and v.reason == "knee_bent"
    assert [w.kind for w in warnings] == ["knee_bent"]
    assert holds == [] and not v.hold.active


def test_a_good_photo_is_valid_without_a_hold():
    v, (holds, warnings) = _photo_verdict(**GOOD_FOLD)
    assert v.engaged and v.valid and v.reason is None
    assert warnings == [] and holds == []


class _FigurePose:
    """Stands in for the pose estimator: one stick figure whatever the picture."""

    model_path = Path("figure.task")

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def detect(self, image, t_s, rgb=None):
        return figure(t_s=t_s, **BENT_FOLD)

    def close(self) -> None:
        pass


def test_analyze_reports_the_fault_of_a_photo(tmp_path, monkeypatch):
    photo = tmp_path / "fold.jpg"
    cv2.imwrite(str(photo), np.full((480, 640, 3), 200, np.uint8))
    monkeypatch.setattr(pipeline, "PoseEstimator", _FigurePose)
    report = pipeline.analyze(photo)
    assert report["source"]["kind"] == "image"
    assert [w["kind"] for w in report["warnings"]] == ["knee_bent"]
    assert report["holds"] == []
    (row,) = report["frames"]
    assert row["faults"] == ["knee_bent"] and row["reason"] == "knee_bent" and not row["valid"]
