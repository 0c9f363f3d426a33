"""The back outline's measures (formcheck/metrics/lumbar.py) on outlines of known shape."""

from __future__ import annotations

import math

import numpy as np
import pytest

from formcheck.metrics import geometry as g
from formcheck.metrics.lumbar import (
    LOW_STATIONS,
    STATIONS,
    BackShape,
    LumbarCalibration,
    back_profile,
    load_calibration,
    low_back_turn_deg,
    lumbar_flexion_deg,
    measure_back,
)

HIP = np.array([200.0, 400.0])
SHOULDER = np.array([200.0, 200.0])  # chord 200 px, straight up
CHORD = 200.0


def arc_offset(t: np.ndarray, turn_deg: float, span: float = 0.6) -> np.ndarray:
    """Outward offset (px) of a circular arc over t in [0, span] turning through ``turn_deg``
    (0 at both ends), continued by its end tangents outside the span."""
    if turn_deg == 0:
        return np.zeros_like(t)
    a = math.radians(turn_deg)
    c = span * CHORD
    r = (c / 2) / math.sin(a / 2)
    x = np.clip(t, 0.0, span) * CHORD - c / 2
    y = np.sqrt(r**2 - x**2) - r * math.cos(a / 2)
    slope = math.tan(a / 2)
    y = np.where(t < 0, slope * t * CHORD, y)
    return np.where(t > span, -slope * (t - span) * CHORD, y)


def test_the_low_back_turn_of_a_circular_arc_is_its_turning_angle():
    for turn in (10.0, 30.0, 50.0):
        profile = 40.0 + arc_offset(LOW_STATIONS, turn)
        assert low_back_turn_deg(profile, CHORD) == pytest.approx(
            turn, abs=0.06 * turn + 0.3
        )  # parabola vs circle


def test_a_straight_outline_turns_zero_whatever_its_tilt_and_a_hollow_one_is_negative():
    for tilt in (-0.3, 0.0, 0.4):
        profile = 40.0 + tilt * LOW_STATIONS * CHORD
        assert low_back_turn_deg(profile, CHORD) == pytest.approx(0.0, abs=1e-6)
    hollow = 40.0 - arc_offset(LOW_STATIONS, 20.0)
    assert low_back_turn_deg(hollow, CHORD) == pytest.approx(-20.0, abs=1.0)


