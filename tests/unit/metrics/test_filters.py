import math

import numpy as np
import pytest

from formcheck.metrics.filters import OneEuroFilter


def test_constant_in_constant_out():
    f = OneEuroFilter(1.0, 0.0)
    for i in range(50):
        out = f.update(i / 30, [5.0, -2.0])
    np.testing.assert_allclose(out, [5.0, -2.0])


def test_reduces_jitter_of_a_still_signal():
    rng = np.random.default_rng(0)
    f = OneEuroFilter(min_cutoff_hz=1.0, beta=0.0)
    raw = 100 + rng.normal(0, 2.0, 300)
    out = np.array([f.update(i / 30, x)[()] for i, x in enumerate(raw)])
    assert out[30:].std() < raw[30:].std() / 2


def test_fast_motion_follows_with_little_lag():
    """A step of 40 degrees is followed within 0.15 s with the speed-adaptive cut-off."""
    f = OneEuroFilter(min_cutoff_hz=1.0, beta=0.5, d_cutoff_hz=1.0)
    t = np.arange(0, 2, 1 / 30)
    x = np.where(t < 1.0, 100.0, 140.0)
    out = np.array([f.update(ti, xi)[()] for ti, xi in zip(t, x, strict=True)])
    reached = t[(t >= 1.0) & (out >= 136.0)][0]
    assert reached - 1.0 <= 0.15


def test_nan_in_nan_out_and_restart_after_gap():
    f = OneEuroFilter(1.0, 0.0, max_gap_s=0.5)
    f.update(0.0, [1.0])
    assert math.isnan(f.update(0.033, [np.nan])[0])
    # after a long gap the filter restarts at the new value instead of dragging from the old one
    assert f.update(2.0, [50.0])[0] == pytest.approx(50.0)


def test_uses_time_not_frame_count():
    """Same signal at 30 and 60 fps gives about the same smoothed value at the same time."""

    def run(fps):
        f = OneEuroFilter(1.0, 0.0)
        out = None
        for i in range(int(fps * 1.0) + 1):
            t = i / fps
            out = f.update(t, [0.0 if t < 0.5 else 10.0])
        return out[0]

    assert run(30) == pytest.approx(run(60), abs=0.5)


def test_bad_parameters_raise():
    with pytest.raises(ValueError, match="min_cutoff_hz"):
        OneEuroFilter(min_cutoff_hz=0)
