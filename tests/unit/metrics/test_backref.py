"""The person's neutral back (formcheck/metrics/backref.py) and the verdict judged against it."""

from __future__ import annotations

import math

import pytest

from formcheck.metrics.backref import (
    MAX_BIAS_DEG,
    BackReference,
    UprightCollector,
    from_report,
    population_report,
)
from formcheck.metrics.lumbar import BackRoundingJudge, LumbarCalibration

FPS = 30.0


def _frames(t0: float, seconds: float) -> list[float]:
    return [t0 + i / FPS for i in range(int(seconds * FPS))]


def test_collector_needs_a_second_of_upright_frames_then_gives_their_median():
    c = UprightCollector()
    for i, t in enumerate(_frames(0.0, 0.9)):
        c.add(t, 4.0 + (i % 3))  # 4, 5, 6, ...
    assert c.reference("upright_frames") is None  # 0.9 s: not yet
    for t in _frames(0.9, 0.3):
        c.add(t, 5.0)
    ref = c.reference("upright_frames")
    assert ref is not None and ref.bias_deg == pytest.approx(5.0)
    assert ref.source == "upright_frames" and ref.frames >= 30
    assert ref.span_s is not None and ref.span_s[0] == 0.0


def test_collector_starts_over_after_a_gap_and_ignores_nan():
    c = UprightCollector()
    for t in _frames(0.0, 0.6):
        c.add(t, 3.0)
    for t in _frames(2.0, 0.6):  # a 1.4 s gap: a new run, still under a second
        c.add(t, 3.0)
        c.add(t, math.nan)
    assert c.reference("upright_frames") is None


def test_a_slumped_upright_posture_is_clamped():
    c = UprightCollector()
    for t in _frames(0.0, 1.5):
        c.add(t, 40.0)
    ref = c.reference("upright_frames")
    assert ref is not None
    assert ref.bias_deg == MAX_BIAS_DEG and ref.measured_deg == pytest.approx(40.0)


def _judge(**kw) -> BackRoundingJudge:
    return BackRoundingJudge(LumbarCalibration(hysteresis_deg=2.0), **kw)


def test_a_person_rounded_from_the_start_is_warned_once_upright_frames_are_seen():
    """Failure 1 of the judgements issue: the back is rounded from the first frame of the
    stretch and never straightens (estimate 30: under the population limit of 35)."""
    hold = _frames(2.0, 10.0)
    plain = _judge()
    assert not any(plain.update(t, 30.0, True, "chair_sitting") for t in hold)
    assert plain.reference is None

    judged = _judge()
    for t in _frames(0.0, 1.5):  # sitting tall first: a neutral back reads 2 degrees
        judged.observe_upright(t, 2.0)
    assert judged.reference is not None and judged.reference.source == "upright_frames"
    verdicts = [judged.update(t, 30.0, True, "chair_sitting") for t in hold]
    assert all(verdicts)


def test_a_naturally_curved_back_is_not_warned_against_its_own_reference():
    """Failure 2: a build whose neutral back reads 14 degrees hinges into a good fold (the
    estimate reads 12 on the way down, then 30): the population rule, comparing with the least
    flexed estimate of the session, warns; against the person's upright reference it does not."""
    t_fold = _frames(2.0, 8.0)
    fold = [12.0 if t < 2.5 else 30.0 for t in t_fold]
    plain = _judge()
    assert any(plain.update(t, v, True, "standing") for t, v in zip(t_fold, fold, strict=True))

    own = _judge(reference_threshold_deg=18.0)
    for t in _frames(0.0, 1.5):
        own.observe_upright(t, 14.0)
    verdicts = [own.update(t, v, True, "standing") for t, v in zip(t_fold, fold, strict=True)]
    assert not any(verdicts)
    # and a real rounding on top of it is warned
    assert own.update(10.1, 14.0 + 18.0 + 6.0, True, "standing") is True


def test_a_saved_reference_judges_a_photo_and_upright_frames_replace_it():
    saved = BackReference(10.0, "saved", 40, None, "2026-11-30T08:00:00+00:00", 10.0)
    photo = _judge(reference=saved)
    assert photo.update(0.0, 24.0, True, "standing") is False  # 14 above its neutral back
    photo.reset()
    assert photo.update(0.0, 40.0, True, "standing") is True
    # the same saved reference, then this session's own upright frames (neutral reads 0)
    j = _judge(reference=saved)
    assert j.reference is saved
    for t in _frames(0.0, 1.2):
        j.observe_upright(t, 0.0, "calibration")
    assert j.reference is not None and j.reference.source == "calibration"
    assert j.update(2.0, 24.0, True, "standing") is True


def test_report_round_trip_and_describe():
    ref = BackReference(6.0, "upright_frames", 45, (0.5, 2.0), None, 6.2)
    data = ref.as_report()
    assert data["source"] == "upright_frames" and "upright posture" in data["description"]
    back = from_report(data)
    assert back is not None and back.bias_deg == 6.0 and back.frames == 45
    assert from_report(population_report()) is None
    assert from_report({"source": "upright_frames", "bias_deg": "x"}) is None
    assert from_report({"source": "saved", "bias_deg": 3.0}) is None  # never re-saved
    saved = BackReference(1.0, "saved", 1, None, "2026-11-30T08:00:00+00:00")
    assert saved.describe().startswith("your saved calibration of 2026-11-30")


def test_each_posture_has_its_own_neutral_reading_when_seen():
    """Standing tall reads 3 degrees, sitting tall on the chair 12 (the estimate's calibration
    differs between postures): each posture's stretch is judged against its own upright frames,
    a posture never seen upright against the pooled reference."""
    j = _judge(reference_threshold_deg=18.0)
    for t in _frames(0.0, 1.2):
        j.observe_upright(t, 3.0, key="standing")
    for t in _frames(1.5, 1.2):
        j.observe_upright(t, 12.0, key="chair_sitting")
    assert j.reference_for("standing").bias_deg == pytest.approx(3.0)
    assert j.reference_for("chair_sitting").bias_deg == pytest.approx(12.0)
    assert set(j.references_by_posture) == {"standing", "chair_sitting"}
    assert j.update(3.0, 25.0, True, "chair_sitting") is False  # 13 over its own 12
    assert j.update(3.1, 25.0, True, "standing") is True  # 22 over standing's 3
    pooled = j.reference_for("floor_sitting")
    assert pooled is not None and pooled is j.reference and 3.0 <= pooled.bias_deg <= 12.0
