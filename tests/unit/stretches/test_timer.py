"""Tests of the hold timer: valid time only, pauses on faults, grace, reps, stalls."""

import math

import pytest

from formcheck.stretches.timer import HoldTimer

FPS = 30.0


def run_timer(segments, targets=None, **kw):
    """segments: list of (duration_s, stretch, side, engaged, valid)."""
    timer = HoldTimer(targets or {"supine_raise": 30.0}, **kw)
    t = 0.0
    for dur, stretch, side, engaged, valid in segments:
        for _ in range(int(round(dur * FPS))):
            timer.update(t, stretch, side, engaged, valid)
            t += 1 / FPS
    return timer.finish(), t


def test_timer_counts_only_valid_time_and_pauses_on_fault():
    holds, _ = run_timer(
        [
            (10, "supine_raise", "left", True, True),
            (3, "supine_raise", "left", True, False),
            (5, "supine_raise", "left", True, True),
            (3, None, None, False, False),
        ]
    )
    assert len(holds) == 1
    h = holds[0]
    assert h.valid_s == pytest.approx(15.0, abs=0.1)
    assert h.duration_s == pytest.approx(18.0, abs=0.1)
    assert not h.completed


def test_timer_completes_at_target_and_reports_it_once():
    timer = HoldTimer({"supine_raise": 5.0})
    done = []
    for i in range(int(8 * FPS)):
        st = timer.update(i / FPS, "supine_raise", "right", True, True)
        if st.just_completed:
            done.append(i / FPS)
    holds = timer.finish()
    assert len(done) == 1
    assert done[0] == pytest.approx(5.0, abs=0.05)
    assert holds[0].completed


def test_short_exit_within_grace_keeps_the_hold():
    holds, _ = run_timer(
        [
            (5, "supine_raise", "left", True, True),
            (0.5, None, None, False, False),
            (5, "supine_raise", "left", True, True),
        ],
        exit_grace_s=1.0,
    )
    assert len(holds) == 1
    assert holds[0].valid_s == pytest.approx(10.0, abs=0.1)


def test_leaving_ends_the_hold_and_a_new_one_is_the_next_rep():
    holds, _ = run_timer(
        [
            (5, "supine_raise", "left", True, True),
            (3, None, None, False, False),
            (6, "supine_raise", "left", True, True),
        ]
    )
    assert [h.rep for h in holds] == [1, 2]
    assert holds[0].end_s < holds[1].start_s


def test_side_switch_starts_a_new_hold_without_overlap():
    holds, _ = run_timer(
        [
            (5, "supine_raise", "left", True, True),
            (5, "supine_raise", "right", True, True),
        ]
    )
    assert [(h.side, h.rep) for h in holds] == [("left", 1), ("right", 1)]
    assert holds[0].end_s <= holds[1].start_s


def test_too_short_stays_are_not_holds():
    holds, _ = run_timer([(1.0, "supine_raise", "left", True, True), (3, None, None, False, False)])
    assert holds == []


def test_stalled_stream_does_not_add_time():
    timer = HoldTimer({"supine_raise": 30.0}, max_dt_s=0.5)
    timer.update(0.0, "supine_raise", "left", True, True)
    timer.update(0.5, "supine_raise", "left", True, True)
    timer.update(10.0, "supine_raise", "left", True, True)  # a 9.5 s gap counts as 0.5
    holds = timer.finish()
    assert holds[0].valid_s == pytest.approx(1.0)


def test_a_hold_begins_with_valid_form_and_reports_time_in_position():
    """In position with a fault first (3 s): no hold yet; it begins when the form is valid,
    and a later fault counts as fault time beside the valid time (issue 14, item 3)."""
    holds, _ = run_timer(
        [
            (3, "supine_raise", "left", True, False),
            (4, "supine_raise", "left", True, True),
            (2, "supine_raise", "left", True, False),
            (4, "supine_raise", "left", True, True),
            (2, None, None, False, False),
        ]
    )
    (h,) = holds
    assert h.start_s == pytest.approx(3.0, abs=0.05)
    assert h.valid_s == pytest.approx(8.0, abs=0.1)
    assert h.in_position_s == pytest.approx(10.0, abs=0.1)
    assert h.fault_total_s == pytest.approx(2.0, abs=0.1)
    row = h.as_report()
    assert row["in_position_s"] == pytest.approx(10.0, abs=0.1)
    assert row["fault_total_s"] == pytest.approx(2.0, abs=0.1)


# -- at rest: the hold backdated to the start of the rest ---------------------


def test_stillness_needs_the_whole_window_within_the_degrees():
    from formcheck.stretches.timer import Stillness

    rest = Stillness(0.5, 4.0)
    # moving 20 deg/s for 1 s, then still: at rest only once 0.5 s of stillness has passed
    starts = []
    for i in range(60):
        t = i / FPS
        hip = 100.0 - 20.0 * min(t, 1.0)
        starts.append(rest.update(t, (hip, 60.0)))
    first = next(i for i, s in enumerate(starts) if s is not None)
    # 4 deg of the ramp (0.2 s) may fall inside the window: at rest from t = 1.3 s on, since 0.8
    assert first / FPS == pytest.approx(1.3, abs=0.05)
    assert starts[first] == pytest.approx(0.8, abs=0.05)
    # an unseen angle breaks the rest; jitter within the degrees does not
    assert rest.update(2.0, (math.nan, 60.0)) is None
    jitter = [
        rest.update(2.0 + i / FPS, (80.0 + (1.5 if i % 2 else -1.5), 60.0)) for i in range(30)
    ]
    assert jitter[14] is None and jitter[-1] is not None


def test_stillness_is_the_same_at_any_frame_rate():
    from formcheck.stretches.timer import Stillness

    for fps in (15.0, 25.0, 30.0, 60.0):
        rest = Stillness(0.5, 4.0)
        out = [
            rest.update(i / fps, (100.0 - 20.0 * min(i / fps, 1.0), 0.0))
            for i in range(int(2 * fps))
        ]
        first = next(i for i, s in enumerate(out) if s is not None)
        assert first / fps == pytest.approx(1.3, abs=1.01 / fps), fps


def test_a_hold_started_at_rest_is_backdated_to_the_rest():
    timer = HoldTimer({"supine_raise": 30.0})
    for i in range(int(10 * FPS)):
        t = i / FPS
        # at rest since 0.5 s before the first valid frame (t = 2 s)
        since = 1.5 if abs(t - 2.0) < 1e-9 else None
        ok = t >= 2.0 - 1e-9
        timer.update(t, "supine_raise", "left", ok, ok, since_s=since)
    (h,) = timer.finish()
    assert h.start_s == pytest.approx(1.5)
    assert h.valid_s == pytest.approx(10.0 - 1 / FPS - 1.5, abs=1e-6)
    assert h.in_position_s == pytest.approx(h.valid_s)
