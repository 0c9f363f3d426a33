"""Property-based tests (hypothesis) of the stateful judgement pieces.

- HoldTimer: never counts invalid time, holds never overlap, their total never exceeds the video.
- WarningDebouncer: per kind, intervals do not overlap and start after their fault started.
- BounceDetector: never fires on a still signal.
"""

from __future__ import annotations

import itertools
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from formcheck.stretches.coach import BounceDetector, HoldTimer, WarningDebouncer

settings.register_profile("formcheck", max_examples=150, deadline=None)
settings.load_profile("formcheck")


def _times(steps: list[float]) -> list[float]:
    """Frame times from the steps between them."""
    return list(itertools.accumulate(steps))


# --------------------------------------------------------------------------- HoldTimer

frame = st.tuples(
    st.floats(1e-3, 1.5),  # dt to the next frame
    st.sampled_from([None, "standing_fold", "seated_floor"]),
    st.sampled_from([None, "left", "right"]),
    st.booleans(),  # engaged
    st.booleans(),  # form valid (only counts when engaged)
    st.sampled_from([(), ("knee_bent",), ("back_rounding", "knee_bent")]),
)


@settings(max_examples=200)
@given(
    st.lists(frame, min_size=1, max_size=120),
    st.floats(0.0, 4.0),
    st.floats(0.0, 2.0),
    st.floats(0.05, 1.0),
)
def test_hold_timer_invariants(
    frames: list[tuple], min_hold_s: float, grace_s: float, max_dt_s: float
) -> None:
    timer = HoldTimer(
        {"standing_fold": 30.0, "seated_floor": 20.0},
        min_hold_s=min_hold_s, exit_grace_s=grace_s, max_dt_s=max_dt_s,
    )  # fmt: skip
    t = 0.0
    prev_t: float | None = None
    valid_time = 0.0  # sum of dt over frames counted as valid
    t0 = t
    for dt, stretch, side, engaged, form_ok, faults in frames:
        valid = engaged and form_ok and not faults
        state = timer.update(t, stretch, side, engaged, valid, set(faults))
        if valid and prev_t is not None:
            valid_time += t - prev_t
        assert state.valid_s <= state.elapsed_s + 1e-9
        prev_t = t
        t += dt
    t_end = prev_t if prev_t is not None else t0
    holds = timer.finish()
    total_valid = sum(h.valid_s for h in holds)
    assert total_valid <= valid_time + 1e-9, "invalid time was counted"
    total = 0.0
    for h in holds:
        assert 0.0 <= h.valid_s <= h.duration_s + 1e-9
        assert h.duration_s >= min_hold_s - 1e-9
        assert t0 - 1e-9 <= h.start_s <= h.end_s <= t_end + 1e-9
        for secs in h.faults.values():
            assert 0.0 <= secs <= h.duration_s + 1e-9
        total += h.duration_s
    assert total <= (t_end - t0) + 1e-9, "holds last longer than the video"
    for a, b in zip(holds, holds[1:], strict=False):
        assert b.start_s >= a.end_s - 1e-9, "holds overlap"
    reps: dict[tuple[str, str], list[int]] = {}
    for h in holds:
        reps.setdefault((h.stretch, h.side), []).append(h.rep)
    for numbers in reps.values():
        assert numbers == list(range(1, len(numbers) + 1)), "reps are numbered 1, 2, 3..."


# --------------------------------------------------------------------------- WarningDebouncer

KINDS = ("back_rounding", "knee_bent", "no_person")


@settings(max_examples=200)
@given(
    st.lists(st.tuples(st.floats(1e-3, 1.0), st.sets(st.sampled_from(KINDS))), max_size=150),
    st.floats(0.0, 1.5),
    st.floats(0.0, 1.5),
)
def test_warning_debouncer_invariants(
    steps: list[tuple[float, set[str]]], on_s: float, off_s: float
) -> None:
    deb = WarningDebouncer(on_s, off_s)
    t = 0.0
    last = 0.0
    for dt, kinds in steps:
        active = deb.update(t, {k: k for k in kinds})
        assert active <= set(KINDS)
        last = t
        t += dt
    deb.finish(last)
    per: dict[str, list] = {}
    for w in deb.intervals:
        assert w.fault_start_s <= w.start_s <= w.end_s <= last + 1e-9
        assert w.start_s - w.fault_start_s >= on_s - 1e-9
        per.setdefault(w.kind, []).append(w)
    for ws in per.values():
        ws.sort(key=lambda w: w.start_s)
        for a, b in zip(ws, ws[1:], strict=False):
            assert b.start_s >= a.end_s, "warnings of one kind overlap"
            assert b.fault_start_s >= a.end_s


# --------------------------------------------------------------------------- BounceDetector


@given(st.lists(st.floats(1e-3, 0.2), min_size=1, max_size=80), st.floats(0, 180))
def test_bounce_never_on_a_still_signal(steps: list[float], x: float) -> None:
    b = BounceDetector()
    assert not any(b.update(t, x) for t in _times(steps))
    b.reset()
    assert not any(b.update(t, math.nan) for t in _times(steps))
