import math

import numpy as np
import pytest

from formcheck.metrics.measures import MetricsComputer, MetricsOptions
from formcheck.stretches.catalogue import load_catalogue
from formcheck.stretches.coach import (
    BounceDetector,
    Coach,
    CoachOptions,
    HoldTimer,
    WarningDebouncer,
    rules_table,
)
from tests.stickfigure import figure

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


def test_every_rule_cites_a_seed():
    for sid, rule in rules_table():
        assert rule.source[:3] in {"000", "001", "002", "003", "004"}, (sid, rule.id)
    cat = load_catalogue()
    for s in cat.stretches.values():
        assert s.sources and all(x in {"000", "001", "002", "003", "004"} for x in s.sources)


def _coach_run(frames_kwargs, stretch=None, side=None):
    coach = Coach(options=CoachOptions(stretch=stretch, side=side))
    mc = MetricsComputer(MetricsOptions(smooth=False))
    verdicts = []
    for i, kw in enumerate(frames_kwargs):
        pose = figure(t_s=i / FPS, **kw)
        verdicts.append(coach.update(mc.update(pose), None))
    holds, warnings = coach.finish()
    return verdicts, holds, warnings


RAISE = dict(hip=(320, 400), trunk_deg=-90, wrist=(336, 311))


def test_supine_raise_knee_bent_warns_quickly_and_pauses_the_hold():
    good = dict(RAISE, thigh_deg=(170, 90), shank_deg=(175, 90))
    bent = dict(RAISE, thigh_deg=(170, 90), shank_deg=(130, 90))  # knee 140 < 155
    seq = [good] * int(6 * FPS) + [bent] * int(3 * FPS) + [good] * int(4 * FPS)
    verdicts, holds, warnings = _coach_run(seq)
    assert verdicts[int(3 * FPS)].stretch == "supine_raise"
    assert verdicts[int(3 * FPS)].side == "left"
    knee = [w for w in warnings if w.kind == "knee_bent"]
    assert len(knee) == 1
    assert knee[0].start_s - 6.0 <= 0.5  # onset within 0.5 s of the fault
    assert len(holds) == 1
    # valid = 13 s in position - 3 s fault + 0.25 s before the warning - 0.5 s after it
    assert holds[0].valid_s == pytest.approx(13 - 3 + 0.25 - 0.5, abs=0.1)


def test_supine_wall_rules_other_leg_and_90_degrees():
    wall = dict(hip=(320, 400), trunk_deg=-90, wrist=(300, 400))
    good = dict(wall, thigh_deg=(90, 180), shank_deg=(90, 180))
    other_up = dict(wall, thigh_deg=(130, 180), shank_deg=(130, 180))  # other leg raised 40
    verdicts, _, warnings = _coach_run([good] * 90 + [other_up] * 60)
    assert verdicts[60].stretch == "supine_wall"
    kinds = {w.kind for w in warnings}
    assert "other_leg_lifted" in kinds
    assert "legs_not_90" in kinds


def test_forced_stretch_and_side():
    fold = dict(hip=(320, 200), trunk_deg=80)
    verdicts, _, _ = _coach_run([fold] * 10, stretch="seated_floor", side="right")
    assert verdicts[-1].stretch == "seated_floor"
    assert verdicts[-1].side == "right"


def test_nobody_warns_after_a_second():
    from formcheck.pose.estimator import PoseFrame

    coach = Coach()
    mc = MetricsComputer()
    for i in range(60):
        coach.update(mc.update(PoseFrame.empty(i / FPS, 640, 480)), None)
    _, warnings = coach.finish()
    assert [w.kind for w in warnings] == ["no_person"]
    assert warnings[0].start_s == pytest.approx(1.25, abs=0.1)


def test_rests_and_side_switches_are_events():
    from formcheck.pipeline import session_events

    holds = [
        {"stretch": "supine_raise", "side": "left", "start_s": 1.0, "end_s": 31.0},
        {"stretch": "supine_raise", "side": "left", "start_s": 41.0, "end_s": 71.0},
        {"stretch": "supine_raise", "side": "right", "start_s": 80.0, "end_s": 110.0},
    ]
    ev = session_events(holds)
    assert [e["kind"] for e in ev] == ["rest", "rest", "switch_side"]
    assert ev[0]["duration_s"] == 10.0
    assert ev[2]["from"] == "left" and ev[2]["to"] == "right"


def test_back_judge_uses_the_persons_own_baseline():
    from formcheck.metrics.lumbar import BackRoundingJudge, LumbarCalibration

    judge = BackRoundingJudge(LumbarCalibration(hysteresis_deg=2.0))
    t = [i / 30 for i in range(300)]
    # a build whose neutral back reads 24 degrees: never "rounded" while it stays there
    assert not any(judge.update(ti, 24.0, True, "chair_sitting") for ti in t[:150])
    # rounding: 18 degrees above their own baseline -> rounded
    assert judge.update(t[150], 42.0, True, "chair_sitting") is True
    # back to neutral: off again (hysteresis)
    assert judge.update(t[151], 25.0, True, "chair_sitting") is False
    # not judgeable -> None
    assert judge.update(t[152], 50.0, False, "chair_sitting") is None


def test_back_judge_absolute_limit_without_baseline():
    from formcheck.metrics.lumbar import BackRoundingJudge, LumbarCalibration

    judge = BackRoundingJudge(LumbarCalibration(hysteresis_deg=2.0))
    assert judge.update(0.0, 30.0, True, "standing") is False  # a photo: one frame
    judge.reset()
    assert judge.update(0.0, 40.0, True, "standing") is True
