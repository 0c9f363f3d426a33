"""Tests of the hold timer: valid time only, pauses on faults, grace, reps, stalls."""

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