def test_too_few_outline_points_give_nan():
    profile = 40.0 + arc_offset(LOW_STATIONS, 30.0)
    profile[: len(profile) // 2 + 1] = np.nan
    assert math.isnan(low_back_turn_deg(profile, CHORD))
    assert math.isnan(low_back_turn_deg(np.full(len(LOW_STATIONS), 40.0), 0.0))


def _side_view(turn_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """A mask whose back (to the left of a vertical hip->shoulder chord, the face to the right)
    bulges over the low back by an arc turning through ``turn_deg``, and the landmarks."""
    h, w = 500, 400
    mask = np.zeros((h, w), np.float32)
    for y in range(120, 460):
        t = (HIP[1] - y) / CHORD
        d = 40.0 + float(arc_offset(np.array([t]), turn_deg)[0])
        mask[y, int(round(HIP[0] - d)) + 1 : 261] = 1.0
    xy = np.full((33, 2), np.nan)
    xy[g.LEFT_HIP], xy[g.LEFT_SHOULDER] = HIP, SHOULDER
    xy[g.LEFT_EAR] = [215.0, 150.0]
    xy[g.NOSE] = [245.0, 150.0]
    return mask, xy


def _edges_one_by_one(mask, hip, shoulder, normal, max_frac, stations):
    """back_profile's definition, station by station: the first step off the mask on a ray
    that starts on it."""
    chord = shoulder - hip
    steps = np.arange(0.0, max_frac * float(np.linalg.norm(chord)), 1.0)
    out = np.full(len(stations), np.nan)
    for i, t in enumerate(stations):
        on = []
        for r in steps:
            x, y = np.rint(hip + t * chord + r * normal).astype(int)
            on.append(0 <= x < mask.shape[1] and 0 <= y < mask.shape[0] and mask[y, x] >= 0.5)
        if on[0] and not all(on):
            out[i] = steps[on.index(False)]
    return out


@pytest.mark.parametrize("tilt", [0.0, 0.3, -0.8])
def test_back_profile_finds_each_stations_edge(tilt):
    mask, _ = _side_view(30.0)
    mask[300:310, :] = 0.0  # stations off the mask: NaN
    mask[330:340, :200] = 1.0  # an edge beyond the search: NaN
    mask[:, :4] = 1.0  # the mask running off the picture
    shoulder = HIP + CHORD * np.array([math.sin(tilt), -math.cos(tilt)])
    chord = shoulder - HIP
    normal = np.array([chord[1], -chord[0]]) / CHORD  # to the left: the back
    for max_frac, stations in ((0.7, STATIONS), (0.8, LOW_STATIONS), (1.5, STATIONS)):
        got = back_profile(mask, HIP, shoulder, normal, max_frac=max_frac, stations=stations)
        want = _edges_one_by_one(mask, HIP, shoulder, normal, max_frac, stations)
        np.testing.assert_array_equal(got, want)
    assert np.isnan(back_profile(mask, HIP, HIP, normal)).all()  # no chord


@pytest.mark.parametrize("turn", [0.0, 25.0, 45.0])
def test_measure_back_reads_a_known_low_back_bulge(turn):
    mask, xy = _side_view(turn)
    shape = measure_back(xy, mask, "left")
    assert shape.low_turn_deg == pytest.approx(turn, abs=2.5)
    assert math.isfinite(shape.bend_deg) and shape.chord_px == pytest.approx(CHORD)


def test_a_rounded_low_back_reads_more_flexion_than_a_flat_one_with_a_low_turn_calibration():
    # the fit benchmarks/lumbar_cv.py --write made on 2026-12-02 (docs/lumbar.md: measured,
    # not committed; the committed calibration is the whole-trunk form)
    cal = LumbarCalibration(
        intercept=-2.254, slope=0.0, head_coef=0.6925, low_turn_coef=0.3446,
        by_posture={"standing": {"intercept": -4.825}, "chair_sitting": {"intercept": 5.226}},
    )  # fmt: skip
    assert load_calibration().low_turn_coef == 0.0
    (m0, xy0), (m1, xy1) = _side_view(0.0), _side_view(40.0)
    flat, bent = measure_back(xy0, m0, "left"), measure_back(xy1, m1, "left")
    for posture in ("standing", "chair_sitting", "floor_sitting", None):
        diff = lumbar_flexion_deg(bent, cal, posture) - lumbar_flexion_deg(flat, cal, posture)
        assert diff == pytest.approx(cal.low_turn_coefficient(posture) * 40.0, abs=1.5)


def _shape(bend: float = -20.0, head: float = 30.0, low: float = 10.0) -> BackShape:
    return BackShape(bend, head, 200.0, np.zeros(20), low)


def test_the_estimate_is_the_calibrated_linear_form_per_posture():
    cal = LumbarCalibration(
        intercept=1.0,
        slope=0.0,
        head_coef=0.5,
        low_turn_coef=0.3,
        by_posture={"standing": {"intercept": -4.0, "low_turn_coef": 0.4}},
    )
    assert lumbar_flexion_deg(_shape(), cal) == pytest.approx(1.0 + 0.5 * 30 + 0.3 * 10)
    assert lumbar_flexion_deg(_shape(), cal, "standing") == pytest.approx(-4.0 + 15 + 4.0)
    # a missing head drop counts as 0; a missing low-back turn or trunk outline: not judged
    assert lumbar_flexion_deg(_shape(head=math.nan), cal) == pytest.approx(1.0 + 3.0)
    assert math.isnan(lumbar_flexion_deg(_shape(low=math.nan), cal))
    assert math.isnan(lumbar_flexion_deg(_shape(bend=math.nan), cal))


def test_a_whole_trunk_calibration_ignores_the_low_back_turn():
    cal = LumbarCalibration(intercept=2.0, slope=0.4, head_coef=0.5)
    assert lumbar_flexion_deg(_shape(low=math.nan), cal) == pytest.approx(2.0 - 8.0 + 15.0)
    old = BackShape(-20.0, 30.0, 200.0, np.zeros(20))  # built without the new field
    assert math.isnan(old.low_turn_deg)
    assert lumbar_flexion_deg(old, cal) == pytest.approx(9.0)
