"""Tests of the form-rule pieces: the warnings debouncer, the bounce detector, rule limits."""

import math

import numpy as np
import pytest

from formcheck.stretches.rules import BounceDetector, WarningDebouncer, outside

FPS = 30.0


def test_debouncer_ignores_blips_and_merges_flicker():
    d = WarningDebouncer(on_s=0.25, off_s=0.5)
    t = 0.0

    def step(faulty, n):
        nonlocal t
        for _ in range(n):
            d.update(t, {"knee_bent": "x"} if faulty else {})
            t += 1 / FPS

    step(False, 10)
    step(True, 5)  # 0.17 s: a blip
    step(False, 30)
    assert d.intervals == []
    step(True, 30)  # 1 s fault
    step(False, 5)  # flicker shorter than off_s
    step(True, 30)
    step(False, 30)
    d.finish(t)
    assert len(d.intervals) == 1
    w = d.intervals[0]
    assert w.start_s - w.fault_start_s == pytest.approx(0.25, abs=0.04)


def test_bounce_detector():
    t = np.arange(0, 5, 1 / FPS)
    b = BounceDetector()
    bouncing = [b.update(ti, 60 + 6 * math.sin(2 * math.pi * 1.5 * ti)) for ti in t]
    assert any(bouncing[int(2.5 * FPS) :])
    b.reset()
    still = [b.update(ti, 60 + 0.5 * math.sin(2 * math.pi * 1.5 * ti)) for ti in t]
    assert not any(still)
    b.reset()
    drift = [b.update(ti, 60 - 4 * ti) for ti in t]  # leaning further, slowly: not bouncing
    assert not any(drift)


def test_debouncer_keeps_the_last_message_of_each_kind():
    d = WarningDebouncer(on_s=0.0, off_s=0.5)
    d.update(0.0, {"knee_bent": "first"})
    d.update(0.1, {"knee_bent": "second"})
    assert d.message("knee_bent") == "second" and d.message("bouncing") is None


def test_outside_limits():
    assert outside(150.0, 155.0, None) and not outside(160.0, 155.0, None)
    assert outside(100.0, None, 90.0) and not outside(math.nan, 155.0, None)
    assert outside(True, None, None) and not outside(None, 0.0, 1.0)
